/*
 * GSS-TSIG context negotiation over the network (RFC 3645 section 3.1):
 * each token of gss_ctx_step() sent as a TKEY mode 3 query over TCP
 * (src/dns/dns_transport.h), the answer's token fed back, and the final
 * answer's TSIG checked with the new context. gss/ builds and parses the
 * TKEY messages and steps the context; this module carries them.
 */
#pragma once

#include <stdbool.h>

#include "src/common/error.h"
#include "src/dns/dns_transport.h"

struct gss_ctx;
struct gss_ctx_opts;
struct gss_session;
struct tsig_key;

/*
 * Negotiates a context with the server at ep. Each round is one TKEY query
 * over TCP bounded by timeout_ms; at most GSS_CTX_MAX_STEPS rounds. The
 * final TKEY answer's TSIG, when present, is verified with the new context.
 * o is borrowed for the call; its peer is replaced by ep->label. On success
 * *out owns the context (free with gss_ctx_free()). On failure d names the
 * server, the principal, the GSS status text and what to do.
 */
int dns_tkey_negotiate(struct gss_ctx **out, const dns_endpoint_t *ep, const struct gss_ctx_opts *o,
		       int timeout_ms, df_detail_t *d);

/*
 * gss_session_key() with contexts negotiated by dns_tkey_negotiate() with
 * ep (borrowed for the call), each TKEY round trip bounded by timeout_ms.
 * *key stays valid until the next call or gss_session_free().
 */
int dns_tkey_session_key(struct gss_session *s, const dns_endpoint_t *ep, int timeout_ms,
			 const struct tsig_key **key, bool *negotiated, df_detail_t *d);
