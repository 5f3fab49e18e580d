/*
 * The HTTPS plumbing of the REST fakes (fake_infoblox, fake_f5): a
 * libmicrohttpd daemon with TLS on 127.0.0.1, the request body gathered
 * whole before the handler runs, the control file's mode word, JSON and
 * text answers, connection and request counters, the pid file and the wait
 * for SIGTERM.
 */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* One request, its body whole (NUL-terminated, len bytes; "" when none). */
typedef struct fh_request {
	struct MHD_Connection *c;
	const char *method, *url;
	const char *body;
	size_t len;
	const char *mode; /* the control file's word, "ok" when none */
} fh_request_t;

typedef MHD_RESULT (*fh_handler_fn)(const fh_request_t *r);

/* Set by a handler around a write whose answer is to be lost: every answer
 * sent by this thread is then a 502 with an HTML page. */
extern __thread bool fh_lose_answer;

/* Answers with text (copied) of content_type. */
MHD_RESULT fh_send(struct MHD_Connection *c, unsigned status, const char *content_type,
		   const char *text, const char *extra_header);

/* Answers with j as JSON (j is consumed). */
MHD_RESULT fh_send_json(struct MHD_Connection *c, unsigned status, json_t *j);

/* The options every fake takes: -p PORT -k KEY.pem -C CERT.pem [-c CONTROL] [-P PIDFILE]. */
typedef struct fh_opts {
	int port;
	const char *key, *cert, *control, *pidfile;
} fh_opts_t;

/* Takes opt (with arg) into o when it is one of those; false otherwise. */
bool fh_opt(fh_opts_t *o, int opt, const char *arg);

/* Serves 127.0.0.1:port with key and cert (PEM files) until SIGTERM, then
 * returns 0; handler runs under one lock (one request at a time), except in
 * mode "hang", where the request is held 60 s without an answer, and "error"
 * (500 with an HTML page) and "busy" (429 with Retry-After); the modes spare the
 * /__fake/ pages. The pid goes
 * to pidfile once the port is bound. GET /__fake/stats answers the counters
 * plus what stats adds (may be NULL), without the handler. */
int fh_serve(const char *name, int port, const char *key, const char *cert, const char *control,
	     const char *pidfile, fh_handler_fn handler, void (*stats)(json_t *));

/* The Basic credentials of the request, split; false when there are none. */
bool fh_basic(struct MHD_Connection *c, char *user, size_t usize, char *pass, size_t psize);
