#!/usr/bin/env bash
# dnsrecordsd with a second zone on a real Knot DNS primary beside the suite's
# named: routing by zone, register / If-Match replace / conflict / delete on
# Knot checked with dig, 200 concurrent registrations coalesced into few
# UPDATEs Knot accepts, and the listing by Knot's signed AXFR.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/records.sh"
sys_setup
sys_require curl jq named dig knotd
SYS_NAMED_CONF=rec_named_conf sys_start_named hmac-sha256

sys_log "knotd with zone knot.test, the same key allowed to update and transfer"
KNOT_PORT=$(sys_free_port)
mkdir -p "$T/knot/db"
cat >"$T/knot/knot.test.zone" <<EOF2
\$TTL 60
@	IN SOA	ns1.knot.test. hostmaster.knot.test. 1 3600 600 86400 60
	IN NS	ns1.knot.test.
ns1	IN A	127.0.0.1
EOF2
(
	umask 077
	cat >"$T/knot/knot.conf" <<EOF2
server:
    rundir: "$T/knot"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stderr
    any: info
database:
    storage: "$T/knot/db"
key:
  - id: lease-key
    algorithm: $KEY_ALG
    secret: $KEY_SECRET
acl:
  - id: records
    key: lease-key
    action: [update, transfer]
template:
  - id: default
    storage: "$T/knot"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: all
zone:
  - domain: knot.test
    acl: records
EOF2
)
sys_spawn knotd knotd -c "$T/knot/knot.conf"
knot_up() { dig @127.0.0.1 -p "$KNOT_PORT" knot.test SOA +short +time=1 +tries=1 | grep -q ns1; }
sys_wait_for 10 "knotd on $KNOT_PORT" knot_up

REC_EXTRA="" rec_write_config
cat >>"$T/records.conf" <<EOF2

[zone knot.test]
server = 127.0.0.1
port = $KNOT_PORT
key_file = $KEYFILE
EOF2
sed -i 's/^provisioner \([^ ]*\) *example.test,other.test/provisioner \1 example.test,other.test,knot.test/' "$T/tokens"
rec_start

sys_log "routing: one name to named, one to Knot"
rec_call POST /api/v1/dns/records '{"name":"web.knot.test","type":"A","value":"192.0.2.90"}'
rec_expect 201 "register on Knot"
assert_eq "$(jq -r .data.zone <<<"$REC_BODY")" knot.test "routed to knot.test"
rec_call POST /api/v1/dns/records '{"name":"web.example.test","type":"A","value":"192.0.2.91"}'
rec_expect 201 "register on named"
assert_eq "$(rec_dig web.knot.test A "$KNOT_PORT")" 192.0.2.90 "dig on Knot"
assert_eq "$(rec_dig web.knot.test A)" "" "not on named"
assert_eq "$(rec_dig web.example.test A)" 192.0.2.91 "dig on named"

sys_log "conflict, If-Match replace, TXT and SRV on Knot"
rec_call POST /api/v1/dns/records '{"name":"web.knot.test","type":"CNAME","value":"other.knot.test"}'
rec_expect 409 "CNAME onto an A on Knot"
rec_call GET /api/v1/dns/records/web.knot.test
etag=$(rec_header ETag)
rec_call PUT /api/v1/dns/records/web.knot.test '{"type":"A","value":"192.0.2.92"}' "$TOK_PROV" "If-Match: $etag"
rec_expect 200 "If-Match replace on Knot"
rec_call PUT /api/v1/dns/records/web.knot.test '{"type":"A","value":"192.0.2.93"}' "$TOK_PROV" "If-Match: $etag"
rec_expect 409 "stale If-Match on Knot"
assert_eq "$(rec_dig web.knot.test A "$KNOT_PORT")" 192.0.2.92 "Knot holds the winner"
rec_call POST /api/v1/dns/records '{"name":"_sip._udp.knot.test","type":"SRV","value":"0 5 5060 sip.knot.test"}'
rec_expect 201 "SRV on Knot"
assert_eq "$(rec_dig _sip._udp.knot.test SRV "$KNOT_PORT")" "0 5 5060 sip.knot.test." "dig SRV on Knot"

sys_log "200 concurrent registrations on Knot"
before=$(curl -s "http://127.0.0.1:$REC_PORT/metrics" | awk '$1 == "dnsrecordsd_update_batch_size_count" { print $2 }')
pad=$(head -c 150 /dev/zero | tr '\0' k)
for i in $(seq 0 199); do
	printf '{"name":"k%d.knot.test","type":"TXT","value":"%s-%d"}\n' "$i" "$pad" "$i"
done >"$T/k.bodies"
rec_post_parallel "$T/k.bodies" "$T/k"
assert_eq "$(sort "$T/k/codes" | uniq -c | awk '{ print $1 "x" $2 }')" 200x201 "every registration created on Knot"
after=$(curl -s "http://127.0.0.1:$REC_PORT/metrics" | awk '$1 == "dnsrecordsd_update_batch_size_count" { print $2 }')
sys_log "200 registrations on Knot took $((after - before)) UPDATEs"
[ $((after - before)) -le 40 ] || fail "not coalesced: $((after - before)) UPDATEs"
assert_eq "$(rec_dig k123.knot.test TXT "$KNOT_PORT" | tr -d '"')" "$(head -c 150 /dev/zero | tr '\0' k)-123" "k123 on Knot"

sys_log "listing knot.test by Knot's signed AXFR"
rec_call GET '/api/v1/dns/records?zone=knot.test&type=TXT&limit=1000'
rec_expect 200 "list knot.test"
assert_eq "$(jq -r .paging.total <<<"$REC_BODY")" 200 "all 200 TXT listed"
dig @127.0.0.1 -p "$KNOT_PORT" -k "$KEYFILE" knot.test AXFR +noall +stats >"$T/axfr.stats"
sys_log "Knot's AXFR: $(sed -n 's/^;; XFR size: //p' "$T/axfr.stats")"
rec_call GET '/api/v1/dns/records?zone=knot.test&type=TXT&limit=1000'
rec_expect 200 "list again"
curl -s "http://127.0.0.1:$REC_PORT/metrics" | grep -q 'dnsrecordsd_axfr_cache_total{result="hit"} [1-9]' ||
	fail "the second listing did not come from the cache"

sys_log "delete on Knot"
rec_call DELETE /api/v1/dns/records/web.knot.test
rec_expect 200 "delete on Knot"
assert_eq "$(rec_dig web.knot.test A "$KNOT_PORT")" "" "gone from Knot"
sys_log "PASS"
