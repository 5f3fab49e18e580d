# shellcheck shell=bash
# tests/system/azure.sh: the Entra ID token endpoint and Azure DNS stand-in
# (tests/system/fake_azure) over HTTPS with a CA made for the test, on top of
# provider_fake.sh.
#
#   az_start_fake [-E SECONDS]  the test CA (sys_make_test_ca) and the fake on a free
#                              port; sets AZ_BASE, AZ_MODE_FILE (ok hang error apply-500
#                              forbidden)
#   az_keys                    the provider's KEY=VALUE for pf_configs
#   az_token                   an access token for the service principal (curl)
#   az_put TYPE BODY [ETAG]    PUT a record set with that token (If-Match: ETAG when given)
#   az_records                 every record set the fake holds, "TYPE NAME VALUE" each
#   az_etag TYPE               the current etag of the lease's TYPE set
#   az_stats FIELD             connections, requests, writes or tokens so far

. "$top_srcdir/tests/system/provider_fake.sh"

FAKE_AZURE=${FAKE_AZURE:-$top_builddir/tests/system/fake_azure}
AZ_TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
AZ_CLIENT=11111111-2222-3333-4444-555555555555
AZ_SECRET='Qx8Q~test.secret-value_0123456789abcdef'
AZ_SUB=00000000-0000-0000-0000-000000000001
AZ_RG=rg-dns
ZONE=example.com
RECORD=lease.example.com

az_start_fake()
{
	sys_make_test_ca
	AZ_MODE_FILE=$T/azure.mode
	echo ok >"$AZ_MODE_FILE"
	pf_spawn_fake azure "$FAKE_AZURE" -k "$T/srv.key" -C "$T/srv.pem" -t "$AZ_TENANT" \
		-i "$AZ_CLIENT" -s "$AZ_SECRET" -S "$AZ_SUB" -g "$AZ_RG" -z "$ZONE" -c "$AZ_MODE_FILE" "$@"
	AZ_BASE=https://127.0.0.1:$PF_PORT
	sys_log "fake Entra ID and Azure DNS on $AZ_BASE"
}

az_keys()
{
	echo "DNS_PROVIDER=azure-dns DNS_ZONE=$ZONE DNS_RECORD=$RECORD \
		AZURE_SUBSCRIPTION_ID=$AZ_SUB AZURE_RESOURCE_GROUP=$AZ_RG AZURE_TENANT_ID=$AZ_TENANT \
		AZURE_CLIENT_ID=$AZ_CLIENT AZURE_CLIENT_SECRET=$AZ_SECRET AZURE_LOGIN_URL=$AZ_BASE \
		AZURE_MANAGEMENT_URL=$AZ_BASE AZURE_CA_FILE=$T/ca.pem AZURE_TIMEOUT=2"
}

az_token()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" --data-urlencode "client_id=$AZ_CLIENT" \
		--data-urlencode "client_secret=$AZ_SECRET" -d grant_type=client_credentials \
		--data-urlencode scope=https://management.azure.com/.default \
		"$AZ_BASE/$AZ_TENANT/oauth2/v2.0/token" | jq -r .access_token
}

az_put()
{
	local type=$1 body=$2 etag=${3:-} cond=()
	[ -n "$etag" ] && cond=(-H "If-Match: $etag")
	curl -sS --max-time 5 --cacert "$T/ca.pem" -X PUT -H "Authorization: Bearer $(az_token)" \
		-H 'Content-Type: application/json' "${cond[@]}" -d "$body" \
		"$AZ_BASE/subscriptions/$AZ_SUB/resourceGroups/$AZ_RG/providers/Microsoft.Network/dnsZones/$ZONE/$type/lease?api-version=2018-05-01"
}

az_records()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" "$AZ_BASE/__fake/records" |
		jq -r 'to_entries[] | .value | "\(.type | sub(".*/"; "")) \(.name) \(.properties.TTL) \((.properties.ARecords // []) | map(.ipv4Address) | join(","))\((.properties.TXTRecords // []) | map(.value | join("")) | join(","))"' | sort
}

az_etag()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" "$AZ_BASE/__fake/records" | jq -r ".[\"$1/lease\"].etag"
}

az_stats()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" "$AZ_BASE/__fake/stats" | jq -r ".$1"
}
