/*
 * The HTTPS server the REST API stand-ins share (see fake_https.h).
 */
#include "tests/system/fake_https.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (256 * 1024)

static struct {
	pthread_mutex_t lock;
	const fh_server_t *s;
	unsigned long connections, requests, writes, tokens;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static volatile sig_atomic_t stop;
static __thread bool lose_answer;

static void on_term(int signo)
{
	(void)signo;
	stop = 1;
}

static void read_mode(char *mode, size_t size)
{
	snprintf(mode, size, "ok");
	FILE *f = g.s->control != NULL ? fopen(g.s->control, "r") : NULL;
	if (f == NULL) {
		return;
	}
	if (fgets(mode, (int)size, f) == NULL) {
		snprintf(mode, size, "ok");
	}
	mode[strcspn(mode, " \t\r\n")] = '\0';
	fclose(f);
}

MHD_RESULT fh_send_text(struct MHD_Connection *c, unsigned status, const char *type,
			const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_RESULT ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

MHD_RESULT fh_send_json(fh_request_t *r, unsigned status, json_t *body)
{
	if (lose_answer && r->wrote) {
		json_decref(body);
		return fh_send_text(r->c, 502, "text/html",
				    "<html><body>502 Bad Gateway</body></html>");
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		return MHD_NO;
	}
	MHD_RESULT ret = fh_send_text(r->c, status, "application/json; charset=UTF-8", text);
	free(text);
	return ret;
}

const char *fh_header(const fh_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *fh_arg(const fh_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

#define TOKENS_MAX 256

static struct {
	char token[96];
	time_t exp;
} tokens[TOKENS_MAX];
static long token_life = 3599;

void fh_token_lifetime(long seconds)
{
	token_life = seconds;
}

const char *fh_token_issue(const char *prefix, long *expires_in)
{
	time_t now = time(NULL);
	unsigned slot = (unsigned)(g.tokens++ % TOKENS_MAX); /* under the lock */
	snprintf(tokens[slot].token, sizeof(tokens[slot].token), "%s-%lu-%ld", prefix, g.tokens,
		 (long)now);
	tokens[slot].exp = now + token_life;
	*expires_in = token_life;
	return tokens[slot].token;
}

fh_token_state_t fh_token_check(const fh_request_t *r)
{
	const char *auth = fh_header(r, "Authorization");
	if (auth == NULL) {
		return FH_TOKEN_NONE;
	}
	if (strncmp(auth, "Bearer ", 7) != 0) {
		return FH_TOKEN_UNKNOWN;
	}
	for (unsigned i = 0; i < TOKENS_MAX; i++) {
		if (tokens[i].token[0] != '\0' && strcmp(tokens[i].token, auth + 7) == 0) {
			return time(NULL) < tokens[i].exp ? FH_TOKEN_OK : FH_TOKEN_EXPIRED;
		}
	}
	return FH_TOKEN_UNKNOWN;
}

/* The server's own /__fake/ calls; false when url is none of them. */
static bool fake_call(fh_request_t *r, MHD_RESULT *ret)
{
	if (strcmp(r->url, "/__fake/expires") == 0 && fh_arg(r, "s") != NULL) {
		token_life = atol(fh_arg(r, "s"));
	} else if (strcmp(r->url, "/__fake/revoke") == 0) {
		memset(tokens, 0, sizeof(tokens));
	} else {
		return false;
	}
	*ret = fh_send_json(r, 200, json_object());
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

bool fh_form_value(const char *body, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = body; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;
			for (size_t i = nl + 1; i < len && o + 1 < size; i++) {
				if (p[i] == '%' && i + 2 < len + 1 && hexval(p[i + 1]) >= 0 &&
				    hexval(p[i + 2]) >= 0) {
					buf[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
					i += 2;
				} else {
					buf[o++] = p[i] == '+' ? ' ' : p[i];
				}
			}
			buf[o] = '\0';
			return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

typedef struct upload {
	char *buf;
	size_t len;
	bool too_big;
} upload_t;

static MHD_RESULT handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			  const char *version, const char *data, size_t *data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	upload_t *up = *con_cls;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL) {
			return MHD_NO;
		}
		*con_cls = up;
		return MHD_YES;
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
	fprintf(stderr, "%s: %s %s (%s)\n", g.s->name, method, url, mode);
	if (strcmp(url, "/__fake/stats") == 0) {
		pthread_mutex_lock(&g.lock);
		json_t *s =
			json_pack("{s:I, s:I, s:I, s:I}", "connections", (json_int_t)g.connections,
				  "requests", (json_int_t)g.requests, "writes",
				  (json_int_t)g.writes, "tokens", (json_int_t)g.tokens);
		pthread_mutex_unlock(&g.lock);
		fh_request_t r = {.c = c};
		return fh_send_json(&r, 200, s);
	}
	pthread_mutex_lock(&g.lock);
	g.requests++;
	pthread_mutex_unlock(&g.lock);
	if (strncmp(url, "/__fake/", 8) != 0) {
		if (strcmp(mode, "hang") == 0) {
			for (int i = 0; i < 600 && !stop; i++) {
				usleep(100 * 1000);
			}
			return MHD_NO;
		}
		if (strcmp(mode, "error") == 0) {
			return fh_send_text(c, 500, "text/html",
					    "<html><body>500 Internal Server Error</body></html>");
		}
		if (up->too_big) {
			return fh_send_text(c, 413, "text/plain", "request body too large");
		}
	}
	fh_request_t r = {
		.c = c,
		.method = method,
		.url = url,
		.body = up->buf != NULL ? up->buf : "",
		.body_len = up->len,
		.mode = mode,
	};
	pthread_mutex_lock(&g.lock);
	lose_answer = strcmp(mode, "apply-500") == 0;
	MHD_RESULT ret;
	if (!fake_call(&r, &ret)) {
		ret = g.s->handler(&r);
	}
	if (r.wrote) {
		g.writes++;
	}
	lose_answer = false;
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

static char *slurp(const char *name, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", name, path, strerror(errno));
		exit(2);
	}
	char *buf = calloc(1, 65536);
	size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: %s is empty\n", name, path);
		exit(2);
	}
	return buf;
}

int fh_run(const fh_server_t *s)
{
	g.s = s;
	if (s->port <= 0 || s->key == NULL || s->cert == NULL) {
		fprintf(stderr, "%s: -p, -k and -C are required\n", s->name);
		return 2;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "%s: libmicrohttpd was built without TLS\n", s->name);
		return 3;
	}
	char *key_pem = slurp(s->name, s->key), *cert_pem = slurp(s->name, s->cert);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
			MHD_USE_ERROR_LOG,
		(uint16_t)s->port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sin,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, notify,
		NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", s->name, s->port);
		return 2;
	}
	if (s->pidfile != NULL) {
		FILE *f = fopen(s->pidfile, "w");
		if (f != NULL) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	fprintf(stderr, "%s: https://127.0.0.1:%d\n", s->name, s->port);
	while (!stop) {
		pause();
	}
	MHD_stop_daemon(d);
	free(key_pem);
	free(cert_pem);
	return 0;
}
