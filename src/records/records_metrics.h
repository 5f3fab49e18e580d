/*
 * dnsrecordsd's /metrics: requests by route and status, UPDATE latency and
 * coalesced batch sizes (histograms), UPDATEs sent, AXFR cache hits and
 * misses. Updated from any thread (one mutex), rendered as Prometheus text.
 */
#pragma once

#include <stddef.h>

typedef struct rec_metrics rec_metrics_t;

rec_metrics_t *rec_metrics_new(void);
void rec_metrics_free(rec_metrics_t *m);
void rec_metrics_request(rec_metrics_t *m, const char *route, unsigned status);
void rec_metrics_update(rec_metrics_t *m, double seconds, size_t batch, int rcode);
void rec_metrics_axfr(rec_metrics_t *m, int hit);
/* The page (malloc'd, NUL-terminated), *len its length. */
char *rec_metrics_render(rec_metrics_t *m, size_t *len);
