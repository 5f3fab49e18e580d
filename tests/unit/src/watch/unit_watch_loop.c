#include "tests/unit/src/watch/unit_watch_loop.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/common/log.h"

static const char *const verb_names[] = {"status", "start", "stop"};

void unit_watch_on_done(void *arg, enum watch_verb verb, int ret, bool running, const char *msg)
{
	unit_watch_outcome_t *o = arg;
	o->calls++;
	o->verb = verb;
	o->ret = ret;
	o->running = running;
	o->at = clock_mono_ms();
	snprintf(o->msg, sizeof(o->msg), "%s", msg);
	loop_stop(o->loop);
}

void unit_watch_on_mark(loop_timer_t *t, void *arg)
{
	(void)t;
	unit_watch_mark_t *m = arg;
	m->fired = clock_mono_ms();
	if (m->stop) {
		loop_stop(m->loop);
	}
}

void unit_watch_run_for(loop_t *loop, int64_t ms)
{
	unit_watch_mark_t m = {.loop = loop, .stop = true};
	loop_timer_t *t = NULL;
	assert_int_equal(loop_timer_new(loop, &t, unit_watch_on_mark, &m), DF_OK);
	loop_timer_arm(t, ms, 0);
	assert_int_equal(loop_run(loop), DF_OK);
	loop_timer_free(t);
}

int unit_watch_async(watch_backend_t *b, loop_t *loop, enum watch_verb verb, bool *running,
		     df_detail_t *d)
{
	unit_watch_outcome_t o = {.loop = loop};
	unit_watch_mark_t guard = {.loop = loop, .stop = true};
	loop_timer_t *t = NULL;

	memset(d, 0, sizeof(*d));
	int ret = b->ops->begin(b, loop, verb, unit_watch_on_done, &o, d);
	assert_int_equal(o.calls, 0); /* never inside begin() */
	if (ret != DF_OK) {
		return ret;
	}
	assert_int_equal(loop_timer_new(loop, &t, unit_watch_on_mark, &guard), DF_OK);
	loop_timer_arm(t, 15000, 0);
	assert_int_equal(loop_run(loop), DF_OK);
	loop_timer_free(t);
	if (o.calls != 1) {
		fail_msg("%s on the loop: done ran %d times", verb_names[verb], o.calls);
	}
	assert_int_equal(o.verb, verb);
	snprintf(d->msg, sizeof(d->msg), "%s", o.msg);
	if (o.ret == DF_OK && verb == WATCH_STATUS) {
		*running = o.running;
	}
	return o.ret;
}

/* stderr into a file at debug level. */
static char log_path[128];
static int saved_stderr = -1;
static enum log_level saved_level;

static void capture_begin(void)
{
	snprintf(log_path, sizeof(log_path), "/tmp/df-watch-log-%d", (int)getpid());
	fflush(stderr);
	saved_stderr = dup(2);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(saved_stderr >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	saved_level = log_get_level();
	log_set_level(LOG_LEVEL_DEBUG);
}

/* What was logged since capture_begin(), without the time stamps. */
static void capture_end(char *out, size_t size)
{
	char line[2048];
	size_t used = 0;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	log_set_level(saved_level);
	out[0] = '\0';
	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "[YYYY-MM-DD HH:MM:SS] [LEVEL] message" */
		const char *rest = strstr(line, "] [");
		rest = rest != NULL ? rest + 2 : line;
		int n = snprintf(out + used, size - used, "%s", rest);
		if (n > 0 && (size_t)n < size - used) {
			used += (size_t)n;
		}
	}
	fclose(f);
	unlink(log_path);
}

void unit_watch_check_same(watch_backend_t *b, loop_t *loop, enum watch_verb verb,
			   void (*reset)(void *arg), void *arg, df_detail_t *d, char *log,
			   size_t size)
{
	char msg[sizeof(d->msg)], log1[4096], log2[4096];
	bool running1 = false, running2 = false;
	int ret1, ret2;

	if (reset != NULL) {
		reset(arg);
	}
	memset(d, 0, sizeof(*d));
	capture_begin();
	if (verb == WATCH_STATUS) {
		ret1 = b->ops->status(b, &running1, d);
	} else {
		ret1 = verb == WATCH_START ? b->ops->start(b, d) : b->ops->stop(b, d);
	}
	capture_end(log1, sizeof(log1));
	memcpy(msg, d->msg, sizeof(msg));

	if (reset != NULL) {
		reset(arg);
	}
	capture_begin();
	ret2 = unit_watch_async(b, loop, verb, &running2, d);
	capture_end(log2, sizeof(log2));

	if (ret1 != ret2 || strcmp(msg, d->msg) != 0 || strcmp(log1, log2) != 0 ||
	    (verb == WATCH_STATUS && running1 != running2)) {
		fail_msg("%s: blocking %d %d \"%s\" [%s], on the loop %d %d \"%s\" [%s]",
			 verb_names[verb], ret1, running1, msg, log1, ret2, running2, d->msg, log2);
	}
	if (log != NULL) {
		snprintf(log, size, "%s", log2);
	}
}
