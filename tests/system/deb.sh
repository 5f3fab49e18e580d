# shellcheck shell=bash
# shellcheck disable=SC2154 # top_srcdir and top_builddir come from lib.sh
# tests/system/deb.sh: the Debian packages of this source tree, built once and
# shared by the tests that install them. Sourced after lib.sh.
#
#   . "$top_srcdir/tests/system/deb.sh"
#   debs=$(deb_build) || fail "..."
#   dpkg-deb -c "$debs"/dnsfailover_*_amd64.deb
#
# deb_build echoes a directory holding the .deb, .changes and .buildinfo files
# scripts/build-deb made from $top_srcdir. They are kept under
# $top_builddir/tests/deb-out/KEY/, where KEY is the hash of exactly what
# scripts/build-deb copies: in a git checkout, the index (`git ls-files -s`:
# every tracked path with its mode and staged content) plus `git diff` (what
# the working tree changes on top of it); otherwise the content of every
# file outside build directories. An edit to any tracked file makes a new
# KEY, so a stale package is never reused, and two tests (or two make check
# runs) on the same sources build once: the build runs under flock on
# tests/deb-out/.lock and the others wait and reuse it. Builds of older keys
# are removed. It prints a "timing: package build ..." line on stderr (the
# build's duration, and whether it was made now or reused); DIR/.seconds
# holds the duration.

# Prints the key of the sources scripts/build-deb would copy.
_deb_source_key()
{
	# The same test as scripts/build-deb's: $top_srcdir is a checkout's top.
	if git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
		[ "$(git -C "$top_srcdir" rev-parse --show-toplevel)" = "$(cd "$top_srcdir" && pwd)" ]; then
		{
			git -C "$top_srcdir" ls-files -s
			git -C "$top_srcdir" diff --no-ext-diff --binary
		} | sha1sum | cut -c1-16
	else
		(cd "$top_srcdir" && find . -type f ! -path './build*' ! -path './.git/*' -print0 |
			sort -z | xargs -0 sha1sum) | sha1sum | cut -c1-16
	fi
}

# deb_build: echoes the directory of the built packages; builds them if this
# source has not been built yet. Progress and the build's own output go to
# stderr; returns 1 (with the reason on stderr) when the build fails.
deb_build()
{
	local base=$top_builddir/tests/deb-out key dir start rc
	mkdir -p "$base" || return 1
	key=$(_deb_source_key) || {
		echo "deb_build: cannot hash the sources of $top_srcdir" >&2
		return 1
	}
	dir=$base/$key
	# fd 9: the lock, held until the build is done or found done.
	exec 9>"$base/.lock"
	flock 9 || return 1
	if [ ! -f "$dir/.done" ]; then
		find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null
		rm -rf "$dir"
		mkdir -p "$dir"
		start=$(date +%s)
		# A clean make for the nested build: `make check`'s jobserver and
		# flags must not reach dpkg-buildpackage.
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
			"$top_srcdir/scripts/build-deb" "$dir" >&2 && rc=0 || rc=$?
		if [ "$rc" -ne 0 ]; then
			exec 9>&-
			echo "deb_build: scripts/build-deb $dir failed (status $rc)" >&2
			return 1
		fi
		echo "$(($(date +%s) - start))" >"$dir/.seconds"
		touch "$dir/.done"
		echo "timing: package build $(cat "$dir/.seconds")s (scripts/build-deb, built now)" >&2
	else
		echo "timing: package build $(cat "$dir/.seconds" 2>/dev/null || echo ?)s" \
			"(built $(date -r "$dir/.done" '+%F %T'); reused)" >&2
	fi
	exec 9>&-
	echo "$dir"
}
