# shellcheck shell=bash
# tests/system/route53.sh: a fake Route 53 (tests/system/fake_route53.c) over HTTPS for
# the route53 system tests and bench/route53.sh. Source after lib.sh and sys_setup.
#
#   r53_start [SEED_FILE]   a CA and a server certificate made now with openssl, the fake
#                           on a free port; sets R53_PORT, R53_URL, R53_CA, R53_STATE,
#                           R53_CONTROL, R53_LOG, and the credentials R53_AKID, R53_SECRET
#                           (in $T/aws-secret, mode 600)
#   r53_config FILE [KEY=VALUE...]   a route53 config (sys_write_config) for the fake
#   r53_control LINE...     replaces the fake's control file
#   r53_state               prints the fake's record sets ("NAME TYPE TTL VALUE|VALUE")
#   r53_requests PATTERN    counts the fake's log lines matching PATTERN

FAKE_ROUTE53=${FAKE_ROUTE53:-$top_builddir/tests/system/fake_route53}
R53_ZONE_ID=Z1D633PJN98FT9
R53_AKID=AKIDEXAMPLE
R53_SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

# _r53_certs: a throwaway CA and a certificate for 127.0.0.1 and localhost it signed.
_r53_certs()
{
	local d=$T/r53-tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fake route53 test CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign >"$d/openssl.log" 2>&1 ||
		fail "openssl: cannot make the test CA ($(cat "$d/openssl.log"))"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" \
		-out "$d/server.csr" >>"$d/openssl.log" 2>&1 || fail "openssl: cannot make the server key"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext" -out "$d/server.crt" >>"$d/openssl.log" 2>&1 ||
		fail "openssl: cannot sign the server certificate"
	R53_CA=$d/ca.crt
}

r53_start()
{
	local seed=${1:-} i
	sys_require openssl
	[ -x "$FAKE_ROUTE53" ] || fail "fake_route53 not built: $FAKE_ROUTE53"
	[ -n "${R53_CA:-}" ] || _r53_certs
	(umask 077 && printf '%s\n' "$R53_SECRET" >"$T/aws-secret")
	R53_STATE=$T/r53-state
	R53_CONTROL=$T/r53-control
	: >"$R53_CONTROL"
	R53_LOG=$T/fake_route53.log
	: >"$R53_LOG" # counts start afresh with each fake
	for i in 1 2 3 4 5; do
		R53_PORT=$(sys_free_port)
		rm -f "$T/run/r53.ready"
		sys_spawn fake_route53 "$FAKE_ROUTE53" -p "$R53_PORT" -C "$T/r53-tls/server.crt" \
			-K "$T/r53-tls/server.key" -a "$R53_AKID" -s "$T/aws-secret" \
			-z "$R53_ZONE_ID" -n "${ZONE:-example.com.}" -c "$R53_CONTROL" -S "$R53_STATE" \
			-P "$T/run/r53.ready" ${seed:+-i "$seed"} ${R53_TOKEN_FILE:+-t "$R53_TOKEN_FILE"}
		R53_PID=$SYS_PID
		local n=0
		while [ ! -s "$T/run/r53.ready" ] && kill -0 "$R53_PID" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		[ -s "$T/run/r53.ready" ] && break
	done
	[ -s "$T/run/r53.ready" ] || fail "fake_route53 did not start (see $R53_LOG)"
	R53_URL=https://127.0.0.1:$R53_PORT
	sys_log "fake route53 on $R53_URL"
}

r53_config()
{
	local file=${1:?r53_config FILE [KEY=VALUE...]}
	shift
	sys_write_config "$file" DNS_PROVIDER=route53 DNS_SERVER= DNS_PORT= TSIG_KEYFILE= \
		DNS_ZONE="${ZONE:-example.com.}" DNS_RECORD="${RECORD:-lease.example.com.}" \
		AWS_ACCESS_KEY_ID="$R53_AKID" AWS_SECRET_ACCESS_KEY_FILE="$T/aws-secret" \
		ROUTE53_ZONE_ID="$R53_ZONE_ID" ROUTE53_ENDPOINT="$R53_URL" ROUTE53_CA_FILE="$R53_CA" \
		DNS_TIMEOUT=3 "$@"
}

r53_control()
{
	printf '%s\n' "$@" >"$R53_CONTROL.tmp" && mv "$R53_CONTROL.tmp" "$R53_CONTROL"
}

r53_state()
{
	cat "$R53_STATE"
}

r53_requests()
{
	grep -c -- "$1" "$R53_LOG" || true
}
