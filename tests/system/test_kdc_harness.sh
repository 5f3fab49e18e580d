#!/usr/bin/env bash
# The Kerberos side of the system test harness (tests/system/kdc.sh): a throwaway MIT KDC
# and a named accepting GSS-TSIG. nsupdate -g as lease-primary and lease-dr may write the
# lease records, a principal outside update-policy is REFUSED, and without the KDC a fresh
# kinit fails fast with a clear error.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"

sys_require_kdc
sys_setup
start=$SECONDS

sys_start_kdc
assert_eq "$(stat -c %a "$KEYTAB_PRIMARY")" 600 "primary keytab mode"
assert_eq "$(stat -c %a "$KEYTAB_INTRUDER")" 600 "intruder keytab mode"
[ -s "${CCACHE_PRIMARY#FILE:}" ] || fail "sys_start_kdc left no ticket in $CCACHE_PRIMARY"
sys_start_named_gss hmac-sha256

# ---------------------------------------------------------------------------
sys_log "nsupdate -g as lease-primary"
out=$(sys_nsupdate_gss "$CCACHE_PRIMARY" 2>&1 <<EOF
update delete $RECORD A
update delete $RECORD TXT
update add $RECORD 30 A 192.0.2.10
update add $RECORD 30 TXT "owner=primary"
send
EOF
) || fail "nsupdate -g as lease-primary failed: $out"
assert_eq "$(sys_dig A)" 192.0.2.10 "A after the lease-primary update"
assert_eq "$(sys_dig TXT)" '"owner=primary"' "TXT after the lease-primary update"

# ---------------------------------------------------------------------------
sys_log "nsupdate -g as lease-dr"
out=$(sys_kinit "lease-dr@$REALM" "$KEYTAB_DR" "$T/dr.cc" 2>&1) || fail "kinit lease-dr: $out"
out=$(sys_nsupdate_gss "$T/dr.cc" 2>&1 <<EOF
prereq yxrrset $RECORD A 192.0.2.10
update delete $RECORD A
update delete $RECORD TXT
update add $RECORD 30 A 192.0.2.20
update add $RECORD 30 TXT "owner=dr"
send
EOF
) || fail "nsupdate -g as lease-dr failed: $out"
assert_eq "$(sys_dig A)" 192.0.2.20 "A after the lease-dr update"
assert_eq "$(sys_dig TXT)" '"owner=dr"' "TXT after the lease-dr update"

# ---------------------------------------------------------------------------
sys_log "nsupdate -g as intruder (not in update-policy)"
out=$(sys_kinit "intruder@$REALM" "$KEYTAB_INTRUDER" "$T/intruder.cc" 2>&1) || fail "kinit intruder: $out"
before=$(sys_zone_snapshot) || exit 1
out=$(sys_nsupdate_gss "$T/intruder.cc" 2>&1 <<EOF
update delete $RECORD A
update add $RECORD 30 A 198.51.100.66
send
EOF
) && rc=0 || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
	fail "nsupdate -g as intruder exited $rc, expected a refusal: $out"
fi
assert_contains "$out" REFUSED "nsupdate -g as intruder"
assert_zone_unchanged "$before"

# ---------------------------------------------------------------------------
sys_log "HMAC key lease-key on the same server"
out=$(sys_nsupdate 2>&1 <<EOF
update delete $RECORD A
update add $RECORD 30 A 192.0.2.30
send
EOF
) || fail "nsupdate -k lease-key failed: $out"
assert_eq "$(sys_dig A)" 192.0.2.30 "A after the HMAC update"

# ---------------------------------------------------------------------------
sys_log "named logs the signers"
log=$(cat "$T/named.log")
assert_contains "$log" 'lease-primary\@EXAMPLE.TEST' "named.log names the lease-primary signer"
assert_contains "$log" 'lease-dr\@EXAMPLE.TEST' "named.log names the lease-dr signer"
assert_contains "$log" 'intruder\@EXAMPLE.TEST: updating zone '"'example.test/IN'"': update failed: rejected by secure update (REFUSED)' \
	"named.log names the refused signer"

# ---------------------------------------------------------------------------
sys_log "KDC down"
sys_stop_kdc
t0=$SECONDS
out=$(sys_kinit "lease-primary@$REALM" "$KEYTAB_PRIMARY" "$T/after.cc" 2>&1) && rc=0 || rc=$?
took=$((SECONDS - t0))
[ "$rc" -ne 0 ] || fail "kinit succeeded without a KDC"
[ "$rc" -ne 124 ] || fail "kinit without a KDC hung: $out"
assert_contains "$out" "Cannot contact any KDC for realm 'EXAMPLE.TEST'" "kinit without a KDC"
[ "$took" -le 5 ] || fail "kinit without a KDC took ${took}s"
sys_log "kinit without a KDC failed in ${took}s: $out"

# The service ticket for DNS/ns1.example.test cached by the first update is enough:
# named never talks to the KDC.
out=$(sys_nsupdate_gss "$CCACHE_PRIMARY" 2>&1 <<EOF
update delete $RECORD A
update add $RECORD 30 A 192.0.2.11
send
EOF
) || fail "nsupdate -g with a cached service ticket and no KDC failed: $out"
assert_eq "$(sys_dig A)" 192.0.2.11 "A after the update without a KDC"

sys_log "done in $((SECONDS - start)) s"
