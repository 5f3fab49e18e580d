#!/usr/bin/env bash
# Lease renewals through the gcp-dns provider against the HTTPS fake of Google's
# token endpoint and Cloud DNS (tests/system/fake_gcp, its changes "done" at
# once so that the figures are the client's), next to the same changes made by
# one curl process per request with a token fetched once, in one run:
#   - renewals/s and CPU per renewal: N renewals by bench_renew (one loop and
#     one HTTP multi for the run, as in the daemon; a renewal is one
#     changes.create), then the same N changes by curl;
#   - TLS handshakes and tokens per 100 renewals (the fake counts both).
# Usage: bench/gcp.sh [N] (default 300). Builds an optimised, sanitizer-free
# tree in build-bench/. Not part of `make check`.
set -eu
N=${1:-300}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -x "$build/bench/bench_renew" ] || [ ! -x "$build/tests/system/fake_gcp" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" &&
		make -s -j2 dnsfailover bench/bench_renew tests/system/fake_gcp \
			tests/system/fake_collector) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/gcp.sh"
sys_require curl openssl jq /usr/bin/time
sys_setup
umask 077
sys_start_collector primary
gcp_start_fake -D 0
# shellcheck disable=SC2046
sys_write_config "$T/primary.env" DNS_SERVER= DNS_PORT= TSIG_KEYFILE= $(gcp_keys) \
	UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 HEALTH_URL="$COLLECTOR_URL" \
	HEALTH_MODE=metrics
"$DNSFAILOVER" -c "$T/primary.env" init >/dev/null 2>&1 || fail "init failed"

sys_log "dnsfailover: $N renewals"
c0=$(gcp_stats connections)
k0=$(gcp_stats tokens)
ours=$("$build/bench/bench_renew" -c "$T/primary.env" -n "$N")
c1=$(gcp_stats connections)
k1=$(gcp_stats tokens)
echo "$ours"
ours_s=${ours#*seconds=}
ours_s=${ours_s%% *}
ours_cpu=${ours#*cpu_ms=}
ours_tls=$((c1 - c0 - 1)) # the second stats call counts its own connection
ours_tok=$((k1 - k0))

# curl: one process per change, each deleting the TXT the previous one added.
sys_log "curl: $N renewals"
tok=$(gcp_token)
old=$(curl -sS --cacert "$T/ca.pem" "$GCP_BASE/__fake/records" | jq -c '.[] | select(.type == "TXT") | {name, type, ttl, rrdatas}')
exp=$(($(date +%s) + 100000))
cat >"$T/curl-loop.sh" <<EOS
#!/usr/bin/env bash
set -eu
old='$old'
for ((i = 0; i < $N; i++)); do
	new="{\"name\":\"$RECORD.\",\"type\":\"TXT\",\"ttl\":30,\"rrdatas\":[\"\\\\\"owner=primary exp=\$(($exp + i)) epoch=1\\\\\"\"]}"
	out=\$(curl -sS --max-time 5 --cacert "$T/ca.pem" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' -d "{\"deletions\":[\$old],\"additions\":[\$new]}" \
		"$GCP_BASE/dns/v1/projects/$GCP_PROJECT/managedZones/$GCP_ZONE/changes")
	[[ \$out == *'"status":"done"'* ]] || { echo "change failed: \$out" >&2; exit 1; }
	old=\$new
done
EOS
chmod 700 "$T/curl-loop.sh"
c0=$(gcp_stats connections)
start=$(date +%s.%N)
theirs_cpu=$(/usr/bin/time -f '%U %S' "$T/curl-loop.sh" 2>&1 >/dev/null | tail -n 1)
end=$(date +%s.%N)
c1=$(gcp_stats connections)
theirs_tls=$((c1 - c0 - 1))
theirs_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
assert_contains "$(gcp_records)" "exp=$((exp + N - 1)) " "every curl renewal applied"

awk -v n="$N" -v a="$ours_s" -v b="$theirs_s" -v ca="$ours_cpu" -v cb="$theirs_cpu" \
	-v ta="$ours_tls" -v tb="$theirs_tls" -v tk="$ours_tok" 'BEGIN {
	split(cb, t, " "); cbm = (t[1] + t[2]) * 1000
	ra = n / a; rb = n / b
	printf "renewals/s            dnsfailover %8.0f   curl %8.0f   ratio %.1f (goal >= 10)\n", ra, rb, ra / rb
	printf "CPU ms per renewal    dnsfailover %8.2f   curl %8.2f   (client side only)\n", ca / n, cbm / n
	printf "TLS handshakes / 100  dnsfailover %8.1f   curl %8.1f\n", ta * 100 / n, tb * 100 / n
	printf "tokens / 100          dnsfailover %8.1f   curl (fetched once, not counted)\n", tk * 100 / n
}'
