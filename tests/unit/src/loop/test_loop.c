/* The event loop: timers, descriptors, signals, child processes, stopping. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/common/clock.h"
#include "src/loop/loop.h"

/* How late a callback may run on a busy machine and still be "on time". */
#define LATE_MS 15

typedef struct fired {
	loop_t *loop;
	int id;
	int64_t at[16];
	int order[16];
	int count;
	bool stop;
	loop_timer_t *other; /* cancelled or re-armed from the callback */
} fired_t;

typedef struct probe {
	fired_t *log;
	int id;
	bool stop;
} probe_t;

static void record(loop_timer_t *t, void *arg)
{
	(void)t;
	probe_t *p = arg;
	fired_t *f = p->log;
	if (f->count < 16) {
		f->at[f->count] = clock_mono_ms();
		f->order[f->count] = p->id;
	}
	f->count++;
	if (p->stop) {
		loop_stop(f->loop);
	}
}

static void timers_fire_in_order_and_on_time(void **state)
{
	(void)state;
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	fired_t f = {.loop = l};
	probe_t p[3] = {{&f, 60, true}, {&f, 20, false}, {&f, 40, false}};
	loop_timer_t *t[3];
	int64_t start = clock_mono_ms();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(loop_timer_new(l, &t[i], record, &p[i]), DF_OK);
		loop_timer_arm(t[i], p[i].id, 0);
		assert_true(loop_timer_armed(t[i]));
	}
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(f.count, 3);
	int want[3] = {20, 40, 60};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f.order[i], want[i]);
		int64_t late = f.at[i] - (start + want[i]);
		assert_true(late >= 0);
		assert_true(late <= LATE_MS);
	}
	/* One-shot: fired, no longer armed. */
	for (int i = 0; i < 3; i++) {
		assert_false(loop_timer_armed(t[i]));
	}
	loop_timer_free(t[1]);
	loop_free(l); /* frees the two timers left */
}

static void cancel_other(loop_timer_t *t, void *arg)
{
	probe_t *p = arg;
	record(t, arg);
	loop_timer_cancel(p->log->other);
}

static void cancelled_timer_does_not_fire(void **state)
{
	(void)state;
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	fired_t f = {.loop = l};
	probe_t a = {&f, 1, false}, b = {&f, 2, false}, c = {&f, 3, false}, end = {&f, 4, true};
	loop_timer_t *ta, *tb, *tc, *tend;
	assert_int_equal(loop_timer_new(l, &ta, record, &a), DF_OK);
	assert_int_equal(loop_timer_new(l, &tb, cancel_other, &b), DF_OK);
	assert_int_equal(loop_timer_new(l, &tc, record, &c), DF_OK);
	assert_int_equal(loop_timer_new(l, &tend, record, &end), DF_OK);
	loop_timer_arm(ta, 20, 0);
	loop_timer_arm(tb, 10, 0);
	loop_timer_arm(tc, 30, 10); /* periodic: cancelling stops it all */
	loop_timer_arm(tend, 60, 0);
	loop_timer_cancel(ta);
	loop_timer_cancel(ta); /* twice is harmless */
	assert_false(loop_timer_armed(ta));
	f.other = tc; /* b cancels c from its callback */
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(f.count, 2);
	assert_int_equal(f.order[0], 2);
	assert_int_equal(f.order[1], 4);
	assert_false(loop_timer_armed(tc));
	loop_free(l);
}

static void rearm_self(loop_timer_t *t, void *arg)
{
	probe_t *p = arg;
	record(t, arg);
	if (p->log->count < 3) {
		loop_timer_arm(t, 10, 0);
	} else {
		loop_stop(p->log->loop);
	}
}

static void periodic_then_stop(loop_timer_t *t, void *arg)
{
	probe_t *p = arg;
	record(t, arg);
	if (p->log->count == 4) {
		loop_timer_cancel(t);
		loop_stop(p->log->loop);
	}
}

static void rearming(void **state)
{
	(void)state;
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);

	/* Re-armed before it fired: only the new deadline counts. */
	fired_t f = {.loop = l};
	probe_t p = {&f, 1, true};
	loop_timer_t *t;
	assert_int_equal(loop_timer_new(l, &t, record, &p), DF_OK);
	loop_timer_arm(t, 500, 0);
	int64_t start = clock_mono_ms();
	loop_timer_arm(t, 20, 0);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(f.count, 1);
	assert_true(f.at[0] - start >= 20 && f.at[0] - start <= 20 + LATE_MS);

	/* Re-armed from its own callback. */
	fired_t g = {.loop = l};
	probe_t q = {&g, 2, false};
	loop_timer_t *u;
	assert_int_equal(loop_timer_new(l, &u, rearm_self, &q), DF_OK);
	start = clock_mono_ms();
	loop_timer_arm(u, 10, 0);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(g.count, 3);
	assert_true(g.at[2] - start >= 30 && g.at[2] - start <= 30 + 3 * LATE_MS);

	/* Periodic, on a fixed grid; arming again forgets the interval. */
	fired_t h = {.loop = l};
	probe_t r = {&h, 3, false};
	loop_timer_t *v;
	assert_int_equal(loop_timer_new(l, &v, periodic_then_stop, &r), DF_OK);
	start = clock_mono_ms();
	loop_timer_arm(v, 10, 20);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(h.count, 4);
	for (int i = 0; i < 4; i++) {
		int64_t late = h.at[i] - (start + 10 + 20 * i);
		assert_true(late >= 0 && late <= LATE_MS);
	}
	assert_false(loop_timer_armed(v));
	r.stop = true;
	loop_timer_arm(v, 5, 20);
	loop_timer_arm(v, 5, 0);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(h.count, 5);
	assert_false(loop_timer_armed(v));
	loop_free(l);
}

typedef struct io_probe {
	loop_t *loop;
	int wfd;
	int reads;
	int writes;
	char got;
} io_probe_t;

static void on_readable(loop_io_t *io, int fd, unsigned events, void *arg)
{
	io_probe_t *p = arg;
	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, &p->got, 1), 1);
	p->reads++;
	loop_io_free(io); /* freeing itself from its callback */
	loop_stop(p->loop);
}

static void on_writable(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)fd;
	io_probe_t *p = arg;
	assert_int_equal(events, LOOP_WRITE);
	p->writes++;
	assert_int_equal(loop_io_set(io, 0), DF_OK); /* once is enough */
}

static void write_byte(loop_timer_t *t, void *arg)
{
	(void)t;
	io_probe_t *p = arg;
	assert_int_equal(write(p->wfd, "x", 1), 1);
}

static void fd_readiness(void **state)
{
	(void)state;
	loop_t *l = NULL;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_new(&l), DF_OK);
	io_probe_t p = {.loop = l, .wfd = fds[1]};
	loop_io_t *rio, *wio;
	loop_timer_t *t;
	assert_int_equal(loop_io_new(l, &rio, fds[0], LOOP_READ, on_readable, &p), DF_OK);
	assert_int_equal(loop_io_new(l, &wio, fds[1], LOOP_WRITE, on_writable, &p), DF_OK);
	assert_int_equal(loop_io_new(l, &rio, -1, LOOP_READ, on_readable, &p), DF_EINVAL);
	assert_int_equal(loop_timer_new(l, &t, write_byte, &p), DF_OK);
	loop_timer_arm(t, 20, 0);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.reads, 1);
	assert_int_equal(p.writes, 1);
	assert_int_equal(p.got, 'x');
	loop_io_free(wio);
	loop_free(l);
	close(fds[0]);
	close(fds[1]);
}

typedef struct sig_probe {
	int got[4];
	int count;
} sig_probe_t;

static void on_signal(loop_t *l, int signo, void *arg)
{
	sig_probe_t *p = arg;
	if (p->count < 4) {
		p->got[p->count] = signo;
	}
	p->count++;
	if (signo == SIGTERM) {
		loop_stop(l);
	}
}

static void send_term(loop_timer_t *t, void *arg)
{
	(void)t;
	(void)arg;
	kill(getpid(), SIGTERM);
}

static void signal_through_signalfd(void **state)
{
	(void)state;
	sigset_t before;
	sigprocmask(SIG_BLOCK, NULL, &before);
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	sig_probe_t p = {{0}, 0};
	assert_int_equal(loop_signal_add(l, SIGHUP, on_signal, &p), DF_OK);
	assert_int_equal(loop_signal_add(l, SIGTERM, on_signal, &p), DF_OK);
	assert_int_equal(loop_signal_add(l, SIGCHLD, on_signal, &p), DF_EINVAL);
	assert_int_equal(loop_signal_add(l, SIGKILL, on_signal, &p), DF_EINVAL);
	/* Blocked: raised before the loop runs, it waits for the loop. */
	raise(SIGHUP);
	sigset_t pending;
	sigpending(&pending);
	assert_true(sigismember(&pending, SIGHUP));
	loop_timer_t *t;
	assert_int_equal(loop_timer_new(l, &t, send_term, NULL), DF_OK);
	loop_timer_arm(t, 20, 0);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.count, 2);
	assert_int_equal(p.got[0], SIGHUP);
	assert_int_equal(p.got[1], SIGTERM);
	/* SIGPIPE is ignored: a write to a closed pipe is EPIPE. */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(write(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
	loop_free(l);
	sigprocmask(SIG_SETMASK, &before, NULL); /* nothing is pending */
}

typedef struct child_probe {
	loop_t *loop;
	pid_t pid;
	int status;
	int count;
	int64_t at;
} child_probe_t;

static void on_exit_cb(loop_child_t *c, pid_t pid, int status, void *arg)
{
	child_probe_t *p = arg;
	loop_child_cancel(c); /* too late: harmless */
	p->pid = pid;
	p->status = status;
	p->count++;
	p->at = clock_mono_ms();
	loop_stop(p->loop);
}

static pid_t spawn(int code, int ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		usleep((useconds_t)ms * 1000);
		_exit(code);
	}
	return pid;
}

static void child_exit_through_pidfd(void **state)
{
	(void)state;
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	child_probe_t p = {.loop = l};
	pid_t pid = spawn(7, 30);
	assert_true(pid > 0);
	int64_t start = clock_mono_ms();
	assert_int_equal(loop_child_watch(l, NULL, pid, on_exit_cb, &p), DF_OK);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.pid, pid);
	assert_int_equal(p.status, 7);
	assert_true(p.at - start < 1000);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped */
	/* Through the pidfd: SIGCHLD was never needed. */
	sigset_t blocked;
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	assert_false(sigismember(&blocked, SIGCHLD));

	/* Killed by a signal: 128 + its number. */
	pid = spawn(0, 30000);
	assert_int_equal(loop_child_watch(l, NULL, pid, on_exit_cb, &p), DF_OK);
	kill(pid, SIGKILL);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.status, 128 + SIGKILL);

	/* Not ours: refused. */
	assert_int_equal(loop_child_watch(l, NULL, getppid(), on_exit_cb, &p), DF_EINVAL);

	/* Cancelled: not reported; we reap it ourselves. */
	loop_child_t *c;
	pid = spawn(0, 10);
	assert_int_equal(loop_child_watch(l, &c, pid, on_exit_cb, &p), DF_OK);
	loop_child_cancel(c);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(p.count, 2);
	loop_free(l);
}

static void child_exit_through_sigchld(void **state)
{
	(void)state;
	sigset_t before;
	sigprocmask(SIG_BLOCK, NULL, &before);
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	loop_set_pidfd(l, false);
	child_probe_t p = {.loop = l};
	/* One exits before it is watched, one after. */
	pid_t early = spawn(3, 0);
	usleep(50 * 1000);
	assert_int_equal(loop_child_watch(l, NULL, early, on_exit_cb, &p), DF_OK);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.pid, early);
	assert_int_equal(p.status, 3);
	pid_t late = spawn(4, 30);
	assert_int_equal(loop_child_watch(l, NULL, late, on_exit_cb, &p), DF_OK);
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(p.pid, late);
	assert_int_equal(p.status, 4);
	assert_int_equal(p.count, 2);
	loop_free(l);
	sigprocmask(SIG_SETMASK, &before, NULL);
}

static void stop_from_callback(void **state)
{
	(void)state;
	loop_t *l = NULL;
	assert_int_equal(loop_new(&l), DF_OK);
	fired_t f = {.loop = l};
	probe_t a = {&f, 1, true}, b = {&f, 2, true};
	loop_timer_t *ta, *tb;
	assert_int_equal(loop_timer_new(l, &ta, record, &a), DF_OK);
	assert_int_equal(loop_timer_new(l, &tb, record, &b), DF_OK);
	loop_timer_arm(ta, 0, 0);
	loop_timer_arm(tb, 0, 0);
	/* Both due at once: the first stops the loop, the second waits. */
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.order[0], 1);
	assert_true(loop_timer_armed(tb));
	/* Run again: what was left is done. */
	assert_int_equal(loop_run(l), DF_OK);
	assert_int_equal(f.count, 2);
	assert_int_equal(f.order[1], 2);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_order_and_on_time),
		cmocka_unit_test(cancelled_timer_does_not_fire),
		cmocka_unit_test(rearming),
		cmocka_unit_test(fd_readiness),
		cmocka_unit_test(signal_through_signalfd),
		cmocka_unit_test(child_exit_through_pidfd),
		cmocka_unit_test(child_exit_through_sigchld),
		cmocka_unit_test(stop_from_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
