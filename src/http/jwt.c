/*
 * RS256 JSON Web Signatures over OpenSSL (see jwt.h).
 */
#include "src/http/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

struct jwt_key {
	EVP_PKEY *pkey;
};

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t jwt_b64url(const uint8_t *in, size_t len, char *out, size_t size)
{
	size_t need = (len / 3) * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	if (out == NULL || size <= need) {
		if (out != NULL && size > 0) {
			out[0] = '\0';
		}
		return 0;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t n = len - i >= 3 ? 3 : len - i;
		if (n > 1) {
			v |= (uint32_t)in[i + 1] << 8;
		}
		if (n > 2) {
			v |= in[i + 2];
		}
		out[o++] = B64URL[(v >> 18) & 63];
		out[o++] = B64URL[(v >> 12) & 63];
		if (n > 1) {
			out[o++] = B64URL[(v >> 6) & 63];
		}
		if (n > 2) {
			out[o++] = B64URL[v & 63];
		}
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(B64URL, c) : NULL;
	return p != NULL ? (int)(p - B64URL) : -1;
}

int jwt_b64url_decode(const char *in, size_t len, uint8_t *out, size_t size, size_t *out_len)
{
	while (len > 0 && in[len - 1] == '=') {
		len--;
	}
	if (len % 4 == 1) {
		return DF_EMALFORMED;
	}
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i]);
		if (v < 0) {
			return DF_EMALFORMED;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= size) {
				return DF_ENOSPACE;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out_len = o;
	return DF_OK;
}

int jwt_key_load(jwt_key_t **out, const char *pem, size_t len, df_detail_t *d)
{
	if (out == NULL || pem == NULL || len == 0 || len > INT32_MAX) {
		df_detail_set(d, "no private key");
		return DF_EINVAL;
	}
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (pkey == NULL) {
		df_detail_set(d, "the private key is not a PEM RSA private key");
		return DF_EINVAL;
	}
	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		df_detail_set(d, "the private key is not an RSA key (RS256 needs one)");
		return DF_EINVAL;
	}
	jwt_key_t *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return DF_ENOMEM;
	}
	k->pkey = pkey;
	*out = k;
	return DF_OK;
}

void jwt_key_free(jwt_key_t *k)
{
	if (k != NULL) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
}

int jwt_sign_rs256(const jwt_key_t *k, const char *header, size_t header_len, const char *payload,
		   size_t payload_len, char **out, df_detail_t *d)
{
	if (k == NULL || header == NULL || payload == NULL || out == NULL) {
		return DF_EINVAL;
	}
	size_t hb = (header_len + 2) / 3 * 4 + 1, pb = (payload_len + 2) / 3 * 4 + 1;
	size_t sig_max = (size_t)EVP_PKEY_get_size(k->pkey);
	size_t cap = hb + pb + (sig_max + 2) / 3 * 4 + 4;
	char *jws = malloc(cap);
	unsigned char *sig = malloc(sig_max);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ret = DF_ENOMEM;
	if (jws == NULL || sig == NULL || md == NULL) {
		goto out;
	}
	size_t n = jwt_b64url((const uint8_t *)header, header_len, jws, cap);
	jws[n++] = '.';
	n += jwt_b64url((const uint8_t *)payload, payload_len, jws + n, cap - n);
	size_t sig_len = sig_max;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)jws, n) != 1) {
		df_detail_set(d, "RS256 signing failed (OpenSSL EVP_DigestSign)");
		ret = DF_EINVAL;
		goto out;
	}
	jws[n++] = '.';
	jwt_b64url(sig, sig_len, jws + n, cap - n);
	*out = jws;
	jws = NULL;
	ret = DF_OK;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(jws);
	return ret;
}

bool jwt_verify_rs256(const char *pem, size_t pem_len, const char *jws, size_t jws_len)
{
	const char *dot = memchr(jws, '.', jws_len);
	const char *dot2 =
		dot != NULL ? memchr(dot + 1, '.', jws_len - (size_t)(dot + 1 - jws)) : NULL;
	if (dot2 == NULL || pem_len > INT32_MAX) {
		return false;
	}
	size_t signed_len = (size_t)(dot2 - jws);
	const char *s64 = dot2 + 1;
	size_t s64_len = jws_len - signed_len - 1;
	uint8_t sig[1024];
	size_t sig_len = 0;
	if (jwt_b64url_decode(s64, s64_len, sig, sizeof(sig), &sig_len) != DF_OK) {
		return false;
	}
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	if (pkey == NULL && bio != NULL) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)pem_len);
		pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	}
	BIO_free(bio);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = pkey != NULL && md != NULL && EVP_PKEY_base_id(pkey) == EVP_PKEY_RSA &&
		  EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
		  EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jws, signed_len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return ok;
}
