#!/usr/bin/env bash
# The container image under a private Docker Engine, deployed as the seed's
# operators deploy it: scripts/build-image (base imported from the debootstrap
# tarball, the project's .debs, docker build; each step timed), the image's
# settings (non-root user, HEALTHCHECK, entrypoint), then a primary and a DR
# container (--network host, env files, the TSIG key mounted read-only)
# against the test named on the host loopback, and the DR's watcher as its
# own container (`IMAGE watch`, the engine's socket mounted, --group-add of
# the socket's group) starting and stopping a collector container. Through a
# failover (the primary container killed, its health target down) and a
# failback (the container started again, `docker exec ... failback`): A and
# TXT in named, `docker exec ... show`, the health status, docker logs, a
# clean `docker stop` (step-down, exit 0), and dnsrecordsd from the same image.
set -eu
. "$top_srcdir/tests/system/failover.sh"
. "$top_srcdir/tests/system/docker.sh"
. "$top_srcdir/tests/system/records.sh"
# shellcheck disable=SC2119 # no extra config keys
fo_begin
# After the engine has stopped (hooks run last registered first): the engine
# leaves the host network's namespace mounted under its exec root.
unmount_netns()
{
	! mountpoint -q "$T/dk/exec/netns/default" 2>/dev/null || umount "$T/dk/exec/netns/default"
}
sys_at_cleanup unmount_netns
dk_start
dk_image

IMG=dnsfailover-test/image:1

# Before the engine stops: every container's docker logs into $T/ctr-NAME.log,
# which sys_cleanup shows when the test fails.
save_container_logs()
{
	local c
	for c in primary dr watcher watcher-nogroup records; do
		dk logs "$c" >"$T/ctr-$c.log" 2>&1 || rm -f "$T/ctr-$c.log"
	done
}
sys_at_cleanup save_container_logs

# dkt CMD...: the docker CLI bounded to 60 s, for the calls that wait on a
# container (run, start, stop, kill): an engine that hangs fails the test.
dkt()
{
	timeout -k 5 60 docker -H "unix://$DK_SOCK" "$@"
}
CKEY=/etc/dnsfailover/tsig.key

# The cached inputs: the debootstrap tarball and the .debs of this tree.
if [ -z "${ROOTFS_TARBALL:-}" ]; then
	[ -f "$top_srcdir/tests/system/rootfs.sh" ] || {
		echo "SKIP: the base cannot be built: tests/system/rootfs.sh is missing and ROOTFS_TARBALL is not set"
		exit 77
	}
	# shellcheck source=tests/system/rootfs.sh
	. "$top_srcdir/tests/system/rootfs.sh"
	t0=$(date +%s%3N)
	# shellcheck disable=SC2119 # no extra packages
	ROOTFS_TARBALL=$(rootfs_tarball) || {
		echo "SKIP: the base cannot be built: rootfs_tarball (debootstrap --variant=minbase bookworm) failed"
		exit 77
	}
	echo "timing: rootfs tarball $(($(date +%s%3N) - t0)) ms ($ROOTFS_TARBALL)"
fi
if [ -z "${DEBS_DIR:-}" ]; then
	[ -f "$top_srcdir/tests/system/deb.sh" ] || fail "tests/system/deb.sh is missing and DEBS_DIR is not set"
	# shellcheck source=tests/system/deb.sh
	. "$top_srcdir/tests/system/deb.sh"
	t0=$(date +%s%3N)
	DEBS_DIR=$(deb_build) || fail "deb_build could not build the packages"
	echo "timing: deb_build $(($(date +%s%3N) - t0)) ms ($DEBS_DIR)"
fi
export ROOTFS_TARBALL DEBS_DIR

sys_log "scripts/build-image $IMG"
t0=$(date +%s%3N)
SYS_CMD_TIMEOUT=600 assert_exit 0 "scripts/build-image" -- \
	env BASE_IMAGE=dnsfailover-test/base:bookworm "$top_srcdir/scripts/build-image" "$IMG"
build_ms=$(($(date +%s%3N) - t0))
grep '^timing: ' <<<"$OUT" || fail "scripts/build-image printed no timing lines: $OUT"
echo "timing: scripts/build-image in all $build_ms ms"
grep -q '^timing: base import [0-9.]* s (' <<<"$OUT" || fail "no base import timing: $OUT"
grep -q '^timing: docker build [0-9.]* s (' <<<"$OUT" || fail "no docker build timing: $OUT"

sys_log "a second build: the base is already in the engine"
SYS_CMD_TIMEOUT=600 assert_exit 0 "scripts/build-image again" -- \
	env BASE_IMAGE=dnsfailover-test/base:bookworm "$top_srcdir/scripts/build-image" "$IMG"
assert_contains "$OUT" "timing: base import 0.0 s (skipped: dnsfailover-test/base:bookworm is already in the engine)" \
	"the cached base"

sys_log "the image's settings"
user=$(dk image inspect -f '{{.Config.User}}' "$IMG")
case $user in
'' | root | 0 | 0:*) fail "the image runs as root (User '$user')" ;;
esac
assert_eq "$(dk image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMG")" \
	'["CMD","/usr/local/lib/dnsfailover/healthcheck"]' "Healthcheck"
assert_eq "$(dk image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMG")" \
	'["/usr/local/lib/dnsfailover/entrypoint"] ["run"]' "Entrypoint and Cmd"
assert_eq "$(dk image inspect -f '{{.Config.StopSignal}}' "$IMG")" SIGTERM "StopSignal"
uid=$(dkt run --rm --network none "$IMG" id -u)
gid=$(dkt run --rm --network none "$IMG" id -g)
[ "$uid" != 0 ] || fail "the container user is uid 0"
assert_eq "$(dkt run --rm --network none "$IMG" --version)" \
	"dnsfailover $(sed -n 's/^AC_INIT(\[[^]]*\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")" \
	"dnsfailover --version in the image"
for prog in dnsrecordsd zonepushd; do
	dkt run --rm --network none "$IMG" sh -c "command -v $prog" >/dev/null ||
		fail "$prog is not in the image"
done
assert_eq "$(dkt run --rm --network none "$IMG" stat -c '%U %a' /var/lib/dnsfailover)" \
	"$(dkt run --rm --network none "$IMG" id -un) 700" "/var/lib/dnsfailover"
dkt run --rm --network none "$IMG" touch /var/lib/dnsfailover/probe ||
	fail "/var/lib/dnsfailover is not writable by the container user"
# As etc/k8s/ runs it: another uid, a read-only root file system.
assert_eq "$(dkt run --rm --network none --user 10001:10001 --read-only "$IMG" --version)" \
	"$(dkt run --rm --network none "$IMG" --version)" "--version as uid 10001, read-only"
sys_log "user $user (uid $uid gid $gid)"
# The health check's failures say why.
HC=/usr/local/lib/dnsfailover/healthcheck
assert_exit 1 "the health check without METRICS_LISTEN" -- \
	docker -H "unix://$DK_SOCK" run --rm --network none "$IMG" "$HC"
assert_contains "$OUT" "METRICS_LISTEN is not set, nothing to probe" "the health check's reason"
closed=$(sys_free_port)
assert_exit 1 "the health check of a closed port" -- docker -H "unix://$DK_SOCK" run --rm \
	--network host -e "METRICS_LISTEN=0.0.0.0:$closed" "$IMG" "$HC"
assert_contains "$OUT" "cannot connect to 127.0.0.1 port $closed" "the health check's reason"

# The key, owned by the container's user, mode 600, mounted read-only; the
# env files with the container's key path and each its own /healthz port.
install -m 600 -o "$uid" -g "$gid" "$KEYFILE" "$T/ctr-key.conf"
PPORT=$(sys_free_port)
DPORT=$(sys_free_port)
sed -e "s|^TSIG_KEYFILE=.*|TSIG_KEYFILE=$CKEY|" "$T/primary.env" >"$T/primary.ctr.env"
echo "METRICS_LISTEN=127.0.0.1:$PPORT" >>"$T/primary.ctr.env"
sed -e "s|^TSIG_KEYFILE=.*|TSIG_KEYFILE=$CKEY|" "$T/dr.env" >"$T/dr.ctr.env"
echo "METRICS_LISTEN=127.0.0.1:$DPORT" >>"$T/dr.ctr.env"
site_args=(--init --network host --stop-timeout 30 --health-interval 1s --health-timeout 3s
	--health-retries 2 -v "$T/ctr-key.conf:$CKEY:ro")

# show SITE: the JSON of `docker exec SITE dnsfailover show`.
show()
{
	timeout 15 docker -H "unix://$DK_SOCK" exec "$1" dnsfailover show
}
# owner_is SITE OWNER: show in container SITE reports OWNER.
owner_is()
{
	show "$1" 2>/dev/null | grep -q "^  \"owner\": \"$2\",\$"
}
health()
{
	dk inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null
}
healthy()
{
	[ "$(health "$1")" = healthy ]
}
running_c()
{
	[ "$(dk_running "$1")" = true ]
}
logs_have()
{
	dk logs "$1" 2>&1 | grep -qF -- "$2"
}
# logs_count SITE TEXT N: SITE's docker logs hold TEXT at least N times.
logs_count()
{
	[ "$(dk logs "$1" 2>&1 | grep -cF -- "$2")" -ge "$3" ]
}
# zone_is IP SITE: named's A is IP and its TXT names SITE.
zone_is()
{
	[ "$(sys_dig A)" = "$1" ] && sys_dig TXT | grep -q "$2"
}

sys_log "init in a one-off container, then the primary"
SYS_CMD_TIMEOUT=30 assert_exit 0 "init" -- docker -H "unix://$DK_SOCK" run --rm --network host \
	-v "$T/ctr-key.conf:$CKEY:ro" --env-file "$T/primary.ctr.env" "$IMG" init
dkt run -d --name primary "${site_args[@]}" --env-file "$T/primary.ctr.env" "$IMG" >/dev/null
sys_wait_for 15 "the primary logs ACTIVE" logs_have primary "Site is now ACTIVE"
zone_is 192.0.2.10 primary || fail "named after init: A $(sys_dig A), TXT $(sys_dig TXT)"
show primary >"$T/show.json" || fail "docker exec primary dnsfailover show failed"
grep -q '"A": "192.0.2.10"' "$T/show.json" || fail "show: $(cat "$T/show.json")"
t0=$SECONDS
sys_wait_for 20 "the primary container healthy (now $(health primary))" healthy primary
sys_log "primary healthy after $((SECONDS - t0)) s: $(dk inspect -f '{{(index .State.Health.Log 0).Output}}' primary)"

sys_log "the DR site: its daemon and its watcher, each a container"
dk_collector collector-dr
sockgid=$(stat -c %g "$DK_SOCK")
dkt run -d --name dr "${site_args[@]}" --env-file "$T/dr.ctr.env" "$IMG" >/dev/null
dkt run -d --name watcher --init --network host --stop-timeout 30 --no-healthcheck \
	--group-add "$sockgid" -v "$DK_SOCK:/var/run/docker.sock" -v "$T/ctr-key.conf:$CKEY:ro" \
	-e "DNS_RECORD=$RECORD" -e MY_IP=192.0.2.20 -e OTEL_CONTAINER=collector-dr \
	-e DNS_SERVER=127.0.0.1 -e "DNS_PORT=$NAMED_PORT" -e "TSIG_KEYFILE=$CKEY" \
	-e OTEL_CHECK_INTERVAL=1 "$IMG" watch >/dev/null
sys_wait_for 15 "the watcher sees the primary active" logs_have watcher "this site is not active"
# Without --group-add the container's user cannot reach the socket: the
# watcher says so.
dkt run -d --name watcher-nogroup --init --network host --no-healthcheck \
	-v "$DK_SOCK:/var/run/docker.sock" -v "$T/ctr-key.conf:$CKEY:ro" \
	-e "DNS_RECORD=$RECORD" -e MY_IP=192.0.2.10 -e OTEL_CONTAINER=collector-dr \
	-e DNS_SERVER=127.0.0.1 -e "DNS_PORT=$NAMED_PORT" -e "TSIG_KEYFILE=$CKEY" \
	-e OTEL_CHECK_INTERVAL=1 "$IMG" watch >/dev/null
sys_wait_for 15 "the watcher without the socket's group reports it" \
	logs_have watcher-nogroup "no permission to use socket /var/run/docker.sock"
sys_log "without --group-add: $(dk logs watcher-nogroup 2>&1 | grep -m1 "no permission")"
dkt rm -f watcher-nogroup >/dev/null
sys_wait_for 20 "the DR container healthy (now $(health dr))" healthy dr
sleep 2 # a window: the DR's collector must not start in it
running_c collector-dr && fail "collector-dr runs while the primary is active"
owner_is dr primary || fail "show in the DR container: $(show dr)"

sys_log "failover: the primary container killed and its health target down"
dkt kill primary >/dev/null
sys_collector_mode primary down
t0=$SECONDS
sys_wait_for 30 "the DR owns the lease (show in the DR container)" owner_is dr dr
sys_wait_for 5 "named's A and TXT for the DR" zone_is 192.0.2.20 dr
sys_wait_for 15 "collector-dr started by the watcher container" running_c collector-dr
sys_log "failover after $((SECONDS - t0)) s; collector-dr running"
logs_have dr "Site is now ACTIVE" || fail "the DR's docker logs lack 'Site is now ACTIVE'"
sys_wait_for 5 "the watcher's docker logs: collector-dr started" \
	logs_have watcher "Watcher: collector started"

sys_log "failback: the primary container started again, then failback in it"
sys_collector_mode primary up
dkt start primary >/dev/null
sys_wait_for 15 "the restarted primary leaves the DR's lease alone" \
	logs_have primary "DR currently owns lease - not overwriting"
owner_is primary dr || fail "the lease moved without a failback: $(show primary)"
SYS_CMD_TIMEOUT=30 assert_exit 0 "docker exec primary dnsfailover failback" -- \
	docker -H "unix://$DK_SOCK" exec primary dnsfailover failback
assert_contains "$OUT" "FAILBACK: Restored primary as active, A=192.0.2.10" "failback's line"
sys_wait_for 5 "named's A and TXT for the primary" zone_is 192.0.2.10 primary
sys_wait_for 5 "show reports the primary" owner_is primary primary
sys_wait_for 15 "collector-dr stopped by the watcher container" eval '! running_c collector-dr'
sys_wait_for 5 "the watcher's docker logs: collector-dr stopped" \
	logs_have watcher "Watcher: collector stopped"
sys_wait_for 20 "the restarted primary healthy (now $(health primary))" healthy primary
sys_wait_for $((FO_D + 5)) "the DR standing by" logs_have dr "Site is now STANDBY"
sys_wait_for $((FO_D + 5)) "the primary active again (break before make)" \
	logs_count primary "Site is now ACTIVE" 2

sys_log "docker stop: the active primary steps down and exits 0"
t0=$(date +%s%3N)
dkt stop primary >/dev/null
stop_ms=$(($(date +%s%3N) - t0))
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' primary)" 0 "the primary's exit status after docker stop"
logs_have primary "stepping down (shutting down)" || fail "no step-down line in docker logs primary:
$(dk logs --tail 20 primary 2>&1)"
dkt stop watcher >/dev/null
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' watcher)" 0 "the watcher's exit status after docker stop"
dkt stop dr >/dev/null
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' dr)" 0 "the DR's exit status after docker stop"
dk logs primary >"$T/primary-container.log" 2>&1
dk logs dr >"$T/dr-container.log" 2>&1
sys_log "docker stop of the primary took $stop_ms ms; $(wc -l <"$T/primary-container.log") log lines from the primary, $(wc -l <"$T/dr-container.log") from the DR"
sys_log "dnsrecordsd in the same image: its command, its configuration mounted, HEALTHCHECK_URL"
RPORT=$(sys_free_port)
mkdir -p "$T/recs"
printf 'provisioner %s example.test read,write,delete\n' \
	"$TOK_PROV" >"$T/recs/tokens"
rec_installed_config "$RPORT" >"$T/recs/dnsrecordsd.conf"
install -m 600 -o "$uid" -g "$gid" "$KEYFILE" "$T/recs/records-key.conf"
chown "$uid:$gid" "$T/recs/tokens" "$T/recs/dnsrecordsd.conf"
chmod 600 "$T/recs/tokens" "$T/recs/dnsrecordsd.conf"
dkt run -d --name records --init --network host --stop-timeout 30 --health-interval 1s \
	--health-retries 2 -e "HEALTHCHECK_URL=http://127.0.0.1:$RPORT/healthz" \
	-v "$T/recs:/etc/dnsrecordsd:ro" "$IMG" dnsrecordsd -c /etc/dnsrecordsd/dnsrecordsd.conf >/dev/null
sys_wait_for 20 "the dnsrecordsd container healthy (now $(health records))" healthy records
sys_log "dnsrecordsd healthy: $(dk inspect -f '{{(index .State.Health.Log 0).Output}}' records)"
dkt stop records >/dev/null
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' records)" 0 "dnsrecordsd's exit status after docker stop"
sys_log "PASS"
