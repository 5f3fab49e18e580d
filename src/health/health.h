/*
 * Health check of the primary site, as the DR site (and optionally the
 * primary itself) sees it:
 *
 * - HEALTH_MODE=tcp: a connect to HEALTH_HOST:HEALTH_PORT within
 *   HEALTH_TIMEOUT succeeds.
 * - HEALTH_MODE=metrics: HTTP GET HEALTH_URL, sum HEALTH_METRIC (a
 *   Prometheus selector, see src/prom.h) over its label sets, and watch it
 *   grow: the first reading is the baseline, a higher one is healthy and
 *   clears the stale count, an equal one is "stale" and the check turns
 *   unhealthy at HEALTH_STALE_COUNT stale readings in a row, a lower one is a
 *   counter reset (the collector restarted) and becomes the new baseline. A
 *   failed fetch is unhealthy at once and leaves the count and the baseline
 *   alone.
 *
 * A check blocks the caller for at most HEALTH_TIMEOUT seconds whatever the
 * peer does (it may accept and never answer, or stream an endless body). One
 * exception: in tcp mode a HEALTH_HOST given as a name is resolved with the
 * system resolver, whose own timeout applies; the default (PRIMARY_IP) is an
 * address and needs no lookup.
 *
 * health_check_begin() is the same check for the event loop: the metrics
 * GET runs on a curl multi (src/http/http_multi.h), the tcp connect is
 * non-blocking and watched on the loop with a loop timer for
 * HEALTH_TIMEOUT, so nothing waits in the loop; the result, the reason and
 * the log lines are those health_check() gives for the same answer. The
 * exception above stands: a HEALTH_HOST given as a name is resolved, with
 * the system resolver, inside health_check_begin().
 *
 * The module logs the seed's metrics lines ("Metrics healthy: NAME=V (+D)",
 * "Metrics stale: NAME=V (unchanged, i/n)", "Metrics counter reset: ...",
 * "Metrics check failed: REASON"); the caller logs "Primary healthy" and
 * "Primary health check failed (i/n)".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

typedef struct config config_t;
typedef struct health health_t;
typedef struct http_multi http_multi_t;

/* Largest metrics page read; a larger one fails the check. */
#define HEALTH_BODY_MAX (16u << 20)

/*
 * Creates a checker from cfg's health_* fields (cfg is borrowed for this
 * call only: what is needed is copied). Checks HEALTH_METRIC as a selector
 * and HEALTH_URL as an http or https URL in metrics mode, HEALTH_HOST and
 * HEALTH_PORT in tcp mode, and that HEALTH_TIMEOUT and HEALTH_STALE_COUNT
 * are at least 1. Nothing touches the network here. On success *out owns a
 * checker the caller frees with health_free(); on error *out is untouched,
 * the return is DF_ECONFIG (or DF_ENOMEM) and d says what to fix.
 */
int health_new(health_t **out, const config_t *cfg, df_detail_t *d);

/*
 * The check this site runs, as health_new() makes it: on the DR the
 * primary's collector as HEALTH_MODE says; on the primary, when HEALTH_URL
 * is set, its own collector's counter in metrics mode whatever HEALTH_MODE
 * says (HEALTH_MODE describes the DR's check of it). *out is NULL, and the
 * return DF_OK, when the site runs none. *self (may be NULL) tells whether it
 * is the primary's check of itself.
 */
int health_new_for_site(health_t **out, const config_t *cfg, bool *self, df_detail_t *d);

/* Frees h; NULL does nothing. */
void health_free(health_t *h);

/*
 * Bounds every later check by ms milliseconds instead of HEALTH_TIMEOUT
 * (for tests of a silent peer, which would otherwise wait whole seconds).
 * DF_OK, DF_EINVAL (ms below 1, or a check in flight) or DF_ENOMEM; on
 * error nothing changed.
 */
int health_set_timeout_ms(health_t *h, long ms);

/*
 * Performs one check, bounded by HEALTH_TIMEOUT. Returns true when the
 * primary counts as healthy. When unhealthy and why is not NULL, writes the
 * reason (NUL-terminated, cut to why_size), e.g. "connect to
 * 192.0.2.10:4317 refused" or "GET http://... answered HTTP 500". While a
 * check from health_check_begin() is in flight, returns false at once with
 * "a health check is already in flight".
 */
bool health_check(health_t *h, char *why, size_t why_size);

/*
 * Feeds one successful metrics reading into the stale-count state machine
 * and logs it, exactly as health_check() does after a fetch; returns whether
 * the primary counts as healthy, with the reason in why when not. Public for
 * the unit tests. A non-finite value must not be passed (health_check()
 * treats NaN and Inf as a failed fetch).
 */
bool health_observe(health_t *h, double value, char *why, size_t why_size);

/* Flat readings in a row so far (0 after growth, a reset or the baseline). */
uint32_t health_stale(const health_t *h);

/*
 * Called once per health_check_begin(), from the loop: healthy as
 * health_check() would return it, why the reason ("" when healthy; valid
 * during the call). The callback may begin the next check or free h.
 */
typedef void (*health_cb)(health_t *h, bool healthy, const char *why, void *arg);

/*
 * Starts one check on the loop of m (borrowed: must outlive the check):
 * metrics mode fetches through m, tcp mode connects on m's loop. cb (with
 * arg, borrowed) runs exactly once, from the loop and never inside this
 * call, unless health_check_cancel() or health_free() comes first. The
 * check is bounded by HEALTH_TIMEOUT (or health_set_timeout_ms()). Returns
 * DF_OK; DF_EINVAL (a NULL argument, or a check of h already in flight);
 * DF_ENOMEM; on error cb never runs. While a check is in flight,
 * health_check() and health_set_timeout_ms() refuse.
 */
int health_check_begin(health_t *h, http_multi_t *m, health_cb cb, void *arg);

/* Stops h's check in flight without its callback; harmless when none is. */
void health_check_cancel(health_t *h);
