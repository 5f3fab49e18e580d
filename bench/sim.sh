#!/usr/bin/env bash
# Long run of the lease simulation (tests/unit/src/lease/test_lease_sim.c): many
# more random schedules of both sites than `make check` runs, then a short
# SIM_BREAK run proving the checker catches unsafe clock rates.
# Prints schedules/s and the result. Not part of `make check`, which runs the
# default 10000 schedules (test_lease_sim) and the SIM_BREAK check up to the first
# caught schedule (test_lease_sim_break).
#
# Usage: bench/sim.sh [SCHEDULES]   (default 200000, about 2 minutes in an
#        optimised build). SIM_SEED=<n> fixes the first seed (default: the
#        time, printed, so a failure can be replayed). BUILD=<dir> uses an
#        existing configured build tree; otherwise an optimised,
#        sanitizer-free tree in build-bench/ is used (built on demand).
set -eu
N=${1:-${SIM_SCHEDULES:-200000}}
SEED=${SIM_SEED:-$(date +%s)}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build-bench}
sim=$build/tests/unit/src/lease/test_lease_sim
if [ ! -x "$sim" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g")
	fi
	(cd "$build" && make -s -j2 tests/unit/src/lease/test_lease_sim) >/dev/null
fi
[ -x "$sim" ] || { echo "sim.sh: $sim not built (is cmocka installed?)" >&2; exit 1; }

echo "lease simulation: $N schedules from seed $SEED ($sim)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s.%N)
rc=0
SIM_SCHEDULES=$N SIM_SEED=$SEED "$sim" >"$log" 2>&1 || rc=$?
end=$(date +%s.%N)
grep -E '^FAIL seed' "$log" | head -20 || true
tail -n 3 "$log"
awk -v n="$N" -v a="$start" -v b="$end" \
	'BEGIN { printf "%d schedules in %.1f s: %.0f schedules/s\n", n, b - a, n / (b - a) }'

echo
echo "sanity: SIM_BREAK=1 (clock rates off by up to 40 %) must be caught"
brc=0
SIM_BREAK=1 SIM_SCHEDULES=20000 SIM_SEED=$SEED "$sim" >"$log" 2>&1 || brc=$?
tail -n 1 "$log"

if [ "$rc" -ne 0 ]; then
	echo "RESULT: FAIL (violations above; replay with the printed SIM_SEED)"
	exit 1
fi
if [ "$brc" -ne 0 ]; then
	echo "RESULT: FAIL (the checker missed the broken clocks)"
	exit 1
fi
echo "RESULT: PASS"
