#!/usr/bin/env bash
# Runs the console blocks of doc/RUNBOOK.md against a test named with a
# primary and a DR daemon (each with a command-backend watcher), so the
# runbook cannot drift from the program: every command must exit as the
# block says and print every `# expect:` text.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
fo_initd_watchers
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_start dr
fo_wait_log primary "Watcher: collector (commands of $T/initd-primary) started" 15

# Runs one runbook command line on SITE; prints its output, returns its status.
run_line()
{
	local site=$1 cmd=$2
	case $cmd in
	"dnsfailover -c /etc/dnsfailover/dnsfailover.env "*)
		timeout 20 "$DNSFAILOVER" -c "$T/$site.env" ${cmd#dnsfailover -c /etc/dnsfailover/dnsfailover.env } 2>&1 ;;
	"/etc/init.d/dnsfailover stop") fo_stop "$site" ;;
	"/etc/init.d/dnsfailover start") fo_start "$site" ;;
	*) fail "runbook: no mapping for '$cmd' (extend test_runbook.sh)" ;;
	esac
}

blocks=0 commands=0 expects=0
in_block=0 pending=
flush()
{
	[ -n "$pending" ] || return 0
	local site=${pending%%$'\t'*} cmd=${pending#*$'\t'} out rc
	out=$(run_line "$site" "$cmd") && rc=0 || rc=$?
	[ "$rc" = "$want_exit" ] || fail "runbook: '$site\$ $cmd' exited $rc, expected $want_exit:
$out"
	local e
	for e in "${want_text[@]}"; do
		assert_contains "$out" "$e" "runbook: '$site\$ $cmd'"
		expects=$((expects + 1))
	done
	commands=$((commands + 1))
	pending=
}
while IFS= read -r line; do
	if [ $in_block = 0 ]; then
		[ "$line" = '```console' ] && in_block=1 && blocks=$((blocks + 1))
		continue
	fi
	case $line in
	'```')
		flush
		in_block=0 ;;
	'primary$ '* | 'dr$ '*)
		flush
		pending="${line%%\$ *}"$'\t'"${line#*\$ }"
		want_exit=0
		want_text=()
		sys_log "runbook: $line" ;;
	'# expect: '*) want_text+=("${line#\# expect: }") ;;
	'# exit: '*) want_exit=${line#\# exit: } ;;
	# A pause the runbook prescribes: the test proves that waiting that long is
	# enough, so it sleeps just as an operator would instead of polling.
	'# wait: RENEW_DEADLINE')
		flush
		sleep $((FO_D + 3)) ;;
	'# wait: LEASE_TTL')
		flush
		sleep $((FO_L + 2)) ;;
	*) fail "runbook: unknown line in a console block: '$line'" ;;
	esac
done <"$top_srcdir/doc/RUNBOOK.md"
sys_log "runbook: $blocks blocks, $commands commands, $expects expectations checked"
[ "$blocks" -ge 8 ] || fail "runbook: only $blocks console blocks found"
fo_stop primary
fo_stop dr
fo_check_never_both
sys_log "PASS"
