/*
 * The loopback HTTP and HTTPS servers of the unit tests that talk to one
 * (http client, health check, Docker and Kubernetes watchers, metrics):
 *
 * - listening sockets: on 127.0.0.1 at a port the kernel picks, or on a
 *   unix socket path;
 * - a server thread that accepts one connection at a time, reads the
 *   request (line, headers, Content-Length body) and hands it to the
 *   test's handler, which answers it with unit_http_send() or keeps the
 *   client waiting with unit_http_hold() (a silent peer);
 * - HTTPS: a CA and a server certificate made at test time with the OpenSSL
 *   API, and a second CA of the same name that did not sign it.
 *
 * What is answered, and what the tests count, stays in each test. Failures
 * of the set-up fail the running test through cmocka. The server ignores
 * no signal: tests that serve HTTPS ignore SIGPIPE themselves.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st;
struct ssl_ctx_st;

typedef struct unit_http_server unit_http_server_t;

/* One accepted connection, borrowed by the handler for one call. */
typedef struct unit_http_conn {
	int fd;
	struct ssl_st *ssl; /* NULL on plain HTTP */
	unit_http_server_t *server;
	bool held; /* set by unit_http_hold(): no TLS close_notify */
} unit_http_conn_t;

/* One request as read; each text NUL-terminated. */
typedef struct unit_http_request {
	char method[16];
	char target[512]; /* path and query, as sent */
	char head[8192];  /* request line and headers, without the blank line */
	char body[4096];
	size_t body_len;
} unit_http_request_t;

/* Called on the server's thread for every request read; arg as given to
 * unit_http_server_start(). */
typedef void (*unit_http_handler_t)(void *arg, unit_http_conn_t *c, const unit_http_request_t *rq);

/* A TCP socket listening on 127.0.0.1 at an ephemeral port, stored in
 * *port. Caller closes it (or gives it to unit_http_server_start()). */
int unit_http_listen_tcp(int backlog, uint16_t *port);

/* A unix socket listening at path (shorter than sun_path). Caller closes
 * it and unlinks path. */
int unit_http_listen_unix(const char *path);

/*
 * Serves on lfd (takes ownership: closed by unit_http_server_stop()) from a
 * thread of its own, calling handler(arg, ...) for each request. HTTPS when
 * ctx is not NULL (borrowed, must outlive the server); a failed handshake is
 * counted and the connection closed. Reads and writes time out after 3 s.
 */
unit_http_server_t *unit_http_server_start(int lfd, struct ssl_ctx_st *ctx,
					   unit_http_handler_t handler, void *arg);

/* Stops the thread, closes the listening socket and frees s. */
void unit_http_server_stop(unit_http_server_t *s);

/* TLS handshakes that failed so far (HTTPS only). */
int unit_http_server_handshakes_failed(unit_http_server_t *s);

/* Whether unit_http_server_stop() was called: a long answer ends early. */
bool unit_http_stopping(const unit_http_conn_t *c);

/* Writes all of buf[0..len) (through TLS on HTTPS); false when the client
 * went away. */
bool unit_http_send(unit_http_conn_t *c, const char *buf, size_t len);

/* Never answers: holds the connection open until the client gives up or
 * the server stops. */
void unit_http_hold(unit_http_conn_t *c);

/* Value of header name (case-insensitive) into out; false if absent. */
bool unit_http_header(const unit_http_request_t *rq, const char *name, char *out, size_t size);

/*
 * Makes the test PKI: a CA named ca_cn, a server certificate it signs for
 * server_cn with the subjectAltName san (e.g. "DNS:localhost,IP:127.0.0.1"),
 * and a second CA with the same name but another key. Writes the CA to
 * ca_pem and the other one to other_ca_pem (the caller unlinks them).
 * Returns 0, or -1 when no key could be made.
 */
int unit_http_tls_init(const char *ca_pem, const char *other_ca_pem, const char *ca_cn,
		       const char *server_cn, const char *san);

/* Frees the keys and certificates of unit_http_tls_init(). */
void unit_http_tls_deinit(void);

/* A TLS server context with the server certificate and its key; caller frees
 * it with SSL_CTX_free(). */
struct ssl_ctx_st *unit_http_tls_server_ctx(void);
