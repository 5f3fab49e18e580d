/*
 * libmicrohttpd, one thread per connection (or one thread in all with
 * opts.serial), on a socket we bind ourselves so that a failure names the
 * address and the reason. Each request keeps its raw target (from the URI
 * log callback, before libmicrohttpd decodes anything) and its body in a
 * state of its own.
 */
#include "src/http/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"

#define LISTEN_BACKLOG	  128
#define THREAD_STACK_SIZE (256 * 1024)
#define PEM_MAX		  (256 * 1024)

struct http_server {
	struct MHD_Daemon *mhd;
	http_handler_fn handler;
	void *arg;
	size_t body_max;
	const char *too_large_type;
	const char *too_large_text;
	uint16_t port;
	char *cert_pem;
	char *key_pem;
	size_t key_len;
};

struct http_sreq {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *version;
	char *target;
	char *body;
	size_t len;
	size_t cap;
	bool too_big;
	bool started; /* the first call (headers only) has been seen */
	char client[NI_MAXHOST];
};

int http_parse_listen(const char *listen, const char *setting, char *host, size_t hsize,
		      uint16_t *port, df_detail_t *d)
{
	const char *hs = listen, *he, *ps;
	if (listen == NULL || listen[0] == '\0') {
		df_detail_set(d, "%s: empty (expected host:port, e.g. 127.0.0.1:8053)", setting);
		return DF_EINVAL;
	}
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':' || close == listen + 1) {
			df_detail_set(d, "%s \"%s\": expected [IPv6]:port", setting, listen);
			return DF_EINVAL;
		}
		hs = listen + 1;
		he = close;
		ps = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':', (size_t)(colon - listen)) != NULL) {
			df_detail_set(d,
				      "%s \"%s\": expected host:port, :port or [IPv6]:port (e.g. "
				      "127.0.0.1:8053)",
				      setting, listen);
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
		df_detail_set(d, "%s \"%s\": the port must be a number from 0 to 65535", setting,
			      listen);
		return DF_EINVAL;
	}
	size_t hlen = (size_t)(he - hs);
	if (hlen >= hsize) {
		df_detail_set(d, "%s \"%s\": the host is too long", setting, listen);
		return DF_ERANGE;
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return DF_OK;
}

static int bind_listen(const http_server_opts_t *o, const char *host, uint16_t port, df_detail_t *d)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char serv[8];
	snprintf(serv, sizeof(serv), "%u", (unsigned)port);
	int gai = getaddrinfo(host[0] != '\0' ? host : NULL, serv, &hints, &res);
	if (gai != 0) {
		df_detail_set(d, "%s \"%s\": cannot resolve %s (%s)", o->setting, o->listen, host,
			      gai_strerror(gai));
		return DF_ENOENT;
	}
	int err = ENOENT;
	int fd = -1;
	/* Every address (no host): [::] taking IPv4 too first, 0.0.0.0 if that fails. */
	bool any = host[0] == '\0';
	for (int pass = 0; pass < (any ? 2 : 1) && fd < 0; pass++) {
		for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
			bool v6 = ai->ai_family == AF_INET6;
			if (any && v6 != (pass == 0)) {
				continue;
			}
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1, zero = 0;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (any && v6) {
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			}
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
			    listen(fd, LISTEN_BACKLOG) != 0) {
				err = errno;
				close(fd);
				fd = -1;
			}
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		df_detail_set(d, "%s \"%s\": cannot listen: %s", o->setting, o->listen,
			      strerror(err));
		return -err;
	}
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http server: %s", msg);
}

static enum MHD_Result send_response(struct MHD_Connection *c, http_response_t *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		r->len, r->body != NULL ? r->body : (void *)"",
		r->body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type != NULL ? r->content_type : "application/json");
	for (size_t i = 0; i < r->nheaders; i++) {
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	}
	enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	http_sreq_t *r = calloc(1, sizeof(*r));
	if (r != NULL) {
		r->target = strdup(uri != NULL ? uri : "");
		if (r->target == NULL) {
			free(r);
			r = NULL;
		}
	}
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	http_server_t *s = cls;
	http_sreq_t *r = *con_cls;
	if (r == NULL) {
		return MHD_NO; /* out of memory in uri_log() */
	}
	if (!r->started) {
		r->started = true;
		r->conn = c;
		r->method = method;
		r->path = url;
		r->version = version;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci == NULL || ci->client_addr == NULL ||
		    getnameinfo(ci->client_addr,
				ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								       : sizeof(struct sockaddr_in),
				r->client, sizeof(r->client), NULL, 0, NI_NUMERICHOST) != 0) {
			snprintf(r->client, sizeof(r->client), "unknown");
		}
		/* An IPv4 client of a dual-stack listener is shown as IPv4. */
		if (strncmp(r->client, "::ffff:", 7) == 0 && strchr(r->client + 7, '.') != NULL) {
			memmove(r->client, r->client + 7, strlen(r->client + 7) + 1);
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!r->too_big && r->len + *upload_size > s->body_max) {
			r->too_big = true;
		}
		if (!r->too_big) {
			if (r->len + *upload_size + 1 > r->cap) {
				size_t cap = (r->len + *upload_size + 1) * 2;
				if (cap > s->body_max + 1) {
					cap = s->body_max + 1;
				}
				char *nb = realloc(r->body, cap);
				if (nb == NULL) {
					return MHD_NO;
				}
				r->body = nb;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	http_response_t resp = {.status = 500};
	if (r->too_big && s->too_large_text != NULL) {
		http_response_text(&resp, 413, s->too_large_type, s->too_large_text);
	} else if (r->too_big) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "{\"success\":false,\"error\":{\"code\":\"body_too_large\","
			 "\"message\":\"the request body is larger than %zu bytes\"}}",
			 s->body_max);
		http_response_text(&resp, 413, NULL, msg);
	} else {
		s->handler(s->arg, r, &resp);
	}
	return send_response(c, &resp);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	http_sreq_t *r = *con_cls;
	if (r != NULL) {
		free(r->target);
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* Reads a PEM file into a NUL-terminated buffer; the key under the secret rule. */
static int read_pem(const char *path, bool secret, const char *setting, char **out, size_t *len,
		    df_detail_t *d)
{
	int fd = -1;
	int ret;
	if (secret) {
		ret = secret_file_open(path, "TLS key file", setting, &fd, d);
		if (ret != DF_OK) {
			return ret;
		}
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			df_detail_set(d, "%s: cannot open %s: %s", setting, path, strerror(errno));
			return -errno;
		}
	}
	char *buf = calloc(1, PEM_MAX + 1);
	size_t n = 0;
	ssize_t r = 0;
	while (buf != NULL && n < PEM_MAX && (r = read(fd, buf + n, PEM_MAX - n)) > 0) {
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || r < 0 || n == 0 || n == PEM_MAX) {
		df_detail_set(d, "%s: cannot read %s (empty, unreadable or over %d bytes)", setting,
			      path, PEM_MAX);
		free(buf);
		return DF_EINVAL;
	}
	*out = buf;
	*len = n;
	return DF_OK;
}

int http_server_start(http_server_t **out, const http_server_opts_t *o, df_detail_t *d)
{
	char host[NI_MAXHOST];
	uint16_t port;
	int ret = http_parse_listen(o->listen, o->setting, host, sizeof(host), &port, d);
	if (ret != DF_OK) {
		return ret;
	}
	http_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return DF_ENOMEM;
	}
	s->handler = o->handler;
	s->arg = o->arg;
	s->body_max = o->body_max;
	s->too_large_type = o->too_large_type;
	s->too_large_text = o->too_large_text;
	bool tls = o->tls_cert != NULL && o->tls_cert[0] != '\0';
	size_t cert_len = 0;
	if (tls) {
		if (o->tls_key == NULL || o->tls_key[0] == '\0') {
			df_detail_set(d, "tls_cert is set but tls_key is not: a TLS certificate "
					 "needs its key file too");
			free(s);
			return DF_EINVAL;
		}
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			df_detail_set(d, "tls_cert is set but libmicrohttpd was built without TLS");
			free(s);
			return DF_EINVAL;
		}
		ret = read_pem(o->tls_cert, false, "tls_cert", &s->cert_pem, &cert_len, d);
		if (ret == DF_OK) {
			ret = read_pem(o->tls_key, true, "tls_key", &s->key_pem, &s->key_len, d);
		}
		if (ret != DF_OK) {
			http_server_stop(s);
			return ret;
		}
	}
	int fd = bind_listen(o, host, port, d);
	if (fd < 0) {
		http_server_stop(s);
		return fd;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
						   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 (o->serial ? MHD_USE_AUTO : MHD_USE_THREAD_PER_CONNECTION) |
			 (tls ? MHD_USE_TLS : 0);
	if (tls) {
		s->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
			o->conn_max, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
			MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_HTTPS_MEM_CERT,
			s->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_END);
	} else {
		s->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
			o->conn_max, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
			MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_END);
	}
	if (s->mhd == NULL) {
		close(fd);
		df_detail_set(d, "%s \"%s\": libmicrohttpd did not start%s", o->setting, o->listen,
			      tls ? " (check tls_cert and tls_key: a PEM pair)" : "");
		http_server_stop(s);
		return DF_EINVAL;
	}
	*out = s;
	return DF_OK;
}

void http_server_stop(http_server_t *s)
{
	if (s == NULL) {
		return;
	}
	if (s->mhd != NULL) {
		MHD_stop_daemon(s->mhd);
	}
	free(s->cert_pem);
	if (s->key_pem != NULL) {
		explicit_bzero(s->key_pem, s->key_len);
		free(s->key_pem);
	}
	free(s);
}

uint16_t http_server_port(const http_server_t *s)
{
	return s != NULL ? s->port : 0;
}

const char *http_req_method(const http_sreq_t *r)
{
	return r->method;
}

const char *http_req_path(const http_sreq_t *r)
{
	return r->path;
}

const char *http_req_target(const http_sreq_t *r)
{
	return r->target;
}

const char *http_req_version(const http_sreq_t *r)
{
	return r->version;
}

const char *http_req_header(const http_sreq_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_arg(const http_sreq_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_body(const http_sreq_t *r, size_t *len)
{
	*len = r->len;
	return r->body != NULL ? r->body : "";
}

const char *http_req_client(const http_sreq_t *r)
{
	return r->client;
}

void http_response_header(http_response_t *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_SERVER_HEADERS_MAX) {
		return;
	}
	snprintf(resp->headers[resp->nheaders].name, sizeof(resp->headers[0].name), "%s", name);
	snprintf(resp->headers[resp->nheaders].value, sizeof(resp->headers[0].value), "%s", value);
	resp->nheaders++;
}

void http_response_text(http_response_t *resp, unsigned status, const char *type, const char *text)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = type;
	resp->len = strlen(text);
	resp->body = strdup(text);
	if (resp->body == NULL) {
		resp->len = 0;
		resp->status = 500;
	}
}
