/*
 * The lease value as a provider reads and writes it: the A address, the TXT
 * text and its parsed form, and the version a compare-and-swap is made
 * against. The version is opaque to everything but the provider that filled
 * it (DESIGN section 4): the TXT RDATA bytes for RFC 2136, the state file's
 * text for dry-run, an etag or record ids for a REST API.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/lease/lease_txt.h"

#define LEASE_MAX_RDATA	  1024 /* longest TXT text kept */
#define LEASE_VERSION_MAX 4160 /* room for four TXT RDATAs with their lengths */
#define LEASE_A_LIST_MAX  160  /* room for the addresses of a few A records */

typedef struct lease_version {
	size_t len; /* 0: none known */
	uint8_t bytes[LEASE_VERSION_MAX];
} lease_version_t;

typedef struct lease {
	bool has_a;
	char a[64]; /* first A address, presentation form */
	/* A lease has one A record. A provider that reads more sets a_count
	 * to how many and a_list to their addresses (", "-separated, cut with
	 * "..."); 0 or 1 is a clean lease. */
	size_t a_count;
	char a_list[LEASE_A_LIST_MAX];
	bool has_txt;
	char txt[LEASE_MAX_RDATA]; /* first TXT RR, its strings joined, as read */
	bool txt_valid;		   /* txt parsed into lease */
	char txt_error[160];	   /* why not, when has_txt and !txt_valid ("" unknown) */
	lease_txt_t lease;
	/* Filled by the provider's read(), and by its swap() for the value it
	 * wrote; only that provider looks inside. */
	lease_version_t version;
	/* Where it was read and how the server's clock compares to ours. */
	char server[128]; /* "127.0.0.1#5353", or the state file */
	bool has_skew;
	int64_t clock_skew; /* server time - our time, seconds */
} lease_t;

/*
 * Sets l->txt from l->lease (owner, exp, epoch) and marks the TXT present
 * and valid, so that l can be handed to a provider's swap() as the value to
 * write. Leaves the version alone: only the provider knows it. Returns the
 * error of lease_txt_format().
 */
int lease_value_format(lease_t *l);

/* True when both hold a TXT and the texts are the same. */
bool lease_value_same_txt(const lease_t *a, const lease_t *b);
