/*
 * Bearer tokens: a private file (the one secret-file rule) with one token
 * a line: "NAME TOKEN ZONES VERBS", ZONES a comma list of zone names or
 * "*", VERBS a comma list of read, write, delete. Tokens are compared in
 * constant time and never logged: only NAME appears in logs and audit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/records/records_valid.h"

#define REC_TOKENS_MAX	    256
#define REC_TOKEN_LEN_MIN   16
#define REC_TOKEN_LEN_MAX   256
#define REC_TOKEN_ZONES_MAX 16

enum rec_verb { REC_VERB_READ = 1, REC_VERB_WRITE = 2, REC_VERB_DELETE = 4 };

typedef struct rec_token {
	char name[64];
	char secret[REC_TOKEN_LEN_MAX + 1];
	size_t secret_len;
	char zones[REC_TOKEN_ZONES_MAX][REC_NAME_MAX]; /* absolute; "*" alone: any */
	size_t nzones;
	unsigned verbs;
	size_t index; /* position in the file, for the rate limiter */
} rec_token_t;

typedef struct rec_tokens {
	rec_token_t t[REC_TOKENS_MAX];
	size_t n;
} rec_tokens_t;

/* Parses text (len bytes), label names the file in messages ("file:line"). */
int rec_tokens_parse(rec_tokens_t *ts, const char *text, size_t len, const char *label,
		     df_detail_t *d);

/* Opens path under the secret-file rule and parses it; the text is wiped. */
int rec_tokens_load(rec_tokens_t *ts, const char *path, df_detail_t *d);

/* Wipes every secret. */
void rec_tokens_deinit(rec_tokens_t *ts);

/* The token whose secret is presented (len bytes), compared with every
 * token in constant time; NULL when none. */
const rec_token_t *rec_tokens_find(const rec_tokens_t *ts, const char *presented, size_t len);

/* Whether t may use verb on zone (absolute). */
bool rec_token_allows(const rec_token_t *t, const char *zone, unsigned verb);

/* "Bearer X" -> X (in place, *len); NULL when the header is not a bearer token. */
const char *rec_bearer(const char *header, size_t *len);
