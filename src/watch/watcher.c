#include "src/watch/watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/common/log.h"

#define BACKOFF_FIRST_MS 2000
#define BACKOFF_MAX_MS	 60000

struct watcher {
	watch_backend_t *backend;
	char what[WATCH_WHAT_MAX + 16]; /* "collector (docker container otel-collector)" */
	bool want_known;
	bool last_want;
	int64_t retry_at_ms; /* no new attempt before this */
	int64_t backoff_ms;
	watcher_counts_t counts;
	/* With a loop and a backend that can: one operation in flight. */
	loop_t *loop;
	bool busy;
	enum watch_verb verb; /* the operation in flight */
	bool busy_want;	      /* the goal it serves */
};

int watcher_new(watcher_t **out, watch_backend_t *backend, const char *what)
{
	watcher_t *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return DF_ENOMEM;
	}
	w->backend = backend;
	snprintf(w->what, sizeof(w->what), "%s", what != NULL ? what : backend->ops->name);
	*out = w;
	return DF_OK;
}

void watcher_set_loop(watcher_t *w, loop_t *loop)
{
	if (loop == NULL && w->busy) {
		w->backend->ops->cancel(w->backend);
		w->busy = false;
		w->want_known = false; /* the next call checks afresh */
	}
	w->loop = w->backend->ops->begin != NULL ? loop : NULL;
}

bool watcher_busy(const watcher_t *w)
{
	return w->busy;
}

void watcher_free(watcher_t *w)
{
	if (w != NULL) {
		watch_backend_free(w->backend);
		free(w);
	}
}

static int64_t failed(watcher_t *w, int64_t now_mono)
{
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_FIRST_MS : w->backoff_ms * 2;
	if (w->backoff_ms > BACKOFF_MAX_MS) {
		w->backoff_ms = BACKOFF_MAX_MS;
	}
	w->retry_at_ms = now_mono + w->backoff_ms;
	log_warn("Watcher: retrying in %llds", (long long)(w->backoff_ms / 1000));
	return w->retry_at_ms;
}

static int64_t succeeded(watcher_t *w)
{
	w->backoff_ms = 0;
	w->retry_at_ms = 0;
	return INT64_MAX;
}

/* The status answered: nothing to do, or the action to take. */
static void log_status_error(const watcher_t *w, int ret, const char *msg)
{
	log_err("Watcher: cannot tell whether the %s runs: %s", w->what,
		msg[0] != '\0' ? msg : df_strerror(ret));
}

static void log_action(const watcher_t *w, bool want)
{
	log_info("Watcher: %s the %s (this site is %s)", want ? "starting" : "stopping", w->what,
		 want ? "active" : "not active");
}

/* Counts and logs the end of a start or a stop. */
static int64_t action_done(watcher_t *w, bool want, int ret, const char *msg, int64_t now_mono)
{
	uint64_t *ok = want ? &w->counts.start_ok : &w->counts.stop_ok;
	uint64_t *bad = want ? &w->counts.start_failed : &w->counts.stop_failed;
	if (ret != DF_OK) {
		(*bad)++;
		log_err("Watcher: could not %s the %s: %s", want ? "start" : "stop", w->what,
			msg[0] != '\0' ? msg : df_strerror(ret));
		return failed(w, now_mono);
	}
	(*ok)++;
	log_info("Watcher: %s %s", w->what, want ? "started" : "stopped");
	return succeeded(w);
}

/* Records the goal; a new one is tried at once, whatever the backoff said. */
static void set_goal(watcher_t *w, bool want)
{
	if (!w->want_known || want != w->last_want) {
		w->backoff_ms = 0;
		w->retry_at_ms = 0;
	}
	w->want_known = true;
	w->last_want = want;
}

/* Whether to act now: a new goal at once, a failed one after its backoff. */
static bool due(watcher_t *w, bool want, int64_t now_mono)
{
	if (w->want_known && want == w->last_want && now_mono < w->retry_at_ms) {
		return false;
	}
	set_goal(w, want);
	return true;
}

static int64_t apply_blocking(watcher_t *w, bool want, int64_t now_mono)
{
	df_detail_t d = {""};
	bool running = false;
	int ret = w->backend->ops->status(w->backend, &running, &d);
	if (ret != DF_OK) {
		log_status_error(w, ret, d.msg);
		return failed(w, now_mono);
	}
	if (running == want) {
		return succeeded(w);
	}
	log_action(w, want);
	d.msg[0] = '\0';
	ret = want ? w->backend->ops->start(w->backend, &d) : w->backend->ops->stop(w->backend, &d);
	return action_done(w, want, ret, d.msg, now_mono);
}

static void on_done(void *arg, enum watch_verb verb, int ret, bool running, const char *msg);

/* Begins verb for want; false (logged, backoff) when it could not begin. */
static bool begin(watcher_t *w, enum watch_verb verb, bool want, int64_t now_mono)
{
	df_detail_t d = {""};
	int ret = w->backend->ops->begin(w->backend, w->loop, verb, on_done, w, &d);
	if (ret != DF_OK) {
		if (verb == WATCH_STATUS) {
			log_status_error(w, ret, d.msg);
			failed(w, now_mono);
		} else {
			action_done(w, want, ret, d.msg, now_mono);
		}
		return false;
	}
	w->busy = true;
	w->verb = verb;
	w->busy_want = want;
	return true;
}

static void on_done(void *arg, enum watch_verb verb, int ret, bool running, const char *msg)
{
	watcher_t *w = arg;
	int64_t now = clock_mono_ms();
	bool want = w->busy_want;
	w->busy = false;
	if (verb != WATCH_STATUS) {
		action_done(w, want, ret, msg, now);
	} else if (ret != DF_OK) {
		log_status_error(w, ret, msg);
		failed(w, now);
	} else if (running == want) {
		succeeded(w);
	} else {
		log_action(w, want);
		begin(w, want ? WATCH_START : WATCH_STOP, want, now);
		return;
	}
	/* The goal moved while this ran (a stop that was let finish): follow it. */
	if (w->last_want != want) {
		watcher_apply(w, w->last_want, now);
	}
}

int64_t watcher_apply(watcher_t *w, bool want, int64_t now_mono)
{
	if (w->loop == NULL) {
		return due(w, want, now_mono) ? apply_blocking(w, want, now_mono) : w->retry_at_ms;
	}
	if (w->busy) {
		if (want == w->busy_want) {
			return INT64_MAX; /* in flight */
		}
		set_goal(w, want);
		if (w->verb == WATCH_STOP) {
			return INT64_MAX; /* let the stop finish; on_done follows the goal */
		}
		/* A start in flight while the site stops being active is killed
		 * and the stop runs at once: the step-down never waits for it. */
		w->backend->ops->cancel(w->backend);
		w->busy = false;
		if (w->verb == WATCH_START) {
			w->counts.start_failed++;
			log_warn("Watcher: cancelled the start of the %s (this site is no longer "
				 "active)",
				 w->what);
			log_action(w, want);
			begin(w, WATCH_STOP, want, now_mono);
			return INT64_MAX;
		}
		begin(w, WATCH_STATUS, want, now_mono);
		return INT64_MAX;
	}
	if (!due(w, want, now_mono)) {
		return w->retry_at_ms;
	}
	begin(w, WATCH_STATUS, want, now_mono);
	return INT64_MAX;
}

void watcher_get_counts(const watcher_t *w, watcher_counts_t *out)
{
	*out = w->counts;
}
