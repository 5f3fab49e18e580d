/*
 * The TKEY exchange of a GSS-TSIG negotiation (RFC 3645 section 3.1,
 * reference dns-update.md section 4): every token gss_ctx_step() produces
 * goes to the server as a TKEY mode 3 query over TCP and the answer's token
 * comes back into the next step; the final answer's TSIG is checked with the
 * new context and no request-MAC prefix.
 */
#include "src/dns/dns_tkey.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "gss/gss_ctx.h"
#include "gss/gss_session.h"
#include "gss/tkey.h"
#include "src/common/clock.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define TKEY_MSG_MAX 65535

/* Checks the TSIG of the final TKEY answer ans[0..alen) with the new key. */
static int verify_final(gss_ctx_t *c, const dns_endpoint_t *ep, const uint8_t *ans, size_t alen,
			df_detail_t *d)
{
	const tsig_key_t *key = gss_ctx_key(c);
	const char *spn = gss_ctx_service(c);
	tsig_result_t res;
	uint64_t now = (uint64_t)clock_wall();

	int vr = tsig_verify_request(key, ans, alen, now, &res);
	if (vr == DF_ETSIG_BADTIME) {
		/* Kerberos may have hidden the skew (kdc_timesync): TSIG does not. */
		df_detail_set(d,
			      "the final TKEY answer from %s was signed at %llu, %+lld s from our "
			      "clock, beyond the %u s TSIG allows: fix NTP on this host or the "
			      "server",
			      ep->label, (unsigned long long)res.time_signed,
			      (long long)(res.time_signed - now), (unsigned)res.fudge);
		return vr;
	}
	if (vr != DF_OK && vr != DF_ETSIG_MISSING) {
		df_detail_set(d, "the final TKEY answer from %s for %s does not verify: %s",
			      ep->label, spn, df_strerror(vr));
		return vr;
	}
	if (vr == DF_OK && res.error != 0) {
		df_detail_set(d, "the final TKEY answer from %s for %s carries TSIG error %s",
			      ep->label, spn, tsig_rcode_name(res.error));
		return DF_ERCODE;
	}
	return DF_OK;
}

int dns_tkey_negotiate(gss_ctx_t **out, const dns_endpoint_t *ep, const gss_ctx_opts_t *o,
		       int timeout_ms, df_detail_t *d)
{
	uint8_t *qbuf = NULL, *abuf = NULL;
	size_t alen = 0;
	bool have_answer = false, established = false;
	const uint8_t *in = NULL;
	size_t in_len = 0;
	gss_ctx_t *c = NULL;
	int rc;

	if (out == NULL || ep == NULL || o == NULL) {
		df_detail_set(d, "gss negotiation: invalid arguments");
		return DF_EINVAL;
	}
	*out = NULL;
	gss_ctx_opts_t co = *o;
	co.peer = ep->label;
	rc = gss_ctx_new(&c, &co, d);
	if (rc != DF_OK) {
		return rc;
	}
	const char *spn = gss_ctx_service(c);
	const tsig_alg_t *alg = gss_ctx_alg(c);
	qbuf = malloc(TKEY_MSG_MAX);
	abuf = malloc(TKEY_MSG_MAX);
	if (qbuf == NULL || abuf == NULL) {
		rc = DF_ENOMEM;
		df_detail_set(d, "gss negotiation with %s: out of memory", ep->label);
		goto out;
	}

	while (!established) {
		const uint8_t *tok = NULL;
		size_t tok_len = 0;
		rc = gss_ctx_step(c, in, in_len, &tok, &tok_len, &established, d);
		if (rc != DF_OK) {
			goto out;
		}
		if (tok_len == 0) {
			/* Complete with the server's last token: nothing more to send. */
			break;
		}

		/* One TKEY round trip. */
		uint16_t id = dns_random_id();
		size_t qlen = 0;
		uint32_t now = (uint32_t)clock_wall();
		rc = tkey_build_query(qbuf, TKEY_MSG_MAX, &qlen, id, gss_ctx_key_name(c), alg->wire,
				      alg->wire_len, tok, tok_len, now);
		if (rc != DF_OK) {
			df_detail_set(d, "cannot build the TKEY query for %s: %s", ep->label,
				      df_strerror(rc));
			goto out;
		}
		rc = dns_transport_tcp(ep, qbuf, qlen, abuf, TKEY_MSG_MAX, &alen, timeout_ms,
				       dns_accept_id, &id, d);
		if (rc != DF_OK) {
			df_detail_prefix(d, "TKEY negotiation with %s for %s", ep->label, spn);
			goto out;
		}
		tkey_answer_t ta;
		rc = tkey_parse_answer(abuf, alen, id, gss_ctx_key_name(c), &ta);
		if (rc == DF_ENOENT) {
			df_detail_set(d,
				      "%s answered the TKEY query for %s without a TKEY record "
				      "(rcode %u)",
				      ep->label, spn, (unsigned)ta.rcode);
			rc = DF_ERCODE;
			goto out;
		}
		if (rc != DF_OK) {
			df_detail_set(d, "unusable TKEY answer from %s for %s: %s", ep->label, spn,
				      df_strerror(rc));
			goto out;
		}
		if (ta.rcode != 0 || ta.error != 0) {
			df_detail_set(d,
				      "%s refused the TKEY negotiation for %s (rcode %u, TKEY "
				      "error %s)",
				      ep->label, spn, (unsigned)ta.rcode,
				      tsig_rcode_name(ta.error));
			rc = DF_ERCODE;
			goto out;
		}
		have_answer = true;
		/* Established: we had a last token; the server's answer closes the
		 * exchange. Otherwise its token goes into the next step (which
		 * refuses an empty one). */
		in = ta.token;
		in_len = ta.token_len;
	}

	/* The final TKEY answer is signed with the new context (no request MAC). */
	if (have_answer) {
		rc = verify_final(c, ep, abuf, alen, d);
		if (rc != DF_OK) {
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = DF_OK;
out:
	free(qbuf);
	free(abuf);
	gss_ctx_free(c);
	return rc;
}

struct session_arg {
	const dns_endpoint_t *ep;
	int timeout_ms;
};

static int negotiate_tcp(void *arg, const gss_ctx_opts_t *o, gss_ctx_t **out, df_detail_t *d)
{
	const struct session_arg *a = arg;
	return dns_tkey_negotiate(out, a->ep, o, a->timeout_ms, d);
}

int dns_tkey_session_key(gss_session_t *s, const dns_endpoint_t *ep, int timeout_ms,
			 const tsig_key_t **key, bool *negotiated, df_detail_t *d)
{
	if (ep == NULL) {
		if (negotiated != NULL) {
			*negotiated = false;
		}
		return DF_EINVAL;
	}
	struct session_arg a = {.ep = ep, .timeout_ms = timeout_ms};
	return gss_session_key(s, ep->label, negotiate_tcp, &a, key, negotiated, d);
}
