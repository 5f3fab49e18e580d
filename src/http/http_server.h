/*
 * The HTTP server glue for programs that answer requests (zonepushd): one
 * libmicrohttpd daemon with an internal thread, each request buffered whole
 * (up to a body cap) and handed to one callback, plain or TLS.
 *
 * The callback sees the raw request target (path and query, not decoded)
 * so that the program parses its own parameters the one way it tests; the
 * method, the HTTP version, the Authorization header and the body. It runs
 * in the server's thread, one request at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

#define HTTP_SERVER_HOST_MAX   256
#define HTTP_SERVER_COOKIE_MAX 1024

typedef struct http_server http_server_t;

typedef struct http_server_req {
	const char *method;	   /* "GET", "POST", ... */
	const char *target;	   /* raw request target: "/CMD_X?a=b" */
	const char *version;	   /* "HTTP/1.0" or "HTTP/1.1" */
	const char *authorization; /* the Authorization header, NULL when absent */
	const char *content_type;  /* NULL when absent */
	const char *cookie;	   /* the Cookie header, NULL when absent */
	const uint8_t *body;	   /* NUL-terminated copy of the body (len bytes) */
	size_t body_len;
	const char *peer; /* "127.0.0.1" */
} http_server_req_t;

typedef struct http_server_resp {
	unsigned status;	      /* 200 when left 0 */
	char *body;		      /* malloc()ed, freed by the server; NULL: empty */
	size_t len;		      /* bytes of body */
	const char *content_type;     /* static; NULL: text/plain */
	const char *www_authenticate; /* static; NULL: none */
	char header[512];	      /* one more header line "Name: value", "" none */
} http_server_resp_t;

typedef void (*http_server_handler_fn)(void *arg, const http_server_req_t *req,
				       http_server_resp_t *resp);

typedef struct http_server_opts {
	const char *listen;    /* "host:port", ":port", "[v6]:port"; port 0 = any free */
	const char *cert_file; /* PEM certificate (chain); NULL or "": plain HTTP */
	const char *key_file;  /* PEM private key, private to us (secret_file rule) */
	size_t max_body;       /* larger bodies get 413 */
	unsigned timeout_s;    /* idle connection timeout */
	unsigned max_conns;
	http_server_handler_fn handler;
	void *arg;
	const char *what; /* names the listener in messages ("zonepushd listener") */
} http_server_opts_t;

/* Splits listen into host (hsize bytes, "" for every address) and port. */
int http_server_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port,
			     df_detail_t *d);

/* Binds, starts the server thread. d names the address and the reason on failure. */
int http_server_start(http_server_t **out, const http_server_opts_t *opts, df_detail_t *d);

/* Stops the thread, closes every connection; NULL does nothing. */
void http_server_stop(http_server_t *s);

/* The bound port (the kernel's choice for port 0). */
uint16_t http_server_port(const http_server_t *s);
