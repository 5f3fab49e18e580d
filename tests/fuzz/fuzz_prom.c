/*
 * Fuzz target for the Prometheus / OpenMetrics text reader and the selector
 * parser. The page is summed under fixed selectors (plain, with the _total
 * spelling, with labels) and under one built from the input's first line.
 * Whatever the input: no read past size, a result of DF_OK with at least one
 * sample or DF_ENOENT with a printable message, and counts that add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/health/prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const selectors[] = {
	"otelcol_receiver_accepted_metric_points_total",
	"otelcol_receiver_accepted_metric_points",
	"m",
	"m_total{receiver=\"otlp\"}",
	"m{a=\"x\\\"}y,z\",b=\"\\\\\\n\"}",
};

static void check_msg(const df_detail_t *d)
{
	size_t len = strnlen(d->msg, sizeof(d->msg));
	if (len == 0 || len == sizeof(d->msg)) {
		abort();
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)d->msg[i] < 0x20 || d->msg[i] == 0x7f) {
			abort();
		}
	}
}

static void sum_with(const char *page, size_t size, const prom_selector_t *sel)
{
	df_detail_t d;
	prom_stats_t st;
	double sum = 0;

	memset(&d, 0, sizeof(d));
	int ret = prom_sum_selector(page, size, sel, &sum, &st, &d);
	if (ret == DF_OK) {
		if (st.matched == 0 || st.matched > st.named || st.named > st.samples) {
			abort();
		}
	} else if (ret == DF_ENOENT) {
		if (st.matched != 0) {
			abort();
		}
		check_msg(&d);
	} else {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *page = (const char *)data;
	prom_selector_t sel;
	df_detail_t d;

	for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
		if (prom_selector_parse(&sel, selectors[i], NULL) != DF_OK) {
			abort();
		}
		sum_with(page, size, &sel);
	}

	/* The first line as a selector (NUL-terminated copy), the rest as the page. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl != NULL ? (size_t)(nl - data) : size;
	char *text = malloc(first + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, first);
	text[first] = '\0';
	memset(&d, 0, sizeof(d));
	int ret = prom_selector_parse(&sel, text, &d);
	if (ret == DF_OK) {
		if (sel.name[0] == '\0' || sel.label_count > PROM_SEL_LABELS_MAX) {
			abort();
		}
		size_t rest = nl != NULL ? size - first - 1 : 0;
		sum_with(nl != NULL ? (const char *)nl + 1 : page + size, rest, &sel);
	} else if (ret == DF_EINVAL || ret == DF_ERANGE) {
		check_msg(&d);
	} else {
		abort();
	}
	free(text);
	return 0;
}
