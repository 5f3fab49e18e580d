#!/usr/bin/env bash
# devlog_ns.sh SOCKET DIR CMD...: runs CMD (exec'd, so with this script's pid)
# in a private mount namespace whose /dev is a tmpfs holding null, zero,
# full, random, urandom, fd and log, the last being SOCKET (a unix datagram
# socket, e.g. tests/system/syslog_sink's), so syslog(3) writes to it. DIR
# (the test's directory) receives a bind mount of the real /dev for the
# nodes. Needs root (unshare -m); the host's /dev is not changed.
set -eu
sock=$1 dir=$2
shift 2
# shellcheck disable=SC2016 # the inner script expands its own arguments
exec unshare -m --propagation private bash -c '
	set -e
	sock=$1 dir=$2
	shift 2
	mkdir -p "$dir/olddev"
	mount --bind /dev "$dir/olddev"
	mount -t tmpfs -o mode=755 devns /dev
	for n in null zero full random urandom; do
		touch "/dev/$n"
		mount --bind "$dir/olddev/$n" "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	touch /dev/log
	mount --bind "$sock" /dev/log
	exec "$@"' devlog_ns "$sock" "$dir" "$@"
