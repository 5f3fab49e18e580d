# shellcheck shell=bash
# tests/system/failover.sh: two dnsfailover daemons (primary and DR) against the
# test named. Sources lib.sh and collector.sh itself.
#
#   fo_begin [KEY=VALUE ...]   the common start of a failover test: required tools,
#                              sys_setup, fo_setup
#   fo_setup [KEY=VALUE ...]   named, the primary's collector, primary.env and dr.env with
#                              short timings (I=1 D=3 L=5, metrics health check); extra
#                              KEY=VALUE go into both configs; FO_ALG names the key's
#                              algorithm (default hmac-sha256)
#   fo_start SITE [ENV=VAL ...] starts `dnsfailover run` for SITE (primary|dr), log in
#                              $T/SITE.log; ENV=VAL are set in its environment
#   fo_stop SITE / fo_kill SITE   SIGTERM / SIGKILL (a kill is noted for the overlap check)
#   fo_wait_owner OWNER SECS   waits until show reports OWNER; prints the seconds it took
#   fo_wait_log SITE TEXT SECS waits until SITE's log contains TEXT
#   fo_check_never_both [SITE...] fails when the two sites' ACTIVE periods ever overlap,
#                              or when it found no transitions of the SITEs to check
#   fo_active SITE             true when SITE's last transition was ACTIVE (a kill ends it)
#   fo_sampler                 prints which sites' collector stand-ins run, every 0.2 s

. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/collector.sh"

FO_I=1
FO_D=3
FO_L=5
FO_STALE=2
FO_FAIL=2
MONO_NOW=${MONO_NOW:-$top_builddir/tests/system/mono_now}

fo_setup()
{
	sys_start_named "${FO_ALG:-hmac-sha256}"
	sys_start_collector primary
	local common=(UPDATE_INTERVAL=$FO_I RENEW_DEADLINE=$FO_D LEASE_TTL=$FO_L DNS_TIMEOUT=1
		DNS_RETRIES=0 FAIL_THRESHOLD=$FO_FAIL HEALTH_MODE=metrics HEALTH_URL=$COLLECTOR_URL
		HEALTH_STALE_COUNT=$FO_STALE HEALTH_TIMEOUT=1 "$@")
	# The primary checks its own collector too: when it is unhealthy the
	# primary stops renewing, which is what lets the lease expire.
	sys_write_config "$T/primary.env" "${common[@]}"
	sys_write_config "$T/dr.env" ROLE=dr "${common[@]}"
	: >"$T/kills"
}

fo_begin()
{
	sys_require named dig tsig-keygen
	sys_setup
	# Collectors started by fo_write_initd's scripts are not sys_spawn's:
	# stop them before the usual cleanup, keeping the script's status.
	trap '_rc=$?; set +e; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
	fo_setup "$@"
}

# fo_stop_initd: stops every collector an fo_write_initd script started.
fo_stop_initd()
{
	local f
	for f in "$T"/initd-*; do
		[ -x "$f" ] && "$f" stop >/dev/null 2>&1
	done
	return 0
}

# fo_write_initd SITE PORT: $T/initd-SITE, an init script as appliance VMs have
# them (start, stop, status with a pid file) for a collector stand-in on PORT
# whose mode file is $T/SITE-collector.mode.
fo_write_initd()
{
	local site=$1 port=$2
	cat >"$T/initd-$site" <<EOS
#!/bin/sh
PIDFILE=$T/collector-$site.pid
case "\$1" in
start)
	[ -s "\$PIDFILE" ] && kill -0 "\$(cat "\$PIDFILE")" 2>/dev/null && exit 0
	rm -f "\$PIDFILE"
	"$FAKE_COLLECTOR" -p $port -c "$T/$site-collector.mode" -P "\$PIDFILE" >>"$T/collector-$site.log" 2>&1 &
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
}

# fo_initd_watchers [KEY=VALUE ...]: each site runs its own collector stand-in
# through an init script ($T/initd-SITE, not started) and a command-backend
# watcher; the shared collector of fo_setup is stopped and both sites' health
# checks point at the primary's stand-in. KEY=VALUE lines go into both configs.
fo_initd_watchers()
{
	local site pport dport
	sys_stop_collector primary
	pport=$(sys_free_port)
	dport=$(sys_free_port)
	fo_write_initd primary "$pport"
	fo_write_initd dr "$dport"
	for site in primary dr; do
		echo up >"$T/$site-collector.mode"
		sed -i "s|^HEALTH_URL=.*|HEALTH_URL=http://127.0.0.1:$pport/metrics|" "$T/$site.env"
		printf 'WATCH_MODE=command\nWATCH_START_CMD=%s start\nWATCH_STOP_CMD=%s stop\nWATCH_STATUS_CMD=%s status\n' \
			"$T/initd-$site" "$T/initd-$site" "$T/initd-$site" >>"$T/$site.env"
		[ $# -eq 0 ] || printf '%s\n' "$@" >>"$T/$site.env"
	done
}

# running SITE: true while SITE's collector stand-in runs.
running()
{
	"$T/initd-$1" status >/dev/null 2>&1
}

# fo_sampler: every 0.2 s one line "PD" (1 or 0: the primary's and the DR's
# collector stand-in running), until killed; for the "exactly one site" checks.
fo_sampler()
{
	local p d
	while :; do
		p=0 d=0
		running primary && p=1
		running dr && d=1
		echo "$p$d"
		sleep 0.2
	done
}

fo_start()
{
	local site=$1
	shift
	sys_spawn "$site" env "$@" "$DNSFAILOVER" -c "$T/$site.env" run
}

fo_stop()
{
	sys_kill "$1" 5 || fail "fo_stop: $1 was not running"
}

fo_kill()
{
	local pid
	read -r pid _ <"$T/run/$1.pid" || fail "fo_kill: $1 was never started"
	kill -KILL "$pid" 2>/dev/null || fail "fo_kill: $1 (pid $pid) was not running"
	echo "$("$MONO_NOW") $1 KILLED" >>"$T/kills"
	sys_kill "$1" 1 >/dev/null 2>&1 || true
}

# The owner field of show's JSON, or "" when show fails.
fo_owner()
{
	"$DNSFAILOVER" -c "$T/primary.env" show 2>/dev/null | sed -n 's/^  "owner": "\([a-z]*\)",$/\1/p'
}

fo_wait_owner()
{
	local want=$1 limit=$2 start=$SECONDS
	while [ $((SECONDS - start)) -le "$limit" ]; do
		if [ "$(fo_owner)" = "$want" ]; then
			echo $((SECONDS - start))
			return 0
		fi
		sleep 0.2
	done
	fail "owner did not become $want within ${limit}s (now: $(fo_owner))"
}

fo_wait_log()
{
	local site=$1 text=$2 limit=$3 start=$SECONDS
	while [ $((SECONDS - start)) -le "$limit" ]; do
		grep -qF -- "$text" "$T/$site.log" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "$site log did not show '$text' within ${limit}s; log tail:
$(tail -n 20 "$T/$site.log" 2>/dev/null)"
}

# _fo_events SITE...: every ACTIVE/STANDBY line of the SITEs' daemons and every kill
# of them (fo_kill), one "T SITE ACTIVE|STANDBY|KILLED" line each, T on the shared
# monotonic clock, in time order.
_fo_events()
{
	local site
	{
		for site in "$@"; do
			[ -f "$T/$site.log" ] || continue
			sed -n "s/.*Site is now \(ACTIVE\|STANDBY\).*\[t=\([0-9.]*\)\].*/\2 $site \1/p" \
				"$T/$site.log"
			[ ! -f "$T/kills" ] || awk -v s="$site" '$2 == s && $3 == "KILLED"' "$T/kills"
		done
	} | LC_ALL=C sort -n -k1,1
}

# fo_active SITE: true when SITE's last transition was ACTIVE (a kill ends activity).
fo_active()
{
	local last
	last=$(_fo_events "$1" | tail -n 1)
	[ "${last##* }" = ACTIVE ]
}

# fo_check_never_both [SITE...]: every ACTIVE/STANDBY line of both daemons and every
# kill, ordered on the shared monotonic clock: at no instant may both sites be active.
# It fails unless it found events to check: every SITE (default: primary and dr; name
# only the sites that ever become active in the test) must have run and have at least
# one transition, at least one ACTIVE must be among them, and every "Site is now" line
# must parse (a changed log format would otherwise check nothing and pass).
fo_check_never_both()
{
	local site lines parsed events
	[ $# -gt 0 ] || set -- primary dr
	for site in primary dr; do
		[ -f "$T/$site.log" ] || continue
		lines=$(grep -c 'Site is now \(ACTIVE\|STANDBY\)' "$T/$site.log" || true)
		parsed=$(_fo_events "$site" | grep -vc ' KILLED$' || true)
		[ "$lines" = "$parsed" ] ||
			fail "fo_check_never_both: parsed $parsed of the $lines ACTIVE/STANDBY lines of $site.log; unparsed:
$(grep 'Site is now \(ACTIVE\|STANDBY\)' "$T/$site.log" | grep -v '\[t=[0-9.]*\]')"
	done
	for site in "$@"; do
		[ -f "$T/$site.log" ] || fail "fo_check_never_both: $site never ran (no $site.log)"
		_fo_events "$site" | grep -q " $site \(ACTIVE\|STANDBY\)$" ||
			fail "fo_check_never_both: no ACTIVE/STANDBY transition of $site in $site.log, nothing to check"
	done
	events=$(_fo_events primary dr)
	grep -q ' ACTIVE$' <<<"$events" ||
		fail "fo_check_never_both: no site ever became active, nothing to check"
	awk '
		{ if ($3 == "ACTIVE") active[$2] = 1; else active[$2] = 0
		  n = active["primary"] + active["dr"]
		  if (n > 1) { printf "both sites active at t=%s\n", $1; bad = 1 }
		  changes[$2]++ }
		END { if (bad) exit 1
		      printf "%d transitions of primary, %d of dr, never both active\n",
			changes["primary"], changes["dr"] }' <<<"$events" ||
		fail "split brain: the two sites were active at the same time"
}
