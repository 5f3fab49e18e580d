#!/usr/bin/env bash
# The METRICS_LISTEN endpoint of a running daemon against clients that connect and send
# nothing: two addresses holding 8 idle connections each do not keep a third client from
# /healthz; once they close, /healthz answers again at once; when idle connections from
# many addresses fill every slot, a probe waits at most about one idle timeout, and the
# listener takes new connections again after that.
set -eu
. "$top_srcdir/tests/system/failover.sh"
HTTP_CLIENTS=${HTTP_CLIENTS:-$top_builddir/tests/system/http_clients}
fo_begin
mport=$(sys_free_port)
echo "METRICS_LISTEN=127.0.0.1:$mport" >>"$T/primary.env"

# probe NAME SRC MS: GET /healthz from SRC, which must answer "200" and "ok" within MS
# milliseconds.
probe()
{
	local name=$1 src=$2 ms=$3 out
	out=$("$HTTP_CLIENTS" get "$src" "$mport" /healthz "$ms" 2>&1) ||
		fail "$name: /healthz from $src: $out"
	assert_contains "$out" "HTTP/1.1 200" "$name: status"
	assert_contains "$out" "ok" "$name: body"
	sys_log "$name: /healthz from $src answered"
}

# holding NAME: true once the hold NAME has all its connections open.
holding()
{
	grep -q '^holding' "$T/$1.log" 2>/dev/null
}

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Serving /metrics and /healthz on http://127.0.0.1:$mport" 5
probe "at start" 127.0.0.1 2000

# Two addresses, 8 idle connections each, closed by the clients after 2 s.
sys_spawn hold2 "$HTTP_CLIENTS" hold "$mport" 2 127.0.0.1 8 127.0.0.2 8
sys_wait_for 5 "16 connections from two addresses" holding hold2
probe "while two addresses hold 8 each" 127.0.0.3 1500
sys_wait_for 5 "the clients to close their connections" grep -q '^closed by' "$T/hold2.log"
sys_log "$(tail -n 1 "$T/hold2.log")"
probe "after they closed" 127.0.0.1 2000
probe "after they closed, from the second address" 127.0.0.2 2000

# Every slot taken by idle connections from six addresses, more waiting to be accepted.
sys_spawn holdall "$HTTP_CLIENTS" hold "$mport" 30 127.0.0.11 4 127.0.0.12 4 127.0.0.13 4 \
	127.0.0.14 4 127.0.0.15 4 127.0.0.16 4
sys_wait_for 5 "24 connections from six addresses" holding holdall
probe "while every slot is held" 127.0.0.3 5000
sys_kill holdall 2 || true
probe "after the full hold ended" 127.0.0.1 2000

# A reload does not disturb the listener.
sys_spawn hold3 "$HTTP_CLIENTS" hold "$mport" 1 127.0.0.1 8 127.0.0.2 8
sys_wait_for 5 "16 connections again" holding hold3
sys_wait_for 5 "the clients to close again" grep -q '^closed by' "$T/hold3.log"
read -r pid _ <"$T/run/primary.pid"
kill -HUP "$pid"
probe "after a reload" 127.0.0.1 2000
fo_stop primary
sys_log "PASS"
