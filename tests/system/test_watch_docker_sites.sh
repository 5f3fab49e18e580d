#!/usr/bin/env bash
# Two `dnsfailover run` sites on one private Docker Engine, each with
# WATCH_MODE=docker and its own collector container: through a failover and
# a failback, sampled through the engine (docker inspect every 100 ms), the two
# containers never run together and each runs while its site holds the lease.
# Neither runs in the break before make of each handover (counted and shown).
set -eu
. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/docker.sh"
dk_begin

for site in primary dr; do
	dk_collector "collector-$site"
	printf 'WATCH_MODE=docker\nOTEL_CONTAINER=collector-%s\nDOCKER_HOST=unix://%s\n' \
		"$site" "$DK_SOCK" >>"$T/$site.env"
done

# sample: "PD" (1 or 0: collector-primary and collector-dr running), every 100 ms.
sample()
{
	local s
	while :; do
		s=$(dk inspect -f '{{if .State.Running}}1{{else}}0{{end}}' collector-primary collector-dr 2>/dev/null | tr -d '\n')
		echo "$(date +%s%3N) $s"
		sleep 0.1
	done
}
running_c()
{
	[ "$(dk_running "collector-$1")" = true ]
}

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Watcher: collector (docker container collector-primary) started" 15
sample >"$T/samples" &
sampler_pid=$!
stop_sampler()
{
	kill "$sampler_pid" 2>/dev/null || true
	wait "$sampler_pid" 2>/dev/null || true
}
sys_at_cleanup stop_sampler
sleep 3 # a window: the DR's collector must not start in it
running_c primary || fail "collector-primary is not running while the primary is active"
running_c dr && fail "collector-dr runs while the primary is active"

sys_log "the primary's health check fails: failover"
sys_collector_mode primary down
fo_wait_owner dr 20 >/dev/null
fo_wait_log dr "Watcher: collector (docker container collector-dr) started" 10
fo_wait_log primary "Watcher: collector (docker container collector-primary) stopped" 10
sys_wait_for 1 "collector-dr running after the failover" running_c dr
running_c primary && fail "collector-primary still runs after the failover"

sys_log "failback"
sys_collector_mode primary up
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
fo_wait_log dr "Watcher: collector (docker container collector-dr) stopped" 10
sys_wait_for $((FO_D + 3)) "collector-primary running after the failback" running_c primary
running_c dr && fail "collector-dr still runs after the failback"
sleep 1
stop_sampler
fo_stop dr
fo_stop primary
fo_check_never_both

samples=$(wc -l <"$T/samples")
bad=$(awk '$2 !~ /^[01][01]$/' "$T/samples" | wc -l)
both=$(awk '$2 == "11"' "$T/samples" | wc -l)
none=$(awk '$2 == "00"' "$T/samples" | wc -l)
span=$(awk 'NR == 1 { a = $1 } { b = $1 } END { print b - a }' "$T/samples")
sys_log "$samples samples over $span ms (one every $((span / (samples > 1 ? samples - 1 : 1))) ms), $both with both running, $none with neither (the break before make)"
[ "$bad" -eq 0 ] || fail "$bad samples the engine did not answer: $(awk '$2 !~ /^[01][01]$/' "$T/samples" | head -n 3)"
[ "$samples" -ge 50 ] || fail "only $samples samples"
[ "$both" -eq 0 ] || fail "both collectors ran at once in $both samples"
grep -q ' 10$' "$T/samples" || fail "no sample with only collector-primary"
grep -q ' 01$' "$T/samples" || fail "no sample with only collector-dr"
[ "$(tail -n 1 "$T/samples" | cut -d' ' -f2)" = 10 ] || fail "the last sample is not collector-primary alone"
sys_log "PASS"
