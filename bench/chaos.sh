#!/usr/bin/env bash
# Chaos runs with real processes (tests/system/chaos.sh), many of them. Not part of
# `make check`.
#   bench/chaos.sh            RUNS (default 50) randomized runs, seeds BASE, BASE+1, ...
#                             (BASE=1 unless set)
#   bench/chaos.sh SEED...    replays those seeds only
# Every run prints its seed, its faults and its result; at the end: the number of runs,
# the violations (both collectors at once, overlapping ACTIVE periods, no single active
# site within the bound after the heal) and the step-down lateness after RENEW_DEADLINE
# over all runs (p50, p99, max) against the goal p99 <= 100 ms. The lateness is an upper
# bound taken from named's log (chaos.sh, _ch_lateness, says why), printed next to an
# estimate. The logs of a failed run are kept in $CHAOS_KEEP_FAILED (default
# /tmp/dnsfailover-chaos-failed/SEED). Needs root (network namespaces).
#
# With CH_FAULTS="link drop_in drop_out named pause hang outage" (no loss), seeds
# 10, 21 and 42 (of 1-50) are the cases to replay for a late step-down: a
# primary holder partitioned by a link down while it checks its own collector
# (HEALTH_URL). While the health check ran inside the tick after the read, its
# read ran up to the deadline and the check, hanging on the dead link, held the
# step-down for HEALTH_TIMEOUT (1 s); with the check on the loop they step down on
# time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build-bench}
if [ ! -x "$build/dnsfailover" ] || [ ! -x "$build/tests/system/fake_collector" ] ||
	[ ! -x "$build/tests/system/mono_now" ] || [ ! -x "$build/tests/system/lossy_proxy" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && { [ -x configure ] || autoreconf -fi; })
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q CFLAGS="-O2 -g"; } &&
		make -s -j2 dnsfailover tests/system/fake_collector tests/system/mono_now \
			tests/system/lossy_proxy) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
# The benchmark draws from every fault, DNS loss and delay through the lossy
# proxy included (make check's few seeds keep the plans without it).
export CH_FAULTS=${CH_FAULTS:-"link drop_in drop_out named pause hang outage loss"}
export CHAOS_KEEP_FAILED=${CHAOS_KEEP_FAILED:-/tmp/dnsfailover-chaos-failed}
. "$top/tests/system/chaos.sh"
chaos_begin
if [ $# -gt 0 ]; then
	seeds=("$@")
else
	base=${BASE:-1}
	mapfile -t seeds < <(seq "$base" $((base + ${RUNS:-50} - 1)))
fi
sys_log "${#seeds[@]} runs: I=$CH_I D=$CH_D L=$CH_L HEALTH_STALE_COUNT=$CH_STALE FAIL_THRESHOLD=$CH_FAIL, faults: $CH_FAULTS"
for seed in "${seeds[@]}"; do
	chaos_run "$seed" || true
done
echo
chaos_summary
grep ' fail ' "$CH_RESULTS" | sed 's/^/failed: /' || true
