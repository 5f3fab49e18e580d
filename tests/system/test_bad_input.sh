#!/usr/bin/env bash
# Bad input of every kind: each gives a non-zero exit, a message naming the
# cause, no change in the zone, and no hang past the command's timeout.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig nsupdate tsig-keygen
sys_setup
SYS_CMD_TIMEOUT=15

sys_start_named hmac-sha256
sys_write_config "$T/primary.env"
assert_exit 0 "init with the right key" -- "$DNSFAILOVER" -c "$T/primary.env" init
snap=$(sys_zone_snapshot)

# Runs init and show with config CONF, expects exit CODE and TEXT in the
# output of both, and checks that the zone did not change.
expect_failure()
{
	local conf=$1 code=$2 text=$3 what=$4
	assert_exit "$code" "$what: init" -- "$DNSFAILOVER" -c "$conf" init
	assert_contains "$OUT" "$text" "$what: init names the cause"
	assert_not_contains "$OUT" "$KEY_SECRET" "$what: no secret in the output"
	assert_exit "$code" "$what: show" -- "$DNSFAILOVER" -c "$conf" show
	assert_contains "$OUT" "$text" "$what: show names the cause"
	assert_zone_unchanged "$snap"
}

# A key file with the right name and algorithm but another secret.
(umask 077 && tsig-keygen -a hmac-sha256 lease-key >"$T/wrong-secret.conf")
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/wrong-secret.conf"
expect_failure "$T/c.env" 1 "BADSIG" "wrong secret"
assert_contains "$OUT" "secret differs" "wrong secret: says what to fix"

# A 1-byte secret: taken (the server decides), with a warning that names the
# key, its length and the size to use; validate shows it.
printf 'key "lease-key" {\n\talgorithm hmac-sha256;\n\tsecret "AQ==";\n};\n' >"$T/short.conf"
chmod 600 "$T/short.conf"
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/short.conf"
assert_exit 1 "validate with a 1-byte secret" -- "$DNSFAILOVER" -c "$T/c.env" validate
assert_contains "$OUT" "[WARN] TSIG key \"lease-key.\" ($T/short.conf:1) has a 1-byte secret" \
	"validate warns of the short secret"
assert_contains "$OUT" "at least 32 bytes, as tsig-keygen -a hmac-sha256 makes" "short secret: what to use"
assert_zone_unchanged "$snap"

# The right secret under another algorithm: the server knows no such key.
sys_write_config "$T/c.env" TSIG_KEYFILE= TSIG_KEY="hmac-sha512:lease-key:$KEY_SECRET"
expect_failure "$T/c.env" 1 "BADKEY" "wrong algorithm"
assert_contains "$OUT" "does not know key 'lease-key.' with algorithm hmac-sha512" "wrong algorithm: names key and algorithm"
# The same inline secret in a configuration file others can read: refused
# before anything is sent.
chmod 644 "$T/c.env"
line=$(grep -n '^TSIG_KEY=' "$T/c.env" | cut -d: -f1)
expect_failure "$T/c.env" 2 "$T/c.env:$line: TSIG_KEY is a secret, but configuration file $T/c.env is readable by group and others (mode 0644" "inline secret in a world-readable file"
assert_contains "$OUT" "run 'chmod 600 $T/c.env', or set TSIG_KEY_FILE" "inline secret: says how to fix"

# A key name the server does not have.
(umask 077 && tsig-keygen -a hmac-sha256 nosuch-key >"$T/nosuch.conf")
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/nosuch.conf"
expect_failure "$T/c.env" 1 "BADKEY" "unknown key name"

# A key the server knows but whose update-policy grants nothing: reads work,
# the write is REFUSED with advice naming key, zone and record.
sys_write_config "$T/c.env" TSIG_KEYFILE="$OTHER_KEYFILE"
assert_exit 0 "show with a read-only key" -- "$DNSFAILOVER" -c "$T/c.env" show
assert_exit 1 "init with a key the policy refuses" -- "$DNSFAILOVER" -c "$T/c.env" init --force
assert_contains "$OUT" "REFUSED the update: check allow-update / update-policy for key other-key. on zone example.test." "refused: advice"
assert_zone_unchanged "$snap"
assert_exit 1 "validate with a key the policy refuses" -- "$DNSFAILOVER" -c "$T/c.env" validate
assert_contains "$OUT" "[FAIL]" "validate marks the failing step"
assert_contains "$OUT" "validation FAILED" "validate verdict"
assert_zone_unchanged "$snap"

# A zone the server does not serve.
sys_write_config "$T/c.env" DNS_ZONE=notserved.test DNS_RECORD=lease.notserved.test
expect_failure "$T/c.env" 1 "REFUSED the query for lease.notserved.test." "zone not served"
assert_exit 1 "validate: zone not served" -- "$DNSFAILOVER" -c "$T/c.env" validate
assert_contains "$OUT" "zone notserved.test. served" "validate names the zone step"

# Key files: readable by others, malformed, missing.
cp "$KEYFILE" "$T/open.conf" && chmod 644 "$T/open.conf"
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/open.conf"
expect_failure "$T/c.env" 1 "readable by group and others (mode 0644" "world-readable key file"
assert_contains "$OUT" "chmod 600 $T/open.conf" "world-readable: says how to fix"
printf 'key "lease-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s"\n};\n' "$KEY_SECRET" >"$T/broken.conf"
chmod 600 "$T/broken.conf"
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/broken.conf"
expect_failure "$T/c.env" 1 "$T/broken.conf:" "malformed key file"
sys_write_config "$T/c.env" TSIG_KEYFILE="$T/missing.conf"
expect_failure "$T/c.env" 1 "$T/missing.conf" "missing key file"

# A config with a typo: exit 2, the closest known name, file and line.
sys_write_config "$T/c.env"
echo "DNS_SEVRER=127.0.0.1" >>"$T/c.env"
expect_failure "$T/c.env" 2 "DNS_SERVER" "config typo"
assert_contains "$OUT" "$T/c.env:" "typo: file named"
assert_exit 1 "validate: config typo" -- "$DNSFAILOVER" -c "$T/c.env" validate
assert_contains "$OUT" "did you mean DNS_SERVER" "validate names the typo"

# Our clock 400 s ahead: the server answers a signed BADTIME with its time.
sys_write_config "$T/c.env"
DNSFAILOVER_TEST_WALL_OFFSET=400 expect_failure "$T/c.env" 1 "BADTIME" "clock ahead"
DNSFAILOVER_TEST_WALL_OFFSET=400 assert_exit 1 "BADTIME shows the skew" -- \
	env DNSFAILOVER_TEST_WALL_OFFSET=400 "$DNSFAILOVER" -c "$T/c.env" show
assert_contains "$OUT" "skew -40" "BADTIME: skew reported"

# Nothing listening: refused at once, no hang.
port=$(sys_free_port)
sys_write_config "$T/c.env" DNS_PORT="$port"
start=$SECONDS
expect_failure "$T/c.env" 1 "refused the connection" "server not running"
[ $((SECONDS - start)) -le 10 ] || fail "server not running: took $((SECONDS - start)) s"

# Broken servers: silence, garbage, short, wrong ID, truncated-without-TCP,
# unsigned errors. Each ends within DNS_TIMEOUT x (DNS_RETRIES + 1).
for mode in silent garbage short wrongid truncated unsigned-notauth refused-unsigned; do
	sys_start_fake_dns "$mode" -t
	port=$FAKE_PORT
	sys_write_config "$T/c.env" DNS_PORT="$port" DNS_TIMEOUT=1 DNS_RETRIES=1
	start=$SECONDS
	case $mode in
	silent) text="did not answer within 1000 ms x 2 attempts" ;;
	garbage | short | wrongid) text="no valid answer from DNS server 127.0.0.1#$port" ;;
	truncated) text="closed the TCP connection" ;;
	*) text="without a TSIG signature" ;;
	esac
	expect_failure "$T/c.env" 1 "$text" "fake server ($mode)"
	[ $((SECONDS - start)) -le 10 ] || fail "fake server ($mode): took $((SECONDS - start)) s"
	sys_stop_fake_dns
done
sys_log "PASS"
