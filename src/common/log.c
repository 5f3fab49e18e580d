#include "src/common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static bool use_syslog;
static log_sink_fn sink;
static void *sink_arg;

void log_set_sink(log_sink_fn fn, void *arg)
{
	sink = fn;
	sink_arg = arg;
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_level(void)
{
	return max_level;
}

void log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = true;
}

/* How byte c is rendered: into unit (4 bytes), returning its length. */
static size_t escape_unit(unsigned char c, char *unit)
{
	static const char hex[] = "0123456789abcdef";
	if (c == '\\') {
		unit[0] = '\\';
		unit[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		unit[0] = (char)c;
		return 1;
	}
	unit[0] = '\\';
	unit[1] = 'x';
	unit[2] = hex[c >> 4];
	unit[3] = hex[c & 0xf];
	return 4;
}

const char *log_escape(char *buf, size_t size, const void *s, size_t len)
{
	const unsigned char *in = s;
	char unit[4];
	size_t total = 0, n = 0;

	if (buf == NULL || size == 0) {
		return buf;
	}
	if (in == NULL) {
		len = 0;
	}
	for (size_t i = 0; i < len; i++) {
		total += escape_unit(in[i], unit);
	}
	/* What does not fit is cut between whole bytes and marked "...",
	 * unless the buffer is too small even for the marker. */
	bool cut = total > size - 1;
	size_t limit = !cut ? size - 1 : size - 1 >= 3 ? size - 1 - 3 : size - 1;
	for (size_t i = 0; i < len; i++) {
		size_t ulen = escape_unit(in[i], unit);
		if (n + ulen > limit) {
			break;
		}
		memcpy(buf + n, unit, ulen);
		n += ulen;
	}
	if (cut && size - 1 >= 3) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The last line of defence: a control byte that reached a message without
 * log_escape() is shown as \xNN here, so a message is always one line and
 * never drives a terminal. Other bytes (a backslash, UTF-8 in a path from
 * the configuration) are left as they are.
 */
static void neutralize(char *out, size_t size, const char *line)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++) {
		char unit[4];
		size_t ulen = 1;
		unit[0] = (char)*p;
		if (*p < 0x20 || *p == 0x7f) {
			ulen = escape_unit(*p, unit);
		}
		if (n + ulen >= size) {
			break;
		}
		memcpy(out + n, unit, ulen);
		n += ulen;
	}
	out[n] = '\0';
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	if (level > max_level) {
		return;
	}
	/* One fprintf per line keeps lines whole when two processes share stderr. */
	char line[2048], shown[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	neutralize(shown, sizeof(shown), line);
	if (sink != NULL) {
		sink(level, shown, sink_arg);
		return;
	}
	if (use_syslog) {
		syslog(priorities[level], "%s", shown);
		return;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "[%s] [%s] %s\n", stamp, names[level], shown);
}

#define LOG_FN(fn, level)                 \
	void fn(const char *fmt, ...)     \
	{                                 \
		va_list ap;               \
		va_start(ap, fmt);        \
		log_emit(level, fmt, ap); \
		va_end(ap);               \
	}

LOG_FN(log_err, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)
