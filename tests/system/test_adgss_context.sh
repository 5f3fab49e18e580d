#!/usr/bin/env bash
# The life of a GSS-TSIG context under `run` (DNS_PROVIDER=ad-gss, tests/system/kdc.sh):
# renegotiated before it expires (service tickets made short on the KDC), renegotiated
# when the ticket in KRB5CCNAME is renewed, and never per renewal; SPNEGO and the
# gss.microsoft.com algorithm name work against BIND as raw Kerberos and gss-tsig do.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"

sys_start_gss_lab

lease_exp()
{
	sys_dig TXT | tr -d '"' | sed -n 's/.*exp=\([0-9]*\).*/\1/p'
}

# log_has LOG N TEXT: true when at least N lines of $T/LOG match TEXT (a grep pattern).
log_has()
{
	[ "$(grep -c -- "$3" "$T/$1" || true)" -ge "$2" ]
}

# ---------------------------------------------------------------------------
sys_log "SPNEGO and gss.microsoft.com"
sys_write_adgss_config "$T/spnego.env" GSS_MECH=spnego
assert_exit 0 "init over SPNEGO" -- "$DNSFAILOVER" -c "$T/spnego.env" init
assert_contains "$OUT" "GSS-TSIG: negotiated key" "SPNEGO negotiated"
assert_contains "$(sys_dig TXT)" "owner=primary" "SPNEGO wrote the lease"
sys_write_adgss_config "$T/ms.env" GSS_TSIG_ALG=gss.microsoft.com
assert_exit 0 "validate with gss.microsoft.com" -- "$DNSFAILOVER" -c "$T/ms.env" validate
assert_contains "$OUT" "(gss.microsoft.com; renegotiated in" "the Windows 2000 name was used"
assert_contains "$OUT" "may update $RECORD. A and TXT (signed answer verified, no change made)" \
	"gss.microsoft.com signs updates"
sys_write_adgss_config "$T/bad.env" GSS_TSIG_ALG=hmac-sha256
assert_exit 2 "GSS_TSIG_ALG=hmac-sha256" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "GSS_TSIG_ALG=hmac-sha256 is not a valid choice; expected one of gss-tsig, gss.microsoft.com" "bad GSS_TSIG_ALG named"
sys_write_adgss_config "$T/bad.env" GSS_MECH=ntlm
assert_exit 2 "GSS_MECH=ntlm" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "GSS_MECH=ntlm is not a valid choice; expected one of krb5, spnego" "bad GSS_MECH named"

# ---------------------------------------------------------------------------
# Service tickets for DNS/ns1 now last 12 s, so each context does too. A new context
# before then would reuse the same ticket and end at the same instant: it is renegotiated
# when the ticket ends, with a fresh one, while the lease goes on being renewed.
sys_log "run: the context is renegotiated when its service ticket ends"
timeout -k 2 20 kadmin.local -r "$REALM" -q "modprinc -maxlife \"12 seconds\" DNS/ns1.example.test@$REALM" \
	>>"$T/krb5-admin.log" 2>&1 || fail "kadmin modprinc failed"
sys_write_adgss_config "$T/run.env" LEASE_TTL=6 UPDATE_INTERVAL=1 RENEW_DEADLINE=4 \
	HEALTH_HOST=127.0.0.1 HEALTH_PORT="$NAMED_PORT"
sys_spawn primary "$DNSFAILOVER" -c "$T/run.env" run
sys_wait_for 14 "a second context once the first 12 s ticket ended" \
	log_has primary.log 2 "renegotiated in 1[123] s, when its service ticket ends"
sleep 2 # a window: no renewal may fail on the new context in it
exp1=$(lease_exp)
sys_kill primary
# These timings leave no room for a silent KDC; the daemon says so at start.
grep -q "a KDC that does not answer can hold a Kerberos call for up to 30 s" "$T/primary.log" ||
	fail "no warning about RENEW_DEADLINE - UPDATE_INTERVAL with ad-gss; see primary.log"
grep -q "renegotiated in 1[123] s, when its service ticket ends" "$T/primary.log" ||
	fail "the context lifetime was not taken from the ticket; see primary.log"
negotiations=$(grep -c "GSS-TSIG: negotiated key" "$T/primary.log" || true)
renewals=$(grep -c "Lease renewed" "$T/primary.log" || true)
sys_log "renewals $renewals, negotiations $negotiations in 14 s"
# The first context's ticket ends at 12 s: a negotiation in its last second may still get
# it (a context good for 0 s), the next one gets a fresh ticket good for 12 s again.
[ "$negotiations" -ge 2 ] && [ "$negotiations" -le 3 ] ||
	fail "expected 2 or 3 negotiations in 14 s with 12 s tickets, saw $negotiations; see primary.log"
[ "$(grep -c "renegotiated in 1[123] s, when its service ticket ends" "$T/primary.log")" -ge 2 ] ||
	fail "no fresh 12 s context after the first ticket ended; see primary.log"
[ "$renewals" -ge 10 ] || fail "only $renewals renewals in 14 s; see primary.log"
grep -v "stepping down (shutting down)\|can hold a Kerberos call" "$T/primary.log" | grep -q "\[WARN\]\|\[ERROR\]" &&
	fail "a renewal failed around the renegotiation; see primary.log"
[ -n "$exp1" ] || fail "no lease after the run"
timeout -k 2 20 kadmin.local -r "$REALM" -q "modprinc -maxlife \"1 day\" DNS/ns1.example.test@$REALM" \
	>>"$T/krb5-admin.log" 2>&1 || fail "kadmin modprinc failed"

# ---------------------------------------------------------------------------
# Contexts outlive the hour named keeps a key (tickets last a day): a new one is
# negotiated min(5 min, a quarter) before the key's hour is up. The hour is made 8 s
# through the test hook, so that happens after 6 s.
sys_log "run: the context is renegotiated before the server's key expires"
DNSFAILOVER_TEST_GSS_KEY_LIFETIME=8 sys_spawn keylife "$DNSFAILOVER" -c "$T/run.env" run
sys_wait_for 8 "a second context 6 s into the 8 s key" log_has keylife.log 2 "GSS-TSIG: negotiated key"
sleep 2 # a window: no renewal may fail on the new context, and no third one, in it
sys_kill keylife
grep -q "renegotiated in 6 s, before the server's key expires" "$T/keylife.log" ||
	fail "the key lifetime did not set the renegotiation; see keylife.log"
assert_eq "$(grep -c "GSS-TSIG: negotiated key" "$T/keylife.log" || true)" "2" \
	"one renegotiation 6 s into an 8 s key"
grep -v "stepping down (shutting down)\|can hold a Kerberos call" "$T/keylife.log" | grep -q "\[WARN\]\|\[ERROR\]" &&
	fail "a renewal failed around the renegotiation; see keylife.log"

# ---------------------------------------------------------------------------
sys_log "run: a renewed ticket in KRB5CCNAME brings a new context"
KRB5CCNAME=FILE:$T/dr.cc timeout 10 kinit -l 1h -k -t "$KEYTAB_DR" "lease-dr@$REALM" ||
	fail "kinit lease-dr failed"
sys_write_config "$T/dr.env" ROLE=dr DNS_PROVIDER=ad-gss TSIG_KEYFILE= \
	GSS_SERVICE=DNS/ns1.example.test LEASE_TTL=6 UPDATE_INTERVAL=1 RENEW_DEADLINE=4 \
	HEALTH_HOST=127.0.0.1 HEALTH_PORT="$NAMED_PORT"
KRB5CCNAME=FILE:$T/dr.cc sys_spawn dr "$DNSFAILOVER" -c "$T/dr.env" run
sys_wait_for 5 "the DR's first context" log_has dr.log 1 "GSS-TSIG: negotiated key"
assert_eq "$(grep -c "GSS-TSIG: negotiated key" "$T/dr.log" || true)" "1" "the DR negotiated once"
KRB5CCNAME=FILE:$T/dr.cc timeout 10 kinit -l 2h -k -t "$KEYTAB_DR" "lease-dr@$REALM" ||
	fail "kinit lease-dr (renewal) failed"
end=$((SECONDS + 15))
until grep -q "Kerberos ticket of lease-dr@$REALM was renewed" "$T/dr.log"; do
	[ "$SECONDS" -lt "$end" ] || fail "the renewed ticket was not noticed in 15 s; see dr.log"
	sleep 0.5
done
sys_wait_for 5 "a new context after the renewed ticket" log_has dr.log 2 "GSS-TSIG: negotiated key"
assert_eq "$(grep -c "GSS-TSIG: negotiated key" "$T/dr.log" || true)" "2" "a new context after the renewal"
sys_kill dr
grep -q "\[ERROR\]" "$T/dr.log" && fail "the DR logged an error; see dr.log"

sys_log "PASS"
