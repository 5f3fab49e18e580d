/*
 * http_clients: HTTP clients from chosen loopback addresses for the listener tests.
 *
 *   http_clients hold PORT SECONDS ADDR COUNT [ADDR COUNT ...]
 *   http_clients get ADDR PORT PATH TIMEOUT_MS
 *   http_clients silent PATH SECONDS
 *
 * hold opens COUNT connections from each source ADDR to 127.0.0.1:PORT, sends half a
 * request line on each (so none is answered), prints "holding N" on stdout once all are
 * connected, keeps them for SECONDS, then prints "closed by the server: K" (how many the
 * server had closed meanwhile) and closes the rest. SIGTERM ends the hold early.
 *
 * get sends GET PATH HTTP/1.1 with "Connection: close" from source ADDR and prints the
 * status line and the body; it exits 0 on an answer, 1 when there is none within
 * TIMEOUT_MS (or the connection fails or is closed unanswered), naming which.
 *
 * silent listens on the unix socket PATH, accepts every connection and never answers
 * (an API server that hangs), for SECONDS or until SIGTERM; it prints "listening"
 * once bound.
 *
 * A command line it cannot use exits 2. Standalone on purpose: only libc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HOLD_MAX 256

static volatile sig_atomic_t stop;

static void on_term(int signo)
{
	(void)signo;
	stop = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max) {
		return false;
	}
	*out = v;
	return true;
}

/* A blocking socket bound to src and connected to 127.0.0.1:port, or -1. */
static int connect_from(const char *src, uint16_t port)
{
	struct sockaddr_in from = {.sin_family = AF_INET};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (inet_pton(AF_INET, src, &from.sin_addr) != 1) {
		fprintf(stderr, "http_clients: bad address %s\n", src);
		return -1;
	}
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("http_clients: socket");
		return -1;
	}
	if (bind(s, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(s, (struct sockaddr *)&to, sizeof(to)) != 0) {
		fprintf(stderr, "http_clients: %s -> 127.0.0.1:%u: %s\n", src, (unsigned)port,
			strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* True when the server has closed s (EOF or reset); never blocks. */
static bool closed_by_peer(int s)
{
	char c;
	ssize_t n = recv(s, &c, 1, MSG_DONTWAIT | MSG_PEEK);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int hold(int argc, char **argv)
{
	unsigned long port;
	unsigned long secs;
	if (argc < 6 || argc % 2 != 0 || !parse_num(argv[2], 65535, &port) ||
	    !parse_num(argv[3], 3600, &secs)) {
		return 2;
	}
	static int fds[HOLD_MAX];
	size_t n = 0;
	for (int i = 4; i + 1 < argc; i += 2) {
		unsigned long count;
		if (!parse_num(argv[i + 1], HOLD_MAX - n, &count)) {
			return 2;
		}
		for (unsigned long k = 0; k < count; k++) {
			int s = connect_from(argv[i], (uint16_t)port);
			if (s < 0) {
				return 1;
			}
			const char *half = "GET /metrics HTTP/1.1\r\n";
			send(s, half, strlen(half), MSG_NOSIGNAL);
			fds[n++] = s;
		}
	}
	printf("holding %zu\n", n);
	fflush(stdout);
	int64_t end = now_ms() + (int64_t)secs * 1000;
	while (!stop && now_ms() < end) {
		usleep(20000);
	}
	size_t gone = 0;
	for (size_t i = 0; i < n; i++) {
		gone += closed_by_peer(fds[i]);
		close(fds[i]);
	}
	printf("closed by the server: %zu\n", gone);
	return 0;
}

static int get(int argc, char **argv)
{
	unsigned long port;
	unsigned long timeout;
	if (argc != 6 || !parse_num(argv[3], 65535, &port) ||
	    !parse_num(argv[5], 600000, &timeout)) {
		return 2;
	}
	int64_t deadline = now_ms() + (int64_t)timeout;
	int s = connect_from(argv[2], (uint16_t)port);
	if (s < 0) {
		return 1;
	}
	char req[512];
	int len = snprintf(req, sizeof(req),
			   "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", argv[4]);
	if (len < 0 || (size_t)len >= sizeof(req) ||
	    send(s, req, (size_t)len, MSG_NOSIGNAL) != len) {
		fprintf(stderr, "http_clients: cannot send the request\n");
		close(s);
		return 1;
	}
	char buf[65536];
	size_t got = 0;
	int ret = 1;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {.fd = s, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			fprintf(stderr, "http_clients: %s: no answer within %lu ms\n", argv[4],
				timeout);
			break;
		}
		ssize_t r = recv(s, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0) {
			if (got == 0) {
				fprintf(stderr, "http_clients: %s: closed without an answer (%s)\n",
					argv[4], r == 0 ? "EOF" : strerror(errno));
			} else {
				ret = 0;
			}
			break;
		}
		got += (size_t)r;
		if (got == sizeof(buf) - 1) {
			ret = 0;
			break;
		}
	}
	close(s);
	if (ret == 0) {
		buf[got] = '\0';
		char *eol = strstr(buf, "\r\n");
		char *body = strstr(buf, "\r\n\r\n");
		printf("%.*s\n%s", eol != NULL ? (int)(eol - buf) : (int)got, buf,
		       body != NULL ? body + 4 : "");
	}
	return ret;
}

static int silent(int argc, char **argv)
{
	if (argc != 4) {
		return 2;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(argv[2]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "http_clients: socket path too long\n");
		return 2;
	}
	strcpy(a.sun_path, argv[2]);
	unlink(a.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
		perror("http_clients: silent");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	int held[HOLD_MAX];
	int n = 0;
	time_t end = time(NULL) + atoi(argv[3]);
	while (!stop && time(NULL) < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) > 0) {
			int c = accept(fd, NULL, NULL);
			if (c >= 0 && n < HOLD_MAX) {
				held[n++] = c; /* read nothing, answer nothing */
			} else if (c >= 0) {
				close(c);
			}
		}
	}
	for (int i = 0; i < n; i++) {
		close(held[i]);
	}
	close(fd);
	unlink(a.sun_path);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc >= 2 && strcmp(argv[1], "hold") == 0) {
		return hold(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "get") == 0) {
		return get(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "silent") == 0) {
		return silent(argc, argv);
	}
	fprintf(stderr, "usage: http_clients hold PORT SECONDS ADDR COUNT [ADDR COUNT ...]\n"
			"       http_clients get ADDR PORT PATH TIMEOUT_MS\n"
			"       http_clients silent PATH SECONDS\n");
	return 2;
}
