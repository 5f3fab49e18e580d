#!/usr/bin/env bash
# Lease renewal throughput over GSS-TSIG, measured against nsupdate -g in the
# same run on the same named (tkey-gssapi-keytab, throwaway MIT KDC from
# tests/system/kdc.sh):
#   - N sequential CAS renewals (prerequisite on the old TXT, delete TXT and
#     A, add both) sent by dnsfailover's ad-gss provider, which negotiates one
#     GSS-TSIG context and signs every renewal with it;
#   - the same N updates sent by one `nsupdate -g` process, which negotiates a
#     new TKEY context for every `send`.
# Both sign as lease-primary@EXAMPLE.TEST. Prints both rates and the ratio.
# Usage: bench/gss_renew.sh [N]   (default 500). Builds an optimised,
# sanitizer-free tree in build-bench/ (make is incremental; REBUILD=1
# reconfigures). Not part of `make check`.
set -eu
N=${1:-500}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -f "$build/Makefile" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g") >/dev/null
fi
(cd "$build" && make -s -j2 dnsfailover bench/bench_renew) >/dev/null
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/lib.sh"
. "$top/bench/lib.sh"
. "$top/tests/system/kdc.sh"
sys_require_kdc
sys_setup
sys_start_kdc
sys_start_named_gss hmac-sha256
sys_write_config "$T/primary.env" DNS_PROVIDER=ad-gss TSIG_KEYFILE= \
	GSS_SERVICE=DNS/ns1.example.test GSS_KEYTAB="$KEYTAB_PRIMARY" \
	GSS_PRINCIPAL="lease-primary@$REALM"
"$DNSFAILOVER" -c "$T/primary.env" init >"$T/init.log" 2>&1 || fail "init failed; see init.log"

# dnsfailover: one context (negotiated before the untimed warm-up round).
sys_log "dnsfailover ad-gss: $N CAS renewals"
ours=$("$build/bench/bench_renew" -c "$T/primary.env" -n "$N" 2>"$T/bench.err") ||
	fail "bench_renew failed: $(cat "$T/bench.err")"
ours_s=${ours#*seconds=}
ours_s=${ours_s%% *}
ctx=$(grep -c 'GSS-TSIG: negotiated key' "$T/bench.err") || true

# nsupdate -g: the same CAS renewal N times from one process, each its own
# send. It builds the SPN from the SOA MNAME (ns1.example.test), so naming the
# server by address is enough.
bench_nsupdate_script "$T/nsupdate.txt" "$N"
exp=$BENCH_EXP
sys_log "nsupdate -g: $N CAS renewals"
start=$(date +%s.%N)
KRB5CCNAME=$CCACHE_PRIMARY timeout -k 5 300 nsupdate -g "$T/nsupdate.txt" ||
	fail "nsupdate -g failed or took over 300 s"
end=$(date +%s.%N)
theirs_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
final=$(sys_dig TXT)
assert_contains "$final" "exp=$((exp + N))" "every nsupdate -g renewal applied"

awk -v n="$N" -v a="$ours_s" -v b="$theirs_s" -v c="$ctx" 'BEGIN {
	ra = n / a; rb = n / b
	printf "dnsfailover ad-gss: %d renewals in %.3f s = %.0f/s (contexts negotiated: %d)\n", n, a, ra, c
	printf "nsupdate -g:        %d renewals in %.3f s = %.0f/s\n", n, b, rb
	printf "ratio (dnsfailover / nsupdate -g): %.2f\n", ra / rb
}'
