#!/usr/bin/env bash
# Every route53 error case against the fake: a non-zero exit, a message naming the
# credential, key or record at fault, and no change in the zone. Throttling and
# PriorRequestNotComplete are retried inside the deadline; a 500 after the batch
# was sent is an unknown outcome that the command reads back.
set -eu
. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/route53.sh"
sys_setup
ZONE=example.com. RECORD=lease.example.com.
r53_start
r53_config "$T/primary.env" ROLE=primary
r53_config "$T/dr.env" ROLE=dr

# expect_fail MSG NEEDLE -- CMD...: CMD exits non-zero, its output names NEEDLE, and the
# fake's record sets are what they were.
expect_fail()
{
	local msg=$1 needle=$2 before rc
	shift 3
	before=$(r53_state)
	OUT=$(timeout -k 5 20 "$@" 2>&1) && rc=0 || rc=$?
	[ "$rc" -ne 0 ] || fail "$msg: exited 0; output: $OUT"
	[ "$rc" -ne 124 ] || fail "$msg: hung; output: $OUT"
	assert_contains "$OUT" "$needle" "$msg"
	assert_eq "$(r53_state)" "$before" "$msg: no change in the zone"
}

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init

printf 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEX\n' >"$T/bad-secret"
chmod 600 "$T/bad-secret"
r53_config "$T/badsecret.env" ROLE=dr AWS_SECRET_ACCESS_KEY_FILE="$T/bad-secret"
expect_fail "a wrong secret" "check AWS_SECRET_ACCESS_KEY for AWS_ACCESS_KEY_ID=$R53_AKID" -- \
	"$DNSFAILOVER" -c "$T/badsecret.env" promote
assert_contains "$OUT" "SignatureDoesNotMatch" "the fake's code is shown"
expect_fail "validate with a wrong secret" "AWS_SECRET_ACCESS_KEY" -- \
	"$DNSFAILOVER" -c "$T/badsecret.env" validate

r53_config "$T/badkey.env" ROLE=dr AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG
expect_fail "an unknown access key" "check AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG" -- \
	"$DNSFAILOVER" -c "$T/badkey.env" promote
assert_contains "$OUT" "InvalidClientTokenId" "the fake's code is shown"

r53_config "$T/badzone.env" ROLE=dr ROUTE53_ZONE_ID=Z999999999999
expect_fail "an unknown hosted zone" "no hosted zone ROUTE53_ZONE_ID=Z999999999999" -- \
	"$DNSFAILOVER" -c "$T/badzone.env" promote
expect_fail "validate with an unknown hosted zone" "ROUTE53_ZONE_ID=Z999999999999" -- \
	"$DNSFAILOVER" -c "$T/badzone.env" validate

r53_config "$T/otherzone.env" ROLE=dr DNS_ZONE=example.org. DNS_RECORD=lease.example.org.
expect_fail "validate: the zone id is another zone" "is 'example.com.', not DNS_ZONE=example.org." -- \
	"$DNSFAILOVER" -c "$T/otherzone.env" validate
expect_fail "a record outside the hosted zone" "refused the change of lease.example.org." -- \
	"$DNSFAILOVER" -c "$T/otherzone.env" init --force
assert_contains "$OUT" "not permitted in zone" "the fake's reason is shown"
assert_contains "$OUT" "check DNS_RECORD, DNS_ZONE" "a configuration error names the keys"

cp "$R53_CA" "$T/other-ca.crt"
(cd "$T" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout other.key \
	-out other-ca.crt >/dev/null 2>&1)
r53_config "$T/badca.env" ROLE=dr ROUTE53_CA_FILE="$T/other-ca.crt"
expect_fail "a certificate another CA signed" "does not verify against ROUTE53_CA_FILE=$T/other-ca.crt" -- \
	"$DNSFAILOVER" -c "$T/badca.env" promote
r53_config "$T/noca.env" ROLE=dr ROUTE53_CA_FILE="$T/no-such-ca.crt"
expect_fail "a missing CA file" "ROUTE53_CA_FILE=$T/no-such-ca.crt" -- \
	"$DNSFAILOVER" -c "$T/noca.env" promote
r53_config "$T/plain.env" ROLE=dr ROUTE53_ENDPOINT="http://127.0.0.1:$R53_PORT"
expect_fail "a plain-http endpoint" "ROUTE53_ENDPOINT" -- "$DNSFAILOVER" -c "$T/plain.env" show
r53_config "$T/nokey.env" ROLE=dr AWS_ACCESS_KEY_ID=
expect_fail "no access key" "DNS_PROVIDER=route53 needs AWS_ACCESS_KEY_ID" -- \
	"$DNSFAILOVER" -c "$T/nokey.env" show

r53_control deny=1
expect_fail "a policy without ChangeResourceRecordSets" "AWS_ACCESS_KEY_ID=$R53_AKID needs route53:ListResourceRecordSets, ChangeResourceRecordSets" -- \
	"$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "AccessDenied" "the fake's code is shown"
r53_control

sys_log "Throttling and PriorRequestNotComplete are retried"
r53_control throttle=2
assert_exit 0 "init renews through two Throttling answers" -- "$DNSFAILOVER" -c "$T/primary.env" init
assert_eq "$(r53_requests ' 400 Throttling')" 2 "two throttled batches"
r53_control prior=2
assert_exit 0 "init renews through two PriorRequestNotComplete answers" -- \
	"$DNSFAILOVER" -c "$T/primary.env" init
assert_eq "$(r53_requests ' 400 PriorRequestNotComplete')" 2 "two refused batches"
r53_control throttle=1000
r53_config "$T/short.env" ROLE=dr UPDATE_INTERVAL=3 LEASE_TTL=20 RENEW_DEADLINE=10
expect_fail "throttled past the deadline" "Throttling" -- "$DNSFAILOVER" -c "$T/short.env" promote
assert_contains "$OUT" "at the deadline" "the message says it gave up at the deadline"

sys_log "a 500 after the batch was sent: the outcome is unknown, the command reads back"
r53_control fail500=1
expect_fail "a 500 to the batch" "lease.example.com." -- "$DNSFAILOVER" -c "$T/dr.env" promote
assert_contains "$OUT" "unknown" "the outcome is called unknown"
r53_control

sys_log "the answer to an applied batch is lost: the command reads back and finds it applied"
r53_config "$T/dr1.env" ROLE=dr DNS_TIMEOUT=1
r53_control lose=1
assert_exit 0 "promote whose answer is lost" -- "$DNSFAILOVER" -c "$T/dr1.env" promote
assert_contains "$OUT" "the update applied" "the read-back finds the write"
assert_contains "$(r53_state)" "lease.example.com. A 30 192.0.2.20" "the DR holds the lease"
r53_control

sys_log "a routing-policy set at the lease name is reported and left alone"
sys_kill fake_route53
printf 'lease.example.com. A weighted blue\n' >"$T/seed"
r53_start "$T/seed"
r53_config "$T/primary.env" ROLE=primary
expect_fail "show with a weighted set at the name" "routing-policy or alias record set, left alone" -- \
	"$DNSFAILOVER" -c "$T/primary.env" show
expect_fail "init with a weighted set at the name" "lease.example.com. A (it has SetIdentifier)" -- \
	"$DNSFAILOVER" -c "$T/primary.env" init
assert_eq "$(r53_requests '^POST')" 0 "nothing was written"
sys_log "PASS"
