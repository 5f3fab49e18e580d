/*
 * TKEY messages (gss/tkey.c): the query's exact layout, answers as BIND
 * sends them (TKEY in ANSWER, a TSIG after it), old-style answers (TKEY in
 * ADDITIONAL), error answers, and every truncation and mismatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gss/tkey.h"
#include "src/common/error.h"

#define KEY "2925879720.sig-ns1.example.test."
/* KEY in wire form: 10 + 1, 7 + 1, 7 + 1, 4 + 1, 1 = 33 bytes */
static const uint8_t key_wire[] = "\x0a"
				  "2925879720\x07sig-ns1\x07"
				  "example\x04test";
#define KEY_WIRE_LEN 33

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v >> 16);
	return put16(p, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static const uint8_t token[] = {0x60, 0x82, 0x01, 0x02, 0xa1, 0xb2, 0xc3};
static const uint8_t srv_token[] = {0xa1, 0x81, 0xb7, 0x30, 0x81, 0xb4};

/*
 * Builds an answer: header (flags), question (owner_q, may be NULL for
 * none), then a TKEY RR owned by owner (in ANSWER unless in_additional),
 * then a fake TSIG RR in ADDITIONAL. Owner names of the TKEY RR are written
 * as a compression pointer to the question when compress is set.
 */
typedef struct ans_opts {
	uint16_t id;
	uint16_t flags;
	bool question;
	bool in_additional;
	bool compress;
	bool with_tsig;
	const uint8_t *owner; /* wire, NULL: the key */
	size_t owner_len;
	uint16_t error;
	uint16_t mode;
	const uint8_t *alg;
	size_t alg_len;
} ans_opts_t;

static size_t build_answer(uint8_t *buf, const ans_opts_t *o)
{
	uint8_t *p = buf;
	const uint8_t *owner = o->owner != NULL ? o->owner : key_wire;
	size_t owner_len = o->owner != NULL ? o->owner_len : KEY_WIRE_LEN;
	p = put16(p, o->id);
	p = put16(p, o->flags);
	p = put16(p, o->question ? 1 : 0);
	p = put16(p, o->in_additional ? 0 : 1);
	p = put16(p, 0);
	p = put16(p, (o->in_additional ? 1 : 0) + (o->with_tsig ? 1 : 0));
	if (o->question) {
		memcpy(p, key_wire, KEY_WIRE_LEN);
		p += KEY_WIRE_LEN;
		p = put16(p, 249);
		p = put16(p, 255);
	}
	if (o->compress && o->question) {
		p = put16(p, 0xc000 | 12);
	} else {
		memcpy(p, owner, owner_len);
		p += owner_len;
	}
	p = put16(p, 249);
	p = put16(p, 255);
	p = put32(p, 0);
	const uint8_t *alg = o->alg != NULL ? o->alg : (const uint8_t *)"\x08gss-tsig";
	size_t alg_len = o->alg != NULL ? o->alg_len : 10;
	size_t rdlen = alg_len + 16 + sizeof(srv_token);
	p = put16(p, (unsigned)rdlen);
	memcpy(p, alg, alg_len);
	p += alg_len;
	p = put32(p, 1795327625);
	p = put32(p, 1795327625 + 3600);
	p = put16(p, o->mode);
	p = put16(p, o->error);
	p = put16(p, sizeof(srv_token));
	memcpy(p, srv_token, sizeof(srv_token));
	p += sizeof(srv_token);
	p = put16(p, 0);
	if (o->with_tsig) {
		memcpy(p, key_wire, KEY_WIRE_LEN);
		p += KEY_WIRE_LEN;
		p = put16(p, 250);
		p = put16(p, 255);
		p = put32(p, 0);
		p = put16(p, 10 + 6 + 2 + 2 + 4 + 2 + 2 + 2);
		memcpy(p, "\x08gss-tsig", 10);
		p += 10;
		memset(p, 0, 6);
		p[5] = 1;
		p += 6;
		p = put16(p, 300);
		p = put16(p, 4);
		memcpy(p, "\x04\x04\x05\xff", 4);
		p += 4;
		p = put16(p, o->id);
		p = put16(p, 0);
		p = put16(p, 0);
	}
	return (size_t)(p - buf);
}

static ans_opts_t good_opts(void)
{
	ans_opts_t o;
	memset(&o, 0, sizeof(o));
	o.id = 0x1234;
	o.flags = 0x8000;
	o.question = true;
	o.compress = true;
	o.with_tsig = true;
	o.mode = 3;
	return o;
}

static void test_build_query_layout(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = 0;
	assert_int_equal(tkey_build_query(buf, sizeof(buf), &len, 0xbeef,
					  "2925879720.SIG-ns1.example.test", NULL, 0, token,
					  sizeof(token), 1795327625),
			 DF_OK);
	size_t rdlen = 10 + 4 + 4 + 2 + 2 + 2 + sizeof(token) + 2;
	assert_int_equal(len, 12 + KEY_WIRE_LEN + 4 + KEY_WIRE_LEN + 10 + rdlen);
	/* header: ID, flags 0 (QUERY, RD clear), QD 1, AN 0, NS 0, AR 1 */
	static const uint8_t hdr[] = {0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
	assert_memory_equal(buf, hdr, 12);
	/* question: key name (lower case), TKEY, ANY */
	const uint8_t *p = buf + 12;
	assert_memory_equal(p, key_wire, KEY_WIRE_LEN);
	p += KEY_WIRE_LEN;
	assert_int_equal(get16(p), 249);
	assert_int_equal(get16(p + 2), 255);
	p += 4;
	/* the TKEY RR: same owner uncompressed, TKEY, ANY, TTL 0 */
	assert_memory_equal(p, key_wire, KEY_WIRE_LEN);
	p += KEY_WIRE_LEN;
	assert_int_equal(get16(p), 249);
	assert_int_equal(get16(p + 2), 255);
	assert_int_equal(get32(p + 4), 0);
	assert_int_equal(get16(p + 8), rdlen);
	p += 10;
	assert_memory_equal(p, "\x08gss-tsig\x00", 10);
	p += 10;
	assert_int_equal(get32(p), 1795327625);	    /* inception */
	assert_int_equal(get32(p + 4), 1795327625); /* expiration */
	assert_int_equal(get16(p + 8), 3);	    /* mode GSS-API */
	assert_int_equal(get16(p + 10), 0);	    /* error */
	assert_int_equal(get16(p + 12), sizeof(token));
	p += 14;
	assert_memory_equal(p, token, sizeof(token));
	p += sizeof(token);
	assert_int_equal(get16(p), 0); /* other size */
	assert_ptr_equal(p + 2, buf + len);
}

static void test_build_query_errors(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = 0;
	size_t need = 12 + KEY_WIRE_LEN + 4 + KEY_WIRE_LEN + 10 + 26 + sizeof(token);
	assert_int_equal(
		tkey_build_query(buf, need - 1, &len, 1, KEY, NULL, 0, token, sizeof(token), 1),
		DF_ENOSPACE);
	assert_int_equal(
		tkey_build_query(buf, need, &len, 1, KEY, NULL, 0, token, sizeof(token), 1), DF_OK);
	assert_int_equal(len, need);
	assert_int_equal(tkey_build_query(NULL, need, &len, 1, KEY, NULL, 0, token, 1, 1),
			 DF_EINVAL);
	assert_int_equal(tkey_build_query(buf, need, NULL, 1, KEY, NULL, 0, token, 1, 1),
			 DF_EINVAL);
	assert_int_equal(tkey_build_query(buf, need, &len, 1, NULL, NULL, 0, token, 1, 1),
			 DF_EINVAL);
	assert_int_equal(tkey_build_query(buf, need, &len, 1, "", NULL, 0, token, 1, 1), DF_EINVAL);
	assert_int_equal(tkey_build_query(buf, need, &len, 1, "a..b", NULL, 0, token, 1, 1),
			 DF_EINVAL);
	assert_int_equal(tkey_build_query(buf, need, &len, 1, KEY, NULL, 0, NULL, 1, 1), DF_EINVAL);
	/* gss.microsoft.com for old Windows servers; anything else is refused */
	static const uint8_t ms[] = "\x03gss\x09microsoft\x03"
				    "com";
	size_t gss_len = 0;
	assert_int_equal(tkey_build_query(buf, sizeof(buf), &gss_len, 1, KEY, NULL, 0, token, 1, 1),
			 DF_OK);
	assert_int_equal(
		tkey_build_query(buf, sizeof(buf), &len, 1, KEY, ms, sizeof(ms), token, 1, 1),
		DF_OK);
	assert_int_equal(len, gss_len + sizeof(ms) - 10);
	assert_non_null(memmem(buf, len, ms, sizeof(ms)));
	static const uint8_t hmac[] = "\x0bhmac-sha256";
	assert_int_equal(
		tkey_build_query(buf, sizeof(buf), &len, 1, KEY, hmac, sizeof(hmac), token, 1, 1),
		DF_EINVAL);
	/* an empty token is allowed (no output from the mechanism) */
	assert_int_equal(tkey_build_query(buf, sizeof(buf), &len, 1, KEY, NULL, 0, NULL, 0, 1),
			 DF_OK);
	/* a token too large for one RDATA */
	static uint8_t big[65535];
	uint8_t *out = malloc(70000);
	assert_non_null(out);
	assert_int_equal(tkey_build_query(out, 70000, &len, 1, KEY, NULL, 0, big, sizeof(big), 1),
			 DF_ENOSPACE);
	free(out);
	/* a 64-byte label is refused */
	char longlabel[80];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test.");
	assert_int_equal(
		tkey_build_query(buf, sizeof(buf), &len, 1, longlabel, NULL, 0, token, 1, 1),
		DF_EINVAL);
}

/* A query we built parses as the answer shape it is not: QR clear. */
static void test_query_is_not_an_answer(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = 0;
	tkey_answer_t a;
	assert_int_equal(
		tkey_build_query(buf, sizeof(buf), &len, 7, KEY, NULL, 0, token, sizeof(token), 9),
		DF_OK);
	assert_int_equal(tkey_parse_answer(buf, len, 7, KEY, &a), DF_EMISMATCH);
	/* with QR set, the TKEY in ADDITIONAL is found (old-server shape) */
	buf[2] |= 0x80;
	assert_int_equal(tkey_parse_answer(buf, len, 7, KEY, &a), DF_OK);
	assert_false(a.in_answer);
	assert_int_equal(a.mode, 3);
	assert_int_equal(a.inception, 9);
	assert_int_equal(a.token_len, sizeof(token));
	assert_memory_equal(a.token, token, sizeof(token));
}

static void test_parse_success(void **state)
{
	(void)state;
	uint8_t buf[512];
	ans_opts_t o = good_opts();
	size_t len = build_answer(buf, &o);
	tkey_answer_t a;
	memset(&a, 0xaa, sizeof(a));
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	assert_int_equal(a.rcode, 0);
	assert_true(a.in_answer);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.mode, 3);
	assert_int_equal(a.inception, 1795327625);
	assert_int_equal(a.expiration, 1795327625 + 3600);
	assert_int_equal(a.token_len, sizeof(srv_token));
	assert_memory_equal(a.token, srv_token, sizeof(srv_token));
	assert_true(a.token >= buf && a.token + a.token_len <= buf + len);
	/* key name without the trailing dot and in another case */
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, "2925879720.SIG-NS1.example.test", &a),
			 DF_OK);

	/* uncompressed owner, no TSIG, no question */
	o.compress = false;
	o.with_tsig = false;
	o.question = false;
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	assert_true(a.in_answer);

	/* TKEY in ADDITIONAL for old servers, TSIG after it */
	o = good_opts();
	o.in_additional = true;
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	assert_false(a.in_answer);
	assert_int_equal(a.token_len, sizeof(srv_token));

	/* the Windows 2000 algorithm name is accepted */
	o = good_opts();
	o.alg = (const uint8_t *)"\x03gss\x09microsoft\x03"
				 "com";
	o.alg_len = 19;
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	/* another algorithm is not */
	o.alg = (const uint8_t *)"\x0bhmac-sha256";
	o.alg_len = 13;
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_EALG);
}

static void test_parse_errors_are_outcomes(void **state)
{
	(void)state;
	uint8_t buf[512];
	tkey_answer_t a;
	/* BADKEY in the TKEY error field, RCODE NOERROR: a successful parse */
	ans_opts_t o = good_opts();
	o.error = 17;
	size_t len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	assert_int_equal(a.error, 17);
	assert_int_equal(a.rcode, 0);

	/* NOTAUTH (9) with the TKEY echoed */
	o = good_opts();
	o.flags = 0x8000 | 9;
	o.error = 16;
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_OK);
	assert_int_equal(a.rcode, 9);
	assert_int_equal(a.error, 16);

	/* REFUSED with the question only: no TKEY, rcode still reported */
	uint8_t refused[12 + KEY_WIRE_LEN + 4];
	uint8_t *p = refused;
	p = put16(p, 0x1234);
	p = put16(p, 0x8005);
	p = put16(p, 1);
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, 0);
	memcpy(p, key_wire, KEY_WIRE_LEN);
	p += KEY_WIRE_LEN;
	p = put16(p, 249);
	put16(p, 255);
	memset(&a, 0, sizeof(a));
	assert_int_equal(tkey_parse_answer(refused, sizeof(refused), 0x1234, KEY, &a), DF_ENOENT);
	assert_int_equal(a.rcode, 5);
}

static void test_parse_mismatch(void **state)
{
	(void)state;
	uint8_t buf[512];
	tkey_answer_t a;
	ans_opts_t o = good_opts();
	size_t len = build_answer(buf, &o);
	/* wrong ID */
	assert_int_equal(tkey_parse_answer(buf, len, 0x1235, KEY, &a), DF_EMISMATCH);
	/* wrong key name: the question differs */
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, "1.sig-ns1.example.test.", &a),
			 DF_EMISMATCH);
	/* wrong owner of the TKEY RR with the right question */
	static const uint8_t other[] = "\x01"
				       "1\x07sig-ns1\x07"
				       "example\x04test";
	o.compress = false;
	o.owner = other;
	o.owner_len = sizeof(other);
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_EMISMATCH);
	/* opcode not QUERY */
	o = good_opts();
	o.flags = 0x8000 | (5 << 11);
	len = build_answer(buf, &o);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_EMISMATCH);
	/* question of another type */
	o = good_opts();
	len = build_answer(buf, &o);
	buf[12 + KEY_WIRE_LEN + 1] = 250;
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, &a), DF_EMISMATCH);
	/* argument checks */
	assert_int_equal(tkey_parse_answer(NULL, len, 0x1234, KEY, &a), DF_EINVAL);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, NULL, &a), DF_EINVAL);
	assert_int_equal(tkey_parse_answer(buf, len, 0x1234, KEY, NULL), DF_EINVAL);
}

/* Every prefix of a good answer is an error, never a crash (ASan watches
 * the reads: each prefix is copied to a buffer of exactly its length). */
static void test_parse_truncated(void **state)
{
	(void)state;
	uint8_t buf[512];
	ans_opts_t o = good_opts();
	size_t len = build_answer(buf, &o);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, buf, n);
		tkey_answer_t a;
		int ret = tkey_parse_answer(copy, n, 0x1234, KEY, &a);
		assert_int_not_equal(ret, DF_OK);
		free(copy);
	}
	/* one byte too many */
	buf[len] = 0;
	tkey_answer_t a;
	assert_int_equal(tkey_parse_answer(buf, len + 1, 0x1234, KEY, &a), DF_EMALFORMED);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	uint8_t buf[512];
	tkey_answer_t a;
	ans_opts_t o = good_opts();
	size_t len = build_answer(buf, &o);
	size_t rr = 12 + KEY_WIRE_LEN + 4; /* the TKEY RR, owner a 2-byte pointer */
	size_t rdata = rr + 2 + 10;

	/* a compression pointer forward (loop) in the owner */
	uint8_t copy[512];
	memcpy(copy, buf, len);
	put16(copy + rr, 0xc000 | (unsigned)rr);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* key size beyond the RDATA */
	memcpy(copy, buf, len);
	put16(copy + rdata + 10 + 12, 200);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* key size one short: other size no longer ends the RDATA */
	memcpy(copy, buf, len);
	put16(copy + rdata + 10 + 12, sizeof(srv_token) - 1);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* RDLENGTH past the message */
	memcpy(copy, buf, len);
	put16(copy + rr + 2 + 8, 0xffff);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* RDLENGTH too short for the fixed fields */
	memcpy(copy, buf, len);
	put16(copy + rr + 2 + 8, 12);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* two questions */
	memcpy(copy, buf, len);
	put16(copy + 4, 2);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* more answers announced than present */
	memcpy(copy, buf, len);
	put16(copy + 6, 3);
	assert_int_equal(tkey_parse_answer(copy, len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* two TKEY RRs in ANSWER */
	ans_opts_t t = good_opts();
	t.with_tsig = false;
	size_t l1 = build_answer(copy, &t);
	size_t rr_len = l1 - rr;
	memcpy(copy + l1, copy + rr, rr_len);
	put16(copy + 6, 2);
	assert_int_equal(tkey_parse_answer(copy, l1 + rr_len, 0x1234, KEY, &a), DF_EMALFORMED);
	/* every single-byte corruption: no crash (results vary) */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0xff;
		(void)tkey_parse_answer(copy, len, 0x1234, KEY, &a);
	}
}

static void test_key_names(void **state)
{
	(void)state;
	char a[TKEY_KEY_NAME_MAX];
	char b[TKEY_KEY_NAME_MAX];
	tkey_key_name(a, sizeof(a), "ns1.example.test");
	tkey_key_name(b, sizeof(b), "ns1.example.test.");
	const char *suffix = ".sig-ns1.example.test.";
	for (int k = 0; k < 2; k++) {
		const char *n = k == 0 ? a : b;
		const char *dot = strchr(n, '.');
		assert_non_null(dot);
		assert_string_equal(dot, suffix);
		assert_true(dot > n && dot - n <= 10);
		for (const char *c = n; c < dot; c++) {
			assert_true(*c >= '0' && *c <= '9');
		}
		char *end;
		unsigned long v = strtoul(n, &end, 10);
		assert_ptr_equal(end, dot);
		assert_true(v <= 0xffffffffUL);
		/* the name builds a query */
		uint8_t buf[512];
		size_t len;
		assert_int_equal(
			tkey_build_query(buf, sizeof(buf), &len, 1, n, NULL, 0, NULL, 0, 0), DF_OK);
	}
	/* unique: 64 names, no repeats (2^-22 chance of a false failure) */
	static char names[64][TKEY_KEY_NAME_MAX];
	for (int i = 0; i < 64; i++) {
		tkey_key_name(names[i], sizeof(names[i]), "dc1.ad.example");
		assert_true(names[i][0] != '\0');
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(names[i], names[j]);
		}
	}
	/* too small a buffer, a bad server, a name over 255 bytes: empty */
	char small[16];
	tkey_key_name(small, sizeof(small), "ns1.example.test");
	assert_string_equal(small, "");
	tkey_key_name(a, sizeof(a), "");
	assert_string_equal(a, "");
	tkey_key_name(a, sizeof(a), NULL);
	assert_string_equal(a, "");
	tkey_key_name(a, sizeof(a), "bad..name");
	assert_string_equal(a, "");
	char longname[300];
	memset(longname, 0, sizeof(longname));
	for (int i = 0; i < 4; i++) {
		memset(longname + i * 61, 'x', 60);
		longname[i * 61 + 60] = '.';
	}
	tkey_key_name(a, sizeof(a), longname); /* 244 + "sig-" + number: over 255 */
	assert_string_equal(a, "");
	tkey_key_name(NULL, 10, "x"); /* no crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_query_layout),
		cmocka_unit_test(test_build_query_errors),
		cmocka_unit_test(test_query_is_not_an_answer),
		cmocka_unit_test(test_parse_success),
		cmocka_unit_test(test_parse_errors_are_outcomes),
		cmocka_unit_test(test_parse_mismatch),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_key_names),
	};
	return cmocka_run_group_tests_name("tkey", tests, NULL, NULL);
}
