#!/usr/bin/env bash
# dnsrecordsd against the suite's named: every verb checked with dig, routing
# between two zones, validation failures (a 4xx naming the field, nothing sent),
# conflicts, an If-Match race, auth and scopes, the audit log, verify against a
# server that lags, listing by signed AXFR and its cache.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/records.sh"
sys_setup
sys_require curl jq named dig nsupdate
SYS_NAMED_CONF=rec_named_conf sys_start_named hmac-sha256
rec_start_lagging
REC_VERIFY="verify_servers = 127.0.0.1:$NAMED_PORT 127.0.0.1:$LAG_PORT"
rec_write_config
"$DNSRECORDSD" -c "$T/records.conf" -n >"$T/check.out" 2>&1 || fail "dnsrecordsd -n refused the config: $(cat "$T/check.out")"
assert_contains "$(cat "$T/check.out")" "2 zones, 3 tokens" "dnsrecordsd -n"
rec_start

serial()
{
	dig @127.0.0.1 -p "$NAMED_PORT" +short +norec example.test SOA | awk '{ print $3 }'
}
audit_lines()
{
	if [ -f "$T/audit.log" ]; then wc -l <"$T/audit.log"; else echo 0; fi
}

sys_log "register (POST) an A record, as the seed's orchestrator does"
rec_call POST /api/v1/dns/records '{"name":"web-01.example.test","type":"A","value":"192.168.1.10"}'
rec_expect 201 "register web-01"
assert_eq "$(jq -r .success <<<"$REC_BODY")" true "envelope success"
assert_eq "$(jq -r .data.ttl <<<"$REC_BODY")" 300 "ttl defaults to 300"
assert_eq "$(rec_dig web-01.example.test A)" 192.168.1.10 "dig after register"
assert_eq "$(dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer web-01.example.test A | awk '{ print $2 }')" 300 "TTL on the server"
assert_eq "$(audit_lines)" 1 "one audit line for the change"
line=$(tail -n 1 "$T/audit.log")
assert_eq "$(jq -r .token <<<"$line")" provisioner "audit token name"
assert_eq "$(jq -r .outcome <<<"$line")" created "audit outcome"
assert_eq "$(jq -r .client <<<"$line")" 127.0.0.1 "audit client"
assert_eq "$(jq -r '.after[0].value' <<<"$line")" 192.168.1.10 "audit after"
assert_eq "$(jq -r .before <<<"$line")" null "audit before"
assert_not_contains "$(cat "$T/audit.log" "$T/dnsrecordsd.log")" "$TOK_PROV" "the token is never logged"

sys_log "the same register again is idempotent; another value is a 409 showing the current one"
rec_call POST /api/v1/dns/records '{"name":"web-01.example.test","type":"A","value":"192.168.1.10"}'
rec_expect 200 "register again"
rec_call POST /api/v1/dns/records '{"name":"web-01.example.test","type":"A","value":"192.168.1.11"}'
rec_expect 409 "register over another value"
assert_eq "$(jq -r '.error.code' <<<"$REC_BODY")" conflict "conflict code"
assert_eq "$(jq -r '.error.current[0].value' <<<"$REC_BODY")" 192.168.1.10 "conflict shows what is there"
assert_eq "$(rec_dig web-01.example.test A)" 192.168.1.10 "unchanged after the conflict"

sys_log "CNAME exclusivity, both ways"
rec_call POST /api/v1/dns/records '{"name":"web-01.example.test","type":"CNAME","value":"other.example.test"}'
rec_expect 409 "CNAME onto a name with an A"
rec_call POST /api/v1/dns/records '{"name":"alias.example.test","type":"CNAME","value":"web-01.example.test"}'
rec_expect 201 "register a CNAME"
rec_call POST /api/v1/dns/records '{"name":"alias.example.test","type":"TXT","value":"x"}'
rec_expect 409 "TXT next to a CNAME"
assert_eq "$(rec_dig alias.example.test CNAME)" web-01.example.test. "dig CNAME"
assert_eq "$(rec_dig alias.example.test TXT)" "" "no TXT next to the CNAME"

sys_log "multi-zone routing: other.test, AAAA, TXT with underscore, SRV with several values"
rec_call POST /api/v1/dns/records '{"name":"db.other.test","type":"AAAA","values":["2001:db8::2","2001:db8::1"],"ttl":120}'
rec_expect 201 "AAAA in other.test"
assert_eq "$(jq -r .data.zone <<<"$REC_BODY")" other.test "routed to other.test"
assert_eq "$(rec_dig db.other.test AAAA | tr '\n' ' ')" "2001:db8::1 2001:db8::2 " "dig AAAA"
rec_call POST /api/v1/dns/records '{"name":"_acme-challenge.example.test","type":"TXT","value":"token-123"}'
rec_expect 201 "TXT with an underscore label"
assert_eq "$(rec_dig _acme-challenge.example.test TXT)" '"token-123"' "dig TXT"
rec_call POST /api/v1/dns/records '{"name":"_sip._tcp.example.test","type":"SRV","values":["10 5 5060 sip1.example.test","20 5 5060 sip2.example.test"]}'
rec_expect 201 "SRV"
assert_eq "$(rec_dig _sip._tcp.example.test SRV | tr '\n' ' ')" "10 5 5060 sip1.example.test. 20 5 5060 sip2.example.test. " "dig SRV"

sys_log "validation: each refusal names the field and sends nothing"
before_serial=$(serial)
before_audit=$(audit_lines)
check_invalid()
{
	local body=$1 want_status=$2 want_field=$3
	rec_call POST /api/v1/dns/records "$body"
	rec_expect "$want_status" "invalid body $body"
	assert_eq "$(jq -r .success <<<"$REC_BODY")" false "error envelope for $body"
	assert_eq "$(jq -r .error.field <<<"$REC_BODY")" "$want_field" "field named for $body"
	[ -n "$(jq -r .error.message <<<"$REC_BODY")" ] || fail "no message for $body"
}
check_invalid '{"name":"bad_name.example.test","type":"A","value":"192.0.2.1"}' 400 name
check_invalid '{"name":"-x.example.test","type":"A","value":"192.0.2.1"}' 400 name
check_invalid '{"name":"v4.example.test","type":"A","value":"2001:db8::1"}' 400 value
check_invalid '{"name":"v6.example.test","type":"AAAA","value":"192.0.2.1"}' 400 value
check_invalid '{"name":"t.example.test","type":"A","value":"192.0.2.1","ttl":5}' 400 ttl
check_invalid '{"name":"t.example.test","type":"A","value":"192.0.2.1","ttl":"300"}' 400 ttl
check_invalid '{"name":"t.example.test","type":"MX","value":"x"}' 400 type
check_invalid '{"name":"t.example.test","type":"CNAME","values":["a.example.test","b.example.test"]}' 400 values
check_invalid '{"name":"t.example.test","type":"SRV","value":"1 2 70000 x.example.test"}' 400 value
check_invalid "{\"name\":\"t.example.test\",\"type\":\"TXT\",\"value\":\"$(head -c 3000 /dev/zero | tr '\0' a)\"}" 400 value
check_invalid '{"name":"web.example.org","type":"A","value":"192.0.2.1"}' 422 name
assert_contains "$REC_BODY" "example.test., other.test." "422 names the zones served"
check_invalid '{"name":' 400 body
assert_eq "$(serial)" "$before_serial" "nothing was sent for invalid requests"
assert_eq "$(audit_lines)" "$before_audit" "invalid requests change nothing"

sys_log "auth: no token, wrong token, read-only token, out-of-scope zone"
rec_call GET /api/v1/dns/records "" ""
rec_expect 401 "no token"
assert_contains "$(cat "$T/headers")" "WWW-Authenticate: Bearer" "401 carries WWW-Authenticate"
rec_call GET /api/v1/dns/records "" "wrong0123456789abcdef0123456789"
rec_expect 401 "wrong token"
rec_call POST /api/v1/dns/records '{"name":"ro.example.test","type":"A","value":"192.0.2.1"}' "$TOK_RO"
rec_expect 403 "read-only token writes"
rec_call POST /api/v1/dns/records '{"name":"x.example.test","type":"A","value":"192.0.2.1"}' "$TOK_OTHER"
rec_expect 403 "token scoped to other.test writes example.test"
assert_contains "$REC_BODY" "otheronly" "403 names the token"
assert_eq "$(rec_dig ro.example.test A)$(rec_dig x.example.test A)" "" "refused requests sent nothing"
rec_call POST /api/v1/dns/records '{"name":"x.other.test","type":"A","value":"192.0.2.7"}' "$TOK_OTHER"
rec_expect 201 "scoped token in its zone"

sys_log "GET one name, ETag, PUT with If-Match: a race of two clients, one wins"
rec_call GET /api/v1/dns/records/web-01.example.test
rec_expect 200 "get web-01"
assert_eq "$(jq -r '.data[0].value' <<<"$REC_BODY")" 192.168.1.10 "get value"
etag=$(rec_header ETag)
[ -n "$etag" ] || fail "no ETag on GET"
rec_call PUT /api/v1/dns/records/web-01.example.test '{"type":"A","value":"192.168.1.20"}' "$TOK_PROV" "If-Match: $etag" &
p1=$!
(
	REC_STATUS=
	T2=$T/c2
	mkdir -p "$T2"
	code=$(curl -s -o "$T2/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOK_PROV" \
		-H "If-Match: $etag" -H 'Content-Type: application/json' \
		--data-binary '{"type":"A","value":"192.168.1.30"}' \
		"http://127.0.0.1:$REC_PORT/api/v1/dns/records/web-01.example.test")
	echo "$code" >"$T2/status"
) &
p2=$!
wait "$p1" "$p2"
s1=$(cat "$T/c2/status")
rec_call GET /api/v1/dns/records/web-01.example.test
final=$(jq -r '.data[0].value' <<<"$REC_BODY")
case "$final" in 192.168.1.20 | 192.168.1.30) ;; *) fail "after the race the value is $final" ;; esac
assert_eq "$(rec_dig web-01.example.test A)" "$final" "dig agrees with the winner"
wins=$(grep -c '"outcome":"replaced"' "$T/audit.log")
conflicts=$(grep -c '"action":"replace".*"status":409' "$T/audit.log")
assert_eq "$wins" 1 "exactly one If-Match writer won"
assert_eq "$conflicts" 1 "the other got a 409"
case "$s1" in 200 | 409) ;; *) fail "second racer got $s1" ;; esac
rec_call PUT /api/v1/dns/records/web-01.example.test '{"type":"A","value":"192.168.1.40"}' "$TOK_PROV" "If-Match: $etag"
rec_expect 409 "a stale If-Match"
assert_eq "$(jq -r '.error.current[0].value' <<<"$REC_BODY")" "$final" "409 shows the current value"
rec_call PUT /api/v1/dns/records/nothere.example.test '{"type":"A","value":"192.0.2.1"}' "$TOK_PROV" 'If-Match: "0000000000000000"'
rec_expect 412 "If-Match on a missing record"
rec_call PUT /api/v1/dns/records/nothere.example.test '{"type":"A","value":"192.0.2.1"}'
rec_expect 404 "PUT of a missing record"
rec_call PUT /api/v1/dns/records/web-01.example.test '{"type":"A","values":["192.168.1.50","192.168.1.51"],"ttl":60}'
rec_expect 200 "PUT without If-Match"
assert_eq "$(rec_dig web-01.example.test A | tr '\n' ' ')" "192.168.1.50 192.168.1.51 " "dig after PUT"

sys_log "list by signed AXFR: filters, paging, the cache by SOA serial"
rec_call GET '/api/v1/dns/records?zone=example.test&type=A'
rec_expect 200 "list"
assert_eq "$(jq -r '[.data[].name] | join(",")' <<<"$REC_BODY")" "ns1.example.test,web-01.example.test" "list A of example.test"
rec_call GET '/api/v1/dns/records?zone=example.test&limit=2&offset=1'
assert_eq "$(jq -r '.data | length' <<<"$REC_BODY")" 2 "limit"
assert_eq "$(jq -r '.paging.total' <<<"$REC_BODY")" "$(rec_call GET '/api/v1/dns/records?zone=example.test' && jq -r '.data | length' <<<"$REC_BODY")" "total"
rec_call GET '/api/v1/dns/records?name=db.other.test'
assert_eq "$(jq -r '.data[0].values | join(",")' <<<"$REC_BODY")" "2001:db8::1,2001:db8::2" "name filter across zones"
curl -s "http://127.0.0.1:$REC_PORT/metrics" >"$T/metrics1"
grep -q 'dnsrecordsd_axfr_cache_total{result="hit"} [1-9]' "$T/metrics1" || fail "no AXFR cache hit: $(grep axfr "$T/metrics1")"
rec_call GET '/api/v1/dns/records?zone=other.test' "" "$TOK_RO"
rec_expect 200 "read-only token lists"
rec_call GET '/api/v1/dns/records?zone=example.test' "" "$TOK_OTHER"
rec_expect 403 "list out of scope"
rec_call GET '/api/v1/dns/records?zone=nowhere.test'
rec_expect 422 "list of a zone not served"
# dig's own AXFR agrees with the listing
dig @127.0.0.1 -p "$NAMED_PORT" -k "$KEYFILE" example.test AXFR +noall +answer | awk '$4 == "TXT" { print $1 }' | sort -u >"$T/axfr.txt"
rec_call GET '/api/v1/dns/records?zone=example.test&type=TXT'
jq -r '.data[].name + "."' <<<"$REC_BODY" | sort -u >"$T/list.txt"
cmp -s "$T/axfr.txt" "$T/list.txt" || fail "listing differs from dig's AXFR: $(diff "$T/axfr.txt" "$T/list.txt")"

sys_log "verify: the lagging server answers the old data until it catches up"
rec_call GET /api/v1/dns/records/web-01.example.test/verify
rec_expect 200 "verify"
assert_eq "$(jq -r .data.verified <<<"$REC_BODY")" false "not verified while a server lags"
assert_eq "$(jq -r '[.data.servers[] | .ok] | join(",")' <<<"$REC_BODY")" "true,false" "per-server result"
# The lagging server catches up 2 s from now while verify waits.
(
	sleep 2
	printf 'server 127.0.0.1 %s\nzone example.test\nupdate add web-01.example.test 60 A 192.168.1.50\nupdate add web-01.example.test 60 A 192.168.1.51\nsend\n' "$LAG_PORT" |
		nsupdate -k "$KEYFILE"
) &
catchup=$!
start=$SECONDS
rec_call GET '/api/v1/dns/records/web-01.example.test/verify?wait=20'
rec_expect 200 "verify wait"
assert_eq "$(jq -r .data.verified <<<"$REC_BODY")" true "verified once the lagging server caught up"
[ $((SECONDS - start)) -ge 1 ] || fail "verify?wait returned before the server caught up"
wait "$catchup" || fail "nsupdate to the lagging server failed"

sys_log "DELETE is idempotent; a whole name or one type"
rec_call DELETE '/api/v1/dns/records/_sip._tcp.example.test?type=SRV'
rec_expect 200 "delete SRV"
assert_eq "$(jq -r .data.deleted <<<"$REC_BODY")" true "deleted"
assert_eq "$(rec_dig _sip._tcp.example.test SRV)" "" "dig after delete"
rec_call DELETE '/api/v1/dns/records/_sip._tcp.example.test?type=SRV'
rec_expect 200 "delete again"
assert_eq "$(jq -r .data.deleted <<<"$REC_BODY")" false "nothing to delete"
rec_call DELETE /api/v1/dns/records/db.other.test "" "$TOK_RO"
rec_expect 403 "read-only token deletes"
rec_call DELETE /api/v1/dns/records/db.other.test
rec_expect 200 "delete a whole name"
assert_eq "$(rec_dig db.other.test AAAA)" "" "AAAA gone"
rec_call GET /api/v1/dns/records/db.other.test
rec_expect 404 "get after delete"
rec_call GET /api/v1/dns/records/db.other.test/verify?type=AAAA
assert_eq "$(jq -r '.data.servers[0].ok' <<<"$REC_BODY")" true "verify of a deletion on the primary"

sys_log "audit: one line per change attempt, none for reads"
changes=$(grep -c . "$T/audit.log")
rec_call GET /api/v1/dns/records
rec_call GET /api/v1/dns/records/web-01.example.test
assert_eq "$(grep -c . "$T/audit.log")" "$changes" "reads add no audit line"
jq -e . "$T/audit.log" >/dev/null || fail "audit log is not JSON lines"
for k in time token client request_id name type before after outcome; do
	assert_eq "$(jq -r "has(\"$k\")" <"$T/audit.log" | sort -u)" true "every audit line has $k"
done
rec_call POST /api/v1/dns/records '{"name":"rid.example.test","type":"A","value":"192.0.2.9"}' "$TOK_PROV" "X-Request-Id: abc-123"
assert_eq "$(tail -n 1 "$T/audit.log" | jq -r .request_id)" abc-123 "request id from the client"
assert_eq "$(rec_header X-Request-Id)" abc-123 "request id echoed"

sys_log "metrics and healthz"
curl -s "http://127.0.0.1:$REC_PORT/metrics" >"$T/metrics"
grep -q 'dnsrecordsd_requests_total{route="register",status="201"}' "$T/metrics" || fail "no register counter"
grep -q 'dnsrecordsd_update_batch_size_count [1-9]' "$T/metrics" || fail "no batch histogram"
assert_eq "$(curl -s "http://127.0.0.1:$REC_PORT/healthz" | jq -r .data.status)" ok "healthz"
sys_log "SIGHUP reloads the tokens file; an invalid one keeps the current tokens"
TOK_NEW=newt0123456789abcdef0123456789
cp "$T/tokens" "$T/tokens.good"
echo "rotated $TOK_NEW example.test read" >>"$T/tokens"
rec_call GET /api/v1/dns/records/web-01.example.test "" "$TOK_NEW"
rec_expect 401 "a token not loaded yet"
rec_pid=$(awk '{ print $1 }' "$T/run/dnsrecordsd.pid")
kill -HUP "$rec_pid"
reloaded() { grep -q "tokens file $T/tokens reloaded (4 tokens)" "$T/dnsrecordsd.log"; }
sys_wait_for 5 "the tokens reload" reloaded
rec_call GET /api/v1/dns/records/web-01.example.test "" "$TOK_NEW"
rec_expect 200 "the new token after SIGHUP"
echo "broken-line" >>"$T/tokens"
kill -HUP "$rec_pid"
kept() { grep -q "keeping the current tokens" "$T/dnsrecordsd.log"; }
sys_wait_for 5 "the refused reload" kept
assert_contains "$(grep 'keeping the current tokens' "$T/dnsrecordsd.log")" "$T/tokens:6" "the refusal names file:line"
rec_call GET /api/v1/dns/records/web-01.example.test "" "$TOK_NEW"
rec_expect 200 "the current tokens stay after an invalid file"
assert_not_contains "$(cat "$T/dnsrecordsd.log")" "$TOK_NEW" "tokens are never logged"
cp "$T/tokens.good" "$T/tokens"
kill -HUP "$rec_pid"
reloaded3() { grep -q "tokens file $T/tokens reloaded (3 tokens)" "$T/dnsrecordsd.log"; }
sys_wait_for 5 "the tokens reload back" reloaded3
rec_call GET /api/v1/dns/records/web-01.example.test "" "$TOK_NEW"
rec_expect 401 "a token removed from the file"

sys_log "dnsrecordsctl: the operators' client and its exit codes"
CTL=${DNSRECORDSCTL:-$top_builddir/dnsrecordsctl}
(umask 077 && echo "$TOK_PROV" >"$T/ctl.token")
CTLA=("$CTL" -u "http://127.0.0.1:$REC_PORT" -T "$T/ctl.token")
ctl()
{
	"${CTLA[@]}" "$@"
}
ctl register cli.example.test A 192.0.2.70 192.0.2.71 --ttl 120 >"$T/ctl.out" || fail "ctl register: $?"
assert_eq "$(rec_dig cli.example.test A | tr '\n' ' ')" "192.0.2.70 192.0.2.71 " "ctl register"
assert_eq "$(jq -r .ttl "$T/ctl.out")" 120 "ctl prints the record"
assert_exit 3 "ctl register over other data" -- "${CTLA[@]}" register cli.example.test A 192.0.2.99
ctl get cli.example.test A >"$T/ctl.out" || fail "ctl get"
etag=$(jq -r '.[0].etag' "$T/ctl.out")
ctl replace cli.example.test A 192.0.2.72 --if-match "$etag" >/dev/null || fail "ctl replace --if-match"
assert_exit 3 "ctl replace with a stale ETag" -- "${CTLA[@]}" replace cli.example.test A 192.0.2.73 --if-match "$etag"
assert_eq "$(rec_dig cli.example.test A)" 192.0.2.72 "ctl replace"
ctl list --zone example.test --type A >"$T/ctl.out" || fail "ctl list"
assert_contains "$(jq -r '.[].name' "$T/ctl.out")" cli.example.test "ctl list"
ctl verify cli.example.test A --wait 1 >"$T/ctl.out" && rc=0 || rc=$?
assert_eq "$rc" 4 "ctl verify while the lagging server does not have it"
ctl unregister cli.example.test A >/dev/null || fail "ctl unregister"
ctl unregister cli.example.test A >/dev/null || fail "ctl unregister again (idempotent)"
assert_exit 4 "ctl get of a removed record" -- "${CTLA[@]}" get cli.example.test A
assert_exit 2 "ctl usage" -- "${CTLA[@]}" register only-a-name
assert_exit 2 "ctl invalid value" -- "${CTLA[@]}" register bad.example.test A not-an-address
chmod 644 "$T/ctl.token"
assert_exit 2 "ctl with a token file others can read" -- "${CTLA[@]}" list
chmod 600 "$T/ctl.token"
DNSRECORDS_TOKEN=nope0123456789abcdef0123456789 "$CTL" -u "http://127.0.0.1:$REC_PORT" list >/dev/null 2>&1 && rc=0 || rc=$?
assert_eq "$rc" 3 "ctl with an unknown token"
"$CTL" -u "http://127.0.0.1:1" -T "$T/ctl.token" list >/dev/null 2>&1 && rc=0 || rc=$?
assert_eq "$rc" 1 "ctl with the API down"

sys_log "every configuration key is documented in dnsrecordsd(8) with its default"
"$DNSRECORDSD" -k >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 20 ] || fail "dnsrecordsd -k listed too few keys"
while IFS=$'\t' read -r kv _; do
	kv=${kv#"[zone] "}
	k=${kv%%=*}
	def=${kv#*=}
	sect=$(awk -v k=".B $k" '/^\.SH CONFIGURATION/ { c = 1 } c && $0 == k { getline; print; exit }' "$top_srcdir/doc/dnsrecordsd.8")
	[ -n "$sect" ] || fail "key $k is not in doc/dnsrecordsd.8"
	case $def in
	"(required)") assert_contains "$sect" Required "man page: $k is required" ;;
	"") assert_contains "$sect" "Default empty" "man page: default of $k" ;;
	*) assert_contains "$sect" "Default \fB$def\fR" "man page: default of $k" ;;
	esac
done <"$T/keys"
sys_log "PASS"
