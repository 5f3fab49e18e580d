/*
 * OAuth 2.0 access tokens for the REST providers (reference/rest-providers.md
 * sections 5 and 6): the token endpoint's answer read in one place (RFC 6749
 * section 5: {"access_token", "token_type", "expires_in"} or {"error",
 * "error_description"}), and a cache that keeps a token until shortly before
 * it expires, on the monotonic clock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

#define OAUTH_TOKEN_MAX 8192 /* Entra ID tokens run to a few KB */

typedef struct oauth_token {
	char access[OAUTH_TOKEN_MAX]; /* "" when none is cached */
	int64_t expires_mono_ms;      /* when it stops being used */
	uint64_t fetched;	      /* tokens fetched so far (for logs and tests) */
} oauth_token_t;

/* What a token endpoint said. */
typedef struct oauth_answer {
	char access[OAUTH_TOKEN_MAX];
	int64_t expires_in; /* seconds */
	char error[64];	    /* "invalid_client", ... (escaped for a log) */
	char description[256];
} oauth_answer_t;

/*
 * Reads a token endpoint's answer with HTTP status. DF_OK: a Bearer token
 * and expires_in (a number, or a string of digits as the v1 endpoints send)
 * are in out. Else error and description say what the server said, and
 * the return is DF_EACCES (400/401 with an "error": the credentials, the
 * grant or the scope were refused), DF_ENETWORK (5xx, 429: try again
 * later) or DF_EMALFORMED (not the shape of a token answer).
 */
int oauth_parse_token(const char *body, size_t len, long status, oauth_answer_t *out);

/* Whether t holds a token that may still be used at now_ms. */
bool oauth_token_usable(const oauth_token_t *t, int64_t now_ms);

/*
 * Keeps the token of a (parsed) answer fetched at now_ms: it is used until
 * shortly before it expires (a minute before, or half its life when that
 * is shorter than two minutes).
 */
void oauth_token_keep(oauth_token_t *t, const oauth_answer_t *a, int64_t now_ms);

/* Forgets the cached token (a 401 said it is no longer good). */
void oauth_token_drop(oauth_token_t *t);

/*
 * Appends name=value to a form body (application/x-www-form-urlencoded,
 * "&" between pairs), both escaped. DF_OK or DF_ENOSPACE (buf unchanged).
 */
int oauth_form_add(char *buf, size_t size, const char *name, const char *value);
