/*
 * What the JSON REST providers (cloudflare, infoblox, f5-gtm) share: one
 * request with the provider's TLS, proxy and timeout rules, cut by the
 * renewal's deadline; and the words for a transfer that got no answer.
 */
#pragma once

#include <stdbool.h>

#include "src/common/error.h"
#include "src/http/http_client.h"
#include "src/provider/provider.h"

typedef struct provider_rest {
	const char *name;    /* "infoblox": the start of every message */
	const char *api;     /* the base URL, for messages */
	const char *ca_file; /* NULL or "": the system store */
	const char *ca_key;  /* the key of ca_file, named when TLS fails */
	const char *proxy;   /* NULL or "": none */
	long timeout_ms;     /* the configured time of one request */
	bool tls_no_verify;  /* an operator's *_VERIFY_SSL=false */
	size_t body_max;
	long budget_ms; /* set by provider_rest_request(): what the last request got */
} provider_rest_t;

/*
 * A request for method on url: r's options, timeout_ms cut by
 * p->deadline_ms, "Accept: application/json", and body (NULL: none) as
 * JSON. The caller adds its credentials. DF_OK, or DF_ETIMEDOUT (no time
 * left) or what http_client refused, with d saying so.
 */
int provider_rest_request(provider_rest_t *r, const provider_t *p, const char *method,
			  const char *url, const char *body, http_request_t **out, df_detail_t *d);

/*
 * The error of a transfer that got no answer (ret from http_request_finish):
 * for a write that may have been sent, DF_EUNKNOWN.
 */
int provider_rest_fail(const http_request_t *req, int ret, bool write);

/* Why in words: what (the call), r->api, the timeout or libcurl's reason,
 * r->ca_key when the certificate did not verify, and for DF_EUNKNOWN that
 * the write may have applied. */
void provider_rest_fail_detail(const provider_rest_t *r, const http_request_t *req,
			       const char *what, int ret, df_detail_t *d);

typedef struct http_multi http_multi_t;

/* The operation in flight of a provider on the loop: one request at a time. */
typedef struct provider_rest_op {
	http_multi_t *multi; /* borrowed from the begin call */
	http_request_t *req; /* owned */
	provider_done_fn done;
	void *arg;
} provider_rest_op_t;

/*
 * Begins op->req on op->multi with cb(cbarg); on error frees it, and d
 * names the call (what) and why. DF_OK or the error of http_request_begin.
 */
int provider_rest_begin(provider_rest_op_t *op, const provider_rest_t *r, const char *what,
			void (*cb)(http_request_t *, int, void *), void *cbarg, df_detail_t *d);

/* Ends the operation: the request freed, then done(p, ret, d), which may
 * begin the next one. The caller marks itself idle first. */
void provider_rest_finish(provider_rest_op_t *op, provider_t *p, int ret, const df_detail_t *d);

/* Stops the request in flight without its callback; done never runs. */
void provider_rest_cancel(provider_rest_op_t *op);

/*
 * For check(): the lease read as read() does, reported through fn as
 * "lease records at NAME readable" (and "none yet: run init" when there is
 * no lease). DF_OK when it could be read or is absent; else the error, d
 * saying why.
 */
int provider_rest_check_read(provider_t *p, const char *name, provider_report_fn fn, void *arg,
			     df_detail_t *d);
