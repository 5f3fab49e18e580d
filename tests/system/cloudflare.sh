# shellcheck shell=bash
# tests/system/cloudflare.sh: the Cloudflare API stand-in (tests/system/fake_cloudflare)
# over HTTPS with a CA made for the test, on top of provider_fake.sh.
#
#   cf_start_fake              a CA and a server certificate for 127.0.0.1 (openssl), and
#                              the fake on a free port; sets CF_URL, CF_CA, CF_TOKEN
#                              (CF_READ_TOKEN may only read),
#                              CF_ZONE_ID, CF_MODE_FILE (ok hang error apply-500)
#   cf_keys                    the provider's KEY=VALUE for pf_configs
#   cf_api METHOD PATH [BODY]  one API call with the token (curl, verified); prints the body
#   cf_records                 every record the fake holds, one "TYPE ID CONTENT" line each
#   cf_stats FIELD             connections, requests or writes so far

. "$top_srcdir/tests/system/provider_fake.sh"

FAKE_CLOUDFLARE=${FAKE_CLOUDFLARE:-$top_builddir/tests/system/fake_cloudflare}
CF_TOKEN=test-token-0123456789abcdef
CF_READ_TOKEN=read-only-token-0123456789
CF_ZONE_ID=023e105f4ecef8ad9ca31a8372d0c353
ZONE=example.com
RECORD=lease.example.com

cf_start_fake()
{
	local port i
	sys_require "$FAKE_CLOUDFLARE"
	(
		cd "$T" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=dnsfailover-test-ca &&
			openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
				-subj /CN=127.0.0.1 &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out srv.pem -days 2 -extfile srv.ext
	) >"$T/openssl.out" 2>&1 || fail "cf_start_fake: openssl could not make the certificates: $(cat "$T/openssl.out")"
	CF_CA=$T/ca.pem
	CF_MODE_FILE=$T/cloudflare.mode
	echo ok >"$CF_MODE_FILE"
	for _ in 1 2 3; do
		port=$(sys_free_port) || fail "cf_start_fake: no free port"
		rm -f "$T/cloudflare.ready"
		sys_spawn cloudflare "$FAKE_CLOUDFLARE" -p "$port" -k "$T/srv.key" -C "$T/srv.pem" \
			-t "$CF_TOKEN" -r "$CF_READ_TOKEN" -z "$ZONE" -i "$CF_ZONE_ID" -c "$CF_MODE_FILE" -P "$T/cloudflare.ready"
		for ((i = 0; i < 50; i++)); do
			[ -s "$T/cloudflare.ready" ] && break
			_sys_tracked_alive cloudflare || break
			sleep 0.1
		done
		[ -s "$T/cloudflare.ready" ] && break
		_sys_stop cloudflare 2 || true
	done
	[ -s "$T/cloudflare.ready" ] || fail "cf_start_fake: the fake did not start; $(tail -n 5 "$T/cloudflare.log")"
	CF_URL=https://127.0.0.1:$port/client/v4
	CF_BASE=https://127.0.0.1:$port
	sys_log "fake Cloudflare API on $CF_URL"
}

cf_keys()
{
	echo DNS_PROVIDER=cloudflare DNS_ZONE=$ZONE DNS_RECORD=$RECORD DNS_TTL=60 \
		CLOUDFLARE_API_TOKEN=$CF_TOKEN CLOUDFLARE_API_URL=$CF_URL CLOUDFLARE_CA_FILE=$CF_CA \
		CLOUDFLARE_TIMEOUT=2
}

cf_api()
{
	local method=$1 path=$2 body=${3:-}
	if [ -n "$body" ]; then
		curl -sS --max-time 5 --cacert "$CF_CA" -X "$method" -H "Authorization: Bearer $CF_TOKEN" \
			-H 'Content-Type: application/json' -d "$body" "$CF_URL$path"
	else
		curl -sS --max-time 5 --cacert "$CF_CA" -X "$method" -H "Authorization: Bearer $CF_TOKEN" \
			"$CF_URL$path"
	fi
}

cf_records()
{
	curl -sS --max-time 5 --cacert "$CF_CA" "$CF_BASE/__fake/records" |
		jq -r '.[] | "\(.type) \(.id) \(.content)"' | sort
}

cf_stats()
{
	curl -sS --max-time 5 --cacert "$CF_CA" "$CF_BASE/__fake/stats" | jq -r ".$1"
}
