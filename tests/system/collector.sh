# shellcheck shell=bash
# tests/system/collector.sh: stand-in OpenTelemetry collectors (tests/system/fake_collector)
# for the health-check system tests, on top of lib.sh.
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
#   . "$top_srcdir/tests/system/collector.sh"
#   sys_setup
#   sys_start_collector primary            # a growing counter on a free port
#   sys_write_config "$T/dr.conf" ROLE=dr HEALTH_MODE=metrics HEALTH_URL="$COLLECTOR_URL"
#   sys_collector_mode primary flat        # the counter stops growing
#   sys_collector_mode primary down        # connections are refused
#
# NAME is a label of letters, digits and underscores. sys_start_collector NAME sets (and
# exports), for the collector just started:
#   COLLECTOR_PORT       its TCP port on 127.0.0.1 (HEALTH_HOST=127.0.0.1 HEALTH_PORT=...)
#   COLLECTOR_URL        http://127.0.0.1:PORT/metrics (HEALTH_URL=...)
#   COLLECTOR_MODE_FILE  $T/NAME.mode, the control file (write it with sys_collector_mode)
#   COLLECTOR_METRIC     the counter's name (-m, default
#                        otelcol_receiver_accepted_metric_points_total)
#   COLLECTOR_PID        its pid
#   COLLECTOR_LOG        its log, $T/collector-NAME.log (one line per request and mode change)
# and the same values under names that carry NAME, which stay valid when a second
# collector is started:
#   COLLECTOR_PORT_NAME COLLECTOR_URL_NAME COLLECTOR_MODE_FILE_NAME COLLECTOR_METRIC_NAME
#   COLLECTOR_PID_NAME COLLECTOR_LOG_NAME
# e.g. with two collectors:
#   sys_start_collector primary
#   sys_start_collector dr -s 10
#   sys_write_config "$T/dr.conf" ... HEALTH_URL="$COLLECTOR_URL_primary"
#   sys_write_config "$T/primary.conf" ... HEALTH_URL="$COLLECTOR_URL_dr"
# or, with the name in a variable: var=COLLECTOR_URL_$name; echo "${!var}".
# The other functions take NAME and look these up themselves.
#
# Functions (NAME as given to sys_start_collector):
#   sys_start_collector NAME [ARGS...]  starts fake_collector with ARGS (-m METRIC, -s STEP,
#                               -i MS) through sys_spawn as "collector-NAME" (so a daemon
#                               spawned as NAME does not clash), and sys_cleanup stops it;
#                               the counter starts at 1000 and grows only in mode up
#   sys_collector_mode NAME MODE  writes MODE (up flat down hang garbage huge error) and
#                               waits until the collector has applied it (and, for down
#                               and back, closed or reopened its listening socket)
#   sys_collector_value NAME [METRIC]  prints the sum of the counter's samples; returns 1
#                               when the page could not be fetched or lacks the metric
#   sys_collector_fetch NAME [PATH [MAXBYTES]]  prints the raw HTTP response (status line
#                               and headers with CRLF) to stdout, at most MAXBYTES
#                               (default 1 MiB); status 124 when it timed out
#   sys_collector_connect NAME  true when a TCP connect to the collector succeeds
#   sys_stop_collector NAME     stops it (SIGTERM); fails when it had already exited
# Every network call is bounded by SYS_COLLECTOR_TIMEOUT seconds (default 5).

FAKE_COLLECTOR=${FAKE_COLLECTOR:-$top_builddir/tests/system/fake_collector}
SYS_COLLECTOR_MODES="up flat down hang garbage huge error"

# _sys_collector_var NAME FIELD: prints COLLECTOR_FIELD_NAME, fails when it is unset.
_sys_collector_var()
{
	local var=COLLECTOR_$2_$1
	if [ -z "${!var:-}" ]; then
		echo "collector.sh: no collector '$1' (sys_start_collector $1 first)" >&2
		return 1
	fi
	printf '%s\n' "${!var}"
}

# _sys_collector_name NAME: fails unless NAME can be part of a variable name.
_sys_collector_name()
{
	case $1 in
	'' | *[!A-Za-z0-9_]*) fail "collector.sh: bad collector name '$1' (letters, digits, _)" ;;
	esac
}

# _sys_collector_state NAME: prints "MODE LISTENING" (yes/no) as the collector's log says.
_sys_collector_state()
{
	local log
	log=$(_sys_collector_var "$1" LOG) || return 1
	awk '
		/^fake_collector: mode [a-z]+ -> [a-z]+ / { mode = $5 }
		/^fake_collector: listening socket closed/ { listening = "no" }
		/^fake_collector: listening again/ { listening = "yes" }
		END { print mode, listening }
	' mode=up listening=yes "$log"
}

# sys_start_collector NAME [ARGS...]
sys_start_collector()
{
	local name=${1:?sys_start_collector NAME [ARGS...]} spawn port log ready i a metric
	local metric_next=0
	shift
	_sys_collector_name "$name"
	sys_require "$FAKE_COLLECTOR"
	[ -n "$T" ] || fail "sys_start_collector: call sys_setup first"
	spawn=collector-$name
	[ ! -f "$T/run/$spawn.pid" ] || fail "sys_start_collector: collector '$name' is already running"
	metric=otelcol_receiver_accepted_metric_points_total
	for a in "$@"; do
		if [ "$metric_next" = 1 ]; then
			metric=$a
			metric_next=0
		fi
		case $a in
		-m) metric_next=1 ;;
		-m?*) metric=${a#-m} ;;
		esac
	done
	log=$T/$spawn.log
	ready=$T/$spawn.ready
	: >"$log"
	# A previous collector of this name may have left a mode behind: start "up".
	echo up >"$T/$name.mode"
	for _ in 1 2 3; do
		port=$(sys_free_port) || fail "sys_start_collector: no free port"
		rm -f "$ready"
		sys_spawn "$spawn" "$FAKE_COLLECTOR" -p "$port" -c "$T/$name.mode" -P "$ready" "$@"
		for ((i = 0; i < 50; i++)); do
			[ -s "$ready" ] && break
			_sys_tracked_alive "$spawn" || break
			sleep 0.1
		done
		[ -s "$ready" ] && break
		_sys_stop "$spawn" 2 || true
		grep -q 'in use' "$log" || fail "sys_start_collector: fake_collector $* did not start; see ${log##*/}"
		sys_log "collector $name: port $port taken, retrying"
	done
	[ -s "$ready" ] || fail "sys_start_collector: no free port for collector $name; see ${log##*/}"
	export COLLECTOR_PORT=$port
	export COLLECTOR_URL=http://127.0.0.1:$port/metrics
	export COLLECTOR_MODE_FILE=$T/$name.mode
	export COLLECTOR_METRIC=$metric
	export COLLECTOR_PID=$SYS_PID
	export COLLECTOR_LOG=$log
	# The same under names that carry NAME: COLLECTOR_PORT_primary and so on.
	for a in PORT URL MODE_FILE METRIC PID LOG; do
		local v=COLLECTOR_$a
		printf -v "COLLECTOR_${a}_$name" '%s' "${!v}"
		export "COLLECTOR_${a}_$name"
	done
	sys_log "collector $name up on $COLLECTOR_URL (pid $COLLECTOR_PID)"
}

# sys_collector_mode NAME MODE
sys_collector_mode()
{
	local name=${1:?sys_collector_mode NAME MODE} mode=${2:?sys_collector_mode NAME MODE}
	local file state want_listen i
	case " $SYS_COLLECTOR_MODES " in
	*" $mode "*) ;;
	*) fail "sys_collector_mode: unknown mode '$mode' (one of: $SYS_COLLECTOR_MODES)" ;;
	esac
	file=$(_sys_collector_var "$name" MODE_FILE) || fail "sys_collector_mode: no collector '$name'"
	# Written whole and renamed, so the collector never reads half a word.
	if ! { echo "$mode" >"$file.tmp" && mv -f "$file.tmp" "$file"; }; then
		fail "sys_collector_mode: cannot write $file"
	fi
	want_listen=yes
	[ "$mode" != down ] || want_listen=no
	for ((i = 0; i < 50; i++)); do
		state=$(_sys_collector_state "$name") || fail "sys_collector_mode: no log for collector '$name'"
		[ "$state" = "$mode $want_listen" ] && return 0
		_sys_tracked_alive "collector-$name" || fail "sys_collector_mode: collector $name is not running"
		sleep 0.1
	done
	fail "sys_collector_mode: collector $name did not switch to $mode within 5 s (state: $state)"
}

# sys_collector_fetch NAME [PATH [MAXBYTES]]
sys_collector_fetch()
{
	local name=${1:?sys_collector_fetch NAME [PATH [MAXBYTES]]} path=${2:-/metrics}
	local max=${3:-1048576} port
	port=$(_sys_collector_var "$name" PORT) || return 1
	# timeout(1) runs programs only, so the /dev/tcp client is a child bash.
	# shellcheck disable=SC2016 # expanded by the child
	timeout -k 1 "${SYS_COLLECTOR_TIMEOUT:-5}" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: collector.sh\r\nAccept: */*\r\nConnection: close\r\n\r\n" "$2" "$1" >&3 || exit 1
		head -c "$3" <&3
	' collector-fetch "$port" "$path" "$max" 2>/dev/null
}

# sys_collector_value NAME [METRIC]
sys_collector_value()
{
	local name=${1:?sys_collector_value NAME [METRIC]} metric=${2:-} out rc
	if [ -z "$metric" ]; then
		metric=$(_sys_collector_var "$name" METRIC) || return 1
	fi
	out=$(
		set -o pipefail
		sys_collector_fetch "$name" /metrics | tr -d '\000\r'
	) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 124 ] && echo "sys_collector_value: $name: no answer within ${SYS_COLLECTOR_TIMEOUT:-5}s" >&2
		[ "$rc" -ne 124 ] && echo "sys_collector_value: $name: fetch failed (status $rc)" >&2
		return 1
	fi
	awk -v m="$metric" -v name="$name" '
		NR == 1 { status = $2; next }
		!body { if ($0 == "") body = 1; next }
		/^#/ { next }
		match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/) && substr($0, 1, RLENGTH) == m {
			sum += $NF
			found = 1
		}
		END {
			if (status != "200") {
				printf "sys_collector_value: %s: HTTP status %s\n", name, status > "/dev/stderr"
				exit 1
			}
			if (!found) {
				printf "sys_collector_value: %s: no %s on the page\n", name, m > "/dev/stderr"
				exit 1
			}
			printf "%.0f\n", sum
		}
	' <<<"$out"
}

# sys_collector_connect NAME
sys_collector_connect()
{
	local port
	port=$(_sys_collector_var "$1" PORT) || return 1
	# shellcheck disable=SC2016 # expanded by the child
	timeout -k 1 "${SYS_COLLECTOR_TIMEOUT:-5}" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' \
		collector-connect "$port" 2>/dev/null
}

# sys_stop_collector NAME
sys_stop_collector()
{
	local name=${1:?sys_stop_collector NAME}
	_sys_stop "collector-$name" 5 || fail "sys_stop_collector: collector $name was not running; see collector-$name.log"
	sys_log "collector $name stopped (status $SYS_EXIT_STATUS)"
}
