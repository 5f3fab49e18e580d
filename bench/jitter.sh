#!/usr/bin/env bash
# Renewal-interval jitter of a lease holder while its watcher's start command hangs and
# a health endpoint never answers (DESIGN section 8: nothing in flight may hold a
# renewal). Not part of `make check`; needs root (the namespaces of tests/system/chaos.sh).
#
# For each scenario the holder runs DURATION seconds (default 30) with
# UPDATE_INTERVAL=1; the interval between its successive UPDATEs is measured where they
# arrive, in named's update log (millisecond stamps), and the jitter is |interval - I|.
# Printed: p50/p99/max of the jitter (goal p99 <= 50 ms) and the max interval, with a
# quiet holder first as the reference.
#   quiet         the primary holds, its collector starts normally (and the primary
#                 checks it, HEALTH_URL on the primary, as in production)
#   primary-hung  the primary holds; its watcher start hangs (WATCH_CMD_TIMEOUT=60, so
#                 one start hangs the whole time); the DR's health endpoint accepts
#                 connections and never answers (the DR checks it every tick). The
#                 primary has no HEALTH_URL here: checking its own collector, which
#                 the hung start never brings up, it would rightly stop renewing
#   dr-hung       the DR holds; its start hangs; its HEALTH_URL stops answering once
#                 it holds. (While the check ran inside the tick, a DR whose check
#                 never answered with HEALTH_TIMEOUT = UPDATE_INTERVAL spent the whole
#                 tick on it and the UPDATE that would take the lease found no time
#                 left: "Failed to take the lease: ... no time was left before the
#                 deadline (0 of 1 attempts sent)". With the check on the loop it takes
#                 the lease either way; the late hang keeps the scenario the same.)
# A primary whose own health check (HEALTH_URL on the primary) never answers stops
# renewing by design, so there is no interval to measure in that case.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build-bench}
if [ ! -x "$build/dnsfailover" ] || [ ! -x "$build/tests/system/fake_collector" ] ||
	[ ! -x "$build/tests/system/mono_now" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && { [ -x configure ] || autoreconf -fi; })
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q CFLAGS="-O2 -g"; } &&
		make -s -j2 dnsfailover tests/system/fake_collector tests/system/mono_now) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/chaos.sh"
DURATION=${DURATION:-30}
# One start hangs for the whole measurement instead of being killed and retried.
CH_CMD_TIMEOUT=60
chaos_begin

# The endpoint that never answers: a stand-in of its own in core, mode hang.
echo hang >"$T/hang-collector.mode"
sys_spawn hang-collector ip netns exec "$(_ch_nsname core)" "$FAKE_COLLECTOR" -a 0.0.0.0 \
	-p 9300 -c "$T/hang-collector.mode" -P "$T/hang-collector.ready"
sys_wait_for 5 "the hanging endpoint" test -s "$T/hang-collector.ready"

cp "$T/primary.env" "$T/primary-selfcheck.env"
grep -v '^HEALTH_URL=' "$T/primary-selfcheck.env" >"$T/primary-nocheck.env"
chmod 600 "$T/primary-nocheck.env"

# measure SCENARIO OWNER HUNG DR_HEALTH_URL PRIMARY_SELF_CHECK(0|1)
measure()
{
	local name=$1 owner=$2 hung=$3 url=$4 self=$5 from ip s m0 w0 m1 w1
	ip=$(_ch_site_ip "$owner")
	sed -i "s|^HEALTH_URL=.*|HEALTH_URL=$url|" "$T/dr.env"
	if [ "$self" = 1 ]; then
		cp "$T/primary-selfcheck.env" "$T/primary.env"
	else
		cp "$T/primary-nocheck.env" "$T/primary.env"
	fi
	rm -f "$T/hang-start-primary" "$T/hang-start-dr" "$T/hang-$owner.pid"
	[ "$hung" = 0 ] || touch "$T/hang-start-$owner"
	ch_ns core "$DNSFAILOVER" -c "$T/core-$owner.env" init --force >/dev/null 2>&1 ||
		fail "init for $owner failed"
	: >"$T/primary.log"
	: >"$T/dr.log"
	sys_spawn primary ip netns exec "$(_ch_nsname primary)" "$DNSFAILOVER" -c "$T/primary.env" run
	sys_spawn dr ip netns exec "$(_ch_nsname dr)" "$DNSFAILOVER" -c "$T/dr.env" run
	sys_wait_for $((CH_D + 5)) "$owner active" grep -q "Site is now ACTIVE" "$T/$owner.log"
	if [ -n "${HANG_LATE:-}" ]; then
		# The endpoint that stops answering once the site holds the lease.
		echo hang >"$T/hang2-collector.mode"
		sys_spawn hang2-collector ip netns exec "$(_ch_nsname core)" "$FAKE_COLLECTOR" \
			-a 0.0.0.0 -p "$HANG_LATE" -c "$T/hang2-collector.mode" -P "$T/hang2-collector.ready"
		sys_wait_for 5 "the late hanging endpoint" test -s "$T/hang2-collector.ready"
	fi
	[ "$hung" = 0 ] || sys_wait_for 5 "the hung start of $owner" test -s "$T/hang-$owner.pid"
	from=$(stat -c %s "$T/named-chaos.log")
	read -r m0 w0 _ < <("$MONO_NOW" -w)
	sleep "$DURATION"
	read -r m1 w1 _ < <("$MONO_NOW" -w)
	tail -c +$((from + 1)) "$T/named-chaos.log" >"$T/$name.named.log"
	if [ "$hung" != 0 ]; then
		grep -q "Watcher: collector .* started" "$T/$owner.log" &&
			fail "$name: the start did not hang"
	fi
	grep -q "Site is now STANDBY" "$T/$owner.log" && fail "$name: the holder stepped down"
	for s in primary dr; do
		_sys_stop "$s" 5 >/dev/null 2>&1 || true
		rm -f "$T/hang-start-$s"
		"$T/initd-$s" stop >/dev/null 2>&1 || true
	done
	# named's stamps are wall clock, which may be slewed: intervals are scaled to the
	# monotonic clock by the rate measured over the same window.
	awk -v ip="$ip" -v i="$CH_I" -v name="$name" -v rate="$(awk -v a="$m0" -v b="$w0" -v c="$m1" -v d="$w1" \
		'BEGIN { printf "%.9f", (d - b) / (c - a) }')" "$_CH_AWK_ISO"'
		index($0, " " ip "#") && /updating zone/ && /adding an RR at .* TXT / {
			t = iso($1); if (n) { iv[n] = (t - last) / rate } ; last = t; n++ }
		END {
			m = n - 1
			if (m < 3) { printf "%-13s only %d renewals\n", name, n; exit 1 }
			for (k = 1; k <= m; k++) { j[k] = iv[k] - i; if (j[k] < 0) j[k] = -j[k]; if (iv[k] > mx) mx = iv[k] }
			# sort the jitter (insertion sort: a few hundred values)
			for (a = 2; a <= m; a++) { v = j[a]; b = a - 1; while (b >= 1 && j[b] > v) { j[b + 1] = j[b]; b-- } j[b + 1] = v }
			k50 = 0.50 * m; k50 = (k50 == int(k50)) ? k50 : int(k50) + 1
			k99 = 0.99 * m; k99 = (k99 == int(k99)) ? k99 : int(k99) + 1
			printf "%-13s %9d %9.1f %9.1f %9.1f %11.1f\n", name, m, j[k50] * 1000, j[k99] * 1000, j[m] * 1000, mx * 1000 }' \
		"$T/$name.named.log"
}

sys_log "DURATION=${DURATION}s per scenario, UPDATE_INTERVAL=$CH_I"
printf '%-13s %9s %9s %9s %9s %11s\n' scenario intervals "p50 ms" "p99 ms" "max ms" "max iv ms"
measure quiet primary 0 http://10.200.2.2:9100/metrics 1
measure primary-hung primary 1 http://10.200.2.2:9300/metrics 0
HANG_LATE=9301 measure dr-hung dr 1 http://10.200.2.2:9301/metrics 1
echo "jitter = |interval between successive UPDATEs at named - UPDATE_INTERVAL|; goal p99 <= 50 ms"
