#include "src/watch/watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int64_t watcher_apply(watcher_t *w, bool want, int64_t now_mono)
{
	df_detail_t d = {""};
	bool running = false;
	if (w->want_known && want == w->last_want && now_mono < w->retry_at_ms) {
		return w->retry_at_ms;
	}
	if (!w->want_known || want != w->last_want) {
		/* A new goal: try at once, whatever the backoff said. */
		w->backoff_ms = 0;
		w->retry_at_ms = 0;
	}
	w->want_known = true;
	w->last_want = want;
	int ret = w->backend->ops->status(w->backend, &running, &d);
	if (ret != DF_OK) {
		log_err("Watcher: cannot tell whether the %s runs: %s", w->what,
			d.msg[0] != '\0' ? d.msg : df_strerror(ret));
		return failed(w, now_mono);
	}
	if (running == want) {
		w->backoff_ms = 0;
		w->retry_at_ms = 0;
		return INT64_MAX;
	}
	log_info("Watcher: %s the %s (this site is %s)", want ? "starting" : "stopping", w->what,
		 want ? "active" : "not active");
	d.msg[0] = '\0';
	ret = want ? w->backend->ops->start(w->backend, &d) : w->backend->ops->stop(w->backend, &d);
	uint64_t *ok = want ? &w->counts.start_ok : &w->counts.stop_ok;
	uint64_t *bad = want ? &w->counts.start_failed : &w->counts.stop_failed;
	if (ret != DF_OK) {
		(*bad)++;
		log_err("Watcher: could not %s the %s: %s", want ? "start" : "stop", w->what,
			d.msg[0] != '\0' ? d.msg : df_strerror(ret));
		return failed(w, now_mono);
	}
	(*ok)++;
	log_info("Watcher: %s %s", w->what, want ? "started" : "stopped");
	w->backoff_ms = 0;
	w->retry_at_ms = 0;
	return INT64_MAX;
}

void watcher_get_counts(const watcher_t *w, watcher_counts_t *out)
{
	*out = w->counts;
}
