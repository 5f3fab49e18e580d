/*
 * Unit tests for src/http/http_multi.c: transfers driven by the event loop
 * against loopback servers (unit_http_server.c), with the times that prove
 * a silent peer never holds the loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "src/common/clock.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "tests/unit/src/http/unit_http_server.h"

static char tmpdir[64];
static char ca_path[128];
static char other_ca[128];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/df-multi-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", tmpdir);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.crt", tmpdir);
	return unit_http_tls_init(ca_path, other_ca, "test CA", "localhost",
				  "DNS:localhost,IP:127.0.0.1");
}

static int group_teardown(void **state)
{
	(void)state;
	unit_http_tls_deinit();
	unlink(ca_path);
	unlink(other_ca);
	rmdir(tmpdir);
	return 0;
}

/* ---- servers: /ok answers at once, /silent never ---- */

struct server {
	unit_http_server_t *srv;
	SSL_CTX *ctx;
	uint16_t port;
	atomic_int requests;
};

static void handle(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq)
{
	struct server *s = arg;
	atomic_fetch_add(&s->requests, 1);
	if (strcmp(rq->target, "/silent") == 0) {
		unit_http_hold(c);
		return;
	}
	static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
				  "Connection: close\r\n\r\nhello\n";
	unit_http_send(c, ans, sizeof(ans) - 1);
}

static struct server *server_start(bool tls)
{
	struct server *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	atomic_init(&s->requests, 0);
	if (tls) {
		s->ctx = unit_http_tls_server_ctx();
	}
	int lfd = unit_http_listen_tcp(16, &s->port);
	s->srv = unit_http_server_start(lfd, s->ctx, handle, s);
	return s;
}

static void server_stop(struct server *s)
{
	unit_http_server_stop(s->srv);
	SSL_CTX_free(s->ctx);
	free(s);
}

static http_request_t *request(const struct server *s, const char *path, long timeout_ms,
			       const char *ca)
{
	char url[128];
	http_request_t *req = NULL;
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", s->ctx != NULL ? "https" : "http",
		 (unsigned)s->port, path);
	const http_options_t o = {
		.ca_file = ca,
		.connect_timeout_ms = timeout_ms,
		.timeout_ms = timeout_ms,
		.body_max = 4096,
	};
	int ret = http_request_new(&req, "GET", url, &o, &d);
	if (ret != DF_OK) {
		fail_msg("http_request_new: %d %s", ret, d.msg);
	}
	return req;
}

/* ---- what the callbacks saw ---- */

struct done {
	loop_t *loop;
	int calls;
	int ret;
	int64_t at;		  /* clock_mono_ms() of the call */
	bool stop;		  /* stop the loop when called */
	http_multi_t *free_multi; /* free this from the callback */
};

static void on_done(http_request_t *req, int ret, void *arg)
{
	(void)req;
	struct done *d = arg;
	d->calls++;
	d->ret = ret;
	d->at = clock_mono_ms();
	if (d->free_multi != NULL) {
		http_multi_free(d->free_multi);
	}
	if (d->stop) {
		loop_stop(d->loop);
	}
}

static void on_stop(loop_timer_t *t, void *arg)
{
	(void)t;
	loop_stop(arg);
}

/* A timer that notes when it fired. */
static void on_mark(loop_timer_t *t, void *arg)
{
	(void)t;
	*(int64_t *)arg = clock_mono_ms();
}

/* Runs l for at most ms (a safety net: the tests stop it earlier). */
static void run_for(loop_t *l, int64_t ms)
{
	loop_timer_t *t = NULL;
	assert_int_equal(loop_timer_new(l, &t, on_stop, l), DF_OK);
	loop_timer_arm(t, ms, 0);
	assert_int_equal(loop_run(l), DF_OK);
	loop_timer_free(t);
}

static void setup(loop_t **l, http_multi_t **m)
{
	assert_int_equal(loop_new(l), DF_OK);
	assert_int_equal(http_multi_new(m, *l), DF_OK);
}

/* ---- tests ---- */

static void test_get(void **state)
{
	(void)state;
	struct server *s = server_start(false);
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	http_request_t *req = request(s, "/ok", 2000, NULL);
	struct done d = {.loop = l, .stop = true};

	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	assert_int_equal(d.calls, 0); /* never from inside begin */
	assert_int_equal(http_multi_running(m), 1);
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_EINVAL); /* in flight */
	run_for(l, 3000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, DF_OK);
	assert_int_equal(http_request_status(req), 200);
	size_t len;
	assert_string_equal(http_request_body(req, &len), "hello\n");
	assert_int_equal(http_multi_running(m), 0);

	/* The same request again, then once more with the blocking client. */
	d.calls = 0;
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	run_for(l, 3000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, DF_OK);
	assert_int_equal(http_client_perform(req, NULL), DF_OK);
	assert_int_equal(atomic_load(&s->requests), 3);

	http_request_free(req);
	http_multi_free(m);
	loop_free(l);
	server_stop(s);
}

/*
 * One transfer to a server that never answers, one to a server that does,
 * and a loop timer meanwhile: the prompt one completes at once, the timer
 * fires on time, and the silent one ends at its own timeout.
 */
static void test_parallel(void **state)
{
	(void)state;
	struct server *silent = server_start(false);
	struct server *prompt = server_start(false);
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	http_request_t *stuck = request(silent, "/silent", 600, NULL);
	http_request_t *ok = request(prompt, "/ok", 2000, NULL);
	struct done ds = {.loop = l, .stop = true};
	struct done dp = {.loop = l};
	int64_t fired = 0;
	loop_timer_t *mark = NULL;
	assert_int_equal(loop_timer_new(l, &mark, on_mark, &fired), DF_OK);

	int64_t t0 = clock_mono_ms();
	assert_int_equal(http_request_begin(m, stuck, on_done, &ds), DF_OK);
	assert_int_equal(http_request_begin(m, ok, on_done, &dp), DF_OK);
	loop_timer_arm(mark, 200, 0);
	run_for(l, 5000);

	assert_int_equal(dp.calls, 1);
	assert_int_equal(dp.ret, DF_OK);
	if (dp.at - t0 > 50) {
		fail_msg("prompt transfer took %lld ms", (long long)(dp.at - t0));
	}
	assert_true(fired >= t0 + 200);
	if (fired - t0 > 220) {
		fail_msg("timer due at 200 ms fired at %lld ms", (long long)(fired - t0));
	}
	assert_int_equal(ds.calls, 1);
	assert_int_equal(ds.ret, DF_ETIMEDOUT);
	assert_int_equal(http_request_fail(stuck), HTTP_FAIL_TIMEOUT);
	if (ds.at - t0 < 550 || ds.at - t0 > 1100) {
		fail_msg("silent transfer ended after %lld ms, expected about 600",
			 (long long)(ds.at - t0));
	}

	loop_timer_free(mark);
	http_request_free(stuck);
	http_request_free(ok);
	http_multi_free(m);
	loop_free(l);
	server_stop(prompt);
	server_stop(silent);
}

/* Cancel in flight: no callback, nothing leaks, the request is usable again. */
static void test_cancel(void **state)
{
	(void)state;
	struct server *s = server_start(false);
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	http_request_t *req = request(s, "/silent", 5000, NULL);
	struct done d = {.loop = l};

	/* Before the loop ever ran. */
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	http_request_cancel(m, req);
	assert_int_equal(http_multi_running(m), 0);
	http_request_cancel(m, req); /* harmless */

	/* Connected and waiting for the answer. */
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	run_for(l, 200);
	http_request_cancel(m, req);
	run_for(l, 100);
	assert_int_equal(d.calls, 0);

	http_request_free(req);
	req = request(s, "/ok", 2000, NULL);
	d.stop = true;
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	run_for(l, 3000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, DF_OK);

	http_request_free(req);
	http_multi_free(m);
	loop_free(l);
	server_stop(s);
}

/* Freeing the multi with transfers in flight, and from a callback. */
static void test_free_in_flight(void **state)
{
	(void)state;
	struct server *silent = server_start(false);
	struct server *prompt = server_start(false);
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	http_request_t *stuck = request(silent, "/silent", 5000, NULL);
	http_request_t *ok = request(prompt, "/ok", 2000, NULL);
	struct done ds = {.loop = l};
	struct done dp = {.loop = l};

	assert_int_equal(http_request_begin(m, stuck, on_done, &ds), DF_OK);
	run_for(l, 100);
	http_multi_free(m);
	assert_int_equal(ds.calls, 0);
	http_multi_free(NULL);
	run_for(l, 50); /* nothing of the multi is left on the loop */
	loop_free(l);

	/* From a completion callback, with another transfer still in flight. */
	setup(&l, &m);
	dp.loop = l;
	dp.stop = true;
	dp.free_multi = m;
	ds.loop = l;
	assert_int_equal(http_request_begin(m, stuck, on_done, &ds), DF_OK);
	assert_int_equal(http_request_begin(m, ok, on_done, &dp), DF_OK);
	run_for(l, 3000);
	assert_int_equal(dp.calls, 1);
	assert_int_equal(ds.calls, 0);
	run_for(l, 100); /* nothing of the multi is left on the loop */

	http_request_free(stuck);
	http_request_free(ok);
	loop_free(l);
	server_stop(prompt);
	server_stop(silent);
}

/* https is verified through the multi as through the blocking client. */
static void test_tls(void **state)
{
	(void)state;
	struct server *s = server_start(true);
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	struct done d = {.loop = l, .stop = true};

	http_request_t *req = request(s, "/ok", 3000, ca_path);
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	run_for(l, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, DF_OK);
	assert_int_equal(http_request_status(req), 200);
	http_request_free(req);

	d.calls = 0;
	req = request(s, "/ok", 3000, other_ca);
	assert_int_equal(http_request_begin(m, req, on_done, &d), DF_OK);
	run_for(l, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, DF_ENETWORK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_TLS);
	http_request_free(req);
	assert_int_equal(atomic_load(&s->requests), 1);

	http_multi_free(m);
	loop_free(l);
	server_stop(s);
}

static void test_args(void **state)
{
	(void)state;
	loop_t *l;
	http_multi_t *m;
	setup(&l, &m);
	assert_int_equal(http_multi_new(NULL, l), DF_EINVAL);
	assert_int_equal(http_multi_new(&m, NULL), DF_EINVAL);
	assert_int_equal(http_request_begin(m, NULL, on_done, NULL), DF_EINVAL);
	assert_ptr_equal(http_multi_loop(m), l);
	http_request_cancel(NULL, NULL);
	http_multi_free(m);
	loop_free(l);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),    cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_cancel), cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_tls),    cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
