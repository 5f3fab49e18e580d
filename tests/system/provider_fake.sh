# shellcheck shell=bash
# tests/system/provider_fake.sh: two dnsfailover daemons on a provider whose
# records live behind a stand-in (an API fake, a script's state file) rather
# than in named. Sources failover.sh (and so lib.sh and collector.sh).
#
#   pf_begin                   required tools, sys_setup, the primary's collector
#   pf_configs KEY=VALUE ...   $T/primary.env and $T/dr.env with failover.sh's short
#                              timings, no DNS server, the provider's KEY=VALUE
#   pf_lease                   prints "A TXT" as show reads them ("" when show fails)
#   pf_daemons RIVAL           init, two `run` daemons with init-script watchers through
#                              a failover and a failback, the collector stand-in on
#                              exactly one site; then RIVAL (a command that rewrites the
#                              lease behind the holder's back) and the holder noticing
#                              it; never both sites active
#   pf_spawn_fake NAME BIN [ARG...]  an HTTPS fake (fake_https.c options -p PORT and
#                              -P READY_FILE added) on a free port, tried three times;
#                              sets PF_PORT
#   pf_races CONF RECORDS WHERE TEXT...  2, then 6 writers (cas_race) from CONF's lease:
#                              exactly one wins, RECORDS (a function printing the
#                              stand-in's records) holds its value (WHERE names the
#                              stand-in), and every TEXT is in what the losers were told
#   pf_token_revoked BASE      (an API fake of fake_https.c at BASE, CA $T/ca.pem) the
#                              holder's bearer token revoked mid-run: a 401, a new token,
#                              the lease kept; one token for many renewals before

. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/proxy.sh"

pf_begin()
{
	sys_require curl openssl jq
	sys_setup
	trap '_rc=$?; set +e; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
	sys_start_collector primary
	: >"$T/kills"
}

pf_configs()
{
	local common=(DNS_SERVER= DNS_PORT= TSIG_KEYFILE= UPDATE_INTERVAL=$FO_I
		RENEW_DEADLINE=$FO_D LEASE_TTL=$FO_L FAIL_THRESHOLD=$FO_FAIL HEALTH_MODE=metrics
		HEALTH_URL=$COLLECTOR_URL HEALTH_STALE_COUNT=$FO_STALE HEALTH_TIMEOUT=1 "$@")
	sys_write_config "$T/primary.env" "${common[@]}"
	sys_write_config "$T/dr.env" ROLE=dr "${common[@]}"
}

pf_lease()
{
	"$DNSFAILOVER" -c "$T/primary.env" show 2>/dev/null |
		sed -n 's/^  "A": "\(.*\)",$/\1/p; s/^  "owner": "\(.*\)",$/\1/p' | paste -sd' '
}

# _pf_lost_more N: the primary's log has more than N "Lease lost" lines.
_pf_lost_more()
{
	[ "$(grep -c "Lease lost: the record now holds" "$T/primary.log" || true)" -gt "$1" ]
}

pf_daemons()
{
	local rival=$1 sampler_pid both
	fo_initd_watchers WATCH_CMD_TIMEOUT=5
	assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
	fo_start primary
	fo_start dr
	fo_wait_log primary "Site is now ACTIVE" 15
	fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) started" 15
	fo_sampler >"$T/samples" &
	sampler_pid=$!
	trap '_rc=$?; set +e; kill '"$sampler_pid"' 2>/dev/null; fo_stop_initd; (exit $_rc); sys_cleanup' EXIT
	sleep 3 # a window: the DR must not take over nor start its collector in it
	assert_eq "$(fo_owner)" primary "owner in steady state"
	assert_contains "$(cat "$T/primary.log")" "Lease renewed, expires at" "the primary renews"
	running dr && fail "the DR's collector runs while the primary is active"

	sys_log "the primary's collector stops answering: failover"
	echo down >"$T/primary-collector.mode"
	fo_wait_owner dr 20 >/dev/null
	fo_wait_log dr "FAILOVER: Promoted DR to active, A=192.0.2.20" 5
	fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) started" 10
	fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) stopped" 10
	assert_eq "$(pf_lease)" "192.0.2.20 dr" "A and owner after failover"

	sys_log "failback"
	echo up >"$T/primary-collector.mode"
	sleep 2 # the DR keeps the lease while the primary is healthy again
	assert_eq "$(fo_owner)" dr "the DR keeps the lease until failback"
	assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
	assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback line"
	fo_wait_log dr "Site is now STANDBY" 5
	fo_wait_log dr "Watcher: collector (commands of $T/initd-dr) stopped" 10
	sys_wait_for $((FO_D + 3)) "the primary active after failback" fo_active primary
	sys_wait_for $((FO_D + 3)) "the primary's collector after failback" running primary
	assert_eq "$(pf_lease)" "192.0.2.10 primary" "A and owner after failback"

	sys_log "a rival rewrites the lease behind the holder"
	fo_stop dr
	sleep 1 # the holder renews once more
	local lost
	lost=$(grep -c "Lease lost: the record now holds" "$T/primary.log" || true)
	$rival
	sys_wait_for 5 "the holder noticing the rival's write" _pf_lost_more "$lost"
	assert_contains "$(grep "Lease lost: the record now holds" "$T/primary.log" | tail -n 1)" \
		"epoch=99" "the holder names the rival's value"
	kill "$sampler_pid" 2>/dev/null || true
	fo_stop primary
	fo_check_never_both
	both=$(grep -c '^11$' "$T/samples" || true)
	sys_log "$(wc -l <"$T/samples") samples of both sites' collectors, $both with both running"
	[ "$both" -eq 0 ] || fail "both collectors ran at once in $both samples"
	grep -q '^10$' "$T/samples" || fail "no sample with only the primary's collector"
	grep -q '^01$' "$T/samples" || fail "no sample with only the DR's collector"
}

_pf_stat() { curl -sS --max-time 5 --cacert "$T/ca.pem" "$1/__fake/stats" | jq -r ".$2"; }

pf_races()
{
	local conf=$1 records=$2 where=$3 n winner text
	shift 3
	for n in 2 6; do
		assert_exit 0 "$n writers: exactly one wins" -- "$top_builddir/tests/system/cas_race" -c "$conf" -n "$n"
		winner=$(sed -n 's/^writer [0-9]*: won exp=//p' <<<"$OUT")
		assert_contains "$("$records")" "exp=$winner " "$where holds the winner's value"
		for text in "$@"; do
			assert_contains "$OUT" "$text" "$n writers: the losers are told why"
		done
	done
}

pf_token_revoked()
{
	local base=$1 renewed tokens
	sys_log "a token revoked mid-run is replaced"
	assert_exit 0 "init --force" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
	# The next token outlives this part: only the revocation ends it.
	curl -sS --cacert "$T/ca.pem" -X POST "$base/__fake/expires?s=3599" >/dev/null
	mv "$T/primary.log" "$T/primary-daemons.log"
	tokens=$(_pf_stat "$base" tokens)
	fo_start primary
	fo_wait_log primary "Site is now ACTIVE" 10
	# shellcheck disable=SC2317 # called by sys_wait_for
	_pf_renewals() { [ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -ge 3 ]; }
	sys_wait_for 10 "three renewals" _pf_renewals
	assert_eq "$(($(_pf_stat "$base" tokens) - tokens))" 1 "one token for all the renewals (cached)"
	curl -sS --cacert "$T/ca.pem" -X POST "$base/__fake/revoke" >/dev/null
	fo_wait_log primary "answered 401: fetching a new access token" 10
	renewed=$(grep -c "Lease renewed" "$T/primary.log" || true)
	# shellcheck disable=SC2317 # called by sys_wait_for
	_pf_renewed_again() { [ "$(grep -c "Lease renewed" "$T/primary.log" || true)" -gt "$renewed" ]; }
	sys_wait_for 10 "a renewal with the new token" _pf_renewed_again
	assert_not_contains "$(cat "$T/primary.log")" "Site is now STANDBY" "the holder kept the lease"
	fo_stop primary
}

pf_spawn_fake()
{
	local name=$1 i
	shift
	sys_require "$1"
	for _ in 1 2 3; do
		PF_PORT=$(sys_free_port) || fail "pf_spawn_fake: no free port"
		rm -f "$T/$name.ready"
		sys_spawn "$name" "$@" -p "$PF_PORT" -P "$T/$name.ready"
		for ((i = 0; i < 50; i++)); do
			[ -s "$T/$name.ready" ] && break
			_sys_tracked_alive "$name" || break
			sleep 0.1
		done
		[ -s "$T/$name.ready" ] && return 0
		_sys_stop "$name" 2 || true
	done
	fail "pf_spawn_fake: $name did not start; $(tail -n 5 "$T/$name.log")"
}
