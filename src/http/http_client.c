/*
 * The HTTP client over libcurl's easy handle: one place for the options
 * every call shares (TLS verification, timeouts, proxies, redirects, the
 * body cap) and for reading what came back.
 */
#include "src/http/http_client.h"

#include <config.h> /* the build's, for PACKAGE_VERSION */

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/evp.h>

/* Body buffers above this size are released by http_request_drop_body(). */
#define BODY_KEEP (1u << 20)
/* The part of a body that is not the API's JSON shown in a message. */
#define EXCERPT_MAX 120

struct body {
	char *buf; /* NUL-terminated when not NULL */
	size_t len, cap;
	bool over;  /* the body passed the cap */
	bool nomem; /* growing the buffer failed */
};

struct http_request {
	CURL *easy;
	char *method;
	char *url;
	http_options_t opt; /* its strings are copies owned here */
	struct curl_slist *headers;
	char *send;	 /* the request body, or NULL */
	size_t send_len; /* its length */

	/* the last transfer */
	struct body body;
	long status;
	http_fail_t fail;
	long header_status; /* status line of the answer being received */
	bool redirect_refused;
	char content_type[128]; /* of the last answer, "" when none */
	char set_cookie[512];	/* its first Set-Cookie, name=value only */
	char errbuf[CURL_ERROR_SIZE];
	char reason[CURL_ERROR_SIZE + 128];
};

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

/* ---- text for messages ---- */

/* Length of the UTF-8 sequence at s (of at most n bytes), 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		if (c == 0xc2) {
			lo = 0xa0; /* U+0080 to U+009F are C1 control characters */
		}
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0) {
			lo = 0xa0; /* overlong */
		} else if (c == 0xed) {
			hi = 0x9f; /* surrogates */
		}
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0) {
			lo = 0x90; /* overlong */
		} else if (c == 0xf4) {
			hi = 0x8f; /* above U+10FFFF */
		}
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (size_t i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf) {
			return 0;
		}
	}
	return len;
}

/* Blanks control characters and replaces bytes that are not UTF-8 with '?'. */
static void sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			p[i++] = ' ';
		} else if (p[i] < 0x80) {
			i++;
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len == 0) {
				p[i++] = '?';
			} else {
				i += len;
			}
		}
	}
}

void http_client_message(const char *body, size_t len, char *out, size_t size)
{
	json_t *root = NULL;
	const char *m = NULL;

	if (out == NULL || size == 0) {
		return;
	}
	if (body != NULL && len > 0) {
		root = json_loadb(body, len, 0, NULL);
		m = json_string_value(json_object_get(root, "message"));
	}
	if (m != NULL && m[0] != '\0') {
		snprintf(out, size, "%s", m);
	} else if (body == NULL || len == 0) {
		snprintf(out, size, "no message");
	} else {
		/* Not the API's JSON (a proxy in the way?): show its start. */
		size_t n = len < EXCERPT_MAX ? len : EXCERPT_MAX;
		snprintf(out, size, "unexpected body: %.*s", (int)n, body);
	}
	sanitize(out);
	json_decref(root);
}

const char *http_client_duration(char *buf, size_t size, long ms)
{
	if (ms % 1000 == 0) {
		snprintf(buf, size, "%ld s", ms / 1000);
	} else {
		snprintf(buf, size, "%ld ms", ms);
	}
	return buf;
}

char *http_client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	if (s == NULL) {
		return NULL;
	}
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *p = out;
	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		}
	}
	*p = '\0';
	return out;
}

bool http_client_url_usable(const char *url, const char **reason)
{
	static const char *unused;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	if (reason == NULL) {
		reason = &unused;
	}
	*reason = "out of memory";
	if (u == NULL) {
		return false;
	}
	*reason = "it does not parse as a URL";
	if (url == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		goto out;
	}
	*reason = "only http and https are supported";
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
		goto out;
	}
	*reason = "it names no host";
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
		goto out;
	}
	ok = true;
out:
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

/* ---- the request ---- */

/* A copy of s, NULL for NULL or "". Sets *nomem when the copy failed. */
static char *copy_opt(const char *s, bool *nomem)
{
	if (s == NULL || s[0] == '\0') {
		return NULL;
	}
	char *c = strdup(s);
	if (c == NULL) {
		*nomem = true;
	}
	return c;
}

static void free_opts(http_options_t *o)
{
	free((char *)o->user_agent);
	free((char *)o->ca_file);
	free((char *)o->unix_socket);
	free((char *)o->proxy);
	free((char *)o->no_proxy);
}

static void wipe_send(http_request_t *req)
{
	if (req->send != NULL) {
		explicit_bzero(req->send, req->send_len);
		free(req->send);
	}
	req->send = NULL;
	req->send_len = 0;
}

int http_request_new(http_request_t **out, const char *method, const char *url,
		     const http_options_t *opt, df_detail_t *d)
{
	http_request_t *req = NULL;
	bool known = false, nomem = false;

	if (out == NULL || method == NULL || url == NULL || url[0] == '\0' || opt == NULL) {
		df_detail_set(d, "http: a request needs a method, a URL and options");
		return DF_EINVAL;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		known = known || strcmp(method, methods[i]) == 0;
	}
	if (!known) {
		df_detail_set(d, "http: method %.16s is not supported", method);
		return DF_EINVAL;
	}
	if (opt->connect_timeout_ms < 1 || opt->timeout_ms < 1 || opt->body_max < 1) {
		df_detail_set(d, "http: timeouts and the body cap must be at least 1");
		return DF_EINVAL;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		return DF_ENOMEM;
	}
	/* Reference-counted by libcurl; http_request_free() releases this one. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(req);
		df_detail_set(d, "cannot initialise libcurl");
		return DF_ENOMEM;
	}
	req->easy = curl_easy_init();
	req->method = strdup(method);
	req->url = strdup(url);
	req->opt = *opt;
	req->opt.user_agent = copy_opt(opt->user_agent, &nomem);
	req->opt.ca_file = copy_opt(opt->ca_file, &nomem);
	req->opt.unix_socket = copy_opt(opt->unix_socket, &nomem);
	req->opt.proxy = copy_opt(opt->proxy, &nomem);
	req->opt.no_proxy = copy_opt(opt->no_proxy, &nomem);
	if (req->easy == NULL || req->method == NULL || req->url == NULL || nomem) {
		http_request_free(req);
		df_detail_set(d, "cannot initialise libcurl");
		return DF_ENOMEM;
	}
	*out = req;
	return DF_OK;
}

void http_request_free(http_request_t *req)
{
	if (req == NULL) {
		return;
	}
	curl_easy_cleanup(req->easy);
	for (struct curl_slist *p = req->headers; p != NULL; p = p->next) {
		explicit_bzero(p->data, strlen(p->data));
	}
	curl_slist_free_all(req->headers);
	explicit_bzero(req->set_cookie, sizeof(req->set_cookie));
	wipe_send(req);
	if (req->body.buf != NULL) {
		explicit_bzero(req->body.buf, req->body.len);
		free(req->body.buf);
	}
	free_opts(&req->opt);
	free(req->method);
	free(req->url);
	free(req);
	curl_global_cleanup();
}

int http_request_retarget(http_request_t *req, const char *method, const char *url)
{
	bool known = false;
	if (req == NULL || method == NULL || url == NULL || url[0] == '\0') {
		return DF_EINVAL;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		known = known || strcmp(method, methods[i]) == 0;
	}
	if (!known) {
		return DF_EINVAL;
	}
	char *m = strdup(method);
	char *u = strdup(url);
	if (m == NULL || u == NULL) {
		free(m);
		free(u);
		return DF_ENOMEM;
	}
	free(req->method);
	free(req->url);
	req->method = m;
	req->url = u;
	for (struct curl_slist *p = req->headers; p != NULL; p = p->next) {
		explicit_bzero(p->data, strlen(p->data));
	}
	curl_slist_free_all(req->headers);
	req->headers = NULL;
	wipe_send(req);
	return DF_OK;
}

int http_request_set_timeouts(http_request_t *req, long connect_timeout_ms, long timeout_ms)
{
	if (req == NULL || connect_timeout_ms < 1 || timeout_ms < 1) {
		return DF_EINVAL;
	}
	req->opt.connect_timeout_ms = connect_timeout_ms;
	req->opt.timeout_ms = timeout_ms;
	return DF_OK;
}

int http_request_add_header(http_request_t *req, const char *line)
{
	if (req == NULL || line == NULL || strpbrk(line, "\r\n") != NULL) {
		return DF_EINVAL;
	}
	struct curl_slist *h = curl_slist_append(req->headers, line);
	if (h == NULL) {
		return DF_ENOMEM;
	}
	req->headers = h;
	return DF_OK;
}

int http_request_basic_auth(http_request_t *req, const char *user, const char *password)
{
	if (req == NULL || user == NULL || password == NULL || strchr(user, ':') != NULL ||
	    strpbrk(user, "\r\n") != NULL || strpbrk(password, "\r\n") != NULL) {
		return DF_EINVAL;
	}
	size_t ulen = strlen(user), plen = strlen(password), n = ulen + 1 + plen;
	size_t size = 21 + 4 * ((n + 2) / 3) + 1; /* "Authorization: Basic " */
	char *pair = malloc(n + 1), *line = malloc(size);
	int ret = DF_ENOMEM;
	if (pair != NULL && line != NULL) {
		memcpy(pair, user, ulen);
		pair[ulen] = ':';
		memcpy(pair + ulen + 1, password, plen);
		memcpy(line, "Authorization: Basic ", 21);
		EVP_EncodeBlock((unsigned char *)line + 21, (const unsigned char *)pair, (int)n);
		ret = http_request_add_header(req, line);
	}
	if (pair != NULL) {
		explicit_bzero(pair, n);
	}
	if (line != NULL) {
		explicit_bzero(line, size);
	}
	free(pair);
	free(line);
	return ret;
}

int http_request_set_body(http_request_t *req, const char *body, size_t len)
{
	if (req == NULL || (body == NULL && len > 0) || strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0) {
		return DF_EINVAL;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		return DF_ENOMEM;
	}
	if (len > 0) {
		memcpy(copy, body, len);
	}
	copy[len] = '\0';
	wipe_send(req);
	req->send = copy;
	req->send_len = len;
	return DF_OK;
}

/* ---- one transfer ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	http_request_t *req = arg;
	struct body *b = &req->body;
	size_t n = size * nmemb; /* size is always 1 */

	if (n > req->opt.body_max - b->len) {
		b->over = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (b->buf == NULL || b->len + n + 1 > b->cap) {
		size_t cap = b->cap < 4096 ? 4096 : b->cap;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		if (cap > req->opt.body_max + 1) {
			cap = req->opt.body_max + 1;
		}
		char *bigger = realloc(b->buf, cap);
		if (bigger == NULL) {
			b->nomem = true;
			return 0;
		}
		b->buf = bigger;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/*
 * Whether a redirect to location (not NUL-terminated, with its spaces and
 * CRLF) may be followed: to the same host, and not from https to http.
 * Otherwise the reason goes to req->reason.
 */
static bool redirect_allowed(http_request_t *req, const char *location, size_t len)
{
	char *target = NULL, *from_scheme = NULL, *from_host = NULL, *to_scheme = NULL,
	     *to_host = NULL;
	const char *current = NULL;
	CURLU *u = curl_url();
	bool ok = false;

	while (len > 0 && (location[0] == ' ' || location[0] == '\t')) {
		location++;
		len--;
	}
	while (len > 0 && (location[len - 1] == '\r' || location[len - 1] == '\n' ||
			   location[len - 1] == ' ' || location[len - 1] == '\t')) {
		len--;
	}
	target = strndup(location, len);
	if (u == NULL || target == NULL) {
		snprintf(req->reason, sizeof(req->reason), "out of memory checking a redirect");
		goto out;
	}
	/* The URL of the request that answered, after any redirect already taken. */
	if (curl_easy_getinfo(req->easy, CURLINFO_EFFECTIVE_URL, &current) != CURLE_OK ||
	    current == NULL || curl_url_set(u, CURLUPART_URL, current, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &from_scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &from_host, 0) != CURLUE_OK) {
		snprintf(req->reason, sizeof(req->reason), "redirect refused: no current URL");
		goto out;
	}
	/* A relative Location resolves against the current URL. */
	if (curl_url_set(u, CURLUPART_URL, target, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &to_scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &to_host, 0) != CURLUE_OK) {
		snprintf(req->reason, sizeof(req->reason),
			 "redirect refused: its Location is not a URL");
		goto out;
	}
	if (strcasecmp(to_host, from_host) != 0) {
		snprintf(req->reason, sizeof(req->reason),
			 "redirect to %.200s refused: only redirects to the same host are "
			 "followed",
			 to_host);
		goto out;
	}
	if (strcasecmp(from_scheme, "https") == 0 && strcasecmp(to_scheme, "https") != 0) {
		snprintf(req->reason, sizeof(req->reason), "redirect from https to %.16s refused",
			 to_scheme);
		goto out;
	}
	ok = true;
out:
	sanitize(req->reason);
	curl_free(to_host);
	curl_free(to_scheme);
	curl_free(from_host);
	curl_free(from_scheme);
	curl_url_cleanup(u);
	free(target);
	return ok;
}

/* Watches each answer's status line and vets its Location before libcurl follows it. */
/* A header's value (after the colon, blanks trimmed) into out; a cookie
 * stops at its first ';' (its attributes are not ours to send back). */
static void keep_header_value(char *out, size_t size, const char *v, size_t n, bool cookie)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	size_t len = 0;
	while (len < n && v[len] != '\r' && v[len] != '\n' && !(cookie && v[len] == ';')) {
		len++;
	}
	if (len >= size) {
		out[0] = '\0'; /* cut, it would be wrong */
		return;
	}
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	http_request_t *req = arg;
	size_t n = size * nmemb;

	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* "HTTP/1.1 302 Found": a new answer (after a 1xx or a redirect). */
		const char *sp = memchr(data, ' ', n);
		req->header_status = 0;
		req->content_type[0] = '\0';
		req->set_cookie[0] = '\0';
		for (const char *p = sp != NULL ? sp + 1 : data + n;
		     p < data + n && *p >= '0' && *p <= '9'; p++) {
			req->header_status = req->header_status * 10 + (*p - '0');
		}
		return n;
	}
	if (n > 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
		keep_header_value(req->content_type, sizeof(req->content_type), data + 13, n - 13,
				  false);
	} else if (n > 11 && strncasecmp(data, "Set-Cookie:", 11) == 0 &&
		   req->set_cookie[0] == '\0') {
		keep_header_value(req->set_cookie, sizeof(req->set_cookie), data + 11, n - 11,
				  true);
	}
	long st = req->header_status;
	bool followed = req->opt.max_redirects > 0 &&
			(st == 301 || st == 302 || st == 303 || st == 307 || st == 308);
	if (followed && n > 9 && strncasecmp(data, "Location:", 9) == 0 &&
	    !redirect_allowed(req, data + 9, n - 9)) {
		req->redirect_refused = true;
		return 0; /* libcurl stops before following */
	}
	return n;
}

void http_request_drop_body(http_request_t *req)
{
	if (req == NULL) {
		return;
	}
	struct body *b = &req->body;
	if (b->cap > BODY_KEEP) {
		explicit_bzero(b->buf, b->len);
		free(b->buf);
		b->buf = NULL;
		b->cap = 0;
	}
	b->len = 0;
	if (b->buf != NULL) {
		b->buf[0] = '\0';
	}
}

int http_request_prepare(http_request_t *req, df_detail_t *d)
{
	const http_options_t *o;
	CURL *c;
	CURLcode rc = CURLE_OK;

	if (req == NULL) {
		return DF_EINVAL;
	}
	o = &req->opt;
	c = req->easy;
	http_request_drop_body(req);
	req->body.over = false;
	req->body.nomem = false;
	req->status = 0;
	req->fail = HTTP_FAIL_NONE;
	req->header_status = 0;
	req->redirect_refused = false;
	req->content_type[0] = '\0';
	req->set_cookie[0] = '\0';
	req->errbuf[0] = '\0';
	req->reason[0] = '\0';

	/* Nothing of a previous transfer's options stays; connections do. */
	curl_easy_reset(c);
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK) {                       \
			rc = curl_easy_setopt(c, opt, val); \
		}                                           \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_USERAGENT,
	    o->user_agent != NULL ? o->user_agent : "dnsfailover/" PACKAGE_VERSION);
	/* No SIGALRM for resolver timeouts: the daemon owns its signals. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 deprecated the bitmask form */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_SSL_VERIFYPEER, o->tls_no_verify ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, o->tls_no_verify ? 0L : 2L);
	if (o->ca_file != NULL) {
		SET(CURLOPT_CAINFO, o->ca_file);
	}
	/*
	 * The proxy is the caller's or none: "" turns off libcurl's reading of
	 * http_proxy, https_proxy and ALL_PROXY, and NO_PROXY from the
	 * environment is replaced too.
	 */
	if (o->proxy != NULL) {
		SET(CURLOPT_PROXY, o->proxy);
		SET(CURLOPT_NOPROXY, o->no_proxy != NULL ? o->no_proxy : "");
	} else {
		SET(CURLOPT_PROXY, "");
		SET(CURLOPT_NOPROXY, "*");
	}
	if (o->unix_socket != NULL) {
		SET(CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	}
	/* Every answer's headers: the redirect check, Content-Type, Set-Cookie. */
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, req);
	if (o->max_redirects > 0) {
		SET(CURLOPT_FOLLOWLOCATION, 1L);
		SET(CURLOPT_MAXREDIRS, (long)o->max_redirects);
	} else {
		SET(CURLOPT_FOLLOWLOCATION, 0L);
	}
	/* A declared Content-Length over the cap fails before any byte is read. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->body_max);
	if (o->accept_encoding) {
		SET(CURLOPT_ACCEPT_ENCODING, "");
	}
	SET(CURLOPT_CONNECT_ONLY, o->connect_only ? 1L : 0L);
	/* A connect check proves nothing on a kept connection. */
	SET(CURLOPT_FRESH_CONNECT, o->connect_only ? 1L : 0L);
	SET(CURLOPT_FORBID_REUSE, o->connect_only ? 1L : 0L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, req);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_FAILONERROR, 0L); /* the caller reads the status, to name it */
	if (req->headers != NULL) {
		SET(CURLOPT_HTTPHEADER, req->headers);
	}
	if (strcmp(req->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		/* Always a body of our own: without one libcurl would read stdin. */
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, req->send != NULL ? req->send : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->send_len);
	} else if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		if (req->send != NULL) {
			SET(CURLOPT_POSTFIELDS, req->send);
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->send_len);
		}
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	if (rc != CURLE_OK) {
		snprintf(req->reason, sizeof(req->reason), "libcurl refused an option (%s)",
			 curl_easy_strerror(rc));
		df_detail_set(d, "%s", req->reason);
		req->fail = rc == CURLE_OUT_OF_MEMORY ? HTTP_FAIL_NOMEM : HTTP_FAIL_SETUP;
		return rc == CURLE_OUT_OF_MEMORY ? DF_ENOMEM : DF_ECONFIG;
	}
	return DF_OK;
}

void *http_request_easy(const http_request_t *req)
{
	return req != NULL ? req->easy : NULL;
}

/*
 * With a proxy every connection goes to it, so a transport error may be the
 * proxy's: the reason names it, without any user:password@ it carries.
 */
static void append_proxy(http_request_t *req)
{
	const char *proxy = req->opt.proxy;
	if (proxy == NULL || proxy[0] == '\0' || req->fail == HTTP_FAIL_SETUP ||
	    req->fail == HTTP_FAIL_CA_FILE) {
		return;
	}
	const char *host = strstr(proxy, "://");
	size_t scheme = host != NULL ? (size_t)(host - proxy) + 3 : 0;
	host = proxy + scheme;
	const char *at = strchr(host, '@');
	if (at != NULL && at < host + strcspn(host, "/")) {
		host = at + 1;
	}
	size_t n = strlen(req->reason);
	snprintf(req->reason + n, sizeof(req->reason) - n, " (through the proxy %.*s%.*s)",
		 (int)scheme, proxy, (int)strcspn(host, "/"), host);
}

static http_fail_t classify(const http_request_t *req, CURLcode rc)
{
	if (req->body.nomem || rc == CURLE_OUT_OF_MEMORY) {
		return HTTP_FAIL_NOMEM;
	}
	if (req->body.over || rc == CURLE_FILESIZE_EXCEEDED) {
		return HTTP_FAIL_BODY_MAX;
	}
	if (req->redirect_refused) {
		return HTTP_FAIL_REDIRECT;
	}
	switch (rc) {
	case CURLE_OK:
		return HTTP_FAIL_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_FAIL_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return HTTP_FAIL_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		return HTTP_FAIL_TLS;
	case CURLE_SSL_CACERT_BADFILE:
		return HTTP_FAIL_CA_FILE;
	case CURLE_TOO_MANY_REDIRECTS:
		return HTTP_FAIL_REDIRECT;
	default:
		return HTTP_FAIL_TRANSFER;
	}
}

int http_request_finish(http_request_t *req, int curl_code)
{
	static const int errors[] = {
		[HTTP_FAIL_NONE] = DF_OK,
		[HTTP_FAIL_SETUP] = DF_ECONFIG,
		[HTTP_FAIL_TIMEOUT] = DF_ETIMEDOUT,
		[HTTP_FAIL_RESOLVE] = DF_ECONNREFUSED,
		[HTTP_FAIL_CONNECT] = DF_ECONNREFUSED,
		[HTTP_FAIL_TLS] = DF_ENETWORK,
		[HTTP_FAIL_CA_FILE] = DF_ECONFIG,
		[HTTP_FAIL_BODY_MAX] = DF_ERANGE,
		[HTTP_FAIL_REDIRECT] = DF_ENETWORK,
		[HTTP_FAIL_NOMEM] = DF_ENOMEM,
		[HTTP_FAIL_TRANSFER] = DF_ENETWORK,
	};
	CURLcode rc = (CURLcode)curl_code;

	if (req == NULL) {
		return DF_EINVAL;
	}
	req->fail = classify(req, rc);
	if (req->fail == HTTP_FAIL_NONE) {
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->status);
		return DF_OK;
	}
	req->status = 0;
	if (req->fail == HTTP_FAIL_BODY_MAX) {
		snprintf(req->reason, sizeof(req->reason), "the answer's body exceeds %zu bytes",
			 req->opt.body_max);
	} else if (req->fail == HTTP_FAIL_NOMEM) {
		snprintf(req->reason, sizeof(req->reason), "out of memory");
	} else if (req->reason[0] == '\0') {
		snprintf(req->reason, sizeof(req->reason), "%s",
			 req->errbuf[0] != '\0' ? req->errbuf : curl_easy_strerror(rc));
		append_proxy(req);
		sanitize(req->reason);
	}
	/* The part of a body that came before the error is no answer. */
	http_request_drop_body(req);
	return errors[req->fail];
}

int http_client_perform(http_request_t *req, df_detail_t *d)
{
	int ret = http_request_prepare(req, d);
	if (ret != DF_OK) {
		return ret;
	}
	return http_request_finish(req, (int)curl_easy_perform(req->easy));
}

long http_request_status(const http_request_t *req)
{
	return req != NULL ? req->status : 0;
}

const char *http_request_body(const http_request_t *req, size_t *len)
{
	if (req == NULL || req->body.buf == NULL) {
		if (len != NULL) {
			*len = 0;
		}
		return "";
	}
	if (len != NULL) {
		*len = req->body.len;
	}
	return req->body.buf;
}

http_fail_t http_request_fail(const http_request_t *req)
{
	return req != NULL ? req->fail : HTTP_FAIL_TRANSFER;
}

const char *http_request_reason(const http_request_t *req)
{
	if (req == NULL) {
		return "no request";
	}
	return req->reason[0] != '\0' ? req->reason : "no error";
}

void http_request_message(const http_request_t *req, char *out, size_t size)
{
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	http_client_message(body, len, out, size);
}

const char *http_request_content_type(const http_request_t *req)
{
	return req != NULL ? req->content_type : "";
}

const char *http_request_set_cookie(const http_request_t *req)
{
	return req != NULL ? req->set_cookie : "";
}
