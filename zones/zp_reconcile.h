/*
 * The reconciler: every reconcile_interval seconds it lists each configured
 * DirectAdmin master's domains (CMD_DNS_ADMIN?json=yes, paged; the legacy
 * CMD_API_SHOW_ALL_DOMAINS when the JSON listing is not there; when Basic
 * auth is answered with a redirect, as the Evolution skin does, a login with
 * POST /CMD_LOGIN and its session cookie), and queues
 * for deletion each stored zone whose recorded master is that server and
 * which the listing lacks. Only a complete, successful listing counts: a
 * master whose listing fails in any way (no answer, an error status, a
 * redirect, HTML, a malformed page) is unknown for the pass and none of its
 * zones is touched. In dry-run mode it only logs what it would delete.
 * Healing backends that miss a zone is the workers' healing pass.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zones/zp_conf.h"
#include "zones/zp_da_list.h"
#include "zones/zp_queue.h"
#include "zones/zp_worker.h"

typedef struct zp_master {
	char hostname[256];
	char url[512]; /* https://da1.example.net:2222 */
	char user[128];
	char password[256];
	unsigned page_size;
	unsigned timeout_s;
	char ca_file[512];
} zp_master_t;

typedef struct zp_reconciler {
	const zp_conf_t *conf;
	zp_master_t masters[ZP_BACKENDS_MAX];
	size_t nmasters;
	zp_wake_t *wake;
	zp_queue_t *q;
	pthread_t thread;
	bool started;
	_Atomic uint64_t passes, listings_ok, listings_failed, orphans_queued, orphans_dry_run;
} zp_reconciler_t;

/* Reads the [master HOST] sections of c (errors name file:line). */
int zp_reconciler_init(zp_reconciler_t *r, zp_conf_t *c, df_detail_t *d);

/* Lists m's domains into out. DF_OK only for a complete listing. */
int zp_da_list(const zp_master_t *m, zp_names_t *out, df_detail_t *d);

/* One pass with q (its own connection); returns the orphans queued (or
 * that would be, in dry-run mode). */
int zp_reconcile_pass(zp_reconciler_t *r, zp_queue_t *q, int64_t now);

/* Starts the thread (when reconcile_interval and a master are set); its
 * deletes are queued for the n backends named. */
int zp_reconciler_start(zp_reconciler_t *r, const char *const *backends, size_t n, df_detail_t *d);
void zp_reconciler_join(zp_reconciler_t *r);
void zp_reconciler_deinit(zp_reconciler_t *r);
