#!/usr/bin/env bash
# The script provider: the seed's example scripts run unmodified; the commands
# and two daemons through a failover and a failback (the collector stand-in on
# exactly one site, a rival write noticed) with test scripts that keep the
# lease in files; every failure of a script (exit 1, bad JSON, a hang killed
# at SCRIPT_TIMEOUT with its process group) is a clear error, a non-zero
# exit, and no change; a set script that drops the epoch still works.
set -eu
. "$top_srcdir/tests/system/provider_fake.sh"
pf_begin
ST=$T/st
pf_configs DNS_PROVIDER=script DNS_ZONE=example.com DNS_RECORD=lease.example.com \
	"SCRIPT_SET=$top_srcdir/tests/system/script_set.sh $ST" \
	"SCRIPT_GET=$top_srcdir/tests/system/script_get.sh $ST" SCRIPT_TIMEOUT=2
P=$T/primary.env
DR=$T/dr.env

# state: the lease as the scripts keep it.
state()
{
	echo "$(cat "$ST.a" 2>/dev/null) $(cat "$ST.txt" 2>/dev/null)"
}

# expect_fail MSG TEXT CONFIG COMMAND: exits 1 with TEXT, the lease unchanged.
expect_fail()
{
	local msg=$1 text=$2 conf=$3 cmd=$4 before
	before=$(state)
	assert_exit 1 "$msg" -- "$DNSFAILOVER" -c "$conf" "$cmd"
	assert_contains "$OUT" "$text" "$msg: the message"
	assert_eq "$(state)" "$before" "$msg: no change"
}

# group_gone: the process group of the script that hung has no process left.
group_gone()
{
	local pgid
	pgid=$(cat "$ST.pgid")
	! pgrep -g "$pgid" >/dev/null
}

sys_log "the seed's example scripts, unmodified"
mkdir "$T/bin"
cat >"$T/bin/curl" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$T/curl.args"
EOS
chmod 755 "$T/bin/curl"
sys_write_config "$T/seed.env" ROLE=dr DNS_SERVER= DNS_PORT= TSIG_KEYFILE= DNS_PROVIDER=script \
	DNS_ZONE=example.com DNS_RECORD=lease.example.com \
	"SCRIPT_SET=$VECTORS_DIR/script/set_dns.sh" "SCRIPT_GET=$VECTORS_DIR/script/get_dns.sh"
assert_exit 0 "show through the seed's get_dns.sh" -- "$DNSFAILOVER" -c "$T/seed.env" show
assert_contains "$OUT" '"A": "10.10.10.10"' "the seed's A"
assert_contains "$OUT" '"expires_at": "1699567890"' "the seed's exp"
assert_contains "$OUT" '"epoch": 0,' "no epoch reads as 0"
assert_exit 1 "promote through the seed's set_dns.sh (a stub that stores nothing)" -- \
	env PATH="$T/bin:$PATH" "$DNSFAILOVER" -c "$T/seed.env" promote
assert_contains "$OUT" "SCRIPT_SET exited 0 but SCRIPT_GET still prints the old lease" "the stub is noticed"
args=$(cat "$T/curl.args")
assert_contains "$args" "https://your-dns/api/record/lease.example.com" "set_dns.sh got the record"
assert_contains "$args" '{"ip":"192.0.2.20","txt":"owner=dr exp=' "set_dns.sh got ip, owner and expiry"

sys_log "validate, init, show, promote, failback"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$P" validate
assert_contains "$OUT" "has no atomic compare-and-swap: a script cannot compare and swap" "validate says the CAS is not atomic"
assert_exit 4 "show before init" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" "SCRIPT_GET prints no \"TXT\"" "show says what is missing"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$P" init
assert_contains "$(state)" "192.0.2.10 owner=primary exp=" "init wrote A and TXT"
assert_contains "$(state)" " epoch=1" "the TXT passed to the script carries the epoch"
assert_eq "$(tail -n 1 "$ST.set-args" | cut -d' ' -f1-3,5-)" "lease.example.com 192.0.2.10 primary 30 example.com" "record ip owner expiry ttl zone"
env=$(cat "$ST.set-env")
assert_contains "$env" "DNS_TXT=owner=primary exp=" "DNS_TXT"
assert_contains "$env" "DNS_EPOCH=1" "DNS_EPOCH"
assert_contains "$env" "DNS_OWNER=primary" "DNS_OWNER"
assert_not_contains "$env" "SCRIPT_SET" "no setting of ours reaches the script"
assert_not_contains "$env" "top_srcdir" "nor the caller's environment"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"epoch": 1,' "show: epoch"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$DR" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote line"
assert_contains "$(state)" "192.0.2.20 owner=dr exp=" "promote wrote A and TXT"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$(state)" "192.0.2.10 owner=primary exp=" "failback wrote A and TXT"
assert_contains "$(state)" " epoch=3" "each change of owner raises the epoch"

sys_log "a set script that drops the epoch"
touch "$ST.drop-epoch"
assert_exit 0 "promote with a set script that drops the epoch" -- "$DNSFAILOVER" -c "$DR" promote
assert_not_contains "$(state)" "epoch" "the script wrote no epoch"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$P" show
assert_contains "$OUT" '"epoch": 0,' "it reads as epoch 0"
assert_exit 0 "failback from an epoch-0 lease" -- "$DNSFAILOVER" -c "$P" failback
assert_contains "$(state)" "192.0.2.10 owner=primary exp=" "failback applied"
rm "$ST.drop-epoch"
assert_exit 0 "init --force" -- "$DNSFAILOVER" -c "$P" init --force

sys_log "failing scripts"
echo exit1 >"$ST.get-mode"
expect_fail "SCRIPT_GET exits 1: show" 'script_get.sh), stderr: "get: cannot reach the DNS API"' "$P" show
assert_contains "$OUT" "exited with status 1" "the status"
expect_fail "SCRIPT_GET exits 1: promote" "exited with status 1" "$DR" promote
expect_fail "SCRIPT_GET exits 1: validate" "exited with status 1" "$P" validate
echo badjson >"$ST.get-mode"
expect_fail "bad JSON: show" 'printed something else, not {"A": "<ip>", "TXT": "<lease>"}: not JSON' "$P" show
expect_fail "bad JSON: promote" "not JSON" "$DR" promote
echo hang >"$ST.get-mode"
start=$SECONDS
expect_fail "SCRIPT_GET hangs: show" "did not finish within 2 s: killed it and its process group (SCRIPT_TIMEOUT=2)" "$P" show
[ $((SECONDS - start)) -le 5 ] || fail "the hung SCRIPT_GET was not stopped at SCRIPT_TIMEOUT ($((SECONDS - start)) s)"
sys_wait_for 2 "the hung SCRIPT_GET's process group gone" group_gone
rm "$ST.get-mode"
echo fail >"$ST.set-mode"
expect_fail "SCRIPT_SET exits 1: promote" 'script_set.sh), stderr: "set: the DNS API said no (HTTP 403)"' "$DR" promote
assert_contains "$OUT" "the update did not apply" "the command reads back and says so"
echo hang >"$ST.set-mode"
expect_fail "SCRIPT_SET hangs: promote" "did not finish within 2 s: killed it and its process group" "$DR" promote
sys_wait_for 2 "the hung SCRIPT_SET's process group gone" group_gone
sleep 1 # what a surviving script would write after its sleep must not come
rm "$ST.set-mode"
sed 's|^SCRIPT_GET=.*|SCRIPT_GET=/nonexistent/get_dns.sh|' "$P" >"$T/missing.env"
expect_fail "SCRIPT_GET missing: validate" "SCRIPT_GET /nonexistent/get_dns.sh cannot be run" "$T/missing.env" validate
expect_fail "SCRIPT_GET missing: show" "cannot be run: check the path" "$T/missing.env" show
sed '/^SCRIPT_SET=/d' "$P" >"$T/noset.env"
assert_exit 1 "no SCRIPT_SET: validate" -- "$DNSFAILOVER" -c "$T/noset.env" validate
assert_contains "$OUT" "DNS_PROVIDER=script needs SCRIPT_SET" "the key is named"

sys_log "two daemons"
rival()
{
	printf 'owner=primary exp=%s epoch=99\n' "$(($(date +%s) + 3))" >"$ST.txt"
}
pf_daemons rival
assert_contains "$(cat "$T/primary.log")" "provider script has no atomic compare-and-swap" "the start-up log says the CAS is not atomic"

sys_log "a holder whose SCRIPT_GET hangs steps down on time"
assert_exit 0 "init --force" -- "$DNSFAILOVER" -c "$P" init --force
mv "$T/primary.log" "$T/primary-daemons.log"
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
rm -f "$ST.pgids"
echo hang >"$ST.get-mode"
hung=$SECONDS
fo_wait_log primary "Site is now STANDBY" $((FO_D + 3))
sys_log "stepped down $((SECONDS - hung)) s after SCRIPT_GET hung (RENEW_DEADLINE=$FO_D)"
assert_contains "$(cat "$T/primary.log")" "did not finish within 1 s: killed it and its process group" "the log says the script was killed at the tick's deadline"
rm "$ST.get-mode"
fo_wait_log primary "Lease renewed" 10
# Every SCRIPT_GET that hung was killed with its group (a new one may be
# in flight only while get-mode said hang).
all_groups_gone() { ! pgrep -g "$(paste -sd, "$ST.pgids")" >/dev/null; }
sys_wait_for 3 "every hung SCRIPT_GET's process group gone" all_groups_gone
sys_log "$(wc -l <"$ST.pgids") hung SCRIPT_GET runs, all killed"
fo_stop primary
sys_log "PASS"
