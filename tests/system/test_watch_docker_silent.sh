#!/usr/bin/env bash
# The holder's watcher talks to a Docker Engine socket that accepts and never
# answers. The Docker calls run on the daemon's loop, so they hold nothing:
# renewals keep their interval and /healthz answers within 100 ms all along.
set -eu
. "$top_srcdir/tests/system/failover.sh"
HTTP_CLIENTS=${HTTP_CLIENTS:-$top_builddir/tests/system/http_clients}
sys_require "$HTTP_CLIENTS"
fo_begin
mport=$(sys_free_port) || fail "no free port"
sed -i '/^HEALTH_URL=/d; /^HEALTH_MODE=/d' "$T/primary.env"
printf 'METRICS_LISTEN=127.0.0.1:%s\nWATCH_MODE=docker\nOTEL_CONTAINER=otel-collector\nDOCKER_HOST=unix://%s\n' \
	"$mport" "$T/docker.sock" >>"$T/primary.env"
sys_spawn docker "$HTTP_CLIENTS" silent "$T/docker.sock" 60
sys_wait_for 5 "the silent Docker socket" test -S "$T/docker.sock"

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Serving /metrics and /healthz" 5
fo_wait_log primary "Site is now ACTIVE" 10

sys_log "/healthz every 100 ms for 6 s while the Docker calls hang"
before=$(grep -c "Lease renewed" "$T/primary.log" || true)
slow=0
n=0
start=$SECONDS
while [ $((SECONDS - start)) -lt 6 ]; do
	"$HTTP_CLIENTS" get 127.0.0.1 "$mport" /healthz 100 >/dev/null 2>&1 || slow=$((slow + 1))
	n=$((n + 1))
	sleep 0.1
done
after=$(grep -c "Lease renewed" "$T/primary.log" || true)
[ "$slow" -eq 0 ] || fail "/healthz took more than 100 ms $slow times of $n"
# UPDATE_INTERVAL=1: about six renewals in the window; four at the least
[ $((after - before)) -ge 4 ] || fail "only $((after - before)) renewals in 6 s while the Docker calls hung"
sys_log "$n answers within 100 ms, $((after - before)) renewals"
fo_stop primary
sys_log "PASS"
