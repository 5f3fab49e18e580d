/*
 * The HTTP server glue over loopback, spoken to with raw requests: what a
 * handler sees (decoded path, raw target, version, arguments, headers, the
 * whole body however it was sent), the 413 cap in both answer formats, the
 * headers a handler adds, and one request at a time with opts.serial.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/http/http_server.h"

#define SEEN_MAX 256

/* What the last request looked like to the handler. */
typedef struct seen {
	pthread_mutex_t lock;
	unsigned calls;
	char method[16];
	char path[SEEN_MAX];
	char target[SEEN_MAX];
	char version[16];
	char arg_x[SEEN_MAX];
	char header[SEEN_MAX];
	char client[64];
	size_t body_len;
	unsigned long body_sum;
	bool body_nul; /* the body is NUL-terminated */
	unsigned long sleep_ms;
	unsigned inside, inside_max;
} seen_t;

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "(null)");
}

static void handler(void *arg, const http_sreq_t *req, http_response_t *resp)
{
	seen_t *s = arg;
	pthread_mutex_lock(&s->lock);
	s->calls++;
	s->inside++;
	if (s->inside > s->inside_max) {
		s->inside_max = s->inside;
	}
	copy(s->method, sizeof(s->method), http_req_method(req));
	copy(s->path, sizeof(s->path), http_req_path(req));
	copy(s->target, sizeof(s->target), http_req_target(req));
	copy(s->version, sizeof(s->version), http_req_version(req));
	copy(s->arg_x, sizeof(s->arg_x), http_req_arg(req, "x"));
	copy(s->header, sizeof(s->header), http_req_header(req, "x-test"));
	copy(s->client, sizeof(s->client), http_req_client(req));
	size_t len = 0;
	const char *body = http_req_body(req, &len);
	s->body_len = len;
	s->body_sum = 0;
	for (size_t i = 0; i < len; i++) {
		s->body_sum += (unsigned char)body[i];
	}
	s->body_nul = body[len] == '\0';
	unsigned long ms = s->sleep_ms;
	pthread_mutex_unlock(&s->lock);
	if (ms != 0) {
		struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
				      .tv_nsec = (long)(ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&s->lock);
	s->inside--;
	pthread_mutex_unlock(&s->lock);
	if (strcmp(http_req_path(req), "/auth") == 0) {
		http_response_text(resp, 401, "text/plain", "error=1");
		http_response_header(resp, "WWW-Authenticate", "Basic realm=\"test\"");
		return;
	}
	char out[64];
	snprintf(out, sizeof(out), "len=%zu", len);
	http_response_text(resp, 200, "text/plain", out);
}

static http_server_t *start(seen_t *s, bool serial, const char *too_large_text)
{
	http_server_opts_t o = {.listen = "127.0.0.1:0",
				.setting = "listen",
				.conn_max = 16,
				.timeout_s = 10,
				.body_max = 4096,
				.handler = handler,
				.arg = s,
				.serial = serial,
				.too_large_type = too_large_text != NULL ? "text/plain" : NULL,
				.too_large_text = too_large_text};
	http_server_t *srv = NULL;
	df_detail_t d = {{0}};
	assert_int_equal(http_server_start(&srv, &o, &d), DF_OK);
	assert_true(http_server_port(srv) != 0);
	return srv;
}

/* Sends the request in pieces of at most piece bytes; returns the whole answer. */
static char *exchange_at(const struct sockaddr *sa, socklen_t sl, const char *req, size_t len,
			 size_t piece)
{
	int fd = socket(sa->sa_family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, sa, sl), 0);
	for (size_t off = 0; off < len;) {
		size_t n = len - off < piece ? len - off : piece;
		ssize_t w = send(fd, req + off, n, MSG_NOSIGNAL);
		if (w <= 0) {
			break; /* the server may answer 413 and close before the end */
		}
		off += (size_t)w;
		if (piece < len) {
			usleep(2000);
		}
	}
	size_t cap = 65536, used = 0;
	char *buf = calloc(1, cap + 1);
	assert_non_null(buf);
	ssize_t r;
	while (used < cap && (r = recv(fd, buf + used, cap - used, 0)) > 0) {
		used += (size_t)r;
	}
	close(fd);
	buf[used] = '\0';
	return buf;
}

/* The same to 127.0.0.1:port. */
static char *exchange(uint16_t port, const char *req, size_t len, size_t piece)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return exchange_at((struct sockaddr *)&a, sizeof(a), req, len, piece);
}

/* A request sent in one piece. */
static char *ask(uint16_t port, const char *req)
{
	return exchange(port, req, strlen(req), strlen(req));
}

static void test_request_as_seen(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	http_server_t *srv = start(&s, false, NULL);
	const char *req = "GET /a%20b/c?x=1%202&y=z HTTP/1.0\r\nHost: t\r\nX-Test: hello\r\n\r\n";
	char *out = ask(http_server_port(srv), req);
	assert_non_null(strstr(out, " 200 "));
	assert_non_null(strstr(out, "len=0"));
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.method, "GET");
	assert_string_equal(s.path, "/a b/c");
	assert_string_equal(s.target, "/a%20b/c?x=1%202&y=z");
	assert_string_equal(s.version, "HTTP/1.0");
	assert_string_equal(s.arg_x, "1 2");
	assert_string_equal(s.header, "hello");
	assert_string_equal(s.client, "127.0.0.1");
	assert_int_equal(s.body_len, 0);
	assert_true(s.body_nul);
	free(out);
	http_server_stop(srv);
}

static void test_body_whole(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	http_server_t *srv = start(&s, false, NULL);
	/* Content-Length, sent in small pieces, over HTTP/1.1. */
	char body[4096];
	unsigned long sum = 0;
	for (size_t i = 0; i < sizeof(body); i++) {
		body[i] = (char)('a' + i % 26);
		sum += (unsigned char)body[i];
	}
	char req[8192];
	int n = snprintf(req, sizeof(req),
			 "POST /p HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			 "Content-Length: %zu\r\n\r\n%.*s",
			 sizeof(body), (int)sizeof(body), body);
	char *out = exchange(http_server_port(srv), req, (size_t)n, 700);
	assert_non_null(strstr(out, " 200 "));
	assert_non_null(strstr(out, "len=4096"));
	assert_int_equal(s.body_len, sizeof(body));
	assert_int_equal(s.body_sum, sum);
	assert_true(s.body_nul);
	assert_string_equal(s.version, "HTTP/1.1");
	free(out);
	/* Chunked, over HTTP/1.1. */
	const char *chunked = "POST /p HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n"
			      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
	out = exchange(http_server_port(srv), chunked, strlen(chunked), 5);
	assert_non_null(strstr(out, "len=7"));
	assert_int_equal(s.body_len, 7);
	assert_int_equal(s.body_sum, 'a' + 'b' + 'c' + 'd' + 'e' + 'f' + 'g');
	free(out);
	http_server_stop(srv);
}

static char *post_of(size_t len, int *n)
{
	char *req = malloc(len + 256);
	assert_non_null(req);
	*n = snprintf(req, 256, "POST /p HTTP/1.0\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", len);
	memset(req + *n, 'x', len);
	*n += (int)len;
	return req;
}

static void test_too_large(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	int n;
	/* The default answer: a JSON error naming the limit. */
	http_server_t *srv = start(&s, false, NULL);
	char *req = post_of(4097, &n);
	char *out = exchange(http_server_port(srv), req, (size_t)n, 1000);
	assert_non_null(strstr(out, " 413 "));
	assert_non_null(strstr(out, "application/json"));
	assert_non_null(strstr(out, "\"body_too_large\""));
	assert_non_null(strstr(out, "4096 bytes"));
	assert_int_equal(s.calls, 0);
	free(out);
	free(req);
	/* Exactly at the limit reaches the handler. */
	req = post_of(4096, &n);
	out = exchange(http_server_port(srv), req, (size_t)n, 1000);
	assert_non_null(strstr(out, "len=4096"));
	assert_int_equal(s.calls, 1);
	free(out);
	free(req);
	http_server_stop(srv);
	/* The program's own answer. */
	s.calls = 0;
	srv = start(&s, true, "error=1&text=request+body+too+large");
	req = post_of(5000, &n);
	out = exchange(http_server_port(srv), req, (size_t)n, 1000);
	assert_non_null(strstr(out, " 413 "));
	assert_non_null(strstr(out, "text/plain"));
	assert_non_null(strstr(out, "\r\n\r\nerror=1&text=request+body+too+large"));
	assert_int_equal(s.calls, 0);
	free(out);
	free(req);
	http_server_stop(srv);
}

static void test_response_header(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	http_server_t *srv = start(&s, true, NULL);
	const char *req = "GET /auth HTTP/1.0\r\n\r\n";
	char *out = ask(http_server_port(srv), req);
	assert_non_null(strstr(out, " 401 "));
	assert_non_null(strstr(out, "WWW-Authenticate: Basic realm=\"test\"\r\n"));
	assert_non_null(strstr(out, "\r\n\r\nerror=1"));
	free(out);
	http_server_stop(srv);
}

typedef struct client {
	pthread_t t;
	uint16_t port;
	char *out;
} client_t;

static void *client_run(void *arg)
{
	client_t *c = arg;
	c->out = ask(c->port, "GET /slow HTTP/1.0\r\n\r\n");
	return NULL;
}

/* Three slow requests at once: concurrent by default, one by one when serial. */
static unsigned most_at_once(bool serial)
{
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER, .sleep_ms = 300};
	http_server_t *srv = start(&s, serial, NULL);
	client_t c[3];
	for (size_t i = 0; i < 3; i++) {
		c[i].port = http_server_port(srv);
		assert_int_equal(pthread_create(&c[i].t, NULL, client_run, &c[i]), 0);
	}
	for (size_t i = 0; i < 3; i++) {
		pthread_join(c[i].t, NULL);
		assert_non_null(strstr(c[i].out, "len=0"));
		free(c[i].out);
	}
	http_server_stop(srv);
	assert_int_equal(s.calls, 3);
	return s.inside_max;
}

static void test_serial(void **state)
{
	(void)state;
	assert_int_equal(most_at_once(true), 1);
	assert_true(most_at_once(false) > 1);
}

static void test_start_errors(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	http_server_t *srv = NULL;
	df_detail_t d = {{0}};
	http_server_opts_t o = {.listen = "127.0.0.1:0",
				.setting = "listen",
				.tls_cert = "/nonexistent/cert.pem",
				.conn_max = 4,
				.timeout_s = 5,
				.body_max = 10,
				.handler = handler,
				.arg = &s};
	assert_int_equal(http_server_start(&srv, &o, &d), DF_EINVAL);
	assert_null(srv);
	assert_non_null(strstr(d.msg, "tls_key"));
	o.tls_cert = NULL;
	o.listen = "127.0.0.1";
	assert_true(http_server_start(&srv, &o, &d) != DF_OK);
	assert_non_null(strstr(d.msg, "listen \"127.0.0.1\""));
}

/* ":port" is every address: IPv4 and, where the host has it, IPv6. */
static void test_listen_any(void **state)
{
	(void)state;
	seen_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	http_server_opts_t o = {.listen = ":0",
				.setting = "listen",
				.conn_max = 4,
				.timeout_s = 5,
				.body_max = 10,
				.handler = handler,
				.arg = &s};
	http_server_t *srv = NULL;
	df_detail_t d = {{0}};
	assert_int_equal(http_server_start(&srv, &o, &d), DF_OK);
	const char *req = "GET /x HTTP/1.0\r\n\r\n";
	char *out = ask(http_server_port(srv), req);
	assert_non_null(strstr(out, "len=0"));
	assert_string_equal(s.client, "127.0.0.1");
	free(out);
	/* IPv6 where the host has a ::1 to bind. */
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool have_v6 = fd >= 0 && bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0;
	if (fd >= 0) {
		close(fd);
	}
	if (have_v6) {
		a6.sin6_port = htons(http_server_port(srv));
		out = exchange_at((struct sockaddr *)&a6, sizeof(a6), req, strlen(req),
				  strlen(req));
		assert_non_null(strstr(out, "len=0"));
		assert_string_equal(s.client, "::1");
		free(out);
	}
	assert_int_equal(s.calls, have_v6 ? 2 : 1);
	http_server_stop(srv);
}

static void test_parse_listen(void **state)
{
	(void)state;
	static const struct {
		const char *in, *host;
		uint16_t port;
	} good[] = {
		{"127.0.0.1:8053", "127.0.0.1", 8053},
		{":80", "", 80},
		{"[::1]:0", "::1", 0},
		{"localhost:65535", "localhost", 65535},
	};
	char host[64];
	uint16_t port;
	df_detail_t d = {{0}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
			http_parse_listen(good[i].in, "listen", host, sizeof(host), &port, &d),
			DF_OK);
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
	}
	static const char *const bad[] = {"",	     "127.0.0.1", "::1:80", "[::1]80", "[]:80",
					  "h:65536", "h:",	  "h:8x",   "h:123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(http_parse_listen(bad[i], "listen", host, sizeof(host), &port, &d) !=
			    DF_OK);
		assert_non_null(strstr(d.msg, "listen"));
	}
	assert_int_equal(
		http_parse_listen("averyveryverylonghostname:80", "listen", host, 8, &port, &d),
		DF_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_as_seen), cmocka_unit_test(test_body_whole),
		cmocka_unit_test(test_too_large),	cmocka_unit_test(test_response_header),
		cmocka_unit_test(test_serial),		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_listen_any),	cmocka_unit_test(test_parse_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
