/*
 * Per-token rate limits (a token bucket: rate per second, burst) and the cap
 * on requests served at once. Thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rec_bucket {
	double tokens;
	int64_t last_ms;
} rec_bucket_t;

/* Takes one from b at now_ms; false with *retry_s (>= 1) when empty. Pure. */
bool rec_bucket_take(rec_bucket_t *b, double rate, double burst, int64_t now_ms, unsigned *retry_s);

typedef struct rec_limits rec_limits_t;

rec_limits_t *rec_limits_new(size_t ntokens, uint32_t rate, uint32_t burst, uint32_t max_conc);
void rec_limits_free(rec_limits_t *l);
bool rec_limits_take(rec_limits_t *l, size_t token, unsigned *retry_s);
/* Enters / leaves the concurrency cap; false when full. */
bool rec_limits_enter(rec_limits_t *l);
void rec_limits_leave(rec_limits_t *l);
