/*
 * What the daemon exposes on /metrics: a fixed set of values it updates as
 * events happen, rendered in the Prometheus text exposition format 0.0.4.
 *
 * Every metric is named dnsfailover_*, carries HELP and TYPE lines, and
 * every label combination is always printed (counters at 0 included), so a
 * dashboard never sees a series appear. Label values are escaped (\\ \" \n);
 * bytes outside printable ASCII are replaced by '?' so the page stays valid
 * UTF-8 whatever a lease record contained.
 *
 * Single-threaded like the daemon: the registry is updated and rendered from
 * the one event loop, with no locking.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct metrics metrics_t;

/* Label values kept by the registry, with their NUL; longer ones are cut. */
#define METRICS_LABEL_MAX 64

/*
 * A registry for role ("primary" or "dr"; copied). All values start at 0,
 * the site inactive and the lease owner unknown. Returns NULL when out of
 * memory or role is NULL. Caller frees with metrics_free().
 */
metrics_t *metrics_new(const char *role);

/* Frees m; NULL does nothing. */
void metrics_free(metrics_t *m);

/* Replaces the role label (after a reload changed ROLE); role is copied. */
void metrics_set_role(metrics_t *m, const char *role);

/* dnsfailover_active: whether this site acts as the active one. */
void metrics_set_active(metrics_t *m, bool active);

/*
 * The lease as last read or written: exp in wall-clock Unix seconds, its
 * epoch, and its owner (copied; NULL or "" when no lease is known, which
 * sets every dnsfailover_lease_owner series to 0).
 */
void metrics_set_lease(metrics_t *m, int64_t exp, uint64_t epoch, const char *owner);

/* Counts one renewal (one compare-and-swap) by result: "ok", "conflict" or
 * "error". Any other value is ignored. */
void metrics_count_renewal(metrics_t *m, const char *result);

/* Counts one health check by result (ok, or failed). */
void metrics_count_health(metrics_t *m, bool ok);

/* Counts one takeover: this site became active. */
void metrics_count_failover(metrics_t *m);

/* Counts one step-down by reason: "deadline" (no renewal within
 * RENEW_DEADLINE), "lost" (the lease is not ours) or "shutdown". Any other
 * value is ignored. */
void metrics_count_step_down(metrics_t *m, const char *reason);

/* dnsfailover_clock_skew_seconds: the DNS server's clock minus ours, as last
 * measured (lease_t.clock_skew when has_skew). */
void metrics_set_clock_skew(metrics_t *m, int64_t seconds);

/* dnsfailover_last_update_latency_seconds: how long the last DNS update took. */
void metrics_set_update_latency(metrics_t *m, double seconds);

/* ad-gss: contexts negotiated by the provider so far and how long the
 * current one remains valid (seconds, 0: none). */
void metrics_set_gss(metrics_t *m, uint64_t negotiations, int64_t context_remaining);

/* Counts one watcher action: action "start" or "stop", result "ok" or
 * "error". Any other value is ignored. */
void metrics_count_watcher_action(metrics_t *m, const char *action, const char *result);

/*
 * Renders m as Prometheus text into buf (size bytes, NUL-terminated; buf may
 * be NULL when size is 0). *len always receives the length of the whole page
 * without its NUL, as snprintf() does, so a caller can size a buffer with
 * one call and render with a second. Returns DF_OK, DF_ENOSPACE when the
 * page (and its NUL) does not fit (buf then holds a truncated page), or
 * DF_EINVAL when m or len is NULL.
 */
int metrics_render(const metrics_t *m, char *buf, size_t size, size_t *len);

/*
 * The same into a buffer from malloc(): returns NULL when out of memory.
 * *len (may be NULL) receives the length. Caller frees with free().
 */
char *metrics_render_alloc(const metrics_t *m, size_t *len);
