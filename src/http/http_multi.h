/*
 * The non-blocking side of the HTTP client: one libcurl multi handle tied
 * to a loop_t (src/loop/loop.h). libcurl tells which sockets it waits on
 * and when it next needs the clock; this module turns that into loop fd
 * watches and one loop timer, so that any number of transfers run inside
 * the loop and none of them holds it: a peer that accepts and never
 * answers costs a watched socket, not a blocked thread.
 *
 * The requests are the same http_request_t as for http_client_perform():
 * http_request_begin() prepares the request's easy handle and adds it to
 * the multi; when the transfer ends, the request is finished with libcurl's
 * result and its callback runs, once, from the loop. Every rule of
 * http_client.h (verified TLS, the connect and total timeouts, the body
 * cap, redirects, no proxy from the environment) applies unchanged.
 */
#pragma once

#include "src/common/error.h"

typedef struct loop loop_t;
typedef struct http_request http_request_t;
typedef struct http_multi http_multi_t;

/*
 * Called once per begun transfer, from the loop: ret is what
 * http_request_finish() returned (DF_OK when an HTTP answer came back,
 * whatever its status), and http_request_status(), http_request_body(),
 * http_request_fail() and http_request_reason() of req describe it. req is
 * no longer in flight: the callback may begin it again, free it, begin or
 * cancel other requests, or free the multi.
 */
typedef void (*http_multi_cb)(http_request_t *req, int ret, void *arg);

/*
 * A multi on loop l (borrowed: must outlive the multi). On success *out
 * owns it, freed with http_multi_free() before loop_free(). Returns DF_OK,
 * DF_EINVAL, DF_ENOMEM, or what loop_timer_new() returned.
 */
int http_multi_new(http_multi_t **out, loop_t *l);

/*
 * Aborts every transfer still in flight, without their callbacks, closes
 * the multi's connections and frees m with its loop watches; NULL does
 * nothing. May be called from a completion callback.
 */
void http_multi_free(http_multi_t *m);

/* The loop m runs on. */
loop_t *http_multi_loop(const http_multi_t *m);

/* Transfers in flight (begun, neither completed nor cancelled). */
unsigned http_multi_running(const http_multi_t *m);

/*
 * Starts one transfer of req (borrowed: must stay alive until its callback
 * ran or http_request_cancel()): http_request_prepare(), then the handle
 * joins the multi. cb (with arg, borrowed) runs exactly once, from the
 * loop and never inside this call, unless the request is cancelled or the
 * multi freed first. The request's connect and total timeouts bound the
 * transfer. Returns DF_OK; DF_EINVAL (a NULL argument, or req already in
 * flight); DF_ENOMEM; or what prepare returned (http_request_fail() says
 * why); on error cb never runs.
 */
int http_request_begin(http_multi_t *m, http_request_t *req, http_multi_cb cb, void *arg);

/*
 * Stops req's transfer: it leaves the multi and its callback never runs.
 * Harmless when req is not in flight on m. The request may be begun again
 * or freed afterwards.
 */
void http_request_cancel(http_multi_t *m, http_request_t *req);
