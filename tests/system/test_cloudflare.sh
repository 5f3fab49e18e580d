#!/usr/bin/env bash
# The cloudflare provider against the HTTPS stand-in of the API (a CA made for
# the test, verified through CLOUDFLARE_CA_FILE): the commands, every error an
# operator can meet (refused token, unknown zone, a TTL below Cloudflare's
# minimum, an API that hangs or fails, a lost answer), writers racing one
# record id, and two daemons through a failover and a failback with the
# collector stand-in on exactly one site and a rival write noticed.
set -eu
. "$top_srcdir/tests/system/cloudflare.sh"
pf_begin
umask 077 # the configurations below hold the token
cf_start_fake
# shellcheck disable=SC2046
pf_configs $(cf_keys)
P=$T/primary.env
DR=$T/dr.env

# expect_fail MSG TEXT CONFIG COMMAND: the command fails (1, or 2 for a
# configuration refused) with TEXT and the fake's records are unchanged.
expect_fail()
{
	local msg=$1 text=$2 conf=$3 cmd=$4 before code=1
	before=$(cf_records)
	case $text in *DNS_TTL=*) code=2 ;; esac
	[ "$cmd" = validate ] && code=1
	assert_exit "$code" "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_eq "$(cf_records)" "$before" "$msg: no change"
}

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "CLOUDFLARE_API_TOKEN accepted by $CF_URL; zone $ZONE has id $CF_ZONE_ID" "validate proves the token and the zone"
assert_contains "$OUT" "has no atomic compare-and-swap: Cloudflare has no conditional write" "validate says the CAS is not atomic"
assert_exit 4 "show before init: not found" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "no lease TXT record at $RECORD in zone $ZONE" "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
records=$(cf_records)
assert_eq "$(grep -c . <<<"$records")" 2 "init creates one A and one TXT"
assert_contains "$records" "A " "an A record"
assert_contains "$records" "TXT " "a TXT record"
assert_contains "$records" '"owner=primary exp=' "the TXT is sent quoted"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"A": "192.0.2.10"' "show: A"
assert_contains "$OUT" '"epoch": 1,' "show: epoch"
txt_id=$(sed -n 's/^TXT \([0-9a-f]*\) .*/\1/p' <<<"$records")
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
records=$(cf_records)
assert_contains "$records" "A " "still an A"
assert_eq "$(grep -c '^TXT' <<<"$records")" 1 "one TXT after promote"
assert_not_contains "$records" "$txt_id" "promote replaced the TXT record (a new id)"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "promote: A and owner"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
assert_eq "$(pf_lease)" "192.0.2.10 primary" "failback: A and owner"
assert_contains "$("$DNSFAILOVER" -c "$P" show)" '"epoch": 3,' "each change of owner raises the epoch"
cf_api POST "/zones/$CF_ZONE_ID/dns_records" '{"type":"A","name":"'"$RECORD"'","content":"198.51.100.7","ttl":60}' >/dev/null
assert_eq "$(cf_records | grep -c '^A ')" 2 "a second A record made by hand"
assert_exit 0 "promote over two A records" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "holds 2 A records (192.0.2.10, 198.51.100.7)" "promote warns"
assert_eq "$(cf_records | grep '^A ' | cut -d' ' -f3)" 192.0.2.20 "the write leaves one A record"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback

sys_log "errors: the token, the zone, the TTL"
sed "s/^CLOUDFLARE_API_TOKEN=.*/CLOUDFLARE_API_TOKEN=wrong-token/" "$P" >"$T/badtoken.env"
sed "s/^CLOUDFLARE_API_TOKEN=.*/CLOUDFLARE_API_TOKEN=wrong-token/" "$DR" >"$T/badtoken-dr.env"
for cmd in validate show failback; do
	expect_fail "bad token: $cmd" "CLOUDFLARE_API_TOKEN was refused" "$T/badtoken.env" "$cmd"
done
expect_fail "bad token: promote" "CLOUDFLARE_API_TOKEN was refused" "$T/badtoken-dr.env" promote
assert_contains "$OUT" "error 9109" "the API's code is quoted"
assert_not_contains "$OUT" "wrong-token" "the token is never shown"
sed "s/^CLOUDFLARE_API_TOKEN=.*/CLOUDFLARE_API_TOKEN=$CF_READ_TOKEN/" "$DR" >"$T/readonly-dr.env"
assert_exit 0 "a read-only token passes validate" -- "$DNSFAILOVER" -c "$T/readonly-dr.env" validate
assert_contains "$OUT" "the DNS edit right shows at the first write" "validate says what it did not prove"
expect_fail "a read-only token: promote" "error 10000 \"Authentication error\": CLOUDFLARE_API_TOKEN was refused" "$T/readonly-dr.env" promote
grep -v '^CLOUDFLARE_API_TOKEN=' "$P" >"$T/tokenfile.env"
printf '%s\n' "$CF_TOKEN" >"$T/token"
chmod 600 "$T/token"
echo "CLOUDFLARE_API_TOKEN_FILE=$T/token" >>"$T/tokenfile.env"
assert_exit 0 "the token from CLOUDFLARE_API_TOKEN_FILE" -- "$DNSFAILOVER" -c "$T/tokenfile.env" show
cp "$P" "$T/badzone.env"
echo "CLOUDFLARE_ZONE_ID=ffffffffffffffffffffffffffffffff" >>"$T/badzone.env"
for cmd in validate show failback; do
	expect_fail "unknown zone id: $cmd" "the zone was not found: check CLOUDFLARE_ZONE_ID" "$T/badzone.env" "$cmd"
done
assert_contains "$OUT" "error 7003" "the API's code is quoted"
sed "s/^DNS_ZONE=.*/DNS_ZONE=example.net/; s/^DNS_RECORD=.*/DNS_RECORD=lease.example.net/" "$P" >"$T/otherzone.env"
expect_fail "unknown zone name" "no zone named example.net is visible to CLOUDFLARE_API_TOKEN" "$T/otherzone.env" validate
cp "$P" "$T/goodzone.env"
echo "CLOUDFLARE_ZONE_ID=$CF_ZONE_ID" >>"$T/goodzone.env"
assert_exit 0 "CLOUDFLARE_ZONE_ID spares the lookup" -- "$DNSFAILOVER" -c "$T/goodzone.env" validate
assert_contains "$OUT" "(CLOUDFLARE_ZONE_ID)" "validate names where the id came from"
sed "s/^DNS_TTL=.*/DNS_TTL=30/" "$P" >"$T/ttl.env"
for cmd in validate run init show; do
	expect_fail "DNS_TTL=30: $cmd" "DNS_TTL=30 is below Cloudflare's minimum TTL of 60 s (1 means automatic)" "$T/ttl.env" "$cmd"
done
sed "s/^DNS_TTL=.*/DNS_TTL=1/" "$P" >"$T/ttl1.env"
assert_exit 0 "DNS_TTL=1 (automatic) is accepted" -- "$DNSFAILOVER" -c "$T/ttl1.env" validate

sys_log "a proxy only when configured"
pport=$(sys_free_port)
sys_spawn proxy "$top_builddir/tests/system/connect_proxy" -p "$pport" -P "$T/proxy.ready"
sys_wait_for 5 "the proxy listening" test -s "$T/proxy.ready"
cp "$P" "$T/proxy.env"
echo "HTTPS_PROXY=http://127.0.0.1:$pport" >>"$T/proxy.env"
assert_exit 0 "show through HTTPS_PROXY, the proxy of every REST provider" -- \
	"$DNSFAILOVER" -c "$T/proxy.env" show
assert_contains "$(cat "$T/proxy.log")" "CONNECT ${CF_BASE#https://}" "the request went through the proxy"
assert_contains "$OUT" '"owner": "primary"' "and read the lease"
: >"$T/proxy.log"
# CLOUDFLARE_PROXY came first and overrides the shared key: HTTPS_PROXY names a
# port nobody listens on, so only the override can give an answer.
dead=$(sys_free_port)
cp "$P" "$T/proxy2.env"
printf 'HTTPS_PROXY=http://127.0.0.1:%s\nCLOUDFLARE_PROXY=http://127.0.0.1:%s\n' "$dead" "$pport" \
	>>"$T/proxy2.env"
assert_exit 0 "show through CLOUDFLARE_PROXY, which overrides HTTPS_PROXY" -- \
	"$DNSFAILOVER" -c "$T/proxy2.env" show
assert_contains "$(cat "$T/proxy.log")" "CONNECT ${CF_BASE#https://}" "the request went through CLOUDFLARE_PROXY"
: >"$T/proxy.log"
assert_exit 0 "libcurl's proxy variables in the environment are not used" -- \
	env https_proxy="http://127.0.0.1:$pport" ALL_PROXY="http://127.0.0.1:$pport" \
	"$DNSFAILOVER" -c "$P" show
assert_eq "$(cat "$T/proxy.log")" "" "no request went through the proxy"

sys_log "errors: an API that hangs, fails, or loses the answer to a write"
echo hang >"$CF_MODE_FILE"
expect_fail "the API hangs: promote" "no answer from $CF_URL within 2 s" "$DR" promote
expect_fail "the API hangs: show" "no answer from $CF_URL within 2 s" "$P" show
echo error >"$CF_MODE_FILE"
expect_fail "HTTP 500: promote" "HTTP 500" "$DR" promote
echo apply-500 >"$CF_MODE_FILE"
assert_exit 0 "a lost answer to a write that applied" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "HTTP 502 (unexpected body: <html><body>502 Bad Gateway</body></html>): server error: the outcome is unknown, read again" "the outcome is unknown at first"
assert_contains "$OUT" "the lease read back holds what it wrote: the update applied" "then read back"
echo ok >"$CF_MODE_FILE"
assert_eq "$(pf_lease)" "192.0.2.20 dr" "the lost-answer promote applied"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback

sys_log "writers racing from one record id: exactly one wins"
pf_races "$P" cf_records "the API" "changed since it was read" "error 81044"
assert_eq "$(cf_records | grep -c '^TXT')" 1 "one TXT after the races"

sys_log "two daemons"
rival()
{
	local id body
	id=$(cf_records | sed -n 's/^TXT \([0-9a-f]*\) .*/\1/p')
	body=$(printf '{"deletes":[{"id":"%s"}],"posts":[{"type":"TXT","name":"%s","content":"\\"owner=primary exp=%s epoch=99\\"","ttl":60}]}' \
		"$id" "$RECORD" "$(($(date +%s) + 3))")
	cf_api POST "/zones/$CF_ZONE_ID/dns_records/batch" "$body" >"$T/rival.out"
	grep -q '"success":true' "$T/rival.out" || fail "the rival's batch failed: $(cat "$T/rival.out")"
}
assert_exit 0 "init --force for the daemons" -- "$DNSFAILOVER" -c "$P" init --force
pf_daemons rival
start_log=$(cat "$T/primary.log")
assert_contains "$start_log" "provider cloudflare has no atomic compare-and-swap" "the start-up log says the CAS is not atomic"
handshakes=$(cf_stats connections)
requests=$(cf_stats requests)
sys_log "fake API: $requests requests over $handshakes TLS connections"
[ "$handshakes" -lt "$requests" ] || fail "no connection was reused ($handshakes connections for $requests requests)"
sys_log "a holder whose API hangs steps down on time"
assert_exit 0 "init --force" -- "$DNSFAILOVER" -c "$P" init --force
mv "$T/primary.log" "$T/primary-daemons.log"
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
held=$(grep -c ' (hang)$' "$T/cloudflare.log" || true)
echo hang >"$CF_MODE_FILE"
hung=$SECONDS
# A read in flight: the fake has it and does not answer.
more_held() { [ "$(grep -c ' (hang)$' "$T/cloudflare.log" || true)" -gt "$held" ]; }
sys_wait_for 3 "a request held by the fake" more_held
read -r pid _ <"$T/run/primary.pid"
# A reload cancels the call in flight (the next tick reads afresh) and does
# not move the step-down.
kill -HUP "$pid"
fo_wait_log primary "Configuration reloaded" 3
fo_wait_log primary "Site is now STANDBY" $((FO_D + 3))
sys_log "stepped down $((SECONDS - hung)) s after the API hung (RENEW_DEADLINE=$FO_D)"
assert_contains "$(cat "$T/primary.log")" "no answer from $CF_URL within" "the log says the API did not answer"
renewed=$(grep -c "Lease renewed" "$T/primary.log" || true)
echo ok >"$CF_MODE_FILE"
renewed_again() { [ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -gt "$renewed" ]; }
sys_wait_for 10 "a renewal once the API answers again" renewed_again
fo_stop primary
sys_log "PASS"
