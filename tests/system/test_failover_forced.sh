#!/usr/bin/env bash
# A primary daemon killed with SIGKILL, promote while the primary is
# healthy, a restart of the holder, and the primary taking back the lease
# of a DR that died.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
bound=$(((FO_STALE + FO_FAIL - 1) * FO_I + FO_L))

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10

sys_log "the primary daemon is killed while its collector keeps running"
fo_kill primary
# The primary's collector still scrapes: a DR taking over now would start a
# second scraper, the very thing the lease prevents. It must wait.
sleep $((bound + 3)) # a window: no takeover in it
assert_eq "$(fo_owner)" "primary" "no takeover while the primary's collector is healthy"
fo_active dr && fail "DR became active while the primary's collector was healthy"
assert_contains "$(tail -n 5 "$T/dr.log")" "Primary healthy" "DR still sees a healthy primary"

sys_log "the crashed site's collector goes down too"
sys_collector_mode primary down
took=$(fo_wait_owner dr $((FO_FAIL * FO_I + 3)))
sys_log "DR took over ${took}s after the collector stopped (the lease had long expired)"
fo_wait_log dr "FAILOVER: Promoted DR to active, A=192.0.2.20" 2
fo_wait_log dr "Site is now ACTIVE" "$((FO_D + 2))"
fo_check_never_both

sys_log "the primary comes back; failback; then promote while the primary is healthy"
sys_collector_mode primary up
fo_start primary
fo_wait_log primary "DR currently owns lease - not overwriting" 5
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
fo_wait_owner primary 2 >/dev/null
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the primary active after failback" fo_active primary

assert_exit 2 "promote refuses the wrong site" -- "$DNSFAILOVER" -c "$T/primary.env" promote
assert_contains "$OUT" "promote runs on the dr site" "promote names the right site"
assert_exit 0 "promote while the primary is healthy" -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote logs the seed's line"
fo_wait_log primary "Site is now STANDBY" 3
fo_wait_log dr "Acting as active in" 3
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the DR active after promote" fo_active dr
fo_active primary && fail "primary still active after promote"
assert_exit 0 "promote again is a no-op" -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "already holds the lease" "second promote changes nothing"
fo_check_never_both

sys_log "the holder (DR) restarts: it adopts its own lease without a gap for the primary"
fo_stop dr
fo_start dr
fo_wait_log dr "Lease acquired: owner=dr" 5
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the restarted DR active again" fo_active dr
assert_eq "$(fo_owner)" "dr" "owner after the DR restart"

sys_log "the DR holder dies: the primary takes back the expired DR lease"
fo_kill dr
took=$(fo_wait_owner primary $((FO_L + 1 + 2 * FO_I + 2)))
sys_log "primary reclaimed the lease ${took}s after the DR died"
fo_wait_log primary "DR lease expired - reclaiming it for the primary" 2
fo_wait_log primary "FAILBACK: Restored primary as active, A=192.0.2.10" 2
# D + 1 s (TXT resolution) + one interval to see the change
sys_wait_for $((FO_D + 3)) "the primary active after reclaiming the lease" fo_active primary
fo_stop primary
fo_check_never_both
sys_log "PASS"
