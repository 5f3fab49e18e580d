#!/usr/bin/env bash
# GSS-TSIG context negotiation (src/dns/dns_tkey.c stepping gss/gss_ctx.c) against the
# throwaway KDC and GSS named of tests/system/kdc.sh: gss_probe negotiates a context as
# lease-primary (TKEY mode 3 over TCP), then sends a gss-tsig signed SOA query and verifies
# the answer; a wrong SPN host fails fast and names the principal.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/kdc.sh"

GSS_PROBE=${GSS_PROBE:-$top_builddir/tests/system/gss_probe}
[ -x "$GSS_PROBE" ] || fail "$GSS_PROBE not built"

sys_require_kdc
sys_setup
sys_start_kdc
sys_start_named_gss hmac-sha256

# ---------------------------------------------------------------------------
sys_log "gss_probe as lease-primary"
SYS_CMD_TIMEOUT=20 assert_exit 0 "gss_probe as lease-primary" -- \
	env KRB5CCNAME="$CCACHE_PRIMARY" "$GSS_PROBE" -s 127.0.0.1 -p "$NAMED_PORT" \
	-n ns1.example.test -z "$ZONE"
printf '%s\n' "$OUT"
assert_contains "$OUT" "negotiated " "gss_probe output"
assert_contains "$OUT" ".sig-ns1.example.test." "negotiated key name"
assert_contains "$OUT" "signed SOA query verified" "gss_probe output"

# TODO: the intruder principal (valid ticket, not in update-policy) is for the update tests.

# ---------------------------------------------------------------------------
sys_log "gss_probe with a wrong SPN host"
SYS_CMD_TIMEOUT=20 assert_exit 1 "gss_probe with a wrong SPN" -- \
	env KRB5CCNAME="$CCACHE_PRIMARY" "$GSS_PROBE" -s 127.0.0.1 -p "$NAMED_PORT" \
	-n nosuch.example.test -z "$ZONE"
printf '%s\n' "$OUT"
assert_contains "$OUT" "DNS/nosuch.example.test" "wrong SPN error names the principal"
assert_not_contains "$OUT" "negotiated" "wrong SPN must not negotiate"

sys_log "PASS"
