#!/usr/bin/env bash
# Lease renewal throughput and memory, measured against nsupdate in the same
# run on the same named:
#   - N sequential CAS renewals (prerequisite on the old TXT, delete TXT and
#     A, add both) sent by dnsfailover's client, and the same N updates sent
#     by one nsupdate process;
#   - peak resident memory of `dnsfailover show` next to nsupdate's for one
#     update.
# Usage: bench/renew.sh [N]   (default 2000). Builds an optimised,
# sanitizer-free tree in build-bench/. Not part of `make check`.
set -eu
N=${1:-2000}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -x "$build/bench/bench_renew" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" && make -s -j2 dnsfailover bench/bench_renew) >/dev/null
fi
export top_srcdir=$top top_builddir=$build DNSFAILOVER=$build/dnsfailover
. "$top/tests/system/lib.sh"
. "$top/bench/lib.sh"
sys_require named nsupdate dig /usr/bin/time
sys_setup
sys_start_named hmac-sha256
sys_write_config "$T/primary.env"
"$DNSFAILOVER" -c "$T/primary.env" init >/dev/null 2>&1 || fail "init failed"

sys_log "dnsfailover: $N CAS renewals"
ours=$("$build/bench/bench_renew" -c "$T/primary.env" -n "$N")
echo "$ours"
ours_s=${ours#*seconds=}
ours_s=${ours_s%% *}

# nsupdate: the same CAS renewal N times from one process, each its own send.
bench_nsupdate_script "$T/nsupdate.txt" "$N"
exp=$BENCH_EXP
sys_log "nsupdate: $N CAS renewals"
start=$(date +%s.%N)
nsupdate -k "$KEYFILE" "$T/nsupdate.txt" || fail "nsupdate failed"
end=$(date +%s.%N)
theirs_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
final=$(sys_dig TXT)
assert_contains "$final" "exp=$((exp + N))" "every nsupdate renewal applied"

# Peak RSS (KiB) of one show, and of nsupdate sending one update.
ours_kb=$(/usr/bin/time -f %M "$DNSFAILOVER" -c "$T/primary.env" show 2>&1 >/dev/null | tail -n 1)
printf 'server 127.0.0.1 %s\nzone %s\nprereq yxrrset %s TXT\nsend\n' "$NAMED_PORT" "$ZONE" "$RECORD" >"$T/one.txt"
theirs_kb=$(/usr/bin/time -f %M nsupdate -k "$KEYFILE" "$T/one.txt" 2>&1 >/dev/null | tail -n 1)

awk -v n="$N" -v a="$ours_s" -v b="$theirs_s" -v ma="$ours_kb" -v mb="$theirs_kb" 'BEGIN {
	ra = n / a; rb = n / b
	printf "renewals/s   dnsfailover %8.0f   nsupdate %8.0f   ratio %.2f (goal >= 1.00)\n", ra, rb, ra / rb
	printf "peak RSS KiB dnsfailover %8d   nsupdate %8d   ratio %.2f (goal < 1.00)\n", ma, mb, ma / mb
}'
