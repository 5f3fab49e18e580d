# shellcheck shell=bash
# tests/system/chaos.sh: randomized faults against two real `dnsfailover run` daemons,
# each in its own network namespace. Sources lib.sh.
#
#   chaos_begin               root, ip, named: else exit 77 with the reason. sys_setup,
#                             three namespaces, named in "core", configs, init scripts
#   chaos_run SEED            one randomized run (below); 0 when it passed, 1 when a
#                             check failed; its line goes to $CH_RESULTS
#   chaos_summary             runs, violations, step-down lateness p50/p99/max
#
# Topology (all addresses exist only inside the namespaces; no route out, no forwarding):
#
#   ns primary  vp 10.200.1.1/30 ---- vp 10.200.1.2/30  ns core   named :53,
#   ns dr       vd 10.200.2.1/30 ---- vd 10.200.2.2/30            collector stand-ins
#                                                                 :9100 (primary) :9200 (dr)
#
# Each daemon runs in its site's namespace with the command watcher backend; its init
# script ($T/initd-SITE) starts the site's collector stand-in inside core (ip netns exec),
# so both sites' health checks reach it over their own link, and the pid file
# $T/collector-SITE.pid says on the host which collector runs.
#
# A run: the lease is written for a random site, both daemons start, and once the owner is
# active 1-3 faults (chaos_fault_*) are applied in random overlapping windows and healed.
# A sampler on the host reads both collectors' pid files every 100 ms for the whole run.
# Checks:
#   - never both: no sample has both collectors running, and the daemons' ACTIVE periods
#     (their "Site is now ..." lines, on the shared monotonic clock) never overlap;
#   - recovery: within CH_BOUND seconds of the last heal, one site's collector runs, the
#     other's does not, `dnsfailover show` names that site and its daemon's last
#     transition is ACTIVE;
#   - step-down lateness (measured, goal p99 <= 100 ms, see _ch_lateness).
# The one exemption: while a daemon is SIGSTOPped it cannot stop its collector, and the
# other site may rightly take the lease once it has not changed for LEASE_TTL; overlap
# inside [SIGSTOP, SIGCONT + CH_PAUSE_GRACE] of that site is counted as "pause overlap",
# not as a violation (it is what a frozen process does to any lease; the epoch is the
# fencing token downstream). The resumed daemon must end it within the grace.

. "$top_srcdir/tests/system/lib.sh"

MONO_NOW=${MONO_NOW:-$top_builddir/tests/system/mono_now}
FAKE_COLLECTOR=${FAKE_COLLECTOR:-$top_builddir/tests/system/fake_collector}
LOSSY_PROXY=${LOSSY_PROXY:-$top_builddir/tests/system/lossy_proxy}

# Timings (seconds): short, so that a run takes seconds.
CH_I=1 CH_D=3 CH_L=5 CH_STALE=2 CH_FAIL=2
CH_DNS_TIMEOUT=1 CH_HEALTH_TIMEOUT=1 CH_CMD_TIMEOUT=2
CH_PAUSE_GRACE=1.0
# The longest fault window (s) a run draws, and the most faults in one run.
CH_MAX_WINDOW=${CH_MAX_WINDOW:-6}
CH_MAX_FAULTS=${CH_MAX_FAULTS:-3}
# The faults a run draws from. "loss" (DNS through lossy_proxy, chaos_fault_loss) is
# left out by default so that the seeds' plans stay as they were; CH_FAULTS="... loss"
# adds it.
CH_FAULTS=${CH_FAULTS:-"link drop_in drop_out named pause hang outage"}

CH_NAMESPACES=()

# ---------------------------------------------------------------------------
# Setup and teardown

_ch_skip()
{
	echo "SKIP: $*"
	exit 77
}

# Runs CMD inside namespace NS (primary, dr or core).
ch_ns()
{
	local ns=$1
	shift
	ip netns exec "$(_ch_nsname "$ns")" "$@"
}

_ch_nsname()
{
	printf 'dfc%s%s' "$CH_TAG" "${1:0:1}"
}

_ch_make_namespaces()
{
	local n a b
	CH_TAG=$$
	for n in primary dr core; do
		ip netns add "$(_ch_nsname $n)" 2>"$T/netns.err" ||
			_ch_skip "cannot create network namespaces: $(cat "$T/netns.err")"
		CH_NAMESPACES+=("$(_ch_nsname $n)")
		ip -n "$(_ch_nsname $n)" link set lo up || _ch_skip "cannot bring up lo in a namespace"
	done
	for n in primary:vp:1 dr:vd:2; do
		IFS=: read -r a b idx <<<"$n"
		ip link add "$b" netns "$(_ch_nsname "$a")" type veth peer name "$b" \
			netns "$(_ch_nsname core)" 2>"$T/netns.err" ||
			_ch_skip "cannot create a veth pair: $(cat "$T/netns.err")"
		ip -n "$(_ch_nsname "$a")" addr add "10.200.$idx.1/30" dev "$b"
		ip -n "$(_ch_nsname core)" addr add "10.200.$idx.2/30" dev "$b"
		ip -n "$(_ch_nsname "$a")" link set "$b" up
		ip -n "$(_ch_nsname core)" link set "$b" up
	done
	# core never forwards between the sites (they only ever talk to core).
	ch_ns core sysctl -qw net.ipv4.ip_forward=0
}

_ch_remove_namespaces()
{
	local n
	for n in "${CH_NAMESPACES[@]}"; do
		ip netns del "$n" 2>/dev/null || true
	done
	CH_NAMESPACES=()
}

# chaos_cleanup: the EXIT trap: daemons, sampler, collectors, named, then the namespaces.
chaos_cleanup()
{
	local rc=$? s
	set +e
	if [ -n "$T" ] && [ -d "$T" ]; then
		for s in primary dr; do
			[ -f "$T/run/$s.pid" ] && read -r pid _ <"$T/run/$s.pid" && kill -CONT "$pid" 2>/dev/null
		done
		for s in primary dr sampler; do
			_sys_stop "$s" 3 >/dev/null 2>&1
		done
		for s in primary dr; do
			[ -x "$T/initd-$s" ] && rm -f "$T/hang-start-$s" && "$T/initd-$s" stop >/dev/null 2>&1
			[ -s "$T/hang-$s.pid" ] && read -r pid <"$T/hang-$s.pid" &&
				grep -qs "hang-start-$s\|sleep" "/proc/$pid/cmdline" && kill "$pid" 2>/dev/null
		done
		_sys_stop named 3 >/dev/null 2>&1
	fi
	_ch_remove_namespaces
	(exit $rc)
	sys_cleanup
}

_ch_named_conf()
{
	cat >"$T/named.conf" <<EOF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	listen-on port 53 { 10.200.1.2; 10.200.2.2; 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	querylog yes;
};
controls { };
logging {
	channel chaos {
		file "$T/named-chaos.log";
		print-time iso8601-utc;
		print-category yes;
		severity info;
	};
	category queries { chaos; };
	category update { chaos; };
	category default { chaos; default_stderr; };
};
include "$T/lease-key.conf";
zone "example.test" {
	type primary;
	file "example.test.db";
	update-policy { grant lease-key name lease.example.test. A TXT; };
};
EOF
	cat >"$T/example.test.db" <<EOF
\$TTL 60
@	IN SOA	ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
	IN NS	ns1.example.test.
ns1	IN A	10.200.1.2
EOF
}

# _ch_named_up: named in core (pid tracked as "named"), waits up to 10 s for the zone.
_ch_named_up()
{
	local end
	# Not through ch_ns: $! must be named itself (ip netns exec execs it), or a kill
	# would end a wrapper and leave named serving beside the next one (SO_REUSEPORT).
	ip netns exec "$(_ch_nsname core)" named -f -c "$T/named.conf" >>"$T/named.log" 2>&1 </dev/null &
	NAMED_PID=$!
	_sys_track named "$NAMED_PID"
	end=$((SECONDS + 10))
	while [ "$SECONDS" -le "$end" ]; do
		_sys_tracked_alive named || return 1
		ch_ns core dig @127.0.0.1 example.test SOA +norec +short +time=1 +tries=1 2>/dev/null |
			grep -q '^ns1\.example\.test\. ' && return 0
		sleep 0.1
	done
	return 1
}

# _ch_write_initd SITE PORT: the site's init script (start, stop, status with a pid file);
# start runs the stand-in inside core; while $T/hang-start-SITE exists, start hangs
# (records its pid in $T/hang-SITE.pid and sleeps) as a wedged init script would.
_ch_write_initd()
{
	local site=$1 port=$2
	cat >"$T/initd-$site" <<EOS
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
PIDFILE=$T/collector-$site.pid
case "\$1" in
start)
	if [ -e "$T/hang-start-$site" ]; then echo \$\$ >"$T/hang-$site.pid"; exec sleep 3600; fi
	[ -s "\$PIDFILE" ] && kill -0 "\$(cat "\$PIDFILE")" 2>/dev/null && exit 0
	rm -f "\$PIDFILE"
	ip netns exec $(_ch_nsname core) "$FAKE_COLLECTOR" -a 0.0.0.0 -p $port -c "$T/$site-collector.mode" -P "\$PIDFILE" >>"$T/collector-$site.log" 2>&1 </dev/null &
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "\$PIDFILE" ] && exit 0; sleep 0.2; done
	echo "collector did not start"; exit 1 ;;
stop)
	[ -s "\$PIDFILE" ] || exit 0
	kill "\$(cat "\$PIDFILE")" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "\$(cat "\$PIDFILE" 2>/dev/null)" 2>/dev/null || { rm -f "\$PIDFILE"; exit 0; }; sleep 0.2; done
	echo "collector did not stop"; exit 1 ;;
status)
	[ -s "\$PIDFILE" ] && kill -0 "\$(cat "\$PIDFILE")" 2>/dev/null && { echo running; exit 0; }
	echo stopped; exit 3 ;;
esac
exit 2
EOS
	chmod 755 "$T/initd-$site"
	echo up >"$T/$site-collector.mode"
}

_ch_configs()
{
	local common=(DNS_PORT=53 DNS_ZONE=example.test DNS_RECORD=lease.example.test
		PRIMARY_IP=10.200.1.1 DR_IP=10.200.2.1 UPDATE_INTERVAL=$CH_I
		RENEW_DEADLINE=$CH_D LEASE_TTL=$CH_L DNS_TIMEOUT=$CH_DNS_TIMEOUT DNS_RETRIES=0
		FAIL_THRESHOLD=$CH_FAIL HEALTH_MODE=metrics HEALTH_STALE_COUNT=$CH_STALE
		HEALTH_TIMEOUT=$CH_HEALTH_TIMEOUT TSIG_KEYFILE=$T/lease-key.conf)
	local s
	# Both sites check the primary's collector, each over its own link.
	sys_write_config "$T/primary.env" "${common[@]}" DNS_SERVER=10.200.1.2 \
		HEALTH_URL=http://10.200.1.2:9100/metrics
	sys_write_config "$T/dr.env" ROLE=dr "${common[@]}" DNS_SERVER=10.200.2.2 \
		HEALTH_URL=http://10.200.2.2:9100/metrics
	for s in primary dr; do
		printf 'WATCH_MODE=command\nWATCH_START_CMD=%s start\nWATCH_STOP_CMD=%s stop\nWATCH_STATUS_CMD=%s status\nWATCH_CMD_TIMEOUT=%s\n' \
			"$T/initd-$s" "$T/initd-$s" "$T/initd-$s" "$CH_CMD_TIMEOUT" >>"$T/$s.env"
	done
	# show and init from core, over its loopback.
	sys_write_config "$T/core-primary.env" "${common[@]}" DNS_SERVER=127.0.0.1 \
		HEALTH_URL=http://127.0.0.1:9100/metrics
	sys_write_config "$T/core-dr.env" ROLE=dr "${common[@]}" DNS_SERVER=127.0.0.1 \
		HEALTH_URL=http://127.0.0.1:9100/metrics
}

# With "loss" in CH_FAULTS: each site's DNS goes through a lossy_proxy inside its own
# namespace (127.0.0.1:5300 there, relaying to named over the site's link), which
# chaos_fault_loss tells to lose and delay datagrams. Health checks stay direct.
_ch_proxies()
{
	local s addr
	sys_require "$LOSSY_PROXY"
	for s in primary dr; do
		case $s in primary) addr=10.200.1.2 ;; dr) addr=10.200.2.2 ;; esac
		echo "0 0" >"$T/loss-$s"
		sys_spawn "proxy-$s" ip netns exec "$(_ch_nsname "$s")" "$LOSSY_PROXY" -p 5300 \
			-u 53 -a "$addr" -c "$T/loss-$s" -P "$T/proxy-$s.ready"
		sys_wait_for 5 "the lossy proxy of $s" test -s "$T/proxy-$s.ready"
		sed -i -e 's/^DNS_SERVER=.*/DNS_SERVER=127.0.0.1/' -e 's/^DNS_PORT=.*/DNS_PORT=5300/' \
			"$T/$s.env"
	done
}

# chaos_begin: see the top of the file.
chaos_begin()
{
	sys_require named tsig-keygen dig ip "$DNSFAILOVER" "$FAKE_COLLECTOR" "$MONO_NOW"
	[ "$(id -u)" = 0 ] || _ch_skip "network namespaces need root"
	[ -n "${EPOCHREALTIME:-}" ] || _ch_skip "bash 5 is needed (EPOCHREALTIME)"
	sys_setup
	trap chaos_cleanup EXIT
	CH_HAVE_NFT=1
	command -v nft >/dev/null 2>&1 || CH_HAVE_NFT=0
	_ch_make_namespaces
	(umask 077 && tsig-keygen -a hmac-sha256 lease-key >"$T/lease-key.conf") ||
		fail "tsig-keygen failed"
	_ch_named_conf
	_ch_named_up || fail "named did not start in the core namespace; see named.log"
	_ch_write_initd primary 9100
	_ch_write_initd dr 9200
	_ch_configs
	case " $CH_FAULTS " in *" loss "*) _ch_proxies ;; esac
	CH_RESULTS=$T/results
	: >"$CH_RESULTS"
	: >"$T/lateness"
	: >"$T/resume"
	sys_log "namespaces $(_ch_nsname primary) $(_ch_nsname dr) $(_ch_nsname core) up, named in core"
}

# ---------------------------------------------------------------------------
# Clocks and observation

# Wall-clock seconds (float) of now; named's and the sampler's stamps are wall clock.
# CH_OFFSET (wall - mono) maps them to the daemons' monotonic [t=...] stamps.
# The two clocks do not run at the same rate while the wall clock is slewed (0.5 %
# was seen here: 75 ms over one run), so a run measures the offset at its start
# (CH_M0, CH_OFF0) and at its end (CH_M1, CH_OFF1), and _CH_AWK_W2M interpolates.
_ch_offset()
{
	local m w s
	read -r m w s < <("$MONO_NOW" -w)
	CH_OFFSET=$(awk -v m="$m" -v w="$w" 'BEGIN { printf "%.6f", w - m }')
	CH_M=$m
}

# awk: w2m(WALL) is the monotonic time of a wall-clock stamp (-v m0 off0 m1 off1).
_CH_AWK_W2M='
function w2m(w,   m, o) {
	m = w - off0
	o = (m1 > m0) ? off0 + (m - m0) * (off1 - off0) / (m1 - m0) : off0
	return w - o
}'

# The -v arguments for _CH_AWK_W2M from the run's clock file.
_ch_w2m_args()
{
	local m0 off0 m1 off1
	read -r m0 off0 m1 off1 <"$1/clock"
	printf '%s\n' -v "m0=$m0" -v "off0=$off0" -v "m1=$m1" -v "off1=$off1"
}

_ch_mono()
{
	"$MONO_NOW"
}

# _ch_state FILE: sets R from the pid in FILE: 1 running, 2 stopped (SIGSTOP), 0 not
# running. No fork: it runs ten times a second.
_ch_state()
{
	local pid st
	R=0
	{ read -r pid _ <"$1"; } 2>/dev/null || return 0
	[ -n "$pid" ] || return 0
	{ read -r st <"/proc/$pid/stat"; } 2>/dev/null || return 0
	st=${st##*) }
	st=${st%% *}
	case $st in
	Z | X) R=0 ;;
	T | t) R=2 ;;
	*) R=1 ;;
	esac
}

# The sampler: every 100 ms one line "WALL COLL_P COLL_D DAEMON_P DAEMON_D" in $1.
_ch_sampler()
{
	local out=$1 cp cd dp dd
	while [ ! -e "$T/sampler.stop" ]; do
		_ch_state "$T/collector-primary.pid"
		cp=$R
		_ch_state "$T/collector-dr.pid"
		cd=$R
		_ch_state "$T/run/primary.pid"
		dp=$R
		_ch_state "$T/run/dr.pid"
		dd=$R
		echo "$EPOCHREALTIME $cp $cd $dp $dd" >>"$out"
		sleep 0.1
	done
}

# The owner that show reports (from core), or "".
ch_owner()
{
	ch_ns core timeout 5 "$DNSFAILOVER" -c "$T/core-primary.env" show 2>/dev/null |
		sed -n 's/^  "owner": "\([a-z]*\)",$/\1/p'
}

ch_running()
{
	_ch_state "$T/collector-$1.pid"
	[ "$R" = 1 ]
}

# ch_last_transition SITE: ACTIVE, STANDBY or "" from the daemon's log.
ch_last_transition()
{
	sed -n 's/.*Site is now \(ACTIVE\|STANDBY\).*/\1/p' "$T/$1.log" 2>/dev/null | tail -n 1
}

# ch_settled: true when exactly one site is active: its collector runs, the other's does
# not, show names it and its daemon's last transition is ACTIVE. Sets CH_ACTIVE.
ch_settled()
{
	local o other
	o=$(ch_owner)
	case $o in
	primary) other=dr ;;
	dr) other=primary ;;
	*) return 1 ;;
	esac
	ch_running "$o" && ! ch_running "$other" && [ "$(ch_last_transition "$o")" = ACTIVE ] &&
		[ "$(ch_last_transition "$other")" != ACTIVE ] || return 1
	CH_ACTIVE=$o
}

# ---------------------------------------------------------------------------
# Faults: chaos_fault_NAME SITE on|off. Each one logs itself to $T/events as
# "MONO SITE NAME on|off".

_ch_event()
{
	echo "$(_ch_mono) $1 $2 $3" >>"$T/events"
}

_ch_if()
{
	case $1 in primary) echo vp ;; dr) echo vd ;; esac
}

_ch_site_ip()
{
	case $1 in primary) echo 10.200.1.1 ;; dr) echo 10.200.2.1 ;; esac
}

# Partition: the site's link goes down (from core's end; the site sees no carrier).
chaos_fault_link()
{
	local state=up
	[ "$2" = off ] || state=down
	ip -n "$(_ch_nsname core)" link set "$(_ch_if "$1")" "$state"
	_ch_event "$1" link "$2"
}

# One way: drop_in drops what the site receives (its UPDATEs apply, the answers are
# lost), drop_out what it sends (nothing arrives); nft inside the site's namespace.
_ch_drop()
{
	local site=$1 dir=$2 onoff=$3 ns hook match
	ns=$(_ch_nsname "$site")
	if [ "$onoff" = on ]; then
		if [ "$dir" = in ]; then
			hook=input
			match="ip saddr 10.200.0.0/16"
		else
			hook=output
			match="ip daddr 10.200.0.0/16"
		fi
		ip netns exec "$ns" nft -f - <<EOF
table inet chaos {
	chain c {
		type filter hook $hook priority 0; policy accept;
		$match drop
	}
}
EOF
	else
		ip netns exec "$ns" nft delete table inet chaos 2>/dev/null || true
	fi
	_ch_event "$site" "drop_$dir" "$onoff"
}
chaos_fault_drop_in() { _ch_drop "$1" in "$2"; }
chaos_fault_drop_out() { _ch_drop "$1" out "$2"; }

# named is killed and, at off, started again with its journal. SIGTERM by default
# (CH_NAMED_SIGNAL=KILL for SIGKILL: BIND 9.18 then sometimes restarts from a journal
# whose last transaction it does not accept, acknowledges later UPDATEs and serves the
# older data, a fault of the DNS server rather than of the lease).
chaos_fault_named()
{
	if [ "$2" = on ]; then
		read -r pid _ <"$T/run/named.pid"
		kill -"${CH_NAMED_SIGNAL:-TERM}" "$pid" 2>/dev/null || true
		_sys_stop named 2 >/dev/null 2>&1 || true
		_ch_event core named on
	else
		_ch_named_up || fail "named did not come back in core; see named.log"
		_ch_event core named off
	fi
}

# The site's daemon is frozen (SIGSTOP) and thawed (SIGCONT).
chaos_fault_pause()
{
	local pid
	read -r pid _ <"$T/run/$1.pid"
	# The window is logged wide: from after the SIGSTOP, to before the SIGCONT (the
	# thawed daemon may act before kill returns).
	if [ "$2" = on ]; then
		kill -STOP "$pid"
		_ch_event "$1" pause "$2"
	else
		_ch_event "$1" pause "$2"
		kill -CONT "$pid"
	fi
}

# The site's watcher start hangs (a start in flight keeps hanging until the daemon
# kills it after WATCH_CMD_TIMEOUT, or at a step-down). While on, the site's collector
# is also stopped under the daemon (as a crash would), so that a start is needed.
chaos_fault_hang()
{
	if [ "$2" = on ]; then
		touch "$T/hang-start-$1"
		"$T/initd-$1" stop >/dev/null 2>&1 || true
	else
		rm -f "$T/hang-start-$1"
	fi
	_ch_event "$1" hang "$2"
}

# The site's collector stand-in answers 500 (error) or refuses connections (down).
chaos_fault_outage()
{
	local mode=up f=$T/$1-collector.mode
	[ "$2" = off ] || mode=${CH_OUTAGE_MODE:-error}
	echo "$mode" >"$f.tmp" && mv -f "$f.tmp" "$f"
	_ch_event "$1" "outage_$mode" "$2"
}

# Loss and delay on the site's DNS (only with "loss" in CH_FAULTS, see _ch_proxies):
# CH_LOSS percent of the datagrams either way are lost, answers are held CH_DELAY ms.
chaos_fault_loss()
{
	local v="0 0"
	[ "$2" = off ] || v="${CH_LOSS:-40} ${CH_DELAY:-300}"
	echo "$v" >"$T/loss-$1.tmp" && mv -f "$T/loss-$1.tmp" "$T/loss-$1"
	_ch_event "$1" loss "$2"
}

# ---------------------------------------------------------------------------
# One run

# _ch_bound: the recovery bound (s) after the last heal, in CH_BOUND, with the
# reasoning.
#
# After every fault has healed, the worst case is a lease that must change hands:
#   (HEALTH_STALE_COUNT + FAIL_THRESHOLD - 1) x I + L   the seed's bound (DESIGN 3): the
#       DR's failed checks (a stale reading needs HEALTH_STALE_COUNT flat readings,
#       FAIL_THRESHOLD of them in a row) run alongside the wait for the lease value to
#       stay unchanged for L on the DR's clock;
#   + 1 s     exp has a resolution of one second: "exp in the past" by the wall clock
#             can come up to a second after L on the monotonic clock;
#   + I       the take happens at the first tick after both waits end;
#   + I       a tick in flight at the heal may still be spending its (deadline-capped,
#             <= I) DNS timeout on the fault;
#   + 0       break before make: the taker acts D + D/500 after it first saw the value it
#             replaces, and it first saw it at least L (> D + D/500) before the take, so
#             after an expiry the act delay has already passed. It would add
#             D + D/500 after a forced change (promote/failback), which the runs do not do.
#             The old holder's own step-down happened D after its last renewal, before
#             the L wait ended, and costs nothing here;
#   + 2.2 s   the collector's start (the init script waits up to 2 s for its pid file)
#             and the 0.2 s poll of this check;
#   + W       only when a run hung the watcher's start: a start in flight at the heal
#             runs until WATCH_CMD_TIMEOUT kills it, then the next try waits the
#             backoff reached so far (2, 4, 8 ... s): W = WATCH_CMD_TIMEOUT + backoff,
#             the backoff simulated for the longest hang of the run;
#   + named's restart is not counted: the heal of a named fault is the instant named
#             answers again.
_ch_bound()
{
	local hang=${1:-0} w=0
	if [ "$hang" != 0 ]; then
		w=$(awk -v h="$hang" -v c="$CH_CMD_TIMEOUT" 'BEGIN {
			t = 0; b = 0
			while (t <= h + c) { t += c; b = b ? b * 2 : 2; if (b > 60) b = 60; t += b }
			print c + b }')
	fi
	CH_BOUND=$(awk -v s="$CH_STALE" -v f="$CH_FAIL" -v i="$CH_I" -v l="$CH_L" -v w="$w" \
		'BEGIN { print (s + f - 1) * i + l + 1 + i + i + 2.2 + w }')
}

# _ch_plan SEED: the run's random plan in $T/plan: "OWNER" then lines
# "START DURATION FAULT SITE" (seconds after the owner is active).
_ch_plan()
{
	local n k f site start dur owner r
	local -a faults
	read -r -a faults <<<"$CH_FAULTS"
	[ "$CH_HAVE_NFT" = 1 ] || faults=("${faults[@]/drop_*/}")
	read -r -a faults <<<"${faults[*]}"
	# RANDOM is read in this shell only: subshells reseed it.
	RANDOM=$1
	owner=primary
	[ $((RANDOM % 2)) = 0 ] || owner=dr
	n=$((RANDOM % CH_MAX_FAULTS + 1))
	local -A used=()
	: >"$T/plan.tmp"
	for ((k = 0; k < n; k++)); do
		f=${faults[RANDOM % ${#faults[@]}]}
		site=primary
		[ $((RANDOM % 2)) = 0 ] || site=dr
		[ "$f" != named ] || site=core
		r=$((RANDOM % 40))
		start=$((r / 10)).$((r % 10))
		if [ "$f" = pause ]; then
			# Longer than LEASE_TTL, so that the other site may take the lease.
			r=$((CH_L * 10 + 5 + RANDOM % 20))
		else
			r=$((5 + RANDOM % (CH_MAX_WINDOW * 10 - 5)))
		fi
		dur=$((r / 10)).$((r % 10))
		# One fault of a kind per site: an overlap of two would heal the first early.
		[ -z "${used[$f$site]:-}" ] || continue
		used[$f$site]=1
		echo "$start $dur $f $site" >>"$T/plan.tmp"
	done
	{
		echo "$owner"
		sort -n "$T/plan.tmp"
	} >"$T/plan"
}

# _ch_schedule: the plan as timed actions "OFFSET FAULT SITE on|off", in time order.
_ch_schedule()
{
	tail -n +2 "$T/plan" | awk '{ printf "%.1f %s %s on\n%.1f %s %s off\n", $1, $3, $4, $1 + $2, $3, $4 }' |
		sort -n -k1,1
}

_ch_sleep_until()
{
	local wait
	wait=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
	[ "$wait" = 0.000 ] || sleep "$wait"
}

# chaos_run SEED: see the top of the file. Leaves the run's files in $T/runs/SEED.
chaos_run()
{
	local seed=${1:?chaos_run SEED} owner t0 off f site onoff healed_at rec status=pass
	local why="" hang_max dir named_from s
	dir=$T/runs/$seed
	mkdir -p "$dir"
	: >"$T/events"
	rm -f "$T/sampler.stop" "$T/samples" "$T/hang-start-primary" "$T/hang-start-dr"
	_ch_plan "$seed"
	read -r owner <"$T/plan"
	hang_max=$(awk '$3 == "hang" && $2 > m { m = $2 } END { print m + 0 }' "$T/plan")
	_ch_bound "$hang_max"
	echo up >"$T/primary-collector.mode"
	echo up >"$T/dr-collector.mode"
	_ch_offset
	local clock0="$CH_M $CH_OFFSET"
	named_from=$(stat -c %s "$T/named-chaos.log" 2>/dev/null || echo 0)

	ch_ns core "$DNSFAILOVER" -c "$T/core-$owner.env" init --force >"$dir/init.log" 2>&1 ||
		fail "seed $seed: init for $owner failed: $(cat "$dir/init.log")"
	: >"$T/primary.log"
	: >"$T/dr.log"
	sys_spawn sampler _ch_sampler "$T/samples"
	sys_spawn primary ip netns exec "$(_ch_nsname primary)" "$DNSFAILOVER" -c "$T/primary.env" run
	sys_spawn dr ip netns exec "$(_ch_nsname dr)" "$DNSFAILOVER" -c "$T/dr.env" run
	t0=$SECONDS
	until ch_settled; do
		[ $((SECONDS - t0)) -le $((CH_D + 8)) ] || {
			status=fail
			why="no site active $((CH_D + 8))s after the start"
			break
		}
		sleep 0.2
	done
	if [ "$status" = pass ]; then
		sleep 1
		t0=$EPOCHREALTIME
		while read -r off f site onoff; do
			_ch_sleep_until "$(awk -v a="$t0" -v b="$off" 'BEGIN { printf "%.6f", a + b }')"
			"chaos_fault_$f" "$site" "$onoff"
		done < <(_ch_schedule)
		healed_at=$EPOCHREALTIME
		# Recovery within the bound.
		rec=
		while :; do
			if ch_settled; then
				rec=$(awk -v a="$healed_at" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
				break
			fi
			awk -v a="$healed_at" -v b="$EPOCHREALTIME" -v m="$CH_BOUND" 'BEGIN { exit !(b - a > m) }' && break
			sleep 0.2
		done
		if [ -z "$rec" ]; then
			status=fail
			why="no single active site ${CH_BOUND}s after the last heal (owner '$(ch_owner)', collectors: primary $(ch_running primary && echo on || echo off), dr $(ch_running dr && echo on || echo off))"
		fi
		# A little more sampling with everything healed.
		sleep 1.5
	fi
	touch "$T/sampler.stop"
	for s in primary dr; do
		_sys_stop "$s" 5 >/dev/null 2>&1 || true
	done
	_sys_stop sampler 2 >/dev/null 2>&1 || true
	for s in primary dr; do
		rm -f "$T/hang-start-$s"
		"$T/initd-$s" stop >/dev/null 2>&1 || true
		ch_ns "$s" nft delete table inet chaos 2>/dev/null || true
		ip -n "$(_ch_nsname core)" link set "$(_ch_if "$s")" up
	done
	# Every run starts from a fresh zone.
	_sys_stop named 3 >/dev/null 2>&1 || true
	rm -f "$T/example.test.db.jnl"
	_ch_named_up || fail "named did not come back in core"
	_ch_offset
	echo "$clock0 $CH_M $CH_OFFSET" >"$dir/clock"
	cp "$T/plan" "$T/events" "$T/samples" "$T/primary.log" "$T/dr.log" "$dir/" 2>/dev/null
	tail -c +$((named_from + 1)) "$T/named-chaos.log" >"$dir/named.log" 2>/dev/null

	# The checks on what was recorded.
	local both po=
	if both=$(_ch_check_samples "$dir"); then
		po=${both#pause_overlap_samples=}
	else
		status=fail
		why="${why:+$why; }$both"
	fi
	both=$(_ch_check_logs "$dir") || {
		status=fail
		why="${why:+$why; }$both"
	}
	_ch_lateness "$dir" "$seed" >>"$T/lateness"
	_ch_resume "$dir" "$seed" >>"$T/resume"
	printf 'seed=%s %s owner=%s faults=[%s] recovered=%ss bound=%ss pause_overlap=%s %s\n' \
		"$seed" "$status" "$owner" \
		"$(tail -n +2 "$T/plan" | awk '{ printf "%s%s@%s+%s/%s", (NR > 1 ? " " : ""), $3, $1, $2, $4 }')" \
		"${rec:--}" "$CH_BOUND" "${po:--}" "$why" | tee -a "$CH_RESULTS"
	if { [ "$status" != pass ] || [ "${CHAOS_KEEP_ALL:-0}" = 1 ]; } && [ -n "${CHAOS_KEEP_FAILED:-}" ]; then
		mkdir -p "$CHAOS_KEEP_FAILED"
		cp -r "$dir" "$CHAOS_KEEP_FAILED/seed-$seed"
		echo "# logs of seed $seed kept in $CHAOS_KEEP_FAILED/seed-$seed"
	fi
	[ "$status" = pass ]
}

# The pause windows of DIR's events as "SITE FROM TO" on the monotonic clock (TO =
# SIGCONT + grace; a pause still on at the end lasts forever).
_ch_pauses()
{
	awk -v g="$CH_PAUSE_GRACE" '
		$3 == "pause" && $4 == "on" { from[$2] = $1 }
		$3 == "pause" && $4 == "off" { print $2, from[$2], $1 + g; delete from[$2] }
		END { for (s in from) print s, from[s], 1e12 }' "$1/events"
}

# _ch_check_samples DIR: fails (printing why) when a sample has both collectors running
# outside a pause window. Prints "pause_overlap=S" otherwise.
_ch_check_samples()
{
	local dir=$1
	local -a w2m
	mapfile -t w2m < <(_ch_w2m_args "$dir")
	awk "${w2m[@]}" -v pauses="$(_ch_pauses "$dir" | tr '\n' ';')" "$_CH_AWK_W2M"'
		BEGIN { n = split(pauses, p, ";"); for (i = 1; i <= n; i++) if (p[i] != "") {
			split(p[i], q, " "); np++; ps[np] = q[2]; pe[np] = q[3] } }
		$2 == 1 && $3 == 1 {
			t = w2m($1); ok = 0
			for (i = 1; i <= np; i++) if (t >= ps[i] && t <= pe[i]) ok = 1
			if (ok) paused++; else { bad++; if (!first) first = t }
		}
		END {
			if (bad) { printf "both collectors running in %d samples (first at t=%.3f)", bad, first; exit 1 }
			printf "pause_overlap_samples=%d", paused + 0 }' "$dir/samples"
}

# _ch_check_logs DIR: the daemons' ACTIVE periods never overlap (outside a pause window).
_ch_check_logs()
{
	local dir=$1 s
	{
		for s in primary dr; do
			sed -n "s/.*Site is now \(ACTIVE\|STANDBY\).*\[t=\([0-9.]*\)\].*/\2 $s \1/p" "$dir/$s.log"
		done
	} | LC_ALL=C sort -n -k1,1 | awk -v pauses="$(_ch_pauses "$dir" | tr '\n' ';')" '
		BEGIN { n = split(pauses, p, ";"); for (i = 1; i <= n; i++) if (p[i] != "") {
			split(p[i], q, " "); np++; ps[np] = q[2]; pe[np] = q[3] } }
		function close_overlap(t,   i, ok) {
			ok = 0
			for (i = 1; i <= np; i++) if (from >= ps[i] && t <= pe[i]) ok = 1
			if (!ok) { printf "both daemons active from t=%s to t=%s", from, t; bad = 1 }
		}
		{ was = active["primary"] + active["dr"]
		  active[$2] = ($3 == "ACTIVE")
		  now = active["primary"] + active["dr"]
		  if (now == 2 && was < 2) from = $1
		  if (now < 2 && was == 2) close_overlap($1) }
		END { if (active["primary"] + active["dr"] == 2) close_overlap(1e12); exit bad }'
}

# Converts named's ISO 8601 UTC stamps (2026-12-03T14:50:00.123Z) to seconds, in awk.
_CH_AWK_ISO='
function iso(s,   y, mo, d, h, mi, se, era, yoe, doy, doe, days) {
	y = substr(s, 1, 4) + 0; mo = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
	h = substr(s, 12, 2) + 0; mi = substr(s, 15, 2) + 0; se = substr(s, 18, 6) + 0
	if (mo <= 2) y--
	era = int(y / 400); yoe = y - era * 400
	doy = int((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	days = era * 146097 + doe - 719468
	return days * 86400 + h * 3600 + mi * 60 + se
}'

# _ch_lateness DIR SEED: one line per step-down at the renewal deadline:
#   "SEED SITE UPPER ESTIMATE" (ms)
# lateness = the STANDBY line's [t=] - (the send time of the last successful renewal +
# D). The daemon does not log when it sent a renewal (its log stamps have a resolution of
# one second), so the send time comes from named's log (ms stamps, mapped onto the
# monotonic clock with CH_OFFSET):
# named's stamps are mapped with the offsets measured at the run's start and end,
# interpolated (the wall clock may be slewed):
#   - the last "Lease renewed, expires at N" (or "Lease created/acquired ... expires at N")
#     before the step-down names the renewal; its UPDATE is the first one named logged
#     from the site's address that adds "... exp=N ..." (the first: a later one with the
#     same exp would only make the result smaller);
#   - UPPER, a safe upper bound: the renewal was sent after the answer to the read that
#     began its tick, so after named logged the last query from that address before the
#     UPDATE (the one-way latency of named's stamp only makes it larger);
#   - ESTIMATE: with the UPDATE's arrival at named as the send time (a lower bound; on a
#     veth it is within a millisecond of the truth unless a fault delayed the packet).
# Step-downs of a daemon that was paused at its deadline are left out (a frozen process
# cannot act on time); so are step-downs that are not at the deadline (lost lease,
# shutdown).
_ch_lateness()
{
	local dir=$1 seed=$2 s ip x n
	local -a w2m
	mapfile -t w2m < <(_ch_w2m_args "$dir")
	for s in primary dr; do
		ip=$(_ch_site_ip "$s")
		awk '/Site is now STANDBY: stepping down \(no successful renewal within RENEW_DEADLINE\)/ {
				if (ex != "") { match($0, /\[t=[0-9.]+\]/); print substr($0, RSTART + 3, RLENGTH - 4), ex } }
			/Lease renewed, expires at / { ex = $NF }
			/Lease (created|acquired): .*expires at / { ex = $NF }' "$dir/$s.log" |
			while read -r x n; do
				# A pause around the deadline: not the daemon's promptness.
				awk -v x="$x" -v s="$s" -v d="$CH_D" '
					$2 == s && $3 == "pause" && $4 == "on" { from = $1 }
					$2 == s && $3 == "pause" && $4 == "off" { if (from != "" && from <= x && $1 >= x - 0.5) hit = 1; from = "" }
					END { if (from != "" && from <= x) hit = 1; exit !hit }' "$dir/events" && continue
				awk -v x="$x" -v n="$n" -v ip="$ip" "${w2m[@]}" -v d="$CH_D" -v seed="$seed" -v s="$s" \
					"$_CH_AWK_ISO$_CH_AWK_W2M"'
					index($0, " " ip "#") == 0 { next }
					/ query: / { lastq = iso($1) }
					/updating zone/ && index($0, "exp=" n " ") && /adding an RR/ && !found {
						found = 1; up = lastq; est = iso($1) }
					END {
						if (!found || up == "") exit
						printf "%s %s %.0f %.0f\n", seed, s, (x - (w2m(up) + d)) * 1000, (x - (w2m(est) + d)) * 1000 }' \
					"$dir/named.log"
			done
	done
}

# _ch_resume DIR SEED: for each SIGSTOP of a daemon that was active when frozen (every
# pause is longer than LEASE_TTL, so its deadline passed while it was frozen), one line
# "SEED SITE stepdown MS" when the first thing it did after SIGCONT was to step down (MS
# after SIGCONT), or "SEED SITE kept -" when its first tick renewed the lease (its own
# value, nobody had taken it) before the step-down timer ran, so it never stepped down.
_ch_resume()
{
	local dir=$1 seed=$2 s
	for s in primary dr; do
		{
			sed -n "s/.*Site is now \(ACTIVE\|STANDBY\): stepping down (\([a-z]*\).*\[t=\([0-9.]*\)\].*/\3 T STANDBY \2/p
				s/.*Site is now ACTIVE.*\[t=\([0-9.]*\)\].*/\1 T ACTIVE x/p" "$dir/$s.log"
			awk -v s="$s" '$2 == s && $3 == "pause" { print $1, "P", $4, "x" }' "$dir/events"
		} | LC_ALL=C sort -n -k1,1 | awk -v seed="$seed" -v s="$s" '
			$2 == "T" {
				if (waiting) {
					if ($3 == "STANDBY" && $4 != "shutting")
						printf "%s %s stepdown %.0f\n", seed, s, ($1 - cont) * 1000
					else
						printf "%s %s kept -\n", seed, s
					waiting = 0
				}
				state = $3
			}
			$2 == "P" && $3 == "on" { frozen_active = (state == "ACTIVE"); waiting = 0 }
			$2 == "P" && $3 == "off" { if (frozen_active) { cont = $1; waiting = 1 } }
			END { if (waiting) printf "%s %s kept -\n", seed, s }'
	done
}

# chaos_summary: runs, violations and the lateness percentiles of all runs so far.
chaos_summary()
{
	local runs bad
	runs=$(grep -c '^seed=' "$CH_RESULTS" || true)
	bad=$(grep -c '^seed=[0-9]* fail' "$CH_RESULTS" || true)
	echo "runs: $runs  violations: $bad"
	if [ -s "$T/lateness" ]; then
		for col in 3 4; do
			sort -n -k$col,$col "$T/lateness" | awk -v c=$col '{ v[NR] = $c }
				function rank(p,   k) { k = p * NR; return v[k == int(k) ? k : int(k) + 1] }
				END { p50 = rank(0.50); p99 = rank(0.99)
				      printf "step-down lateness after RENEW_DEADLINE (%s, %d step-downs): p50 %d ms, p99 %d ms, max %d ms (goal p99 <= 100 ms)\n",
					c == 3 ? "upper bound" : "estimate", NR, p50, p99, v[NR] }'
		done
		awk '$3 > 100 { printf "late step-down (upper bound over 100 ms): seed %s %s %d ms\n", $1, $2, $3 }' \
			"$T/lateness"
	else
		echo "step-down lateness: no step-down at the renewal deadline in these runs"
	fi
	awk '{ n += $2 }
		END { printf "samples with both collectors up while a daemon was frozen (exempt): %d\n", n }' \
		< <(sed -n 's/.* pause_overlap=\([0-9]*\) .*/x \1/p' "$CH_RESULTS")
	if [ -s "$T/resume" ]; then
		sort -n -k4,4 "$T/resume" | awk '$3 == "kept" { kept++; next } { v[++n] = $4 } END {
			printf "holders frozen past their deadline: %d stepped down after SIGCONT", n + 0
			if (n) printf " (max %d ms after it)", v[n]
			printf ", %d renewed first and never stepped down\n", kept + 0 }'
	fi
}
