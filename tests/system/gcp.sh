# shellcheck shell=bash
# tests/system/gcp.sh: the Google token endpoint and Cloud DNS stand-in
# (tests/system/fake_gcp) over HTTPS with a CA made for the test, on top of
# provider_fake.sh.
#
#   gcp_start_fake [-E SECONDS]  a service account's RSA key and its JSON key file
#                              ($GCP_KEY_FILE, mode 600), the test CA (sys_make_test_ca)
#                              and the fake on a free port; sets GCP_BASE, GCP_MODE_FILE
#                              (ok hang error apply-500 forbidden)
#   gcp_keys                   the provider's KEY=VALUE for pf_configs
#   gcp_token                  an access token for the service account (a JWT signed
#                              with the openssl CLI, exchanged with curl)
#   gcp_change BODY [TOKEN]    changes.create with that token (or TOKEN); prints the answer
#   gcp_records                every record set the fake holds, "TYPE TTL RRDATA,..." each
#   gcp_stats FIELD            connections, requests, writes or tokens so far

. "$top_srcdir/tests/system/provider_fake.sh"

FAKE_GCP=${FAKE_GCP:-$top_builddir/tests/system/fake_gcp}
GCP_EMAIL=lease-daemon@dns-test-project.iam.gserviceaccount.com
GCP_PROJECT=dns-test-project
GCP_ZONE=lease-zone
ZONE=example.com
RECORD=lease.example.com

# _gcp_key_file PEM EMAIL OUT: a service-account key file holding PEM.
_gcp_key_file()
{
	jq -n --rawfile pk "$1" --arg email "$2" --arg project "$GCP_PROJECT" '{
		type: "service_account", project_id: $project,
		private_key_id: "0123456789abcdef0123456789abcdef01234567", private_key: $pk,
		client_email: $email, client_id: "100000000000000000000",
		token_uri: "https://oauth2.googleapis.com/token"}' >"$3"
	chmod 600 "$3"
}

gcp_start_fake()
{
	sys_make_test_ca
	(
		cd "$T" || exit 1
		umask 077
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.pem &&
			openssl pkey -in sa.pem -pubout -out sa.pub &&
			openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-sa.pem
	) >"$T/openssl-sa.log" 2>&1 || fail "gcp_start_fake: openssl: $(cat "$T/openssl-sa.log")"
	GCP_KEY_FILE=$T/sa.json
	_gcp_key_file "$T/sa.pem" "$GCP_EMAIL" "$GCP_KEY_FILE"
	GCP_MODE_FILE=$T/gcp.mode
	echo ok >"$GCP_MODE_FILE"
	pf_spawn_fake gcp "$FAKE_GCP" -k "$T/srv.key" -C "$T/srv.pem" -K "$T/sa.pub" \
		-e "$GCP_EMAIL" -j "$GCP_PROJECT" -z "$GCP_ZONE" -d "$ZONE." -c "$GCP_MODE_FILE" "$@"
	GCP_BASE=https://127.0.0.1:$PF_PORT
	sys_log "fake Google token endpoint and Cloud DNS API on $GCP_BASE"
}

gcp_keys()
{
	echo "DNS_PROVIDER=gcp-dns DNS_ZONE=$ZONE DNS_RECORD=$RECORD \
		GCP_CREDENTIALS_FILE=$GCP_KEY_FILE GCP_MANAGED_ZONE=$GCP_ZONE \
		GCP_TOKEN_URI=$GCP_BASE/token GCP_API_URL=$GCP_BASE/dns/v1 GCP_CA_FILE=$T/ca.pem \
		GCP_TIMEOUT=2"
}

_b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

gcp_token()
{
	local now head claims input sig
	now=$(date +%s)
	head=$(printf '{"alg":"RS256","typ":"JWT"}' | _b64url)
	claims=$(printf '{"iss":"%s","scope":"https://www.googleapis.com/auth/ndev.clouddns.readwrite","aud":"%s/token","iat":%s,"exp":%s}' \
		"$GCP_EMAIL" "$GCP_BASE" "$now" $((now + 600)) | _b64url)
	input=$head.$claims
	sig=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$T/sa.pem" -binary | _b64url)
	curl -sS --max-time 5 --cacert "$T/ca.pem" \
		-d "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$input.$sig" \
		"$GCP_BASE/token" | jq -r .access_token
}

gcp_change()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" -H "Authorization: Bearer ${2:-$(gcp_token)}" \
		-H 'Content-Type: application/json' -d "$1" \
		"$GCP_BASE/dns/v1/projects/$GCP_PROJECT/managedZones/$GCP_ZONE/changes"
}

gcp_records()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" "$GCP_BASE/__fake/records" |
		jq -r '.[] | "\(.type) \(.ttl) \(.rrdatas | join(","))"' | sort
}

gcp_stats()
{
	curl -sS --max-time 5 --cacert "$T/ca.pem" "$GCP_BASE/__fake/stats" | jq -r ".$1"
}
