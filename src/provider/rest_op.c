/*
 * The loop driver of REST providers' operations (see rest_op.h).
 */
#include "src/provider/rest_op.h"

#include <string.h>

#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

static void on_http(http_request_t *req, int http_ret, void *arg);

static void end(rest_op_t *op, int ret)
{
	provider_done_fn done = op->done;
	void *arg = op->arg;
	df_detail_t d = op->d;
	loop_timer_free(op->timer);
	op->timer = NULL;
	op->m = NULL;
	op->busy = false;
	op->done = NULL;
	/* The operation is over before done runs: it may begin another. */
	done(op->p, ret, &d, arg);
}

/* Starts the current step; false when it ended the operation. */
static bool kick(rest_op_t *op)
{
	int ret = op->build(op->ctx, &op->req, &op->d);
	if (ret == DF_OK) {
		ret = http_request_begin(op->m, op->req, on_http, op);
		if (ret != DF_OK && op->d.msg[0] == '\0') {
			df_detail_set(&op->d, "cannot send the request: %s",
				      http_request_fail(op->req) != HTTP_FAIL_NONE
					      ? http_request_reason(op->req)
					      : df_strerror(ret));
		}
	}
	if (ret != DF_OK) {
		end(op, ret);
		return false;
	}
	return true;
}

static void on_timer(loop_timer_t *t, void *arg)
{
	(void)t;
	kick(arg);
}

static void on_http(http_request_t *req, int http_ret, void *arg)
{
	rest_op_t *op = arg;
	int ret = DF_OK;
	int64_t delay = 0;
	if (op->advance(op->ctx, req, http_ret, &ret, &delay, &op->d)) {
		end(op, ret);
		return;
	}
	if (delay > 0) {
		loop_timer_arm(op->timer, delay, 0);
		return;
	}
	kick(op);
}

int rest_op_begin(rest_op_t *op, http_multi_t *m, provider_done_fn done, void *arg)
{
	if (op == NULL || m == NULL || done == NULL || op->busy) {
		return DF_EINVAL;
	}
	int ret = loop_timer_new(http_multi_loop(m), &op->timer, on_timer, op);
	if (ret != DF_OK) {
		return ret;
	}
	op->busy = true;
	op->m = m;
	op->done = done;
	op->arg = arg;
	op->d.msg[0] = '\0';
	loop_timer_arm(op->timer, 0, 0);
	return DF_OK;
}

void rest_op_cancel(rest_op_t *op)
{
	if (op == NULL || !op->busy) {
		return;
	}
	if (op->m != NULL && op->req != NULL) {
		http_request_cancel(op->m, op->req);
	}
	loop_timer_free(op->timer);
	op->timer = NULL;
	op->m = NULL;
	op->busy = false;
	op->done = NULL;
}

void rest_op_free(rest_op_t *op)
{
	rest_op_cancel(op);
	http_request_free(op->req);
	op->req = NULL;
}

int64_t rest_backoff(unsigned n, int64_t first, int64_t max)
{
	int64_t v = first;
	while (n-- > 0 && v < max) {
		v *= 2;
	}
	return v < max ? v : max;
}

int rest_request(http_request_t **req, const char *method, const char *url,
		 const http_options_t *opt, long budget_ms, df_detail_t *d)
{
	if (budget_ms <= 0) {
		df_detail_set(d, "no time left before the deadline for %s %s", method, url);
		return DF_ETIMEDOUT;
	}
	int ret;
	if (*req == NULL) {
		http_options_t o = *opt;
		o.connect_timeout_ms = budget_ms;
		o.timeout_ms = budget_ms;
		ret = http_request_new(req, method, url, &o, d);
	} else {
		ret = http_request_retarget(*req, method, url);
		if (ret == DF_OK) {
			ret = http_request_set_timeouts(*req, budget_ms, budget_ms);
		}
	}
	if (ret != DF_OK && d->msg[0] == '\0') {
		df_detail_set(d, "cannot make %s %s: %s", method, url, df_strerror(ret));
	}
	return ret;
}
