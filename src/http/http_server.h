/*
 * The one HTTP server glue, for dnsrecordsd and zonepushd: libmicrohttpd
 * with a cap on connections and on the request body (a longer body is
 * answered 413 and never reaches the handler), TLS when a certificate and
 * key are given, HTTP/1.0 and 1.1. A handler sees the request as plain
 * strings (the decoded path and arguments, and the raw target for programs
 * that parse their own query) and fills a response; it never touches
 * libmicrohttpd.
 *
 * By default each connection has a thread of its own (dnsrecordsd waits for
 * the DNS server inside a request) and handlers run concurrently: what they
 * share they lock themselves. With opts.serial one server thread runs the
 * handler for one request at a time (zonepushd's queue handle).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

typedef struct http_server http_server_t;
typedef struct http_sreq http_sreq_t;

#define HTTP_SERVER_HEADERS_MAX 4

typedef struct http_response {
	unsigned status;
	const char *content_type; /* static; NULL: application/json */
	char *body;		  /* from malloc(), freed by the server; NULL: empty */
	size_t len;
	struct {
		char name[32];
		char value[128];
	} headers[HTTP_SERVER_HEADERS_MAX];
	size_t nheaders;
} http_response_t;

/* Called once the whole body is in (at most body_max bytes). */
typedef void (*http_handler_fn)(void *arg, const http_sreq_t *req, http_response_t *resp);

typedef struct http_server_opts {
	const char *listen;   /* "host:port", "[v6]:port" or ":port" (IPv4 and IPv6) */
	const char *setting;  /* key named in errors ("listen") */
	const char *tls_cert; /* PEM file, or NULL/"" for plain HTTP */
	const char *tls_key;  /* PEM file (a secret: secret_file rule) */
	unsigned conn_max;    /* simultaneous connections */
	unsigned timeout_s;   /* idle connection timeout */
	size_t body_max;      /* a longer body is answered 413 */
	http_handler_fn handler;
	void *arg;
	bool serial; /* one server thread, one request at a time */
	/* The 413 answer; NULL: a JSON error naming body_max. */
	const char *too_large_type; /* static; NULL: application/json */
	const char *too_large_text;
} http_server_opts_t;

/* Splits "host:port", "[v6]:port", ":port" (host "" = every address). */
int http_parse_listen(const char *listen, const char *setting, char *host, size_t hsize,
		      uint16_t *port, df_detail_t *d);

int http_server_start(http_server_t **out, const http_server_opts_t *o, df_detail_t *d);
/* Stops accepting, waits for the connection threads, frees s. NULL: nothing. */
void http_server_stop(http_server_t *s);
uint16_t http_server_port(const http_server_t *s);

const char *http_req_method(const http_sreq_t *r);
/* The decoded path, without the query string. */
const char *http_req_path(const http_sreq_t *r);
/* The raw request target as sent, path and query not decoded ("/CMD_X?a=b"). */
const char *http_req_target(const http_sreq_t *r);
/* "HTTP/1.0" or "HTTP/1.1". */
const char *http_req_version(const http_sreq_t *r);
/* Header value (case-insensitive name), or NULL. */
const char *http_req_header(const http_sreq_t *r, const char *name);
/* Query-string argument (decoded), or NULL. */
const char *http_req_arg(const http_sreq_t *r, const char *name);
/* The body, NUL-terminated ("" when there is none), of *len bytes. */
const char *http_req_body(const http_sreq_t *r, size_t *len);
/* The client's address as text ("127.0.0.1", "::1"). */
const char *http_req_client(const http_sreq_t *r);

/* Adds a header to resp (ignored beyond HTTP_SERVER_HEADERS_MAX). */
void http_response_header(http_response_t *resp, const char *name, const char *value);
/* Sets status and a copy of text as body. */
void http_response_text(http_response_t *resp, unsigned status, const char *type, const char *text);
