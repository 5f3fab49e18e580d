/*
 * Signing and verifying DNS messages with TSIG (RFC 8945), on bytes alone.
 * The TSIG RR is written uncompressed, last in the additional section.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tsig_key;

#define TSIG_FUDGE_DEFAULT 300

/* TSIG error codes (RFC 8945 section 3). */
enum tsig_rcode {
	TSIG_NOERROR = 0,
	TSIG_BADSIG = 16,
	TSIG_BADKEY = 17,
	TSIG_BADTIME = 18,
	TSIG_BADTRUNC = 22,
};

/* What a request's signature needs to remember to verify the answer. */
typedef struct tsig_request {
	uint8_t mac[256];
	size_t mac_len;
	uint64_t time_signed;
	uint16_t id;
} tsig_request_t;

/* What verification learned from an answer's TSIG RR. */
typedef struct tsig_result {
	uint16_t error; /* TSIG error field (enum tsig_rcode) */
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t orig_id;
	size_t mac_len;	      /* 0: unsigned error answer */
	bool has_server_time; /* BADTIME: other data holds the server's time */
	uint64_t server_time;
	size_t unsigned_len; /* message length without its TSIG RR */
} tsig_result_t;

/*
 * Signs the DNS message msg[0..*len) in place: appends the TSIG RR, raises
 * ARCOUNT, updates *len. cap is the buffer size. now is the wall-clock time
 * to sign with. req may be NULL; when given, it receives the MAC, time and
 * ID needed by tsig_verify_answer(). Returns DF_ENOSPACE when cap is too small.
 */
int tsig_sign_request(const struct tsig_key *key, uint8_t *msg, size_t *len, size_t cap,
		      uint64_t now, uint16_t fudge, tsig_request_t *req);

/*
 * Verifies an answer to a request signed with tsig_sign_request(), in the
 * order RFC 8945 section 5.2 and the reference give: exactly one TSIG, last;
 * same key name and algorithm; MAC size 0 -> DF_ETSIG_UNSIGNED (res filled,
 * nothing to trust); MAC length must be the full digest; MAC over request MAC
 * + message + variables; original ID; then time against now with the
 * answer's fudge (DF_ETSIG_BADTIME). Only a DF_OK answer may be acted upon;
 * res->error then holds the (authentic) TSIG error, e.g. a signed BADTIME.
 * Returns DF_ETSIG_MISSING when there is no TSIG, DF_EMALFORMED on bad bytes.
 */
int tsig_verify_answer(const struct tsig_key *key, const uint8_t *msg, size_t len,
		       const tsig_request_t *req, uint64_t now, tsig_result_t *res);

/*
 * Verifies a signed request (the server side, no request MAC prefix); used
 * by tests and by GSS TKEY answers that are signed without a prior MAC.
 */
int tsig_verify_request(const struct tsig_key *key, const uint8_t *msg, size_t len, uint64_t now,
			tsig_result_t *res);

/* "BADSIG", "BADKEY", "BADTIME", ... or "error N" (static buffer for others). */
const char *tsig_rcode_name(uint16_t error);

/*
 * A signed multi-message answer (AXFR, RFC 8945 section 5.3.1): the first
 * message is verified as tsig_verify_answer() does; each later signed one
 * over the previous MAC, the unsigned messages since then, itself and the
 * timers only. At most 99 unsigned messages in a row; the last message of
 * the stream must be signed (tsig_stream_complete()).
 */
typedef struct tsig_stream {
	const struct tsig_key *key;
	tsig_request_t prior; /* the request, then the last verified MAC */
	unsigned messages;
	unsigned unsigned_run;
	uint8_t *pending; /* unsigned messages since the last MAC */
	size_t pending_len, pending_cap;
} tsig_stream_t;

void tsig_stream_init(tsig_stream_t *s, const struct tsig_key *key, const tsig_request_t *req);
int tsig_stream_verify(tsig_stream_t *s, const uint8_t *msg, size_t len, uint64_t now,
		       tsig_result_t *res);
/* Whether every message so far is covered by a verified MAC. */
bool tsig_stream_complete(const tsig_stream_t *s);
void tsig_stream_deinit(tsig_stream_t *s);
