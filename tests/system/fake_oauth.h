/*
 * What the OAuth 2.0 fakes (fake_gcp, fake_azure) add to fake_https.h:
 * bearer tokens issued and checked (under the server's lock), the pages that
 * steer them, and the request's headers, query and form values.
 *
 *   POST /__fake/expires?s=N   the lifetime of the tokens issued from now on
 *   POST /__fake/revoke        forgets every token issued (as if they expired)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tests/system/fake_https.h"

typedef enum fo_token_state {
	FO_TOKEN_OK,	  /* a token issued and still valid */
	FO_TOKEN_NONE,	  /* no Authorization header */
	FO_TOKEN_UNKNOWN, /* not "Bearer <a token issued>" */
	FO_TOKEN_EXPIRED,
} fo_token_state_t;

/* A new token "<prefix>-N-TIME", valid for the current lifetime (*expires_in, seconds). */
const char *fo_token_issue(const char *prefix, long *expires_in);
fo_token_state_t fo_token_check(const fh_request_t *r);
/* The initial lifetime of the tokens (default 3599 s). */
void fo_token_lifetime(long seconds);
/* The two pages above: true (and *ret the answer) when r is one of them. */
bool fo_token_page(const fh_request_t *r, MHD_RESULT *ret);
/* Adds "tokens" (issued so far) to the /__fake/stats answer. */
void fo_token_stats(json_t *stats);

/* One header or query argument of the request, or NULL. */
const char *fo_header(const fh_request_t *r, const char *name);
const char *fo_arg(const fh_request_t *r, const char *name);
/* A value of an application/x-www-form-urlencoded body, decoded into buf; false if absent. */
bool fo_form_value(const char *body, const char *name, char *buf, size_t size);
/* Answers a write that applied: under apply-500 its answer is lost behind a 502. */
MHD_RESULT fo_send_written(const fh_request_t *r, unsigned status, json_t *body);
