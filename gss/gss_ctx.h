/*
 * GSS-TSIG context negotiation (RFC 3645 section 3.1): TKEY mode 3 over TCP
 * with the default Kerberos credentials (KRB5CCNAME). Callers never see
 * GSSAPI types: the context is opaque and exposed as a tsig_key_t.
 */
#pragma once

#include "src/dns_transport.h"
#include "src/error.h"

struct tsig_key;

typedef struct gss_ctx gss_ctx_t;

/*
 * Negotiates a context with the server at ep, whose SPN is DNS/server_fqdn
 * (imported as the host-based service DNS@server_fqdn). Each round is one
 * TKEY query over TCP bounded by timeout_ms; at most 10 rounds. The final
 * TKEY answer's TSIG, when present, is verified with the new context.
 * On success *out owns the context (free with gss_ctx_free()). On failure
 * d names the server, the SPN and the GSS status text.
 */
int gss_ctx_negotiate(gss_ctx_t **out, const dns_endpoint_t *ep, const char *server_fqdn,
		      int timeout_ms, df_detail_t *d);

/* The gss-tsig key for this context (key name = the TKEY key name), for
 * tsig_sign_request() and tsig_verify_answer(). Valid until gss_ctx_free(). */
const struct tsig_key *gss_ctx_key(gss_ctx_t *ctx);

/* Deletes the security context and wipes the key. NULL is a no-op. */
void gss_ctx_free(gss_ctx_t *ctx);
