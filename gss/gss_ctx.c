/*
 * GSS-TSIG context negotiation (RFC 3645 section 3.1, reference
 * dns-update.md section 4): gss_init_sec_context with MUTUAL | REPLAY |
 * INTEG (no SEQUENCE), each token sent as a TKEY mode 3 query over TCP, the
 * answer's token fed back; the final answer's TSIG is checked with the new
 * context and no request-MAC prefix.
 */
#include "gss/gss_ctx.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gss/gss_status.h"
#include "gss/gss_tsig.h"
#include "gss/tkey.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define GSS_CTX_MAX_ROUNDS 10
#define GSS_CTX_MSG_MAX	   65535

struct gss_ctx {
	gss_ctx_id_t gctx;
	char key_name[TKEY_KEY_NAME_MAX];
	tsig_key_t key;
};

/*
 * The target name: "DNS/host@REALM" is a Kerberos principal; "DNS/host" is
 * imported as the host-based service DNS@host so that the realm comes from
 * [domain_realm], as for nsupdate. spn gets the principal for messages.
 */
static int import_target(const gss_ctx_opts_t *o, gss_name_t *target, char *spn, size_t size,
			 df_detail_t *d)
{
	OM_uint32 major, minor = 0;
	char buf[300];
	gss_OID type = GSS_C_NT_HOSTBASED_SERVICE;

	if (o->service != NULL && o->service[0] != '\0') {
		snprintf(spn, size, "%s", o->service);
	} else {
		snprintf(spn, size, "DNS/%s", o->server_host);
	}
	/* A trailing dot is not part of a principal. */
	size_t n = strlen(spn);
	if (n > 0 && spn[n - 1] == '.') {
		spn[n - 1] = '\0';
	}
	const char *slash = strchr(spn, '/');
	if (strchr(spn, '@') != NULL) {
		snprintf(buf, sizeof buf, "%s", spn);
		type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
	} else if (slash != NULL && slash != spn && slash[1] != '\0') {
		snprintf(buf, sizeof buf, "%.*s@%s", (int)(slash - spn), spn, slash + 1);
	} else {
		df_detail_set(d,
			      "GSS_SERVICE=%s is not a service principal: write DNS/<server "
			      "host name>, optionally with @REALM",
			      spn);
		return DF_ECONFIG;
	}
	gss_buffer_desc nbuf = {.length = strlen(buf), .value = buf};
	major = gss_import_name(&minor, &nbuf, type, target);
	if (GSS_ERROR(major)) {
		char what[400];
		snprintf(what, sizeof what, "cannot use %s as the DNS server's principal", spn);
		gss_status_explain(d, what, major, minor);
		return DF_ECONFIG;
	}
	return DF_OK;
}

/* SPNEGO, RFC 4178: 1.3.6.1.5.5.2 */
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

int gss_ctx_negotiate(gss_ctx_t **out, const dns_endpoint_t *ep, const gss_ctx_opts_t *o,
		      df_detail_t *d)
{
	OM_uint32 major, minor, ret_flags = 0;
	gss_name_t target = GSS_C_NO_NAME;
	gss_buffer_desc in_tok = GSS_C_EMPTY_BUFFER, out_tok = GSS_C_EMPTY_BUFFER;
	char spn[300], what[512];
	uint8_t *qbuf = NULL, *abuf = NULL;
	size_t alen = 0;
	bool have_answer = false;
	gss_ctx_t *c = NULL;
	int rc = DF_OK;

	if (out == NULL || ep == NULL || o == NULL || o->server_host == NULL ||
	    o->server_host[0] == '\0') {
		df_detail_set(d, "gss negotiation: invalid arguments");
		return DF_EINVAL;
	}
	*out = NULL;
	const tsig_alg_t *alg = o->alg != NULL ? o->alg : gss_tsig_alg();
	gss_cred_id_t cred = o->cred != NULL ? (gss_cred_id_t)o->cred : GSS_C_NO_CREDENTIAL;
	gss_OID mech = o->spnego ? &spnego_oid : GSS_C_NO_OID;
	rc = import_target(o, &target, spn, sizeof spn, d);
	if (rc != DF_OK) {
		return rc;
	}

	c = calloc(1, sizeof *c);
	qbuf = malloc(GSS_CTX_MSG_MAX);
	abuf = malloc(GSS_CTX_MSG_MAX);
	if (c == NULL || qbuf == NULL || abuf == NULL) {
		rc = DF_ENOMEM;
		df_detail_set(d, "gss negotiation with %s: out of memory", ep->label);
		goto out;
	}
	c->gctx = GSS_C_NO_CONTEXT;
	tkey_key_name(c->key_name, sizeof c->key_name, o->server_host);
	if (c->key_name[0] == '\0') {
		rc = DF_EINVAL;
		df_detail_set(d,
			      "gss negotiation with %s: server name '%s' too long for a key name",
			      ep->label, o->server_host);
		goto out;
	}

	for (int round = 0;; round++) {
		if (round >= GSS_CTX_MAX_ROUNDS) {
			df_detail_set(
				d, "GSS negotiation with %s for %s did not complete in %d rounds",
				ep->label, spn, GSS_CTX_MAX_ROUNDS);
			rc = DF_EMALFORMED;
			goto out;
		}
		major = gss_init_sec_context(
			&minor, cred, &c->gctx, target, mech,
			GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_INTEG_FLAG, 0,
			GSS_C_NO_CHANNEL_BINDINGS, &in_tok, NULL, &out_tok, &ret_flags, NULL);
		if (GSS_ERROR(major)) {
			if (round == 0) {
				snprintf(what, sizeof what,
					 "cannot get a ticket for %s to talk to %s", spn,
					 ep->label);
			} else {
				snprintf(what, sizeof what, "GSS negotiation with %s for %s failed",
					 ep->label, spn);
			}
			gss_status_explain(d, what, major, minor);
			rc = DF_EACCES;
			goto out;
		}
		if (major == GSS_S_COMPLETE) {
			if ((ret_flags & (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG)) !=
			    (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG)) {
				df_detail_set(d,
					      "GSS context with %s for %s lacks mutual "
					      "authentication or replay detection: abandoned",
					      ep->label, spn);
				rc = DF_EACCES;
				goto out;
			}
			if (out_tok.length == 0) {
				break;
			}
		}
		if (out_tok.length == 0) {
			df_detail_set(d, "GSS negotiation with %s for %s: no token to send",
				      ep->label, spn);
			rc = DF_EMALFORMED;
			goto out;
		}

		/* One TKEY round trip. */
		uint16_t id = dns_random_id();
		size_t qlen = 0;
		uint32_t now = (uint32_t)time(NULL);
		rc = tkey_build_query(qbuf, GSS_CTX_MSG_MAX, &qlen, id, c->key_name, alg->wire,
				      alg->wire_len, out_tok.value, out_tok.length, now);
		gss_release_buffer(&minor, &out_tok);
		if (rc != DF_OK) {
			df_detail_set(d, "cannot build the TKEY query for %s: %s", ep->label,
				      df_strerror(rc));
			goto out;
		}
		rc = dns_transport_tcp(ep, qbuf, qlen, abuf, GSS_CTX_MSG_MAX, &alen, o->timeout_ms,
				       dns_accept_id, &id, d);
		if (rc != DF_OK) {
			df_detail_prefix(d, "TKEY negotiation with %s for %s", ep->label, spn);
			goto out;
		}
		tkey_answer_t ta;
		rc = tkey_parse_answer(abuf, alen, id, c->key_name, &ta);
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
		if (major == GSS_S_COMPLETE) {
			/* We had a last token; the server's answer closes the exchange. */
			break;
		}
		if (ta.token_len == 0) {
			df_detail_set(d,
				      "%s sent no GSS token for %s while the context is not "
				      "complete",
				      ep->label, spn);
			rc = DF_EMALFORMED;
			goto out;
		}
		in_tok.value = (void *)ta.token;
		in_tok.length = ta.token_len;
	}

	rc = gss_tsig_key_init(&c->key, c->key_name, alg, (void *)c->gctx);
	if (rc != DF_OK) {
		df_detail_set(d, "cannot make a gss-tsig key of %s", c->key_name);
		goto out;
	}
	/* The final TKEY answer is signed with the new context (no request MAC). */
	if (have_answer) {
		tsig_result_t res;
		uint64_t now = (uint64_t)time(NULL);
		int vr = tsig_verify_request(&c->key, abuf, alen, now, &res);
		if (vr == DF_ETSIG_BADTIME) {
			/* Kerberos may have hidden the skew (kdc_timesync): TSIG does not. */
			df_detail_set(d,
				      "the final TKEY answer from %s was signed at %llu, %+lld s "
				      "from our clock, beyond the %u s TSIG allows: fix NTP on "
				      "this host or the server",
				      ep->label, (unsigned long long)res.time_signed,
				      (long long)(res.time_signed - now), (unsigned)res.fudge);
			rc = vr;
			goto out;
		}
		if (vr != DF_OK && vr != DF_ETSIG_MISSING) {
			df_detail_set(d, "the final TKEY answer from %s for %s does not verify: %s",
				      ep->label, spn, df_strerror(vr));
			rc = vr;
			goto out;
		}
		if (vr == DF_OK && res.error != 0) {
			df_detail_set(d,
				      "the final TKEY answer from %s for %s carries TSIG error %s",
				      ep->label, spn, tsig_rcode_name(res.error));
			rc = DF_ERCODE;
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = DF_OK;
out:
	gss_release_buffer(&minor, &out_tok);
	if (target != GSS_C_NO_NAME) {
		gss_release_name(&minor, &target);
	}
	free(qbuf);
	free(abuf);
	gss_ctx_free(c);
	return rc;
}

const struct tsig_key *gss_ctx_key(gss_ctx_t *ctx)
{
	return ctx != NULL ? &ctx->key : NULL;
}

int64_t gss_ctx_remaining(gss_ctx_t *ctx)
{
	OM_uint32 minor = 0, secs = 0;

	if (ctx == NULL || ctx->gctx == GSS_C_NO_CONTEXT ||
	    GSS_ERROR(gss_context_time(&minor, ctx->gctx, &secs))) {
		return 0;
	}
	return secs == GSS_C_INDEFINITE ? INT64_MAX : (int64_t)secs;
}

void gss_ctx_free(gss_ctx_t *ctx)
{
	OM_uint32 minor;

	if (ctx == NULL) {
		return;
	}
	tsig_key_deinit(&ctx->key);
	if (ctx->gctx != GSS_C_NO_CONTEXT) {
		gss_delete_sec_context(&minor, &ctx->gctx, GSS_C_NO_BUFFER);
	}
	memset(ctx, 0, sizeof *ctx);
	free(ctx);
}
