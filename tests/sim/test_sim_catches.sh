#!/usr/bin/env bash
# The simulation's PASS proves something only if its checks can fail: with
# clock rates far outside what the lease allows (SIM_BREAK) it must report
# two sites acting at once, and with the provider's classification of
# issue 10 defect 2 put back (SIM_DEFECT2) its regression schedule for that
# defect must fail on liveness.
set -u
sim=${top_builddir:-.}/tests/sim/sim_site
[ -x "$sim" ] || { echo "no $sim" >&2; exit 99; }
out=$(SIM_BREAK=1 SIM_REGRESSIONS=0 SIM_MAX_FAILURES=1 "$sim" 5000 1 2>&1)
if ! grep -q '^FAIL seed .*SAFETY: both sites act' <<<"$out"; then
	echo "SIM_BREAK=1: no safety violation reported in 5000 schedules" >&2
	echo "$out" | tail -5 >&2
	exit 1
fi
echo "SIM_BREAK=1 caught: $(grep -m1 '^FAIL seed' <<<"$out")"
out=$(SIM_DEFECT2=1 SIM_REGRESSIONS=0 "$sim" 1 13 2>&1)
if ! grep -q '^FAIL seed 13 .*LIVENESS' <<<"$out"; then
	echo "SIM_DEFECT2=1: schedule 13 did not fail" >&2
	echo "$out" | tail -5 >&2
	exit 1
fi
echo "SIM_DEFECT2=1 caught: $(grep -m1 '^FAIL seed' <<<"$out")"
