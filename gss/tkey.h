/*
 * RFC 2930 TKEY messages for GSS-TSIG negotiation (RFC 3645 section 3.1),
 * on bytes alone: no sockets, no GSSAPI. The negotiation driver passes the
 * GSS tokens through these.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_TYPE_TKEY	  249
#define TKEY_MODE_GSSAPI  3
#define TKEY_KEY_NAME_MAX 256 /* text, with the trailing dot and NUL */

/* What tkey_parse_answer() found in a TKEY answer. */
typedef struct tkey_answer {
	uint16_t rcode;	    /* RCODE of the header (4 bits, no EDNS) */
	bool in_answer;	    /* true: TKEY in ANSWER, false: in ADDITIONAL (old servers) */
	uint16_t error;	    /* TKEY error field (BADKEY 17, BADNAME 20, ...) */
	uint16_t mode;	    /* 3 for GSS-API */
	uint32_t inception; /* seconds since the epoch, mod 2^32 */
	uint32_t expiration;
	const uint8_t *token; /* borrowed from msg: the server's GSS token */
	size_t token_len;     /* 0: no token (e.g. COMPLETE on our side) */
} tkey_answer_t;

/*
 * Converts a text name ("a.b", "a.b.", case kept as given) to uncompressed
 * wire form, lower-cased, into wire (capacity 255). Returns DF_OK or
 * DF_EINVAL (empty label, label over 63, name over 255 bytes).
 */
int tkey_name_to_wire(const char *name, uint8_t *wire, size_t *wire_len);

/*
 * Writes the TKEY query into buf (capacity cap), its length into *len:
 * QNAME = key_name, QTYPE TKEY, QCLASS ANY; in ADDITIONAL one TKEY RR with the
 * same owner, class ANY, TTL 0, algorithm alg (wire form, alg_len bytes:
 * gss-tsig. or gss.microsoft.com.; NULL means gss-tsig.), uncompressed,
 * inception = expiration = now, mode 3, error 0, key data = token, no other
 * data. RD clear, opcode QUERY. token (borrowed) may be NULL when token_len
 * is 0. Returns DF_OK, DF_EINVAL or DF_ENOSPACE (buf untouched beyond cap).
 */
int tkey_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const char *key_name,
		     const uint8_t *alg, size_t alg_len, const uint8_t *token, size_t token_len,
		     uint32_t now);

/*
 * Parses the answer msg[0..len) to a TKEY query with this id and key name:
 * QR must be set, the ID and the question (key name, TKEY) must match, and
 * a TKEY RR owned by key_name must be in ANSWER (or, for old servers, in
 * ADDITIONAL). Its algorithm must be gss-tsig. or gss.microsoft.com.
 * A TSIG RR after it is skipped here (verify it with gss_tsig and
 * tsig_verify_request()). out->token points into msg. The TKEY error and the
 * RCODE are the DNS outcome, not an error: a BADKEY answer returns DF_OK.
 * Returns DF_OK, DF_EINVAL, DF_EMALFORMED (bytes unusable), DF_EMISMATCH
 * (wrong ID, question or owner) or DF_ENOENT (well-formed but no TKEY RR,
 * e.g. a REFUSED answer with no records; out->rcode is still set).
 */
int tkey_parse_answer(const uint8_t *msg, size_t len, uint16_t id, const char *key_name,
		      tkey_answer_t *out);

/*
 * Writes a fresh key name "<random u32>.sig-<server>." into buf (size bytes,
 * at least TKEY_KEY_NAME_MAX recommended); server is a host name with or
 * without a trailing dot. Truncated names are never produced: on a too small
 * buffer or a name that would exceed 255 wire bytes, buf becomes "".
 */
void tkey_key_name(char *buf, size_t size, const char *server);
