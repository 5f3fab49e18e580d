/*
 * The loopback HTTP and HTTPS servers of the unit tests: listening sockets,
 * the server thread and its request reader, and the test PKI.
 */
#include "tests/unit/src/http/unit_http_server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct unit_http_server {
	int lfd;
	SSL_CTX *ctx;
	unit_http_handler_t handler;
	void *arg;
	pthread_t thread;
	atomic_bool stop;
	atomic_int handshakes_failed;
};

/* ---- listening sockets ---- */

int unit_http_listen_tcp(int backlog, uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

int unit_http_listen_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/* ---- one connection ---- */

bool unit_http_stopping(const unit_http_conn_t *c)
{
	return atomic_load(&c->server->stop);
}

bool unit_http_send(unit_http_conn_t *c, const char *buf, size_t len)
{
	while (len > 0) {
		if (c->ssl != NULL) {
			int n = SSL_write(c->ssl, buf, (int)len);
			if (n <= 0) {
				return false;
			}
			buf += n;
			len -= (size_t)n;
			continue;
		}
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

void unit_http_hold(unit_http_conn_t *c)
{
	c->held = true;
	while (!unit_http_stopping(c)) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		char buf[256];
		if (poll(&p, 1, 50) > 0 && recv(c->fd, buf, sizeof(buf), 0) <= 0) {
			break;
		}
	}
}

bool unit_http_header(const unit_http_request_t *rq, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	for (const char *p = strstr(rq->head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			v += strspn(v, " \t");
			size_t len = strcspn(v, "\r");
			snprintf(out, size, "%.*s", (int)len, v);
			return true;
		}
	}
	return false;
}

static ssize_t recv_some(unit_http_conn_t *c, char *buf, size_t size)
{
	if (c->ssl != NULL) {
		int n = SSL_read(c->ssl, buf, (int)size);
		return n > 0 ? n : -1;
	}
	return recv(c->fd, buf, size, 0);
}

/* Reads the request line, the headers and a Content-Length body. */
static bool read_request(unit_http_conn_t *c, unit_http_request_t *rq)
{
	char buf[sizeof(rq->head) + sizeof(rq->body)];
	size_t len = 0, head_len;
	char *end = NULL;

	memset(rq, 0, sizeof(*rq));
	while (end == NULL) {
		if (len == sizeof(buf) - 1) {
			return false;
		}
		ssize_t n = recv_some(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			return false;
		}
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	head_len = (size_t)(end - buf);
	if (head_len >= sizeof(rq->head)) {
		return false;
	}
	memcpy(rq->head, buf, head_len);
	rq->head[head_len] = '\0';
	if (sscanf(rq->head, "%15s %511s HTTP/1.1", rq->method, rq->target) != 2) {
		return false;
	}
	char cl[32];
	if (unit_http_header(rq, "Content-Length", cl, sizeof(cl))) {
		rq->body_len = strtoul(cl, NULL, 10);
	}
	if (rq->body_len >= sizeof(rq->body)) {
		return false;
	}
	size_t have = len - head_len - 4;
	memcpy(rq->body, end + 4, have < rq->body_len ? have : rq->body_len);
	while (have < rq->body_len) {
		ssize_t n = recv_some(c, rq->body + have, rq->body_len - have);
		if (n <= 0) {
			return false;
		}
		have += (size_t)n;
	}
	rq->body[rq->body_len] = '\0';
	return true;
}

/* ---- the server thread ---- */

static void serve_one(unit_http_server_t *s, int fd)
{
	struct timeval tv = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	unit_http_conn_t c = {.fd = fd, .server = s};
	unit_http_request_t rq;

	if (s->ctx != NULL) {
		c.ssl = SSL_new(s->ctx);
		if (c.ssl == NULL || SSL_set_fd(c.ssl, fd) != 1 || SSL_accept(c.ssl) != 1) {
			atomic_fetch_add(&s->handshakes_failed, 1);
			ERR_clear_error();
			SSL_free(c.ssl);
			return;
		}
	}
	if (read_request(&c, &rq)) {
		s->handler(s->arg, &c, &rq);
		if (c.ssl != NULL && !c.held) {
			SSL_shutdown(c.ssl);
		}
	}
	SSL_free(c.ssl);
}

static void *serve(void *arg)
{
	unit_http_server_t *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0) {
			continue;
		}
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			continue;
		}
		serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

unit_http_server_t *unit_http_server_start(int lfd, SSL_CTX *ctx, unit_http_handler_t handler,
					   void *arg)
{
	unit_http_server_t *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->lfd = lfd;
	s->ctx = ctx;
	s->handler = handler;
	s->arg = arg;
	atomic_init(&s->stop, false);
	atomic_init(&s->handshakes_failed, 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return s;
}

void unit_http_server_stop(unit_http_server_t *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	free(s);
}

int unit_http_server_handshakes_failed(unit_http_server_t *s)
{
	return atomic_load(&s->handshakes_failed);
}

/* ---- the test PKI ---- */

static EVP_PKEY *ca_key, *srv_key;
static X509 *ca_cert, *srv_cert;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, signed by issuer (NULL: self-signed CA);
 * san is the subjectAltName of a server certificate. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *san)
{
	static long serial = 1;
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509 *signer = issuer != NULL ? issuer : x;
	add_ext(x, signer, NID_subject_key_identifier, "hash");
	add_ext(x, signer, NID_authority_key_identifier, "keyid:always");
	if (issuer == NULL) {
		add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(x, signer, NID_ext_key_usage, "serverAuth");
		add_ext(x, signer, NID_subject_alt_name, san);
	}
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

int unit_http_tls_init(const char *ca_pem, const char *other_ca_pem, const char *ca_cn,
		       const char *server_cn, const char *san)
{
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ca_key == NULL || srv_key == NULL || other_key == NULL) {
		EVP_PKEY_free(other_key);
		return -1;
	}
	ca_cert = make_cert(ca_key, ca_cn, NULL, NULL, NULL);
	srv_cert = make_cert(srv_key, server_cn, ca_cert, ca_key, san);
	/* Same subject name as the real CA: only the key tells them apart. */
	X509 *other = make_cert(other_key, ca_cn, NULL, NULL, NULL);
	write_pem(ca_pem, ca_cert);
	write_pem(other_ca_pem, other);
	X509_free(other);
	EVP_PKEY_free(other_key);
	return 0;
}

void unit_http_tls_deinit(void)
{
	X509_free(ca_cert);
	X509_free(srv_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	ca_cert = srv_cert = NULL;
	ca_key = srv_key = NULL;
}

SSL_CTX *unit_http_tls_server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, srv_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, srv_key), 1);
	return ctx;
}
