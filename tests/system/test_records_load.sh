#!/usr/bin/env bash
# dnsrecordsd under load and failure: 100 concurrent registrations land in few
# UPDATEs and every client is told its own result (conflicting ones included);
# the listing of the grown zone by multi-message signed AXFR; a refused update
# is answered 502 and never retried; named down is retried with backoff, then
# 503 with the reason; the per-token rate limit (429 + Retry-After); the
# concurrency cap; TLS.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/records.sh"
sys_setup
sys_require curl jq named dig nsupdate openssl
SYS_NAMED_CONF=rec_named_conf sys_start_named hmac-sha256
REC_TIMEOUT=3 rec_write_config
rec_start

metric()
{
	curl -s "http://127.0.0.1:$REC_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

sys_log "five names already hold other data: their registrations must conflict"
for i in 3 17 42 64 99; do
	printf 'update add h%d.example.test 300 A 198.51.100.%d\n' "$i" "$i"
done | { cat; echo send; } | sys_nsupdate || fail "nsupdate of the conflicting names"

sys_log "100 concurrent registrations"
updates_before=$(metric dnsrecordsd_update_batch_size_count)
for i in $(seq 0 99); do
	printf '{"name":"h%d.example.test","type":"A","value":"192.0.2.%d"}\n' "$i" "$i"
done >"$T/h.bodies"
rec_post_parallel "$T/h.bodies" "$T/c"
wait_clients()
{
	local i
	for i in $(seq 0 99); do
		[ -s "$T/c/$i.status" ] || return 1
	done
}
sys_wait_for 5 "the 100 answers" wait_clients
sleep 0.2
created=0
conflicts=0
for i in $(seq 0 99); do
	st=$(cat "$T/c/$i.status")
	case " 3 17 42 64 99 " in
	*" $i "*)
		assert_eq "$st" 409 "client $i (name already taken)"
		assert_eq "$(jq -r '.error.current[0].value' "$T/c/$i.body")" "198.51.100.$i" "client $i sees what is there"
		assert_eq "$(rec_dig "h$i.example.test" A)" "198.51.100.$i" "h$i untouched"
		conflicts=$((conflicts + 1))
		;;
	*)
		assert_eq "$st" 201 "client $i"
		assert_eq "$(jq -r .data.value "$T/c/$i.body")" "192.0.2.$i" "client $i told its own record"
		assert_eq "$(rec_dig "h$i.example.test" A)" "192.0.2.$i" "h$i on the server"
		created=$((created + 1))
		;;
	esac
done
assert_eq "$created/$conflicts" 95/5 "every client got its own outcome"
updates=$(($(metric dnsrecordsd_update_batch_size_count) - updates_before))
sys_log "100 registrations (5 conflicting) went out in $updates UPDATE messages; batch sizes:"
curl -s "http://127.0.0.1:$REC_PORT/metrics" | grep '^dnsrecordsd_update_batch_size_bucket' | sed 's/^/#   /' 
# The conflicting ones each fail their batch once and are then sent alone; the
# others must have been coalesced.
[ "$updates" -le 60 ] || fail "100 concurrent registrations took $updates UPDATEs: not coalesced"
sys_log "100 more concurrent registrations, none conflicting"
updates_before=$(metric dnsrecordsd_update_batch_size_count)
for i in $(seq 0 99); do
	printf '{"name":"g%d.example.test","type":"A","value":"198.18.0.%d"}\n' "$i" "$i"
done >"$T/g.bodies"
rec_post_parallel "$T/g.bodies" "$T/g"
assert_eq "$(sort "$T/g/codes" | uniq -c | awk '{ print $1 "x" $2 }')" 100x201 "every registration created"
updates=$(($(metric dnsrecordsd_update_batch_size_count) - updates_before))
sys_log "100 registrations without conflicts went out in $updates UPDATE messages"
[ "$updates" -le 25 ] || fail "100 concurrent registrations took $updates UPDATEs: not coalesced"
for i in 0 37 99; do
	assert_eq "$(rec_dig "g$i.example.test" A)" "198.18.0.$i" "g$i on the server"
done
assert_eq "$(grep -c '"outcome":"created"' "$T/audit.log")" 195 "an audit line for every created record"
assert_eq "$(grep -c '"outcome":"conflict"' "$T/audit.log")" 5 "an audit line for every conflict"

sys_log "the grown zone listed by signed AXFR spanning several messages"
for b in 0 1 2 3 4 5 6 7; do
	for i in $(seq 0 99); do
		printf 'update add bulk%d-%d.example.test 300 TXT "%s"\n' "$b" "$i" "$(head -c 200 /dev/zero | tr '\0' x)"
	done | { cat; echo send; } | sys_nsupdate || fail "bulk nsupdate $b"
done
rec_call GET '/api/v1/dns/records?zone=example.test&type=TXT&limit=1000'
rec_expect 200 "list of 800 TXT records"
assert_eq "$(jq -r '.paging.total' <<<"$REC_BODY")" 800 "all TXT records listed"
dig @127.0.0.1 -p "$NAMED_PORT" -k "$KEYFILE" example.test AXFR +noall +stats >"$T/axfr.stats"
msgs=$(sed -n 's/.*(messages \([0-9]*\),.*/\1/p' "$T/axfr.stats")
[ "${msgs:-0}" -gt 1 ] || fail "the AXFR was not multi-message (dig: $(cat "$T/axfr.stats"))"
sys_log "AXFR took $msgs messages; every one verified"
rec_call GET '/api/v1/dns/records?zone=example.test&type=A&limit=1000'
assert_eq "$(jq -r '.paging.total' <<<"$REC_BODY")" 201 "the A records (200 + ns1)"

sys_log "a refused update: 502 naming the cause, sent once"
rec_call POST /api/v1/dns/records '{"name":"refused.example.test","type":"A","value":"192.0.2.1"}'
rec_expect 502 "refused update"
assert_eq "$(jq -r .error.code <<<"$REC_BODY")" update_refused "refused code"
assert_contains "$(jq -r .error.message <<<"$REC_BODY")" "REFUSED the update of refused.example.test. A in zone example.test." "the message names the record"
assert_contains "$(jq -r .error.message <<<"$REC_BODY")" "grant key lease-key." "the message names the key"
assert_eq "$(grep -c 'rejected by secure update' "$T/named.log")" 1 "the refused update was sent once"

sys_log "named down: retried with backoff until the deadline, then 503 with the reason"
sys_stop_named
start=$SECONDS
rec_call POST /api/v1/dns/records '{"name":"down.example.test","type":"A","value":"192.0.2.1"}'
took=$((SECONDS - start))
rec_expect 503 "named down"
assert_eq "$(jq -r .error.code <<<"$REC_BODY")" dns_unavailable "unavailable code"
assert_contains "$(jq -r .error.message <<<"$REC_BODY")" "127.0.0.1#$NAMED_PORT" "the reason names the server"
[ "$took" -le 5 ] || fail "took ${took}s: past the 3 s request deadline"
# backoff 100, 200, 400, 800 ms fits the 3 s deadline; 1600 more would not
retries=$(grep -c "down.example.test\|UPDATE to 127.0.0.1#$NAMED_PORT failed (Connection refused); retrying in" "$T/dnsrecordsd.log")
[ "$retries" -ge 3 ] || fail "only $retries retries before giving up"
assert_contains "$(grep 'retrying in' "$T/dnsrecordsd.log" | tail -n 1)" "retrying in 800 ms" "exponential backoff"
rec_call GET /api/v1/dns/records/h1.example.test
rec_expect 503 "a read with named down"
assert_eq "$(tail -n 1 "$T/audit.log" | jq -r .outcome)" dns_failed "the failed write is audited"
sys_restart_named
rec_call POST /api/v1/dns/records '{"name":"down.example.test","type":"A","value":"192.0.2.1"}'
rec_expect 201 "after named is back"

sys_log "rate limit per token, and the concurrency cap"
sys_kill dnsrecordsd
dead_port=$(sys_free_port)
REC_RATE=1 REC_BURST=3 REC_EXTRA="max_concurrent = 1
verify_timeout = 10" REC_VERIFY="verify_servers = 127.0.0.1:$NAMED_PORT 127.0.0.1:$dead_port" rec_write_config
rec_start
for i in 1 2 3; do
	rec_call GET /api/v1/dns/records/h1.example.test "" "$TOK_RO"
	rec_expect 200 "request $i within the burst"
done
rec_call GET /api/v1/dns/records/h1.example.test "" "$TOK_RO"
rec_expect 429 "over the rate"
[ "$(rec_header Retry-After)" -ge 1 ] || fail "429 without Retry-After"
rec_call GET /api/v1/dns/records/h1.example.test
rec_expect 200 "another token has its own bucket"
# A verify that waits for a server that is down holds the one slot.
curl -s -o /dev/null --max-time 20 -H "Authorization: Bearer $TOK_PROV" \
	"http://127.0.0.1:$REC_PORT/api/v1/dns/records/h1.example.test/verify?wait=4" &
slow=$!
sleep 1
rec_call GET /api/v1/dns/records/x.other.test "" "$TOK_OTHER"
rec_expect 503 "a second request beyond max_concurrent = 1"
assert_eq "$(jq -r .error.code <<<"$REC_BODY")" busy "busy code"
wait "$slow" || true

sys_log "TLS when a certificate is configured"
sys_kill dnsrecordsd
(
	umask 077
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" \
		-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1
) || fail "openssl req"
REC_EXTRA="tls_cert = $T/tls.crt
tls_key = $T/tls.key" rec_write_config
sys_spawn dnsrecordsd "$DNSRECORDSD" -c "$T/records.conf"
ok_tls()
{
	curl -s --cacert "$T/tls.crt" "https://127.0.0.1:$REC_PORT/healthz" | grep -q ok
}
sys_wait_for 10 "dnsrecordsd over TLS" ok_tls
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/tls.crt" -H "Authorization: Bearer $TOK_PROV" \
	"https://127.0.0.1:$REC_PORT/api/v1/dns/records/h1.example.test")
assert_eq "$code" 200 "GET over TLS"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REC_PORT/healthz") || true
[ "$code" != 200 ] || fail "plain HTTP answered on the TLS listener"
chmod 644 "$T/tls.key"
sys_kill dnsrecordsd
out=$("$DNSRECORDSD" -c "$T/records.conf" 2>&1) && fail "started with a world-readable TLS key"
assert_contains "$out" "tls.key" "the refusal names the key file"
sys_log "PASS"
