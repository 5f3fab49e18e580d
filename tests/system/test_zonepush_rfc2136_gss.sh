#!/usr/bin/env bash
# The rfc2136 backend with GSS-TSIG: zonepushd signs its AXFR and UPDATEs with a context
# negotiated (TKEY) against a throwaway MIT KDC, as lease-primary@EXAMPLE.TEST from a
# keytab; named grants that principal the zone zg.example. A push and a change follow.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"
. "$top_srcdir/tests/system/zonepush.sh"

sys_require_kdc
zp_begin named dig curl sqlite3
if ! "$ZONEPUSHD" -h >/dev/null 2>&1; then fail "zonepushd -h failed"; fi
sys_start_kdc

_zp_named_gss_conf()
{
	_sys_named_gss_conf
	printf '$TTL 60\n@ IN SOA ns1.example.net. hostmaster.zg.example. 1 3600 600 86400 60\n  IN NS ns1.example.net.\n' >"$T/zg.example.db"
	rm -f "$T/zg.example.db.jnl"
	cat >>"$T/named.conf" <<EOF
zone "zg.example" {
	type primary;
	file "zg.example.db";
	update-policy { grant lease-primary@$REALM zonesub ANY; };
	allow-transfer { any; };
};
EOF
}
SYS_NAMED_CONF=_zp_named_gss_conf sys_start_named hmac-sha256
ZP_NO_BIND=1 zp_write_conf "retry_schedule=1,1" "heal_interval=3600" \
	"BACKEND_EXTRA=[backend ad]\ntype = rfc2136\nserver = 127.0.0.1\nport = $NAMED_PORT\ngss_service = DNS/ns1.example.test\ngss_keytab = $KEYTAB_PRIMARY\ngss_principal = lease-primary@$REALM\ntimeout = 3"
if ! "$ZONEPUSHD" -c "$T/zp.conf" -n >"$T/check.out" 2>&1; then
	if grep -q "GSS-TSIG needs a build with MIT Kerberos" "$T/check.out"; then
		echo "SKIP: zonepushd was built without GSSAPI"
		exit 77
	fi
	fail "zonepushd -n: $(cat "$T/check.out")"
fi
zp_start

zp_zone zg.example 2021082801 >"$T/z1"
assert_contains "$(da_rawsave zg.example "$T/z1" s1.da.example)" "error=0" "push answered"
served()
{
	[ "$(dig @127.0.0.1 -p "$NAMED_PORT" +short +norec www.zg.example A)" = 192.0.2.68 ]
}
sys_wait_for 15 "named serves the records pushed with GSS-TSIG" served
zp_zone zg.example 2021082802 192.0.2.44 >"$T/z2"
assert_contains "$(da_rawsave zg.example "$T/z2" s1.da.example)" "error=0" "change answered"
changed()
{
	[ "$(dig @127.0.0.1 -p "$NAMED_PORT" +short +norec www.zg.example A)" = 192.0.2.44 ]
}
sys_wait_for 15 "named serves the change" changed
assert_contains "$(cat "$T/named.log")" "/key lease-primary\\@$REALM: updating zone 'zg.example/IN'" "UPDATEs signed by the principal"
assert_contains "$(cat "$T/named.log")" "AXFR started: TSIG" "the AXFR signed"
assert_eq "$(zp_metric 'zonepushd_backend_failed_total{backend="ad",type="rfc2136"}')" 0 "no failed attempt"
zp_stop
sys_log "PASS"
