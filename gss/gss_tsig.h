/*
 * The GSS-TSIG MAC algorithm (RFC 3645 section 5) as a TSIG algorithm table
 * entry: the MAC of a message is gss_get_mic() over the same digest HMAC TSIG
 * uses, checked with gss_verify_mic(). tsig/tsig_sign.c does the rest.
 */
#pragma once

#include <stddef.h>

struct tsig_alg;
struct tsig_key;

#define GSS_TSIG_MAC_MAX 256 /* a krb5 MIC is 28 bytes (RFC 4121, aes256) */

/* The static table entry: name "gss-tsig", wire name gss-tsig., mac_size 0
 * (variable), mac_max GSS_TSIG_MAC_MAX. */
const struct tsig_alg *gss_tsig_alg(void);

/* "gss-tsig" or "gss.microsoft.com" (any case, trailing dot optional): the
 * same MIC under the name old Windows servers use; NULL for anything else. */
const struct tsig_alg *gss_tsig_alg_by_name(const char *name);

/*
 * Fills key for a negotiated context: key_name is the TKEY key name
 * ("1234.sig-ns1.example.test."), alg one of the two GSS entries, gss_ctx
 * a gss_ctx_id_t (borrowed: must
 * outlive every use of key; the caller deletes it after tsig_key_deinit()).
 * No secret. Returns DF_OK or DF_EINVAL (key left zeroed).
 */
int gss_tsig_key_init(struct tsig_key *key, const char *key_name, const struct tsig_alg *alg,
		      void *gss_ctx);
