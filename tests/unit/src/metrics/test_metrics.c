/*
 * Unit tests for src/metrics.c and src/metrics_http.c: the rendered page
 * (every metric with HELP and TYPE, every series at 0, counts, escaping,
 * buffer sizes), METRICS_LISTEN values, and the listener on 127.0.0.1 with a
 * kernel-chosen port, driven by a loop here calling metrics_http_run() while
 * a libcurl client in a thread makes the requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <config.h> /* the build's, for PACKAGE_VERSION */

#include "src/metrics/metrics.h"
#include "src/metrics/metrics_http.h"
#include "tests/unit/src/http/unit_http_server.h"

/* No wait in these tests lasts longer. */
#define DRIVE_DEADLINE_MS 10000

static char *render(const metrics_t *m)
{
	size_t len = 0;
	char *page = metrics_render_alloc(m, &len);
	assert_non_null(page);
	assert_int_equal(strlen(page), len);
	return page;
}

/* Whether page has a line that is exactly line. */
static bool has_line(const char *page, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = page; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0) {
			return true;
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	return false;
}

static void assert_line(const char *page, const char *line)
{
	if (!has_line(page, line)) {
		fail_msg("no line '%s' in:\n%s", line, page);
	}
}

static const struct {
	const char *name;
	const char *type;
} families[] = {
	{"dnsfailover_info", "gauge"},
	{"dnsfailover_active", "gauge"},
	{"dnsfailover_lease_expiry_timestamp_seconds", "gauge"},
	{"dnsfailover_lease_epoch", "gauge"},
	{"dnsfailover_lease_owner", "gauge"},
	{"dnsfailover_renewals_total", "counter"},
	{"dnsfailover_health_checks_total", "counter"},
	{"dnsfailover_failovers_total", "counter"},
	{"dnsfailover_step_downs_total", "counter"},
	{"dnsfailover_clock_skew_seconds", "gauge"},
	{"dnsfailover_last_update_latency_seconds", "gauge"},
	{"dnsfailover_gss_negotiations_total", "counter"},
	{"dnsfailover_gss_context_remaining_seconds", "gauge"},
	{"dnsfailover_watcher_actions_total", "counter"},
};

static void test_render_every_metric(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("primary");
	assert_non_null(m);
	char *page = render(m);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line), "# HELP %s ", families[i].name);
		if (strstr(page, line) == NULL) {
			fail_msg("no HELP for %s", families[i].name);
		}
		snprintf(line, sizeof(line), "# TYPE %s %s", families[i].name, families[i].type);
		assert_line(page, line);
	}
	assert_non_null(strstr(page, "dnsfailover_info{role=\"primary\",version=\""));
	/* Every series is there from the start, at 0. */
	static const char *const zeros[] = {
		"dnsfailover_active 0",
		"dnsfailover_lease_expiry_timestamp_seconds 0",
		"dnsfailover_lease_epoch 0",
		"dnsfailover_lease_owner{owner=\"primary\"} 0",
		"dnsfailover_lease_owner{owner=\"dr\"} 0",
		"dnsfailover_renewals_total{result=\"ok\"} 0",
		"dnsfailover_renewals_total{result=\"conflict\"} 0",
		"dnsfailover_renewals_total{result=\"error\"} 0",
		"dnsfailover_health_checks_total{result=\"ok\"} 0",
		"dnsfailover_health_checks_total{result=\"failed\"} 0",
		"dnsfailover_failovers_total 0",
		"dnsfailover_step_downs_total{reason=\"deadline\"} 0",
		"dnsfailover_step_downs_total{reason=\"lost\"} 0",
		"dnsfailover_step_downs_total{reason=\"shutdown\"} 0",
		"dnsfailover_clock_skew_seconds 0",
		"dnsfailover_last_update_latency_seconds 0",
		"dnsfailover_gss_negotiations_total 0",
		"dnsfailover_gss_context_remaining_seconds 0",
		"dnsfailover_watcher_actions_total{action=\"start\",result=\"ok\"} 0",
		"dnsfailover_watcher_actions_total{action=\"start\",result=\"error\"} 0",
		"dnsfailover_watcher_actions_total{action=\"stop\",result=\"ok\"} 0",
		"dnsfailover_watcher_actions_total{action=\"stop\",result=\"error\"} 0",
	};
	for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++) {
		assert_line(page, zeros[i]);
	}
	/* Each sample line is a name we declared; the page ends with a newline. */
	size_t samples = 0;
	for (const char *p = page; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (*p != '#') {
			samples++;
			assert_memory_equal(p, "dnsfailover_", 12);
		}
	}
	assert_int_equal(samples, 1 + 1 + 1 + 1 + 2 + 3 + 2 + 1 + 3 + 1 + 1 + 1 + 1 + 4);
	assert_int_equal(page[strlen(page) - 1], '\n');
	free(page);
	metrics_free(m);
}

static void test_render_counts(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_set_active(m, true);
	metrics_set_lease(m, 1769571600, 18446744073709551615ULL, "dr");
	for (int i = 0; i < 5; i++) {
		metrics_count_renewal(m, "ok");
	}
	metrics_count_renewal(m, "conflict");
	metrics_count_renewal(m, "error");
	metrics_count_renewal(m, "error");
	metrics_count_renewal(m, "bogus"); /* ignored */
	metrics_count_renewal(m, NULL);	   /* ignored */
	metrics_count_health(m, true);
	metrics_count_health(m, false);
	metrics_count_health(m, false);
	metrics_count_failover(m);
	metrics_count_failover(m);
	metrics_count_step_down(m, "deadline");
	metrics_count_step_down(m, "lost");
	metrics_count_step_down(m, "lost");
	metrics_count_step_down(m, "shutdown");
	metrics_count_step_down(m, "other"); /* ignored */
	metrics_set_clock_skew(m, -37);
	metrics_set_update_latency(m, 0.125);
	metrics_set_gss(m, 3, 3299);
	metrics_count_watcher_action(m, "start", "ok");
	metrics_count_watcher_action(m, "start", "error");
	metrics_count_watcher_action(m, "start", "error");
	metrics_count_watcher_action(m, "stop", "ok");
	metrics_count_watcher_action(m, "restart", "ok"); /* ignored */
	metrics_count_watcher_action(m, "stop", "maybe"); /* ignored */

	char *page = render(m);
	static const char *const lines[] = {
		"dnsfailover_info{role=\"dr\",version=\"" PACKAGE_VERSION "\"} 1",
		"dnsfailover_active 1",
		"dnsfailover_lease_expiry_timestamp_seconds 1769571600",
		"dnsfailover_lease_epoch 18446744073709551615",
		"dnsfailover_lease_owner{owner=\"primary\"} 0",
		"dnsfailover_lease_owner{owner=\"dr\"} 1",
		"dnsfailover_renewals_total{result=\"ok\"} 5",
		"dnsfailover_renewals_total{result=\"conflict\"} 1",
		"dnsfailover_renewals_total{result=\"error\"} 2",
		"dnsfailover_health_checks_total{result=\"ok\"} 1",
		"dnsfailover_health_checks_total{result=\"failed\"} 2",
		"dnsfailover_failovers_total 2",
		"dnsfailover_step_downs_total{reason=\"deadline\"} 1",
		"dnsfailover_step_downs_total{reason=\"lost\"} 2",
		"dnsfailover_step_downs_total{reason=\"shutdown\"} 1",
		"dnsfailover_clock_skew_seconds -37",
		"dnsfailover_last_update_latency_seconds 0.125",
		"dnsfailover_gss_negotiations_total 3",
		"dnsfailover_gss_context_remaining_seconds 3299",
		"dnsfailover_watcher_actions_total{action=\"start\",result=\"ok\"} 1",
		"dnsfailover_watcher_actions_total{action=\"start\",result=\"error\"} 2",
		"dnsfailover_watcher_actions_total{action=\"stop\",result=\"ok\"} 1",
		"dnsfailover_watcher_actions_total{action=\"stop\",result=\"error\"} 0",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_line(page, lines[i]);
	}
	free(page);

	/* The owner goes back to unknown; the role follows a reload. */
	metrics_set_lease(m, 0, 0, NULL);
	metrics_set_role(m, "primary");
	page = render(m);
	assert_line(page, "dnsfailover_lease_owner{owner=\"dr\"} 0");
	assert_line(page, "dnsfailover_lease_owner{owner=\"primary\"} 0");
	assert_non_null(strstr(page, "dnsfailover_info{role=\"primary\","));
	free(page);
	metrics_free(m);
}

static void test_render_escapes_labels(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("a\"b\\c\nd");
	assert_non_null(m);
	metrics_set_lease(m, 1, 1, "x\"y\\z\n\x01\xc3\xa9");
	char *page = render(m);
	assert_non_null(strstr(page, "dnsfailover_info{role=\"a\\\"b\\\\c\\nd\",version="));
	/* An owner that is neither primary nor dr gets a series of its own;
	 * control and non-ASCII bytes become '?'. */
	assert_line(page, "dnsfailover_lease_owner{owner=\"x\\\"y\\\\z\\n???\"} 1");
	assert_line(page, "dnsfailover_lease_owner{owner=\"primary\"} 0");
	assert_line(page, "dnsfailover_lease_owner{owner=\"dr\"} 0");
	/* No raw newline inside a sample: every line starts with # or the prefix. */
	for (const char *p = page; *p != '\0'; p = strchr(p, '\n') + 1) {
		assert_true(*p == '#' || strncmp(p, "dnsfailover_", 12) == 0);
	}
	free(page);

	/* Long values are cut, not overflowed. */
	char longv[300];
	memset(longv, 'o', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	metrics_set_lease(m, 1, 1, longv);
	metrics_set_role(m, longv);
	page = render(m);
	char want[METRICS_LABEL_MAX + 64];
	snprintf(want, sizeof(want), "dnsfailover_lease_owner{owner=\"%.*s\"} 1",
		 METRICS_LABEL_MAX - 1, longv);
	assert_line(page, want);
	free(page);
	metrics_free(m);
}

static void test_render_nonfinite(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_set_update_latency(m, NAN);
	char *page = render(m);
	assert_line(page, "dnsfailover_last_update_latency_seconds NaN");
	free(page);
	metrics_set_update_latency(m, INFINITY);
	page = render(m);
	assert_line(page, "dnsfailover_last_update_latency_seconds +Inf");
	free(page);
	metrics_set_update_latency(m, 1.5e-7);
	page = render(m);
	assert_line(page, "dnsfailover_last_update_latency_seconds 1.5e-07");
	free(page);
	metrics_free(m);
}

static void test_render_buffer_sizes(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	size_t need = 0;
	assert_int_equal(metrics_render(m, NULL, 0, &need), DF_ENOSPACE);
	assert_true(need > 1000);

	char *full = malloc(need + 1);
	size_t len = 0;
	assert_non_null(full);
	assert_int_equal(metrics_render(m, full, need + 1, &len), DF_OK);
	assert_int_equal(len, need);
	assert_int_equal(strlen(full), need);

	/* One byte short: no room for the NUL. Truncated, terminated, told. */
	char *exact = malloc(need);
	assert_non_null(exact);
	len = 0;
	assert_int_equal(metrics_render(m, exact, need, &len), DF_ENOSPACE);
	assert_int_equal(len, need);
	assert_int_equal(strlen(exact), need - 1);
	assert_memory_equal(exact, full, need - 1);

	char tiny[1];
	assert_int_equal(metrics_render(m, tiny, 1, &len), DF_ENOSPACE);
	assert_int_equal(tiny[0], '\0');

	assert_int_equal(metrics_render(NULL, full, need + 1, &len), DF_EINVAL);
	assert_int_equal(metrics_render(m, full, need + 1, NULL), DF_EINVAL);
	assert_int_equal(metrics_render(m, NULL, 10, &len), DF_EINVAL);
	assert_null(metrics_render_alloc(NULL, &len));
	assert_null(metrics_new(NULL));
	metrics_free(NULL);
	/* Setters on NULL do nothing. */
	metrics_set_active(NULL, true);
	metrics_count_failover(NULL);
	metrics_count_renewal(NULL, "ok");
	free(exact);
	free(full);
	metrics_free(m);
}

static void test_parse_listen_good(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *host;
		uint16_t port;
	} cases[] = {
		{"127.0.0.1:9100", "127.0.0.1", 9100},
		{":9100", "", 9100},
		{"[::1]:9100", "::1", 9100},
		{"[::]:80", "::", 80},
		{"localhost:0", "localhost", 0},
		{"metrics.example.org:65535", "metrics.example.org", 65535},
		{"0.0.0.0:00080", "0.0.0.0", 80},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[METRICS_HTTP_HOST_MAX];
		uint16_t port = 1;
		df_detail_t d = {""};
		int ret = metrics_http_parse_listen(cases[i].in, host, sizeof(host), &port, &d);
		if (ret != DF_OK) {
			fail_msg("'%s': %d %s", cases[i].in, ret, d.msg);
		}
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

static void test_parse_listen_bad(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{"", "no port"},
		{"9100", "no port"},
		{"127.0.0.1", "no port"},
		{"127.0.0.1:", "from 0 to 65535"},
		{"127.0.0.1:65536", "from 0 to 65535"},
		{"127.0.0.1:123456", "from 0 to 65535"},
		{"127.0.0.1:http", "from 0 to 65535"},
		{"127.0.0.1:-1", "from 0 to 65535"},
		{"127.0.0.1:+80", "from 0 to 65535"},
		{"127.0.0.1:80 ", "from 0 to 65535"},
		{"::1:9100", "needs brackets"},
		{"[::1]9100", "expected ':port' after ']'"},
		{"[::1", "missing ']'"},
		{"[]:9100", "empty address"},
		{"local host:80", "invalid character"},
		{"http://x:80", "needs brackets"},
		{"x/y:80", "invalid character"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[METRICS_HTTP_HOST_MAX] = "untouched";
		uint16_t port = 7;
		df_detail_t d = {""};
		int ret = metrics_http_parse_listen(cases[i].in, host, sizeof(host), &port, &d);
		if (ret != DF_EINVAL || strstr(d.msg, cases[i].why) == NULL ||
		    strstr(d.msg, "METRICS_LISTEN") == NULL) {
			fail_msg("'%s': %d '%s', expected DF_EINVAL and '%s'", cases[i].in, ret,
				 d.msg, cases[i].why);
		}
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "\"%s\"", cases[i].in);
		assert_non_null(strstr(d.msg, quoted));
		assert_string_equal(host, "untouched");
		assert_int_equal(port, 7);
	}
	/* A host longer than the buffer. */
	char host[8];
	uint16_t port;
	df_detail_t d = {""};
	assert_int_equal(
		metrics_http_parse_listen("averylonghost:80", host, sizeof(host), &port, &d),
		DF_ERANGE);
	assert_int_equal(metrics_http_parse_listen(NULL, host, sizeof(host), &port, &d), DF_EINVAL);
}

static void test_start_bad_listen(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	assert_int_equal(metrics_http_start(&h, "127.0.0.1", m, &d), DF_EINVAL);
	assert_null(h);
	assert_non_null(strstr(d.msg, "METRICS_LISTEN \"127.0.0.1\": no port"));
	assert_int_equal(metrics_http_start(&h, "[::1:9100", m, &d), DF_EINVAL);
	assert_int_equal(metrics_http_start(&h, NULL, m, &d), DF_EINVAL);
	assert_int_equal(metrics_http_start(&h, "127.0.0.1:0", NULL, &d), DF_EINVAL);
	assert_int_equal(metrics_http_start(NULL, "127.0.0.1:0", m, &d), DF_EINVAL);
	assert_null(h);
	/* The accessors and stop accept NULL. */
	metrics_http_stop(NULL);
	metrics_http_run(NULL);
	assert_int_equal(metrics_http_fd(NULL), -1);
	assert_int_equal(metrics_http_port(NULL), 0);
	metrics_free(m);
}

static void test_start_port_in_use(void **state)
{
	(void)state;
	uint16_t busy_port;
	int busy = unit_http_listen_tcp(1, &busy_port);
	unsigned port = busy_port;

	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	char listen_at[64];
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", port);
	int ret = metrics_http_start(&h, listen_at, m, &d);
	assert_int_equal(ret, -EADDRINUSE);
	assert_null(h);
	char want[128];
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u (METRICS_LISTEN \"%s\"): %s",
		 port, listen_at, strerror(EADDRINUSE));
	if (strstr(d.msg, want) == NULL) {
		fail_msg("'%s' does not say '%s'", d.msg, want);
	}
	close(busy);
	metrics_free(m);
}

/* One request the client thread makes, and what it got. */
typedef struct job {
	const char *path;
	const char *method; /* GET, HEAD, POST, PUT */
	CURLcode rc;
	long status;
	char type[128];
	char allow[128];
	char body[16384];
	size_t body_len;
	bool body_overflow;
} job_t;

typedef struct client {
	unsigned port;
	job_t *jobs;
	size_t count;
	atomic_bool done;
} client_t;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	job_t *j = arg;
	size_t len = size * n;
	if (j->body_len + len >= sizeof(j->body)) {
		j->body_overflow = true;
		return len;
	}
	memcpy(j->body + j->body_len, p, len);
	j->body_len += len;
	j->body[j->body_len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	job_t *j = arg;
	size_t len = size * n;
	if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0) {
		snprintf(j->allow, sizeof(j->allow), "%.*s", (int)(len - 7), p + 7);
		j->allow[strcspn(j->allow, "\r\n")] = '\0';
	}
	return len;
}

static void *client_main(void *arg)
{
	client_t *cl = arg;
	for (size_t i = 0; i < cl->count; i++) {
		job_t *j = &cl->jobs[i];
		char url[256];
		snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", cl->port, j->path);
		CURL *c = curl_easy_init();
		if (c == NULL) {
			j->rc = CURLE_FAILED_INIT;
			continue;
		}
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
		if (strcmp(j->method, "HEAD") == 0) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(j->method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, "reset=all");
		} else if (strcmp(j->method, "GET") != 0) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
		}
		j->rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
		char *type = NULL;
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
		snprintf(j->type, sizeof(j->type), "%s", type != NULL ? type : "");
		curl_easy_cleanup(c);
	}
	atomic_store(&cl->done, true);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The event loop of the test: runs the listener until the client is done. */
static void drive(metrics_http_t *h, client_t *cl)
{
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, client_main, cl), 0);
	int64_t deadline = now_ms() + DRIVE_DEADLINE_MS;
	while (!atomic_load(&cl->done) && now_ms() < deadline) {
		struct pollfd pfd = {.fd = metrics_http_fd(h), .events = POLLIN};
		if (poll(&pfd, 1, 20) > 0) {
			metrics_http_run(h);
		}
	}
	bool finished = atomic_load(&cl->done);
	if (!finished) {
		/* The client gives up on its own (CURLOPT_TIMEOUT_MS). */
		pthread_join(t, NULL);
		fail_msg("the client did not finish within %d ms", DRIVE_DEADLINE_MS);
	}
	pthread_join(t, NULL);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	assert_non_null(dir);
	int n = 0;
	while (readdir(dir) != NULL) {
		n++;
	}
	closedir(dir);
	return n;
}

static void assert_job(const job_t *j, long status, const char *type)
{
	if (j->rc != CURLE_OK || j->status != status || strcmp(j->type, type) != 0) {
		fail_msg("%s %s: curl %d (%s), status %ld, type '%s'; expected %ld '%s'", j->method,
			 j->path, j->rc, curl_easy_strerror(j->rc), j->status, j->type, status,
			 type);
	}
}

static void test_http_serves(void **state)
{
	(void)state;
	int fds_before = count_fds();
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_set_active(m, true);
	metrics_count_renewal(m, "ok");
	metrics_set_lease(m, 1769571600, 9, "dr");
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "127.0.0.1:0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	unsigned port = metrics_http_port(h);
	assert_true(port > 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_string_equal(metrics_http_address(h), addr);
	assert_true(metrics_http_fd(h) >= 0);

	job_t jobs[] = {
		{.path = "/metrics", .method = "GET"},
		{.path = "/metrics", .method = "HEAD"},
		{.path = "/healthz", .method = "GET"},
		{.path = "/healthz", .method = "HEAD"},
		{.path = "/nope", .method = "GET"},
		{.path = "/", .method = "GET"},
		{.path = "/metrics", .method = "POST"},
		{.path = "/healthz", .method = "DELETE"},
		{.path = "/metrics?debug=1", .method = "GET"},
	};
	client_t cl = {.port = port, .jobs = jobs, .count = sizeof(jobs) / sizeof(jobs[0])};
	drive(h, &cl);

	const char *prom = "text/plain; version=0.0.4; charset=utf-8";
	const char *text = "text/plain; charset=utf-8";
	char *page = render(m);
	assert_job(&jobs[0], 200, prom);
	assert_false(jobs[0].body_overflow);
	assert_string_equal(jobs[0].body, page);
	assert_job(&jobs[1], 200, prom);
	assert_int_equal(jobs[1].body_len, 0);
	assert_job(&jobs[2], 200, text);
	assert_string_equal(jobs[2].body, "ok\n");
	assert_job(&jobs[3], 200, text);
	assert_int_equal(jobs[3].body_len, 0);
	assert_job(&jobs[4], 404, text);
	assert_job(&jobs[5], 404, text);
	assert_job(&jobs[6], 405, text);
	assert_string_equal(jobs[6].allow, "GET, HEAD");
	assert_job(&jobs[7], 405, text);
	assert_string_equal(jobs[7].allow, "GET, HEAD");
	assert_job(&jobs[8], 200, prom);
	assert_string_equal(jobs[8].body, page);
	free(page);

	/* The page is rendered per request: a change shows on the next scrape. */
	metrics_count_failover(m);
	job_t again[] = {{.path = "/metrics", .method = "GET"}};
	client_t cl2 = {.port = port, .jobs = again, .count = 1};
	drive(h, &cl2);
	assert_job(&again[0], 200, prom);
	assert_true(has_line(again[0].body, "dnsfailover_failovers_total 1"));

	metrics_http_stop(h);
	metrics_free(m);
	/* The listening socket, the epoll sets and the timer are all closed. */
	assert_int_equal(count_fds(), fds_before);
}

/* A client that sends half a request and waits holds one connection, not the
 * loop: another client is served meanwhile. */
static void test_http_slow_client(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("primary");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "127.0.0.1:0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	int slow = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(slow >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(metrics_http_port(h)),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(slow, (struct sockaddr *)&sin, sizeof(sin)), 0);
	const char *half = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	assert_int_equal(send(slow, half, strlen(half), MSG_NOSIGNAL), (ssize_t)strlen(half));

	job_t jobs[] = {{.path = "/healthz", .method = "GET"},
			{.path = "/metrics", .method = "GET"}};
	client_t cl = {.port = metrics_http_port(h), .jobs = jobs, .count = 2};
	drive(h, &cl);
	assert_job(&jobs[0], 200, "text/plain; charset=utf-8");
	assert_string_equal(jobs[0].body, "ok\n");
	assert_job(&jobs[1], 200, "text/plain; version=0.0.4; charset=utf-8");

	/* The held connection was never answered. */
	char buf[16];
	assert_int_equal(recv(slow, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(slow);
	metrics_http_stop(h);
	metrics_free(m);
}

static int connect_to(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	const char *half = "GET /metrics HTTP/1.1\r\n";
	assert_int_equal(send(s, half, strlen(half), MSG_NOSIGNAL), (ssize_t)strlen(half));
	return s;
}

/* One address gets METRICS_HTTP_CONN_PER_IP connections; the next one is
 * closed at once, and the others stay until their timeout. */
static void test_http_connection_limit(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "127.0.0.1:0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	int held[METRICS_HTTP_CONN_PER_IP];
	for (size_t i = 0; i < METRICS_HTTP_CONN_PER_IP; i++) {
		held[i] = connect_to(metrics_http_port(h));
		/* Accepted one at a time, so the last one is the one refused. */
		for (int k = 0; k < 5; k++) {
			struct pollfd pfd = {.fd = metrics_http_fd(h), .events = POLLIN};
			if (poll(&pfd, 1, 20) > 0) {
				metrics_http_run(h);
			}
		}
	}
	int extra = connect_to(metrics_http_port(h));
	int64_t deadline = now_ms() + 3000;
	bool closed = false;
	while (!closed && now_ms() < deadline) {
		struct pollfd pfd[2] = {{.fd = metrics_http_fd(h), .events = POLLIN},
					{.fd = extra, .events = POLLIN}};
		if (poll(pfd, 2, 20) > 0 && pfd[0].revents != 0) {
			metrics_http_run(h);
		}
		char c;
		closed = pfd[1].revents != 0 && recv(extra, &c, 1, MSG_DONTWAIT) <= 0;
	}
	assert_true(closed);
	for (size_t i = 0; i < METRICS_HTTP_CONN_PER_IP; i++) {
		char c;
		assert_int_equal(recv(held[i], &c, 1, MSG_DONTWAIT), -1);
		close(held[i]);
	}
	close(extra);

	/* Once they are gone, clients are served again. */
	job_t jobs[] = {{.path = "/healthz", .method = "GET"}};
	client_t cl = {.port = metrics_http_port(h), .jobs = jobs, .count = 1};
	drive(h, &cl);
	assert_job(&jobs[0], 200, "text/plain; charset=utf-8");
	metrics_http_stop(h);
	metrics_free(m);
}

/* Runs the listener for ms milliseconds, as the daemon's loop would. */
static void pump(metrics_http_t *h, int ms)
{
	int64_t end = now_ms() + ms;
	while (now_ms() < end) {
		struct pollfd pfd = {.fd = metrics_http_fd(h), .events = POLLIN};
		if (poll(&pfd, 1, 10) > 0) {
			metrics_http_run(h);
		}
	}
}

/* A socket from source address src (a loopback address) to 127.0.0.1:port
 * with half a request sent. */
static int connect_from(const char *src, uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in from = {.sin_family = AF_INET};
	assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
	assert_int_equal(bind(s, (struct sockaddr *)&from, sizeof(from)), 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	const char *half = "GET /metrics HTTP/1.1\r\n";
	assert_int_equal(send(s, half, strlen(half), MSG_NOSIGNAL), (ssize_t)strlen(half));
	return s;
}

/* Every connection taken (from as few addresses as the per-address limit
 * allows), then all closed at once, so that the listener sees every close in
 * one run: it must take new connections again. */
static void test_http_full_then_closed(void **state)
{
	(void)state;
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "127.0.0.1:0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	uint16_t port = metrics_http_port(h);
	int held[METRICS_HTTP_CONN_MAX];
	for (size_t i = 0; i < METRICS_HTTP_CONN_MAX; i++) {
		char src[32];
		snprintf(src, sizeof(src), "127.0.0.%zu", 10 + i / METRICS_HTTP_CONN_PER_IP);
		held[i] = connect_from(src, port);
	}
	pump(h, 300);
	for (size_t i = 0; i < METRICS_HTTP_CONN_MAX; i++) {
		char c;
		/* Accepted and unanswered, not refused. */
		assert_int_equal(recv(held[i], &c, 1, MSG_DONTWAIT), -1);
		close(held[i]);
	}
	/* Let every close arrive before the listener runs again. */
	struct timespec settle = {.tv_nsec = 50 * 1000000L};
	nanosleep(&settle, NULL);

	job_t jobs[] = {{.path = "/healthz", .method = "GET"}};
	client_t cl = {.port = port, .jobs = jobs, .count = 1};
	drive(h, &cl);
	assert_job(&jobs[0], 200, "text/plain; charset=utf-8");
	metrics_http_stop(h);
	metrics_free(m);
}

static void test_http_ipv6(void **state)
{
	(void)state;
	int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&lo, sizeof(lo)) == 0;
	if (probe >= 0) {
		close(probe);
	}
	if (!have_v6) {
		skip();
	}
	metrics_t *m = metrics_new("dr");
	assert_non_null(m);
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "[::1]:0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	char addr[64];
	snprintf(addr, sizeof(addr), "[::1]:%u", (unsigned)metrics_http_port(h));
	assert_string_equal(metrics_http_address(h), addr);
	metrics_http_stop(h);

	/* ":port" listens on every address, IPv4 included. */
	ret = metrics_http_start(&h, ":0", m, &d);
	if (ret != DF_OK) {
		fail_msg("start: %d %s", ret, d.msg);
	}
	job_t jobs[] = {{.path = "/healthz", .method = "GET"}};
	client_t cl = {.port = metrics_http_port(h), .jobs = jobs, .count = 1};
	drive(h, &cl);
	assert_job(&jobs[0], 200, "text/plain; charset=utf-8");
	metrics_http_stop(h);
	metrics_free(m);
}

static int setup_curl(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown_curl(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_every_metric),
		cmocka_unit_test(test_render_counts),
		cmocka_unit_test(test_render_escapes_labels),
		cmocka_unit_test(test_render_nonfinite),
		cmocka_unit_test(test_render_buffer_sizes),
		cmocka_unit_test(test_parse_listen_good),
		cmocka_unit_test(test_parse_listen_bad),
		cmocka_unit_test(test_start_bad_listen),
		cmocka_unit_test(test_start_port_in_use),
		cmocka_unit_test(test_http_serves),
		cmocka_unit_test(test_http_slow_client),
		cmocka_unit_test(test_http_connection_limit),
		cmocka_unit_test(test_http_full_then_closed),
		cmocka_unit_test(test_http_ipv6),
	};
	return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}
