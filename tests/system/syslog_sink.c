/*
 * syslog_sink: a syslog socket for the system tests.
 *
 *   syslog_sink SOCKET OUTPUT
 *
 * Binds a unix datagram socket at SOCKET (as syslogd does at /dev/log) and
 * writes each datagram it receives to OUTPUT as one line, flushed at once.
 * A byte outside printable ASCII is written as "<RAW:NN>" (hex), so a test
 * can tell a raw byte that reached the socket from text the program escaped
 * itself. SIGTERM ends it with status 0; a bad command line or a failed bind
 * exits 2.
 *
 * Standalone on purpose: only libc, nothing from libdnsfailover.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: syslog_sink SOCKET OUTPUT (SOCKET shorter than %zu)\n",
			sizeof(sun.sun_path));
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	FILE *out = fopen(argv[2], "a");
	if (out == NULL) {
		fprintf(stderr, "syslog_sink: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "syslog_sink: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!done) {
		unsigned char buf[65536];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			fprintf(stderr, "syslog_sink: recv: %s\n", strerror(errno));
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= 0x20 && buf[i] < 0x7f) {
				fputc(buf[i], out);
			} else {
				fprintf(out, "<RAW:%02x>", buf[i]);
			}
		}
		fputc('\n', out);
		fflush(out);
	}
	unlink(argv[1]);
	return 0;
}
