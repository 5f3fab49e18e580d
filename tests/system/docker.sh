# shellcheck shell=bash
# tests/system/docker.sh: a private Docker Engine for one test, and an image made
# without any registry. Source it after lib.sh (or failover.sh) and sys_setup.
#
#   dk_start           starts dockerd with its own data root, exec root, pid file and
#                      socket ($DK_SOCK, exported as DOCKER_HOST for the docker CLI), no
#                      bridge and no iptables rules; waits until it answers; stopped by
#                      sys_cleanup (every container removed first). Exits 77, saying
#                      why, only when the engine cannot start.
#   dk_image           imports $DK_IMAGE: a root file system of Debian's busybox-static
#                      (/bin/busybox and links for sh, sleep, httpd, true)
#   dk_begin           fo_begin (failover.sh), dk_start and dk_image: the start of a test
#   dk_collector NAME  creates (not starts) container NAME of $DK_IMAGE that runs until
#                      SIGTERM (sleep under the engine's init), with no network
#   dk CMD...          the docker CLI against the private engine
#   dk_running NAME    prints true or false: State.Running of container NAME
#   dk_stop_engine     stops the engine (SIGTERM; it stops its containers first)
#
# Sets DK_START_MS, the milliseconds the engine took to answer.

DK_IMAGE=dnsfailover-test/busybox:1

dk()
{
	docker -H "unix://$DK_SOCK" "$@"
}

dk_running()
{
	dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null
}

dk_start()
{
	local why start_ms
	sys_require dockerd docker
	[ -n "$T" ] || fail "dk_start: call sys_setup first"
	DK_DIR=$T/dk
	DK_SOCK=$DK_DIR/docker.sock
	# A unix socket path holds at most 107 bytes; containerd's sockets go under
	# the exec root, deeper than ours.
	[ ${#DK_DIR} -le 60 ] || {
		echo "SKIP: the test dir $T is too long for the engine's unix sockets (set TMPDIR=/tmp)"
		exit 77
	}
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: dockerd needs root (namespaces, cgroups, mounts); run the test as root"
		exit 77
	fi
	mkdir -p "$DK_DIR/data" "$DK_DIR/exec" "$DK_DIR/client" || fail "dk_start: cannot create $DK_DIR"
	export DOCKER_HOST=unix://$DK_SOCK DOCKER_CONFIG=$DK_DIR/client
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	start_ms=$(date +%s%3N)
	# Its own containerd namespaces: a system engine sharing the system's
	# containerd keeps its containers apart from ours.
	sys_spawn docker dockerd --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" \
		--pidfile "$DK_DIR/pid" -H "unix://$DK_SOCK" --bridge=none --iptables=false \
		--ip6tables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
		--containerd-namespace dnsfailover-test \
		--containerd-plugins-namespace dnsfailover-test-plugins \
		--shutdown-timeout 2 --log-level info
	sys_at_cleanup dk_cleanup
	until dk version >/dev/null 2>&1; do
		if ! _sys_tracked_alive docker; then
			why=$(grep -E 'level=(error|fatal)|failed|Error' "$T/docker.log" | tail -n 3)
			echo "SKIP: the Docker Engine (dockerd) cannot start here: ${why:-see $T/docker.log}"
			exit 77
		fi
		if [ $(($(date +%s%3N) - start_ms)) -gt 30000 ]; then
			echo "SKIP: the Docker Engine did not answer on $DK_SOCK within 30 s: $(tail -n 3 "$T/docker.log")"
			exit 77
		fi
		sleep 0.1
	done
	DK_START_MS=$(($(date +%s%3N) - start_ms))
	sys_log "Docker Engine $(dk version -f '{{.Server.Version}}' 2>/dev/null) answered after ${DK_START_MS} ms"
}

dk_image()
{
	local root=$DK_DIR/rootfs a
	sys_require busybox
	mkdir -p "$root/bin" "$root/tmp" "$root/www" || fail "dk_image: cannot create $root"
	cp "$(command -v busybox)" "$root/bin/busybox" || fail "dk_image: cannot copy busybox"
	"$root/bin/busybox" --list | grep -qx sh || fail "dk_image: $(command -v busybox) has no sh applet"
	for a in sh sleep httpd true; do
		ln -sf busybox "$root/bin/$a"
	done
	echo ok >"$root/www/index.html"
	tar -C "$root" -cf "$DK_DIR/rootfs.tar" . || fail "dk_image: cannot tar $root"
	dk import "$DK_DIR/rootfs.tar" "$DK_IMAGE" >/dev/null ||
		fail "dk_image: docker import of $DK_DIR/rootfs.tar failed"
}

dk_begin()
{
	fo_begin
	dk_start
	dk_image
}

dk_collector()
{
	dk create --name "$1" --network none --init "$DK_IMAGE" /bin/sleep 100000 >/dev/null ||
		fail "docker create of container $1 failed"
}

dk_stop_engine()
{
	sys_kill docker 20 || fail "dk_stop_engine: the engine had already exited"
}

# The sys_cleanup hook: every container removed while the engine runs, so that
# no container or shim outlives the test; then the engine stopped.
dk_cleanup()
{
	local ids
	_sys_tracked_alive docker || return 0
	ids=$(dk ps -aq 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1
	sys_kill docker 20
}
