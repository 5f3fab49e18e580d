/*
 * Prometheus / OpenMetrics text, one line at a time. Every read is bounded by
 * the end of the current line, itself bounded by len: the page comes from the
 * network and need not be NUL-terminated.
 */
#include "src/health/prom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Longest value or timestamp token we read. Longer tokens are not numbers any
 * exporter writes (a double needs at most 24 characters; 17 significant
 * digits and an exponent), so they make the line malformed.
 */
#define FLOAT_TOKEN_MAX 128

struct span {
	const char *p;
	size_t n;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Metric names may contain ':' (recording rules); label names may not. */
static bool is_name_start(char c)
{
	return is_alpha(c) || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

static bool is_label_start(char c)
{
	return is_alpha(c) || c == '_';
}

static bool is_label_char(char c)
{
	return is_label_start(c) || is_digit(c);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p)) {
		p++;
	}
	return p;
}

static bool span_is(struct span s, const char *str)
{
	size_t n = strlen(str);
	return s.n == n && memcmp(s.p, str, n) == 0;
}

/* Case-insensitive comparison of s with a lower-case ASCII word. */
static bool span_ieq(const char *p, size_t n, const char *word)
{
	size_t i = 0;
	for (; i < n && word[i] != '\0'; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		if (c != word[i]) {
			return false;
		}
	}
	return i == n && word[i] == '\0';
}

/*
 * Decodes one character of an escaped label value at *pp (< end), advancing
 * *pp. The format defines \" \\ and \n; Prometheus keeps any other backslash
 * sequence as it stands, and so do we: *pending is set, the caller sees the
 * backslash, then the next call returns the escaped character. Pages get the
 * lenient reading; selectors reject unknown escapes before this is used.
 */
static char next_char(const char **pp, const char *end, bool *pending)
{
	const char *p = *pp;
	if (*pending) {
		*pending = false;
		*pp = p + 1;
		return *p;
	}
	if (*p == '\\' && p + 1 < end) {
		char x = p[1];
		if (x == 'n' || x == '\\' || x == '"') {
			*pp = p + 2;
			return x == 'n' ? '\n' : x;
		}
		*pending = true; /* emit the backslash now, x next time */
	}
	*pp = p + 1;
	return *p;
}

/* Whether the escaped value raw decodes to want. */
static bool value_equals(struct span raw, const char *want)
{
	const char *p = raw.p, *end = raw.p + raw.n;
	bool pending = false;
	size_t i = 0;
	while (p < end) {
		char c = next_char(&p, end, &pending);
		/* Stop at want's NUL even when the page holds a NUL byte. */
		if (want[i] == '\0' || want[i] != c) {
			return false;
		}
		i++;
	}
	return want[i] == '\0';
}

typedef const char *(*label_fn)(void *arg, struct span name, struct span raw);

/*
 * Reads a label set whose '{' is at *pp: label="value" pairs separated by
 * commas, blanks allowed around every token, a trailing comma allowed. Calls
 * each (may be NULL) for every label with the value still escaped; a reason
 * it returns ends the scan. Returns NULL with *pp after the '}', or a reason
 * with *pp at the fault. A '}' or ',' inside a quoted value is part of it.
 */
static const char *scan_labels(const char **pp, const char *end, label_fn each, void *arg)
{
	const char *p = *pp + 1;
	const char *why = NULL;

	for (;;) {
		p = skip_blanks(p, end);
		if (p == end) {
			why = "label set is not closed with '}'";
			goto out;
		}
		if (*p == '}') {
			break;
		}
		if (!is_label_start(*p)) {
			why = "expected a label name";
			goto out;
		}
		struct span name = {p, 0};
		while (p < end && is_label_char(*p)) {
			p++;
		}
		name.n = (size_t)(p - name.p);
		p = skip_blanks(p, end);
		if (p == end || *p != '=') {
			why = "expected '=' after the label name";
			goto out;
		}
		p = skip_blanks(p + 1, end);
		if (p == end || *p != '"') {
			why = "label value must be in double quotes";
			goto out;
		}
		p++;
		struct span raw = {p, 0};
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end) {
				p++; /* the escaped character, which may be a quote */
			}
			p++;
		}
		if (p == end) {
			why = "label value is not closed with '\"'";
			goto out;
		}
		raw.n = (size_t)(p - raw.p);
		p++;
		if (each != NULL) {
			why = each(arg, name, raw);
			if (why != NULL) {
				p = name.p;
				goto out;
			}
		}
		p = skip_blanks(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			break;
		}
		why = p == end ? "label set is not closed with '}'"
			       : "expected ',' or '}' after the label value";
		goto out;
	}
	p++;
out:
	*pp = p;
	return why;
}

/*
 * Parses a float token: [+-] then digits with an optional fraction and
 * exponent, or NaN / Inf / Infinity in any case. No hex (strtod would take
 * "0x1p3"), no blanks, nothing after the number. A value beyond double's
 * range fails, as in Prometheus (Go's ParseFloat reports it). strtod reads
 * '.' as the decimal point because this program never calls setlocale().
 */
static bool parse_float(const char *p, size_t n, double *out)
{
	char buf[FLOAT_TOKEN_MAX];
	const char *q = p;
	size_t m = n;
	bool neg = false;

	if (n == 0 || n >= sizeof(buf)) {
		return false;
	}
	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
		m--;
	}
	if (span_ieq(q, m, "inf") || span_ieq(q, m, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	if (span_ieq(q, m, "nan")) {
		*out = NAN;
		return true;
	}

	size_t i = 0, digits = 0;
	while (i < m && is_digit(q[i])) {
		i++;
		digits++;
	}
	if (i < m && q[i] == '.') {
		i++;
		while (i < m && is_digit(q[i])) {
			i++;
			digits++;
		}
	}
	if (digits == 0) {
		return false;
	}
	if (i < m && (q[i] == 'e' || q[i] == 'E')) {
		size_t exp_digits = 0;
		i++;
		if (i < m && (q[i] == '+' || q[i] == '-')) {
			i++;
		}
		while (i < m && is_digit(q[i])) {
			i++;
			exp_digits++;
		}
		if (exp_digits == 0) {
			return false;
		}
	}
	if (i != m) {
		return false;
	}

	memcpy(buf, p, n);
	buf[n] = '\0';
	char *stop = NULL;
	errno = 0;
	double v = strtod(buf, &stop);
	if (stop != buf + n || (errno == ERANGE && isinf(v))) {
		return false;
	}
	/* Underflow (1e-400) reads as the nearest tiny value or 0: a fine reading. */
	*out = v;
	return true;
}

/* Reads a token up to a blank or the end of the line. */
static struct span token(const char **pp, const char *end)
{
	struct span t = {*pp, 0};
	const char *p = *pp;
	while (p < end && !is_blank(*p)) {
		p++;
	}
	t.n = (size_t)(p - t.p);
	*pp = p;
	return t;
}

/* ---- selectors ---- */

struct sel_build {
	prom_selector_t sel;
	const char *text; /* the whole selector, for offsets in messages */
	int err;
	size_t fault; /* offset of a fault found inside a value */
};

static const char *sel_add_label(void *arg, struct span name, struct span raw)
{
	struct sel_build *b = arg;
	prom_selector_t *sel = &b->sel;

	if (sel->label_count == PROM_SEL_LABELS_MAX) {
		b->err = DF_ERANGE;
		return "too many labels (at most 8)";
	}
	if (name.n >= PROM_NAME_MAX) {
		b->err = DF_ERANGE;
		return "label name too long";
	}
	for (size_t i = 0; i < sel->label_count; i++) {
		if (span_is(name, sel->labels[i].name)) {
			return "label repeated";
		}
	}
	prom_label_t *l = &sel->labels[sel->label_count];
	memcpy(l->name, name.p, name.n);
	l->name[name.n] = '\0';

	/*
	 * A selector is written by a person: reject escapes the format does not
	 * define instead of guessing, and values we cannot hold.
	 */
	size_t len = 0;
	for (const char *p = raw.p; p < raw.p + raw.n; p++) {
		char c = *p;
		if (c == '\\') {
			char x = p[1]; /* raw never ends with a lone backslash */
			if (x != 'n' && x != '\\' && x != '"') {
				b->fault = (size_t)(p - b->text);
				return "unknown escape in the label value (only \\\" \\\\ \\n)";
			}
			c = x == 'n' ? '\n' : x;
			p++;
		}
		if (len + 1 >= PROM_VALUE_MAX) {
			b->err = DF_ERANGE;
			return "label value too long";
		}
		l->value[len++] = c;
	}
	l->value[len] = '\0';
	sel->label_count++;
	return NULL;
}

/* Copies s into buf for a message, with control characters shown as '?'. */
static void printable(char *buf, size_t size, const char *s, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && s[i] != '\0' && j + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[j] = '\0';
}

int prom_selector_parse(prom_selector_t *sel, const char *text, df_detail_t *d)
{
	struct sel_build *b = NULL;
	const char *why = NULL;
	int ret = DF_EINVAL;
	size_t at = 0;
	char shown[PROM_NAME_MAX];

	if (sel == NULL || text == NULL) {
		return DF_EINVAL;
	}
	/* A prom_selector_t is 4 KiB: off the stack of a deep caller. */
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return DF_ENOMEM;
	}
	b->text = text;
	b->err = DF_EINVAL;

	const char *end = text + strlen(text);
	const char *p = skip_blanks(text, end);
	const char *name = p;
	if (p == end) {
		why = "empty";
		goto fail;
	}
	if (!is_name_start(*p)) {
		why = "a metric name starts with a letter, '_' or ':'";
		goto fail;
	}
	while (p < end && is_name_char(*p)) {
		p++;
	}
	if ((size_t)(p - name) >= PROM_NAME_MAX) {
		b->err = DF_ERANGE;
		why = "metric name too long";
		goto fail;
	}
	memcpy(b->sel.name, name, (size_t)(p - name));
	b->sel.name[p - name] = '\0';
	p = skip_blanks(p, end);
	if (p < end && *p == '{') {
		why = scan_labels(&p, end, sel_add_label, b);
		if (why != NULL) {
			if (b->fault != 0) {
				p = text + b->fault;
			}
			goto fail;
		}
		p = skip_blanks(p, end);
	}
	if (p != end) {
		why = *p == '{' || *p == '}' || *p == '=' || *p == '"'
			      ? "unexpected character (labels go in one {...} after the name)"
			      : "unexpected character after the metric name (use "
				"name{label=\"value\"})";
		goto fail;
	}

	memcpy(sel, &b->sel, sizeof(*sel));
	ret = DF_OK;
	goto out;
fail:
	ret = b->err;
	at = (size_t)(p - text);
	printable(shown, sizeof(shown), text, strlen(text));
	df_detail_set(d, "metric selector '%s': %s at offset %zu", shown, why, at);
out:
	free(b);
	return ret;
}

/* Writes sel as name{a="v",...} for messages, escaped, control characters as '?'. */
static void format_selector(const prom_selector_t *sel, char *buf, size_t size)
{
	size_t j = 0;
#define PUT(ch)                          \
	do {                             \
		if (j + 1 < size) {      \
			buf[j++] = (ch); \
		}                        \
	} while (0)
	for (const char *s = sel->name; *s != '\0'; s++) {
		PUT(*s);
	}
	for (size_t i = 0; i < sel->label_count; i++) {
		PUT(i == 0 ? '{' : ',');
		for (const char *s = sel->labels[i].name; *s != '\0'; s++) {
			PUT(*s);
		}
		PUT('=');
		PUT('"');
		for (const char *s = sel->labels[i].value; *s != '\0'; s++) {
			unsigned char c = (unsigned char)*s;
			if (c == '"' || c == '\\') {
				PUT('\\');
				PUT(*s);
			} else if (c == '\n') {
				PUT('\\');
				PUT('n');
			} else {
				PUT(c < 0x20 || c == 0x7f ? '?' : *s);
			}
		}
		PUT('"');
	}
	if (sel->label_count > 0) {
		PUT('}');
	}
#undef PUT
	buf[j] = '\0';
}

/* ---- pages ---- */

enum name_match { NAME_OTHER, NAME_EXACT, NAME_ALT };

/* Exact name, or the other spelling: with "_total" added or removed. */
static enum name_match match_name(struct span name, const char *want)
{
	static const char suffix[] = "_total";
	const size_t sl = sizeof(suffix) - 1;
	size_t wl = strlen(want);

	if (name.n == wl && memcmp(name.p, want, wl) == 0) {
		return NAME_EXACT;
	}
	if (wl > sl && strcmp(want + wl - sl, suffix) == 0) {
		if (name.n == wl - sl && memcmp(name.p, want, wl - sl) == 0) {
			return NAME_ALT;
		}
	} else if (name.n == wl + sl && memcmp(name.p, want, wl) == 0 &&
		   memcmp(name.p + wl, suffix, sl) == 0) {
		return NAME_ALT;
	}
	return NAME_OTHER;
}

struct sample_match {
	const prom_selector_t *sel;
	bool seen[PROM_SEL_LABELS_MAX];
	bool equal[PROM_SEL_LABELS_MAX];
};

static const char *sample_label(void *arg, struct span name, struct span raw)
{
	struct sample_match *m = arg;
	for (size_t i = 0; i < m->sel->label_count; i++) {
		if (span_is(name, m->sel->labels[i].name)) {
			if (m->seen[i]) {
				/* Prometheus rejects the sample; which value would we match? */
				return "label repeated";
			}
			m->seen[i] = true;
			m->equal[i] = value_equals(raw, m->sel->labels[i].value);
		}
	}
	return NULL;
}

enum line_kind { LINE_SKIP, LINE_EOF, LINE_SAMPLE, LINE_BAD };

/* After the value: [timestamp] [# {exemplar labels} value [timestamp]]. */
static bool parse_tail(const char *p, const char *end)
{
	double v;

	p = skip_blanks(p, end);
	if (p < end && *p != '#') {
		struct span ts = token(&p, end);
		if (!parse_float(ts.p, ts.n, &v) || !isfinite(v)) {
			return false;
		}
		p = skip_blanks(p, end);
	}
	if (p == end) {
		return true;
	}
	if (*p != '#') {
		return false;
	}
	/* An OpenMetrics exemplar: read for its syntax, never summed. */
	p = skip_blanks(p + 1, end);
	if (p == end || *p != '{' || scan_labels(&p, end, NULL, NULL) != NULL) {
		return false;
	}
	p = skip_blanks(p, end);
	struct span ev = token(&p, end);
	if (!parse_float(ev.p, ev.n, &v)) {
		return false;
	}
	p = skip_blanks(p, end);
	if (p < end) {
		struct span ts = token(&p, end);
		if (!parse_float(ts.p, ts.n, &v) || !isfinite(v)) {
			return false;
		}
		p = skip_blanks(p, end);
	}
	return p == end;
}

/*
 * One line without its LF. For a sample sets *kind and *labels_ok (whether
 * the labels include the selector's) and *value.
 */
static enum line_kind parse_line(const char *p, const char *end, const prom_selector_t *sel,
				 enum name_match *kind, bool *labels_ok, double *value)
{
	if (end > p && end[-1] == '\r') {
		end--;
	}
	p = skip_blanks(p, end);
	if (p == end) {
		return LINE_SKIP;
	}
	if (*p == '#') {
		const char *q = skip_blanks(p + 1, end);
		if ((size_t)(end - q) >= 3 && memcmp(q, "EOF", 3) == 0 &&
		    skip_blanks(q + 3, end) == end) {
			return LINE_EOF;
		}
		return LINE_SKIP; /* # HELP, # TYPE, # UNIT and plain comments */
	}

	if (!is_name_start(*p)) {
		return LINE_BAD;
	}
	struct span name = {p, 0};
	while (p < end && is_name_char(*p)) {
		p++;
	}
	name.n = (size_t)(p - name.p);
	*kind = match_name(name, sel->name);

	struct sample_match m;
	memset(&m, 0, sizeof(m));
	m.sel = sel;
	const char *after_name = p;
	p = skip_blanks(p, end);
	if (p < end && *p == '{') {
		/* Labels of other metrics are only checked for syntax. */
		if (scan_labels(&p, end, *kind != NAME_OTHER ? sample_label : NULL, &m) != NULL) {
			return LINE_BAD;
		}
		p = skip_blanks(p, end);
	} else if (p == after_name) {
		return LINE_BAD; /* "name+1": the value needs a blank before it */
	}

	struct span v = token(&p, end);
	if (!parse_float(v.p, v.n, value)) {
		return LINE_BAD;
	}
	if (!parse_tail(p, end)) {
		return LINE_BAD;
	}
	*labels_ok = true;
	for (size_t i = 0; i < sel->label_count; i++) {
		if (!m.equal[i]) {
			*labels_ok = false;
		}
	}
	return LINE_SAMPLE;
}

int prom_sum_selector(const char *text, size_t len, const prom_selector_t *sel, double *sum,
		      prom_stats_t *stats, df_detail_t *d)
{
	prom_stats_t st;
	double sums[3] = {0, 0, 0};
	size_t counts[3] = {0, 0, 0};
	char shown[PROM_NAME_MAX * 2];
	int ret = DF_OK;

	memset(&st, 0, sizeof(st));
	if ((text == NULL && len > 0) || sel == NULL || sum == NULL) {
		return DF_EINVAL;
	}

	if (text == NULL) {
		text = ""; /* NULL + 0 is undefined */
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		enum name_match kind = NAME_OTHER;
		bool labels_ok = false;
		double v = 0;

		enum line_kind lk = parse_line(p, le, sel, &kind, &labels_ok, &v);
		p = nl != NULL ? nl + 1 : end;
		if (lk == LINE_EOF) {
			st.eof = true;
			break;
		}
		if (lk == LINE_BAD) {
			st.malformed++;
			continue;
		}
		if (lk == LINE_SKIP) {
			continue;
		}
		st.samples++;
		if (kind == NAME_OTHER) {
			continue;
		}
		st.named++;
		if (labels_ok) {
			sums[kind] += v;
			counts[kind]++;
		}
	}

	enum name_match use = counts[NAME_EXACT] > 0 ? NAME_EXACT : NAME_ALT;
	st.matched = counts[use];
	if (st.matched == 0) {
		format_selector(sel, shown, sizeof(shown));
		char bad[64] = "";
		if (st.malformed > 0) {
			snprintf(bad, sizeof(bad), " and %zu malformed line%s", st.malformed,
				 st.malformed == 1 ? "" : "s");
		}
		if (len == 0) {
			df_detail_set(d, "metric %s not found: the metrics page is empty", shown);
		} else if (st.named > 0) {
			df_detail_set(
				d,
				"no sample of metric %s has the selector's labels (%zu samples "
				"of %s in %zu samples%s; check HEALTH_METRIC's labels)",
				shown, st.named, sel->name, st.samples, bad);
		} else {
			df_detail_set(d,
				      "metric %s not found in %zu samples%s (did the collector's "
				      "telemetry change? check HEALTH_METRIC)",
				      shown, st.samples, bad);
		}
		ret = DF_ENOENT;
	} else {
		*sum = sums[use];
	}
	if (stats != NULL) {
		*stats = st;
	}
	return ret;
}

int prom_sum(const char *text, size_t len, const char *selector, double *sum, size_t *matched,
	     df_detail_t *d)
{
	prom_selector_t *sel = NULL;
	prom_stats_t st;
	double s = 0;
	int ret;

	if (selector == NULL || sum == NULL) {
		return DF_EINVAL;
	}
	sel = malloc(sizeof(*sel));
	if (sel == NULL) {
		return DF_ENOMEM;
	}
	ret = prom_selector_parse(sel, selector, d);
	if (ret != DF_OK) {
		goto out;
	}
	ret = prom_sum_selector(text, len, sel, &s, &st, d);
	if (ret != DF_OK) {
		goto out;
	}
	*sum = s;
	if (matched != NULL) {
		*matched = st.matched;
	}
out:
	free(sel);
	return ret;
}
