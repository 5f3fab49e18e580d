/*
 * A GSS-TSIG security context (RFC 3645 section 3.1) as a step function on
 * tokens: gss/ opens no socket. The caller carries each token to the server
 * and back (src/dns/dns_tkey.c: TKEY mode 3 over TCP) and, once the context
 * is established, verifies the server's final answer with gss_ctx_key().
 * Callers never see GSSAPI types: the context is opaque and exposed as a
 * tsig_key_t.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	 * (KRB5CCNAME). Borrowed: must outlive the steps. */
	void *cred;
	bool spnego; /* SPNEGO instead of raw Kerberos 5 */
	/* gss_tsig_alg() (default when NULL) or gss.microsoft.com. */
	const struct tsig_alg *alg;
	/* The server as messages name it ("127.0.0.1#53"); copied. NULL: the
	 * host name. */
	const char *peer;
} gss_ctx_opts_t;

/* Most steps a negotiation may take before it is abandoned. */
#define GSS_CTX_MAX_STEPS 10

/*
 * Starts a negotiation: checks and imports the server's principal and draws
 * a fresh key name; no token yet, nothing sent. On success *out owns the
 * context (free with gss_ctx_free()). Returns DF_OK, DF_EINVAL (arguments,
 * a host name too long for a key name), DF_ECONFIG (GSS_SERVICE is not a
 * service principal) or DF_ENOMEM; d says which.
 */
int gss_ctx_new(gss_ctx_t **out, const gss_ctx_opts_t *o, df_detail_t *d);

/*
 * One step of the initiator: in[0..in_len) is the server's last token (NULL
 * and 0 for the first step). On DF_OK, *out_tok[0..*out_len) is the next
 * token to send to the server (*out_len 0: nothing to send), borrowed from
 * ctx until the next step or gss_ctx_free(); *established tells whether the
 * context is complete (mutual authentication and replay detection
 * included), after which gss_ctx_key() signs and verifies and no further
 * step is taken.
 *
 * The error class, with d in the operator's terms (gss_status_explain(): the
 * mechanism's words and what to check):
 *   DF_EACCES     Kerberos or the server's token refused the context (no
 *                 or expired ticket, unknown principal, wrong key, clock
 *                 skew, a corrupted or forged token), or the context lacks
 *                 mutual authentication or replay detection;
 *   DF_EMALFORMED the exchange does not follow the protocol: no server
 *                 token while the context is incomplete, no token to send,
 *                 more than GSS_CTX_MAX_STEPS steps;
 *   DF_EINVAL     arguments, or a step after the context was established.
 */
int gss_ctx_step(gss_ctx_t *ctx, const uint8_t *in, size_t in_len, const uint8_t **out_tok,
		 size_t *out_len, bool *established, df_detail_t *d);

/* The key name drawn by gss_ctx_new() ("1234.sig-ns1.example.test."), for
 * the TKEY messages. Valid until gss_ctx_free(). */
const char *gss_ctx_key_name(const gss_ctx_t *ctx);

/* The GSS-TSIG algorithm the context signs with (its wire name goes into
 * the TKEY query). Static. */
const struct tsig_alg *gss_ctx_alg(const gss_ctx_t *ctx);

/* The server's principal for messages ("DNS/ns1.example.test"). Valid
 * until gss_ctx_free(). */
const char *gss_ctx_service(const gss_ctx_t *ctx);

/* The gss-tsig key for this context (key name = the TKEY key name), for
 * tsig_sign_request() and tsig_verify_answer(); NULL until the context is
 * established. Valid until gss_ctx_free(). */
const struct tsig_key *gss_ctx_key(gss_ctx_t *ctx);

/* Seconds the context remains valid (0 when expired, unusable or not yet
 * established). */
int64_t gss_ctx_remaining(gss_ctx_t *ctx);

/* Deletes the security context and wipes the key and the last token. NULL
 * is a no-op. */
void gss_ctx_free(gss_ctx_t *ctx);
