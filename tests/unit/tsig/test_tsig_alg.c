/*
 * The TSIG algorithm table against the published HMAC test vectors
 * (RFC 2202 for MD5 and SHA-1, RFC 4231 for SHA-2), through the table's own
 * sign/verify entries, plus the name lookups key files and answers rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/common/error.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"

/* Key or data: a literal, or one byte repeated (the RFCs' 0xaa x 131). */
typedef struct bytes_spec {
	const char *lit;
	size_t len;
	int fill;
} bytes_spec_t;

#define LIT(s)                       \
	{                            \
		s, sizeof(s) - 1, -1 \
	}
#define REP(b, n)          \
	{                  \
		NULL, n, b \
	}

typedef struct vector {
	const char *alg;
	const char *what;
	bytes_spec_t key;
	bytes_spec_t data;
	const char *mac_hex;
} vector_t;

/* RFC 2202 section 2 and 3, RFC 4231 section 4; case 5 (truncated output)
 * is left out on purpose: TSIG never truncates. */
static const vector_t vectors[] = {
	{"hmac-md5", "RFC 2202 case 1", REP(0x0b, 16), LIT("Hi There"),
	 "9294727a3638bb1c13f48ef8158bfc9d"},
	{"hmac-md5", "RFC 2202 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "750c783e6ab0b503eaa86e310a5db738"},
	{"hmac-md5", "RFC 2202 case 3", REP(0xaa, 16), REP(0xdd, 50),
	 "56be34521d144c88dbb8c733f0e8b3f6"},
	{"hmac-md5", "RFC 2202 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50), "697eaf0aca3a3aea3a75164746ffaa79"},
	{"hmac-md5", "RFC 2202 case 6", REP(0xaa, 80),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
	{"hmac-md5", "RFC 2202 case 7", REP(0xaa, 80),
	 LIT("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
	 "6f630fad67cda0ee1fb1f562db3aa53e"},
	{"hmac-sha1", "RFC 2202 case 1", REP(0x0b, 20), LIT("Hi There"),
	 "b617318655057264e28bc0b6fb378c8ef146be00"},
	{"hmac-sha1", "RFC 2202 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	{"hmac-sha1", "RFC 2202 case 3", REP(0xaa, 20), REP(0xdd, 50),
	 "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
	{"hmac-sha1", "RFC 2202 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
	{"hmac-sha1", "RFC 2202 case 6", REP(0xaa, 80),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
	{"hmac-sha1", "RFC 2202 case 7", REP(0xaa, 80),
	 LIT("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
	 "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
	{"hmac-sha224", "RFC 4231 case 1", REP(0x0b, 20), LIT("Hi There"),
	 "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"},
	{"hmac-sha224", "RFC 4231 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"},
	{"hmac-sha224", "RFC 4231 case 3", REP(0xaa, 20), REP(0xdd, 50),
	 "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea"},
	{"hmac-sha224", "RFC 4231 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50), "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a"},
	{"hmac-sha224", "RFC 4231 case 6", REP(0xaa, 131),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e"},
	{"hmac-sha224", "RFC 4231 case 7", REP(0xaa, 131),
	 LIT("This is a test using a larger than block-size key and a larger than block-size data. "
	     "The key needs to be hashed before being used by the HMAC algorithm."),
	 "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1"},
	{"hmac-sha256", "RFC 4231 case 1", REP(0x0b, 20), LIT("Hi There"),
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"hmac-sha256", "RFC 4231 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"hmac-sha256", "RFC 4231 case 3", REP(0xaa, 20), REP(0xdd, 50),
	 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"hmac-sha256", "RFC 4231 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{"hmac-sha256", "RFC 4231 case 6", REP(0xaa, 131),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{"hmac-sha256", "RFC 4231 case 7", REP(0xaa, 131),
	 LIT("This is a test using a larger than block-size key and a larger than block-size data. "
	     "The key needs to be hashed before being used by the HMAC algorithm."),
	 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	{"hmac-sha384", "RFC 4231 case 1", REP(0x0b, 20), LIT("Hi There"),
	 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b"
	 "2fa9cb6"},
	{"hmac-sha384", "RFC 4231 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecf"
	 "ab21649"},
	{"hmac-sha384", "RFC 4231 case 3", REP(0xaa, 20), REP(0xdd, 50),
	 "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e10"
	 "1a34f27"},
	{"hmac-sha384", "RFC 4231 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50),
	 "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c"
	 "674cffb"},
	{"hmac-sha384", "RFC 4231 case 6", REP(0xaa, 131),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df16"
	 "3f44952"},
	{"hmac-sha384", "RFC 4231 case 7", REP(0xaa, 131),
	 LIT("This is a test using a larger than block-size key and a larger than block-size data. "
	     "The key needs to be hashed before being used by the HMAC algorithm."),
	 "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110"
	 "c46523e"},
	{"hmac-sha512", "RFC 4231 case 1", REP(0x0b, 20), LIT("Hi There"),
	 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274ea"
	 "ea3f4e4be9d914eeb61f1702e696c203a126854"},
	{"hmac-sha512", "RFC 4231 case 2", LIT("Jefe"), LIT("what do ya want for nothing?"),
	 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f"
	 "8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	{"hmac-sha512", "RFC 4231 case 3", REP(0xaa, 20), REP(0xdd, 50),
	 "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47"
	 "e67c807b946a337bee8942674278859e13292fb"},
	{"hmac-sha512", "RFC 4231 case 4",
	 LIT("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	     "\x16\x17\x18\x19"),
	 REP(0xcd, 50),
	 "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc"
	 "5788063a5f19741120c4f2de2adebeb10a298dd"},
	{"hmac-sha512", "RFC 4231 case 6", REP(0xaa, 131),
	 LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
	 "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215"
	 "d6a1e5295e64f73f63f0aec8b915a985d786598"},
	{"hmac-sha512", "RFC 4231 case 7", REP(0xaa, 131),
	 LIT("This is a test using a larger than block-size key and a larger than block-size data. "
	     "The key needs to be hashed before being used by the HMAC algorithm."),
	 "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c"
	 "3e4de15134676fb6de0446065c97440fa8c6a58"},
};

#define VECTOR_COUNT (sizeof(vectors) / sizeof(vectors[0]))

static void fill(const bytes_spec_t *spec, uint8_t *out)
{
	if (spec->lit != NULL) {
		memcpy(out, spec->lit, spec->len);
	} else {
		memset(out, spec->fill, spec->len);
	}
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* A key carrying raw secret bytes, as tsig_key_init() would leave it. */
static void make_key(tsig_key_t *key, const tsig_alg_t *alg, const bytes_spec_t *secret)
{
	memset(key, 0, sizeof(*key));
	key->alg = alg;
	assert_true(secret->len <= sizeof(key->secret));
	fill(secret, key->secret);
	key->secret_len = secret->len;
}

static void test_vector(void **state)
{
	const vector_t *v = *state;
	const tsig_alg_t *alg = tsig_alg_by_name(v->alg);
	assert_non_null(alg);

	tsig_key_t key;
	make_key(&key, alg, &v->key);
	uint8_t data[256];
	assert_true(v->data.len <= sizeof(data));
	fill(&v->data, data);
	uint8_t expect[TSIG_MAX_DIGEST];
	size_t expect_len = unhex(v->mac_hex, expect, sizeof(expect));

	uint8_t mac[TSIG_MAX_DIGEST];
	size_t mac_len = 0;
	assert_int_equal(alg->sign(&key, data, v->data.len, mac, &mac_len), DF_OK);
	assert_int_equal(mac_len, expect_len);
	assert_int_equal(mac_len, alg->mac_size);
	assert_memory_equal(mac, expect, expect_len);
	assert_int_equal(alg->verify(&key, data, v->data.len, expect, expect_len), DF_OK);

	/* One flipped bit anywhere must fail: the compare covers every byte. */
	for (size_t i = 0; i < expect_len; i++) {
		expect[i] ^= 0x01;
		assert_int_equal(alg->verify(&key, data, v->data.len, expect, expect_len),
				 DF_ETSIG_BADMAC);
		expect[i] ^= 0x01;
	}
	/* Changed data or key must fail too. */
	data[0] ^= 0x80;
	assert_int_equal(alg->verify(&key, data, v->data.len, expect, expect_len), DF_ETSIG_BADMAC);
	data[0] ^= 0x80;
	key.secret[0] ^= 0x80;
	assert_int_equal(alg->verify(&key, data, v->data.len, expect, expect_len), DF_ETSIG_BADMAC);
	tsig_key_deinit(&key);
}

/* RFC 8945 5.2.2.1 allows truncated MACs; we never accept them (dns-update.md 2.5). */
static void test_truncated_mac_rejected(void **state)
{
	(void)state;
	static const char *const names[] = {"hmac-md5",	   "hmac-sha1",	  "hmac-sha224",
					    "hmac-sha256", "hmac-sha384", "hmac-sha512"};
	static const uint8_t data[] = "truncate me";
	bytes_spec_t secret = LIT("0123456789abcdef");

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		const tsig_alg_t *alg = tsig_alg_by_name(names[n]);
		assert_non_null(alg);
		tsig_key_t key;
		make_key(&key, alg, &secret);
		uint8_t mac[TSIG_MAX_DIGEST + 1] = {0};
		size_t mac_len = 0;
		assert_int_equal(alg->sign(&key, data, sizeof(data), mac, &mac_len), DF_OK);
		assert_int_equal(alg->verify(&key, data, sizeof(data), mac, mac_len), DF_OK);
		/* Every prefix, including the 10-byte and half-length truncations
		 * RFC 8945 would permit, and the empty MAC. */
		for (size_t len = 0; len < mac_len; len++) {
			assert_int_equal(alg->verify(&key, data, sizeof(data), mac, len),
					 DF_ETSIG_BADMAC);
		}
		/* A correct MAC with a byte appended is not the full digest either. */
		assert_int_equal(alg->verify(&key, data, sizeof(data), mac, mac_len + 1),
				 DF_ETSIG_BADMAC);
		assert_int_equal(alg->verify(&key, data, sizeof(data), NULL, 0), DF_ETSIG_BADMAC);
		tsig_key_deinit(&key);
	}
}

static void test_lookup_by_name(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *canonical;
	} ok[] = {
		{"hmac-md5", "hmac-md5"},
		{"hmac-md5.", "hmac-md5"},
		{"HMAC-MD5", "hmac-md5"},
		{"hmac-md5.sig-alg.reg.int", "hmac-md5"},
		{"hmac-md5.sig-alg.reg.int.", "hmac-md5"},
		{"HMAC-MD5.SIG-ALG.REG.INT.", "hmac-md5"},
		{"hmac-sha1", "hmac-sha1"},
		{"hmac-sha224.", "hmac-sha224"},
		{"hmac-sha256", "hmac-sha256"},
		{"Hmac-Sha256.", "hmac-sha256"},
		{"hmac-sha384", "hmac-sha384"},
		{"hmac-sha512.", "hmac-sha512"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const tsig_alg_t *alg = tsig_alg_by_name(ok[i].name);
		assert_non_null(alg);
		assert_string_equal(alg->name, ok[i].canonical);
	}
	static const char *const bad[] = {
		"",
		".",
		"hmac-sha256..",
		"hmac-sha3",
		"sha256",
		"hmac-sha256-128",
		"hmac-md5.sig-alg",
		"gss-tsig",
		"hmac-sha25",
		" hmac-sha256",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(tsig_alg_by_name(bad[i]));
	}
	assert_null(tsig_alg_by_name(NULL));
}

static void test_lookup_by_wire(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		size_t len;
		const char *name;
	} ok[] = {
		{"\x08hmac-md5\x07sig-alg\x03reg\x03int", 26, "hmac-md5"},
		{"\x08HMAC-MD5\x07SIG-ALG\x03REG\x03INT", 26, "hmac-md5"},
		{"\x09hmac-sha1", 11, "hmac-sha1"},
		{"\x0bhmac-sha224", 13, "hmac-sha224"},
		{"\x0bhmac-sha256", 13, "hmac-sha256"},
		{"\x0bHmAc-ShA256", 13, "hmac-sha256"},
		{"\x0bhmac-sha384", 13, "hmac-sha384"},
		{"\x0bhmac-sha512", 13, "hmac-sha512"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const tsig_alg_t *alg = tsig_alg_by_wire((const uint8_t *)ok[i].wire, ok[i].len);
		assert_non_null(alg);
		assert_string_equal(alg->name, ok[i].name);
		/* And the table's wire form is exactly the lower-case one. */
		assert_int_equal(alg->wire_len, ok[i].len);
	}
	/* Short hmac-md5., missing root label, or one byte too many. */
	assert_null(tsig_alg_by_wire((const uint8_t *)"\x08hmac-md5", 10));
	assert_null(tsig_alg_by_wire((const uint8_t *)"\x0bhmac-sha256", 12));
	assert_null(tsig_alg_by_wire((const uint8_t *)"\x0bhmac-sha256\0", 14));
	assert_null(tsig_alg_by_wire((const uint8_t *)"\x08gss-tsig", 10));
	assert_null(tsig_alg_by_wire(NULL, 0));
}

/* The table is what every other module trusts: check its invariants. */
static void test_table_consistent(void **state)
{
	(void)state;
	static const char *const names[] = {"hmac-md5",	   "hmac-sha1",	  "hmac-sha224",
					    "hmac-sha256", "hmac-sha384", "hmac-sha512"};
	static const size_t sizes[] = {16, 20, 28, 32, 48, 64};
	const char *list = tsig_alg_list();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const tsig_alg_t *alg = tsig_alg_by_name(names[i]);
		assert_non_null(alg);
		assert_int_equal(alg->mac_size, sizes[i]);
		assert_int_equal(alg->mac_max, sizes[i]);
		assert_true(alg->mac_max <= TSIG_MAX_DIGEST);
		assert_ptr_equal(tsig_alg_by_wire(alg->wire, alg->wire_len), alg);
		assert_int_equal(alg->wire[alg->wire_len - 1], 0);
		assert_non_null(strstr(list, names[i]));
	}
}

int main(void)
{
	struct CMUnitTest tests[VECTOR_COUNT + 4];
	size_t n = 0;
	static char names[VECTOR_COUNT][64];

	for (size_t i = 0; i < VECTOR_COUNT; i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s", vectors[i].alg, vectors[i].what);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_vector,
									(void *)&vectors[i]);
		tests[n++].name = names[i];
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_truncated_mac_rejected);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_lookup_by_name);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_lookup_by_wire);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_table_consistent);
	return _cmocka_run_group_tests("tsig_alg", tests, n, NULL, NULL);
}
