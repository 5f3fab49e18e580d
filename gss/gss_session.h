/*
 * A GSS-TSIG session with one DNS server: the initiator's Kerberos
 * credentials (from a keytab, or the ticket cache KRB5CCNAME) and one
 * security context negotiated from them, kept across exchanges.
 *
 * The context is negotiated on first use and again when it nears its end
 * (the context's lifetime, at most an hour as BIND keeps TKEY keys), when
 * the ticket it was built from has been renewed, and when the server no
 * longer knows its key (gss_session_drop() after a BADKEY answer). Never
 * per exchange.
 *
 * The session opens no socket: a negotiation is the caller's
 * gss_session_negotiate_fn (src/dns/dns_tkey.c runs the TKEY exchange over
 * TCP); the session decides when one is due, on the clocks of
 * src/common/clock.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/common/error.h"

struct gss_ctx;
struct gss_ctx_opts;
struct tsig_key;

typedef struct gss_session gss_session_t;

typedef struct gss_session_opts {
	const char *server_host; /* the DNS server's host name (key names, default SPN) */
	const char *service;	 /* GSS_SERVICE; NULL or "": DNS/<server_host> */
	const char *keytab;	 /* GSS_KEYTAB; NULL or "": the ticket cache */
	const char *principal;	 /* GSS_PRINCIPAL; required with keytab */
	bool spnego;		 /* GSS_MECH=spnego */
	const char *alg;	 /* GSS_TSIG_ALG: "gss-tsig" (NULL) or "gss.microsoft.com" */
} gss_session_opts_t;

/* Checks the options (the keytab is refused when others may read it) and
 * copies them; acquires nothing yet. */
int gss_session_new(gss_session_t **out, const gss_session_opts_t *o, df_detail_t *d);
void gss_session_free(gss_session_t *s);

/*
 * Acquires the credentials now (a ticket from the keytab, or the one in the
 * ticket cache) and describes them in what: "ticket for P from keytab K,
 * valid until T". d explains a failure: KDC unreachable, unknown principal,
 * wrong keytab, clock skew, expired ticket, no ticket cache.
 */
int gss_session_credentials(gss_session_t *s, char *what, size_t size, df_detail_t *d);

/*
 * Negotiates one context with the server from the options o (borrowed for
 * the call; o->peer names the server): on DF_OK *out owns the new context,
 * established. arg is the one given to gss_session_key(). d says why not.
 */
typedef int (*gss_session_negotiate_fn)(void *arg, const struct gss_ctx_opts *o,
					struct gss_ctx **out, df_detail_t *d);

/*
 * The key to sign the next exchange with, negotiating a context first
 * through negotiate(arg, ...) when there is none or it must be renewed (see
 * above). peer names the server in messages ("127.0.0.1#53"; borrowed for
 * the call). *negotiated tells whether this call negotiated (may be NULL).
 * The key stays valid until the next call or gss_session_free().
 */
int gss_session_key(gss_session_t *s, const char *peer, gss_session_negotiate_fn negotiate,
		    void *arg, const struct tsig_key **key, bool *negotiated, df_detail_t *d);

/* Forgets the context (the server answered BADKEY): the next
 * gss_session_key() negotiates a new one. */
void gss_session_drop(gss_session_t *s);

/* The client principal ("lease-primary@EXAMPLE.TEST"), or GSS_PRINCIPAL /
 * "the default principal" before credentials were acquired. */
const char *gss_session_principal(const gss_session_t *s);

/* The server principal as configured or derived ("DNS/ns1.example.test"). */
const char *gss_session_service(const gss_session_t *s);

/* Seconds the current context remains valid (0: none). */
int64_t gss_session_remaining(gss_session_t *s);

/* Test hook: the server keeps keys this many seconds (1..3600; default and
 * anything else 3600), so that the early renegotiation can be seen in
 * seconds rather than an hour. */
void gss_session_set_key_lifetime(int64_t seconds);

/* Contexts negotiated so far (for logs, tests and benchmarks). */
unsigned gss_session_negotiations(const gss_session_t *s);
