/*
 * What the watcher backends' unit tests share to drive begin() on a real
 * loop and hold it against the blocking calls: an operation run until its
 * callback, a timer that notes when it fired, and the log lines of a call
 * captured without their time stamps. Failures fail the running test
 * through cmocka.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/loop/loop.h"
#include "src/watch/watch.h"

/* One operation begun on a loop, as its done callback reported it. */
typedef struct unit_watch_outcome {
	loop_t *loop; /* stopped when done runs */
	int calls;
	enum watch_verb verb;
	int ret;
	bool running;
	char msg[sizeof(((df_detail_t *)0)->msg)];
	int64_t at; /* clock_mono_ms() when it ended */
} unit_watch_outcome_t;

/* A watch_done_cb filling the unit_watch_outcome_t at arg. */
void unit_watch_on_done(void *arg, enum watch_verb verb, int ret, bool running, const char *msg);

/* A loop timer that notes when it fired, and stops its loop if asked. */
typedef struct unit_watch_mark {
	loop_t *loop;
	int64_t armed, fired; /* clock_mono_ms(); fired 0 until it fires */
	bool stop;
} unit_watch_mark_t;

/* A loop_timer_cb for the unit_watch_mark_t at arg. */
void unit_watch_on_mark(loop_timer_t *t, void *arg);

/* Runs loop for ms, whatever is in flight. */
void unit_watch_run_for(loop_t *loop, int64_t ms);

/*
 * verb through b's begin() on loop, run until its callback (15 s at most),
 * which must run once and never inside begin(): its result, with the
 * message in d and, for a status that succeeded, the state in *running,
 * as the blocking calls give them.
 */
int unit_watch_async(watch_backend_t *b, loop_t *loop, enum watch_verb verb, bool *running,
		     df_detail_t *d);

/*
 * verb blocking, then through begin() on loop, each from the state that
 * reset(arg) sets up (reset may be NULL): fails the test unless both give
 * the same result, state, message and log lines (at debug level). d gets
 * the message, log (size bytes, may be NULL) the log lines, without their
 * time stamps.
 */
void unit_watch_check_same(watch_backend_t *b, loop_t *loop, enum watch_verb verb,
			   void (*reset)(void *arg), void *arg, df_detail_t *d, char *log,
			   size_t size);
