/*
 * Pushes zones to zonepushd as DirectAdmin does: one request at a time,
 * HTTP/1.0, no User-Agent, no Content-Type, Basic auth, a zone body laid out
 * as DA sends it. Prints the accepted pushes per second.
 *
 *   zp_push PORT USER:PASSWORD FIRST COUNT SERIAL
 *
 * zones zbFIRST.example .. zb(FIRST+COUNT-1).example. Exits 1 on the first
 * answer that is not error=0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64(const char *in, char *out)
{
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n) {
			v |= (unsigned char)in[i + 1] << 8;
		}
		if (i + 2 < n) {
			v |= (unsigned char)in[i + 2];
		}
		out[o++] = B64[(v >> 18) & 63];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? B64[v & 63] : '=';
	}
	out[o] = '\0';
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: zp_push PORT USER:PASSWORD FIRST COUNT SERIAL\n");
		return 64;
	}
	int port = atoi(argv[1]);
	char auth[512];
	b64(argv[2], auth);
	long first = atol(argv[3]), count = atol(argv[4]);
	long serial = atol(argv[5]);
	static char zone[4096], req[8192], ans[4096];
	double t0 = now();
	for (long i = first; i < first + count; i++) {
		char d[64];
		snprintf(d, sizeof(d), "zb%ld.example", i);
		int zl = snprintf(
			zone, sizeof(zone),
			"\n\n$TTL 3600\n@       IN      SOA     ns1.example.net.      "
			"hostmaster.%s. (\n\t\t%ld\n\t\t3600\n\t\t3600\n\t\t1209600\n\t\t86400 "
			")\n\n"
			"%s.\t3600\tIN\tNS\tns1.example.net.\n%s.\t3600\tIN\tNS\tns2.example.net.\n"
			"%s.\t3600\tIN\tA\t192.0.2.%ld\nwww\t3600\tIN\tA\t192.0.2.%ld\n"
			"mail\t3600\tIN\tA\t192.0.2.%ld\n%s.\t3600\tIN\tMX\t10 mail\n"
			"%s.\t3600\tIN\tTXT\t\"v=spf1 +a +mx ~all\"\n",
			d, serial, d, d, d, i % 250, i % 250, i % 250, d, d);
		int rl = snprintf(
			req, sizeof(req),
			"POST /CMD_API_DNS_ADMIN?action=rawsave&domain=%s&hostname=da1.example."
			"net&username=u%ld HTTP/1.0\r\nAuthorization: Basic %s\r\nHost: "
			"127.0.0.1:%d\r\nContent-Length: %d\r\n\r\n%s",
			d, i, auth, port, zl, zone);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    write(fd, req, (size_t)rl) != rl) {
			perror("zp_push: connect/write");
			return 1;
		}
		size_t got = 0;
		ssize_t n;
		while (got + 1 < sizeof(ans) &&
		       (n = read(fd, ans + got, sizeof(ans) - 1 - got)) > 0) {
			got += (size_t)n;
		}
		ans[got] = '\0';
		close(fd);
		const char *body = strstr(ans, "\r\n\r\n");
		if (body == NULL || strncmp(body + 4, "error=0", 7) != 0) {
			fprintf(stderr, "zp_push: %s: unexpected answer: %.200s\n", d, ans);
			return 1;
		}
	}
	double t = now() - t0;
	printf("pushed %ld zones in %.3f s: %.1f accepted pushes/s\n", count, t, (double)count / t);
	return 0;
}
