/*
 * lossy_proxy: a UDP relay on 127.0.0.1 that loses the first answer to each
 * DNS UPDATE, for the system tests.
 *
 *   lossy_proxy -p PORT -u UPSTREAM_PORT -P PIDFILE
 *
 * Every datagram from a client is relayed to 127.0.0.1:UPSTREAM_PORT (a real
 * named) and the answer relayed back, except that every other answer to an
 * UPDATE (opcode 5) is dropped, the first included. named has applied that copy: the
 * client sees silence, sends the UPDATE again, and named answers the second
 * copy with what it now finds. The pid goes to PIDFILE once the socket is
 * bound. One client at a time; SIGTERM ends it.
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
#include <unistd.h>

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

int main(int argc, char **argv)
{
	long port = 0, upstream = 0;
	const char *pidfile = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "p:u:P:")) != -1) {
		if (opt == 'p') {
			port = strtol(optarg, NULL, 10);
		} else if (opt == 'u') {
			upstream = strtol(optarg, NULL, 10);
		} else if (opt == 'P') {
			pidfile = optarg;
		} else {
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || upstream <= 0 || upstream > 65535 || pidfile == NULL) {
		fprintf(stderr, "usage: lossy_proxy -p PORT -u UPSTREAM_PORT -P PIDFILE\n");
		return 2;
	}
	int front = bind_udp((uint16_t)port);
	int back = bind_udp(0);
	struct sockaddr_in up = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream)};
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FILE *f = fopen(pidfile, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		perror("lossy_proxy: pid file");
		return 2;
	}

	struct sockaddr_in client;
	socklen_t clen = sizeof client;
	uint8_t buf[65535];
	unsigned long updates = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = front, .events = POLLIN},
				      {.fd = back, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			continue;
		}
		if (p[0].revents & POLLIN) {
			clen = sizeof client;
			ssize_t n = recvfrom(front, buf, sizeof buf, 0, (struct sockaddr *)&client,
					     &clen);
			if (n >= 12) {
				sendto(back, buf, (size_t)n, 0, (struct sockaddr *)&up, sizeof up);
			}
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = recv(back, buf, sizeof buf, 0);
			if (n < 12) {
				continue;
			}
			/* The client retries a lost answer once: losing every other
			 * UPDATE answer loses the first of each exchange. */
			if (((buf[2] >> 3) & 0x0f) == 5 && updates++ % 2 == 0) {
				fprintf(stderr, "lossy_proxy: dropped the answer to UPDATE id %u\n",
					(unsigned)(buf[0] << 8 | buf[1]));
				continue;
			}
			sendto(front, buf, (size_t)n, 0, (struct sockaddr *)&client, clen);
		}
	}
}
