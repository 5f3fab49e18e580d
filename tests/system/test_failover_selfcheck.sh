#!/usr/bin/env bash
# The primary's own collector fails for longer than RENEW_DEADLINE, then
# recovers before the DR may take the lease: the primary steps down on time,
# keeps checking its collector, and takes its lease back once the collector
# is healthy, so the pair never stays with nobody active. (The DR sees the
# primary's collector recover too, so it never takes over.)
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin LEASE_TTL=12

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10

sys_log "the primary's collector answers HTTP 500"
sys_collector_mode primary error
fo_wait_log primary "Site is now STANDBY" $((FO_D + 3))
fo_wait_log primary "Own collector unhealthy - not renewing the lease" 1

sys_log "the collector recovers before the lease may be taken over"
sys_collector_mode primary up
sys_wait_for 6 "the primary active again" fo_active primary
assert_eq "$(fo_owner)" "primary" "the primary still owns the lease"
fo_active dr && fail "the DR is active while the primary is"
fo_stop dr
fo_stop primary
# The DR never becomes active here, so it logs no transition.
fo_check_never_both primary
sys_log "PASS"
