/*
 * The DNS side of dnsrecordsd: one writer thread per zone that coalesces
 * the changes waiting for it into one signed UPDATE to the zone's primary
 * (retrying transport failures with backoff inside each change's deadline,
 * never a refusal), splitting a failed batch so that every change gets its
 * own answer; signed reads of one RRset; the zone listing by signed AXFR,
 * cached by SOA serial; and verify, which asks every authoritative server.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/records/records_batch.h"
#include "src/records/records_conf.h"
#include "src/records/records_metrics.h"

typedef struct rec_store rec_store_t;

int rec_store_new(rec_store_t **out, const rec_conf_t *c, rec_metrics_t *m, df_detail_t *d);
void rec_store_free(rec_store_t *s);

/* Queues ch for z's writer and waits until it is decided (ch->done) or its deadline. */
void rec_store_write(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch);

/* The same in two steps, so that one request can queue several changes
 * (coalesced with each other) before it waits: every submitted change must
 * be waited for. */
void rec_store_submit(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch);
void rec_store_wait(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch);

/*
 * Reads name/type from z's primary (signed, RD=0) into set (initialised
 * here; the caller clears it). *found false when there is none.
 */
int rec_store_read(rec_store_t *s, const rec_zone_conf_t *z, const char *name, uint16_t type,
		   rec_rrset_t *set, bool *found, df_detail_t *d);

/* Every RRset of our types in z, from the AXFR cache (refreshed when the SOA
 * serial moved). cb runs under the zone's cache lock. */
typedef void (*rec_list_fn)(void *arg, const rec_rrset_t *set);
int rec_store_list(rec_store_t *s, const rec_zone_conf_t *z, rec_list_fn cb, void *arg, bool *hit,
		   df_detail_t *d);

#define REC_VERIFY_SERVERS_MAX 16
typedef struct rec_verify {
	size_t n;
	struct {
		char server[300];
		bool ok;
		int rcode;
		char got[800]; /* what it answered, or the error */
	} r[REC_VERIFY_SERVERS_MAX];
} rec_verify_t;

/* Asks every authoritative server of z (verify_servers, or the NS set) for
 * name/type with RD=0; ok when each answers exactly want (absent: want->n 0). */
int rec_store_verify(rec_store_t *s, const rec_zone_conf_t *z, const rec_rrset_t *want,
		     rec_verify_t *out, df_detail_t *d);
