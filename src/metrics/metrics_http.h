/*
 * The METRICS_LISTEN endpoint: GET (or HEAD) /metrics serves metrics_render()
 * as text/plain; version=0.0.4, /healthz answers "ok" while the event loop
 * runs, other paths get 404 and other methods 405 with an Allow header.
 *
 * libmicrohttpd runs without threads of its own: the caller's event loop
 * drives it. metrics_http_fd() is one descriptor (an epoll set holding
 * libmicrohttpd's epoll descriptor and a timerfd for its connection
 * timeouts); when it is readable the loop calls metrics_http_run(), which
 * does all pending work without blocking and re-arms the timer. Nothing else
 * is needed: no timeout to pass to epoll_wait().
 *
 * A slow or idle client cannot hold the loop: at most METRICS_HTTP_CONN_MAX
 * connections, each closed after METRICS_HTTP_TIMEOUT_S seconds without
 * activity. One address gets METRICS_HTTP_CONN_PER_IP of them (a connection
 * beyond that is closed at once), so it takes idle clients on four addresses
 * to fill the listener, and a probe from elsewhere is still answered. When
 * every connection is taken, new ones wait in the listen backlog until idle
 * ones time out (at most METRICS_HTTP_TIMEOUT_S seconds), and are served
 * then: the listening socket is always taken back once connections close.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/metrics/metrics.h"

typedef struct metrics_http metrics_http_t;

#define METRICS_HTTP_CONN_MAX	 16
#define METRICS_HTTP_CONN_PER_IP 4
#define METRICS_HTTP_TIMEOUT_S	 3
#define METRICS_HTTP_HOST_MAX	 256 /* host part of METRICS_LISTEN, with its NUL */

/*
 * Splits a METRICS_LISTEN value: "host:port", ":port" (every address),
 * "[IPv6]:port". host is a name or an address literal; port is decimal,
 * 0..65535 (0 asks the kernel for a free port). host (hsize bytes) receives
 * the host without brackets, "" for ":port". Writes host and *port only on
 * success. Returns DF_EINVAL with a message naming the value and what is
 * wrong, DF_ERANGE when the host does not fit.
 */
int metrics_http_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port,
			      df_detail_t *d);

/*
 * Binds listen (as metrics_http_parse_listen() reads it; a name is resolved
 * with getaddrinfo() and the first address that binds is used; ":port" binds
 * [::] accepting IPv4 too, or 0.0.0.0 without IPv6) and starts serving m.
 * m is borrowed and must outlive the listener; it is read only from
 * metrics_http_run(). On success *out receives the listener (caller stops it
 * with metrics_http_stop()). Returns DF_EINVAL for a bad value, DF_ENOENT
 * when the host does not resolve, the negated errno of a failed socket(),
 * bind() or listen() (e.g. -EADDRINUSE, -EACCES) with a message naming the
 * address and the reason, DF_ENOMEM.
 */
int metrics_http_start(metrics_http_t **out, const char *listen, const metrics_t *m,
		       df_detail_t *d);

/* Closes every connection and the listening socket; NULL does nothing. */
void metrics_http_stop(metrics_http_t *h);

/* The descriptor to watch for EPOLLIN (level-triggered); owned by h. */
int metrics_http_fd(const metrics_http_t *h);

/* Serves what is ready, without blocking. Call when metrics_http_fd() is
 * readable; calling it when nothing is ready is harmless. */
void metrics_http_run(metrics_http_t *h);

/* The bound port (the kernel's choice when listen asked for port 0). */
uint16_t metrics_http_port(const metrics_http_t *h);

/* The bound address for messages, e.g. "127.0.0.1:9100" or "[::]:9100";
 * owned by h. */
const char *metrics_http_address(const metrics_http_t *h);
