/*
 * The azure-dns provider's readers of Azure Resource Manager and Entra ID
 * answers, exposed for the unit tests and the fuzz target
 * (reference/rest-providers.md sections 1, 5 and 9).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/http/oauth.h"
#include "src/lease/lease_value.h"

#define AZURE_ETAG_MAX 128

/* One record set (A or TXT) as GET or PUT returned it. */
typedef struct azure_set {
	char etag[AZURE_ETAG_MAX];
	unsigned long ttl;
	/* TXT: the value strings of the one TXT record, joined (no quotes). */
	char txt[LEASE_MAX_RDATA];
	/* A: every address. */
	size_t a_count;
	char a[64];
	char a_list[LEASE_A_LIST_MAX];
} azure_set_t;

/*
 * A record set of type ("A" or "TXT") from a 200/201 body. DF_OK;
 * DF_ECONFIG for a set the provider must leave alone (an alias set with a
 * targetResource, several TXT records); DF_EMALFORMED. d says why.
 */
int azure_parse_set(const char *body, size_t len, const char *type, azure_set_t *out,
		    df_detail_t *d);

/* What an error answer means. */
typedef enum azure_err {
	AZURE_ERR_OTHER,     /* DF_ERCODE */
	AZURE_ERR_CONFLICT,  /* 412 PreconditionFailed: the etag moved */
	AZURE_ERR_ABSENT,    /* 404 for the record set itself */
	AZURE_ERR_ZONE,	     /* 404 for the zone, the resource group or the subscription */
	AZURE_ERR_AUTH,	     /* 401: the token */
	AZURE_ERR_FORBIDDEN, /* 403: the principal's role */
	AZURE_ERR_THROTTLED, /* 429 */
	AZURE_ERR_SERVER,    /* 5xx */
} azure_err_t;

/* {"error":{"code","message"}} with HTTP status: the kind, code and message (escaped). */
azure_err_t azure_parse_error(const char *body, size_t len, long status, char *code, size_t csize,
			      char *msg, size_t msize);

/* The configuration key an Entra ID refusal points at (by its AADSTS code), and advice. */
const char *azure_token_advice(const oauth_answer_t *a);

/* The version of a lease: the TXT's etag and the A's ("" when unknown). */
int azure_version_put(lease_version_t *v, const char *txt_etag, const char *a_etag);
bool azure_version_get(const lease_version_t *v, char txt_etag[AZURE_ETAG_MAX],
		       char a_etag[AZURE_ETAG_MAX]);
