#!/usr/bin/env bash
# A signed UPDATE larger than 512 bytes (an hmac-sha512 key with a long
# name) goes to named over TCP only, once: init writes the lease the first
# time and says so, and a run pair takes and renews it. Sent over UDP as
# well, the server would apply the first copy and fail the prerequisite of
# the second.
set -eu
. "$top_srcdir/tests/system/failover.sh"

# The longest key name (253 bytes on the wire, the owner of the TSIG RR
# with the 64-byte hmac-sha512 MAC) and a record with a 63-byte label: the
# UPDATE that creates the lease is over 512 bytes (a query is not).
LONG_KEY=$(printf 'k%.0s' {1..63}).$(printf 'e%.0s' {1..63}).$(printf 'y%.0s' {1..63}).lease-key-$(printf 'x%.0s' {1..49})
LONG_RECORD=$(printf 'l%.0s' {1..63}).example.test

# named.conf of lib.sh, plus the long key and its grant for the long record;
# the configs sign with that key and hold that record.
long_key_named_conf()
{
	if [ ! -s "$T/long-key.conf" ]; then
		(umask 077 && tsig-keygen -a hmac-sha512 "$LONG_KEY" >"$T/long-key.conf") ||
			fail "tsig-keygen -a hmac-sha512 $LONG_KEY failed"
		chmod 600 "$T/long-key.conf"
	fi
	_sys_named_conf
	sed -i -e "1i include \"$T/long-key.conf\";" \
		-e "s/grant lease-key name lease.example.test. A TXT;/& grant $LONG_KEY. name $LONG_RECORD. A TXT;/" \
		"$T/named.conf"
	KEYFILE=$T/long-key.conf
	RECORD=$LONG_RECORD
}
SYS_NAMED_CONF=long_key_named_conf
FO_ALG=hmac-sha512
fo_begin LOG_LEVEL=debug

serial()
{
	dig @127.0.0.1 -p "$NAMED_PORT" +norec +short +time=2 +tries=1 "$ZONE" SOA | awk '{print $3}'
}

assert_eq "$(grep -c '^TSIG_KEYFILE=.*/long-key.conf$' "$T/primary.env")" "1" "config uses the long key"
before=$(serial)
mark=$(wc -l <"$T/named.log")
assert_exit 0 "init with a 512+ byte UPDATE" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_contains "$OUT" "Lease initialized: owner=primary A=192.0.2.10" "init says it wrote"
assert_not_contains "$OUT" "nothing was written" "init does not deny its write"
assert_eq "$(sys_dig A)" "192.0.2.10" "A after init"
txt=$(sys_dig TXT | tr -d '"')
assert_contains "$txt" "owner=primary" "TXT owner after init"
assert_contains "$txt" "epoch=1" "TXT epoch after init"
assert_eq "$(serial)" "$((before + 1))" "the zone changed once"
updates=$(tail -n +"$((mark + 1))" "$T/named.log" | grep -c "updating zone 'example.test/IN'" || true)
failed=$(tail -n +"$((mark + 1))" "$T/named.log" | grep -c "update unsuccessful\|prerequisite not satisfied" || true)
sys_log "named: $updates update line(s), $failed failure line(s) for init"
assert_eq "$failed" "0" "no copy of the UPDATE failed its prerequisite at named"
printf '%s\n' "$OUT" | grep 'does not fit a UDP datagram' | head -1 | sed 's/^/# /'
assert_contains "$OUT" "does not fit a UDP datagram, sending it over TCP" "the UPDATE went over TCP"

fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10
fo_wait_log dr "Primary healthy" 5
sleep 3 # renewals every second, each one UPDATE over TCP
assert_not_contains "$(cat "$T/primary.log")" "Could not take the lease" "renewals succeed"
assert_eq "$(fo_owner)" "primary" "primary holds the lease"
fo_stop dr
fo_stop primary
assert_eq "$(tail -n +"$((mark + 1))" "$T/named.log" | grep -c "prerequisite not satisfied" || true)" "0" \
	"no UPDATE reached named twice"
fo_check_never_both primary
sys_log "PASS"
