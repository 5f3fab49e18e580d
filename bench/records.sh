#!/usr/bin/env bash
# dnsrecordsd registration throughput, measured in one run next to PowerDNS's
# HTTP API (pdns-server with the gsqlite3 backend, one PATCH per record) and
# one nsupdate process per record, on the same machine:
#   - N A records registered with 1 client, then N more with 64 clients, each
#     run timed until every record is served (counted in a signed AXFR);
#   - the same through PowerDNS with 1 and 64 clients (its errors counted);
#   - NSUPDATE_N records through one nsupdate process each (default N);
#   - dnsrecordsd's peak resident memory over the whole run.
# Usage: bench/records.sh [N]   (default 10000). Builds an optimised,
# sanitizer-free tree in build-bench/. Not part of `make check`.
set -eu
N=${1:-10000}
NSUPDATE_N=${NSUPDATE_N:-$N}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-bench
if [ ! -f "$build/Makefile" ] || [ "${REBUILD:-0}" = 1 ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g") >/dev/null
fi
(cd "$build" && make -s -j2 dnsrecordsd bench/bench_records) >/dev/null
export top_srcdir=$top top_builddir=$build DNSRECORDSD=$build/dnsrecordsd
. "$top/tests/system/lib.sh"
. "$top/tests/system/records.sh"
sys_require named nsupdate dig pdns_server sqlite3 curl jq
sys_setup
SYS_NAMED_CONF=rec_named_conf sys_start_named hmac-sha256
REC_RATE=1000000 REC_BURST=1000000 REC_TIMEOUT=60 REC_EXTRA="max_concurrent = 512" rec_write_config
REC_DEBUG=0 rec_start
rec_pid=$(awk '{ print $1 }' "$T/run/dnsrecordsd.pid")

# served PORT ZONE PREFIX [KEYFILE]: how many PREFIX-* A records an AXFR of ZONE shows.
served()
{
	local -a k=()
	[ -n "${4:-}" ] && k=(-k "$4")
	dig @127.0.0.1 -p "$1" "${k[@]}" "$2" AXFR +noall +answer +time=30 |
		awk -v p="$3-" '$4 == "A" && index($1, p) == 1' | wc -l
}
now() { date +%s.%N; }
# run_timed LABEL PORT ZONE PREFIX KEYFILE CMD...: runs CMD, waits until N are served,
# prints "LABEL seconds errors".
run_timed()
{
	local label=$1 port=$2 zone=$3 prefix=$4 keyfile=$5 start out end got
	shift 5
	start=$(now)
	out=$("$@") || fail "$label: the driver failed: $out"
	for _ in $(seq 1 600); do
		got=$(served "$port" "$zone" "$prefix" "$keyfile")
		[ "$got" -ge "$N" ] && break
		sleep 0.1
	done
	end=$(now)
	[ "$got" -ge "$N" ] || fail "$label: only $got of $N served"
	echo "$label $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")"
}

API="http://127.0.0.1:$REC_PORT/api/v1/dns/records"
sys_log "dnsrecordsd: $N records, 1 client"
ours1=$(run_timed ours1 "$NAMED_PORT" example.test r1 "$KEYFILE" \
	"$build/bench/bench_records" -m records -u "$API" -k "$TOK_PROV" -c 1 -n "$N" -p r1 -z example.test)
sys_log "dnsrecordsd: $N records, 64 clients"
ours64=$(run_timed ours64 "$NAMED_PORT" example.test r64 "$KEYFILE" \
	"$build/bench/bench_records" -m records -u "$API" -k "$TOK_PROV" -c 64 -n "$N" -p r64 -z example.test)
batches=$(curl -s "http://127.0.0.1:$REC_PORT/metrics" | awk '$1 == "dnsrecordsd_update_batch_size_count" { print $2 }')
rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$rec_pid/status")

sys_log "PowerDNS $(pdns_server --version 2>&1 | sed -n 's/.*PowerDNS Authoritative Server \([0-9.]*\).*/\1/p' | head -n 1): gsqlite3, HTTP API"
PDNS_PORT=$(sys_free_port)
PDNS_HTTP=$(sys_free_port)
PDNS_KEY=benchkey0123456789
mkdir -p "$T/pdns"
sqlite3 "$T/pdns/pdns.sqlite3" <"$(ls /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql)"
cat >"$T/pdns/pdns.conf" <<EOF2
launch=gsqlite3
gsqlite3-database=$T/pdns/pdns.sqlite3
local-address=127.0.0.1
local-port=$PDNS_PORT
api=yes
api-key=$PDNS_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$PDNS_HTTP
webserver-allow-from=127.0.0.1
socket-dir=$T/pdns
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
EOF2
sys_spawn pdns pdns_server --config-dir="$T/pdns"
pdns_up() { curl -sf -H "X-API-Key: $PDNS_KEY" "http://127.0.0.1:$PDNS_HTTP/api/v1/servers/localhost" >/dev/null; }
sys_wait_for 20 "PowerDNS's API" pdns_up
curl -sf -X POST -H "X-API-Key: $PDNS_KEY" -H 'Content-Type: application/json' \
	--data '{"name":"bench.test.","kind":"Native","nameservers":["ns1.bench.test."]}' \
	"http://127.0.0.1:$PDNS_HTTP/api/v1/servers/localhost/zones" >/dev/null || fail "cannot create the PowerDNS zone"
ZAPI="http://127.0.0.1:$PDNS_HTTP/api/v1/servers/localhost/zones/bench.test."
sys_log "PowerDNS: $N records, 1 client"
pdns1=$(run_timed pdns1 "$PDNS_PORT" bench.test p1 "" \
	"$build/bench/bench_records" -m pdns -u "$ZAPI" -k "$PDNS_KEY" -c 1 -n "$N" -p p1 -z bench.test)
sys_log "PowerDNS: $N records, 64 clients"
# Errors are expected here (the backend's lock): count what was served, not N.
start=$(now)
out=$("$build/bench/bench_records" -m pdns -u "$ZAPI" -k "$PDNS_KEY" -c 64 -n "$N" -p p64 -z bench.test 2>"$T/pdns64.err") || true
end=$(now)
pdns64_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
pdns64_err=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
pdns64_served=$(served "$PDNS_PORT" bench.test p64 "")
sys_kill pdns

sys_log "nsupdate: $NSUPDATE_N records, one process each"
start=$(now)
for i in $(seq 1 "$NSUPDATE_N"); do
	printf 'server 127.0.0.1 %s\nzone example.test\nupdate add n-%d.example.test 300 A 10.9.%d.%d\nsend\n' \
		"$NAMED_PORT" "$i" $((i / 256 % 256)) $((i % 256)) | nsupdate -k "$KEYFILE" || fail "nsupdate $i failed"
done
end=$(now)
ns_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
got=$(served "$NAMED_PORT" example.test n "$KEYFILE")
[ "$got" -ge "$NSUPDATE_N" ] || fail "nsupdate: only $got of $NSUPDATE_N served"

read -r _ o1 e1 <<<"$ours1"
read -r _ o64 e64 <<<"$ours64"
read -r _ p1 pe1 <<<"$pdns1"
awk -v n="$N" -v nn="$NSUPDATE_N" -v o1="$o1" -v e1="$e1" -v o64="$o64" -v e64="$e64" \
	-v p1="$p1" -v pe1="$pe1" -v p64="$pdns64_s" -v pe64="$pdns64_err" -v ps64="$pdns64_served" \
	-v ns="$ns_s" -v rss="$rss_kb" -v batches="$batches" 'BEGIN {
	r1 = n / o1; r64 = n / o64; q1 = n / p1; q64 = ps64 / p64; rn = nn / ns
	printf "records/s until served (N=%d; nsupdate N=%d)\n", n, nn
	printf "  dnsrecordsd  1 client   %8.0f  errors %d\n", r1, e1
	printf "  dnsrecordsd 64 clients  %8.0f  errors %d  (%d UPDATEs for %d changes)\n", r64, e64, batches, 2 * n
	printf "  PowerDNS     1 client   %8.0f  errors %d\n", q1, pe1
	printf "  PowerDNS    64 clients  %8.0f  errors %d  (%d of %d served)\n", q64, pe64, ps64, n
	printf "  nsupdate     1 process/record %4.0f\n", rn
	printf "ratio 1 client  / PowerDNS 1 client: %6.2f  (goal >= 5)\n", r1 / q1
	printf "ratio 64 clients / PowerDNS 1 client: %6.2f  (goal >= 20)\n", r64 / q1
	printf "ratio 1 client  / nsupdate:           %6.2f\n", r1 / rn
	printf "dnsrecordsd peak RSS %.1f MiB (goal <= 24)\n", rss / 1024
}'
