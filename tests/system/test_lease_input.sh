#!/usr/bin/env bash
# Lease records written by someone else, read as they are: control bytes in
# the TXT never reach a log line raw (no forged "FAILOVER" line), an epoch
# beyond the fencing range is not a lease and is never wrapped, and a second
# A record at the lease name is reported, then replaced by the next write.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig nsupdate tsig-keygen
sys_setup
SYS_CMD_TIMEOUT=15

sys_start_named hmac-sha256
timing=(UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 DNS_TIMEOUT=1 DNS_RETRIES=0)
sys_write_config "$T/primary.env" "${timing[@]}"
sys_write_config "$T/dr.env" ROLE=dr "${timing[@]}"

FORGED='[2026-01-01 00:00:00] [INFO] FAILOVER: Promoted DR to active, A=203.0.113.66'

# clean TEXT WHAT: TEXT holds only printable ASCII and line breaks, and no line
# of it is the forged one.
clean()
{
	local raw
	raw=$(printf '%s' "$1" | LC_ALL=C tr -d '\n\040-\176' | od -An -c)
	[ -z "$raw" ] || fail "$2: raw bytes in the output:$raw
$1"
	if grep -qxF -- "$FORGED" <<<"$1"; then
		fail "$2: a line forged by the TXT:
$1"
	fi
	if grep -q '^\[2026-01-01 00:00:00\]' <<<"$1"; then
		fail "$2: a line forged by the TXT:
$1"
	fi
}

# set_txt TEXT (presentation form, \DDD escapes allowed): replaces the TXT.
set_txt()
{
	sys_nsupdate <<EOS || fail "nsupdate could not write the TXT $1"
update delete $RECORD TXT
update add $RECORD 30 TXT "$1"
send
EOS
}

# The TXT as nsupdate gets it: CR (\013), LF (\010) and ESC (\027) in the value.
INJECT="x\\013\\010$FORGED\\027[2K\\027]0;owned\\007"

sys_log "control bytes in a TXT that is not a lease"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
set_txt "v=1 note=$INJECT"
assert_exit 1 "show: not a lease" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" "is not a lease" "show names the problem"
assert_contains "$OUT" 'note=x\x0d\x0a[2026-01-01 00:00:00] [INFO] FAILOVER' "show escapes CR and LF"
assert_contains "$OUT" '\x1b[2K' "show escapes ESC"
clean "$OUT" "show"
snap=$(sys_zone_snapshot)
assert_exit 1 "init refuses what is not a lease" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_contains "$OUT" "which is not a lease" "init names the problem"
clean "$OUT" "init"
assert_zone_unchanged "$snap"

sys_log "the daemon logs such a TXT escaped"
sys_spawn primary "$DNSFAILOVER" -c "$T/primary.env" run
sys_wait_for 10 "the daemon refusing the TXT" grep -qF "which is not a lease: not touching it" "$T/primary.log"
sys_kill primary
clean "$(cat "$T/primary.log")" "run (foreign TXT)"

sys_log "control bytes in an unknown word of a valid lease"
assert_exit 0 "init --force" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
clean "$OUT" "init --force"
: >"$T/primary.log"
sys_spawn primary "$DNSFAILOVER" -c "$T/primary.env" run
sys_wait_for 10 "the primary renewing" grep -qF "Lease renewed" "$T/primary.log"
set_txt "owner=dr exp=$(($(date +%s) + 3600)) epoch=9 note=$INJECT"
sys_wait_for 10 "the primary losing the lease" grep -qF "Lease lost: the record now holds" "$T/primary.log"
sys_kill primary
log=$(cat "$T/primary.log")
assert_contains "$log" 'epoch=9 note=x\x0d\x0a[2026-01-01' "run escapes the TXT it quotes"
clean "$log" "run (lease lost)"
assert_exit 0 "show: a valid lease" -- "$DNSFAILOVER" -c "$T/primary.env" show
clean "$OUT" "show (valid lease)"
assert_exit 0 "failback over it" -- "$DNSFAILOVER" -c "$T/primary.env" failback
clean "$OUT" "failback"

sys_log "epochs beyond the fencing range"
past=$(($(date +%s) - 600))
set_txt "owner=dr exp=$past epoch=18446744073709551615"
assert_exit 1 "show: epoch 2^64-1 is not a lease" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" "epoch=18446744073709551615 is out of range (0-9223372036854775807)" "show says why"
assert_not_contains "$OUT" '"epoch": -1' "no negative epoch"
set_txt "owner=dr exp=$past epoch=9223372036854775808"
assert_exit 1 "show: epoch 2^63 is not a lease" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" "is out of range" "show says why (2^63)"
set_txt "owner=dr exp=$past epoch=9223372036854775807"
assert_exit 0 "show: the largest epoch" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" '"epoch": 9223372036854775807' "show prints the largest epoch"
snap=$(sys_zone_snapshot)
assert_exit 1 "failback cannot raise the largest epoch" -- "$DNSFAILOVER" -c "$T/primary.env" failback
assert_contains "$OUT" "9223372036854775807" "failback names the epoch"
assert_contains "$OUT" "largest" "failback says why"
assert_zone_unchanged "$snap"
assert_exit 1 "init --force cannot raise it either" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
assert_zone_unchanged "$snap"

sys_log "two A records at the lease name"
sys_nsupdate <<EOS || fail "nsupdate could not reset the lease"
update delete $RECORD TXT
update delete $RECORD A
send
EOS
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
sys_nsupdate <<EOS || fail "nsupdate could not add a second A record"
update add $RECORD 30 A 192.0.2.99
send
EOS
assert_eq "$(sys_dig A | sort | tr '\n' ' ')" "192.0.2.10 192.0.2.99 " "two A records"
assert_exit 1 "show: two A records" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" "2 A records" "show counts them"
assert_contains "$OUT" "192.0.2.10" "show names the first"
assert_contains "$OUT" "192.0.2.99" "show names the second"
assert_contains "$OUT" "a lease has one A record" "show explains"
# A renewal replaces the whole A RRset.
assert_exit 0 "init renews over two A records" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_contains "$OUT" "2 A records" "init reports them"
assert_eq "$(sys_dig A)" "192.0.2.10" "one A record after the write"
assert_exit 0 "show: one A record again" -- "$DNSFAILOVER" -c "$T/primary.env" show

: >"$T/primary.log"
sys_spawn primary "$DNSFAILOVER" -c "$T/primary.env" run
sys_wait_for 10 "the primary renewing" grep -qF "Lease renewed" "$T/primary.log"
sys_nsupdate <<EOS || fail "nsupdate could not add a second A record"
update add $RECORD 30 A 192.0.2.99
send
EOS
sys_wait_for 10 "the daemon reporting two A records" grep -qF "2 A records" "$T/primary.log"
one_a()
{
	[ "$(sys_dig A)" = "192.0.2.10" ]
}
sys_wait_for 10 "the renewal replacing both A records" one_a
sys_kill primary
assert_contains "$(cat "$T/primary.log")" "192.0.2.99" "the daemon names the extra address"
sys_log "PASS"
