#!/usr/bin/env bash
# zonepushd over TLS (tls_cert + tls_key): DA's requests work over HTTPS, plain HTTP on the
# same port does not, and a key file readable by others is refused at start with a message
# naming it.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin named rndc dig curl openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-keyout "$T/tls.key" -out "$T/tls.crt" >/dev/null 2>&1 || fail "openssl req failed"
chmod 600 "$T/tls.key"
zp_start_named ns1
zp_write_conf "tls_cert=$T/tls.crt" "tls_key=$T/tls.key"
sys_spawn zonepushd "$ZONEPUSHD" -c "$T/zp.conf"
sys_wait_for 10 "zonepushd answers over TLS" \
	curl -s -o /dev/null --cacert "$T/tls.crt" -u "$ZP_USER:$ZP_PASSWORD" "https://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST"
out=$(curl -s --http1.0 --cacert "$T/tls.crt" -u "$ZP_USER:$ZP_PASSWORD" "https://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST")
assert_eq "$out" "error=0&text=Login+OK" "login test over TLS, certificate verified"
zp_zone zt.example 5 >"$T/z"
out=$(curl -s --http1.0 -A '' -H 'Content-Type:' --cacert "$T/tls.crt" -u "$ZP_USER:$ZP_PASSWORD" \
	--data-binary @"$T/z" "https://127.0.0.1:$ZP_PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=zt.example&hostname=s1.da.example")
assert_eq "$out" "error=0" "rawsave over TLS"
served()
{
	[ "$(zp_serial ns1 zt.example)" = 5 ]
}
sys_wait_for 10 "named serves the zone pushed over TLS" served
out=$(curl -s --max-time 5 -u "$ZP_USER:$ZP_PASSWORD" "http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST" || true)
assert_not_contains "$out" "Login+OK" "no plain HTTP on the TLS port"
zp_stop

chmod 640 "$T/tls.key"
assert_exit 1 "a key readable by the group is refused" -- "$ZONEPUSHD" -c "$T/zp.conf"
assert_contains "$OUT" "$T/tls.key" "the message names the key file"
assert_contains "$OUT" "group" "the message says who can read it"
sys_log "PASS"
