#!/usr/bin/env bash
# The appliance install: `make install DESTDIR=...` puts the program, the
# templates, the key-file example (0600), the LSB init script (0755), the
# systemd unit and the man pages where they belong, with the build's paths
# substituted. The man pages list every command, option and exit code of the
# program and every configuration key with its default (as the program lists them).
# Then the init script from the build tree, pointed at the built program by
# environment variables, runs the daemon for real against the test named:
# start, status, reload (a new DNS_TTL shows up in DNS), stop, and the LSB
# exit codes around them.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require make named dig tsig-keygen start-stop-daemon
sys_setup

# The test runs inside `make check`: a clean make for the nested install.
df_make()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory "$@"
}

# The install directories of this build, as make expands them.
# shellcheck disable=SC2016 # $(...) is make's, expanded by make
dirs=$(
	printf 'df-print-dirs:\n\t@echo "prefix=$(prefix)"; echo "sbindir=$(sbindir)"; echo "sysconfdir=$(sysconfdir)"; echo "mandir=$(mandir)"; echo "systemdsystemunitdir=$(systemdsystemunitdir)"\n' |
		df_make -s -C "$top_builddir" -f Makefile -f - df-print-dirs
) || fail "cannot read the install directories from $top_builddir/Makefile"
eval "$dirs"
# shellcheck disable=SC2154 # set by the eval above
for v in "$prefix" "$sbindir" "$sysconfdir" "$mandir" "$systemdsystemunitdir"; do
	case $v in /*) ;; *) fail "install directory '$v' is not absolute: $dirs" ;; esac
done

sys_log "make install DESTDIR=$T/root"
R=$T/root
df_make -C "$top_builddir" install DESTDIR="$R" >"$T/install.log" 2>&1 ||
	fail "make install DESTDIR=$R failed: $(tail -n 30 "$T/install.log")"

mode() { stat -c %a "$1"; }

bin=$R$sbindir/dnsfailover
conf=$R$sysconfdir/dnsfailover
initd=$R$sysconfdir/init.d/dnsfailover
unit=$R$systemdsystemunitdir/dnsfailover.service
man8=$R$mandir/man8/dnsfailover.8
man5=$R$mandir/man5/dnsfailover.conf.5

if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then fail "no executable $bin"; fi
assert_exit 0 "the installed program runs" -- "$bin" --version
assert_contains "$OUT" "dnsfailover " "--version"
for f in primary.env dr.env; do
	[ -f "$conf/$f" ] || fail "template $conf/$f not installed"
	cmp -s "$conf/$f" "$top_srcdir/etc/$f" || fail "$conf/$f differs from etc/$f"
	assert_eq "$(mode "$conf/$f")" 644 "mode of $f"
done
[ -f "$conf/key.conf.example" ] || fail "key example $conf/key.conf.example not installed"
assert_eq "$(mode "$conf/key.conf.example")" 600 "mode of key.conf.example (a key file must be private)"
[ -f "$initd" ] || fail "init script $initd not installed"
assert_eq "$(mode "$initd")" 755 "mode of the init script"
[ -f "$unit" ] || fail "systemd unit $unit not installed"
[ -f "$man8" ] || fail "man page $man8 not installed"
[ -f "$man5" ] || fail "man page $man5 not installed"

sys_log "dnsrecordsd and dnsrecordsctl: programs, man pages, template, init script, unit"
for p in dnsrecordsd dnsrecordsctl; do
	[ -x "$R$sbindir/$p" ] || fail "no executable $R$sbindir/$p"
	[ -f "$R$mandir/man8/$p.8" ] || fail "man page $p.8 not installed"
done
assert_exit 0 "dnsrecordsd -k" -- "$R$sbindir/dnsrecordsd" -k
rconf=$R$sysconfdir/dnsrecordsd/dnsrecordsd.conf.example
cmp -s "$rconf" "$top_srcdir/etc/dnsrecordsd.conf" || fail "$rconf differs from etc/dnsrecordsd.conf"
rinitd=$R$sysconfdir/init.d/dnsrecordsd
runit=$R$systemdsystemunitdir/dnsrecordsd.service
assert_eq "$(mode "$rinitd")" 755 "mode of the dnsrecordsd init script"
sh -n "$rinitd" || fail "the dnsrecordsd init script has a syntax error"
grep -q '^### BEGIN INIT INFO$' "$rinitd" || fail "the dnsrecordsd init script has no LSB header"
assert_contains "$(cat "$rinitd")" "DAEMON=\${DNSRECORDSD_BIN:-$sbindir/dnsrecordsd}" "dnsrecordsd init script: the program"
assert_contains "$(cat "$runit")" "ExecStart=$sbindir/dnsrecordsd -c $sysconfdir/dnsrecordsd/dnsrecordsd.conf" \
	"dnsrecordsd unit: ExecStart"
for f in "$rinitd" "$runit"; do
	left=$(grep -o '@[a-zA-Z_]*@' "$f" || true)
	[ -z "$left" ] || fail "$f still has placeholders: $left"
done
if command -v man >/dev/null 2>&1; then
	for p in dnsrecordsd dnsrecordsctl; do
		err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l - <"$R$mandir/man8/$p.8" 2>&1 >/dev/null) ||
			fail "man -l $p.8 failed: $err"
		[ -z "$err" ] || fail "man --warnings -l $p.8: $err"
	done
fi

sys_log "the build's paths are substituted"
for f in "$initd" "$unit"; do
	left=$(grep -o '@[a-zA-Z_]*@' "$f" || true)
	[ -z "$left" ] || fail "$f still has placeholders: $left"
done
head -n 1 "$initd" | grep -qx '#!/bin/sh' || fail "the init script does not start with #!/bin/sh"
grep -q '^### BEGIN INIT INFO$' "$initd" || fail "the init script has no LSB header"
grep -q '^### END INIT INFO$' "$initd" || fail "the init script's LSB header is not closed"
assert_contains "$(cat "$initd")" "DAEMON=\${DNSFAILOVER_BIN:-$sbindir/dnsfailover}" "init script: the program"
assert_contains "$(cat "$initd")" "CONFIG=\${DNSFAILOVER_CONFIG:-$sysconfdir/dnsfailover/dnsfailover.env}" \
	"init script: the configuration"
sh -n "$initd" || fail "the init script has a syntax error"
assert_contains "$(cat "$unit")" "ExecStart=$sbindir/dnsfailover -c $sysconfdir/dnsfailover/dnsfailover.env run" \
	"unit: ExecStart"
# shellcheck disable=SC2016 # $MAINPID is systemd's
for d in 'Type=simple' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'ReadWritePaths=/var/lib/dnsfailover' \
	'CapabilityBoundingSet='; do
	grep -qxF "$d" "$unit" || fail "unit: no '$d' line"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# The unit as it would be on the appliance, its program where DESTDIR put it.
	mkdir "$T/verify"
	sed "s|$sbindir/dnsfailover|$bin|g" "$unit" >"$T/verify/dnsfailover.service"
	# MANPATH: it also checks that the Documentation= man pages exist.
	out=$(MANPATH=$R$mandir systemd-analyze verify "$T/verify/dnsfailover.service" 2>&1) ||
		fail "systemd-analyze verify dnsfailover.service: $out"
	# Warnings about the unit itself (not about the host) fail too.
	bad=$(grep 'dnsfailover.service' <<<"$out" || true)
	[ -z "$bad" ] || fail "systemd-analyze verify warns: $bad"
	sed "s|$sbindir/dnsrecordsd|$R$sbindir/dnsrecordsd|g" "$runit" >"$T/verify/dnsrecordsd.service"
	out=$(MANPATH=$R$mandir systemd-analyze verify "$T/verify/dnsrecordsd.service" 2>&1) ||
		fail "systemd-analyze verify dnsrecordsd.service: $out"
	bad=$(grep 'dnsrecordsd.service' <<<"$out" || true)
	[ -z "$bad" ] || fail "systemd-analyze verify warns about dnsrecordsd.service: $bad"
else
	sys_log "no systemd-analyze: unit not verified"
fi
if command -v named-checkconf >/dev/null 2>&1; then
	# named parses the example as it would a real key file.
	echo "include \"$conf/key.conf.example\";" >"$T/keycheck.conf"
	named-checkconf "$T/keycheck.conf" >"$T/keycheck.log" 2>&1 ||
		fail "named-checkconf rejects key.conf.example: $(cat "$T/keycheck.log")"
fi
# The example's secret is a placeholder nobody can mistake for a key.
grep -q 'secret "EXAMPLE' "$conf/key.conf.example" || fail "key.conf.example has a real-looking secret"

sys_log "man pages: render without warnings"
# groff escapes that do not matter for the checks below, removed.
man_src()
{
	sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' -e 's/\\(em/--/g' "$1"
}
for m in "$man8" "$man5"; do
	if command -v man >/dev/null 2>&1; then
		# From stdin: man drops privileges as root and could not read $T.
		err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l - <"$m" 2>&1 >"$T/man.txt") ||
			fail "man -l ${m##*/} failed: $err"
		[ -z "$err" ] || fail "man --warnings -l ${m##*/}: $err"
		grep -q '^NAME' "$T/man.txt" || fail "man -l ${m##*/} rendered no NAME section"
	elif command -v groff >/dev/null 2>&1; then
		err=$(groff -man -ww -z "$m" 2>&1) || fail "groff ${m##*/} failed: $err"
		[ -z "$err" ] || fail "groff -ww ${m##*/}: $err"
	else
		sys_log "neither man nor groff: ${m##*/} not rendered"
	fi
done

sys_log "dnsfailover(8): every command, option and exit code of the program"
assert_exit 0 "--help" -- "$DNSFAILOVER" --help
help=$OUT
src8=$(man_src "$man8")
commands=$(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' <<<"$help")
[ -n "$commands" ] || fail "no commands found in --help: $help"
for c in $commands; do
	grep -qE "^\.B $c( |\$)" <<<"$src8" || fail "dnsfailover.8 has no '.B $c' entry for the command $c"
done
for o in $(grep -oE -- '(^|[ [])--?[a-zA-Z][a-z-]*' <<<"$help" | tr -d ' ['); do
	grep -qF -- "$o" <<<"$src8" || fail "dnsfailover.8 does not mention the option $o"
done
codes=$(sed -n 's/.*CMD_EXIT_[A-Z]* = \([0-9]*\).*/\1/p' "$top_srcdir/src/failover/cmd.h")
[ -n "$codes" ] || fail "no exit codes found in src/failover/cmd.h"
exit_section=$(awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on' <<<"$src8")
for c in $codes; do
	grep -qx "\.B $c" <<<"$exit_section" || fail "dnsfailover.8 EXIT STATUS does not list $c"
done
for s in SIGTERM SIGHUP; do
	grep -q "$s" <<<"$src8" || fail "dnsfailover.8 does not describe $s"
done

sys_log "dnsfailover.conf(5): every key the program knows, with its default"
# NAME<TAB>DEFAULT for each key the modules declare (DEFAULT empty when none).
table=$("$top_builddir/tests/system/config_keys")
[ "$(wc -l <<<"$table")" -ge 40 ] || fail "could not list the program's keys: $table"
# KEY<TAB>its paragraph, for each ".TP" / ".B KEY" entry of the KEYS section.
documented=$(man_src "$man5" | awk '
	/^\.SH KEYS/ { on = 1; next }
	/^\.SH/ { if (key != "") print key "\t" text; key = ""; on = 0 }
	!on { next }
	/^\.(TP|SS)/ { if (key != "") print key "\t" text; key = ""; tp = ($0 ~ /^\.TP/); next }
	tp && /^\.B [A-Z0-9_]+$/ { key = $2; text = ""; tp = 0; next }
	{ tp = 0; if (key != "") text = text " " $0 }')
while IFS=$'\t' read -r key def; do
	entry=$(awk -F '\t' -v k="$key" '$1 == k { print $2 }' <<<"$documented")
	[ -n "$entry" ] || fail "dnsfailover.conf.5 does not document the key $key"
	if [ -n "$def" ]; then
		case "$entry " in
		*"Default: $def"[.\ ]*) ;;
		*) fail "dnsfailover.conf.5: $key must say 'Default: $def': $entry" ;;
		esac
	else
		case $entry in
		*"Default:"*) fail "dnsfailover.conf.5: $key has no default in the program but the page gives one: $entry" ;;
		esac
	fi
done <<<"$table"
while IFS=$'\t' read -r key _; do
	grep -q "^$key	" <<<"$table" || fail "dnsfailover.conf.5 documents $key, which the program does not know"
done <<<"$documented"
sys_log "$(wc -l <<<"$table") keys documented"

# ---------------------------------------------------------------------------
sys_log "the init script runs the daemon against the test named"
sys_start_named hmac-sha256
cfg=$T/dnsfailover.env
sys_write_config "$cfg" UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 DNS_TIMEOUT=1 DNS_RETRIES=0
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$cfg" init
pidfile=$T/dnsfailover.pid
INIT=$top_builddir/etc/dnsfailover.init
[ -x "$INIT" ] || fail "$INIT was not built"
# The init script as an init system runs it: a clean environment, plus the
# overrides that point it at the build tree and $T. Sets the array INITRC for
# the configuration file $1.
use_config()
{
	local v
	INITRC=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TMPDIR; do
		[ -z "${!v:-}" ] || INITRC+=("$v=${!v}")
	done
	INITRC+=(DNSFAILOVER_BIN="$DNSFAILOVER" DNSFAILOVER_CONFIG="$1" PIDFILE="$pidfile"
		DNSFAILOVER_DEFAULTS=/dev/null "$INIT")
}
use_config "$cfg"
daemon_pid()
{
	[ -s "$pidfile" ] || fail "no pid file $pidfile"
	head -n 1 "$pidfile"
}
ttl_of_txt()
{
	dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer +time=1 +tries=1 "$RECORD" TXT | awk '{ print $2 }'
}
wait_ttl()
{
	local want=$1 start=$SECONDS
	until [ "$(ttl_of_txt)" = "$want" ]; do
		[ $((SECONDS - start)) -le 6 ] || fail "the lease TXT's TTL is $(ttl_of_txt), expected $want"
		sleep 0.2
	done
}

assert_exit 3 "status before start" -- "${INITRC[@]}" status
assert_contains "$OUT" "not running" "status before start"
assert_exit 0 "start" -- "${INITRC[@]}" start
pid=$(daemon_pid)
_sys_track daemon "$pid" # stopped by sys_cleanup if the test fails
[ -d "/proc/$pid" ] || fail "the daemon (pid $pid) is not running after start"
assert_eq "$(cat "/proc/$pid/comm")" dnsfailover "the pid file's process"
assert_eq "$(ps -o ppid= -p "$pid" | tr -d ' ')" 1 "the daemon is detached (parent)"
assert_exit 0 "status" -- "${INITRC[@]}" status
assert_contains "$OUT" "running (pid $pid)" "status names the pid"
assert_exit 0 "start while running" -- "${INITRC[@]}" start
assert_contains "$OUT" "already running" "a second start"
assert_eq "$(daemon_pid)" "$pid" "a second start keeps the daemon"

sys_log "the daemon renews the lease"
before=$(sys_dig TXT)
assert_contains "$before" "owner=primary" "lease"
wait_ttl 30
start=$SECONDS
until [ "$(sys_dig TXT)" != "$before" ]; do
	[ $((SECONDS - start)) -le 5 ] || fail "the daemon started by the init script does not renew: $before"
	sleep 0.2
done

sys_log "reload: a new DNS_TTL is used by the next renewals"
sed -i 's/^DNS_TTL=30$/DNS_TTL=45/' "$cfg"
grep -qx 'DNS_TTL=45' "$cfg" || fail "could not change DNS_TTL in $cfg"
assert_exit 0 "reload" -- "${INITRC[@]}" reload
wait_ttl 45
assert_eq "$(daemon_pid)" "$pid" "reload keeps the same daemon"
sed -i 's/^DNS_TTL=45$/DNS_TTL=50/' "$cfg"
assert_exit 0 "force-reload" -- "${INITRC[@]}" force-reload
wait_ttl 50
# An invalid file is refused by the daemon: it keeps running on the old one.
echo "DNS_SEVRER=127.0.0.1" >>"$cfg"
assert_exit 0 "reload with an invalid file" -- "${INITRC[@]}" reload
sleep 1.5 # a window: the daemon must not die on the invalid file in it
[ -d "/proc/$pid" ] || fail "the daemon died on an invalid reload"
wait_ttl 50
sed -i '/^DNS_SEVRER=/d' "$cfg"

sys_log "stop"
assert_exit 0 "stop" -- "${INITRC[@]}" stop
for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
[ ! -d "/proc/$pid" ] || fail "the daemon (pid $pid) still runs after stop"
[ ! -e "$pidfile" ] || fail "pid file $pidfile left after stop"
rm -f "$T/run/daemon.pid"
assert_exit 3 "status after stop" -- "${INITRC[@]}" status
assert_contains "$OUT" "not running" "status after stop"
assert_exit 0 "stop when stopped" -- "${INITRC[@]}" stop
assert_exit 7 "reload when stopped" -- "${INITRC[@]}" reload

sys_log "a stale pid file: status 1, start replaces it"
sleep 0 &
dead=$!
wait "$dead" || true
echo "$dead" >"$pidfile"
assert_exit 1 "status with a stale pid file" -- "${INITRC[@]}" status
assert_contains "$OUT" "pid file" "status names the stale pid file"
assert_exit 0 "start over a stale pid file" -- "${INITRC[@]}" start
pid=$(daemon_pid)
_sys_track daemon "$pid"
if [ "$pid" = "$dead" ] || [ ! -d "/proc/$pid" ]; then
	fail "start over a stale pid file did not start a daemon"
fi

sys_log "restart: a new daemon; try-restart"
assert_exit 0 "restart" -- "${INITRC[@]}" restart
new=$(daemon_pid)
_sys_track daemon "$new"
[ "$new" != "$pid" ] || fail "restart kept pid $pid"
[ ! -d "/proc/$pid" ] || fail "restart left the old daemon (pid $pid) running"
assert_exit 0 "status after restart" -- "${INITRC[@]}" status
assert_exit 0 "try-restart" -- "${INITRC[@]}" try-restart
pid=$(daemon_pid)
_sys_track daemon "$pid"
[ "$pid" != "$new" ] || fail "try-restart of a running daemon kept pid $new"
assert_exit 0 "stop" -- "${INITRC[@]}" stop
rm -f "$T/run/daemon.pid"
assert_exit 0 "try-restart when stopped does nothing" -- "${INITRC[@]}" try-restart
assert_exit 3 "status after try-restart of a stopped daemon" -- "${INITRC[@]}" status

sys_log "start with a bad configuration fails and says why"
sys_write_config "$T/bad.env" UPDATE_INTERVAL=10 RENEW_DEADLINE=70 LEASE_TTL=60
use_config "$T/bad.env"
assert_exit 1 "start with a bad configuration" -- "${INITRC[@]}" start
assert_contains "$OUT" "RENEW_DEADLINE" "the reason"
[ ! -s "$pidfile" ] || fail "a pid file after a failed start"
use_config "$T/missing.env"
assert_exit 1 "start without a configuration file" -- "${INITRC[@]}" start
assert_contains "$OUT" "$T/missing.env" "names the missing file"
use_config "$cfg"
assert_exit 2 "an unknown action" -- "${INITRC[@]}" frobnicate
assert_contains "$OUT" "Usage:" "usage"

sys_log "PASS"
