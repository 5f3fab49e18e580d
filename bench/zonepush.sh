#!/usr/bin/env bash
# zonepushd end to end: push N distinct zones as DirectAdmin does (sequential requests),
# with the bind backend on a real named; reports accepted pushes per second, zones per
# second until named serves every zone, the cost per zone, and zonepushd's peak RSS.
#
#   bench/zonepush.sh [N...]        (default: 1000 10000)
# Build without sanitizers for figures that mean something:
#   ../configure && make zonepushd bench/zp_push
# Env: top_builddir (default .), ZP_BATCH (default 200), ZP_BENCH_MYSQL=1 adds a
# coredns_mysql backend on a throwaway MariaDB (end to end then also waits for its rows).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"
sys_require named rndc dig sqlite3
PUSH=$top_builddir/bench/zp_push
[ -x "$PUSH" ] || fail "build bench/zp_push first (make bench/zp_push)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
sys_setup
zp_start_named ns1
extra=
if [ "${ZP_BENCH_MYSQL:-0}" = 1 ]; then
	zp_start_mariadb db1
	extra="BACKEND_EXTRA=[backend db1]\ntype = coredns_mysql\nsocket = $T/db1/my.sock\ndatabase = coredns\nuser = root"
fi
zp_write_conf "batch=${ZP_BATCH:-200}" "log_level=warn" ${extra:+"$extra"}
total=0
for n in "${sizes[@]}"; do
	sys_kill zonepushd 2>/dev/null || true
	rm -f "$T/queue.db"* && rm -f "$T/ns1/zones/"* && : >"$T/ns1/named.conf.local"
	[ "${ZP_BENCH_MYSQL:-0}" != 1 ] || zp_sql db1 "DELETE FROM records; DELETE FROM zones" 2>/dev/null || true
	rndc -c "$T/ns1/rndc.conf" reconfig >/dev/null
	zp_start
	read -r zpid _ <"$T/run/zonepushd.pid"
	start=$(date +%s.%N)
	"$PUSH" "$ZP_PORT" "$ZP_USER:$ZP_PASSWORD" 1 "$n" 1 | tee "$T/push.out"
	accepted=$(awk '{ print $(NF-2) }' "$T/push.out")
	until [ "$(sqlite3 "$T/queue.db" 'SELECT COUNT(*) FROM queue')" = 0 ]; do sleep 0.05; done
	# every zone served
	seq 1 "$n" | awk '{ print "zb" $1 ".example SOA" }' >"$T/batch"
	until [ "$(dig @127.0.0.1 -p "$ns1_DNS_PORT" +short +norec +time=2 +tries=1 -f "$T/batch" | grep -c ' 1 3600 3600 1209600 86400$')" = "$n" ]; do
		sleep 0.1
	done
	if [ "${ZP_BENCH_MYSQL:-0}" = 1 ]; then
		until [ "$(zp_sql db1 "SELECT COUNT(*) FROM zones")" = "$n" ]; do sleep 0.1; done
	fi
	end=$(date +%s.%N)
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$zpid/status")
	# What a batch costs named at this zone count: the one reconfig that loads added
	# zones, and the reload of one changed zone.
	t0=$(date +%s.%N)
	rndc -c "$T/ns1/rndc.conf" reconfig >/dev/null
	t1=$(date +%s.%N)
	rndc -c "$T/ns1/rndc.conf" reload zb1.example >/dev/null
	t2=$(date +%s.%N)
	awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
		printf "N=%d rndc reconfig %.0f ms, rndc reload ZONE %.0f ms\n", n, 1000 * (b - a), 1000 * (c - b) }' |
		tee -a "$T/results"
	awk -v n="$n" -v s="$start" -v e="$end" -v a="$accepted" -v r="$rss" 'BEGIN {
		t = e - s
		printf "N=%d accepted=%.1f/s end-to-end=%.1f zones/s (%.2f s) cost=%.3f ms/zone peak_rss=%.1f MiB\n",
			n, a, n / t, t, 1000 * t / n, r / 1024 }' | tee -a "$T/results"
	# The same zones changed (serial 2): one rndc reload ZONE each.
	start=$(date +%s.%N)
	"$PUSH" "$ZP_PORT" "$ZP_USER:$ZP_PASSWORD" 1 "$n" 2 >"$T/push.out"
	until [ "$(sqlite3 "$T/queue.db" 'SELECT COUNT(*) FROM queue')" = 0 ]; do sleep 0.05; done
	until [ "$(dig @127.0.0.1 -p "$ns1_DNS_PORT" +short +norec +time=2 +tries=1 -f "$T/batch" | grep -c ' 2 3600 3600 1209600 86400$')" = "$n" ]; do
		sleep 0.1
	done
	end=$(date +%s.%N)
	awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN {
		printf "N=%d changed zones: end-to-end=%.1f zones/s (%.2f s)\n", n, n / (e - s), e - s }' |
		tee -a "$T/results"
done
cat "$T/results"
