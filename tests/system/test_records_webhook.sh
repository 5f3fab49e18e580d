#!/usr/bin/env bash
# The external-dns webhook face of dnsrecordsd, driven by a client written from
# the protocol's documentation (external-dns docs/tutorials/webhook-provider.md
# and its OpenAPI file): negotiation, a full sync cycle (records, adjust, apply,
# records again shows nothing to change), updates paired by index, a stale
# updateOld, deletes, permanent errors as 4xx and transient ones as 5xx.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/records.sh"
sys_setup
sys_require curl jq named dig
SYS_NAMED_CONF=rec_named_conf sys_start_named hmac-sha256
WH_PORT=$(sys_free_port)
REC_TIMEOUT=3 REC_EXTRA="webhook_listen = 127.0.0.1:$WH_PORT" rec_write_config
rec_start
MEDIA='application/external.dns.webhook+json;version=1'

# wh METHOD PATH [BODY]: status in WH_STATUS, body in WH_BODY, headers in $T/wh.h
wh()
{
	local -a args=(-s -X "$1" -D "$T/wh.h" -o "$T/wh.b" -w '%{http_code}' --max-time 30
		-H "Accept: $MEDIA")
	[ -n "${3:-}" ] && args+=(-H "Content-Type: $MEDIA" --data-binary "$3")
	WH_STATUS=$(curl "${args[@]}" "http://127.0.0.1:$WH_PORT$2") || WH_STATUS=000
	WH_BODY=$(cat "$T/wh.b")
}
wh_expect()
{
	[ "$WH_STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $WH_STATUS: $WH_BODY"
}
# The plan external-dns makes, reduced to what this test needs: desired
# endpoints missing from the current ones (same name, type, sorted targets,
# labels and providerSpecific; TTL when the desired one sets it).
norm='map({dnsName, recordType, targets: (.targets | sort), recordTTL: (.recordTTL // 0),
	labels: (.labels // {}), providerSpecific: (.providerSpecific // [])})'
missing()
{
	jq -n --argjson d "$1" --argjson c "$2" "
		(\$c | $norm) as \$cur | \$d | $norm | map(select(. as \$x | \$cur |
		any(.dnsName == \$x.dnsName and .recordType == \$x.recordType and
		    .targets == \$x.targets and .labels == \$x.labels and
		    .providerSpecific == \$x.providerSpecific and
		    (\$x.recordTTL == 0 or .recordTTL == \$x.recordTTL)) | not))"
}

sys_log "negotiation: the domain filter and the exact media type"
wh GET /
wh_expect 200 "negotiate"
ct=$(tr -d '\r' <"$T/wh.h" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
assert_eq "$ct" "$MEDIA" "negotiation Content-Type"
assert_eq "$(jq -c .include <<<"$WH_BODY")" '["example.test","other.test"]' "domain filter"
wh GET /healthz
wh_expect 200 "healthz"

sys_log "sync cycle: records, adjustendpoints, apply, records again"
desired='[
 {"dnsName":"web.example.test","targets":["192.0.2.80"],"recordType":"A","recordTTL":300,
  "labels":{"owner":"default","resource":"service/default/web"},
  "providerSpecific":[{"name":"alias","value":"false"}]},
 {"dnsName":"a-web.example.test","targets":["\"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web\""],
  "recordType":"TXT","recordTTL":300},
 {"dnsName":"app.other.test","targets":["web.example.test"],"recordType":"CNAME"},
 {"dnsName":"v6.other.test","targets":["2001:db8::2","2001:db8::1"],"recordType":"AAAA","recordTTL":600}
]'
wh GET /records
wh_expect 200 "records"
current=$WH_BODY
assert_eq "$(jq -r '.[] | select(.dnsName == "ns1.example.test") | .targets[0]' <<<"$current")" 127.0.0.1 "records lists the zone"
wh POST /adjustendpoints "$desired"
wh_expect 200 "adjustendpoints"
assert_eq "$(jq -S . <<<"$WH_BODY")" "$(jq -S . <<<"$desired")" "adjustendpoints echoes the endpoints unchanged"
create=$(missing "$WH_BODY" "$current")
assert_eq "$(jq length <<<"$create")" 4 "all four are to be created"
wh POST /records "{\"create\":$(jq -c . <<<"$desired")}"
wh_expect 204 "apply create"
assert_eq "$(rec_dig web.example.test A)" 192.0.2.80 "A created"
assert_eq "$(rec_dig a-web.example.test TXT)" '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"' "TXT ownership record stored as TXT"
assert_eq "$(rec_dig app.other.test CNAME)" web.example.test. "CNAME created"
assert_eq "$(rec_dig v6.other.test AAAA | tr '\n' ' ')" "2001:db8::1 2001:db8::2 " "AAAA created"
wh GET /records
wh_expect 200 "records again"
again=$(missing "$desired" "$WH_BODY")
assert_eq "$(jq length <<<"$again")" 0 "records again shows no change: $again"
assert_eq "$(jq -c '.[] | select(.dnsName == "web.example.test") | .providerSpecific' <<<"$WH_BODY")" \
	'[{"name":"alias","value":"false"}]' "providerSpecific echoed unchanged"
assert_eq "$(jq -r '.[] | select(.dnsName == "a-web.example.test") | .targets[0]' <<<"$WH_BODY")" \
	'"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"' "TXT listed as external-dns wrote it"
wh POST /records "{\"create\":$(jq -c . <<<"$desired")}"
wh_expect 204 "creating what is already there is no error"
assert_eq "$(grep -c '"token":"external-dns".*"outcome":"applied"' "$T/audit.log")" 4 "audit lines for the webhook's changes"

sys_log "update: updateOld/updateNew paired by index; a stale updateOld is a 409"
old=$(jq -c '[.[0]]' <<<"$desired")
new=$(jq -c '[.[0] | .targets = ["192.0.2.81"]]' <<<"$desired")
old6=$(jq -c '[.[3]]' <<<"$desired")
new6=$(jq -c '[.[3] | .targets = ["2001:db8::3"]]' <<<"$desired")
wh POST /records "{\"updateOld\":$(jq -c ". + $old6" <<<"$old"),\"updateNew\":$(jq -c ". + $new6" <<<"$new")}"
wh_expect 204 "apply update"
assert_eq "$(rec_dig web.example.test A)" 192.0.2.81 "A updated"
assert_eq "$(rec_dig v6.other.test AAAA)" 2001:db8::3 "AAAA updated"
wh POST /records "{\"updateOld\":$old,\"updateNew\":$(jq -c '[.[0] | .targets = ["192.0.2.82"]]' <<<"$desired")}"
wh_expect 409 "stale updateOld"
assert_eq "$(rec_dig web.example.test A)" 192.0.2.81 "a stale update changes nothing"
[ "${#WH_BODY}" -lt 1000 ] || fail "error body is not small: ${#WH_BODY} bytes"

sys_log "delete, twice"
wh POST /records "{\"delete\":[{\"dnsName\":\"app.other.test\",\"targets\":[\"web.example.test\"],\"recordType\":\"CNAME\"}]}"
wh_expect 204 "delete"
assert_eq "$(rec_dig app.other.test CNAME)" "" "CNAME deleted"
wh POST /records "{\"delete\":[{\"dnsName\":\"app.other.test\",\"targets\":[\"web.example.test\"],\"recordType\":\"CNAME\"}]}"
wh_expect 204 "delete again"

sys_log "permanent errors are 4xx and send nothing; transient ones 5xx"
before=$(dig @127.0.0.1 -p "$NAMED_PORT" +short example.test SOA)
wh POST /records '{"create":[{"dnsName":"bad_name.example.test","targets":["192.0.2.1"],"recordType":"A"}]}'
wh_expect 400 "invalid name"
wh POST /records '{"create":[{"dnsName":"x.example.test","targets":["192.0.2.1"],"recordType":"MX"}]}'
wh_expect 400 "unsupported type"
wh POST /records '{"create":[{"dnsName":"x.nowhere.test","targets":["192.0.2.1"],"recordType":"A"}]}'
wh_expect 400 "name in no zone"
assert_contains "$WH_BODY" "example.test., other.test." "the error names the zones served"
wh POST /records '{"updateOld":[],"updateNew":[{"dnsName":"x.example.test","targets":["192.0.2.1"],"recordType":"A"}]}'
wh_expect 400 "unpaired update"
wh POST /records '{"create":'
wh_expect 400 "malformed JSON"
assert_eq "$(dig @127.0.0.1 -p "$NAMED_PORT" +short example.test SOA)" "$before" "nothing sent for 4xx"
sys_stop_named
wh POST /records '{"create":[{"dnsName":"down.example.test","targets":["192.0.2.1"],"recordType":"A"}]}'
wh_expect 503 "named down"
wh GET /records
[ "$WH_STATUS" -ge 500 ] || fail "GET /records with named down answered $WH_STATUS"
sys_restart_named
sys_log "PASS"
