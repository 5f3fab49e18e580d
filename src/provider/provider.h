/*
 * One interface for every DNS backend, so the lease logic never knows which
 * one it talks to (DESIGN section 4):
 *   read  -> DF_OK | DF_ENOTFOUND | error
 *   swap  -> DF_OK | DF_ECONFLICT | another error: the outcome is unknown,
 *            re-read before deciding
 * The lease carries a version that only the provider looks inside: read()
 * fills it, swap() makes its write conditional on the expected lease's
 * version and fills next's with the version its write gives the record.
 *   check -> proves credentials and reachability with no change
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/conf/config.h"
#include "src/common/error.h"
#include "src/lease/lease_value.h"

typedef struct provider provider_t;

/* Called by check() for every step it proves or fails. */
typedef void (*provider_report_fn)(void *arg, bool ok, const char *what);

typedef struct provider_ops {
	const char *id;
	bool atomic_cas; /* swap() is a true compare-and-swap */
	int (*read)(provider_t *p, lease_t *out, df_detail_t *d);
	/* expected: the lease last read or written (its version), NULL or
	 * !has_txt when there was none. next: the A address and TXT value to
	 * write (has_a, a, lease); on return its version is the one the record
	 * has if the write applied (len 0 when the provider cannot know it
	 * before reading it back). */
	int (*swap)(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d);
	int (*check)(provider_t *p, provider_report_fn report, void *arg, df_detail_t *d);
	/* Negotiated keys (GSS-TSIG): contexts negotiated so far and seconds
	 * the current one remains valid. NULL for providers with fixed keys. */
	void (*key_state)(provider_t *p, uint64_t *negotiations, int64_t *remaining);
	void (*free)(provider_t *p);
} provider_ops_t;

struct provider {
	const provider_ops_t *ops;
	const config_t *cfg; /* borrowed, must outlive the provider */
	/* Monotonic instant (ms) by which every call must have returned; 0:
	 * only the configured timeouts. Set by the daemon before each tick. */
	int64_t deadline_ms;
};

/* Creates the provider named by cfg->provider. Caller frees with provider_free(). */
int provider_new(provider_t **out, const config_t *cfg, df_detail_t *d);
void provider_free(provider_t *p);

/* Constructors of each backend, called by provider_new(). */
int provider_bind_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_dryrun_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_adgss_new(provider_t **out, const config_t *cfg, df_detail_t *d); /* GSSAPI builds */

/* Lists the provider ids, for error messages. */
const char *provider_list(void);

/*
 * Whether a swap() that returned ret may have applied all the same: the
 * message went out and its answer was lost, unsigned or unverifiable, or a
 * resent copy met our own first one (DF_EUNKNOWN). Only then does reading
 * the lease back tell the outcome; any other error applied nothing.
 */
bool provider_outcome_unknown(int ret);
