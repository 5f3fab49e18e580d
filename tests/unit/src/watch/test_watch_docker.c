/*
 * Unit tests for src/watch_docker.c against a fake Docker Engine that this
 * test runs on a unix socket in a temporary directory: a thread
 * (unit_http_server.c) serving HTTP/1.1 with the Engine API's own status
 * codes and bodies for the subset the backend uses (inspect, start, stop),
 * keeping each container's state so that a start is seen by the next
 * inspect. Anything else the backend sends (another method, path or query,
 * a body) is answered as Docker answers it and recorded as a violation that
 * fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/loop/loop.h"
#include "src/watch/watch.h"
#include "tests/unit/src/http/unit_http_server.h"
#include "tests/unit/src/watch/unit_watch_loop.h"

#define BASE                                                            \
	"ROLE=primary\nDNS_PROVIDER=bind-tsig\nDNS_ZONE=example.test\n" \
	"DNS_RECORD=lease.example.test\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"

#define COLLECTOR "otel-collector"
#define BROKEN	  "broken-collector" /* start and stop answer 500 */

/* ---- the fake Docker Engine ---- */

enum engine_mode {
	E_NORMAL,  /* the Engine API subset */
	E_SILENT,  /* reads the request, never answers */
	E_GARBAGE, /* inspect answers 200 with a body that is no JSON */
};

struct container {
	const char *name;
	bool running;
	int starts, stops; /* 204 answers given */
};

struct engine {
	char dir[64];
	char path[128]; /* the socket */
	unit_http_server_t *srv;
	enum engine_mode mode;
	pthread_mutex_t lock; /* guards what follows */
	struct container box[2];
	int requests;
	char last[528];	      /* last request line: method and target */
	char violation[1024]; /* first request the real Engine would refuse */
};

/* The headers Docker 20.10 (Debian 12's docker.io) sends on every answer. */
static void respond(unit_http_conn_t *conn, int status, const char *reason, const char *json)
{
	char head[512];
	int n;
	if (json == NULL) {
		/* 204 and 304 carry no body and no Content-Type. */
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nApi-Version: 1.41\r\nDocker-Experimental: false\r\n"
			     "Ostype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n"
			     "Date: Tue, 04 Jun 2024 10:00:00 GMT\r\nConnection: close\r\n\r\n",
			     status, reason);
		unit_http_send(conn, head, (size_t)n);
		return;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
		     "Docker-Experimental: false\r\nOstype: linux\r\n"
		     "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
		     "Date: Tue, 04 Jun 2024 10:00:00 GMT\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, reason, strlen(json));
	if (unit_http_send(conn, head, (size_t)n)) {
		unit_http_send(conn, json, strlen(json));
	}
}

/* Docker's error body: {"message":"..."} and a newline. */
static void respond_error(unit_http_conn_t *conn, int status, const char *reason, const char *msg)
{
	char body[1024];
	snprintf(body, sizeof(body), "{\"message\":\"%s\"}\n", msg);
	respond(conn, status, reason, body);
}

static void inspect_json(const struct container *c, char *out, size_t size)
{
	snprintf(out, size,
		 "{\"Id\":\"5f3b1c0e9d2a7b4c8e6f1a0d3c5b7e9f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b\","
		 "\"Created\":\"2024-06-01T08:00:00.123456789Z\",\"Path\":\"/otelcol-contrib\","
		 "\"Args\":[\"--config\",\"/etc/otelcol-contrib/config.yaml\"],"
		 "\"State\":{\"Status\":\"%s\",\"Running\":%s,\"Paused\":false,"
		 "\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,\"Pid\":%d,"
		 "\"ExitCode\":%d,\"Error\":\"\",\"StartedAt\":\"2024-06-04T09:58:00.5Z\","
		 "\"FinishedAt\":\"%s\"},"
		 "\"Image\":\"sha256:"
		 "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d\","
		 "\"ResolvConfPath\":\"/var/lib/docker/containers/5f3b/resolv.conf\","
		 "\"Name\":\"/%s\",\"RestartCount\":0,\"Driver\":\"overlay2\","
		 "\"Platform\":\"linux\",\"MountLabel\":\"\",\"ProcessLabel\":\"\","
		 "\"AppArmorProfile\":\"docker-default\",\"ExecIDs\":null,"
		 "\"HostConfig\":{\"NetworkMode\":\"host\",\"RestartPolicy\":{\"Name\":\"no\","
		 "\"MaximumRetryCount\":0},\"AutoRemove\":false},"
		 "\"Mounts\":[],\"Config\":{\"Hostname\":\"site-a\",\"User\":\"10001\","
		 "\"Image\":\"otel/opentelemetry-collector-contrib:0.102.1\","
		 "\"Labels\":{}},\"NetworkSettings\":{\"Networks\":{\"host\":{}}}}\n",
		 c->running ? "running" : "exited", c->running ? "true" : "false",
		 c->running ? 4242 : 0, c->running ? 0 : 143,
		 c->running ? "0001-01-01T00:00:00Z" : "2024-06-04T09:59:00.25Z", c->name);
}

static void violate(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violate(struct engine *e, const char *fmt, ...)
{
	if (e->violation[0] != '\0') {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->violation, sizeof(e->violation), fmt, ap);
	va_end(ap);
}

static struct container *find(struct engine *e, const char *name, size_t len)
{
	for (size_t i = 0; i < 2; i++) {
		if (strlen(e->box[i].name) == len && strncmp(e->box[i].name, name, len) == 0) {
			return &e->box[i];
		}
	}
	return NULL;
}

static void handle(void *arg, unit_http_conn_t *conn, const unit_http_request_t *rq)
{
	static const char prefix[] = "/containers/";
	struct engine *e = arg;
	char body[4096], msg[600];
	const char *t = rq->target;

	if (e->mode == E_SILENT) {
		unit_http_hold(conn);
		return;
	}
	pthread_mutex_lock(&e->lock);
	e->requests++;
	snprintf(e->last, sizeof(e->last), "%s %s", rq->method, rq->target);
	if (strcasestr(rq->head, "\r\nHost:") == NULL) {
		violate(e, "%s %s: no Host header", rq->method, t);
	}
	if (strncmp(t, prefix, sizeof(prefix) - 1) != 0) {
		violate(e, "%s %s: not an unversioned /containers/ path", rq->method, t);
		respond_error(conn, 404, "Not Found", "page not found");
		goto out;
	}
	const char *name = t + sizeof(prefix) - 1;
	const char *slash = strchr(name, '/');
	if (slash == NULL) {
		violate(e, "%s %s: no action after the container", rq->method, t);
		respond_error(conn, 404, "Not Found", "page not found");
		goto out;
	}
	const char *action = slash + 1;
	struct container *c = find(e, name, (size_t)(slash - name));
	snprintf(msg, sizeof(msg), "No such container: %.*s", (int)(slash - name), name);

	if (strcmp(rq->method, "GET") == 0 && strcmp(action, "json") == 0) {
		if (c == NULL) {
			respond_error(conn, 404, "Not Found", msg);
		} else if (e->mode == E_GARBAGE) {
			respond(conn, 200, "OK", "<html><body>502 Bad Gateway</body></html>\n");
		} else {
			inspect_json(c, body, sizeof(body));
			respond(conn, 200, "OK", body);
		}
		goto out;
	}
	if (strcmp(rq->method, "POST") != 0 ||
	    (strcmp(action, "start") != 0 && strcmp(action, "stop?t=10") != 0)) {
		violate(e, "%s %s: not inspect, start or stop?t=10", rq->method, t);
		respond_error(conn, 404, "Not Found", "page not found");
		goto out;
	}
	if (rq->body_len != 0) {
		/* Since API 1.24 start takes no host config in its body. */
		violate(e, "%s %s: a body of %zu bytes", rq->method, t, rq->body_len);
		respond_error(conn, 400, "Bad Request",
			      "starting container with non-empty request body was deprecated "
			      "since API v1.22 and removed in v1.24");
		goto out;
	}
	bool start = strcmp(action, "start") == 0;
	if (c == NULL) {
		respond_error(conn, 404, "Not Found", msg);
	} else if (strcmp(c->name, BROKEN) == 0) {
		respond_error(conn, 500, "Internal Server Error",
			      start ? "OCI runtime create failed: runc create failed: unable to "
				      "start container process: exec: \\\"/otelcol-contrib\\\": "
				      "permission denied: unknown"
				    : "cannot stop container: " BROKEN
				      ": tried to kill container, but did not receive an exit "
				      "event");
	} else if (c->running == start) {
		respond(conn, 304, "Not Modified", NULL);
	} else {
		c->running = start;
		if (start) {
			c->starts++;
		} else {
			c->stops++;
		}
		respond(conn, 204, "No Content", NULL);
	}
out:
	pthread_mutex_unlock(&e->lock);
}

/* A unix socket listening at dir/name; the path goes to path. */
static int listen_unix(const char *dir, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	return unit_http_listen_unix(path);
}

static struct engine *engine_start(enum engine_mode mode)
{
	struct engine *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/df-docker-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	int lfd = listen_unix(e->dir, "docker.sock", e->path, sizeof(e->path));
	e->mode = mode;
	e->box[0] = (struct container){.name = COLLECTOR, .running = false};
	e->box[1] = (struct container){.name = BROKEN, .running = false};
	pthread_mutex_init(&e->lock, NULL);
	e->srv = unit_http_server_start(lfd, NULL, handle, e);
	return e;
}

/* Stops the engine; fails the test if the backend sent what Docker refuses. */
static void engine_stop(struct engine *e)
{
	unit_http_server_stop(e->srv);
	unlink(e->path);
	rmdir(e->dir);
	pthread_mutex_destroy(&e->lock);
	char violation[sizeof(e->violation)];
	memcpy(violation, e->violation, sizeof(violation));
	free(e);
	if (violation[0] != '\0') {
		fail_msg("the fake Docker Engine saw a bad request: %s", violation);
	}
}

/* The last request line the engine saw, read under its lock. */
static const char *last(struct engine *e)
{
	static char copy[sizeof(e->last)];
	pthread_mutex_lock(&e->lock);
	memcpy(copy, e->last, sizeof(copy));
	pthread_mutex_unlock(&e->lock);
	return copy;
}

/* ---- the backend ---- */

static config_t cfg;
static df_detail_t d;

static int load(const char *extra)
{
	char text[2048];
	snprintf(text, sizeof(text), BASE "WATCH_MODE=docker\n%s", extra);
	memset(&d, 0, sizeof(d));
	return config_parse_text(&cfg, failover_config_modules, text, strlen(text), "t.env", &d);
}

static watch_backend_t *backend(const char *container, const char *host)
{
	char extra[1024];
	watch_backend_t *b = NULL;
	snprintf(extra, sizeof(extra), "OTEL_CONTAINER=%s\nDOCKER_HOST=%s\n", container, host);
	if (load(extra) != DF_OK) {
		fail_msg("config: %s", d.msg);
	}
	memset(&d, 0, sizeof(d));
	int ret = watch_docker_new(&b, &cfg, &d);
	if (ret != DF_OK) {
		fail_msg("watch_docker_new: %d %s", ret, d.msg);
	}
	assert_non_null(b);
	assert_string_equal(b->ops->name, "docker");
	assert_ptr_equal(b->cfg, &cfg);
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

static void test_round_trip(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	char host[160];
	snprintf(host, sizeof(host), "unix://%s", e->path);
	watch_backend_t *b = backend(COLLECTOR, host);

	assert_false(status(b));
	ok(b->ops->start(b, &d));
	assert_true(status(b));
	assert_string_equal(last(e), "GET /containers/" COLLECTOR "/json");
	/* Already running: Docker answers 304, which is success. */
	ok(b->ops->start(b, &d));
	assert_string_equal(last(e), "POST /containers/" COLLECTOR "/start");
	assert_true(status(b));
	ok(b->ops->stop(b, &d));
	assert_string_equal(last(e), "POST /containers/" COLLECTOR "/stop?t=10");
	assert_false(status(b));
	/* Already stopped: 304 again. */
	ok(b->ops->stop(b, &d));
	assert_false(status(b));
	ok(b->ops->start(b, &d));
	assert_true(status(b));

	assert_int_equal(e->box[0].starts, 2);
	assert_int_equal(e->box[0].stops, 1);
	assert_int_equal(e->requests, 11);
	b->ops->free(b);
	engine_stop(e);
}

/* DOCKER_HOST as a plain path works the same. */
static void test_plain_path(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	e->box[0].running = true;
	watch_backend_t *b = backend(COLLECTOR, e->path);
	assert_true(status(b));
	ok(b->ops->stop(b, &d));
	assert_false(status(b));
	b->ops->free(b);
	engine_stop(e);
}

static void test_no_such_container(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	watch_backend_t *b = backend("otel-colector", e->path);
	bool running = true;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENOENT);
	assert_true(running); /* untouched on error */
	assert_msg_has("no container named 'otel-colector' (OTEL_CONTAINER");
	assert_msg_has("No such container: otel-colector");
	assert_msg_has("docker create --name otel-colector");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_ENOENT);
	assert_msg_has("docker create --name otel-colector");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->stop(b, &d), DF_ENOENT);
	assert_msg_has("no container named 'otel-colector'");
	b->ops->free(b);
	engine_stop(e);
}

/* A name is one path segment, whatever it holds: no way out of /containers/. */
static void test_name_escaped(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	watch_backend_t *b = backend("../../info x", e->path);
	bool running;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENOENT);
	assert_string_equal(last(e), "GET /containers/..%2F..%2Finfo%20x/json");
	assert_msg_has("no container named '../../info x'");
	b->ops->free(b);
	engine_stop(e);
}

static void test_server_error(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	watch_backend_t *b = backend(BROKEN, e->path);

	assert_false(status(b));
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_ERCODE);
	assert_msg_has("docker: start of container '" BROKEN "' failed: HTTP 500: OCI runtime "
		       "create failed");
	assert_msg_has("\"/otelcol-contrib\": permission denied");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->stop(b, &d), DF_ERCODE);
	assert_msg_has("stop of container '" BROKEN "' failed: HTTP 500: cannot stop container");
	b->ops->free(b);
	engine_stop(e);
}

static void test_garbage(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_GARBAGE);
	watch_backend_t *b = backend(COLLECTOR, e->path);
	bool running = true;

	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENETWORK);
	assert_true(running);
	assert_msg_has("inspect of container '" COLLECTOR "' answered HTTP 200 without a "
		       "State.Running flag");
	assert_msg_has("(DOCKER_HOST) the Docker Engine API?");
	b->ops->free(b);
	engine_stop(e);
}

static void test_missing_socket(void **state)
{
	(void)state;
	char dir[] = "/tmp/df-docker-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/docker.sock", dir);
	watch_backend_t *b = backend(COLLECTOR, path);
	bool running;

	int64_t t0 = clock_mono_ms();
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ENOENT);
	assert_true(clock_mono_ms() - t0 < 1000);
	assert_msg_has("does not exist");
	assert_msg_has(path);
	assert_msg_has("(DOCKER_HOST)");
	assert_msg_has("-v /var/run/docker.sock:/var/run/docker.sock");
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->start(b, &d), DF_ENOENT);
	assert_msg_has("(DOCKER_HOST) does not exist");

	/* A socket file left behind by a daemon that is gone. */
	int fd = listen_unix(dir, "docker.sock", path, sizeof(path));
	close(fd);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->stop(b, &d), DF_ECONNREFUSED);
	assert_msg_has("cannot connect to socket");
	assert_msg_has("is the Docker daemon running");

	/* Not a socket at all. */
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ECONFIG);
	assert_msg_has("(DOCKER_HOST) is not a unix socket");
	unlink(path);
	rmdir(dir);
	b->ops->free(b);
}

/*
 * A socket this user may not write to. As root (which connects to any
 * socket) the check runs in a child that became nobody.
 */
static void test_socket_permission(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_NORMAL);
	assert_int_equal(chmod(e->dir, 0755), 0);
	assert_int_equal(chmod(e->path, 0600), 0);
	watch_backend_t *b = backend(COLLECTOR, e->path);
	bool running;
	int ret;

	if (geteuid() != 0) {
		memset(&d, 0, sizeof(d));
		ret = b->ops->status(b, &running, &d);
	} else {
		int pipefd[2];
		assert_int_equal(pipe(pipefd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pipefd[0]);
			df_detail_t cd;
			memset(&cd, 0, sizeof(cd));
			int cret = DF_EINVAL;
			if (setgid(65534) == 0 && setuid(65534) == 0) {
				cret = b->ops->status(b, &running, &cd);
			}
			ssize_t w1 = write(pipefd[1], &cret, sizeof(cret));
			ssize_t w2 = write(pipefd[1], cd.msg, sizeof(cd.msg));
			_exit(w1 == sizeof(cret) && w2 == sizeof(cd.msg) ? 0 : 1);
		}
		close(pipefd[1]);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_int_equal(read(pipefd[0], &ret, sizeof(ret)), sizeof(ret));
		assert_int_equal(read(pipefd[0], d.msg, sizeof(d.msg)), sizeof(d.msg));
		close(pipefd[0]);
	}
	assert_int_equal(ret, DF_EACCES);
	assert_msg_has("no permission to use socket");
	assert_msg_has(e->path);
	assert_msg_has("group that owns the socket");
	b->ops->free(b);
	engine_stop(e);
}

/*
 * A daemon that takes the request and never answers: bounded by the
 * timeout (10 s for an inspect; shortened here, as the backend allows).
 */
static void test_silent(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_SILENT);
	watch_backend_t *b = backend(COLLECTOR, e->path);
	bool running = true;

	b->timeout_ms = 300;
	int64_t t0 = clock_mono_ms();
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->status(b, &running, &d), DF_ETIMEDOUT);
	int64_t ms = clock_mono_ms() - t0;
	assert_true(running);
	assert_msg_has("got no answer within 300 ms");
	assert_msg_has("GET /containers/" COLLECTOR "/json");
	if (ms < 250 || ms > 800) {
		fail_msg("silent daemon: inspect took %lld ms, expected about 300", (long long)ms);
	}
	b->ops->free(b);
	engine_stop(e);
}

static void test_new_validates(void **state)
{
	(void)state;
	watch_backend_t *b = (watch_backend_t *)&b; /* must stay untouched */
	watch_backend_t *const untouched = b;

	assert_int_equal(load("DOCKER_HOST=/run/docker.sock\n"), DF_OK);
	assert_int_equal(watch_docker_new(&b, &cfg, &d), DF_ECONFIG);
	assert_ptr_equal(b, untouched);
	assert_msg_has("WATCH_MODE=docker needs OTEL_CONTAINER");

	assert_int_equal(load("OTEL_CONTAINER=c\nDOCKER_HOST=tcp://192.0.2.1:2375\n"), DF_OK);
	assert_int_equal(watch_docker_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("DOCKER_HOST=tcp://192.0.2.1:2375: only a local unix socket");
	assert_int_equal(load("OTEL_CONTAINER=c\nDOCKER_HOST=unix://\n"), DF_OK);
	assert_int_equal(watch_docker_new(&b, &cfg, &d), DF_ECONFIG);
	assert_msg_has("names no socket");
	assert_ptr_equal(b, untouched);

	/* The default socket. */
	assert_int_equal(load("OTEL_CONTAINER=c\n"), DF_OK);
	assert_string_equal(cfg.watch.docker_host, "/var/run/docker.sock");
	assert_int_equal(watch_docker_new(&b, &cfg, &d), DF_OK);
	assert_string_equal(b->what, "docker container c");
	b->ops->free(b);

	assert_int_equal(watch_docker_new(NULL, &cfg, &d), DF_EINVAL);
	assert_int_equal(watch_docker_new(&b, NULL, &d), DF_EINVAL);
}

/* ---- the same calls on the event loop ---- */

/* The log lines of the last check_same(), for a closer look. */
static char same_log[4096];

/* Every container of the engine at arg is stopped. */
static void reset_stopped(void *arg)
{
	struct engine *e = arg;
	pthread_mutex_lock(&e->lock);
	e->box[0].running = e->box[1].running = false;
	pthread_mutex_unlock(&e->lock);
}

/* Every container of the engine at arg runs. */
static void reset_running(void *arg)
{
	struct engine *e = arg;
	pthread_mutex_lock(&e->lock);
	e->box[0].running = e->box[1].running = true;
	pthread_mutex_unlock(&e->lock);
}

static int async(watch_backend_t *b, loop_t *loop, enum watch_verb verb, bool *running)
{
	return unit_watch_async(b, loop, verb, running, &d);
}

/* verb blocking, then on the loop, from the state given: the same outcome. */
static void check_same(struct engine *e, watch_backend_t *b, loop_t *loop, enum watch_verb verb,
		       bool was_running)
{
	void (*reset)(void *) = e == NULL ? NULL : was_running ? reset_running : reset_stopped;
	unit_watch_check_same(b, loop, verb, reset, e, &d, same_log, sizeof(same_log));
}

/* Every verb from every state, through begin(), as the blocking calls. */
static void test_async_same_as_blocking(void **state)
{
	(void)state;
	static const enum watch_verb verbs[] = {WATCH_STATUS, WATCH_START, WATCH_STOP};
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	struct engine *e = engine_start(E_NORMAL);
	const char *names[] = {COLLECTOR, BROKEN, "otel-colector"};
	watch_backend_t *b = NULL;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		b = backend(names[n], e->path);
		for (size_t v = 0; v < 3; v++) {
			check_same(e, b, loop, verbs[v], false);
			check_same(e, b, loop, verbs[v], true);
		}
		b->ops->free(b);
	}
	/* What the last cases said and logged, the same both ways. */
	assert_msg_has("no container named 'otel-colector'");
	b = backend(COLLECTOR, e->path);
	check_same(e, b, loop, WATCH_START, true);
	assert_non_null(strstr(same_log, "[INFO] watch docker: container '" COLLECTOR
					 "' was already running (HTTP 304); nothing to do\n"));
	check_same(e, b, loop, WATCH_STOP, true);
	assert_non_null(
		strstr(same_log, "[DEBUG] watch docker: container '" COLLECTOR "' stopped\n"));
	b->ops->free(b);
	b = backend(BROKEN, e->path);
	check_same(e, b, loop, WATCH_START, false);
	assert_msg_has("start of container '" BROKEN "' failed: HTTP 500: OCI runtime");
	/* A start through the loop is seen by the next inspect. */
	b->ops->free(b);
	b = backend(COLLECTOR, e->path);
	bool running = false;
	reset_stopped(e);
	ok(async(b, loop, WATCH_START, &running));
	assert_string_equal(last(e), "POST /containers/" COLLECTOR "/start");
	ok(async(b, loop, WATCH_STATUS, &running));
	assert_true(running);
	ok(async(b, loop, WATCH_STOP, &running));
	assert_string_equal(last(e), "POST /containers/" COLLECTOR "/stop?t=10");
	ok(async(b, loop, WATCH_STATUS, &running));
	assert_false(running);
	b->ops->free(b);
	engine_stop(e);

	e = engine_start(E_GARBAGE);
	b = backend(COLLECTOR, e->path);
	check_same(e, b, loop, WATCH_STATUS, true);
	b->ops->free(b);
	engine_stop(e);

	/* No socket, a socket nobody listens on, and a file that is no socket. */
	char dir[] = "/tmp/df-docker-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/docker.sock", dir);
	b = backend(COLLECTOR, path);
	check_same(NULL, b, loop, WATCH_STATUS, false);
	assert_non_null(strstr(d.msg, "does not exist"));
	check_same(NULL, b, loop, WATCH_START, false);
	close(listen_unix(dir, "docker.sock", path, sizeof(path)));
	check_same(NULL, b, loop, WATCH_STOP, false);
	assert_non_null(strstr(d.msg, "cannot connect to socket"));
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	check_same(NULL, b, loop, WATCH_STATUS, false);
	assert_non_null(strstr(d.msg, "is not a unix socket"));
	unlink(path);
	rmdir(dir);
	b->ops->free(b);
	loop_free(loop);
}

/*
 * A daemon that takes the request and never answers: the call ends with
 * the blocking form's timeout error, and meanwhile the loop serves a timer
 * on time.
 */
static void test_async_silent(void **state)
{
	(void)state;
	static const enum watch_verb verbs[] = {WATCH_STATUS, WATCH_STOP};
	struct engine *e = engine_start(E_SILENT);
	watch_backend_t *b = backend(COLLECTOR, e->path);
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	b->timeout_ms = 300;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		bool running = true;
		char msg[sizeof(d.msg)];
		memset(&d, 0, sizeof(d));
		int ret = verbs[i] == WATCH_STATUS ? b->ops->status(b, &running, &d)
						   : b->ops->stop(b, &d);
		assert_int_equal(ret, DF_ETIMEDOUT);
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
		assert_false(o.running);
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
	engine_stop(e);
}

/* Cancelled or freed in flight: no callback, nothing left behind. */
static void test_async_cancel(void **state)
{
	(void)state;
	struct engine *e = engine_start(E_SILENT);
	watch_backend_t *b = backend(COLLECTOR, e->path);
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	unit_watch_outcome_t o = {.loop = loop};
	b->timeout_ms = 200;

	b->ops->cancel(b); /* nothing in flight: harmless */
	ok(b->ops->begin(b, loop, WATCH_START, unit_watch_on_done, &o, &d));
	/* One call at a time. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(b->ops->begin(b, loop, WATCH_STATUS, unit_watch_on_done, &o, &d),
			 DF_EINVAL);
	assert_msg_has("still in flight");
	unit_watch_run_for(loop, 80); /* sent, waiting for the answer */
	b->ops->cancel(b);
	unit_watch_run_for(loop, 400); /* past the timeout: still no callback */
	assert_int_equal(o.calls, 0);
	b->ops->cancel(b);

	/* The backend takes the next call as usual. */
	bool running = true;
	assert_int_equal(async(b, loop, WATCH_STATUS, &running), DF_ETIMEDOUT);
	assert_msg_has("got no answer within 200 ms");

	/* Freed in flight, before the loop: free() cancels. */
	ok(b->ops->begin(b, loop, WATCH_STOP, unit_watch_on_done, &o, &d));
	unit_watch_run_for(loop, 50);
	b->ops->free(b);
	unit_watch_run_for(loop, 300);
	assert_int_equal(o.calls, 0);
	loop_free(loop);
	engine_stop(e);
}

int main(void)
{
	/* A client that hangs up must not end the fake engine with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_plain_path),
		cmocka_unit_test(test_no_such_container),
		cmocka_unit_test(test_name_escaped),
		cmocka_unit_test(test_server_error),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_missing_socket),
		cmocka_unit_test(test_socket_permission),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_new_validates),
		cmocka_unit_test(test_async_same_as_blocking),
		cmocka_unit_test(test_async_silent),
		cmocka_unit_test(test_async_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
