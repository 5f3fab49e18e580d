/*
 * The metrics listener: we bind the socket ourselves (so a failure names the
 * address and the reason) and hand it to libmicrohttpd, which runs in its
 * external epoll mode, driven by the caller's loop through one descriptor.
 */
#include "src/metrics/metrics_http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "src/common/log.h"

#define LISTEN_BACKLOG	     32
#define CONN_MEMORY_LIMIT    (16 * 1024) /* request line and headers of one connection */
#define ADDR_TEXT_MAX	     (NI_MAXHOST + 16)
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	const metrics_t *m; /* borrowed */
	struct MHD_Daemon *mhd;
	int epfd;     /* what the caller watches: mhd's epoll fd and timer_fd */
	int timer_fd; /* fires when libmicrohttpd asks to run (timeouts, pending work) */
	uint16_t port;
	char address[ADDR_TEXT_MAX];
};

int metrics_http_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port,
			      df_detail_t *d)
{
	if (listen == NULL || host == NULL || port == NULL) {
		return DF_EINVAL;
	}
	const char *hs = listen;
	const char *he;
	const char *ps;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL) {
			df_detail_set(d,
				      "METRICS_LISTEN \"%s\": missing ']' after the IPv6 address",
				      listen);
			return DF_EINVAL;
		}
		if (close[1] != ':') {
			df_detail_set(d, "METRICS_LISTEN \"%s\": expected ':port' after ']'",
				      listen);
			return DF_EINVAL;
		}
		hs = listen + 1;
		he = close;
		ps = close + 2;
		if (hs == he) {
			df_detail_set(d, "METRICS_LISTEN \"%s\": empty address between brackets",
				      listen);
			return DF_EINVAL;
		}
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL) {
			df_detail_set(
				d,
				"METRICS_LISTEN \"%s\": no port (expected host:port, :port or "
				"[IPv6]:port, e.g. 127.0.0.1:9100)",
				listen);
			return DF_EINVAL;
		}
		if (memchr(listen, ':', (size_t)(colon - listen)) != NULL) {
			df_detail_set(
				d,
				"METRICS_LISTEN \"%s\": an IPv6 address needs brackets, as in "
				"[::1]:9100",
				listen);
			return DF_EINVAL;
		}
		he = colon;
		ps = colon + 1;
	}
	for (const char *p = hs; p < he; p++) {
		if ((unsigned char)*p <= ' ' || *p == '[' || *p == ']' || *p == '/') {
			df_detail_set(d, "METRICS_LISTEN \"%s\": invalid character in the host",
				      listen);
			return DF_EINVAL;
		}
	}
	size_t plen = strlen(ps);
	unsigned long v = 0;
	bool digits = plen > 0 && plen <= 5;
	for (size_t i = 0; digits && i < plen; i++) {
		digits = ps[i] >= '0' && ps[i] <= '9';
		v = v * 10 + (unsigned long)(ps[i] - '0');
	}
	if (!digits || v > 65535) {
		df_detail_set(d, "METRICS_LISTEN \"%s\": the port must be a number from 0 to 65535",
			      listen);
		return DF_EINVAL;
	}
	size_t hlen = (size_t)(he - hs);
	if (hlen >= hsize) {
		df_detail_set(d, "METRICS_LISTEN \"%s\": the host is longer than %zu characters",
			      listen, hsize > 0 ? hsize - 1 : 0);
		return DF_ERANGE;
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return DF_OK;
}

/* "1.2.3.4:80" or "[::1]:80". */
static void format_address(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[NI_MAXHOST];
	char serv[NI_MAXSERV];
	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "(unknown address)");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* A bound, listening, non-blocking socket, or the negated errno. */
static int open_listener(const struct sockaddr *sa, socklen_t len, bool dual_stack)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	int one = 1;
	int zero = 0;
	int ret = 0;
	/* A restart must not wait for TIME_WAIT; a second listener still gets
	 * EADDRINUSE. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (dual_stack && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
	    bind(fd, sa, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Binds host:port: "" means every address ([::] with IPv4 mapped, or
 * 0.0.0.0 where there is no IPv6). Returns the socket or an error, with a
 * message naming the address.
 */
static int bind_listen(const char *listen, const char *host, uint16_t port, df_detail_t *d)
{
	char addr[ADDR_TEXT_MAX] = "";
	int ret;
	if (host[0] == '\0') {
		struct sockaddr_in6 any6 = {.sin6_family = AF_INET6,
					    .sin6_port = htons(port),
					    .sin6_addr = IN6ADDR_ANY_INIT};
		ret = open_listener((const struct sockaddr *)&any6, sizeof(any6), true);
		format_address((const struct sockaddr *)&any6, sizeof(any6), addr, sizeof(addr));
		if (ret == -EAFNOSUPPORT) {
			struct sockaddr_in any4 = {.sin_family = AF_INET,
						   .sin_port = htons(port),
						   .sin_addr.s_addr = htonl(INADDR_ANY)};
			ret = open_listener((const struct sockaddr *)&any4, sizeof(any4), false);
			format_address((const struct sockaddr *)&any4, sizeof(any4), addr,
				       sizeof(addr));
		}
	} else {
		struct addrinfo hints = {.ai_family = AF_UNSPEC,
					 .ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
		struct addrinfo *res = NULL;
		char serv[8];
		snprintf(serv, sizeof(serv), "%u", (unsigned)port);
		int gai = getaddrinfo(host, serv, &hints, &res);
		if (gai != 0) {
			df_detail_set(d, "METRICS_LISTEN \"%s\": cannot resolve %s (%s)", listen,
				      host,
				      gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
			return DF_ENOENT;
		}
		ret = DF_ENOENT;
		for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
			ret = open_listener(ai->ai_addr, ai->ai_addrlen, false);
			format_address(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
			if (ret >= 0) {
				break;
			}
		}
		freeaddrinfo(res);
	}
	if (ret < 0) {
		df_detail_set(d,
			      "metrics listener: cannot listen on %s (METRICS_LISTEN \"%s\"): %s",
			      addr, listen, strerror(-ret));
	}
	return ret;
}

/*
 * libmicrohttpd's own messages are mostly about what clients did (a closed
 * connection, a limit reached): at debug level, so that a remote client
 * cannot fill the log. What an operator must see (bind errors) we report.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics listener: %s", msg);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int status,
			     struct MHD_Response *resp, const char *type)
{
	if (resp == NULL) {
		return MHD_NO;
	}
	enum MHD_Result ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (ret == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	if (ret == MHD_YES) {
		ret = MHD_queue_response(c, status, resp);
	}
	MHD_destroy_response(resp);
	return ret;
}

/* A fixed text body. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	return queue(c, status, resp, "text/plain; charset=utf-8");
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	metrics_http_t *h = cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0) {
		/* A body nobody asked for: discard it (the answer is queued). */
		*upload_data_size = 0;
		return MHD_YES;
	}
	bool is_metrics = strcmp(url, "/metrics") == 0;
	bool is_health = strcmp(url, "/healthz") == 0;
	if (!is_metrics && !is_health) {
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	}
	if (is_health) {
		/* Answered from inside the event loop: it runs. */
		return reply(c, MHD_HTTP_OK, "ok\n");
	}
	size_t len = 0;
	char *page = metrics_render_alloc(h->m, &len);
	if (page == NULL) {
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(page);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, resp, METRICS_CONTENT_TYPE);
}

/* Arms timer_fd for the next time libmicrohttpd must run without socket
 * activity (a connection timeout, or work already pending). */
static void rearm(metrics_http_t *h)
{
	struct itimerspec its = {0};
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		if (ms == 0) {
			its.it_value.tv_nsec = 1; /* now: a zero value would disarm */
		} else {
			if (ms > 86400000ULL) {
				ms = 86400000ULL;
			}
			its.it_value.tv_sec = (time_t)(ms / 1000);
			its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
		}
	}
	timerfd_settime(h->timer_fd, 0, &its, NULL);
}

int metrics_http_start(metrics_http_t **out, const char *listen, const metrics_t *m, df_detail_t *d)
{
	if (out == NULL || listen == NULL || m == NULL) {
		return DF_EINVAL;
	}
	char host[METRICS_HTTP_HOST_MAX];
	uint16_t port = 0;
	int ret = metrics_http_parse_listen(listen, host, sizeof(host), &port, d);
	if (ret != DF_OK) {
		return ret;
	}
	metrics_http_t *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return DF_ENOMEM;
	}
	h->m = m;
	h->epfd = -1;
	h->timer_fd = -1;
	int fd = bind_listen(listen, host, port, d);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		ret = -errno;
		df_detail_set(d, "metrics listener: getsockname: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	format_address((const struct sockaddr *)&ss, sslen, h->address, sizeof(h->address));
	h->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					   : ntohs(((struct sockaddr_in *)&ss)->sin_port);

	/* From here libmicrohttpd owns fd (MHD_stop_daemon() closes it). */
	h->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONN_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONN_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_HTTP_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT, MHD_OPTION_END);
	if (h->mhd == NULL) {
		df_detail_set(d, "metrics listener on %s: libmicrohttpd did not start (epoll mode)",
			      h->address);
		ret = DF_ENOMEM;
		/* Whether a failed start closed fd is not documented; in this
		 * single-threaded startup nothing can have reused the number. */
		close(fd);
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (info == NULL || h->timer_fd < 0 || h->epfd < 0) {
		ret = info == NULL ? DF_EINVAL : -errno;
		df_detail_set(d, "metrics listener on %s: cannot set up its descriptors (%s)",
			      h->address, info == NULL ? "no epoll descriptor" : strerror(errno));
		goto fail;
	}
	int fds[] = {info->epoll_fd, h->timer_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
			ret = -errno;
			df_detail_set(d, "metrics listener on %s: epoll_ctl: %s", h->address,
				      strerror(errno));
			goto fail;
		}
	}
	rearm(h);
	*out = h;
	return DF_OK;
fail:
	metrics_http_stop(h);
	return ret;
}

void metrics_http_stop(metrics_http_t *h)
{
	if (h == NULL) {
		return;
	}
	if (h->mhd != NULL) {
		MHD_stop_daemon(h->mhd);
	}
	if (h->epfd >= 0) {
		close(h->epfd);
	}
	if (h->timer_fd >= 0) {
		close(h->timer_fd);
	}
	free(h);
}

int metrics_http_fd(const metrics_http_t *h)
{
	return h != NULL ? h->epfd : -1;
}

/* Open connections; libmicrohttpd first releases those that have closed. */
static unsigned int connections(const metrics_http_t *h)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info != NULL ? info->num_connections : 0;
}

void metrics_http_run(metrics_http_t *h)
{
	if (h == NULL) {
		return;
	}
	uint64_t expirations;
	while (read(h->timer_fd, &expirations, sizeof(expirations)) == sizeof(expirations)) {
	}
	/*
	 * At its connection limit libmicrohttpd takes the listening socket out
	 * of its epoll set, and puts it back only at the start of a later
	 * MHD_run(). When the connections that filled the limit close or time
	 * out in one run, nothing would ever call that later run: no socket
	 * is left to wake us, no timeout is pending, and new clients would
	 * wait in the backlog for good. So a run that closed connections is
	 * followed by another one, which takes the listening socket back (and
	 * accepts what is waiting). Neither blocks.
	 */
	unsigned int before = connections(h);
	MHD_run(h->mhd);
	if (connections(h) < before) {
		MHD_run(h->mhd);
	}
	rearm(h);
}

uint16_t metrics_http_port(const metrics_http_t *h)
{
	return h != NULL ? h->port : 0;
}

const char *metrics_http_address(const metrics_http_t *h)
{
	return h != NULL ? h->address : "";
}
