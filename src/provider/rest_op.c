/*
 * The loop driver of REST providers' operations (see rest_op.h).
 */
#include "src/provider/rest_op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/http/oauth.h"

#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

#define REST_OP_MAX_MS 30000 /* an operation of the commands */

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

int rest_op_deadline(const provider_t *p, int64_t *deadline)
{
	int64_t now = clock_mono_ms();
	*deadline = p->deadline_ms > 0 ? p->deadline_ms : now + REST_OP_MAX_MS;
	return *deadline > now ? DF_OK : DF_ETIMEDOUT;
}

long rest_budget(const provider_t *p, long configured_ms, int64_t deadline)
{
	long b = provider_budget_ms(p, configured_ms);
	int64_t left = deadline - clock_mono_ms();
	return left < b ? (long)left : b;
}

int rest_add_bearer(http_request_t *req, const oauth_token_t *t)
{
	static char auth[OAUTH_TOKEN_MAX + 32];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t->access);
	int ret = http_request_add_header(req, auth);
	explicit_bzero(auth, sizeof(auth));
	return ret;
}

bool rest_transfer_detail(const http_request_t *req, const char *who, const char *url,
			  long budget_ms, const char *ca_key, df_detail_t *d)
{
	http_fail_t f = http_request_fail(req);
	char took[32];
	if (f == HTTP_FAIL_TIMEOUT) {
		df_detail_set(d, "%s: no answer from %s within %s", who, url,
			      http_client_duration(took, sizeof(took), budget_ms));
	} else {
		df_detail_set(d, "%s: %s: %s%s%s%s", who, url, http_request_reason(req),
			      f == HTTP_FAIL_TLS || f == HTTP_FAIL_CA_FILE ? " (check " : "",
			      f == HTTP_FAIL_TLS || f == HTTP_FAIL_CA_FILE ? ca_key : "",
			      f == HTTP_FAIL_TLS || f == HTTP_FAIL_CA_FILE ? ")" : "");
	}
	return f != HTTP_FAIL_SETUP && f != HTTP_FAIL_RESOLVE && f != HTTP_FAIL_CONNECT &&
	       f != HTTP_FAIL_CA_FILE && f != HTTP_FAIL_TLS && f != HTTP_FAIL_NOMEM;
}

bool rest_retry_401(oauth_token_t *t, long status, bool *retried, const char *who)
{
	if (status != 401 || *retried) {
		return false;
	}
	/* The token expired or was revoked early: one more try with a new one. */
	oauth_token_drop(t);
	*retried = true;
	log_info("%s answered 401: fetching a new access token", who);
	return true;
}

int rest_check(provider_t *p, oauth_token_t *t, provider_report_fn fn, void *arg,
	       const char *token_ok, const char *read_ok, df_detail_t *d)
{
	lease_t *l = calloc(1, sizeof(*l));
	df_detail_t sub = {""};
	if (l == NULL) {
		return DF_ENOMEM;
	}
	oauth_token_drop(t); /* prove the credentials now */
	int ret = provider_read(p, l, &sub);
	if (t->access[0] != '\0') {
		provider_report(fn, arg, true, "%s", token_ok);
	}
	if (ret == DF_OK || ret == DF_ENOTFOUND) {
		provider_report(fn, arg, true, "%s%s", read_ok,
				ret == DF_ENOTFOUND ? ": none yet (run init)" : ": found");
		ret = DF_OK;
	} else {
		provider_report(fn, arg, false, "%s", sub.msg);
		df_detail_set(d, "%s", sub.msg);
	}
	free(l);
	return ret;
}

int rest_token_answer(oauth_token_t *t, http_request_t *req, const char *who, const char *url,
		      rest_refused_fn refused, void *ctx, df_detail_t *d)
{
	/* On the heap: it holds a whole access token. */
	oauth_answer_t *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return DF_ENOMEM;
	}
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	int ret = oauth_parse_token(body, len, status, a);
	if (ret == DF_OK) {
		oauth_token_keep(t, a, clock_mono_ms());
		log_debug("access token valid %lld s", (long long)a->expires_in);
	} else if (ret == DF_EACCES) {
		refused(ctx, a, status, d);
	} else {
		char msg[200];
		http_client_message(body, len, msg, sizeof(msg));
		df_detail_set(d, "%s: the token endpoint %s: HTTP %ld (%s)%s", who, url, status,
			      msg,
			      ret == DF_ENETWORK ? ": try again later"
						 : ": not an OAuth 2.0 token answer");
	}
	explicit_bzero(a, sizeof(*a));
	free(a);
	return ret;
}
