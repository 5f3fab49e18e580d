# shellcheck shell=bash
# tests/system/rootfs.sh: a Debian 12 root file system to install the packages
# into (the package test, the container image), made once by debootstrap and
# cached. Sourced (after lib.sh, or alone: it needs only bash and coreutils).
#
#   . "$top_srcdir/tests/system/rootfs.sh"
#   tarball=$(rootfs_tarball) || exit $?      # 77: no mirror reachable
#   tar -xzf "$tarball" -C "$T/root"
#
# rootfs_tarball [PACKAGE...] echoes the path of a gzip-compressed tar of
# `debootstrap --variant=minbase bookworm` with ROOTFS_PACKAGES (the run-time
# libraries and tools the packages of debian/control need, so that
# `dpkg -i` of the .debs works with no network and no apt) and the PACKAGEs
# given. apt's package lists and downloaded archives are removed.
#
# The tarball is cached in ${ROOTFS_CACHE:-/var/cache/dnsfailover-test}
# (outside any build tree: it depends only on the package list), named after
# the hash of the suite, the variant and the sorted package list, and made
# under flock on ROOTFS_CACHE/.lock, so concurrent callers make it once.
# It prints a "timing: debootstrap ..." line on stderr (how long debootstrap
# took, and whether the tarball was made now or reused); TARBALL.seconds
# holds the duration.
#
# The mirror: ROOTFS_MIRROR, else the first Debian mirror apt is configured
# with for bookworm (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list),
# else http://deb.debian.org/debian. Returns 77 when the mirror cannot be
# reached, 1 when debootstrap fails (its log on stderr). Needs root.

ROOTFS_SUITE=bookworm
# What the .debs depend on beyond minbase (dpkg-deb -f *.deb Depends), and
# ca-certificates for the HTTPS providers. The package test checks that
# dpkg -i succeeds in the file system, so a new dependency shows up there.
ROOTFS_PACKAGES=(
	adduser init-system-helpers ca-certificates
	libldns3 libssl3 libgssapi-krb5-2 libcurl4 libjansson4 libmicrohttpd12
	libsqlite3-0 libmariadb3
)

# Prints the mirror URL debootstrap should use.
rootfs_mirror()
{
	local f uri
	if [ -n "${ROOTFS_MIRROR:-}" ]; then
		echo "$ROOTFS_MIRROR"
		return 0
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822 stanzas: the URIs of one whose Suites name the suite.
		uri=$(awk -v suite="$ROOTFS_SUITE" '
			BEGIN { RS = ""; FS = "\n" }
			{
				u = ""; s = 0; deb = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { split($i, a, " "); u = a[2] }
					if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) s = 1
					if ($i ~ /^Types:/ && $i ~ / deb( |$)/) deb = 1
				}
				if (u != "" && s && deb && u !~ /security/) { print u; exit }
			}' "$f")
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	done
	if [ -r /etc/apt/sources.list ]; then
		uri=$(awk -v suite="$ROOTFS_SUITE" '$1 == "deb" && $0 ~ (" " suite " ") && $0 !~ /security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	fi
	echo "http://deb.debian.org/debian"
}

# rootfs_tarball [PACKAGE...]: see above.
rootfs_tarball()
{
	local cache=${ROOTFS_CACHE:-/var/cache/dnsfailover-test} key name tarball mirror
	local -a pkgs
	local work start rc seconds
	mapfile -t pkgs < <(printf '%s\n' "${ROOTFS_PACKAGES[@]}" "$@" | sort -u)
	key=$(printf '%s\n' "$ROOTFS_SUITE" minbase "${pkgs[@]}" | sha1sum | cut -c1-12)
	name=rootfs-$ROOTFS_SUITE-minbase-$key.tar.gz
	tarball=$cache/$name
	if [ -s "$tarball" ]; then
		_rootfs_reused "$tarball"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "rootfs_tarball: debootstrap needs root" >&2
		return 77
	fi
	if ! command -v debootstrap >/dev/null 2>&1; then
		echo "rootfs_tarball: debootstrap not found (scripts/install-deps installs it)" >&2
		return 77
	fi
	mkdir -p "$cache" || return 1
	exec 8>"$cache/.lock"
	flock 8 || return 1
	if [ -s "$tarball" ]; then
		exec 8>&-
		_rootfs_reused "$tarball"
		return 0
	fi
	mirror=$(rootfs_mirror)
	if ! curl -fsS -o /dev/null --max-time 20 "$mirror/dists/$ROOTFS_SUITE/Release"; then
		exec 8>&-
		echo "rootfs_tarball: the Debian mirror $mirror cannot be reached ($mirror/dists/$ROOTFS_SUITE/Release)" >&2
		return 77
	fi
	work=$(mktemp -d "$cache/work.XXXXXX") || return 1
	echo "rootfs_tarball: debootstrap --variant=minbase $ROOTFS_SUITE from $mirror with ${pkgs[*]}" >&2
	start=$(date +%s)
	debootstrap --variant=minbase --include="$(
		IFS=,
		echo "${pkgs[*]}"
	)" "$ROOTFS_SUITE" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 && rc=0 || rc=$?
	# debootstrap mounts /proc and /sys in the target; a failed run may leave them.
	_rootfs_umount "$work/root"
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$work/debootstrap.log" >&2
		[ ! -f "$work/root/debootstrap/debootstrap.log" ] ||
			tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2
		echo "rootfs_tarball: debootstrap failed (status $rc); logs above" >&2
		rm -rf "$work"
		exec 8>&-
		return 1
	fi
	seconds=$(($(date +%s) - start))
	rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/archives/"*.deb \
		"$work/root/var/cache/apt/"*.bin
	printf '%s\n' "${pkgs[@]}" >"$work/root/etc/dnsfailover-rootfs-packages"
	if ! tar --numeric-owner --xattrs -C "$work/root" -czf "$work/$name" .; then
		echo "rootfs_tarball: tar of $work/root failed" >&2
		rm -rf "$work"
		exec 8>&-
		return 1
	fi
	mv "$work/$name" "$tarball"
	echo "$seconds" >"$tarball.seconds"
	rm -rf "$work"
	exec 8>&-
	echo "timing: debootstrap ${seconds}s (made now: $tarball)" >&2
	echo "$tarball"
}

# _rootfs_reused TARBALL: the timing line for a cached tarball, and its path.
_rootfs_reused()
{
	echo "timing: debootstrap $(cat "$1.seconds" 2>/dev/null || echo ?)s" \
		"(made $(date -r "$1" '+%F %T'); reused $1)" >&2
	echo "$1"
}

# _rootfs_umount DIR: unmounts everything mounted at or under DIR, deepest first.
_rootfs_umount()
{
	local d m
	d=$(readlink -f "$1") || return 0
	awk -v d="$d" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
}
