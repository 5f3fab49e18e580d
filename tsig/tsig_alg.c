/*
 * The TSIG algorithm table: HMAC with the digests of RFC 8945 section 6,
 * computed by OpenSSL 3 EVP_MAC. Only tsig/ includes OpenSSL headers.
 */
#include "tsig/tsig_alg.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "src/common/error.h"
#include "tsig/tsig_key.h"

/* Computes HMAC-<digest> of data with the key's secret into mac (mac_size bytes). */
static int hmac_compute(const char *digest, size_t mac_size, const tsig_key_t *key,
			const uint8_t *data, size_t len, uint8_t *mac, size_t *mac_len)
{
	int ret = DF_EINVAL;
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len = 0;

	if (key == NULL || (data == NULL && len > 0) || mac == NULL || mac_len == NULL) {
		goto out;
	}

	ret = DF_ENOMEM;
	hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (hmac == NULL) {
		goto out;
	}
	ctx = EVP_MAC_CTX_new(hmac);
	if (ctx == NULL) {
		goto out;
	}

	/* OSSL_PARAM wants a non-const string; the digest name is only read. */
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_end(),
	};
	ret = DF_EINVAL;
	if (EVP_MAC_init(ctx, key->secret, key->secret_len, params) != 1 ||
	    EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &out_len, mac_size) != 1 || out_len != mac_size) {
		goto out;
	}
	*mac_len = out_len;
	ret = DF_OK;
out:
	/* EVP_MAC_CTX_free() cleanses the HMAC state holding the key. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return ret;
}

/*
 * Recomputes the MAC and compares in constant time. A MAC of any length but
 * the full digest is refused before computing anything: we never accept
 * truncated MACs (dns-update.md 2.5), so a forger cannot shorten one to a
 * few guessable bytes.
 */
static int hmac_check(const char *digest, size_t mac_size, const tsig_key_t *key,
		      const uint8_t *data, size_t len, const uint8_t *mac, size_t mac_len)
{
	uint8_t expect[TSIG_MAX_DIGEST];
	size_t expect_len = 0;
	int ret = DF_ETSIG_BADMAC;

	if (mac == NULL || mac_len != mac_size) {
		goto out;
	}
	if (hmac_compute(digest, mac_size, key, data, len, expect, &expect_len) != DF_OK) {
		goto out;
	}
	if (CRYPTO_memcmp(expect, mac, mac_size) != 0) {
		goto out;
	}
	ret = DF_OK;
out:
	OPENSSL_cleanse(expect, sizeof(expect));
	return ret;
}

/* One sign/verify pair per digest: the vtable entries carry no argument
 * that says which digest they are. */
#define HMAC_FUNCS(tag, digest, size)                                                   \
	static int tag##_sign(const tsig_key_t *key, const uint8_t *data, size_t len,   \
			      uint8_t *mac, size_t *mac_len)                            \
	{                                                                               \
		return hmac_compute(digest, size, key, data, len, mac, mac_len);        \
	}                                                                               \
	static int tag##_verify(const tsig_key_t *key, const uint8_t *data, size_t len, \
				const uint8_t *mac, size_t mac_len)                     \
	{                                                                               \
		return hmac_check(digest, size, key, data, len, mac, mac_len);          \
	}

HMAC_FUNCS(md5, "MD5", 16)
HMAC_FUNCS(sha1, "SHA1", 20)
HMAC_FUNCS(sha224, "SHA224", 28)
HMAC_FUNCS(sha256, "SHA256", 32)
HMAC_FUNCS(sha384, "SHA384", 48)
HMAC_FUNCS(sha512, "SHA512", 64)

/* Wire names, lower case and uncompressed, as they go into the TSIG RR. */
static const uint8_t wire_md5[] = "\x08hmac-md5\x07sig-alg\x03reg\x03int";
static const uint8_t wire_sha1[] = "\x09hmac-sha1";
static const uint8_t wire_sha224[] = "\x0bhmac-sha224";
static const uint8_t wire_sha256[] = "\x0bhmac-sha256";
static const uint8_t wire_sha384[] = "\x0bhmac-sha384";
static const uint8_t wire_sha512[] = "\x0bhmac-sha512";

/* sizeof() of the string literal counts its NUL, which is the root label. */
#define ALG(tag, text, size)                                                                   \
	{                                                                                      \
		.name = text, .wire = wire_##tag, .wire_len = sizeof(wire_##tag),              \
		.mac_size = size, .mac_max = size, .sign = tag##_sign, .verify = tag##_verify, \
	}

static const tsig_alg_t algorithms[] = {
	ALG(md5, "hmac-md5", 16),	ALG(sha1, "hmac-sha1", 20),
	ALG(sha224, "hmac-sha224", 28), ALG(sha256, "hmac-sha256", 32),
	ALG(sha384, "hmac-sha384", 48), ALG(sha512, "hmac-sha512", 64),
};

#define ALG_COUNT (sizeof(algorithms) / sizeof(algorithms[0]))

/* The full RFC 8945 name of HMAC-MD5, accepted as an alias. */
#define MD5_LONG_NAME "hmac-md5.sig-alg.reg.int"

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive comparison of text[0..len) with a NUL-terminated name,
 * ASCII only so that the locale cannot change what matches. */
static bool text_equal(const char *text, size_t len, const char *name)
{
	if (strlen(name) != len) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (ascii_lower((unsigned char)text[i]) != (unsigned char)name[i]) {
			return false;
		}
	}
	return true;
}

const tsig_alg_t *tsig_alg_by_name(const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	size_t len = strlen(name);
	/* One trailing dot makes the name absolute; "x.." is not a name. */
	if (len > 0 && name[len - 1] == '.') {
		len--;
	}
	if (text_equal(name, len, MD5_LONG_NAME)) {
		return &algorithms[0];
	}
	for (size_t i = 0; i < ALG_COUNT; i++) {
		if (text_equal(name, len, algorithms[i].name)) {
			return &algorithms[i];
		}
	}
	return NULL;
}

const tsig_alg_t *tsig_alg_by_wire(const uint8_t *wire, size_t len)
{
	if (wire == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < ALG_COUNT; i++) {
		const tsig_alg_t *alg = &algorithms[i];
		if (alg->wire_len != len) {
			continue;
		}
		/* Label length bytes are below 64, so lowering them changes nothing. */
		size_t j = 0;
		while (j < len && ascii_lower(wire[j]) == alg->wire[j]) {
			j++;
		}
		if (j == len) {
			return alg;
		}
	}
	return NULL;
}

const char *tsig_alg_list(void)
{
	return "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512";
}
