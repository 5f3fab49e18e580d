/*
 * A libcurl multi driven by the event loop through its socket and timer
 * callbacks (curl_multi_socket_action()): libcurl never sleeps or polls
 * here, the loop does, in epoll_wait().
 */
#include "src/http/http_multi.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/loop/loop.h"

/* One transfer in flight. */
struct xfer {
	http_multi_t *m;
	http_request_t *req;
	http_multi_cb cb;
	void *arg;
	struct xfer *prev, *next;
};

/* One socket libcurl waits on, with its loop watch (curl_multi_assign()). */
struct sock {
	http_multi_t *m;
	loop_io_t *io;
	curl_socket_t fd;
	struct sock *prev, *next;
};

struct http_multi {
	loop_t *loop;
	CURLM *cm;
	loop_timer_t *timer;
	struct xfer *xfers;
	struct sock *socks;
	unsigned running;
	unsigned busy; /* depth of our own dispatch (callbacks may free m) */
	bool dying;
};

static void sock_free(struct sock *s)
{
	http_multi_t *m = s->m;
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		m->socks = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	loop_io_free(s->io);
	free(s);
}

static void xfer_unlink(struct xfer *x)
{
	http_multi_t *m = x->m;
	if (x->prev != NULL) {
		x->prev->next = x->next;
	} else {
		m->xfers = x->next;
	}
	if (x->next != NULL) {
		x->next->prev = x->prev;
	}
	x->prev = x->next = NULL;
	m->running--;
}

static struct xfer *xfer_find(http_multi_t *m, const http_request_t *req)
{
	for (struct xfer *x = m->xfers; x != NULL; x = x->next) {
		if (x->req == req) {
			return x;
		}
	}
	return NULL;
}

/* Takes x out of the multi and frees it; its callback does not run. */
static void xfer_abort(struct xfer *x)
{
	CURL *easy = http_request_easy(x->req);
	xfer_unlink(x);
	curl_multi_remove_handle(x->m->cm, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(x);
}

static void multi_destroy(http_multi_t *m)
{
	while (m->xfers != NULL) {
		xfer_abort(m->xfers);
	}
	/* Closing the cached connections may still call the socket callback. */
	curl_multi_cleanup(m->cm);
	while (m->socks != NULL) {
		sock_free(m->socks);
	}
	loop_timer_free(m->timer);
	free(m);
	curl_global_cleanup();
}

/* Finishes every transfer libcurl reports done, calling each callback once. */
static void drain(http_multi_t *m)
{
	CURLMsg *msg;
	int left;

	while (!m->dying && (msg = curl_multi_info_read(m->cm, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		struct xfer *x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL) {
			continue;
		}
		xfer_unlink(x);
		curl_multi_remove_handle(m->cm, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		http_request_t *req = x->req;
		http_multi_cb cb = x->cb;
		void *arg = x->arg;
		free(x);
		int ret = http_request_finish(req, (int)result);
		cb(req, ret, arg);
	}
}

/* Runs curl_multi_socket_action() and the completions it produced. */
static void action(http_multi_t *m, curl_socket_t fd, int flags)
{
	int still = 0;
	m->busy++;
	CURLMcode rc = curl_multi_socket_action(m->cm, fd, flags, &still);
	if (rc != CURLM_OK) {
		log_debug("http: curl_multi_socket_action: %s", curl_multi_strerror(rc));
	}
	drain(m);
	m->busy--;
	if (m->dying && m->busy == 0) {
		multi_destroy(m);
	}
}

static void on_io(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	http_multi_t *m = arg;
	int flags = 0;
	if (events & LOOP_READ) {
		flags |= CURL_CSELECT_IN;
	}
	if (events & LOOP_WRITE) {
		flags |= CURL_CSELECT_OUT;
	}
	action(m, fd, flags);
}

static void on_timer(loop_timer_t *t, void *arg)
{
	(void)t;
	action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says what it waits for on fd. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	http_multi_t *m = userp;
	struct sock *s = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(m->cm, fd, NULL);
			sock_free(s);
		}
		return 0;
	}
	unsigned events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
		events |= LOOP_READ;
	}
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
		events |= LOOP_WRITE;
	}
	if (s != NULL) {
		int ret = loop_io_set(s->io, events);
		if (ret != DF_OK) {
			log_warn("http, cannot watch a socket (%s)", df_strerror(ret));
			return -1;
		}
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return -1;
	}
	s->m = m;
	s->fd = fd;
	int ret = loop_io_new(m->loop, &s->io, fd, events, on_io, m);
	if (ret != DF_OK) {
		log_warn("http, cannot watch a socket (%s)", df_strerror(ret));
		free(s);
		return -1;
	}
	s->next = m->socks;
	if (m->socks != NULL) {
		m->socks->prev = s;
	}
	m->socks = s;
	curl_multi_assign(m->cm, fd, s);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl next wants the clock (-1: never). */
static int timer_cb(CURLM *cm, long timeout_ms, void *userp)
{
	(void)cm;
	http_multi_t *m = userp;
	if (timeout_ms < 0) {
		loop_timer_cancel(m->timer);
	} else {
		loop_timer_arm(m->timer, timeout_ms, 0);
	}
	return 0;
}

int http_multi_new(http_multi_t **out, loop_t *l)
{
	if (out == NULL || l == NULL) {
		return DF_EINVAL;
	}
	http_multi_t *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return DF_ENOMEM;
	}
	m->loop = l;
	int ret = loop_timer_new(l, &m->timer, on_timer, m);
	if (ret != DF_OK) {
		free(m);
		return ret;
	}
	/*
	 * The global state is initialised by every http_request_new(); this
	 * reference covers a multi made before any request.
	 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		loop_timer_free(m->timer);
		free(m);
		return DF_ENOMEM;
	}
	m->cm = curl_multi_init();
	if (m->cm == NULL || curl_multi_setopt(m->cm, CURLMOPT_SOCKETFUNCTION, socket_cb) ||
	    curl_multi_setopt(m->cm, CURLMOPT_SOCKETDATA, m) ||
	    curl_multi_setopt(m->cm, CURLMOPT_TIMERFUNCTION, timer_cb) ||
	    curl_multi_setopt(m->cm, CURLMOPT_TIMERDATA, m)) {
		curl_multi_cleanup(m->cm);
		curl_global_cleanup();
		loop_timer_free(m->timer);
		free(m);
		return DF_ENOMEM;
	}
	*out = m;
	return DF_OK;
}

void http_multi_free(http_multi_t *m)
{
	if (m == NULL || m->dying) {
		return;
	}
	m->dying = true;
	if (m->busy == 0) {
		multi_destroy(m);
		return;
	}
	/* Inside a callback of ours: action() frees the rest once unwound. */
	while (m->xfers != NULL) {
		xfer_abort(m->xfers);
	}
}

loop_t *http_multi_loop(const http_multi_t *m)
{
	return m != NULL ? m->loop : NULL;
}

unsigned http_multi_running(const http_multi_t *m)
{
	return m != NULL ? m->running : 0;
}

int http_request_begin(http_multi_t *m, http_request_t *req, http_multi_cb cb, void *arg)
{
	if (m == NULL || req == NULL || cb == NULL || m->dying || xfer_find(m, req) != NULL) {
		return DF_EINVAL;
	}
	struct xfer *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		return DF_ENOMEM;
	}
	int ret = http_request_prepare(req, NULL);
	if (ret != DF_OK) {
		free(x);
		return ret;
	}
	CURL *easy = http_request_easy(req);
	x->m = m;
	x->req = req;
	x->cb = cb;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
	/* Adding only arms the timer (at 0): the transfer starts from the loop. */
	CURLMcode rc = curl_multi_add_handle(m->cm, easy);
	if (rc != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return rc == CURLM_OUT_OF_MEMORY ? DF_ENOMEM : DF_EINVAL;
	}
	x->next = m->xfers;
	if (m->xfers != NULL) {
		m->xfers->prev = x;
	}
	m->xfers = x;
	m->running++;
	return DF_OK;
}

void http_request_cancel(http_multi_t *m, http_request_t *req)
{
	if (m == NULL || req == NULL) {
		return;
	}
	struct xfer *x = xfer_find(m, req);
	if (x != NULL) {
		xfer_abort(x);
	}
}
