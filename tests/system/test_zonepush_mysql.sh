#!/usr/bin/env bash
# The coredns_mysql backend against a real MariaDB server on a private socket: the plugin's
# schema, online=1, absolute zone_name, relative hostnames, absolute names in data, checked
# with the exact query the plugin serves from; a change replaces the rows in one
# transaction; a delete removes them; the server stopped is retried and caught up; next to
# a bind backend that is not delayed by it.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin mariadbd mariadb mariadb-install-db named rndc dig curl sqlite3
zp_start_mariadb db1
zp_start_named ns1
zp_write_conf "retry_schedule=1,1,1,1,1,1,1,1,1,1" "heal_interval=3600" \
	"BACKEND_EXTRA=[backend db1]\ntype = coredns_mysql\nsocket = $T/db1/my.sock\ndatabase = coredns\nuser = root\ntimeout = 2"
if ! "$ZONEPUSHD" -c "$T/zp.conf" -n >"$T/check.out" 2>&1; then
	if grep -q "coredns_mysql needs a build with libmariadb" "$T/check.out"; then
		echo "SKIP: zonepushd was built without libmariadb (configure found no libmariadb-dev)"
		exit 77
	fi
	fail "zonepushd -n: $(cat "$T/check.out")"
fi
zp_start
assert_eq "$(zp_sql db1 "SHOW TABLES" | sort | tr '\n' ' ')" "records zones " "the plugin's tables"

sys_log "push"
zp_zone zm.example 2021082801 >"$T/z1"
assert_contains "$(da_rawsave zm.example "$T/z1" s1.da.example)" "error=0" "push"
rows()
{
	[ "$(zp_sql db1 "SELECT COUNT(*) FROM records")" = "$1" ]
}
sys_wait_for 10 "rows written" rows 10
id=$(zp_sql db1 "SELECT id FROM zones WHERE zone_name = 'zm.example.'")
[ -n "$id" ] || fail "no zones row with the absolute name zm.example."
# The plugin's own query: SELECT id, zone_id, hostname, type, data, ttl FROM records
#   WHERE online!=0 and zone_id=? and hostname=? and type=?
plugin()
{
	zp_sql db1 "SELECT data, ttl FROM records WHERE online!=0 and zone_id=$id and hostname='$1' and type='$2'" | sort | tr '\t\n' ' |'
}
assert_eq "$(plugin @ MX)" "10 mail.zm.example. 3600|" "MX target absolute"
assert_eq "$(plugin www A)" "192.0.2.68 3600|" "relative hostname"
assert_eq "$(plugin _acme-challenge TXT)" '"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM" 5|' "TXT quoted, its own TTL"
assert_eq "$(plugin @ SOA)" "ns1.example.net. hostmaster.zm.example. 2021082801 3600 3600 1209600 86400 3600|" "full SOA"
assert_eq "$(plugin @ NS)" "ns1.example.net. 3600|ns2.example.net. 3600|" "apex NS"
assert_eq "$(zp_sql db1 "SELECT COUNT(*) FROM records WHERE online != 1")" 0 "every row online=1"

sys_log "change replaces the rows"
zp_zone zm.example 2021082802 192.0.2.9 | grep -v '^ftp' >"$T/z2"
assert_contains "$(da_rawsave zm.example "$T/z2" s1.da.example)" "error=0" "change"
changed()
{
	[ "$(plugin www A)" = "192.0.2.9 3600|" ]
}
sys_wait_for 10 "the change written" changed
assert_eq "$(plugin ftp A)" "" "removed record gone"
assert_eq "$(zp_sql db1 "SELECT COUNT(*) FROM records WHERE zone_id=$id")" 9 "row count as parsed"
assert_eq "$(zp_sql db1 "SELECT COUNT(*) FROM zones")" 1 "one zones row"

sys_log "MariaDB stopped: bind is current at once, MySQL caught up after"
sys_kill db1 || fail "mariadbd was not running"
zp_zone zm2.example 5 >"$T/z3"
assert_contains "$(da_rawsave zm2.example "$T/z3" s1.da.example)" "error=0" "push while MariaDB is down"
bind_has()
{
	[ "$(zp_serial ns1 zm2.example)" = 5 ]
}
sys_wait_for 5 "named serves zm2 while MariaDB is down" bind_has
failed()
{
	local f
	f=$(zp_metric 'zonepushd_backend_failed_total{backend="db1",type="coredns_mysql"}')
	[ "${f:-0}" -ge 1 ]
}
sys_wait_for 15 "the MySQL failure counted" failed
zp_start_mariadb db1
mysql_has()
{
	[ "$(zp_sql db1 "SELECT COUNT(*) FROM records r JOIN zones z ON r.zone_id = z.id WHERE z.zone_name = 'zm2.example.'")" = 10 ]
}
sys_wait_for 30 "MySQL caught up" mysql_has

sys_log "delete"
assert_contains "$(da_delete "action=delete&hostname=s1.da.example&select0=zm.example")" "error=0" "delete"
deleted()
{
	[ "$(zp_sql db1 "SELECT COUNT(*) FROM zones WHERE zone_name='zm.example.'")" = 0 ] &&
		[ "$(zp_sql db1 "SELECT COUNT(*) FROM records WHERE zone_id=$id")" = 0 ]
}
sys_wait_for 10 "rows deleted" deleted
zp_stop
sys_log "PASS"
