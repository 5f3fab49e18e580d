/*
 * Unit tests for src/http/http_client.c against servers this test runs
 * itself (unit_http_server.c): a thread serving scripted HTTP answers on
 * 127.0.0.1 (plain, or HTTPS behind a CA made at test time), the same on a
 * unix socket, and a stand-in proxy that only records that it was contacted.
 * The paths the server knows:
 *
 *   /ok           200 "hello\n"
 *   /silent       reads the request, never answers
 *   /big-length   200 with 10000 bytes and their Content-Length
 *   /big-stream   200 with 10000 bytes and no length (until close)
 *   /to-ok        302 to /ok (same host)
 *   /to-other     302 to http://localhost:<port>/ok (another host name, same server)
 *   /to-plain     302 to http://127.0.0.1:<port>/ok (from https, to http)
 *   /loop         302 to itself
 *   /error-json   500 with a JSON "message" holding control characters
 *   /error-raw    502 with an HTML body holding control and non-UTF-8 bytes
 *   /echo         200 "<method> <body length> <body>"
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/http/http_client.h"
#include "tests/unit/src/http/unit_http_server.h"

#define BIG 10000 /* bytes of /big-length and /big-stream */

static char tmpdir[64];
static char ca_path[128];    /* the CA that signed the server's certificate */
static char other_ca[128];   /* a CA that did not */
static char missing_ca[128]; /* no such file */

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/df-http-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", tmpdir);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.crt", tmpdir);
	snprintf(missing_ca, sizeof(missing_ca), "%s/no-ca.crt", tmpdir);
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

/* ---- the servers ---- */

struct server {
	unit_http_server_t *srv;
	uint16_t port;	     /* TCP; 0 on a unix socket */
	char path[128];	     /* the unix socket, or "" */
	bool proxy;	     /* answers every request "proxied", whatever it asks */
	SSL_CTX *ctx;	     /* HTTPS when not NULL */
	atomic_int requests; /* requests read */
	atomic_int ok_hits;  /* of /ok */
};

static void respond(unit_http_conn_t *c, int status, const char *extra, const char *body,
		    size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n%sContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, extra, len);
	if (unit_http_send(c, head, (size_t)n)) {
		unit_http_send(c, body, len);
	}
}

static void redirect(unit_http_conn_t *c, const char *location)
{
	char extra[256];
	snprintf(extra, sizeof(extra), "Location: %s\r\n", location);
	respond(c, 302, extra, "moved\n", 6);
}

static void handle(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq)
{
	static const char error_json[] = "{\"message\":\"disk \\u001b[31mfull\\u0007 "
					 "\\u00e9t\\u00e9\",\"code\":500}\n";
	static const char error_raw[] = "<html>\x01\x02 bad \xff\xfe gateway\r\n</html>";
	struct server *s = arg;
	char big[BIG], loc[128], body[sizeof(rq->body) + 64];
	const char *t = rq->target;

	atomic_fetch_add(&s->requests, 1);
	if (s->proxy) {
		respond(c, 200, "", "proxied\n", 8);
		return;
	}
	if (strcmp(t, "/ok") == 0) {
		atomic_fetch_add(&s->ok_hits, 1);
		respond(c, 200, "", "hello\n", 6);
	} else if (strcmp(t, "/silent") == 0) {
		unit_http_hold(c);
	} else if (strcmp(t, "/big-length") == 0) {
		memset(big, 'x', sizeof(big));
		respond(c, 200, "", big, sizeof(big));
	} else if (strcmp(t, "/big-stream") == 0) {
		static const char head[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
		memset(big, 'x', sizeof(big));
		if (unit_http_send(c, head, sizeof(head) - 1)) {
			for (size_t i = 0; i < sizeof(big); i += 1000) {
				unit_http_send(c, big + i, 1000);
			}
		}
	} else if (strcmp(t, "/to-ok") == 0) {
		redirect(c, "/ok");
	} else if (strcmp(t, "/to-other") == 0) {
		snprintf(loc, sizeof(loc), "http://localhost:%u/ok", (unsigned)s->port);
		redirect(c, loc);
	} else if (strcmp(t, "/to-plain") == 0) {
		snprintf(loc, sizeof(loc), "http://127.0.0.1:%u/ok", (unsigned)s->port);
		redirect(c, loc);
	} else if (strcmp(t, "/loop") == 0) {
		redirect(c, "/loop");
	} else if (strcmp(t, "/error-json") == 0) {
		respond(c, 500, "", error_json, sizeof(error_json) - 1);
	} else if (strcmp(t, "/error-raw") == 0) {
		respond(c, 502, "", error_raw, sizeof(error_raw) - 1);
	} else if (strcmp(t, "/echo") == 0) {
		int n = snprintf(body, sizeof(body), "%s %zu %.*s", rq->method, rq->body_len,
				 (int)rq->body_len, rq->body);
		respond(c, 200, "", body, (size_t)n);
	} else {
		respond(c, 404, "", "not found\n", 10);
	}
}

static struct server *server_new(void)
{
	struct server *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	atomic_init(&s->requests, 0);
	atomic_init(&s->ok_hits, 0);
	return s;
}

/* A server on 127.0.0.1 at an ephemeral port; HTTPS when tls. */
static struct server *server_start(bool tls, bool proxy)
{
	struct server *s = server_new();

	s->proxy = proxy;
	if (tls) {
		s->ctx = unit_http_tls_server_ctx();
	}
	int lfd = unit_http_listen_tcp(16, &s->port);
	s->srv = unit_http_server_start(lfd, s->ctx, handle, s);
	return s;
}

/* A plain HTTP server on a unix socket in the test's directory. */
static struct server *server_start_unix(void)
{
	struct server *s = server_new();

	snprintf(s->path, sizeof(s->path), "%s/http.sock", tmpdir);
	s->srv = unit_http_server_start(unit_http_listen_unix(s->path), NULL, handle, s);
	return s;
}

static void server_stop(struct server *s)
{
	unit_http_server_stop(s->srv);
	if (s->path[0] != '\0') {
		unlink(s->path);
	}
	SSL_CTX_free(s->ctx);
	free(s);
}

/* ---- requests ---- */

static http_options_t options(void)
{
	http_options_t o = {
		.connect_timeout_ms = 2000,
		.timeout_ms = 3000,
		.body_max = 4096,
	};
	return o;
}

static http_request_t *request(const char *method, const struct server *s, const char *path,
			       const http_options_t *opt)
{
	char url[256];
	http_request_t *req = NULL;
	df_detail_t d;

	memset(&d, 0, sizeof(d));
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", s->ctx != NULL ? "https" : "http",
		 (unsigned)s->port, path);
	int ret = http_request_new(&req, method, url, opt, &d);
	if (ret != DF_OK) {
		fail_msg("http_request_new: %d %s", ret, d.msg);
	}
	return req;
}

static int perform(http_request_t *req)
{
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	return http_client_perform(req, &d);
}

static void expect_body(const http_request_t *req, const char *want)
{
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	assert_int_equal(len, strlen(want));
	assert_string_equal(body, want);
}

#define assert_has(text, needle)                                           \
	do {                                                               \
		if (strstr((text), (needle)) == NULL) {                    \
			fail_msg("\"%s\" lacks \"%s\"", (text), (needle)); \
		}                                                          \
	} while (0)

/* ---- the tests ---- */

static void test_get(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	http_request_t *req = request("GET", s, "/ok", &o);

	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_NONE);
	assert_int_equal(http_request_status(req), 200);
	expect_body(req, "hello\n");
	/* A request may be performed again. */
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	assert_int_equal(atomic_load(&s->ok_hits), 2);
	http_request_free(req);

	/* A status is an answer, not an error. */
	req = request("GET", s, "/nowhere", &o);
	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 404);
	http_request_free(req);
	server_stop(s);
}

static void test_methods(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	http_request_t *req = request("POST", s, "/echo", &o);

	/* No body set: an empty one (never stdin). */
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "POST 0 ");
	assert_int_equal(http_request_set_body(req, "{\"a\":1}", 7), DF_OK);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "POST 7 {\"a\":1}");
	http_request_free(req);

	req = request("PATCH", s, "/echo", &o);
	assert_int_equal(http_request_add_header(req, "Content-Type: application/merge-patch+json"),
			 DF_OK);
	assert_int_equal(http_request_set_body(req, "{\"spec\":{}}", 11), DF_OK);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "PATCH 11 {\"spec\":{}}");
	/* A header line is one line. */
	assert_int_equal(http_request_add_header(req, "X-A: 1\r\nX-B: 2"), DF_EINVAL);
	/* Basic credentials: a ':' in the user or a line break cannot be carried. */
	assert_int_equal(http_request_basic_auth(req, "us:er", "pw"), DF_EINVAL);
	assert_int_equal(http_request_basic_auth(req, "user", "p\nw"), DF_EINVAL);
	assert_int_equal(http_request_basic_auth(req, "user", "pa:ss word"), DF_OK);
	assert_int_equal(perform(req), DF_OK);
	http_request_free(req);

	req = request("DELETE", s, "/echo", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "DELETE 0 ");
	http_request_free(req);

	req = request("GET", s, "/echo", &o);
	assert_int_equal(http_request_set_body(req, "x", 1), DF_EINVAL);
	http_request_free(req);
	server_stop(s);
}

/* A server that takes the request and never answers: bounded by timeout_ms. */
static void test_timeout(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	o.timeout_ms = 200;
	http_request_t *req = request("GET", s, "/silent", &o);

	int64_t t0 = clock_mono_ms();
	assert_int_equal(perform(req), DF_ETIMEDOUT);
	int64_t ms = clock_mono_ms() - t0;
	assert_int_equal(http_request_fail(req), HTTP_FAIL_TIMEOUT);
	assert_int_equal(http_request_status(req), 0);
	assert_has(http_request_reason(req), "timed out");
	if (ms < 150 || ms > 700) {
		fail_msg("silent server: took %lld ms, expected about 200", (long long)ms);
	}
	http_request_free(req);
	server_stop(s);
}

static void test_body_cap(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	o.body_max = BIG - 1;

	/* Declared too long, and found too long while streaming. */
	static const char *const paths[] = {"/big-length", "/big-stream"};
	for (size_t i = 0; i < 2; i++) {
		http_request_t *req = request("GET", s, paths[i], &o);
		assert_int_equal(perform(req), DF_ERANGE);
		assert_int_equal(http_request_fail(req), HTTP_FAIL_BODY_MAX);
		assert_has(http_request_reason(req), "exceeds 9999 bytes");
		expect_body(req, "");
		http_request_free(req);
	}
	/* Exactly the cap is fine. */
	o.body_max = BIG;
	for (size_t i = 0; i < 2; i++) {
		http_request_t *req = request("GET", s, paths[i], &o);
		size_t len = 0;
		assert_int_equal(perform(req), DF_OK);
		http_request_body(req, &len);
		assert_int_equal(len, BIG);
		http_request_free(req);
	}
	server_stop(s);
}

static void test_redirect_not_followed(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	http_request_t *req = request("GET", s, "/to-ok", &o);

	/* Not asked to follow: the 302 is the answer. */
	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 302);
	assert_int_equal(atomic_load(&s->ok_hits), 0);
	http_request_free(req);
	server_stop(s);
}

static void test_redirect_same_host(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	o.max_redirects = 3;
	http_request_t *req = request("GET", s, "/to-ok", &o);

	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 200);
	expect_body(req, "hello\n");
	assert_int_equal(atomic_load(&s->ok_hits), 1);
	http_request_free(req);

	/* "localhost" is another host than "127.0.0.1", if the same machine. */
	req = request("GET", s, "/to-other", &o);
	assert_int_equal(perform(req), DF_ENETWORK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_REDIRECT);
	assert_has(http_request_reason(req), "redirect to localhost refused");
	assert_int_equal(atomic_load(&s->ok_hits), 1);
	http_request_free(req);

	req = request("GET", s, "/loop", &o);
	assert_int_equal(perform(req), DF_ENETWORK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_REDIRECT);
	/* /to-ok and /ok, /to-other alone, then /loop and 3 redirects followed. */
	assert_int_equal(atomic_load(&s->requests), 2 + 1 + 4);
	http_request_free(req);
	server_stop(s);
}

static const char *const proxy_vars[] = {"http_proxy",	"HTTP_PROXY", "https_proxy",
					 "HTTPS_PROXY", "ALL_PROXY",  "all_proxy"};

static void set_proxy_env(const struct server *proxy)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)proxy->port);
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++) {
		setenv(proxy_vars[i], url, 1);
	}
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
}

static void unset_proxy_env(void)
{
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++) {
		unsetenv(proxy_vars[i]);
	}
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void test_proxy_env_ignored(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	struct server *tls = server_start(true, false);
	struct server *proxy = server_start(false, true);
	http_options_t o = options();
	char url[128];

	set_proxy_env(proxy);
	/* The environment does reach libcurl left to itself: the test means something. */
	CURL *c = curl_easy_init();
	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", (unsigned)s->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	assert_int_equal(atomic_load(&proxy->requests), 1);
	assert_int_equal(atomic_load(&s->ok_hits), 0);

	/* The client goes straight to the server, over http and https. */
	http_request_t *req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	http_request_free(req);
	o.ca_file = ca_path;
	req = request("GET", tls, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	http_request_free(req);
	assert_int_equal(atomic_load(&proxy->requests), 1);
	assert_int_equal(atomic_load(&s->ok_hits), 1);
	assert_int_equal(atomic_load(&tls->ok_hits), 1);

	/* A proxy the caller names is used, and NO_PROXY is the caller's too. */
	unset_proxy_env();
	setenv("no_proxy", "127.0.0.1", 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)proxy->port);
	o.ca_file = NULL;
	o.proxy = url;
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "proxied\n");
	http_request_free(req);
	assert_int_equal(atomic_load(&proxy->requests), 2);
	o.no_proxy = "127.0.0.1";
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	http_request_free(req);
	assert_int_equal(atomic_load(&proxy->requests), 2);
	unsetenv("no_proxy");

	/* A proxy that is down: no way around it, and the reason names it
	 * without its credentials. */
	unsigned dead = (unsigned)proxy->port;
	server_stop(proxy);
	snprintf(url, sizeof(url), "http://user:s3cret@127.0.0.1:%u", dead);
	o.no_proxy = NULL;
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_ECONNREFUSED);
	char want[64];
	snprintf(want, sizeof(want), "(through the proxy http://127.0.0.1:%u)", dead);
	assert_non_null(strstr(http_request_reason(req), want));
	assert_null(strstr(http_request_reason(req), "s3cret"));
	http_request_free(req);
	assert_int_equal(atomic_load(&s->ok_hits), 2);

	server_stop(tls);
	server_stop(s);
}

static void test_unix_socket(void **state)
{
	(void)state;
	struct server *s = server_start_unix();
	http_options_t o = options();
	http_request_t *req = NULL;
	df_detail_t d;
	char path[sizeof(s->path)];

	memcpy(path, s->path, sizeof(path));
	o.unix_socket = path;
	memset(&d, 0, sizeof(d));
	assert_int_equal(http_request_new(&req, "GET", "http://localhost/ok", &o, &d), DF_OK);
	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 200);
	expect_body(req, "hello\n");
	http_request_free(req);
	server_stop(s);

	/* No socket there any more. */
	assert_int_equal(http_request_new(&req, "GET", "http://localhost/ok", &o, &d), DF_OK);
	assert_int_equal(perform(req), DF_ECONNREFUSED);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_CONNECT);
	http_request_free(req);
}

static void test_error_body(void **state)
{
	(void)state;
	struct server *s = server_start(false, false);
	http_options_t o = options();
	char msg[256];

	http_request_t *req = request("GET", s, "/error-json", &o);
	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 500);
	http_request_message(req, msg, sizeof(msg));
	/* Control characters blanked, UTF-8 kept. */
	assert_string_equal(msg, "disk  [31mfull  \xc3\xa9t\xc3\xa9");
	http_request_free(req);

	req = request("GET", s, "/error-raw", &o);
	assert_int_equal(perform(req), DF_OK);
	assert_int_equal(http_request_status(req), 502);
	http_request_message(req, msg, sizeof(msg));
	assert_string_equal(msg, "unexpected body: <html>   bad ?? gateway  </html>");
	http_request_free(req);
	server_stop(s);
}

static void test_message(void **state)
{
	(void)state;
	char msg[256], small[24], body[400];

	http_client_message(NULL, 0, msg, sizeof(msg));
	assert_string_equal(msg, "no message");
	http_client_message("", 0, msg, sizeof(msg));
	assert_string_equal(msg, "no message");
	http_client_message("{\"message\":\"\"}", 14, msg, sizeof(msg));
	assert_string_equal(msg, "unexpected body: {\"message\":\"\"}");
	/* An excerpt is short: 120 bytes of the body at most. */
	memset(body, 'a', sizeof(body));
	body[sizeof(body) - 1] = '\0';
	http_client_message(body, strlen(body), msg, sizeof(msg));
	assert_int_equal(strlen(msg), strlen("unexpected body: ") + 120);
	/* Cut inside a UTF-8 sequence: the broken end is replaced. */
	static const char cut[] = "{\"message\":\"aaaaaaaaaaaaaaaaaaaaaa\\u00e9\"}";
	http_client_message(cut, strlen(cut), small, sizeof(small));
	assert_string_equal(small, "aaaaaaaaaaaaaaaaaaaaaa?");
	/* Overlong forms, surrogates and C1 controls are not passed on. */
	static const char bad[] = "\xc0\xaf \xed\xa0\x80 \xc2\x85 \xf4\x90\x80\x80 ok";
	http_client_message(bad, strlen(bad), msg, sizeof(msg));
	assert_string_equal(msg, "unexpected body: ?? ??? ?? ???? ok");
	/* Nothing is written to nowhere. */
	http_client_message("x", 1, msg, 0);
}

static void test_tls(void **state)
{
	(void)state;
	struct server *s = server_start(true, false);
	http_options_t o = options();

	o.ca_file = ca_path;
	http_request_t *req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	http_request_free(req);

	/* The wrong CA: the handshake fails and no request is sent. */
	o.ca_file = other_ca;
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_ENETWORK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_TLS);
	assert_has(http_request_reason(req), "certificate");
	http_request_free(req);
	/* No CA file: libcurl's store, which does not know this CA either (or is missing). */
	o.ca_file = NULL;
	req = request("GET", s, "/ok", &o);
	assert_int_not_equal(perform(req), DF_OK);
	assert_true(http_request_fail(req) == HTTP_FAIL_TLS ||
		    http_request_fail(req) == HTTP_FAIL_CA_FILE);
	http_request_free(req);
	/* A CA file that is not there. */
	o.ca_file = missing_ca;
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_ECONFIG);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_CA_FILE);
	http_request_free(req);
	assert_int_equal(atomic_load(&s->requests), 1);
	/* tls_no_verify (an operator's *_VERIFY_SSL=false): the wrong CA passes. */
	o.ca_file = other_ca;
	o.tls_no_verify = true;
	req = request("GET", s, "/ok", &o);
	assert_int_equal(perform(req), DF_OK);
	expect_body(req, "hello\n");
	http_request_free(req);
	o.tls_no_verify = false;

	/* Never from https to http, even on the same host. */
	o.ca_file = ca_path;
	o.max_redirects = 3;
	req = request("GET", s, "/to-plain", &o);
	assert_int_equal(perform(req), DF_ENETWORK);
	assert_int_equal(http_request_fail(req), HTTP_FAIL_REDIRECT);
	assert_has(http_request_reason(req), "from https to http refused");
	http_request_free(req);
	assert_int_equal(atomic_load(&s->ok_hits), 2);
	server_stop(s);
}

static void test_new_validates(void **state)
{
	(void)state;
	http_options_t o = options();
	http_request_t *req = (http_request_t *)&o; /* must stay untouched */
	http_request_t *const untouched = req;
	df_detail_t d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(http_request_new(&req, "BREW", "http://127.0.0.1/", &o, &d), DF_EINVAL);
	assert_has(d.msg, "method BREW is not supported");
	assert_int_equal(http_request_new(&req, "GET", "", &o, &d), DF_EINVAL);
	assert_int_equal(http_request_new(&req, "GET", "http://127.0.0.1/", NULL, &d), DF_EINVAL);
	o.timeout_ms = 0;
	assert_int_equal(http_request_new(&req, "GET", "http://127.0.0.1/", &o, &d), DF_EINVAL);
	o = options();
	o.body_max = 0;
	assert_int_equal(http_request_new(&req, "GET", "http://127.0.0.1/", &o, NULL), DF_EINVAL);
	assert_ptr_equal(req, untouched);
	assert_int_equal(http_client_perform(NULL, NULL), DF_EINVAL);
	http_request_free(NULL);
}

static void test_helpers(void **state)
{
	(void)state;
	char buf[32];
	const char *reason = NULL;

	char *e = http_client_escape("../../info x~_-.Z9");
	assert_non_null(e);
	assert_string_equal(e, "..%2F..%2Finfo%20x~_-.Z9");
	free(e);
	e = http_client_escape("\xc3\xa9");
	assert_string_equal(e, "%C3%A9");
	free(e);

	assert_string_equal(http_client_duration(buf, sizeof(buf), 10000), "10 s");
	assert_string_equal(http_client_duration(buf, sizeof(buf), 250), "250 ms");
	assert_string_equal(http_client_duration(buf, sizeof(buf), 1500), "1500 ms");

	assert_true(http_client_url_usable("HTTPS://collector.example:8888/metrics", &reason));
	assert_false(http_client_url_usable("ftp://192.0.2.10/metrics", &reason));
	assert_string_equal(reason, "only http and https are supported");
	assert_false(http_client_url_usable("http://", &reason));
	assert_false(http_client_url_usable("not a url", &reason));
}

int main(void)
{
	/* A client that hangs up must not end the servers with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	unset_proxy_env();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_redirect_same_host),
		cmocka_unit_test(test_proxy_env_ignored),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_new_validates),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
