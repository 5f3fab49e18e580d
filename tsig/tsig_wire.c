#include "tsig/tsig_wire.h"

#include <string.h>

#include "src/common/error.h"

int tsig_wire_read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out, size_t *out_len)
{
	size_t p = *pos;
	size_t after = 0; /* where the name ends in place, set at the first pointer */
	size_t bound = p; /* a pointer must point below this: no loops */
	size_t o = 0;

	for (;;) {
		if (p >= len) {
			return DF_EMALFORMED;
		}
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len) {
				return DF_EMALFORMED;
			}
			size_t target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (target >= bound) {
				return DF_EMALFORMED;
			}
			if (after == 0) {
				after = p + 2;
			}
			bound = target;
			p = target;
			continue;
		}
		if ((c & 0xc0) != 0) {
			return DF_EMALFORMED; /* 0x40 and 0x80 label types are obsolete/unknown */
		}
		if (o + 1 + c > DNS_NAME_MAX || p + 1 + c > len) {
			return DF_EMALFORMED;
		}
		out[o++] = c;
		memcpy(out + o, msg + p + 1, c);
		o += c;
		p += 1 + (size_t)c;
		if (c == 0) {
			break;
		}
	}
	*pos = after != 0 ? after : p;
	*out_len = o;
	return DF_OK;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

bool tsig_wire_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	if (a_len != b_len) {
		return false;
	}
	/* Length bytes are below 64 and never letters, so lowering them is harmless. */
	for (size_t i = 0; i < a_len; i++) {
		if (lower(a[i]) != lower(b[i])) {
			return false;
		}
	}
	return true;
}

/* Parses the RDATA of a TSIG RR at msg[pos..end) into rr. */
static int read_tsig_rdata(const uint8_t *msg, size_t len, size_t pos, size_t end,
			   tsig_wire_rr_t *rr)
{
	/* The algorithm name must not be compressed (RFC 8945 4.2); reading it
	 * through the decompressor costs nothing and it must still end inside
	 * the RDATA. Our own algorithm wire name goes into the digest. */
	if (tsig_wire_read_name(msg, len, &pos, rr->alg, &rr->alg_len) != DF_OK || pos > end) {
		return DF_EMALFORMED;
	}
	if (end - pos < 10) {
		return DF_EMALFORMED;
	}
	rr->time_signed = tsig_wire_get48(msg + pos);
	rr->fudge = tsig_wire_get16(msg + pos + 6);
	rr->mac_len = tsig_wire_get16(msg + pos + 8);
	pos += 10;
	if (end - pos < (size_t)rr->mac_len + 6) {
		return DF_EMALFORMED;
	}
	rr->mac = msg + pos;
	pos += rr->mac_len;
	rr->orig_id = tsig_wire_get16(msg + pos);
	rr->error = tsig_wire_get16(msg + pos + 2);
	rr->other_len = tsig_wire_get16(msg + pos + 4);
	pos += 6;
	if (end - pos != rr->other_len) {
		return DF_EMALFORMED; /* other data cut short, or bytes after it */
	}
	rr->other = msg + pos;
	return DF_OK;
}

int tsig_wire_find_tsig(const uint8_t *msg, size_t len, tsig_wire_rr_t *rr)
{
	uint8_t scratch[DNS_NAME_MAX];
	size_t scratch_len;

	if (msg == NULL || len < DNS_HEADER_LEN || len > DNS_MSG_MAX) {
		return DF_EMALFORMED;
	}
	unsigned qd = tsig_wire_get16(msg + 4);
	unsigned an = tsig_wire_get16(msg + 6);
	unsigned ns = tsig_wire_get16(msg + 8);
	unsigned ar = tsig_wire_get16(msg + 10);
	size_t pos = DNS_HEADER_LEN;

	/* Each question or RR takes at least 5 or 11 bytes, so these loops end
	 * on the length checks long before the counts are exhausted. */
	for (unsigned i = 0; i < qd; i++) {
		if (tsig_wire_read_name(msg, len, &pos, scratch, &scratch_len) != DF_OK ||
		    len - pos < 4) {
			return DF_EMALFORMED;
		}
		pos += 4;
	}

	unsigned total = an + ns + ar;
	bool found = false;
	for (unsigned i = 0; i < total; i++) {
		size_t start = pos;
		if (tsig_wire_read_name(msg, len, &pos, scratch, &scratch_len) != DF_OK ||
		    len - pos < 10) {
			return DF_EMALFORMED;
		}
		uint16_t type = tsig_wire_get16(msg + pos);
		uint16_t rclass = tsig_wire_get16(msg + pos + 2);
		bool ttl_zero = msg[pos + 4] == 0 && msg[pos + 5] == 0 && msg[pos + 6] == 0 &&
				msg[pos + 7] == 0;
		size_t rdlen = tsig_wire_get16(msg + pos + 8);
		pos += 10;
		if (len - pos < rdlen) {
			return DF_EMALFORMED;
		}
		if (type == DNS_TYPE_TSIG) {
			/* Only one TSIG, last of the additional section: a second one
			 * makes the first "not last". Class ANY and TTL 0 (RFC 8945
			 * 4.2): the digest assumes them, so other values would be
			 * bytes that no MAC covers. */
			if (i != total - 1 || i < an + ns || rclass != DNS_CLASS_ANY || !ttl_zero) {
				return DF_EMALFORMED;
			}
			memcpy(rr->owner, scratch, scratch_len);
			rr->owner_len = scratch_len;
			rr->start = start;
			if (read_tsig_rdata(msg, len, pos, pos + rdlen, rr) != DF_OK) {
				return DF_EMALFORMED;
			}
			found = true;
		}
		pos += rdlen;
	}
	if (pos != len) {
		return DF_EMALFORMED; /* bytes after the last RR would not be covered by the MAC */
	}
	return found ? DF_OK : DF_ETSIG_MISSING;
}
