#!/usr/bin/env bash
# zonepushd as DirectAdmin sees it, against a real named through rndc: the login test,
# Basic auth, exists in each mode, rawsave, a repeated push, a change, invalid zones and
# domain names, a delete refused for another master and a delete that removes the zone
# (the public project ignores DA's bare-POST deletes: we must not).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin named rndc dig curl sqlite3
zp_start_named ns1
zp_write_conf "retry_schedule=1,1" "heal_interval=3600"
assert_exit 0 "zonepushd -n accepts the configuration" -- "$ZONEPUSHD" -c "$T/zp.conf" -n
zp_start

sys_log "login test and auth"
out=$(da_get /CMD_API_LOGIN_TEST)
assert_eq "$out" "error=0&text=Login+OK
HTTP 200" "login test"
out=$(DA_AUTH=da-admin:wrong da_get /CMD_API_LOGIN_TEST)
assert_contains "$out" "HTTP 401" "a wrong password gets 401"
hdr=$(curl -s -i --http1.0 "http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST")
assert_contains "$hdr" 'WWW-Authenticate: Basic realm="zonepushd"' "401 carries the Basic challenge"
out=$(DA_AUTH=nobody:$ZP_PASSWORD da_get "/CMD_API_DNS_ADMIN?action=exists&domain=a.example.com")
assert_contains "$out" "HTTP 401" "a wrong user gets 401"
out=$(curl -s --http1.1 -u "$ZP_USER:$ZP_PASSWORD" -w ' %{http_version}' "http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST")
assert_eq "$out" "error=0&text=Login+OK 1.1" "HTTP/1.1 works too"

sys_log "exists before, rawsave, exists after"
out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=zp-one.example")
assert_eq "$out" "error=0&exists=0
HTTP 200" "exists=0 for an unknown domain"
zp_zone zp-one.example 2021082801 >"$T/one.1"
out=$(da_rawsave zp-one.example "$T/one.1" s23.da.example cheybugger)
assert_eq "$out" "error=0
HTTP 200" "rawsave answered error=0"
# committed before the answer: the row is there now
assert_eq "$(sqlite3 "$T/queue.db" "SELECT hostname || ' ' || username FROM zones WHERE name='zp-one.example'")" \
	"s23.da.example cheybugger" "hostname and username stored with the zone"
sys_wait_for 10 "named serves zp-one.example" sh -c "[ \"\$(dig @127.0.0.1 -p $ns1_DNS_PORT +short zp-one.example SOA | awk '{print \$3}')\" = 2021082801 ]"
assert_eq "$(zp_dig ns1 www.zp-one.example A)" "192.0.2.68" "relative owner served"
assert_eq "$(zp_dig ns1 zp-one.example MX)" "10 mail.zp-one.example." "relative RDATA name made absolute"
assert_eq "$(zp_dig ns1 zp-one.example TXT)" '"v=spf1 +a +mx include:spf.example.net ~all"' "quoted TXT"
assert_contains "$(cat "$T/ns1/named.conf.local")" "zone \"zp-one.example\" { type master; file \"$T/ns1/zones/zp-one.example.db\"; };" "include line"
[ ! -e "$T/ns1/zones/zp-one.example.db.tmp" ] || fail "a temp file was left behind"

out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=zp-one.example")
assert_eq "$out" "error=0&exists=1&details=Domain+exists+on+s23.da.example
HTTP 200" "exists=1 names the master"
out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=shop.zp-one.example&check_for_parent_domain=true")
assert_eq "$out" "error=0&exists=3&hostname=s23.da.example&username=cheybugger
HTTP 200" "exists=3 in cluster-owner mode"
out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=shop.zp-one.example")
assert_eq "$out" "error=0&exists=0
HTTP 200" "without check_for_parent_domain the parent does not count"

sys_log "a repeated push writes nothing; named_reload=yes; a change is served"
applied=$(zp_metric 'zonepushd_backend_applied_total{backend="ns1",type="bind"}')
assert_eq "$applied" 1 "one write so far"
mtime=$(stat -c %Y.%y "$T/ns1/zones/zp-one.example.db")
out=$(DA_RELOAD=1 da_rawsave zp-one.example "$T/one.1" s23.da.example cheybugger)
assert_eq "$out" "error=0
HTTP 200" "repeat answered error=0"
assert_eq "$(zp_metric 'zonepushd_pushes_total{result="unchanged"}')" 1 "repeat recognised"
sleep 1
assert_eq "$(zp_metric 'zonepushd_backend_applied_total{backend="ns1",type="bind"}')" 1 "repeat cost no backend write"
assert_eq "$(stat -c %Y.%y "$T/ns1/zones/zp-one.example.db")" "$mtime" "zone file untouched"
zp_zone zp-one.example 2021082802 192.0.2.99 >"$T/one.2"
out=$(da_rawsave zp-one.example "$T/one.2" s23.da.example)
assert_eq "$out" "error=0
HTTP 200" "change answered error=0"
sys_wait_for 10 "named serves the new serial" sh -c "[ \"\$(dig @127.0.0.1 -p $ns1_DNS_PORT +short zp-one.example SOA | awk '{print \$3}')\" = 2021082802 ]"
assert_eq "$(zp_dig ns1 www.zp-one.example A)" "192.0.2.99" "changed record served"

sys_log "cluster-owner mode off: exists=2"
zp_stop
zp_write_conf "retry_schedule=1,1" "cluster_owner=no" "max_zone_bytes=4096"
zp_start
out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=shop.zp-one.example&check_for_parent_domain=true")
assert_eq "$out" "error=0&exists=2&details=Parent+Domain+exists+on+s23.da.example
HTTP 200" "exists=2 with cluster-owner mode off"

sys_log "a zone larger than max_zone_bytes is refused"
{ zp_zone zp-big.example 1; for i in $(seq 1 200); do printf 'h%d\t60\tIN\tA\t192.0.2.1\n' "$i"; done; } >"$T/big"
out=$(da_rawsave zp-big.example "$T/big")
assert_contains "$out" "HTTP 413" "over max_zone_bytes: 413"
assert_contains "$out" "error=1&text=request+body+too+large" "over max_zone_bytes: error=1"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM zones WHERE name='zp-big.example'")" 0 "nothing stored"

sys_log "invalid zones are refused and reach no backend"
bad_zone()
{
	local name=$1 want=$2 out
	out=$(da_rawsave zp-bad.example "$T/bad")
	assert_contains "$out" "HTTP 400" "$name: HTTP 400"
	assert_contains "$out" "error=1&text=" "$name: error=1"
	assert_contains "$out" "$want" "$name: reason"
}
printf '$TTL 60\nwww IN A 192.0.2.1\n' >"$T/bad"
bad_zone "no SOA" "no+SOA"
{ zp_zone zp-bad.example 1; printf 'evil.example.org. 60 IN A 192.0.2.1\n'; } >"$T/bad"
bad_zone "owner outside" "outside+the+zone"
{ zp_zone zp-bad.example 1; printf 'ftp 60 IN CNAME x.example.net.\n'; } >"$T/bad"
bad_zone "CNAME beside data" "CNAME+beside+other+data"
{ zp_zone zp-bad.example 1; printf 'x 60 IN A 999.1.1.1\n'; } >"$T/bad"
bad_zone "bad address" "zone+line"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM zones WHERE name='zp-bad.example'")" 0 "nothing stored"
[ ! -e "$T/ns1/zones/zp-bad.example.db" ] || fail "an invalid zone reached the backend"

sys_log "invalid domain names"
for d in '..%2F..%2Fetc%2Fpasswd' 'a%00b.example' "$(printf 'a%.0s' $(seq 1 300)).example" 'a%2Fb.example' "x'%3B--.example"; do
	out=$(da_rawsave "$d" "$T/one.1")
	assert_contains "$out" "HTTP 400" "rawsave of domain '${d:0:40}' refused"
	out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=$d")
	assert_contains "$out" "HTTP 400" "exists of domain '${d:0:40}' refused"
	out=$(da_delete "action=delete&hostname=s23.da.example&select0=$d")
	assert_contains "$out" "HTTP 400" "delete of domain '${d:0:40}' refused"
done
n=$(find "$T" -name '*passwd*' | wc -l)
assert_eq "$n" 0 "no path built from a bad name"
out=$(da_get "/CMD_API_DNS_ADMIN?action=frobnicate&domain=zp-one.example")
assert_contains "$out" "HTTP 400" "unknown action"
out=$(da_get "/CMD_NOTHING")
assert_contains "$out" "HTTP 404" "unknown command"

sys_log "delete: refused for another master, done for the master"
out=$(da_delete "action=delete&cluster=yes&hostname=s99.other.example&select0=zp-one.example")
assert_contains "$out" "HTTP 403" "another master's delete refused"
assert_contains "$out" "error=1&text=zp-one.example+is+mastered+by+s23.da.example" "refusal names the master"
sleep 1
assert_eq "$(zp_serial ns1 zp-one.example)" 2021082802 "zone still served"
zp_zone zp-two.example 7 >"$T/two"
da_rawsave zp-two.example "$T/two" s23.da.example >/dev/null
sys_wait_for 10 "named serves zp-two.example" sh -c "[ -n \"\$(dig @127.0.0.1 -p $ns1_DNS_PORT +short zp-two.example SOA)\" ]"
# As DA sends it: a bare POST, no Content-Type, several select<N>.
body="action=delete&cluster=yes&hostname=s23.da.example&select0=zp-one.example&select1=zp-two.example"
out=$(da_delete "$body")
assert_eq "$out" "error=0
HTTP 200" "delete answered error=0"
gone()
{
	[ -z "$(zp_serial ns1 zp-one.example)" ] && [ -z "$(zp_serial ns1 zp-two.example)" ] &&
		[ ! -e "$T/ns1/zones/zp-one.example.db" ] && [ ! -e "$T/ns1/zones/zp-two.example.db" ]
}
sys_wait_for 10 "named no longer serves either zone, the files removed" gone
assert_not_contains "$(cat "$T/ns1/named.conf.local")" "zp-one.example" "include line removed"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM zones")" 0 "rows forgotten once every backend deleted"
out=$(da_get "/CMD_API_DNS_ADMIN?action=exists&domain=zp-one.example")
assert_eq "$out" "error=0&exists=0
HTTP 200" "exists=0 after delete"
out=$(da_post_empty=1 da_delete "")
assert_eq "$out" "error=0&text=OK
HTTP 200" "an empty POST is a connectivity check"

sys_log "status command and metrics"
assert_exit 0 "zonepushd status" -- "$ZONEPUSHD" -c "$T/zp.conf" status
assert_contains "$OUT" "backend ns1 pending 0" "status per backend"
assert_contains "$(curl -s -u "$ZP_USER:$ZP_PASSWORD" "http://127.0.0.1:$ZP_PORT/metrics")" \
	"zonepushd_backend_queue_depth{backend=\"ns1\",type=\"bind\"} 0" "metrics per backend"
assert_not_contains "$(cat "$T/zonepushd.log")" "$ZP_PASSWORD" "password never logged"
zp_stop
sys_log "PASS"
