# shellcheck shell=bash
# tests/system/lib.sh: the library every system test script sources.
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
#   sys_require named dig
#   sys_setup
#   sys_start_named hmac-sha256
#
# The environment comes from AM_TESTS_ENVIRONMENT in Makefile.am (top_srcdir,
# top_builddir, DNSFAILOVER); run by hand, pass them the same way:
#   top_srcdir=/work/main top_builddir=/tmp/b-sys tests/system/test_x.sh
# KEEP_TMP=1 keeps the temp dir $T (configs, keys, zone files, daemon logs).
#
# Works under `set -eu` and without it. fail() exits the current shell: inside $(...)
# that is only the subshell, so check the status of command substitutions.

# named and tsig-keygen live in sbin, which a non-root PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
case ":$PATH:" in *:/sbin:*) ;; *) PATH=$PATH:/sbin ;; esac
export PATH

_sys_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$_sys_lib_dir/../.." && pwd)}
# make check runs the tests from the top build directory.
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
FAKE_DNS=${FAKE_DNS:-$top_builddir/tests/system/fake_dns}

SYS_ALGS="hmac-md5 hmac-sha1 hmac-sha224 hmac-sha256 hmac-sha384 hmac-sha512"
T=${T:-}

# ---------------------------------------------------------------------------
# Messages and assertions

# sys_log MSG...: a progress line.
sys_log()
{
	printf '# %s %s\n' "$(date +%H:%M:%S)" "$*"
}

# fail MSG...: prints "FAIL: MSG" on stderr and exits 1.
fail()
{
	_sys_failed=1
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# assert_eq ACTUAL EXPECTED MSG
assert_eq()
{
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# assert_contains HAYSTACK NEEDLE MSG (fixed string, not a pattern)
assert_contains()
{
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in:
$1" ;;
	esac
}

# assert_not_contains HAYSTACK NEEDLE MSG
assert_not_contains()
{
	case $1 in
	*"$2"*) fail "$3: '$2' unexpectedly found in:
$1" ;;
	esac
}

# assert_exit CODE MSG -- CMD...: runs CMD (a program, not a shell function) under
# timeout(1) of ${SYS_CMD_TIMEOUT:-20} s, stdout and stderr captured into $OUT, and
# checks its exit status. A timeout fails whatever CODE is.
assert_exit()
{
	local want=${1:-} msg=${2:-} limit=${SYS_CMD_TIMEOUT:-20} rc
	if [ $# -lt 4 ] || [ "$3" != "--" ]; then
		fail "assert_exit: usage: assert_exit CODE MSG -- CMD..."
	fi
	shift 3
	if [ "$(type -t "$1")" = function ]; then
		fail "assert_exit: '$1' is a shell function; timeout(1) can only run programs"
	fi
	OUT=$(timeout -k 5 "$limit" "$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "$msg: hung: '$*' did not exit within ${limit}s; output:
$OUT"
	fi
	if [ "$rc" -eq 137 ] && [ "$want" != 137 ]; then
		fail "$msg: hung: '$*' was killed with SIGKILL (no exit within ${limit}s even after SIGTERM?); output:
$OUT"
	fi
	[ "$rc" = "$want" ] || fail "$msg: '$*' exited $rc, expected $want; output:
$OUT"
}

# sys_wait_for SECS WHAT CMD...: runs CMD (a program or a shell function) every 0.2 s
# until it succeeds; fails naming WHAT when it has not within SECS seconds (at least
# SECS s of waiting, at most one more). Use it instead of a fixed sleep before a check
# that something has happened.
sys_wait_for()
{
	local limit=${1:?sys_wait_for SECS WHAT CMD...} what=${2:?sys_wait_for SECS WHAT CMD...}
	local start=$SECONDS
	shift 2
	[ $# -gt 0 ] || fail "sys_wait_for: no command to wait for ($what)"
	until "$@"; do
		[ $((SECONDS - start)) -le "$limit" ] || fail "waited ${limit}s in vain for: $what"
		sleep 0.2
	done
}

# sys_require CMD...: exits 77 (SKIP) when a command is missing.
sys_require()
{
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "SKIP: required command '$c' not found (scripts/install-deps installs the tools)"
			exit 77
		fi
	done
}

# ---------------------------------------------------------------------------
# Temp dir and processes

# sys_setup: creates $T, installs the cleanup trap, sets DNSFAILOVER.
sys_setup()
{
	sys_require mktemp timeout ss
	T=$(mktemp -d "${TMPDIR:-/tmp}/dnsfailover-sys.XXXXXX") || fail "sys_setup: cannot create a temp dir"
	mkdir "$T/run" || fail "sys_setup: cannot create $T/run"
	export T
	DNSFAILOVER=${DNSFAILOVER:-$top_builddir/dnsfailover}
	export DNSFAILOVER
	trap sys_cleanup EXIT
	# Under set -e a failing command ends the script without a word: remember where.
	trap '_sys_err_at="${BASH_SOURCE[0]:-?}:$LINENO: $BASH_COMMAND (status $?)"' ERR
	# Signals end the script through exit, so the EXIT trap still cleans up.
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sys_log "temp dir $T"
}

# Prints the start time (clock ticks since boot) of PID, the guard against a reused pid.
_sys_starttime()
{
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${20}"
}

# _sys_alive PID START: true while PID runs (not a zombie) and is still the same process.
_sys_alive()
{
	local s want=$2
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	[ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$want" ]
}

# _sys_track NAME PID: records PID in $T/run/NAME.pid for sys_cleanup.
_sys_track()
{
	local start
	start=$(_sys_starttime "$2") || start=gone
	echo "$2 $start" >"$T/run/$1.pid"
}

# _sys_tracked_alive NAME: true while the process recorded as NAME runs.
_sys_tracked_alive()
{
	local pid start
	[ -f "$T/run/$1.pid" ] || return 1
	read -r pid start <"$T/run/$1.pid"
	_sys_alive "$pid" "$start"
}

# _sys_stop NAME [GRACE]: SIGTERM, up to GRACE s (default 5) to exit, then SIGKILL.
# Returns 1 when the process was no longer running. Sets SYS_EXIT_STATUS to its exit
# status (143 = killed by SIGTERM, 137 = SIGKILL; 127 when it was not our child).
_sys_stop()
{
	local file=$T/run/$1.pid grace=${2:-5} pid start i ret=0
	[ -f "$file" ] || return 1
	read -r pid start <"$file"
	if _sys_alive "$pid" "$start"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < grace * 10; i++)); do
			_sys_alive "$pid" "$start" || break
			sleep 0.1
		done
		if _sys_alive "$pid" "$start"; then
			echo "# $1 (pid $pid) ignored SIGTERM for ${grace}s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				_sys_alive "$pid" "$start" || break
				sleep 0.1
			done
		fi
	else
		ret=1
	fi
	# Reap it if it is our child (it is dead or a zombie by now, so this cannot block).
	SYS_EXIT_STATUS=
	# shellcheck disable=SC2034 # SYS_EXIT_STATUS is read by the test scripts
	if ! _sys_alive "$pid" "$start"; then
		wait "$pid" 2>/dev/null && SYS_EXIT_STATUS=0 || SYS_EXIT_STATUS=$?
	fi
	rm -f "$file"
	return $ret
}

# sys_spawn NAME CMD...: starts CMD in the background, output in $T/NAME.log, stopped by
# sys_kill NAME or sys_cleanup. Sets SYS_PID.
sys_spawn()
{
	local name=$1
	shift
	[ -n "$T" ] || fail "sys_spawn: call sys_setup first"
	"$@" >>"$T/$name.log" 2>&1 </dev/null &
	SYS_PID=$!
	_sys_track "$name" "$SYS_PID"
}

# sys_kill NAME [GRACE]: stops what sys_spawn NAME started (SIGTERM, SIGKILL after GRACE
# s, default 5); returns 1 if it had already exited. Sets SYS_EXIT_STATUS.
sys_kill()
{
	_sys_stop "$@"
}

# sys_at_cleanup CMD...: sys_cleanup runs CMD (a function or program) first, before it
# stops the tracked daemons; the last one registered runs first.
_sys_cleanup_hooks=()
sys_at_cleanup()
{
	_sys_cleanup_hooks=("$*" "${_sys_cleanup_hooks[@]}")
}

# sys_cleanup: the EXIT trap. Runs the sys_at_cleanup hooks, stops every daemon started
# through this library, shows the tail of the logs when the script failed, removes $T
# unless KEEP_TMP=1.
sys_cleanup()
{
	local rc=$? f
	set +e
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for f in "${_sys_cleanup_hooks[@]}"; do
		eval "$f"
	done
	for f in "$T"/run/*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		_sys_stop "${f%.pid}" 5
	done
	if [ -f "$T/ports" ]; then
		while read -r f; do
			rmdir "$f" 2>/dev/null
		done <"$T/ports"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "${_sys_failed:-}" ]; then
		echo "FAIL: exit status $rc without a FAIL message; last failed command: ${_sys_err_at:-unknown}" >&2
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		for f in "$T"/*.log; do
			[ -s "$f" ] || continue
			echo "----- last 40 lines of $f"
			tail -n 40 "$f"
		done
		echo "----- (KEEP_TMP=1 keeps $T)"
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
	return 0
}

# sys_http_get PORT PATH: the body of http://127.0.0.1:PORT/PATH (bash's /dev/tcp, no
# curl), bounded to 5 s.
sys_http_get()
{
	local port=${1:?sys_http_get PORT PATH} path=${2:?sys_http_get PORT PATH}
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port &&
		printf 'GET %s HTTP/1.0\r\nHost: x\r\n\r\n' '$path' >&3 &&
		sed '1,/^\r\$/d' <&3"
}

# sys_free_port: prints a loopback port free for both UDP and TCP. It avoids the
# kernel's ephemeral range, skips ports in use (ss), and reserves the port under
# ${SYS_PORT_DIR:-$TMPDIR/dnsfailover-ports} until sys_cleanup, so concurrent test scripts
# (make -j check) do not pick the same one. A bind can still lose a race against another
# program: sys_start_named and sys_start_fake_dns retry on "address in use".
sys_free_port()
{
	local dir=${SYS_PORT_DIR:-${TMPDIR:-/tmp}/dnsfailover-ports} lo=61000 hi=65535 used p i
	local base=20000 span
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if [ "$lo" -gt 21000 ]; then
		span=$((lo - base))
		[ "$span" -le 40000 ] || span=40000
	else
		span=40000
	fi
	# Shared by all users like /tmp; when another user's directory is not writable,
	# reserve in $T only.
	[ -d "$dir" ] || mkdir -m 1777 "$dir" 2>/dev/null || true
	if [ ! -w "$dir" ] && [ -n "$T" ]; then
		dir=$T/ports.d
		mkdir -p "$dir"
	fi
	# Reservations of scripts that died without cleanup expire after an hour.
	find "$dir" -mindepth 1 -maxdepth 1 -type d -mmin +60 -exec rmdir {} + 2>/dev/null || true
	used=$(ss -Hantu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }')
	for ((i = 0; i < 200; i++)); do
		p=$((base + (RANDOM * 32768 + RANDOM) % span))
		if [ "$lo" -le 21000 ] && [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ]; then
			continue
		fi
		grep -qx "$p" <<<"$used" && continue
		mkdir "$dir/$p" 2>/dev/null || continue
		if [ -n "$T" ] && [ -d "$T" ]; then
			echo "$dir/$p" >>"$T/ports"
		fi
		echo "$p"
		return 0
	done
	fail "sys_free_port: no free port found in 200 tries"
}

# ---------------------------------------------------------------------------
# named

_sys_named_conf()
{
	cat >"$T/named.conf" <<EOF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	listen-on port $NAMED_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
include "$T/lease-key.conf";
include "$T/other-key.conf";
zone "example.test" {
	type primary;
	file "example.test.db";
	update-policy { grant lease-key name lease.example.test. A TXT; };
};
zone "other.test" {
	type primary;
	file "other.test.db";
	update-policy { grant lease-key name lease.other.test. A TXT; };
};
EOF
}

_sys_zone_files()
{
	local z
	for z in example.test other.test; do
		rm -f "$T/$z.db.jnl"
		cat >"$T/$z.db" <<EOF
\$TTL 60
@	IN SOA	ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
	IN NS	ns1.example.test.
EOF
		if [ "$z" = example.test ]; then
			echo "ns1	IN A	127.0.0.1" >>"$T/$z.db"
		fi
	done
}

# Starts named on $NAMED_PORT and waits up to 10 s for both zones. Returns 1 when named
# exits or does not answer; the caller reads $T/named.log.
_sys_named_launch()
{
	local end z ok
	[ -s "$T/named.log" ] && mv "$T/named.log" "$T/named.log.old"
	named -g -c "$T/named.conf" >"$T/named.log" 2>&1 </dev/null &
	NAMED_PID=$!
	export NAMED_PID
	_sys_track named "$NAMED_PID"
	end=$((SECONDS + 10))
	while [ "$SECONDS" -le "$end" ]; do
		if ! _sys_tracked_alive named; then
			wait "$NAMED_PID" 2>/dev/null || true
			rm -f "$T/run/named.pid"
			return 1
		fi
		ok=1
		for z in example.test other.test; do
			dig @127.0.0.1 -p "$NAMED_PORT" "$z" SOA +norec +short +time=1 +tries=1 2>/dev/null |
				grep -q '^ns1\.example\.test\. ' || ok=0
		done
		[ "$ok" = 1 ] && return 0
		sleep 0.1
	done
	echo "# named did not answer on 127.0.0.1#$NAMED_PORT within 10 s" >&2
	_sys_stop named 5 || true
	return 1
}

# sys_start_named [ALG]: fresh keys, config and zones (no lease records), named on a free
# port. Exports NAMED_PORT NAMED_PID ZONE RECORD KEYFILE OTHER_KEYFILE KEY_ALG KEY_NAME
# KEY_SECRET.
sys_start_named()
{
	local alg=${1:-hmac-sha256} attempt
	case " $SYS_ALGS " in
	*" $alg "*) ;;
	*) fail "sys_start_named: unknown algorithm '$alg' (one of: $SYS_ALGS)" ;;
	esac
	sys_require named tsig-keygen dig
	[ -n "$T" ] || fail "sys_start_named: call sys_setup first"
	[ ! -f "$T/run/named.pid" ] || fail "sys_start_named: named is already running (sys_stop_named first)"

	(
		umask 077
		tsig-keygen -a "$alg" lease-key >"$T/lease-key.conf" &&
			tsig-keygen -a "$alg" other-key >"$T/other-key.conf"
	) || fail "sys_start_named: tsig-keygen -a $alg failed"
	chmod 600 "$T/lease-key.conf" "$T/other-key.conf"
	KEY_SECRET=$(sed -n 's/^[[:space:]]*secret "\([^"]*\)";.*/\1/p' "$T/lease-key.conf")
	[ -n "$KEY_SECRET" ] || fail "sys_start_named: no secret in $T/lease-key.conf"
	KEY_ALG=$alg
	KEY_NAME=lease-key
	KEYFILE=$T/lease-key.conf
	OTHER_KEYFILE=$T/other-key.conf
	ZONE=example.test
	RECORD=lease.example.test
	export KEY_SECRET KEY_ALG KEY_NAME KEYFILE OTHER_KEYFILE ZONE RECORD

	_sys_zone_files
	for attempt in 1 2 3; do
		NAMED_PORT=$(sys_free_port) || fail "sys_start_named: no free port"
		export NAMED_PORT
		# SYS_NAMED_CONF names the function that writes named.conf (kdc.sh
		# passes its GSS-TSIG one); everything else is the same.
		"${SYS_NAMED_CONF:-_sys_named_conf}"
		if _sys_named_launch; then
			sys_log "named up on 127.0.0.1#$NAMED_PORT (pid $NAMED_PID, $alg)"
			return 0
		fi
		# Another process took the port between the check and the bind: try another one.
		grep -q 'address in use' "$T/named.log" || break
		[ "$attempt" = 3 ] || sys_log "port $NAMED_PORT taken, retrying"
	done
	# sys_cleanup shows the end of $T/named.log
	fail "sys_start_named: named did not start on port $NAMED_PORT ($alg); see named.log"
}

# sys_stop_named: SIGTERM, SIGKILL after 5 s. Fails when named was not running.
sys_stop_named()
{
	[ -n "$T" ] || fail "sys_stop_named: call sys_setup first"
	_sys_stop named 5 || fail "sys_stop_named: named (pid ${NAMED_PID:-?}) was not running; see $T/named.log"
	sys_log "named stopped"
}

# sys_restart_named: stops named if it runs, starts it again with the same config, port
# and zone data (journal included).
sys_restart_named()
{
	[ -f "$T/named.conf" ] || fail "sys_restart_named: sys_start_named was never called"
	_sys_stop named 5 || true
	_sys_named_launch || fail "sys_restart_named: named did not come back on port $NAMED_PORT; see named.log"
	sys_log "named restarted on 127.0.0.1#$NAMED_PORT (pid $NAMED_PID)"
}

# sys_dig TYPE [NAME]: short answer from our named; signed with $KEYFILE when
# SYS_DIG_SIGNED=1. The exit status is dig's (9: no answer).
sys_dig()
{
	local type=$1 name=${2:-$RECORD}
	local -a key=()
	[ "${SYS_DIG_SIGNED:-0}" = 1 ] && key=(-k "$KEYFILE")
	dig @127.0.0.1 -p "$NAMED_PORT" "${key[@]}" +norec +short +time=2 +tries=1 "$name" "$type"
}

# sys_nsupdate: nsupdate -k $KEYFILE on stdin, after "server" and "zone" lines for our
# named. Bounded to 10 s (status 124 when it hung).
sys_nsupdate()
{
	local rc
	{
		printf 'server 127.0.0.1 %s\nzone %s\n' "$NAMED_PORT" "$ZONE"
		cat
	} | timeout -k 2 10 nsupdate -k "$KEYFILE" && rc=0 || rc=$?
	[ "$rc" -ne 124 ] || echo "sys_nsupdate: nsupdate hung for 10 s" >&2
	return $rc
}

# Answer lines of TYPE at $RECORD, one per line, sorted; fails unless the server answered
# NOERROR or NXDOMAIN.
_sys_rrset()
{
	local out rc
	local -a key=()
	[ "${SYS_DIG_SIGNED:-0}" = 1 ] && key=(-k "$KEYFILE")
	out=$(dig @127.0.0.1 -p "$NAMED_PORT" "${key[@]}" +norec +time=2 +tries=1 \
		+noall +comments +answer "$RECORD" "$1" 2>&1) && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || fail "sys_zone_snapshot: dig $RECORD $1 failed (status $rc): $out"
	case $out in
	*"status: NOERROR"* | *"status: NXDOMAIN"*) ;;
	*) fail "sys_zone_snapshot: dig $RECORD $1 got no NOERROR/NXDOMAIN answer: $out" ;;
	esac
	awk '!/^;/ && NF { $1 = $1; print }' <<<"$out" | sort
}

# sys_zone_snapshot: the A and TXT records at $RECORD (with TTL), as text to compare.
sys_zone_snapshot()
{
	local type rr
	for type in A TXT; do
		rr=$(_sys_rrset "$type") || exit 1
		if [ -n "$rr" ]; then
			echo "$rr"
		else
			echo "$type: none"
		fi
	done
}

# assert_zone_unchanged BEFORE: compares a new sys_zone_snapshot with BEFORE.
assert_zone_unchanged()
{
	local now
	now=$(sys_zone_snapshot) || fail "assert_zone_unchanged: cannot read the zone"
	[ "$now" = "$1" ] || fail "zone changed: before:
$1
now:
$now"
}

# ---------------------------------------------------------------------------
# dnsfailover config

# sys_write_config FILE [KEY=VALUE ...]: a config for our named; later KEY=VALUE override,
# KEY= removes the line. Written with mode 600.
sys_write_config()
{
	local file=${1:?sys_write_config FILE [KEY=VALUE ...]} kv k v
	shift
	local -a keys=(ROLE DNS_PROVIDER DNS_SERVER DNS_PORT DNS_ZONE DNS_RECORD DNS_TTL
		PRIMARY_IP DR_IP LEASE_TTL UPDATE_INTERVAL TSIG_KEYFILE DNS_TIMEOUT)
	local -A val=(
		[ROLE]=primary [DNS_PROVIDER]=bind-tsig [DNS_SERVER]=127.0.0.1
		[DNS_PORT]=${NAMED_PORT:-} [DNS_ZONE]=${ZONE:-} [DNS_RECORD]=${RECORD:-}
		[DNS_TTL]=30 [PRIMARY_IP]=192.0.2.10 [DR_IP]=192.0.2.20 [LEASE_TTL]=60
		[UPDATE_INTERVAL]=10 [TSIG_KEYFILE]=${KEYFILE:-} [DNS_TIMEOUT]=2
	)
	for kv in "$@"; do
		case $kv in
		[A-Za-z_]*=*) ;;
		*) fail "sys_write_config: '$kv' is not KEY=VALUE" ;;
		esac
		k=${kv%%=*}
		v=${kv#*=}
		if [ -z "${val[$k]+set}" ] && [ -n "$v" ]; then
			case " ${keys[*]} " in *" $k "*) ;; *) keys+=("$k") ;; esac
		fi
		if [ -n "$v" ]; then
			val[$k]=$v
		else
			unset "val[$k]"
		fi
	done
	(
		umask 077
		for k in "${keys[@]}"; do
			[ -n "${val[$k]+set}" ] || continue
			[ -n "${val[$k]}" ] || {
				echo "sys_write_config: $k has no value (start named first or pass $k=...)" >&2
				exit 1
			}
			printf '%s=%s\n' "$k" "${val[$k]}"
		done >"$file"
	) || fail "sys_write_config: cannot write $file"
}

# ---------------------------------------------------------------------------
# fake DNS servers (tests/system/fake_dns.c)

# sys_start_fake_dns MODE [-t] [-s SEED]: a fake_dns on a free port, waits until it is
# bound. Sets FAKE_PORT, FAKE_PID, FAKE_LOG (its log: one line per query and answer).
sys_start_fake_dns()
{
	local mode=${1:?sys_start_fake_dns MODE [-t] [-s SEED]} i name
	shift
	sys_require "$FAKE_DNS"
	[ -n "$T" ] || fail "sys_start_fake_dns: call sys_setup first"
	for _ in 1 2 3; do
		FAKE_PORT=$(sys_free_port) || fail "sys_start_fake_dns: no free port"
		name=fake_dns-$FAKE_PORT
		FAKE_LOG=$T/$name.log
		"$FAKE_DNS" -p "$FAKE_PORT" -m "$mode" -P "$T/$name.ready" "$@" >>"$FAKE_LOG" 2>&1 </dev/null &
		FAKE_PID=$!
		_sys_track "$name" "$FAKE_PID"
		for ((i = 0; i < 50; i++)); do
			[ -s "$T/$name.ready" ] && break
			_sys_tracked_alive "$name" || break
			sleep 0.1
		done
		if [ -s "$T/$name.ready" ]; then
			export FAKE_PORT FAKE_PID FAKE_LOG
			return 0
		fi
		_sys_stop "$name" 2 || true
		grep -q 'in use' "$FAKE_LOG" || break
	done
	fail "sys_start_fake_dns: fake_dns -m $mode did not start; see ${FAKE_LOG##*/}"
}

# sys_stop_fake_dns [PORT]: stops the fake_dns on PORT (default $FAKE_PORT); fails when it
# had already exited.
sys_stop_fake_dns()
{
	local port=${1:-${FAKE_PORT:-}}
	_sys_stop "fake_dns-$port" 5 || fail "sys_stop_fake_dns: fake_dns on port $port was not running"
}

# ---------------------------------------------------------------------------
# TLS for the HTTPS fakes, and the fake Vault (tests/system/fake_vault.c)

# sys_make_test_ca: with the openssl CLI, a throwaway CA ($T/ca.pem), a server certificate
# for 127.0.0.1 and localhost signed by it ($T/srv.pem, key $T/srv.key) and a second CA of
# the same name that signed nothing ($T/other-ca.pem), for the verification failures.
sys_make_test_ca()
{
	sys_require openssl
	[ -n "$T" ] || fail "sys_make_test_ca: call sys_setup first"
	(
		cd "$T"
		umask 077
		ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
		openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca &&
			openssl req -x509 "${ec[@]}" -keyout other.key -out other-ca.pem -days 2 \
				-subj /CN=test-ca &&
			openssl req "${ec[@]}" -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out srv.pem -days 2 -extfile srv.ext
	) >"$T/openssl.log" 2>&1 || fail "sys_make_test_ca: openssl failed: $(cat "$T/openssl.log")"
}

# sys_start_fake_vault NAME [fake_vault options]: fake_vault with $T/srv.pem (see
# sys_make_test_ca), its secret's map in $T/secret.json, sealed while $T/sealed exists.
# Waits until it listens; sets VAULT_PORT and VAULT_LOG ($T/NAME.log). Stop it with
# sys_kill NAME.
sys_start_fake_vault()
{
	local name=${1:?sys_start_fake_vault NAME [options]}
	shift
	local fake=$top_builddir/tests/system/fake_vault
	sys_require "$fake"
	[ -s "$T/srv.pem" ] || fail "sys_start_fake_vault: call sys_make_test_ca first"
	rm -f "$T/$name.port"
	sys_spawn "$name" "$fake" -c "$T/srv.pem" -k "$T/srv.key" -P "$T/$name.port" \
		-d "$T/secret.json" -S "$T/sealed" "$@"
	VAULT_LOG=$T/$name.log
	sys_wait_for 10 "fake_vault $name listening" test -s "$T/$name.port"
	VAULT_PORT=$(cat "$T/$name.port")
	export VAULT_PORT VAULT_LOG
}
