#!/usr/bin/env bash
# The Debian packages, built from this tree (scripts/build-deb, once per source
# state: tests/system/deb.sh), checked by lintian (no error, no warning) and by
# their contents (programs, man pages, conffiles, init scripts, units,
# maintainer scripts; the failover package pulls neither SQLite nor MariaDB),
# then installed with dpkg -i into a Debian 12 minbase file system
# (debootstrap, cached: tests/system/rootfs.sh) with no network and no apt:
# the programs run there; the system user, the state directories and the
# conffiles have their owners and modes; `dnsfailover validate` passes against
# a test named on the host loopback (the chroot shares the network); the init
# script reports 3 before start, starts the daemon (which writes the lease),
# reports 0, stops it (3 again); dnsrecordsd's init script starts it (its API answers)
# and stops it. A reinstall (the upgrade path) restarts a running
# daemon, removal stops it, purge removes the conffiles and the state and
# keeps the administrator's files.
# Skips (77) when not root (chroot, dpkg in the file system) or when no Debian
# mirror is reachable for debootstrap (and no cached file system exists).
set -eu
. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/deb.sh"
. "$top_srcdir/tests/system/rootfs.sh"
. "$top_srcdir/tests/system/records.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (chroot and dpkg -i into a Debian file system)"
	exit 77
fi
sys_require dpkg-buildpackage dpkg-deb lintian chroot unshare flock tar mount named dig tsig-keygen curl
sys_setup
test_start=$SECONDS

# --------------------------------------------------------------------------
sys_log "build the packages (scripts/build-deb)"
# deb_build and rootfs_tarball print their "timing:" lines on stderr.
debs=$(deb_build) || fail "the package build failed (output above)"
arch=$(dpkg --print-architecture)
v=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
ac_v=$(sed -n 's/^AC_INIT(\[[^]]*\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
assert_eq "$v" "$ac_v" "debian/changelog's version and AC_INIT's"
declare -A deb
for p in dnsfailover dnsrecordsd zonepushd; do
	deb[$p]=$debs/${p}_${v}_$arch.deb
	[ -f "${deb[$p]}" ] || fail "no ${deb[$p]} after the build: $(ls "$debs")"
done
changes=$debs/dnsfailover_${v}_$arch.changes
[ -f "$changes" ] || fail "no $changes"
ls "$debs"/dnsfailover_"${v}"_"$arch".buildinfo >/dev/null || fail "no .buildinfo in $debs"

# --------------------------------------------------------------------------
sys_log "lintian: no error, no warning"
t0=$SECONDS
lintian --display-info "$changes" >"$T/lintian.txt" 2>&1 && rc=0 || rc=$?
echo "timing: lintian $((SECONDS - t0))s"
bad=$(grep -E '^[EW]: ' "$T/lintian.txt" || true)
[ -z "$bad" ] || fail "lintian reports errors or warnings:
$bad"
[ "$rc" -eq 0 ] || fail "lintian exited $rc: $(cat "$T/lintian.txt")"
# Every override is explained: a comment line right above each one.
for f in "$top_srcdir"/debian/*.lintian-overrides "$top_srcdir"/debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	awk -v f="${f#"$top_srcdir"/}" '
		/^#/ { c = 1; next }
		/^[[:space:]]*$/ { c = 0; next }
		{ if (!c) { print f ": override without a comment above it: " $0; bad = 1 } }
		END { exit bad }' "$f" || fail "an unexplained lintian override in $f"
done

# --------------------------------------------------------------------------
sys_log "package contents"
# contents PKG: "MODE OWNER PATH" lines (PATH without the leading ./).
contents()
{
	dpkg-deb -c "${deb[$1]}" | awk '{ p = $6; sub(/^\.\//, "/", p); print $1, $2, p }'
}
has()
{
	local pkg=$1 mode=$2 path=$3 line
	line=$(contents "$pkg" | awk -v p="$path" '$3 == p') || true
	[ -n "$line" ] || fail "$pkg: no $path in the package"
	case $line in
	"$mode root/root $path") ;;
	*) fail "$pkg: $path: expected $mode root/root, got: $line" ;;
	esac
}
conffiles()
{
	dpkg-deb -I "${deb[$1]}" conffiles | sort | tr '\n' ' '
}
script_of()
{
	dpkg-deb -I "${deb[$1]}" "$2"
}
member()
{
	dpkg-deb --fsys-tarfile "${deb[$1]}" | tar -xOf - ".$2"
}

has dnsfailover -rwxr-xr-x /usr/sbin/dnsfailover
has dnsfailover -rw-r--r-- /usr/share/man/man8/dnsfailover.8.gz
has dnsfailover -rw-r--r-- /usr/share/man/man5/dnsfailover.conf.5.gz
has dnsfailover -rw-r--r-- /etc/dnsfailover/primary.env
has dnsfailover -rw-r--r-- /etc/dnsfailover/dr.env
has dnsfailover -rw------- /etc/dnsfailover/key.conf.example
has dnsfailover -rwxr-xr-x /etc/init.d/dnsfailover
has dnsfailover -rw-r--r-- /etc/default/dnsfailover
has dnsfailover -rw-r--r-- /lib/systemd/system/dnsfailover.service
for f in "$top_srcdir"/etc/k8s/*.yaml; do
	has dnsfailover -rw-r--r-- "/usr/share/doc/dnsfailover/examples/k8s/${f##*/}"
done
has dnsrecordsd -rwxr-xr-x /usr/sbin/dnsrecordsd
has dnsrecordsd -rwxr-xr-x /usr/sbin/dnsrecordsctl
has dnsrecordsd -rw-r--r-- /usr/share/man/man8/dnsrecordsd.8.gz
has dnsrecordsd -rw-r--r-- /usr/share/man/man8/dnsrecordsctl.8.gz
has dnsrecordsd -rw-r--r-- /etc/dnsrecordsd/dnsrecordsd.conf.example
has dnsrecordsd -rwxr-xr-x /etc/init.d/dnsrecordsd
has dnsrecordsd -rw-r--r-- /lib/systemd/system/dnsrecordsd.service
has zonepushd -rwxr-xr-x /usr/sbin/zonepushd
has zonepushd -rw-r--r-- /usr/share/man/man8/zonepushd.8.gz
has zonepushd -rw-r--r-- /etc/zonepushd/zonepushd.conf
has zonepushd -rwxr-xr-x /etc/init.d/zonepushd
has zonepushd -rw-r--r-- /lib/systemd/system/zonepushd.service
# Each program in exactly one package; nothing under /usr/local or /usr/lib/systemd.
for p in dnsfailover dnsrecordsd zonepushd; do
	odd=$(contents "$p" | awk '$3 ~ "^/usr/local|^/usr/lib/systemd|^/var/"')
	[ -z "$odd" ] || fail "$p installs into unexpected places: $odd"
done
assert_eq "$(contents dnsfailover | awk '$3 ~ "^/usr/sbin/."' | wc -l)" 1 "programs in dnsfailover"
assert_eq "$(contents dnsrecordsd | awk '$3 ~ "^/usr/sbin/."' | wc -l)" 2 "programs in dnsrecordsd"
assert_eq "$(contents zonepushd | awk '$3 ~ "^/usr/sbin/."' | wc -l)" 1 "programs in zonepushd"

assert_eq "$(conffiles dnsfailover)" "/etc/default/dnsfailover /etc/dnsfailover/dr.env /etc/dnsfailover/key.conf.example /etc/dnsfailover/primary.env /etc/init.d/dnsfailover " \
	"dnsfailover conffiles"
assert_eq "$(conffiles dnsrecordsd)" "/etc/default/dnsrecordsd /etc/dnsrecordsd/dnsrecordsd.conf.example /etc/init.d/dnsrecordsd " \
	"dnsrecordsd conffiles"
assert_eq "$(conffiles zonepushd)" "/etc/default/zonepushd /etc/init.d/zonepushd /etc/zonepushd/zonepushd.conf " \
	"zonepushd conffiles"

# The templates are the tree's; the init script and unit carry Debian's paths.
member dnsfailover /etc/dnsfailover/primary.env | cmp -s - "$top_srcdir/etc/primary.env" ||
	fail "the packaged primary.env differs from etc/primary.env"
member dnsfailover /etc/dnsfailover/dr.env | cmp -s - "$top_srcdir/etc/dr.env" ||
	fail "the packaged dr.env differs from etc/dr.env"
member dnsfailover /etc/dnsfailover/key.conf.example | cmp -s - "$top_srcdir/etc/key-example.conf" ||
	fail "the packaged key.conf.example differs from etc/key-example.conf"
unit=$(member dnsfailover /lib/systemd/system/dnsfailover.service)
assert_contains "$unit" "ExecStart=/usr/sbin/dnsfailover -c /etc/dnsfailover/dnsfailover.env run" "dnsfailover.service"
initd=$(member dnsfailover /etc/init.d/dnsfailover)
# shellcheck disable=SC2016 # the init script's own ${...}
assert_contains "$initd" 'DAEMON=${DNSFAILOVER_BIN:-/usr/sbin/dnsfailover}' "the init script's program"
# shellcheck disable=SC2016 # the init script's own ${...}
assert_contains "$initd" 'DEFAULTS=${DNSFAILOVER_DEFAULTS:-/etc/default/dnsfailover}' "the init script's defaults file"
assert_contains "$(member zonepushd /lib/systemd/system/zonepushd.service)" \
	"ExecStart=/usr/sbin/zonepushd -c /etc/zonepushd/zonepushd.conf" "zonepushd.service"
assert_contains "$(member dnsrecordsd /lib/systemd/system/dnsrecordsd.service)" \
	"ExecStart=/usr/sbin/dnsrecordsd -c /etc/dnsrecordsd/dnsrecordsd.conf" "dnsrecordsd.service"

# Maintainer scripts: registered but neither enabled nor started on install.
for p in dnsfailover dnsrecordsd zonepushd; do
	for s in postinst prerm postrm; do
		script_of "$p" "$s" >"$T/$p.$s" || fail "$p has no $s"
		sh -n "$T/$p.$s" || fail "$p $s: syntax error"
	done
	grep -q "update-rc.d $p defaults-disabled" "$T/$p.postinst" || fail "$p postinst: no 'update-rc.d $p defaults-disabled'"
	grep -q "deb-systemd-helper.*$p.service" "$T/$p.postinst" || fail "$p postinst: the unit is not registered"
	if grep -E "invoke-rc.d[^|]* $p (start|restart)|deb-systemd-invoke (start|restart)" "$T/$p.postinst"; then
		fail "$p postinst starts the service on installation"
	fi
	grep -q "invoke-rc.d $p stop" "$T/$p.prerm" || fail "$p prerm does not stop the daemon"
	grep -q "update-rc.d $p remove" "$T/$p.postrm" || fail "$p postrm does not unregister the init script"
done
grep -q 'adduser --system' "$T/dnsfailover.postinst" || fail "dnsfailover postinst: no system user"
grep -q 'rm -rf /var/lib/dnsfailover' "$T/dnsfailover.postrm" || fail "dnsfailover postrm: purge keeps the state"

# The split: only zonepushd pulls SQLite and the MariaDB client library.
for p in dnsfailover dnsrecordsd; do
	d=$(dpkg-deb -f "${deb[$p]}" Depends)
	assert_not_contains "$d" libmariadb "$p Depends"
	assert_not_contains "$d" libsqlite "$p Depends"
done
d=$(dpkg-deb -f "${deb[zonepushd]}" Depends)
assert_contains "$d" libmariadb3 "zonepushd Depends"
assert_contains "$d" libsqlite3-0 "zonepushd Depends"
assert_contains "$(dpkg-deb -f "${deb[dnsfailover]}" Depends)" adduser "dnsfailover Depends"

# --------------------------------------------------------------------------
sys_log "a Debian 12 minbase file system (debootstrap, cached)"
# shellcheck disable=SC2119 # no extra packages
tarball=$(rootfs_tarball) && rc=0 || rc=$?
if [ "$rc" -eq 77 ]; then
	echo "SKIP: no Debian file system: debootstrap cannot run or reach a mirror (message above)"
	exit 77
fi
[ "$rc" -eq 0 ] || fail "rootfs_tarball failed (status $rc)"
R=$T/root
mkdir "$R"
t0=$SECONDS
tar --numeric-owner -xzf "$tarball" -C "$R" || fail "cannot unpack $tarball into $R"
echo "timing: unpack the file system $((SECONDS - t0))s"

# Mounted for the daemon and the init script (/proc/PID/comm); unmounted in
# cleanup, before $T is removed.
umount_root()
{
	_sys_stop daemon 5 || true
	_rootfs_umount "$R"
}
sys_at_cleanup umount_root
mount -t proc proc "$R/proc" || fail "cannot mount /proc in $R"

# $IR CMD...: CMD in the file system, with a clean environment (a program,
# so that assert_exit can run it).
IR=$T/in-root
printf '#!/bin/sh\nexec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 '%s' '%s' "$@"\n' \
	"$(command -v chroot)" "$R" >"$IR"
chmod 755 "$IR"
in_root()
{
	"$IR" "$@"
}
# Nothing may be started by the maintainer scripts.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"

sys_log "dpkg -i (no network, no apt)"
mkdir "$R/tmp/debs"
cp "${deb[dnsfailover]}" "${deb[dnsrecordsd]}" "${deb[zonepushd]}" "$R/tmp/debs/"
# In a network namespace of its own (loopback only): the file system holds
# everything the packages need, nothing is fetched.
SYS_CMD_TIMEOUT=120 assert_exit 0 "dpkg -i of the three packages, without network" -- \
	unshare --net "$IR" sh -c 'dpkg -i /tmp/debs/*.deb'
assert_not_contains "$OUT" "warning" "dpkg -i"
for p in dnsfailover dnsrecordsd zonepushd; do
	# shellcheck disable=SC2016 # dpkg-query's ${...}
	assert_eq "$(in_root dpkg-query -W -f '${Status} ${Version}' "$p")" "install ok installed $v" "$p status"
done
# procs_in_root: the pids of the processes whose root directory is $R.
procs_in_root()
{
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/root" 2>/dev/null)" = "$R" ] && echo "${d#/proc/}"
	done
	return 0
}
[ -z "$(procs_in_root)" ] || fail "installing the packages started processes: $(procs_in_root)"
[ ! -e "$R/run/dnsfailover.pid" ] || fail "installing the package started the daemon"

sys_log "the programs run in the file system"
assert_exit 0 "dnsfailover --version" -- "$IR" dnsfailover --version
assert_eq "$OUT" "dnsfailover $v" "dnsfailover --version"
assert_exit 0 "zonepushd -V" -- "$IR" zonepushd -V
assert_eq "$OUT" "zonepushd $v" "zonepushd -V"
assert_exit 0 "dnsrecordsd -k" -- "$IR" dnsrecordsd -k
assert_contains "$OUT" "tokens_file" "dnsrecordsd -k lists its keys"
assert_exit 2 "dnsrecordsctl without a command" -- "$IR" dnsrecordsctl
assert_contains "$OUT" "usage: dnsrecordsctl" "dnsrecordsctl usage"
assert_exit 0 "man page" -- "$IR" sh -c 'zcat /usr/share/man/man8/dnsfailover.8.gz | head -n 5'
assert_contains "$OUT" ".TH" "dnsfailover.8"

sys_log "the system user, state directories and conffile modes"
pw=$(in_root getent passwd dnsfailover) || fail "no user dnsfailover in the file system"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$uid" -lt 1000 ] || fail "dnsfailover is not a system user (uid $uid)"
assert_eq "$home" /var/lib/dnsfailover "the user's home"
assert_eq "$shell" /usr/sbin/nologin "the user's shell"
assert_eq "$(in_root getent group dnsfailover | cut -d: -f3)" "$gid" "the user's group"
assert_eq "$(in_root stat -c '%U:%G %a' /var/lib/dnsfailover)" "dnsfailover:dnsfailover 700" "/var/lib/dnsfailover"
assert_eq "$(in_root stat -c '%U:%G %a' /var/lib/zonepushd)" "root:root 700" "/var/lib/zonepushd"
assert_eq "$(in_root stat -c '%U:%G %a' /var/log/dnsrecordsd)" "root:root 700" "/var/log/dnsrecordsd"
assert_eq "$(in_root stat -c '%U:%G %a' /etc/dnsfailover/key.conf.example)" "root:root 600" "key.conf.example"
for f in /etc/dnsfailover/primary.env /etc/dnsfailover/dr.env /etc/default/dnsfailover /etc/zonepushd/zonepushd.conf \
	/etc/dnsrecordsd/dnsrecordsd.conf.example; do
	assert_eq "$(in_root stat -c '%U:%G %a' "$f")" "root:root 644" "$f"
done
assert_eq "$(in_root stat -c '%a' /etc/init.d/dnsfailover)" 755 "/etc/init.d/dnsfailover"
# shellcheck disable=SC2016 # dpkg-query's ${...}
cf=$(in_root dpkg-query -W -f '${Conffiles}' dnsfailover)
for f in /etc/dnsfailover/primary.env /etc/dnsfailover/dr.env /etc/dnsfailover/key.conf.example \
	/etc/default/dnsfailover /etc/init.d/dnsfailover; do
	assert_contains "$cf" " $f " "dpkg's conffiles of dnsfailover"
done
# Registered with update-rc.d, disabled: stop links only.
for l in 0 1 2 3 4 5 6; do
	for p in dnsfailover dnsrecordsd zonepushd; do
		ls "$R/etc/rc$l.d/"K??"$p" >/dev/null 2>&1 || fail "no /etc/rc$l.d/K??$p link"
		! ls "$R/etc/rc$l.d/"S??"$p" >/dev/null 2>&1 || fail "/etc/rc$l.d/S??$p: enabled on installation"
	done
done

# --------------------------------------------------------------------------
sys_log "dnsfailover validate in the file system against named on the host loopback"
sys_start_named hmac-sha256
install -m 600 "$KEYFILE" "$R/etc/dnsfailover/tsig.key"
sys_write_config "$R/etc/dnsfailover/dnsfailover.env" TSIG_KEYFILE=/etc/dnsfailover/tsig.key \
	UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 DNS_TIMEOUT=1 DNS_RETRIES=0
assert_exit 0 "validate" -- "$IR" \
	dnsfailover -c /etc/dnsfailover/dnsfailover.env validate
assert_contains "$OUT" "configuration OK" "validate"
assert_not_contains "$OUT" "[FAIL]" "validate"
# validate reads the key where the package's paths say, with its mode rule.
chmod 644 "$R/etc/dnsfailover/tsig.key"
assert_exit 1 "validate with a key file others can read" -- "$IR" \
	dnsfailover -c /etc/dnsfailover/dnsfailover.env validate
assert_contains "$OUT" "/etc/dnsfailover/tsig.key" "validate names the key file"
chmod 600 "$R/etc/dnsfailover/tsig.key"
assert_exit 0 "init" -- "$IR" dnsfailover -c /etc/dnsfailover/dnsfailover.env init

sys_log "the init scripts in the file system"
for p in dnsrecordsd zonepushd; do
	assert_exit 3 "$p status (not running)" -- "$IR" "/etc/init.d/$p" status
done
INITD=("$IR" /etc/init.d/dnsfailover)
assert_exit 3 "status before start" -- "${INITD[@]}" status
assert_contains "$OUT" "not running" "status before start"
assert_exit 0 "start" -- "${INITD[@]}" start
pid=$(head -n 1 "$R/run/dnsfailover.pid") || fail "no /run/dnsfailover.pid in the file system after start"
_sys_track daemon "$pid"
assert_eq "$(readlink "/proc/$pid/root")" "$R" "the daemon's root directory"
assert_exit 0 "status" -- "${INITD[@]}" status
assert_contains "$OUT" "running (pid $pid)" "status"
before=$(sys_dig TXT)
assert_contains "$before" "owner=primary" "the lease the daemon holds"
renewed()
{
	[ "$(sys_dig TXT)" != "$before" ]
}
sys_wait_for 6 "the daemon started by /etc/init.d/dnsfailover renews the lease" renewed
assert_exit 0 "stop" -- "${INITD[@]}" stop
for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
[ ! -d "/proc/$pid" ] || fail "the daemon (pid $pid) still runs after stop"
assert_exit 3 "status after stop" -- "${INITD[@]}" status
assert_contains "$OUT" "not running" "status after stop"
assert_exit 0 "start again" -- "${INITD[@]}" start
pid=$(head -n 1 "$R/run/dnsfailover.pid") || fail "no /run/dnsfailover.pid after the second start"
_sys_track daemon "$pid"

sys_log "dnsrecordsd started by its init script in the file system"
REC_PORT=$(sys_free_port)
tok=$TOK_PROV
(
	umask 077
	echo "provisioner $tok example.test read,write,delete" >"$R/etc/dnsrecordsd/tokens"
	cp "$KEYFILE" "$R/etc/dnsrecordsd/records-key.conf"
)
rec_installed_config "$REC_PORT" >"$R/etc/dnsrecordsd/dnsrecordsd.conf"
RINITD=("$IR" /etc/init.d/dnsrecordsd)
assert_exit 0 "dnsrecordsd -n" -- "$IR" dnsrecordsd -n
assert_exit 0 "dnsrecordsd start" -- "${RINITD[@]}" start
rpid=$(cat "$R/run/dnsrecordsd.pid") || fail "no /run/dnsrecordsd.pid in the file system"
_sys_track dnsrecordsd "$rpid"
assert_exit 0 "dnsrecordsd status" -- "${RINITD[@]}" status
rec_up()
{
	curl -fs -o /dev/null --max-time 2 -H "Authorization: Bearer $tok" \
		"http://127.0.0.1:$REC_PORT/api/v1/dns/records"
}
sys_wait_for 5 "dnsrecordsd (started by /etc/init.d/dnsrecordsd) answers" rec_up
assert_exit 0 "dnsrecordsd stop" -- "${RINITD[@]}" stop
assert_exit 3 "dnsrecordsd status after stop" -- "${RINITD[@]}" status
rm -f "$T/run/dnsrecordsd.pid"
[ -s "$R/var/log/dnsrecordsd/dnsrecordsd.log" ] || [ -e "$R/var/log/dnsrecordsd/audit.log" ] ||
	fail "dnsrecordsd wrote nothing under /var/log/dnsrecordsd"

sys_log "zonepushd started by its init script in the file system"
ZP_PORT=$(sys_free_port)
(
	umask 077
	echo "zp-secret-0123456789" >"$R/etc/zonepushd/password"
	cp "$KEYFILE" "$R/etc/zonepushd/update.key"
)
cp "$R/etc/zonepushd/zonepushd.conf" "$T/zonepushd.conf.packaged"
# The packaged file's bind backend needs rndc, which minbase lacks: an RFC 2136
# primary (the test named) instead.
cat >"$R/etc/zonepushd/zonepushd.conf" <<EOF
listen = 127.0.0.1:$ZP_PORT
user = directadmin
password_file = /etc/zonepushd/password
state_db = /var/lib/zonepushd/queue.db

[backend primary]
type = rfc2136
server = 127.0.0.1
port = $NAMED_PORT
key_file = /etc/zonepushd/update.key
EOF
ZINITD=("$IR" /etc/init.d/zonepushd)
assert_exit 0 "zonepushd start" -- "${ZINITD[@]}" start
zpid=$(cat "$R/run/zonepushd.pid") || fail "no /run/zonepushd.pid in the file system"
_sys_track zonepushd "$zpid"
assert_eq "$(readlink "/proc/$zpid/root")" "$R" "zonepushd's root directory"
zp_up()
{
	curl -fs --max-time 2 -u "directadmin:zp-secret-0123456789" \
		"http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST" | grep -q Login
}
sys_wait_for 5 "zonepushd (started by /etc/init.d/zonepushd) answers DirectAdmin's login test" zp_up
assert_exit 0 "zonepushd status" -- "${ZINITD[@]}" status
assert_contains "$OUT" "running (pid $zpid)" "zonepushd status names the pid"
[ -s "$R/var/lib/zonepushd/queue.db" ] || fail "zonepushd made no queue under /var/lib/zonepushd"
assert_exit 0 "zonepushd stop" -- "${ZINITD[@]}" stop
for _ in $(seq 50); do [ -d "/proc/$zpid" ] || break; sleep 0.1; done
[ ! -d "/proc/$zpid" ] || fail "zonepushd (pid $zpid) still runs after stop"
assert_exit 3 "zonepushd status after stop" -- "${ZINITD[@]}" status
cp "$T/zonepushd.conf.packaged" "$R/etc/zonepushd/zonepushd.conf"

sys_log "a reinstall (the upgrade path) restarts the running daemon; removal stops it"
# Allow the maintainer scripts' invoke-rc.d now.
printf '#!/bin/sh\nexit 0\n' >"$R/usr/sbin/policy-rc.d"
SYS_CMD_TIMEOUT=120 assert_exit 0 "dpkg -i again" -- "$IR" dpkg -i "/tmp/debs/${deb[dnsfailover]##*/}"
new=$(head -n 1 "$R/run/dnsfailover.pid") || fail "no pid file after the reinstall: $OUT"
_sys_track daemon "$new"
[ "$new" != "$pid" ] || fail "the reinstall did not restart the daemon (pid $pid): $OUT"
for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
[ ! -d "/proc/$pid" ] || fail "the old daemon (pid $pid) still runs after the reinstall"
assert_exit 0 "status after the reinstall" -- "${INITD[@]}" status
assert_exit 0 "the operator's configuration survives" -- test -f "$R/etc/dnsfailover/dnsfailover.env"
SYS_CMD_TIMEOUT=60 assert_exit 0 "dpkg -r dnsfailover" -- "$IR" dpkg -r dnsfailover
for _ in $(seq 100); do [ -d "/proc/$new" ] || break; sleep 0.1; done
[ ! -d "/proc/$new" ] || fail "the daemon (pid $new) still runs after dpkg -r"
rm -f "$T/run/daemon.pid"
[ ! -e "$R/usr/sbin/dnsfailover" ] || fail "dpkg -r left /usr/sbin/dnsfailover"
[ -f "$R/etc/dnsfailover/primary.env" ] || fail "dpkg -r removed a conffile (only purge does)"
[ -d "$R/var/lib/dnsfailover" ] || fail "dpkg -r removed the state (only purge does)"

sys_log "dpkg --purge"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
SYS_CMD_TIMEOUT=60 assert_exit 0 "dpkg --purge" -- "$IR" dpkg --purge dnsfailover dnsrecordsd zonepushd
for f in /usr/sbin/dnsfailover /usr/sbin/dnsrecordsd /usr/sbin/dnsrecordsctl /usr/sbin/zonepushd \
	/etc/dnsfailover/primary.env /etc/dnsfailover/dr.env /etc/dnsfailover/key.conf.example \
	/etc/default/dnsfailover /etc/default/dnsrecordsd /etc/default/zonepushd \
	/etc/init.d/dnsfailover /etc/init.d/dnsrecordsd /etc/init.d/zonepushd \
	/lib/systemd/system/dnsfailover.service /etc/zonepushd/zonepushd.conf /etc/dnsrecordsd/dnsrecordsd.conf.example \
	/var/lib/dnsfailover /var/lib/zonepushd /var/log/dnsrecordsd \
	/usr/share/doc/dnsfailover /usr/share/man/man8/dnsfailover.8.gz; do
	[ ! -e "$R$f" ] || fail "dpkg --purge left $f"
done
left=$(find "$R"/etc/rc?.d \( -name '*dnsfailover' -o -name '*dnsrecordsd' -o -name '*zonepushd' \) -print)
[ -z "$left" ] || fail "dpkg --purge left init links: $left"
# The administrator's files stay, and so does the system user.
assert_eq "$(find "$R/etc/dnsfailover" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "dnsfailover.env tsig.key " \
	"/etc/dnsfailover after purge (the administrator's files only)"
assert_eq "$(find "$R/etc/dnsrecordsd" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
	"dnsrecordsd.conf records-key.conf tokens " "/etc/dnsrecordsd after purge (the administrator's files only)"
assert_eq "$(find "$R/etc/zonepushd" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
	"password update.key " "/etc/zonepushd after purge (the administrator's files only)"
in_root getent passwd dnsfailover >/dev/null || fail "purge removed the system user"
if in_root dpkg-query -W dnsfailover >/dev/null 2>&1; then
	fail "dpkg still knows dnsfailover after purge"
fi

echo "timing: test_deb_package.sh $((SECONDS - test_start))s"
sys_log "PASS"
