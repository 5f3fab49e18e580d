#include "src/loop/loop.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/common/clock.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

#define LOOP_EVENTS_MAX 32

struct loop_io {
	loop_t *loop;
	int fd;
	unsigned events; /* LOOP_READ | LOOP_WRITE */
	bool in_epoll;	 /* events == 0 is kept out of the set */
	bool dead;	 /* freed while a round may still hold it */
	loop_io_cb cb;
	void *arg;
	loop_io_t *prev, *next; /* l->ios, or l->garbage once dead */
};

struct loop_timer {
	loop_t *loop;
	loop_timer_cb cb;
	void *arg;
	int64_t when_ms;
	int64_t interval_ms;
	uint64_t seq;	 /* equal deadlines fire in the order they were armed */
	size_t heap_idx; /* SIZE_MAX when not armed */
	loop_timer_t *prev, *next;
};

struct loop_child {
	loop_t *loop;
	pid_t pid;
	loop_child_cb cb;
	void *arg;
	int pidfd;     /* -1: reaped on SIGCHLD */
	loop_io_t *io; /* on pidfd */
	bool reaped;   /* its callback runs: cancelling is too late */
	loop_child_t *prev, *next;
};

struct loop {
	int epfd;
	int timer_fd;
	int sig_fd;
	loop_io_t *timer_io;
	loop_io_t *sig_io;
	bool stop;
	bool running;
	int dispatching;   /* > 0 while a round's events are handed out */
	bool reap_pending; /* a SIGCHLD-watched child may have exited */
	bool use_pidfd;
	bool sigchld_on; /* SIGCHLD blocked and on the signalfd */
	sigset_t sigset; /* what the signalfd reads */
	struct {
		loop_signal_cb cb;
		void *arg;
	} sigs[_NSIG];
	loop_timer_t **heap; /* min-heap on (when_ms, seq) */
	size_t heap_len;
	size_t heap_cap; /* at least timer_count */
	size_t timer_count;
	uint64_t seq;
	int64_t armed_ms; /* the deadline the timerfd is set to, -1 for none */
	loop_timer_t *timers;
	loop_io_t *ios;
	loop_io_t *garbage;
	loop_child_t *children;
};

/* ---- Lists ------------------------------------------------------------- */

#define LIST_ADD(head, item)                   \
	do {                                   \
		(item)->prev = NULL;           \
		(item)->next = (head);         \
		if ((head) != NULL) {          \
			(head)->prev = (item); \
		}                              \
		(head) = (item);               \
	} while (0)

#define LIST_DEL(head, item)                               \
	do {                                               \
		if ((item)->prev != NULL) {                \
			(item)->prev->next = (item)->next; \
		} else {                                   \
			(head) = (item)->next;             \
		}                                          \
		if ((item)->next != NULL) {                \
			(item)->next->prev = (item)->prev; \
		}                                          \
		(item)->prev = (item)->next = NULL;        \
	} while (0)

/* ---- Timer heap -------------------------------------------------------- */

static bool earlier(const loop_timer_t *a, const loop_timer_t *b)
{
	return a->when_ms < b->when_ms || (a->when_ms == b->when_ms && a->seq < b->seq);
}

static void heap_set(loop_t *l, size_t i, loop_timer_t *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(loop_t *l, size_t i)
{
	loop_timer_t *t = l->heap[i];
	while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void heap_down(loop_t *l, size_t i)
{
	loop_timer_t *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->heap_len) {
			break;
		}
		if (c + 1 < l->heap_len && earlier(l->heap[c + 1], l->heap[c])) {
			c++;
		}
		if (!earlier(l->heap[c], t)) {
			break;
		}
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

/* Room for every timer is taken when it is made: arming cannot fail. */
static void heap_push(loop_t *l, loop_timer_t *t)
{
	assert(l->heap_len < l->heap_cap);
	heap_set(l, l->heap_len++, t);
	heap_up(l, t->heap_idx);
}

static void heap_remove(loop_t *l, loop_timer_t *t)
{
	size_t i = t->heap_idx;
	assert(i < l->heap_len && l->heap[i] == t);
	t->heap_idx = SIZE_MAX;
	loop_timer_t *last = l->heap[--l->heap_len];
	if (last == t) {
		return;
	}
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->heap_idx);
}

/* Sets the timerfd to the earliest deadline, or disarms it. */
static void sync_timerfd(loop_t *l)
{
	int64_t when = l->heap_len > 0 ? l->heap[0]->when_ms : -1;
	if (when == l->armed_ms) {
		return;
	}
	struct itimerspec its = {0};
	if (when >= 0) {
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (when % 1000) * 1000000;
		if (when == 0) {
			its.it_value.tv_nsec = 1; /* zero would disarm */
		}
	}
	timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed_ms = when;
}

/* Runs the timers due now, earliest first. */
static void on_timerfd(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	loop_t *l = arg;
	uint64_t count;
	while (read(fd, &count, sizeof(count)) == sizeof(count)) {
	}
	l->armed_ms = -1; /* expired: set it again even for the same deadline */
	int64_t now = clock_mono_ms();
	while (!l->stop && l->heap_len > 0 && l->heap[0]->when_ms <= now) {
		loop_timer_t *t = l->heap[0];
		heap_remove(l, t);
		if (t->interval_ms > 0) {
			/* The next expiry on the same grid still to come, as a
			 * periodic timerfd counts them. */
			int64_t next = t->when_ms + t->interval_ms;
			int64_t cur = clock_mono_ms();
			if (next <= cur) {
				next += ((cur - next) / t->interval_ms + 1) * t->interval_ms;
			}
			t->when_ms = next;
			t->seq = ++l->seq;
			heap_push(l, t);
		}
		t->cb(t, t->arg);
	}
}

/* ---- Timers ------------------------------------------------------------ */

int loop_timer_new(loop_t *l, loop_timer_t **out, loop_timer_cb cb, void *arg)
{
	if (l == NULL || out == NULL || cb == NULL) {
		return DF_EINVAL;
	}
	if (l->timer_count == l->heap_cap) {
		size_t cap = l->heap_cap == 0 ? 8 : l->heap_cap * 2;
		loop_timer_t **heap = realloc(l->heap, cap * sizeof(*heap));
		if (heap == NULL) {
			return DF_ENOMEM;
		}
		l->heap = heap;
		l->heap_cap = cap;
	}
	loop_timer_t *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return DF_ENOMEM;
	}
	l->timer_count++;
	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = SIZE_MAX;
	LIST_ADD(l->timers, t);
	*out = t;
	return DF_OK;
}

void loop_timer_cancel(loop_timer_t *t)
{
	if (t != NULL && t->heap_idx != SIZE_MAX) {
		heap_remove(t->loop, t);
	}
}

void loop_timer_free(loop_timer_t *t)
{
	if (t == NULL) {
		return;
	}
	loop_timer_cancel(t);
	LIST_DEL(t->loop->timers, t);
	t->loop->timer_count--;
	free(t);
}

void loop_timer_arm(loop_timer_t *t, int64_t delay_ms, int64_t interval_ms)
{
	if (t == NULL) {
		return;
	}
	loop_t *l = t->loop;
	loop_timer_cancel(t);
	t->when_ms = clock_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->interval_ms = interval_ms > 0 ? interval_ms : 0;
	t->seq = ++l->seq;
	heap_push(l, t);
}

bool loop_timer_armed(const loop_timer_t *t)
{
	return t != NULL && t->heap_idx != SIZE_MAX;
}

/* ---- Descriptors ------------------------------------------------------- */

static int io_apply(loop_io_t *io, unsigned events)
{
	loop_t *l = io->loop;
	struct epoll_event ev = {.events = 0, .data.ptr = io};
	if (events & LOOP_READ) {
		ev.events |= EPOLLIN;
	}
	if (events & LOOP_WRITE) {
		ev.events |= EPOLLOUT;
	}
	int op;
	if (events == 0) {
		/* Out of the set: epoll would report a hang-up even with no
		 * event asked for, round after round. */
		if (!io->in_epoll) {
			io->events = 0;
			return DF_OK;
		}
		op = EPOLL_CTL_DEL;
	} else {
		op = io->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	}
	if (epoll_ctl(l->epfd, op, io->fd, &ev) != 0) {
		return -errno;
	}
	io->in_epoll = events != 0;
	io->events = events;
	return DF_OK;
}

int loop_io_new(loop_t *l, loop_io_t **out, int fd, unsigned events, loop_io_cb cb, void *arg)
{
	if (l == NULL || out == NULL || fd < 0 || cb == NULL ||
	    (events & ~(LOOP_READ | LOOP_WRITE)) != 0) {
		return DF_EINVAL;
	}
	loop_io_t *io = calloc(1, sizeof(*io));
	if (io == NULL) {
		return DF_ENOMEM;
	}
	io->loop = l;
	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
	int ret = io_apply(io, events);
	if (ret != DF_OK) {
		free(io);
		return ret;
	}
	LIST_ADD(l->ios, io);
	*out = io;
	return DF_OK;
}

int loop_io_set(loop_io_t *io, unsigned events)
{
	if (io == NULL || io->dead || (events & ~(LOOP_READ | LOOP_WRITE)) != 0) {
		return DF_EINVAL;
	}
	return events == io->events ? DF_OK : io_apply(io, events);
}

void loop_io_free(loop_io_t *io)
{
	if (io == NULL || io->dead) {
		return;
	}
	loop_t *l = io->loop;
	if (io->in_epoll) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
		io->in_epoll = false;
	}
	LIST_DEL(l->ios, io);
	if (l->dispatching > 0) {
		/* The round's event list may still point at it. */
		io->dead = true;
		LIST_ADD(l->garbage, io);
		return;
	}
	free(io);
}

static void free_garbage(loop_t *l)
{
	while (l->garbage != NULL) {
		loop_io_t *io = l->garbage;
		LIST_DEL(l->garbage, io);
		free(io);
	}
}

/* ---- Child processes ------------------------------------------------------ */

static int exit_code(int ws)
{
	if (WIFEXITED(ws)) {
		return WEXITSTATUS(ws);
	}
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
}

static void child_free(loop_child_t *c)
{
	loop_io_free(c->io);
	if (c->pidfd >= 0) {
		close(c->pidfd);
	}
	LIST_DEL(c->loop->children, c);
	free(c);
}

/* Reaps c if it exited and reports it; returns true when it did. */
static bool child_reap(loop_child_t *c)
{
	int ws = 0;
	pid_t r = waitpid(c->pid, &ws, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR)) {
		return false;
	}
	/* r < 0 (ECHILD): someone else reaped it; its status is lost. */
	int status = r == c->pid ? exit_code(ws) : -1;
	loop_child_cb cb = c->cb;
	void *arg = c->arg;
	pid_t pid = c->pid;
	/* Off the list before the callback, which may watch a new child. */
	loop_io_free(c->io);
	c->io = NULL;
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	LIST_DEL(c->loop->children, c);
	c->reaped = true;
	cb(c, pid, status, arg);
	free(c);
	return true;
}

static void on_pidfd(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)fd;
	(void)events;
	child_reap(arg);
}

/* The children watched through SIGCHLD: one signal may stand for many. */
static void reap_sigchld(loop_t *l)
{
	l->reap_pending = false;
	bool again = true;
	while (again && !l->stop) {
		again = false;
		for (loop_child_t *c = l->children; c != NULL; c = c->next) {
			if (c->pidfd < 0 && child_reap(c)) {
				again = true; /* the list may have changed */
				break;
			}
		}
	}
	if (l->stop) {
		l->reap_pending = true; /* the rest when it runs again */
	}
}

static int sigchld_on(loop_t *l)
{
	if (l->sigchld_on) {
		return DF_OK;
	}
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &one, NULL) != 0) {
		return -errno;
	}
	sigaddset(&l->sigset, SIGCHLD);
	if (signalfd(l->sig_fd, &l->sigset, SFD_NONBLOCK | SFD_CLOEXEC) < 0) {
		sigdelset(&l->sigset, SIGCHLD);
		return -errno;
	}
	l->sigchld_on = true;
	return DF_OK;
}

int loop_child_watch(loop_t *l, loop_child_t **out, pid_t pid, loop_child_cb cb, void *arg)
{
	if (l == NULL || pid <= 0 || cb == NULL) {
		return DF_EINVAL;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
		return DF_EINVAL; /* not a child of ours */
	}
	loop_child_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return DF_ENOMEM;
	}
	c->loop = l;
	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	c->pidfd = l->use_pidfd ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	int ret = DF_OK;
	if (c->pidfd >= 0) {
		ret = loop_io_new(l, &c->io, c->pidfd, LOOP_READ, on_pidfd, c);
	} else {
		ret = sigchld_on(l);
		/* It may have exited before SIGCHLD was blocked. */
		l->reap_pending = true;
	}
	if (ret != DF_OK) {
		if (c->pidfd >= 0) {
			close(c->pidfd);
		}
		free(c);
		return ret;
	}
	LIST_ADD(l->children, c);
	if (out != NULL) {
		*out = c;
	}
	return DF_OK;
}

void loop_child_cancel(loop_child_t *c)
{
	if (c != NULL && !c->reaped) {
		child_free(c);
	}
}

void loop_set_pidfd(loop_t *l, bool use)
{
	if (l != NULL) {
		l->use_pidfd = use;
	}
}

/* ---- Signals ----------------------------------------------------------- */

static void on_signalfd(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	loop_t *l = arg;
	struct signalfd_siginfo si;
	while (!l->stop && read(fd, &si, sizeof(si)) == sizeof(si)) {
		int signo = (int)si.ssi_signo;
		if (signo == SIGCHLD) {
			reap_sigchld(l);
		} else if (signo > 0 && signo < _NSIG && l->sigs[signo].cb != NULL) {
			l->sigs[signo].cb(l, signo, l->sigs[signo].arg);
		}
	}
}

int loop_signal_add(loop_t *l, int signo, loop_signal_cb cb, void *arg)
{
	if (l == NULL || cb == NULL || signo <= 0 || signo >= _NSIG || signo == SIGCHLD ||
	    signo == SIGKILL || signo == SIGSTOP) {
		return DF_EINVAL;
	}
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) != 0) {
		return -errno;
	}
	if (!sigismember(&l->sigset, signo)) {
		sigaddset(&l->sigset, signo);
		if (signalfd(l->sig_fd, &l->sigset, SFD_NONBLOCK | SFD_CLOEXEC) < 0) {
			sigdelset(&l->sigset, signo);
			return -errno;
		}
	}
	l->sigs[signo].cb = cb;
	l->sigs[signo].arg = arg;
	return DF_OK;
}

/* ---- The loop ---------------------------------------------------------- */

int loop_new(loop_t **out)
{
	if (out == NULL) {
		return DF_EINVAL;
	}
	loop_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return DF_ENOMEM;
	}
	l->armed_ms = -1;
	l->use_pidfd = true;
	l->timer_fd = l->sig_fd = -1;
	sigemptyset(&l->sigset);
	int ret = DF_OK;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (l->sig_fd = signalfd(-1, &l->sigset, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		ret = -errno;
		goto out;
	}
	ret = loop_io_new(l, &l->timer_io, l->timer_fd, LOOP_READ, on_timerfd, l);
	if (ret == DF_OK) {
		ret = loop_io_new(l, &l->sig_io, l->sig_fd, LOOP_READ, on_signalfd, l);
	}
	if (ret == DF_OK) {
		signal(SIGPIPE, SIG_IGN);
		*out = l;
	}
out:
	if (ret != DF_OK) {
		loop_free(l);
	}
	return ret;
}

void loop_free(loop_t *l)
{
	if (l == NULL) {
		return;
	}
	assert(!l->running);
	while (l->children != NULL) {
		child_free(l->children);
	}
	while (l->timers != NULL) {
		loop_timer_free(l->timers);
	}
	while (l->ios != NULL) {
		loop_io_free(l->ios);
	}
	free_garbage(l);
	free(l->heap);
	int fds[] = {l->epfd, l->timer_fd, l->sig_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0) {
			close(fds[i]);
		}
	}
	free(l);
}

void loop_stop(loop_t *l)
{
	if (l != NULL) {
		l->stop = true;
	}
}

static void dispatch(loop_t *l, const struct epoll_event *evs, int n)
{
	l->dispatching++;
	for (int i = 0; i < n && !l->stop; i++) {
		loop_io_t *io = evs[i].data.ptr;
		if (io->dead) {
			continue;
		}
		unsigned got = 0;
		if (evs[i].events & EPOLLIN) {
			got |= LOOP_READ;
		}
		if (evs[i].events & EPOLLOUT) {
			got |= LOOP_WRITE;
		}
		if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
			got |= io->events;
		}
		got &= io->events;
		if (got != 0) {
			io->cb(io, io->fd, got, io->arg);
		}
	}
	l->dispatching--;
	if (l->dispatching == 0) {
		free_garbage(l);
	}
}

int loop_run(loop_t *l)
{
	if (l == NULL || l->running) {
		return DF_EINVAL;
	}
	int ret = DF_OK;
	l->running = true;
	while (!l->stop) {
		if (l->reap_pending) {
			l->dispatching++;
			reap_sigchld(l);
			l->dispatching--;
			free_garbage(l);
			if (l->stop) {
				break;
			}
		}
		sync_timerfd(l);
		struct epoll_event evs[LOOP_EVENTS_MAX];
		int n = epoll_wait(l->epfd, evs, LOOP_EVENTS_MAX, -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = -errno;
			break;
		}
		dispatch(l, evs, n);
	}
	l->stop = false;
	l->running = false;
	return ret;
}
