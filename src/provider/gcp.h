/*
 * The gcp-dns provider's readers of the service-account key file and of
 * Cloud DNS answers, exposed for the unit tests and the fuzz target
 * (reference/rest-providers.md sections 1, 6 and 9).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/lease/lease_value.h"

#define GCP_SET_MAX	   2048 /* one record set as JSON, as read */
#define GCP_PAGE_TOKEN_MAX 512
#define GCP_CHANGE_ID_MAX  64

/* What a service-account key file holds that the provider uses. */
typedef struct gcp_key {
	char client_email[256];
	char private_key_id[128];
	char project_id[256];
	char token_uri[512];
	char *private_key; /* PEM, malloc'd; wiped by gcp_key_clear() */
	size_t private_key_len;
} gcp_key_t;

/*
 * A key file's JSON text: "type" must be "service_account" and
 * client_email and private_key present; private_key_id, project_id and
 * token_uri are kept when present. DF_OK, else DF_EKEYFILE and d says
 * which member is wrong (never a value of the key). path names the file.
 */
int gcp_parse_key_file(const char *text, size_t len, const char *path, gcp_key_t *out,
		       df_detail_t *d);
void gcp_key_clear(gcp_key_t *k);

/* The lease record sets at the lease name, over one or more pages. */
typedef struct gcp_list {
	char a_set[GCP_SET_MAX];   /* the A set as read ({"name","type","ttl","rrdatas"}), "" */
	char txt_set[GCP_SET_MAX]; /* the TXT set, "" */
	size_t a_count;
	char a[64];
	char a_list[LEASE_A_LIST_MAX];
	size_t txt_count;	   /* rrdatas of the TXT set */
	char txt[LEASE_MAX_RDATA]; /* its text, decoded */
	bool txt_decoded;
	char txt_error[128];
	char next_page[GCP_PAGE_TOKEN_MAX]; /* nextPageToken, "" when the last page */
} gcp_list_t;

/*
 * An error answer of the API ({"error":{"code","message","errors":[{"reason"}]}})
 * with HTTP status: reason and message (escaped, for a log) and our error:
 *   DF_ECONFLICT  412 conditionNotMet, 409 alreadyExists, a deletion not found
 *   DF_EACCES     401, 403 (the token or the service account's roles)
 *   DF_ECONFIG    404 (project, managed zone), 400 invalid
 *   DF_ENETWORK   429, rateLimitExceeded
 *   DF_EUNKNOWN   5xx
 *   DF_ERCODE     anything else
 */
int gcp_parse_error(const char *body, size_t len, long status, char *reason, size_t rsize,
		    char *msg, size_t msize);

/*
 * One page of GET .../rrsets?name=RECORD (record absolute, lower case):
 * the A and TXT sets named record added to out (zeroed by the caller before
 * the first page). DF_OK, DF_EMALFORMED, or DF_ECONFIG for a set the
 * provider must leave alone (a routing policy, two TXT records); d says why.
 * status must be 200 (else see gcp_parse_error()).
 */
int gcp_parse_rrsets(const char *body, size_t len, const char *record, gcp_list_t *out,
		     df_detail_t *d);

/*
 * A dns#change (POST .../changes, GET .../changes/ID): its id and whether
 * its status is "done". DF_OK or DF_EMALFORMED.
 */
int gcp_parse_change(const char *body, size_t len, char id[GCP_CHANGE_ID_MAX], bool *done,
		     df_detail_t *d);

/* The version of a lease: the A and TXT sets as read. */
int gcp_version_put(lease_version_t *v, const char *a_set, const char *txt_set);
bool gcp_version_get(const lease_version_t *v, char a_set[GCP_SET_MAX], char txt_set[GCP_SET_MAX]);
