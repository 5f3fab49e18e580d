/*
 * connect_proxy -p PORT [-P PIDFILE]: an HTTP proxy on 127.0.0.1:PORT that
 * serves CONNECT only (what a client sends to reach an https:// URL through a
 * proxy), one child process per connection. Each CONNECT is one line on
 * stderr ("connect_proxy: CONNECT host:port"); anything else is answered 405.
 * The pid goes to PIDFILE once the port is bound. libc only.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void relay(int a, int b)
{
	char buf[16384];
	struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
	for (;;) {
		if (poll(p, 2, 60000) <= 0) {
			return;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].revents == 0) {
				continue;
			}
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				return;
			}
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(p[1 - i].fd, buf + off, (size_t)(n - off));
				if (w <= 0) {
					return;
				}
				off += w;
			}
		}
	}
}

static void serve(int c)
{
	char req[4096];
	size_t used = 0;
	while (used < sizeof(req) - 1) {
		ssize_t n = read(c, req + used, sizeof(req) - 1 - used);
		if (n <= 0) {
			return;
		}
		used += (size_t)n;
		req[used] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL) {
			break;
		}
	}
	char host[256], port[16];
	if (sscanf(req, "CONNECT %255[^:]:%15[0-9] HTTP/1.", host, port) != 2) {
		const char *no = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
		if (write(c, no, strlen(no)) < 0) {
			return;
		}
		return;
	}
	fprintf(stderr, "connect_proxy: CONNECT %s:%s\n", host, port);
	int t = dial(host, port);
	const char *ans = t >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n"
				 : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
	if (write(c, ans, strlen(ans)) < 0 || t < 0) {
		return;
	}
	relay(c, t);
	close(t);
}

int main(int argc, char **argv)
{
	int opt, port = 0;
	const char *pidfile = NULL;
	while ((opt = getopt(argc, argv, "p:P:")) != -1) {
		if (opt == 'p') {
			port = atoi(optarg);
		} else if (opt == 'P') {
			pidfile = optarg;
		} else {
			return 2;
		}
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (port <= 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(s, 16) != 0) {
		fprintf(stderr, "connect_proxy: cannot listen on 127.0.0.1:%d\n", port);
		return 2;
	}
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f != NULL) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			continue;
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(s);
			serve(c);
			_exit(0);
		}
		close(c);
	}
}
