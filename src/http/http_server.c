/*
 * The server glue: we bind the socket ourselves (a failure names the address
 * and the reason) and hand it to libmicrohttpd with one internal thread.
 * Each request keeps its raw target (from the URI log callback, before
 * libmicrohttpd decodes anything) and its body in a state of its own.
 */
#include "src/http/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"

#define LISTEN_BACKLOG 64
#define PEM_MAX	       (256 * 1024)

struct http_server {
	http_server_opts_t o;
	struct MHD_Daemon *mhd;
	uint16_t port;
	char *cert_pem;
	char *key_pem;
	char what[128];
};

struct req_state {
	char *target;
	uint8_t *body;
	size_t len;
	size_t cap;
	bool too_big;
	bool started; /* the first call (headers only) has been seen */
};

int http_server_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port,
			     df_detail_t *d)
{
	if (listen == NULL || host == NULL || port == NULL || hsize == 0) {
		return DF_EINVAL;
	}
	const char *hs = listen, *he, *ps;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':' || close == listen + 1) {
			df_detail_set(d, "listen address \"%s\": expected [IPv6]:port", listen);
			return DF_EINVAL;
		}
		hs = listen + 1;
		he = close;
		ps = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':', (size_t)(colon - listen)) != NULL) {
			df_detail_set(d,
				      "listen address \"%s\": expected host:port, :port or "
				      "[IPv6]:port (e.g. 127.0.0.1:2222)",
				      listen);
			return DF_EINVAL;
		}
		he = colon;
		ps = colon + 1;
	}
	size_t plen = strlen(ps);
	unsigned long v = 0;
	bool ok = plen > 0 && plen <= 5;
	for (size_t i = 0; ok && i < plen; i++) {
		ok = ps[i] >= '0' && ps[i] <= '9';
		v = v * 10 + (unsigned long)(ps[i] - '0');
	}
	if (!ok || v > 65535) {
		df_detail_set(d, "listen address \"%s\": the port must be a number from 0 to 65535",
			      listen);
		return DF_EINVAL;
	}
	for (const char *p = hs; p < he; p++) {
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == '[' || *p == ']') {
			df_detail_set(d, "listen address \"%s\": invalid character in the host",
				      listen);
			return DF_EINVAL;
		}
	}
	if ((size_t)(he - hs) >= hsize) {
		df_detail_set(d, "listen address \"%s\": the host is too long", listen);
		return DF_ERANGE;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (uint16_t)v;
	return DF_OK;
}

static int open_listener(const struct sockaddr *sa, socklen_t len, bool dual)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	int one = 1, zero = 0, ret;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
	    bind(fd, sa, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int bind_listen(const char *what, const char *listen, df_detail_t *d)
{
	char host[HTTP_SERVER_HOST_MAX];
	uint16_t port;
	int ret = http_server_parse_listen(listen, host, sizeof(host), &port, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (host[0] == '\0') {
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
					  .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT};
		ret = open_listener((struct sockaddr *)&a6, sizeof(a6), true);
		if (ret == -EAFNOSUPPORT) {
			struct sockaddr_in a4 = {.sin_family = AF_INET,
						 .sin_port = htons(port),
						 .sin_addr.s_addr = htonl(INADDR_ANY)};
			ret = open_listener((struct sockaddr *)&a4, sizeof(a4), false);
		}
	} else {
		struct addrinfo hints = {.ai_family = AF_UNSPEC,
					 .ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
		struct addrinfo *res = NULL;
		char serv[8];
		snprintf(serv, sizeof(serv), "%u", (unsigned)port);
		int gai = getaddrinfo(host, serv, &hints, &res);
		if (gai != 0) {
			df_detail_set(d, "%s \"%s\": cannot resolve %s (%s)", what, listen, host,
				      gai_strerror(gai));
			return DF_ENOENT;
		}
		ret = DF_ENOENT;
		for (struct addrinfo *ai = res; ai != NULL && ret < 0; ai = ai->ai_next) {
			ret = open_listener(ai->ai_addr, ai->ai_addrlen, false);
		}
		freeaddrinfo(res);
	}
	if (ret < 0) {
		df_detail_set(d, "%s: cannot listen on %s: %s", what, listen, strerror(-ret));
	}
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http server: %s", msg);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct req_state *st = calloc(1, sizeof(*st));
	if (st != NULL) {
		st->target = strdup(uri != NULL ? uri : "");
		if (st->target == NULL) {
			free(st);
			st = NULL;
		}
	}
	return st;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req_state *st = *con_cls;
	if (st != NULL) {
		free(st->target);
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static enum MHD_Result send_resp(struct MHD_Connection *c, http_server_resp_t *r)
{
	struct MHD_Response *resp;
	if (r->body != NULL) {
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			free(r->body);
		}
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	r->body = NULL;
	if (resp == NULL) {
		return MHD_NO;
	}
	enum MHD_Result ret =
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type != NULL ? r->content_type : "text/plain");
	if (ret == MHD_YES && r->www_authenticate != NULL) {
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					      r->www_authenticate);
	}
	char *colon = strchr(r->header, ':');
	if (ret == MHD_YES && colon != NULL) {
		*colon = '\0';
		const char *v = colon + 1;
		while (*v == ' ') {
			v++;
		}
		ret = MHD_add_response_header(resp, r->header, v);
	}
	if (ret == MHD_YES) {
		ret = MHD_queue_response(c, r->status != 0 ? r->status : MHD_HTTP_OK, resp);
	}
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result fixed(struct MHD_Connection *c, unsigned status, const char *text)
{
	http_server_resp_t r = {.status = status, .body = strdup(text), .len = strlen(text)};
	return send_resp(c, &r);
}

/* libmicrohttpd keeps the Cookie header only as parsed cookies: joined
 * again as "a=1; b=2". */
static enum MHD_Result add_cookie(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	char *buf = cls;
	(void)kind;
	size_t used = strlen(buf);
	snprintf(buf + used, HTTP_SERVER_COOKIE_MAX - used, "%s%s=%s", used > 0 ? "; " : "", key,
		 value != NULL ? value : "");
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	http_server_t *s = cls;
	struct req_state *st = *con_cls;
	(void)url;
	if (st == NULL) {
		return fixed(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "error=1&text=out+of+memory");
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->too_big || st->len + n > s->o.max_body) {
			st->too_big = true;
			return MHD_YES;
		}
		if (st->len + n + 1 > st->cap) {
			size_t cap = st->cap != 0 ? st->cap : 4096;
			while (cap < st->len + n + 1) {
				cap *= 2;
			}
			uint8_t *b = realloc(st->body, cap);
			if (b == NULL) {
				st->too_big = true;
				return MHD_YES;
			}
			st->body = b;
			st->cap = cap;
		}
		memcpy(st->body + st->len, upload_data, n);
		st->len += n;
		return MHD_YES;
	}
	/* The first call comes with the headers, before any body. */
	if (!st->started) {
		st->started = true;
		return MHD_YES;
	}
	if (st->too_big) {
		return fixed(c, MHD_HTTP_CONTENT_TOO_LARGE, "error=1&text=request+body+too+large");
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char peer[NI_MAXHOST] = "?";
	if (ci != NULL && ci->client_addr != NULL) {
		socklen_t sl = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								      : sizeof(struct sockaddr_in);
		getnameinfo(ci->client_addr, sl, peer, sizeof(peer), NULL, 0, NI_NUMERICHOST);
	}
	static const uint8_t empty[1] = {0};
	char cookie[HTTP_SERVER_COOKIE_MAX] = "";
	MHD_get_connection_values(c, MHD_COOKIE_KIND, add_cookie, cookie);
	if (st->body != NULL) {
		st->body[st->len] = '\0';
	}
	http_server_req_t req = {
		.method = method,
		.target = st->target,
		.version = version,
		.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_CONTENT_TYPE),
		.cookie = cookie[0] != '\0' ? cookie : NULL,
		.body = st->body != NULL && st->len > 0 ? st->body : empty,
		.body_len = st->body != NULL ? st->len : 0,
		.peer = peer,
	};
	http_server_resp_t resp = {0};
	s->o.handler(s->o.arg, &req, &resp);
	explicit_bzero(cookie, sizeof(cookie));
	return send_resp(c, &resp);
}

/* A PEM file into memory; the key must be private (secret_file rule). */
static int read_pem(const char *path, bool secret, const char *what, char **out, df_detail_t *d)
{
	int fd;
	int ret;
	if (secret) {
		ret = secret_file_open(path, "TLS key file", what, &fd, d);
		if (ret != DF_OK) {
			return ret;
		}
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			df_detail_set(d, "%s %s: %s", what, path, strerror(errno));
			return ret;
		}
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t len = 0;
	ssize_t n;
	ret = DF_OK;
	if (buf == NULL) {
		ret = DF_ENOMEM;
	}
	while (ret == DF_OK && (n = read(fd, buf + len, PEM_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			ret = -errno;
			df_detail_set(d, "%s %s: %s", what, path, strerror(errno));
		} else {
			len += (size_t)n;
			if (len == PEM_MAX) {
				df_detail_set(d, "%s %s: larger than %d bytes", what, path,
					      PEM_MAX);
				ret = DF_ERANGE;
			}
		}
	}
	close(fd);
	if (ret != DF_OK) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	return DF_OK;
}

int http_server_start(http_server_t **out, const http_server_opts_t *o, df_detail_t *d)
{
	if (out == NULL || o == NULL || o->listen == NULL || o->handler == NULL) {
		return DF_EINVAL;
	}
	http_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return DF_ENOMEM;
	}
	s->o = *o;
	snprintf(s->what, sizeof(s->what), "%s", o->what != NULL ? o->what : "http listener");
	s->o.what = s->what;
	if (s->o.max_body == 0) {
		s->o.max_body = 1024 * 1024;
	}
	bool tls = o->cert_file != NULL && o->cert_file[0] != '\0';
	int ret;
	if (tls) {
		if (o->key_file == NULL || o->key_file[0] == '\0') {
			df_detail_set(d, "%s: a TLS certificate needs its key file too", s->what);
			ret = DF_EINVAL;
			goto fail;
		}
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			df_detail_set(d, "%s: this libmicrohttpd has no TLS support", s->what);
			ret = DF_EINVAL;
			goto fail;
		}
		ret = read_pem(o->cert_file, false, "TLS certificate", &s->cert_pem, d);
		if (ret == DF_OK) {
			ret = read_pem(o->key_file, true, "TLS key", &s->key_pem, d);
		}
		if (ret != DF_OK) {
			goto fail;
		}
	}
	int fd = bind_listen(s->what, o->listen, d);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
						   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (tls) {
		flags |= MHD_USE_TLS;
	}
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_URI_LOG_CALLBACK, uri_log,
		NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)(o->max_conns != 0 ? o->max_conns : 64),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)(o->timeout_s != 0 ? o->timeout_s : 30),
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_END);
	if (s->mhd == NULL) {
		close(fd);
		df_detail_set(d, "%s on %s: libmicrohttpd did not start%s", s->what, o->listen,
			      tls ? " (check the TLS certificate and key)" : "");
		ret = DF_EINVAL;
		goto fail;
	}
	*out = s;
	return DF_OK;
fail:
	http_server_stop(s);
	return ret;
}

void http_server_stop(http_server_t *s)
{
	if (s == NULL) {
		return;
	}
	if (s->mhd != NULL) {
		MHD_stop_daemon(s->mhd);
	}
	if (s->key_pem != NULL) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
	}
	free(s->key_pem);
	free(s->cert_pem);
	free(s);
}

uint16_t http_server_port(const http_server_t *s)
{
	return s != NULL ? s->port : 0;
}
