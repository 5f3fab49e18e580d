#!/usr/bin/env bash
# The daemon as init scripts drive it: --daemonize with --pidfile, a second
# instance refused, SIGHUP reloading a good config and keeping the old one
# when the new one is invalid, SIGTERM ending it cleanly. And bad input:
# a config that breaks I < D < L, and health targets that serve garbage, an
# endless body, or accept and never answer.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin

# txt_ttl: the TTL of the lease TXT.
txt_ttl()
{
	dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer "$RECORD" TXT | awk '{print $2}'
}
# txt_changed FROM: true when the lease TXT is no longer FROM.
txt_changed()
{
	[ "$(sys_dig TXT)" != "$1" ]
}
# ttl_is TTL: true when the lease TXT has that TTL.
ttl_is()
{
	[ "$(txt_ttl)" = "$1" ]
}
# renewals_above N: true when primary.log shows more than N renewals.
renewals_above()
{
	[ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -gt "$1" ]
}

sys_log "a config that breaks I < D < L is refused before anything runs"
sys_write_config "$T/bad.env" UPDATE_INTERVAL=10 RENEW_DEADLINE=70 LEASE_TTL=60
assert_exit 2 "run with D > L" -- "$DNSFAILOVER" -c "$T/bad.env" run
assert_contains "$OUT" "RENEW_DEADLINE" "the message names the key"
assert_contains "$OUT" "UPDATE_INTERVAL < RENEW_DEADLINE < LEASE_TTL" "and the rule"

sys_log "--daemonize with --pidfile"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
initial=$(sys_dig TXT)
pidfile=$T/dnsfailover.pid
# The parent returns at once; the daemon logs to syslog from then on.
assert_exit 0 "run --daemonize" -- "$DNSFAILOVER" -c "$T/primary.env" run --daemonize --pidfile "$pidfile"
for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
pid=$(cat "$pidfile")
kill -0 "$pid" || fail "daemon (pid $pid) is not running"
[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ] || [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] ||
	fail "daemon is not detached (ppid $(ps -o ppid= -p "$pid"))"
assert_exit 1 "a second daemon on the same pid file is refused" -- \
	"$DNSFAILOVER" -c "$T/primary.env" run --pidfile "$pidfile"
assert_contains "$OUT" "another dnsfailover is running with pid file $pidfile (pid $pid)" "names the pid"
sys_wait_for 5 "a renewal by the daemonized primary" txt_changed "$initial"
assert_contains "$(sys_dig TXT)" "owner=primary" "the daemonized primary renews"
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "daemon did not exit on SIGTERM"
[ ! -e "$pidfile" ] || fail "pid file left behind after SIGTERM"

sys_log "SIGHUP: a good config is taken, a bad one is refused and the old one kept"
fo_start primary
fo_wait_log primary "Site is now ACTIVE" 10
read -r ppid _ <"$T/run/primary.pid"
sed -i 's/^DNS_TTL=30$/DNS_TTL=45/' "$T/primary.env"
kill -HUP "$ppid"
fo_wait_log primary "Configuration reloaded" 3
sys_wait_for 5 "a renewal with the reloaded DNS_TTL" ttl_is 45
ttl=$(txt_ttl)
assert_eq "$ttl" "45" "renewals use the reloaded DNS_TTL"
echo "DNS_SEVRER=127.0.0.1" >>"$T/primary.env"
kill -HUP "$ppid"
fo_wait_log primary "Reload failed, keeping the current configuration" 3
assert_contains "$(cat "$T/primary.log")" "did you mean DNS_SERVER" "reload names the typo"
renewals=$(grep -c "Lease renewed" "$T/primary.log")
sys_wait_for 5 "a renewal after the bad reload" renewals_above "$renewals"
[ "$(grep -c "Lease renewed" "$T/primary.log")" -gt "$renewals" ] ||
	fail "the daemon stopped renewing after a bad reload"
fo_active primary || fail "a bad reload made the primary step down"
sed -i '/^DNS_SEVRER=/d' "$T/primary.env"
fo_stop primary
assert_contains "$(cat "$T/primary.log")" "Received Terminated, shutting down" "SIGTERM logged"
assert_contains "$(cat "$T/primary.log")" "Site is now STANDBY: stepping down (shutting down)" "steps down on exit"

sys_log "health targets that misbehave: bounded checks, clear messages, no crash"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
fo_start dr
fo_wait_log dr "Primary healthy" 5
for mode in garbage huge hang error; do
	sys_collector_mode primary "$mode"
	: >"$T/mark"
	start=$SECONDS
	before=$(grep -c "Primary health check failed" "$T/dr.log" || true)
	until [ "$(grep -c "Primary health check failed" "$T/dr.log" || true)" -gt "$before" ]; do
		[ $((SECONDS - start)) -le 6 ] || fail "no failed check within 6s with a $mode endpoint"
		sleep 0.2
	done
	case $mode in
	garbage) text="not found" ;;
	huge) text="exceeds" ;;
	hang) text="timed out after 1 s" ;;
	error) text="500" ;;
	esac
	assert_contains "$(grep "Metrics check failed" "$T/dr.log" | tail -n 1)" "$text" "$mode: the reason"
	sys_collector_mode primary up
	fo_wait_log dr "Primary healthy" 5
	read -r dpid _ <"$T/run/dr.pid"
	kill -0 "$dpid" || fail "the DR daemon died on a $mode endpoint"
done
fo_stop dr
sys_log "PASS"
