#!/usr/bin/env bash
# The system test harness itself: tests/system/lib.sh against a real named for every TSIG
# algorithm, and every mode of tests/system/fake_dns as dig sees it.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"

sys_require named tsig-keygen dig nsupdate "$FAKE_DNS"
sys_setup

# ---------------------------------------------------------------------------
# Library helpers that need no server.

sys_log "assertions and config writer"
assert_exit 3 "assert_exit passes the exit status through" -- sh -c 'echo out; echo err >&2; exit 3'
assert_contains "$OUT" out "assert_exit captures stdout"
assert_contains "$OUT" err "assert_exit captures stderr"
out=$( (SYS_CMD_TIMEOUT=1 assert_exit 0 "sleeper" -- sleep 10) 2>&1) && rc=0 || rc=$?
assert_eq "$rc" 1 "assert_exit fails on a command that hangs"
assert_contains "$out" "FAIL: sleeper: hung" "assert_exit names a hang"
out=$( (assert_exit 0 "wrong status" -- false) 2>&1) && rc=0 || rc=$?
assert_eq "$rc" 1 "assert_exit fails on the wrong exit status"
assert_contains "$out" "exited 1, expected 0" "assert_exit names the status"
out=$( (assert_eq a b "mismatch") 2>&1) && rc=0 || rc=$?
assert_eq "$rc:$out" "1:FAIL: mismatch: expected 'b', got 'a'" "assert_eq fails on a mismatch"
out=$( (assert_contains abc x "absent") 2>&1) && rc=0 || rc=$?
assert_eq "$rc" 1 "assert_contains fails when the needle is absent"
out=$( (assert_not_contains abc b "present") 2>&1) && rc=0 || rc=$?
assert_eq "$rc" 1 "assert_not_contains fails when the needle is present"

sys_log "sys_wait_for"
(sleep 0.5 && touch "$T/flag") &
sys_wait_for 3 "the flag file" test -e "$T/flag"
wait
flag_set()
{
	[ -e "$T/flag" ]
}
sys_wait_for 1 "the flag file, through a function" flag_set
out=$( (sys_wait_for 1 "the moon" false) 2>&1) && rc=0 || rc=$?
assert_eq "$rc:$out" "1:FAIL: waited 1s in vain for: the moon" "sys_wait_for names what it waited for"
start=$SECONDS
out=$( (sys_wait_for 2 "nothing" false) 2>&1) && rc=0 || rc=$?
[ $((SECONDS - start)) -ge 2 ] || fail "sys_wait_for 2 gave up after $((SECONDS - start)) s"

p1=$(sys_free_port)
p2=$(sys_free_port)
[ "$p1" != "$p2" ] || fail "sys_free_port returned $p1 twice"
[ "$p1" -ge 1024 ] && [ "$p1" -le 65535 ] || fail "sys_free_port returned '$p1'"

NAMED_PORT=5300 ZONE=z.test RECORD=lease.z.test KEYFILE=/k \
	sys_write_config "$T/c1.conf" DNS_TTL=45 TSIG_KEYFILE= EXTRA=1
assert_eq "$(stat -c %a "$T/c1.conf")" 600 "config file mode"
assert_eq "$(cat "$T/c1.conf")" "ROLE=primary
DNS_PROVIDER=bind-tsig
DNS_SERVER=127.0.0.1
DNS_PORT=5300
DNS_ZONE=z.test
DNS_RECORD=lease.z.test
DNS_TTL=45
PRIMARY_IP=192.0.2.10
DR_IP=192.0.2.20
LEASE_TTL=60
UPDATE_INTERVAL=10
DNS_TIMEOUT=2
EXTRA=1" "sys_write_config output"

# ---------------------------------------------------------------------------
# fo_check_never_both and fo_active (tests/system/failover.sh) on made-up daemon logs.

sys_log "fo_check_never_both"
. "$top_srcdir/tests/system/failover.sh"
# fo_logs PRIMARY DR KILLS: the two daemons' logs and the kill list.
fo_logs()
{
	printf '%s\n' "$1" >"$T/primary.log"
	printf '%s\n' "$2" >"$T/dr.log"
	printf '%s\n' "$3" >"$T/kills"
}
# act SITE T, sby T: the daemon's ACTIVE and STANDBY lines at monotonic time T.
act()
{
	echo "Site is now ACTIVE: owner=$1 epoch=1, A=192.0.2.10 [t=$2]"
}
sby()
{
	echo "Site is now STANDBY: stepping down (the lease is not ours) [t=$1]"
}
# never_both_fails TEXT MSG [SITE...]: fo_check_never_both must fail, naming TEXT.
never_both_fails()
{
	local text=$1 msg=$2 out rc
	shift 2
	out=$( (fo_check_never_both "$@") 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" 1 "$msg: fo_check_never_both fails"
	assert_contains "$out" "$text" "$msg: the failure"
}

rm -f "$T/primary.log" "$T/dr.log"
: >"$T/kills"
never_both_fails "primary never ran" "no logs"
fo_logs "Lease renewed" "Primary healthy" ""
never_both_fails "no ACTIVE/STANDBY transition of primary" "no transitions"
fo_logs "Site is now ACTIVE: owner=primary" "" ""
never_both_fails "parsed 0 of the 1 ACTIVE/STANDBY lines of primary.log" "a line without [t=]"
fo_logs "$(sby 1.000)" "$(sby 2.000)" ""
never_both_fails "no site ever became active" "only step-downs"
fo_logs "$(act primary 1.000)" "$(act dr 2.000)" ""
never_both_fails "split brain" "an overlap"
fo_logs "$(act primary 1.000 && sby 5.000)" "$(act dr 8.000)" ""
out=$(fo_check_never_both) || fail "fo_check_never_both failed on a clean handover: $out"
assert_eq "$out" "2 transitions of primary, 1 of dr, never both active" "a clean handover"
fo_logs "$(act primary 1.000)" "Primary healthy" ""
never_both_fails "no ACTIVE/STANDBY transition of dr" "a DR that never changed"
out=$(fo_check_never_both primary) || fail "fo_check_never_both primary failed: $out"
fo_logs "$(act primary 1.000)" "$(act dr 4.000)" "3.000 primary KILLED"
out=$(fo_check_never_both) || fail "fo_check_never_both failed after a kill: $out"
fo_active primary && fail "fo_active: a killed site is active"
fo_active dr || fail "fo_active: the DR is not active"
rm -f "$T/primary.log" "$T/dr.log" "$T/kills"

# ---------------------------------------------------------------------------
# named, once per algorithm.

for alg in $SYS_ALGS; do
	sys_start_named "$alg"
	assert_eq "$KEY_ALG" "$alg" "$alg: KEY_ALG"
	assert_eq "$KEY_NAME" lease-key "$alg: KEY_NAME"
	assert_eq "$(stat -c %a "$KEYFILE"):$(stat -c %a "$OTHER_KEYFILE")" 600:600 "$alg: key file modes"
	assert_contains "$(cat "$KEYFILE")" "algorithm $alg;" "$alg: key file algorithm"
	assert_contains "$(cat "$KEYFILE")" "secret \"$KEY_SECRET\";" "$alg: KEY_SECRET"
	assert_contains "$(cat "$OTHER_KEYFILE")" 'key "other-key"' "$alg: other key name"

	empty=$(sys_zone_snapshot)
	assert_eq "$empty" "A: none
TXT: none" "$alg: no lease records at start"

	sys_nsupdate <<EOF || fail "$alg: nsupdate with lease-key failed"
update add $RECORD 30 TXT "owner=primary exp=0"
update add $RECORD 30 A 192.0.2.10
send
EOF
	assert_eq "$(sys_dig A)" 192.0.2.10 "$alg: A after the update"
	assert_eq "$(sys_dig TXT)" '"owner=primary exp=0"' "$alg: TXT after the update"
	assert_eq "$(SYS_DIG_SIGNED=1 sys_dig A)" 192.0.2.10 "$alg: signed query"
	before=$(sys_zone_snapshot)
	assert_eq "$before" "$RECORD. 30 IN A 192.0.2.10
$RECORD. 30 IN TXT \"owner=primary exp=0\"" "$alg: snapshot"

	# other-key is a valid key that update-policy grants nothing.
	out=$(KEYFILE=$OTHER_KEYFILE sys_nsupdate 2>&1 <<EOF
update delete $RECORD A
update add $RECORD 30 A 192.0.2.99
send
EOF
	) && rc=0 || rc=$?
	[ "$rc" -ne 0 ] || fail "$alg: nsupdate with other-key succeeded: $out"
	[ "$rc" -ne 124 ] || fail "$alg: nsupdate with other-key hung"
	assert_contains "$out" REFUSED "$alg: update with other-key"
	assert_zone_unchanged "$before"

	# The second zone, for NOTZONE/NOTAUTH tests, takes lease-key for its own name.
	ZONE=other.test sys_nsupdate <<EOF || fail "$alg: nsupdate in other.test failed"
update add lease.other.test 30 A 192.0.2.30
send
EOF
	assert_eq "$(sys_dig A lease.other.test)" 192.0.2.30 "$alg: A in other.test"

	if [ "$alg" = hmac-sha256 ]; then
		old_pid=$NAMED_PID
		sys_restart_named
		[ "$NAMED_PID" != "$old_pid" ] || fail "sys_restart_named kept pid $old_pid"
		assert_zone_unchanged "$before"
	fi

	port=$NAMED_PORT
	sys_stop_named
	kill -0 "$NAMED_PID" 2>/dev/null && fail "$alg: named (pid $NAMED_PID) still runs after sys_stop_named"
	assert_exit 9 "$alg: dig after sys_stop_named" -- \
		dig @127.0.0.1 -p "$port" +norec +time=1 +tries=1 example.test SOA
	out=$( (sys_stop_named) 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" 1 "$alg: sys_stop_named fails when named is not running"
done

# ---------------------------------------------------------------------------
# fake_dns, every mode, over UDP and TCP.

# dig_fake STATUS MSG [DIG OPTIONS...]: dig the fake server, expect exit STATUS (9: no
# usable answer), output in $OUT.
dig_fake()
{
	local want=$1 msg=$2
	shift 2
	SYS_CMD_TIMEOUT=10 assert_exit "$want" "$msg" -- \
		dig @127.0.0.1 -p "$FAKE_PORT" +norec +time=1 +tries=1 "$@" example.test SOA
}

stop_fake()
{
	sys_stop_fake_dns
	assert_eq "$SYS_EXIT_STATUS" 0 "fake_dns exit status after SIGTERM"
	assert_contains "$(cat "$FAKE_LOG")" "stopping on signal" "fake_dns log after SIGTERM"
}

sys_log "fake_dns silent"
sys_start_fake_dns silent -t
start=$SECONDS
dig_fake 9 "silent, udp"
assert_contains "$OUT" "timed out" "silent, udp"
dig_fake 9 "silent, tcp" +tcp
assert_contains "$OUT" "timed out" "silent, tcp"
[ $((SECONDS - start)) -le 5 ] || fail "two dig +time=1 against silent took $((SECONDS - start)) s"
assert_contains "$(cat "$FAKE_LOG")" "udp query" "silent received the udp query"
assert_contains "$(cat "$FAKE_LOG")" "tcp query" "silent received the tcp query"
assert_not_contains "$(cat "$FAKE_LOG")" "answered" "silent never answers"
stop_fake

sys_log "fake_dns garbage"
sys_start_fake_dns garbage -t -s 42
dig_fake 9 "garbage, udp"
assert_not_contains "$OUT" "Got answer" "garbage, udp"
assert_contains "$(cat "$FAKE_LOG")" "garbage: answered" "garbage answered"
# random bytes can parse as a header: dig then complains about the ID or the QR bit
assert_exit 0 "garbage, tcp" -- dig @127.0.0.1 -p "$FAKE_PORT" +tcp +time=1 +tries=1 example.test SOA
assert_not_contains "$OUT" "Got answer" "garbage, tcp"
stop_fake

sys_log "fake_dns short"
sys_start_fake_dns short -t
dig_fake 9 "short, udp"
assert_contains "$OUT" "short (< header size)" "short, udp"
dig_fake 0 "short, tcp" +tcp
assert_contains "$OUT" "short (< header size)" "short, tcp"
assert_contains "$(cat "$FAKE_LOG")" "short: answered 5 bytes" "short answered"
stop_fake

sys_log "fake_dns truncated"
sys_start_fake_dns truncated -t
dig_fake 0 "truncated, udp only" +ignore
assert_contains "$OUT" "flags: qr tc;" "truncated sets TC"
assert_contains "$OUT" "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0" "truncated has no answer"
dig_fake 9 "truncated, udp then tcp"
assert_contains "$OUT" "Truncated, retrying in TCP mode" "truncated, retry"
assert_contains "$OUT" "communications error" "truncated, tcp closed"
dig_fake 9 "truncated, tcp" +tcp
assert_contains "$OUT" "communications error" "truncated, tcp closed"
assert_contains "$(cat "$FAKE_LOG")" "truncated: closed" "truncated closes tcp"
stop_fake

sys_log "fake_dns wrongid"
sys_start_fake_dns wrongid -t
dig_fake 9 "wrongid, udp"
assert_contains "$OUT" "ID mismatch" "wrongid, udp"
dig_fake 0 "wrongid, tcp" +tcp
assert_contains "$OUT" "ID mismatch" "wrongid, tcp"
stop_fake

for mode in unsigned-notauth refused-unsigned; do
	case $mode in
	unsigned-notauth) status=NOTAUTH ;;
	*) status=REFUSED ;;
	esac
	sys_log "fake_dns $mode"
	sys_start_fake_dns "$mode" -t
	dig_fake 0 "$mode, udp"
	assert_contains "$OUT" "status: $status," "$mode, udp"
	assert_contains "$OUT" "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0" "$mode, counts"
	dig_fake 0 "$mode, tcp" +tcp
	assert_contains "$OUT" "status: $status," "$mode, tcp"
	# the key of the last named run; the answer carries no TSIG
	dig_fake 0 "$mode, signed" -k "$KEYFILE"
	assert_contains "$OUT" "expected a TSIG or SIG(0)" "$mode answers unsigned"
	stop_fake
done

sys_log "PASS"
