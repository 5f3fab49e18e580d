#!/usr/bin/env bash
# The watcher's command backend against real processes: each site's daemon
# starts and stops its own collector stand-in through an init-style script
# (start/stop/status with a pid file, run without a shell by the daemon).
# Through a failover and a failback, the stand-in runs on exactly one site:
# never both, and never none once the new holder has started acting.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
sys_require start-stop-daemon

# The collector stand-ins of both sites: the primary's is the one the DR
# checks; neither runs until a watcher starts it.
fo_initd_watchers WATCH_CMD_TIMEOUT=5

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) started" 15
fo_sampler >"$T/samples" &
sampler_pid=$!
# Keep the script's status for sys_cleanup, which reads $?.
trap '_rc=$?; set +e; kill $sampler_pid 2>/dev/null; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
sleep 3 # a window: the DR's collector must not start in it
running primary || fail "the primary's collector is not running while it is active"
running dr && fail "the DR's collector runs while the primary is active"

sys_log "the primary's collector stops answering: failover"
echo down >"$T/primary-collector.mode"
fo_wait_owner dr 20 >/dev/null
fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) started" 10
fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) stopped" 10
sys_wait_for 1 "the DR's collector running after failover" running dr
running primary && fail "the primary's collector still runs after failover"

sys_log "failback"
echo up >"$T/primary-collector.mode"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) stopped" 10
sys_wait_for $((FO_D + 3)) "the primary's collector running after failback" running primary
running dr && fail "the DR's collector still runs after failback"
kill $sampler_pid || true
fo_stop dr
fo_stop primary
fo_check_never_both

both=$(grep -c '^11$' "$T/samples" || true)
samples=$(wc -l <"$T/samples")
sys_log "$samples samples of both sites' collectors, $both with both running"
[ "$both" -eq 0 ] || fail "both collectors ran at once in $both samples"
grep -q '^10$' "$T/samples" || fail "no sample with only the primary's collector"
grep -q '^01$' "$T/samples" || fail "no sample with only the DR's collector"
# Stopping the daemons leaves no collector running.
running primary && fail "the primary's collector outlived its daemon"
running dr && fail "the DR's collector outlived its daemon"
sys_log "PASS"
