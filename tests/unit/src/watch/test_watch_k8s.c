/*
 * Unit tests for src/watch_k8s.c against a fake Kubernetes API server that
 * this test runs over HTTPS on 127.0.0.1: a thread of unit_http_server.c
 * serving the apps/v1 deployments/scale subresource, behind a CA and a
 * server certificate made at test time with the OpenSSL API (no tool
 * needed). It checks the bearer token (401 Status otherwise; a second,
 * read-only token gets 403 on PATCH, as RBAC with only "get" would), the
 * merge-patch Content-Type (415 otherwise) and the patch body, which must
 * be exactly {"spec":{"replicas":N}}; it keeps spec.replicas and answers
 * with Scale objects shaped as autoscaling/v1 shapes them (a zero
 * spec.replicas is omitted). Anything the real server would refuse is also
 * recorded as a violation that fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/common/log.h"
#include "src/loop/loop.h"
#include "src/watch/watch.h"
#include "tests/unit/src/http/unit_http_server.h"
#include "tests/unit/src/watch/unit_watch_loop.h"

#define BASE                                                       \
	"ROLE=dr\nDNS_PROVIDER=bind-tsig\nDNS_ZONE=example.test\n" \
	"DNS_RECORD=lease.example.test\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"

#define NS	    "observability"
#define DEPLOY	    "otel-collector"
#define FLAKY	    "flaky-collector" /* answers 500 with a Status message */
#define TOKEN	    "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.c2VydmljZS1hY2NvdW50.c2lnbmF0dXJl"
#define TOKEN2	    "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.cm90YXRlZA.c2lnbmF0dXJlMg"
#define READ_ONLY   "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.cmVhZC1vbmx5.c2ln"
#define SCALE_PATH  "/apis/apps/v1/namespaces/" NS "/deployments/"
#define MERGE_PATCH "application/merge-patch+json"

static char tmpdir[64];
static char ca_path[128];    /* the CA that signed the server's certificate */
static char other_ca[128];   /* a CA that did not */
static char token_path[128]; /* K8S_TOKEN_FILE */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/df-k8s-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", tmpdir);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.crt", tmpdir);
	snprintf(token_path, sizeof(token_path), "%s/token", tmpdir);
	/* The names kube-apiserver's serving certificate carries. */
	return unit_http_tls_init(
		ca_path, other_ca, "kubernetes", "kube-apiserver",
		"DNS:kubernetes,DNS:kubernetes.default.svc,DNS:localhost,IP:127.0.0.1");
}

static int group_teardown(void **state)
{
	(void)state;
	unit_http_tls_deinit();
	unlink(ca_path);
	unlink(other_ca);
	unlink(token_path);
	rmdir(tmpdir);
	return 0;
}

/* ---- the fake API server ---- */

struct apiserver {
	unit_http_server_t *srv;
	uint16_t port;
	bool silent; /* reads the request, never answers */
	SSL_CTX *ctx;
	pthread_mutex_t lock; /* guards what follows */
	char token[128];      /* the one bearer token with get and patch */
	int replicas;	      /* spec.replicas of DEPLOY */
	int resource_version;
	int gets, patches, refused;
	char violation[1024]; /* first request the real server would refuse */
};

static void violate(struct apiserver *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void violate(struct apiserver *s, const char *fmt, ...)
{
	if (s->violation[0] != '\0') {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->violation, sizeof(s->violation), fmt, ap);
	va_end(ap);
}

/* An answer with the headers kube-apiserver sends. */
static void respond(unit_http_conn_t *c, int status, const char *reason, const char *json)
{
	char head[768];
	int n = snprintf(
		head, sizeof(head),
		"HTTP/1.1 %d %s\r\n"
		"Audit-Id: 0b6e7c5a-3f1d-4c2b-9a8e-7d6c5b4a3f2e\r\n"
		"Cache-Control: no-cache, private\r\n"
		"Content-Type: application/json\r\n"
		"X-Kubernetes-Pf-Flowschema-Uid: 6f5e4d3c-2b1a-4098-8776-655443322110\r\n"
		"X-Kubernetes-Pf-Prioritylevel-Uid: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d\r\n"
		"Date: Tue, 04 Jun 2024 10:00:00 GMT\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		status, reason, strlen(json));
	if (unit_http_send(c, head, (size_t)n)) {
		unit_http_send(c, json, strlen(json));
	}
}

static void respond_status(unit_http_conn_t *c, int code, const char *reason,
			   const char *kube_reason, const char *message, const char *details)
{
	char body[1536];
	snprintf(body, sizeof(body),
		 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		 "\"status\":\"Failure\",\"message\":\"%s\",\"reason\":\"%s\",%s\"code\":%d}\n",
		 message, kube_reason, details != NULL ? details : "", code);
	respond(c, code, reason, body);
}

static void respond_scale(unit_http_conn_t *c, const struct apiserver *s)
{
	char body[1024], spec[32] = "";
	if (s->replicas > 0) {
		snprintf(spec, sizeof(spec), "\"replicas\":%d", s->replicas);
	}
	snprintf(body, sizeof(body),
		 "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{"
		 "\"name\":\"" DEPLOY "\",\"namespace\":\"" NS "\","
		 "\"uid\":\"9a1f6c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b\",\"resourceVersion\":\"%d\","
		 "\"creationTimestamp\":\"2024-06-01T08:00:00Z\"},\"spec\":{%s},"
		 "\"status\":{\"replicas\":%d,"
		 "\"selector\":\"app.kubernetes.io/name=otel-collector\"}}\n",
		 s->resource_version, spec, s->replicas);
	respond(c, 200, "OK", body);
}

/* The patch body: exactly {"spec":{"replicas":N}}; -1 otherwise. */
static int patch_replicas(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *spec = json_object_get(root, "spec");
	json_t *n = json_object_get(spec, "replicas");
	int v = -1;
	if (json_is_object(root) && json_object_size(root) == 1 && json_is_object(spec) &&
	    json_object_size(spec) == 1 && json_is_integer(n) && json_integer_value(n) >= 0 &&
	    json_integer_value(n) <= 1000) {
		v = (int)json_integer_value(n);
	}
	json_decref(root);
	return v;
}

static void handle(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq)
{
	struct apiserver *s = arg;
	char auth[256] = "", type[128] = "", msg[512], details[256];
	const char *t = rq->target;
	bool get = strcmp(rq->method, "GET") == 0;
	bool patch = strcmp(rq->method, "PATCH") == 0;

	if (s->silent) {
		unit_http_hold(c);
		return;
	}
	pthread_mutex_lock(&s->lock);
	unit_http_header(rq, "Authorization", auth, sizeof(auth));
	bool full = strncmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, s->token) == 0;
	bool read_only = strcmp(auth, "Bearer " READ_ONLY) == 0;
	if (!full && !read_only) {
		s->refused++;
		respond_status(c, 401, "Unauthorized", "Unauthorized", "Unauthorized", NULL);
		goto out;
	}
	/* .../deployments/{name}/scale, nothing more (no query, no subpath). */
	const char *name = t + sizeof(SCALE_PATH) - 1;
	const char *tail = strchr(name, '/');
	if (strncmp(t, SCALE_PATH, sizeof(SCALE_PATH) - 1) != 0 || tail == NULL ||
	    strcmp(tail, "/scale") != 0) {
		violate(s, "%s %s: not the scale subresource in namespace " NS, rq->method, t);
		respond_status(c, 404, "Not Found", "NotFound",
			       "the server could not find the requested resource", NULL);
		goto out;
	}
	int nlen = (int)(tail - name);
	if (!get && !patch) {
		violate(s, "%s %s: neither GET nor PATCH", rq->method, t);
		respond_status(c, 405, "Method Not Allowed", "MethodNotAllowed",
			       "the server does not allow this method on the requested resource",
			       NULL);
		goto out;
	}
	if (get && rq->body_len != 0) {
		violate(s, "GET %s with a body", t);
	}
	if (patch && read_only) {
		s->refused++;
		snprintf(msg, sizeof(msg),
			 "deployments.apps \\\"%.*s\\\" is forbidden: User "
			 "\\\"system:serviceaccount:" NS ":dnsfailover\\\" cannot patch resource "
			 "\\\"deployments/scale\\\" in API group \\\"apps\\\" in the namespace "
			 "\\\"" NS "\\\"",
			 nlen, name);
		snprintf(details, sizeof(details),
			 "\"details\":{\"name\":\"%.*s\",\"group\":\"apps\",\"kind\":"
			 "\"deployments\"},",
			 nlen, name);
		respond_status(c, 403, "Forbidden", "Forbidden", msg, details);
		goto out;
	}
	if (patch) {
		/* The media type decides the patch strategy; parameters may follow. */
		unit_http_header(rq, "Content-Type", type, sizeof(type));
		type[strcspn(type, "; ")] = '\0';
		if (strcmp(type, MERGE_PATCH) != 0) {
			s->refused++;
			respond_status(c, 415, "Unsupported Media Type", "UnsupportedMediaType",
				       "the body of the request was in an unknown format - "
				       "accepted media types include: application/json-patch+json, "
				       "application/merge-patch+json, application/apply-patch+yaml",
				       NULL);
			goto out;
		}
	}
	if ((size_t)nlen == strlen(FLAKY) && strncmp(name, FLAKY, (size_t)nlen) == 0) {
		respond_status(c, 500, "Internal Server Error", "InternalError",
			       "Internal error occurred: etcdserver: request timed out", NULL);
		goto out;
	}
	if ((size_t)nlen != strlen(DEPLOY) || strncmp(name, DEPLOY, (size_t)nlen) != 0) {
		snprintf(msg, sizeof(msg), "deployments.apps \\\"%.*s\\\" not found", nlen, name);
		snprintf(details, sizeof(details),
			 "\"details\":{\"name\":\"%.*s\",\"group\":\"apps\",\"kind\":"
			 "\"deployments\"},",
			 nlen, name);
		respond_status(c, 404, "Not Found", "NotFound", msg, details);
		goto out;
	}
	if (get) {
		s->gets++;
		respond_scale(c, s);
		goto out;
	}
	int n = patch_replicas(rq->body, rq->body_len);
	if (n < 0) {
		s->refused++;
		violate(s, "PATCH %s: body '%s' is not {\"spec\":{\"replicas\":N}}", t, rq->body);
		respond_status(c, 422, "Unprocessable Entity", "Invalid",
			       "Scale.autoscaling \\\"" DEPLOY "\\\" is invalid: spec.replicas: "
			       "Invalid value",
			       NULL);
		goto out;
	}
	s->patches++;
	s->replicas = n;
	s->resource_version++;
	respond_scale(c, s);
out:
	pthread_mutex_unlock(&s->lock);
}

static struct apiserver *server_start(bool silent)
{
	struct apiserver *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->silent = silent;
	snprintf(s->token, sizeof(s->token), "%s", TOKEN);
	s->resource_version = 41;
	pthread_mutex_init(&s->lock, NULL);

	s->ctx = unit_http_tls_server_ctx();
	assert_int_equal(SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION), 1);
	int lfd = unit_http_listen_tcp(16, &s->port);
	s->srv = unit_http_server_start(lfd, s->ctx, handle, s);
	return s;
}

/* Stops the server; fails the test if it saw what the real one refuses. */
static void server_stop(struct apiserver *s)
{
	char violation[sizeof(s->violation)];
	unit_http_server_stop(s->srv);
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->lock);
	memcpy(violation, s->violation, sizeof(violation));
	free(s);
	if (violation[0] != '\0') {
		fail_msg("the fake API server saw a bad request: %s", violation);
	}
}

static int replicas(struct apiserver *s)
{
	pthread_mutex_lock(&s->lock);
	int n = s->replicas;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int handshakes_failed(struct apiserver *s)
{
	return unit_http_server_handshakes_failed(s->srv);
}

static void set_server_token(struct apiserver *s, const char *token)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->token, sizeof(s->token), "%s", token);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the backend ---- */

static config_t cfg;
static df_detail_t d;

static int load(const char *extra)
{
	char text[4096];
	snprintf(text, sizeof(text), BASE "WATCH_MODE=kubernetes\n%s", extra);
	memset(&d, 0, sizeof(d));
	return config_parse_text(&cfg, failover_config_modules, text, strlen(text), "t.env", &d);
}

/* A backend for deployment deploy on server s; more: extra config lines. */
static watch_backend_t *backend(const struct apiserver *s, const char *deploy, const char *ca,
				const char *more)
{
	char extra[2048];
	watch_backend_t *b = NULL;
	snprintf(extra, sizeof(extra),
		 "OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=%s\nK8S_API_URL=https://127.0.0.1:%u\n"
		 "K8S_TOKEN_FILE=%s\nK8S_CA_FILE=%s\n%s",
		 deploy, (unsigned)s->port, token_path, ca, more != NULL ? more : "");
	if (load(extra) != DF_OK) {
		fail_msg("config: %s", d.msg);
	}
	memset(&d, 0, sizeof(d));
	int ret = watch_k8s_new(&b, &cfg, &d);
	if (ret != DF_OK) {
		fail_msg("watch_k8s_new: %d %s", ret, d.msg);
	}
	assert_non_null(b);
	assert_string_equal(b->ops->name, "kubernetes");
	return b;
}

static bool status(watch_backend_t *b)
{
	bool running = false;
	memset(&d, 0, sizeof(d));
	int ret = b->ops->status(b, &running, &d);
	if (ret != DF_OK) {
		fail_msg("status: %d %s", ret, d.msg);
	}
	return running;
}

static void ok(int ret)
{
	if (ret != DF_OK) {
		fail_msg("%d %s", ret, d.msg);
	}
}

#define assert_msg_has(needle)                                                    \
	do {                                                                      \
		if (strstr(d.msg, (needle)) == NULL) {                            \
			fail_msg("message \"%s\" lacks \"%s\"", d.msg, (needle)); \
		}                                                                 \
	} while (0)

static void assert_no_token(const char *text)
{
	static const char *const secrets[] = {TOKEN, TOKEN2, READ_ONLY, "wrong-token"};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (strstr(text, secrets[i]) != NULL) {
			fail_msg("a token shows in \"%s\"", text);
		}
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN "\n");
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);

	assert_false(status(b)); /* spec.replicas absent: 0 */
	ok(b->ops->start(b, &d));
	assert_int_equal(replicas(s), 1);
	assert_true(status(b));
	ok(b->ops->start(b, &d)); /* again: the same patch, still fine */
	assert_true(status(b));
	ok(b->ops->stop(b, &d));
	assert_int_equal(replicas(s), 0);
	assert_false(status(b));
	assert_int_equal(s->gets, 4);
	assert_int_equal(s->patches, 3);
	assert_int_equal(s->refused, 0);
	b->ops->free(b);
	server_stop(s);
}

/* OTEL_REPLICAS_ACTIVE=3, INACTIVE=1: running means exactly 3. */
static void test_replica_counts(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN);
	watch_backend_t *b =
		backend(s, DEPLOY, ca_path, "OTEL_REPLICAS_ACTIVE=3\nOTEL_REPLICAS_INACTIVE=1\n");
	s->replicas = 2;
	assert_false(status(b));
	ok(b->ops->start(b, &d));
	assert_int_equal(replicas(s), 3);
	assert_true(status(b));
	ok(b->ops->stop(b, &d));
	assert_int_equal(replicas(s), 1);
	assert_false(status(b));
	b->ops->free(b);
	server_stop(s);
}

/* K8S_API_URL empty: the API server named by the pod's environment. */
static void test_in_cluster(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	char port[8], extra[1024];
	watch_backend_t *b = NULL;
	write_file(token_path, TOKEN);
	snprintf(port, sizeof(port), "%u", (unsigned)s->port);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", port, 1);
	snprintf(extra, sizeof(extra),
		 "OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=" DEPLOY "\nK8S_TOKEN_FILE=%s\n"
		 "K8S_CA_FILE=%s\n",
		 token_path, ca_path);
	assert_int_equal(load(extra), DF_OK);
	ok(watch_k8s_new(&b, &cfg, &d));
	ok(b->ops->start(b, &d));
	assert_true(status(b));
	b->ops->free(b);

	/* Outside a pod, without K8S_API_URL: a clear configuration error. */
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	b = NULL;
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_null(b);
	assert_msg_has("K8S_API_URL is empty and KUBERNETES_SERVICE_HOST is not set");
	server_stop(s);
}

static void test_wrong_token(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, "wrong-token\n");
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	bool running = true;
	char log_path[160];

	/* Everything logged at debug level goes to a file searched for tokens. */
	snprintf(log_path, sizeof(log_path), "%s/stderr", tmpdir);
	fflush(stderr);
	int saved = dup(2);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	enum log_level level = log_get_level();
	log_set_level(LOG_LEVEL_DEBUG);

	memset(&d, 0, sizeof(d));
	int ret = b->ops->status(b, &running, &d);
	char status_msg[sizeof(d.msg)];
	memcpy(status_msg, d.msg, sizeof(status_msg));
	memset(&d, 0, sizeof(d));
	int ret_start = b->ops->start(b, &d);

	/* A token that may read but not patch: 403 names the permission. */
	write_file(token_path, READ_ONLY "\n");
	bool running2 = true;
	df_detail_t d2;
	memset(&d2, 0, sizeof(d2));
	int ret_get = b->ops->status(b, &running2, &d2);
	df_detail_t d3;
	memset(&d3, 0, sizeof(d3));
	int ret_patch = b->ops->stop(b, &d3);
	write_file(token_path, TOKEN);
	ok(b->ops->start(b, &d));

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(level);

	assert_int_equal(ret, DF_EACCES);
	assert_true(running);
	memcpy(d.msg, status_msg, sizeof(d.msg));
	assert_msg_has("refused the token in");
	assert_msg_has(token_path);
	assert_msg_has("(K8S_TOKEN_FILE) (HTTP 401: Unauthorized)");
	assert_msg_has("RBAC get and patch on deployments/scale (apps) in namespace " NS);
	assert_no_token(d.msg);
	assert_int_equal(ret_start, DF_EACCES);

	assert_int_equal(ret_get, DF_OK);
	assert_false(running2);
	assert_int_equal(ret_patch, DF_EACCES);
	memcpy(d.msg, d3.msg, sizeof(d.msg));
	assert_msg_has("patch scale of deployment " NS "/" DEPLOY " is forbidden (HTTP 403: ");
	assert_msg_has("cannot patch resource \"deployments/scale\" in API group \"apps\"");
	assert_msg_has("a Role allowing get and patch on deployments/scale in API group apps "
		       "in namespace " NS);
	assert_no_token(d.msg);

	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	char line[2048];
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_no_token(line);
	}
	fclose(f);
	unlink(log_path);
	assert_int_equal(replicas(s), 1);
	b->ops->free(b);
	server_stop(s);
}

static void test_token_rotation(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN "\n");
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	bool running;

	assert_false(status(b));
	/* The issuer rotates: the old token is refused from now on... */
	set_server_token(s, TOKEN2);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_EACCES);
	/* ...and once the kubelet rewrote the file, the next call uses the new one. */
	write_file(token_path, TOKEN2 "\n");
	ok(b->ops->start(b, &d));
	assert_true(status(b));
	assert_int_equal(replicas(s), 1);
	b->ops->free(b);
	server_stop(s);
}

static void test_token_file_problems(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	bool running;

	unlink(token_path);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENOENT);
	assert_msg_has("cannot read the token file");
	assert_msg_has(token_path);
	write_file(token_path, "\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_EACCES);
	assert_msg_has("(K8S_TOKEN_FILE) is empty");
	write_file(token_path, TOKEN "\r\nX-Injected: 1\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_EACCES);
	assert_msg_has("holds characters a bearer token cannot have");
	assert_no_token(d.msg);
	/* None of these reached the server. */
	assert_int_equal(s->gets + s->patches + s->refused, 0);
	b->ops->free(b);
	server_stop(s);
}

static void test_wrong_ca(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, DEPLOY, other_ca, NULL);
	bool running = true;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENETWORK);
	assert_true(running);
	assert_msg_has("TLS with the API server https://127.0.0.1:");
	assert_msg_has("certificate");
	assert_msg_has("must verify against K8S_CA_FILE ");
	assert_msg_has(other_ca);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_ENETWORK);
	b->ops->free(b);

	/* A CA file that is not there. */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/no-ca.crt", tmpdir);
	b = backend(s, DEPLOY, missing, NULL);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ECONFIG);
	assert_msg_has("cannot use the CA file");
	assert_msg_has(missing);
	b->ops->free(b);

	/* No request got through: the token never left over unverified TLS. */
	for (int i = 0; i < 200 && handshakes_failed(s) < 2; i++) {
		usleep(10 * 1000); /* the server sees the client's alert a bit later */
	}
	/* Two refused certificates; the missing CA file may add a bare connection. */
	assert_true(handshakes_failed(s) >= 2);
	assert_int_equal(s->gets + s->patches + s->refused, 0);
	server_stop(s);
}

static void test_not_found(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, "otel-colector", ca_path, NULL);
	bool running = true;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENOENT);
	assert_true(running);
	assert_msg_has("deployment otel-colector not found in namespace " NS);
	assert_msg_has("(HTTP 404: deployments.apps \"otel-colector\" not found)");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_ENOENT);
	assert_msg_has("(OTEL_DEPLOYMENT, OTEL_NAMESPACE)");
	b->ops->free(b);
	server_stop(s);
}

static void test_server_error(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, FLAKY, ca_path, NULL);
	bool running;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ERCODE);
	assert_msg_has("get scale of deployment " NS "/" FLAKY " failed: HTTP 500: Internal "
		       "error occurred: etcdserver: request timed out");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->stop(b, &d), DF_ERCODE);
	assert_msg_has("patch scale of deployment " NS "/" FLAKY " failed: HTTP 500");
	b->ops->free(b);
	server_stop(s);
}

/*
 * A server that takes the request and never answers: bounded (by 10 s;
 * shortened here, as the backend allows).
 */
static void test_silent(void **state)
{
	(void)state;
	struct apiserver *s = server_start(true);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	bool running = true;

	b->timeout_ms = 300;
	int64_t t0 = clock_mono_ms();
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ETIMEDOUT);
	int64_t ms = clock_mono_ms() - t0;
	assert_true(running);
	assert_msg_has("did not answer within 300 ms");
	if (ms < 250 || ms > 800) {
		fail_msg("silent API server: status took %lld ms, expected about 300",
			 (long long)ms);
	}
	b->ops->free(b);
	server_stop(s);
}

/*
 * The fake refuses what the real server refuses: checked with requests the
 * backend would never send, so the round trip above proves something.
 */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static long raw_patch(const struct apiserver *s, const char *type, const char *body)
{
	char url[256];
	long code = 0;
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " TOKEN);
	h = curl_slist_append(h, type);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u" SCALE_PATH DEPLOY "/scale",
		 (unsigned)s->port);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return code;
}

static void test_fake_enforces(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	assert_int_equal(
		raw_patch(s, "Content-Type: application/json", "{\"spec\":{\"replicas\":1}}"), 415);
	assert_int_equal(raw_patch(s, "Content-Type: application/strategic-merge-patch+json",
				   "{\"spec\":{\"replicas\":1}}"),
			 415);
	assert_int_equal(raw_patch(s, "Content-Type: " MERGE_PATCH, "{\"spec\":{\"replicas\":1}}"),
			 200);
	assert_int_equal(replicas(s), 1);
	assert_int_equal(raw_patch(s, "Content-Type: " MERGE_PATCH,
				   "{\"spec\":{\"replicas\":0},\"status\":{}}"),
			 422);
	assert_int_equal(
		raw_patch(s, "Content-Type: " MERGE_PATCH, "{\"spec\":{\"replicas\":\"0\"}}"), 422);
	assert_int_equal(replicas(s), 1);
	/* Those were violations on purpose: clear them before the check. */
	s->violation[0] = '\0';
	server_stop(s);
}

static void test_new_validates(void **state)
{
	(void)state;
	watch_backend_t *b = NULL;

	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nK8S_API_URL=https://192.0.2.1:6443\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("WATCH_MODE=kubernetes needs OTEL_NAMESPACE and OTEL_DEPLOYMENT");
	assert_int_equal(load("OTEL_NAMESPACE=Obs/../x\nOTEL_DEPLOYMENT=c\n"
			      "K8S_API_URL=https://192.0.2.1:6443\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("OTEL_NAMESPACE=Obs/../x is not a namespace name");
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c?x=1\n"
			      "K8S_API_URL=https://192.0.2.1:6443\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("OTEL_DEPLOYMENT=c?x=1 is not a deployment name");
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c\nOTEL_REPLICAS_ACTIVE=0\n"
			      "K8S_API_URL=https://192.0.2.1:6443\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("OTEL_REPLICAS_ACTIVE=0 would never run the collector");
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c\nOTEL_REPLICAS_ACTIVE=2\n"
			      "OTEL_REPLICAS_INACTIVE=2\nK8S_API_URL=https://192.0.2.1:6443\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("OTEL_REPLICAS_INACTIVE=2 is not below OTEL_REPLICAS_ACTIVE=2");
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c\n"
			      "K8S_API_URL=http://192.0.2.1:8080\n"),
			 DF_OK);
	assert_int_equal(watch_k8s_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("the bearer token is only sent over https");
	assert_null(b);

	/* Defaults: 1 and 0 replicas, the service account's files. */
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c\n"
			      "K8S_API_URL=https://192.0.2.1:6443/\n"),
			 DF_OK);
	assert_int_equal(cfg.watch.replicas_active, 1);
	assert_int_equal(cfg.watch.replicas_inactive, 0);
	assert_string_equal(cfg.watch.k8s_token_file,
			    "/var/run/secrets/kubernetes.io/serviceaccount/token");
	ok(watch_k8s_new(&b, &cfg, &d));
	assert_string_equal(b->what, "deployment " NS "/c");
	b->ops->free(b);
	/* A local kubectl proxy over http. */
	assert_int_equal(load("OTEL_NAMESPACE=" NS "\nOTEL_DEPLOYMENT=c\n"
			      "K8S_API_URL=http://127.0.0.1:8001\n"),
			 DF_OK);
	ok(watch_k8s_new(&b, &cfg, &d));
	b->ops->free(b);

	assert_int_equal(watch_k8s_new(NULL, &cfg, &d), DF_EINVAL);
	assert_int_equal(watch_k8s_new(&b, NULL, &d), DF_EINVAL);
}

/* ---- the same calls on the event loop ---- */

/* The state each call starts from: the deployment's spec.replicas. */
struct preset {
	struct apiserver *s;
	int replicas;
};

static void reset_replicas(void *arg)
{
	struct preset *p = arg;
	pthread_mutex_lock(&p->s->lock);
	p->s->replicas = p->replicas;
	pthread_mutex_unlock(&p->s->lock);
}

/* verb blocking, then on the loop, from replicas: the same outcome. */
static void check_same(struct apiserver *s, watch_backend_t *b, loop_t *loop, enum watch_verb verb,
		       int from, char *log, size_t size)
{
	struct preset p = {s, from};
	unit_watch_check_same(b, loop, verb, reset_replicas, &p, &d, log, size);
	assert_no_token(d.msg);
	if (log != NULL) {
		assert_no_token(log);
	}
}

static void check_all_verbs(struct apiserver *s, watch_backend_t *b, loop_t *loop)
{
	static const enum watch_verb verbs[] = {WATCH_STATUS, WATCH_START, WATCH_STOP};
	char log[4096];
	for (size_t v = 0; v < 3; v++) {
		check_same(s, b, loop, verbs[v], 0, log, sizeof(log));
		check_same(s, b, loop, verbs[v], 1, log, sizeof(log));
		check_same(s, b, loop, verbs[v], 3, log, sizeof(log));
	}
}

/* Every verb, every answer, through begin(), as the blocking calls. */
static void test_async_same_as_blocking(void **state)
{
	(void)state;
	struct apiserver *s = server_start(false);
	loop_t *loop = NULL;
	char log[4096];
	assert_int_equal(loop_new(&loop), DF_OK);
	write_file(token_path, TOKEN "\n");

	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	check_all_verbs(s, b, loop);
	check_same(s, b, loop, WATCH_START, 0, log, sizeof(log));
	assert_string_equal(log,
			    "[DEBUG] watch kubernetes: deployment " NS "/" DEPLOY " scaled to 1\n");
	/* A patch through the loop is seen by the next read. */
	bool running = false;
	ok(unit_watch_async(b, loop, WATCH_STOP, &running, &d));
	assert_int_equal(replicas(s), 0);
	ok(unit_watch_async(b, loop, WATCH_START, &running, &d));
	assert_int_equal(replicas(s), 1);
	ok(unit_watch_async(b, loop, WATCH_STATUS, &running, &d));
	assert_true(running);
	b->ops->free(b);

	/* HTTP 500, 404. */
	b = backend(s, FLAKY, ca_path, NULL);
	check_all_verbs(s, b, loop);
	assert_msg_has("patch scale of deployment " NS "/" FLAKY " failed: HTTP 500");
	b->ops->free(b);
	b = backend(s, "otel-colector", ca_path, NULL);
	check_all_verbs(s, b, loop);
	assert_msg_has("deployment otel-colector not found in namespace " NS);
	b->ops->free(b);

	/* 401, and 403 on the patch of a read-only token. */
	b = backend(s, DEPLOY, ca_path, NULL);
	write_file(token_path, "wrong-token\n");
	check_all_verbs(s, b, loop);
	assert_msg_has("(K8S_TOKEN_FILE) (HTTP 401: Unauthorized)");
	write_file(token_path, READ_ONLY "\n");
	check_all_verbs(s, b, loop);
	assert_msg_has("is forbidden (HTTP 403: ");
	/* Token files that are refused before anything is sent. */
	unlink(token_path);
	check_all_verbs(s, b, loop);
	assert_msg_has("cannot read the token file");
	write_file(token_path, TOKEN "\r\nX-Injected: 1\n");
	check_all_verbs(s, b, loop);
	assert_msg_has("holds characters a bearer token cannot have");
	write_file(token_path, TOKEN "\n");
	b->ops->free(b);

	/* A certificate that does not verify, and a CA file that is not there. */
	b = backend(s, DEPLOY, other_ca, NULL);
	check_same(s, b, loop, WATCH_STATUS, 1, NULL, 0);
	assert_msg_has("TLS with the API server https://127.0.0.1:");
	check_same(s, b, loop, WATCH_START, 0, NULL, 0);
	b->ops->free(b);
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/no-ca.crt", tmpdir);
	b = backend(s, DEPLOY, missing, NULL);
	check_same(s, b, loop, WATCH_STOP, 1, NULL, 0);
	assert_msg_has("cannot use the CA file");
	b->ops->free(b);

	loop_free(loop);
	server_stop(s);
}

/*
 * A server that takes the request and never answers: the call ends with
 * the blocking form's timeout error, and meanwhile the loop serves a timer
 * on time.
 */
static void test_async_silent(void **state)
{
	(void)state;
	static const enum watch_verb verbs[] = {WATCH_STATUS, WATCH_START};
	struct apiserver *s = server_start(true);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	b->timeout_ms = 300;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		bool running = true;
		char msg[sizeof(d.msg)];
		memset(&d, 0, sizeof(d));
		int ret = verbs[i] == WATCH_STATUS ? b->ops->status(b, &running, &d)
						   : b->ops->start(b, &d);
		assert_int_equal(ret, DF_ETIMEDOUT);
		assert_msg_has("did not answer within 300 ms");
		memcpy(msg, d.msg, sizeof(msg));

		unit_watch_outcome_t o = {.loop = loop};
		unit_watch_mark_t m = {.loop = loop};
		loop_timer_t *t = NULL;
		assert_int_equal(loop_timer_new(loop, &t, unit_watch_on_mark, &m), DF_OK);
		int64_t t0 = clock_mono_ms();
		memset(&d, 0, sizeof(d));
		ok(b->ops->begin(b, loop, verbs[i], unit_watch_on_done, &o, &d));
		m.armed = clock_mono_ms();
		loop_timer_arm(t, 100, 0);
		assert_int_equal(loop_run(loop), DF_OK);
		loop_timer_free(t);

		assert_int_equal(o.calls, 1);
		assert_int_equal(o.ret, DF_ETIMEDOUT);
		assert_string_equal(o.msg, msg);
		assert_true(m.fired > 0);
		if (m.fired - m.armed < 100 || m.fired - m.armed >= 120) {
			fail_msg("a 100 ms timer fired after %lld ms while the call was in flight",
				 (long long)(m.fired - m.armed));
		}
		if (o.at - t0 < 250 || o.at - t0 > 800) {
			fail_msg("the silent call ended after %lld ms, expected about 300",
				 (long long)(o.at - t0));
		}
	}
	b->ops->free(b);
	loop_free(loop);
	server_stop(s);
}

/* Cancelled or freed in flight: no callback, nothing left behind. */
static void test_async_cancel(void **state)
{
	(void)state;
	struct apiserver *s = server_start(true);
	write_file(token_path, TOKEN);
	watch_backend_t *b = backend(s, DEPLOY, ca_path, NULL);
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	unit_watch_outcome_t o = {.loop = loop};
	b->timeout_ms = 200;

	b->ops->cancel(b); /* nothing in flight: harmless */
	ok(b->ops->begin(b, loop, WATCH_START, unit_watch_on_done, &o, &d));
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->begin(b, loop, WATCH_STOP, unit_watch_on_done, &o, &d), DF_EINVAL);
	assert_msg_has("still in flight");
	unit_watch_run_for(loop, 100); /* connected, sent, waiting */
	b->ops->cancel(b);
	unit_watch_run_for(loop, 400); /* past the timeout: still no callback */
	assert_int_equal(o.calls, 0);

	bool running = true;
	assert_int_equal(unit_watch_async(b, loop, WATCH_STATUS, &running, &d), DF_ETIMEDOUT);
	assert_msg_has("did not answer within 200 ms");

	/* Freed in flight, before the loop: free() cancels. */
	ok(b->ops->begin(b, loop, WATCH_STOP, unit_watch_on_done, &o, &d));
	unit_watch_run_for(loop, 50);
	b->ops->free(b);
	unit_watch_run_for(loop, 300);
	assert_int_equal(o.calls, 0);
	loop_free(loop);
	server_stop(s);
}

int main(void)
{
	/* A client that hangs up must not end the fake server with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_replica_counts),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_wrong_token),
		cmocka_unit_test(test_token_rotation),
		cmocka_unit_test(test_token_file_problems),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_server_error),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_fake_enforces),
		cmocka_unit_test(test_new_validates),
		cmocka_unit_test(test_async_same_as_blocking),
		cmocka_unit_test(test_async_silent),
		cmocka_unit_test(test_async_cancel),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
