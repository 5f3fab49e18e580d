#!/usr/bin/env bash
# Lease renewals through the cloudflare provider against the HTTPS fake of the
# API (tests/system/fake_cloudflare), next to the same requests made by one
# curl process per request (what a script-provider user does today), in one
# run:
#   - renewals/s and CPU per renewal: N renewals by bench_renew (one loop and
#     one HTTP multi for the run, as in the daemon; a renewal is the batch and
#     the read back), then the same N batches and read backs by curl;
#   - TLS handshakes per 100 renewals (the fake counts its connections);
#   - peak RSS of `dnsfailover run` renewing every second for RUN_SECS.
# bench_renew's first read runs on a private loop (one more connection, not
# counted in the renewals' handshakes but in the fake's count: the figure is
# per 100 renewals of the run, that read included).
# Usage: bench/cloudflare.sh [N] (default 500; RUN_SECS default 20). Builds an
# optimised, sanitizer-free tree in build-bench/. Not part of `make check`.
set -eu
N=${1:-500}
RUN_SECS=${RUN_SECS:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -x "$build/bench/bench_renew" ] || [ ! -x "$build/tests/system/fake_cloudflare" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" &&
		make -s -j2 dnsfailover bench/bench_renew tests/system/fake_cloudflare \
			tests/system/fake_collector) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/cloudflare.sh"
sys_require curl openssl jq /usr/bin/time
sys_setup
umask 077
sys_start_collector primary
cf_start_fake
# shellcheck disable=SC2046
sys_write_config "$T/primary.env" DNS_SERVER= DNS_PORT= TSIG_KEYFILE= $(cf_keys) \
	UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5 HEALTH_URL="$COLLECTOR_URL" \
	HEALTH_MODE=metrics
"$DNSFAILOVER" -c "$T/primary.env" init >/dev/null 2>&1 || fail "init failed"

sys_log "dnsfailover: $N renewals"
c0=$(cf_stats connections)
ours=$("$build/bench/bench_renew" -c "$T/primary.env" -n "$N")
c1=$(cf_stats connections)
echo "$ours"
ours_s=${ours#*seconds=}
ours_s=${ours_s%% *}
ours_cpu=${ours#*cpu_ms=}
# The second stats call counts its own connection.
ours_tls=$((c1 - c0 - 1))

# curl: per renewal one process for the batch and one for the read back, as a
# set/get script pair would; the TXT id for the next batch comes from the
# batch's answer (bash only, no extra process).
sys_log "curl: $N renewals"
id=$(cf_records | sed -n 's/^TXT \([0-9a-f]*\) .*/\1/p')
exp=$(($(date +%s) + 100000))
cat >"$T/curl-loop.sh" <<EOS
#!/usr/bin/env bash
set -eu
id=$id
for ((i = 0; i < $N; i++)); do
	body="{\"deletes\":[{\"id\":\"\$id\"}],\"posts\":[{\"type\":\"TXT\",\"name\":\"$RECORD\",\"content\":\"\\\\\"owner=primary exp=\$(($exp + i)) epoch=1\\\\\"\",\"ttl\":60}]}"
	out=\$(curl -sS --max-time 5 --cacert "$CF_CA" -X POST -H "Authorization: Bearer $CF_TOKEN" \
		-H 'Content-Type: application/json' -d "\$body" "$CF_URL/zones/$CF_ZONE_ID/dns_records/batch")
	[[ \$out =~ \"posts\":\[\{\"id\":\"([0-9a-f]+)\" ]] || { echo "batch failed: \$out" >&2; exit 1; }
	id=\${BASH_REMATCH[1]}
	curl -sS --max-time 5 --cacert "$CF_CA" -H "Authorization: Bearer $CF_TOKEN" \
		"$CF_URL/zones/$CF_ZONE_ID/dns_records?name=$RECORD&per_page=100" >/dev/null
done
EOS
chmod 700 "$T/curl-loop.sh"
c0=$(cf_stats connections)
start=$(date +%s.%N)
theirs_cpu=$(/usr/bin/time -f '%U %S' "$T/curl-loop.sh" 2>&1 >/dev/null | tail -n 1)
end=$(date +%s.%N)
c1=$(cf_stats connections)
theirs_tls=$((c1 - c0 - 1))
theirs_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
assert_contains "$(cf_records)" "exp=$((exp + N - 1)) " "every curl renewal applied"

sys_log "dnsfailover run: peak RSS over ${RUN_SECS}s of renewals every second"
r0=$(cf_stats connections)
sys_spawn run "$DNSFAILOVER" -c "$T/primary.env" run
pid=$SYS_PID
sleep "$RUN_SECS"
renewed=$(grep -c 'Lease renewed' "$T/run.log" || true)
run_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
run_tls=$(($(cf_stats connections) - r0 - 1))
sys_kill run 5
[ "$renewed" -gt 0 ] || fail "the daemon renewed nothing: $(tail -n 5 "$T/run.log")"

awk -v n="$N" -v a="$ours_s" -v b="$theirs_s" -v ca="$ours_cpu" -v cb="$theirs_cpu" \
	-v ta="$ours_tls" -v tb="$theirs_tls" -v kb="$run_kb" -v rn="$renewed" -v rt="$run_tls" 'BEGIN {
	split(cb, t, " "); cbm = (t[1] + t[2]) * 1000
	ra = n / a; rb = n / b
	printf "renewals/s            dnsfailover %8.0f   curl %8.0f   ratio %.1f (goal >= 10)\n", ra, rb, ra / rb
	printf "CPU ms per renewal    dnsfailover %8.2f   curl %8.2f   (client side only)\n", ca / n, cbm / n
	printf "TLS handshakes / 100  dnsfailover %8.1f   curl %8.1f\n", ta * 100 / n, tb * 100 / n
	printf "run: peak RSS %d KiB (%.1f MiB, goal < 16 MiB) after %d renewals over %d TLS connection(s)\n", kb, kb / 1024, rn, rt
}'
