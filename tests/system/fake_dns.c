/*
 * fake_dns: a deliberately broken DNS server on 127.0.0.1 for the system tests.
 *
 *   fake_dns -p PORT -m MODE [-t] [-P PIDFILE] [-s SEED]
 *
 * Listens on 127.0.0.1:PORT over UDP (and TCP with -t). Once the sockets are bound it
 * writes its pid to PIDFILE (-P) or as the first line of stdout, so the pid doubles as a
 * readiness signal. Every query and answer is logged as one line on stderr. SIGTERM and
 * SIGINT end it with status 0; a bad command line or a failed bind exits 2.
 *
 * Modes (an "answer" over TCP carries the usual two-byte length prefix):
 *   silent            receive, never answer (TCP connections stay open until the peer
 *                     closes them)
 *   garbage           random bytes of random length 0-512 (-s SEED makes them repeatable)
 *   short             the first 5 bytes of the query
 *   truncated         UDP: the query's header and question with QR=1, TC=1 and no other
 *                     section; TCP: the connection is closed right after accept()
 *   wrongid           the whole query echoed with QR=1 and a different ID
 *   unsigned-notauth  the query's header and question with QR=1, RCODE=NOTAUTH (9) and
 *                     ANCOUNT=NSCOUNT=ARCOUNT=0: an error answer without TSIG
 *   refused-unsigned  the same with RCODE=REFUSED (5)
 *
 * Standalone on purpose: only libc, nothing from libdnsfailover.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
	MODE_SILENT,
	MODE_GARBAGE,
	MODE_SHORT,
	MODE_TRUNCATED,
	MODE_WRONGID,
	MODE_NOTAUTH,
	MODE_REFUSED,
};

static const struct {
	const char *name;
	enum mode mode;
} modes[] = {
	{"silent", MODE_SILENT},
	{"garbage", MODE_GARBAGE},
	{"short", MODE_SHORT},
	{"truncated", MODE_TRUNCATED},
	{"wrongid", MODE_WRONGID},
	{"unsigned-notauth", MODE_NOTAUTH},
	{"refused-unsigned", MODE_REFUSED},
};

#define HDR_LEN	    12
#define MAX_MSG	    65535
#define MAX_CONN    32
#define GARBAGE_MAX 512

struct conn {
	int fd;
	size_t have; /* bytes of buf filled */
	uint8_t buf[2 + MAX_MSG];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: fake_dns -p PORT -m MODE [-t] [-P PIDFILE] [-s SEED]\n"
			"modes: silent garbage short truncated wrongid unsigned-notauth "
			"refused-unsigned\n");
	exit(2);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

/* Length of header plus question section, or HDR_LEN when it does not parse. */
static size_t question_end(const uint8_t *q, size_t len, uint16_t *qdcount)
{
	size_t off = HDR_LEN;
	uint16_t n = get16(q + 4);

	for (uint16_t i = 0; i < n; i++) {
		for (;;) {
			if (off >= len)
				goto bad;
			uint8_t l = q[off];
			if ((l & 0xc0) == 0xc0) {
				off += 2;
				break;
			}
			if (l & 0xc0)
				goto bad;
			off += 1u + l;
			if (l == 0)
				break;
		}
		off += 4; /* QTYPE, QCLASS */
		if (off > len)
			goto bad;
	}
	*qdcount = n;
	return off;
bad:
	*qdcount = 0;
	return HDR_LEN;
}

/*
 * Builds the answer to query q (len bytes) into out; returns its length, or -1 for no
 * answer at all.
 */
static ssize_t make_answer(enum mode mode, const uint8_t *q, size_t len, uint8_t *out)
{
	size_t n;
	uint16_t qd;

	switch (mode) {
	case MODE_SILENT:
		return -1;
	case MODE_GARBAGE:
		n = (size_t)(random() % (GARBAGE_MAX + 1));
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)(random() & 0xff);
		return (ssize_t)n;
	case MODE_SHORT:
		n = len < 5 ? len : 5;
		memcpy(out, q, n);
		return (ssize_t)n;
	case MODE_WRONGID:
		if (len < HDR_LEN)
			return -1;
		memcpy(out, q, len);
		put16(out, (uint16_t)(get16(q) ^ 0x5a5a));
		out[2] |= 0x80;
		return (ssize_t)len;
	case MODE_TRUNCATED:
	case MODE_NOTAUTH:
	case MODE_REFUSED:
		if (len < HDR_LEN)
			return -1;
		n = question_end(q, len, &qd);
		memcpy(out, q, n);
		put16(out + 4, qd);
		put16(out + 6, 0);
		put16(out + 8, 0);
		put16(out + 10, 0);
		/* keep ID, opcode and RD; set QR; clear AA, TC, RA, Z, AD, CD, RCODE */
		out[2] = (uint8_t)(0x80 | (q[2] & 0x79));
		out[3] = 0;
		if (mode == MODE_TRUNCATED)
			out[2] |= 0x02;
		else
			out[3] = mode == MODE_NOTAUTH ? 9 : 5;
		return (ssize_t)n;
	}
	return -1;
}

static int listen_on(int type, int port)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void handle_udp(int fd, enum mode mode, const char *mname)
{
	static uint8_t q[MAX_MSG], a[MAX_MSG];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);

	if (len < 0)
		return;
	ssize_t alen = make_answer(mode, q, (size_t)len, a);
	fprintf(stderr, "fake_dns: udp query %zd bytes id %u from port %u, %s: ", len,
		len >= 2 ? get16(q) : 0, ntohs(from.sin_port), mname);
	if (alen < 0) {
		fprintf(stderr, "no answer\n");
		return;
	}
	if (sendto(fd, a, (size_t)alen, 0, (struct sockaddr *)&from, flen) < 0)
		fprintf(stderr, "sendto failed (%s)\n", strerror(errno));
	else
		fprintf(stderr, "answered %zd bytes\n", alen);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->have = 0;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, 2000) <= 0)
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void handle_tcp_data(struct conn *c, enum mode mode, const char *mname)
{
	static uint8_t a[2 + MAX_MSG];
	ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		conn_close(c);
		return;
	}
	c->have += (size_t)r;
	while (c->have >= 2 && c->have >= 2u + get16(c->buf)) {
		size_t len = get16(c->buf);
		const uint8_t *q = c->buf + 2;
		ssize_t alen = make_answer(mode, q, len, a + 2);

		fprintf(stderr, "fake_dns: tcp query %zu bytes id %u, %s: ", len,
			len >= 2 ? get16(q) : 0, mname);
		if (alen < 0) {
			fprintf(stderr, "no answer\n");
		} else {
			put16(a, (uint16_t)alen);
			if (write_all(c->fd, a, 2u + (size_t)alen)) {
				fprintf(stderr, "answered %zd bytes\n", alen);
			} else {
				fprintf(stderr, "write failed\n");
				conn_close(c);
				return;
			}
		}
		memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
		c->have -= 2 + len;
	}
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONN];
	const char *pidfile = NULL, *mname = NULL;
	enum mode mode = MODE_SILENT;
	bool tcp = false, have_seed = false;
	unsigned long seed = 0;
	long port = 0;
	int opt, ufd, tfd = -1;
	char *end;

	while ((opt = getopt(argc, argv, "p:m:tP:s:")) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno || *end || port < 1 || port > 65535)
				usage();
			break;
		case 'm':
			mname = optarg;
			break;
		case 't':
			tcp = true;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 's':
			errno = 0;
			seed = strtoul(optarg, &end, 10);
			if (errno || *end)
				usage();
			have_seed = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0 || mname == NULL)
		usage();
	size_t i;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, mname) == 0)
			break;
	if (i == sizeof(modes) / sizeof(modes[0])) {
		fprintf(stderr, "fake_dns: unknown mode '%s'\n", mname);
		usage();
	}
	mode = modes[i].mode;
	if (!have_seed)
		seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	srandom((unsigned)seed);

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

	ufd = listen_on(SOCK_DGRAM, (int)port);
	if (ufd < 0) {
		fprintf(stderr, "fake_dns: cannot bind udp 127.0.0.1#%ld (%s)\n", port,
			strerror(errno));
		return 2;
	}
	if (tcp) {
		tfd = listen_on(SOCK_STREAM, (int)port);
		if (tfd < 0) {
			fprintf(stderr, "fake_dns: cannot bind tcp 127.0.0.1#%ld (%s)\n", port,
				strerror(errno));
			return 2;
		}
	}
	for (i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;

	if (pidfile) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
		    rename(tmp, pidfile) != 0) {
			fprintf(stderr, "fake_dns: cannot write pid file %s (%s)\n", pidfile,
				strerror(errno));
			return 2;
		}
	} else {
		printf("%ld\n", (long)getpid());
		fflush(stdout);
	}
	fprintf(stderr, "fake_dns: pid %ld mode %s on 127.0.0.1#%ld udp%s, seed %lu\n",
		(long)getpid(), mname, port, tcp ? "+tcp" : "", seed);

	while (!stop) {
		struct pollfd pfd[2 + MAX_CONN];
		int map[2 + MAX_CONN];
		nfds_t n = 0;

		pfd[n] = (struct pollfd){.fd = ufd, .events = POLLIN};
		map[n++] = -1;
		if (tfd >= 0) {
			pfd[n] = (struct pollfd){.fd = tfd, .events = POLLIN};
			map[n++] = -2;
		}
		for (i = 0; i < MAX_CONN; i++) {
			if (conns[i].fd >= 0) {
				pfd[n] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
				map[n++] = (int)i;
			}
		}
		int r = ppoll(pfd, n, NULL, &waitmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fake_dns: poll failed (%s)\n", strerror(errno));
			return 1;
		}
		for (nfds_t k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (map[k] == -1) {
				handle_udp(ufd, mode, mname);
			} else if (map[k] == -2) {
				int cfd = accept4(tfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (cfd < 0)
					continue;
				if (mode == MODE_TRUNCATED) {
					fprintf(stderr, "fake_dns: tcp connection, %s: closed\n",
						mname);
					close(cfd);
					continue;
				}
				for (i = 0; i < MAX_CONN && conns[i].fd >= 0; i++)
					;
				if (i == MAX_CONN) {
					fprintf(stderr, "fake_dns: too many tcp connections\n");
					close(cfd);
					continue;
				}
				conns[i].fd = cfd;
				conns[i].have = 0;
				fprintf(stderr, "fake_dns: tcp connection accepted\n");
			} else {
				handle_tcp_data(&conns[map[k]], mode, mname);
			}
		}
	}

	fprintf(stderr, "fake_dns: stopping on signal\n");
	for (i = 0; i < MAX_CONN; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	if (tfd >= 0)
		close(tfd);
	close(ufd);
	if (pidfile)
		unlink(pidfile);
	return 0;
}
