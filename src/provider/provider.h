/*
 * One interface for every DNS backend, so the lease logic never knows which
 * one it talks to (DESIGN section 4):
 *   read  -> DF_OK | DF_ENOTFOUND | error
 *   swap  -> DF_OK | DF_ECONFLICT | error
 *   check -> proves credentials and reachability with no change
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/conf/config.h"
#include "src/common/error.h"
#include "src/lease/lease_txt.h"

#define LEASE_MAX_TXT_RRS 4
#define LEASE_MAX_RDATA	  1024

typedef struct lease {
	bool has_a;
	char a[64]; /* first A address, presentation form */
	bool has_txt;
	char txt[LEASE_MAX_RDATA]; /* first TXT RR, its strings joined */
	bool txt_valid;		   /* txt parsed into lease */
	lease_txt_t lease;
	/* Every TXT RR of the set as read, RDATA bytes: the CAS prerequisite
	 * must repeat them byte for byte (RFC 2136 section 3.2.3). */
	size_t txt_count;
	uint8_t txt_rdata[LEASE_MAX_TXT_RRS][LEASE_MAX_RDATA];
	size_t txt_rdata_len[LEASE_MAX_TXT_RRS];
	/* Where it was read and how the server's clock compares to ours. */
	char server[128]; /* "127.0.0.1#5353", or the state file */
	bool has_skew;
	int64_t clock_skew; /* server time - our time, seconds */
} lease_t;

typedef struct provider provider_t;

/* Called by check() for every step it proves or fails. */
typedef void (*provider_report_fn)(void *arg, bool ok, const char *what);

typedef struct provider_ops {
	const char *id;
	bool atomic_cas; /* swap() is a true compare-and-swap */
	int (*read)(provider_t *p, lease_t *out, df_detail_t *d);
	/* expected: the lease last read, NULL when it did not exist. next: the
	 * A address and TXT value to write (has_a, a, lease). */
	int (*swap)(provider_t *p, const lease_t *expected, const lease_t *next, df_detail_t *d);
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
