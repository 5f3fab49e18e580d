#include "tests/system/fake_https.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (256 * 1024)

static struct {
	pthread_mutex_t lock;
	const char *name, *control;
	fh_handler_fn handler;
	void (*stats)(json_t *);
	unsigned long connections, requests;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static volatile sig_atomic_t stop;

static void on_term(int signo)
{
	(void)signo;
	stop = 1;
}

typedef struct upload {
	char *buf;
	size_t len;
	bool too_big;
} upload_t;

__thread bool fh_lose_answer;

MHD_RESULT fh_send(struct MHD_Connection *c, unsigned status, const char *content_type,
		   const char *text, const char *extra_header)
{
	if (fh_lose_answer) {
		status = 502;
		content_type = "text/html";
		text = "<html><body>502 Bad Gateway</body></html>";
		extra_header = NULL;
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", content_type);
	if (extra_header != NULL) {
		char name[64];
		const char *colon = strchr(extra_header, ':');
		if (colon != NULL && (size_t)(colon - extra_header) < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)(colon - extra_header),
				 extra_header);
			MHD_add_response_header(r, name, colon + 1 + (colon[1] == ' '));
		}
	}
	MHD_RESULT ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

MHD_RESULT fh_send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (text == NULL) {
		return MHD_NO;
	}
	MHD_RESULT ret = fh_send(c, status, "application/json", text, NULL);
	free(text);
	return ret;
}

static void read_mode(char *mode, size_t size)
{
	snprintf(mode, size, "ok");
	FILE *f = g.control != NULL ? fopen(g.control, "r") : NULL;
	if (f == NULL) {
		return;
	}
	if (fgets(mode, (int)size, f) == NULL) {
		snprintf(mode, size, "ok");
	}
	mode[strcspn(mode, " \t\r\n")] = '\0';
	fclose(f);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool fh_basic(struct MHD_Connection *c, char *user, size_t usize, char *pass, size_t psize)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char plain[1024];
	size_t n = 0;
	unsigned acc = 0, bits = 0;
	if (h == NULL || strncmp(h, "Basic ", 6) != 0) {
		return false;
	}
	for (const char *p = h + 6; *p != '\0' && *p != '='; p++) {
		const char *k = strchr(b64, *p);
		if (k == NULL || n + 1 >= sizeof(plain)) {
			return false;
		}
		acc = (acc << 6) | (unsigned)(k - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			plain[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	plain[n] = '\0';
	char *colon = strchr(plain, ':');
	if (colon == NULL || strlen(plain) != n) {
		return false;
	}
	*colon = '\0';
	snprintf(user, usize, "%s", plain);
	snprintf(pass, psize, "%s", colon + 1);
	return true;
}

static MHD_RESULT handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			  const char *version, const char *data, size_t *data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	upload_t *up = *con_cls;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		*con_cls = up;
		return up != NULL ? MHD_YES : MHD_NO;
	}
	if (*data_size > 0) {
		if (up->len + *data_size > BODY_MAX) {
			up->too_big = true;
		} else {
			char *nb = realloc(up->buf, up->len + *data_size + 1);
			if (nb == NULL) {
				return MHD_NO;
			}
			up->buf = nb;
			memcpy(up->buf + up->len, data, *data_size);
			up->len += *data_size;
			up->buf[up->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	char mode[32];
	read_mode(mode, sizeof(mode));
	pthread_mutex_lock(&g.lock);
	g.requests++;
	pthread_mutex_unlock(&g.lock);
	fprintf(stderr, "%s: %s %s (%s)\n", g.name, method, url, mode);
	if (strcmp(url, "/__fake/stats") == 0) {
		pthread_mutex_lock(&g.lock);
		json_t *s = json_pack("{s:I, s:I}", "connections", (json_int_t)g.connections,
				      "requests", (json_int_t)g.requests);
		if (g.stats != NULL) {
			g.stats(s);
		}
		pthread_mutex_unlock(&g.lock);
		return fh_send_json(c, 200, s);
	}
	if (strncmp(url, "/__fake/", 8) == 0) {
		snprintf(mode, sizeof(mode), "ok"); /* the test's own pages */
	}
	if (strcmp(mode, "hang") == 0) {
		for (int i = 0; i < 600 && !stop; i++) {
			usleep(100 * 1000);
		}
		return MHD_NO;
	}
	if (strcmp(mode, "error") == 0) {
		return fh_send(c, 500, "text/html",
			       "<html><body>500 Internal Server Error</body></html>", NULL);
	}
	if (strcmp(mode, "busy") == 0) {
		return fh_send(c, 429, "text/html",
			       "<html><body>429 Too Many Requests</body></html>", "Retry-After: 5");
	}
	if (up->too_big) {
		return fh_send(c, 413, "text/plain", "request body too large", NULL);
	}
	fh_request_t r = {c, method, url, up->buf != NULL ? up->buf : "", up->len, mode};
	pthread_mutex_lock(&g.lock);
	MHD_RESULT ret = g.handler(&r);
	pthread_mutex_unlock(&g.lock);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	upload_t *up = *con_cls;
	if (up != NULL) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&g.lock);
		g.connections++;
		pthread_mutex_unlock(&g.lock);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", g.name, path, strerror(errno));
		exit(2);
	}
	char *buf = calloc(1, 65536);
	size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: %s is empty\n", g.name, path);
		exit(2);
	}
	return buf;
}

bool fh_opt(fh_opts_t *o, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		o->port = atoi(arg);
		return true;
	case 'k':
		o->key = arg;
		return true;
	case 'C':
		o->cert = arg;
		return true;
	case 'c':
		o->control = arg;
		return true;
	case 'P':
		o->pidfile = arg;
		return true;
	default:
		return false;
	}
}

int fh_serve(const char *name, int port, const char *key, const char *cert, const char *control,
	     const char *pidfile, fh_handler_fn fn, void (*stats)(json_t *))
{
	g.name = name;
	g.control = control;
	g.handler = fn;
	g.stats = stats;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "%s: libmicrohttpd was built without TLS\n", name);
		return 3;
	}
	char *key_pem = slurp(key), *cert_pem = slurp(cert);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
			MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sin,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, notify,
		NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", name, port);
		return 2;
	}
	FILE *f = pidfile != NULL ? fopen(pidfile, "w") : NULL;
	if (f != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	fprintf(stderr, "%s: https://127.0.0.1:%d\n", name, port);
	while (!stop) {
		pause();
	}
	MHD_stop_daemon(d);
	free(key_pem);
	free(cert_pem);
	return 0;
}
