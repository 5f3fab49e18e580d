/*
 * The watcher: keeps the collector running where this site is active and
 * stopped where it is not, through one backend (src/watch.h). It checks
 * the real state before every action, so it acts only when the state
 * differs from the wanted one (a collector started by hand on the active
 * site is left alone), logs every action and its result, and retries a
 * failed action with a growing delay.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/watch/watch.h"

typedef struct watcher watcher_t;

/* Takes ownership of backend. Caller frees with watcher_free(). */
int watcher_new(watcher_t **out, watch_backend_t *backend, const char *what);
void watcher_free(watcher_t *w);

/*
 * Runs the backend's operations on loop, without blocking it, when the
 * backend can (its begin()); otherwise, or before this is called, every
 * operation blocks for as long as the backend's own timeouts allow. NULL
 * (when the loop has stopped) kills what is in flight and goes back to
 * blocking calls.
 */
void watcher_set_loop(watcher_t *w, loop_t *loop);

/*
 * Brings the collector to want. Blocking: returns the monotonic instant
 * before which a failed action is not retried (calls before it check
 * nothing and return it again), or INT64_MAX when the state is as wanted.
 * On a loop: begins the status check and the action it calls for and
 * returns INT64_MAX or the retry instant at once. A start still in flight
 * when want turns false is killed and the stop begins at once, so a
 * step-down never waits for a hung start; a stop in flight is let finish,
 * then the new goal is followed.
 */
int64_t watcher_apply(watcher_t *w, bool want, int64_t now_mono);

/* Whether an operation is in flight on the loop. */
bool watcher_busy(const watcher_t *w);

/* Actions taken so far, for metrics: started/stopped, ok/failed. */
typedef struct watcher_counts {
	uint64_t start_ok, start_failed, stop_ok, stop_failed;
} watcher_counts_t;
void watcher_get_counts(const watcher_t *w, watcher_counts_t *out);
