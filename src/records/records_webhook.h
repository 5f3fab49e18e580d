/*
 * The external-dns webhook provider protocol (external-dns --provider=webhook)
 * on its own listener (webhook_listen, loopback by default): GET / negotiates
 * the media type and returns the domain filter made of the configured zones,
 * GET /records lists every RRset as an Endpoint, POST /records applies
 * Changes (create, updateOld/updateNew paired by index, delete) through the
 * same coalescing zone writers as the records API, POST /adjustendpoints
 * returns the endpoints unchanged, /healthz. Every change is audited under
 * the token name "external-dns". labels and providerSpecific of applied
 * endpoints are kept in memory and echoed by GET /records, so that a sync
 * cycle that changed nothing sees nothing to change.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include "src/records/records_api.h"

#define REC_WEBHOOK_MEDIA "application/external.dns.webhook+json;version=1"
#define REC_WEBHOOK_TOKEN "external-dns"

typedef struct rec_webhook {
	rec_api_t *api;
	pthread_mutex_t mu;
	void *extras; /* json_t object: "name/type" -> {"labels", "providerSpecific"} */
} rec_webhook_t;

int rec_webhook_init(rec_webhook_t *w, rec_api_t *api);
void rec_webhook_deinit(rec_webhook_t *w);
void rec_webhook_handle(void *arg, const http_sreq_t *req, http_response_t *resp);

/*
 * One Endpoint of external-dns as JSON text -> an RRset (for the fuzz
 * target and the handler). ttl_default applies to a recordTTL of 0 or none.
 * On false e says what is wrong.
 */
bool rec_webhook_endpoint(const rec_conf_t *c, const void *json_endpoint, rec_rrset_t *set,
			  const rec_zone_conf_t **zone, rec_error_t *e);
