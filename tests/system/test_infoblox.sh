#!/usr/bin/env bash
# The infoblox provider against the HTTPS stand-in of the WAPI (a CA made for
# the test, verified through INFOBLOX_CA_FILE): the commands, the errors an
# operator can meet (a refused password, a view or WAPI version the grid does
# not have, INFOBLOX_VERIFY_SSL=false, an unverifiable certificate, a grid that
# hangs or fails, a lost answer), writers racing one lease, and two daemons
# through a failover and a failback with the collector stand-in on exactly one
# site and a rival write noticed.
set -eu
. "$top_srcdir/tests/system/infoblox.sh"
pf_begin
umask 077 # the configurations below hold the password
ib_start_fake
# shellcheck disable=SC2046
pf_configs $(ib_keys)
P=$T/primary.env
DR=$T/dr.env

# expect_fail MSG TEXT CONFIG COMMAND: the command fails (1) with TEXT and the
# fake's records are unchanged.
expect_fail()
{
	local msg=$1 text=$2 conf=$3 cmd=$4 before
	before=$(ib_records)
	assert_exit 1 "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_eq "$(ib_records)" "$before" "$msg: no change"
}

proxy_check "$P" "$RF_BASE"

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "INFOBLOX_USERNAME $IB_USER accepted by $IB_URL (WAPI $IB_WAPI); view default exists" "validate proves the credentials and the view"
assert_contains "$OUT" "has no atomic compare-and-swap: Infoblox has no conditional write" "validate says the CAS is not atomic"
assert_contains "$OUT" "not documented by Infoblox (an assumption)" "validate says the all-or-nothing request is an assumption"
assert_contains "$(cat "$T/infoblox.log")" "ASSUMPTION: a multi-object request runs all or nothing" "the fake marks it as an assumption"
assert_exit 4 "show before init: not found" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "no lease TXT record at $RECORD in view default" "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
records=$(ib_records)
assert_eq "$(grep -c . <<<"$records")" 2 "init creates one A and one TXT"
assert_contains "$records" "A 192.0.2.10" "the A record"
assert_contains "$records" 'TXT "owner=primary exp=' "the TXT is sent quoted"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"A": "192.0.2.10"' "show: A"
assert_contains "$OUT" '"epoch": 1,' "show: epoch"
refs=$(ib_refs)
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote: A and owner"
assert_eq "$(ib_records | grep -c .)" 2 "still one A and one TXT"
for r in $refs; do
	assert_not_contains "$(ib_refs)" "$r" "the write changed every _ref"
done
grep -q 'POST /wapi/v2.11/request' "$T/infoblox.log" || fail "promote did not use the multi-object request"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"
assert_contains "$("$DNSFAILOVER" -c "$P" show)" '"epoch": 3,' "each change of owner raises the epoch"

sys_log "errors: the password, the view, the WAPI version, TLS"
sed "s/^INFOBLOX_PASSWORD=.*/INFOBLOX_PASSWORD=wrong-password/" "$P" >"$T/badpass.env"
sed "s/^INFOBLOX_PASSWORD=.*/INFOBLOX_PASSWORD=wrong-password/" "$DR" >"$T/badpass-dr.env"
for cmd in validate show failback; do
	expect_fail "bad password: $cmd" "INFOBLOX_USERNAME and INFOBLOX_PASSWORD were refused" "$T/badpass.env" "$cmd"
	assert_not_contains "$OUT" "wrong-password" "the password is never shown"
done
expect_fail "bad password: promote" "HTTP 401" "$T/badpass-dr.env" promote
grep -v '^INFOBLOX_PASSWORD=' "$P" >"$T/passfile.env"
printf '%s\n' "$IB_PASSWORD" >"$T/ib-password"
chmod 600 "$T/ib-password"
echo "INFOBLOX_PASSWORD_FILE=$T/ib-password" >>"$T/passfile.env"
assert_exit 0 "the password from INFOBLOX_PASSWORD_FILE" -- "$DNSFAILOVER" -c "$T/passfile.env" show
grep -v '^INFOBLOX_PASSWORD=' "$P" >"$T/nopass.env"
assert_exit 2 "no password" -- "$DNSFAILOVER" -c "$T/nopass.env" show
assert_contains "$OUT" "DNS_PROVIDER=infoblox needs INFOBLOX_PASSWORD (or INFOBLOX_PASSWORD_FILE)" "the message names the key"
cp "$P" "$T/badview.env"
echo "INFOBLOX_VIEW=internal" >>"$T/badview.env"
expect_fail "unknown view: validate" "the grid has no DNS view named \"internal\" (INFOBLOX_VIEW)" "$T/badview.env" validate
for cmd in show failback; do
	expect_fail "unknown view: $cmd" "View internal not found\": not found: check INFOBLOX_VIEW" "$T/badview.env" "$cmd"
done
cp "$P" "$T/badver.env"
echo "INFOBLOX_WAPI_VERSION=v2.5" >>"$T/badver.env"
for cmd in validate show; do
	expect_fail "unknown WAPI version: $cmd" "Unknown WAPI version v2.5\": the grid refused the request's form: check INFOBLOX_WAPI_VERSION" "$T/badver.env" "$cmd"
done
echo "INFOBLOX_WAPI_VERSION=2.11" >>"$T/badver.env"
assert_exit 2 "a malformed WAPI version" -- "$DNSFAILOVER" -c "$T/badver.env" show
assert_contains "$OUT" "INFOBLOX_WAPI_VERSION" "the message names the key"
grep -v '^INFOBLOX_CA_FILE=' "$P" >"$T/noca.env"
expect_fail "a certificate that does not verify" "check INFOBLOX_CA_FILE" "$T/noca.env" show
cp "$T/noca.env" "$T/noverify.env"
echo "INFOBLOX_VERIFY_SSL=false" >>"$T/noverify.env"
assert_exit 0 "INFOBLOX_VERIFY_SSL=false is honoured" -- "$DNSFAILOVER" -c "$T/noverify.env" show
assert_contains "$OUT" "INFOBLOX_VERIFY_SSL=false: the certificate of $IB_URL is not verified" "and warned"
assert_exit 0 "validate with INFOBLOX_VERIFY_SSL=false" -- "$DNSFAILOVER" -c "$T/noverify.env" validate
assert_contains "$OUT" "WARNING: INFOBLOX_VERIFY_SSL=false" "validate shows it"

sys_log "errors: a grid that hangs, fails, or loses the answer to a write"
echo hang >"$RF_MODE_FILE"
expect_fail "the grid hangs: promote" "no answer from $IB_URL within 2 s" "$DR" promote
expect_fail "the grid hangs: show" "no answer from $IB_URL within 2 s" "$P" show
echo error >"$RF_MODE_FILE"
expect_fail "HTTP 500: promote" "HTTP 500" "$DR" promote
echo busy >"$RF_MODE_FILE"
expect_fail "HTTP 429: promote" "HTTP 429 (unexpected body: <html><body>429 Too Many Requests</body></html>): rate limited by the grid: raise UPDATE_INTERVAL" "$DR" promote
echo apply-500 >"$RF_MODE_FILE"
assert_exit 0 "a lost answer to a write that applied" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "HTTP 502" "the outcome is unknown at first"
assert_contains "$OUT" "the lease read back holds what it wrote: the update applied" "then read back"
echo ok >"$RF_MODE_FILE"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "the lost-answer promote applied"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback

sys_log "writers racing from one lease: exactly one wins"
pf_races "$P" ib_records "the grid" \
	"the lease changed since it was read (the filter on its exact text matched nothing)"
assert_eq "$(ib_records | grep -c '^TXT')" 1 "one TXT after the races"

sys_log "two daemons"
rival()
{
	local ref
	ref=$(ib_api GET "record:txt?name=$RECORD&view=default" | jq -r '.[0]._ref')
	ib_api PUT "$ref" "$(printf '{"text":"\\"owner=primary exp=%s epoch=99\\""}' "$(($(date +%s) + 3))")" >"$T/rival.out"
	grep -q '^"record:txt/' "$T/rival.out" || fail "the rival's PUT failed: $(cat "$T/rival.out")"
}
assert_exit 0 "init --force for the daemons" -- "$DNSFAILOVER" -c "$P" init --force
pf_daemons rival
assert_contains "$(cat "$T/primary.log")" "provider infoblox has no atomic compare-and-swap" "the start-up log says the CAS is not atomic"
sys_log "fake WAPI: $(rf_get __fake/stats | jq -r '"\(.requests) requests over \(.connections) TLS connections"')"
sys_log "PASS"
