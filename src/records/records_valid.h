/*
 * The records dnsrecordsd manages, and every check made before anything is
 * sent: names (LDH, underscore labels for TXT and SRV), values per type
 * (addresses that parse for their family, CNAME and SRV targets, TXT
 * sizes), TTL range, value counts. An RRset carries both the canonical text
 * the API shows and the wire-form RDATA the UPDATE carries. Pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

#define REC_NAME_MAX	   256	/* absolute, with the trailing dot and NUL */
#define REC_VALUES_MAX	   64	/* values in one RRset */
#define REC_VALUE_MAX	   2048 /* one value as text (TXT), with its NUL */
#define REC_RDATA_MAX	   (REC_VALUE_MAX + 16)
#define REC_TTL_MAX	   2147483647u
#define REC_RRSET_WIRE_MAX 16384 /* all values of one RRset together */

/* The types the API manages, as DNS type numbers. */
enum rec_type {
	REC_A = 1,
	REC_CNAME = 5,
	REC_TXT = 16,
	REC_AAAA = 28,
	REC_SRV = 33,
};

typedef struct rec_value {
	char *text;	/* canonical: "192.0.2.1", "host.example.com.", "10 5 80 t." */
	uint8_t *rdata; /* wire form, uncompressed */
	size_t rdlen;
} rec_value_t;

typedef struct rec_rrset {
	char name[REC_NAME_MAX]; /* lower case, absolute */
	uint16_t type;
	uint32_t ttl;
	size_t n;
	rec_value_t v[REC_VALUES_MAX];
} rec_rrset_t;

/* What a validation failure names: the field and why. */
typedef struct rec_error {
	char field[32];
	char msg[512];
} rec_error_t;

/* "A" ... "SRV" -> type; false for any other (case-insensitive). */
bool rec_type_parse(const char *text, uint16_t *type);
const char *rec_type_name(uint16_t type);

/*
 * Checks name for a record of type (0: any of ours) and writes it lower
 * case and absolute into out (REC_NAME_MAX). Labels are LDH (letters,
 * digits, hyphens not at either end), 1-63 bytes, 253 in all; a label
 * starting with '_' is allowed for TXT and SRV (and for type 0). A
 * trailing dot is optional.
 */
bool rec_name_check(const char *name, uint16_t type, char *out, rec_error_t *e);

/* Checks a host name that is a value (CNAME or SRV target): LDH, made absolute. */
bool rec_host_check(const char *name, const char *field, char *out, rec_error_t *e);

/* Adds one value (text as a client wrote it) to set, checked for set->type. */
bool rec_value_add(rec_rrset_t *set, const char *text, rec_error_t *e);

/* Adds one value from wire RDATA (read from the server). DF_OK, DF_EMALFORMED, DF_ENOSPACE. */
int rec_value_add_rdata(rec_rrset_t *set, const uint8_t *rdata, size_t len);

/* Checks the set as a whole: at least one value, CNAME has exactly one,
 * values are distinct, the total size fits, ttl in [ttl_min, ttl_max]. */
bool rec_rrset_check(const rec_rrset_t *set, uint32_t ttl_min, uint32_t ttl_max, rec_error_t *e);

/* Sorts the values by canonical text (so that comparisons and ETags do not
 * depend on the order the server or the client gave them in). */
void rec_rrset_sort(rec_rrset_t *set);

/* Same name, type and values (ttl compared when with_ttl). Both sorted. */
bool rec_rrset_equal(const rec_rrset_t *a, const rec_rrset_t *b, bool with_ttl);

/* The ETag of the set (ttl and sorted values): "\"<16 hex digits>\"" into out (24). */
void rec_rrset_etag(const rec_rrset_t *set, char *out, size_t size);

void rec_rrset_init(rec_rrset_t *set, const char *name, uint16_t type, uint32_t ttl);
void rec_rrset_clear(rec_rrset_t *set);

/* Whether name is zone or below it (both absolute, lower case). */
bool rec_name_in_zone(const char *name, const char *zone);
