#!/usr/bin/env bash
# The reconciler against a fake DirectAdmin master that enforces Basic auth and pages its
# JSON listing (and the login fallback of the Evolution skin): zones the master no longer lists are deleted from the backends (dry-run
# mode only logs them); a listing that fails in any way (an error, a redirect, an HTML
# page, a failure on page 2, bad credentials) deletes nothing; the legacy listing is used
# when the JSON one is absent; zones of another master are never touched.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

FAKE_DA=$top_builddir/tests/system/fake_da
zp_begin named rndc dig curl sqlite3 "$FAKE_DA"
zp_start_named ns1
printf 'da-list-pw\n' >"$T/da.pw"
chmod 600 "$T/da.pw"
printf 'zr1.example\nzr2.example\nzr3.example\nzr4.example\nzr5.example\n' >"$T/listed"
echo json >"$T/mode"
sys_spawn fake_da "$FAKE_DA" "$T/da.port" admin:da-list-pw "$T/listed" "$T/mode"
sys_wait_for 5 "fake DA up" test -s "$T/da.port"
DA_PORT=$(cat "$T/da.port")

conf()
{
	zp_write_conf "retry_schedule=1,1" "heal_interval=3600" "reconcile_interval=${1}" \
		"reconcile_dry_run=${2}" \
		"BACKEND_EXTRA=[master m1.da.example]\nurl = http://127.0.0.1:$DA_PORT\nuser = ${3:-admin}\npassword_file = $T/da.pw\npage_size = 2\ntimeout = 5"
}
conf 3600 no
zp_start
for i in 1 2 3 4 5; do
	zp_zone "zr$i.example" 1 >"$T/z"
	assert_contains "$(da_rawsave "zr$i.example" "$T/z" m1.da.example)" "error=0" "push zr$i"
done
zp_zone other.example 1 >"$T/z"
assert_contains "$(da_rawsave other.example "$T/z" m2.da.example)" "error=0" "push a zone of another master"
all()
{
	local z
	for z in zr1 zr2 zr3 zr4 zr5 other; do
		[ "$(zp_serial ns1 "$z.example")" = 1 ] || return 1
	done
}
sys_wait_for 10 "named serves every zone" all
sys_wait_for 10 "first pass (everything listed)" sh -c "grep -c 'page=3&ipp=2' '$T/fake_da.log' | grep -q 1"
assert_contains "$(cat "$T/fake_da.log")" "GET /CMD_DNS_ADMIN?json=yes&page=1&ipp=2" "paged JSON listing"
assert_eq "$(zp_metric 'zonepushd_reconcile_orphans_total{action="deleted"}')" 0 "nothing deleted while all are listed"

restart_with()
{
	zp_stop
	: >"$T/fake_da.log"
	conf "$@"
	zp_start
	sys_wait_for 10 "a reconciler pass" sh -c "[ -s '$T/fake_da.log' ] && grep -q . '$T/fake_da.log'"
	sleep 1
}

printf 'zr1.example\nzr2.example\nzr3.example\n' >"$T/listed"
for mode in error redirect html page2fail; do
	# redirect: Basic auth redirected and the login answers no cookie
	echo "$mode" >"$T/mode"
	restart_with 3600 no
	assert_eq "$(zp_metric 'zonepushd_reconcile_listings_total{result="failed"}')" 1 "$mode: the listing failed"
	assert_eq "$(zp_metric 'zonepushd_reconcile_orphans_total{action="deleted"}')" 0 "$mode: nothing deleted"
	assert_eq "$(zp_serial ns1 zr5.example)" 1 "$mode: zr5 still served"
done
assert_contains "$(cat "$T/zonepushd.log")" "m1.da.example is unknown for this pass" "the failed listing is logged"
echo json >"$T/mode"
restart_with 3600 no wrong-user
assert_eq "$(zp_metric 'zonepushd_reconcile_orphans_total{action="deleted"}')" 0 "bad credentials: nothing deleted"
assert_contains "$(cat "$T/zonepushd.log")" "HTTP 401" "the 401 is named"

sys_log "the Evolution skin: Basic auth redirected, the login fallback lists"
echo login >"$T/mode"
restart_with 3600 yes
assert_contains "$(cat "$T/fake_da.log")" "POST /CMD_LOGIN" "logged in"
assert_eq "$(zp_metric 'zonepushd_reconcile_listings_total{result="ok"}')" 1 "listed after the login"
assert_eq "$(zp_metric 'zonepushd_reconcile_orphans_total{action="dry_run"}')" 2 "two orphans found after the login"
restart_with 3600 yes wrong-user
assert_eq "$(zp_metric 'zonepushd_reconcile_listings_total{result="failed"}')" 1 "a login that sets no cookie fails"
echo json >"$T/mode"

sys_log "dry run: logged, not deleted"
restart_with 3600 yes
assert_eq "$(zp_metric 'zonepushd_reconcile_orphans_total{action="dry_run"}')" 2 "two orphans found"
assert_contains "$(cat "$T/zonepushd.log")" "would delete zr4.example" "dry run logs the orphan"
assert_eq "$(zp_serial ns1 zr4.example)" 1 "dry run deletes nothing"

sys_log "a complete listing: the orphans are deleted, the other master's zone kept"
restart_with 3600 no
gone()
{
	[ -z "$(zp_serial ns1 zr4.example)" ] && [ -z "$(zp_serial ns1 zr5.example)" ]
}
sys_wait_for 10 "zr4 and zr5 deleted" gone
assert_eq "$(zp_serial ns1 zr3.example)" 1 "listed zone kept"
assert_eq "$(zp_serial ns1 other.example)" 1 "another master's zone kept"

sys_log "legacy listing"
echo legacy >"$T/mode"
printf 'zr1.example\nzr2.example\n' >"$T/listed"
restart_with 3600 no
assert_contains "$(cat "$T/fake_da.log")" "GET /CMD_API_SHOW_ALL_DOMAINS" "legacy listing asked"
sys_wait_for 10 "zr3 deleted from the legacy listing" sh -c "[ -z \"\$(dig @127.0.0.1 -p $ns1_DNS_PORT +short zr3.example SOA)\" ]"
assert_eq "$(zp_serial ns1 zr1.example)" 1 "zr1 kept"
zp_stop
sys_log "PASS"
