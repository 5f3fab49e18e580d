# shellcheck shell=bash
# tests/system/proxy.sh: HTTPS_PROXY, the proxy of every REST provider, checked
# through connect_proxy (a CONNECT-only proxy that logs each tunnel). Source it
# after lib.sh; needs a built tests/system/connect_proxy.
#
#   proxy_check CONF BASE  HTTPS_PROXY added to CONF: validate (token and API calls)
#                          goes through the proxy to BASE (https://host:port); without
#                          the key, libcurl's https_proxy and ALL_PROXY are not used; a
#                          proxy that is down makes validate fail naming it (nothing
#                          bypasses it)

proxy_check()
{
	local conf=$1 base=$2 pport dead
	sys_log "HTTPS_PROXY: every call through the proxy, and only when configured"
	pport=$(sys_free_port)
	rm -f "$T/proxy.ready"
	sys_spawn proxy "$top_builddir/tests/system/connect_proxy" -p "$pport" -P "$T/proxy.ready"
	sys_wait_for 5 "the proxy listening" test -s "$T/proxy.ready"
	cp "$conf" "$T/proxy.env"
	echo "HTTPS_PROXY=http://127.0.0.1:$pport" >>"$T/proxy.env"
	: >"$T/proxy.log"
	assert_exit 0 "validate through HTTPS_PROXY" -- "$DNSFAILOVER" -c "$T/proxy.env" validate
	assert_contains "$(cat "$T/proxy.log")" "CONNECT ${base#https://}" "the calls went through the proxy"
	: >"$T/proxy.log"
	assert_exit 0 "validate without HTTPS_PROXY, libcurl's variables set" -- env \
		https_proxy="http://127.0.0.1:$pport" ALL_PROXY="http://127.0.0.1:$pport" \
		"$DNSFAILOVER" -c "$conf" validate
	assert_eq "$(cat "$T/proxy.log")" "" "no call went through the proxy"
	sys_kill proxy
	dead=$(sys_free_port)
	sed "s|^HTTPS_PROXY=.*|HTTPS_PROXY=http://127.0.0.1:$dead|" "$T/proxy.env" >"$T/proxy-dead.env"
	assert_exit 1 "validate with the proxy down fails" -- \
		"$DNSFAILOVER" -c "$T/proxy-dead.env" validate
	assert_contains "$OUT" "(through the proxy http://127.0.0.1:$dead)" "the failure names the proxy"
}
