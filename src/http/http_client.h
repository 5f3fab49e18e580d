/*
 * The one HTTP client, over libcurl: every HTTP call the product makes (the
 * metrics health check, the Docker and Kubernetes watcher backends, the REST
 * providers) goes through an http_request_t, so that all of them share the
 * same rules:
 *
 * - https is always verified (peer and host name), against the caller's CA
 *   file or libcurl's default store;
 * - the connect and the whole transfer are bounded by the caller's timeouts;
 * - a body larger than the caller's cap is an error (HTTP_FAIL_BODY_MAX),
 *   not a truncated answer;
 * - redirects are not followed unless the caller asks, and then never to
 *   another host nor from https to http;
 * - a proxy is used only when the caller names one: http_proxy, https_proxy,
 *   ALL_PROXY and NO_PROXY in the environment are ignored;
 * - error bodies reach messages only as a short, sanitized excerpt.
 *
 * A request owns one libcurl easy handle. http_request_prepare() configures
 * it for one transfer and http_request_finish() reads the outcome, so the
 * handle can be driven by anything: http_client_perform() does both around
 * a blocking curl_easy_perform(); an event loop may instead add the prepared
 * handle (http_request_easy()) to a curl multi and call finish with the
 * CURLcode the multi reported. A request may be performed again: the
 * connection is kept for the next transfer when the server allows it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"

typedef struct http_request http_request_t;

/* What the caller decides for every transfer of a request. */
typedef struct http_options {
	const char *user_agent;	 /* NULL: "dnsfailover/VERSION" */
	const char *ca_file;	 /* NULL or "": libcurl's default CA store */
	const char *unix_socket; /* NULL or "": TCP to the URL's host; else this socket */
	const char *proxy;	 /* NULL or "": no proxy at all; else e.g. "http://proxy:3128" */
	const char *no_proxy;	 /* with a proxy: hosts reached directly (libcurl's syntax) */
	long connect_timeout_ms; /* resolve, connect and TLS handshake; at least 1 */
	long timeout_ms;	 /* the whole transfer, body included; at least 1 */
	size_t body_max;	 /* largest answer body accepted; at least 1 */
	unsigned max_redirects;	 /* 0: a 3xx is the answer; else followed, same host only */
	bool accept_encoding;	 /* offer gzip and deflate; the cap applies to decoded bytes */
	/* Resolve and connect only, within connect_timeout_ms, and send
	 * nothing: a TCP reachability check whose host name is resolved by
	 * libcurl's threaded resolver instead of a blocking getaddrinfo(). A
	 * new connection every time, closed after. */
	bool connect_only;
	/* Do not verify the server's certificate: only for an operator's
	 * explicit *_VERIFY_SSL=false, which the caller warns about. */
	bool tls_no_verify;
} http_options_t;

/* Why a transfer got no usable answer (http_request_fail()). */
typedef enum http_fail {
	HTTP_FAIL_NONE = 0, /* an HTTP answer came back, whatever its status */
	HTTP_FAIL_SETUP,    /* libcurl refused an option: nothing was sent */
	HTTP_FAIL_TIMEOUT,  /* the connect or the whole transfer timed out */
	HTTP_FAIL_RESOLVE,  /* the host name did not resolve */
	HTTP_FAIL_CONNECT,  /* no connection (refused, unreachable, no such socket) */
	HTTP_FAIL_TLS,	    /* the TLS handshake or the certificate's verification failed */
	HTTP_FAIL_CA_FILE,  /* the CA file could not be read or used */
	HTTP_FAIL_BODY_MAX, /* the body passed http_options_t.body_max */
	HTTP_FAIL_REDIRECT, /* a redirect refused (another host, https to http, too many) */
	HTTP_FAIL_NOMEM,    /* out of memory */
	HTTP_FAIL_TRANSFER, /* anything else libcurl reported */
} http_fail_t;

/*
 * A request for method ("GET", "HEAD", "POST", "PUT", "PATCH" or "DELETE")
 * on url, with the options in opt; url, method and the strings of opt are
 * copied. Takes a reference on libcurl's global state, which
 * http_request_free() releases. On success *out owns a request the caller
 * frees with http_request_free(); on error *out is untouched and d says why
 * (DF_EINVAL for a missing or bad argument, DF_ENOMEM).
 */
int http_request_new(http_request_t **out, const char *method, const char *url,
		     const http_options_t *opt, df_detail_t *d);

/* Frees req and wipes its headers and body (they may hold secrets); NULL does nothing. */
void http_request_free(http_request_t *req);

/*
 * Makes req a request for method on url with no header and no body (both
 * wiped), keeping its libcurl handle and so the connection it holds: a
 * client that signs every request (SigV4) makes each one afresh on one
 * kept-alive connection. Not while req is in flight. DF_OK, DF_EINVAL or
 * DF_ENOMEM (req unchanged).
 */
int http_request_retarget(http_request_t *req, const char *method, const char *url);

/* Changes the connect and total timeouts of the next transfers (at least 1 ms each). */
int http_request_set_timeouts(http_request_t *req, long connect_timeout_ms, long timeout_ms);

/*
 * Adds one header line, "Name: value" ("Name:" removes a header libcurl
 * would send). The line is copied and wiped when the request is freed.
 * DF_OK, DF_EINVAL (NULL, or a CR or LF in the line) or DF_ENOMEM.
 */
int http_request_add_header(http_request_t *req, const char *line);

/*
 * Adds "Authorization: Basic ..." for user and password (RFC 7617), wiped
 * with the other headers. DF_OK, DF_EINVAL (NULL, a ':' in user, a CR or
 * LF) or DF_ENOMEM.
 */
int http_request_basic_auth(http_request_t *req, const char *user, const char *password);

/*
 * The request body, copied (len bytes; "" and 0 for an empty body). Not for
 * GET or HEAD. Wiped when replaced or freed. DF_OK, DF_EINVAL or DF_ENOMEM.
 */
int http_request_set_body(http_request_t *req, const char *body, size_t len);

/*
 * Configures the easy handle for one transfer: every option is set afresh
 * (what a previous transfer left is reset; live connections stay) and the
 * previous answer is dropped. DF_OK, or DF_ENOMEM / DF_ECONFIG (libcurl
 * refused an option) with d set and http_request_fail() saying so
 * (HTTP_FAIL_NOMEM, HTTP_FAIL_SETUP).
 */
int http_request_prepare(http_request_t *req, df_detail_t *d);

/* The request's libcurl easy handle (a CURL *), owned by req. */
void *http_request_easy(const http_request_t *req);

/*
 * Reads the outcome of the transfer that ended with curl_code (a CURLcode)
 * on the prepared handle. DF_OK when an HTTP answer came back, whatever its
 * status; otherwise the error for http_request_fail(): DF_ETIMEDOUT,
 * DF_ECONNREFUSED (resolve, connect), DF_ERANGE (body cap), DF_ENOMEM,
 * DF_ECONFIG (CA file) or DF_ENETWORK (TLS, redirect, anything else).
 */
int http_request_finish(http_request_t *req, int curl_code);

/*
 * prepare, a blocking curl_easy_perform() bounded by the request's
 * timeouts, then finish; returns what finish returns, or what prepare
 * returned. d is only written when prepare fails; either way
 * http_request_fail() and http_request_reason() say what went wrong.
 */
int http_client_perform(http_request_t *req, df_detail_t *d);

/* After finish: the HTTP status of the last answer (0 when none came back). */
long http_request_status(const http_request_t *req);

/*
 * After finish: the body of the answer, NUL-terminated (so also a string
 * when it holds no NUL), *len bytes; "" when there was none. Owned by req,
 * valid until the next prepare or the free. Never log it as such: use
 * http_request_message().
 */
const char *http_request_body(const http_request_t *req, size_t *len);

/* Releases the body's buffer when it is large (a request kept between transfers). */
void http_request_drop_body(http_request_t *req);

/* After finish: the Content-Type of the last answer ("" when none). */
const char *http_request_content_type(const http_request_t *req);

/* After finish: the first Set-Cookie of the last answer as name=value,
 * without its attributes ("" when none). A secret: never log it. */
const char *http_request_set_cookie(const http_request_t *req);

/* After finish: what failed, HTTP_FAIL_NONE when an answer came back. */
http_fail_t http_request_fail(const http_request_t *req);

/*
 * After finish with an error: why, in words for a message (libcurl's own
 * text, or the refused redirect); never empty. Owned by req.
 */
const char *http_request_reason(const http_request_t *req);

/*
 * The "message" of a JSON error body (the Docker Engine API, the Kubernetes
 * API and most REST APIs put one there), else "unexpected body: " and the
 * start of the body, else "no message". Control characters and bytes that
 * are not UTF-8 are replaced, and out (size bytes) is always
 * NUL-terminated, so the result may go to a log.
 */
void http_client_message(const char *body, size_t len, char *out, size_t size);

/* http_client_message() of the request's last answer. */
void http_request_message(const http_request_t *req, char *out, size_t size);

/* Whether url is an absolute http:// or https:// URL with a host; else why (static text). */
bool http_client_url_usable(const char *url, const char **reason);

/*
 * s escaped for one URL path segment or query value: every byte but
 * A-Z a-z 0-9 - . _ ~ as %XX. Malloc'd: the caller frees it with free();
 * NULL when out of memory.
 */
char *http_client_escape(const char *s);

/* A duration for messages: "10 s" for whole seconds, else "250 ms". Returns buf. */
const char *http_client_duration(char *buf, size_t size, long ms);
