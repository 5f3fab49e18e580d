/*
 * The HTTPS server of the REST API stand-ins (fake_gcp, fake_azure):
 * libmicrohttpd with TLS on 127.0.0.1, one thread per connection, request
 * bodies gathered, every API call made under one lock (so the fake's data
 * change atomically), and what every fake shares:
 *
 *   CONTROL_FILE (re-read on every request; missing means "ok") holds one word:
 *     ok         normal
 *     hang       requests are held 60 s without an answer
 *     error      every request answers 500 with an HTML page
 *     apply-500  writes apply, then answer 502 (an unknown outcome)
 *     other words are the fake's own (fh_mode())
 *   GET /__fake/stats   {"connections", "requests", "writes", "tokens"}
 *
 * One line per request on stderr; the pid goes to PIDFILE once the port is bound.
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

typedef struct fh_request {
	struct MHD_Connection *c;
	const char *method;
	const char *url;
	const char *body; /* NUL-terminated */
	size_t body_len;
	const char *mode; /* the control file's word */
	bool wrote;	  /* set by the handler when it changed data */
} fh_request_t;

/* Answers one request, under the lock; the paths under /__fake/ are the fake's too. */
typedef MHD_RESULT (*fh_handler_fn)(fh_request_t *r);

typedef struct fh_server {
	const char *name; /* for messages: "fake_gcp" */
	int port;
	const char *key, *cert, *control, *pidfile;
	fh_handler_fn handler;
} fh_server_t;

/* Serves until SIGTERM; returns the exit status. */
int fh_run(const fh_server_t *s);

/* A JSON answer (body consumed); under apply-500, a write's answer becomes a 502 page. */
MHD_RESULT fh_send_json(fh_request_t *r, unsigned status, json_t *body);
MHD_RESULT fh_send_text(struct MHD_Connection *c, unsigned status, const char *type,
			const char *text);
/* One header of the request, or NULL. */
const char *fh_header(const fh_request_t *r, const char *name);
/* One query argument of the request, or NULL. */
const char *fh_arg(const fh_request_t *r, const char *name);
/*
 * Bearer tokens, issued and checked under the lock. The server itself serves
 *   POST /__fake/expires?s=N   the lifetime of the tokens issued from now on
 *   POST /__fake/revoke        forgets every token issued (as if they expired)
 */
typedef enum fh_token_state {
	FH_TOKEN_OK,	  /* a token issued and still valid */
	FH_TOKEN_NONE,	  /* no Authorization header */
	FH_TOKEN_UNKNOWN, /* not "Bearer <a token issued>" */
	FH_TOKEN_EXPIRED,
} fh_token_state_t;

/* A new token "<prefix>-N-TIME" valid for the current lifetime (*expires_in, seconds). */
const char *fh_token_issue(const char *prefix, long *expires_in);
fh_token_state_t fh_token_check(const fh_request_t *r);
/* The initial lifetime of the tokens (default 3599 s). */
void fh_token_lifetime(long seconds);
/* A value of an application/x-www-form-urlencoded body, decoded into buf; false if absent. */
bool fh_form_value(const char *body, const char *name, char *buf, size_t size);
