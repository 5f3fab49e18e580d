/*
 * The records API over HTTP: routes, authentication, scopes, limits, JSON
 * bodies in the seed's envelope, the audit line of every change. Handlers
 * run in the HTTP server's connection threads and block on the zone
 * writers (records_store.h).
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include "src/http/http_server.h"
#include "src/records/records_audit.h"
#include "src/records/records_conf.h"
#include "src/records/records_limit.h"
#include "src/records/records_metrics.h"
#include "src/records/records_store.h"
#include "src/records/records_token.h"

typedef struct rec_api {
	const rec_conf_t *c;
	const rec_tokens_t *tokens; /* replaced on SIGHUP under tokens_lock */
	pthread_rwlock_t tokens_lock;
	rec_store_t *store;
	rec_audit_t *audit;
	rec_limits_t *lim;
	rec_metrics_t *m;
} rec_api_t;

void rec_api_handle(void *arg, const http_sreq_t *req, http_response_t *resp);

/*
 * Reads a register/replace body: {"name", "type", "value" | "values",
 * "ttl"}. path_name (NULL for POST) is the name from the URL, which a body
 * name must equal. Fills set (initialised here; caller clears it) and its
 * zone. On false, e names the field; *status is 400 (malformed JSON, a
 * field of the wrong kind) or 422 (a name in no zone).
 */
bool rec_api_parse_body(const rec_conf_t *c, const char *body, size_t len, const char *path_name,
			rec_rrset_t *set, const rec_zone_conf_t **zone, rec_error_t *e,
			unsigned *status);

/* One audit line (records_audit.h) for a change: token is the token's name. */
int rec_audit_change(rec_audit_t *a, const char *token, const char *client, const char *rid,
		     const char *action, const char *name, uint16_t type, const rec_rrset_t *before,
		     size_t nbefore, const rec_rrset_t *after, size_t nafter, const char *outcome,
		     unsigned status);

/*
 * Loads the tokens file again and, when it is valid, puts it in place of
 * the current tokens (returned in *old for the caller to free once this
 * returns: no request holds it then). Otherwise the current tokens stay
 * and d says why. Rate buckets follow the tokens' positions in the file.
 */
int rec_api_reload_tokens(rec_api_t *api, rec_tokens_t **old, df_detail_t *d);
