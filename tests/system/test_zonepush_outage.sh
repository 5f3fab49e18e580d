#!/usr/bin/env bash
# One backend hung for a while, then back: two BIND backends; ns2's named is stopped
# (SIGSTOP: rndc hangs until its timeout). ns1 must serve every push at once; ns2's
# operations follow the retry schedule, become persisted dead letters (status and
# metrics show them), and the healing pass applies them once ns2 runs again. A zone file
# that goes missing on a backend, or whose record count no longer matches, is healed from
# the stored text.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin named rndc dig curl sqlite3
zp_start_named ns1
zp_start_named ns2
ZP_RNDC_TIMEOUT=2 zp_write_conf "retry_schedule=1,1,1" "heal_interval=3600"
zp_start

read -r ns2_pid _ <"$T/run/ns2.pid"
kill -STOP "$ns2_pid"
sys_log "ns2 stopped (SIGSTOP)"
start=$SECONDS
for i in 1 2 3 4 5; do
	zp_zone "zo$i.example" 10 >"$T/z$i"
	out=$(da_rawsave "zo$i.example" "$T/z$i" s1.da.example)
	assert_contains "$out" "error=0" "push zo$i.example while ns2 hangs"
done
ns1_has_all()
{
	local i
	for i in 1 2 3 4 5; do
		[ "$(zp_serial ns1 "zo$i.example")" = 10 ] || return 1
	done
}
sys_wait_for 5 "ns1 serves every zone while ns2 hangs" ns1_has_all
took=$((SECONDS - start))
[ "$took" -le 3 ] || fail "ns1 took ${took}s: the hung backend delayed it"
sys_log "ns1 current after ${took}s"

dead5()
{
	[ "$(zp_metric 'zonepushd_backend_dead_letters{backend="ns2",type="bind"}')" = 5 ]
}
sys_wait_for 40 "ns2's operations dead-lettered" dead5
assert_exit 2 "status exits 2 with dead letters" -- "$ZONEPUSHD" -c "$T/zp.conf" status
assert_contains "$OUT" "backend ns2 pending 0 applied 0 dead 5" "status counts them"
assert_contains "$OUT" "dead ns2 zo1.example save after 4 attempts" "status lists each dead letter"
assert_contains "$OUT" "backend ns1 pending 0 applied 5 dead 0" "ns1 unaffected"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM dead_letters WHERE backend='ns2'")" 5 "dead letters persisted"
assert_eq "$(zp_metric 'zonepushd_backend_dead_letters{backend="ns1",type="bind"}')" 0 "none for ns1"

# Restarting zonepushd keeps the dead letters (they are on disk, not in memory).
zp_stop
zp_start
assert_eq "$(zp_metric 'zonepushd_backend_dead_letters{backend="ns2",type="bind"}')" 5 "dead letters survive a restart"

kill -CONT "$ns2_pid"
sys_log "ns2 resumed; SIGHUP runs the healing pass"
read -r zp_pid _ <"$T/run/zonepushd.pid"
kill -HUP "$zp_pid"
ns2_has_all()
{
	local i
	for i in 1 2 3 4 5; do
		[ "$(zp_serial ns2 "zo$i.example")" = 10 ] || return 1
	done
}
sys_wait_for 30 "the healing pass brings ns2 up to date" ns2_has_all
assert_eq "$(zp_metric 'zonepushd_backend_dead_letters{backend="ns2",type="bind"}')" 0 "no dead letter left"
healed=$(zp_metric 'zonepushd_backend_healed_total{backend="ns2",type="bind"}')
[ "${healed:-0}" -ge 5 ] || fail "healed_total for ns2 is '${healed}', expected >= 5"

sys_log "a zone file lost on ns2 is healed from the stored text"
rm -f "$T/ns2/zones/zo3.example.db"
kill -HUP "$zp_pid"
sys_wait_for 30 "zo3.example.db rewritten by the healing pass" test -s "$T/ns2/zones/zo3.example.db"
assert_contains "$(cat "$T/ns2/zones/zo3.example.db")" "zo3.example.	3600	IN	SOA" "healed from the stored text"

sys_log "a zone file edited on ns2 (a record removed) is rewritten: its record count differs"
sed -i '/^www\.zo4\.example\./d' "$T/ns2/zones/zo4.example.db"
kill -HUP "$zp_pid"
restored()
{
	grep -q '^www\.zo4\.example\.' "$T/ns2/zones/zo4.example.db"
}
sys_wait_for 30 "zo4.example.db rewritten by the count check" restored
assert_contains "$(cat "$T/zonepushd.log")" "zone zo4.example has 9 records there, 10 stored" "the mismatch is logged"
zp_stop
sys_log "PASS"
