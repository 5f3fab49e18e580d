/*
 * One worker thread per enabled backend. Each takes its backend's due
 * operations from the queue in batches, applies them, and records success,
 * a retry (the schedule of the configuration) or a dead letter; a healing
 * pass every heal_interval seconds queues the dead letters again and every
 * stored zone the backend's listing lacks. The workers share nothing but the
 * wake-up: a slow or dead backend delays no other.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zones/zp_backend.h"
#include "zones/zp_conf.h"
#include "zones/zp_queue.h"

typedef struct zp_wake {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	uint64_t gen;	   /* grows with every zp_wake_all() */
	uint64_t heal_gen; /* grows with every zp_wake_heal() */
	bool stop;
} zp_wake_t;

void zp_wake_init(zp_wake_t *w);
void zp_wake_destroy(zp_wake_t *w);
/* New work is queued (or stop is set): every worker looks. */
void zp_wake_all(zp_wake_t *w, bool stop);
/* Every worker runs its healing pass now (SIGHUP). */
void zp_wake_heal(zp_wake_t *w);

typedef struct zp_worker {
	pthread_t thread;
	bool started;
	zp_backend_t *be;
	zp_backend_conf_t *bconf;
	const zp_conf_t *conf;
	zp_wake_t *wake;
	zp_queue_t *q; /* the worker's own connection */
	_Atomic uint64_t applied;
	_Atomic uint64_t failed;
	_Atomic uint64_t dead;
	_Atomic uint64_t healed;
	_Atomic uint64_t batches;
	_Atomic int64_t last_ok; /* wall seconds of the last successful batch */
} zp_worker_t;

/* Opens the worker's queue connection and starts its thread. */
int zp_worker_start(zp_worker_t *w, df_detail_t *d);
/* Waits for the thread (after zp_wake_all(w->wake, true)) and closes. */
void zp_worker_join(zp_worker_t *w);

/* One pass without a thread, for tests: applies what is due, returns how
 * many operations it handled. */
int zp_worker_run_once(zp_worker_t *w, int64_t now);
/* The healing pass, for tests. Returns how many operations it queued. */
int zp_worker_heal(zp_worker_t *w, int64_t now);
