#!/usr/bin/env bash
# Two daemons against a real named with short timings (I=1 D=3 L=5): steady
# state, the primary's collector going down and then flat (the DR takes over
# within the seed's bound), the DR keeping the lease while the primary is
# healthy again, and failback.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
# The seed's bound: (HEALTH_STALE_COUNT + FAIL_THRESHOLD - 1) x I + L.
bound=$(((FO_STALE + FO_FAIL - 1) * FO_I + FO_L))
# Two seconds of slack for the test's own polling and process start.
limit=$((bound + 2))

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10
fo_wait_log dr "Primary healthy" 5

sys_log "steady state: no change of owner over 8 intervals"
epoch=$(sys_dig TXT | tr -d '"' | sed -n 's/.*epoch=\([0-9]*\).*/\1/p')
sleep 8 # a window: the owner and epoch must not change in it
assert_eq "$(fo_owner)" "primary" "owner after 8 intervals"
assert_contains "$(sys_dig TXT)" "epoch=$epoch\"" "epoch unchanged in steady state"
assert_contains "$(cat "$T/primary.log")" "Lease renewed, expires at" "primary renews"
assert_contains "$(cat "$T/dr.log")" "Metrics healthy: otelcol_receiver_accepted_metric_points_total=" "DR reads the metric"
assert_not_contains "$(cat "$T/dr.log")" "FAILOVER" "no failover in steady state"
fo_active primary || fail "primary is not active in steady state"
fo_active dr && fail "DR is active in steady state"

sys_log "the primary's collector stops answering"
sys_collector_mode primary down
took=$(fo_wait_owner dr "$limit")
sys_log "DR took over in ${took}s (bound ${bound}s)"
fo_wait_log dr "Site is now ACTIVE" "$((FO_D + 2))"
dr_log=$(cat "$T/dr.log")
assert_contains "$dr_log" "Primary health check failed (1/$FO_FAIL)" "DR counts failures"
assert_contains "$dr_log" "Primary health check failed ($FO_FAIL/$FO_FAIL)" "DR reaches the threshold"
assert_contains "$dr_log" "Primary lease expired - initiating failover!" "DR announces the failover"
assert_contains "$dr_log" "FAILOVER: Promoted DR to active, A=192.0.2.20" "seed's failover line"
assert_contains "$(cat "$T/primary.log")" "Own collector unhealthy - not renewing the lease" "primary stops renewing"
assert_eq "$(sys_dig A)" "192.0.2.20" "A points at the DR"
fo_check_never_both

sys_log "the collector is back: the DR keeps the lease until failback"
sys_collector_mode primary up
sleep 4 # a window: the DR must not give the lease back in it
assert_eq "$(fo_owner)" "dr" "DR keeps the lease while the primary is healthy"
fo_wait_log primary "DR currently owns lease - not overwriting (run 'failback' to reclaim)" 3

sys_log "failback"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "seed's failback line"
fo_wait_log dr "Site is now STANDBY" 3
fo_wait_owner primary 1 >/dev/null
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the primary active after failback" fo_active primary
fo_active dr && fail "DR still active after failback"
fo_check_never_both

sys_log "the primary's metrics go flat"
sys_collector_mode primary flat
took=$(fo_wait_owner dr "$limit")
sys_log "DR took over in ${took}s (bound ${bound}s)"
assert_contains "$(cat "$T/dr.log")" "Metrics stale: otelcol_receiver_accepted_metric_points_total=" "DR sees the flat counter"
assert_contains "$(cat "$T/dr.log")" "(unchanged, $FO_STALE/$FO_STALE)" "stale count reaches HEALTH_STALE_COUNT"
sys_collector_mode primary up
assert_exit 0 "failback again" -- "$DNSFAILOVER" -c "$T/primary.env" failback
fo_wait_owner primary 2 >/dev/null
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the primary active after the second failback" fo_active primary
fo_stop dr
fo_stop primary
fo_check_never_both
sys_log "PASS"
