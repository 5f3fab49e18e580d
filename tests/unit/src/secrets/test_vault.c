/*
 * The Vault client against a loopback HTTPS server (unit_http_server, its
 * CA made here): the headers it sends, KV v2 then v1, the session kept
 * between loads and given up when refused, a failed login that keeps the
 * session, the renewal on a loop, and the messages of each failure.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "src/secrets/vault.h"
#include "tests/unit/src/http/unit_http_server.h"

static char tmpdir[64], ca_path[128], other_ca[128];

/* What the server accepts and what it saw; under lock, the handler runs on its thread. */
static struct {
	pthread_mutex_t lock;
	int version;	   /* KV version of the mount */
	bool sealed;	   /* every answer 503 */
	bool refuse_login; /* AppRole answers 400 */
	bool revoke;	   /* issued tokens are refused */
	long login_ttl;	   /* lease of issued tokens */
	unsigned logins;   /* AppRole logins answered 200 */
	unsigned renewals; /* renew-self answered 200 */
	unsigned requests; /* all of them */
	char last_token[128];
	char last_ns[64];
	char renew_token[128];
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void respond(unit_http_conn_t *c, int status, const char *body)
{
	char head[256];
	int n = snprintf(
		head, sizeof(head),
		"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n",
		status, strlen(body));
	if (unit_http_send(c, head, (size_t)n)) {
		unit_http_send(c, body, strlen(body));
	}
}

static void handle(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq)
{
	(void)arg;
	char tok[128] = "", ns[64] = "", body[512];
	unit_http_header(rq, "X-Vault-Token", tok, sizeof(tok));
	unit_http_header(rq, "X-Vault-Namespace", ns, sizeof(ns));
	pthread_mutex_lock(&srv.lock);
	srv.requests++;
	snprintf(srv.last_token, sizeof(srv.last_token), "%s", tok);
	snprintf(srv.last_ns, sizeof(srv.last_ns), "%s", ns);
	bool issued = strncmp(tok, "hvs.issued-", 11) == 0 && !srv.revoke;
	bool tok_ok = strcmp(tok, "hvs.static") == 0 || issued;
	const char *t = rq->target;

	if (srv.sealed) {
		respond(c, 503, "{\"errors\":[\"Vault is sealed\"]}");
	} else if (strcmp(t, "/v1/auth/approle/login") == 0) {
		if (srv.refuse_login || strstr(rq->body, "\"secret_id\":\"sid\"") == NULL ||
		    strstr(rq->body, "\"role_id\":\"rid\"") == NULL) {
			respond(c, 400, "{\"errors\":[\"invalid role or secret ID\"]}");
		} else {
			srv.logins++;
			snprintf(body, sizeof(body),
				 "{\"auth\":{\"client_token\":\"hvs.issued-%u\",\"lease_duration\":"
				 "%ld,\"renewable\":true}}",
				 srv.logins, srv.login_ttl);
			srv.revoke = false;
			respond(c, 200, body);
		}
	} else if (!tok_ok) {
		respond(c, 403, "{\"errors\":[\"permission denied\"]}");
	} else if (strcmp(t, "/v1/auth/token/lookup-self") == 0) {
		respond(c, 200, "{\"data\":{\"ttl\":0,\"renewable\":false}}");
	} else if (strcmp(t, "/v1/auth/token/renew-self") == 0) {
		srv.renewals++;
		snprintf(srv.renew_token, sizeof(srv.renew_token), "%s", tok);
		snprintf(body, sizeof(body),
			 "{\"auth\":{\"client_token\":\"%s\",\"lease_duration\":%ld,"
			 "\"renewable\":true}}",
			 tok, srv.login_ttl);
		respond(c, 200, body);
	} else if (srv.version == 2 && strcmp(t, "/v1/secret/data/dns-failover") == 0) {
		respond(c, 200,
			"{\"data\":{\"data\":{\"tsig_key\":\"k:c2VjcmV0\"},\"metadata\":{}}}");
	} else if (srv.version == 1 && strcmp(t, "/v1/secret/dns-failover") == 0) {
		respond(c, 200, "{\"data\":{\"tsig_key\":\"k:djE=\",\"dns_ttl\":45}}");
	} else {
		respond(c, 404, "{\"errors\":[]}");
	}
	pthread_mutex_unlock(&srv.lock);
}

static unit_http_server_t *server;
static SSL_CTX *ctx;
static uint16_t port;

static void reset(int version, long login_ttl)
{
	pthread_mutex_lock(&srv.lock);
	srv.version = version;
	srv.login_ttl = login_ttl;
	srv.sealed = srv.refuse_login = srv.revoke = false;
	srv.logins = srv.renewals = srv.requests = 0;
	srv.last_token[0] = srv.last_ns[0] = srv.renew_token[0] = '\0';
	pthread_mutex_unlock(&srv.lock);
	vault_session_clear();
}

static unsigned count(const unsigned *what)
{
	pthread_mutex_lock(&srv.lock);
	unsigned n = *what;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

static void config(config_vault_t *v, enum config_vault_auth auth)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->addr, sizeof(v->addr), "https://127.0.0.1:%u/", port);
	snprintf(v->ca_file, sizeof(v->ca_file), "%s", ca_path);
	snprintf(v->mount, sizeof(v->mount), "secret");
	snprintf(v->key, sizeof(v->key), "dns-failover");
	v->auth = auth;
	snprintf(v->token, sizeof(v->token), "hvs.static");
	snprintf(v->role_id, sizeof(v->role_id), "rid");
	snprintf(v->secret_id, sizeof(v->secret_id), "sid");
}

struct got {
	size_t n;
	char text[512];
};

static int collect(void *arg, const char *key, const char *value)
{
	struct got *g = arg;
	size_t len = strlen(g->text);
	snprintf(g->text + len, sizeof(g->text) - len, "%s=%s;", key, value ? value : "(null)");
	g->n++;
	return DF_OK;
}

static int read_secret(const config_vault_t *v, struct got *g, char *origin, df_detail_t *d)
{
	memset(g, 0, sizeof(*g));
	memset(d, 0, sizeof(*d));
	return vault_read_secret(v, collect, g, origin, 128, d);
}

static void test_token_v2_then_v1(void **state)
{
	(void)state;
	config_vault_t v;
	struct got g;
	char origin[128];
	df_detail_t d;

	reset(2, 3600);
	config(&v, CONFIG_VAULT_TOKEN);
	snprintf(v.ns, sizeof(v.ns), "team-a");
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_string_equal(g.text, "tsig_key=k:c2VjcmV0;");
	assert_string_equal(origin, "Vault secret/dns-failover (KV v2)");
	assert_string_equal(srv.last_token, "hvs.static");
	assert_string_equal(srv.last_ns, "team-a");
	assert_int_equal(count(&srv.requests), 2); /* lookup-self, the v2 read */

	reset(1, 3600);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_string_equal(g.text, "tsig_key=k:djE=;dns_ttl=45;");
	assert_string_equal(origin, "Vault secret/dns-failover (KV v1)");
	assert_int_equal(count(&srv.requests), 3); /* lookup-self, v2 (404), v1 */
}

static void test_errors(void **state)
{
	(void)state;
	config_vault_t v;
	struct got g;
	char origin[128], expect[256];
	df_detail_t d;

	reset(2, 3600);
	config(&v, CONFIG_VAULT_TOKEN);
	snprintf(v.token, sizeof(v.token), "hvs.wrong");
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	snprintf(expect, sizeof(expect), "Vault at VAULT_ADDR=https://127.0.0.1:%u/ denied reading",
		 port);
	assert_non_null(strstr(d.msg, expect));
	assert_non_null(strstr(d.msg, "GET /v1/secret/data/dns-failover: 403 permission denied"));
	assert_null(strstr(d.msg, "hvs.wrong"));
	assert_int_equal(g.n, 0);

	config(&v, CONFIG_VAULT_TOKEN);
	snprintf(v.key, sizeof(v.key), "nothing/here");
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "has no secret at /v1/secret/data/nothing/here (KV v2) nor "
				      "/v1/secret/nothing/here (KV v1)"));

	pthread_mutex_lock(&srv.lock);
	srv.sealed = true;
	pthread_mutex_unlock(&srv.lock);
	config(&v, CONFIG_VAULT_APPROLE);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "is sealed (POST /v1/auth/approle/login answered 503)"));

	reset(2, 3600);
	snprintf(v.secret_id, sizeof(v.secret_id), "wrong-sid");
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "refused the approle login (POST /v1/auth/approle/login: 400 "
				      "invalid role or secret ID): check VAULT_ROLE_ID and "
				      "VAULT_SECRET_ID"));
	assert_null(strstr(d.msg, "wrong-sid"));

	/* A CA that did not sign the certificate. */
	config(&v, CONFIG_VAULT_TOKEN);
	snprintf(v.ca_file, sizeof(v.ca_file), "%s", other_ca);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ENETWORK);
	assert_non_null(strstr(d.msg, "is not reachable (GET /v1/auth/token/lookup-self: "));
	assert_non_null(strstr(d.msg, "check that VAULT_CACERT holds the CA"));

	/* Nobody listening. */
	uint16_t dead;
	int lfd = unit_http_listen_tcp(1, &dead);
	close(lfd);
	snprintf(v.addr, sizeof(v.addr), "https://127.0.0.1:%u", dead);
	snprintf(v.ca_file, sizeof(v.ca_file), "%s", ca_path);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONNREFUSED);
	assert_non_null(strstr(d.msg, "is not reachable"));
	assert_non_null(strstr(d.msg, "check VAULT_ADDR and that Vault is up"));

	/* Kubernetes without its token file. */
	config(&v, CONFIG_VAULT_KUBERNETES);
	snprintf(v.k8s_role, sizeof(v.k8s_role), "r");
	snprintf(v.k8s_jwt_path, sizeof(v.k8s_jwt_path), "%s/no-jwt", tmpdir);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "cannot read VAULT_K8S_JWT_PATH="));
	assert_int_equal(vault_read_secret(NULL, collect, &g, origin, 1, &d), DF_EINVAL);
}

static void test_session_kept_and_renewed_login(void **state)
{
	(void)state;
	config_vault_t v;
	struct got g;
	char origin[128];
	df_detail_t d;

	reset(2, 3600);
	config(&v, CONFIG_VAULT_APPROLE);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_string_equal(srv.last_token, "hvs.issued-1");
	/* A second load (a reload) reuses the token. */
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_int_equal(count(&srv.logins), 1);
	/* Revoked: the kept token is refused, one fresh login reads. */
	pthread_mutex_lock(&srv.lock);
	srv.revoke = true;
	pthread_mutex_unlock(&srv.lock);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_int_equal(count(&srv.logins), 2);
	assert_string_equal(srv.last_token, "hvs.issued-2");
	assert_string_equal(g.text, "tsig_key=k:c2VjcmV0;");
	/* Another role: another login. */
	snprintf(v.role_id, sizeof(v.role_id), "other");
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	snprintf(v.role_id, sizeof(v.role_id), "rid");

	/* A lease too short to reuse logs in at every load. */
	reset(2, 5);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	assert_int_equal(count(&srv.logins), 2);
}

struct run {
	loop_t *loop;
	loop_timer_t *stop;
};

static void on_stop(loop_timer_t *t, void *arg)
{
	(void)t;
	loop_stop(((struct run *)arg)->loop);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct run *r, int64_t ms)
{
	loop_timer_arm(r->stop, ms, 0);
	assert_int_equal(loop_run(r->loop), DF_OK);
}

static void test_keeper(void **state)
{
	(void)state;
	config_vault_t v;
	struct got g;
	char origin[128];
	df_detail_t d;
	struct run r;
	http_multi_t *m;
	vault_keeper_t *k, *k2;

	assert_int_equal(loop_new(&r.loop), DF_OK);
	assert_int_equal(loop_timer_new(r.loop, &r.stop, on_stop, &r), DF_OK);
	assert_int_equal(http_multi_new(&m, r.loop), DF_OK);

	/* No session: nothing to renew. */
	reset(2, 3);
	assert_int_equal(vault_keeper_new(&k, m), DF_OK);
	assert_int_equal(vault_keeper_new(&k2, m), DF_EINVAL); /* one per process */
	run_for(&r, 300);
	assert_int_equal(count(&srv.requests), 0);

	/* A 3 s lease: renewed at 2 s, then 2 s after each renewal. */
	config(&v, CONFIG_VAULT_APPROLE);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	run_for(&r, 1500);
	assert_int_equal(count(&srv.renewals), 0);
	run_for(&r, 1000);
	assert_int_equal(count(&srv.renewals), 1);
	assert_string_equal(srv.renew_token, "hvs.issued-1");

	/* A failed login on a later load keeps the session: still renewed, with its token. */
	pthread_mutex_lock(&srv.lock);
	srv.refuse_login = true;
	pthread_mutex_unlock(&srv.lock);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_ECONFIG);
	run_for(&r, 2600);
	assert_true(count(&srv.renewals) >= 2);
	assert_string_equal(srv.renew_token, "hvs.issued-1");

	/* A root token (ttl 0) is never renewed. */
	reset(2, 3);
	config(&v, CONFIG_VAULT_TOKEN);
	assert_int_equal(read_secret(&v, &g, origin, &d), DF_OK);
	run_for(&r, 2500);
	assert_int_equal(count(&srv.renewals), 0);

	vault_keeper_free(k);
	vault_keeper_free(NULL);
	http_multi_free(m);
	loop_timer_free(r.stop);
	loop_free(r.loop);
	vault_session_clear();
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/df-vault-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", tmpdir);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.crt", tmpdir);
	if (unit_http_tls_init(ca_path, other_ca, "test CA", "localhost",
			       "DNS:localhost,IP:127.0.0.1") != 0) {
		return -1;
	}
	ctx = unit_http_tls_server_ctx();
	int lfd = unit_http_listen_tcp(16, &port);
	server = unit_http_server_start(lfd, ctx, handle, NULL);
	return server != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	unit_http_server_stop(server);
	SSL_CTX_free(ctx);
	unit_http_tls_deinit();
	unlink(ca_path);
	unlink(other_ca);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_v2_then_v1),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_session_kept_and_renewed_login),
		cmocka_unit_test(test_keeper),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
