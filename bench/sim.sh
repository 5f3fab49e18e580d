#!/usr/bin/env bash
# Long run of the simulation of `dnsfailover run` (tests/sim/sim_site.c: the
# daemon's site code, its watcher and lease logic on virtual time against one
# simulated DNS server): many more random schedules than `make check` runs,
# then a short SIM_BREAK run proving the checker catches unsafe clock rates.
# Prints schedules/s and the result.
#
# Usage: bench/sim.sh [SCHEDULES]   (default 1000000). SIM_SEED=<n> fixes the
#        first seed (default: the time, printed, so a failure can be
#        replayed). JOBS=<n> processes share the schedules (default 2, one
#        per core here). BUILD=<dir> uses an existing configured build tree;
#        otherwise an optimised, sanitizer-free tree in build-bench/ is used
#        (built on demand). MODEL=1 runs the pure lease model
#        (tests/unit/src/lease/test_lease_sim) instead, 200000 schedules by
#        default.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build-bench}
if [ "${MODEL:-0}" = 1 ]; then
	target=tests/unit/src/lease/test_lease_sim
	N=${1:-${SIM_SCHEDULES:-200000}}
else
	target=tests/sim/sim_site
	N=${1:-${SIM_SCHEDULES:-1000000}}
fi
SEED=${SIM_SEED:-$(date +%s)}
JOBS=${JOBS:-2}
sim=$build/$target
if [ ! -x "$sim" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g")
	fi
	(cd "$build" && make -s -j2 "$target") >/dev/null
fi
[ -x "$sim" ] || { echo "sim.sh: $sim not built" >&2; exit 1; }

echo "simulation: $N schedules from seed $SEED in $JOBS processes ($sim)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
per=$(((N + JOBS - 1) / JOBS))
start=$(date +%s.%N)
pids=()
for ((j = 0; j < JOBS; j++)); do
	n=$per
	if [ $((j * per + n)) -gt "$N" ]; then
		n=$((N - j * per))
	fi
	[ "$n" -gt 0 ] || continue
	SIM_REGRESSIONS=$([ $j = 0 ] && echo 1 || echo 0) SIM_SCHEDULES=$n \
		SIM_SEED=$((SEED + j * per)) "$sim" >"$tmp/$j.log" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
end=$(date +%s.%N)
cat "$tmp"/*.log | grep -E '^(FAIL|  replay)' | head -40 || true
tail -q -n 1 "$tmp"/*.log
awk -v n="$N" -v a="$start" -v b="$end" \
	'BEGIN { printf "%d schedules in %.1f s: %.0f schedules/s\n", n, b - a, n / (b - a) }'

echo
echo "sanity: SIM_BREAK=1 (clock rates off by up to 40 %) must be caught"
brc=0
SIM_BREAK=1 SIM_SCHEDULES=20000 SIM_SEED=$SEED SIM_REGRESSIONS=0 SIM_MAX_FAILURES=1 \
	"$sim" >"$tmp/break.log" 2>&1 || brc=$?
grep -m1 -E '^FAIL' "$tmp/break.log" || tail -n 1 "$tmp/break.log"
caught=0
if [ "${MODEL:-0}" = 1 ]; then
	[ "$brc" -eq 0 ] && caught=1 # the model passes in SIM_BREAK once it caught one
else
	grep -q '^FAIL seed .*SAFETY' "$tmp/break.log" && caught=1
fi

if [ "$rc" -ne 0 ]; then
	echo "RESULT: FAIL (violations above; replay with the printed command)"
	exit 1
fi
if [ "$caught" -ne 1 ]; then
	echo "RESULT: FAIL (the checker missed the broken clocks)"
	exit 1
fi
echo "RESULT: PASS"
