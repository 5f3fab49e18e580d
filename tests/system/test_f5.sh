#!/usr/bin/env bash
# The f5-gtm provider against the HTTPS stand-in of iControl REST (a CA made
# for the test, verified through F5_CA_FILE): the commands, the data-group
# layout a site of the earlier tool shares, the GTM pool member of the active
# site, the token (login, expiry, a new login, revocation at exit, Basic
# without a token service), the errors an operator can meet, and two daemons
# through a failover and a failback with the collector stand-in on exactly one
# site and a rival write noticed.
set -eu
. "$top_srcdir/tests/system/f5.sh"
pf_begin
umask 077 # the configurations below hold the password
f5_start_fake
# shellcheck disable=SC2046
pf_configs $(f5_keys)
P=$T/primary.env
DR=$T/dr.env

# expect_fail MSG CODE TEXT CONFIG COMMAND: the command exits CODE with TEXT
# and the fake's state is unchanged.
expect_fail()
{
	local msg=$1 code=$2 text=$3 conf=$4 cmd=$5 before
	before=$(rf_get __fake/state) || fail "$msg: the fake did not answer"
	assert_exit "$code" "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_eq "$(rf_get __fake/state)" "$before" "$msg: no change"
}

proxy_check "$P" "$RF_BASE"

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "F5_USERNAME $F5_USER accepted by $RF_BASE (token login)" "validate proves the credentials"
assert_contains "$OUT" "partition Common exists; data-group dns_failover_lease not there yet (run init)" "validate checks the partition"
assert_contains "$OUT" "GTM pool $F5_POOL readable" "validate checks the pool"
assert_contains "$OUT" "has no atomic compare-and-swap: iControl REST has no conditional write" "validate says the CAS is not atomic"
assert_exit 4 "show before init: not found" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "no lease data-group dns_failover_lease in partition Common" "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
group=$(f5_group)
assert_eq "$(cut -d= -f1 <<<"$group" | paste -sd' ')" "owner exp ip epoch" "the records of the earlier tool's layout"
assert_contains "$group" "owner=primary" "owner"
assert_contains "$group" "ip=192.0.2.10" "ip"
assert_contains "$group" "epoch=1" "epoch"
assert_eq "$(f5_members | paste -sd' ')" "192.0.2.10 enabled 192.0.2.20 disabled" "the primary's pool member enabled, the DR's disabled"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"A": "192.0.2.10"' "show: A"
assert_eq "$(f5_stat live_tokens)" 0 "every command revokes its token at exit"
[ "$(f5_stat revocations)" -ge 3 ] || fail "tokens were not revoked ($(f5_stat revocations))"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
assert_contains "$OUT" "GTM pool $F5_POOL: the member at 192.0.2.20 enabled, the others disabled" "promote sets the pool"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote: A and owner"
assert_eq "$(f5_members | paste -sd' ')" "192.0.2.10 disabled 192.0.2.20 enabled" "the DR's pool member enabled after promote"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"
assert_eq "$(f5_members | paste -sd' ')" "192.0.2.10 enabled 192.0.2.20 disabled" "the primary's pool member enabled after failback"

sys_log "a lease written by a site of the earlier tool (no epoch) is read and replaced"
f5_api PATCH /mgmt/tm/ltm/data-group/internal/~Common~dns_failover_lease \
	"{\"records\":[{\"name\":\"owner\",\"data\":\"dr\"},{\"name\":\"exp\",\"data\":\"$(($(date +%s) + 600))\"},{\"name\":\"ip\",\"data\":\"192.0.2.20\"}]}" >/dev/null
assert_exit 0 "show the earlier tool's lease" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"owner": "dr"' "its owner"
assert_contains "$OUT" '"A": "192.0.2.20"' "its address"
assert_exit 0 "failback over it" -- "$DNSFAILOVER" -c "$P" failback
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"

sys_log "errors: the password, the partition, the pool, TLS"
sed "s/^F5_PASSWORD=.*/F5_PASSWORD=wrong-password/" "$P" >"$T/badpass.env"
sed "s/^F5_PASSWORD=.*/F5_PASSWORD=wrong-password/" "$DR" >"$T/badpass-dr.env"
for cmd in validate show failback; do
	expect_fail "bad password: $cmd" 1 "F5_USERNAME and F5_PASSWORD were refused" "$T/badpass.env" "$cmd"
	assert_not_contains "$OUT" "wrong-password" "the password is never shown"
done
expect_fail "bad password: promote" 1 "Authentication failed." "$T/badpass-dr.env" promote
grep -v '^F5_PASSWORD=' "$P" >"$T/passfile.env"
printf '%s\n' "$F5_PASS" >"$T/f5-password"
chmod 600 "$T/f5-password"
echo "F5_PASSWORD_FILE=$T/f5-password" >>"$T/passfile.env"
assert_exit 0 "the password from F5_PASSWORD_FILE" -- "$DNSFAILOVER" -c "$T/passfile.env" show
grep -v '^F5_USERNAME=' "$P" >"$T/nouser.env"
assert_exit 2 "no user" -- "$DNSFAILOVER" -c "$T/nouser.env" show
assert_contains "$OUT" "DNS_PROVIDER=f5-gtm needs F5_USERNAME" "the message names the key"
cp "$P" "$T/badpart.env"
echo "F5_PARTITION=Tenant1" >>"$T/badpart.env"
expect_fail "unknown partition: validate" 1 "the BIG-IP has no partition Tenant1 (F5_PARTITION)" "$T/badpart.env" validate
expect_fail "unknown partition: show" 4 "no lease data-group dns_failover_lease in partition Tenant1" "$T/badpart.env" show
assert_contains "$OUT" "check F5_PARTITION" "show names the key"
sed 's|^F5_PARTITION=.*|F5_PARTITION=Ten/ant|' "$T/badpart.env" >"$T/badpart2.env"
assert_exit 2 "a malformed partition" -- "$DNSFAILOVER" -c "$T/badpart2.env" show
assert_contains "$OUT" "F5_PARTITION=Ten/ant is not a BIG-IP object name" "the message names the key"
sed 's/^F5_POOL_NAME=.*/F5_POOL_NAME=no_such_pool/' "$P" >"$T/badpool.env"
expect_fail "unknown pool: validate" 1 "the BIG-IP has no GTM pool (type A) no_such_pool in partition Common (F5_POOL_NAME)" "$T/badpool.env" validate
grep -v '^F5_CA_FILE=' "$P" >"$T/noca.env"
expect_fail "a certificate that does not verify" 1 "check F5_CA_FILE" "$T/noca.env" show
cp "$T/noca.env" "$T/noverify.env"
echo "F5_VERIFY_SSL=false" >>"$T/noverify.env"
assert_exit 0 "F5_VERIFY_SSL=false is honoured" -- "$DNSFAILOVER" -c "$T/noverify.env" show
assert_contains "$OUT" "F5_VERIFY_SSL=false: the certificate of $RF_BASE is not verified" "and warned"
assert_exit 0 "validate with F5_VERIFY_SSL=false" -- "$DNSFAILOVER" -c "$T/noverify.env" validate
assert_contains "$OUT" "WARNING: F5_VERIFY_SSL=false" "validate shows it"

sys_log "errors: a BIG-IP that hangs, fails, or loses the answer to a write"
echo hang >"$RF_MODE_FILE"
expect_fail "the BIG-IP hangs: promote" 1 "no answer from $RF_BASE within 2 s" "$DR" promote
echo error >"$RF_MODE_FILE"
expect_fail "HTTP 500: promote" 1 "HTTP 500" "$DR" promote
echo busy >"$RF_MODE_FILE"
expect_fail "HTTP 429: promote" 1 "rate limited by the BIG-IP: raise UPDATE_INTERVAL" "$DR" promote
echo apply-500 >"$RF_MODE_FILE"
assert_exit 0 "a lost answer to a write that applied" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "HTTP 502" "the outcome is unknown at first"
assert_contains "$OUT" "the lease read back holds what it wrote: the update applied" "then read back"
echo ok >"$RF_MODE_FILE"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "the lost-answer promote applied"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback

sys_log "writers racing from one lease: no conditional write, so more than one may win"
for n in 2 6; do
	out=$(timeout 30 "$top_builddir/tests/system/cas_race" -c "$P" -n "$n" 2>&1) || true
	[ "$(grep -c '^writer [0-9]*: \(won exp=[0-9]*\|conflict\)' <<<"$out")" -eq "$n" ] ||
		fail "$n writers: each must win or be told of a conflict: $out"
	winners=$(sed -n 's/^writer [0-9]*: won exp=//p' <<<"$out")
	[ -n "$winners" ] || fail "$n writers: none won: $out"
	final=$(f5_group | sed -n 's/^exp=//p')
	grep -qx "$final" <<<"$winners" || fail "$n writers: the data-group holds exp=$final, which no winner wrote: $out"
	sys_log "$n writers: $(grep -c . <<<"$winners") won (the data-group holds exp=$final, a winner's)"
done
assert_exit 0 "failback after the races" -- "$DNSFAILOVER" -c "$P" failback

sys_log "two daemons"
rival()
{
	f5_api PATCH /mgmt/tm/ltm/data-group/internal/~Common~dns_failover_lease \
		"{\"records\":[{\"name\":\"owner\",\"data\":\"primary\"},{\"name\":\"exp\",\"data\":\"$(($(date +%s) + 3))\"},{\"name\":\"ip\",\"data\":\"192.0.2.10\"},{\"name\":\"epoch\",\"data\":\"99\"}]}" >"$T/rival.out"
	grep -q '"generation"' "$T/rival.out" || fail "the rival's PATCH failed: $(cat "$T/rival.out")"
}
assert_exit 0 "init --force for the daemons" -- "$DNSFAILOVER" -c "$P" init --force
pf_daemons rival
assert_contains "$(cat "$T/primary.log")" "provider f5-gtm has no atomic compare-and-swap" "the start-up log says the CAS is not atomic"
assert_contains "$(cat "$T/dr.log")" "GTM pool $F5_POOL: the member at 192.0.2.20 enabled" "the DR's daemon set the pool at failover"
assert_contains "$(cat "$T/primary.log")" "as our last write left it: written since by someone else" "the holder logs the generation the rival's write left"

sys_log "a token of 4 s under a running daemon: extended while in use, a new login after expiry"
sys_kill f5
f5_start_fake -T 4
sed -i "s/^F5_HOST=.*/F5_HOST=$RF_HOSTPORT/" "$P" "$DR" # the watchers' keys stay
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
mv "$T/primary.log" "$T/primary-daemons.log"
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
extended() { [ "$(f5_stat extensions)" -ge 1 ]; }
sys_wait_for 8 "the daemon extending its token" extended
sleep 5 # past the 4 s the token had at its login: it lives on through the extension
assert_eq "$(grep -c "logging in again" "$T/primary.log" || true)" 0 "no new login while the extended token lives"
logins=$(f5_stat logins)
rf_get __fake/expire >/dev/null
fo_wait_log primary "the BIG-IP refused the token (HTTP 401): logging in again" 10
renewed=$(grep -c "Lease renewed" "$T/primary.log" || true)
renewed_again() { [ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -gt "$renewed" ]; }
sys_wait_for 10 "a renewal with the new token" renewed_again
[ "$(f5_stat logins)" -gt "$logins" ] || fail "no new login after the token expired"
assert_eq "$(f5_stat live_tokens)" 1 "one live token while the daemon runs"
fo_stop primary
assert_eq "$(f5_stat live_tokens)" 0 "the daemon revoked its token at exit"
sys_log "fake BIG-IP: $(rf_get __fake/stats | jq -r '"\(.requests) requests over \(.connections) TLS connections, \(.logins) logins, \(.extensions) extensions, \(.revocations) revocations"')"

sys_log "a BIG-IP without a token service: HTTP Basic"
sys_kill f5
f5_start_fake -B
sed -i "s/^F5_HOST=.*/F5_HOST=$RF_HOSTPORT/" "$P" "$DR"
assert_exit 0 "init over Basic" -- "$DNSFAILOVER" -c "$P" init
assert_contains "$OUT" "has no token login (HTTP 404): using HTTP Basic for F5_USERNAME" "the fallback is said"
assert_exit 0 "promote over Basic" -- "$DNSFAILOVER" -c "$DR" promote
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote over Basic: A and owner"
assert_eq "$(f5_stat logins)" 0 "no token was issued"
sys_log "PASS"
