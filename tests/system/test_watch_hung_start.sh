#!/usr/bin/env bash
# A watcher start command that hangs, then the DNS server goes away: the
# holder still steps down on time (RENEW_DEADLINE after its last renewal,
# within 200 ms), the hung start is killed with its process group and the
# stop command runs at once. The start runs on the daemon's loop, so it
# never holds a renewal or the step-down timer.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
fo_initd_watchers WATCH_CMD_TIMEOUT=60
# The health checks see the primary's stand-in run, started by hand; the
# primary's watcher is given a start that hangs and a status that always
# says "not running", so the start is in flight when DNS goes away.
"$T/initd-primary" start >/dev/null || fail "the collector stand-in did not start"
cat >"$T/hang" <<EOS
#!/bin/sh
case "\$1" in
start) echo \$\$ >"$T/hang-start.pid"; exec sleep 3600 ;;
stop) echo stopped >>"$T/hang-stopped"; exit 0 ;;
status) exit 3 ;;
esac
exit 2
EOS
chmod 755 "$T/hang"
sed -i -e "s|^WATCH_START_CMD=.*|WATCH_START_CMD=$T/hang start|" \
	-e "s|^WATCH_STOP_CMD=.*|WATCH_STOP_CMD=$T/hang stop|" \
	-e "s|^WATCH_STATUS_CMD=.*|WATCH_STATUS_CMD=$T/hang status|" "$T/primary.env"

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
sys_wait_for 5 "the primary's start command hanging" test -s "$T/hang-start.pid"
read -r hung <"$T/hang-start.pid"
rm -f "$T/hang-stopped"
# Renewals go on while the start hangs.
renewals=$(grep -c "Lease renewed" "$T/primary.log" || true)
sys_wait_for 3 "a renewal while the start hangs" \
	sh -c "[ \$(grep -c 'Lease renewed' '$T/primary.log') -gt $renewals ]"

sys_log "named stops while the start hangs"
sys_stop_named
stopped=$("$MONO_NOW")
fo_wait_log primary "Site is now STANDBY: stepping down (no successful renewal within RENEW_DEADLINE)" $((FO_D + 2))
down_at=$(sed -n 's/.*Site is now STANDBY.*\[t=\([0-9.]*\)\].*/\1/p' "$T/primary.log" | tail -n 1)
# The last renewal was sent no later than named stopped.
awk -v a="$stopped" -v b="$down_at" -v d="$FO_D" 'BEGIN { exit !(b - a <= d + 0.2) }' ||
	fail "step-down at $down_at, named stopped at $stopped: more than 200 ms after RENEW_DEADLINE"
sys_wait_for 2 "the stop command run after the step-down" test -s "$T/hang-stopped"
gone()
{
	[ ! -e "/proc/$hung" ] || grep -q '^[^)]*) Z' "/proc/$hung/stat" 2>/dev/null
}
sys_wait_for 2 "the hung start killed" gone
assert_contains "$(cat "$T/primary.log")" "cancelled the start of the collector" \
	"the log says the start was cancelled"
fo_stop primary
"$T/initd-primary" stop >/dev/null || true
sys_log "PASS"
