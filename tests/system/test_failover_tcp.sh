#!/usr/bin/env bash
# The DR checking the primary with HEALTH_MODE=tcp (a connect to the
# collector's port) while the primary watches its own counter: the
# collector stops accepting, the DR takes over within the seed's bound.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
sys_write_config "$T/dr.env" ROLE=dr UPDATE_INTERVAL=$FO_I RENEW_DEADLINE=$FO_D LEASE_TTL=$FO_L \
	DNS_TIMEOUT=1 DNS_RETRIES=0 FAIL_THRESHOLD=$FO_FAIL HEALTH_MODE=tcp HEALTH_HOST=127.0.0.1 \
	HEALTH_PORT="$COLLECTOR_PORT" HEALTH_TIMEOUT=1
# A TCP check sees a dead port at once: no stale readings to wait for.
bound=$(((FO_FAIL - 1) * FO_I + FO_L))

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Site is now ACTIVE" 10
fo_wait_log dr "Primary healthy" 5
sleep 3 # a window: no takeover and no failed check in it
assert_eq "$(fo_owner)" "primary" "no takeover while the port accepts"
assert_not_contains "$(cat "$T/dr.log")" "health check failed" "tcp check passes"

sys_collector_mode primary down
took=$(fo_wait_owner dr $((bound + FO_STALE * FO_I + 3)))
sys_log "DR took over in ${took}s"
fo_wait_log dr "Primary health check failed ($FO_FAIL/$FO_FAIL)" 1
assert_contains "$(cat "$T/dr.log")" "refused" "the tcp failure names the cause"
fo_wait_log dr "Site is now ACTIVE" $((FO_D + 2))
fo_stop dr
fo_stop primary
fo_check_never_both
sys_log "PASS"
