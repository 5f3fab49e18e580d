#include "src/provider/provider_rest.h"

#include "src/http/http_multi.h"

#include <stdlib.h>
#include <string.h>

int provider_rest_request(provider_rest_t *r, const provider_t *p, const char *method,
			  const char *url, const char *body, http_request_t **out, df_detail_t *d)
{
	long budget = provider_budget_ms(p, r->timeout_ms);
	r->budget_ms = budget;
	if (budget <= 0) {
		df_detail_set(d, "%s: no time left before the deadline for %s %s", r->name, method,
			      url);
		return DF_ETIMEDOUT;
	}
	const http_options_t opt = {
		.ca_file = r->ca_file,
		.proxy = r->proxy,
		.connect_timeout_ms = budget,
		.timeout_ms = budget,
		.body_max = r->body_max,
		.tls_no_verify = r->tls_no_verify,
	};
	http_request_t *req = NULL;
	int ret = http_request_new(&req, method, url, &opt, d);
	if (ret == DF_OK) {
		ret = http_request_add_header(req, "Accept: application/json");
	}
	if (ret == DF_OK && body != NULL) {
		ret = http_request_add_header(req, "Content-Type: application/json");
		if (ret == DF_OK) {
			ret = http_request_set_body(req, body, strlen(body));
		}
	}
	if (ret != DF_OK) {
		http_request_free(req);
		if (d != NULL && d->msg[0] == '\0') {
			df_detail_set(d, "%s: cannot build %s %s: %s", r->name, method, url,
				      df_strerror(ret));
		}
		return ret;
	}
	*out = req;
	return DF_OK;
}

int provider_rest_fail(const http_request_t *req, int ret, bool write)
{
	switch (http_request_fail(req)) {
	case HTTP_FAIL_SETUP:
	case HTTP_FAIL_RESOLVE:
	case HTTP_FAIL_CONNECT:
	case HTTP_FAIL_CA_FILE:
	case HTTP_FAIL_NOMEM:
		return ret; /* nothing was sent */
	default:
		return write ? DF_EUNKNOWN : (ret == DF_ETIMEDOUT ? DF_ETIMEDOUT : DF_ENETWORK);
	}
}

void provider_rest_fail_detail(const provider_rest_t *r, const http_request_t *req,
			       const char *what, int ret, df_detail_t *d)
{
	char took[32];
	const char *maybe = ret == DF_EUNKNOWN ? " (the write may have applied: read again)" : "";
	if (http_request_fail(req) == HTTP_FAIL_TIMEOUT) {
		df_detail_set(d, "%s: %s: no answer from %s within %s%s%s", r->name, what, r->api,
			      http_client_duration(took, sizeof(took), r->budget_ms),
			      r->budget_ms < r->timeout_ms
				      ? " (what was left before the renewal's deadline)"
				      : "",
			      maybe);
	} else if (http_request_fail(req) == HTTP_FAIL_TLS && r->ca_key != NULL) {
		df_detail_set(d,
			      "%s: %s: %s: %s: check %s (the server's certificate must verify)%s",
			      r->name, what, r->api, http_request_reason(req), r->ca_key, maybe);
	} else {
		df_detail_set(d, "%s: %s: %s: %s%s", r->name, what, r->api,
			      http_request_reason(req), maybe);
	}
}

int provider_rest_begin(provider_rest_op_t *op, const provider_rest_t *r, const char *what,
			void (*cb)(http_request_t *, int, void *), void *cbarg, df_detail_t *d)
{
	int ret = http_request_begin(op->multi, op->req, cb, cbarg);
	if (ret != DF_OK) {
		df_detail_set(d, "%s: cannot send %s: %s", r->name, what,
			      http_request_fail(op->req) != HTTP_FAIL_NONE
				      ? http_request_reason(op->req)
				      : df_strerror(ret));
		http_request_free(op->req);
		op->req = NULL;
	}
	return ret;
}

void provider_rest_finish(provider_rest_op_t *op, provider_t *p, int ret, const df_detail_t *d)
{
	provider_done_fn done = op->done;
	void *arg = op->arg;
	http_request_free(op->req);
	op->req = NULL;
	op->multi = NULL;
	op->done = NULL;
	if (done != NULL) {
		done(p, ret, d, arg);
	}
}

void provider_rest_cancel(provider_rest_op_t *op)
{
	if (op->req != NULL && op->multi != NULL) {
		http_request_cancel(op->multi, op->req);
	}
	http_request_free(op->req);
	op->req = NULL;
	op->multi = NULL;
	op->done = NULL;
}

int provider_rest_check_read(provider_t *p, const char *name, provider_report_fn fn, void *arg,
			     df_detail_t *d)
{
	df_detail_t sub = {""};
	lease_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return DF_ENOMEM;
	}
	int ret = provider_read(p, l, &sub);
	if (ret == DF_OK || ret == DF_ENOTFOUND) {
		provider_report(fn, arg, true, "lease records at %s readable%s", name,
				ret == DF_ENOTFOUND ? " (none yet: run init)" : "");
		ret = DF_OK;
	} else {
		provider_report(fn, arg, false, "lease records at %s readable: %s", name, sub.msg);
		df_detail_set(d, "%s", sub.msg);
	}
	free(l);
	return ret;
}
