#!/usr/bin/env bash
# DNS_PROVIDER=ad-gss against a throwaway MIT KDC and a named with tkey-gssapi-keytab
# (tests/system/kdc.sh): validate, init, show and a run renewal loop signed with GSS-TSIG;
# records as nsupdate -g writes them; one context for many renewals, a new one when named
# forgets it (BADKEY); a principal the update-policy does not name, a stopped KDC, a
# missing or open keytab, an expired ticket cache and a skewed clock each give a clear
# error and change nothing.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"

sys_start_gss_lab
sys_require klist

# renewals_at_least N: true when primary.log shows at least N renewals.
renewals_at_least()
{
	[ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -ge "$1" ]
}

# renewed_after_badkey: true when a renewal follows the BADKEY answer in primary.log.
renewed_after_badkey()
{
	awk '/no longer knows our key \(BADKEY\)/ { b = 1 } b && /Lease renewed/ { r = 1 }
		END { exit !r }' "$T/primary.log"
}

# ticket_expired CACHE: true once CACHE holds no valid ticket.
ticket_expired()
{
	! KRB5CCNAME=$1 klist -s
}

# ---------------------------------------------------------------------------
sys_log "validate with a keytab: ticket, context, key accepted, nothing changed"
sys_write_adgss_config "$T/primary.env"
before=$(sys_zone_snapshot)
assert_exit 0 "validate ad-gss" -- "$DNSFAILOVER" -c "$T/primary.env" validate
printf '%s\n' "$OUT"
assert_contains "$OUT" "Kerberos ticket for lease-primary@$REALM from keytab $KEYTAB_PRIMARY" \
	"validate names the ticket"
assert_contains "$OUT" "GSS-TSIG context established with 127.0.0.1#$NAMED_PORT for DNS/ns1.example.test" \
	"validate names the context"
assert_contains "$OUT" "principal lease-primary@$REALM (GSS-TSIG) accepted for queries" \
	"validate proves signed queries"
assert_contains "$OUT" "principal lease-primary@$REALM may update $RECORD. A and TXT (signed answer verified, no change made)" \
	"validate proves the update policy"
assert_eq "$(sys_zone_snapshot)" "$before" "validate changed nothing"

# ---------------------------------------------------------------------------
sys_log "init and show over GSS-TSIG"
assert_exit 0 "init ad-gss" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_eq "$(sys_dig A)" "192.0.2.10" "init wrote the A record"
txt=$(sys_dig TXT)
assert_contains "$txt" "owner=primary exp=" "init wrote the lease TXT"
assert_contains "$txt" " epoch=1" "init wrote epoch 1"
assert_exit 0 "show ad-gss" -- "$DNSFAILOVER" -c "$T/primary.env" show
assert_contains "$OUT" '"owner": "primary"' "show reads the lease"
assert_contains "$OUT" '"A": "192.0.2.10"' "show reads the A record"
grep -q "GSS-TSIG: negotiated key [0-9]*\.sig-ns1\.example\.test\. with 127\.0\.0\.1#$NAMED_PORT as lease-primary@$REALM" \
	<<<"$OUT" || fail "show did not log the negotiation: $OUT"

# ---------------------------------------------------------------------------
sys_log "the records match what nsupdate -g writes for the same change"
ours=$(sys_zone_snapshot)
lease=$(sys_dig TXT | tr -d '"')
sys_kinit "lease-dr@$REALM" "$KEYTAB_DR" "$T/dr.cc" || fail "kinit lease-dr failed"
sys_nsupdate_gss "$T/dr.cc" <<EOF || fail "nsupdate -g failed"
update delete $RECORD TXT
update delete $RECORD A
send
update add $RECORD 30 TXT "$lease"
update add $RECORD 30 A 192.0.2.10
send
EOF
assert_eq "$(sys_zone_snapshot)" "$ours" "nsupdate -g wrote the same records"

# ---------------------------------------------------------------------------
sys_log "a ticket cache (KRB5CCNAME) instead of a keytab"
sys_write_config "$T/dr.env" ROLE=dr DNS_PROVIDER=ad-gss TSIG_KEYFILE= \
	GSS_SERVICE=DNS/ns1.example.test
assert_exit 0 "show with KRB5CCNAME" -- env KRB5CCNAME="FILE:$T/dr.cc" \
	"$DNSFAILOVER" -c "$T/dr.env" show
assert_contains "$OUT" '"owner": "primary"' "show over the ticket cache"
assert_contains "$OUT" "as lease-dr@$REALM" "the ticket cache's principal signs"

# ---------------------------------------------------------------------------
sys_log "run: many renewals over one context; named forgets it -> BADKEY -> a new one"
mport=$(sys_free_port) || fail "no free port"
sys_write_adgss_config "$T/run.env" LEASE_TTL=6 UPDATE_INTERVAL=1 RENEW_DEADLINE=4 LOG_LEVEL=debug \
	HEALTH_HOST=127.0.0.1 HEALTH_PORT="$NAMED_PORT" METRICS_LISTEN="127.0.0.1:$mport"

sys_spawn primary "$DNSFAILOVER" -c "$T/run.env" run
exp0=$(sys_dig TXT | tr -d '"' | sed -n 's/.*exp=\([0-9]*\).*/\1/p')
sys_wait_for 5 "3 renewals of the running primary" renewals_at_least 3
exp1=$(sys_dig TXT | tr -d '"' | sed -n 's/.*exp=\([0-9]*\).*/\1/p')
[ "$exp1" -gt "$exp0" ] || fail "no renewal in 5 s (exp $exp0 -> $exp1); see primary.log"
renewals=$(grep -c "Lease renewed" "$T/primary.log" || true)
negotiations=$(grep -c "GSS-TSIG: negotiated key" "$T/primary.log" || true)
sys_log "renewals $renewals, negotiations $negotiations"
[ "$renewals" -ge 3 ] || fail "expected at least 3 renewals in 5 s, saw $renewals; see primary.log"
assert_eq "$negotiations" "1" "one negotiation for all renewals"
page=$(sys_http_get "$mport" /metrics)
assert_contains "$page" "dnsfailover_gss_negotiations_total 1" "metrics count the negotiation"
remaining=$(sed -n 's/^dnsfailover_gss_context_remaining_seconds //p' <<<"$page")
[ "${remaining:-0}" -gt 3000 ] || fail "context remaining in metrics: ${remaining:-none}"

# named saves negotiated keys in _default.tsigkeys across a restart; without that file it
# forgets ours, as a server does after a crash or the key's expiry.
_sys_stop named 5 || fail "named was not running"
rm -f "$T/_default.tsigkeys"
_sys_named_launch || fail "named did not come back; see named.log"
sys_wait_for 4 "a renewal after named forgot the key" renewed_after_badkey
exp2=$(sys_dig TXT | tr -d '"' | sed -n 's/.*exp=\([0-9]*\).*/\1/p')
[ "$exp2" -gt "$exp1" ] || fail "no renewal after named forgot the key (exp $exp1 -> $exp2); see primary.log"
grep -q "no longer knows our key (BADKEY): negotiating a new context" "$T/primary.log" ||
	fail "the BADKEY answer after named forgot the key was not handled; see primary.log"
negotiations=$(grep -c "GSS-TSIG: negotiated key" "$T/primary.log" || true)
assert_eq "$negotiations" "2" "one new negotiation after the restart"
assert_contains "$(sys_http_get "$mport" /metrics)" "dnsfailover_gss_negotiations_total 2" "metrics count the new context"
grep -q "stepping down\|Stepping down" "$T/primary.log" && fail "the primary stepped down; see primary.log"
sys_kill primary

# ---------------------------------------------------------------------------
sys_log "a principal the update-policy does not name is refused, nothing changes"
sys_write_adgss_config "$T/intruder.env" ROLE=dr GSS_KEYTAB="$KEYTAB_INTRUDER" GSS_PRINCIPAL="intruder@$REALM" \
	HEALTH_HOST=127.0.0.1 HEALTH_PORT="$NAMED_PORT"
before=$(sys_zone_snapshot)
assert_exit 1 "validate as intruder" -- "$DNSFAILOVER" -c "$T/intruder.env" validate
printf '%s\n' "$OUT"
assert_contains "$OUT" "REFUSED the update: check allow-update / update-policy for principal intruder@$REALM on zone $ZONE" \
	"validate names the refused principal"
assert_exit 1 "promote as intruder" -- "$DNSFAILOVER" -c "$T/intruder.env" promote
assert_contains "$OUT" "principal intruder@$REALM" "promote names the refused principal"
assert_eq "$(sys_zone_snapshot)" "$before" "the intruder changed nothing"

# ---------------------------------------------------------------------------
sys_log "missing keytab, keytab readable by others, keytab without GSS_PRINCIPAL"
sys_write_adgss_config "$T/bad.env" GSS_KEYTAB="$T/nosuch.keytab"
assert_exit 1 "missing keytab" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "keytab $T/nosuch.keytab does not exist: check GSS_KEYTAB" "missing keytab"
cp "$KEYTAB_PRIMARY" "$T/open.keytab"
chmod 644 "$T/open.keytab"
sys_write_adgss_config "$T/bad.env" GSS_KEYTAB="$T/open.keytab"
assert_exit 1 "open keytab" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "keytab $T/open.keytab is readable by group and others (mode 0644, owner uid $(id -u)): run 'chmod 600 $T/open.keytab'" \
	"open keytab refused"
sys_write_adgss_config "$T/bad.env" GSS_PRINCIPAL=
assert_exit 2 "keytab without principal" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "needs GSS_PRINCIPAL" "keytab needs a principal"
sys_write_adgss_config "$T/bad.env" GSS_PRINCIPAL="lease-dr@$REALM"
assert_exit 1 "keytab of another principal" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "cannot get a Kerberos ticket for lease-dr@$REALM from keytab $KEYTAB_PRIMARY" \
	"wrong keytab names principal and keytab"
assert_contains "$OUT" "klist -k" "wrong keytab says how to look"
sys_write_config "$T/bad.env" DNS_PROVIDER=ad-gss TSIG_KEYFILE=
assert_exit 2 "address without GSS_SERVICE" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "DNS_SERVER=127.0.0.1 is an address: Kerberos needs the server's host name" \
	"an IP never becomes the SPN"
sys_write_adgss_config "$T/bad.env" GSS_SERVICE=DNS/nosuch.example.test
assert_exit 1 "unknown service principal" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "DNS/nosuch.example.test" "unknown SPN named"
assert_contains "$OUT" "does not know the DNS server's service principal" "unknown SPN explained"

# ---------------------------------------------------------------------------
sys_log "a principal the KDC does not know, and a keytab with an outdated key"
before=$(sys_zone_snapshot)
_sys_kadmin "addprinc -randkey ghost@$REALM"
_sys_kadmin "ktadd -k $T/ghost.keytab ghost@$REALM"
_sys_kadmin "delprinc -force ghost@$REALM"
chmod 600 "$T/ghost.keytab"
sys_write_adgss_config "$T/bad.env" GSS_KEYTAB="$T/ghost.keytab" GSS_PRINCIPAL="ghost@$REALM"
assert_exit 1 "unknown client principal" -- "$DNSFAILOVER" -c "$T/bad.env" init
assert_contains "$OUT" "cannot get a Kerberos ticket for ghost@$REALM" "unknown principal named"
assert_contains "$OUT" "the KDC does not know the client principal: check GSS_PRINCIPAL" \
	"unknown principal explained"
_sys_kadmin "addprinc -randkey rotated@$REALM"
_sys_kadmin "ktadd -k $T/old.keytab rotated@$REALM"
_sys_kadmin "ktadd -k $T/new.keytab rotated@$REALM" # a new key: old.keytab is outdated
chmod 600 "$T/old.keytab" "$T/new.keytab"
sys_write_adgss_config "$T/bad.env" GSS_KEYTAB="$T/old.keytab" GSS_PRINCIPAL="rotated@$REALM"
assert_exit 1 "outdated keytab" -- "$DNSFAILOVER" -c "$T/bad.env" init
printf '%s\n' "$OUT"
assert_contains "$OUT" "cannot get a Kerberos ticket for rotated@$REALM from keytab $T/old.keytab" \
	"outdated keytab named"
assert_contains "$OUT" "export a fresh" "outdated keytab: says to export a new one"
assert_eq "$(sys_zone_snapshot)" "$before" "bad credentials changed nothing"

# ---------------------------------------------------------------------------
sys_log "an expired ticket cache"
SYS_KINIT_TIMEOUT=10 KRB5CCNAME=FILE:$T/short.cc timeout 10 kinit -l 3s -k -t "$KEYTAB_DR" \
	"lease-dr@$REALM" || fail "kinit -l 3s failed"
sys_wait_for 5 "the 3 s ticket in short.cc to expire" ticket_expired "FILE:$T/short.cc"
assert_exit 1 "expired ticket" -- env KRB5CCNAME="FILE:$T/short.cc" \
	"$DNSFAILOVER" -c "$T/dr.env" show
assert_contains "$OUT" "expired" "expired ticket reported"
assert_contains "$OUT" "kinit" "expired ticket: says to renew"

# ---------------------------------------------------------------------------
sys_log "a clock 10 minutes ahead of the KDC's"
if command -v faketime >/dev/null 2>&1; then
	before=$(sys_zone_snapshot)
	sys_write_adgss_config "$T/skew.env" GSS_KEYTAB="$KEYTAB_DR" GSS_PRINCIPAL="lease-dr@$REALM" ROLE=dr
	# ASan must come first among the libraries; faketime's preload is put before it.
	assert_exit 1 "skewed clock" -- env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f +600s "$DNSFAILOVER" -c "$T/skew.env" promote
	printf '%s\n' "$OUT"
	assert_contains "$OUT" "s from our clock, beyond the 300 s TSIG allows: fix NTP" \
		"skew explained (Kerberos synced with the KDC; TSIG caught it)"
	# Without kdc_timesync, Kerberos itself refuses the skew.
	sed 's/^\[libdefaults\]$/[libdefaults]\n\tkdc_timesync = 0/' "$KRB5_CONFIG" >"$T/krb5-nosync.conf"
	assert_exit 1 "skewed clock, no kdc_timesync" -- env KRB5_CONFIG="$T/krb5-nosync.conf" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f +600s "$DNSFAILOVER" -c "$T/skew.env" promote
	printf '%s\n' "$OUT"
	assert_contains "$OUT" "differ by more than Kerberos allows (5 minutes): fix NTP" \
		"Kerberos skew explained"
	assert_eq "$(sys_zone_snapshot)" "$before" "skewed clock changed nothing"
else
	fail "faketime is not installed (scripts/install-deps installs it)"
fi

# ---------------------------------------------------------------------------
sys_log "a stopped KDC: a fresh ticket cannot be had"
sys_stop_kdc
before=$(sys_zone_snapshot)
sys_write_adgss_config "$T/nokdc.env" GSS_KEYTAB="$KEYTAB_DR" GSS_PRINCIPAL="lease-dr@$REALM" ROLE=dr
start=$SECONDS
assert_exit 1 "stopped KDC" -- "$DNSFAILOVER" -c "$T/nokdc.env" promote
printf '%s\n' "$OUT"
assert_contains "$OUT" "cannot get a Kerberos ticket for lease-dr@$REALM" "KDC outage: whose ticket"
assert_contains "$OUT" "no KDC of the realm answered" "KDC outage explained"
[ $((SECONDS - start)) -le 15 ] || fail "a stopped KDC took $((SECONDS - start)) s to report"
assert_eq "$(sys_zone_snapshot)" "$before" "stopped KDC changed nothing"

sys_log "PASS"
