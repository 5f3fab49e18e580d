#include "src/common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static bool use_syslog;

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

static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	if (level > max_level) {
		return;
	}
	if (use_syslog) {
		vsyslog(priorities[level], fmt, ap);
		return;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	/* One fprintf per line keeps lines whole when two processes share stderr. */
	char line[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "[%s] [%s] %s\n", stamp, names[level], line);
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
