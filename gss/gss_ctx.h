/*
 * GSS-TSIG context negotiation (RFC 3645 section 3.1): TKEY mode 3 over TCP.
 * Callers never see GSSAPI types: the context is opaque and exposed as a
 * tsig_key_t.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/dns/dns_transport.h"
#include "src/common/error.h"

struct tsig_alg;
struct tsig_key;

typedef struct gss_ctx gss_ctx_t;

typedef struct gss_ctx_opts {
	/* Host name of the DNS server: the key name is "<random>.sig-<host>". */
	const char *server_host;
	/* The server's principal: "DNS/host" (realm from [domain_realm]) or
	 * "DNS/host@REALM"; NULL means DNS/<server_host>. Never from reverse DNS. */
	const char *service;
	/* Initiator credentials (a gss_cred_id_t); NULL: the default ones
	 * (KRB5CCNAME). Borrowed. */
	void *cred;
	bool spnego; /* SPNEGO instead of raw Kerberos 5 */
	/* gss_tsig_alg() (default when NULL) or gss.microsoft.com. */
	const struct tsig_alg *alg;
	int timeout_ms; /* per TKEY round trip */
} gss_ctx_opts_t;

/*
 * Negotiates a context with the server at ep. Each round is one TKEY query
 * over TCP bounded by o->timeout_ms; at most 10 rounds. The final TKEY
 * answer's TSIG, when present, is verified with the new context. On success
 * *out owns the context (free with gss_ctx_free()). On failure d names the
 * server, the principal, the GSS status text and what to do.
 */
int gss_ctx_negotiate(gss_ctx_t **out, const dns_endpoint_t *ep, const gss_ctx_opts_t *o,
		      df_detail_t *d);

/* The gss-tsig key for this context (key name = the TKEY key name), for
 * tsig_sign_request() and tsig_verify_answer(). Valid until gss_ctx_free(). */
const struct tsig_key *gss_ctx_key(gss_ctx_t *ctx);

/* Seconds the context remains valid (0 when expired or unusable). */
int64_t gss_ctx_remaining(gss_ctx_t *ctx);

/* Deletes the security context and wipes the key. NULL is a no-op. */
void gss_ctx_free(gss_ctx_t *ctx);
