/*
 * JSON Web Signatures with RS256 (RFC 7515, RFC 7518 section 3.3): the
 * assertion a Google service account signs to get an access token
 * (reference/rest-providers.md section 6). The signature is RSASSA-PKCS1-v1_5
 * with SHA-256 through OpenSSL's EVP_DigestSign, so it is deterministic and
 * checked byte for byte against RFC 7515 appendix A.2.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

typedef struct jwt_key jwt_key_t;

/*
 * base64url without padding (RFC 7515 section 2) of len bytes into out
 * (size bytes, terminated). Returns the length written, or 0 when out is
 * too small (out is then "").
 */
size_t jwt_b64url(const uint8_t *in, size_t len, char *out, size_t size);

/*
 * Decodes base64url (padding optional) into out (size bytes); *out_len is
 * the length. DF_OK, DF_EMALFORMED (a byte outside the alphabet, a bad
 * length) or DF_ENOSPACE.
 */
int jwt_b64url_decode(const char *in, size_t len, uint8_t *out, size_t size, size_t *out_len);

/*
 * An RSA private key from PEM text (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA
 * PRIVATE KEY"), len bytes, for jwt_sign_rs256(). DF_OK with *out set
 * (freed with jwt_key_free()), else DF_EINVAL and d says why (the text is
 * never quoted: it is a secret).
 */
int jwt_key_load(jwt_key_t **out, const char *pem, size_t len, df_detail_t *d);
void jwt_key_free(jwt_key_t *k);

/*
 * The compact JWS b64url(header) "." b64url(payload) "." b64url(signature)
 * of the header and payload bytes as given (they are signed as they are,
 * never re-serialised). Malloc'd into *out (freed by the caller, who
 * should wipe it: it is a credential). DF_OK, DF_ENOMEM or DF_EINVAL (the
 * signer failed; d says why).
 */
int jwt_sign_rs256(const jwt_key_t *k, const char *header, size_t header_len, const char *payload,
		   size_t payload_len, char **out, df_detail_t *d);

/*
 * Verifies a compact RS256 JWS against a public key in PEM (SubjectPublicKeyInfo)
 * or the private key's public half: true when the signature is good.
 * For the tests and the fakes.
 */
bool jwt_verify_rs256(const char *pem, size_t pem_len, const char *jws, size_t jws_len);
