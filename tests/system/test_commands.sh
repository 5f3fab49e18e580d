#!/usr/bin/env bash
# init / show / validate against a real named, with a fresh key for every
# HMAC algorithm; results checked with dig and against what nsupdate does.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig nsupdate tsig-keygen jq
sys_setup

# The TXT as dig prints it: "owner=primary exp=N epoch=E".
txt_field()
{
	sys_dig TXT | tr -d '"' | tr ' ' '\n' | sed -n "s/^$1=//p"
}

for alg in $SYS_ALGS; do
	sys_log "algorithm $alg"
	sys_start_named "$alg"
	sys_write_config "$T/primary.env"
	sys_write_config "$T/dr.env" ROLE=dr

	assert_exit 4 "show before init reports no lease" -- "$DNSFAILOVER" -c "$T/primary.env" show
	assert_contains "$OUT" "run 'dnsfailover init'" "show names the fix"

	before=$(date +%s)
	assert_exit 0 "init as primary ($alg)" -- "$DNSFAILOVER" -c "$T/primary.env" init
	assert_contains "$OUT" "Lease initialized: owner=primary A=192.0.2.10" "init log line"
	assert_eq "$(sys_dig A)" "192.0.2.10" "A after init"
	assert_eq "$(txt_field owner)" "primary" "owner after init"
	assert_eq "$(txt_field epoch)" "1" "epoch after init"
	exp=$(txt_field exp)
	[ "$exp" -ge $((before + 60)) ] && [ "$exp" -le $(($(date +%s) + 60)) ] ||
		fail "exp $exp is not now + LEASE_TTL"
	ttl=$(dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer "$RECORD" TXT | awk '{print $2}')
	assert_eq "$ttl" "30" "records carry DNS_TTL"

	assert_exit 0 "show after init" -- "$DNSFAILOVER" -c "$T/primary.env" show
	json=$(printf '%s\n' "$OUT" | sed -n '/^{/,/^}/p')
	assert_eq "$(jq -r .record <<<"$json")" "lease.example.test" "show record"
	assert_eq "$(jq -r .A <<<"$json")" "192.0.2.10" "show A"
	assert_eq "$(jq -r .owner <<<"$json")" "primary" "show owner"
	assert_eq "$(jq -r '.expires_at|type' <<<"$json")" "string" "expires_at is a string"
	assert_eq "$(jq -r .expires_at <<<"$json")" "$exp" "show expires_at"
	remaining=$(jq -r .time_remaining <<<"$json")
	[ "$remaining" -gt 50 ] && [ "$remaining" -le 60 ] || fail "time_remaining $remaining"
	assert_eq "$(jq -r .epoch <<<"$json")" "1" "show epoch"
	assert_eq "$(jq -r .server <<<"$json")" "127.0.0.1#$NAMED_PORT" "show server"
	skew=$(jq -r .clock_skew <<<"$json")
	[ "$skew" -ge -2 ] && [ "$skew" -le 2 ] || fail "clock_skew $skew"

	# The DR may not take a valid primary lease: refused, exit 3, no change.
	snap=$(sys_zone_snapshot)
	assert_exit 3 "init as dr refused while primary holds the lease" -- \
		"$DNSFAILOVER" -c "$T/dr.env" init
	assert_contains "$OUT" "primary holds a valid lease" "refusal names the holder"
	assert_zone_unchanged "$snap"

	# init by the holder renews: same epoch, later or equal exp.
	assert_exit 0 "init again renews" -- "$DNSFAILOVER" -c "$T/primary.env" init
	assert_eq "$(txt_field epoch)" "1" "renewal keeps the epoch"

	# --force on the DR takes it: epoch + 1, A = DR_IP.
	assert_exit 0 "init --force as dr" -- "$DNSFAILOVER" -c "$T/dr.env" init --force
	assert_eq "$(sys_dig A)" "192.0.2.20" "A after forced dr init"
	assert_eq "$(txt_field owner)" "dr" "owner after forced dr init"
	assert_eq "$(txt_field epoch)" "2" "owner change bumps the epoch"

	assert_exit 0 "validate ($alg)" -- "$DNSFAILOVER" -c "$T/primary.env" validate
	assert_contains "$OUT" "configuration OK" "validate verdict"
	assert_contains "$OUT" "key lease-key. may update lease.example.test. A and TXT" \
		"validate proves the update policy"
	assert_not_contains "$OUT" "[FAIL]" "no failed check"
	assert_contains "$OUT" "$alg" "validate names the algorithm"
	assert_not_contains "$OUT" "$KEY_SECRET" "validate never prints the secret"
	assert_zone_unchanged "$(sys_zone_snapshot)"

	sys_stop_named
done

# The same change made by nsupdate and by dnsfailover leaves the same records.
sys_log "dnsfailover and nsupdate leave the same records"
sys_start_named hmac-sha256
sys_write_config "$T/primary.env"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
ours=$(dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer "$RECORD" ANY | sort)
txt=$(sys_dig TXT)
sys_nsupdate <<EOS || fail "nsupdate could not reset the records"
update delete $RECORD TXT
update delete $RECORD A
send
EOS
assert_eq "$(sys_dig TXT)" "" "records removed"
sys_nsupdate <<EOS || fail "nsupdate could not write the lease"
prereq nxrrset $RECORD TXT
update add $RECORD 30 TXT $txt
update add $RECORD 30 A 192.0.2.10
send
EOS
theirs=$(dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer "$RECORD" ANY | sort)
assert_eq "$ours" "$theirs" "records written by dnsfailover and by nsupdate"

# A renewal by nsupdate with the CAS prerequisite, then by dnsfailover from
# the value nsupdate wrote: dnsfailover reads nsupdate's bytes back exactly.
assert_exit 0 "init renews over nsupdate's record" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_eq "$(sys_dig A)" "192.0.2.10" "A kept"

# Without DNS_SERVER the primary comes from the zone's SOA MNAME, as nsupdate
# finds it: named is asked for the SOA, then for the MNAME's address.
sys_write_config "$T/mname.env" DNS_SERVER= DNS_RESOLVER=127.0.0.1
assert_exit 0 "show finds the primary from the SOA MNAME" -- \
	"$DNSFAILOVER" -d -c "$T/mname.env" show
assert_contains "$OUT" "primary of example.test. is ns1.example.test. (127.0.0.1)" "MNAME used"
assert_contains "$OUT" "\"server\": \"127.0.0.1#$NAMED_PORT\"" "MNAME address and DNS_PORT"
assert_exit 0 "validate says where the server came from" -- \
	"$DNSFAILOVER" -c "$T/mname.env" validate
assert_contains "$OUT" "(primary from the SOA MNAME)" "validate names the discovery"

# An answer too big for UDP comes back truncated; the client asks again
# over TCP. Three 250-byte TXT records at the name make a 900-byte answer,
# which is no lease: show reads it over TCP and refuses it.
big=$(printf 'x%.0s' $(seq 1 250))
sys_nsupdate <<EOS || fail "nsupdate could not add the big TXT records"
update delete $RECORD TXT
update add $RECORD 30 TXT "a$big"
update add $RECORD 30 TXT "b$big"
update add $RECORD 30 TXT "c$big"
send
EOS
assert_exit 1 "show over TCP after truncation" -- "$DNSFAILOVER" -d -c "$T/primary.env" show
assert_contains "$OUT" "truncated, retrying over TCP" "TCP fallback taken"
assert_contains "$OUT" "is not a lease" "three TXT records are not a lease"
snap=$(sys_zone_snapshot)
assert_exit 1 "init does not overwrite what is not a lease" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_contains "$OUT" "not a lease" "init names the reason"
assert_zone_unchanged "$snap"
sys_stop_named
sys_log "PASS"
