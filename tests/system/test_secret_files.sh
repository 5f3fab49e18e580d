#!/usr/bin/env bash
# NAME_FILE=path for secret keys, under the one secret-file rule, with the real program:
# TSIG_KEY_FILE against the test named, and VAULT_TOKEN_FILE against the HTTPS fake Vault.
# A file of mode 0600 is read; 0644 is refused naming the key, the file, its mode and the
# chmod that fixes it, and the secret is never shown. Every secret key the program lists
# takes the _FILE form (the unit test test_config covers each; here the list is checked).
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig tsig-keygen openssl
sys_setup
sys_require "$top_builddir/tests/system/config_keys"

sys_start_named hmac-sha256
TSIG="$KEY_ALG:$KEY_NAME:$KEY_SECRET"

# refused_0644 KEY FILE CONFIG CMD: FILE at 0644 is refused for KEY_FILE.
refused_0644()
{
	local key=$1 file=$2 config=$3 cmd=$4
	chmod 644 "$file"
	assert_exit 2 "$key\_FILE with mode 0644 is refused" -- "$DNSFAILOVER" -c "$config" "$cmd"
	assert_contains "$OUT" "${key}_FILE=$file" "the refusal names ${key}_FILE and the file"
	assert_contains "$OUT" "is readable by group and others (mode 0644" "the refusal gives the mode"
	assert_contains "$OUT" "run 'chmod 600 $file'" "the refusal gives the fix"
	chmod 600 "$file"
}

sys_log "TSIG_KEY_FILE"
(umask 077 && printf '%s\n' "$TSIG" >"$T/tsig.secret")
sys_write_config "$T/tsig.env" TSIG_KEYFILE= TSIG_KEY_FILE="$T/tsig.secret"
chmod 644 "$T/tsig.env" # holds no secret itself: may be world-readable
assert_exit 0 "init with TSIG_KEY_FILE at 0600" -- "$DNSFAILOVER" -c "$T/tsig.env" init
assert_eq "$(sys_dig A)" "192.0.2.10" "the key read from the file signed the update"
assert_not_contains "$OUT" "$KEY_SECRET" "no secret in the output"
refused_0644 TSIG_KEY "$T/tsig.secret" "$T/tsig.env" show
assert_not_contains "$OUT" "$KEY_SECRET" "no secret in the refusal"
# The same through the environment.
sys_write_config "$T/bare.env" TSIG_KEYFILE=
chmod 644 "$T/tsig.secret"
assert_exit 2 "TSIG_KEY_FILE from the environment at 0644" -- \
	env TSIG_KEY_FILE="$T/tsig.secret" "$DNSFAILOVER" -c "$T/bare.env" show
assert_contains "$OUT" "environment: TSIG_KEY_FILE=$T/tsig.secret" "names the environment"
chmod 600 "$T/tsig.secret"
assert_exit 0 "TSIG_KEY_FILE from the environment at 0600" -- \
	env TSIG_KEY_FILE="$T/tsig.secret" "$DNSFAILOVER" -c "$T/bare.env" show

sys_log "VAULT_TOKEN_FILE"
sys_make_test_ca
TOKEN=hvs.file-token-$RANDOM$RANDOM
(umask 077 && printf '%s\n' "$TOKEN" >"$T/vault-token")
printf '{"tsig_key": "%s"}\n' "$TSIG" >"$T/secret.json"
sys_start_fake_vault vault -t "$TOKEN"
sys_write_config "$T/vault.env" TSIG_KEYFILE= VAULT_ADDR="https://127.0.0.1:$VAULT_PORT" \
	VAULT_CACERT="$T/ca.pem" VAULT_TOKEN_FILE="$T/vault-token"
chmod 644 "$T/vault.env"
assert_exit 0 "show with VAULT_TOKEN_FILE at 0600" -- "$DNSFAILOVER" -c "$T/vault.env" show
assert_contains "$OUT" "Vault: read 1 key" "the token from the file read the secret"
refused_0644 VAULT_TOKEN "$T/vault-token" "$T/vault.env" show
assert_not_contains "$OUT" "$TOKEN" "no token in the refusal"
grep -c "secret read" "$T/vault.log" | grep -qx 1 || fail "the refused token file still reached Vault"

sys_log "a secret written in a world-readable configuration file is refused"
sys_write_config "$T/open.env" TSIG_KEYFILE= VAULT_ADDR="https://127.0.0.1:$VAULT_PORT" \
	VAULT_CACERT="$T/ca.pem" VAULT_TOKEN="$TOKEN"
chmod 644 "$T/open.env"
assert_exit 2 "VAULT_TOKEN in a 0644 file" -- "$DNSFAILOVER" -c "$T/open.env" show
assert_contains "$OUT" "VAULT_TOKEN is a secret" "names the key"
assert_contains "$OUT" "or set VAULT_TOKEN_FILE to a file only you can read" "gives the _FILE form"
assert_not_contains "$OUT" "$TOKEN" "no token in the refusal"

sys_log "every secret key the program lists takes the _FILE form"
for key in TSIG_KEY VAULT_TOKEN VAULT_SECRET_ID; do
	"$top_builddir/tests/system/config_keys" | cut -f1 | grep -qx "$key" ||
		fail "$key is not a key of the program"
	sys_write_config "$T/probe.env" TSIG_KEYFILE= "${key}_FILE=$T/nonexistent"
	assert_exit 2 "${key}_FILE is read" -- "$DNSFAILOVER" -c "$T/probe.env" show
	assert_contains "$OUT" "${key}_FILE=$T/nonexistent: cannot open the file" "${key}_FILE is known"
done
sys_kill vault
