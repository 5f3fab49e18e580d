/*
 * The cloudflare provider's readers of the API's answers and its TXT
 * quoting, exposed for the unit tests and the fuzz target
 * (reference/rest-providers.md section 3).
 *
 * Every answer of the API has one envelope:
 *   {"success": bool, "errors": [{"code": n, "message": "..."}], "messages": [...],
 *    "result": ..., "result_info": {...}}
 * The readers below check it and say what an error means for an operator:
 * a token that is refused, a zone that does not exist, a record id that no
 * longer exists (the compare-and-swap lost), a server error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/lease/lease_value.h"

#define CLOUDFLARE_ID_MAX 64 /* ids are 32 hex digits */
/* Room for the ids of a few A records, ","-separated. */
#define CLOUDFLARE_A_IDS_MAX (8 * CLOUDFLARE_ID_MAX)

/* The lease records found at the lease name. */
typedef struct cloudflare_list {
	size_t a_count;
	char a_id[CLOUDFLARE_ID_MAX];	  /* the first A record's id */
	char a_ids[CLOUDFLARE_A_IDS_MAX]; /* every A record's id, ","-separated */
	char a[64];			  /* its address */
	char a_list[LEASE_A_LIST_MAX];
	size_t txt_count;
	char txt_id[CLOUDFLARE_ID_MAX];
	char txt[LEASE_MAX_RDATA]; /* the first TXT's text, strings joined, unquoted */
	bool txt_decoded;	   /* false: its content could not be decoded (txt_error) */
	char txt_error[128];
} cloudflare_list_t;

/*
 * The envelope of an answer with HTTP status: DF_OK when success is true
 * and a result is present; otherwise the error, d naming what (the call,
 * e.g. "GET /zones") and in operator terms why:
 *   DF_EACCES     the token was refused (401, 403, codes 6003, 6111, 9109, 10000, ...)
 *   DF_ECONFIG    the zone does not exist or is not the token's (7000, 7003, 1001, 404)
 *   DF_ECONFLICT  a record id named no longer exists (81044), or the record
 *                 already exists (81057, 81058)
 *   DF_EUNKNOWN   a server error (5xx): a write may have applied
 *   DF_ERCODE     any other refusal (400 with its code and message, 429)
 *   DF_EMALFORMED the body is not the envelope
 */
int cloudflare_check_envelope(const char *body, size_t len, long status, const char *what,
			      df_detail_t *d);

/* GET /zones?name=ZONE: the id of the zone named zone (no trailing dot). */
int cloudflare_parse_zone(const char *body, size_t len, long status, const char *zone,
			  char id[CLOUDFLARE_ID_MAX], df_detail_t *d);

/* GET /zones/ID/dns_records?name=NAME: the A and TXT records named name. */
int cloudflare_parse_list(const char *body, size_t len, long status, const char *name,
			  cloudflare_list_t *out, df_detail_t *d);

/* POST /zones/ID/dns_records/batch: the ids of the TXT record it posted and
 * of the A it posted or patched ("" when none). */
int cloudflare_parse_batch(const char *body, size_t len, long status,
			   char txt_id[CLOUDFLARE_ID_MAX], char a_id[CLOUDFLARE_ID_MAX],
			   df_detail_t *d);
