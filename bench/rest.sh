#!/usr/bin/env bash
# Lease renewals through the infoblox or f5-gtm provider against its HTTPS
# fake (tests/system/fake_infoblox, fake_f5), next to the same requests made by
# one curl process per request (what a script-provider user does today):
#   - renewals/s and CPU per renewal: N renewals by bench_renew (one loop and
#     one HTTP multi for the run, as in the daemon), then the same writes and
#     read backs by curl (infoblox: the multi-object request and the two
#     searches; f5-gtm: the read, the PATCH and the read back, with Basic);
#   - TLS handshakes and token logins per 100 renewals (the fake counts them).
# Usage: bench/rest.sh infoblox|f5-gtm [N] (default 300). Builds an optimised,
# sanitizer-free tree in build-bench/. Not part of `make check`.
set -eu
PROVIDER=${1:?usage: bench/rest.sh infoblox|f5-gtm [N]}
N=${2:-300}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
fake=fake_infoblox
[ "$PROVIDER" = f5-gtm ] && fake=fake_f5
if [ ! -x "$build/bench/bench_renew" ] || [ ! -x "$build/tests/system/$fake" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" &&
		make -s -j2 dnsfailover bench/bench_renew "tests/system/$fake" \
			tests/system/fake_collector) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
if [ "$PROVIDER" = infoblox ]; then
	. "$top/tests/system/infoblox.sh"
else
	. "$top/tests/system/f5.sh"
fi
sys_require curl openssl jq /usr/bin/time
sys_setup
umask 077
sys_start_collector primary
if [ "$PROVIDER" = infoblox ]; then
	ib_start_fake
	pkeys=$(ib_keys)
else
	f5_start_fake
	pkeys=$(f5_keys)
fi
# shellcheck disable=SC2086
sys_write_config "$T/primary.env" DNS_SERVER= DNS_PORT= TSIG_KEYFILE= $pkeys \
	UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 HEALTH_URL="$COLLECTOR_URL" \
	HEALTH_MODE=metrics
"$DNSFAILOVER" -c "$T/primary.env" init >/dev/null 2>&1 || fail "init failed"
stat() { rf_get __fake/stats | jq -r ".$1 // 0"; }

sys_log "dnsfailover: $N renewals"
c0=$(stat connections) l0=$(stat logins)
ours=$("$build/bench/bench_renew" -c "$T/primary.env" -n "$N")
c1=$(stat connections) l1=$(stat logins)
echo "$ours"
ours_s=${ours#*seconds=}
ours_s=${ours_s%% *}
ours_cpu=${ours#*cpu_ms=}
ours_tls=$((c1 - c0 - 1)) # the second stats call counts its own connection
ours_logins=$((l1 - l0))

sys_log "curl: $N renewals"
exp=$(($(date +%s) + 100000))
if [ "$PROVIDER" = infoblox ]; then
	text=$(ib_api GET "record:txt?name=$RECORD&view=default" | jq -r '.[0].text')
	cat >"$T/curl-loop.sh" <<EOS
#!/usr/bin/env bash
set -eu
old='$text'
for ((i = 0; i < $N; i++)); do
	new="\"owner=primary exp=\$(($exp + i)) epoch=1\""
	body=\$(jq -cn --arg old "\$old" --arg new "\$new" '[{method:"GET",object:"record:txt",data:{name:"$RECORD",view:"default",text:\$old},assign_state:{T:"_ref"},discard:true},{method:"PUT",object:"##STATE:T:##",enable_substitution:true,data:{text:\$new},discard:true},{method:"GET",object:"record:a",data:{name:"$RECORD",view:"default"},assign_state:{A:"_ref"},discard:true},{method:"PUT",object:"##STATE:A:##",enable_substitution:true,data:{ipv4addr:"192.0.2.10"},discard:true}]')
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$IB_USER:$IB_PASSWORD" -H 'Content-Type: application/json' \
		-d "\$body" "$IB_URL/request" >/dev/null
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$IB_USER:$IB_PASSWORD" "$IB_URL/record:txt?name=$RECORD&view=default" >/dev/null
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$IB_USER:$IB_PASSWORD" "$IB_URL/record:a?name=$RECORD&view=default" >/dev/null
	old=\$new
done
EOS
else
	cat >"$T/curl-loop.sh" <<EOS
#!/usr/bin/env bash
set -eu
dg=$RF_BASE/mgmt/tm/ltm/data-group/internal/~Common~dns_failover_lease
for ((i = 0; i < $N; i++)); do
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$F5_USER:$F5_PASS" "\$dg" >/dev/null
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$F5_USER:$F5_PASS" -X PATCH -H 'Content-Type: application/json' \
		-d "{\"records\":[{\"name\":\"owner\",\"data\":\"primary\"},{\"name\":\"exp\",\"data\":\"\$(($exp + i))\"},{\"name\":\"ip\",\"data\":\"192.0.2.10\"},{\"name\":\"epoch\",\"data\":\"1\"}]}" "\$dg" >/dev/null
	curl -sSf --max-time 5 --cacert "$RF_CA" -u "$F5_USER:$F5_PASS" "\$dg" >/dev/null
done
EOS
fi
chmod 700 "$T/curl-loop.sh"
c0=$(stat connections)
start=$(date +%s.%N)
theirs_cpu=$(/usr/bin/time -f '%U %S' "$T/curl-loop.sh" 2>&1 >/dev/null | tail -n 1)
end=$(date +%s.%N)
c1=$(stat connections)
theirs_tls=$((c1 - c0 - 1))
theirs_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
assert_contains "$(rf_get __fake/stats)" '"writes"' "the fake counted the writes"

awk -v n="$N" -v a="$ours_s" -v b="$theirs_s" -v ca="$ours_cpu" -v cb="$theirs_cpu" \
	-v ta="$ours_tls" -v tb="$theirs_tls" -v lo="$ours_logins" -v p="$PROVIDER" 'BEGIN {
	split(cb, t, " "); cbm = (t[1] + t[2]) * 1000
	ra = n / a; rb = n / b
	printf "%s\n", p
	printf "renewals/s            dnsfailover %8.0f   curl %8.0f   ratio %.1f (goal >= 10)\n", ra, rb, ra / rb
	printf "CPU ms per renewal    dnsfailover %8.2f   curl %8.2f   (client side only)\n", ca / n, cbm / n
	printf "TLS handshakes / 100  dnsfailover %8.1f   curl %8.1f\n", ta * 100 / n, tb * 100 / n
	printf "token logins / 100    dnsfailover %8.1f\n", lo * 100 / n
}'
