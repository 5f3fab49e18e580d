/*
 * The one event loop: an epoll set over the sockets, one timerfd on
 * CLOCK_MONOTONIC behind any number of logical timers, one signalfd for the
 * signals a caller asks for, and child processes watched through a pidfd
 * (or SIGCHLD on the signalfd where pidfd_open() is missing). Everything
 * runs in the thread that calls loop_run(), through callbacks; the loop
 * sleeps only in epoll_wait(), so a callback that blocks holds everything:
 * callbacks must not block.
 *
 * Times are milliseconds on clock_mono_ms() (src/common/clock.h). A timer
 * never fires before its deadline: when it runs, clock_mono_ms() is at
 * least the deadline.
 *
 * Watches (timers, fd watches, child watches) belong to their loop: free
 * them before loop_free(), or let loop_free() free what is left. Any of
 * them may be freed, re-armed or cancelled from any callback, its own
 * included.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "src/common/error.h"

typedef struct loop loop_t;
typedef struct loop_timer loop_timer_t;
typedef struct loop_io loop_io_t;
typedef struct loop_child loop_child_t;

/* fd readiness, for loop_io_new() and the io callback. */
#define LOOP_READ  0x1u
#define LOOP_WRITE 0x2u

/*
 * Creates a loop (caller frees with loop_free()) and ignores SIGPIPE for
 * the process: a peer that went away is an error return, not a death.
 * Returns DF_OK, DF_ENOMEM, or the negated errno of epoll_create1(),
 * timerfd_create() or signalfd().
 */
int loop_new(loop_t **out);

/*
 * Frees l and every watch still registered on it (their callbacks are not
 * called); NULL does nothing. Signals that loop_signal_add() blocked stay
 * blocked: one that arrives during shutdown must not kill the process.
 */
void loop_free(loop_t *l);

/*
 * Waits for events and runs their callbacks until loop_stop(). Returns
 * DF_OK once stopped, or the negated errno of a failed epoll_wait() (EINTR
 * is retried). Callbacks still due in the same round are not run once one
 * of them stopped the loop. l may be run again after it returned.
 */
int loop_run(loop_t *l);

/* Makes loop_run() return after the callback that calls it. */
void loop_stop(loop_t *l);

/* ---- Timers -------------------------------------------------------------- */

typedef void (*loop_timer_cb)(loop_timer_t *t, void *arg);

/*
 * A timer, not armed. cb runs with arg (borrowed) at each expiry. *out is
 * freed with loop_timer_free() or by loop_free(). Returns DF_OK, DF_EINVAL,
 * DF_ENOMEM.
 */
int loop_timer_new(loop_t *l, loop_timer_t **out, loop_timer_cb cb, void *arg);

/* Cancels t and frees it; NULL does nothing. */
void loop_timer_free(loop_timer_t *t);

/*
 * (Re-)arms t to fire delay_ms from now (0: in the loop's next round),
 * then, when interval_ms > 0, every interval_ms after that first expiry,
 * as a periodic timerfd does: expiries missed while callbacks ran long are
 * not made up, the next one is the first still to come on the same grid.
 * Whatever t was armed for before is forgotten.
 */
void loop_timer_arm(loop_timer_t *t, int64_t delay_ms, int64_t interval_ms);

/* Disarms t; it does not fire until armed again. Harmless when not armed. */
void loop_timer_cancel(loop_timer_t *t);

/* Whether t will fire (armed and not cancelled). */
bool loop_timer_armed(const loop_timer_t *t);

/* ---- Descriptors ------------------------------------------------------- */

/* events: LOOP_READ and/or LOOP_WRITE; an error or hang-up on fd reports
 * every event watched, so the next read() or write() says what happened. */
typedef void (*loop_io_cb)(loop_io_t *io, int fd, unsigned events, void *arg);

/*
 * Watches fd (borrowed: the caller closes it, after loop_io_free()) for
 * events (LOOP_READ, LOOP_WRITE, both or 0 for none yet), level-triggered:
 * cb runs with arg each round while fd is ready. One watch per fd. Returns
 * DF_OK, DF_EINVAL, DF_ENOMEM, or the negated errno of epoll_ctl().
 */
int loop_io_new(loop_t *l, loop_io_t **out, int fd, unsigned events, loop_io_cb cb, void *arg);

/* Changes what io waits for (0: nothing for now). Returns DF_OK or the
 * negated errno of epoll_ctl(). */
int loop_io_set(loop_io_t *io, unsigned events);

/* Stops watching and frees io; NULL does nothing. */
void loop_io_free(loop_io_t *io);

/* ---- Signals ----------------------------------------------------------- */

typedef void (*loop_signal_cb)(loop_t *l, int signo, void *arg);

/*
 * Blocks signo for the process and delivers it through the signalfd: cb
 * runs with arg in the loop, never in a signal handler. A second call for
 * the same signal replaces the callback. Not for SIGCHLD (child watches
 * use it) nor SIGKILL and SIGSTOP. Returns DF_OK, DF_EINVAL, or the
 * negated errno of sigprocmask() or signalfd().
 */
int loop_signal_add(loop_t *l, int signo, loop_signal_cb cb, void *arg);

/* ---- Child processes ------------------------------------------------------ */

/*
 * status is the exit code, or 128 + the signal number when a signal
 * killed it (as proc_run() reports), or -1 when something else reaped it
 * first. The child has been reaped and the watch is freed when cb returns.
 */
typedef void (*loop_child_cb)(loop_child_t *c, pid_t pid, int status, void *arg);

/*
 * Watches pid, a child of this process, and reaps it when it exits: cb
 * runs with arg once, in the loop. Through a pidfd when the kernel has
 * pidfd_open(), else through SIGCHLD on the signalfd (blocked from the
 * first such watch on). A child that already exited is reported in the
 * next round. *out (may be NULL) stays valid until cb returns or
 * loop_child_cancel(). Returns DF_OK, DF_EINVAL when pid is not a child
 * of this process, DF_ENOMEM, or the negated errno of epoll_ctl(),
 * sigprocmask() or signalfd().
 */
int loop_child_watch(loop_t *l, loop_child_t **out, pid_t pid, loop_child_cb cb, void *arg);

/* Stops watching without reaping (whoever waits for it now reaps it) and
 * frees c; NULL does nothing. */
void loop_child_cancel(loop_child_t *c);

/* For tests: false makes l watch children through SIGCHLD, as on a kernel
 * without pidfd_open(). Applies to watches made afterwards. */
void loop_set_pidfd(loop_t *l, bool use);
