/*
 * The f5-gtm provider's readers of iControl REST answers, exposed for the
 * unit tests and the fuzz target (reference/rest-providers.md section 7).
 *
 * Errors have the body {"code": N, "message": "...", "errorStack": [...]}.
 * The lease is the internal string data-group dns_failover_lease with the
 * records owner, exp, ip and epoch (the earlier tool's layout, so that both
 * share it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

#define F5_DATA_GROUP  "dns_failover_lease"
#define F5_TOKEN_MAX   128
#define F5_MEMBERS_MAX 16
#define F5_MEMBER_NAME 256

/* The data-group as read. */
typedef struct f5_group {
	int64_t generation;
	bool has_owner, has_exp, has_ip, has_epoch;
	char owner[64], exp[32], ip[64], epoch[32];
	size_t others; /* records besides the four */
} f5_group_t;

/* The members of a GTM pool (type A). */
typedef struct f5_members {
	size_t count;
	char name[F5_MEMBERS_MAX][F5_MEMBER_NAME]; /* "/Common/server:vs" */
	bool enabled[F5_MEMBERS_MAX];
} f5_members_t;

/*
 * An answer with HTTP status to the call what: DF_OK for a 2xx with a JSON
 * object; otherwise the error, d naming the call and why:
 *   DF_EACCES     401 (the credentials or token refused) or 403
 *   DF_ENOTFOUND  404 (the object does not exist)
 *   DF_ECONFLICT  409 (it already exists)
 *   DF_EUNKNOWN   5xx: a write may have applied
 *   DF_ERCODE     any other refusal, with its code and message
 *   DF_EMALFORMED a 2xx whose body is not a JSON object
 */
int f5_check_answer(const char *body, size_t len, long status, const char *what, df_detail_t *d);

/* POST /mgmt/shared/authn/login: token.token and token.timeout (seconds). */
int f5_parse_login(const char *body, size_t len, long status, char token[F5_TOKEN_MAX],
		   long *timeout_s, df_detail_t *d);

/* GET .../data-group/internal/~P~dns_failover_lease. DF_ENOTFOUND on 404. */
int f5_parse_group(const char *body, size_t len, long status, f5_group_t *out, df_detail_t *d);

/* GET /mgmt/tm/gtm/pool/a/~P~POOL/members. */
int f5_parse_members(const char *body, size_t len, long status, f5_members_t *out, df_detail_t *d);

/* GET /mgmt/tm/gtm/server/~P~SERVER/virtual-servers/VS: the address of its
 * destination ("192.0.2.10:443", "/Common/192.0.2.10:443"). */
int f5_parse_vs(const char *body, size_t len, long status, char addr[64], df_detail_t *d);
