/*
 * Unit tests for src/health.c: the stale-count state machine on its own, then
 * real checks against servers this test runs on 127.0.0.1 (a thread of
 * unit_http_server.c that serves scripted HTTP answers, listening sockets
 * for tcp mode), with the elapsed time of every check that must give up
 * measured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/health/health.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "tests/unit/src/http/unit_http_server.h"

#define METRIC "otelcol_receiver_accepted_metric_points_total"

/* Extra time a check that gives up may take beyond HEALTH_TIMEOUT. */
#define MARGIN_MS 500
/* The bound set on checks of a silent peer, in place of HEALTH_TIMEOUT=1. */
#define SHORT_MS 300

static char why[1024];

/* ---- configs ---- */

static config_t *metrics_config(uint16_t port, uint32_t stale_count)
{
	config_t *cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	cfg->role = CONFIG_ROLE_DR;
	cfg->health_mode = CONFIG_HEALTH_METRICS;
	cfg->health_timeout = 1;
	cfg->health_stale_count = stale_count;
	snprintf(cfg->health_url, sizeof(cfg->health_url), "http://127.0.0.1:%u/metrics",
		 (unsigned)port);
	snprintf(cfg->health_metric, sizeof(cfg->health_metric), "%s", METRIC);
	return cfg;
}

static health_t *new_checker(const config_t *cfg)
{
	health_t *h = NULL;
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	int ret = health_new(&h, cfg, &d);
	if (ret != DF_OK) {
		fail_msg("health_new: %d %s", ret, d.msg);
	}
	return h;
}

/* ---- a scripted HTTP server ---- */

enum answer_kind {
	A_VALUE,   /* a collector page whose metric sums to value */
	A_STATUS,  /* an error page with the given HTTP status */
	A_GARBAGE, /* 200 with a body that is no metrics page */
	A_NAN,	   /* 200 with the metric reading NaN */
	A_HUGE,	   /* 200 streaming a body past the cap, no Content-Length */
	A_SILENT,  /* reads the request, never answers */
};

struct answer {
	enum answer_kind kind;
	double value;
	int status;
};

struct server {
	unit_http_server_t *srv;
	uint16_t port;
	const struct answer *script;
	size_t count;
	atomic_size_t served;
};

static void send_page(unit_http_conn_t *c, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: text/plain; version=0.0.4\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, strlen(body));
	if (unit_http_send(c, head, (size_t)n)) {
		unit_http_send(c, body, strlen(body));
	}
}

static void answer(unit_http_conn_t *c, const struct answer *a)
{
	char body[2048];

	switch (a->kind) {
	case A_VALUE:
	case A_NAN: {
		char value[64];
		if (a->kind == A_NAN) {
			snprintf(value, sizeof(value), "NaN");
		} else {
			snprintf(value, sizeof(value), "%.17g", a->value - 10);
		}
		/* Two label sets: the check must sum them. */
		snprintf(body, sizeof(body),
			 "# HELP %s Number of metric points successfully pushed into the "
			 "pipeline.\n"
			 "# TYPE %s counter\n"
			 "%s{receiver=\"otlp\",transport=\"grpc\"} %s\n"
			 "%s{receiver=\"prometheus\",transport=\"http\"} 10\n"
			 "otelcol_process_uptime 12.5\n",
			 METRIC, METRIC, METRIC, value, METRIC);
		send_page(c, 200, body);
		break;
	}
	case A_STATUS:
		send_page(c, a->status, "oops\n");
		break;
	case A_GARBAGE:
		send_page(c, 200, "<html><body>Collector starting...</body></html>\n");
		break;
	case A_HUGE: {
		static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
					   "Connection: close\r\n\r\n";
		char chunk[65536];
		memset(chunk, '#', sizeof(chunk));
		for (size_t i = 63; i < sizeof(chunk); i += 64) {
			chunk[i] = '\n';
		}
		if (!unit_http_send(c, head, sizeof(head) - 1)) {
			break;
		}
		/* 20 MiB, unless the client hangs up first (it should, at 16). */
		for (int i = 0; i < 320 && !unit_http_stopping(c); i++) {
			if (!unit_http_send(c, chunk, sizeof(chunk))) {
				break;
			}
		}
		break;
	}
	case A_SILENT:
		unit_http_hold(c);
		break;
	}
}

static void handle(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq)
{
	struct server *s = arg;
	(void)rq;
	size_t i = atomic_fetch_add(&s->served, 1);
	answer(c, &s->script[i < s->count ? i : s->count - 1]);
}

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = unit_http_listen_tcp(1, &port);
	close(fd);
	return port;
}

static struct server *server_start(const struct answer *script, size_t count)
{
	struct server *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->script = script;
	s->count = count;
	atomic_init(&s->served, 0);
	int lfd = unit_http_listen_tcp(16, &s->port);
	s->srv = unit_http_server_start(lfd, NULL, handle, s);
	return s;
}

static void server_stop(struct server *s)
{
	unit_http_server_stop(s->srv);
	free(s);
}

/* One check; returns its result and stores its duration in *ms. */
static bool timed_check(health_t *h, int64_t *ms)
{
	int64_t t0 = clock_mono_ms();
	memset(why, 0, sizeof(why));
	bool ok = health_check(h, why, sizeof(why));
	*ms = clock_mono_ms() - t0;
	return ok;
}

static void expect_health(health_t *h, bool healthy, uint32_t stale, const char *reason)
{
	int64_t ms;
	bool ok = timed_check(h, &ms);
	if (ok != healthy) {
		fail_msg("check: %s, expected %s (%s)", ok ? "healthy" : "unhealthy",
			 healthy ? "healthy" : "unhealthy", why);
	}
	if (health_stale(h) != stale) {
		fail_msg("stale count %u, expected %u", health_stale(h), stale);
	}
	if (reason != NULL && strstr(why, reason) == NULL) {
		fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
	}
	if (healthy && why[0] != '\0') {
		fail_msg("healthy check left a reason: %s", why);
	}
	/* Every check here is local: none may come close to the timeout. */
	if (ms > 1000 + MARGIN_MS) {
		fail_msg("check took %lld ms", (long long)ms);
	}
}

/* ---- the state machine ---- */

static void observe(health_t *h, double v, bool healthy, uint32_t stale)
{
	memset(why, 0, sizeof(why));
	bool ok = health_observe(h, v, why, sizeof(why));
	if (ok != healthy || health_stale(h) != stale) {
		fail_msg("reading %g: %s with stale %u, expected %s with %u (%s)", v,
			 ok ? "healthy" : "unhealthy", health_stale(h),
			 healthy ? "healthy" : "unhealthy", stale, why);
	}
}

static void test_stale_count(void **state)
{
	(void)state;
	config_t *cfg = metrics_config(1, 3);
	health_t *h = new_checker(cfg);

	/* The seed's diagram: baseline, stale 1/3, 2/3, 3/3 UNHEALTHY. */
	observe(h, 100, true, 0);
	observe(h, 100, true, 1);
	observe(h, 100, true, 2);
	observe(h, 100, false, 3);
	assert_non_null(strstr(why, "metric " METRIC " unchanged at 100 for 3 checks "
				    "(HEALTH_STALE_COUNT=3)"));
	/* Stays unhealthy while flat. */
	observe(h, 100, false, 4);
	/* Growth heals at once and clears the count. */
	observe(h, 155, true, 0);
	observe(h, 155, true, 1);
	observe(h, 156.5, true, 0);
	/* A counter reset (collector restarted) is a new baseline, healthy. */
	observe(h, 20, true, 0);
	observe(h, 20, true, 1);
	observe(h, 21, true, 0);
	/* A reset also ends an unhealthy run. */
	observe(h, 21, true, 1);
	observe(h, 21, true, 2);
	observe(h, 21, false, 3);
	observe(h, 0, true, 0);
	observe(h, 0, true, 1);
	health_free(h);

	/* HEALTH_STALE_COUNT=1: the first flat reading is unhealthy. */
	cfg->health_stale_count = 1;
	h = new_checker(cfg);
	observe(h, 5, true, 0);
	observe(h, 5, false, 1);
	observe(h, 6, true, 0);
	health_free(h);
	free(cfg);
}

/* ---- metrics over HTTP ---- */

static void test_metrics_growing(void **state)
{
	(void)state;
	static const struct answer script[] = {
		{A_VALUE, 12345, 0}, {A_VALUE, 12400, 0}, {A_VALUE, 1e6, 0}};
	struct server *s = server_start(script, 3);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	expect_health(h, true, 0, NULL);
	expect_health(h, true, 0, NULL);
	expect_health(h, true, 0, NULL);
	assert_int_equal(atomic_load(&s->served), 3);
	health_free(h);
	free(cfg);
	server_stop(s);
}

static void test_metrics_flat(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_VALUE, 12400, 0}};
	struct server *s = server_start(script, 1);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	expect_health(h, true, 0, NULL);
	expect_health(h, true, 1, NULL);
	expect_health(h, false, 2, "unchanged at 12400 for 2 checks");
	expect_health(h, false, 3, "unchanged at 12400 for 3 checks");
	health_free(h);
	free(cfg);
	server_stop(s);
}

static void test_metrics_decreasing(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_VALUE, 12400, 0}, {A_VALUE, 50, 0},
					       {A_VALUE, 40, 0},    {A_VALUE, 40, 0},
					       {A_VALUE, 40, 0},    {A_VALUE, 45, 0}};
	struct server *s = server_start(script, 6);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	expect_health(h, true, 0, NULL);
	expect_health(h, true, 0, NULL); /* reset */
	expect_health(h, true, 0, NULL); /* reset again */
	expect_health(h, true, 1, NULL);
	expect_health(h, false, 2, "unchanged at 40");
	expect_health(h, true, 0, NULL);
	health_free(h);
	free(cfg);
	server_stop(s);
}

/* Failed fetches are unhealthy at once and leave the count and baseline alone. */
static void test_metrics_failures(void **state)
{
	(void)state;
	static const struct answer script[] = {
		{A_VALUE, 100, 0}, {A_VALUE, 100, 0}, {A_STATUS, 0, 500},
		{A_GARBAGE, 0, 0}, {A_NAN, 0, 0},     {A_STATUS, 0, 404},
		{A_VALUE, 100, 0}, {A_VALUE, 101, 0}, {A_STATUS, 0, 503}};
	struct server *s = server_start(script, 9);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	char url[128];
	snprintf(url, sizeof(url), "GET http://127.0.0.1:%u/metrics answered HTTP ",
		 (unsigned)s->port);

	expect_health(h, true, 0, NULL);
	expect_health(h, true, 1, NULL);
	expect_health(h, false, 1, url);
	assert_non_null(strstr(why, "HTTP 500"));
	expect_health(h, false, 1,
		      "metric " METRIC " not found in 0 samples and 1 malformed line (did the "
		      "collector's telemetry change? check HEALTH_METRIC)");
	expect_health(h, false, 1, "reads NaN");
	expect_health(h, false, 1, "HTTP 404");
	/* The count went on from 1: the failures did not reset it... */
	expect_health(h, false, 2, "unchanged at 100 for 2 checks");
	/* ...nor the baseline: 101 is growth over 100. */
	expect_health(h, true, 0, NULL);
	expect_health(h, false, 0, "HTTP 503");
	health_free(h);
	free(cfg);
	server_stop(s);
}

static void test_metrics_huge_body(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_HUGE, 0, 0}, {A_VALUE, 7, 0}};
	struct server *s = server_start(script, 2);
	config_t *cfg = metrics_config(s->port, 2);
	cfg->health_timeout = 5; /* 16 MiB through ASan takes a moment */
	health_t *h = new_checker(cfg);
	int64_t ms;
	assert_false(timed_check(h, &ms));
	char want[160];
	snprintf(want, sizeof(want), "metrics body from http://127.0.0.1:%u/metrics exceeds 16 MiB",
		 (unsigned)s->port);
	assert_string_equal(why, want);
	assert_true(ms < 5000 + MARGIN_MS);
	/* The checker still works afterwards. */
	expect_health(h, true, 0, NULL);
	health_free(h);
	free(cfg);
	server_stop(s);
}

/* A collector that accepts and never answers: bounded by HEALTH_TIMEOUT (shortened). */
static void test_metrics_silent(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_SILENT, 0, 0}, {A_VALUE, 7, 0}};
	struct server *s = server_start(script, 2);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	int64_t ms;
	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	assert_false(timed_check(h, &ms));
	assert_non_null(strstr(why, "timed out after 300 ms"));
	if (ms < SHORT_MS - 50 || ms > SHORT_MS + MARGIN_MS) {
		fail_msg("silent server: check took %lld ms, expected about %d", (long long)ms,
			 SHORT_MS);
	}
	assert_int_equal(health_stale(h), 0);
	expect_health(h, true, 0, NULL);
	health_free(h);
	free(cfg);
	server_stop(s);
}

static void test_metrics_refused(void **state)
{
	(void)state;
	config_t *cfg = metrics_config(closed_port(), 2);
	health_t *h = new_checker(cfg);
	int64_t ms;
	assert_false(timed_check(h, &ms));
	assert_non_null(strstr(why, "GET http://127.0.0.1:"));
	assert_non_null(strstr(why, "failed"));
	assert_true(ms < 500);
	health_free(h);
	free(cfg);
}

static void expect_new_error(const config_t *cfg, const char *msg)
{
	health_t *h = (health_t *)0x1;
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	int ret = health_new(&h, cfg, &d);
	if (ret != DF_ECONFIG) {
		fail_msg("expected DF_ECONFIG, got %d (%s)", ret, d.msg);
	}
	assert_ptr_equal(h, (health_t *)0x1);
	if (strstr(d.msg, msg) == NULL) {
		fail_msg("message \"%s\" lacks \"%s\"", d.msg, msg);
	}
}

static void test_new_validates(void **state)
{
	(void)state;
	config_t *cfg = metrics_config(8888, 3);

	snprintf(cfg->health_metric, sizeof(cfg->health_metric), "m{receiver=otlp}");
	expect_new_error(cfg, "HEALTH_METRIC: metric selector 'm{receiver=otlp}': label value must "
			      "be in double quotes");
	snprintf(cfg->health_metric, sizeof(cfg->health_metric), "m{receiver=\"otlp\"}");
	health_free(new_checker(cfg));

	snprintf(cfg->health_url, sizeof(cfg->health_url), "ftp://192.0.2.10/metrics");
	expect_new_error(cfg, "HEALTH_URL 'ftp://192.0.2.10/metrics' is not usable: only http and "
			      "https are supported");
	snprintf(cfg->health_url, sizeof(cfg->health_url), "http://");
	expect_new_error(cfg, "HEALTH_URL 'http://' is not usable");
	cfg->health_url[0] = '\0';
	expect_new_error(cfg, "HEALTH_MODE=metrics needs HEALTH_URL");
	snprintf(cfg->health_url, sizeof(cfg->health_url),
		 "HTTPS://collector.example:8888/metrics");
	health_free(new_checker(cfg));

	cfg->health_stale_count = 0;
	expect_new_error(cfg, "HEALTH_STALE_COUNT must be at least 1");
	cfg->health_stale_count = 3;
	cfg->health_timeout = 0;
	expect_new_error(cfg, "HEALTH_TIMEOUT must be at least 1 second");

	memset(cfg, 0, sizeof(*cfg));
	cfg->health_mode = CONFIG_HEALTH_TCP;
	cfg->health_timeout = 2;
	cfg->health_stale_count = 3;
	cfg->health_port = 4317;
	expect_new_error(cfg, "HEALTH_MODE=tcp needs HEALTH_HOST and HEALTH_PORT");

	health_free(NULL);
	assert_false(health_check(NULL, why, sizeof(why)));
	assert_int_equal(health_new(NULL, cfg, NULL), DF_EINVAL);
	free(cfg);
}

/* ---- tcp ---- */

static config_t *tcp_config(const char *host, uint16_t port)
{
	config_t *cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	cfg->health_mode = CONFIG_HEALTH_TCP;
	cfg->health_timeout = 1;
	cfg->health_stale_count = 3;
	cfg->health_port = port;
	snprintf(cfg->health_host, sizeof(cfg->health_host), "%s", host);
	return cfg;
}

static void test_tcp_listening(void **state)
{
	(void)state;
	uint16_t port;
	int lfd = unit_http_listen_tcp(16, &port);
	config_t *cfg = tcp_config("127.0.0.1", port);
	health_t *h = new_checker(cfg);
	int64_t ms;
	assert_true(timed_check(h, &ms));
	assert_string_equal(why, "");
	assert_true(ms < 500);
	/* A check needs no accept(): the kernel completes the handshake. */
	assert_true(timed_check(h, &ms));
	health_free(h);
	free(cfg);

	/* A name: every address is tried (::1 may refuse before 127.0.0.1 answers). */
	cfg = tcp_config("localhost", port);
	h = new_checker(cfg);
	assert_true(timed_check(h, &ms));
	health_free(h);
	free(cfg);
	close(lfd);
}

static void test_tcp_refused(void **state)
{
	(void)state;
	uint16_t port = closed_port();
	config_t *cfg = tcp_config("127.0.0.1", port);
	health_t *h = new_checker(cfg);
	int64_t ms;
	char want[64];
	assert_false(timed_check(h, &ms));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u refused", (unsigned)port);
	assert_string_equal(why, want);
	assert_true(ms < 500);
	health_free(h);
	free(cfg);
}

/*
 * A host that never completes the handshake. A listening socket whose accept
 * queue is full makes Linux drop further SYNs, which to the client looks like
 * a host that does not answer. Fill it with connections never accepted; if
 * the kernel keeps accepting (other systems, other settings), skip.
 */
struct blackhole {
	int lfd;
	uint16_t port;
	int fillers[64];
	size_t nfill;
};

/* Fills the accept queue of a new listener; skips the test when it cannot. */
static void blackhole_open(struct blackhole *b)
{
	uint16_t port;
	int lfd = unit_http_listen_tcp(0, &port);
	int *fillers = b->fillers;
	size_t nfill = 0;
	bool full = false;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);

	while (nfill < 64 && !full) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		fillers[nfill++] = fd;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			continue;
		}
		assert_int_equal(errno, EINPROGRESS);
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		full = poll(&p, 1, 200) == 0;
	}
	if (!full) {
		for (size_t i = 0; i < nfill; i++) {
			close(fillers[i]);
		}
		close(lfd);
		skip();
	}
	b->lfd = lfd;
	b->port = port;
	b->nfill = nfill;
}

static void blackhole_close(struct blackhole *b)
{
	for (size_t i = 0; i < b->nfill; i++) {
		close(b->fillers[i]);
	}
	close(b->lfd);
}

static void test_tcp_blackhole(void **state)
{
	(void)state;
	struct blackhole b;
	blackhole_open(&b);
	uint16_t port = b.port;

	config_t *cfg = tcp_config("127.0.0.1", port);
	health_t *h = new_checker(cfg);
	int64_t ms;
	char want[64];
	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	assert_false(timed_check(h, &ms));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u timed out after 300 ms",
		 (unsigned)port);
	assert_string_equal(why, want);
	if (ms < SHORT_MS - 50 || ms > SHORT_MS + MARGIN_MS) {
		fail_msg("blackhole: check took %lld ms, expected about %d", (long long)ms,
			 SHORT_MS);
	}
	health_free(h);
	free(cfg);
	blackhole_close(&b);
}

/* The check each site runs: the DR checks the primary as HEALTH_MODE says,
 * the primary its own counter when HEALTH_URL is set, in metrics mode. */
static void test_for_site(void **state)
{
	(void)state;
	df_detail_t d = {""};
	health_t *h = NULL;
	bool own = false;
	config_t *cfg = metrics_config(9, 3);
	cfg->health_mode = CONFIG_HEALTH_TCP; /* the DR's check of us; no HEALTH_HOST */

	assert_int_equal(health_new(&h, cfg, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "HEALTH_MODE=tcp needs HEALTH_HOST"));
	assert_int_equal(health_new_for_site(&h, cfg, &own, &d), DF_ECONFIG); /* DR: tcp */
	assert_false(own);
	assert_null(h);

	cfg->role = CONFIG_ROLE_PRIMARY;
	assert_int_equal(health_new_for_site(&h, cfg, &own, &d), DF_OK); /* metrics */
	assert_true(own);
	assert_non_null(h);
	health_free(h);
	h = NULL;

	cfg->health_url[0] = '\0'; /* a primary without HEALTH_URL checks nothing */
	assert_int_equal(health_new_for_site(&h, cfg, &own, &d), DF_OK);
	assert_null(h);
	assert_int_equal(health_new_for_site(NULL, cfg, NULL, &d), DF_EINVAL);
	free(cfg);
}

/* ---- the asynchronous form ---- */

struct async {
	loop_t *loop;
	http_multi_t *multi;
	int calls;
	bool healthy;
	int64_t at;
	char why[1024];
};

static void async_setup(struct async *a)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(loop_new(&a->loop), DF_OK);
	assert_int_equal(http_multi_new(&a->multi, a->loop), DF_OK);
}

static void async_teardown(struct async *a)
{
	http_multi_free(a->multi);
	loop_free(a->loop);
}

static void on_checked(health_t *h, bool healthy, const char *reason, void *arg)
{
	(void)h;
	struct async *a = arg;
	a->calls++;
	a->healthy = healthy;
	a->at = clock_mono_ms();
	snprintf(a->why, sizeof(a->why), "%s", reason);
	loop_stop(a->loop);
}

static void on_stop(loop_timer_t *t, void *arg)
{
	(void)t;
	loop_stop(arg);
}

static void on_mark(loop_timer_t *t, void *arg)
{
	(void)t;
	*(int64_t *)arg = clock_mono_ms();
}

/* Runs the loop for at most ms, or until a check reported. */
static void async_run(struct async *a, int64_t ms)
{
	loop_timer_t *t = NULL;
	assert_int_equal(loop_timer_new(a->loop, &t, on_stop, a->loop), DF_OK);
	loop_timer_arm(t, ms, 0);
	assert_int_equal(loop_run(a->loop), DF_OK);
	loop_timer_free(t);
}

/* One check through the loop; returns its result and its duration in *ms. */
static bool async_check(struct async *a, health_t *h, int64_t *ms)
{
	a->calls = 0;
	int64_t t0 = clock_mono_ms();
	assert_int_equal(health_check_begin(h, a->multi, on_checked, a), DF_OK);
	assert_int_equal(a->calls, 0); /* never from inside begin */
	assert_int_equal(health_check_begin(h, a->multi, on_checked, a), DF_EINVAL);
	async_run(a, 5000);
	assert_int_equal(a->calls, 1);
	*ms = a->at - t0;
	return a->healthy;
}

static void expect_async(struct async *a, health_t *h, bool healthy, uint32_t stale,
			 const char *reason)
{
	int64_t ms;
	bool ok = async_check(a, h, &ms);
	if (ok != healthy) {
		fail_msg("check: %s, expected %s (%s)", ok ? "healthy" : "unhealthy",
			 healthy ? "healthy" : "unhealthy", a->why);
	}
	assert_int_equal(health_stale(h), stale);
	if (reason != NULL && strstr(a->why, reason) == NULL) {
		fail_msg("reason \"%s\" lacks \"%s\"", a->why, reason);
	}
	if (healthy && a->why[0] != '\0') {
		fail_msg("healthy check left a reason: %s", a->why);
	}
	if (ms > 1000 + MARGIN_MS) {
		fail_msg("check took %lld ms", (long long)ms);
	}
}

/* Healthy, stale and failed fetches give what health_check() gives. */
static void test_async_metrics(void **state)
{
	(void)state;
	static const struct answer script[] = {
		{A_VALUE, 100, 0},  {A_VALUE, 150, 0}, {A_VALUE, 150, 0}, {A_VALUE, 150, 0},
		{A_STATUS, 0, 500}, {A_GARBAGE, 0, 0}, {A_VALUE, 151, 0}};
	struct server *s = server_start(script, 7);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	struct async a;
	async_setup(&a);
	char want[128];

	expect_async(&a, h, true, 0, NULL); /* baseline */
	expect_async(&a, h, true, 0, NULL); /* growth */
	expect_async(&a, h, true, 1, NULL); /* stale 1/2 */
	expect_async(&a, h, false, 2,
		     "metric " METRIC " unchanged at 150 for 2 checks "
		     "(HEALTH_STALE_COUNT=2)");
	snprintf(want, sizeof(want), "GET http://127.0.0.1:%u/metrics answered HTTP 500",
		 (unsigned)s->port);
	expect_async(&a, h, false, 2, want);
	assert_string_equal(a.why, want);
	expect_async(&a, h, false, 2, "not found in 0 samples");
	expect_async(&a, h, true, 0, NULL);
	/* The blocking form still works on the same checker, and agrees. */
	expect_health(h, true, 1, NULL);
	assert_int_equal(atomic_load(&s->served), 8);

	async_teardown(&a);
	health_free(h);
	free(cfg);
	server_stop(s);

	/* Nothing listens: a failed fetch. */
	cfg = metrics_config(closed_port(), 2);
	h = new_checker(cfg);
	async_setup(&a);
	expect_async(&a, h, false, 0, "failed");
	assert_non_null(strstr(a.why, "GET http://127.0.0.1:"));
	async_teardown(&a);
	health_free(h);
	free(cfg);
}

/*
 * A collector that accepts and never answers: bounded by the timeout, and
 * the loop goes on meanwhile (a timer due during the check fires on time).
 */
static void test_async_silent(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_SILENT, 0, 0}, {A_VALUE, 7, 0}};
	struct server *s = server_start(script, 2);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	struct async a;
	async_setup(&a);
	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	int64_t fired = 0;
	loop_timer_t *mark = NULL;
	assert_int_equal(loop_timer_new(a.loop, &mark, on_mark, &fired), DF_OK);

	int64_t t0 = clock_mono_ms();
	loop_timer_arm(mark, 100, 0);
	a.calls = 0;
	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	assert_int_equal(health_set_timeout_ms(h, 1000), DF_EINVAL); /* in flight */
	assert_false(health_check(h, why, sizeof(why)));
	async_run(&a, 5000);
	assert_int_equal(a.calls, 1);
	assert_false(a.healthy);
	assert_non_null(strstr(a.why, "timed out after 300 ms"));
	int64_t ms = a.at - t0;
	if (ms < SHORT_MS - 50 || ms > SHORT_MS + MARGIN_MS) {
		fail_msg("silent server: check took %lld ms, expected about %d", (long long)ms,
			 SHORT_MS);
	}
	if (fired < t0 + 100 || fired > t0 + 120) {
		fail_msg("timer due at 100 ms fired at %lld ms", (long long)(fired - t0));
	}
	expect_async(&a, h, true, 0, NULL);

	loop_timer_free(mark);
	async_teardown(&a);
	health_free(h);
	free(cfg);
	server_stop(s);
}

static void test_async_tcp(void **state)
{
	(void)state;
	uint16_t port;
	int lfd = unit_http_listen_tcp(16, &port);
	config_t *cfg = tcp_config("127.0.0.1", port);
	health_t *h = new_checker(cfg);
	struct async a;
	async_setup(&a);
	char want[96];

	expect_async(&a, h, true, 0, NULL);
	health_free(h);
	free(cfg);
	cfg = tcp_config("localhost", port); /* every address is tried */
	h = new_checker(cfg);
	expect_async(&a, h, true, 0, NULL);
	health_free(h);
	free(cfg);
	close(lfd);

	port = closed_port();
	cfg = tcp_config("127.0.0.1", port);
	h = new_checker(cfg);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u refused", (unsigned)port);
	expect_async(&a, h, false, 0, want);
	assert_string_equal(a.why, want);
	assert_false(health_check(h, why, sizeof(why)));
	assert_string_equal(why, want);
	health_free(h);
	free(cfg);

	/* A name is resolved and connected by libcurl off the loop: refused
	 * on every address is a failure that names the host and port. */
	cfg = tcp_config("localhost", port);
	h = new_checker(cfg);
	snprintf(want, sizeof(want), "connect to localhost:%u failed (", (unsigned)port);
	expect_async(&a, h, false, 0, want);
	health_free(h);
	free(cfg);
	async_teardown(&a);
}

static void test_async_tcp_name(void **state)
{
	(void)state;
	struct blackhole b;
	struct async a;
	int64_t ms;
	char want[96];
	async_setup(&a);

	/* A name that cannot resolve fails within the timeout, whatever the
	 * resolver does (RFC 6761: .invalid never exists). */
	config_t *cfg = tcp_config("no-such-collector.invalid", 4317);
	health_t *h = new_checker(cfg);
	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	assert_false(async_check(&a, h, &ms));
	if (strstr(a.why, "cannot resolve no-such-collector.invalid") == NULL &&
	    strstr(a.why, "connect to no-such-collector.invalid:4317 timed out") == NULL) {
		fail_msg("unexpected reason: %s", a.why);
	}
	assert_true(ms <= SHORT_MS + MARGIN_MS);
	health_free(h);
	free(cfg);

	/* A name whose address never answers: bounded like an address, and a
	 * new connection each time (a kept one would prove nothing). */
	blackhole_open(&b);
	cfg = tcp_config("localhost", b.port);
	h = new_checker(cfg);
	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	assert_false(async_check(&a, h, &ms));
	snprintf(want, sizeof(want), "connect to localhost:%u timed out after 300 ms",
		 (unsigned)b.port);
	assert_string_equal(a.why, want);
	assert_true(ms >= SHORT_MS - 50 && ms <= SHORT_MS + MARGIN_MS);
	health_free(h);
	free(cfg);
	blackhole_close(&b);

	/* Not a host name at all: refused when the checker is made. */
	cfg = tcp_config("collector/../x", 4317);
	df_detail_t d = {""};
	assert_int_equal(health_new(&h, cfg, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "HEALTH_HOST 'collector/../x' is neither"));
	free(cfg);
	async_teardown(&a);
}

static void test_async_tcp_blackhole(void **state)
{
	(void)state;
	struct blackhole b;
	blackhole_open(&b);
	config_t *cfg = tcp_config("127.0.0.1", b.port);
	health_t *h = new_checker(cfg);
	struct async a;
	async_setup(&a);
	char want[96];
	int64_t ms;

	assert_int_equal(health_set_timeout_ms(h, SHORT_MS), DF_OK);
	assert_false(async_check(&a, h, &ms));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u timed out after 300 ms",
		 (unsigned)b.port);
	assert_string_equal(a.why, want);
	if (ms < SHORT_MS - 50 || ms > SHORT_MS + MARGIN_MS) {
		fail_msg("blackhole: check took %lld ms, expected about %d", (long long)ms,
			 SHORT_MS);
	}

	/* Cancelled in flight: no callback, and the checker works again. */
	a.calls = 0;
	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	async_run(&a, 50);
	health_check_cancel(h);
	health_check_cancel(h); /* harmless */
	async_run(&a, SHORT_MS + 100);
	assert_int_equal(a.calls, 0);
	/* Freed in flight. */
	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	async_run(&a, 50);
	health_free(h);
	async_run(&a, SHORT_MS + 100);
	assert_int_equal(a.calls, 0);

	async_teardown(&a);
	free(cfg);
	blackhole_close(&b);
}

/* A metrics check cancelled or freed in flight: no callback, nothing leaks. */
static void test_async_cancel(void **state)
{
	(void)state;
	static const struct answer script[] = {{A_SILENT, 0, 0}, {A_SILENT, 0, 0}, {A_VALUE, 7, 0}};
	struct server *s = server_start(script, 3);
	config_t *cfg = metrics_config(s->port, 2);
	health_t *h = new_checker(cfg);
	struct async a;
	async_setup(&a);

	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	health_check_cancel(h); /* before the loop ran */
	assert_int_equal(http_multi_running(a.multi), 0);
	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	async_run(&a, 200);
	health_check_cancel(h); /* while the server holds it */
	async_run(&a, 1200);
	assert_int_equal(a.calls, 0);
	assert_int_equal(health_check_begin(h, a.multi, on_checked, &a), DF_OK);
	async_run(&a, 200);
	health_free(h);
	assert_int_equal(http_multi_running(a.multi), 0);
	async_run(&a, 100);
	assert_int_equal(a.calls, 0);

	assert_int_equal(health_check_begin(NULL, a.multi, on_checked, &a), DF_EINVAL);
	health_check_cancel(NULL);
	async_teardown(&a);
	free(cfg);
	server_stop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_count),	 cmocka_unit_test(test_metrics_growing),
		cmocka_unit_test(test_metrics_flat),	 cmocka_unit_test(test_metrics_decreasing),
		cmocka_unit_test(test_metrics_failures), cmocka_unit_test(test_metrics_huge_body),
		cmocka_unit_test(test_metrics_silent),	 cmocka_unit_test(test_metrics_refused),
		cmocka_unit_test(test_new_validates),	 cmocka_unit_test(test_tcp_listening),
		cmocka_unit_test(test_tcp_refused),	 cmocka_unit_test(test_tcp_blackhole),
		cmocka_unit_test(test_for_site),	 cmocka_unit_test(test_async_metrics),
		cmocka_unit_test(test_async_silent),	 cmocka_unit_test(test_async_tcp),
		cmocka_unit_test(test_async_tcp_name),	 cmocka_unit_test(test_async_tcp_blackhole),
		cmocka_unit_test(test_async_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
