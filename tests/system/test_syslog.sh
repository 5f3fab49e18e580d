#!/usr/bin/env bash
# LOG_TARGET=syslog and `run --daemonize` against a syslog socket of the
# test's own: the daemon runs in a private mount namespace whose /dev/log is
# the socket of tests/system/syslog_sink. Every frame must carry the daemon
# facility, the ident "dnsfailover" with the daemon's pid, and the priority
# of its level (error/warn/info/debug -> LOG_ERR/LOG_WARNING/LOG_INFO/
# LOG_DEBUG); no raw byte and no secret may reach it.
set -eu
. "$top_srcdir/tests/system/failover.sh"
SINK=$top_builddir/tests/system/syslog_sink

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: a private mount namespace over /dev/log needs root (unshare -m)"
	exit 77
fi
if ! unshare -m --propagation private true 2>/dev/null; then
	echo "SKIP: unshare -m cannot make a mount namespace here (no CAP_SYS_ADMIN?)"
	exit 77
fi

fo_begin LOG_LEVEL=debug
# The watcher's start fails, for an error line; its status says "stopped".
printf '#!/bin/sh\nexit 3\n' >"$T/status"
chmod 755 "$T/status"
printf 'WATCH_MODE=command\nWATCH_STATUS_CMD=%s\nWATCH_START_CMD=/bin/false\nWATCH_STOP_CMD=/bin/true\n' \
	"$T/status" >>"$T/primary.env"
cp "$T/primary.env" "$T/daemon.env" # no LOG_TARGET: --daemonize logs to syslog anyway
echo LOG_TARGET=syslog >>"$T/primary.env"

OUTF=$T/syslog.log # shown by sys_cleanup when the test fails
sys_spawn sink "$SINK" "$T/log.sock" "$OUTF"
sys_wait_for 5 "the syslog socket" test -S "$T/log.sock"

# in_ns CMD...: CMD in a private mount namespace whose /dev/log is the sink.
IN_NS=("$top_srcdir/tests/system/devlog_ns.sh" "$T/log.sock" "$T")

# The start of a frame as syslog(3) sends it: <PRI>, the time stamp, ident[pid].
FRAME='^<[0-9]+>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} dnsfailover'
# frames PID: the frames the sink received from PID.
frames()
{
	grep -E "$FRAME\[$1\]: " "$OUTF" || true
}
# pri_of PID TEXT: the PRI of PID's first frame containing TEXT.
pri_of()
{
	frames "$1" | grep -F -- "$2" | head -n 1 | sed -n 's/^<\([0-9]*\)>.*/\1/p'
}
# has_frame PID TEXT
has_frame()
{
	frames "$1" | grep -qF -- "$2"
}
# check_frames PID WHAT: every frame on the socket is well formed and from a
# dnsfailover process; the daemon facility (3) and one of the four
# severities; the program's levels map to their priorities.
check_frames()
{
	local pid=$1 what=$2 all n pri
	all=$(cat "$OUTF")
	assert_not_contains "$all" "<RAW:" "$what: no raw byte reached syslog"
	assert_not_contains "$all" "$SECRET" "$what: the TSIG secret is never logged"
	n=$(grep -cvE "$FRAME\[[0-9]+\]: " "$OUTF" || true)
	[ "$n" = 0 ] || fail "$what: $n frames without the ident dnsfailover[pid]"
	n=$(frames "$pid" | wc -l)
	[ "$n" -gt 0 ] || fail "$what: no frame from pid $pid"
	while read -r pri; do
		[ $((pri >> 3)) = 3 ] || fail "$what: PRI $pri is not facility LOG_DAEMON (3)"
		case $((pri & 7)) in
		3 | 4 | 6 | 7) ;;
		*) fail "$what: PRI $pri has severity $((pri & 7)), not err/warning/info/debug" ;;
		esac
	done < <(frames "$pid" | sed -n 's/^<\([0-9]*\)>.*/\1/p')
	sys_log "$what: $n frames from pid $pid, all facility daemon"
}
SECRET=$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$KEYFILE")
[ -n "$SECRET" ] || fail "no secret found in $KEYFILE"

sys_log "LOG_TARGET=syslog in the foreground"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
sys_spawn primary "${IN_NS[@]}" "$DNSFAILOVER" -c "$T/primary.env" run
fg=$SYS_PID
sys_wait_for 10 "Site is now ACTIVE on syslog" has_frame "$fg" "Site is now ACTIVE"
sys_wait_for 10 "the watcher's failed start on syslog" has_frame "$fg" "Watcher: could not start"
sys_wait_for 10 "the watcher's retry on syslog" has_frame "$fg" "Watcher: retrying in"
check_frames "$fg" "foreground"
# LOG_DAEMON (3 << 3) + LOG_INFO 6 / LOG_ERR 3 / LOG_WARNING 4 / LOG_DEBUG 7
assert_eq "$(pri_of "$fg" "Site is now ACTIVE")" 30 "info -> <30> (daemon.info)"
assert_eq "$(pri_of "$fg" "Watcher: could not start")" 27 "error -> <27> (daemon.err)"
assert_eq "$(pri_of "$fg" "Watcher: retrying in")" 28 "warn -> <28> (daemon.warning)"
assert_not_contains "$(cat "$T/primary.log")" "Site is now ACTIVE" "nothing on stderr with LOG_TARGET=syslog"

sys_log "a DR with a TCP health check logs debug lines (LOG_LEVEL=debug)"
grep -v '^HEALTH_' "$T/dr.env" >"$T/dr-tcp.env"
printf 'HEALTH_MODE=tcp\nHEALTH_HOST=127.0.0.1\nHEALTH_PORT=%s\nHEALTH_TIMEOUT=1\nLOG_TARGET=syslog\n' \
	"$NAMED_PORT" >>"$T/dr-tcp.env"
sys_spawn dr "${IN_NS[@]}" "$DNSFAILOVER" -c "$T/dr-tcp.env" run
dr=$SYS_PID
sys_wait_for 10 "the DR's health check on syslog" has_frame "$dr" "health: connected to 127.0.0.1"
sys_wait_for 10 "the DR's standby line on syslog" has_frame "$dr" "Primary healthy"
check_frames "$dr" "DR"
assert_eq "$(pri_of "$dr" "health: connected to")" 31 "debug -> <31> (daemon.debug)"
assert_eq "$(pri_of "$dr" "Primary healthy")" 30 "DR: info -> <30>"
fo_stop dr
fo_stop primary
assert_eq "$(pri_of "$fg" "Site is now STANDBY")" 28 "stepping down at SIGTERM: warn -> <28>"

sys_log "run --daemonize with --pidfile and LOG_TARGET unset"
pidfile=$T/dnsfailover.pid
assert_exit 0 "run --daemonize" -- "${IN_NS[@]}" "$DNSFAILOVER" -c "$T/daemon.env" run --daemonize --pidfile "$pidfile"
assert_eq "$OUT" "" "the parent prints nothing"
sys_wait_for 5 "the pid file" test -s "$pidfile"
pid=$(cat "$pidfile")
trap '_rc=$?; set +e; kill "$pid" 2>/dev/null; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
kill -0 "$pid" || fail "daemon (pid $pid) is not running"
[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ] || [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] ||
	fail "daemon is not detached (ppid $(ps -o ppid= -p "$pid"))"
sys_wait_for 10 "the daemon's lease line on syslog" has_frame "$pid" "Site is now ACTIVE"
sys_wait_for 10 "the daemon's watcher error on syslog" has_frame "$pid" "Watcher: could not start"
check_frames "$pid" "daemonized"
assert_eq "$(pri_of "$pid" "Site is now ACTIVE")" 30 "daemonized: info -> <30>"
assert_eq "$(pri_of "$pid" "Watcher: could not start")" 27 "daemonized: error -> <27>"
kill -TERM "$pid"
sys_wait_for 10 "the daemon to exit on SIGTERM" sh -c "! kill -0 $pid 2>/dev/null"
echo "PASS: syslog frames (facility, ident, pid, priority) foreground and daemonized"
