#!/usr/bin/env bash
# named goes away for longer than RENEW_DEADLINE: the holder steps down on
# time although it cannot reach DNS, nobody takes over while DNS is away,
# and exactly one site is active once it is back.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin

# one_active: true when exactly one site is active.
one_active()
{
	local n=0
	fo_active primary && n=$((n + 1))
	fo_active dr && n=$((n + 1))
	[ "$n" = 1 ]
}

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10

sys_log "named stops for 3 x RENEW_DEADLINE"
sys_stop_named
stopped=$("$MONO_NOW")
fo_wait_log primary "Site is now STANDBY: stepping down (no successful renewal within RENEW_DEADLINE)" $((FO_D + 2))
down_at=$(sed -n 's/.*Site is now STANDBY.*\[t=\([0-9.]*\)\].*/\1/p' "$T/primary.log" | tail -n 1)
# It stepped down no later than D after its last successful renewal, which
# was at most one interval before named went away.
awk -v a="$stopped" -v b="$down_at" -v d="$FO_D" -v i="$FO_I" 'BEGIN { exit !(b - a <= d + 0.5) }' ||
	fail "step-down at $down_at, named stopped at $stopped: later than RENEW_DEADLINE"
assert_contains "$(cat "$T/primary.log")" "Failed to renew lease" "primary reports the failed renewals"
sleep $((3 * FO_D)) # a window: neither site may become active in it
fo_active primary && fail "primary active without DNS"
fo_active dr && fail "DR took over while DNS was away"

sys_log "named is back"
sys_restart_named
sys_wait_for $((FO_D + 3)) "exactly one site active after DNS returns" one_active
assert_eq "$(fo_owner)" "primary" "the primary still owns the lease"
fo_stop dr
fo_stop primary
# The DR never becomes active here, so it logs no transition.
fo_check_never_both primary
sys_log "PASS"
