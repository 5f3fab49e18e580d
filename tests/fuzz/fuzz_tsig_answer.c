/*
 * Fuzz target for the TSIG verifier: any bytes as an answer to one of the
 * captured BIND requests (chosen by the message ID, so that the seed corpus
 * reaches past the MAC check), and as a signed request. Nothing may crash,
 * and a DF_OK must be consistent with the bytes it came from.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

/* tests/fuzz/corpus/fuzz_tsig_answer/ holds BIND's answers to these
 * requests (tests/vectors/tsig/tsig-bind918.json). */
static const struct {
	uint16_t id;
	uint8_t mac[32];
} requests[] = {
	{0xbc41, {0xdf, 0xf9, 0x3c, 0x1a, 0x70, 0x55, 0x61, 0xf3, 0xc4, 0xde, 0x94,
		  0x36, 0x87, 0x93, 0x34, 0x52, 0x54, 0x47, 0x5f, 0x85, 0xd5, 0x04,
		  0xcf, 0x71, 0x32, 0x8c, 0x77, 0xf8, 0x66, 0xa8, 0x24, 0xe8}},
	{0x59ef, {0x18, 0x39, 0x76, 0x80, 0x8b, 0xb6, 0x68, 0x32, 0xcf, 0x67, 0xc2,
		  0xab, 0xf4, 0x85, 0x22, 0xf5, 0xad, 0xf3, 0x29, 0xb2, 0x28, 0xf9,
		  0xe3, 0x09, 0x1a, 0x06, 0xbf, 0x54, 0x3c, 0x13, 0x4e, 0x00}},
	{0x8cd3, {0x48, 0x55, 0x8b, 0x84, 0xe5, 0x00, 0xc4, 0x40, 0x41, 0x40, 0xac,
		  0x7d, 0x34, 0x24, 0x4b, 0xf7, 0x6e, 0xdb, 0xad, 0xf8, 0xad, 0x3a,
		  0x50, 0xf6, 0x0b, 0x7b, 0x40, 0x45, 0xc1, 0x71, 0x17, 0x89}},
	{0x80a1, {0}},
	{0x953a, {0x0e, 0xd1, 0xd4, 0xfb, 0xbf, 0xea, 0x92, 0xff, 0x7e, 0x46, 0x16,
		  0xfc, 0x8f, 0xc9, 0x61, 0xb3, 0x97, 0xaf, 0xae, 0xfd, 0x05, 0x78,
		  0xae, 0xdd, 0xdb, 0x14, 0xd2, 0x1d, 0x2b, 0x41, 0xd8, 0xfb}},
};

#define REQUEST_TIME 1795327625

static void check(int ret, const tsig_result_t *res, size_t size)
{
	if (ret == DF_OK || ret == DF_ETSIG_UNSIGNED || ret == DF_ETSIG_BADTIME) {
		/* res was filled from a TSIG RR that lies inside the message */
		if (res->unsigned_len < 12 || res->unsigned_len >= size) {
			abort();
		}
	}
	if (ret == DF_ETSIG_UNSIGNED && res->mac_len != 0) {
		abort();
	}
	if (ret == DF_OK && res->mac_len != 32) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tsig_key_t key;
	static int ready;
	if (!ready) {
		if (tsig_key_init(&key, "lease-key", "hmac-sha256",
				  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", NULL) != DF_OK) {
			abort();
		}
		ready = 1;
	}

	tsig_request_t req;
	memset(&req, 0, sizeof(req));
	req.mac_len = 32;
	req.time_signed = REQUEST_TIME;
	if (size >= 2) {
		req.id = (uint16_t)(data[0] << 8 | data[1]);
		for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
			if (requests[i].id == req.id) {
				memcpy(req.mac, requests[i].mac, 32);
			}
		}
	}

	tsig_result_t res;
	memset(&res, 0, sizeof(res));
	check(tsig_verify_answer(&key, data, size, &req, REQUEST_TIME, &res), &res, size);
	memset(&res, 0, sizeof(res));
	check(tsig_verify_answer(&key, data, size, &req, REQUEST_TIME + 400, &res), &res, size);
	memset(&res, 0, sizeof(res));
	check(tsig_verify_request(&key, data, size, REQUEST_TIME, &res), &res, size);
	return 0;
}
