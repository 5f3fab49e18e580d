#!/usr/bin/env bash
# Route 53 renewals against the fake Route 53 over HTTPS (tests/system/fake_route53),
# next to the same requests made by one curl process per request (what a script
# provider does), in one run:
#   - renewals per second and CPU (user + system) per renewal: N CAS renewals
#     (ChangeResourceRecordSets: DELETE the TXT read, CREATE the new one, SigV4-signed)
#     through the provider, then M through `curl --aws-sigv4`, each against the
#     value the previous one wrote;
#   - TLS handshakes per 100 renewals (the fake logs each new connection);
#   - peak resident memory (VmHWM) of `dnsfailover run` renewing every second for 20 s,
#     and the TLS handshakes it made meanwhile (its calls share the loop's connections).
# Usage: bench/route53.sh [N] [M]   (defaults 1000 and 200). Builds an optimised,
# sanitizer-free tree in build-bench/. Not part of `make check`.
set -eu
N=${1:-1000}
M=${2:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -x "$build/bench/bench_renew" ] || [ ! -x "$build/tests/system/fake_route53" ] ||
	[ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q CFLAGS="-O2 -g"; } &&
		make -s -j2 dnsfailover bench/bench_renew tests/system/fake_route53) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/lib.sh"
. "$top/tests/system/route53.sh"
sys_require curl openssl /usr/bin/time
sys_setup
ZONE=example.com. RECORD=lease.example.com.
r53_start
# A change is INSYNC at once: the figures are about the requests, not the wait.
r53_control insync_ms=0
r53_config "$T/primary.env" ROLE=primary UPDATE_INTERVAL=1 RENEW_DEADLINE=3 LEASE_TTL=5
"$DNSFAILOVER" -c "$T/primary.env" init >/dev/null 2>&1 || fail "init failed"

conns() { grep -c '^conn$' "$R53_LOG" || true; }
cpu_of() { awk '{ printf "%.3f", $1 + $2 }' "$1"; }

sys_log "dnsfailover: $N CAS renewals"
c0=$(conns)
ours=$(/usr/bin/time -o "$T/ours.time" -f '%U %S' "$build/bench/bench_renew" -c "$T/primary.env" -n "$N")
c1=$(conns)
ours_s=${ours#*seconds=}
ours_cpu=$(cpu_of "$T/ours.time")
ours_conn=$((c1 - c0))

# The same renewal through curl: one process per request, the body made by the
# shell from the TXT the previous request wrote.
txt=$(sed -n 's/^lease\.example\.com\. TXT [0-9]* //p' "$R53_STATE")
exp=$(sed -n 's/.*exp=\([0-9]*\).*/\1/p' <<<"$txt")
epoch=$(sed -n 's/.*epoch=\([0-9]*\).*/\1/p' <<<"$txt")
[ -n "$exp" ] && [ -n "$epoch" ] || fail "cannot read the lease TXT: $txt"
cat >"$T/curl-renew.sh" <<EOS
#!/usr/bin/env bash
set -eu
exp=$exp
for i in \$(seq 1 $M); do
	old="\\"owner=primary exp=\$exp epoch=$epoch\\""
	new="\\"owner=primary exp=\$((exp + 1)) epoch=$epoch\\""
	body="<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>
<ChangeResourceRecordSetsRequest xmlns=\\"https://route53.amazonaws.com/doc/2013-04-01/\\"><ChangeBatch><Changes><Change><Action>DELETE</Action><ResourceRecordSet><Name>$RECORD</Name><Type>TXT</Type><TTL>30</TTL><ResourceRecords><ResourceRecord><Value>\$old</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change><Change><Action>CREATE</Action><ResourceRecordSet><Name>$RECORD</Name><Type>TXT</Type><TTL>30</TTL><ResourceRecords><ResourceRecord><Value>\$new</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
	out=\$(curl -sS --cacert "$R53_CA" --aws-sigv4 "aws:amz:us-east-1:route53" \\
		--user "$R53_AKID:\$(cat "$T/aws-secret")" -H "Content-Type: text/xml" \\
		--data-binary "\$body" "$R53_URL/2013-04-01/hostedzone/$R53_ZONE_ID/rrset/")
	case \$out in *"<Status>INSYNC</Status>"*) ;; *) echo "curl renewal \$i: \$out" >&2; exit 1 ;; esac
	exp=\$((exp + 1))
done
EOS
chmod +x "$T/curl-renew.sh"
sys_log "curl: $M CAS renewals, one process per request"
c0=$(conns)
start=$(date +%s.%N)
/usr/bin/time -o "$T/curl.time" -f '%U %S' "$T/curl-renew.sh" || fail "curl renewals failed"
end=$(date +%s.%N)
c1=$(conns)
curl_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
curl_cpu=$(cpu_of "$T/curl.time")
curl_conn=$((c1 - c0))
assert_contains "$(r53_state)" "exp=$((exp + M)) " "every curl renewal applied"

sys_log "dnsfailover run: peak RSS while renewing every second"
c0=$(conns)
sys_spawn primary "$DNSFAILOVER" -c "$T/primary.env" run
run_pid=$SYS_PID
sys_wait_for 10 "the daemon renewing" grep -q "Lease renewed" "$T/primary.log"
sleep 20
run_renewals=$(grep -c "Lease renewed" "$T/primary.log" || true)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$run_pid/status")
sys_kill primary 5 || true
run_conn=$(($(conns) - c0))

awk -v n="$N" -v a="$ours_s" -v ca="$ours_cpu" -v ka="$ours_conn" \
	-v m="$M" -v b="$curl_s" -v cb="$curl_cpu" -v kb="$curl_conn" -v hwm="$hwm" \
	-v rr="$run_renewals" -v rk="$run_conn" 'BEGIN {
	ra = n / a; rb = m / b
	printf "renewals/s            dnsfailover %8.0f   curl %8.0f   ratio %.1f (goal >= 10)\n", ra, rb, ra / rb
	printf "CPU ms per renewal    dnsfailover %8.3f   curl %8.3f   ratio %.1f\n", ca * 1000 / n, cb * 1000 / m, (cb / m) / (ca / n)
	printf "TLS handshakes / 100  dnsfailover %8.2f   curl %8.2f\n", ka * 100 / n, kb * 100 / m
	printf "TLS handshakes / 100  dnsfailover run %.2f (%d connections, %d renewals, one a second)\n", rk * 100 / rr, rk, rr
	printf "peak RSS of run       %d KiB (goal < 16384)\n", hwm
}'
