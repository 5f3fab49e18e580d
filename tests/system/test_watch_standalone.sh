#!/usr/bin/env bash
# dnsfailover watch, the standalone watcher, with an env file of the shape
# the existing watcher used (DNS_RECORD, DNS_SERVER, MY_IP, OTEL_CHECK_INTERVAL)
# plus the command backend: it reads the A record from the test named
# (signed), runs the collector stand-in exactly while A is MY_IP, leaves a
# collector started by hand alone, and stops it once DNS has been unreadable
# for RENEW_DEADLINE (WATCH_ON_DNS_FAILURE=stop) or keeps it (keep).
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
sys_stop_collector primary
port=$(sys_free_port)
fo_write_initd dr "$port"
echo up >"$T/dr-collector.mode"
cat >"$T/watch.env" <<EOS
DNS_RECORD=$RECORD
DNS_SERVER=127.0.0.1
DNS_PORT=$NAMED_PORT
TSIG_KEYFILE=$KEYFILE
MY_IP=192.0.2.20
OTEL_CHECK_INTERVAL=1
UPDATE_INTERVAL=1
RENEW_DEADLINE=3
LEASE_TTL=5
DNS_TIMEOUT=1
DNS_RETRIES=0
WATCH_MODE=command
WATCH_START_CMD=$T/initd-dr start
WATCH_STOP_CMD=$T/initd-dr stop
WATCH_STATUS_CMD=$T/initd-dr status
WATCH_CMD_TIMEOUT=5
EOS
chmod 600 "$T/watch.env"

wait_running()
{
	local want=$1 limit=$2 start=$SECONDS
	while :; do
		if [ "$want" = yes ] && running dr; then return 0; fi
		if [ "$want" = no ] && ! running dr; then return 0; fi
		[ $((SECONDS - start)) -le "$limit" ] || fail "collector not '$want' within ${limit}s"
		sleep 0.2
	done
}

sys_log "A points at the primary: the collector stays stopped"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
# The status command, set through the environment (a setting of ours), also
# records what it was given; a descriptor left open in the daemon and a
# setting in its environment must not reach it.
# bash, not sh: dash keeps a copy of stdout on fd 10 while it redirects.
status_cmd="bash -c 'ls /proc/\$\$/fd >\"\$0.fds\"; env >\"\$0.env\"; exec \"\$0\" status' $T/initd-dr"
sys_spawn watch env "WATCH_STATUS_CMD=$status_cmd" HOME=/root LANG=C.UTF-8 \
	"$DNSFAILOVER" -c "$T/watch.env" watch 7<"$T/watch.env"
fo_wait_log watch "this site is not active" 5
sys_wait_for 5 "the status command's report" test -s "$T/initd-dr.env"
# PATH, LANG, LC_ALL, TZ and nothing else (bash adds PWD, SHLVL and _).
extra=$(sed 's/=.*//' "$T/initd-dr.env" | grep -vxE 'PWD|SHLVL|_|PATH|LANG|LC_ALL|TZ' | tr '\n' ' ' || true)
assert_eq "$extra" "" "variables a watcher command was given besides PATH, LANG, LC_ALL, TZ"
grep -qx 'LANG=C.UTF-8' "$T/initd-dr.env" || fail "a watcher command lost LANG"
grep -q '^PATH=/' "$T/initd-dr.env" || fail "a watcher command has no PATH"
assert_eq "$(sort -n "$T/initd-dr.fds" | tr '\n' ' ')" "0 1 2 " "the descriptors of a watcher command"
sleep 2 # a window: the collector must not start in it
running dr && fail "collector started while A is the primary's"

sys_log "A points at this site: started"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
wait_running yes 5
fo_wait_log watch "Watcher: collector started" 2

sys_log "a second A record names no one site: stopped until there is one again"
sys_nsupdate <<EOS || fail "nsupdate could not add a second A record"
update add $RECORD 30 A 192.0.2.10
send
EOS
fo_wait_log watch "holds 2 A records" 5
wait_running no 5
sys_nsupdate <<EOS || fail "nsupdate could not delete the second A record"
update delete $RECORD A 192.0.2.10
send
EOS
wait_running yes 5

sys_log "A points away again: stopped"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
wait_running no 5
fo_wait_log watch "Watcher: collector stopped" 2

sys_log "a collector started by hand where it should run is left alone"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
wait_running yes 5
starts=$(grep -c "Watcher: starting" "$T/watch.log")
"$T/initd-dr" stop >/dev/null
"$T/initd-dr" start >/dev/null
pid=$(cat "$T/collector-dr.pid")
sleep 3 # a window: the watcher must not touch the hand-started collector in it
assert_eq "$(cat "$T/collector-dr.pid")" "$pid" "the hand-started collector was not restarted"
assert_eq "$(grep -c "Watcher: starting" "$T/watch.log")" "$starts" "no start action for it"

sys_log "DNS unreadable for longer than RENEW_DEADLINE: stopped (WATCH_ON_DNS_FAILURE=stop)"
sys_stop_named
fo_wait_log watch "stopping the collector (WATCH_ON_DNS_FAILURE=stop)" 8
wait_running no 3
sys_restart_named
wait_running yes 6
sys_kill watch

sys_log "WATCH_ON_DNS_FAILURE=keep: the collector keeps running without DNS"
echo "WATCH_ON_DNS_FAILURE=keep" >>"$T/watch.env"
sys_spawn watch2 "$DNSFAILOVER" -c "$T/watch.env" watch
fo_wait_log watch2 "on DNS failure: keep" 3
sys_stop_named
sleep 6 # a window (twice RENEW_DEADLINE): the collector must not be stopped in it
running dr || fail "keep: the collector was stopped without DNS"
sys_kill watch2

sys_log "bad configuration: clear errors, exit 2"
printf 'DNS_RECORD=%s\nDNS_SERVER=127.0.0.1\nWATCH_MODE=command\n' "$RECORD" >"$T/bad.env"
assert_exit 2 "watch without MY_IP" -- "$DNSFAILOVER" -c "$T/bad.env" watch
assert_contains "$OUT" "watch needs MY_IP" "names MY_IP"
printf 'DNS_RECORD=%s\nMY_IP=192.0.2.20\nWATCH_MODE=command\n' "$RECORD" >"$T/bad.env"
assert_exit 2 "watch without DNS_SERVER" -- "$DNSFAILOVER" -c "$T/bad.env" watch
assert_contains "$OUT" "never the system resolver" "says why"
printf 'DNS_RECORD=%s\nMY_IP=192.0.2.20\nDNS_SERVER=127.0.0.1\nWATCH_MODE=podman\n' "$RECORD" >"$T/bad.env"
assert_exit 2 "unknown WATCH_MODE" -- "$DNSFAILOVER" -c "$T/bad.env" watch
assert_contains "$OUT" "WATCH_MODE=podman is not a valid choice; expected one of docker, kubernetes, command, systemd" "names the mode and the valid ones"
printf 'DNS_RECORD=%s\nMY_IP=192.0.2.20\nDNS_SERVER=127.0.0.1\nWATCH_MODE=command\nWATCH_START_CMD=x\n' \
	"$RECORD" >"$T/bad.env"
assert_exit 2 "command mode without its commands" -- "$DNSFAILOVER" -c "$T/bad.env" watch
assert_contains "$OUT" "WATCH_MODE=command needs WATCH_STOP_CMD" "names the missing key"
sys_log "PASS"
