#!/usr/bin/env bash
# An UPDATE whose answer is lost is sent again; named applied the first copy, so the second
# copy's prerequisite (the TXT as it was) fails. That failure is our own write, not a
# rival's: the outcome is unknown and the lease is read again, it must not be taken for
# "someone else wrote first". Through tests/system/lossy_proxy, which loses the answer to
# every first copy, the holder keeps the lease with no step-down.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"

LOSSY_PROXY=${LOSSY_PROXY:-$top_builddir/tests/system/lossy_proxy}
sys_require named nsupdate dig tsig-keygen "$LOSSY_PROXY" "$DNSFAILOVER"
sys_setup
sys_start_named hmac-sha256

PROXY_PORT=$(sys_free_port) || fail "no free port"
sys_spawn proxy "$LOSSY_PROXY" -p "$PROXY_PORT" -u "$NAMED_PORT" -P "$T/proxy.pid"
for _ in $(seq 50); do [ -s "$T/proxy.pid" ] && break; sleep 0.1; done
[ -s "$T/proxy.pid" ] || fail "lossy_proxy did not start; see proxy.log"

sys_write_config "$T/primary.env" DNS_PORT="$PROXY_PORT" DNS_TIMEOUT=1 DNS_RETRIES=2 \
	LEASE_TTL=8 UPDATE_INTERVAL=2 RENEW_DEADLINE=6 HEALTH_HOST=127.0.0.1 \
	HEALTH_PORT="$NAMED_PORT"

sys_log "run through the lossy relay: every renewal's first answer is lost"
sys_spawn primary "$DNSFAILOVER" -c "$T/primary.env" run
# A window of twice RENEW_DEADLINE: the holder must not step down or lose the lease in
# it; the lost answers and the retries are counted over the same window.
sleep 12
sys_kill primary
cat "$T/primary.log"
drops=$(grep -c "dropped the answer to UPDATE" "$T/proxy.log" || true)
[ "$drops" -ge 3 ] || fail "the relay lost only $drops answers; see proxy.log"
grep -q "was sent 2 times (answers lost) and a later copy found the lease changed" \
	"$T/primary.log" || fail "the retried renewal was not reported as unknown; see primary.log"
grep -q "Lost the lease" "$T/primary.log" &&
	fail "a retried renewal was taken for a rival's write; see primary.log"
grep -v "stepping down (shutting down)" "$T/primary.log" | grep -q "STANDBY" &&
	fail "the holder stepped down; see primary.log"
grep -q "Site is now ACTIVE" "$T/primary.log" || fail "the holder never became active; see primary.log"
assert_contains "$(sys_dig TXT)" "owner=primary" "the lease is still the primary's"

sys_log "promote through the relay: the answer is lost, the lease is read back"
# The primary's lease has expired by now (LEASE_TTL=8), so promote needs no --force.
for retries in 0 2; do
	# A fresh relay, so that the first answer it drops is promote's.
	port=$(sys_free_port) || fail "no free port"
	sys_spawn "proxy$retries" "$LOSSY_PROXY" -p "$port" -u "$NAMED_PORT" -P "$T/proxy$retries.pid"
	for _ in $(seq 50); do [ -s "$T/proxy$retries.pid" ] && break; sleep 0.1; done
	[ -s "$T/proxy$retries.pid" ] || fail "lossy_proxy did not start; see proxy$retries.log"
	sys_write_config "$T/dr.env" ROLE=dr DNS_PORT="$port" DNS_TIMEOUT=1 \
		DNS_RETRIES=$retries LEASE_TTL=8 UPDATE_INTERVAL=2 RENEW_DEADLINE=6
	before=$(sys_dig TXT)
	assert_exit 0 "promote with a lost answer (DNS_RETRIES=$retries)" -- \
		"$DNSFAILOVER" -c "$T/dr.env" promote
	assert_contains "$OUT" "the update applied" "promote reports what it read back"
	grep -q "dropped the answer to UPDATE" "$T/proxy$retries.log" ||
		fail "the relay lost no answer to promote; see proxy$retries.log"
	assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "and the failover"
	after=$(sys_dig TXT)
	[ "$after" != "$before" ] || fail "the lease did not change: $after"
	assert_contains "$after" "owner=dr" "the DR owns the lease"
	# Back to the primary for the next round, directly.
	sys_write_config "$T/direct.env" LEASE_TTL=8 UPDATE_INTERVAL=2 RENEW_DEADLINE=6
	assert_exit 0 "failback directly" -- "$DNSFAILOVER" -c "$T/direct.env" failback
done

sys_log "PASS"
