# shellcheck shell=bash
# tests/system/f5.sh: the BIG-IP iControl REST stand-in (tests/system/fake_f5) on top
# of rest_fake.sh.
#
#   f5_start_fake [OPTIONS]   the fake with F5_USER / F5_PASS, partition Common, the GTM
#                             pool F5_POOL with a member at each site's address
#   f5_keys                   the provider's KEY=VALUE for pf_configs
#   f5_api METHOD PATH [BODY] one iControl REST call with Basic auth; prints the body
#   f5_group                  the data-group's records, "name=data" a line, in order
#   f5_members                the pool's members, "ADDRESS enabled|disabled" a line
#   f5_stat FIELD             a counter of /__fake/stats

. "$top_srcdir/tests/system/rest_fake.sh"

F5_USER=lease-daemon
F5_PASS=f5-pass-0123456789
F5_POOL=otel_pool
ZONE=example.com
RECORD=lease.example.com

f5_start_fake()
{
	rf_start f5 "$top_builddir/tests/system/fake_f5" -u "$F5_USER" -w "$F5_PASS" -n Common \
		-o "$F5_POOL" -m site-primary:otel=192.0.2.10 -m site-dr:otel=192.0.2.20 "$@"
}

f5_keys()
{
	echo "DNS_PROVIDER=f5-gtm DNS_ZONE=$ZONE DNS_RECORD=$RECORD \
		F5_HOST=$RF_HOSTPORT F5_USERNAME=$F5_USER F5_PASSWORD=$F5_PASS \
		F5_POOL_NAME=$F5_POOL F5_CA_FILE=$RF_CA F5_TIMEOUT=2"
}

f5_api()
{
	local method=$1 path=$2 body=${3:-}
	local args=(-sS --max-time 5 --cacert "$RF_CA" -u "$F5_USER:$F5_PASS" -X "$method")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
	curl "${args[@]}" "$RF_BASE$path"
}

f5_group()
{
	local all
	all=$(rf_get __fake/state) || fail "f5_group: the fake did not answer"
	jq -r '.group.records // [] | .[] | "\(.name)=\(.data)"' <<<"$all"
}

f5_members()
{
	local all
	all=$(rf_get __fake/state) || fail "f5_members: the fake did not answer"
	jq -r '.members | to_entries[] | "\(.key) \(if .value then "enabled" else "disabled" end)"' <<<"$all" | sort
}

f5_stat()
{
	rf_get __fake/stats | jq -r ".$1"
}
