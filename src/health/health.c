/*
 * The health checks: a TCP connect, or an HTTP GET of the collector's own
 * metrics through the HTTP client and a counter that must grow.
 */
#include "src/health/health.h"

#include <config.h> /* the build's, for PACKAGE_VERSION */

#include <arpa/inet.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/common/log.h"
#include "src/health/prom.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

/* Redirects followed (to the same host only), as a collector behind a path rewrite needs. */
#define HEALTH_REDIRECTS 3

struct health {
	enum config_health_mode mode;
	long timeout_ms; /* HEALTH_TIMEOUT, or what health_set_timeout_ms() set */
	uint32_t stale_max;

	/* tcp */
	char host[sizeof(((config_t *)0)->health_host)];
	uint16_t port;

	/* metrics */
	char url[CONFIG_STR_MAX];
	char metric[sizeof(((config_t *)0)->health_metric)]; /* as configured, for logs */
	prom_selector_t sel;
	/* metrics: kept between checks, and so is its connection; tcp with a
	 * host name: the connect-only request that resolves it off the loop */
	http_request_t *req;

	/* the stale-count state machine */
	bool have_last;
	double last;
	uint32_t stale;

	/* the check in flight, from health_check_begin() */
	bool busy;
	health_cb cb;
	void *cb_arg;
	loop_t *loop;
	http_multi_t *multi; /* metrics: the multi the transfer runs on */
	loop_timer_t *timer; /* the tcp deadline, or a result reported later */
	bool deferred;	     /* the timer reports deferred_ok */
	bool deferred_ok;
	loop_io_t *io; /* tcp: the connect in progress on fd */
	int fd;
	struct addrinfo *res;	   /* tcp: the addresses */
	const struct addrinfo *ai; /* tcp: the one being tried */
	int err;		   /* tcp: the last connect's errno value */
	char where[sizeof(((config_t *)0)->health_host) + 16];
	char why[1024];
};

static void set_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t size, const char *fmt, ...)
{
	if (why == NULL || size == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/*
 * Numbers as the seed prints them: counters are integers ("12400 (+55)"),
 * anything else in %g. 2^53 bounds the doubles that hold every integer.
 */
static void fmt_num(char *buf, size_t size, double v)
{
	if (v == 0) {
		snprintf(buf, size, "0"); /* and not "-0" */
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, size, "%.0f", v);
	} else {
		snprintf(buf, size, "%g", v);
	}
}

/* ---- setup ---- */

/* The metrics request: its options follow HEALTH_TIMEOUT, so it is made anew when that changes. */
static int setup_request(health_t *h, df_detail_t *d)
{
	http_request_t *req = NULL;
	/* The whole transfer (resolve, connect, TLS, body) within HEALTH_TIMEOUT. */
	const http_options_t opt = {
		.user_agent = "dnsfailover-health/" PACKAGE_VERSION,
		.connect_timeout_ms = h->timeout_ms,
		.timeout_ms = h->timeout_ms,
		.body_max = HEALTH_BODY_MAX,
		.max_redirects = HEALTH_REDIRECTS,
		/* Compressed pages are fine: the cap applies to the decoded bytes. */
		.accept_encoding = true,
	};

	int ret = http_request_new(&req, "GET", h->url, &opt, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "health");
		return ret;
	}
	/*
	 * Ask for the classic text format first: every collector serves it and
	 * it keeps metric names as they were (no UTF-8 quoting); OpenMetrics is
	 * read too, should a server insist.
	 */
	ret = http_request_add_header(req, "Accept: text/plain;version=0.0.4;q=1,"
					   "application/openmetrics-text;version=1.0.0;q=0.5,"
					   "*/*;q=0.1");
	if (ret == DF_OK) {
		/* Every option once now, so that one libcurl refuses fails here. */
		ret = http_request_prepare(req, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "health");
			ret = ret == DF_ENOMEM ? DF_ENOMEM : DF_ECONFIG;
		}
	}
	if (ret != DF_OK) {
		http_request_free(req);
		return ret;
	}
	http_request_free(h->req);
	h->req = req;
	return DF_OK;
}

/* Whether HEALTH_HOST is an address, which needs no resolver. */
static bool host_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * The tcp check of a host name: getaddrinfo() would block the loop for as
 * long as the resolver takes, so the name is resolved and connected by
 * libcurl (threaded resolver, bounded by HEALTH_TIMEOUT) as a connect-only
 * transfer. Addresses keep the plain non-blocking connect.
 */
static int setup_connect_request(health_t *h, df_detail_t *d)
{
	char url[sizeof(h->host) + 32];
	http_request_t *req = NULL;
	const http_options_t opt = {
		.connect_timeout_ms = h->timeout_ms,
		.timeout_ms = h->timeout_ms,
		.body_max = 1,
		.connect_only = true,
	};

	if (h->host[strspn(h->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789.-_")] != '\0') {
		df_detail_set(d, "HEALTH_HOST '%s' is neither an address nor a host name", h->host);
		return DF_ECONFIG;
	}
	snprintf(url, sizeof(url), "http://%s:%u/", h->host, (unsigned)h->port);
	int ret = http_request_new(&req, "GET", url, &opt, d);
	if (ret == DF_OK) {
		ret = http_request_prepare(req, d);
	}
	if (ret != DF_OK) {
		df_detail_prefix(d, "health");
		http_request_free(req);
		return ret == DF_ENOMEM ? DF_ENOMEM : DF_ECONFIG;
	}
	http_request_free(h->req);
	h->req = req;
	return DF_OK;
}

static int health_new_mode(health_t **out, const config_t *cfg, enum config_health_mode mode,
			   df_detail_t *d);

int health_new(health_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	return health_new_mode(out, cfg, cfg->health_mode, d);
}

int health_new_for_site(health_t **out, const config_t *cfg, bool *self, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	bool own = cfg->role == CONFIG_ROLE_PRIMARY;
	if (self != NULL) {
		*self = own;
	}
	*out = NULL;
	if (!own) {
		return health_new_mode(out, cfg, cfg->health_mode, d);
	}
	return cfg->health_url[0] != '\0' ? health_new_mode(out, cfg, CONFIG_HEALTH_METRICS, d)
					  : DF_OK;
}

static int health_new_mode(health_t **out, const config_t *cfg, enum config_health_mode mode,
			   df_detail_t *d)
{
	health_t *h = NULL;
	const char *reason = NULL;
	int ret = DF_ECONFIG;

	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	if (cfg->health_timeout == 0) {
		df_detail_set(d, "HEALTH_TIMEOUT must be at least 1 second");
		return DF_ECONFIG;
	}
	if (cfg->health_stale_count == 0) {
		df_detail_set(d, "HEALTH_STALE_COUNT must be at least 1");
		return DF_ECONFIG;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return DF_ENOMEM;
	}
	h->mode = mode;
	h->fd = -1;
	h->timeout_ms = (long)cfg->health_timeout * 1000;
	h->stale_max = cfg->health_stale_count;

	if (h->mode == CONFIG_HEALTH_TCP) {
		if (cfg->health_host[0] == '\0' || cfg->health_port == 0) {
			df_detail_set(d, "HEALTH_MODE=tcp needs HEALTH_HOST and HEALTH_PORT");
			goto fail;
		}
		snprintf(h->host, sizeof(h->host), "%s", cfg->health_host);
		h->port = cfg->health_port;
		if (!host_numeric(h->host)) {
			ret = setup_connect_request(h, d);
			if (ret != DF_OK) {
				goto fail;
			}
		}
		*out = h;
		return DF_OK;
	}

	if (cfg->health_url[0] == '\0') {
		df_detail_set(d, "HEALTH_MODE=metrics needs HEALTH_URL, e.g. "
				 "http://192.0.2.10:8888/metrics");
		goto fail;
	}
	snprintf(h->url, sizeof(h->url), "%s", cfg->health_url);
	snprintf(h->metric, sizeof(h->metric), "%s", cfg->health_metric);
	ret = prom_selector_parse(&h->sel, h->metric, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "HEALTH_METRIC");
		ret = ret == DF_ENOMEM ? DF_ENOMEM : DF_ECONFIG;
		goto fail;
	}
	ret = DF_ECONFIG;
	if (!http_client_url_usable(h->url, &reason)) {
		df_detail_set(d, "HEALTH_URL '%s' is not usable: %s", h->url, reason);
		goto fail;
	}
	ret = setup_request(h, d);
	if (ret != DF_OK) {
		goto fail;
	}
	*out = h;
	return DF_OK;
fail:
	health_free(h);
	return ret;
}

void health_free(health_t *h)
{
	if (h == NULL) {
		return;
	}
	health_check_cancel(h);
	http_request_free(h->req);
	free(h);
}

int health_set_timeout_ms(health_t *h, long ms)
{
	if (h == NULL || ms < 1 || h->busy) {
		return DF_EINVAL;
	}
	long old = h->timeout_ms;
	h->timeout_ms = ms;
	if (h->mode == CONFIG_HEALTH_METRICS || h->req != NULL) {
		int ret = h->mode == CONFIG_HEALTH_METRICS ? setup_request(h, NULL)
							   : setup_connect_request(h, NULL);
		if (ret != DF_OK) {
			h->timeout_ms = old;
			return ret;
		}
	}
	return DF_OK;
}

/* ---- metrics ---- */

uint32_t health_stale(const health_t *h)
{
	return h != NULL ? h->stale : 0;
}

bool health_observe(health_t *h, double value, char *why, size_t why_size)
{
	char v[40], w[40];

	if (h == NULL) {
		set_why(why, why_size, "no health checker");
		return false;
	}
	fmt_num(v, sizeof(v), value);
	if (!h->have_last) {
		h->have_last = true;
		h->last = value;
		h->stale = 0;
		log_info("Metrics baseline: %s=%s", h->metric, v);
		return true;
	}
	if (value > h->last) {
		fmt_num(w, sizeof(w), value - h->last);
		h->last = value;
		h->stale = 0;
		log_info("Metrics healthy: %s=%s (+%s)", h->metric, v, w);
		return true;
	}
	if (value < h->last) {
		/*
		 * A counter only goes down when the process exporting it
		 * restarted. The Python tool kept the old high value and counted
		 * every reading below it as stale, so a collector that restarted
		 * and was working again looked dead until its new counter passed
		 * the old one, which could take hours and trigger a failover
		 * away from a healthy primary. A restarted collector that serves
		 * its page is alive: take the new value as the baseline and judge
		 * growth from there.
		 */
		fmt_num(w, sizeof(w), h->last);
		h->last = value;
		h->stale = 0;
		log_info("Metrics counter reset: %s=%s (was %s)", h->metric, v, w);
		return true;
	}
	if (h->stale < UINT32_MAX) {
		h->stale++;
	}
	log_warn("Metrics stale: %s=%s (unchanged, %u/%u)", h->metric, v, h->stale, h->stale_max);
	if (h->stale >= h->stale_max) {
		set_why(why, why_size,
			"metric %s unchanged at %s for %u checks (HEALTH_STALE_COUNT=%u)",
			h->metric, v, h->stale, h->stale_max);
		return false;
	}
	return true;
}

/*
 * Reads the page of the transfer that ended with ret (what
 * http_client_perform() or the multi reported) and sums the metric; DF_OK
 * with *value, or a reason in why. The same for both forms of the check.
 */
static int read_page(health_t *h, int ret, double *value, char *why, size_t why_size)
{
	http_request_t *req = h->req;
	df_detail_t d;
	prom_stats_t st;
	char after[32];
	long status = 0;
	double sum = 0;
	size_t len = 0;

	memset(&d, 0, sizeof(d));
	switch (http_request_fail(req)) {
	case HTTP_FAIL_NONE:
		break;
	case HTTP_FAIL_BODY_MAX:
		set_why(why, why_size, "metrics body from %s exceeds %u MiB", h->url,
			HEALTH_BODY_MAX >> 20);
		goto out;
	case HTTP_FAIL_NOMEM:
		set_why(why, why_size, "out of memory reading %s", h->url);
		goto out;
	case HTTP_FAIL_TIMEOUT:
		set_why(why, why_size, "GET %s timed out after %s", h->url,
			http_client_duration(after, sizeof(after), h->timeout_ms));
		goto out;
	default:
		set_why(why, why_size, "GET %s failed: %s", h->url, http_request_reason(req));
		ret = DF_ENETWORK;
		goto out;
	}
	ret = DF_ENETWORK;
	status = http_request_status(req);
	if (status < 200 || status > 299) {
		set_why(why, why_size, "GET %s answered HTTP %ld", h->url, status);
		goto out;
	}

	const char *body = http_request_body(req, &len);
	ret = prom_sum_selector(body, len, &h->sel, &sum, &st, &d);
	if (ret != DF_OK) {
		set_why(why, why_size, "%s: %s", h->url, d.msg);
		goto out;
	}
	if (st.malformed > 0) {
		log_debug("health: %s: %zu malformed lines skipped", h->url, st.malformed);
	}
	if (!isfinite(sum)) {
		/* NaN compares neither greater nor equal; Inf cannot grow. */
		set_why(why, why_size, "metric %s at %s reads %s, not a counter value", h->metric,
			h->url,
			isnan(sum) ? "NaN"
			: sum > 0  ? "+Inf"
				   : "-Inf");
		ret = DF_ERANGE;
		goto out;
	}
	*value = sum;
out:
	http_request_drop_body(req);
	return ret;
}

/* The verdict on a fetch that ended with ret, logged; shared by both forms. */
static bool judge_metrics(health_t *h, int ret, char *why, size_t why_size)
{
	char reason[1024];
	double value = 0;

	reason[0] = '\0';
	if (read_page(h, ret, &value, reason, sizeof(reason)) != DF_OK) {
		log_warn("Metrics check failed: %s", reason);
		set_why(why, why_size, "%s", reason);
		return false;
	}
	return health_observe(h, value, why, why_size);
}

static bool check_metrics(health_t *h, char *why, size_t why_size)
{
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	return judge_metrics(h, http_client_perform(h->req, &d), why, why_size);
}

/* ---- tcp ---- */

/* "192.0.2.10:4317" or "[2001:db8::1]:4317". */
static void fmt_addr(char *buf, size_t size, const struct sockaddr *sa, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
			  sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, (unsigned)port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
			  sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, (unsigned)port);
	}
}

/*
 * Starts a non-blocking connect to one address. Returns 0 (connected; fd
 * closed), EINPROGRESS with the socket in *fd (the caller waits for it to
 * be writable, then asks connect_result()), or an errno value.
 */
static int connect_start(const struct addrinfo *ai, int *fd)
{
	int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       ai->ai_protocol);
	if (s < 0) {
		return errno;
	}
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
		close(s);
		return 0;
	}
	int err = errno;
	if (err != EINPROGRESS) {
		close(s);
		return err;
	}
	*fd = s;
	return EINPROGRESS;
}

/* The outcome of a connect in progress on fd, once writable: 0 or an errno value. */
static int connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		err = errno;
	}
	return err;
}

/*
 * Connects to one address before deadline (CLOCK_MONOTONIC ms). Returns 0,
 * or an errno value (ETIMEDOUT when the deadline passed).
 */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd = -1;
	int err = connect_start(ai, &fd);
	if (err != EINPROGRESS) {
		return err;
	}
	err = 0;
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			err = ETIMEDOUT;
			goto out;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR) {
			err = errno;
			goto out;
		}
		if (n > 0) {
			err = connect_result(fd);
			goto out;
		}
	}
out:
	close(fd);
	return err;
}

/* HEALTH_HOST's addresses into *res (freeaddrinfo()), or false with why. */
static bool resolve(const health_t *h, struct addrinfo **res, char *why, size_t why_size)
{
	struct addrinfo hints;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)h->port);

	/* An address needs no resolver, and so no time outside our bound. */
	int gai = getaddrinfo(h->host, port, &hints, res);
	if (gai == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		gai = getaddrinfo(h->host, port, &hints, res);
	}
	if (gai != 0) {
		set_why(why, why_size, "cannot resolve %s (%s)", h->host,
			gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return false;
	}
	return true;
}

/* The verdict on the last connect (err) to where; shared by both forms. */
static bool judge_tcp(const health_t *h, int err, const char *where, char *why, size_t why_size)
{
	char after[32];

	if (err == 0) {
		log_debug("health: connected to %s", where);
		return true;
	}
	if (err == ETIMEDOUT) {
		set_why(why, why_size, "connect to %s timed out after %s", where,
			http_client_duration(after, sizeof(after), h->timeout_ms));
	} else if (err == ECONNREFUSED) {
		set_why(why, why_size, "connect to %s refused", where);
	} else {
		set_why(why, why_size, "connect to %s failed (%s)", where, strerror(err));
	}
	return false;
}

static bool check_tcp(health_t *h, char *why, size_t why_size)
{
	struct addrinfo *res = NULL;
	char where[sizeof(h->host) + 16];
	int64_t deadline = clock_mono_ms() + (int64_t)h->timeout_ms;
	int err = 0;

	if (!resolve(h, &res, why, why_size)) {
		return false;
	}
	snprintf(where, sizeof(where), "%s:%u", h->host, (unsigned)h->port);
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fmt_addr(where, sizeof(where), ai->ai_addr, h->port);
		err = connect_one(ai, deadline);
		if (err == 0 || err == ETIMEDOUT) {
			break;
		}
	}
	freeaddrinfo(res);
	return judge_tcp(h, err, where, why, why_size);
}

bool health_check(health_t *h, char *why, size_t why_size)
{
	if (why != NULL && why_size > 0) {
		why[0] = '\0';
	}
	if (h == NULL) {
		set_why(why, why_size, "no health checker");
		return false;
	}
	if (h->busy) {
		set_why(why, why_size, "a health check is already in flight");
		return false;
	}
	if (h->mode == CONFIG_HEALTH_METRICS) {
		return check_metrics(h, why, why_size);
	}
	/* As the metrics check does, say why before the caller counts it. */
	bool ok = check_tcp(h, why, why_size);
	if (!ok) {
		log_warn("TCP check failed: %s", why != NULL ? why : "unknown reason");
	}
	return ok;
}

/* ---- the asynchronous form ---- */

/* Releases what the check in flight holds; its callback does not run. */
static void async_end(health_t *h)
{
	loop_io_free(h->io);
	h->io = NULL;
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	if (h->res != NULL) {
		freeaddrinfo(h->res);
		h->res = NULL;
	}
	h->ai = NULL;
	loop_timer_free(h->timer);
	h->timer = NULL;
	if (h->multi != NULL && h->req != NULL) {
		http_request_cancel(h->multi, h->req);
	}
	h->multi = NULL;
	h->deferred = false;
	h->busy = false;
}

/* Ends the check and calls its callback (from the loop); h may be gone after. */
static void async_report(health_t *h, bool ok)
{
	char why[sizeof(h->why)];
	health_cb cb = h->cb;
	void *arg = h->cb_arg;

	snprintf(why, sizeof(why), "%s", ok ? "" : h->why);
	async_end(h);
	cb(h, ok, why, arg);
}

/* A result known inside health_check_begin(): reported in the loop's next round. */
static void defer(health_t *h, bool ok)
{
	h->deferred = true;
	h->deferred_ok = ok;
	loop_timer_arm(h->timer, 0, 0);
}

static void on_fetched(http_request_t *req, int ret, void *arg)
{
	(void)req;
	health_t *h = arg;
	h->multi = NULL; /* the transfer is over */
	async_report(h, judge_metrics(h, ret, h->why, sizeof(h->why)));
}

/* The tcp verdict on h->err, logged as health_check() logs it. */
static bool tcp_verdict(health_t *h)
{
	bool ok = judge_tcp(h, h->err, h->where, h->why, sizeof(h->why));
	if (!ok) {
		log_warn("TCP check failed: %s", h->why);
	}
	return ok;
}

/*
 * The tcp check of a host name: the connect-only transfer's verdict. A
 * connection or a timeout is judged as for an address (tcp_verdict); what
 * only a name can give (no address) and libcurl's other failures keep its
 * reason.
 */
static void on_connected(http_request_t *req, int ret, void *arg)
{
	health_t *h = arg;
	http_fail_t fail = ret == DF_OK ? HTTP_FAIL_NONE : http_request_fail(req);
	h->multi = NULL;
	snprintf(h->where, sizeof(h->where), "%s:%u", h->host, (unsigned)h->port);
	if (fail == HTTP_FAIL_NONE || fail == HTTP_FAIL_TIMEOUT) {
		h->err = fail == HTTP_FAIL_NONE ? 0 : ETIMEDOUT;
		async_report(h, tcp_verdict(h));
		return;
	}
	if (fail == HTTP_FAIL_RESOLVE) {
		set_why(h->why, sizeof(h->why), "cannot resolve %s (%s)", h->host,
			http_request_reason(req));
	} else {
		set_why(h->why, sizeof(h->why), "connect to %s failed (%s)", h->where,
			http_request_reason(req));
	}
	log_warn("TCP check failed: %s", h->why);
	async_report(h, false);
}

static void on_connect(loop_io_t *io, int fd, unsigned events, void *arg);

/*
 * Tries h->ai and the addresses after it, as check_tcp() does: stops at the
 * first connect that succeeds or is in progress (watched on the loop), else
 * reports the last error. in_loop: whether a callback may run now.
 */
static void tcp_next(health_t *h, bool in_loop)
{
	for (; h->ai != NULL; h->ai = h->ai->ai_next) {
		fmt_addr(h->where, sizeof(h->where), h->ai->ai_addr, h->port);
		h->err = connect_start(h->ai, &h->fd);
		if (h->err == EINPROGRESS) {
			int ret = loop_io_new(h->loop, &h->io, h->fd, LOOP_WRITE, on_connect, h);
			if (ret == DF_OK) {
				return;
			}
			close(h->fd);
			h->fd = -1;
			h->err = -ret;
		}
		if (h->err == 0 || h->err == ETIMEDOUT) {
			break;
		}
	}
	bool ok = tcp_verdict(h);
	if (in_loop) {
		async_report(h, ok);
	} else {
		defer(h, ok);
	}
}

static void on_connect(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	health_t *h = arg;
	h->err = connect_result(fd);
	loop_io_free(h->io);
	h->io = NULL;
	close(h->fd);
	h->fd = -1;
	if (h->err != 0 && h->err != ETIMEDOUT) {
		h->ai = h->ai->ai_next;
	} else {
		h->ai = NULL; /* stop here, as check_tcp() does */
	}
	if (h->ai == NULL) {
		async_report(h, tcp_verdict(h));
		return;
	}
	tcp_next(h, true);
}

/* The deadline of a tcp check, or a deferred result. */
static void on_timer(loop_timer_t *t, void *arg)
{
	(void)t;
	health_t *h = arg;
	if (h->deferred) {
		async_report(h, h->deferred_ok);
		return;
	}
	h->err = ETIMEDOUT;
	async_report(h, tcp_verdict(h));
}

int health_check_begin(health_t *h, http_multi_t *m, health_cb cb, void *arg)
{
	if (h == NULL || m == NULL || cb == NULL || h->busy) {
		return DF_EINVAL;
	}
	loop_t *l = http_multi_loop(m);
	int ret = loop_timer_new(l, &h->timer, on_timer, h);
	if (ret != DF_OK) {
		return ret;
	}
	h->busy = true;
	h->loop = l;
	h->cb = cb;
	h->cb_arg = arg;
	h->why[0] = '\0';

	if (h->mode == CONFIG_HEALTH_METRICS) {
		ret = http_request_begin(m, h->req, on_fetched, h);
		if (ret == DF_OK) {
			h->multi = m;
		} else if (ret == DF_EINVAL) {
			async_end(h);
			return ret;
		} else {
			/* prepare failed: the same verdict as health_check() gives it */
			defer(h, judge_metrics(h, ret, h->why, sizeof(h->why)));
		}
		return DF_OK;
	}

	if (h->req != NULL) {
		ret = http_request_begin(m, h->req, on_connected, h);
		if (ret != DF_OK) {
			async_end(h);
			return ret;
		}
		h->multi = m;
		return DF_OK;
	}
	if (!resolve(h, &h->res, h->why, sizeof(h->why))) {
		log_warn("TCP check failed: %s", h->why);
		defer(h, false);
		return DF_OK;
	}
	snprintf(h->where, sizeof(h->where), "%s:%u", h->host, (unsigned)h->port);
	h->ai = h->res;
	loop_timer_arm(h->timer, h->timeout_ms, 0);
	tcp_next(h, false);
	return DF_OK;
}

void health_check_cancel(health_t *h)
{
	if (h != NULL && h->busy) {
		async_end(h);
	}
}
