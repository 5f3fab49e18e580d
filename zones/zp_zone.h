/*
 * A zone as DirectAdmin sends it (reference directadmin.md section 2),
 * parsed with ldns with origin = the domain and checked: one SOA at the
 * apex, every owner inside the zone, no CNAME beside other data. What a
 * backend writes comes from the parsed records, never from DA's text.
 */
#pragma once

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>

#define ZP_ZONE_MAX_BYTES   (4 * 1024 * 1024)
#define ZP_ZONE_MAX_RRS	    100000
#define ZP_ZONE_DEFAULT_TTL 300 /* when the text has no $TTL and a record no TTL */

typedef struct zp_zone {
	char name[256];	   /* "example.com" (lower case, no trailing dot) */
	ldns_rr_list *rrs; /* every record, SOA first, absolute names; owned */
} zp_zone_t;

/*
 * Parses text (len bytes, need not be NUL-terminated) as the zone of domain
 * (a validated host name). Returns true and fills z (free with
 * zp_zone_free()), or false with the reason in why (the line when ldns
 * names one).
 */
bool zp_zone_parse(const char *domain, const char *text, size_t len, zp_zone_t *z, char *why,
		   size_t wsize);

void zp_zone_free(zp_zone_t *z);

/* The records, SOA first. */
size_t zp_zone_count(const zp_zone_t *z);

/*
 * The zone as a master file: "$ORIGIN name.\n" then one record a line,
 * absolute names (what ldns_rr2str gives). malloc()ed, NUL-terminated;
 * *len its length. NULL when out of memory.
 */
char *zp_zone_render(const zp_zone_t *z, size_t *len);
