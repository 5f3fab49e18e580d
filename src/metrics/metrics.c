/*
 * The metric registry: plain fields and counters, and one function that
 * writes them out in a fixed order.
 */
#include "src/metrics/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <config.h> /* the build's, for PACKAGE_VERSION */

#include "src/common/error.h"

/* Label values of the fixed series, in the order they are printed. */
static const char *const renewal_results[] = {"ok", "conflict", "error"};
static const char *const health_results[] = {"ok", "failed"};
static const char *const step_down_reasons[] = {"deadline", "lost", "shutdown"};
static const char *const watcher_actions[] = {"start", "stop"};
static const char *const watcher_results[] = {"ok", "error"};
/* Owners always printed; any other owner gets a series of its own. */
static const char *const known_owners[] = {"primary", "dr"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct metrics {
	char role[METRICS_LABEL_MAX];
	bool active;
	int64_t lease_exp;
	uint64_t lease_epoch;
	char lease_owner[METRICS_LABEL_MAX]; /* "" when unknown */
	uint64_t renewals[COUNT(renewal_results)];
	uint64_t health[COUNT(health_results)];
	uint64_t failovers;
	uint64_t step_downs[COUNT(step_down_reasons)];
	int64_t clock_skew;
	double update_latency;
	uint64_t watcher[COUNT(watcher_actions)][COUNT(watcher_results)];
	uint64_t gss_negotiations;
	int64_t gss_context_remaining;
};

static void copy_label(char *dst, const char *src)
{
	snprintf(dst, METRICS_LABEL_MAX, "%s", src != NULL ? src : "");
}

/* Index of value in names, or -1. */
static int find(const char *const *names, size_t n, const char *value)
{
	if (value == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], value) == 0) {
			return (int)i;
		}
	}
	return -1;
}

metrics_t *metrics_new(const char *role)
{
	if (role == NULL) {
		return NULL;
	}
	metrics_t *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return NULL;
	}
	copy_label(m->role, role);
	return m;
}

void metrics_free(metrics_t *m)
{
	free(m);
}

void metrics_set_role(metrics_t *m, const char *role)
{
	if (m != NULL && role != NULL) {
		copy_label(m->role, role);
	}
}

void metrics_set_active(metrics_t *m, bool active)
{
	if (m != NULL) {
		m->active = active;
	}
}

void metrics_set_lease(metrics_t *m, int64_t exp, uint64_t epoch, const char *owner)
{
	if (m == NULL) {
		return;
	}
	m->lease_exp = exp;
	m->lease_epoch = epoch;
	copy_label(m->lease_owner, owner);
}

void metrics_count_renewal(metrics_t *m, const char *result)
{
	int i = find(renewal_results, COUNT(renewal_results), result);
	if (m != NULL && i >= 0) {
		m->renewals[i]++;
	}
}

void metrics_count_health(metrics_t *m, bool ok)
{
	if (m != NULL) {
		m->health[ok ? 0 : 1]++;
	}
}

void metrics_count_failover(metrics_t *m)
{
	if (m != NULL) {
		m->failovers++;
	}
}

void metrics_count_step_down(metrics_t *m, const char *reason)
{
	int i = find(step_down_reasons, COUNT(step_down_reasons), reason);
	if (m != NULL && i >= 0) {
		m->step_downs[i]++;
	}
}

void metrics_set_clock_skew(metrics_t *m, int64_t seconds)
{
	if (m != NULL) {
		m->clock_skew = seconds;
	}
}

void metrics_set_gss(metrics_t *m, uint64_t negotiations, int64_t context_remaining)
{
	if (m != NULL) {
		m->gss_negotiations = negotiations;
		m->gss_context_remaining = context_remaining > 0 ? context_remaining : 0;
	}
}

void metrics_set_update_latency(metrics_t *m, double seconds)
{
	if (m != NULL) {
		m->update_latency = seconds;
	}
}

void metrics_count_watcher_action(metrics_t *m, const char *action, const char *result)
{
	int a = find(watcher_actions, COUNT(watcher_actions), action);
	int r = find(watcher_results, COUNT(watcher_results), result);
	if (m != NULL && a >= 0 && r >= 0) {
		m->watcher[a][r]++;
	}
}

/*
 * An output that counts what it could not store, as snprintf() does: len is
 * the length of the whole page, buf holds what fits.
 */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len - 1; /* keep one byte for the NUL */
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) printf_(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Only numbers and fixed names go through here: they always fit. */
	if (n > 0) {
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
	}
}

/* A label value between the quotes: \ " and newline escaped, bytes outside
 * printable ASCII replaced so the page is valid UTF-8. */
static void put_label_value(struct out *o, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '\\') {
			put(o, "\\\\", 2);
		} else if (*p == '"') {
			put(o, "\\\"", 2);
		} else if (*p == '\n') {
			put(o, "\\n", 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			put(o, "?", 1);
		} else {
			put(o, (const char *)p, 1);
		}
	}
}

static void header(struct out *o, const char *name, const char *type, const char *help)
{
	printf_(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_double(struct out *o, double v)
{
	if (isnan(v)) {
		puts_(o, "NaN");
	} else if (isinf(v)) {
		puts_(o, v > 0 ? "+Inf" : "-Inf");
	} else {
		printf_(o, "%.9g", v);
	}
}

/* name{label="value"} count, for each value of a fixed set. */
static void labelled_counts(struct out *o, const char *name, const char *label,
			    const char *const *values, const uint64_t *counts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf_(o, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
			(unsigned long long)counts[i]);
	}
}

int metrics_render(const metrics_t *m, char *buf, size_t size, size_t *len)
{
	if (m == NULL || len == NULL || (buf == NULL && size != 0)) {
		return DF_EINVAL;
	}
	struct out o = {.buf = buf, .size = size, .len = 0};
	if (size > 0) {
		buf[0] = '\0';
	}

	header(&o, "dnsfailover_info", "gauge", "Build and role of this daemon, always 1.");
	puts_(&o, "dnsfailover_info{role=\"");
	put_label_value(&o, m->role);
	puts_(&o, "\",version=\"");
	put_label_value(&o, PACKAGE_VERSION);
	puts_(&o, "\"} 1\n");

	header(&o, "dnsfailover_active", "gauge",
	       "Whether this site acts as the active one (1) or stands by (0).");
	printf_(&o, "dnsfailover_active %d\n", m->active ? 1 : 0);

	header(&o, "dnsfailover_lease_expiry_timestamp_seconds", "gauge",
	       "Expiry of the lease last read or written, in Unix seconds (0 when unknown).");
	printf_(&o, "dnsfailover_lease_expiry_timestamp_seconds %lld\n", (long long)m->lease_exp);

	header(&o, "dnsfailover_lease_epoch", "gauge",
	       "Epoch of the lease last read or written; it grows when the owner changes.");
	printf_(&o, "dnsfailover_lease_epoch %llu\n", (unsigned long long)m->lease_epoch);

	header(&o, "dnsfailover_lease_owner", "gauge",
	       "Owner of the lease last read or written (1 for the owner, 0 otherwise).");
	for (size_t i = 0; i < COUNT(known_owners); i++) {
		printf_(&o, "dnsfailover_lease_owner{owner=\"%s\"} %d\n", known_owners[i],
			strcmp(m->lease_owner, known_owners[i]) == 0 ? 1 : 0);
	}
	if (m->lease_owner[0] != '\0' &&
	    find(known_owners, COUNT(known_owners), m->lease_owner) < 0) {
		puts_(&o, "dnsfailover_lease_owner{owner=\"");
		put_label_value(&o, m->lease_owner);
		puts_(&o, "\"} 1\n");
	}

	header(&o, "dnsfailover_renewals_total", "counter",
	       "Lease renewals (compare-and-swap updates) by result.");
	labelled_counts(&o, "dnsfailover_renewals_total", "result", renewal_results, m->renewals,
			COUNT(renewal_results));

	header(&o, "dnsfailover_health_checks_total", "counter", "Health checks by result.");
	labelled_counts(&o, "dnsfailover_health_checks_total", "result", health_results, m->health,
			COUNT(health_results));

	header(&o, "dnsfailover_failovers_total", "counter", "Times this site became active.");
	printf_(&o, "dnsfailover_failovers_total %llu\n", (unsigned long long)m->failovers);

	header(&o, "dnsfailover_step_downs_total", "counter",
	       "Times this site stopped being active, by reason.");
	labelled_counts(&o, "dnsfailover_step_downs_total", "reason", step_down_reasons,
			m->step_downs, COUNT(step_down_reasons));

	header(&o, "dnsfailover_clock_skew_seconds", "gauge",
	       "The DNS server's clock minus ours, last measured (TSIG signed time), in seconds.");
	printf_(&o, "dnsfailover_clock_skew_seconds %lld\n", (long long)m->clock_skew);

	header(&o, "dnsfailover_last_update_latency_seconds", "gauge",
	       "Duration of the last DNS update, in seconds.");
	puts_(&o, "dnsfailover_last_update_latency_seconds ");
	put_double(&o, m->update_latency);
	puts_(&o, "\n");

	header(&o, "dnsfailover_gss_negotiations_total", "counter",
	       "GSS-TSIG contexts negotiated with the DNS server since start or the last "
	       "reload (ad-gss; 0 for other providers).");
	printf_(&o, "dnsfailover_gss_negotiations_total %llu\n",
		(unsigned long long)m->gss_negotiations);

	header(&o, "dnsfailover_gss_context_remaining_seconds", "gauge",
	       "Seconds the current GSS-TSIG context remains valid (0: none).");
	printf_(&o, "dnsfailover_gss_context_remaining_seconds %lld\n",
		(long long)m->gss_context_remaining);

	header(&o, "dnsfailover_watcher_actions_total", "counter",
	       "Collector start and stop actions of the watcher, by result.");
	for (size_t a = 0; a < COUNT(watcher_actions); a++) {
		for (size_t r = 0; r < COUNT(watcher_results); r++) {
			printf_(&o,
				"dnsfailover_watcher_actions_total{action=\"%s\",result=\"%s\"} "
				"%llu\n",
				watcher_actions[a], watcher_results[r],
				(unsigned long long)m->watcher[a][r]);
		}
	}

	*len = o.len;
	return o.len < size ? DF_OK : DF_ENOSPACE;
}

char *metrics_render_alloc(const metrics_t *m, size_t *len)
{
	size_t need = 0;
	if (metrics_render(m, NULL, 0, &need) == DF_EINVAL) {
		return NULL;
	}
	char *buf = malloc(need + 1);
	if (buf == NULL) {
		return NULL;
	}
	size_t got = 0;
	if (metrics_render(m, buf, need + 1, &got) != DF_OK) {
		free(buf);
		return NULL;
	}
	if (len != NULL) {
		*len = got;
	}
	return buf;
}
