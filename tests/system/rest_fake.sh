# shellcheck shell=bash
# tests/system/rest_fake.sh: one of the HTTPS fakes built on fake_https.c, on top of
# provider_fake.sh, with the test's CA (sys_make_test_ca).
#
#   rf_start NAME BINARY [OPTIONS]  the CA and certificate, then BINARY -p PORT -k -C -c -P
#                                   OPTIONS on a free port; sets RF_BASE (https://127.0.0.1:PORT),
#                                   RF_CA and RF_MODE_FILE (ok hang error apply-500)
#   rf_get PATH                     GET RF_BASE/PATH without credentials (the /__fake/ pages)

. "$top_srcdir/tests/system/provider_fake.sh"

rf_start()
{
	local name=$1 bin=$2 port i
	shift 2
	sys_require "$bin"
	[ -s "$T/srv.pem" ] || sys_make_test_ca
	RF_CA=$T/ca.pem
	RF_MODE_FILE=$T/$name.mode
	echo ok >"$RF_MODE_FILE"
	for _ in 1 2 3; do
		port=$(sys_free_port) || fail "rf_start: no free port"
		rm -f "$T/$name.ready"
		sys_spawn "$name" "$bin" -p "$port" -k "$T/srv.key" -C "$T/srv.pem" \
			-c "$RF_MODE_FILE" -P "$T/$name.ready" "$@"
		for ((i = 0; i < 50; i++)); do
			[ -s "$T/$name.ready" ] && break
			_sys_tracked_alive "$name" || break
			sleep 0.1
		done
		[ -s "$T/$name.ready" ] && break
		_sys_stop "$name" 2 || true
	done
	[ -s "$T/$name.ready" ] || fail "rf_start: $name did not start; $(tail -n 5 "$T/$name.log")"
	RF_BASE=https://127.0.0.1:$port
	# shellcheck disable=SC2034 # read by the provider's own helpers
	RF_HOSTPORT=127.0.0.1:$port
	sys_log "$name on $RF_BASE"
}

rf_get()
{
	curl -sS --max-time 5 --cacert "$RF_CA" "$RF_BASE/$1"
}
