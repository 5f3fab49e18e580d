/*
 * The pure parts of the route53 provider (provider_route53.c), exported for
 * its unit tests, its fuzz target and the test fake: the TXT value syntax,
 * the listing and error readers, and the version (the exact record sets).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/lease/lease_value.h"

#define ROUTE53_VALUES_MAX 8	/* values of one record set kept */
#define ROUTE53_VALUE_MAX  1100 /* longest value kept, as Route 53 writes it */

/* One record set at the lease name, as Route 53 gave it. */
typedef struct route53_set {
	bool present;
	uint32_t ttl;
	size_t count;
	char values[ROUTE53_VALUES_MAX][ROUTE53_VALUE_MAX];
} route53_set_t;

/* What one page of ListResourceRecordSets said about the lease name. */
typedef struct route53_page {
	route53_set_t a, txt;
	bool truncated;
	char next_name[256]; /* decoded, lower case */
	char next_type[16];
	char next_id[128];
	char foreign[300]; /* the first foreign set at the lease name, "" when none */
	size_t foreign_count;
} route53_page_t;

/*
 * Decodes a TXT Value ("..." "..." with \" \\ and \DDD octal escapes, or
 * bare words) into out (size bytes), the strings joined. DF_OK,
 * DF_EMALFORMED (bad escape, unterminated quote) or DF_ENOSPACE.
 */
int route53_txt_decode(const char *value, char *out, size_t size);

/*
 * Encodes text as a TXT Value: strings of at most 255 bytes, each quoted,
 * '"' and '\' escaped, bytes outside 0x20-0x7e as \DDD octal.
 */
int route53_txt_encode(const char *text, size_t len, char *out, size_t size);

/* A Name as Route 53 writes it (\DDD octal escapes) decoded and lower-cased into out. */
int route53_name_decode(const char *name, char *out, size_t size);

/*
 * Reads one ListResourceRecordSets page (body, len bytes) and merges the A
 * and TXT sets named record (absolute, lower case) into page. Sets at
 * other names are skipped; a set at the name with SetIdentifier,
 * AliasTarget, Weight, Failover, Region, GeoLocation, MultiValueAnswer or
 * a CIDR routing config is counted and described in page->foreign.
 * DF_OK or DF_EMALFORMED with why (size bytes) saying what.
 */
int route53_parse_listing(const char *body, size_t len, const char *record, route53_page_t *page,
			  char *why, size_t size);

/* What an error answer means for the caller. */
typedef enum route53_error_kind {
	ROUTE53_ERR_CONFLICT, /* InvalidChangeBatch, every message a lost CAS */
	ROUTE53_ERR_BATCH,    /* InvalidChangeBatch for another reason: configuration */
	ROUTE53_ERR_RETRY,    /* PriorRequestNotComplete, Throttling: not applied, try again */
	ROUTE53_ERR_AUTH,     /* SignatureDoesNotMatch, InvalidClientTokenId, AccessDenied, ... */
	ROUTE53_ERR_CONFIG,   /* NoSuchHostedZone, NoSuchChange, InvalidInput, ... */
	ROUTE53_ERR_SERVER,   /* 5xx or an answer that is not a Route 53 error */
} route53_error_kind_t;

/*
 * Classifies an error answer (HTTP status, body of len bytes): both
 * InvalidChangeBatch envelopes are read. code (csize bytes) gets the error
 * code, msg (msize bytes) its messages joined with "; ", both raw (escape
 * them before logging).
 */
route53_error_kind_t route53_parse_error(long status, const char *body, size_t len, char *code,
					 size_t csize, char *msg, size_t msize);

/* Whether an InvalidChangeBatch message (one, or a bracketed list) says only "lost CAS". */
bool route53_conflict_message(const char *msg);

/*
 * The version of the sets a and txt (either may be absent) into v, and
 * back. DF_OK, DF_ENOSPACE (too large for a lease version) or
 * DF_EMALFORMED (not a version this provider wrote).
 */
int route53_version_put(lease_version_t *v, const route53_set_t *a, const route53_set_t *txt);
int route53_version_get(const lease_version_t *v, route53_set_t *a, route53_set_t *txt);

/*
 * The ChangeBatch that replaces the sets of old (as read; NULL: none) with
 * the lease next (TXT and A at record, ttl), into a malloc'd *out (caller
 * frees with free()): DELETE of exactly what was read, then CREATE; an A
 * set already holding exactly next's address at ttl is left alone. The
 * sets written go to new_a and new_txt. what (size bytes) lists the
 * changes for messages ("DELETE TXT, CREATE TXT").
 */
int route53_change_batch(const char *record, uint32_t ttl, const route53_set_t *old_a,
			 const route53_set_t *old_txt, const lease_t *next, route53_set_t *new_a,
			 route53_set_t *new_txt, char **out, char *what, size_t size);
