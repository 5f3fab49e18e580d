#!/usr/bin/env bash
# A GSS-TSIG zone in dnsrecordsd against the suite's MIT KDC and a named with
# tkey-gssapi-keytab: register, get, list (AXFR signed with the negotiated
# key), replace with If-Match and delete, each checked with dig and in named's
# log as made by the principal; one context for many requests; a new one after
# named restarts and forgets it (BADKEY); the TSIG zone beside it unaffected.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"
. "$top_srcdir/tests/system/records.sh"
sys_require_kdc
sys_require curl jq
sys_setup
sys_start_kdc

rec_named_gss_conf()
{
	rec_named_conf
	sed -i "s|^	notify no;|	notify no;\\n	tkey-gssapi-keytab \"$KEYTAB_DNS\";|" "$T/named.conf"
	# example.test: signed by the principal (update-policy) and transferred with
	# the negotiated key, whose name cannot be listed beforehand.
	sed -i "s|		grant lease-key zonesub ANY;|		grant lease-primary@$REALM zonesub ANY;|; 0,/allow-transfer { key lease-key; };/s//allow-transfer { any; };/" "$T/named.conf"
}
SYS_NAMED_CONF=rec_named_gss_conf sys_start_named hmac-sha256
grep -q "grant lease-primary@$REALM zonesub ANY" "$T/named.conf" || fail "named.conf for GSS not written"
rec_write_config
# example.test signs with GSS-TSIG instead of the key file.
sed -i "0,/^key_file = .*/s||gss_keytab = $KEYTAB_PRIMARY\\ngss_principal = lease-primary@$REALM\\ngss_service = DNS/ns1.example.test|" "$T/records.conf"
grep -q "^gss_keytab" "$T/records.conf" || fail "records.conf for GSS not written"
"$DNSRECORDSD" -c "$T/records.conf" -n >/dev/null || fail "dnsrecordsd -n refused the GSS zone"
rec_start

sys_log "register, get, list and delete in the GSS-TSIG zone"
rec_call POST /api/v1/dns/records '{"name":"gss-web.example.test","type":"A","value":"192.0.2.55"}'
rec_expect 201 "register signed with GSS-TSIG"
assert_eq "$(rec_dig gss-web.example.test A)" 192.0.2.55 "dig after the GSS-TSIG update"
# named writes the principal as lease-primary\@REALM
grep -Eq "key lease-primary\\\\?@$REALM: updating zone 'example.test/IN': adding an RR at 'gss-web.example.test' A" "$T/named.log" ||
	fail "named did not log the update as made by lease-primary@$REALM"
for i in 1 2 3 4 5; do
	rec_call POST /api/v1/dns/records "{\"name\":\"gss-$i.example.test\",\"type\":\"TXT\",\"value\":\"v$i\"}"
	rec_expect 201 "register $i"
done
rec_call GET /api/v1/dns/records/gss-web.example.test
rec_expect 200 "get (a query signed with GSS-TSIG)"
etag=$(rec_header ETag)
rec_call PUT /api/v1/dns/records/gss-web.example.test '{"type":"A","value":"192.0.2.56"}' "$TOK_PROV" "If-Match: $etag"
rec_expect 200 "replace with If-Match"
assert_eq "$(rec_dig gss-web.example.test A)" 192.0.2.56 "dig after replace"
rec_call GET '/api/v1/dns/records?zone=example.test&type=TXT'
rec_expect 200 "list by AXFR signed with the negotiated key"
assert_eq "$(jq -r '.paging.total' <<<"$REC_BODY")" 5 "the five TXT records listed"
assert_eq "$(grep -c "GSS-TSIG: negotiated key" "$T/dnsrecordsd.log")" 1 "one context for the updates, queries and the AXFR"
rec_call DELETE '/api/v1/dns/records/gss-web.example.test?type=A'
rec_expect 200 "delete"
assert_eq "$(rec_dig gss-web.example.test A)" "" "dig after delete"

sys_log "the TSIG zone beside it"
rec_call POST /api/v1/dns/records '{"name":"tsig.other.test","type":"A","value":"192.0.2.57"}'
rec_expect 201 "register in the TSIG zone"
assert_eq "$(rec_dig tsig.other.test A)" 192.0.2.57 "dig in the TSIG zone"

sys_log "named restarts and forgets the context: BADKEY, a new context, the update applied"
# named keeps negotiated keys in _default.tsigkeys across a restart; without it,
# it forgets ours, as after a crash or the key's expiry.
_sys_stop named 5 || fail "named was not running"
rm -f "$T/_default.tsigkeys"
_sys_named_launch || fail "named did not come back; see named.log"
rec_call POST /api/v1/dns/records '{"name":"after.example.test","type":"A","value":"192.0.2.58"}'
rec_expect 201 "register after named forgot the context"
assert_eq "$(rec_dig after.example.test A)" 192.0.2.58 "dig after renegotiation"
grep -q "no longer knows our key (BADKEY)" "$T/dnsrecordsd.log" || fail "no renegotiation after BADKEY logged"
assert_eq "$(grep -c "GSS-TSIG: negotiated key" "$T/dnsrecordsd.log")" 2 "a second context after BADKEY"

sys_log "an open keytab is refused at start"
sys_kill dnsrecordsd
chmod 644 "$KEYTAB_PRIMARY"
out=$("$DNSRECORDSD" -c "$T/records.conf" 2>&1) && fail "started with a keytab others can read"
assert_contains "$out" "$KEYTAB_PRIMARY" "the refusal names the keytab"
out=$("$DNSRECORDSD" -c "$T/records.conf" -n 2>&1) && fail "-n passed a keytab others can read"
assert_contains "$out" "gss_keytab" "-n names the key"
chmod 600 "$KEYTAB_PRIMARY"
sys_log "PASS"
