#!/usr/bin/env bash
# The gcp-dns provider against the HTTPS stand-in of Google's token endpoint and
# Cloud DNS (a CA made for the test, verified through GCP_CA_FILE; the JWT checked
# with the service account's public key): the commands, the errors an operator can
# meet (a key the endpoint refuses, a key file others may read, an unknown managed
# zone, a 403, an API that hangs or fails, a lost answer, a revoked token), writers
# racing one change (exactly one wins), and two daemons through a failover and a
# failback with the collector stand-in on exactly one site and a rival write noticed.
set -eu
. "$top_srcdir/tests/system/gcp.sh"
pf_begin
umask 077
gcp_start_fake -E 6 # tokens live 6 s: the daemons fetch new ones while they run
# shellcheck disable=SC2046
pf_configs $(gcp_keys)
P=$T/primary.env
DR=$T/dr.env

# expect_fail MSG TEXT CONFIG COMMAND [CODE]: the command fails with TEXT and the
# fake's record sets are unchanged.
expect_fail()
{
	local msg=$1 text=$2 conf=$3 cmd=$4 code=${5:-1} before
	before=$(gcp_records)
	assert_exit "$code" "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_eq "$(gcp_records)" "$before" "$msg: no change"
}

proxy_check "$P" "$GCP_BASE"

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "service account $GCP_EMAIL" "validate names the service account"
assert_contains "$OUT" "the token endpoint $GCP_BASE/token issued an access token" "validate proves the key"
assert_contains "$OUT" "managed zone $GCP_ZONE of project $GCP_PROJECT readable" "validate reads the zone"
assert_not_contains "$OUT" "no atomic compare-and-swap" "the CAS is atomic"
assert_exit 4 "show before init: not found" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "no lease TXT record at $RECORD. in managed zone $GCP_ZONE" "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
records=$(gcp_records)
assert_eq "$(grep -c . <<<"$records")" 2 "init creates one A and one TXT set"
assert_contains "$records" "A 30 192.0.2.10" "the A set"
assert_contains "$records" 'TXT 30 "owner=primary exp=' "the TXT is sent quoted"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"A": "192.0.2.10"' "show: A"
assert_contains "$OUT" '"epoch": 1,' "show: epoch"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote: A and owner"
assert_eq "$(gcp_records | grep -c .)" 2 "still one A and one TXT set"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"
assert_contains "$(grep 'POST /dns/v1' "$T/gcp.log" | head -n 1)" "/changes" "writes are changes.create"
assert_contains "$(cat "$T/gcp.log")" "GET /dns/v1/projects/$GCP_PROJECT/managedZones/$GCP_ZONE/changes/" "a pending change is polled"

sys_log "errors: the key, the key file, the zone, the roles"
_gcp_key_file "$T/other-sa.pem" "$GCP_EMAIL" "$T/other-sa.json"
sed "s|^GCP_CREDENTIALS_FILE=.*|GCP_CREDENTIALS_FILE=$T/other-sa.json|" "$P" >"$T/badkey.env"
sed "s|^GCP_CREDENTIALS_FILE=.*|GCP_CREDENTIALS_FILE=$T/other-sa.json|" "$DR" >"$T/badkey-dr.env"
for cmd in validate show failback; do
	expect_fail "a key the endpoint refuses: $cmd" "refused service account $GCP_EMAIL of GCP_CREDENTIALS_FILE=$T/other-sa.json: HTTP 400 invalid_grant (Invalid JWT Signature.)" "$T/badkey.env" "$cmd"
done
expect_fail "a key the endpoint refuses: promote" "invalid_grant" "$T/badkey-dr.env" promote
assert_not_contains "$OUT" "PRIVATE KEY" "the key is never shown"
cp "$GCP_KEY_FILE" "$T/open-sa.json"
chmod 644 "$T/open-sa.json"
sed "s|^GCP_CREDENTIALS_FILE=.*|GCP_CREDENTIALS_FILE=$T/open-sa.json|" "$P" >"$T/openkey.env"
expect_fail "a key file others may read" "GCP_CREDENTIALS_FILE" "$T/openkey.env" show
assert_contains "$OUT" "readable by group and others" "the message says what is wrong"
assert_contains "$OUT" "chmod" "and how to fix it"
sed "s/^GCP_MANAGED_ZONE=.*/GCP_MANAGED_ZONE=other-zone/" "$P" >"$T/badzone.env"
for cmd in validate show failback; do
	expect_fail "unknown managed zone: $cmd" "HTTP 404 notFound" "$T/badzone.env" "$cmd"
done
assert_contains "$OUT" "check GCP_MANAGED_ZONE=other-zone and GCP_PROJECT_ID=$GCP_PROJECT" "names the keys"
echo forbidden >"$GCP_MODE_FILE"
expect_fail "403: show" "HTTP 403 forbidden" "$P" show
expect_fail "403: promote" "it needs the DNS Administrator role (roles/dns.admin) on project $GCP_PROJECT" "$DR" promote
echo ok >"$GCP_MODE_FILE"

sys_log "errors: an API that hangs, fails, or loses the answer to a write; a revoked token"
echo hang >"$GCP_MODE_FILE"
expect_fail "the API hangs: promote" "no answer from $GCP_BASE" "$DR" promote
echo error >"$GCP_MODE_FILE"
expect_fail "HTTP 500: promote" "HTTP 500" "$DR" promote
echo apply-500 >"$GCP_MODE_FILE"
assert_exit 0 "a lost answer to a write that applied" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "the outcome of the change of $RECORD. is unknown" "the outcome is unknown at first"
assert_contains "$OUT" "the lease read back holds what it wrote: the update applied" "then read back"
echo ok >"$GCP_MODE_FILE"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "the lost-answer promote applied"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback

sys_log "writers racing from one lease: exactly one wins"
pf_races "$P" gcp_records "the API" "412 conditionNotMet"
assert_eq "$(gcp_records | grep -c '^TXT')" 1 "one TXT set after the races"

sys_log "two daemons"
# The rival's read and write race the holder's renewals (one a second): a
# conditionNotMet means the holder renewed in between, so it reads again.
rival()
{
	local txt body token try
	token=$(gcp_token)
	for try in 1 2 3 4 5; do
		txt=$(curl -sS --cacert "$T/ca.pem" "$GCP_BASE/__fake/records" | jq -c '.[] | select(.type == "TXT") | {name, type, ttl, rrdatas}')
		body=$(jq -n --argjson old "$txt" --arg v "\"owner=primary exp=$(($(date +%s) + 3)) epoch=99\"" \
			'{deletions: [$old], additions: [$old | .rrdatas = [$v]]}')
		gcp_change "$body" "$token" >"$T/rival.out"
		grep -q '"kind":"dns#change"' "$T/rival.out" && return 0
		grep -q conditionNotMet "$T/rival.out" || break
		sys_log "the rival lost a race with a renewal (try $try): reading again"
	done
	fail "the rival's change failed: $(cat "$T/rival.out")"
}
assert_exit 0 "init --force for the daemons" -- "$DNSFAILOVER" -c "$P" init --force
tokens=$(gcp_stats tokens)
pf_daemons rival
sys_log "fake API: $(gcp_stats requests) requests over $(gcp_stats connections) TLS connections, $(($(gcp_stats tokens) - tokens)) tokens"
[ "$(gcp_stats tokens)" -gt $((tokens + 2)) ] || fail "the daemons did not fetch new tokens as theirs expired"
before=$(gcp_stats tokens)
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_eq "$(($(gcp_stats tokens) - before))" 1 "a command fetches one token and uses it for every request"
assert_not_contains "$(cat "$T/primary.log")" "has no atomic compare-and-swap" "no CAS warning at start-up"

pf_token_revoked "$GCP_BASE"
sys_log "PASS"
