/*
 * The script provider's reader of what SCRIPT_GET prints, exposed for the
 * unit tests and the fuzz target. The protocol is the existing tool's:
 *
 *   SCRIPT_GET record zone
 *       prints {"A": "192.0.2.10", "TXT": "owner=primary exp=1769571600 epoch=7"}
 *       on stdout and exits 0; a missing, null or empty member is a record
 *       that does not exist
 *   SCRIPT_SET record ip owner expiry ttl zone
 *       writes the A and TXT and exits 0
 *
 * record and zone are DNS_RECORD and DNS_ZONE without their trailing dot.
 * Both also find DNS_RECORD, DNS_ZONE and DNS_TTL in their environment, and
 * SCRIPT_SET finds DNS_IP, DNS_OWNER, DNS_EXPIRY, DNS_EPOCH and DNS_TXT, the
 * whole TXT value to write ("owner=dr exp=1769571720 epoch=8"). A set script
 * that builds the TXT from its arguments drops the epoch: that lease reads
 * as epoch 0, and works.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/lease/lease_value.h"

/* The most SCRIPT_GET may print on stdout. */
#define SCRIPT_OUTPUT_MAX (64 * 1024)

typedef struct script_output {
	bool has_a;
	char a[64];
	bool has_txt;
	char txt[LEASE_MAX_RDATA]; /* quotes stripped, escapes undone */
} script_output_t;

/*
 * Parses what SCRIPT_GET printed (len bytes, need not be NUL-terminated):
 * one JSON object with "A" (an IPv4 address) and "TXT" (a string), each
 * may be missing, null or "". DF_OK, or DF_EMALFORMED with why (why_size
 * bytes, always terminated, safe to log) saying what is wrong.
 */
int script_parse_output(const char *text, size_t len, script_output_t *out, char *why,
			size_t why_size);
