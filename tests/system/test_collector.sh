#!/usr/bin/env bash
# The stand-in collector (tests/system/fake_collector.c) and its library
# (tests/system/collector.sh): every mode as a client on /dev/tcp sees it.
#
# COLLECTOR_*_c1 and COLLECTOR_*_c2 are set by sys_start_collector through printf -v.
# shellcheck disable=SC2154
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/collector.sh"

sys_require bash timeout head awk "$FAKE_COLLECTOR"
sys_setup

# log_count NAME TEXT: how many lines of the collector's log contain TEXT (fixed string).
log_count()
{
	local log
	log=$(_sys_collector_var "$1" LOG) || fail "log_count: no collector $1"
	grep -cF -- "$2" "$log" || true
}

# wait_log NAME TEXT [COUNT]: waits up to 3 s until TEXT is in at least COUNT (default 1)
# lines of the collector's log.
wait_log()
{
	local want=${3:-1} i
	for ((i = 0; i < 30; i++)); do
		[ "$(log_count "$1" "$2")" -ge "$want" ] && return 0
		sleep 0.1
	done
	fail "collector $1 logged '$2' fewer than $want times; log:
$(tail -n 20 "$(_sys_collector_var "$1" LOG)")"
}

# counter_above NAME VALUE: true when collector NAME's counter is above VALUE.
counter_above()
{
	local v
	v=$(sys_collector_value "$1" 2>/dev/null) && [ "$v" -gt "$2" ]
}

# status_line FILE: the first line of a saved response, without CR.
status_line()
{
	head -n 1 "$1" | tr -d '\r'
}

# ---------------------------------------------------------------------------
sys_log "command line"
assert_exit 2 "no arguments" -- "$FAKE_COLLECTOR"
assert_contains "$OUT" "usage: fake_collector" "usage on a bad command line"
assert_exit 2 "port 0" -- "$FAKE_COLLECTOR" -p 0 -c "$T/x.mode"
assert_exit 2 "interval 0" -- "$FAKE_COLLECTOR" -p 1 -i 0 -c "$T/x.mode"
assert_exit 2 "no control file" -- "$FAKE_COLLECTOR" -p 1

# ---------------------------------------------------------------------------
sys_log "up: a Prometheus page whose counter grows by STEP (default 55)"
sys_start_collector c1
assert_eq "$COLLECTOR_URL" "http://127.0.0.1:$COLLECTOR_PORT/metrics" "COLLECTOR_URL"
assert_eq "$COLLECTOR_MODE_FILE" "$T/c1.mode" "COLLECTOR_MODE_FILE"
assert_eq "$COLLECTOR_URL_c1" "$COLLECTOR_URL" "COLLECTOR_URL_c1"
assert_eq "$COLLECTOR_PORT_c1" "$COLLECTOR_PORT" "COLLECTOR_PORT_c1"
assert_eq "$COLLECTOR_METRIC_c1" otelcol_receiver_accepted_metric_points_total "default metric"

sys_collector_fetch c1 >"$T/page" || fail "GET /metrics failed"
assert_eq "$(status_line "$T/page")" "HTTP/1.1 200 OK" "status of /metrics"
page=$(tr -d '\r' <"$T/page")
assert_contains "$page" "Connection: close" "Connection header"
assert_contains "$page" "Content-Type: text/plain; version=0.0.4" "Prometheus content type"
m=otelcol_receiver_accepted_metric_points_total
assert_contains "$page" "# HELP $m " "HELP line"
assert_contains "$page" "# TYPE $m counter" "TYPE line"
assert_contains "$page" "$m{receiver=\"prometheus\",transport=\"http\"} " "prometheus label set"
assert_contains "$page" "$m{receiver=\"otlp\",transport=\"grpc\"} " "otlp label set"
assert_contains "$page" "# TYPE otelcol_process_memory_rss gauge" "another metric"
len=$(sed -n 's/^Content-Length: //p' <<<"$page")
body=$(sed '1,/^$/d' <<<"$page")
assert_eq "$len" "$((${#body} + 1))" "Content-Length matches the body"

v1=$(sys_collector_value c1) || fail "sys_collector_value c1"
sys_wait_for 2 "the counter to grow from $v1" counter_above c1 "$v1"
v2=$(sys_collector_value c1) || fail "sys_collector_value c1"
[ "$v2" -gt "$v1" ] || fail "counter did not grow: $v1 -> $v2"
assert_eq "$(((v2 - v1) % 55))" 0 "counter grows in steps of 55 ($v1 -> $v2)"
sum=$(awk -v m="$m" 'index($0, m "{") == 1 { s += $NF } END { print s }' <<<"$body")
[ "$sum" -le "$v1" ] || fail "sys_collector_value does not sum the label sets ($sum vs $v1)"

sys_collector_fetch c1 /other >"$T/404" || fail "GET /other failed"
assert_eq "$(status_line "$T/404")" "HTTP/1.1 404 Not Found" "other path"
wait_log c1 "GET /other from port"

# ---------------------------------------------------------------------------
sys_log "flat: answers, the counter is frozen"
sys_collector_mode c1 flat
v1=$(sys_collector_value c1) || fail "sys_collector_value in flat"
sleep 0.5 # a window (more than one 200 ms step): the counter must not move in it
v2=$(sys_collector_value c1) || fail "sys_collector_value in flat"
assert_eq "$v2" "$v1" "counter in flat mode"
sys_collector_connect c1 || fail "TCP connect refused in flat mode"
sys_collector_mode c1 up
sys_wait_for 2 "the counter to grow again after flat" counter_above c1 "$v2"
v3=$(sys_collector_value c1) || fail "sys_collector_value after flat"
[ "$v3" -gt "$v2" ] || fail "counter does not grow again after flat: $v2 -> $v3"
wait_log c1 "mode flat -> up"

# ---------------------------------------------------------------------------
sys_log "down: connections refused; up: listening again"
sys_collector_mode c1 down
rc=0
# shellcheck disable=SC2016 # expanded by the child bash
timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' probe "$COLLECTOR_PORT" 2>/dev/null || rc=$?
assert_eq "$rc" 1 "connect in down mode is refused (not hung, not accepted)"
sys_collector_connect c1 && fail "sys_collector_connect succeeds in down mode"
sys_collector_value c1 2>"$T/err" && fail "sys_collector_value succeeds in down mode"
assert_contains "$(cat "$T/err")" "fetch failed" "sys_collector_value says why"
sys_collector_mode c1 up
sys_collector_connect c1 || fail "TCP connect refused after down -> up"
sys_collector_value c1 >/dev/null || fail "no metrics after down -> up"

# ---------------------------------------------------------------------------
sys_log "hang: accepted, never answered, and others are still served"
sys_collector_mode c1 hang
SYS_COLLECTOR_TIMEOUT=1 sys_collector_value c1 2>"$T/err" && fail "sys_collector_value answered in hang mode"
assert_contains "$(cat "$T/err")" "no answer within 1s" "sys_collector_value times out"
wait_log c1 "closed by the peer"
closed=$(log_count c1 "closed by the peer")
exec 4<>"/dev/tcp/127.0.0.1/$COLLECTOR_PORT"
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&4
out=$(timeout 2 head -c 1 <&4) && rc=0 || rc=$?
assert_eq "$rc:$out" "124:" "a hung request gets nothing in 2 s"
wait_log c1 "mode hang: never answering" 2
sys_collector_mode c1 up
v1=$(sys_collector_value c1) || fail "no metrics while a hung connection is open"
out=$(timeout 1 head -c 1 <&4) && rc=0 || rc=$?
assert_eq "$rc:$out" "124:" "the hung connection stays open and silent after the mode changed"
assert_eq "$(log_count c1 "closed by the peer")" "$closed" "hung connections closed by the collector"
exec 4>&-
wait_log c1 "closed by the peer" $((closed + 1))

# ---------------------------------------------------------------------------
sys_log "garbage: 200 with random bytes"
sys_collector_mode c1 garbage
sys_collector_fetch c1 >"$T/garbage" || fail "GET in garbage mode failed"
assert_eq "$(status_line "$T/garbage")" "HTTP/1.1 200 OK" "status in garbage mode"
size=$(wc -c <"$T/garbage")
[ "$size" -gt 100 ] || fail "garbage response has only $size bytes"
grep -aq "# TYPE" "$T/garbage" && fail "garbage response looks like Prometheus"
sys_collector_value c1 2>"$T/err" && fail "sys_collector_value found a counter in garbage"
assert_contains "$(cat "$T/err")" "no $m on the page" "sys_collector_value on garbage"

# ---------------------------------------------------------------------------
sys_log "huge: an endless body (the first 1 MiB), and a stalled reader blocks nobody"
sys_collector_mode c1 huge
sys_collector_fetch c1 /metrics 1048576 >"$T/huge" || fail "GET in huge mode failed"
assert_eq "$(wc -c <"$T/huge")" 1048576 "the huge body is still coming after 1 MiB"
assert_eq "$(status_line "$T/huge")" "HTTP/1.1 200 OK" "status in huge mode"
head -c 4096 "$T/huge" | grep -aqi '^Content-Length:' && fail "huge response has a Content-Length"
assert_contains "$(tail -c 200 "$T/huge")" "padding" "huge body"
wait_log c1 "send failed"
failed=$(log_count c1 "send failed")
exec 5<>"/dev/tcp/127.0.0.1/$COLLECTOR_PORT"
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&5
wait_log c1 "200 huge" 2
sys_collector_mode c1 up
v1=$(sys_collector_value c1) || fail "no metrics while a huge response is stalled"
assert_eq "$(log_count c1 "send failed")" "$failed" "the stalled huge response was dropped early"
exec 5>&-
wait_log c1 "send failed" $((failed + 1))

# ---------------------------------------------------------------------------
sys_log "error: HTTP 500"
sys_collector_mode c1 error
sys_collector_fetch c1 >"$T/error" || fail "GET in error mode failed"
assert_eq "$(status_line "$T/error")" "HTTP/1.1 500 Internal Server Error" "status in error mode"
sys_collector_value c1 2>"$T/err" && fail "sys_collector_value succeeded on a 500"
assert_contains "$(cat "$T/err")" "HTTP status 500" "sys_collector_value on a 500"
sys_collector_connect c1 || fail "TCP connect refused in error mode"

# ---------------------------------------------------------------------------
sys_log "control file: missing means up, an unknown word is ignored"
sys_collector_mode c1 flat
n=$(log_count c1 "mode flat -> up")
rm -f "$COLLECTOR_MODE_FILE"
wait_log c1 "mode flat -> up" $((n + 1))
echo bogus >"$COLLECTOR_MODE_FILE"
wait_log c1 "unknown mode 'bogus'"
sys_collector_value c1 >/dev/null || fail "no metrics after an unknown mode"
sys_collector_mode c1 up

# ---------------------------------------------------------------------------
sys_log "two collectors side by side"
port1=$COLLECTOR_PORT
sys_start_collector c2 -m my_points_total -s 7 -i 50
[ "$COLLECTOR_PORT_c2" != "$COLLECTOR_PORT_c1" ] || fail "both collectors on port $port1"
assert_eq "$COLLECTOR_PORT_c1" "$port1" "COLLECTOR_PORT_c1 after starting c2"
assert_eq "$COLLECTOR_PORT" "$COLLECTOR_PORT_c2" "COLLECTOR_PORT is the last one started"
assert_eq "$COLLECTOR_METRIC_c2" my_points_total "-m sets COLLECTOR_METRIC_c2"
v1=$(sys_collector_value c2) || fail "sys_collector_value c2"
sys_wait_for 2 "c2's counter to grow from $v1" counter_above c2 "$v1"
v2=$(sys_collector_value c2) || fail "sys_collector_value c2"
if [ "$v2" -le "$v1" ] || [ "$(((v2 - v1) % 7))" != 0 ]; then
	fail "c2 with -s 7: $v1 -> $v2"
fi
sys_collector_value c2 otelcol_receiver_accepted_metric_points_total 2>/dev/null &&
	fail "c2 serves the default metric name"
sys_collector_mode c2 down
sys_collector_value c1 >/dev/null || fail "c1 went down with c2"
assert_exit 2 "a second collector on a port in use" -- \
	"$FAKE_COLLECTOR" -p "$COLLECTOR_PORT_c1" -c "$T/x.mode"
assert_contains "$OUT" "cannot bind" "bind failure message"

# ---------------------------------------------------------------------------
sys_log "SIGTERM: clean exit, pid file removed"
sys_stop_collector c2
assert_eq "$SYS_EXIT_STATUS" 0 "exit status on SIGTERM in down mode"
[ ! -e "$T/collector-c2.ready" ] || fail "pid file left behind"
sys_stop_collector c1
assert_eq "$SYS_EXIT_STATUS" 0 "exit status on SIGTERM"
sys_collector_connect c1 && fail "c1 still accepts connections after SIGTERM"
wait_log c1 "stopping on signal"

sys_log "PASS"
