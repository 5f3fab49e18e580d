# Helpers for the dnsrecordsd system tests: a named whose zones let the test key
# change anything and transfer them, a second named that lags (it serves its own
# copy of example.test, changed only when the test says), dnsrecordsd itself, and
# an HTTP call that records the status.
# shellcheck shell=bash

DNSRECORDSD=${DNSRECORDSD:-$top_builddir/dnsrecordsd}
TOK_PROV=prov0123456789abcdef0123456789
TOK_RO=read0123456789abcdef0123456789
TOK_OTHER=othr0123456789abcdef0123456789

# rec_installed_config PORT: prints a dnsrecordsd.conf for the installed paths
# (/etc/dnsrecordsd/tokens and records-key.conf, /var/log/dnsrecordsd), listening
# on 127.0.0.1:PORT, with example.test on the test named (NAMED_PORT): the package
# and image tests, which run dnsrecordsd as installed.
rec_installed_config()
{
	cat <<EOF2
listen = 127.0.0.1:$1
tokens_file = /etc/dnsrecordsd/tokens
audit_log = /var/log/dnsrecordsd/audit.log
dns_timeout = 1

[zone example.test]
server = 127.0.0.1
port = $NAMED_PORT
key_file = /etc/dnsrecordsd/records-key.conf
EOF2
}

# named.conf for sys_start_named (SYS_NAMED_CONF): lib.sh's, with both zones
# writable by lease-key anywhere (but refused.example.test) and transferable.
rec_named_conf()
{
	_sys_named_conf
	sed -i \
		-e 's|update-policy { grant lease-key name lease.example.test. A TXT; };|update-policy {\n\t\tdeny lease-key name refused.example.test. ANY;\n\t\tgrant lease-key zonesub ANY;\n\t};\n\tallow-transfer { key lease-key; };|' \
		-e 's|update-policy { grant lease-key name lease.other.test. A TXT; };|update-policy { grant lease-key zonesub ANY; };\n\tallow-transfer { key lease-key; };|' \
		"$T/named.conf"
	grep -q 'grant lease-key zonesub ANY' "$T/named.conf" || fail "rec_named_conf: lib.sh's named.conf changed"
}

# rec_start_lagging: a second named on LAG_PORT with its own copy of example.test.
rec_start_lagging()
{
	local i
	mkdir -p "$T/lag"
	cp "$T/lease-key.conf" "$T/lag/"
	LAG_PORT=$(sys_free_port)
	cat >"$T/lag/named.conf" <<EOF2
options {
	directory "$T/lag";
	pid-file "$T/lag/named.pid";
	session-keyfile "$T/lag/session.key";
	listen-on port $LAG_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
include "$T/lag/lease-key.conf";
zone "example.test" {
	type primary;
	file "example.test.db";
	update-policy { grant lease-key zonesub ANY; };
};
EOF2
	cp "$T/example.test.db" "$T/lag/example.test.db"
	named -g -c "$T/lag/named.conf" >"$T/lagnamed.log" 2>&1 </dev/null &
	_sys_track lagnamed $!
	for ((i = 0; i < 50; i++)); do
		dig @127.0.0.1 -p "$LAG_PORT" example.test SOA +norec +short +time=1 +tries=1 2>/dev/null |
			grep -q . && return 0
		sleep 0.2
	done
	fail "the lagging named did not start on $LAG_PORT; see lagnamed.log"
}

# rec_config [EXTRA]: writes $T/records.conf, the tokens file and starts dnsrecordsd
# on REC_PORT.
rec_write_config()
{
	REC_PORT=$(sys_free_port)
	(
		umask 077
		cat >"$T/tokens" <<EOF2
# name token zones verbs
provisioner $TOK_PROV example.test,other.test read,write,delete
reader      $TOK_RO   *                     read
otheronly   $TOK_OTHER other.test           read,write,delete
EOF2
	)
	cat >"$T/records.conf" <<EOF2
listen = 127.0.0.1:$REC_PORT
tokens_file = $T/tokens
audit_log = $T/audit.log
request_timeout = ${REC_TIMEOUT:-10}
dns_timeout = 1
rate = ${REC_RATE:-1000}
burst = ${REC_BURST:-1000}
${REC_EXTRA:-}

[zone example.test]
server = 127.0.0.1
port = $NAMED_PORT
key_file = $KEYFILE
${REC_VERIFY:-}

[zone other.test]
server = 127.0.0.1
port = $NAMED_PORT
key_file = $KEYFILE
EOF2
}

rec_start()
{
	local i
	local -a debug=(-d)
	[ "${REC_DEBUG:-1}" = 1 ] || debug=()
	sys_spawn dnsrecordsd "$DNSRECORDSD" -c "$T/records.conf" "${debug[@]}"
	for ((i = 0; i < 50; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$REC_PORT/healthz" && return 0
		_sys_tracked_alive dnsrecordsd || fail "dnsrecordsd exited; see dnsrecordsd.log"
		sleep 0.1
	done
	fail "dnsrecordsd did not answer on $REC_PORT"
}

# rec_call METHOD PATH [BODY] [TOKEN] [HEADER...]: the body in $REC_BODY, the status
# in $REC_STATUS, the headers in $T/headers.
rec_call()
{
	local method=$1 path=$2 body=${3:-} token=${4-$TOK_PROV}
	shift 4 2>/dev/null || shift $#
	local -a args=(-s -X "$method" -D "$T/headers" -o "$T/body" -w '%{http_code}' --max-time 30)
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	local h
	for h in "$@"; do
		args+=(-H "$h")
	done
	REC_STATUS=$(curl "${args[@]}" "http://127.0.0.1:$REC_PORT$path") || REC_STATUS=000
	REC_BODY=$(cat "$T/body")
}

# rec_expect STATUS MSG: fails unless the last call returned STATUS.
rec_expect()
{
	[ "$REC_STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $REC_STATUS: $REC_BODY"
}

# rec_dig NAME TYPE [PORT]: the RDATA of NAME's TYPE records on our named, sorted (a
# CNAME at NAME is not shown for another TYPE).
rec_dig()
{
	dig @127.0.0.1 -p "${3:-$NAMED_PORT}" +norec +noall +answer +time=2 +tries=1 "$1" "$2" |
		awk -v t="$2" '$4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | sort
}

rec_header()
{
	tr -d '\r' <"$T/headers" | awk -v h="$1" 'BEGIN { IGNORECASE = 1 } index(tolower($0), tolower(h) ":") == 1 { sub(/^[^:]*: */, ""); print }'
}

# rec_post_parallel BODIES DIR: POSTs every line of the file BODIES (one JSON body
# a line) to the records API at once, from one curl with up to 100 transfers in
# parallel, as from that many provisioning workers. Answer i (from 0) is in
# DIR/i.body, its status in DIR/i.status; DIR/codes lists the statuses.
rec_post_parallel()
{
	local bodies=$1 dir=$2 i=0 body code
	local -a args=(--parallel --parallel-immediate --parallel-max 100 -s)
	mkdir -p "$dir"
	while IFS= read -r body; do
		[ "$i" -gt 0 ] && args+=(--next)
		args+=(-o "$dir/$i.body" -w "%{http_code} $i\n" -X POST --max-time 30
			-H "Authorization: Bearer $TOK_PROV" -H 'Content-Type: application/json'
			--data-binary "$body" "http://127.0.0.1:$REC_PORT/api/v1/dns/records")
		i=$((i + 1))
	done <"$bodies"
	curl "${args[@]}" >"$dir/statuses" || fail "rec_post_parallel: curl failed"
	while read -r code i; do
		echo "$code" >"$dir/$i.status"
	done <"$dir/statuses"
	awk '{ print $1 }' "$dir/statuses" >"$dir/codes"
}
