#!/usr/bin/env bash
# dnsfailover watch, with the existing watcher's variables (DNS_RECORD, MY_IP,
# OTEL_CONTAINER, OTEL_CHECK_INTERVAL, DNS_SERVER and no WATCH_MODE), drives a
# real, private Docker Engine: the container is inspected, started when A
# points at this site and stopped when it does not; a container that ignores
# SIGTERM is killed by the engine after the grace period; a container that does
# not exist and an engine that is gone give errors that say what to do, and
# the watcher neither hangs nor dies. Also: with no WATCH_MODE, OTEL_DEPLOYMENT
# selects kubernetes, both keys together are an error, and `run` starts no
# watcher.
set -eu
. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/docker.sh"
dk_begin

C=otel-collector
cat >"$T/watch.env" <<EOS
DNS_RECORD=$RECORD
DNS_SERVER=127.0.0.1
DNS_PORT=$NAMED_PORT
TSIG_KEYFILE=$KEYFILE
MY_IP=192.0.2.20
OTEL_CONTAINER=$C
OTEL_CHECK_INTERVAL=1
UPDATE_INTERVAL=1
RENEW_DEADLINE=3
LEASE_TTL=5
DNS_TIMEOUT=1
DNS_RETRIES=0
EOS
chmod 600 "$T/watch.env"

# wait_state WANT SECS: waits until State.Running of $C is WANT; prints the
# milliseconds it took.
wait_state()
{
	local want=$1 limit=$(($2 * 1000)) t0
	t0=$(date +%s%3N)
	until [ "$(dk_running "$C")" = "$want" ]; do
		[ $(($(date +%s%3N) - t0)) -le "$limit" ] ||
			fail "container $C not running=$want within $2 s (now: $(dk_running "$C"))"
		sleep 0.1
	done
	echo $(($(date +%s%3N) - t0))
}

sys_log "a collector container that stops on SIGTERM (tini as PID 1)"
t0=$(date +%s%3N)
dk_collector "$C"
assert_eq "$(dk_running "$C")" false "the new container's state"

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
# DOCKER_HOST comes from the environment, as the docker CLI takes it.
sys_spawn watch "$DNSFAILOVER" -c "$T/watch.env" watch
fo_wait_log watch "docker backend" 5
fo_wait_log watch "this site is not active" 5
sleep 2 # a window: the container must not start in it
assert_eq "$(dk_running "$C")" false "the container while A is the primary's"

sys_log "A points at this site: started through the Engine API"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
ms=$(wait_state true 5)
fo_wait_log watch "Watcher: collector started" 2
sys_log "running ${ms} ms after the promote"

sys_log "A points at the primary again: stopped"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
ms=$(wait_state false 5)
fo_wait_log watch "Watcher: collector stopped" 2
[ "$ms" -lt 5000 ] || fail "a container that stops on SIGTERM took ${ms} ms to stop"
sys_log "stopped ${ms} ms after the failback"

sys_log "a container that ignores SIGTERM: the engine kills it after the grace period"
dk rm -f "$C" >/dev/null || fail "docker rm of $C failed"
dk create --name "$C" --network none "$DK_IMAGE" \
	/bin/sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null ||
	fail "docker create of the SIGTERM-ignoring $C failed"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
wait_state true 5 >/dev/null
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
ms=$(wait_state false 20)
# The grace period is 10 s (stop?t=10); the watcher looks every second.
[ "$ms" -ge 9000 ] || fail "a container that ignores SIGTERM stopped after ${ms} ms, before the grace period"
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' "$C")" 137 "the exit status (SIGKILL) of the SIGTERM-ignoring container"
fo_wait_log watch "Watcher: collector stopped" 2
sys_log "killed by the engine ${ms} ms after the failback"

sys_log "a container that does not exist: a clear error, the watcher keeps going"
dk rm -f "$C" >/dev/null || fail "docker rm of $C failed"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
fo_wait_log watch "no container named '$C' (OTEL_CONTAINER" 10
fo_wait_log watch "docker create --name $C" 1
_sys_tracked_alive watch || fail "the watcher exited over a missing container"

sys_log "the engine stopped mid-run: a clear error, no hang"
dk_collector "$C"
# Gone: its socket removed (or, killed, left behind with no one listening).
gone="docker: (socket $DK_SOCK \(DOCKER_HOST\) does not exist|cannot reach socket $DK_SOCK)"
before=$(grep -cE "$gone" "$T/watch.log" || true)
t0=$(date +%s%3N)
dk_stop_engine
sys_log "engine stopped in $(($(date +%s%3N) - t0)) ms"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
t0=$SECONDS
until [ "$(grep -cE "$gone" "$T/watch.log" || true)" -gt "$before" ]; do
	[ $((SECONDS - t0)) -le 40 ] || fail "no error naming the engine's socket within 40 s of its stop; log:
$(tail -n 20 "$T/watch.log")"
	sleep 0.2
done
grep -E "$gone" "$T/watch.log" | tail -n 1
_sys_tracked_alive watch || fail "the watcher exited when the engine went away"
t0=$(date +%s%3N)
sys_kill watch 5 || fail "the watcher had exited"
ms=$(($(date +%s%3N) - t0))
[ "$ms" -lt 3000 ] || fail "the watcher took ${ms} ms to stop on SIGTERM with the engine gone"
fo_wait_log watch "shutting down" 1

sys_log "no WATCH_MODE: OTEL_DEPLOYMENT selects kubernetes"
sed "s/^OTEL_CONTAINER=.*/OTEL_DEPLOYMENT=otel-collector/" "$T/watch.env" >"$T/k8s.env"
chmod 600 "$T/k8s.env"
SYS_CMD_TIMEOUT=5 assert_exit 2 "watch with OTEL_DEPLOYMENT and no WATCH_MODE" -- \
	"$DNSFAILOVER" -c "$T/k8s.env" watch
assert_not_contains "$OUT" "set WATCH_MODE" "watch with OTEL_DEPLOYMENT"
# The kubernetes backend's own check (no OTEL_NAMESPACE here) shows it was chosen.
assert_contains "$OUT" "WATCH_MODE=kubernetes needs OTEL_NAMESPACE" "watch with OTEL_DEPLOYMENT"

sys_log "both OTEL_CONTAINER and OTEL_DEPLOYMENT, no WATCH_MODE: an error naming both"
echo "OTEL_DEPLOYMENT=otel-collector" >>"$T/watch.env"
assert_exit 2 "watch with both" -- "$DNSFAILOVER" -c "$T/watch.env" watch
assert_contains "$OUT" "both OTEL_CONTAINER and OTEL_DEPLOYMENT are set" "watch with both"

sys_log "run with OTEL_CONTAINER and no WATCH_MODE runs no watcher"
echo "OTEL_CONTAINER=$C" >>"$T/primary.env"
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
sleep 2
fo_stop primary
if grep -q "Watcher\|watch docker" "$T/primary.log"; then
	fail "run chose a watcher without WATCH_MODE: $(grep "Watcher\|watch docker" "$T/primary.log" | head -n 3)"
fi
sys_log "PASS"
