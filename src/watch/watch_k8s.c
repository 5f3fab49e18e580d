/*
 * Watcher backend "kubernetes": the collector is a Deployment
 * (OTEL_NAMESPACE/OTEL_DEPLOYMENT) scaled through the apps/v1 scale
 * subresource, to OTEL_REPLICAS_ACTIVE where this site is active and to
 * OTEL_REPLICAS_INACTIVE where it is not.
 *
 * The API server is K8S_API_URL, or in a pod the one the kubelet names in
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. Its certificate is
 * always verified against K8S_CA_FILE. The bearer token is read from
 * K8S_TOKEN_FILE at every call, because projected service-account tokens
 * rotate (the kubelet rewrites the file about hourly), and it is wiped from
 * memory after the call; it never reaches a log or a message.
 *
 * begin() sends the same requests through a curl multi on the caller's loop
 * (src/http/http_multi.h) and reads their answers with the same code as the
 * blocking calls, so both give the same results, messages and log lines.
 */
#include "src/watch/watch.h"
#include "src/watch/watch_http.h"
#include <config.h> /* the build's, for PACKAGE_VERSION */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/conf/config.h"
#include "src/common/error.h"
#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"

#define K8S_CONNECT_S  5	   /* connect and TLS handshake */
#define K8S_TIMEOUT_S  10	   /* a whole call: a scale answers at once */
#define K8S_TOKEN_MAX  (64u << 10) /* service-account JWTs are 1-2 KiB */
#define K8S_BODY_MAX   (1u << 20)  /* a Scale or a Status is well under 1 KiB */
#define K8S_MERGE_TYPE "application/merge-patch+json"

/* One call of the scale subresource, as the blocking and the loop forms make it. */
typedef struct k8s_call {
	enum watch_verb verb;
	uint32_t replicas; /* start, stop: the count patched */
	char body[64];	   /* start, stop: the merge patch */
	long timeout_ms;   /* the whole call (or the test's b->timeout_ms) */
} k8s_call_t;

/* The call begun on a loop; its multi lives only while it is in flight. */
typedef struct k8s {
	watch_backend_t base;		 /* first: the ops receive &base */
	char api[1024];			 /* https://host:port[/prefix], no trailing slash */
	char url[2048];			 /* api + the scale subresource's path */
	char ns[64];			 /* OTEL_NAMESPACE */
	char deploy[256];		 /* OTEL_DEPLOYMENT */
	char token_file[CONFIG_STR_MAX]; /* K8S_TOKEN_FILE */
	char ca_file[CONFIG_STR_MAX];	 /* K8S_CA_FILE */
	uint32_t active, inactive;	 /* OTEL_REPLICAS_ACTIVE / _INACTIVE */
	k8s_call_t call;		 /* of begin() */
	watch_http_op_t op;		 /* begin() */
} k8s_t;

/*
 * "Authorization: Bearer <token>" from K8S_TOKEN_FILE, malloc'd; the caller
 * wipes and frees it. Errors name the file, never its contents.
 */
static int read_token(const k8s_t *k, char **header, df_detail_t *d)
{
	static const char prefix[] = "Authorization: Bearer ";
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int ret = DF_EACCES;

	int fd = open(k->token_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = errno == ENOENT ? DF_ENOENT : DF_EACCES;
		df_detail_set(d,
			      "kubernetes: cannot read the token file %s (K8S_TOKEN_FILE): %s; "
			      "in a pod it is the service account's token (is "
			      "automountServiceAccountToken off?), elsewhere set K8S_TOKEN_FILE",
			      k->token_file, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > K8S_TOKEN_MAX) {
		df_detail_set(d,
			      "kubernetes: the token file %s (K8S_TOKEN_FILE) is not a regular "
			      "file of 1 byte to %u KiB",
			      k->token_file, K8S_TOKEN_MAX >> 10);
		goto out;
	}
	buf = malloc(sizeof(prefix) + (size_t)st.st_size + 1);
	if (buf == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	memcpy(buf, prefix, sizeof(prefix) - 1);
	char *tok = buf + sizeof(prefix) - 1;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, tok + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	/* The token is one line; a trailing newline or spaces are not part of it. */
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' ' ||
			   tok[len - 1] == '\t')) {
		len--;
	}
	tok[len] = '\0';
	if (len == 0) {
		df_detail_set(d, "kubernetes: the token file %s (K8S_TOKEN_FILE) is empty",
			      k->token_file);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];
		if (c <= 0x20 || c >= 0x7f) {
			df_detail_set(d,
				      "kubernetes: the token file %s (K8S_TOKEN_FILE) holds "
				      "characters a bearer token cannot have (a space, a control "
				      "character or more than one line)",
				      k->token_file);
			goto out;
		}
	}
	*header = buf;
	buf = NULL;
	ret = DF_OK;
out:
	if (buf != NULL) {
		explicit_bzero(buf, sizeof(prefix) + (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

/* Explains a transfer that got no HTTP answer. */
static int explain_fail(const k8s_t *k, const http_request_t *req, long timeout_ms, df_detail_t *d)
{
	const char *why = http_request_reason(req);
	char within[32];

	switch (http_request_fail(req)) {
	case HTTP_FAIL_NOMEM:
		return DF_ENOMEM;
	case HTTP_FAIL_SETUP:
		df_detail_set(d, "kubernetes: %s", why);
		return DF_ECONFIG;
	case HTTP_FAIL_BODY_MAX:
		df_detail_set(d, "kubernetes: the answer of %s exceeds %u KiB", k->api,
			      K8S_BODY_MAX >> 10);
		return DF_ERANGE;
	case HTTP_FAIL_TIMEOUT:
		df_detail_set(d, "kubernetes: the API server %s did not answer within %s", k->api,
			      http_client_duration(within, sizeof(within), timeout_ms));
		return DF_ETIMEDOUT;
	case HTTP_FAIL_TLS:
		df_detail_set(d,
			      "kubernetes: TLS with the API server %s failed: %s; its "
			      "certificate must verify against K8S_CA_FILE %s (in a pod the "
			      "service account's ca.crt) and name the host of the URL",
			      k->api, why, k->ca_file);
		return DF_ENETWORK;
	case HTTP_FAIL_CA_FILE:
		df_detail_set(d,
			      "kubernetes: cannot use the CA file %s (K8S_CA_FILE) to verify %s: "
			      "%s",
			      k->ca_file, k->api, why);
		return DF_ECONFIG;
	case HTTP_FAIL_RESOLVE:
	case HTTP_FAIL_CONNECT:
		df_detail_set(d, "kubernetes: cannot connect to the API server %s: %s", k->api,
			      why);
		return DF_ECONNREFUSED;
	default:
		df_detail_set(d, "kubernetes: request to the API server %s failed: %s", k->api,
			      why);
		return DF_ENETWORK;
	}
}

/* The call for verb: a GET, or the PATCH to the replicas it wants. */
static void call_init(const k8s_t *k, enum watch_verb verb, k8s_call_t *c)
{
	c->verb = verb;
	c->replicas = verb == WATCH_START ? k->active : k->inactive;
	c->body[0] = '\0';
	if (verb != WATCH_STATUS) {
		snprintf(c->body, sizeof(c->body), "{\"spec\":{\"replicas\":%" PRIu32 "}}",
			 c->replicas);
	}
	c->timeout_ms = k->base.timeout_ms > 0 ? k->base.timeout_ms : K8S_TIMEOUT_S * 1000L;
}

/*
 * The request for c (GET, or PATCH with the merge patch) of the scale
 * subresource, with the token read afresh, not yet sent. DF_OK with *out
 * owning it (the caller frees it with http_request_free(), which wipes the
 * token); otherwise an error explained in d.
 */
static int request_new(const k8s_t *k, const k8s_call_t *c, http_request_t **out, df_detail_t *d)
{
	char *auth = NULL;
	http_request_t *req = NULL;
	bool patch = c->verb != WATCH_STATUS;
	/* Never a redirect (max_redirects 0): it would carry the token elsewhere. */
	http_options_t opt = {
		.user_agent = "dnsfailover-watch/" PACKAGE_VERSION,
		.ca_file = k->ca_file,
		.connect_timeout_ms = K8S_CONNECT_S * 1000L,
		.timeout_ms = c->timeout_ms,
		.body_max = K8S_BODY_MAX,
	};
	int ret;

	if (k->base.timeout_ms > 0) {
		opt.connect_timeout_ms = k->base.timeout_ms;
	}
	ret = read_token(k, &auth, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = http_request_new(&req, patch ? "PATCH" : "GET", k->url, &opt, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "kubernetes");
		goto out;
	}
	/* The request wipes its copy of the token when it is freed. */
	if ((ret = http_request_add_header(req, auth)) != DF_OK ||
	    (ret = http_request_add_header(req, "Accept: application/json")) != DF_OK) {
		goto out;
	}
	if (patch &&
	    ((ret = http_request_add_header(req, "Content-Type: " K8S_MERGE_TYPE)) != DF_OK ||
	     (ret = http_request_set_body(req, c->body, strlen(c->body))) != DF_OK)) {
		goto out;
	}
	*out = req;
	req = NULL;
	ret = DF_OK;
out:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	http_request_free(req);
	return ret;
}

/* The error for an answer other than 200, from the Status object. */
static int answer_error(const k8s_t *k, const char *verb, const http_request_t *r, df_detail_t *d)
{
	char msg[384];
	long status = http_request_status(r);

	http_request_message(r, msg, sizeof(msg));
	switch (status) {
	case 401:
		df_detail_set(d,
			      "kubernetes: the API server %s refused the token in %s "
			      "(K8S_TOKEN_FILE) (HTTP 401: %s): it is invalid or expired; the "
			      "service account also needs RBAC get and patch on "
			      "deployments/scale (apps) in namespace %s",
			      k->api, k->token_file, msg, k->ns);
		return DF_EACCES;
	case 403:
		df_detail_set(d,
			      "kubernetes: %s of deployment %s/%s is forbidden (HTTP 403: %s): "
			      "bind the service account of %s (K8S_TOKEN_FILE) to a Role "
			      "allowing get and patch on deployments/scale in API group apps "
			      "in namespace %s",
			      verb, k->ns, k->deploy, msg, k->token_file, k->ns);
		return DF_EACCES;
	case 404:
		df_detail_set(d,
			      "kubernetes: deployment %s not found in namespace %s "
			      "(OTEL_DEPLOYMENT, OTEL_NAMESPACE) at %s (HTTP 404: %s): create "
			      "the collector's Deployment or fix the names",
			      k->deploy, k->ns, k->api, msg);
		return DF_ENOENT;
	default:
		df_detail_set(d, "kubernetes: %s of deployment %s/%s failed: HTTP %ld: %s", verb,
			      k->ns, k->deploy, status, msg);
		return DF_ERCODE;
	}
}

int watch_k8s_parse_scale(const char *body, size_t len, long long *replicas, char *why,
			  size_t why_size)
{
	json_error_t jerr;
	int ret = DF_EMALFORMED;
	json_t *root = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0, &jerr);
	json_t *spec = json_object_get(root, "spec");
	json_t *n = json_object_get(spec, "replicas");

	if (!json_is_object(spec) || (n != NULL && !json_is_integer(n)) ||
	    (n != NULL && json_integer_value(n) < 0)) {
		snprintf(why, why_size, "%s", root == NULL ? jerr.text : "wrong shape");
		goto out;
	}
	/* autoscaling/v1 omits a zero (omitempty): an absent field is 0. */
	*replicas = n != NULL ? (long long)json_integer_value(n) : 0;
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

/* spec.replicas of the Scale object in r, with an operator's message. */
static int scale_replicas(const k8s_t *k, const http_request_t *r, json_int_t *out, df_detail_t *d)
{
	char why[160];
	long long n = 0;
	size_t len = 0;
	const char *body = http_request_body(r, &len);
	if (watch_k8s_parse_scale(body, len, &n, why, sizeof(why)) != DF_OK) {
		df_detail_set(d,
			      "kubernetes: the answer of %s for deployment %s/%s is not a Scale "
			      "object with spec.replicas (%s)",
			      k->api, k->ns, k->deploy, why);
		return DF_ENETWORK;
	}
	*out = (json_int_t)n;
	return DF_OK;
}

/*
 * What c's transfer on req, ended with ret, means: the same result,
 * message and log lines whether it ran blocking or on the loop. *running
 * (status) is only written on success.
 */
static int call_end(const k8s_t *k, const k8s_call_t *c, const http_request_t *req, int ret,
		    bool *running, df_detail_t *d)
{
	json_int_t n = 0;

	if (ret != DF_OK) {
		return explain_fail(k, req, c->timeout_ms, d);
	}
	bool patch = c->verb != WATCH_STATUS;
	if (http_request_status(req) != 200) {
		ret = answer_error(k, patch ? "patch scale" : "get scale", req, d);
	} else {
		ret = scale_replicas(k, req, &n, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	if (!patch) {
		*running = k->active > 0 && n == (json_int_t)k->active;
	} else if (n != (json_int_t)c->replicas) {
		/* An admission webhook or an autoscaler may hold it elsewhere. */
		log_warn("watch kubernetes: deployment %s/%s scaled to %" PRIu32
			 " but the API server answered spec.replicas=%" JSON_INTEGER_FORMAT,
			 k->ns, k->deploy, c->replicas, n);
	} else {
		log_debug("watch kubernetes: deployment %s/%s scaled to %" PRIu32, k->ns, k->deploy,
			  c->replicas);
	}
	return DF_OK;
}

/* verb, blocking, bounded by its timeouts. */
static int run(k8s_t *k, enum watch_verb verb, bool *running, df_detail_t *d)
{
	k8s_call_t c;
	http_request_t *req = NULL;

	call_init(k, verb, &c);
	int ret = request_new(k, &c, &req, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = http_client_perform(req, NULL);
	ret = call_end(k, &c, req, ret, running, d);
	http_request_free(req);
	return ret;
}

static int k8s_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	if (b == NULL || running == NULL) {
		return DF_EINVAL;
	}
	return run((k8s_t *)b, WATCH_STATUS, running, d);
}

static int k8s_start(watch_backend_t *b, df_detail_t *d)
{
	bool unused = false;

	if (b == NULL) {
		return DF_EINVAL;
	}
	return run((k8s_t *)b, WATCH_START, &unused, d);
}

static int k8s_stop(watch_backend_t *b, df_detail_t *d)
{
	bool unused = false;

	if (b == NULL) {
		return DF_EINVAL;
	}
	return run((k8s_t *)b, WATCH_STOP, &unused, d);
}

/* ---- The same calls on the loop ---- */

/* ---- The same calls on the loop ---- */

static int begin_finish(void *ctx, const http_request_t *req, int ret, bool *running,
			df_detail_t *d)
{
	const k8s_t *k = ctx;
	return call_end(k, &k->call, req, ret, running, d);
}

static int k8s_begin(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
		     void *arg, df_detail_t *d)
{
	k8s_t *k = (k8s_t *)b;
	http_request_t *req = NULL;
	if (b == NULL || loop == NULL || done == NULL || verb > WATCH_STOP) {
		return DF_EINVAL;
	}
	if (k->op.busy) {
		df_detail_set(d, "kubernetes: a call to the API server %s is still in flight",
			      k->api);
		return DF_EINVAL;
	}
	call_init(k, verb, &k->call);
	int ret = request_new(k, &k->call, &req, d);
	if (ret != DF_OK) {
		return ret;
	}
	return watch_http_op_begin(&k->op, loop, req, verb, begin_finish, k, done, arg,
				   "kubernetes", d);
}

static void k8s_cancel(watch_backend_t *b)
{
	if (b != NULL) {
		watch_http_op_cancel(&((k8s_t *)b)->op);
	}
}

static void k8s_free(watch_backend_t *b)
{
	k8s_t *k = (k8s_t *)b;

	if (k == NULL) {
		return;
	}
	k8s_cancel(b);
	free(k);
}

static const watch_backend_ops_t k8s_ops = {
	.name = "kubernetes",
	.status = k8s_status,
	.start = k8s_start,
	.stop = k8s_stop,
	.begin = k8s_begin,
	.cancel = k8s_cancel,
	.free = k8s_free,
};

/* A DNS-1123 label (namespaces) or subdomain (deployment names). */
static bool k8s_name_ok(const char *s, size_t max, bool dots)
{
	size_t len = strlen(s);

	if (len == 0 || len > max) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && i > 0 && i < len - 1) &&
		    !(dots && c == '.' && i > 0 && i < len - 1)) {
			return false;
		}
	}
	return true;
}

static bool is_loopback(const char *url)
{
	static const char *const hosts[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i]);
		if (strncmp(url, hosts[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/')) {
			return true;
		}
	}
	return false;
}

/* k->api from K8S_API_URL or, in a pod, the service environment. */
static int api_base(k8s_t *k, const char *url, df_detail_t *d)
{
	if (url != NULL && url[0] != '\0') {
		if (strncmp(url, "https://", 8) != 0 && !is_loopback(url)) {
			df_detail_set(d,
				      "K8S_API_URL=%s: the bearer token is only sent over https "
				      "(http only to a local kubectl proxy on 127.0.0.1)",
				      url);
			return DF_ECONFIG;
		}
		if (strlen(url) >= sizeof(k->api)) {
			df_detail_set(d, "K8S_API_URL is longer than %zu characters",
				      sizeof(k->api) - 1);
			return DF_ECONFIG;
		}
		snprintf(k->api, sizeof(k->api), "%s", url);
	} else {
		const char *host = getenv("KUBERNETES_SERVICE_HOST");
		const char *port = getenv("KUBERNETES_SERVICE_PORT");
		if (host == NULL || host[0] == '\0') {
			df_detail_set(d,
				      "WATCH_MODE=kubernetes: K8S_API_URL is empty and "
				      "KUBERNETES_SERVICE_HOST is not set, so this is not a pod; "
				      "set K8S_API_URL, K8S_TOKEN_FILE and K8S_CA_FILE");
			return DF_ECONFIG;
		}
		if (port == NULL || port[0] == '\0') {
			port = "443";
		}
		static const char host_chars[] = "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-";
		if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
		    strspn(host, host_chars) != strlen(host) || strlen(host) > 253) {
			df_detail_set(d,
				      "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT (%.64s, "
				      "%.16s) do not form an address; set K8S_API_URL",
				      host, port);
			return DF_ECONFIG;
		}
		bool v6 = strchr(host, ':') != NULL;
		snprintf(k->api, sizeof(k->api), "https://%s%s%s:%s", v6 ? "[" : "", host,
			 v6 ? "]" : "", port);
	}
	size_t len = strlen(k->api);
	while (len > 0 && k->api[len - 1] == '/') {
		k->api[--len] = '\0';
	}
	return DF_OK;
}

int watch_k8s_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d)
{
	k8s_t *k = NULL;
	int ret = DF_ECONFIG;

	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	const char *ns = cfg->watch.k8s_namespace;
	const char *deploy = cfg->watch.k8s_deployment;
	const char *token = cfg->watch.k8s_token_file;
	const char *ca = cfg->watch.k8s_ca_file;
	if (ns[0] == '\0' || deploy[0] == '\0') {
		df_detail_set(d, "WATCH_MODE=kubernetes needs OTEL_NAMESPACE and OTEL_DEPLOYMENT, "
				 "the collector's Deployment");
		return DF_ECONFIG;
	}
	if (!k8s_name_ok(ns, 63, false)) {
		df_detail_set(d,
			      "OTEL_NAMESPACE=%s is not a namespace name (lower-case letters, "
			      "digits and '-', at most 63)",
			      ns);
		return DF_ECONFIG;
	}
	if (!k8s_name_ok(deploy, 253, true)) {
		df_detail_set(d,
			      "OTEL_DEPLOYMENT=%s is not a deployment name (lower-case letters, "
			      "digits, '-' and '.', at most 253)",
			      deploy);
		return DF_ECONFIG;
	}

	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return DF_ENOMEM;
	}
	k->base.ops = &k8s_ops;
	k->base.cfg = cfg;
	snprintf(k->ns, sizeof(k->ns), "%s", ns);
	snprintf(k->deploy, sizeof(k->deploy), "%s", deploy);
	snprintf(k->base.what, sizeof(k->base.what), "deployment %s/%s", k->ns, k->deploy);
	snprintf(k->token_file, sizeof(k->token_file), "%s",
		 token[0] != '\0' ? token : "/var/run/secrets/kubernetes.io/serviceaccount/token");
	snprintf(k->ca_file, sizeof(k->ca_file), "%s",
		 ca[0] != '\0' ? ca : "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
	k->active = cfg->watch.replicas_active;
	k->inactive = cfg->watch.replicas_inactive;
	if (k->active == 0) {
		df_detail_set(d, "OTEL_REPLICAS_ACTIVE=0 would never run the collector; it must "
				 "be at least 1");
		goto fail;
	}
	if (k->inactive >= k->active) {
		df_detail_set(d,
			      "OTEL_REPLICAS_INACTIVE=%" PRIu32
			      " is not below OTEL_REPLICAS_ACTIVE=%" PRIu32
			      "; the inactive site must run fewer collectors (usually 0)",
			      k->inactive, k->active);
		goto fail;
	}
	ret = api_base(k, cfg->watch.k8s_api_url, d);
	if (ret != DF_OK) {
		goto fail;
	}
	/* The names are DNS-1123, so they need no escaping. */
	snprintf(k->url, sizeof(k->url), "%s/apis/apps/v1/namespaces/%s/deployments/%s/scale",
		 k->api, k->ns, k->deploy);
	*out = &k->base;
	return DF_OK;
fail:
	k8s_free(&k->base);
	return ret;
}
