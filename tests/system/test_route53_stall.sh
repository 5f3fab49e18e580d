#!/usr/bin/env bash
# A holder on route53 whose API stalls: its calls run on the event loop, so it
# steps down at RENEW_DEADLINE and /healthz answers at once while a Route 53
# request is in flight; a reload then cancels the request in flight; when the API
# answers again it takes the lease back.
set -eu
. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/route53.sh"
sys_setup
ZONE=example.com. RECORD=lease.example.com.
r53_start
r53_control insync_ms=50
mport=$(sys_free_port)
r53_config "$T/primary.env" ROLE=primary UPDATE_INTERVAL=$FO_I RENEW_DEADLINE=$FO_D \
	LEASE_TTL=$FO_L DNS_TIMEOUT=3 METRICS_LISTEN=127.0.0.1:$mport
: >"$T/kills"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
fo_wait_log primary "Lease renewed, expires at" 5

sys_log "Route 53 stalls: every request waits 4 s"
r53_control hang_ms=4000
fo_wait_log primary "Site is now STANDBY" $((FO_D + 3))
assert_contains "$(cat "$T/primary.log")" "no successful renewal within RENEW_DEADLINE" \
	"the holder steps down at its deadline"
slow=0
for i in 1 2 3 4 5; do
	t0=$("$MONO_NOW")
	body=$(sys_http_get "$mport" /healthz) || fail "/healthz did not answer during the stall"
	t1=$("$MONO_NOW")
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	[ "$ms" -lt 500 ] || slow=$((slow + 1))
	sleep 0.3
done
assert_eq "$slow" 0 "/healthz answered within 500 ms while Route 53 stalled"
[ "$(r53_requests '^conn')" -ge 1 ] || fail "no request reached the fake"

sys_log "a reload while a Route 53 request is in flight cancels it"
read -r pid _ <"$T/run/primary.pid"
kill -HUP "$pid"
fo_wait_log primary "Configuration reloaded" 5
kill -0 "$pid" || fail "the daemon died on a reload during a stalled request"

sys_log "Route 53 answers again: the primary takes its expired lease back"
r53_control insync_ms=50
fo_wait_log primary "Site is now ACTIVE" $((FO_L + 15))
fo_stop primary
sys_log "PASS"
