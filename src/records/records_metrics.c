#include "src/records/records_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTES_MAX 256

static const double lat_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
#define NLAT   (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
#define NBATCH (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

struct rec_metrics {
	pthread_mutex_t mu;
	struct {
		char route[32];
		unsigned status;
		unsigned long long n;
	} req[ROUTES_MAX];
	size_t nreq;
	unsigned long long lat[NLAT + 1], batch[NBATCH + 1];
	double lat_sum, batch_sum;
	unsigned long long updates, updates_ok, axfr_hit, axfr_miss;
};

rec_metrics_t *rec_metrics_new(void)
{
	rec_metrics_t *m = calloc(1, sizeof(*m));
	if (m != NULL) {
		pthread_mutex_init(&m->mu, NULL);
	}
	return m;
}

void rec_metrics_free(rec_metrics_t *m)
{
	if (m != NULL) {
		pthread_mutex_destroy(&m->mu);
		free(m);
	}
}

void rec_metrics_request(rec_metrics_t *m, const char *route, unsigned status)
{
	pthread_mutex_lock(&m->mu);
	size_t i = 0;
	while (i < m->nreq && (m->req[i].status != status || strcmp(m->req[i].route, route) != 0)) {
		i++;
	}
	if (i == m->nreq && m->nreq < ROUTES_MAX) {
		snprintf(m->req[i].route, sizeof(m->req[i].route), "%s", route);
		m->req[i].status = status;
		m->nreq++;
	}
	if (i < m->nreq) {
		m->req[i].n++;
	}
	pthread_mutex_unlock(&m->mu);
}

static void observe(unsigned long long *b, const double *bounds, size_t n, double v)
{
	size_t i = 0;
	while (i < n && v > bounds[i]) {
		i++;
	}
	b[i]++;
}

void rec_metrics_update(rec_metrics_t *m, double seconds, size_t batch, int rcode)
{
	pthread_mutex_lock(&m->mu);
	observe(m->lat, lat_bounds, NLAT, seconds);
	observe(m->batch, batch_bounds, NBATCH, (double)batch);
	m->lat_sum += seconds;
	m->batch_sum += (double)batch;
	m->updates++;
	m->updates_ok += rcode == 0;
	pthread_mutex_unlock(&m->mu);
}

void rec_metrics_axfr(rec_metrics_t *m, int hit)
{
	pthread_mutex_lock(&m->mu);
	if (hit) {
		m->axfr_hit++;
	} else {
		m->axfr_miss++;
	}
	pthread_mutex_unlock(&m->mu);
}

typedef struct out {
	char *buf;
	size_t len, cap;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = o->buf != NULL ? vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + 4096;
		char *nb = realloc(o->buf, cap);
		if (nb == NULL) {
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}

static void histogram(out_t *o, const char *name, const char *help, const unsigned long long *b,
		      const double *bounds, size_t n, double sum)
{
	unsigned long long cum = 0;
	put(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < n; i++) {
		cum += b[i];
		put(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cum);
	}
	cum += b[n];
	put(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %g\n%s_count %llu\n", name, cum, name, sum,
	    name, cum);
}

char *rec_metrics_render(rec_metrics_t *m, size_t *len)
{
	out_t o = {0};
	pthread_mutex_lock(&m->mu);
	put(&o, "# HELP dnsrecordsd_requests_total HTTP requests by route and status\n"
		"# TYPE dnsrecordsd_requests_total counter\n");
	for (size_t i = 0; i < m->nreq; i++) {
		put(&o, "dnsrecordsd_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
		    m->req[i].route, m->req[i].status, m->req[i].n);
	}
	histogram(&o, "dnsrecordsd_update_latency_seconds", "time of one UPDATE exchange", m->lat,
		  lat_bounds, NLAT, m->lat_sum);
	histogram(&o, "dnsrecordsd_update_batch_size", "changes coalesced into one UPDATE",
		  m->batch, batch_bounds, NBATCH, m->batch_sum);
	put(&o,
	    "# HELP dnsrecordsd_updates_total UPDATE messages sent, by outcome\n"
	    "# TYPE dnsrecordsd_updates_total counter\n"
	    "dnsrecordsd_updates_total{result=\"noerror\"} %llu\n"
	    "dnsrecordsd_updates_total{result=\"other\"} %llu\n"
	    "# HELP dnsrecordsd_axfr_cache_total listings served from the AXFR cache or not\n"
	    "# TYPE dnsrecordsd_axfr_cache_total counter\n"
	    "dnsrecordsd_axfr_cache_total{result=\"hit\"} %llu\n"
	    "dnsrecordsd_axfr_cache_total{result=\"miss\"} %llu\n",
	    m->updates_ok, m->updates - m->updates_ok, m->axfr_hit, m->axfr_miss);
	pthread_mutex_unlock(&m->mu);
	if (o.buf != NULL) {
		*len = o.len;
	}
	return o.buf;
}
