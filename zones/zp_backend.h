/*
 * The interface every zone-push backend implements: write a zone, delete a
 * zone, list its zones, count a zone's records; plus a commit that ends a
 * batch (BIND rewrites its include file and reconfigures once there). Each
 * backend is used by one worker thread only.
 */
#pragma once

#include <stddef.h>

#include "src/common/error.h"
#include "zones/zp_conf.h"
#include "zones/zp_zone.h"

typedef struct zp_backend zp_backend_t;

typedef struct zp_backend_ops {
	const char *type;
	/* Replaces the zone's whole content with z's records. */
	int (*write_zone)(zp_backend_t *b, const zp_zone_t *z, df_detail_t *d);
	/* Removes the zone; absent already is success. */
	int (*delete_zone)(zp_backend_t *b, const char *zone, df_detail_t *d);
	/* Ends a batch of writes and deletes: what was written is served once
	 * it returns DF_OK. NULL: nothing to do. */
	int (*commit)(zp_backend_t *b, df_detail_t *d);
	/* The zones it holds (malloc()ed array of malloc()ed names, lower case,
	 * no trailing dot). NULL: cannot list (no healing by listing). */
	int (*list_zones)(zp_backend_t *b, char ***names, size_t *n, df_detail_t *d);
	/* The records zone has there (SOA included). */
	int (*count_records)(zp_backend_t *b, const char *zone, size_t *n, df_detail_t *d);
	void (*destroy)(zp_backend_t *b);
} zp_backend_ops_t;

struct zp_backend {
	const zp_backend_ops_t *ops;
	char name[64];
	void *priv;
};

/* Makes the backend c describes (c->type: bind, nsd, rfc2136); errors name
 * file:line of the key at fault. */
int zp_backend_create(zp_backend_t **out, zp_backend_conf_t *c, df_detail_t *d);
void zp_backend_destroy(zp_backend_t *b);
void zp_names_free(char **names, size_t n);

int zp_backend_bind_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
int zp_backend_coredns_mysql_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
int zp_backend_knot_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
int zp_backend_nsd_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
int zp_backend_rfc2136_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
