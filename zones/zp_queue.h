/*
 * The durable queue of zonepushd, in SQLite (WAL, synchronous=FULL):
 *
 *   zones         each zone's last good text, DA's hostname and username,
 *                 a version that grows with every change, deleted = 1 while
 *                 a delete is on its way to the backends;
 *   queue         per backend, the one pending operation of each zone (the
 *                 latest version wins: two pushes before a backend caught up
 *                 cost it one write), its attempts and when it is due;
 *   applied       per backend, the version each zone has there;
 *   dead_letters  operations that failed after the whole retry schedule.
 *
 * A push returns once its transaction is committed: that is when DA gets
 * error=0. A backend applies whole zones, so an operation redone after a
 * crash writes what is already there: nothing a backend shows changes twice.
 * One zp_queue_t per thread (SQLite connections are not shared).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

#define ZP_QUEUE_SCHEDULE_MAX 16

typedef struct zp_queue zp_queue_t;

enum zp_push_result {
	ZP_PUSH_QUEUED,	   /* a change: queued for every backend */
	ZP_PUSH_UNCHANGED, /* the stored text, byte for byte: nothing to do */
};

enum zp_delete_result {
	ZP_DELETE_QUEUED,
	ZP_DELETE_ABSENT,  /* no such zone: nothing to do */
	ZP_DELETE_REFUSED, /* the zone's stored master is another host */
};

enum zp_op { ZP_OP_SAVE, ZP_OP_DELETE };

typedef struct zp_zone_info {
	bool exists; /* stored and not being deleted */
	char hostname[256];
	char username[65];
	int64_t version;
} zp_zone_info_t;

typedef struct zp_item {
	char zone[256];
	enum zp_op op;
	int64_t version;
	unsigned attempts; /* failed attempts so far */
	char *text;	   /* save: the zone text (malloc()ed, NUL-terminated) */
	size_t len;
} zp_item_t;

typedef struct zp_backend_stats {
	int64_t pending;
	int64_t dead;
	int64_t applied;
} zp_backend_stats_t;

/*
 * Opens (creating when needed) the database at path. backends (n names) are
 * the enabled backends: pushes are queued for each. d names the file and the
 * reason on failure.
 */
int zp_queue_open(zp_queue_t **out, const char *path, const char *const *backends, size_t n,
		  df_detail_t *d);
void zp_queue_close(zp_queue_t *q);

/* Stores text as the zone's last good text and queues it, unless it is the
 * stored text already. */
int zp_queue_push(zp_queue_t *q, const char *zone, const char *text, size_t len,
		  const char *hostname, const char *username, int64_t now, enum zp_push_result *res,
		  df_detail_t *d);

/* Queues the removal of zone from every backend, unless the zone's stored
 * hostname is not hostname (then ZP_DELETE_REFUSED, nothing changes). */
int zp_queue_delete(zp_queue_t *q, const char *zone, const char *hostname, int64_t now,
		    enum zp_delete_result *res, df_detail_t *d);

int zp_queue_lookup(zp_queue_t *q, const char *zone, zp_zone_info_t *info, df_detail_t *d);

/* Up to max due operations of backend (next_at <= now), oldest first.
 * Returns the count (items filled), or a negative error. */
int zp_queue_due(zp_queue_t *q, const char *backend, int64_t now, zp_item_t *items, size_t max,
		 df_detail_t *d);
void zp_item_clear(zp_item_t *it);

/* When backend's next operation is due (INT64_MAX when none). */
int64_t zp_queue_next_due(zp_queue_t *q, const char *backend);

/* it was applied on backend. A newer version queued meanwhile stays queued. */
int zp_queue_done(zp_queue_t *q, const char *backend, const zp_item_t *it, int64_t now,
		  df_detail_t *d);

/*
 * it failed on backend with error: due again after schedule[attempts] seconds,
 * or, once all n steps are spent, moved to the dead letters. *dead tells which.
 */
int zp_queue_failed(zp_queue_t *q, const char *backend, const zp_item_t *it, const char *error,
		    int64_t now, const unsigned *schedule, size_t n, bool *dead, df_detail_t *d);

/* The healing pass for backend: every dead letter is queued again with its
 * zone's current state. Returns how many, or a negative error. */
int zp_queue_heal_dead(zp_queue_t *q, const char *backend, int64_t now, df_detail_t *d);

/*
 * The healing pass for a backend that lists its zones: every stored zone
 * (not being deleted, not queued) missing from present (n names, lower
 * case, no trailing dot) is queued again. Returns how many.
 */
int zp_queue_heal_missing(zp_queue_t *q, const char *backend, const char *const *present, size_t n,
			  int64_t now, df_detail_t *d);

int zp_queue_stats(zp_queue_t *q, const char *backend, zp_backend_stats_t *st);
/* Zones stored (not being deleted). */
int64_t zp_queue_zone_count(zp_queue_t *q);

/* Calls fn for each dead letter (backend, zone, op, attempts, error, at). */
int zp_queue_each_dead(zp_queue_t *q,
		       void (*fn)(void *arg, const char *backend, const char *zone, const char *op,
				  unsigned attempts, const char *error, int64_t at),
		       void *arg);

/* Calls fn for each stored zone (not being deleted) whose master is hostname. */
int zp_queue_each_zone(zp_queue_t *q, const char *hostname, void (*fn)(void *arg, const char *zone),
		       void *arg);

/* Calls fn for each zone backend has in its current version (applied, not
 * queued, not being deleted), with the stored text. */
int zp_queue_each_applied(zp_queue_t *q, const char *backend,
			  void (*fn)(void *arg, const char *zone, const char *text, size_t len),
			  void *arg);

/* Queues zone's current version for backend again (unless already queued). */
int zp_queue_requeue(zp_queue_t *q, const char *backend, const char *zone, int64_t now,
		     df_detail_t *d);
