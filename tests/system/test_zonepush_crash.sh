#!/usr/bin/env bash
# kill -9 during a 500-zone push: zonepushd is killed three times (ZP_CRASH_KILLS) while a DA-like client
# pushes 500 zones (and then changes 100 of them), and restarted each time. Every push
# answered error=0 must end up served by named with the serial of its last answered push
# (none lost, no older version applied over a newer one), the include file must name each
# zone once, and the queue must drain.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/zonepush.sh"

zp_begin named rndc dig curl sqlite3
zp_start_named ns1
zp_write_conf "retry_schedule=1,1,1,1,1" "batch=50" "log_level=warn"
zp_start

N=${ZP_CRASH_ZONES:-500}
CHANGED=${ZP_CRASH_CHANGED:-100}
KILLS=${ZP_CRASH_KILLS:-3} # bench: ZP_CRASH_KILLS=20
: >"$T/acked"
# pusher: zones 1..N at serial 1, then 1..CHANGED at serial 2. A push that gets no answer
# (the daemon is down or was killed mid-request) is sent again, as an operator would; only
# an error=0 answer is recorded as acknowledged.
pusher()
{
	local i s out
	for s in 1 2; do
		local last=$N
		[ "$s" = 1 ] || last=$CHANGED
		for ((i = 1; i <= last; i++)); do
			zp_zone "zc$i.example" "$s" >"$T/z.$$"
			while :; do
				out=$(da_rawsave "zc$i.example" "$T/z.$$" s1.da.example 2>/dev/null) || true
				case $out in
				"error=0"*"HTTP 200") echo "zc$i.example $s" >>"$T/acked"; break ;;
				*"HTTP 4"*) echo "refused zc$i.example: $out" >>"$T/refused"; break ;;
				esac
				sleep 0.05
			done
		done
	done
	echo done >"$T/pusher.done"
}
pusher &
PUSHER=$!

acked_at_least()
{
	[ "$(wc -l <"$T/acked")" -ge "$1" ]
}
step=$(((N + CHANGED) / (KILLS + 1)))
for ((k = 1; k <= KILLS; k++)); do
	# a random moment while pushes are flowing
	sys_wait_for 60 "pushes acknowledged before kill $k" acked_at_least $((k * step - RANDOM % (step / 2 + 1)))
	sys_log "kill -9 #$k after $(wc -l <"$T/acked") acknowledged pushes"
	zp_kill9
	sleep 0.2
	zp_start
done
wait "$PUSHER"
[ ! -s "$T/refused" ] || fail "pushes refused: $(head -3 "$T/refused")"
acked=$(wc -l <"$T/acked")
assert_eq "$acked" $((N + CHANGED)) "every push acknowledged in the end"

# The last acknowledged serial of each zone.
awk '{ last[$1] = $2 } END { for (z in last) print z, last[z] }' "$T/acked" | sort >"$T/want"
drained()
{
	[ "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM queue")" = 0 ]
}
sys_wait_for 120 "the queue drains" drained
awk '{ print $1, "SOA" }' "$T/want" >"$T/batch"
dig @127.0.0.1 -p "$ns1_DNS_PORT" +norec +short +time=2 +tries=2 -f "$T/batch" >"$T/soa.raw"
# dig -f answers in order: pair each answer with its zone.
paste -d' ' <(awk '{ print $1 }' "$T/want") <(awk '{ print $3 }' "$T/soa.raw") >"$T/got"
if ! diff -u "$T/want" "$T/got" >"$T/diff"; then
	fail "served serials differ from the last acknowledged pushes: $(head -20 "$T/diff")"
fi
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM zones WHERE deleted = 0")" "$N" "every zone stored"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT COUNT(*) FROM dead_letters")" 0 "no dead letter"
dups=$(grep -o 'zone "[^"]*"' "$T/ns1/named.conf.local" | sort | uniq -d | wc -l)
assert_eq "$dups" 0 "each zone once in the include file"
assert_eq "$(grep -c '^zone ' "$T/ns1/named.conf.local")" "$N" "every zone in the include file"
left=$(find "$T/ns1/zones" -name '*.tmp' | wc -l)
assert_eq "$left" 0 "no temp file visible to named"
assert_exit 0 "zonepushd status after the crashes" -- "$ZONEPUSHD" -c "$T/zp.conf" status
assert_contains "$OUT" "backend ns1 pending 0 applied $N dead 0" "status"
zp_stop
sys_log "PASS: $acked acknowledged pushes, $KILLS kill -9, all served"
