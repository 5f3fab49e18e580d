#!/usr/bin/env bash
# The primary's clock off by +/- 10 minutes. First its lease clock alone
# (test hook DNSFAILOVER_TEST_LEASE_OFFSET): exp values are wrong by that
# much, yet the two sites are never active at once, because takeover also
# waits for the value to stay unchanged for LEASE_TTL on the DR's own
# monotonic clock. Then its whole clock (DNSFAILOVER_TEST_WALL_OFFSET): TSIG
# signatures are outside the server's 300 s fudge, the server answers
# BADTIME, and the primary steps down at RENEW_DEADLINE.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
bound=$(((FO_STALE + FO_FAIL - 1) * FO_I + FO_L))

for offset in -600 600; do
	sys_log "primary clock offset ${offset}s"
	sys_collector_mode primary up
	# Start from a fresh lease written with the offset clock (exp is only
	# ever wrong by the offset; --force takes it back from the DR).
	assert_exit 0 "init (offset $offset)" -- env DNSFAILOVER_TEST_LEASE_OFFSET=$offset \
		"$DNSFAILOVER" -c "$T/primary.env" init --force
	fo_start primary DNSFAILOVER_TEST_LEASE_OFFSET=$offset
	fo_start dr
	fo_wait_log primary "Site is now ACTIVE" 10
	sleep 4 # a window: no takeover in it
	# With -600 the DR reads every exp as already past: only the unchanged-
	# for-L rule holds it back while the primary renews.
	assert_eq "$(fo_owner)" "primary" "no takeover while the primary renews (offset $offset)"
	fo_active dr && fail "DR active while the primary renews (offset $offset)"

	sys_collector_mode primary down
	if [ "$offset" -lt 0 ]; then
		took=$(fo_wait_owner dr $((bound + 2)))
		sys_log "DR took over in ${took}s"
		fo_wait_log dr "Site is now ACTIVE" $((FO_D + 2))
	else
		# exp lies 10 minutes ahead: the DR waits for it (seed rule).
		sleep $((bound + 2)) # a window: no takeover in it
		assert_eq "$(fo_owner)" "primary" "DR waits for exp written 10 minutes ahead"
		fo_wait_log dr "Waiting for primary lease to expire" 1
	fi
	fo_stop primary
	fo_stop dr
	fo_check_never_both
done

sys_log "the primary's whole clock is 10 minutes ahead: BADTIME, step-down"
sys_collector_mode primary up
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10
fo_stop primary
fo_start primary DNSFAILOVER_TEST_WALL_OFFSET=600
fo_wait_log primary "BADTIME" 5
assert_contains "$(cat "$T/primary.log")" "skew -60" "BADTIME names the skew"
fo_active primary && fail "a primary that cannot sign is active"
sys_collector_mode primary down
took=$(fo_wait_owner dr $((bound + 2)))
sys_log "DR took over in ${took}s"
fo_wait_log dr "Site is now ACTIVE" $((FO_D + 2))
fo_stop primary
fo_stop dr
fo_check_never_both
sys_log "PASS"
