/*
 * Unit tests for src/prom.c: every form of the text format a collector or
 * exporter writes, the selector, and what a bad page or selector yields.
 * Pages are copied into buffers of their exact length, so that ASan sees any
 * read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/health/prom.h"

static df_detail_t d;
static prom_stats_t st;

/* Sums text (len bytes, copied to an exact-size buffer) with sel. */
static int sum_len(const char *text, size_t len, const char *sel, double *sum)
{
	prom_selector_t s;
	char *copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(&d, 0, sizeof(d));
	memset(&st, 0xa5, sizeof(st));
	int ret = prom_selector_parse(&s, sel, &d);
	if (ret != DF_OK) {
		fail_msg("selector '%s': %d %s", sel, ret, d.msg);
	}
	ret = prom_sum_selector(copy, len, &s, sum, &st, &d);
	free(copy);
	return ret;
}

static void expect_sum(const char *text, const char *sel, double want, size_t matched)
{
	double sum = -12345;
	int ret = sum_len(text, strlen(text), sel, &sum);
	if (ret != DF_OK) {
		fail_msg("'%s' in\n%s\nfailed: %d %s", sel, text, ret, d.msg);
	}
	if (!(sum == want || fabs(sum - want) <= 1e-9 * fabs(want))) {
		fail_msg("'%s': sum %.17g, want %.17g", sel, sum, want);
	}
	if (st.matched != matched) {
		fail_msg("'%s': %zu samples matched, want %zu", sel, st.matched, matched);
	}
}

static void expect_missing(const char *text, const char *sel, const char *msg)
{
	double sum = -12345;
	int ret = sum_len(text, strlen(text), sel, &sum);
	if (ret != DF_ENOENT) {
		fail_msg("'%s': expected DF_ENOENT, got %d (sum %g)", sel, ret, sum);
	}
	assert_true(sum == -12345); /* untouched */
	if (strstr(d.msg, msg) == NULL) {
		fail_msg("'%s': message \"%s\" lacks \"%s\"", sel, d.msg, msg);
	}
}

static void test_plain_and_comments(void **state)
{
	(void)state;
	expect_sum("m 1\n", "m", 1, 1);
	expect_sum("m 1", "m", 1, 1); /* no final newline */
	expect_sum("m 1\nm 2\n", "m", 3, 2);
	expect_sum("# HELP m Total of \"things\" \\ seen.\n"
		   "# TYPE m counter\n"
		   "# a comment of our own\n"
		   "#\n"
		   "\n"
		   "   \n"
		   "other 100\n"
		   "m 7\n",
		   "m", 7, 1);
	assert_int_equal(st.samples, 2);
	assert_int_equal(st.malformed, 0);
	/* Leading blanks and tabs between tokens. */
	expect_sum("  m \t 4\n\tm 1\n", "m", 5, 2);
	/* Names with colons (recording rules) and digits. */
	expect_sum("job:m:rate5m 2\njob:m:rate5m2 9\n", "job:m:rate5m", 2, 1);
}

static void test_total_suffix(void **state)
{
	(void)state;
	/* OpenMetrics counter x exposes x_total; older exporters expose x. */
	expect_sum("a_total 3\n", "a", 3, 1);
	expect_sum("a 4\n", "a_total", 4, 1);
	expect_sum("a_total 3\n", "a_total", 3, 1);
	/* Both spellings on one page: the exact one only, never both. */
	expect_sum("a 4\na_total 3\n", "a", 4, 1);
	expect_sum("a 4\na_total 3\n", "a_total", 3, 1);
	/* Neighbours that only share a prefix are other metrics. */
	expect_sum("a_created 1.7e9\na_totals 9\nab_total 9\na_total_total 9\na_total 2\n", "a", 2,
		   1);
	expect_missing("a_created 1\nab 2\n", "a", "metric a not found in 2 samples");
	/* "_total" alone is a name; its other spelling is "_total_total". */
	expect_sum("_total_total 6\n", "_total", 6, 1);
}

static void test_label_selectors(void **state)
{
	(void)state;
	const char *page = "m{receiver=\"otlp\",transport=\"grpc\"} 10\n"
			   "m{receiver=\"otlp\",transport=\"http\"} 20\n"
			   "m{receiver=\"prometheus\",transport=\"http\"} 300\n"
			   "m{transport=\"grpc\"} 4000\n"
			   "n{receiver=\"otlp\"} 50000\n";
	/* No labels: every label set summed. */
	expect_sum(page, "m", 4330, 4);
	expect_sum(page, "m{receiver=\"otlp\"}", 30, 2);
	expect_sum(page, "m{transport=\"http\"}", 320, 2);
	expect_sum(page, "m{receiver=\"otlp\",transport=\"grpc\"}", 10, 1);
	/* Label order in the selector does not matter. */
	expect_sum(page, "m{transport=\"grpc\", receiver=\"otlp\"}", 10, 1);
	expect_sum(page, "m{}", 4330, 4);
	/* Values compare whole, case included. */
	expect_missing(page, "m{receiver=\"otl\"}",
		       "no sample of metric m{receiver=\"otl\"} has the selector's labels (4 "
		       "samples of m in 5 samples");
	expect_missing(page, "m{receiver=\"OTLP\"}", "has the selector's labels");
	/* A sample lacking the label does not match, even for an empty value. */
	expect_missing("m 1\n", "m{receiver=\"\"}", "has the selector's labels");
	expect_sum("m{receiver=\"\"} 1\nm 2\n", "m{receiver=\"\"}", 1, 1);
	/* A label repeated in a sample makes the line malformed. */
	expect_sum("m{a=\"1\",a=\"2\"} 5\nm{a=\"1\"} 6\n", "m{a=\"1\"}", 6, 1);
	assert_int_equal(st.malformed, 1);
}

static void test_label_syntax(void **state)
{
	(void)state;
	/* Blanks around every token and a trailing comma. */
	expect_sum("m { a = \"1\" ,\tb=\"2\" , } 4\n", "m{a=\"1\",b=\"2\"}", 4, 1);
	expect_sum("m{a=\"1\",} 4\n", "m{a=\"1\"}", 4, 1);
	expect_sum("m{} 4\n", "m", 4, 1);
	/* A '}' and a ',' inside a quoted value belong to the value. */
	expect_sum("m{path=\"a\\\"b}c,d\",x=\"1\"} 7\nm{path=\"a\"} 1\n", "m{path=\"a\\\"b}c,d\"}",
		   7, 1);
	expect_sum("m{path=\"}\"} 2\n", "m{path=\"}\"}", 2, 1);
	expect_sum("m{path=\",\"} 2\n", "m{path=\",\"}", 2, 1);
	/* \\ and \n, decoded on both sides. */
	expect_sum("m{v=\"x\\\\y\\nz\"} 2\n", "m{v=\"x\\\\y\\nz\"}", 2, 1);
	expect_missing("m{v=\"x\\\\y\\nz\"} 2\n", "m{v=\"x\\\\ynz\"}", "has the selector's labels");
	/* An unknown escape on a page stays as written, as in Prometheus. */
	expect_sum("m{v=\"a\\qb\"} 3\n", "m{v=\"a\\\\qb\"}", 3, 1);
	/* An escaped backslash right before the closing quote. */
	expect_sum("m{v=\"a\\\\\"} 3\n", "m{v=\"a\\\\\"}", 3, 1);
	/* UTF-8 in values is bytes like any other. */
	expect_sum("m{city=\"Zürich\"} 1\n", "m{city=\"Zürich\"}", 1, 1);
}

static void test_values(void **state)
{
	(void)state;
	expect_sum("m 1e3\nm -1.5E-2\nm .5\nm 5.\nm +3\nm 0\nm -0\n", "m",
		   1000 - 0.015 + 0.5 + 5 + 3, 7);
	expect_sum("m 12400\n", "m", 12400, 1);
	expect_sum("m 1.5e+2\n", "m", 150, 1);

	double sum = 0;
	assert_int_equal(sum_len("m 1\nm NaN\n", 10, "m", &sum), DF_OK);
	assert_true(isnan(sum));
	assert_int_equal(sum_len("m +Inf\n", 7, "m", &sum), DF_OK);
	assert_true(isinf(sum) && sum > 0);
	assert_int_equal(sum_len("m -Inf\nm 5\n", 11, "m", &sum), DF_OK);
	assert_true(isinf(sum) && sum < 0);
	assert_int_equal(sum_len("m +Inf\nm -Inf\n", 14, "m", &sum), DF_OK);
	assert_true(isnan(sum));
	/* Go's ParseFloat takes these spellings too. */
	assert_int_equal(sum_len("m nan\nm inf\n", 12, "m", &sum), DF_OK);
	assert_true(isnan(sum));
	assert_int_equal(sum_len("m Infinity\n", 11, "m", &sum), DF_OK);
	assert_true(isinf(sum));

	/* Not numbers: each line skipped and counted. */
	expect_sum("m 0x10\nm 0x1p3\nm 1e\nm 1.2.3\nm e5\nm .\nm +\nm 1,5\nm 12abc\nm Nano\n"
		   "m 1_000\nm \"1\"\nm\nm 2\n",
		   "m", 2, 1);
	assert_int_equal(st.malformed, 13);
}

static void test_huge_numbers(void **state)
{
	(void)state;
	expect_sum("m 1.7976931348623157e308\n", "m", 1.7976931348623157e308, 1);
	expect_sum("m 123456789012345678901234567890\n", "m", 1.2345678901234568e29, 1);
	expect_sum("m 9007199254740993\n", "m", 9007199254740992.0, 1);
	/* Beyond double's range: malformed, as Prometheus rejects it. */
	expect_sum("m 1e309\nm -1e400\nm 1\n", "m", 1, 1);
	assert_int_equal(st.malformed, 2);
	/* Underflow reads as (nearly) zero. */
	expect_sum("m 1e-400\nm 1\n", "m", 1, 2);
	/* Two finite samples whose sum overflows give +Inf, for the caller to judge. */
	double sum = 0;
	assert_int_equal(sum_len("m 1e308\nm 1e308\n", 16, "m", &sum), DF_OK);
	assert_true(isinf(sum));
	/* A token too long to be a number a writer would produce. */
	char page[400];
	memset(page, '1', sizeof(page));
	memcpy(page, "m ", 2);
	memcpy(page + sizeof(page) - 5, "\nm 1", 4);
	page[sizeof(page) - 1] = '\0';
	expect_sum(page, "m", 1, 1);
	assert_int_equal(st.malformed, 1);
}

static void test_timestamps_and_exemplars(void **state)
{
	(void)state;
	/* Prometheus: integer milliseconds; OpenMetrics: float seconds. */
	expect_sum("m 1 1700000000000\nm{a=\"b\"} 2 1700000000.5\nm 4 -5\n", "m", 7, 3);
	expect_sum("m 1 abc\nm 2 1 2\nm 3 NaN\nm 8\n", "m", 8, 1);
	assert_int_equal(st.malformed, 3);
	/* Exemplars after the value, with and without timestamps. */
	expect_sum("m_total{a=\"b\"} 5 # {trace_id=\"abc\",span_id=\"1\"} 1.0 1700000000.123\n"
		   "m_total 2 1700000000 # {trace_id=\"x\"} 1\n"
		   "m_total 4 #{} 3\n"
		   "m_bucket{le=\"0.5\"} 9 # {trace_id=\"y\"} 0.25\n",
		   "m", 11, 3);
	assert_int_equal(st.malformed, 0);
	/* Broken exemplars make the line malformed. */
	expect_sum("m 1 # trace\n"
		   "m 1 # {trace_id=\"x\"}\n"
		   "m 1 # {trace_id=\"x\"} one\n"
		   "m 1 # {trace_id=\"x} 1\n"
		   "m 1 # {trace_id=\"x\"} 1 2 3\n"
		   "m 1# {a=\"b\"} 1\n"
		   "m 16\n",
		   "m", 16, 1);
	assert_int_equal(st.malformed, 6);
}

static void test_eof_and_crlf(void **state)
{
	(void)state;
	expect_sum("# TYPE m counter\nm_total 1\n# EOF\nm_total 100\n", "m", 1, 1);
	assert_true(st.eof);
	expect_sum("m 1\n#EOF\nm 100\n", "m", 1, 1);
	/* Only "# EOF" itself ends the page. */
	expect_sum("m 1\n# EOF of sorts\nm 100\n", "m", 101, 2);
	assert_false(st.eof);
	/* CRLF line ends, including on comments, EOF and blank lines. */
	expect_sum(
		"# HELP m x\r\n# TYPE m counter\r\n\r\nm{a=\"b\"} 2\r\nm 3 17\r\n# EOF\r\nm 9\r\n",
		"m{a=\"b\"}", 2, 1);
	assert_int_equal(st.malformed, 0);
	assert_true(st.eof);
	/* A stray CR elsewhere is not a line end. */
	expect_sum("m 1\rm 2\nm 4\n", "m", 4, 1);
	assert_int_equal(st.malformed, 1);
}

static void test_garbage_skipped(void **state)
{
	(void)state;
	expect_sum("m 1\n"
		   "garbage here\n"
		   "{\n"
		   "m{a=\"b\" 2\n"
		   "=\n"
		   "m{a=b} 2\n"
		   "m{1a=\"b\"} 2\n"
		   "m+1\n"
		   "<html><body>oops</body></html>\n"
		   "m{a=\"b\"}} 2\n"
		   "m 3\n",
		   "m", 4, 2);
	assert_int_equal(st.malformed, 9);
	assert_int_equal(st.samples, 2);
	/* Binary: NUL bytes and high bytes, never read past len. */
	static const char bin[] = "m{a=\"x\0\"} 1\n\xff\xfe\n\0\0\nm 2\n";
	double sum = 0;
	assert_int_equal(sum_len(bin, sizeof(bin) - 1, "m{a=\"x\"}", &sum), DF_ENOENT);
	assert_int_equal(sum_len(bin, sizeof(bin) - 1, "m", &sum), DF_OK);
	assert_true(sum == 3);
	assert_int_equal(st.malformed, 2);
}

static void test_bounds(void **state)
{
	(void)state;
	double sum = 0;
	/* len cuts the page: what lies beyond is never read. */
	assert_int_equal(sum_len("m 1\nm 2\n", 4, "m", &sum), DF_OK);
	assert_true(sum == 1);
	assert_int_equal(sum_len("m 12", 3, "m", &sum), DF_OK);
	assert_true(sum == 1);
	assert_int_equal(sum_len("m{a=\"b\"} 1", 6, "m", &sum), DF_ENOENT);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(sum_len("m{a=\"b\\", 7, "m", &sum), DF_ENOENT);
	assert_int_equal(sum_len("m 1 # {a=\"", 10, "m", &sum), DF_ENOENT);
}

static void test_missing_and_empty(void **state)
{
	(void)state;
	const char *want = "otelcol_receiver_accepted_metric_points_total";
	expect_missing(
		"a 1\nb 2\nc{x=\"y\"} 3\n", want,
		"metric otelcol_receiver_accepted_metric_points_total not found in 3 samples "
		"(did the collector's telemetry change? check HEALTH_METRIC)");
	expect_missing(
		"a 1\nb 2\nbroken\n", want,
		"metric otelcol_receiver_accepted_metric_points_total not found in 2 samples "
		"and 1 malformed line (did");
	expect_missing("junk\nmore junk\n", want, "in 0 samples and 2 malformed lines");
	expect_missing("", want,
		       "metric otelcol_receiver_accepted_metric_points_total not found: "
		       "the metrics page is empty");
	expect_missing("# HELP x y\n# TYPE x counter\n", want, "not found in 0 samples");
	/* EOF before the metric. */
	expect_missing("# EOF\nm 1\n", "m", "not found in 0 samples");
	/* prom_sum() with its own selector, and its matched count. */
	double sum = 0;
	size_t matched = 99;
	memset(&d, 0, sizeof(d));
	assert_int_equal(prom_sum("", 0, "m", &sum, &matched, &d), DF_ENOENT);
	assert_int_equal(matched, 99);
	assert_int_equal(prom_sum(NULL, 0, "m", &sum, &matched, &d), DF_ENOENT);
	assert_int_equal(prom_sum("m 1\nm{a=\"1\"} 2\n", 15, "m", &sum, &matched, &d), DF_OK);
	assert_true(sum == 3);
	assert_int_equal(matched, 2);
	assert_int_equal(prom_sum("m 1\n", 4, "m{", &sum, &matched, &d), DF_EINVAL);
	assert_int_equal(prom_sum("m 1\n", 4, NULL, &sum, &matched, &d), DF_EINVAL);
	assert_int_equal(prom_sum("m 1\n", 4, "m", NULL, &matched, &d), DF_EINVAL);
}

static void expect_sel_bad(const char *text, int err, const char *msg)
{
	prom_selector_t sel, before;
	memset(&sel, 0x5a, sizeof(sel));
	memcpy(&before, &sel, sizeof(sel));
	memset(&d, 0, sizeof(d));
	int ret = prom_selector_parse(&sel, text, &d);
	if (ret != err) {
		fail_msg("'%s': expected %d, got %d (%s)", text, err, ret, d.msg);
	}
	if (strstr(d.msg, msg) == NULL) {
		fail_msg("'%s': message \"%s\" lacks \"%s\"", text, d.msg, msg);
	}
	assert_memory_equal(&sel, &before, sizeof(sel));
}

static void test_selector_parse(void **state)
{
	(void)state;
	prom_selector_t sel;
	assert_int_equal(prom_selector_parse(&sel, " m_total ", &d), DF_OK);
	assert_string_equal(sel.name, "m_total");
	assert_int_equal(sel.label_count, 0);
	assert_int_equal(prom_selector_parse(&sel, "ns:m { a = \"x\\\"y\" , b=\"\\n\\\\\", }", &d),
			 DF_OK);
	assert_string_equal(sel.name, "ns:m");
	assert_int_equal(sel.label_count, 2);
	assert_string_equal(sel.labels[0].name, "a");
	assert_string_equal(sel.labels[0].value, "x\"y");
	assert_string_equal(sel.labels[1].name, "b");
	assert_string_equal(sel.labels[1].value, "\n\\");

	expect_sel_bad("", DF_EINVAL, "metric selector '': empty at offset 0");
	expect_sel_bad("   ", DF_EINVAL, "empty");
	expect_sel_bad("1abc", DF_EINVAL, "a metric name starts with a letter");
	expect_sel_bad("{a=\"b\"}", DF_EINVAL, "a metric name starts with");
	expect_sel_bad("m{a=b}", DF_EINVAL,
		       "'m{a=b}': label value must be in double quotes at offset 4");
	expect_sel_bad("m{a=\"b}", DF_EINVAL, "label value is not closed");
	expect_sel_bad("m{a=\"b\"", DF_EINVAL, "label set is not closed");
	expect_sel_bad("m{a=\"b\" c=\"d\"}", DF_EINVAL,
		       "expected ',' or '}' after the label value");
	expect_sel_bad("m{a=\"b\",a=\"c\"}", DF_EINVAL, "label repeated at offset 8");
	expect_sel_bad("m{a}", DF_EINVAL, "expected '=' after the label name");
	expect_sel_bad("m{a:b=\"c\"}", DF_EINVAL, "expected '=' after the label name");
	expect_sel_bad("m{,}", DF_EINVAL, "expected a label name");
	expect_sel_bad("m x", DF_EINVAL,
		       "unexpected character after the metric name (use "
		       "name{label=\"value\"}) at offset 2");
	expect_sel_bad("m{a=\"b\"}{c=\"d\"}", DF_EINVAL, "labels go in one {...}");
	expect_sel_bad("m.total", DF_EINVAL, "unexpected character");
	expect_sel_bad("m{a=\"x\\qy\"}", DF_EINVAL, "unknown escape in the label value");
	expect_sel_bad("m{a=\"x\\qy\"}", DF_EINVAL, "at offset 6");
	expect_sel_bad("m{a=\"b\"} 5", DF_EINVAL, "unexpected character");
	/* Control characters in the echo are shown as '?'. */
	expect_sel_bad("m\t\x01", DF_EINVAL,
		       "'m?"
		       "?'");
	expect_sel_bad("m{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\"}",
		       DF_ERANGE, "too many labels (at most 8)");

	char long_name[PROM_NAME_MAX + 10];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	expect_sel_bad(long_name, DF_ERANGE, "metric name too long");
	char long_value[PROM_VALUE_MAX + 20];
	memset(long_value, 'v', sizeof(long_value) - 1);
	memcpy(long_value, "m{a=\"", 5);
	memcpy(long_value + sizeof(long_value) - 3, "\"}", 3);
	expect_sel_bad(long_value, DF_ERANGE, "label value too long");

	assert_int_equal(prom_selector_parse(NULL, "m", &d), DF_EINVAL);
	assert_int_equal(prom_selector_parse(&sel, NULL, &d), DF_EINVAL);
	/* d may be NULL. */
	assert_int_equal(prom_selector_parse(&sel, "m{", NULL), DF_EINVAL);
}

/* What otelcol 0.9x serves on :8888/metrics, trimmed. */
static const char otelcol_page[] =
	"# HELP otelcol_exporter_enqueue_failed_metric_points Number of metric points failed to be "
	"added to the sending queue.\n"
	"# TYPE otelcol_exporter_enqueue_failed_metric_points counter\n"
	"otelcol_exporter_enqueue_failed_metric_points{exporter=\"otlphttp\",service_instance_id="
	"\"0c6e1f2a-5f8e-4a3b-9d61-2f1e0c9b7a55\",service_name=\"otelcol-contrib\",service_version="
	"\"0.98.0\"} 0\n"
	"# HELP otelcol_exporter_sent_metric_points Number of metric points successfully sent to "
	"destination.\n"
	"# TYPE otelcol_exporter_sent_metric_points counter\n"
	"otelcol_exporter_sent_metric_points{exporter=\"otlphttp\",service_instance_id="
	"\"0c6e1f2a\","
	"service_name=\"otelcol-contrib\",service_version=\"0.98.0\"} 12345\n"
	"# HELP otelcol_process_uptime Uptime of the process\n"
	"# TYPE otelcol_process_uptime counter\n"
	"otelcol_process_uptime{service_instance_id=\"0c6e1f2a\",service_name=\"otelcol-contrib\","
	"service_version=\"0.98.0\"} 86412.734516789\n"
	"# HELP otelcol_process_runtime_heap_alloc_bytes Bytes of allocated heap objects\n"
	"# TYPE otelcol_process_runtime_heap_alloc_bytes gauge\n"
	"otelcol_process_runtime_heap_alloc_bytes{service_instance_id=\"0c6e1f2a\",service_name="
	"\"otelcol-contrib\",service_version=\"0.98.0\"} 4.1234176e+07\n"
	"# HELP otelcol_processor_batch_batch_send_size Number of units in the batch\n"
	"# TYPE otelcol_processor_batch_batch_send_size histogram\n"
	"otelcol_processor_batch_batch_send_size_bucket{processor=\"batch\",le=\"10\"} 1\n"
	"otelcol_processor_batch_batch_send_size_bucket{processor=\"batch\",le=\"100\"} 40\n"
	"otelcol_processor_batch_batch_send_size_bucket{processor=\"batch\",le=\"+Inf\"} 52\n"
	"otelcol_processor_batch_batch_send_size_sum{processor=\"batch\"} 31740\n"
	"otelcol_processor_batch_batch_send_size_count{processor=\"batch\"} 52\n"
	"# HELP otelcol_receiver_accepted_metric_points Number of metric points successfully "
	"pushed into the pipeline.\n"
	"# TYPE otelcol_receiver_accepted_metric_points counter\n"
	"otelcol_receiver_accepted_metric_points{receiver=\"otlp\",service_instance_id="
	"\"0c6e1f2a\","
	"service_name=\"otelcol-contrib\",service_version=\"0.98.0\",transport=\"grpc\"} 9000\n"
	"otelcol_receiver_accepted_metric_points{receiver=\"otlp\",service_instance_id="
	"\"0c6e1f2a\","
	"service_name=\"otelcol-contrib\",service_version=\"0.98.0\",transport=\"http\"} 3000\n"
	"otelcol_receiver_accepted_metric_points{receiver=\"prometheus/bigip\",service_instance_id="
	"\"0c6e1f2a\",service_name=\"otelcol-contrib\",service_version=\"0.98.0\",transport="
	"\"http\"} "
	"400\n"
	"# HELP otelcol_receiver_refused_metric_points Number of metric points that could not be "
	"pushed into the pipeline.\n"
	"# TYPE otelcol_receiver_refused_metric_points counter\n"
	"otelcol_receiver_refused_metric_points{receiver=\"otlp\",service_instance_id=\"0c6e1f2a\","
	"service_name=\"otelcol-contrib\",service_version=\"0.98.0\",transport=\"grpc\"} 7\n"
	"# HELP target_info Target metadata\n"
	"# TYPE target_info gauge\n"
	"target_info{service_instance_id=\"0c6e1f2a\",service_name=\"otelcol-contrib\","
	"service_version=\"0.98.0\"} 1\n";

static void test_otelcol_page(void **state)
{
	(void)state;
	/* Newer collectors drop the _total; the seed's name still finds the counter. */
	expect_sum(otelcol_page, "otelcol_receiver_accepted_metric_points_total", 12400, 3);
	assert_int_equal(st.samples, 14);
	assert_int_equal(st.malformed, 0);
	expect_sum(otelcol_page, "otelcol_receiver_accepted_metric_points", 12400, 3);
	expect_sum(otelcol_page, "otelcol_receiver_accepted_metric_points{receiver=\"otlp\"}",
		   12000, 2);
	expect_sum(otelcol_page,
		   "otelcol_receiver_accepted_metric_points_total{receiver=\"prometheus/bigip\"}",
		   400, 1);
	expect_sum(otelcol_page,
		   "otelcol_receiver_accepted_metric_points{receiver=\"otlp\",transport=\"grpc\"}",
		   9000, 1);
	expect_sum(otelcol_page, "otelcol_exporter_sent_metric_points_total", 12345, 1);
	expect_sum(otelcol_page, "otelcol_processor_batch_batch_send_size_sum", 31740, 1);
	expect_sum(otelcol_page, "otelcol_processor_batch_batch_send_size_bucket{le=\"+Inf\"}", 52,
		   1);
	expect_sum(otelcol_page, "otelcol_process_uptime", 86412.734516789, 1);
	expect_missing(
		otelcol_page, "otelcol_receiver_accepted_log_records_total",
		"metric otelcol_receiver_accepted_log_records_total not found in 14 samples");
	expect_missing(otelcol_page, "otelcol_receiver_accepted_metric_points{receiver=\"kafka\"}",
		       "(3 samples of otelcol_receiver_accepted_metric_points in 14 samples; check "
		       "HEALTH_METRIC's labels)");

	/* The same page in OpenMetrics form, CRLF and all. */
	const char *om = "# TYPE otelcol_receiver_accepted_metric_points counter\r\n"
			 "# UNIT otelcol_receiver_accepted_metric_points points\r\n"
			 "otelcol_receiver_accepted_metric_points_total{receiver=\"otlp\"} 12000.0 "
			 "1700000000.001 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 5.0\r\n"
			 "otelcol_receiver_accepted_metric_points_total{receiver=\"prom\"} 400\r\n"
			 "otelcol_receiver_accepted_metric_points_created{receiver=\"otlp\"} "
			 "1.7e9\r\n"
			 "# EOF\r\n";
	expect_sum(om, "otelcol_receiver_accepted_metric_points_total", 12400, 2);
	assert_true(st.eof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_comments),
		cmocka_unit_test(test_total_suffix),
		cmocka_unit_test(test_label_selectors),
		cmocka_unit_test(test_label_syntax),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_timestamps_and_exemplars),
		cmocka_unit_test(test_eof_and_crlf),
		cmocka_unit_test(test_garbage_skipped),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_missing_and_empty),
		cmocka_unit_test(test_selector_parse),
		cmocka_unit_test(test_otelcol_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
