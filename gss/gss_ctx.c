/*
 * GSS-TSIG context negotiation (RFC 3645 section 3.1, reference
 * dns-update.md section 4): gss_init_sec_context with MUTUAL | REPLAY |
 * INTEG (no SEQUENCE), each token sent as a TKEY mode 3 query over TCP, the
 * answer's token fed back; the final answer's TSIG is checked with the new
 * context and no request-MAC prefix.
 */
#include "gss/gss_ctx.h"

#include <gssapi/gssapi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "gss/gss_tsig.h"
#include "gss/tkey.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define GSS_CTX_MAX_ROUNDS 10
#define GSS_CTX_MSG_MAX	   65535

struct gss_ctx {
	gss_ctx_id_t gctx;
	char key_name[TKEY_KEY_NAME_MAX];
	tsig_key_t key;
};

/* Appends the display text of one GSS status code to buf (size bytes). */
static void append_status(char *buf, size_t size, OM_uint32 code, int kind)
{
	OM_uint32 more = 0, min2;

	do {
		gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
		size_t used = strlen(buf);
		if (GSS_ERROR(gss_display_status(&min2, code, kind, GSS_C_NO_OID, &more, &msg))) {
			break;
		}
		if (used + 1 < size) {
			snprintf(buf + used, size - used, "%s%.*s", used > 0 ? "; " : "",
				 (int)msg.length, (const char *)msg.value);
		}
		gss_release_buffer(&min2, &msg);
	} while (more != 0);
}

/* "minor text; major text" (the mechanism's words first: they say what is wrong). */
static void status_text(char *buf, size_t size, OM_uint32 major, OM_uint32 minor)
{
	buf[0] = '\0';
	if (minor != 0) {
		append_status(buf, size, minor, GSS_C_MECH_CODE);
	}
	/* GSS_S_FAILURE only says "see the minor code". */
	if (minor == 0 || GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE) {
		append_status(buf, size, major, GSS_C_GSS_CODE);
	}
}

struct accept_arg {
	uint16_t id;
};

static bool accept_id(void *arg, const uint8_t *msg, size_t len)
{
	const struct accept_arg *a = arg;
	return len >= 2 && (uint16_t)((msg[0] << 8) | msg[1]) == a->id;
}

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id) {
		id = (uint16_t)(time(NULL) ^ getpid());
	}
	return id;
}

int gss_ctx_negotiate(gss_ctx_t **out, const dns_endpoint_t *ep, const char *server_fqdn,
		      int timeout_ms, df_detail_t *d)
{
	OM_uint32 major, minor, ret_flags = 0;
	gss_name_t target = GSS_C_NO_NAME;
	gss_buffer_desc in_tok = GSS_C_EMPTY_BUFFER, out_tok = GSS_C_EMPTY_BUFFER;
	char spn[300], service[300], st[512];
	uint8_t *qbuf = NULL, *abuf = NULL;
	size_t alen = 0;
	bool have_answer = false;
	gss_ctx_t *c = NULL;
	int rc = DF_OK;

	if (out == NULL || ep == NULL || server_fqdn == NULL || server_fqdn[0] == '\0') {
		df_detail_set(d, "gss negotiation: invalid arguments");
		return DF_EINVAL;
	}
	*out = NULL;
	snprintf(spn, sizeof spn, "DNS/%s", server_fqdn);
	snprintf(service, sizeof service, "DNS@%s", server_fqdn);
	/* A trailing dot is not part of the principal. */
	size_t sl = strlen(service);
	if (sl > 0 && service[sl - 1] == '.') {
		service[sl - 1] = '\0';
		spn[strlen(spn) - 1] = '\0';
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
	tkey_key_name(c->key_name, sizeof c->key_name, server_fqdn);
	if (c->key_name[0] == '\0') {
		rc = DF_EINVAL;
		df_detail_set(d,
			      "gss negotiation with %s: server name '%s' too long for a key name",
			      ep->label, server_fqdn);
		goto out;
	}

	gss_buffer_desc nbuf = {.length = strlen(service), .value = service};
	major = gss_import_name(&minor, &nbuf, GSS_C_NT_HOSTBASED_SERVICE, &target);
	if (GSS_ERROR(major)) {
		status_text(st, sizeof st, major, minor);
		df_detail_set(d, "cannot import the service name %s for %s (%s)", service,
			      ep->label, st);
		rc = DF_EINVAL;
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
			&minor, GSS_C_NO_CREDENTIAL, &c->gctx, target, GSS_C_NO_OID,
			GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_INTEG_FLAG, 0,
			GSS_C_NO_CHANNEL_BINDINGS, &in_tok, NULL, &out_tok, &ret_flags, NULL);
		if (GSS_ERROR(major)) {
			status_text(st, sizeof st, major, minor);
			if (round == 0) {
				df_detail_set(d, "cannot get a ticket for %s to talk to %s (%s)",
					      spn, ep->label, st);
			} else {
				df_detail_set(d, "GSS negotiation with %s for %s failed (%s)",
					      ep->label, spn, st);
			}
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
		struct accept_arg aa = {.id = random_id()};
		size_t qlen = 0;
		uint32_t now = (uint32_t)time(NULL);
		rc = tkey_build_query(qbuf, GSS_CTX_MSG_MAX, &qlen, aa.id, c->key_name,
				      out_tok.value, out_tok.length, now);
		gss_release_buffer(&minor, &out_tok);
		if (rc != DF_OK) {
			df_detail_set(d, "cannot build the TKEY query for %s: %s", ep->label,
				      df_strerror(rc));
			goto out;
		}
		rc = dns_transport_tcp(ep, qbuf, qlen, abuf, GSS_CTX_MSG_MAX, &alen, timeout_ms,
				       accept_id, &aa, d);
		if (rc != DF_OK) {
			df_detail_prefix(d, "TKEY negotiation with %s for %s", ep->label, spn);
			goto out;
		}
		tkey_answer_t ta;
		rc = tkey_parse_answer(abuf, alen, aa.id, c->key_name, &ta);
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

	rc = gss_tsig_key_init(&c->key, c->key_name, (void *)c->gctx);
	if (rc != DF_OK) {
		df_detail_set(d, "cannot make a gss-tsig key of %s", c->key_name);
		goto out;
	}
	/* The final TKEY answer is signed with the new context (no request MAC). */
	if (have_answer) {
		tsig_result_t res;
		int vr = tsig_verify_request(&c->key, abuf, alen, (uint64_t)time(NULL), &res);
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
