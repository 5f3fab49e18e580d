#!/usr/bin/env bash
# Secrets from Vault against an HTTPS fake (tests/system/fake_vault.c) whose CA is made
# here with the openssl CLI: the TSIG key is ONLY in Vault, read with a token, an AppRole
# login and a Kubernetes login, from KV v2 and v1; validate, show and init work with it
# against the test named. Every error case (bad token, missing path, bad AppRole pair,
# bad JWT, sealed, Vault down, a CA that did not sign the certificate, a bad value) exits
# non-zero naming the cause, and no output holds a secret. A run daemon renews its token
# and, on a reload with Vault down, keeps the values it has.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig tsig-keygen openssl jq
sys_setup

sys_start_named hmac-sha256

sys_make_test_ca

TOKEN=hvs.fake-static-$RANDOM$RANDOM
ROLE_ID=role-$RANDOM
SECRET_ID=sid-$RANDOM$RANDOM-secret
JWT=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGYifQ.sig$RANDOM
(
	umask 077
	printf '%s\n' "$TOKEN" >"$T/token"
	printf '%s\n' "$SECRET_ID" >"$T/secret-id"
	printf '%s' "$JWT" >"$T/jwt"
)
TSIG="$KEY_ALG:$KEY_NAME:$KEY_SECRET"
# The secret's map; fake_vault reads it at every request.
set_secret()
{
	printf '%s\n' "$1" >"$T/secret.json"
}
set_secret "{\"tsig_key\": \"$TSIG\"}"

# vault_config FILE [KEY=VALUE...]: our named's config without any TSIG key of its own.
vault_config()
{
	local file=$1
	shift
	sys_write_config "$file" TSIG_KEYFILE= VAULT_ADDR="https://127.0.0.1:$VAULT_PORT" \
		VAULT_CACERT="$T/ca.pem" "$@"
}

# No secret in OUT: the TSIG secret, the tokens, the secret id, the JWT.
no_secret()
{
	assert_not_contains "$OUT" "$KEY_SECRET" "$1: no TSIG secret in the output"
	assert_not_contains "$OUT" "$TOKEN" "$1: no token in the output"
	assert_not_contains "$OUT" "$SECRET_ID" "$1: no secret id in the output"
	assert_not_contains "$OUT" "$JWT" "$1: no JWT in the output"
	assert_not_contains "$OUT" "hvs.fake-login" "$1: no issued token in the output"
}

sys_log "token, KV v2: the TSIG key only from Vault"
sys_start_fake_vault vault -t "$TOKEN" -T 0
vault_config "$T/token.env" VAULT_TOKEN_FILE="$T/token"
assert_exit 0 "init with the key from Vault" -- "$DNSFAILOVER" -c "$T/token.env" init
assert_contains "$OUT" "Lease initialized: owner=primary" "init wrote the lease"
assert_contains "$OUT" "Vault: read 1 key from Vault secret/dns-failover (KV v2) at https://127.0.0.1:$VAULT_PORT: tsig_key" \
	"the log names the keys read, not their values"
no_secret "init"
assert_eq "$(sys_dig A)" "192.0.2.10" "A written with the key from Vault"
assert_exit 0 "show" -- "$DNSFAILOVER" -c "$T/token.env" show
assert_eq "$(printf '%s\n' "$OUT" | sed -n '/^{/,/^}/p' | jq -r .owner)" "primary" "show owner"
no_secret "show"
assert_exit 0 "validate" -- "$DNSFAILOVER" -c "$T/token.env" validate
assert_contains "$OUT" "configuration OK" "validate verdict"
assert_contains "$OUT" "key lease-key. may update lease.example.test. A and TXT" \
	"validate proves the key from Vault"
assert_contains "$OUT" "[ OK ] Vault https://127.0.0.1:$VAULT_PORT: logged in and read secret/dns-failover" \
	"validate reports the Vault read"
no_secret "validate"
grep -q "GET /v1/auth/token/lookup-self 200" "$VAULT_LOG" || fail "no lookup-self seen"
grep -q "GET /v1/secret/data/dns-failover 200 secret read" "$VAULT_LOG" || fail "no KV v2 read"

sys_log "Vault overrides the file and the environment, through the same checks"
set_secret "{\"tsig_key\": \"$TSIG\", \"dns_ttl\": 45, \"unknown_thing\": \"x\", \"vault_addr\": \"https://evil\"}"
vault_config "$T/ttl.env" VAULT_TOKEN_FILE="$T/token" DNS_TTL=30
assert_exit 0 "init with dns_ttl from Vault" -- env DNS_TTL=40 "$DNSFAILOVER" -c "$T/ttl.env" init
ttl=$(dig @127.0.0.1 -p "$NAMED_PORT" +norec +noall +answer "$RECORD" TXT | awk '{print $2}')
assert_eq "$ttl" "45" "DNS_TTL from Vault beats the file (30) and the environment (40)"
assert_contains "$OUT" "key unknown_thing is not a dnsfailover key; ignored" "unknown key warned"
assert_contains "$OUT" "key vault_addr would change how Vault itself is reached; ignored" \
	"VAULT_* in the secret ignored"
set_secret "{\"tsig_key\": \"$TSIG\", \"dns_ttl\": \"forty-$KEY_SECRET\"}"
assert_exit 2 "a bad value from Vault" -- "$DNSFAILOVER" -c "$T/ttl.env" show
assert_contains "$OUT" "Vault secret/dns-failover (KV v2): DNS_TTL is not a decimal number (value not shown)" \
	"the typed check names Vault as the origin"
no_secret "bad value"
set_secret "{\"tsig_key\": \"not-a-key\"}"
assert_exit 2 "a bad secret from Vault" -- "$DNSFAILOVER" -c "$T/ttl.env" show
assert_contains "$OUT" "TSIG_KEY is not of the form [algorithm:]name:secret (value not shown)" \
	"TSIG_KEY from Vault checked"
assert_not_contains "$OUT" "not-a-key" "the bad secret is not echoed"
set_secret "{\"tsig_key\": \"$TSIG\"}"

sys_log "error cases: bad token, missing path, sealed, down, wrong CA"
printf 'hvs.wrong-token\n' >"$T/bad-token"
chmod 600 "$T/bad-token"
vault_config "$T/bad.env" VAULT_TOKEN_FILE="$T/bad-token"
assert_exit 2 "a token Vault refuses (403)" -- "$DNSFAILOVER" -c "$T/bad.env" show
assert_contains "$OUT" "Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT denied reading the secret" \
	"403 names VAULT_ADDR"
assert_contains "$OUT" "permission denied" "403 gives Vault's text"
assert_contains "$OUT" "VAULT_TOKEN" "403 names the token to check"
assert_contains "$OUT" "secret/data/dns-failover" "403 names the path"
assert_not_contains "$OUT" "hvs.wrong-token" "the wrong token is not shown"
no_secret "403"

vault_config "$T/missing.env" VAULT_TOKEN_FILE="$T/token" VAULT_KEY=elsewhere/dns
assert_exit 1 "a missing path (404): validate fails" -- "$DNSFAILOVER" -c "$T/missing.env" validate
assert_contains "$OUT" "has no secret at /v1/secret/data/elsewhere/dns (KV v2) nor /v1/secret/elsewhere/dns (KV v1)" \
	"404 names both paths"
assert_contains "$OUT" "check VAULT_MOUNT=secret and VAULT_KEY=elsewhere/dns" "404 says what to check"
no_secret "404"

touch "$T/sealed"
assert_exit 2 "a sealed Vault (503)" -- "$DNSFAILOVER" -c "$T/token.env" show
assert_contains "$OUT" "Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT is sealed" "sealed named"
assert_contains "$OUT" "vault operator unseal" "sealed says what to do"
no_secret "sealed"
rm -f "$T/sealed"

vault_config "$T/ca.env" VAULT_TOKEN_FILE="$T/token" VAULT_CACERT="$T/other-ca.pem"
assert_exit 2 "a certificate our CA did not sign" -- "$DNSFAILOVER" -c "$T/ca.env" show
assert_contains "$OUT" "is not reachable" "TLS failure reported"
assert_contains "$OUT" "VAULT_CACERT" "TLS failure names VAULT_CACERT"
vault_config "$T/http.env" VAULT_TOKEN_FILE="$T/token" VAULT_ADDR="http://127.0.0.1:$VAULT_PORT"
assert_exit 2 "plain http refused" -- "$DNSFAILOVER" -c "$T/http.env" show
assert_contains "$OUT" "VAULT_ADDR=http://127.0.0.1:$VAULT_PORT is not https" "http refused by the check"

sys_kill vault
assert_exit 2 "Vault down at start" -- "$DNSFAILOVER" -c "$T/token.env" show
assert_contains "$OUT" "Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT is not reachable" "down named"
assert_contains "$OUT" "check VAULT_ADDR and that Vault is up" "down says what to check"
no_secret "down"

sys_log "token, KV v1, in a namespace"
sys_start_fake_vault vault1 -t "$TOKEN" -v 1 -n team-dns
vault_config "$T/v1.env" VAULT_TOKEN_FILE="$T/token"
assert_exit 2 "a namespace Vault requires and the config lacks" -- "$DNSFAILOVER" -c "$T/v1.env" show
assert_contains "$OUT" "denied reading the secret" "the namespace's 403 reported"
vault_config "$T/v1.env" VAULT_TOKEN_FILE="$T/token" VAULT_NAMESPACE=team-dns
assert_exit 0 "show from a KV v1 mount" -- "$DNSFAILOVER" -c "$T/v1.env" show
assert_contains "$OUT" "from Vault secret/dns-failover (KV v1)" "read as KV v1"
no_secret "v1"
grep -q "GET /v1/secret/data/dns-failover 404" "$VAULT_LOG" || fail "v2 was not tried first"
grep -q "GET /v1/secret/dns-failover 200 secret read" "$VAULT_LOG" || fail "no KV v1 read"
sys_kill vault1

sys_log "AppRole"
sys_start_fake_vault vault2 -r "$ROLE_ID" -s "$SECRET_ID" -L 3600 -m kv -K team/dns
vault_config "$T/approle.env" VAULT_AUTH_METHOD=approle VAULT_ROLE_ID="$ROLE_ID" \
	VAULT_SECRET_ID_FILE="$T/secret-id" VAULT_MOUNT=kv VAULT_KEY=team/dns
assert_exit 0 "validate with an AppRole login" -- "$DNSFAILOVER" -c "$T/approle.env" validate
assert_contains "$OUT" "configuration OK" "approle validate verdict"
assert_contains "$OUT" "from Vault kv/team/dns (KV v2)" "approle read VAULT_MOUNT/VAULT_KEY"
no_secret "approle"
grep -q "POST /v1/auth/approle/login 200 approle login" "$VAULT_LOG" || fail "no AppRole login"
printf 'wrong-secret-id\n' >"$T/bad-sid"
chmod 600 "$T/bad-sid"
vault_config "$T/bad-approle.env" VAULT_AUTH_METHOD=approle VAULT_ROLE_ID="$ROLE_ID" \
	VAULT_SECRET_ID_FILE="$T/bad-sid" VAULT_MOUNT=kv VAULT_KEY=team/dns
assert_exit 2 "a bad AppRole pair" -- "$DNSFAILOVER" -c "$T/bad-approle.env" show
assert_contains "$OUT" "Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT refused the approle login (POST /v1/auth/approle/login: 400 invalid role or secret ID)" \
	"bad AppRole named"
assert_contains "$OUT" "check VAULT_ROLE_ID and VAULT_SECRET_ID" "bad AppRole says what to check"
assert_not_contains "$OUT" "wrong-secret-id" "the bad secret id is not shown"
no_secret "bad approle"
vault_config "$T/no-sid.env" VAULT_AUTH_METHOD=approle VAULT_ROLE_ID="$ROLE_ID"
assert_exit 2 "approle without a secret id" -- "$DNSFAILOVER" -c "$T/no-sid.env" show
assert_contains "$OUT" "VAULT_AUTH_METHOD=approle needs VAULT_ROLE_ID and VAULT_SECRET_ID" \
	"missing secret id named"
sys_kill vault2

sys_log "Kubernetes"
sys_start_fake_vault vault3 -R dnsfailover -j "$T/jwt"
vault_config "$T/k8s.env" VAULT_AUTH_METHOD=kubernetes VAULT_K8S_ROLE=dnsfailover \
	VAULT_K8S_JWT_PATH="$T/jwt"
assert_exit 0 "show with a Kubernetes login" -- "$DNSFAILOVER" -c "$T/k8s.env" show
assert_contains "$OUT" "Vault: read 1 key" "kubernetes read the secret"
no_secret "kubernetes"
grep -q "POST /v1/auth/kubernetes/login 200 kubernetes login" "$VAULT_LOG" || fail "no k8s login"
vault_config "$T/k8s-bad.env" VAULT_AUTH_METHOD=kubernetes VAULT_K8S_ROLE=other-role \
	VAULT_K8S_JWT_PATH="$T/jwt"
assert_exit 2 "a role the JWT is not bound to" -- "$DNSFAILOVER" -c "$T/k8s-bad.env" show
assert_contains "$OUT" "refused the kubernetes login (POST /v1/auth/kubernetes/login: 403 permission denied)" \
	"bad kubernetes login named"
assert_contains "$OUT" "check VAULT_K8S_ROLE=other-role" "bad kubernetes login says what to check"
no_secret "bad kubernetes"
(umask 077 && printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.forged' >"$T/other-jwt")
vault_config "$T/k8s-forged.env" VAULT_AUTH_METHOD=kubernetes VAULT_K8S_ROLE=dnsfailover \
	VAULT_K8S_JWT_PATH="$T/other-jwt"
assert_exit 2 "a JWT Vault does not accept" -- "$DNSFAILOVER" -c "$T/k8s-forged.env" show
assert_contains "$OUT" "refused the kubernetes login" "forged JWT refused"
assert_not_contains "$OUT" "forged" "the JWT is not shown"
vault_config "$T/k8s-nojwt.env" VAULT_AUTH_METHOD=kubernetes VAULT_K8S_ROLE=dnsfailover \
	VAULT_K8S_JWT_PATH="$T/nonexistent-jwt"
assert_exit 2 "no JWT file" -- "$DNSFAILOVER" -c "$T/k8s-nojwt.env" show
assert_contains "$OUT" "cannot read VAULT_K8S_JWT_PATH=$T/nonexistent-jwt" "missing JWT named"
sys_kill vault3

sys_log "run: the token renewed, a reload reads Vault again, a reload with Vault down keeps the values"
set_secret "{\"tsig_key\": \"$TSIG\", \"update_interval\": \"2\"}"
sys_start_fake_vault vault4 -r "$ROLE_ID" -s "$SECRET_ID" -L 3
vault_config "$T/run.env" VAULT_AUTH_METHOD=approle VAULT_ROLE_ID="$ROLE_ID" \
	VAULT_SECRET_ID_FILE="$T/secret-id" UPDATE_INTERVAL=10
sys_spawn daemon "$DNSFAILOVER" -c "$T/run.env" run
daemon_pid=$SYS_PID
DLOG=$T/daemon.log
renewals() { grep -c "renew-self" "$VAULT_LOG" || true; }
has_renewals() { [ "$(renewals)" -ge 2 ]; }
sys_wait_for 20 "two token renewals" has_renewals
grep -q "UPDATE_INTERVAL=2" "$DLOG" || fail "update_interval from Vault not used at start"
grep -q "Vault token renewed for 3 s" "$DLOG" || fail "the daemon did not log its renewal"
set_secret "{\"tsig_key\": \"$TSIG\", \"update_interval\": \"3\"}"
kill -HUP "$daemon_pid"
reloaded() { grep -q "Configuration reloaded: ROLE=primary, UPDATE_INTERVAL=3" "$DLOG"; }
sys_wait_for 10 "the reload with the new value from Vault" reloaded
touch "$T/sealed"
kill -HUP "$daemon_pid"
kept_sealed() { grep -q "Reload failed, keeping the current configuration: Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT is sealed" "$DLOG"; }
sys_wait_for 10 "the reload refused by a sealed Vault logged" kept_sealed
rm -f "$T/sealed"
sys_kill vault4
kill -HUP "$daemon_pid"
kept() { grep -q "Reload failed, keeping the current configuration: Vault at VAULT_ADDR=https://127.0.0.1:$VAULT_PORT is not reachable" "$DLOG"; }
sys_wait_for 10 "the failed reload logged" kept
renewed_after()
{
	awk '/Reload failed, keeping/ { f = 1 } f && /Lease renewed/ { ok = 1 } END { exit !ok }' "$DLOG"
}
sys_wait_for 15 "a lease renewal with the kept key after the failed reload" renewed_after
token_failed() { grep -q "Vault token renewal failed" "$DLOG"; }
sys_wait_for 10 "the failed token renewal logged" token_failed
kill -0 "$daemon_pid" || fail "the daemon died"
OUT=$(cat "$DLOG")
no_secret "daemon log"
sys_kill daemon
sys_log "renewals seen by the fake: $(renewals)"
