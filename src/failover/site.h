/*
 * The site: what `dnsfailover run` does for one site, without the process
 * around it (configuration loading, signals, pid file, the metrics
 * listener: src/failover/daemon.c). Every tick it health-checks when that
 * matters, reads the lease, asks lease_decide() (src/lease/lease.h), writes
 * at most one compare-and-swap, folds its outcome back with lease_apply(),
 * and keeps the collector running only while the site is active (the
 * watcher). A step-down timer stops the site at the instant the lease
 * rules say, whatever is in flight.
 *
 * A tick is a small state machine, each step begun and ended on the loop:
 *
 *   idle -> checking (health) -> reading (provider) -> writing (provider) -> idle
 *
 * A tick that comes while the last one is not back to idle waits for it
 * (it is skipped). The step-down timer fires on its own.
 *
 * The site reaches the world only through site_env_t (clocks, timers, the
 * health check) and the objects of site_parts_t (provider, watcher) and
 * metrics, so the same code runs in the daemon, on the real loop, and in
 * the simulation (tests/sim/), on virtual time.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/conf/config.h"
#include "src/health/health.h"
#include "src/lease/lease.h"
#include "src/metrics/metrics.h"
#include "src/provider/provider.h"
#include "src/watch/watcher.h"

typedef struct site site_t;

/* A one-shot or periodic timer of the environment. */
typedef struct site_timer site_timer_t;
typedef void (*site_timer_cb)(void *arg);

typedef struct site_env {
	void *arg; /* the first argument of every hook below */
	/* Monotonic milliseconds (every safety rule is measured on it) and
	 * the wall seconds the lease's exp is written and compared with. */
	int64_t (*mono_ms)(void *arg);
	int64_t (*lease_wall)(void *arg);
	/* A timer that runs cb(cb_arg) delay_ms after arm (0: as soon as the
	 * loop can), then every interval_ms when it is above 0, like
	 * loop_timer_arm(). new returns NULL when out of memory. */
	site_timer_t *(*timer_new)(void *arg, site_timer_cb cb, void *cb_arg);
	void (*timer_arm)(site_timer_t *t, int64_t delay_ms, int64_t interval_ms);
	void (*timer_cancel)(site_timer_t *t);
	void (*timer_free)(site_timer_t *t);
	/* Begins one check of h, as health_check_begin() does (cb runs once,
	 * later, unless cancelled), and cancels it. */
	int (*health_begin)(void *arg, health_t *h, health_cb cb, void *cb_arg);
	void (*health_cancel)(void *arg, health_t *h);
	/* Where a provider that talks HTTP runs its requests (may be NULL
	 * when the provider does not). */
	http_multi_t *multi;
} site_env_t;

/* What the configuration gives the site, all borrowed. */
typedef struct site_parts {
	const config_t *cfg;
	provider_t *provider;
	health_t *health;   /* NULL when this role checks nothing */
	watcher_t *watcher; /* NULL without WATCH_MODE */
} site_parts_t;

/* env and metrics are borrowed and must outlive the site. Not started:
 * site_start() arms the ticks. */
int site_new(site_t **out, const site_env_t *env, const site_parts_t *parts, metrics_t *metrics);

/* Cancels what is in flight (the health check, the provider call) and
 * frees s; the collector is left as it is. NULL does nothing. */
void site_free(site_t *s);

/* Arms the ticks: the first at once, then every UPDATE_INTERVAL. */
void site_start(site_t *s);

/*
 * Takes new parts (a reload). What is in flight is cancelled first (a
 * write that was sent may still apply: the next read tells). same_lease
 * false (another role or record) forgets the lease held. The ticks are
 * re-armed with the new interval.
 */
void site_reload(site_t *s, const site_parts_t *parts, bool same_lease);

/*
 * Shutting down: cancels what is in flight, stops acting as active and,
 * with a watcher, brings the collector to a stop. Call after the watcher
 * was taken off the loop, so that the stop runs to its end here.
 */
void site_shutdown(site_t *s);

/* Whether the site acts as active, as last reported. */
bool site_active(const site_t *s);

/* The lease state (for tests and the simulation's trace). */
const lease_state_t *site_lease_state(const site_t *s);

/* Runs one tick now (what the tick timer does). */
void site_tick(site_t *s);
