#!/usr/bin/env bash
# The init script of zonepushd (etc/zonepushd.init, as make builds it): start checks the
# configuration and backgrounds the daemon with a pid file, status reports it, stop ends
# it; a configuration that does not check is not started.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

sys_require named rndc curl start-stop-daemon
INIT=$top_builddir/etc/zonepushd.init
[ -x "$INIT" ] || fail "no $INIT (make builds it)"
sys_setup
zp_start_named ns1
zp_write_conf
ZONEPUSHD_ABS=$(cd "$(dirname "$ZONEPUSHD")" && pwd)/$(basename "$ZONEPUSHD")
export ZONEPUSHD_DEFAULTS=/dev/null ZONEPUSHD_BIN=$ZONEPUSHD_ABS ZONEPUSHD_CONFIG=$T/zp.conf \
	PIDFILE=$T/zonepushd.pid LOGFILE=$T/zonepushd-init.log
assert_exit 3 "status before start" -- "$INIT" status
assert_exit 0 "start" -- "$INIT" start
up()
{
	curl -s -u "$ZP_USER:$ZP_PASSWORD" "http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST" | grep -q Login
}
sys_wait_for 10 "zonepushd answers after start" up
assert_exit 0 "status while running" -- "$INIT" status
assert_contains "$OUT" "running (pid $(cat "$T/zonepushd.pid"))" "status names the pid"
assert_exit 0 "stop" -- "$INIT" stop
assert_exit 3 "status after stop" -- "$INIT" status
if up; then fail "zonepushd still answers after stop"; fi
echo "user = " >>"$T/zp.conf"
sed -i 's/^user = .*/user = /' "$T/zp.conf"
assert_exit 1 "start with an invalid configuration" -- "$INIT" start
assert_contains "$OUT" "user is required" "the reason is shown"
assert_exit 3 "not started" -- "$INIT" status
sys_log "PASS"
