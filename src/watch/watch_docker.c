/*
 * Watcher backend "docker": the collector is a container that already
 * exists (OTEL_CONTAINER); this backend inspects, starts and stops it
 * through the Docker Engine API on the daemon's unix socket (DOCKER_HOST).
 *
 * Paths are unversioned (/containers/...), which the daemon serves at its
 * own current API version. No single pinned version works everywhere: the
 * docker.io of Debian 12 is Engine 20.10 (API 1.41 at most), while Engine 29
 * refuses anything older than 1.44 ("client version 1.41 is too old"). The
 * three calls used here and the fields read (State.Running, 204/304/404,
 * the t query parameter, the "message" of an error) have not changed in any
 * API version, so the daemon's own version is always the right one.
 *
 * begin() sends the same requests through a curl multi on the caller's loop
 * (src/http/http_multi.h) and reads their answers with the same code as the
 * blocking calls, so both give the same results, messages and log lines.
 */
#include "src/watch/watch.h"
#include "src/watch/watch_http.h"
#include <config.h> /* the build's, for PACKAGE_VERSION */
#include <errno.h>
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

#define DOCKER_CONNECT_S 5		      /* a local socket: only a stuck daemon takes longer */
#define DOCKER_INSPECT_S 10		      /* GET /containers/{name}/json */
#define DOCKER_START_S	 30		      /* POST start: networks and mounts are set up first */
#define DOCKER_STOP_T	 10		      /* grace period between SIGTERM and SIGKILL */
#define DOCKER_STOP_S	 (DOCKER_STOP_T + 10) /* the grace period and the kill */
#define DOCKER_BODY_MAX	 (1u << 20)	      /* Engine API answers here are a few KiB */

/* What each verb sends: GET inspect, or POST start or stop. */
static const struct {
	const char *action; /* the last path segment; a query may follow */
	long timeout_s;
	const char *done, *already; /* POST: the log's words for 204 and 304 */
} verbs[] = {
	[WATCH_STATUS] = {"json", DOCKER_INSPECT_S, NULL, NULL},
	[WATCH_START] = {"start", DOCKER_START_S, "started", "running"},
	[WATCH_STOP] = {"stop", DOCKER_STOP_S, "stopped", "stopped"},
};

/* One call of the Engine API, as the blocking and the loop forms make it. */
typedef struct docker_call {
	enum watch_verb verb;
	const char *method;
	char path[512];	 /* unversioned, starting with / */
	long timeout_ms; /* the whole call (or the test's b->timeout_ms) */
} docker_call_t;

/* The call begun on a loop; its multi lives only while it is in flight. */
typedef struct docker {
	watch_backend_t base;	     /* first: the ops receive &base */
	char container[256];	     /* OTEL_CONTAINER as configured, for messages */
	char *escaped;		     /* the same, URL-escaped (free) */
	char socket[CONFIG_STR_MAX]; /* DOCKER_HOST without unix:// */
	docker_call_t call;	     /* of begin() */
	watch_http_op_t op;	     /* begin() */
} docker_t;

/*
 * Why the socket cannot be used, in d, once the client could not connect.
 * Returns the error for it.
 */
static int explain_connect(const docker_t *k, const char *why, df_detail_t *d)
{
	struct stat st;

	if (stat(k->socket, &st) != 0) {
		if (errno == ENOENT) {
			df_detail_set(d,
				      "docker: socket %s (DOCKER_HOST) does not exist: is Docker "
				      "installed and running, and when dnsfailover runs in a "
				      "container, is the socket mounted into it "
				      "(-v /var/run/docker.sock:/var/run/docker.sock)?",
				      k->socket);
			return DF_ENOENT;
		}
		df_detail_set(d, "docker: cannot reach socket %s (DOCKER_HOST): %s", k->socket,
			      strerror(errno));
		return errno == EACCES ? DF_EACCES : DF_ECONNREFUSED;
	}
	if (!S_ISSOCK(st.st_mode)) {
		df_detail_set(d, "docker: %s (DOCKER_HOST) is not a unix socket", k->socket);
		return DF_ECONFIG;
	}
	if (access(k->socket, R_OK | W_OK) != 0 && errno == EACCES) {
		df_detail_set(d,
			      "docker: no permission to use socket %s (DOCKER_HOST): run "
			      "dnsfailover as root or as a member of the group that owns the "
			      "socket (usually docker; in a container, docker run --group-add "
			      "with the socket's group id)",
			      k->socket);
		return DF_EACCES;
	}
	df_detail_set(d,
		      "docker: cannot connect to socket %s (DOCKER_HOST): %s; is the Docker "
		      "daemon running (systemctl status docker)?",
		      k->socket, why);
	return DF_ECONNREFUSED;
}

/* The call for verb: its method, path and bound. */
static void call_init(const docker_t *k, enum watch_verb verb, docker_call_t *c)
{
	c->verb = verb;
	c->method = verb == WATCH_STATUS ? "GET" : "POST";
	snprintf(c->path, sizeof(c->path), "/containers/%s/%s", k->escaped, verbs[verb].action);
	if (verb == WATCH_STOP) {
		size_t len = strlen(c->path);
		snprintf(c->path + len, sizeof(c->path) - len, "?t=%d", DOCKER_STOP_T);
	}
	c->timeout_ms = k->base.timeout_ms > 0 ? k->base.timeout_ms : verbs[verb].timeout_s * 1000;
}

/*
 * The request for c over the socket, not yet sent. DF_OK with *out owning
 * it (the caller frees it with http_request_free()); otherwise an error
 * explained in d.
 */
static int request_new(const docker_t *k, const docker_call_t *c, http_request_t **out,
		       df_detail_t *d)
{
	char url[1024];
	http_request_t *req = NULL;
	http_options_t opt = {
		.user_agent = "dnsfailover-watch/" PACKAGE_VERSION,
		.unix_socket = k->socket,
		.connect_timeout_ms = DOCKER_CONNECT_S * 1000L,
		.timeout_ms = c->timeout_ms,
		.body_max = DOCKER_BODY_MAX,
	};

	if (k->base.timeout_ms > 0) {
		opt.connect_timeout_ms = k->base.timeout_ms;
	}
	if ((size_t)snprintf(url, sizeof(url), "http://localhost%s", c->path) >= sizeof(url)) {
		df_detail_set(d, "docker: container name '%s' is too long", k->container);
		return DF_ECONFIG;
	}
	int ret = http_request_new(&req, c->method, url, &opt, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "docker");
		return ret;
	}
	/* An empty POST: no form Content-Type. */
	ret = http_request_add_header(req, "Content-Type:");
	if (ret != DF_OK) {
		http_request_free(req);
		return ret;
	}
	*out = req;
	return DF_OK;
}

/*
 * The outcome of c's transfer on req, ret being what it ended with: DF_OK
 * once any HTTP answer came back (its status and body in req); otherwise
 * the error, explained in d.
 */
static int transfer_end(const docker_t *k, const docker_call_t *c, const http_request_t *req,
			int ret, df_detail_t *d)
{
	char within[32];
	const char *why = http_request_reason(req);

	switch (http_request_fail(req)) {
	case HTTP_FAIL_NONE:
		return DF_OK;
	case HTTP_FAIL_NOMEM:
		return ret;
	case HTTP_FAIL_SETUP:
		df_detail_set(d, "docker: %s", why);
		return ret;
	case HTTP_FAIL_BODY_MAX:
		df_detail_set(d, "docker: %s %s: the answer exceeds %u KiB", c->method, c->path,
			      DOCKER_BODY_MAX >> 10);
		return ret;
	case HTTP_FAIL_CONNECT:
		return explain_connect(k, why, d);
	case HTTP_FAIL_TIMEOUT:
		df_detail_set(d,
			      "docker: %s %s on %s (DOCKER_HOST) got no answer within %s; "
			      "the Docker daemon is stuck or overloaded",
			      c->method, c->path, k->socket,
			      http_client_duration(within, sizeof(within), c->timeout_ms));
		return ret;
	default:
		df_detail_set(d, "docker: %s %s on %s (DOCKER_HOST) failed: %s", c->method, c->path,
			      k->socket, why);
		return DF_ENETWORK;
	}
}

/* The error for an answer that is neither success nor "already so". */
static int answer_error(const docker_t *k, const char *verb, const http_request_t *r,
			df_detail_t *d)
{
	char msg[256];
	long status = http_request_status(r);

	http_request_message(r, msg, sizeof(msg));
	if (status == 404) {
		df_detail_set(d,
			      "docker: no container named '%s' (OTEL_CONTAINER; Docker says: "
			      "%s): the watcher only starts and stops it, so create it first, "
			      "e.g. docker create --name %s --restart no <collector image>",
			      k->container, msg, k->container);
		return DF_ENOENT;
	}
	df_detail_set(d, "docker: %s of container '%s' failed: HTTP %ld: %s", verb, k->container,
		      status, msg);
	return DF_ERCODE;
}

/* GET /containers/{name}/json: State.Running into *running. */
static int inspect_answer(const docker_t *k, const http_request_t *r, bool *running, df_detail_t *d)
{
	bool run = false, paused = false;
	char why[160];
	size_t len = 0;

	if (http_request_status(r) != 200) {
		return answer_error(k, "inspect", r, d);
	}
	const char *body = http_request_body(r, &len);
	if (watch_docker_parse_inspect(body, len, &run, &paused, why, sizeof(why)) != DF_OK) {
		df_detail_set(d,
			      "docker: inspect of container '%s' answered HTTP 200 without a "
			      "State.Running flag (%s); is %s (DOCKER_HOST) the Docker Engine "
			      "API?",
			      k->container, why, k->socket);
		return DF_ENETWORK;
	}
	if (paused) {
		log_warn("watch docker: container '%s' is paused: it counts as running but "
			 "does not work (docker unpause %s)",
			 k->container, k->container);
	}
	*running = run;
	return DF_OK;
}

/* POST /containers/{name}/{action}: 204 done, 304 already in that state. */
static int action_answer(const docker_t *k, enum watch_verb verb, const http_request_t *r,
			 df_detail_t *d)
{
	long status = http_request_status(r);

	if (status == 204) {
		log_debug("watch docker: container '%s' %s", k->container, verbs[verb].done);
	} else if (status == 304) {
		log_info("watch docker: container '%s' was already %s (HTTP 304); nothing to do",
			 k->container, verbs[verb].already);
	} else {
		return answer_error(k, verbs[verb].action, r, d);
	}
	return DF_OK;
}

/*
 * What c's transfer on req, ended with ret, means: the same result,
 * message and log lines whether it ran blocking or on the loop. *running
 * (status) is only written on success.
 */
static int call_end(const docker_t *k, const docker_call_t *c, const http_request_t *req, int ret,
		    bool *running, df_detail_t *d)
{
	ret = transfer_end(k, c, req, ret, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (c->verb == WATCH_STATUS) {
		return inspect_answer(k, req, running, d);
	}
	return action_answer(k, c->verb, req, d);
}

/* verb, blocking, bounded by its timeouts. */
static int run(docker_t *k, enum watch_verb verb, bool *running, df_detail_t *d)
{
	docker_call_t c;
	http_request_t *req = NULL;

	call_init(k, verb, &c);
	int ret = request_new(k, &c, &req, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = http_client_perform(req, d);
	ret = call_end(k, &c, req, ret, running, d);
	http_request_free(req);
	return ret;
}

int watch_docker_parse_inspect(const char *body, size_t len, bool *running, bool *paused, char *why,
			       size_t why_size)
{
	json_error_t jerr;
	json_t *root = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0, &jerr);
	json_t *state = json_object_get(root, "State");
	json_t *run = json_object_get(state, "Running");
	int ret = DF_EMALFORMED;
	if (root == NULL || !json_is_boolean(run)) {
		snprintf(why, why_size, "%s", root == NULL ? jerr.text : "not in the JSON");
		goto out;
	}
	*running = json_is_true(run);
	*paused = json_is_true(json_object_get(state, "Paused"));
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

static int docker_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	if (b == NULL || running == NULL) {
		return DF_EINVAL;
	}
	return run((docker_t *)b, WATCH_STATUS, running, d);
}

static int docker_start(watch_backend_t *b, df_detail_t *d)
{
	bool unused = false;

	if (b == NULL) {
		return DF_EINVAL;
	}
	return run((docker_t *)b, WATCH_START, &unused, d);
}

static int docker_stop(watch_backend_t *b, df_detail_t *d)
{
	bool unused = false;

	if (b == NULL) {
		return DF_EINVAL;
	}
	return run((docker_t *)b, WATCH_STOP, &unused, d);
}

/* ---- The same calls on the loop ---- */

/* ---- The same calls on the loop ---- */

static int begin_finish(void *ctx, const http_request_t *req, int ret, bool *running,
			df_detail_t *d)
{
	const docker_t *k = ctx;
	return call_end(k, &k->call, req, ret, running, d);
}

static int docker_begin(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
			void *arg, df_detail_t *d)
{
	docker_t *k = (docker_t *)b;
	http_request_t *req = NULL;
	if (b == NULL || loop == NULL || done == NULL || verb > WATCH_STOP) {
		return DF_EINVAL;
	}
	if (k->op.busy) {
		df_detail_set(d, "docker: a call to %s (DOCKER_HOST) is still in flight",
			      k->socket);
		return DF_EINVAL;
	}
	call_init(k, verb, &k->call);
	int ret = request_new(k, &k->call, &req, d);
	if (ret != DF_OK) {
		return ret;
	}
	return watch_http_op_begin(&k->op, loop, req, verb, begin_finish, k, done, arg, "docker",
				   d);
}

static void docker_cancel(watch_backend_t *b)
{
	if (b != NULL) {
		watch_http_op_cancel(&((docker_t *)b)->op);
	}
}

static void docker_free(watch_backend_t *b)
{
	docker_t *k = (docker_t *)b;

	if (k == NULL) {
		return;
	}
	docker_cancel(b);
	free(k->escaped);
	free(k);
}

static const watch_backend_ops_t docker_ops = {
	.name = "docker",
	.status = docker_status,
	.start = docker_start,
	.stop = docker_stop,
	.begin = docker_begin,
	.cancel = docker_cancel,
	.free = docker_free,
};

int watch_docker_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d)
{
	docker_t *k = NULL;
	int ret = DF_ECONFIG;

	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	const char *name = cfg->watch.container;
	const char *host = cfg->watch.docker_host;
	if (name[0] == '\0') {
		df_detail_set(d, "WATCH_MODE=docker needs OTEL_CONTAINER, the name or ID of the "
				 "collector's container");
		return DF_ECONFIG;
	}
	if (strlen(name) >= sizeof(k->container)) {
		df_detail_set(d, "OTEL_CONTAINER is longer than %zu characters",
			      sizeof(k->container) - 1);
		return DF_ECONFIG;
	}
	if (host[0] == '\0') {
		host = "/var/run/docker.sock";
	}
	if (strncmp(host, "unix://", 7) == 0) {
		host += 7;
	} else if (strstr(host, "://") != NULL) {
		df_detail_set(d,
			      "DOCKER_HOST=%s: only a local unix socket is supported, as a path "
			      "or unix:///path (e.g. /var/run/docker.sock)",
			      host);
		return DF_ECONFIG;
	}
	if (host[0] == '\0') {
		df_detail_set(d, "DOCKER_HOST=unix:// names no socket; e.g. "
				 "unix:///var/run/docker.sock");
		return DF_ECONFIG;
	}

	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return DF_ENOMEM;
	}
	k->base.ops = &docker_ops;
	k->base.cfg = cfg;
	snprintf(k->container, sizeof(k->container), "%s", name);
	snprintf(k->base.what, sizeof(k->base.what), "docker container %s", k->container);
	snprintf(k->socket, sizeof(k->socket), "%s", host);
	k->escaped = http_client_escape(name);
	if (k->escaped == NULL) {
		ret = DF_ENOMEM;
		goto fail;
	}
	*out = &k->base;
	return DF_OK;
fail:
	docker_free(&k->base);
	return ret;
}
