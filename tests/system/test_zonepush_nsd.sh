#!/usr/bin/env bash
# The nsd backend against a real NSD driven by nsd-control: a new zone is added with
# addzone (the pattern names its file), a change is a reload of that zone only, a delete
# is delzone and the file removed; a lost zone file is healed; nsd-control failing (NSD
# stopped) is retried and the zone applied once NSD is back.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin nsd nsd-control nsd-control-setup dig curl sqlite3
zp_start_nsd nsd1
ZP_NO_BIND=1 zp_write_conf "retry_schedule=1,1,1,1,1,1,1,1" "heal_interval=3" \
	"BACKEND_EXTRA=[backend nsd1]\ntype = nsd\nzones_dir = $T/nsd1/zones\nnsd_control_args = -c $T/nsd1/nsd.conf\nnsd_control_timeout = 5"
assert_exit 0 "zonepushd -n" -- "$ZONEPUSHD" -c "$T/zp.conf" -n
zp_start

sys_log "push two zones, change one"
for z in zn1 zn2; do
	zp_zone "$z.example" 1 >"$T/$z"
	assert_contains "$(da_rawsave "$z.example" "$T/$z" s1.da.example)" "error=0" "push $z"
done
both()
{
	[ "$(zp_serial nsd1 zn1.example)" = 1 ] && [ "$(zp_serial nsd1 zn2.example)" = 1 ]
}
sys_wait_for 10 "nsd serves both zones" both
assert_eq "$(zp_dig nsd1 zn1.example MX)" "10 mail.zn1.example." "MX served"
assert_contains "$(nsd-control -c "$T/nsd1/nsd.conf" zonestatus zn1.example)" "pattern: zonepushd" "added with the pattern"
zp_zone zn1.example 2 192.0.2.55 >"$T/zn1"
assert_contains "$(da_rawsave zn1.example "$T/zn1" s1.da.example)" "error=0" "change zn1"
changed()
{
	[ "$(zp_dig nsd1 www.zn1.example A)" = 192.0.2.55 ]
}
sys_wait_for 10 "nsd serves the change" changed

sys_log "a lost zone file is healed"
rm -f "$T/nsd1/zones/zn2.example.db"
sys_wait_for 20 "zn2.example.db rewritten" test -s "$T/nsd1/zones/zn2.example.db"

sys_log "delete"
assert_contains "$(da_delete "action=delete&hostname=s1.da.example&select0=zn2.example")" "error=0" "delete zn2"
gone()
{
	[ -z "$(zp_serial nsd1 zn2.example)" ] && [ ! -e "$T/nsd1/zones/zn2.example.db" ]
}
sys_wait_for 10 "zn2 no longer served, its file removed" gone
assert_eq "$(zp_serial nsd1 zn1.example)" 2 "zn1 untouched"

sys_log "NSD down: retried, applied once it is back"
sys_kill nsd1 || fail "nsd1 was not running"
zp_zone zn3.example 3 >"$T/zn3"
assert_contains "$(da_rawsave zn3.example "$T/zn3" s1.da.example)" "error=0" "push while NSD is down"
failed()
{
	local f
	f=$(zp_metric 'zonepushd_backend_failed_total{backend="nsd1",type="nsd"}')
	[ "${f:-0}" -ge 1 ]
}
sys_wait_for 10 "the failure counted" failed
sys_spawn nsd1 nsd -d -c "$T/nsd1/nsd.conf"
back()
{
	[ "$(zp_serial nsd1 zn3.example)" = 3 ]
}
sys_wait_for 20 "zn3 served once NSD is back" back
assert_contains "$(cat "$T/zonepushd.log")" "nsd-control reload zn3.example exited with status" "the failure names the command"
zp_stop
sys_log "PASS"
