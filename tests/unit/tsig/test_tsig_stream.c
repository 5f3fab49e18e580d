/*
 * Verifying a signed multi-message answer (AXFR, RFC 8945 section 5.3.1):
 * the first message over the request's MAC with the full variables, each
 * later one over the previous MAC, the unsigned messages since, itself and
 * the timers only. The messages here are signed by the test itself, from
 * the RFC's description, with the key's own MAC algorithm; BIND and Knot
 * transfers are verified by tests/system/test_records_load.sh and
 * test_records_knot.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "src/common/error.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define NOW 1700000000ULL
#define ID  0x1234

static tsig_key_t key;

static int setup(void **state)
{
	(void)state;
	return tsig_key_init(&key, "xfr-key", "hmac-sha256",
			     "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==", NULL);
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + 6;
}

/* A response with one A record a.example. whose address ends in n. */
static size_t message(uint8_t *m, unsigned n)
{
	static const uint8_t hdr[] = {ID >> 8, ID & 0xff, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	static const uint8_t rr[] = {1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0,
				     1, 0,   1, 0,   0,	  0,   60,  0,	 4,   192, 0, 2};
	memcpy(m, hdr, sizeof(hdr));
	memcpy(m + sizeof(hdr), rr, sizeof(rr));
	m[sizeof(hdr) + sizeof(rr)] = (uint8_t)n;
	return sizeof(hdr) + sizeof(rr) + 1;
}

/*
 * Appends a TSIG RR to m[0..len): MAC over prior (2-byte size + MAC), the
 * messages in extra (unsigned ones since the last MAC), m itself and the
 * full variables (first) or the timers (later). The MAC goes to mac.
 */
static size_t sign(uint8_t *m, size_t len, const uint8_t *prior, size_t prior_len,
		   const uint8_t *extra, size_t extra_len, bool full, uint8_t *mac, size_t *mac_len)
{
	uint8_t dig[8192];
	uint8_t *p = dig;
	p = put16(p, (unsigned)prior_len);
	memcpy(p, prior, prior_len);
	p += prior_len;
	if (extra_len > 0) {
		memcpy(p, extra, extra_len);
		p += extra_len;
	}
	memcpy(p, m, len);
	p += len;
	if (full) {
		memcpy(p, key.wire, key.wire_len);
		p += key.wire_len;
		p = put16(p, 255);
		memset(p, 0, 4);
		p += 4;
		memcpy(p, key.alg->wire, key.alg->wire_len);
		p += key.alg->wire_len;
		p = put48(p, NOW);
		p = put16(p, 300);
		p = put16(p, 0);
		p = put16(p, 0);
	} else {
		p = put48(p, NOW);
		p = put16(p, 300);
	}
	assert_int_equal(key.alg->sign(&key, dig, (size_t)(p - dig), mac, mac_len), DF_OK);
	p = m + len;
	memcpy(p, key.wire, key.wire_len);
	p += key.wire_len;
	p = put16(p, 250);
	p = put16(p, 255);
	memset(p, 0, 4);
	p += 4;
	uint8_t *rdlen = p;
	p += 2;
	uint8_t *rd = p;
	memcpy(p, key.alg->wire, key.alg->wire_len);
	p += key.alg->wire_len;
	p = put48(p, NOW);
	p = put16(p, 300);
	p = put16(p, (unsigned)*mac_len);
	memcpy(p, mac, *mac_len);
	p += *mac_len;
	p = put16(p, ID);
	p = put16(p, 0);
	p = put16(p, 0);
	put16(rdlen, (unsigned)(p - rd));
	put16(m + 10, 1); /* ARCOUNT */
	return (size_t)(p - m);
}

static tsig_request_t request(void)
{
	uint8_t q[512] = {ID >> 8, ID & 0xff, 0,   0,	0,   1,	  0,   0, 0, 0,	  0, 0, 7,
			  'e',	   'x',	      'a', 'm', 'p', 'l', 'e', 0, 0, 252, 0, 1};
	size_t len = 12 + 9 + 4;
	tsig_request_t req;
	assert_int_equal(tsig_sign_request(&key, q, &len, sizeof(q), NOW, 300, &req), DF_OK);
	return req;
}

static void test_signed_stream(void **state)
{
	(void)state;
	tsig_request_t req = request();
	uint8_t m1[512], m2[512], m3[512], mac1[64], mac2[64], mac3[64];
	size_t l1, l2, l3, ml1, ml2, ml3;
	tsig_stream_t s;
	tsig_result_t res;

	l1 = sign(m1, message(m1, 1), req.mac, req.mac_len, NULL, 0, true, mac1, &ml1);
	l2 = sign(m2, message(m2, 2), mac1, ml1, NULL, 0, false, mac2, &ml2);
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, l2, NOW + 10, &res), DF_OK);
	assert_true(tsig_stream_complete(&s));
	tsig_stream_deinit(&s);

	/* an unsigned message in between is covered by the next MAC */
	size_t u = message(m2, 2);
	l3 = sign(m3, message(m3, 3), mac1, ml1, m2, u, false, mac3, &ml3);
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, u, NOW, &res), DF_OK);
	assert_false(tsig_stream_complete(&s)); /* may not end unsigned */
	assert_int_equal(tsig_stream_verify(&s, m3, l3, NOW, &res), DF_OK);
	assert_true(tsig_stream_complete(&s));
	tsig_stream_deinit(&s);

	/* the same, with the unsigned message altered on the way */
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	m2[u - 1] ^= 1;
	assert_int_equal(tsig_stream_verify(&s, m2, u, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m3, l3, NOW, &res), DF_ETSIG_BADMAC);
	tsig_stream_deinit(&s);
}

static void test_bad_streams(void **state)
{
	(void)state;
	tsig_request_t req = request();
	uint8_t m1[512], m2[512], mac1[64], mac2[64];
	size_t l1, l2, ml1, ml2;
	tsig_stream_t s;
	tsig_result_t res;
	l1 = sign(m1, message(m1, 1), req.mac, req.mac_len, NULL, 0, true, mac1, &ml1);

	/* a later message signed with the full variables, as if it were first */
	l2 = sign(m2, message(m2, 2), mac1, ml1, NULL, 0, true, mac2, &ml2);
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, l2, NOW, &res), DF_ETSIG_BADMAC);
	tsig_stream_deinit(&s);

	/* a later message altered after signing */
	l2 = sign(m2, message(m2, 2), mac1, ml1, NULL, 0, false, mac2, &ml2);
	m2[12 + 23] ^= 0x40;
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, l2, NOW, &res), DF_ETSIG_BADMAC);
	tsig_stream_deinit(&s);

	/* chained to another MAC (a message of another transfer) */
	l2 = sign(m2, message(m2, 2), req.mac, req.mac_len, NULL, 0, false, mac2, &ml2);
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, l2, NOW, &res), DF_ETSIG_BADMAC);
	tsig_stream_deinit(&s);

	/* the first message must be signed */
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m2, message(m2, 2), NOW, &res), DF_ETSIG_MISSING);
	tsig_stream_deinit(&s);

	/* at most 99 unsigned messages in a row */
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	size_t u = message(m2, 2);
	for (int i = 0; i < 99; i++) {
		assert_int_equal(tsig_stream_verify(&s, m2, u, NOW, &res), DF_OK);
	}
	assert_int_not_equal(tsig_stream_verify(&s, m2, u, NOW, &res), DF_OK);
	tsig_stream_deinit(&s);

	/* a later message outside the time window */
	l2 = sign(m2, message(m2, 2), mac1, ml1, NULL, 0, false, mac2, &ml2);
	tsig_stream_init(&s, &key, &req);
	assert_int_equal(tsig_stream_verify(&s, m1, l1, NOW, &res), DF_OK);
	assert_int_equal(tsig_stream_verify(&s, m2, l2, NOW + 301, &res), DF_ETSIG_BADTIME);
	tsig_stream_deinit(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_stream),
		cmocka_unit_test(test_bad_streams),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
