/*
 * lossy_proxy: a UDP relay on 127.0.0.1 that loses DNS datagrams, for the system
 * tests.
 *
 *   lossy_proxy -p PORT -u UPSTREAM_PORT -P PIDFILE [-a UPSTREAM_ADDR] [-c CONTROL_FILE]
 *
 * Every datagram from a client is relayed to UPSTREAM_ADDR:UPSTREAM_PORT (a real
 * named; 127.0.0.1 unless -a) and the answer relayed back to the client that sent the
 * query with that DNS id.
 *
 * Without -c, every other answer to an UPDATE (opcode 5) is dropped, the first
 * included. named has applied that copy: the client sees silence, sends the UPDATE
 * again, and named answers the second copy with what it now finds.
 *
 * With -c, CONTROL_FILE holds "LOSS DELAY" (re-read every 100 ms; missing or empty
 * means "0 0"): each datagram, either way, is lost with probability LOSS percent, and
 * each answer that is not lost is held DELAY milliseconds. Every loss is one line on
 * stderr. The chaos tests (tests/system/chaos.sh) run it inside a site's network
 * namespace.
 *
 * The pid goes to PIDFILE once the socket is bound. SIGTERM ends it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX 64

static int bind_udp(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("lossy_proxy: bind");
		exit(2);
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An answer held back for DELAY ms. */
struct held {
	int64_t due;
	struct sockaddr_in to;
	size_t len;
	uint8_t buf[4096];
};

static struct held held[HELD_MAX];
static int nheld;

/* The client of each DNS id: the answer goes back to whoever asked. */
static struct sockaddr_in clients[65536];

static void read_control(const char *path, int *loss, int *delay)
{
	FILE *f = fopen(path, "r");
	*loss = 0;
	*delay = 0;
	if (f == NULL) {
		return;
	}
	if (fscanf(f, "%d %d", loss, delay) < 1) {
		*loss = 0;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	long port = 0, upstream = 0;
	const char *pidfile = NULL, *control = NULL, *upaddr = "127.0.0.1";
	int opt;
	while ((opt = getopt(argc, argv, "p:u:P:a:c:")) != -1) {
		if (opt == 'p') {
			port = strtol(optarg, NULL, 10);
		} else if (opt == 'u') {
			upstream = strtol(optarg, NULL, 10);
		} else if (opt == 'P') {
			pidfile = optarg;
		} else if (opt == 'a') {
			upaddr = optarg;
		} else if (opt == 'c') {
			control = optarg;
		} else {
			return 2;
		}
	}
	struct sockaddr_in up = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream)};
	if (port <= 0 || port > 65535 || upstream <= 0 || upstream > 65535 || pidfile == NULL ||
	    inet_pton(AF_INET, upaddr, &up.sin_addr) != 1) {
		fprintf(stderr, "usage: lossy_proxy -p PORT -u UPSTREAM_PORT -P PIDFILE "
				"[-a UPSTREAM_ADDR] [-c CONTROL_FILE]\n");
		return 2;
	}
	int front = bind_udp((uint16_t)port);
	int back = socket(AF_INET, SOCK_DGRAM, 0);
	if (back < 0) {
		perror("lossy_proxy: socket");
		return 2;
	}
	FILE *f = fopen(pidfile, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		perror("lossy_proxy: pid file");
		return 2;
	}
	srandom((unsigned)getpid());

	struct sockaddr_in client;
	socklen_t clen = sizeof client;
	uint8_t buf[65535];
	unsigned long updates = 0;
	int loss = 0, delay = 0;
	int64_t control_read = 0;
	for (;;) {
		int64_t now = now_ms();
		if (control != NULL && now - control_read >= 100) {
			read_control(control, &loss, &delay);
			control_read = now;
		}
		/* Release the held answers that are due. */
		for (int i = 0; i < nheld;) {
			if (held[i].due <= now) {
				sendto(front, held[i].buf, held[i].len, 0,
				       (struct sockaddr *)&held[i].to, sizeof held[i].to);
				held[i] = held[--nheld];
			} else {
				i++;
			}
		}
		int timeout = control != NULL ? 20 : -1;
		struct pollfd p[2] = {{.fd = front, .events = POLLIN},
				      {.fd = back, .events = POLLIN}};
		if (poll(p, 2, timeout) < 0) {
			continue;
		}
		if (p[0].revents & POLLIN) {
			clen = sizeof client;
			ssize_t n = recvfrom(front, buf, sizeof buf, 0, (struct sockaddr *)&client,
					     &clen);
			if (n >= 12) {
				if (control != NULL && random() % 100 < loss) {
					fprintf(stderr, "lossy_proxy: lost the query id %u\n",
						(unsigned)(buf[0] << 8 | buf[1]));
				} else {
					clients[buf[0] << 8 | buf[1]] = client;
					sendto(back, buf, (size_t)n, 0, (struct sockaddr *)&up,
					       sizeof up);
				}
			}
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = recv(back, buf, sizeof buf, 0);
			if (n < 12) {
				continue;
			}
			unsigned id = (unsigned)(buf[0] << 8 | buf[1]);
			struct sockaddr_in *to = &clients[id];
			if (control == NULL) {
				/* The client retries a lost answer once: losing every other
				 * UPDATE answer loses the first of each exchange. */
				if (((buf[2] >> 3) & 0x0f) == 5 && updates++ % 2 == 0) {
					fprintf(stderr,
						"lossy_proxy: dropped the answer to UPDATE id %u\n",
						id);
					continue;
				}
				sendto(front, buf, (size_t)n, 0, (struct sockaddr *)to, sizeof *to);
				continue;
			}
			if (random() % 100 < loss) {
				fprintf(stderr, "lossy_proxy: lost the answer id %u\n", id);
				continue;
			}
			if (delay > 0 && nheld < HELD_MAX && (size_t)n <= sizeof held[0].buf) {
				held[nheld].due = now_ms() + delay;
				held[nheld].to = *to;
				held[nheld].len = (size_t)n;
				memcpy(held[nheld].buf, buf, (size_t)n);
				nheld++;
				continue;
			}
			sendto(front, buf, (size_t)n, 0, (struct sockaddr *)to, sizeof *to);
		}
	}
}
