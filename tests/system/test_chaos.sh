#!/usr/bin/env bash
# Chaos with real processes (tests/system/chaos.sh): two daemons in their own network
# namespaces, named and the collector stand-ins in a third; a few randomized runs of
# partitions, one-way drops, a killed named, a frozen daemon, a hung watcher start and
# collector outages. Never both collectors at once, and one site active within the bound
# after the faults heal. A fixed seed list, so a failure names its seed, and
# `bench/chaos.sh SEED` replays it. Skipped (77) without root or network namespaces.
set -eu
. "$top_srcdir/tests/system/chaos.sh"
chaos_begin
failed=0
# 11: a frozen daemon; 3: one-way drops at both sites and a collector outage; 8: a hung
# start, a partition and a named restart.
for seed in ${CHAOS_SEEDS:-11 3 8}; do
	chaos_run "$seed" || failed=1
done
chaos_summary
[ "$failed" = 0 ] || fail "a chaos run failed (its 'fail' line above); replay with: bench/chaos.sh SEED"
sys_log "PASS"
