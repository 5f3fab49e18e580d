#!/usr/bin/env bash
# The rfc2136 backend against knotd (any RFC 2136 primary, not only BIND): the zone exists
# on Knot, zonepushd reads it with a TSIG-signed AXFR and sends the difference as signed
# UPDATEs; a change and a delete follow.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin knotd knotc dig curl sqlite3 tsig-keygen
(umask 077 && tsig-keygen -a hmac-sha256 zp-update >"$T/zp-update.key")
secret=$(sed -n 's/^[[:space:]]*secret "\([^"]*\)";.*/\1/p' "$T/zp-update.key")
mkdir -p "$T/knot1"
printf '$TTL 60\n@ IN SOA ns1.example.net. hostmaster.zq.example. 1 3600 600 86400 60\n  IN NS ns1.example.net.\nold IN A 192.0.2.250\n' >"$T/knot1/zq.example.zone"
ZP_KNOT_EXTRA="key:
  - id: zp-update
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: upd
    key: zp-update
    action: [update, transfer]
zone:
  - domain: zq.example
    file: \"$T/knot1/zq.example.zone\"
    acl: upd"
zp_start_knot knot1
ZP_NO_BIND=1 zp_write_conf "retry_schedule=1,1" "heal_interval=3600" \
	"BACKEND_EXTRA=[backend knotprimary]\ntype = rfc2136\nserver = 127.0.0.1\nport = $knot1_DNS_PORT\nkey_file = $T/zp-update.key\ntimeout = 2"
zp_start

zp_zone zq.example 2021082801 >"$T/z1"
assert_contains "$(da_rawsave zq.example "$T/z1" s1.da.example)" "error=0" "push answered"
served()
{
	[ "$(zp_dig knot1 www.zq.example A)" = 192.0.2.68 ]
}
sys_wait_for 10 "knotd serves the pushed records" served
assert_eq "$(zp_dig knot1 zq.example MX)" "10 mail.zq.example." "MX with its in-zone target"
assert_eq "$(zp_dig knot1 old.zq.example A)" "" "a record DA does not have is deleted"

zp_zone zq.example 2021082802 192.0.2.77 | grep -v '^ftp' >"$T/z2"
assert_contains "$(da_rawsave zq.example "$T/z2" s1.da.example)" "error=0" "change answered"
changed()
{
	[ "$(zp_dig knot1 www.zq.example A)" = 192.0.2.77 ] && [ -z "$(zp_dig knot1 ftp.zq.example A)" ]
}
sys_wait_for 10 "knotd serves the change" changed
total=$(dig @127.0.0.1 -p "$knot1_DNS_PORT" -k "$T/zp-update.key" +norec +noall +answer zq.example AXFR | grep -c .)
assert_eq "$total" "$(($(grep -c 'IN' "$T/z2") + 1))" "knotd holds exactly the pushed records"

assert_contains "$(da_delete "action=delete&hostname=s1.da.example&select0=zq.example")" "error=0" "delete answered"
emptied()
{
	[ -z "$(zp_dig knot1 www.zq.example A)" ] && [ -z "$(zp_dig knot1 zq.example MX)" ]
}
sys_wait_for 10 "records removed on knotd" emptied
assert_eq "$(zp_dig knot1 zq.example NS | sort | tr '\n' ' ')" "ns1.example.net. ns2.example.net. " "apex NS kept"
zp_stop
sys_log "PASS"
