/*
 * The RS256 signer against RFC 7515 appendix A.2 (the known-answer test) and
 * the Google-shaped service-account assertion of tests/vectors/gcp/ (signed
 * with the same test key), plus base64url both ways and verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/jwt.h"
#include "tests/unit/vector_file.h"

/* A sample without the newline that ends the file (not part of the value). */
static char *read_vec(const char *dir, const char *name, size_t *len)
{
	size_t n = 0;
	char *buf = vector_file(dir, name, &n);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		buf[--n] = '\0';
	}
	if (len != NULL) {
		*len = n;
	}
	return buf;
}

static void test_b64url(void **state)
{
	(void)state;
	char out[64];
	uint8_t back[64];
	size_t n = 0;
	/* RFC 7515 A.1's header bytes, and the short tails. */
	assert_int_equal(jwt_b64url((const uint8_t *)"{\"alg\":\"RS256\"}", 15, out, sizeof(out)),
			 20);
	assert_string_equal(out, "eyJhbGciOiJSUzI1NiJ9");
	jwt_b64url((const uint8_t *)"\xfb\xff", 2, out, sizeof(out));
	assert_string_equal(out, "-_8");
	jwt_b64url((const uint8_t *)"a", 1, out, sizeof(out));
	assert_string_equal(out, "YQ");
	assert_int_equal(jwt_b64url((const uint8_t *)"abcd", 4, out, 6), 0); /* too small */
	assert_string_equal(out, "");
	assert_int_equal(jwt_b64url_decode("-_8", 3, back, sizeof(back), &n), DF_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(back, "\xfb\xff", 2);
	assert_int_equal(jwt_b64url_decode("YQ==", 4, back, sizeof(back), &n), DF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jwt_b64url_decode("Y", 1, back, sizeof(back), &n), DF_EMALFORMED);
	assert_int_equal(jwt_b64url_decode("a+b/", 4, back, sizeof(back), &n), DF_EMALFORMED);
	assert_int_equal(jwt_b64url_decode("YWJjZA", 6, back, 2, &n), DF_ENOSPACE);
}

static jwt_key_t *load_key(void)
{
	size_t len;
	char *pem = read_vec("jwt-rs256-rfc7515-a2", "private-key-pkcs8.pem", &len);
	jwt_key_t *k = NULL;
	df_detail_t d = {""};
	assert_int_equal(jwt_key_load(&k, pem, len, &d), DF_OK);
	free(pem);
	return k;
}

/* RFC 7515 A.2: the published JWS, byte for byte. */
static void test_rfc7515_a2(void **state)
{
	(void)state;
	size_t hl, pl, jl, sl, il;
	char *header = read_vec("jwt-rs256-rfc7515-a2", "protected-header.json", &hl);
	char *payload = read_vec("jwt-rs256-rfc7515-a2", "payload.json", &pl);
	char *jws = read_vec("jwt-rs256-rfc7515-a2", "jws-compact.txt", &jl);
	char *sig = read_vec("jwt-rs256-rfc7515-a2", "signature.b64url.txt", &sl);
	char *input = read_vec("jwt-rs256-rfc7515-a2", "signing-input.txt", &il);
	/* The payload file keeps the RFC's CRLFs inside; the signing input says
	 * which bytes are signed: take them from there. */
	const char *dot = strchr(input, '.');
	assert_non_null(dot);
	uint8_t raw[512];
	size_t rl = 0;
	assert_int_equal(
		jwt_b64url_decode(dot + 1, il - (size_t)(dot + 1 - input), raw, sizeof(raw), &rl),
		DF_OK);
	jwt_key_t *k = load_key();
	char *out = NULL;
	df_detail_t d = {""};
	assert_int_equal(jwt_sign_rs256(k, header, hl, (const char *)raw, rl, &out, &d), DF_OK);
	assert_string_equal(out, jws);
	assert_memory_equal(out, input, il);
	assert_string_equal(strrchr(out, '.') + 1, sig);
	size_t publen;
	char *pub = read_vec("jwt-rs256-rfc7515-a2", "public-key.pem", &publen);
	assert_true(jwt_verify_rs256(pub, publen, out, strlen(out)));
	/* One bit off anywhere and it does not verify. */
	out[10] ^= 1;
	assert_false(jwt_verify_rs256(pub, publen, out, strlen(out)));
	out[10] ^= 1;
	out[strlen(out) - 3] = out[strlen(out) - 3] == 'A' ? 'B' : 'A';
	assert_false(jwt_verify_rs256(pub, publen, out, strlen(out)));
	assert_false(jwt_verify_rs256(pub, publen, "a.b", 3));
	free(out);
	free(pub);
	jwt_key_free(k);
	(void)pl;
	free(header);
	free(payload);
	free(jws);
	free(sig);
	free(input);
}

/* The Google-shaped assertion: header and claims as generated, same key. */
static void test_google_assertion(void **state)
{
	(void)state;
	size_t hl, cl, al, sl;
	char *header = read_vec("gcp", "jwt-header.json", &hl);
	char *claims = read_vec("gcp", "jwt-claims.json", &cl);
	char *assertion = read_vec("gcp", "jwt-assertion.txt", &al);
	char *input = read_vec("gcp", "jwt-signing-input.txt", &sl);
	jwt_key_t *k = load_key();
	char *out = NULL;
	df_detail_t d = {""};
	assert_int_equal(jwt_sign_rs256(k, header, hl, claims, cl, &out, &d), DF_OK);
	assert_string_equal(out, assertion);
	assert_memory_equal(out, input, sl);
	free(out);
	jwt_key_free(k);
	free(header);
	free(claims);
	free(assertion);
	free(input);
}

static void test_bad_keys(void **state)
{
	(void)state;
	jwt_key_t *k = NULL;
	df_detail_t d = {""};
	assert_int_equal(jwt_key_load(&k, "not a key", 9, &d), DF_EINVAL);
	assert_null(k);
	assert_string_equal(d.msg, "the private key is not a PEM RSA private key");
	assert_int_equal(jwt_key_load(&k, NULL, 0, &d), DF_EINVAL);
	size_t len;
	char *pub = read_vec("jwt-rs256-rfc7515-a2", "public-key.pem", &len);
	assert_int_equal(jwt_key_load(&k, pub, len, &d), DF_EINVAL); /* a public key */
	free(pub);
	jwt_key_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_rfc7515_a2),
		cmocka_unit_test(test_google_assertion),
		cmocka_unit_test(test_bad_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
