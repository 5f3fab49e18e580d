#!/usr/bin/env bash
# dnsfailover setup: the wizard through --answers and through a pseudo-terminal
# answering every prompt; the env file it writes (mode 0600, the answers, the
# defaults) passes validate against the test named; end of input leaves no file;
# a key it generates is accepted by named (nsupdate -k and validate).
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig nsupdate tsig-keygen python3
sys_setup
sys_start_named hmac-sha256
PTY="$top_srcdir/tests/system/setup_pty.py"

mode_of()
{
	stat -c %a "$1"
}

# The value of KEY in an env file written by setup.
value_of()
{
	sed -n "s/^$2=//p" "$1"
}

check_env()
{
	local file=$1 what=$2
	[ -f "$file" ] || fail "$what: $file was not written"
	assert_eq "$(mode_of "$file")" "600" "$what: mode of $file"
	assert_eq "$(value_of "$file" ROLE)" "primary" "$what: ROLE"
	assert_eq "$(value_of "$file" DNS_PROVIDER)" "bind-tsig" "$what: DNS_PROVIDER"
	assert_eq "$(value_of "$file" DNS_ZONE)" "$ZONE" "$what: DNS_ZONE"
	assert_eq "$(value_of "$file" DNS_RECORD)" "$RECORD" "$what: DNS_RECORD"
	assert_eq "$(value_of "$file" DNS_SERVER)" "127.0.0.1" "$what: DNS_SERVER"
	assert_eq "$(value_of "$file" DNS_PORT)" "$NAMED_PORT" "$what: DNS_PORT"
	assert_eq "$(value_of "$file" TSIG_KEYFILE)" "$KEYFILE" "$what: TSIG_KEYFILE"
	assert_eq "$(value_of "$file" TSIG_KEYNAME)" "lease-key" "$what: TSIG_KEYNAME"
	assert_eq "$(value_of "$file" PRIMARY_IP)" "192.0.2.10" "$what: PRIMARY_IP"
	assert_eq "$(value_of "$file" DR_IP)" "192.0.2.20" "$what: DR_IP"
	assert_eq "$(value_of "$file" LEASE_TTL)" "90" "$what: LEASE_TTL"
	assert_eq "$(value_of "$file" UPDATE_INTERVAL)" "5" "$what: UPDATE_INTERVAL"
	assert_eq "$(value_of "$file" RENEW_DEADLINE)" "60" "$what: RENEW_DEADLINE"
	assert_eq "$(value_of "$file" FAIL_THRESHOLD)" "4" "$what: FAIL_THRESHOLD"
	assert_eq "$(value_of "$file" HEALTH_MODE)" "tcp" "$what: HEALTH_MODE (default)"
	assert_eq "$(value_of "$file" HEALTH_PORT)" "4317" "$what: HEALTH_PORT (default)"
	assert_eq "$(grep -c '^GENERATE_KEY' "$file" || true)" "0" "$what: wizard-only answers are not written"
	assert_exit 0 "$what: the written file validates against named" -- \
		"$DNSFAILOVER" -c "$file" validate
	assert_contains "$OUT" "configuration OK" "$what: validate verdict"
}

# Worst case (dnsfailover.conf(5)): (HEALTH_STALE_COUNT 3 + 4 - 1) x 5 + 90 = 120.
FAILOVER_LINE="= 120 seconds"

# (a) --answers
cat >"$T/answers" <<EOA
ROLE=primary
DNS_PROVIDER=bind-tsig
DNS_ZONE=$ZONE
DNS_RECORD=$RECORD
PRIMARY_IP=192.0.2.10
DR_IP=192.0.2.20
DNS_SERVER=127.0.0.1
DNS_PORT=$NAMED_PORT
TSIG_KEYFILE=$KEYFILE
TSIG_KEYNAME=lease-key
GENERATE_KEY=no
LEASE_TTL=90
UPDATE_INTERVAL=5
RENEW_DEADLINE=60
FAIL_THRESHOLD=4
EOA
assert_exit 0 "setup --answers" -- "$DNSFAILOVER" setup --answers "$T/answers" --output "$T/a.env"
assert_contains "$OUT" "$FAILOVER_LINE" "setup prints the failover time the timings imply"
assert_contains "$OUT" "grant lease-key name $RECORD. A TXT;" "setup prints the update-policy line"
assert_contains "$OUT" "include \"$KEYFILE\";" "setup prints the key's include line"
check_env "$T/a.env" "--answers"
assert_eq "$(ls "$T" | grep -c '^a.env\.' || true)" "0" "no temporary file is left"

# A wrong answer in the file is refused, naming the key, and writes nothing.
sed 's/^ROLE=.*/ROLE=backup/' "$T/answers" >"$T/bad-answers"
assert_exit 2 "setup --answers with a bad ROLE" -- \
	"$DNSFAILOVER" setup --answers "$T/bad-answers" --output "$T/bad.env"
assert_contains "$OUT" "ROLE must be one of: primary dr" "the bad answer is named"
[ ! -e "$T/bad.env" ] || fail "a refused answer file wrote $T/bad.env"
echo "ROLLE=primary" >>"$T/bad-answers"
assert_exit 2 "setup --answers with an unknown key" -- \
	"$DNSFAILOVER" setup --answers "$T/bad-answers" --output "$T/bad.env"
assert_contains "$OUT" "unknown key ROLLE; did you mean ROLE" "the unknown key is named"

# Timings that break I < D < L are refused.
sed 's/^RENEW_DEADLINE=.*/RENEW_DEADLINE=95/' "$T/answers" >"$T/bad-answers"
assert_exit 2 "setup --answers with D > L" -- \
	"$DNSFAILOVER" setup --answers "$T/bad-answers" --output "$T/bad.env"
assert_contains "$OUT" "RENEW_DEADLINE < LEASE_TTL does not hold" "the timing rule is named"
[ ! -e "$T/bad.env" ] || fail "refused timings wrote $T/bad.env"

# (b) the interactive form through a pseudo-terminal, every prompt answered.
answers=(ROLE=primary DNS_PROVIDER=bind-tsig "DNS_ZONE=$ZONE" "DNS_RECORD=$RECORD"
	PRIMARY_IP=192.0.2.10 DR_IP=192.0.2.20 DNS_SERVER=127.0.0.1 "DNS_PORT=$NAMED_PORT"
	"TSIG_KEYFILE=$KEYFILE" TSIG_KEYNAME=lease-key GENERATE_KEY=no LEASE_TTL=90
	UPDATE_INTERVAL=5 RENEW_DEADLINE=60 FAIL_THRESHOLD=4 HEALTH_MODE=tcp HEALTH_HOST=
	HEALTH_PORT=4317 WATCH_MODE=none)
assert_exit 0 "setup through a terminal" -- \
	python3 "$PTY" "${answers[@]}" -- "$DNSFAILOVER" setup --output "$T/b.env"
for kv in "${answers[@]}"; do
	assert_contains "$OUT" "PROMPT ${kv%%=*}" "the terminal was asked ${kv%%=*}"
done
assert_eq "$(grep -c '^PROMPT ' <<<"$OUT")" "${#answers[@]}" "every prompt was one of the answered keys"
assert_contains "$OUT" "$FAILOVER_LINE" "interactive: the failover time"
check_env "$T/b.env" "interactive"

# Defaults from an existing file (-c): Enter at every prompt keeps it, and a key
# the questions do not cover (LOG_LEVEL) is kept.
cp "$T/b.env" "$T/c.env"
echo "LOG_LEVEL=debug" >>"$T/c.env"
assert_exit 0 "setup -c FILE, Enter at every prompt" -- \
	python3 "$PTY" -- "$DNSFAILOVER" -c "$T/c.env" setup
assert_contains "$OUT" "[$NAMED_PORT]: " "the existing file's DNS_PORT is the default"
check_env "$T/c.env" "defaults from -c"
assert_eq "$(value_of "$T/c.env" LOG_LEVEL)" "debug" "a key the wizard does not ask is kept"

# Defaults from the environment.
assert_exit 0 "setup, defaults from the environment" -- \
	env DNS_ZONE="$ZONE" PRIMARY_IP=192.0.2.10 DR_IP=192.0.2.20 DNS_SERVER=127.0.0.1 \
	DNS_PORT="$NAMED_PORT" TSIG_KEYFILE="$KEYFILE" TSIG_KEYNAME=lease-key \
	python3 "$PTY" LEASE_TTL=90 UPDATE_INTERVAL=5 RENEW_DEADLINE=60 FAIL_THRESHOLD=4 \
	-- "$DNSFAILOVER" setup --output "$T/e.env"
check_env "$T/e.env" "defaults from the environment"

# (c) Ctrl-D in the middle: no file, no temporary file.
for key in ROLE DNS_ZONE TSIG_KEYFILE RENEW_DEADLINE WATCH_MODE; do
	assert_exit 2 "Ctrl-D at $key" -- \
		python3 "$PTY" --eof-at "$key" "${answers[@]}" -- "$DNSFAILOVER" setup --output "$T/d.env"
	assert_contains "$OUT" "nothing was written" "Ctrl-D at $key says so"
	[ ! -e "$T/d.env" ] || fail "Ctrl-D at $key left $T/d.env"
	assert_eq "$(ls "$T" | grep -c '^d\.env' || true)" "0" "Ctrl-D at $key left no temporary file"
done
# Ctrl-D over an existing file leaves it as it was.
sum=$(sha256sum <"$T/c.env")
assert_exit 2 "Ctrl-D with -c FILE" -- \
	python3 "$PTY" --eof-at DR_IP -- "$DNSFAILOVER" -c "$T/c.env" setup
assert_eq "$(sha256sum <"$T/c.env")" "$sum" "Ctrl-D leaves the existing file unchanged"

# (d) a generated key: tsig-keygen format, mode 0600, accepted by named.
sed -e "s|^TSIG_KEYFILE=.*|TSIG_KEYFILE=$T/new.key|" -e 's/^GENERATE_KEY=.*/GENERATE_KEY=yes/' \
	"$T/answers" >"$T/gen-answers"
# named does not know the key yet: validate fails and says what to fix.
assert_exit 1 "setup generating a key named does not know yet" -- \
	"$DNSFAILOVER" setup --answers "$T/gen-answers" --output "$T/g.env"
assert_contains "$OUT" "Wrote the key lease-key (hmac-sha256) to $T/new.key" "the key is reported"
assert_contains "$OUT" "Fix what the FAIL lines above name" "setup says what to fix"
assert_eq "$(mode_of "$T/new.key")" "600" "mode of the generated key file"
assert_eq "$(ls "$T" | grep -c '^new\.key\.' || true)" "0" "no temporary key file is left"
grep -q '^key "lease-key" {$' "$T/new.key" || fail "key statement: $(cat "$T/new.key")"
grep -q '^	algorithm hmac-sha256;$' "$T/new.key" || fail "algorithm line"
secret=$(sed -n 's/^	secret "\([A-Za-z0-9+/=]*\)";$/\1/p' "$T/new.key")
assert_eq "$(printf %s "$secret" | base64 -d | wc -c)" "32" "a 32-byte secret"
assert_eq "$(value_of "$T/g.env" TSIG_KEYFILE)" "$T/new.key" "the env file names the new key"
# A second run never replaces an existing key.
assert_exit 2 "setup refuses to replace an existing key file" -- \
	"$DNSFAILOVER" setup --answers "$T/gen-answers" --output "$T/g2.env"
assert_contains "$OUT" "an existing key is never replaced" "the refusal says why"
[ ! -e "$T/g2.env" ] || fail "a refused key generation wrote $T/g2.env"
# Two generated keys differ.
sed -i "s|^TSIG_KEYFILE=.*|TSIG_KEYFILE=$T/new2.key|" "$T/gen-answers"
"$DNSFAILOVER" setup --answers "$T/gen-answers" --output "$T/g2.env" >/dev/null 2>&1 || true
[ "$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$T/new2.key")" != "$secret" ] || fail "two keys share a secret"

# Give named the generated key as lease-key (the key its update-policy grants).
cp "$T/new.key" "$T/lease-key.conf"
sys_restart_named
cat >"$T/nsupdate.txt" <<EON
server 127.0.0.1 $NAMED_PORT
zone $ZONE
update add $RECORD 30 A 192.0.2.99
send
EON
assert_exit 0 "nsupdate -k with the generated key" -- nsupdate -k "$T/new.key" "$T/nsupdate.txt"
assert_eq "$(sys_dig A)" "192.0.2.99" "named applied the update signed with the generated key"
assert_exit 0 "validate with the generated key" -- "$DNSFAILOVER" -c "$T/g.env" validate
assert_contains "$OUT" "configuration OK" "validate accepts the generated key"

# Other branches of the questions: the files they write load (config_load
# accepts every key written) and, for dry-run, validate passes offline.
printf '%s\n' ROLE=primary DNS_PROVIDER=dry-run DNS_ZONE=example.com PRIMARY_IP=192.0.2.1 \
	DR_IP=192.0.2.2 "DRYRUN_STATEFILE=$T/dry.json" >"$T/dry-answers"
assert_exit 0 "setup --answers for dry-run" -- \
	"$DNSFAILOVER" setup --answers "$T/dry-answers" --output "$T/dry.env"
assert_eq "$(value_of "$T/dry.env" DNS_RECORD)" "lease.example.com" "DNS_RECORD defaults to lease.<zone>"
printf '%s\n' ROLE=dr DNS_PROVIDER=route53 DNS_ZONE=example.com PRIMARY_IP=192.0.2.1 \
	DR_IP=192.0.2.2 AWS_ACCESS_KEY_ID=AKIAEXAMPLE 'AWS_SECRET_ACCESS_KEY=a/b+c d' \
	ROUTE53_ZONE_ID=Z123 ROUTE53_ENDPOINT=https://127.0.0.1:9 HEALTH_MODE=metrics \
	HEALTH_URL=http://127.0.0.1:9/metrics WATCH_MODE=docker >"$T/r53-answers"
assert_exit 1 "setup --answers for route53, metrics, docker (nothing listens)" -- \
	"$DNSFAILOVER" setup --answers "$T/r53-answers" --output "$T/r53.env"
assert_contains "$OUT" "[ OK ] configuration $T/r53.env: ROLE=dr DNS_PROVIDER=route53" \
	"the route53 file loads"
assert_contains "$OUT" "Fix what the FAIL lines above name" "setup says what to fix"
assert_eq "$(value_of "$T/r53.env" AWS_SECRET_ACCESS_KEY)" "'a/b+c d'" "a value with a space is quoted"
assert_eq "$(value_of "$T/r53.env" OTEL_CONTAINER)" "otel-collector" "the seed's container name is the default"
assert_eq "$(value_of "$T/r53.env" HEALTH_STALE_COUNT)" "3" "metrics mode asks HEALTH_STALE_COUNT"
assert_eq "$(mode_of "$T/r53.env")" "600" "a file holding a secret is 0600"
assert_eq "$(value_of "$T/r53.env" ROUTE53_ENDPOINT)" "https://127.0.0.1:9" \
	"an answer to a key the questions do not cover is written as given"

sys_log "setup: all checks passed"
