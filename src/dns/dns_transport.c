#include "src/dns/dns_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "src/common/clock.h"

int dns_endpoint_init(dns_endpoint_t *ep, const char *host, uint16_t port, df_detail_t *d)
{
	if (ep == NULL || host == NULL || host[0] == '\0') {
		return DF_EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		df_detail_set(d,
			      "cannot resolve DNS server %s: %s (check the name, or set DNS_SERVER "
			      "to an IP address; with ad-gss, then GSS_SERVICE=DNS/<its name>)",
			      host, gai_strerror(rc));
		return DF_ENOENT;
	}
	memset(ep, 0, sizeof(*ep));
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->addr_len = res->ai_addrlen;
	char ip[INET6_ADDRSTRLEN] = "?";
	if (res->ai_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof(ip));
	} else if (res->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip,
			  sizeof(ip));
	}
	snprintf(ep->label, sizeof(ep->label), "%s#%u", ip, port);
	freeaddrinfo(res);
	return DF_OK;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - clock_mono_ms();
	return left > 0 ? (int)left : 0;
}

/* Waits for events on fd until deadline; returns 1 ready, 0 timeout, <0 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int n = poll(&pfd, 1, remaining_ms(deadline));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		return n;
	}
}

static int open_socket(const dns_endpoint_t *ep, int type, df_detail_t *d)
{
	int fd = socket(ep->addr.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		df_detail_set(d, "cannot create a socket for %s: %s", ep->label, strerror(errno));
		return -errno;
	}
	return fd;
}

int dns_transport_udp(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
		      uint8_t *ans, size_t ans_cap, size_t *ans_len, int timeout_ms,
		      dns_accept_fn accept, void *arg, df_detail_t *d)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int ret;
	int fd = open_socket(ep, SOCK_DGRAM, d);
	if (fd < 0) {
		return DF_ENETWORK;
	}
	/* A connected socket only hears from the server, and learns of ICMP
	 * port-unreachable, which tells "server not running" from silence. */
	if (connect(fd, (const struct sockaddr *)&ep->addr, ep->addr_len) != 0 ||
	    send(fd, query, query_len, 0) != (ssize_t)query_len) {
		df_detail_set(d, "cannot send to DNS server %s: %s", ep->label, strerror(errno));
		ret = DF_ENETWORK;
		goto out;
	}
	for (;;) {
		int n = wait_fd(fd, POLLIN, deadline);
		if (n == 0) {
			ret = DF_ETIMEDOUT;
			goto out;
		}
		if (n < 0) {
			ret = DF_ENETWORK;
			goto out;
		}
		ssize_t got = recv(fd, ans, ans_cap, 0);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			if (errno == ECONNREFUSED) {
				df_detail_set(
					d, "DNS server %s refused the connection (is it running?)",
					ep->label);
				ret = DF_ECONNREFUSED;
			} else {
				df_detail_set(d, "receive from %s failed: %s", ep->label,
					      strerror(errno));
				ret = DF_ENETWORK;
			}
			goto out;
		}
		if (accept(arg, ans, (size_t)got)) {
			*ans_len = (size_t)got;
			ret = DF_OK;
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

/* Writes or reads exactly len bytes before the deadline. */
static int tcp_io(int fd, uint8_t *buf, size_t len, bool writing, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		int n = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);
		if (n == 0) {
			return DF_ETIMEDOUT;
		}
		if (n < 0) {
			return DF_ENETWORK;
		}
		ssize_t r = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
				    : recv(fd, buf + done, len - done, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			continue;
		}
		if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE))) {
			return DF_EMALFORMED; /* the peer closed the connection */
		}
		if (r < 0) {
			return DF_ENETWORK;
		}
		done += (size_t)r;
	}
	return DF_OK;
}

/* Connects to ep and sends query with its length prefix; *fd on DF_OK. */
static int tcp_connect_send(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
			    int64_t deadline, int *fdp, df_detail_t *d)
{
	uint8_t prefix[2];
	int ret;
	if (query_len > UINT16_MAX) {
		return DF_ENOSPACE;
	}
	int fd = open_socket(ep, SOCK_STREAM, d);
	if (fd < 0) {
		return DF_ENETWORK;
	}
	if (connect(fd, (const struct sockaddr *)&ep->addr, ep->addr_len) != 0 &&
	    errno != EINPROGRESS) {
		ret = errno == ECONNREFUSED ? DF_ECONNREFUSED : DF_ENETWORK;
		df_detail_set(d, "cannot connect to DNS server %s over TCP: %s", ep->label,
			      strerror(errno));
		goto out;
	}
	int n = wait_fd(fd, POLLOUT, deadline);
	int soerr = 0;
	socklen_t soerr_len = sizeof(soerr);
	if (n <= 0) {
		ret = n == 0 ? DF_ETIMEDOUT : DF_ENETWORK;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len);
	if (soerr != 0) {
		ret = soerr == ECONNREFUSED ? DF_ECONNREFUSED : DF_ENETWORK;
		df_detail_set(d, "cannot connect to DNS server %s over TCP: %s", ep->label,
			      strerror(soerr));
		goto out;
	}
	prefix[0] = (uint8_t)(query_len >> 8);
	prefix[1] = (uint8_t)query_len;
	ret = tcp_io(fd, prefix, 2, true, deadline);
	if (ret == DF_OK) {
		ret = tcp_io(fd, (uint8_t *)query, query_len, true, deadline);
	}
out:
	if (ret == DF_OK) {
		*fdp = fd;
	} else {
		close(fd);
	}
	return ret;
}

/* Reads one length-prefixed message into ans. */
static int tcp_read_msg(int fd, uint8_t *ans, size_t ans_cap, size_t *ans_len, int64_t deadline)
{
	uint8_t prefix[2];
	int ret = tcp_io(fd, prefix, 2, false, deadline);
	if (ret != DF_OK) {
		return ret;
	}
	size_t len = ((size_t)prefix[0] << 8) | prefix[1];
	if (len > ans_cap) {
		return DF_ENOSPACE;
	}
	ret = tcp_io(fd, ans, len, false, deadline);
	if (ret == DF_OK) {
		*ans_len = len;
	}
	return ret;
}

static void tcp_explain(const dns_endpoint_t *ep, int ret, int timeout_ms, df_detail_t *d)
{
	if (ret == DF_EMALFORMED) {
		df_detail_set(d, "DNS server %s closed the TCP connection without an answer",
			      ep->label);
	} else if (ret == DF_ETIMEDOUT) {
		df_detail_set(d, "DNS server %s did not answer over TCP within %d ms", ep->label,
			      timeout_ms);
	}
}

int dns_transport_tcp(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
		      uint8_t *ans, size_t ans_cap, size_t *ans_len, int timeout_ms,
		      dns_accept_fn accept, void *arg, df_detail_t *d)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int fd = -1;
	size_t len = 0;
	int ret = tcp_connect_send(ep, query, query_len, deadline, &fd, d);
	if (ret == DF_OK) {
		ret = tcp_read_msg(fd, ans, ans_cap, &len, deadline);
		if (ret == DF_OK && !accept(arg, ans, len)) {
			ret = DF_EMISMATCH;
		}
		if (ret == DF_OK) {
			*ans_len = len;
		}
		close(fd);
	}
	tcp_explain(ep, ret, timeout_ms, d);
	return ret;
}

int dns_transport_tcp_stream(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
			     int timeout_ms, dns_stream_fn each, void *arg, df_detail_t *d)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int fd = -1;
	int ret = tcp_connect_send(ep, query, query_len, deadline, &fd, d);
	if (ret != DF_OK) {
		tcp_explain(ep, ret, timeout_ms, d);
		return ret;
	}
	uint8_t *buf = malloc(UINT16_MAX);
	if (buf == NULL) {
		close(fd);
		return DF_ENOMEM;
	}
	bool more = true;
	while (ret == DF_OK && more) {
		size_t len = 0;
		ret = tcp_read_msg(fd, buf, UINT16_MAX, &len, deadline);
		if (ret == DF_OK) {
			ret = each(arg, buf, len, &more);
		} else {
			tcp_explain(ep, ret, timeout_ms, d);
		}
	}
	free(buf);
	close(fd);
	return ret;
}

bool dns_accept_id(void *arg, const uint8_t *msg, size_t len)
{
	const uint16_t *id = arg;
	return len >= 2 && (uint16_t)((msg[0] << 8) | msg[1]) == *id;
}

uint16_t dns_random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
		id = (uint16_t)clock_mono_ms();
	}
	return id;
}
