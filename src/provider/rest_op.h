/*
 * The loop driver of a REST provider's operation (read, swap): a sequence
 * of steps, one HTTP request each, through the caller's http_multi_t, with
 * an optional pause between two steps (polling a change, backing off). The
 * provider says how to make the request of the current step (build) and
 * what its answer means (advance); the driver starts each request from the
 * loop (so done never runs inside the begin call), keeps one request object
 * (one kept-alive connection) and ends the operation with the provider's
 * done callback. provider_read() / provider_swap() run the same steps on a
 * private loop for the commands.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/provider/provider.h"

#include "src/http/http_client.h"

typedef struct loop_timer loop_timer_t;

/*
 * Makes *req the request of the current step: a new one (http_request_new)
 * when it is NULL, else retargeted (the connection is kept). DF_OK, or the
 * error that ends the operation (d says why).
 */
typedef int (*rest_build_fn)(void *ctx, http_request_t **req, df_detail_t *d);

/*
 * The answer of the current step (http_ret as http_multi gave it): true
 * when the operation is over (*ret its result, d its detail); false to go
 * on with the next step (the provider changed its step) after *delay_ms.
 */
typedef bool (*rest_advance_fn)(void *ctx, http_request_t *req, int http_ret, int *ret,
				int64_t *delay_ms, df_detail_t *d);

typedef struct rest_op {
	provider_t *p; /* handed to done */
	rest_build_fn build;
	rest_advance_fn advance;
	void *ctx;
	/* Kept between operations. */
	http_request_t *req;
	/* The operation in flight. */
	bool busy;
	http_multi_t *m;
	loop_timer_t *timer;
	provider_done_fn done;
	void *arg;
	df_detail_t d;
} rest_op_t;

/* Starts the operation's first step from the loop of m. DF_OK, DF_EINVAL (one is in flight). */
int rest_op_begin(rest_op_t *op, http_multi_t *m, provider_done_fn done, void *arg);

/* Stops the operation in flight without its done; harmless when none is. */
void rest_op_cancel(rest_op_t *op);

/* Cancels and frees the kept request. */
void rest_op_free(rest_op_t *op);

/* Backoff for attempt n (0, 1, ...): first, doubled each time, at most max (ms). */
int64_t rest_backoff(unsigned n, int64_t first, int64_t max);

/*
 * A request for method on url made or retargeted in *req, with the options
 * opt (used when it is made) and the timeouts of budget_ms. DF_OK, or an
 * error with d saying why.
 */
int rest_request(http_request_t **req, const char *method, const char *url,
		 const http_options_t *opt, long budget_ms, df_detail_t *d);

/* ---- Pieces every REST provider's steps share ---- */

typedef struct oauth_token oauth_token_t;
typedef struct oauth_answer oauth_answer_t;

/*
 * The bound of an operation starting now: p->deadline_ms (the daemon's), or
 * for the commands now + 30 s (each request has its own timeout). DF_OK,
 * or DF_ETIMEDOUT when no time is left.
 */
int rest_op_deadline(const provider_t *p, int64_t *deadline);

/* The milliseconds a request may take now: configured_ms cut by deadline and p's. */
long rest_budget(const provider_t *p, long configured_ms, int64_t deadline);

/* Adds "Authorization: Bearer <token>" to req (the line is wiped after). */
int rest_add_bearer(http_request_t *req, const oauth_token_t *t);

/*
 * A transfer that got no answer, in d: "<who>: no answer from <url> within
 * <budget>" or "<who>: <url>: <reason>" (naming ca_key on a TLS or CA
 * failure). Returns whether the request may have reached the server (a
 * write's outcome is then unknown).
 */
bool rest_transfer_detail(const http_request_t *req, const char *who, const char *url,
			  long budget_ms, const char *ca_key, df_detail_t *d);

/*
 * A 401 from the API with a cached token: drops it and says so (once per
 * operation, *retried); true when the step is to be made again with a new one.
 */
bool rest_retry_401(oauth_token_t *t, long status, bool *retried, const char *who);

/*
 * check() of a REST provider with a token: the cached token is dropped (so
 * the credentials are proven now), the lease is read with provider_read(),
 * and the steps are reported: token_ok when a token was issued, then
 * "<read_ok>: found" / ": none yet (run init)" or the read's error.
 */
int rest_check(provider_t *p, oauth_token_t *t, provider_report_fn fn, void *arg,
	       const char *token_ok, const char *read_ok, df_detail_t *d);

/* Words for a token endpoint's refusal (DF_EACCES): the provider names its credential. */
typedef void (*rest_refused_fn)(void *ctx, const oauth_answer_t *a, long status, df_detail_t *d);

/*
 * The answer to a token request in req: DF_OK with the token kept in t;
 * else what oauth_parse_token() said, with d saying why: a refusal through
 * refused(ctx), anything else as "WHO: the token endpoint URL: HTTP n
 * (excerpt)" and whether trying again later can help.
 */
int rest_token_answer(oauth_token_t *t, http_request_t *req, const char *who, const char *url,
		      rest_refused_fn refused, void *ctx, df_detail_t *d);
