/*
 * TSIG signing and verification against real BIND 9.18 captures
 * (tests/vectors/tsig/tsig-bind918.json, see its README): the signer must
 * reproduce the captured requests byte for byte, the verifier must accept
 * BIND's answers and classify them as the README says, and every way of
 * damaging an answer must be refused in the order of dns-update.md 2.2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "src/common/error.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define MAX_CASES 16
#define MSG_MAX	  4096

typedef struct vcase {
	char name[64];
	bool tcp;
	uint8_t req[MSG_MAX];
	size_t req_len;
	uint8_t req_mac[64];
	size_t req_mac_len;
	uint64_t req_time;
	uint8_t resp[MSG_MAX];
	size_t resp_len;
	unsigned resp_rcode;
	unsigned resp_tsig_error;
	uint64_t resp_time;
	uint8_t resp_other[64];
	size_t resp_other_len;
	size_t resp_mac_len;
	int resp_mac_verifies; /* 1, 0, or -1 for JSON null */
} vcase_t;

static vcase_t cases[MAX_CASES];
static size_t ncases;
static tsig_key_t vkey; /* lease-key., hmac-sha256, 0x00..0x1f */
static unsigned vfudge;

/* Loading the vectors. */

static bool hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > cap) {
		return false;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			return false;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return true;
}

static bool json_hex(json_t *obj, const char *field, uint8_t *out, size_t cap, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, field));
	if (s == NULL || !hex_decode(s, out, cap, len)) {
		fprintf(stderr, "vector field %s missing or not hex\n", field);
		return false;
	}
	return true;
}

static bool json_uint(json_t *obj, const char *field, uint64_t *out)
{
	json_t *v = json_object_get(obj, field);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		fprintf(stderr, "vector field %s missing or not an integer\n", field);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* The vectors are part of the repository layout: missing means failure, not skip. */
static bool load_vectors(void)
{
	const char *top = getenv("VECTORS_DIR");
	char path[4096];
	json_error_t jerr;
	bool ok = false;
	json_t *root = NULL;

	if (top == NULL) {
		fprintf(stderr, "VECTORS_DIR is not set: run through 'make check'\n");
		return false;
	}
	snprintf(path, sizeof(path), "%s/tsig/tsig-bind918.json", top);
	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "cannot load %s: %s (line %d)\n", path, jerr.text, jerr.line);
		return false;
	}

	df_detail_t d;
	const char *key_name = json_string_value(json_object_get(root, "key_name"));
	const char *alg = json_string_value(json_object_get(root, "algorithm"));
	const char *secret = json_string_value(json_object_get(root, "secret_b64"));
	uint64_t fudge;
	if (tsig_key_init(&vkey, key_name, alg, secret, &d) != DF_OK) {
		fprintf(stderr, "vector key: %s\n", d.msg);
		goto out;
	}
	if (!json_uint(root, "fudge", &fudge)) {
		goto out;
	}
	vfudge = (unsigned)fudge;

	json_t *list = json_object_get(root, "cases");
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		if (ncases == MAX_CASES) {
			goto out;
		}
		vcase_t *v = &cases[ncases];
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *transport = json_string_value(json_object_get(c, "transport"));
		json_t *verifies = json_object_get(c, "response_mac_verifies_with_request_mac");
		uint64_t rcode, err, mac_len;
		if (name == NULL || transport == NULL || verifies == NULL) {
			goto out;
		}
		snprintf(v->name, sizeof(v->name), "%s", name);
		v->tcp = strcmp(transport, "tcp") == 0;
		v->resp_mac_verifies = json_is_null(verifies) ? -1 : json_is_true(verifies);
		if (!json_hex(c, "request_hex", v->req, sizeof(v->req), &v->req_len) ||
		    !json_hex(c, "request_mac_hex", v->req_mac, sizeof(v->req_mac),
			      &v->req_mac_len) ||
		    !json_hex(c, "response_hex", v->resp, sizeof(v->resp), &v->resp_len) ||
		    !json_hex(c, "response_other_hex", v->resp_other, sizeof(v->resp_other),
			      &v->resp_other_len) ||
		    !json_uint(c, "request_time_signed", &v->req_time) ||
		    !json_uint(c, "response_time_signed", &v->resp_time) ||
		    !json_uint(c, "response_rcode", &rcode) ||
		    !json_uint(c, "response_tsig_error", &err) ||
		    !json_uint(c, "response_mac_len", &mac_len)) {
			fprintf(stderr, "case %s is incomplete\n", name);
			goto out;
		}
		v->resp_rcode = (unsigned)rcode;
		v->resp_tsig_error = (unsigned)err;
		v->resp_mac_len = (size_t)mac_len;
		ncases++;
	}
	ok = ncases > 0;
out:
	json_decref(root);
	return ok;
}

static const vcase_t *find_case(const char *name)
{
	for (size_t i = 0; i < ncases; i++) {
		if (strcmp(cases[i].name, name) == 0) {
			return &cases[i];
		}
	}
	fail_msg("vector case %s not found", name);
	return NULL;
}

/* Helpers that know the wire format independently of tsig/. */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offset of the TSIG RR: the last occurrence of "<owner> 00 fa 00 ff". */
static size_t tsig_offset(const uint8_t *msg, size_t len, const tsig_key_t *key)
{
	size_t pat_len = key->wire_len + 4;
	uint8_t pat[TSIG_NAME_MAX + 4];
	memcpy(pat, key->wire, key->wire_len);
	memcpy(pat + key->wire_len, "\x00\xfa\x00\xff", 4);
	for (size_t i = len - pat_len + 1; i-- > 12;) {
		if (memcmp(msg + i, pat, pat_len) == 0) {
			return i;
		}
	}
	fail_msg("no TSIG RR found");
	return 0;
}

/* Offset of the MAC size field inside a TSIG RR that starts at off. */
static size_t mac_size_offset(const uint8_t *msg, size_t off, const tsig_key_t *key)
{
	(void)msg;
	return off + key->wire_len + 10 + key->alg->wire_len + 6 + 2;
}

static tsig_request_t request_of(const vcase_t *v)
{
	tsig_request_t req;
	memset(&req, 0, sizeof(req));
	memcpy(req.mac, v->req_mac, v->req_mac_len);
	req.mac_len = v->req_mac_len;
	req.time_signed = v->req_time;
	req.id = get16(v->req);
	return req;
}

/* Verifies a (possibly edited) copy of exactly len bytes, so ASan sees overreads. */
static int verify_copy(const tsig_key_t *key, const uint8_t *msg, size_t len,
		       const tsig_request_t *req, uint64_t now, tsig_result_t *res)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, msg, len);
	int ret = req != NULL ? tsig_verify_answer(key, copy, len, req, now, res)
			      : tsig_verify_request(key, copy, len, now, res);
	free(copy);
	return ret;
}

/*
 * An answer signer written separately from tsig_sign.c, following RFC 8945
 * 4.3 literally, so that the verifier can be tested with every algorithm
 * and with TSIG fields BIND would not produce on request.
 */
static size_t sign_answer(const tsig_key_t *key, uint8_t *msg, size_t len,
			  const tsig_request_t *req, uint64_t time_signed, uint16_t orig_id,
			  uint16_t error, const uint8_t *other, uint16_t other_len)
{
	uint8_t digest[MSG_MAX * 2];
	size_t n = 0;
	put16(digest, (uint16_t)req->mac_len);
	n += 2;
	memcpy(digest + n, req->mac, req->mac_len);
	n += req->mac_len;
	memcpy(digest + n, msg, len);
	put16(digest + n, orig_id);
	n += len;
	uint8_t vars[TSIG_NAME_MAX * 2 + 64];
	size_t vn = 0;
	memcpy(vars, key->wire, key->wire_len);
	vn += key->wire_len;
	memcpy(vars + vn, "\x00\xff\x00\x00\x00\x00", 6);
	vn += 6;
	memcpy(vars + vn, key->alg->wire, key->alg->wire_len);
	vn += key->alg->wire_len;
	for (int i = 5; i >= 0; i--) {
		vars[vn++] = (uint8_t)(time_signed >> (8 * i));
	}
	put16(vars + vn, TSIG_FUDGE_DEFAULT);
	put16(vars + vn + 2, error);
	put16(vars + vn + 4, other_len);
	vn += 6;
	if (other_len > 0) {
		memcpy(vars + vn, other, other_len);
		vn += other_len;
	}
	memcpy(digest + n, vars, vn);
	n += vn;

	uint8_t mac[TSIG_MAX_DIGEST];
	size_t mac_len;
	assert_int_equal(key->alg->sign(key, digest, n, mac, &mac_len), DF_OK);

	/* The RR: owner, type, class, TTL, RDLENGTH, RDATA. */
	uint8_t *p = msg + len;
	memcpy(p, key->wire, key->wire_len);
	p += key->wire_len;
	memcpy(p, "\x00\xfa\x00\xff\x00\x00\x00\x00", 8);
	p += 8;
	uint8_t *rdlen = p;
	p += 2;
	uint8_t *rdata = p;
	memcpy(p, key->alg->wire, key->alg->wire_len);
	p += key->alg->wire_len;
	for (int i = 5; i >= 0; i--) {
		*p++ = (uint8_t)(time_signed >> (8 * i));
	}
	put16(p, TSIG_FUDGE_DEFAULT);
	put16(p + 2, (uint16_t)mac_len);
	p += 4;
	memcpy(p, mac, mac_len);
	p += mac_len;
	put16(p, orig_id);
	put16(p + 2, error);
	put16(p + 4, other_len);
	p += 6;
	if (other_len > 0) {
		memcpy(p, other, other_len);
		p += other_len;
	}
	put16(rdlen, (uint16_t)(p - rdata));
	put16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
	return (size_t)(p - msg);
}

/* The tests. */

static void test_vectors_present(void **state)
{
	(void)state;
	static const char *const names[] = {"cas_renew_ok", "cas_renew_stale_prereq_nxrrset",
					    "badtime_client_ahead_400s", "badsig_zero_mac",
					    "cas_renew_ok_tcp"};
	assert_int_equal(ncases, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_non_null(find_case(names[i]));
	}
	assert_string_equal(vkey.name, "lease-key.");
	assert_int_equal(vfudge, 300);
}

/* The captured requests verify as a server would see them, at their own time. */
static void test_verify_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		tsig_result_t res;
		memset(&res, 0xff, sizeof(res));
		int ret = verify_copy(&vkey, v->req, v->req_len, NULL, v->req_time, &res);
		if (strcmp(v->name, "badsig_zero_mac") == 0) {
			/* The all-zero MAC BIND answered BADSIG to must fail here too. */
			assert_int_equal(ret, DF_ETSIG_BADMAC);
			continue;
		}
		if (ret != DF_OK) {
			fail_msg("%s: %s", v->name, df_strerror(ret));
		}
		assert_int_equal(res.error, 0);
		assert_int_equal(res.time_signed, v->req_time);
		assert_int_equal(res.fudge, vfudge);
		assert_int_equal(res.orig_id, get16(v->req));
		assert_int_equal(res.mac_len, 32);
		assert_false(res.has_server_time);
		assert_int_equal(res.unsigned_len, tsig_offset(v->req, v->req_len, &vkey));
	}
}

/* Signing the unsigned part at the same time and ID reproduces the capture
 * exactly: same digest, same RR layout, uncompressed names. */
static void test_sign_reproduces_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		uint8_t msg[MSG_MAX];
		size_t off = tsig_offset(v->req, v->req_len, &vkey);
		memcpy(msg, v->req, off);
		put16(msg + 10, (uint16_t)(get16(msg + 10) - 1));
		size_t len = off;
		tsig_request_t req;
		assert_int_equal(tsig_sign_request(&vkey, msg, &len, sizeof(msg), v->req_time,
						   (uint16_t)vfudge, &req),
				 DF_OK);
		assert_int_equal(req.time_signed, v->req_time);
		assert_int_equal(req.id, get16(v->req));
		assert_int_equal(req.mac_len, 32);
		assert_int_equal(len, v->req_len);
		size_t mac_at = mac_size_offset(v->req, off, &vkey) + 2;
		if (strcmp(v->name, "badsig_zero_mac") == 0) {
			/* Same bytes but for the MAC the capture zeroed on purpose. */
			assert_memory_equal(msg, v->req, mac_at);
			assert_memory_not_equal(msg + mac_at, v->req_mac, 32);
			assert_memory_equal(msg + mac_at + 32, v->req + mac_at + 32,
					    len - mac_at - 32);
			continue;
		}
		assert_memory_equal(req.mac, v->req_mac, 32);
		if (memcmp(msg, v->req, len) != 0) {
			fail_msg("%s: signed request differs from the capture", v->name);
		}
	}
}

/* BIND's answers, classified as the vectors' README says. */
static void test_verify_responses(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		tsig_request_t req = request_of(v);
		tsig_result_t res;
		memset(&res, 0, sizeof(res));
		int ret = verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res);
		if (v->resp_mac_len == 0) {
			assert_int_equal(ret, DF_ETSIG_UNSIGNED);
		} else if (ret != DF_OK) {
			fail_msg("%s: %s", v->name, df_strerror(ret));
		}
		assert_int_equal(v->resp_mac_verifies, v->resp_mac_len == 0 ? -1 : 1);
		assert_int_equal(res.error, v->resp_tsig_error);
		assert_int_equal(res.time_signed, v->resp_time);
		assert_int_equal(res.mac_len, v->resp_mac_len);
		assert_int_equal(res.orig_id, get16(v->req));
		assert_int_equal(res.has_server_time, v->resp_other_len == 6);
		assert_int_equal(res.unsigned_len, tsig_offset(v->resp, v->resp_len, &vkey));
		/* RCODE is in the header: the caller's business, checked here only
		 * to show that a verified NXRRSET is still DF_OK. */
		assert_int_equal(v->resp[3] & 0x0f, v->resp_rcode);
	}

	tsig_result_t res;
	const vcase_t *v = find_case("cas_renew_ok");
	tsig_request_t req = request_of(v);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res), DF_OK);
	assert_int_equal(res.error, TSIG_NOERROR);

	v = find_case("cas_renew_stale_prereq_nxrrset");
	req = request_of(v);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res), DF_OK);
	assert_int_equal(res.error, TSIG_NOERROR);

	/* Signed BADTIME: authentic, carries the server's clock. */
	v = find_case("badtime_client_ahead_400s");
	req = request_of(v);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res), DF_OK);
	assert_int_equal(res.error, TSIG_BADTIME);
	assert_true(res.has_server_time);
	assert_int_equal(res.server_time, 1795327625);

	/* Unsigned BADSIG: reported, never trusted. */
	v = find_case("badsig_zero_mac");
	req = request_of(v);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_UNSIGNED);
	assert_int_equal(res.error, TSIG_BADSIG);
	assert_int_equal(res.mac_len, 0);

	v = find_case("cas_renew_ok_tcp");
	assert_true(v->tcp);
	req = request_of(v);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res), DF_OK);
	assert_int_equal(res.error, TSIG_NOERROR);
}

/* The time check comes after the MAC and uses the answer's fudge, bounds included. */
static void test_time_window(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		if (v->resp_mac_len == 0) {
			continue;
		}
		tsig_request_t req = request_of(v);
		tsig_result_t res;
		static const int64_t ok_offsets[] = {-300, -1, 0, 1, 300};
		static const int64_t bad_offsets[] = {-301, 301, -100000, 100000};
		for (size_t k = 0; k < 5; k++) {
			assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req,
						     v->req_time + (uint64_t)ok_offsets[k], &res),
					 DF_OK);
		}
		for (size_t k = 0; k < 4; k++) {
			memset(&res, 0, sizeof(res));
			assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req,
						     v->req_time + (uint64_t)bad_offsets[k], &res),
					 DF_ETSIG_BADTIME);
			/* res is filled so the caller can log the offset */
			assert_int_equal(res.time_signed, v->resp_time);
			assert_int_equal(res.fudge, 300);
			assert_int_equal(res.error, v->resp_tsig_error);
		}
		/* A far-off time never hides a bad MAC: BADMAC wins over BADTIME. */
		uint8_t copy[MSG_MAX];
		size_t off = tsig_offset(v->resp, v->resp_len, &vkey);
		memcpy(copy, v->resp, v->resp_len);
		copy[mac_size_offset(v->resp, off, &vkey) + 2 + 31] ^= 0x01; /* last MAC byte */
		assert_int_equal(
			verify_copy(&vkey, copy, v->resp_len, &req, v->req_time + 100000, &res),
			DF_ETSIG_BADMAC);
	}
	/* verify_request applies the same window. */
	const vcase_t *v = find_case("cas_renew_ok");
	tsig_result_t res;
	assert_int_equal(verify_copy(&vkey, v->req, v->req_len, NULL, v->req_time + 301, &res),
			 DF_ETSIG_BADTIME);
	assert_int_equal(verify_copy(&vkey, v->req, v->req_len, NULL, v->req_time - 301, &res),
			 DF_ETSIG_BADTIME);
}

/* Each MAC byte flipped: BADMAC. Every other byte but the header ID
 * flipped: some error (BADMAC, MISMATCH or malformed), never DF_OK. */
static void test_flipped_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		if (v->resp_mac_len == 0) {
			continue;
		}
		tsig_request_t req = request_of(v);
		tsig_result_t res;
		size_t off = tsig_offset(v->resp, v->resp_len, &vkey);
		size_t mac_at = mac_size_offset(v->resp, off, &vkey) + 2;
		uint8_t copy[MSG_MAX];
		for (size_t b = 0; b < v->resp_len; b++) {
			memcpy(copy, v->resp, v->resp_len);
			copy[b] ^= 0x01;
			int ret = verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res);
			if (b < 2) {
				/* The header ID is not MACed: the original ID stands in for it
				 * (RFC 8945 4.3.2), so that forwarders may change it. */
				assert_int_equal(ret, DF_OK);
			} else if (b >= mac_at && b < mac_at + 32) {
				assert_int_equal(ret, DF_ETSIG_BADMAC);
			} else if (ret == DF_OK) {
				fail_msg("%s: flipping byte %zu still verifies", v->name, b);
			}
		}
		/* Flags and question bytes are covered by the MAC proper. */
		memcpy(copy, v->resp, v->resp_len);
		copy[2] ^= 0x04; /* AA bit */
		assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
				 DF_ETSIG_BADMAC);
		memcpy(copy, v->resp, v->resp_len);
		copy[13] ^= 0x01; /* "example" -> "dxample" in the zone name */
		assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
				 DF_ETSIG_BADMAC);
		/* The key name compares case-insensitively: "LEASE-KEY" still verifies. */
		memcpy(copy, v->resp, v->resp_len);
		for (size_t k = 1; k < 10; k++) {
			if (copy[off + k] >= 'a' && copy[off + k] <= 'z') {
				copy[off + k] ^= 0x20;
			}
		}
		assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
				 DF_OK);
	}
}

static void test_wrong_key(void **state)
{
	(void)state;
	const vcase_t *v = find_case("cas_renew_ok");
	tsig_request_t req = request_of(v);
	tsig_result_t res;
	tsig_key_t key = vkey;

	/* same name and algorithm, one bit of the secret changed */
	key.secret[31] ^= 0x01;
	assert_int_equal(verify_copy(&key, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_BADMAC);
	assert_int_equal(verify_copy(&key, v->req, v->req_len, NULL, v->req_time, &res),
			 DF_ETSIG_BADMAC);

	/* another key name, same secret */
	df_detail_t d;
	assert_int_equal(tsig_key_init(&key, "other-key", "hmac-sha256",
				       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", &d),
			 DF_OK);
	assert_int_equal(verify_copy(&key, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_MISMATCH);
	/* a name that differs only by a label boundary */
	assert_int_equal(tsig_key_init(&key, "lease.key", "hmac-sha256",
				       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", &d),
			 DF_OK);
	assert_int_equal(verify_copy(&key, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_MISMATCH);
	/* same name, another algorithm */
	assert_int_equal(tsig_key_init(&key, "lease-key", "hmac-sha512",
				       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", &d),
			 DF_OK);
	assert_int_equal(verify_copy(&key, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_MISMATCH);
	tsig_key_deinit(&key);

	/* the answer to another request (wrong request MAC) */
	req.mac[0] ^= 0x01;
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_BADMAC);
	/* the request MAC of another case */
	req = request_of(find_case("cas_renew_ok_tcp"));
	req.id = get16(v->req);
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_ETSIG_BADMAC);
	/* our ID differs from the answer's original ID: MAC fine, not our answer */
	req = request_of(v);
	req.id ^= 0x0101;
	assert_int_equal(verify_copy(&vkey, v->resp, v->resp_len, &req, v->req_time, &res),
			 DF_EMISMATCH);
}

/* Shortened MAC with MAC size and RDLENGTH edited to match: a well-formed
 * truncated TSIG (RFC 8945 5.2.2.1) that we refuse. Also a MAC one byte long. */
static void test_truncated_mac(void **state)
{
	(void)state;
	const vcase_t *v = find_case("cas_renew_ok");
	tsig_request_t req = request_of(v);
	tsig_result_t res;
	size_t off = tsig_offset(v->resp, v->resp_len, &vkey);
	size_t ms = mac_size_offset(v->resp, off, &vkey);
	size_t rdlen_at = off + vkey.wire_len + 8;
	static const size_t keep[] = {0, 1, 10, 16, 31};

	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
		uint8_t copy[MSG_MAX];
		size_t cut = 32 - keep[k];
		memcpy(copy, v->resp, ms + 2 + keep[k]);
		memcpy(copy + ms + 2 + keep[k], v->resp + ms + 2 + 32, v->resp_len - ms - 2 - 32);
		put16(copy + ms, (uint16_t)keep[k]);
		put16(copy + rdlen_at, (uint16_t)(get16(v->resp + rdlen_at) - cut));
		int ret = verify_copy(&vkey, copy, v->resp_len - cut, &req, v->req_time, &res);
		/* MAC size 0 is the unsigned-error form; any other short size is BADMAC. */
		assert_int_equal(ret, keep[k] == 0 ? DF_ETSIG_UNSIGNED : DF_ETSIG_BADMAC);
	}
	/* A 33-byte MAC (the real one plus a byte) is not the digest length either. */
	uint8_t copy[MSG_MAX];
	memcpy(copy, v->resp, ms + 2 + 32);
	copy[ms + 2 + 32] = 0;
	memcpy(copy + ms + 2 + 33, v->resp + ms + 2 + 32, v->resp_len - ms - 2 - 32);
	put16(copy + ms, 33);
	put16(copy + rdlen_at, (uint16_t)(get16(v->resp + rdlen_at) + 1));
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len + 1, &req, v->req_time, &res),
			 DF_ETSIG_BADMAC);
}

/* The TSIG must be the one and last RR of the additional section. */
static void test_tsig_placement(void **state)
{
	(void)state;
	const vcase_t *v = find_case("cas_renew_ok");
	tsig_request_t req = request_of(v);
	tsig_result_t res;
	size_t off = tsig_offset(v->resp, v->resp_len, &vkey);
	size_t rr_len = v->resp_len - off;
	uint8_t copy[MSG_MAX];

	/* an A record after the TSIG */
	static const uint8_t a_rr[] = {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0,
				       0,    60,   0x00, 0x04, 192,  0,	   2, 1};
	memcpy(copy, v->resp, v->resp_len);
	memcpy(copy + v->resp_len, a_rr, sizeof(a_rr));
	put16(copy + 10, 2);
	assert_int_equal(
		verify_copy(&vkey, copy, v->resp_len + sizeof(a_rr), &req, v->req_time, &res),
		DF_EMALFORMED);

	/* two TSIGs */
	memcpy(copy + v->resp_len, v->resp + off, rr_len);
	put16(copy + 10, 2);
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len + rr_len, &req, v->req_time, &res),
			 DF_EMALFORMED);

	/* the TSIG counted in the answer section */
	memcpy(copy, v->resp, v->resp_len);
	put16(copy + 6, 1);
	put16(copy + 10, 0);
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
			 DF_EMALFORMED);

	/* a byte after the TSIG, which no MAC covers */
	memcpy(copy, v->resp, v->resp_len);
	copy[v->resp_len] = 0;
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len + 1, &req, v->req_time, &res),
			 DF_EMALFORMED);

	/* ARCOUNT says 2 but there is only the TSIG */
	memcpy(copy, v->resp, v->resp_len);
	put16(copy + 10, 2);
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
			 DF_EMALFORMED);

	/* no TSIG at all: well-formed but unsigned */
	memcpy(copy, v->resp, off);
	put16(copy + 10, 0);
	assert_int_equal(verify_copy(&vkey, copy, off, &req, v->req_time, &res), DF_ETSIG_MISSING);

	/* TTL must be 0 and class ANY: bytes outside the digest must not vary */
	memcpy(copy, v->resp, v->resp_len);
	copy[off + vkey.wire_len + 7] = 1;
	assert_int_equal(verify_copy(&vkey, copy, v->resp_len, &req, v->req_time, &res),
			 DF_EMALFORMED);
}

/* Every prefix of every captured message is refused without crashing. */
static void test_truncated_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		const vcase_t *v = &cases[i];
		tsig_request_t req = request_of(v);
		tsig_result_t res;
		for (size_t len = 0; len < v->resp_len; len++) {
			int ret = verify_copy(&vkey, v->resp, len, &req, v->req_time, &res);
			assert_true(ret != DF_OK && ret != DF_ETSIG_UNSIGNED);
		}
		for (size_t len = 0; len < v->req_len; len++) {
			assert_int_not_equal(
				verify_copy(&vkey, v->req, len, NULL, v->req_time, &res), DF_OK);
		}
	}
}

/* A request whose question name is the key name, so the TSIG owner can
 * point at it: "lease-key. IN SOA". */
static size_t build_query(uint8_t *msg, uint16_t id)
{
	static const uint8_t q[] = {0,	 0,   0x28, 0x00, 0,	1,    0,    0,	  0,
				    0,	 0,   0,    0x09, 'l',	'e',  'a',  's',  'e',
				    '-', 'k', 'e',  'y',  0x00, 0x00, 0x06, 0x00, 0x01};
	memcpy(msg, q, sizeof(q));
	put16(msg, id);
	return sizeof(q);
}

/* A compressed TSIG owner is accepted (only the algorithm name must not be
 * compressed); pointer loops and forward pointers are refused. */
static void test_compression(void **state)
{
	(void)state;
	uint8_t msg[MSG_MAX];
	size_t len = build_query(msg, 0x1234);
	size_t qlen = len;
	tsig_result_t res;
	assert_int_equal(tsig_sign_request(&vkey, msg, &len, sizeof(msg), 1000, 300, NULL), DF_OK);
	assert_int_equal(tsig_verify_request(&vkey, msg, len, 1000, &res), DF_OK);

	/* owner "lease-key." (11 bytes) replaced by a pointer to offset 12 */
	uint8_t comp[MSG_MAX];
	memcpy(comp, msg, qlen);
	comp[qlen] = 0xc0;
	comp[qlen + 1] = 12;
	memcpy(comp + qlen + 2, msg + qlen + 11, len - qlen - 11);
	size_t comp_len = len - 9;
	assert_int_equal(verify_copy(&vkey, comp, comp_len, NULL, 1000, &res), DF_OK);
	assert_int_equal(res.unsigned_len, qlen);

	/* pointer to itself */
	comp[qlen + 1] = (uint8_t)qlen;
	assert_int_equal(verify_copy(&vkey, comp, comp_len, NULL, 1000, &res), DF_EMALFORMED);
	/* forward pointer (into the TSIG RDATA) */
	comp[qlen + 1] = (uint8_t)(qlen + 12);
	assert_int_equal(verify_copy(&vkey, comp, comp_len, NULL, 1000, &res), DF_EMALFORMED);

	/* a two-pointer loop in the question: 12 -> 14 -> 12 */
	uint8_t loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 6, 0, 1};
	assert_int_equal(verify_copy(&vkey, loop, sizeof(loop), NULL, 1000, &res), DF_EMALFORMED);
	/* a label that points back into itself: "a" then pointer to the "a" */
	uint8_t self[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 6, 0, 1};
	assert_int_equal(verify_copy(&vkey, self, sizeof(self), NULL, 1000, &res), DF_EMALFORMED);
	/* the 0x40 and 0x80 label types */
	uint8_t ext[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 6, 0, 1};
	assert_int_equal(verify_copy(&vkey, ext, sizeof(ext), NULL, 1000, &res), DF_EMALFORMED);
}

/* Sign and verify with each algorithm: request with our signer, answer with
 * the test's own signer, including a signed BADTIME with server time. */
static void test_roundtrip_algorithms(void **state)
{
	(void)state;
	static const char *const algs[] = {"hmac-md5",	  "hmac-sha1",	 "hmac-sha224",
					   "hmac-sha256", "hmac-sha384", "hmac-sha512"};
	static const size_t sizes[] = {16, 20, 28, 32, 48, 64};
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		tsig_key_t key;
		df_detail_t d;
		assert_int_equal(tsig_key_init(&key, "Round.Trip.Example", algs[a],
					       "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrLTEyMzQ=", &d),
				 DF_OK);
		uint8_t msg[MSG_MAX];
		size_t len = build_query(msg, (uint16_t)(0x4000 + a));
		size_t qlen = len;
		tsig_request_t req;
		tsig_result_t res;
		uint64_t now = 1795327625 + a;
		assert_int_equal(tsig_sign_request(&key, msg, &len, sizeof(msg), now, 300, &req),
				 DF_OK);
		assert_int_equal(req.mac_len, sizes[a]);
		assert_int_equal(get16(msg + 10), 1);
		assert_int_equal(tsig_verify_request(&key, msg, len, now, &res), DF_OK);
		assert_int_equal(res.mac_len, sizes[a]);
		assert_int_equal(res.unsigned_len, qlen);
		/* algorithm and owner are written uncompressed, lower case */
		assert_memory_equal(msg + qlen,
				    "\x05round\x04trip\x07"
				    "example\x00",
				    20);
		assert_memory_equal(msg + qlen + 30, key.alg->wire, key.alg->wire_len);

		/* the answer: QR set, no TSIG yet */
		uint8_t ans[MSG_MAX];
		memcpy(ans, msg, qlen);
		ans[2] |= 0x80;
		put16(ans + 10, 0); /* msg's header already counts the request's TSIG */
		size_t alen = sign_answer(&key, ans, qlen, &req, now + 2, req.id, 0, NULL, 0);
		assert_int_equal(tsig_verify_answer(&key, ans, alen, &req, now, &res), DF_OK);
		assert_int_equal(res.error, 0);
		assert_int_equal(res.time_signed, now + 2);

		/* a signed BADTIME carrying the server's time in other data */
		static const uint8_t server[6] = {0x00, 0x00, 0x6b, 0x02, 0x86, 0x89};
		put16(ans + 10, 0);
		alen = sign_answer(&key, ans, qlen, &req, now, req.id, TSIG_BADTIME, server, 6);
		assert_int_equal(tsig_verify_answer(&key, ans, alen, &req, now, &res), DF_OK);
		assert_int_equal(res.error, TSIG_BADTIME);
		assert_true(res.has_server_time);
		assert_int_equal(res.server_time, 1795327625);
		/* changed other data is caught: it is part of the digest */
		ans[alen - 1] ^= 0x01;
		assert_int_equal(tsig_verify_answer(&key, ans, alen, &req, now, &res),
				 DF_ETSIG_BADMAC);

		/* signed with another original ID: the MAC holds, the ID does not */
		put16(ans + 10, 0);
		alen = sign_answer(&key, ans, qlen, &req, now, (uint16_t)(req.id + 1), 0, NULL, 0);
		assert_int_equal(tsig_verify_answer(&key, ans, alen, &req, now, &res),
				 DF_EMISMATCH);
		tsig_key_deinit(&key);
	}
}

/* A variable-length algorithm (mac_size 0, as GSS-TSIG): the MAC is the
 * data's byte sum repeated to a length that depends on the data. */
static int var_calls;

static size_t var_len(size_t len, size_t max)
{
	return 1 + len % max;
}

static int var_sign(const tsig_key_t *key, const uint8_t *data, size_t len, uint8_t *mac,
		    size_t *mac_len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++) {
		sum = (uint8_t)(sum + data[i]);
	}
	*mac_len = var_len(len, key->alg->mac_max);
	memset(mac, sum, *mac_len);
	return DF_OK;
}

static int var_verify(const tsig_key_t *key, const uint8_t *data, size_t len, const uint8_t *mac,
		      size_t mac_len)
{
	uint8_t want[256];
	size_t want_len = 0;
	var_calls++;
	var_sign(key, data, len, want, &want_len);
	return want_len == mac_len && memcmp(want, mac, mac_len) == 0 ? DF_OK : DF_ETSIG_BADMAC;
}

static const uint8_t var_wire[] = "\x08var-test";
static const tsig_alg_t var_big = {"var-test", var_wire, sizeof(var_wire), 0,
				   200,	       var_sign, var_verify,	   false};
static const tsig_alg_t var_small = {"var-test", var_wire, sizeof(var_wire), 0,
				     48,	 var_sign, var_verify,	     false};

static void test_variable_length_mac(void **state)
{
	(void)state;
	static const char *const names[] = {"v", "va", "var", "var-k", "var-key", "var-key-x"};
	size_t seen[sizeof(names) / sizeof(names[0])];
	int over = 0;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		tsig_key_t key;
		assert_int_equal(
			tsig_key_init(&key, names[n], "hmac-sha256",
				      "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrLTEyMzQ=", NULL),
			DF_OK);
		for (int big = 0; big < 2; big++) {
			key.alg = big ? &var_big : &var_small;
			uint8_t msg[MSG_MAX];
			size_t len = build_query(msg, (uint16_t)(0x5000 + n));
			size_t qlen = len;
			tsig_request_t req;
			tsig_result_t res;
			assert_int_equal(
				tsig_sign_request(&key, msg, &len, sizeof(msg), 1000, 300, &req),
				DF_OK);
			/* any length from 1 to mac_max, not one fixed size */
			assert_true(req.mac_len >= 1 && req.mac_len <= key.alg->mac_max);
			if (!big) {
				seen[n] = req.mac_len;
			}
			var_calls = 0;
			assert_int_equal(tsig_verify_request(&key, msg, len, 1000, &res), DF_OK);
			assert_int_equal(var_calls, 1);
			assert_int_equal(res.mac_len, req.mac_len);
			assert_int_equal(res.unsigned_len, qlen);
			/* a changed MAC byte is caught by the algorithm */
			msg[len - 6 - 1] ^= 0x01;
			assert_int_equal(tsig_verify_request(&key, msg, len, 1000, &res),
					 DF_ETSIG_BADMAC);
			msg[len - 6 - 1] ^= 0x01;
			/* a MAC over mac_max is refused before the algorithm sees it */
			if (big && req.mac_len > var_small.mac_max) {
				over++;
				key.alg = &var_small;
				var_calls = 0;
				assert_int_equal(tsig_verify_request(&key, msg, len, 1000, &res),
						 DF_ETSIG_BADMAC);
				assert_int_equal(var_calls, 0);
			}
		}
		tsig_key_deinit(&key);
	}
	assert_true(over > 0);
	assert_int_not_equal(seen[0], seen[1]); /* lengths really vary */
}

static void test_sign_errors(void **state)
{
	(void)state;
	uint8_t msg[MSG_MAX];
	uint8_t before[MSG_MAX];
	size_t len = build_query(msg, 1);
	size_t qlen = len;
	memcpy(before, msg, len);

	/* the TSIG RR of lease-key./hmac-sha256 is 11 + 10 + 13 + 10 + 32 + 6 = 82 bytes */
	assert_int_equal(tsig_sign_request(&vkey, msg, &len, qlen + 81, 1000, 300, NULL),
			 DF_ENOSPACE);
	assert_int_equal(len, qlen);
	assert_memory_equal(msg, before, qlen);
	assert_int_equal(tsig_sign_request(&vkey, msg, &len, qlen + 82, 1000, 300, NULL), DF_OK);
	assert_int_equal(len, qlen + 82);

	len = qlen;
	memcpy(msg, before, qlen);
	assert_int_equal(tsig_sign_request(&vkey, msg, &len, sizeof(msg), 1ULL << 48, 300, NULL),
			 DF_EINVAL);
	assert_int_equal(tsig_sign_request(NULL, msg, &len, sizeof(msg), 1000, 300, NULL),
			 DF_EINVAL);
	tsig_key_t empty;
	memset(&empty, 0, sizeof(empty));
	assert_int_equal(tsig_sign_request(&empty, msg, &len, sizeof(msg), 1000, 300, NULL),
			 DF_EINVAL);
	size_t short_len = 11;
	assert_int_equal(tsig_sign_request(&vkey, msg, &short_len, sizeof(msg), 1000, 300, NULL),
			 DF_EINVAL);
	/* ARCOUNT already at its maximum */
	put16(msg + 10, 0xffff);
	assert_int_equal(tsig_sign_request(&vkey, msg, &len, sizeof(msg), 1000, 300, NULL),
			 DF_ENOSPACE);

	tsig_result_t res;
	tsig_request_t req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tsig_verify_answer(&vkey, msg, len, NULL, 1000, &res), DF_EINVAL);
	assert_int_equal(tsig_verify_answer(&vkey, msg, len, &req, 1000, NULL), DF_EINVAL);
	assert_int_equal(tsig_verify_request(&empty, msg, len, 1000, &res), DF_EINVAL);
	req.mac_len = sizeof(req.mac) + 1;
	assert_int_equal(tsig_verify_answer(&vkey, msg, len, &req, 1000, &res), DF_EINVAL);
}

static void test_rcode_name(void **state)
{
	(void)state;
	assert_string_equal(tsig_rcode_name(0), "NOERROR");
	assert_string_equal(tsig_rcode_name(16), "BADSIG");
	assert_string_equal(tsig_rcode_name(17), "BADKEY");
	assert_string_equal(tsig_rcode_name(18), "BADTIME");
	assert_string_equal(tsig_rcode_name(22), "BADTRUNC");
	assert_string_equal(tsig_rcode_name(99), "error 99");
	assert_string_equal(tsig_rcode_name(65535), "error 65535");
}

int main(void)
{
	if (!load_vectors()) {
		fprintf(stderr, "test_tsig_sign: the BIND TSIG vectors are required\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_present),
		cmocka_unit_test(test_verify_requests),
		cmocka_unit_test(test_sign_reproduces_requests),
		cmocka_unit_test(test_verify_responses),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_truncated_mac),
		cmocka_unit_test(test_tsig_placement),
		cmocka_unit_test(test_truncated_messages),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_roundtrip_algorithms),
		cmocka_unit_test(test_variable_length_mac),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_rcode_name),
	};
	int ret = cmocka_run_group_tests_name("tsig_sign", tests, NULL, NULL);
	tsig_key_deinit(&vkey);
	return ret;
}
