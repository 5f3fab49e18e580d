# shellcheck shell=bash
# tests/system/infoblox.sh: the Infoblox WAPI stand-in (tests/system/fake_infoblox) on
# top of rest_fake.sh.
#
#   ib_start_fake             the fake with IB_USER / IB_PASSWORD, view default, v2.11
#   ib_keys                   the provider's KEY=VALUE for pf_configs
#   ib_api METHOD PATH [BODY] one WAPI call with Basic auth (curl, verified); prints the body
#   ib_records                every record the fake holds, "TYPE VALUE" a line, sorted
#   ib_refs                   every record's _ref, sorted

. "$top_srcdir/tests/system/rest_fake.sh"

IB_USER=lease-daemon
IB_PASSWORD=ib-pass-0123456789
IB_WAPI=v2.11
ZONE=example.com
RECORD=lease.example.com

ib_start_fake()
{
	rf_start infoblox "$top_builddir/tests/system/fake_infoblox" -u "$IB_USER" -w "$IB_PASSWORD" \
		-v "$IB_WAPI" -V default
	IB_URL=$RF_BASE/wapi/$IB_WAPI
}

ib_keys()
{
	echo "DNS_PROVIDER=infoblox DNS_ZONE=$ZONE DNS_RECORD=$RECORD DNS_TTL=30 \
		INFOBLOX_HOST=$RF_HOSTPORT INFOBLOX_USERNAME=$IB_USER INFOBLOX_PASSWORD=$IB_PASSWORD \
		INFOBLOX_CA_FILE=$RF_CA INFOBLOX_TIMEOUT=2"
}

ib_api()
{
	local method=$1 path=$2 body=${3:-}
	local args=(-sS --max-time 5 --cacert "$RF_CA" -u "$IB_USER:$IB_PASSWORD" -X "$method")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
	curl "${args[@]}" "$IB_URL/$path"
}

ib_records()
{
	local all
	all=$(rf_get __fake/records) || fail "ib_records: the fake did not answer"
	jq -r '.[] | if .ipv4addr then "A \(.ipv4addr)" else "TXT \(.text)" end' <<<"$all" | sort
}

ib_refs()
{
	rf_get __fake/records | jq -r '.[]._ref' | sort
}
