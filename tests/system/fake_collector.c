/*
 * fake_collector: a stand-in for an OpenTelemetry collector's Prometheus endpoint on
 * 127.0.0.1, for the health-check system tests and the demo.
 *
 *   fake_collector -p PORT -c CONTROL_FILE [-a ADDR] [-m METRIC] [-s STEP] [-i MS] [-P PIDFILE]
 *
 * Serves HTTP/1.1 on 127.0.0.1:PORT (ADDR:PORT with -a, e.g. 0.0.0.0 inside a network
 * namespace of the chaos tests), one request per connection ("Connection: close").
 * GET /metrics returns a Prometheus text page (version 0.0.4) with HELP and TYPE lines and
 * the counter METRIC (default otelcol_receiver_accepted_metric_points_total) in two label
 * sets, {receiver="prometheus",transport="http"} and {receiver="otlp",transport="grpc"},
 * whose sum starts at 1000 and grows by STEP (default 55) for every MS milliseconds
 * (default 200) spent in mode "up", plus a few other metrics. Any other path is a 404, any
 * other method a 405.
 *
 * CONTROL_FILE holds one word, the mode. It is re-read on every connection and every
 * 100 ms (a missing or empty file means "up"; an unknown word is logged and ignored):
 *   up       normal, the counter grows
 *   flat     answers normally, the counter is frozen
 *   down     the listening socket is closed, so connections are refused; it is bound again
 *            as soon as the mode changes back
 *   hang     connections are accepted and never answered; they stay open until the peer
 *            closes them
 *   garbage  200 with 1-4096 random bytes (any path)
 *   huge     200 with a 64 MiB body of comment lines and no Content-Length (any path)
 *   error    500 Internal Server Error (any path)
 * A connection keeps the mode it was accepted in. Connections are served concurrently
 * (poll over all sockets), so a hung or slow one never blocks the others. A client that
 * sends no complete request within 10 s, or stops reading a response for 30 s, is
 * dropped.
 *
 * Once the port is bound (even when the control file says "down") the pid is written to
 * PIDFILE (-P) or as the first line of stdout, so it doubles as a readiness signal. Every
 * request and mode change is one line on stderr. SIGTERM and SIGINT end it with status 0;
 * a bad command line or a failed first bind exits 2.
 *
 * Standalone on purpose: only libc, nothing from libdnsfailover.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode {
	MODE_UP,
	MODE_FLAT,
	MODE_DOWN,
	MODE_HANG,
	MODE_GARBAGE,
	MODE_HUGE,
	MODE_ERROR,
};

static const char *const mode_names[] = {
	[MODE_UP] = "up",	[MODE_FLAT] = "flat",	    [MODE_DOWN] = "down",
	[MODE_HANG] = "hang",	[MODE_GARBAGE] = "garbage", [MODE_HUGE] = "huge",
	[MODE_ERROR] = "error",
};

#define NMODES	       (sizeof(mode_names) / sizeof(mode_names[0]))
#define MAX_CONN       64
#define MAX_REQ	       8192
#define TICK_MS	       100
#define READ_LIMIT_MS  10000
#define WRITE_STALL_MS 30000
#define HUGE_BYTES     (64ull << 20)
#define GARBAGE_MAX    4096
#define COUNTER_BASE   1000

enum cstate {
	C_FREE,
	C_READING, /* waiting for the end of the request headers */
	C_WRITING, /* sending out[], then stream_left bytes of filler */
	C_HUNG,	   /* never answered; reads and discards until the peer closes */
};

struct conn {
	int fd;
	enum cstate state;
	enum mode mode; /* the mode it was accepted in */
	unsigned port;	/* the peer's port, for the log */
	size_t inlen;
	char in[MAX_REQ];
	char *out; /* malloc'd response head (and body unless streamed) */
	size_t outlen, outoff;
	uint64_t stream_left; /* filler bytes still to send after out[] */
	int64_t deadline;     /* monotonic ms; 0 = none */
};

static volatile sig_atomic_t stop;

static struct {
	const char *metric;
	uint64_t step;
	uint64_t interval_ms;
	enum mode mode;
	/* time spent in mode "up" before up_since, and when the current "up" began */
	uint64_t up_ms;
	int64_t up_since; /* -1 when not up */
	int64_t started;
	struct in_addr addr; /* -a, default 127.0.0.1 */
} g;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fake_collector -p PORT -c CONTROL_FILE [-a ADDR] [-m METRIC] [-s STEP] "
		"[-i MS] [-P PIDFILE]\n"
		"modes in CONTROL_FILE: up flat down hang garbage huge error\n");
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* The counter's current sum. */
static uint64_t counter_value(int64_t now)
{
	uint64_t ms = g.up_ms;

	if (g.up_since >= 0)
		ms += (uint64_t)(now - g.up_since);
	return COUNTER_BASE + ms / g.interval_ms * g.step;
}

static void set_mode(enum mode m, int64_t now)
{
	if (m == g.mode)
		return;
	if (g.up_since >= 0) {
		g.up_ms += (uint64_t)(now - g.up_since);
		g.up_since = -1;
	}
	if (m == MODE_UP)
		g.up_since = now;
	fprintf(stderr, "fake_collector: mode %s -> %s (counter %" PRIu64 ")\n", mode_names[g.mode],
		mode_names[m], counter_value(now));
	g.mode = m;
}

/* Re-reads the control file and applies the mode in it. */
static void read_mode(const char *path, int64_t now)
{
	char buf[64], *p, *e;
	size_t n = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r'; e++)
		;
	*e = '\0';
	if (*p == '\0') {
		set_mode(MODE_UP, now);
		return;
	}
	for (size_t i = 0; i < NMODES; i++) {
		if (strcmp(p, mode_names[i]) == 0) {
			set_mode((enum mode)i, now);
			return;
		}
	}
	static char last_bad[64];
	if (strcmp(last_bad, p) != 0) {
		fprintf(stderr, "fake_collector: unknown mode '%s' in %s, staying %s\n", p, path,
			mode_names[g.mode]);
		snprintf(last_bad, sizeof(last_bad), "%s", p);
	}
}

static int listen_on(int port)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr = g.addr;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->outlen = c->outoff = c->inlen = 0;
	c->stream_left = 0;
	c->deadline = 0;
	c->state = C_FREE;
}

/* The metrics page as a malloc'd string, or NULL. */
static char *metrics_page(int64_t now, size_t *len, uint64_t *sum)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	uint64_t v = counter_value(now);
	/* Both parts grow with the sum: otlp gets a third, prometheus the rest. */
	uint64_t otlp = v / 3, prom = v - otlp;
	double uptime = (double)(now - g.started) / 1000.0;

	if (!f)
		return NULL;
	fprintf(f,
		"# HELP otelcol_process_uptime Uptime of the process\n"
		"# TYPE otelcol_process_uptime counter\n"
		"otelcol_process_uptime{service_name=\"fake_collector\"} %.3f\n",
		uptime);
	fprintf(f,
		"# HELP %s Number of metric points successfully pushed into the pipeline.\n"
		"# TYPE %s counter\n"
		"%s{receiver=\"prometheus\",transport=\"http\"} %" PRIu64 "\n"
		"%s{receiver=\"otlp\",transport=\"grpc\"} %" PRIu64 "\n",
		g.metric, g.metric, g.metric, prom, g.metric, otlp);
	fprintf(f, "# HELP otelcol_receiver_refused_metric_points_total Number of metric points "
		   "that could not be pushed into the pipeline.\n"
		   "# TYPE otelcol_receiver_refused_metric_points_total counter\n"
		   "otelcol_receiver_refused_metric_points_total{receiver=\"prometheus\","
		   "transport=\"http\"} 0\n"
		   "otelcol_receiver_refused_metric_points_total{receiver=\"otlp\","
		   "transport=\"grpc\"} 0\n");
	fprintf(f, "# HELP otelcol_process_memory_rss Total physical memory (resident set size)\n"
		   "# TYPE otelcol_process_memory_rss gauge\n"
		   "otelcol_process_memory_rss 1.2345678e+08\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*sum = v;
	return buf;
}

/*
 * Sets c->out to a response with the given status and body (Content-Length unless
 * body_len is SIZE_MAX, in which case the body is streamed after it). False on ENOMEM.
 */
static bool respond(struct conn *c, const char *status, const char *ctype, const char *body,
		    size_t body_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return false;
	fprintf(f, "HTTP/1.1 %s\r\nServer: fake_collector\r\nContent-Type: %s\r\n", status, ctype);
	if (body_len != SIZE_MAX)
		fprintf(f, "Content-Length: %zu\r\n", body_len);
	fputs("Connection: close\r\n\r\n", f);
	if (body_len != SIZE_MAX && body_len > 0)
		fwrite(body, 1, body_len, f);
	if (fclose(f) != 0) {
		free(buf);
		return false;
	}
	c->out = buf;
	c->outlen = len;
	c->outoff = 0;
	return true;
}

/* A complete request is in c->in: build the answer and start writing it. */
static void handle_request(struct conn *c, int64_t now)
{
	static const char prom_type[] = "text/plain; version=0.0.4; charset=utf-8";
	char method[16] = "", path[256] = "";
	char *body = NULL;
	size_t blen = 0;
	uint64_t sum = 0;
	bool ok = true;
	const char *what;
	char note[64] = "";

	c->in[c->inlen < MAX_REQ ? c->inlen : MAX_REQ - 1] = '\0';
	if (sscanf(c->in, "%15s %255s", method, path) != 2)
		snprintf(method, sizeof(method), "?");
	path[strcspn(path, "?#")] = '\0';

	switch (c->mode) {
	case MODE_GARBAGE:
		blen = 1 + (size_t)(random() % GARBAGE_MAX);
		body = malloc(blen);
		if (!body) {
			ok = false;
			break;
		}
		for (size_t i = 0; i < blen; i++)
			body[i] = (char)(random() & 0xff);
		ok = respond(c, "200 OK", "text/plain; charset=utf-8", body, blen);
		what = "200 garbage";
		snprintf(note, sizeof(note), " (%zu bytes)", blen);
		break;
	case MODE_HUGE:
		ok = respond(c, "200 OK", prom_type, NULL, SIZE_MAX);
		c->stream_left = HUGE_BYTES;
		what = "200 huge";
		snprintf(note, sizeof(note), " (%llu bytes, no Content-Length)",
			 (unsigned long long)HUGE_BYTES);
		break;
	case MODE_ERROR:
		ok = respond(c, "500 Internal Server Error", "text/plain; charset=utf-8",
			     "internal error\n", 15);
		what = "500";
		break;
	default:
		if (strcmp(method, "GET") != 0) {
			ok = respond(c, "405 Method Not Allowed", "text/plain; charset=utf-8",
				     "method not allowed\n", 19);
			what = "405";
		} else if (strcmp(path, "/metrics") != 0) {
			ok = respond(c, "404 Not Found", "text/plain; charset=utf-8",
				     "404 page not found\n", 19);
			what = "404";
		} else {
			body = metrics_page(now, &blen, &sum);
			ok = body && respond(c, "200 OK", prom_type, body, blen);
			what = "200";
			snprintf(note, sizeof(note), " (counter %" PRIu64 ")", sum);
		}
		break;
	}
	free(body);
	if (!ok) {
		fprintf(stderr, "fake_collector: out of memory answering port %u\n", c->port);
		conn_close(c);
		return;
	}
	fprintf(stderr, "fake_collector: %s %s from port %u, mode %s: %s%s\n", method, path,
		c->port, mode_names[c->mode], what, note);
	c->state = C_WRITING;
	c->deadline = now + WRITE_STALL_MS;
}

static void handle_read(struct conn *c, int64_t now)
{
	char discard[4096];
	ssize_t r;

	if (c->state == C_HUNG) {
		r = read(c->fd, discard, sizeof(discard));
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
			fprintf(stderr,
				"fake_collector: hung connection from port %u closed by "
				"the peer\n",
				c->port);
			conn_close(c);
		}
		return;
	}
	if (c->inlen >= MAX_REQ - 1) {
		/* Request too long: answer what we have. */
		handle_request(c, now);
		return;
	}
	r = read(c->fd, c->in + c->inlen, MAX_REQ - 1 - c->inlen);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		fprintf(stderr,
			"fake_collector: port %u closed the connection without a "
			"complete request\n",
			c->port);
		conn_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n") || c->inlen >= MAX_REQ - 1)
		handle_request(c, now);
}

static void handle_write(struct conn *c, int64_t now)
{
	static char filler[65536];
	ssize_t w;

	if (!filler[0]) {
		static const char line[] = "# fake_collector huge body padding "
					   "0123456789abcdefghijklmnopqrstuvwxyz.\n";
		for (size_t off = 0; off < sizeof(filler); off += sizeof(line) - 1) {
			size_t n = sizeof(line) - 1;
			if (n > sizeof(filler) - off)
				n = sizeof(filler) - off;
			memcpy(filler + off, line, n);
		}
	}
	if (c->outoff < c->outlen) {
		w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
	} else if (c->stream_left > 0) {
		size_t n =
			c->stream_left < sizeof(filler) ? (size_t)c->stream_left : sizeof(filler);
		w = send(c->fd, filler, n, MSG_NOSIGNAL);
	} else {
		conn_close(c);
		return;
	}
	if (w < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (w < 0) {
		fprintf(stderr,
			"fake_collector: port %u: send failed (%s), %llu body bytes "
			"unsent\n",
			c->port, strerror(errno), (unsigned long long)c->stream_left);
		conn_close(c);
		return;
	}
	if (c->outoff < c->outlen)
		c->outoff += (size_t)w;
	else
		c->stream_left -= (uint64_t)w;
	c->deadline = now + WRITE_STALL_MS;
	if (c->outoff >= c->outlen && c->stream_left == 0) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

static void handle_accept(int lfd, struct conn *conns, const char *control, int64_t now)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	int cfd = accept4(lfd, (struct sockaddr *)&from, &flen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	size_t i;

	if (cfd < 0)
		return;
	read_mode(control, now);
	for (i = 0; i < MAX_CONN && conns[i].state != C_FREE; i++)
		;
	if (i == MAX_CONN) {
		fprintf(stderr, "fake_collector: too many connections, closing a new one\n");
		close(cfd);
		return;
	}
	struct conn *c = &conns[i];
	c->fd = cfd;
	c->mode = g.mode;
	c->port = ntohs(from.sin_port);
	c->inlen = 0;
	if (g.mode == MODE_HANG) {
		c->state = C_HUNG;
		c->deadline = 0;
		fprintf(stderr,
			"fake_collector: connection from port %u, mode hang: never "
			"answering\n",
			c->port);
	} else {
		/* "down" here: accepted just before the listener closed; serve it as "up". */
		if (c->mode == MODE_DOWN)
			c->mode = MODE_UP;
		c->state = C_READING;
		c->deadline = now + READ_LIMIT_MS;
	}
}

static int write_pidfile(const char *pidfile)
{
	char tmp[4096];
	FILE *f;

	if (!pidfile) {
		printf("%ld\n", (long)getpid());
		fflush(stdout);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, pidfile) != 0) {
		fprintf(stderr, "fake_collector: cannot write pid file %s (%s)\n", pidfile,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONN];
	const char *pidfile = NULL, *control = NULL;
	uint64_t port = 0;
	int opt, lfd;
	size_t i;

	g.metric = "otelcol_receiver_accepted_metric_points_total";
	g.step = 55;
	g.interval_ms = 200;
	g.addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((opt = getopt(argc, argv, "p:m:s:i:c:P:a:")) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &g.addr) != 1)
				usage();
			break;
		case 'p':
			if (!parse_u64(optarg, 1, 65535, &port))
				usage();
			break;
		case 'm':
			if (!*optarg || strcspn(optarg, " \t\n{}\"") != strlen(optarg))
				usage();
			g.metric = optarg;
			break;
		case 's':
			if (!parse_u64(optarg, 0, UINT32_MAX, &g.step))
				usage();
			break;
		case 'i':
			if (!parse_u64(optarg, 1, 3600000, &g.interval_ms))
				usage();
			break;
		case 'c':
			control = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0 || control == NULL)
		usage();
	srandom((unsigned)time(NULL) ^ ((unsigned)getpid() << 16));

	/* Block the stop signals except inside ppoll(), so none is lost between checks. */
	sigset_t block, waitmask;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);

	lfd = listen_on((int)port);
	if (lfd < 0) {
		fprintf(stderr, "fake_collector: cannot bind tcp 127.0.0.1#%" PRIu64 " (%s)\n",
			port, strerror(errno));
		return 2;
	}
	for (i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;
	g.started = now_ms();
	g.mode = MODE_UP;
	g.up_since = g.started;
	if (write_pidfile(pidfile) != 0)
		return 2;
	fprintf(stderr,
		"fake_collector: pid %ld on http://127.0.0.1:%" PRIu64 "/metrics, metric %s "
		"+%" PRIu64 " every %" PRIu64 " ms, control file %s\n",
		(long)getpid(), port, g.metric, g.step, g.interval_ms, control);

	int64_t last_read = INT64_MIN / 2;
	while (!stop) {
		struct pollfd pfd[1 + MAX_CONN];
		int map[1 + MAX_CONN];
		nfds_t n = 0;
		int64_t now = now_ms();

		if (now - last_read >= TICK_MS) {
			read_mode(control, now);
			last_read = now;
		}
		if (g.mode == MODE_DOWN && lfd >= 0) {
			close(lfd);
			lfd = -1;
			fprintf(stderr, "fake_collector: listening socket closed\n");
		} else if (g.mode != MODE_DOWN && lfd < 0) {
			lfd = listen_on((int)port);
			if (lfd < 0)
				fprintf(stderr,
					"fake_collector: cannot bind again (%s), retrying\n",
					strerror(errno));
			else
				fprintf(stderr, "fake_collector: listening again\n");
		}
		for (i = 0; i < MAX_CONN; i++) {
			struct conn *c = &conns[i];
			if (c->state == C_FREE || c->deadline == 0 || now < c->deadline)
				continue;
			fprintf(stderr, "fake_collector: port %u: %s, dropping it\n", c->port,
				c->state == C_READING ? "no complete request within 10 s"
						      : "not reading for 30 s");
			conn_close(c);
		}

		if (lfd >= 0) {
			pfd[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
			map[n++] = -1;
		}
		for (i = 0; i < MAX_CONN; i++) {
			if (conns[i].state == C_FREE)
				continue;
			pfd[n] = (struct pollfd){
				.fd = conns[i].fd,
				.events = conns[i].state == C_WRITING ? POLLOUT : POLLIN,
			};
			map[n++] = (int)i;
		}
		struct timespec tick = {.tv_sec = 0, .tv_nsec = TICK_MS * 1000000L};
		int r = ppoll(pfd, n, &tick, &waitmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fake_collector: poll failed (%s)\n", strerror(errno));
			return 1;
		}
		now = now_ms();
		for (nfds_t k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (map[k] < 0) {
				handle_accept(lfd, conns, control, now);
				continue;
			}
			struct conn *c = &conns[map[k]];
			if (c->state == C_WRITING)
				handle_write(c, now);
			else
				handle_read(c, now);
		}
	}

	fprintf(stderr, "fake_collector: stopping on signal\n");
	for (i = 0; i < MAX_CONN; i++)
		if (conns[i].state != C_FREE)
			conn_close(&conns[i]);
	if (lfd >= 0)
		close(lfd);
	if (pidfile)
		unlink(pidfile);
	return 0;
}
