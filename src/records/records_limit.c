#include "src/records/records_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "src/common/clock.h"

struct rec_limits {
	pthread_mutex_t mu;
	rec_bucket_t *b;
	size_t n;
	double rate, burst;
	uint32_t max, cur;
};

bool rec_bucket_take(rec_bucket_t *b, double rate, double burst, int64_t now_ms, unsigned *retry_s)
{
	if (b->last_ms == 0) {
		b->tokens = burst;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += rate * (double)(now_ms - b->last_ms) / 1000.0;
		if (b->tokens > burst) {
			b->tokens = burst;
		}
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return true;
	}
	double wait = (1.0 - b->tokens) / rate;
	*retry_s = (unsigned)ceil(wait);
	if (*retry_s < 1) {
		*retry_s = 1;
	}
	return false;
}

rec_limits_t *rec_limits_new(size_t ntokens, uint32_t rate, uint32_t burst, uint32_t max_conc)
{
	rec_limits_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return NULL;
	}
	l->b = calloc(ntokens > 0 ? ntokens : 1, sizeof(*l->b));
	if (l->b == NULL) {
		free(l);
		return NULL;
	}
	l->n = ntokens;
	l->rate = rate;
	l->burst = burst;
	l->max = max_conc;
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void rec_limits_free(rec_limits_t *l)
{
	if (l != NULL) {
		pthread_mutex_destroy(&l->mu);
		free(l->b);
		free(l);
	}
}

bool rec_limits_take(rec_limits_t *l, size_t token, unsigned *retry_s)
{
	if (token >= l->n) {
		return false;
	}
	pthread_mutex_lock(&l->mu);
	bool ok = rec_bucket_take(&l->b[token], l->rate, l->burst, clock_mono_ms(), retry_s);
	pthread_mutex_unlock(&l->mu);
	return ok;
}

bool rec_limits_enter(rec_limits_t *l)
{
	pthread_mutex_lock(&l->mu);
	bool ok = l->cur < l->max;
	if (ok) {
		l->cur++;
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void rec_limits_leave(rec_limits_t *l)
{
	pthread_mutex_lock(&l->mu);
	if (l->cur > 0) {
		l->cur--;
	}
	pthread_mutex_unlock(&l->mu);
}
