/* The workers. */
#include "zones/zp_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/common/log.h"
#include "zones/zp_names.h"

#define MAX_SLEEP_S 60

void zp_wake_init(zp_wake_t *w)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, &a);
	pthread_condattr_destroy(&a);
	w->gen = 0;
	w->stop = false;
}

void zp_wake_destroy(zp_wake_t *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

void zp_wake_all(zp_wake_t *w, bool stop)
{
	pthread_mutex_lock(&w->mu);
	w->gen++;
	if (stop) {
		w->stop = true;
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void zp_wake_heal(zp_wake_t *w)
{
	pthread_mutex_lock(&w->mu);
	w->heal_gen++;
	w->gen++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

typedef struct verify_ctx {
	zp_worker_t *w;
	zp_names_t wrong; /* zones whose record count differs on the backend */
} verify_ctx_t;

static void verify_one(void *arg, const char *zone, const char *text, size_t len)
{
	verify_ctx_t *v = arg;
	zp_zone_t z;
	char why[256];
	if (!zp_zone_parse(zone, text, len, &z, why, sizeof(why))) {
		return;
	}
	size_t want = zp_zone_count(&z), got = 0;
	zp_zone_free(&z);
	df_detail_t d = {{0}};
	int ret = v->w->be->ops->count_records(v->w->be, zone, &got, &d);
	if (ret != DF_OK || got != want) {
		if (ret == DF_OK) {
			log_warn("backend %s: zone %s has %zu records there, %zu stored: written "
				 "again",
				 v->w->be->name, zone, got, want);
		} else {
			log_warn(
				"backend %s: zone %s: cannot count its records (%s): written again",
				v->w->be->name, zone, d.msg);
		}
		zp_names_add(&v->wrong, zone);
	}
}

/* Every zone the backend should have in its current version is counted
 * there; a count that differs from the stored zone's queues it again. */
static int verify_counts(zp_worker_t *w, int64_t now)
{
	verify_ctx_t v = {.w = w};
	zp_queue_each_applied(w->q, w->be->name, verify_one, &v);
	int n = 0;
	for (size_t i = 0; i < v.wrong.n; i++) {
		df_detail_t d = {{0}};
		if (zp_queue_requeue(w->q, w->be->name, v.wrong.v[i], now, &d) == DF_OK) {
			n++;
		}
	}
	zp_names_clear(&v.wrong);
	return n;
}

int zp_worker_heal(zp_worker_t *w, int64_t now)
{
	df_detail_t d = {{0}};
	int healed = zp_queue_heal_dead(w->q, w->be->name, now, &d);
	if (healed < 0) {
		log_warn("backend %s: healing pass: %s", w->be->name, d.msg);
		healed = 0;
	}
	if (w->be->ops->list_zones != NULL) {
		char **names = NULL;
		size_t n = 0;
		int ret = w->be->ops->list_zones(w->be, &names, &n, &d);
		if (ret != DF_OK) {
			/* A listing that failed proves nothing missing. */
			log_warn("backend %s: healing pass: cannot list zones: %s", w->be->name,
				 d.msg);
		} else {
			int m = zp_queue_heal_missing(w->q, w->be->name, (const char *const *)names,
						      n, now, &d);
			if (m < 0) {
				log_warn("backend %s: healing pass: %s", w->be->name, d.msg);
			} else {
				healed += m;
			}
		}
		zp_names_free(names, n);
	}
	if (w->be->ops->count_records != NULL) {
		healed += verify_counts(w, now);
	}
	if (healed > 0) {
		log_info("backend %s: healing pass queued %d zone(s) again", w->be->name, healed);
		atomic_fetch_add(&w->healed, (uint64_t)healed);
	}
	return healed;
}

static void record_failure(zp_worker_t *w, zp_item_t *it, const char *why, int64_t now)
{
	df_detail_t d = {{0}};
	bool dead = false;
	char esc[512];
	log_escape(esc, sizeof(esc), why, strlen(why));
	if (zp_queue_failed(w->q, w->be->name, it, esc, now, w->conf->schedule, w->conf->nschedule,
			    &dead, &d) != DF_OK) {
		log_err("backend %s: zone %s: cannot record the failure: %s", w->be->name, it->zone,
			d.msg);
		return;
	}
	atomic_fetch_add(&w->failed, 1);
	if (dead) {
		atomic_fetch_add(&w->dead, 1);
		log_err("backend %s: zone %s: %s failed %u times, now a dead letter "
			"(zonepushd status lists it; the healing pass retries it): %s",
			w->be->name, it->zone, it->op == ZP_OP_SAVE ? "write" : "delete",
			it->attempts + 1, esc);
	} else {
		log_warn("backend %s: zone %s: %s failed (attempt %u), retry in %u s: %s",
			 w->be->name, it->zone, it->op == ZP_OP_SAVE ? "write" : "delete",
			 it->attempts + 1, w->conf->schedule[it->attempts], esc);
	}
}

int zp_worker_run_once(zp_worker_t *w, int64_t now)
{
	size_t max = w->conf->batch;
	zp_item_t *items = calloc(max, sizeof(*items));
	int *res = calloc(max, sizeof(*res));
	df_detail_t *why = calloc(max, sizeof(*why));
	if (items == NULL || res == NULL || why == NULL) {
		free(items);
		free(res);
		free(why);
		return DF_ENOMEM;
	}
	df_detail_t d = {{0}};
	int n = zp_queue_due(w->q, w->be->name, now, items, max, &d);
	if (n < 0) {
		log_err("backend %s: cannot read the queue: %s", w->be->name, d.msg);
	}
	bool any_ok = false;
	for (int i = 0; i < n; i++) {
		zp_item_t *it = &items[i];
		if (it->op == ZP_OP_DELETE) {
			res[i] = w->be->ops->delete_zone(w->be, it->zone, &why[i]);
		} else {
			zp_zone_t z;
			char reason[256];
			if (!zp_zone_parse(it->zone, it->text, it->len, &z, reason,
					   sizeof(reason))) {
				df_detail_set(&why[i], "stored zone text does not parse: %s",
					      reason);
				res[i] = DF_EMALFORMED;
			} else {
				res[i] = w->be->ops->write_zone(w->be, &z, &why[i]);
				zp_zone_free(&z);
			}
		}
		any_ok |= res[i] == DF_OK;
	}
	if (any_ok && w->be->ops->commit != NULL) {
		df_detail_t cd = {{0}};
		int ret = w->be->ops->commit(w->be, &cd);
		if (ret != DF_OK) {
			for (int i = 0; i < n; i++) {
				if (res[i] == DF_OK) {
					res[i] = ret;
					why[i] = cd;
				}
			}
		}
	}
	int64_t done_at = now_s();
	for (int i = 0; i < n; i++) {
		if (res[i] == DF_OK) {
			if (zp_queue_done(w->q, w->be->name, &items[i], done_at, &d) != DF_OK) {
				log_err("backend %s: zone %s: applied, but cannot record it: %s",
					w->be->name, items[i].zone, d.msg);
			} else {
				atomic_fetch_add(&w->applied, 1);
				log_debug("backend %s: zone %s %s", w->be->name, items[i].zone,
					  items[i].op == ZP_OP_SAVE ? "written" : "deleted");
			}
		} else {
			record_failure(w, &items[i],
				       why[i].msg[0] != '\0' ? why[i].msg : df_strerror(res[i]),
				       done_at);
		}
		zp_item_clear(&items[i]);
	}
	if (n > 0) {
		atomic_fetch_add(&w->batches, 1);
		if (any_ok) {
			atomic_store(&w->last_ok, done_at);
		}
	}
	free(items);
	free(res);
	free(why);
	return n;
}

static void *worker_main(void *arg)
{
	zp_worker_t *w = arg;
	int64_t next_heal = now_s() + (int64_t)w->conf->heal_interval;
	uint64_t heal_seen = 0;
	for (;;) {
		pthread_mutex_lock(&w->wake->mu);
		bool stop = w->wake->stop;
		uint64_t gen = w->wake->gen;
		bool heal_asked = w->wake->heal_gen != heal_seen;
		heal_seen = w->wake->heal_gen;
		pthread_mutex_unlock(&w->wake->mu);
		if (stop) {
			break;
		}
		int64_t now = now_s();
		if (now >= next_heal || heal_asked) {
			zp_worker_heal(w, now);
			next_heal = now + (int64_t)w->conf->heal_interval;
		}
		int n = zp_worker_run_once(w, now);
		if (n == (int)w->conf->batch) {
			continue; /* more is due */
		}
		int64_t due = zp_queue_next_due(w->q, w->be->name);
		int64_t wait = MAX_SLEEP_S;
		now = now_s();
		if (due != INT64_MAX && due - now < wait) {
			wait = due - now;
		}
		if (next_heal - now < wait) {
			wait = next_heal - now;
		}
		if (wait <= 0) {
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += wait;
		pthread_mutex_lock(&w->wake->mu);
		while (!w->wake->stop && w->wake->gen == gen) {
			if (pthread_cond_timedwait(&w->wake->cv, &w->wake->mu, &ts) != 0) {
				break;
			}
		}
		pthread_mutex_unlock(&w->wake->mu);
	}
	return NULL;
}

int zp_worker_start(zp_worker_t *w, df_detail_t *d)
{
	const char *names[1] = {w->be->name};
	int ret = zp_queue_open(&w->q, w->conf->state_db, names, 1, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		df_detail_set(d, "backend %s: cannot start its thread", w->be->name);
		zp_queue_close(w->q);
		w->q = NULL;
		return DF_ENOMEM;
	}
	w->started = true;
	return DF_OK;
}

void zp_worker_join(zp_worker_t *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	zp_queue_close(w->q);
	w->q = NULL;
}
