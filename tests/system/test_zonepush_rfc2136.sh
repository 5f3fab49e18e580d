#!/usr/bin/env bash
# The rfc2136 backend against a real named: the zone exists on the primary (RFC 2136
# cannot create one); zonepushd reads it with a TSIG-signed AXFR and sends the difference
# as signed UPDATEs. A push, a change (records removed, changed, a TTL changed), a
# delete (the zone emptied to its SOA and apex NS), and a wrong key (retried, then a dead
# letter naming the TSIG failure).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin named rndc dig curl sqlite3 tsig-keygen
(umask 077 && tsig-keygen -a hmac-sha256 zp-update >"$T/zp-update.key" &&
	tsig-keygen -a hmac-sha256 zp-update >"$T/wrong.key")
mkdir -p "$T/ns1"
printf '$TTL 60\n@ IN SOA ns1.example.net. hostmaster.zr.example. 1 3600 600 86400 60\n  IN NS ns1.example.net.\n  IN NS ns2.example.net.\nold IN A 192.0.2.250\n' >"$T/ns1/zr.example.db"
ZP_NAMED_EXTRA="include \"$T/zp-update.key\";
zone \"zr.example\" { type primary; file \"zr.example.db\"; allow-update { key zp-update; }; allow-transfer { key zp-update; }; };"
zp_start_named ns1
ZP_NO_BIND=1 zp_write_conf "retry_schedule=1,1" "heal_interval=3600" \
	"BACKEND_EXTRA=[backend primary]\ntype = rfc2136\nserver = 127.0.0.1\nport = $ns1_DNS_PORT\nkey_file = $T/zp-update.key\ntimeout = 2"
assert_exit 0 "zonepushd -n" -- "$ZONEPUSHD" -c "$T/zp.conf" -n
zp_start

sys_log "push: the difference to the AXFR goes as UPDATEs"
zp_zone zr.example 2021082801 >"$T/z1"
assert_contains "$(da_rawsave zr.example "$T/z1" s1.da.example)" "error=0" "push answered"
served()
{
	[ "$(zp_dig ns1 www.zr.example A)" = 192.0.2.68 ]
}
sys_wait_for 10 "named serves the pushed records" served
assert_eq "$(zp_dig ns1 zr.example MX)" "10 mail.zr.example." "MX with its in-zone target"
assert_eq "$(zp_dig ns1 _acme-challenge.zr.example TXT)" '"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM"' "TXT"
assert_eq "$(zp_dig ns1 old.zr.example A)" "" "a record DA does not have is deleted"
assert_eq "$(zp_serial ns1 zr.example)" 2021082801 "the higher serial of the pushed SOA kept"

sys_log "change: removed, changed and TTL-changed records"
zp_zone zr.example 2021082802 192.0.2.77 | grep -v '^ftp' | sed 's/^_acme-challenge\t5/_acme-challenge\t30/' >"$T/z2"
assert_contains "$(da_rawsave zr.example "$T/z2" s1.da.example)" "error=0" "change answered"
changed()
{
	[ "$(zp_dig ns1 www.zr.example A)" = 192.0.2.77 ]
}
sys_wait_for 10 "named serves the change" changed
assert_eq "$(zp_dig ns1 ftp.zr.example A)" "" "removed record gone"
assert_eq "$(zp_dig ns1 zr.example A)" "192.0.2.77" "apex A changed, the old one removed"
ttl=$(dig @127.0.0.1 -p "$ns1_DNS_PORT" +norec +noall +answer _acme-challenge.zr.example TXT | awk '{ print $2 }')
assert_eq "$ttl" 30 "TTL change applied"
total=$(dig @127.0.0.1 -p "$ns1_DNS_PORT" -k "$T/zp-update.key" +norec +noall +answer zr.example AXFR | grep -c .)
# SOA twice in an AXFR: records of the push + 1
want=$(($(grep -c 'IN' "$T/z2") + 1))
assert_eq "$total" "$want" "the primary holds exactly the pushed records"

sys_log "delete empties the zone to its SOA and apex NS"
assert_contains "$(da_delete "action=delete&hostname=s1.da.example&select0=zr.example")" "error=0" "delete answered"
emptied()
{
	[ -z "$(zp_dig ns1 www.zr.example A)" ] && [ -z "$(zp_dig ns1 zr.example MX)" ]
}
sys_wait_for 10 "records removed" emptied
assert_eq "$(zp_dig ns1 zr.example NS | sort | tr '\n' ' ')" "ns1.example.net. ns2.example.net. " "apex NS kept"
drained()
{
	[ "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM zones")" = 0 ]
}
sys_wait_for 10 "the zone forgotten once deleted" drained

sys_log "a wrong TSIG key: retried, then a dead letter that names it"
zp_stop
sed -i "s|key_file = $T/zp-update.key|key_file = $T/wrong.key|" "$T/zp.conf"
zp_start
zp_zone zr.example 2021082803 >"$T/z3"
assert_contains "$(da_rawsave zr.example "$T/z3" s1.da.example)" "error=0" "push answered (queued)"
dead()
{
	[ "$(zp_metric 'zonepushd_backend_dead_letters{backend="primary",type="rfc2136"}')" = 1 ]
}
sys_wait_for 30 "dead letter after the retries" dead
assert_exit 2 "status" -- "$ZONEPUSHD" -c "$T/zp.conf" status
assert_contains "$OUT" "dead primary zr.example save after 3 attempts" "status names the dead letter"
assert_contains "$OUT" "AXFR zr.example" "the dead letter says what failed"
assert_eq "$(zp_dig ns1 www.zr.example A)" "" "nothing applied with the wrong key"
zp_stop
sys_log "PASS"
