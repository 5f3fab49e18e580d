/*
 * A small DNS wire walker for tsig/: just enough to find and read the TSIG
 * RR of a message without ldns (tsig/ depends on OpenSSL and libc only).
 * Internal to tsig/; every read is bounds-checked against the message length.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX   255
#define DNS_MSG_MAX    65535
#define DNS_TYPE_TSIG  250
#define DNS_CLASS_ANY  255

/* The TSIG RR of a message as tsig_wire_find_tsig() found it. */
typedef struct tsig_wire_rr {
	size_t start;		     /* offset of the RR: the message length without it */
	uint8_t owner[DNS_NAME_MAX]; /* decompressed, case as received */
	size_t owner_len;
	uint8_t alg[DNS_NAME_MAX];
	size_t alg_len;
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac; /* borrowed from the message */
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other; /* borrowed from the message */
} tsig_wire_rr_t;

static inline uint16_t tsig_wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint64_t tsig_wire_get48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static inline uint8_t *tsig_wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *tsig_wire_put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + 6;
}

/*
 * Reads the name at *pos into out (capacity DNS_NAME_MAX), uncompressed,
 * and moves *pos past the name's bytes in place. Each compression pointer
 * must point before the previous one (as BIND requires), so pointer loops
 * are rejected. Returns DF_OK or DF_EMALFORMED.
 */
int tsig_wire_read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out, size_t *out_len);

/* Compares two uncompressed wire names, ASCII case-insensitive. */
bool tsig_wire_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/*
 * Walks the whole message and reads its TSIG RR, which must be the only one
 * and the last RR of the additional section, with nothing after it.
 * Returns DF_OK, DF_ETSIG_MISSING (well-formed, no TSIG) or DF_EMALFORMED.
 */
int tsig_wire_find_tsig(const uint8_t *msg, size_t len, tsig_wire_rr_t *rr);
