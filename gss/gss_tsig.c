/*
 * gss-tsig. as a tsig_alg_t: gss_get_mic()/gss_verify_mic() with the
 * context in key->alg_ctx. Every GSS failure is reported as
 * DF_ETSIG_BADMAC; the GSS major/minor text goes to log_debug() so that an
 * expired context (GSS_S_CONTEXT_EXPIRED) can be told from a bad MIC.
 */
#include "gss/gss_tsig.h"

#include <gssapi/gssapi.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gss/gss_status.h"
#include "gss/tkey.h"
#include "src/common/error.h"
#include "src/common/log.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"

static const uint8_t gss_tsig_wire[] = "\x08gss-tsig";
/* The Windows 2000 name; only for old servers that want it (GSS_TSIG_ALG). */
static const uint8_t gss_microsoft_wire[] = "\x03gss\x09microsoft\x03"
					    "com";

static void log_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
	char text[512];

	gss_status_text(text, sizeof(text), major, minor);
	log_debug("gss-tsig, %s failed (major 0x%08x, minor %u: %s)", what, (unsigned)major,
		  (unsigned)minor, text);
}

static int mic_sign(const tsig_key_t *key, const uint8_t *data, size_t len, uint8_t *mac,
		    size_t *mac_len)
{
	OM_uint32 major, minor = 0;
	gss_buffer_desc in = {len, (void *)data};
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	int ret = DF_ETSIG_BADMAC;

	if (key == NULL || key->alg_ctx == NULL || data == NULL || mac == NULL || mac_len == NULL) {
		log_debug("gss-tsig, sign without a security context");
		return DF_ETSIG_BADMAC;
	}
	major = gss_get_mic(&minor, (gss_ctx_id_t)key->alg_ctx, GSS_C_QOP_DEFAULT, &in, &out);
	if (GSS_ERROR(major)) {
		log_gss("gss_get_mic", major, minor);
		goto out;
	}
	if (out.length == 0 || out.length > GSS_TSIG_MAC_MAX) {
		log_debug("gss-tsig, gss_get_mic returned a %zu-byte MIC", (size_t)out.length);
		goto out;
	}
	memcpy(mac, out.value, out.length);
	*mac_len = out.length;
	ret = DF_OK;
out:
	gss_release_buffer(&minor, &out);
	return ret;
}

static int mic_verify(const tsig_key_t *key, const uint8_t *data, size_t len, const uint8_t *mac,
		      size_t mac_len)
{
	OM_uint32 major, minor = 0;
	gss_buffer_desc msg = {len, (void *)data};
	gss_buffer_desc tok = {mac_len, (void *)mac};
	gss_qop_t qop = 0;

	if (key == NULL || key->alg_ctx == NULL || data == NULL || mac == NULL || mac_len == 0 ||
	    mac_len > GSS_TSIG_MAC_MAX) {
		log_debug("gss-tsig, verify without a security context or MIC");
		return DF_ETSIG_BADMAC;
	}
	major = gss_verify_mic(&minor, (gss_ctx_id_t)key->alg_ctx, &msg, &tok, &qop);
	if (GSS_ERROR(major)) {
		log_gss("gss_verify_mic", major, minor);
		return DF_ETSIG_BADMAC;
	}
	/* A replayed or out-of-order MIC is a supplementary status, not an
	 * error: for DNS a replayed answer is not authentic. */
	if (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN)) {
		log_gss("gss_verify_mic (replayed token)", major, minor);
		return DF_ETSIG_BADMAC;
	}
	return DF_OK;
}

static const tsig_alg_t algs[] = {
	{
		.name = "gss-tsig",
		.wire = gss_tsig_wire,
		.wire_len = sizeof(gss_tsig_wire),
		.mac_size = 0,
		.mac_max = GSS_TSIG_MAC_MAX,
		.negotiated = true,
		.sign = mic_sign,
		.verify = mic_verify,
	},
	{
		.name = "gss.microsoft.com",
		.wire = gss_microsoft_wire,
		.wire_len = sizeof(gss_microsoft_wire),
		.mac_size = 0,
		.mac_max = GSS_TSIG_MAC_MAX,
		.negotiated = true,
		.sign = mic_sign,
		.verify = mic_verify,
	},
};

const tsig_alg_t *gss_tsig_alg(void)
{
	return &algs[0];
}

const tsig_alg_t *gss_tsig_alg_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t n = strlen(algs[i].name);
		if (name != NULL && strncasecmp(name, algs[i].name, n) == 0 &&
		    (name[n] == '\0' || (name[n] == '.' && name[n + 1] == '\0'))) {
			return &algs[i];
		}
	}
	return NULL;
}

int gss_tsig_key_init(tsig_key_t *key, const char *key_name, const tsig_alg_t *alg, void *gss_ctx)
{
	tsig_key_t k;

	if (key == NULL) {
		return DF_EINVAL;
	}
	memset(key, 0, sizeof(*key));
	if (key_name == NULL || gss_ctx == NULL || alg == NULL || !alg->negotiated) {
		return DF_EINVAL;
	}
	memset(&k, 0, sizeof(k));
	if (tkey_name_to_wire(key_name, k.wire, &k.wire_len) != DF_OK) {
		return DF_EINVAL;
	}
	/* k.name: the lower-case absolute text form */
	size_t n = strlen(key_name);
	if (n + 2 > sizeof(k.name)) {
		return DF_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = key_name[i];
		k.name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (n == 0 || k.name[n - 1] != '.') {
		k.name[n++] = '.';
	}
	k.name[n] = '\0';
	k.alg = alg;
	k.alg_ctx = gss_ctx;
	*key = k;
	return DF_OK;
}
