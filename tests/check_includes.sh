#!/usr/bin/env bash
# Dependencies point one way (DESIGN section 2): reads every #include "..." and
# #include <lib/...> of the program code and fails on an arrow the folder table
# does not allow. Run by make check; prints each offending line as file:line.
set -u
cd "${top_srcdir:-$(dirname "$0")/..}" || exit 99

# What each folder may include besides itself: the "may use" column of the
# table, with what those folders may use in turn (a provider that may use
# src/dns may use the tsig/ and gss/ that src/dns signs with).
declare -A MAY_USE=(
	[src/common]=""
	[tsig]="src/common"
	[gss]="tsig src/common"
	[src/conf]="src/common"
	[src/loop]="src/common"
	[src/dns]="tsig gss src/loop src/common"
	[src/http]="src/loop src/common"
	[src/secrets]="src/http src/conf src/loop src/common"
	[src/lease]="src/conf src/common"
	[src/provider]="src/dns src/http src/secrets src/conf src/lease tsig gss src/loop src/common"
	[src/health]="src/http src/conf src/loop src/common"
	[src/watch]="src/http src/conf src/loop src/common"
	[src/metrics]="src/http src/conf src/loop src/common"
	[src/failover]="*"
	[src/records]="src/dns src/http src/conf src/loop tsig gss src/common"
	[zones]="src/dns src/http src/conf src/loop tsig gss src/common"
)

# Of src/lease, a provider sees the lease value and its TXT format, never the
# decision: the decision must not depend on which provider carries the lease.
PROVIDER_LEASE_HEADERS="src/lease/lease_value.h src/lease/lease_txt.h"

# Libraries that only some folders may include (STYLE item 13): the MAC
# algorithms and request signers use OpenSSL, GSS-TSIG the GSSAPI, and HTTP
# goes through one client.
declare -A LIB_ONLY=(
	[openssl]="tsig src/http"
	[gssapi]="gss"
	[curl]="src/http src/loop"
	[microhttpd]="src/http src/loop src/metrics"
)

folder_of()
{
	case $1 in
	src/*/*) echo "${1%/*}" ;;
	tsig/* | gss/* | zones/*) echo "${1%%/*}" ;;
	*) echo "" ;;
	esac
}

bad=0
checked=0
report()
{
	echo "$1: $2" >&2
	bad=$((bad + 1))
}

while IFS= read -r file; do
	from=$(folder_of "$file")
	if [ -z "$from" ] || [ -z "${MAY_USE[$from]+set}" ]; then
		report "$file" "is in no folder of the dependency table (tests/check_includes.sh)"
		continue
	fi
	allowed=" $from ${MAY_USE[$from]} "
	lineno=0
	while IFS= read -r line; do
		lineno=$((lineno + 1))
		case $line in
		'#include "'*)
			target=${line#'#include "'}
			target=${target%%\"*}
			checked=$((checked + 1))
			to=$(folder_of "$target")
			if [ -z "$to" ]; then
				[ "$target" = config.h ] && continue # the generated configure header
				report "$file:$lineno" "includes \"$target\", which is in no folder"
				continue
			fi
			[ "$to" = "$from" ] && continue
			case "$allowed" in
			*" * "* | *" $to "*) ;;
			*)
				report "$file:$lineno" "$from may not include $target ($from may use: ${MAY_USE[$from]:-nothing})"
				continue
				;;
			esac
			if [ "$from" = src/provider ] && [ "$to" = src/lease ]; then
				case " $PROVIDER_LEASE_HEADERS " in
				*" $target "*) ;;
				*) report "$file:$lineno" "a provider may use the lease value and TXT format ($PROVIDER_LEASE_HEADERS), not $target" ;;
				esac
			fi
			;;
		'#include <'*/*)
			lib=${line#'#include <'}
			lib=${lib%%/*}
			checked=$((checked + 1))
			[ -n "${LIB_ONLY[$lib]+set}" ] || continue
			case " ${LIB_ONLY[$lib]} " in
			*" $from "*) ;;
			*) report "$file:$lineno" "only ${LIB_ONLY[$lib]} may include <$lib/...>" ;;
			esac
			;;
		'#include <microhttpd.h>'*)
			checked=$((checked + 1))
			case " ${LIB_ONLY[microhttpd]} " in
			*" $from "*) ;;
			*) report "$file:$lineno" "only ${LIB_ONLY[microhttpd]} may include <microhttpd.h>" ;;
			esac
			;;
		esac
	done <"$file"
done < <(find src tsig gss zones -name '*.[ch]' 2>/dev/null | sort)

# A check that read nothing proves nothing.
if [ "$checked" -lt 100 ]; then
	echo "check_includes: only $checked includes read: is this the source tree?" >&2
	exit 99
fi
if [ "$bad" -ne 0 ]; then
	echo "check_includes: $bad arrow(s) against the dependency table of DESIGN section 2" >&2
	exit 1
fi
echo "check_includes: $checked includes, all allowed"
