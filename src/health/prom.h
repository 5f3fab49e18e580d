/*
 * The Prometheus text exposition format (version 0.0.4) and OpenMetrics 1.0
 * text, read just far enough to sum one metric: the health check of the
 * primary's collector watches a counter such as
 * otelcol_receiver_accepted_metric_points_total grow.
 *
 * A selector is a metric name with an optional label matcher, as in
 * PromQL: "name" or "name{label=\"value\",other=\"v2\"}". A sample matches
 * when its name is the selector's name, or that name with "_total" added or
 * removed (OpenMetrics counters expose x_total where older exporters expose
 * x), and when its labels include every selector label with an equal value.
 * Extra labels on the sample do not matter, so the sum covers all label sets
 * the selector does not pin down (every receiver and transport).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"

#define PROM_NAME_MAX	    256 /* metric and label names, with their NUL */
#define PROM_VALUE_MAX	    256 /* selector label values, unescaped, with their NUL */
#define PROM_SEL_LABELS_MAX 8	/* label matchers in one selector */

typedef struct prom_label {
	char name[PROM_NAME_MAX];
	char value[PROM_VALUE_MAX]; /* unescaped: \" \\ \n already decoded */
} prom_label_t;

/* A parsed selector: a plain value, copy it freely. */
typedef struct prom_selector {
	char name[PROM_NAME_MAX];
	size_t label_count;
	prom_label_t labels[PROM_SEL_LABELS_MAX];
} prom_selector_t;

/* What one pass over a page saw, for messages and tests. */
typedef struct prom_stats {
	size_t samples;	  /* sample lines that parsed, matching or not */
	size_t malformed; /* lines skipped because they do not parse */
	size_t named;	  /* samples whose name matched, whatever their labels */
	size_t matched;	  /* samples summed */
	bool eof;	  /* stopped at an OpenMetrics "# EOF" line */
} prom_stats_t;

/*
 * Parses a NUL-terminated selector into sel: a metric name
 * [a-zA-Z_:][a-zA-Z0-9_:]*, then optionally {name="value",...} with blanks
 * allowed around the tokens and a trailing comma; label values take the
 * escapes \" \\ \n. A label may appear once. sel is written only on
 * success. Returns DF_EINVAL with a message naming the selector, what is
 * wrong and where (byte offset), e.g. for a missing quote or an unknown
 * escape; DF_ERANGE when a name, a value or the number of labels exceeds
 * the limits above.
 */
int prom_selector_parse(prom_selector_t *sel, const char *text, df_detail_t *d);

/*
 * Sums the samples of text (len bytes, need not be NUL-terminated; never read
 * past len) that match sel (borrowed). Lines end with LF or CRLF. Comment
 * lines (# HELP, # TYPE, anything else after #) and blank lines are skipped;
 * "# EOF" ends the page. A sample is
 *   name[{labels}] value [timestamp] [# {exemplar labels} value [timestamp]]
 * where value is a decimal float (exponents, NaN, +Inf, -Inf; no hex) and a
 * value out of double's range makes the line malformed. Malformed lines are
 * skipped and counted; the rest of the page is still read.
 *
 * When samples match under the selector's exact name, only those are summed;
 * otherwise the samples under the other spelling (with or without _total),
 * so that an exporter exposing both is not counted twice.
 *
 * On success (at least one sample matched) writes *sum (NaN when a matching
 * sample is NaN, +/-Inf likewise: the caller decides what a non-finite
 * reading means) and returns DF_OK. When nothing matches returns DF_ENOENT
 * with a message naming the metric and how many samples and malformed lines
 * were seen. stats (may be NULL) is filled in either case.
 */
int prom_sum_selector(const char *text, size_t len, const prom_selector_t *sel, double *sum,
		      prom_stats_t *stats, df_detail_t *d);

/*
 * prom_selector_parse() then prom_sum_selector(); *matched (may be NULL)
 * receives the number of samples summed. Returns DF_EINVAL or DF_ERANGE for
 * a bad selector, DF_ENOENT when nothing matches.
 */
int prom_sum(const char *text, size_t len, const char *selector, double *sum, size_t *matched,
	     df_detail_t *d);
