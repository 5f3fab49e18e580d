#!/usr/bin/env bash
# The knot backend against a real knotd driven by knotc, next to a bind backend on a real
# named: one push reaches both; a change is a zone-reload of that zone only on Knot; a
# delete leaves the include file and the server; a lost zone file is healed.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin knotd knotc named rndc dig curl sqlite3
zp_start_knot knot1
zp_start_named ns1
zp_write_conf "retry_schedule=1,1,1" "heal_interval=3" \
	"BACKEND_EXTRA=[backend knot1]\ntype = knot\nzones_dir = $T/knot1/zones\ninclude_file = $T/knot1/zones.conf\nknotc_args = -b -s $T/knot1/knot.sock\nknotc_timeout = 5"
assert_exit 0 "zonepushd -n" -- "$ZONEPUSHD" -c "$T/zp.conf" -n
zp_start

sys_log "one push, both servers"
for z in zk1 zk2; do
	zp_zone "$z.example" 1 >"$T/$z"
	assert_contains "$(da_rawsave "$z.example" "$T/$z" s1.da.example)" "error=0" "push $z"
done
both()
{
	[ "$(zp_serial knot1 zk1.example)" = 1 ] && [ "$(zp_serial knot1 zk2.example)" = 1 ] &&
		[ "$(zp_serial ns1 zk1.example)" = 1 ] && [ "$(zp_serial ns1 zk2.example)" = 1 ]
}
sys_wait_for 10 "knotd and named serve both zones" both
assert_eq "$(zp_dig knot1 zk1.example MX)" "10 mail.zk1.example." "MX served by knotd"
assert_eq "$(zp_dig knot1 _acme-challenge.zk1.example TXT)" '"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM"' "TXT served by knotd"

sys_log "change"
zp_zone zk1.example 2 192.0.2.66 >"$T/zk1"
assert_contains "$(da_rawsave zk1.example "$T/zk1" s1.da.example)" "error=0" "change zk1"
changed()
{
	[ "$(zp_dig knot1 www.zk1.example A)" = 192.0.2.66 ] && [ "$(zp_dig ns1 www.zk1.example A)" = 192.0.2.66 ]
}
sys_wait_for 10 "both serve the change" changed

sys_log "a lost zone file on Knot is healed"
rm -f "$T/knot1/zones/zk2.example.db"
sys_wait_for 20 "zk2.example.db rewritten" test -s "$T/knot1/zones/zk2.example.db"

sys_log "delete"
assert_contains "$(da_delete "action=delete&hostname=s1.da.example&select0=zk2.example")" "error=0" "delete zk2"
gone()
{
	[ -z "$(zp_serial knot1 zk2.example)" ] && [ -z "$(zp_serial ns1 zk2.example)" ]
}
sys_wait_for 10 "zk2 served by neither" gone
assert_not_contains "$(cat "$T/knot1/zones.conf")" "zk2.example" "zk2 gone from Knot's include file"
assert_eq "$(zp_serial knot1 zk1.example)" 2 "zk1 untouched"
assert_exit 0 "status" -- "$ZONEPUSHD" -c "$T/zp.conf" status
assert_contains "$OUT" "backend knot1 pending 0 applied 1 dead 0" "status for knot1"
zp_stop
sys_log "PASS"
