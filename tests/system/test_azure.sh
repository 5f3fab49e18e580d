#!/usr/bin/env bash
# The azure-dns provider against the HTTPS stand-in of Entra ID and Azure DNS (a
# CA made for the test, verified through AZURE_CA_FILE; client id, secret, bearer
# token and etags checked): the commands, the errors an operator can meet (a wrong
# secret, client id or tenant, an unknown zone or resource group, a 403, an API
# that hangs or fails, a lost answer, a revoked token), writers racing one etag
# (exactly one wins the TXT), and two daemons through a failover and a failback
# with the collector stand-in on exactly one site and a rival write noticed.
set -eu
. "$top_srcdir/tests/system/azure.sh"
pf_begin
umask 077 # the configurations below hold the secret
az_start_fake -E 6 # tokens live 6 s: the daemons fetch new ones while they run
# shellcheck disable=SC2046
pf_configs $(az_keys)
P=$T/primary.env
DR=$T/dr.env

# expect_fail MSG TEXT CONFIG COMMAND: the command fails with TEXT, never shows the
# secret, and the fake's record sets are unchanged.
expect_fail()
{
	local msg=$1 text=$2 conf=$3 cmd=$4 before
	before=$(az_records)
	assert_exit 1 "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_not_contains "$OUT" "$AZ_SECRET" "$msg: the secret is never shown"
	assert_eq "$(az_records)" "$before" "$msg: no change"
}

proxy_check "$P" "$AZ_BASE"

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "Entra ID tenant $AZ_TENANT issued a token to AZURE_CLIENT_ID=$AZ_CLIENT" "validate proves the secret"
assert_contains "$OUT" "zone $ZONE. in resource group $AZ_RG readable" "validate reads the zone"
assert_contains "$OUT" "the compare-and-swap covers the TXT only and the A may lag one renewal" "validate says what the CAS covers"
assert_exit 4 "show before init: not found" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "no lease TXT record set lease in zone $ZONE." "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
records=$(az_records)
assert_eq "$(grep -c . <<<"$records")" 2 "init creates one A and one TXT set"
assert_contains "$records" "A lease 30 192.0.2.10" "the A set"
assert_contains "$records" "TXT lease 30 owner=primary exp=" "the TXT, without quotes"
assert_contains "$(cat "$T/azure.log")" "PUT /subscriptions/$AZ_SUB/resourceGroups/$AZ_RG/providers/Microsoft.Network/dnsZones/$ZONE/TXT/lease" "the record set's path"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"A": "192.0.2.10"' "show: A"
assert_contains "$OUT" '"epoch": 1,' "show: epoch"
txt_etag=$(az_etag TXT)
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote: A and owner"
[ "$(az_etag TXT)" != "$txt_etag" ] || fail "the TXT's etag did not change"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"

sys_log "errors: the secret, the client id, the tenant, the zone, the role"
sed "s/^AZURE_CLIENT_SECRET=.*/AZURE_CLIENT_SECRET=wrong-secret/" "$P" >"$T/badsecret.env"
sed "s/^AZURE_CLIENT_SECRET=.*/AZURE_CLIENT_SECRET=wrong-secret/" "$DR" >"$T/badsecret-dr.env"
for cmd in validate show failback; do
	expect_fail "a wrong secret: $cmd" "HTTP 401 invalid_client (AADSTS7000215: Invalid client secret provided." "$T/badsecret.env" "$cmd"
done
assert_contains "$OUT" "AZURE_CLIENT_SECRET was refused" "names the secret"
expect_fail "a wrong secret: promote" "AZURE_CLIENT_SECRET was refused" "$T/badsecret-dr.env" promote
grep -v '^AZURE_CLIENT_SECRET=' "$P" >"$T/secretfile.env"
printf '%s\n' "$AZ_SECRET" >"$T/secret"
chmod 600 "$T/secret"
echo "AZURE_CLIENT_SECRET_FILE=$T/secret" >>"$T/secretfile.env"
assert_exit 0 "the secret from AZURE_CLIENT_SECRET_FILE" -- "$DNSFAILOVER" -c "$T/secretfile.env" show
sed "s/^AZURE_CLIENT_ID=.*/AZURE_CLIENT_ID=99999999-2222-3333-4444-555555555555/" "$P" >"$T/badclient.env"
expect_fail "an unknown client id" "AZURE_CLIENT_ID is not an application in AZURE_TENANT_ID" "$T/badclient.env" show
sed "s/^AZURE_TENANT_ID=.*/AZURE_TENANT_ID=00000000-1111-2222-3333-444444444444/" "$P" >"$T/badtenant.env"
expect_fail "an unknown tenant" "AADSTS90002" "$T/badtenant.env" show
assert_contains "$OUT" "AZURE_TENANT_ID names no tenant" "names the tenant"
sed "s/^DNS_ZONE=.*/DNS_ZONE=example.net/; s/^DNS_RECORD=.*/DNS_RECORD=lease.example.net/" "$P" >"$T/badzone.env"
for cmd in validate show failback; do
	expect_fail "an unknown zone: $cmd" "HTTP 404 ParentResourceNotFound" "$T/badzone.env" "$cmd"
done
assert_contains "$OUT" "check DNS_ZONE, AZURE_RESOURCE_GROUP=$AZ_RG" "names the keys"
sed "s/^AZURE_RESOURCE_GROUP=.*/AZURE_RESOURCE_GROUP=rg-other/" "$P" >"$T/badrg.env"
expect_fail "an unknown resource group" "HTTP 404 ResourceGroupNotFound" "$T/badrg.env" show
echo forbidden >"$AZ_MODE_FILE"
expect_fail "403: promote" "HTTP 403 AuthorizationFailed" "$DR" promote
assert_contains "$OUT" "needs the DNS Zone Contributor role on zone $ZONE." "names the role"
echo ok >"$AZ_MODE_FILE"

sys_log "errors: an API that hangs, fails, or loses the answer to a write"
echo hang >"$AZ_MODE_FILE"
expect_fail "the API hangs: promote" "no answer from $AZ_BASE within 2 s" "$DR" promote
echo error >"$AZ_MODE_FILE"
expect_fail "HTTP 500: promote" "HTTP 500" "$DR" promote
echo apply-500 >"$AZ_MODE_FILE"
# The TXT applied, its answer was lost, so the A was not written: the command
# reads back, sees the A lag and says so; the next write repairs it.
assert_exit 1 "a lost answer to a write that applied" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "the outcome of the write of lease is unknown" "the outcome is unknown at first"
assert_contains "$OUT" 'the lease read back holds "owner=dr' "then read back: the TXT applied"
assert_contains "$OUT" "(A 192.0.2.10)" "and the A lags"
echo ok >"$AZ_MODE_FILE"
assert_eq "$(pf_lease)" "192.0.2.10 dr" "the TXT names the DR, the A lags"
# promote again: the DR holds the TXT, but the A still points at the primary.
assert_exit 0 "promote again repairs the A" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "has A 192.0.2.10, not 192.0.2.20: writing it again" "it says why it writes"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "the A follows the TXT"
assert_exit 0 "promote once more has nothing to change" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "already holds the lease" "nothing to change"
assert_exit 0 "failback writes both again" -- "$DNSFAILOVER" -c "$P" failback
assert_eq "$(pf_lease)" "192.0.2.10 primary" "A and owner after failback"

sys_log "writers racing from one etag: exactly one wins the TXT"
pf_races "$P" az_records "the API" "HTTP 412 PreconditionFailed"

sys_log "two daemons"
rival()
{
	local body
	body=$(printf '{"properties":{"TTL":30,"TXTRecords":[{"value":["owner=primary exp=%s epoch=99"]}]}}' "$(($(date +%s) + 3))")
	az_put TXT "$body" "$(az_etag TXT)" >"$T/rival.out"
	grep -q '"etag"' "$T/rival.out" || fail "the rival's write failed: $(cat "$T/rival.out")"
}
assert_exit 0 "init --force for the daemons" -- "$DNSFAILOVER" -c "$P" init --force
tokens=$(az_stats tokens)
pf_daemons rival
sys_log "fake API: $(az_stats requests) requests over $(az_stats connections) TLS connections, $(($(az_stats tokens) - tokens)) tokens"
[ "$(az_stats tokens)" -gt $((tokens + 2)) ] || fail "the daemons did not fetch new tokens as theirs expired"
before=$(az_stats tokens)
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_eq "$(($(az_stats tokens) - before))" 1 "a command fetches one token and uses it for every request"
assert_contains "$(cat "$T/primary.log")" "provider azure-dns has no atomic compare-and-swap" "the start-up log says what the CAS covers"

pf_token_revoked "$AZ_BASE"
sys_log "PASS"
