#!/usr/bin/env bash
# A holder frozen (SIGSTOP, as a paused VM) for longer than RENEW_DEADLINE
# steps down the moment it runs again, before it renews: its first lines
# after the resume are the step-down, then the renewal that makes it active
# again (nobody took the lease meanwhile, so the compare-and-swap holds).
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
# No self-check: each tick reads and renews at once, so the tick that comes
# due first after the resume is the renewal.
sed -i '/^HEALTH_URL=/d; /^HEALTH_MODE=/d' "$T/primary.env"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
read -r pid _ <"$T/run/primary.pid"
sys_log "the holder is frozen for RENEW_DEADLINE + 2 s"
kill -STOP "$pid"
sleep $((FO_D + 2)) # the window the holder is frozen in
mark=$(wc -l <"$T/primary.log")
kill -CONT "$pid"
sys_wait_for 5 "active again after the resume" \
	sh -c "tail -n +$((mark + 1)) '$T/primary.log' | grep -q 'Site is now ACTIVE'"
after=$(tail -n +$((mark + 1)) "$T/primary.log")
down=$(grep -n "Site is now STANDBY: stepping down (no successful renewal within RENEW_DEADLINE)" <<<"$after" | head -n 1 | cut -d: -f1)
renew=$(grep -n "Lease renewed" <<<"$after" | head -n 1 | cut -d: -f1)
[ -n "$down" ] || fail "no step-down after the resume: $after"
[ -n "$renew" ] || fail "no renewal after the resume: $after"
[ "$down" -lt "$renew" ] || fail "renewed before stepping down after the resume: $after"
fo_stop primary
sys_log "PASS"
