/*
 * TSIG MAC algorithms (RFC 8945 section 6). One table entry per algorithm;
 * HMAC through OpenSSL is one implementation, the GSS-TSIG MIC (gss/) will
 * be another. Messages are small (at most 64 KiB), so an algorithm signs or
 * verifies one contiguous digest buffer instead of exposing init/update/final.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tsig_key;

#define TSIG_MAX_DIGEST 64 /* hmac-sha512; GSS MICs may be larger, see mac_max */

typedef struct tsig_alg {
	const char *name;    /* "hmac-sha256": as written in BIND key files */
	const uint8_t *wire; /* algorithm name in uncompressed wire form */
	size_t wire_len;
	size_t mac_size; /* exact MAC length; 0 means variable (GSS) */
	size_t mac_max;	 /* largest MAC this algorithm produces */
	/* Computes the MAC of data into mac (capacity mac_max), sets *mac_len. */
	int (*sign)(const struct tsig_key *key, const uint8_t *data, size_t len, uint8_t *mac,
		    size_t *mac_len);
	/* Returns DF_OK when mac is the MAC of data, DF_ETSIG_BADMAC otherwise.
	 * A MAC shorter than mac_size (truncated) is rejected. */
	int (*verify)(const struct tsig_key *key, const uint8_t *data, size_t len,
		      const uint8_t *mac, size_t mac_len);
	bool negotiated; /* the key comes from a TKEY negotiation (GSS), not a file */
} tsig_alg_t;

/*
 * Finds an algorithm by name, case-insensitive, with or without the trailing
 * dot; "hmac-md5" and "hmac-md5.sig-alg.reg.int" both name HMAC-MD5.
 * Returns NULL when unknown. The result is static.
 */
const tsig_alg_t *tsig_alg_by_name(const char *name);

/* Finds an algorithm by its wire name (case-insensitive). NULL when unknown. */
const tsig_alg_t *tsig_alg_by_wire(const uint8_t *wire, size_t len);

/* Names of all algorithms, for error messages: "hmac-md5, hmac-sha1, ...". */
const char *tsig_alg_list(void);
