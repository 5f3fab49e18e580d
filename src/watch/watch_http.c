#include "src/watch/watch_http.h"

static void op_end(watch_http_op_t *op)
{
	http_multi_free(op->multi); /* aborts the transfer, if any */
	op->multi = NULL;
	http_request_free(op->req); /* wipes what it carried (a token) */
	op->req = NULL;
	op->busy = false;
}

static void on_answer(http_request_t *req, int ret, void *arg)
{
	watch_http_op_t *op = arg;
	df_detail_t d = {""};
	bool running = false;
	ret = op->finish(op->ctx, req, ret, &running, &d);
	enum watch_verb verb = op->verb;
	watch_done_cb done = op->done;
	void *done_arg = op->arg;
	op_end(op);
	done(done_arg, verb, ret, running, d.msg); /* may begin the next call */
}

int watch_http_op_begin(watch_http_op_t *op, loop_t *loop, http_request_t *req,
			enum watch_verb verb, watch_http_finish_fn finish, void *ctx,
			watch_done_cb done, void *arg, const char *what, df_detail_t *d)
{
	op->req = req;
	op->verb = verb;
	op->finish = finish;
	op->ctx = ctx;
	int ret = http_multi_new(&op->multi, loop);
	if (ret == DF_OK) {
		ret = http_request_begin(op->multi, op->req, on_answer, op);
	}
	if (ret != DF_OK) {
		if (http_request_fail(op->req) != HTTP_FAIL_NONE) {
			/* Refused before it was sent: what the blocking call says,
			 * which starts from the client's reason as its perform does. */
			bool unused = false;
			df_detail_set(d, "%s", http_request_reason(op->req));
			ret = finish(ctx, op->req, ret, &unused, d);
		} else {
			df_detail_set(d, "%s: cannot send the request on the event loop: %s", what,
				      df_strerror(ret));
		}
		op_end(op);
		return ret;
	}
	op->busy = true;
	op->done = done;
	op->arg = arg;
	return DF_OK;
}

void watch_http_op_cancel(watch_http_op_t *op)
{
	if (op->busy) {
		op_end(op);
	}
}
