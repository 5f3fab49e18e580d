/*
 * GSS-TSIG context negotiation (RFC 3645 section 3.1, reference
 * dns-update.md section 4), one token at a time: gss_init_sec_context with
 * MUTUAL | REPLAY | INTEG (no SEQUENCE), each server token fed back by the
 * caller. The TKEY round trips and the check of the final answer's TSIG
 * (with the new context and no request-MAC prefix) are src/dns/dns_tkey.c's.
 */
#include "gss/gss_ctx.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gss/gss_status.h"
#include "gss/gss_tsig.h"
#include "gss/tkey.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"

#define SPN_MAX 300

struct gss_ctx {
	gss_ctx_id_t gctx;
	gss_name_t target;
	gss_cred_id_t cred; /* borrowed */
	gss_OID mech;
	const tsig_alg_t *alg;
	gss_buffer_desc out_tok; /* the token of the last step */
	unsigned steps;
	bool established;
	char spn[SPN_MAX];
	char peer[128];
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

/* Tokens carry key material: wiped before they go back to GSSAPI. */
static void release_token(gss_buffer_desc *tok)
{
	OM_uint32 minor;

	if (tok->value != NULL && tok->length > 0) {
		explicit_bzero(tok->value, tok->length);
	}
	gss_release_buffer(&minor, tok);
	tok->value = NULL;
	tok->length = 0;
}

int gss_ctx_new(gss_ctx_t **out, const gss_ctx_opts_t *o, df_detail_t *d)
{
	gss_name_t target = GSS_C_NO_NAME;
	char spn[SPN_MAX];
	OM_uint32 minor;

	if (out == NULL || o == NULL || o->server_host == NULL || o->server_host[0] == '\0') {
		df_detail_set(d, "gss negotiation: invalid arguments");
		return DF_EINVAL;
	}
	*out = NULL;
	const char *peer = o->peer != NULL ? o->peer : o->server_host;
	int rc = import_target(o, &target, spn, sizeof spn, d);
	if (rc != DF_OK) {
		return rc;
	}
	gss_ctx_t *c = calloc(1, sizeof *c);
	if (c == NULL) {
		df_detail_set(d, "gss negotiation with %s: out of memory", peer);
		gss_release_name(&minor, &target);
		return DF_ENOMEM;
	}
	c->gctx = GSS_C_NO_CONTEXT;
	c->target = target;
	c->cred = o->cred != NULL ? (gss_cred_id_t)o->cred : GSS_C_NO_CREDENTIAL;
	c->mech = o->spnego ? &spnego_oid : GSS_C_NO_OID;
	c->alg = o->alg != NULL ? o->alg : gss_tsig_alg();
	snprintf(c->spn, sizeof c->spn, "%s", spn);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	tkey_key_name(c->key_name, sizeof c->key_name, o->server_host);
	if (c->key_name[0] == '\0') {
		df_detail_set(d,
			      "gss negotiation with %s: server name '%s' too long for a key name",
			      peer, o->server_host);
		gss_ctx_free(c);
		return DF_EINVAL;
	}
	*out = c;
	return DF_OK;
}

int gss_ctx_step(gss_ctx_t *c, const uint8_t *in, size_t in_len, const uint8_t **out_tok,
		 size_t *out_len, bool *established, df_detail_t *d)
{
	OM_uint32 major, minor = 0, ret_flags = 0;
	char what[512];

	if (c == NULL || out_tok == NULL || out_len == NULL || established == NULL ||
	    (in == NULL && in_len > 0) || c->established) {
		df_detail_set(d, "gss negotiation: invalid arguments");
		return DF_EINVAL;
	}
	*out_tok = NULL;
	*out_len = 0;
	*established = false;
	release_token(&c->out_tok);
	if (c->steps > 0 && in_len == 0) {
		df_detail_set(d, "%s sent no GSS token for %s while the context is not complete",
			      c->peer, c->spn);
		return DF_EMALFORMED;
	}
	if (c->steps >= GSS_CTX_MAX_STEPS) {
		df_detail_set(d, "GSS negotiation with %s for %s did not complete in %d rounds",
			      c->peer, c->spn, GSS_CTX_MAX_STEPS);
		return DF_EMALFORMED;
	}
	gss_buffer_desc in_tok = {.length = in_len, .value = (void *)in};
	major = gss_init_sec_context(&minor, c->cred, &c->gctx, c->target, c->mech,
				     GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_INTEG_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS, &in_tok, NULL, &c->out_tok,
				     &ret_flags, NULL);
	c->steps++;
	if (GSS_ERROR(major)) {
		if (c->steps == 1) {
			snprintf(what, sizeof what, "cannot get a ticket for %s to talk to %s",
				 c->spn, c->peer);
		} else {
			snprintf(what, sizeof what, "GSS negotiation with %s for %s failed",
				 c->peer, c->spn);
		}
		gss_status_explain(d, what, major, minor);
		release_token(&c->out_tok);
		return DF_EACCES;
	}
	if (major == GSS_S_COMPLETE) {
		if ((ret_flags & (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG)) !=
		    (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG)) {
			df_detail_set(d,
				      "GSS context with %s for %s lacks mutual authentication or "
				      "replay detection: abandoned",
				      c->peer, c->spn);
			release_token(&c->out_tok);
			return DF_EACCES;
		}
		int rc = gss_tsig_key_init(&c->key, c->key_name, c->alg, (void *)c->gctx);
		if (rc != DF_OK) {
			df_detail_set(d, "cannot make a gss-tsig key of %s", c->key_name);
			release_token(&c->out_tok);
			return rc;
		}
		c->established = true;
	} else if (c->out_tok.length == 0) {
		df_detail_set(d, "GSS negotiation with %s for %s: no token to send", c->peer,
			      c->spn);
		return DF_EMALFORMED;
	}
	*out_tok = c->out_tok.value;
	*out_len = c->out_tok.length;
	*established = c->established;
	return DF_OK;
}

const char *gss_ctx_key_name(const gss_ctx_t *ctx)
{
	return ctx != NULL ? ctx->key_name : NULL;
}

const struct tsig_alg *gss_ctx_alg(const gss_ctx_t *ctx)
{
	return ctx != NULL ? ctx->alg : NULL;
}

const char *gss_ctx_service(const gss_ctx_t *ctx)
{
	return ctx != NULL ? ctx->spn : NULL;
}

const struct tsig_key *gss_ctx_key(gss_ctx_t *ctx)
{
	return ctx != NULL && ctx->established ? &ctx->key : NULL;
}

int64_t gss_ctx_remaining(gss_ctx_t *ctx)
{
	OM_uint32 minor = 0, secs = 0;

	if (ctx == NULL || !ctx->established || ctx->gctx == GSS_C_NO_CONTEXT ||
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
	release_token(&ctx->out_tok);
	if (ctx->gctx != GSS_C_NO_CONTEXT) {
		gss_delete_sec_context(&minor, &ctx->gctx, GSS_C_NO_BUFFER);
	}
	if (ctx->target != GSS_C_NO_NAME) {
		gss_release_name(&minor, &ctx->target);
	}
	memset(ctx, 0, sizeof *ctx);
	free(ctx);
}
