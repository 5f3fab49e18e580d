/*
 * TKEY (RFC 2930) queries and answers for GSS-TSIG (RFC 3645 3.1.2-3.1.3),
 * built and parsed on bytes with the bounds-checked walker of tsig/.
 *
 *   TKEY RDATA: algorithm name, u32 inception, u32 expiration, u16 mode,
 *               u16 error, u16 key size, key data, u16 other size, other data
 */
#include "gss/tkey.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "src/common/error.h"
#include "tsig/tsig_wire.h"

static const uint8_t alg_gss_tsig[] = "\x08gss-tsig";
static const uint8_t alg_gss_ms[] = "\x03gss\x09microsoft\x03"
				    "com";

#define SECTIONS 3 /* answer, authority, additional */

static bool is_gss_alg(const uint8_t *alg, size_t alg_len)
{
	return tsig_wire_name_equal(alg, alg_len, alg_gss_tsig, sizeof(alg_gss_tsig)) ||
	       tsig_wire_name_equal(alg, alg_len, alg_gss_ms, sizeof(alg_gss_ms));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

int tkey_name_to_wire(const char *name, uint8_t *wire, size_t *wire_len)
{
	size_t o = 0;

	if (name == NULL || wire == NULL || wire_len == NULL || name[0] == '\0') {
		return DF_EINVAL;
	}
	if (strcmp(name, ".") == 0) {
		wire[0] = 0;
		*wire_len = 1;
		return DF_OK;
	}
	const char *p = name;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + 1 + l + 1 > DNS_NAME_MAX) {
			return DF_EINVAL;
		}
		wire[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			char c = p[i];
			if (c == '\\') {
				return DF_EINVAL; /* no escapes in key names */
			}
			wire[o++] = (uint8_t)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
		}
		p += l;
		if (*p == '.') {
			p++;
		}
	}
	wire[o++] = 0;
	*wire_len = o;
	return DF_OK;
}

int tkey_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const char *key_name,
		     const uint8_t *alg, size_t alg_len, const uint8_t *token, size_t token_len,
		     uint32_t now)
{
	uint8_t name[DNS_NAME_MAX];
	size_t name_len = 0;

	if (alg == NULL) {
		alg = alg_gss_tsig;
		alg_len = sizeof(alg_gss_tsig);
	}
	if (buf == NULL || len == NULL || (token == NULL && token_len > 0) ||
	    !is_gss_alg(alg, alg_len) || tkey_name_to_wire(key_name, name, &name_len) != DF_OK) {
		return DF_EINVAL;
	}
	size_t rdlen = alg_len + 4 + 4 + 2 + 2 + 2 + token_len + 2;
	size_t total = DNS_HEADER_LEN + name_len + 4 + name_len + 10 + rdlen;
	if (rdlen > UINT16_MAX || total > DNS_MSG_MAX) {
		return DF_ENOSPACE;
	}
	if (total > cap) {
		return DF_ENOSPACE;
	}

	uint8_t *p = buf;
	p = tsig_wire_put16(p, id);
	p = tsig_wire_put16(p, 0); /* QUERY, no flags */
	p = tsig_wire_put16(p, 1); /* QDCOUNT */
	p = tsig_wire_put16(p, 0);
	p = tsig_wire_put16(p, 0);
	p = tsig_wire_put16(p, 1); /* ARCOUNT */
	memcpy(p, name, name_len);
	p += name_len;
	p = tsig_wire_put16(p, DNS_TYPE_TKEY);
	p = tsig_wire_put16(p, DNS_CLASS_ANY);
	/* the TKEY RR, owner uncompressed like the TSIG owner */
	memcpy(p, name, name_len);
	p += name_len;
	p = tsig_wire_put16(p, DNS_TYPE_TKEY);
	p = tsig_wire_put16(p, DNS_CLASS_ANY);
	p = put32(p, 0); /* TTL */
	p = tsig_wire_put16(p, (uint16_t)rdlen);
	memcpy(p, alg, alg_len);
	p += alg_len;
	p = put32(p, now); /* inception */
	p = put32(p, now); /* expiration: the server picks the lifetime */
	p = tsig_wire_put16(p, TKEY_MODE_GSSAPI);
	p = tsig_wire_put16(p, 0); /* error */
	p = tsig_wire_put16(p, (uint16_t)token_len);
	if (token_len > 0) {
		memcpy(p, token, token_len);
		p += token_len;
	}
	p = tsig_wire_put16(p, 0); /* other size */
	*len = (size_t)(p - buf);
	return DF_OK;
}

/* Parses a TKEY RDATA at msg[pos..end) into a. */
static int read_tkey_rdata(const uint8_t *msg, size_t len, size_t pos, size_t end, tkey_answer_t *a)
{
	uint8_t alg[DNS_NAME_MAX];
	size_t alg_len = 0;

	if (tsig_wire_read_name(msg, len, &pos, alg, &alg_len) != DF_OK || pos > end) {
		return DF_EMALFORMED;
	}
	if (end - pos < 4 + 4 + 2 + 2 + 2) {
		return DF_EMALFORMED;
	}
	a->inception = get32(msg + pos);
	a->expiration = get32(msg + pos + 4);
	a->mode = tsig_wire_get16(msg + pos + 8);
	a->error = tsig_wire_get16(msg + pos + 10);
	size_t key_len = tsig_wire_get16(msg + pos + 12);
	pos += 14;
	if (end - pos < key_len + 2) {
		return DF_EMALFORMED;
	}
	a->token = key_len > 0 ? msg + pos : NULL;
	a->token_len = key_len;
	pos += key_len;
	size_t other_len = tsig_wire_get16(msg + pos);
	pos += 2;
	if (end - pos != other_len) {
		return DF_EMALFORMED;
	}
	if (!is_gss_alg(alg, alg_len)) {
		return DF_EALG;
	}
	return DF_OK;
}

int tkey_parse_answer(const uint8_t *msg, size_t len, uint16_t id, const char *key_name,
		      tkey_answer_t *out)
{
	uint8_t want[DNS_NAME_MAX];
	size_t want_len = 0;
	uint8_t name[DNS_NAME_MAX];
	size_t name_len = 0;
	tkey_answer_t a;
	bool found = false;
	int ret = DF_EINVAL;

	memset(&a, 0, sizeof(a));
	if (msg == NULL || out == NULL || tkey_name_to_wire(key_name, want, &want_len) != DF_OK) {
		goto out;
	}
	ret = DF_EMALFORMED;
	if (len < DNS_HEADER_LEN || len > DNS_MSG_MAX) {
		goto out;
	}
	uint16_t flags = tsig_wire_get16(msg + 2);
	uint16_t qdcount = tsig_wire_get16(msg + 4);
	uint16_t counts[SECTIONS] = {tsig_wire_get16(msg + 6), tsig_wire_get16(msg + 8),
				     tsig_wire_get16(msg + 10)};
	if (tsig_wire_get16(msg) != id || (flags & 0x8000) == 0 || ((flags >> 11) & 0xf) != 0) {
		ret = DF_EMISMATCH; /* not the answer to our query */
		goto out;
	}
	a.rcode = flags & 0xf;

	/* The question, when echoed (error answers may omit it), is ours. */
	size_t pos = DNS_HEADER_LEN;
	if (qdcount > 1) {
		goto out;
	}
	if (qdcount == 1) {
		if (tsig_wire_read_name(msg, len, &pos, name, &name_len) != DF_OK ||
		    len - pos < 4) {
			goto out;
		}
		if (!tsig_wire_name_equal(name, name_len, want, want_len) ||
		    tsig_wire_get16(msg + pos) != DNS_TYPE_TKEY) {
			ret = DF_EMISMATCH;
			goto out;
		}
		pos += 4;
	}

	/* Every RR is walked, so that trailing or truncated bytes are caught. */
	for (int s = 0; s < SECTIONS; s++) {
		bool in_section = false;
		for (unsigned i = 0; i < counts[s]; i++) {
			if (tsig_wire_read_name(msg, len, &pos, name, &name_len) != DF_OK ||
			    len - pos < 10) {
				goto out;
			}
			uint16_t type = tsig_wire_get16(msg + pos);
			size_t rdlen = tsig_wire_get16(msg + pos + 8);
			pos += 10;
			if (len - pos < rdlen) {
				goto out;
			}
			size_t end = pos + rdlen;
			if (type == DNS_TYPE_TKEY && s != 1) {
				if (in_section) {
					goto out; /* two TKEY RRs in one section */
				}
				in_section = true;
				if (!tsig_wire_name_equal(name, name_len, want, want_len)) {
					ret = DF_EMISMATCH;
					goto out;
				}
				/* ANSWER is where RFC 2930 puts it; ADDITIONAL
				 * only when ANSWER had none (old servers). */
				if (!found) {
					tkey_answer_t t = a;
					ret = read_tkey_rdata(msg, len, pos, end, &t);
					if (ret != DF_OK) {
						goto out;
					}
					ret = DF_EMALFORMED;
					t.in_answer = s == 0;
					a = t;
					found = true;
				}
			}
			pos = end;
		}
	}
	if (pos != len) {
		goto out; /* trailing bytes */
	}
	if (!found) {
		out->rcode = a.rcode;
		ret = DF_ENOENT;
		goto out;
	}
	*out = a;
	ret = DF_OK;
out:
	return ret;
}

void tkey_key_name(char *buf, size_t size, const char *server)
{
	uint32_t r = 0;
	uint8_t wire[DNS_NAME_MAX];
	size_t wire_len = 0;
	ssize_t n;

	if (buf == NULL || size == 0) {
		return;
	}
	buf[0] = '\0';
	if (server == NULL || server[0] == '\0' || server[0] == '.') {
		return;
	}
	do {
		n = getrandom(&r, sizeof(r), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r)) {
		return;
	}
	size_t slen = strlen(server);
	if (server[slen - 1] == '.') {
		slen--;
	}
	if (slen > INT32_MAX) {
		return;
	}
	int w = snprintf(buf, size, "%u.sig-%.*s.", (unsigned)r, (int)slen, server);
	if (w < 0 || (size_t)w >= size || tkey_name_to_wire(buf, wire, &wire_len) != DF_OK) {
		buf[0] = '\0';
	}
}
