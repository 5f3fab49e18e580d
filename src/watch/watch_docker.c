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
 */
#include "src/watch/watch.h"
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

#define DOCKER_CONNECT_S 5		      /* a local socket: only a stuck daemon takes longer */
#define DOCKER_INSPECT_S 10		      /* GET /containers/{name}/json */
#define DOCKER_START_S	 30		      /* POST start: networks and mounts are set up first */
#define DOCKER_STOP_T	 10		      /* grace period between SIGTERM and SIGKILL */
#define DOCKER_STOP_S	 (DOCKER_STOP_T + 10) /* the grace period and the kill */
#define DOCKER_BODY_MAX	 (1u << 20)	      /* Engine API answers here are a few KiB */

typedef struct docker {
	watch_backend_t base;	     /* first: the ops receive &base */
	char container[256];	     /* OTEL_CONTAINER as configured, for messages */
	char *escaped;		     /* the same, URL-escaped (free) */
	char socket[CONFIG_STR_MAX]; /* DOCKER_HOST without unix:// */
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
			      "socket (usually docker)",
			      k->socket);
		return DF_EACCES;
	}
	df_detail_set(d,
		      "docker: cannot connect to socket %s (DOCKER_HOST): %s; is the Docker "
		      "daemon running (systemctl status docker)?",
		      k->socket, why);
	return DF_ECONNREFUSED;
}

/*
 * method path (unversioned, starting with /) over the socket within
 * timeout_s (or the test's b->timeout_ms). DF_OK once any HTTP answer came
 * back, with the request holding its status and body in *out (the caller
 * frees it with http_request_free()); otherwise an error explained in d.
 */
static int request(const docker_t *k, const char *method, const char *path, long timeout_s,
		   http_request_t **out, df_detail_t *d)
{
	char url[1024], within[32];
	http_request_t *req = NULL;
	http_options_t opt = {
		.user_agent = "dnsfailover-watch/" PACKAGE_VERSION,
		.unix_socket = k->socket,
		.connect_timeout_ms = DOCKER_CONNECT_S * 1000L,
		.timeout_ms = timeout_s * 1000,
		.body_max = DOCKER_BODY_MAX,
	};
	int ret;

	if (k->base.timeout_ms > 0) {
		opt.connect_timeout_ms = k->base.timeout_ms;
		opt.timeout_ms = k->base.timeout_ms;
	}
	if ((size_t)snprintf(url, sizeof(url), "http://localhost%s", path) >= sizeof(url)) {
		df_detail_set(d, "docker: container name '%s' is too long", k->container);
		return DF_ECONFIG;
	}
	ret = http_request_new(&req, method, url, &opt, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "docker");
		return ret;
	}
	/* An empty POST: no form Content-Type. */
	ret = http_request_add_header(req, "Content-Type:");
	if (ret != DF_OK) {
		goto out;
	}
	ret = http_client_perform(req, d);
	const char *why = http_request_reason(req);
	switch (http_request_fail(req)) {
	case HTTP_FAIL_NONE:
		break;
	case HTTP_FAIL_NOMEM:
		goto out;
	case HTTP_FAIL_SETUP:
		df_detail_set(d, "docker: %s", why);
		goto out;
	case HTTP_FAIL_BODY_MAX:
		df_detail_set(d, "docker: %s %s: the answer exceeds %u KiB", method, path,
			      DOCKER_BODY_MAX >> 10);
		goto out;
	case HTTP_FAIL_CONNECT:
		ret = explain_connect(k, why, d);
		goto out;
	case HTTP_FAIL_TIMEOUT:
		df_detail_set(d,
			      "docker: %s %s on %s (DOCKER_HOST) got no answer within %s; "
			      "the Docker daemon is stuck or overloaded",
			      method, path, k->socket,
			      http_client_duration(within, sizeof(within), opt.timeout_ms));
		goto out;
	default:
		df_detail_set(d, "docker: %s %s on %s (DOCKER_HOST) failed: %s", method, path,
			      k->socket, why);
		ret = DF_ENETWORK;
		goto out;
	}
	*out = req;
	req = NULL;
	ret = DF_OK;
out:
	http_request_free(req);
	return ret;
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

static int docker_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	docker_t *k = (docker_t *)b;
	http_request_t *r = NULL;
	char path[512];
	size_t len = 0;
	int ret;

	if (b == NULL || running == NULL) {
		return DF_EINVAL;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", k->escaped);
	ret = request(k, "GET", path, DOCKER_INSPECT_S, &r, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (http_request_status(r) != 200) {
		ret = answer_error(k, "inspect", r, d);
		goto out;
	}
	bool paused = false;
	char why[160];
	const char *body = http_request_body(r, &len);
	if (watch_docker_parse_inspect(body, len, running, &paused, why, sizeof(why)) != DF_OK) {
		df_detail_set(d,
			      "docker: inspect of container '%s' answered HTTP 200 without a "
			      "State.Running flag (%s); is %s (DOCKER_HOST) the Docker Engine "
			      "API?",
			      k->container, why, k->socket);
		ret = DF_ENETWORK;
		goto out;
	}
	if (paused) {
		log_warn("watch docker: container '%s' is paused: it counts as running but "
			 "does not work (docker unpause %s)",
			 k->container, k->container);
	}
	ret = DF_OK;
out:
	http_request_free(r);
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

/* POST /containers/{name}/{action}: 204 done, 304 already in that state. */
static int post_action(docker_t *k, const char *action, const char *query, long timeout_s,
		       const char *done, const char *already, df_detail_t *d)
{
	http_request_t *r = NULL;
	char path[512];

	snprintf(path, sizeof(path), "/containers/%s/%s%s", k->escaped, action, query);
	int ret = request(k, "POST", path, timeout_s, &r, d);
	if (ret != DF_OK) {
		return ret;
	}
	long status = http_request_status(r);
	if (status == 204) {
		log_debug("watch docker: container '%s' %s", k->container, done);
	} else if (status == 304) {
		log_info("watch docker: container '%s' was already %s (HTTP 304); nothing to do",
			 k->container, already);
	} else {
		ret = answer_error(k, action, r, d);
	}
	http_request_free(r);
	return ret;
}

static int docker_start(watch_backend_t *b, df_detail_t *d)
{
	if (b == NULL) {
		return DF_EINVAL;
	}
	return post_action((docker_t *)b, "start", "", DOCKER_START_S, "started", "running", d);
}

static int docker_stop(watch_backend_t *b, df_detail_t *d)
{
	char query[32];

	if (b == NULL) {
		return DF_EINVAL;
	}
	snprintf(query, sizeof(query), "?t=%d", DOCKER_STOP_T);
	return post_action((docker_t *)b, "stop", query, DOCKER_STOP_S, "stopped", "stopped", d);
}

static void docker_free(watch_backend_t *b)
{
	docker_t *k = (docker_t *)b;

	if (k == NULL) {
		return;
	}
	free(k->escaped);
	free(k);
}

static const watch_backend_ops_t docker_ops = {
	.name = "docker",
	.status = docker_status,
	.start = docker_start,
	.stop = docker_stop,
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
