#!/usr/bin/env bash
# zonepushd end to end: push N distinct zones as DirectAdmin does (sequential requests),
# with the bind backend on a real named; reports accepted pushes per second, zones per
# second until named serves every zone, the cost per zone, and zonepushd's peak RSS.
#
#   bench/zonepush.sh [N...]        (default: 1000 10000)
# Build without sanitizers for figures that mean something:
#   ../configure && make zonepushd bench/zp_push
# Env: top_builddir (default .), ZP_BATCH (default 200).
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
zp_write_conf "batch=${ZP_BATCH:-200}" "log_level=warn"
total=0
for n in "${sizes[@]}"; do
	sys_kill zonepushd 2>/dev/null || true
	rm -f "$T/queue.db"* && rm -f "$T/ns1/zones/"* && : >"$T/ns1/named.conf.local"
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
	end=$(date +%s.%N)
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$zpid/status")
	awk -v n="$n" -v s="$start" -v e="$end" -v a="$accepted" -v r="$rss" 'BEGIN {
		t = e - s
		printf "N=%d accepted=%.1f/s end-to-end=%.1f zones/s (%.2f s) cost=%.3f ms/zone peak_rss=%.1f MiB\n",
			n, a, n / t, t, 1000 * t / n, r / 1024 }' | tee -a "$T/results"
done
cat "$T/results"
