#!/usr/bin/env bash
# The route53 provider against the fake Route 53 over HTTPS (a CA made now; the
# provider verifies it through ROUTE53_CA_FILE): init, show, validate, promote,
# failback, the exact record sets in the zone after each, a listing paged one set
# at a time, foreign sets left alone, temporary credentials, and writers racing
# one compare-and-swap (exactly one wins).
set -eu
. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/route53.sh"
. "$top_srcdir/tests/system/proxy.sh"
sys_require jq
sys_setup
ZONE=example.com. RECORD=lease.example.com.
cat >"$T/seed" <<'SEED'
example.com. NS 172800 ns-1.awsdns-01.org.
example.com. SOA 900 "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
lease.example.com. AAAA 300 2001:db8::1
lease.example.com. MX 300 "10 mail.example.com."
www.example.com. A 300 192.0.2.80
www.example.com. A weighted blue
SEED
r53_start "$T/seed"
r53_config "$T/primary.env" ROLE=primary
r53_config "$T/dr.env" ROLE=dr

txt_of() { sed -n 's/^lease\.example\.com\. TXT [0-9]* //p' "$R53_STATE"; }
a_of() { sed -n 's/^lease\.example\.com\. A [0-9]* //p' "$R53_STATE"; }

assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$T/primary.env" validate
assert_contains "$OUT" "Route 53 accepts AWS_ACCESS_KEY_ID=$R53_AKID" "validate proves the credentials"
assert_contains "$OUT" "hosted zone $R53_ZONE_ID is example.com." "validate proves the zone id"
assert_contains "$OUT" "no lease yet" "validate reads the (absent) lease"
assert_eq "$(r53_requests '^POST')" 0 "validate changes nothing"

assert_exit 4 "show before init" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" "no lease TXT record at lease.example.com." "show says there is no lease"

assert_exit 0 "init as primary" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_contains "$OUT" "Lease initialized: owner=primary A=192.0.2.10" "init log line"
assert_eq "$(a_of)" "192.0.2.10" "A after init"
case $(txt_of) in '"owner=primary exp='*' epoch=1"') ;; *) fail "TXT after init: $(txt_of)" ;; esac
[ "$(r53_requests 'INSYNC')" -ge 1 ] || fail "init returned before the change was INSYNC"
assert_contains "$(r53_state)" "lease.example.com. AAAA 300 2001:db8::1" "other types at the name untouched"
assert_contains "$(r53_state)" "www.example.com. A 60 192.0.2.99 weighted=blue" "foreign set untouched"

assert_exit 0 "validate after init" -- "$DNSFAILOVER" -c "$T/primary.env" validate
assert_contains "$OUT" "read lease.example.com. in hosted zone $R53_ZONE_ID: A and TXT found" \
	"validate reads the lease"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$T/primary.env" show
json=$OUT
assert_eq "$(jq -r .A <<<"$json")" "192.0.2.10" "show A"
assert_eq "$(jq -r .owner <<<"$json")" "primary" "show owner"
assert_eq "$(jq -r .epoch <<<"$json")" "1" "show epoch"

sys_log "a listing of one set per page is followed to the lease's TXT"
r53_control maxitems=1
assert_exit 0 "show with one set per page" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_eq "$(jq -r .owner <<<"$OUT")" "primary" "paged show owner"
assert_exit 0 "validate with one set per page" -- "$DNSFAILOVER" -c "$T/primary.env" validate
assert_contains "$OUT" "A and TXT found" "validate pages to the TXT too"
r53_control

assert_exit 3 "init as dr refused while primary holds the lease" -- "$DNSFAILOVER" -c "$T/dr.env" init
before=$(r53_state)
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "FAILOVER: Promoted DR to active, A=192.0.2.20" "promote logs the seed's line"
assert_eq "$(a_of)" "192.0.2.20" "A after promote"
case $(txt_of) in '"owner=dr exp='*' epoch=2"') ;; *) fail "TXT after promote: $(txt_of)" ;; esac
assert_exit 0 "promote again is a no-op" -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "already holds the lease" "second promote changes nothing"

assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
assert_eq "$(a_of)" "192.0.2.10" "A after failback"
case $(txt_of) in '"owner=primary exp='*' epoch=3"') ;; *) fail "TXT after failback: $(txt_of)" ;; esac
[ "$before" != "$(r53_state)" ] || fail "the zone did not change"

sys_log "the InvalidChangeBatch envelope is read as well as ErrorResponse"
r53_control envelope=batch
for n in 2 8; do
	assert_exit 0 "$n writers: exactly one wins" -- \
		"$top_builddir/tests/system/cas_race" -c "$T/primary.env" -n "$n"
	winner=$(printf '%s\n' "$OUT" | sed -n 's/^writer [0-9]*: won exp=//p')
	[ -n "$winner" ] || fail "no winner line in: $OUT"
	assert_contains "$(txt_of)" "exp=$winner " "the zone holds the winner's value"
	assert_contains "$OUT" "someone else wrote first" "losers are told why"
done
r53_control
assert_exit 0 "8 writers, ErrorResponse envelope: exactly one wins" -- \
	"$top_builddir/tests/system/cas_race" -c "$T/primary.env" -n 8
assert_contains "$OUT" "someone else wrote first" "losers are told why"

sys_log "a holder notices a rival's write: init renews only against what it read"
assert_exit 0 "promote (the rival)" -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_exit 3 "the primary's init sees the rival's lease" -- "$DNSFAILOVER" -c "$T/primary.env" init

proxy_check "$T/primary.env" "https://127.0.0.1:$R53_PORT"

sys_log "temporary credentials: the session token is signed"
sys_kill fake_route53
printf 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDEXAMPLE=\n' >"$T/token"
chmod 600 "$T/token"
R53_TOKEN_FILE=$T/token r53_start "$T/seed"
r53_config "$T/sts.env" ROLE=primary AWS_SESSION_TOKEN_FILE="$T/token"
assert_exit 0 "init with a session token" -- "$DNSFAILOVER" -c "$T/sts.env" init
r53_config "$T/nosts.env" ROLE=primary
assert_exit 1 "show without the session token" -- "$DNSFAILOVER" -c "$T/nosts.env" show
assert_contains "$OUT" "AWS_SESSION_TOKEN" "the message names the missing token"
assert_contains "$OUT" "InvalidClientTokenId" "the fake refused it"
sys_log "PASS"
