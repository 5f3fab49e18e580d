#!/usr/bin/env bash
# Failover time and steady-state cost of the running daemon. Not part of
# `make check`.
#   - For several timing settings: a primary and a DR daemon against a test
#     named, the primary's collector stops, and the time until `show`
#     reports the DR is printed next to the seed's bound
#     (HEALTH_STALE_COUNT + FAIL_THRESHOLD - 1) x UPDATE_INTERVAL + LEASE_TTL
#     as a ratio (goal: at most 1.0).
#   - Steady state over STEADY seconds (default 60) with I=1: CPU seconds and
#     peak resident memory of each daemon, and the UPDATE messages per hour.
# Usage: bench/failover.sh   (STEADY=N to change the steady-state period)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -x "$build/dnsfailover" ] || [ ! -x "$build/tests/system/fake_collector" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && { [ -x configure ] || autoreconf -fi; })
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" &&
		make -s -j2 dnsfailover tests/system/fake_collector tests/system/mono_now) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/lib.sh"
. "$top/tests/system/collector.sh"
sys_require named dig
sys_setup
sys_start_named hmac-sha256
sys_start_collector primary

wait_log()
{
	local file=$1 text=$2 limit=$3 start=$SECONDS
	until grep -qF -- "$text" "$file" 2>/dev/null; do
		[ $((SECONDS - start)) -le "$limit" ] || fail "'$text' not in $file within ${limit}s"
		sleep 0.1
	done
}
owner()
{
	"$DNSFAILOVER" -c "$T/p.env" show 2>/dev/null | sed -n 's/^  "owner": "\([a-z]*\)",$/\1/p'
}
now_ms()
{
	date +%s%3N
}

printf '%-28s %9s %9s %7s\n' "I/L/STALE/FAIL (mode)" "failover" "bound" "ratio"
for setting in "1 5 2 2 down" "1 5 2 2 flat" "2 10 3 2 down" "2 10 3 2 flat" "3 15 2 3 flat"; do
	read -r i l s f mode <<<"$setting"
	d=$((l * 2 / 3))
	[ "$d" -gt "$i" ] || d=$((i + 1))
	cfg=(UPDATE_INTERVAL=$i LEASE_TTL=$l RENEW_DEADLINE=$d HEALTH_STALE_COUNT=$s FAIL_THRESHOLD=$f
		HEALTH_MODE=metrics HEALTH_URL=$COLLECTOR_URL HEALTH_TIMEOUT=1 DNS_TIMEOUT=1)
	sys_write_config "$T/p.env" "${cfg[@]}"
	sys_write_config "$T/d.env" ROLE=dr "${cfg[@]}"
	sys_collector_mode primary up
	"$DNSFAILOVER" -c "$T/p.env" init --force >/dev/null 2>&1
	: >"$T/primary.log"
	: >"$T/dr.log"
	sys_spawn primary "$DNSFAILOVER" -c "$T/p.env" run
	sys_spawn dr "$DNSFAILOVER" -c "$T/d.env" run
	wait_log "$T/primary.log" "Site is now ACTIVE" $((d + 5))
	# Let the DR see a few growing readings first, as in production.
	sleep $((i * (s + 1)))
	start=$(now_ms)
	sys_collector_mode primary "$mode"
	limit=$(((s + f) * i + l + 30))
	while [ "$(owner)" != dr ]; do
		[ $((($(now_ms) - start) / 1000)) -le "$limit" ] || fail "no failover within ${limit}s"
		sleep 0.1
	done
	took=$(($(now_ms) - start))
	bound=$(((s + f - 1) * i + l))
	awk -v set="$i/$l/$s/$f ($mode)" -v t="$took" -v b="$bound" \
		'BEGIN { printf "%-28s %8.1fs %8ds %7.2f\n", set, t / 1000, b, t / 1000 / b }'
	sys_kill primary
	sys_kill dr
done

STEADY=${STEADY:-60}
sys_log "steady state for ${STEADY}s with UPDATE_INTERVAL=1"
cfg=(UPDATE_INTERVAL=1 LEASE_TTL=5 RENEW_DEADLINE=3 HEALTH_MODE=metrics HEALTH_URL=$COLLECTOR_URL
	HEALTH_TIMEOUT=1 DNS_TIMEOUT=1)
sys_write_config "$T/p.env" "${cfg[@]}"
sys_write_config "$T/d.env" ROLE=dr "${cfg[@]}"
sys_collector_mode primary up
"$DNSFAILOVER" -c "$T/p.env" init --force >/dev/null 2>&1
: >"$T/primary.log"
sys_spawn primary "$DNSFAILOVER" -c "$T/p.env" run
ppid=$SYS_PID
sys_spawn dr "$DNSFAILOVER" -c "$T/d.env" run
dpid=$SYS_PID
sleep "$STEADY"
tck=$(getconf CLK_TCK)
for who in primary:$ppid dr:$dpid; do
	name=${who%%:*}
	pid=${who#*:}
	read -r -a st <"/proc/$pid/stat"
	cpu=$(awk -v u="${st[13]}" -v s="${st[14]}" -v t="$tck" 'BEGIN { printf "%.2f", (u + s) / t }')
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
	printf '%-8s CPU %6ss over %ss (%.3f%% of a core)   peak RSS %6s KiB\n' "$name" "$cpu" \
		"$STEADY" "$(awk -v c="$cpu" -v s="$STEADY" 'BEGIN { print 100 * c / s }')" "$hwm"
done
renewals=$(grep -c "Lease renewed" "$T/primary.log" || true)
awk -v n="$renewals" -v s="$STEADY" 'BEGIN {
	printf "UPDATE messages: %d in %ds = %d per hour at UPDATE_INTERVAL=1 (%d per hour at the default 10)\n",
		n, s, n * 3600 / s, n * 360 / s }'
