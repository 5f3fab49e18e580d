/*
 * The infoblox provider's readers of WAPI answers, exposed for the unit
 * tests and the fuzz target (reference/rest-providers.md section 4).
 *
 * A WAPI answer is a bare JSON array of objects for a search, a JSON string
 * (the _ref) for a write, and {"Error": "...", "code": "Client.Ibap....",
 * "text": "..."} for an error. The readers say what an error means for an
 * operator: refused credentials, a WAPI version or view the grid does not
 * have, a filtered step that matched nothing (the lease changed), a server
 * error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/lease/lease_value.h"

#define INFOBLOX_REF_MAX 1024

/* The records of one type found at the lease name. */
typedef struct infoblox_records {
	size_t count;
	char ref[INFOBLOX_REF_MAX];  /* the first record's _ref */
	char value[LEASE_MAX_RDATA]; /* its ipv4addr, or its text as stored */
	char list[LEASE_A_LIST_MAX]; /* A: every address, ", "-separated */
} infoblox_records_t;

/*
 * An answer with HTTP status to the call what ("GET record:txt"): DF_OK for
 * a 2xx with a JSON body; otherwise the error with d naming the call and,
 * in operator terms, why:
 *   DF_EACCES     401 (INFOBLOX_USERNAME / INFOBLOX_PASSWORD refused) or 403
 *   DF_ECONFIG    an unknown WAPI version (Client.Ibap.Proto), or a view,
 *                 zone or object the grid does not have (Client.Ibap.Data.NotFound
 *                 on a search)
 *   DF_ECONFLICT  Client.Ibap.Data.NotFound on a multi-object request (a
 *                 filtered step matched nothing), Client.Ibap.Data.Conflict
 *   DF_EUNKNOWN   a server error (5xx): a write may have applied
 *   DF_ERCODE     any other refusal, with its code and text
 *   DF_EMALFORMED a 2xx whose body is not JSON
 */
int infoblox_check_answer(const char *body, size_t len, long status, const char *what, bool request,
			  df_detail_t *d);

/*
 * GET record:a or record:txt (type "a" or "txt") with name and view: the
 * records whose name and view match exactly.
 */
int infoblox_parse_records(const char *body, size_t len, long status, const char *type,
			   const char *name, const char *view, infoblox_records_t *out,
			   df_detail_t *d);

/* GET view?name=VIEW: DF_OK when the view exists, DF_ECONFIG when not. */
int infoblox_parse_view(const char *body, size_t len, long status, const char *view,
			df_detail_t *d);

/* POST request (the multi-object swap): DF_OK when it applied. */
int infoblox_parse_request(const char *body, size_t len, long status, df_detail_t *d);
