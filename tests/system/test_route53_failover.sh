#!/usr/bin/env bash
# Two `dnsfailover run` daemons on the route53 provider against the fake Route 53
# over HTTPS, with short timings (I=1 D=3 L=5): each site runs its collector stand-in
# through an init script and the command watcher, and through a failover and a
# failback the stand-in runs on exactly one site. Then a rival's write (promote)
# is noticed by the holder at its next renewal, which steps down.
set -eu
. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/route53.sh"
sys_require start-stop-daemon openssl
sys_setup
trap '_rc=$?; set +e; kill ${sampler_pid:-} 2>/dev/null; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
ZONE=example.com. RECORD=lease.example.com.
r53_start
r53_control insync_ms=100
sys_start_collector primary
common=(UPDATE_INTERVAL=$FO_I RENEW_DEADLINE=$FO_D LEASE_TTL=$FO_L DNS_TIMEOUT=1
	FAIL_THRESHOLD=$FO_FAIL HEALTH_MODE=metrics HEALTH_URL=$COLLECTOR_URL
	HEALTH_STALE_COUNT=$FO_STALE HEALTH_TIMEOUT=1)
r53_config "$T/primary.env" ROLE=primary "${common[@]}"
r53_config "$T/dr.env" ROLE=dr "${common[@]}"
: >"$T/kills"
fo_initd_watchers WATCH_CMD_TIMEOUT=5


assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) started" 15
fo_sampler >"$T/samples" &
sampler_pid=$!
sleep 3 # a window: renewals go on, the DR's collector must not start in it
running primary || fail "the primary's collector is not running while it is active"
running dr && fail "the DR's collector runs while the primary is active"
assert_contains "$(cat "$T/primary.log")" "Lease renewed, expires at" "the primary renews on Route 53"
assert_eq "$(fo_owner)" "primary" "owner in steady state"

sys_log "the primary's collector stops answering: failover"
echo down >"$T/primary-collector.mode"
fo_wait_owner dr 20 >/dev/null
fo_wait_log dr "FAILOVER: Promoted DR to active, A=192.0.2.20" 5
fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) started" 10
fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) stopped" 10
sys_wait_for 1 "the DR's collector running after failover" running dr
running primary && fail "the primary's collector still runs after failover"
assert_contains "$(r53_state)" "lease.example.com. A 30 192.0.2.20" "the A set points at the DR"

sys_log "failback"
echo up >"$T/primary-collector.mode"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "seed's failback line"
fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) stopped" 10
sys_wait_for $((FO_D + 3)) "the primary's collector running after failback" running primary
running dr && fail "the DR's collector still runs after failback"

sys_log "a rival's write: promote while the primary holds; the holder notices and steps down"
assert_exit 0 "promote while the primary is healthy" -- "$DNSFAILOVER" -c "$T/dr.env" promote
fo_wait_log primary "Site is now STANDBY" $((FO_D + 3))
sys_wait_for $((FO_D + 3)) "the DR's collector running after promote" running dr
sys_wait_for 5 "the primary's collector stopped after promote" bash -c "! '$T/initd-primary' status >/dev/null 2>&1"
kill $sampler_pid || true
fo_stop dr
fo_stop primary
fo_check_never_both

both=$(grep -c '^11$' "$T/samples" || true)
samples=$(wc -l <"$T/samples")
sys_log "$samples samples, $both with both collectors running"
[ "$samples" -gt 20 ] || fail "too few samples ($samples)"
assert_eq "$both" 0 "the collector never ran on both sites"
sys_log "PASS"
