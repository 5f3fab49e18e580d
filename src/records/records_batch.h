/*
 * One change a request asks for, and how changes to one zone become one
 * RFC 2136 UPDATE: each change brings its prerequisites (what must hold for
 * it) and its updates; changes that touch distinct names are put together
 * until the message would pass REC_BATCH_BYTES or batch_max changes.
 * Pure: the writer thread (records_store.c) sends what this builds.
 */
#pragma once

#include <ldns/ldns.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/records/records_valid.h"

#define REC_BATCH_BYTES 60000 /* below the 65535 of a TCP DNS message, TSIG included */

typedef enum rec_op {
	REC_OP_REGISTER, /* the RRset must be absent (and no CNAME / nothing for a CNAME) */
	REC_OP_REPLACE,	 /* the RRset must exist, or equal old when old is given */
	REC_OP_DELETE,	 /* remove the RRset (type 0: every type we manage); no prerequisite */
} rec_op_t;

typedef struct rec_change {
	rec_op_t op;
	char name[REC_NAME_MAX];
	uint16_t type;		/* 0 with REC_OP_DELETE: all of ours */
	const rec_rrset_t *old; /* REC_OP_REPLACE with If-Match (borrowed) */
	const rec_rrset_t *set; /* the new RRset (borrowed; NULL for delete) */
	int64_t deadline_ms;	/* monotonic */
	/* Outcome, filled by the writer. */
	bool done;
	int err;   /* DF_OK: the server answered (rcode), else the transport's error */
	int rcode; /* of the UPDATE that carried this change alone or with others */
	int attempts;
	size_t batch; /* changes in the UPDATE that decided it */
	char msg[768];
	pthread_cond_t cond;
	struct rec_change *next;
} rec_change_t;

/* Appends ch's prerequisites and updates to the lists. false: no memory or a bad name. */
bool rec_change_rrs(const rec_change_t *ch, ldns_rr_list *prereq, ldns_rr_list *updates);

/* Bytes ch adds to an UPDATE (uncompressed, an upper bound). */
size_t rec_change_size(const rec_change_t *ch);

/*
 * Takes changes from the front of the list *queue (in arrival order) that
 * fit one UPDATE: distinct names, at most max_changes and max_bytes. A
 * change whose name is already taken stays queued for the next UPDATE, in
 * order. The taken ones are returned as a list; *queue keeps the rest.
 */
rec_change_t *rec_batch_take(rec_change_t **queue, size_t max_changes, size_t max_bytes,
			     size_t *count);

/* The UPDATE for a list of changes (next-linked). Caller frees with ldns_pkt_free(). */
ldns_pkt *rec_batch_update(const char *zone, const rec_change_t *list);
