/*
 * TSIG signing and verification on raw DNS messages (RFC 8945 sections 4
 * and 5). The digest is built as one buffer and handed to the algorithm:
 *
 *   request:  message || variables
 *   answer:   u16 request MAC size || request MAC || message || variables
 *
 * where message is the DNS message without its TSIG RR, ARCOUNT - 1 and the
 * ID replaced by the original ID, and variables (4.3.3) are key name, class
 * ANY, TTL 0, algorithm name, time signed, fudge, error, other len, other
 * data, with both names in lower case, uncompressed.
 */
#include "tsig/tsig_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_wire.h"

#define TIME_MAX 0xffffffffffffULL /* time signed is a u48 */

/* Length of the TSIG variables for this key with other_len bytes of other data. */
static size_t variables_len(const tsig_key_t *key, size_t other_len)
{
	/* name, class, TTL, algorithm, time, fudge, error, other len, other data */
	return key->wire_len + 2 + 4 + key->alg->wire_len + 6 + 2 + 2 + 2 + other_len;
}

static uint8_t *put_variables(uint8_t *p, const tsig_key_t *key, uint64_t time_signed,
			      uint16_t fudge, uint16_t error, const uint8_t *other,
			      uint16_t other_len)
{
	/* key->wire and alg->wire are kept in lower case, as the digest wants. */
	memcpy(p, key->wire, key->wire_len);
	p += key->wire_len;
	p = tsig_wire_put16(p, DNS_CLASS_ANY);
	memset(p, 0, 4); /* TTL */
	p += 4;
	memcpy(p, key->alg->wire, key->alg->wire_len);
	p += key->alg->wire_len;
	p = tsig_wire_put48(p, time_signed);
	p = tsig_wire_put16(p, fudge);
	p = tsig_wire_put16(p, error);
	p = tsig_wire_put16(p, other_len);
	if (other_len > 0) {
		memcpy(p, other, other_len);
	}
	return p + other_len;
}

static bool key_usable(const tsig_key_t *key)
{
	return key != NULL && key->alg != NULL && key->wire_len > 0 &&
	       key->alg->mac_max <= sizeof(((tsig_request_t *)0)->mac);
}

int tsig_sign_request(const tsig_key_t *key, uint8_t *msg, size_t *len, size_t cap, uint64_t now,
		      uint16_t fudge, tsig_request_t *req)
{
	int ret = DF_EINVAL;
	uint8_t *digest = NULL;
	uint8_t mac[sizeof(((tsig_request_t *)0)->mac)];
	size_t mac_len = 0;

	if (!key_usable(key) || msg == NULL || len == NULL || *len < DNS_HEADER_LEN || *len > cap ||
	    now > TIME_MAX) {
		goto out;
	}
	size_t msg_len = *len;
	uint16_t id = tsig_wire_get16(msg);
	uint16_t arcount = tsig_wire_get16(msg + 10);
	if (arcount == UINT16_MAX) {
		ret = DF_ENOSPACE;
		goto out;
	}

	size_t digest_len = msg_len + variables_len(key, 0);
	digest = malloc(digest_len);
	if (digest == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	memcpy(digest, msg, msg_len);
	put_variables(digest + msg_len, key, now, fudge, TSIG_NOERROR, NULL, 0);
	ret = key->alg->sign(key, digest, digest_len, mac, &mac_len);
	if (ret != DF_OK) {
		goto out;
	}

	/* owner, type, class, TTL, rdlength, then the RDATA */
	size_t rdlen = key->alg->wire_len + 6 + 2 + 2 + mac_len + 2 + 2 + 2;
	size_t rr_len = key->wire_len + 10 + rdlen;
	if (msg_len + rr_len > cap || msg_len + rr_len > DNS_MSG_MAX) {
		ret = DF_ENOSPACE;
		goto out;
	}
	/* Owner and algorithm are written uncompressed (RFC 8945 4.2, and
	 * Windows DNS refuses a compressed owner, says BIND's nsupdate). */
	uint8_t *p = msg + msg_len;
	memcpy(p, key->wire, key->wire_len);
	p += key->wire_len;
	p = tsig_wire_put16(p, DNS_TYPE_TSIG);
	p = tsig_wire_put16(p, DNS_CLASS_ANY);
	memset(p, 0, 4);
	p += 4;
	p = tsig_wire_put16(p, (uint16_t)rdlen);
	memcpy(p, key->alg->wire, key->alg->wire_len);
	p += key->alg->wire_len;
	p = tsig_wire_put48(p, now);
	p = tsig_wire_put16(p, fudge);
	p = tsig_wire_put16(p, (uint16_t)mac_len);
	memcpy(p, mac, mac_len);
	p += mac_len;
	p = tsig_wire_put16(p, id); /* original ID */
	p = tsig_wire_put16(p, TSIG_NOERROR);
	tsig_wire_put16(p, 0); /* other len */
	tsig_wire_put16(msg + 10, (uint16_t)(arcount + 1));
	*len = msg_len + rr_len;

	if (req != NULL) {
		memcpy(req->mac, mac, mac_len);
		req->mac_len = mac_len;
		req->time_signed = now;
		req->id = id;
	}
	ret = DF_OK;
out:
	free(digest);
	return ret;
}

/*
 * Common verification. prior (may be NULL) is the request whose MAC
 * prefixes the digest and whose ID the answer must carry.
 */
static int verify(const tsig_key_t *key, const uint8_t *msg, size_t len,
		  const tsig_request_t *prior, uint64_t now, tsig_result_t *res)
{
	int ret = DF_EINVAL;
	uint8_t *digest = NULL;
	tsig_wire_rr_t rr;
	tsig_result_t r;

	memset(&r, 0, sizeof(r));
	if (!key_usable(key) || msg == NULL || res == NULL ||
	    (prior != NULL && prior->mac_len > sizeof(prior->mac))) {
		goto out;
	}

	/* a) exactly one TSIG, last; same key name and algorithm */
	ret = tsig_wire_find_tsig(msg, len, &rr);
	if (ret != DF_OK) {
		goto out;
	}
	if (!tsig_wire_name_equal(rr.owner, rr.owner_len, key->wire, key->wire_len) ||
	    !tsig_wire_name_equal(rr.alg, rr.alg_len, key->alg->wire, key->alg->wire_len)) {
		ret = DF_ETSIG_MISMATCH;
		goto out;
	}
	r.error = rr.error;
	r.time_signed = rr.time_signed;
	r.fudge = rr.fudge;
	r.orig_id = rr.orig_id;
	r.mac_len = rr.mac_len;
	r.unsigned_len = rr.start;
	/* Other data means the server's clock only in a BADTIME answer (5.2.3). */
	if (rr.error == TSIG_BADTIME && rr.other_len == 6) {
		r.has_server_time = true;
		r.server_time = tsig_wire_get48(rr.other);
	}

	/* b) BADKEY/BADSIG come back without a MAC: forgeable, decide nothing. */
	if (rr.mac_len == 0) {
		*res = r;
		ret = DF_ETSIG_UNSIGNED;
		goto out;
	}
	/* c) only the full digest length; a variable-size algorithm (GSS) sets
	 * mac_size 0 and is bounded by mac_max. */
	if ((key->alg->mac_size != 0 && rr.mac_len != key->alg->mac_size) ||
	    rr.mac_len > key->alg->mac_max) {
		ret = DF_ETSIG_BADMAC;
		goto out;
	}

	/* d) recompute over prior MAC || message without TSIG || variables */
	size_t prefix_len = prior != NULL ? 2 + prior->mac_len : 0;
	size_t digest_len = prefix_len + rr.start + variables_len(key, rr.other_len);
	digest = malloc(digest_len);
	if (digest == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	uint8_t *p = digest;
	if (prior != NULL) {
		p = tsig_wire_put16(p, (uint16_t)prior->mac_len);
		memcpy(p, prior->mac, prior->mac_len);
		p += prior->mac_len;
	}
	memcpy(p, msg, rr.start);
	tsig_wire_put16(p, rr.orig_id);
	tsig_wire_put16(p + 10, (uint16_t)(tsig_wire_get16(msg + 10) - 1));
	p += rr.start;
	put_variables(p, key, rr.time_signed, rr.fudge, rr.error, rr.other, rr.other_len);
	ret = key->alg->verify(key, digest, digest_len, rr.mac, rr.mac_len);
	if (ret != DF_OK) {
		ret = DF_ETSIG_BADMAC;
		goto out;
	}

	/* e) the answer is to our request */
	if (prior != NULL && rr.orig_id != prior->id) {
		ret = DF_EMISMATCH;
		goto out;
	}

	/* f) time, only now that the MAC says the time is authentic */
	uint64_t skew = now > rr.time_signed ? now - rr.time_signed : rr.time_signed - now;
	if (skew > rr.fudge) {
		*res = r;
		ret = DF_ETSIG_BADTIME;
		goto out;
	}

	/* g) the caller may now look at RCODE and r.error */
	*res = r;
	ret = DF_OK;
out:
	free(digest);
	return ret;
}

int tsig_verify_answer(const tsig_key_t *key, const uint8_t *msg, size_t len,
		       const tsig_request_t *req, uint64_t now, tsig_result_t *res)
{
	if (req == NULL) {
		return DF_EINVAL;
	}
	return verify(key, msg, len, req, now, res);
}

int tsig_verify_request(const tsig_key_t *key, const uint8_t *msg, size_t len, uint64_t now,
			tsig_result_t *res)
{
	return verify(key, msg, len, NULL, now, res);
}

const char *tsig_rcode_name(uint16_t error)
{
	static char other[16];

	switch (error) {
	case TSIG_NOERROR:
		return "NOERROR";
	case TSIG_BADSIG:
		return "BADSIG";
	case TSIG_BADKEY:
		return "BADKEY";
	case TSIG_BADTIME:
		return "BADTIME";
	case 19:
		return "BADMODE";
	case 20:
		return "BADNAME";
	case 21:
		return "BADALG";
	case TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		snprintf(other, sizeof(other), "error %u", (unsigned)error);
		return other;
	}
}

void tsig_stream_init(tsig_stream_t *s, const tsig_key_t *key, const tsig_request_t *req)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->prior = *req;
}

static int stream_keep_mac(tsig_stream_t *s, const uint8_t *msg, size_t len)
{
	tsig_wire_rr_t rr;
	int ret = tsig_wire_find_tsig(msg, len, &rr);
	if (ret != DF_OK) {
		return ret;
	}
	if (rr.mac_len > sizeof(s->prior.mac)) {
		return DF_ETSIG_BADMAC;
	}
	memcpy(s->prior.mac, rr.mac, rr.mac_len);
	s->prior.mac_len = rr.mac_len;
	s->pending_len = 0;
	s->unsigned_run = 0;
	return DF_OK;
}

static int stream_pend(tsig_stream_t *s, const uint8_t *msg, size_t len)
{
	if (++s->unsigned_run > 99) {
		return DF_ETSIG_MISSING;
	}
	if (s->pending_len + len > s->pending_cap) {
		size_t cap = (s->pending_len + len) * 2;
		uint8_t *p = realloc(s->pending, cap);
		if (p == NULL) {
			return DF_ENOMEM;
		}
		s->pending = p;
		s->pending_cap = cap;
	}
	memcpy(s->pending + s->pending_len, msg, len);
	s->pending_len += len;
	return DF_OK;
}

int tsig_stream_verify(tsig_stream_t *s, const uint8_t *msg, size_t len, uint64_t now,
		       tsig_result_t *res)
{
	if (s->messages++ == 0) {
		int ret = verify(s->key, msg, len, &s->prior, now, res);
		return ret == DF_OK ? stream_keep_mac(s, msg, len) : ret;
	}
	tsig_wire_rr_t rr;
	int ret = tsig_wire_find_tsig(msg, len, &rr);
	if (ret == DF_ETSIG_MISSING) {
		return stream_pend(s, msg, len);
	}
	if (ret != DF_OK) {
		return ret;
	}
	if (!tsig_wire_name_equal(rr.owner, rr.owner_len, s->key->wire, s->key->wire_len) ||
	    !tsig_wire_name_equal(rr.alg, rr.alg_len, s->key->alg->wire, s->key->alg->wire_len)) {
		return DF_ETSIG_MISMATCH;
	}
	if (rr.mac_len == 0) {
		return DF_ETSIG_UNSIGNED;
	}
	if ((s->key->alg->mac_size != 0 && rr.mac_len != s->key->alg->mac_size) ||
	    rr.mac_len > s->key->alg->mac_max) {
		return DF_ETSIG_BADMAC;
	}
	/* prior MAC || unsigned messages || this one without TSIG || timers */
	size_t dlen = 2 + s->prior.mac_len + s->pending_len + rr.start + 8;
	uint8_t *digest = malloc(dlen);
	if (digest == NULL) {
		return DF_ENOMEM;
	}
	uint8_t *p = tsig_wire_put16(digest, (uint16_t)s->prior.mac_len);
	memcpy(p, s->prior.mac, s->prior.mac_len);
	p += s->prior.mac_len;
	if (s->pending_len > 0) {
		memcpy(p, s->pending, s->pending_len);
		p += s->pending_len;
	}
	memcpy(p, msg, rr.start);
	tsig_wire_put16(p, rr.orig_id);
	tsig_wire_put16(p + 10, (uint16_t)(tsig_wire_get16(msg + 10) - 1));
	p += rr.start;
	p = tsig_wire_put48(p, rr.time_signed);
	tsig_wire_put16(p, rr.fudge);
	ret = s->key->alg->verify(s->key, digest, dlen, rr.mac, rr.mac_len);
	free(digest);
	if (ret != DF_OK) {
		return DF_ETSIG_BADMAC;
	}
	uint64_t skew = now > rr.time_signed ? now - rr.time_signed : rr.time_signed - now;
	memset(res, 0, sizeof(*res));
	res->error = rr.error;
	res->time_signed = rr.time_signed;
	res->fudge = rr.fudge;
	res->mac_len = rr.mac_len;
	res->unsigned_len = rr.start;
	if (skew > rr.fudge) {
		return DF_ETSIG_BADTIME;
	}
	return stream_keep_mac(s, msg, len);
}

bool tsig_stream_complete(const tsig_stream_t *s)
{
	return s->messages > 0 && s->unsigned_run == 0;
}

void tsig_stream_deinit(tsig_stream_t *s)
{
	free(s->pending);
	memset(s, 0, sizeof(*s));
}
