/*
 * Lease decisions as pure functions of what was read, so every branch is
 * tested without DNS.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/config.h"
#include "src/provider.h"

enum lease_init_action {
	LEASE_INIT_WRITE,	   /* write next as a CAS against what was read */
	LEASE_INIT_REFUSE_HELD,	   /* the other side holds a valid lease */
	LEASE_INIT_REFUSE_FOREIGN, /* the TXT is not a lease we can read */
};

/*
 * current: the lease read, or NULL when there was none. Fills next (TXT
 * values) and why (what was decided, for the log). The epoch grows by one
 * whenever the owner changes; a lease we already own keeps its epoch.
 */
enum lease_init_action lease_plan_init(enum config_role role, const lease_t *current, int64_t now,
				       uint32_t lease_ttl, bool force, lease_txt_t *next, char *why,
				       size_t why_size);

/*
 * Makes l describe what a successful swap() of l wrote: the TXT text and
 * its RDATA (one DNS character-string) from l->lease, so that l can be the
 * expected value of the next compare-and-swap without reading it back.
 */
int lease_set_written(lease_t *l);
