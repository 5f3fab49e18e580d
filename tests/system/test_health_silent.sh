#!/usr/bin/env bash
# The DR health-checks a primary collector that accepts connections and never
# answers. The check runs on the DR's loop, so the loop is never held by it:
# /healthz of the DR answers within 100 ms all along, while every check ends
# with its HEALTH_TIMEOUT and the failures are counted as before.
set -eu
. "$top_srcdir/tests/system/failover.sh"
HTTP_CLIENTS=${HTTP_CLIENTS:-$top_builddir/tests/system/http_clients}
sys_require "$HTTP_CLIENTS"
fo_begin HEALTH_TIMEOUT=2
mport=$(sys_free_port) || fail "no free port"
echo "METRICS_LISTEN=127.0.0.1:$mport" >>"$T/dr.env"
# The primary does not check itself here: it holds the lease throughout.
sed -i '/^HEALTH_URL=/d; /^HEALTH_MODE=/d' "$T/primary.env"

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
sys_log "the collector accepts and never answers"
sys_collector_mode primary hang
fo_start dr
fo_wait_log dr "Serving /metrics and /healthz" 5

sys_log "/healthz of the DR, every 100 ms for 6 s (three 2 s checks)"
slow=0
n=0
start=$SECONDS
while [ $((SECONDS - start)) -lt 6 ]; do
	"$HTTP_CLIENTS" get 127.0.0.1 "$mport" /healthz 100 >/dev/null 2>&1 || slow=$((slow + 1))
	n=$((n + 1))
	sleep 0.1
done
[ "$slow" -eq 0 ] || fail "/healthz took more than 100 ms $slow times of $n"
sys_log "$n answers, all within 100 ms"
fo_wait_log dr "Primary health check failed (2/2)" 4
fo_active dr && fail "the DR took over the primary's valid lease"
fo_stop dr
fo_stop primary
sys_log "PASS"
