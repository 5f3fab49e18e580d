/*
 * One HTTP call of a watcher backend on the loop (the Docker and Kubernetes
 * backends' begin() and cancel()): the request goes through a curl multi of
 * its own, so the backend holds no loop watch between calls and the loop may
 * be freed before it. The backend interprets the answer with the same
 * function its blocking call uses.
 */
#pragma once

#include <stdbool.h>

#include "src/common/error.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/watch/watch.h"

/*
 * Reads the answer to req (ret: what http_request_finish() returned) as the
 * blocking call does: the result, *running for a status, d for a failure.
 */
typedef int (*watch_http_finish_fn)(void *ctx, const http_request_t *req, int ret, bool *running,
				    df_detail_t *d);

typedef struct watch_http_op {
	bool busy;
	enum watch_verb verb;
	http_request_t *req;
	http_multi_t *multi;
	watch_http_finish_fn finish;
	void *ctx;
	watch_done_cb done;
	void *arg;
} watch_http_op_t;

/*
 * Sends req (taken: freed when the call ends, also on error) for verb on
 * loop. done(arg, ...) runs once from the loop with what finish(ctx, ...)
 * made of the answer. A request refused before it was sent (a bad token
 * file, an option libcurl refused) is an error here, in finish's words;
 * done is then not called. what names the peer in other errors.
 */
int watch_http_op_begin(watch_http_op_t *op, loop_t *loop, http_request_t *req,
			enum watch_verb verb, watch_http_finish_fn finish, void *ctx,
			watch_done_cb done, void *arg, const char *what, df_detail_t *d);

/* Drops the call in flight, if any, with no callback. */
void watch_http_op_cancel(watch_http_op_t *op);
