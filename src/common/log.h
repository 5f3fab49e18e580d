/*
 * Logging in the existing tool's format, "[YYYY-MM-DD HH:MM:SS] [LEVEL] message",
 * to stderr, or to syslog once log_to_syslog() was called. Secrets never reach
 * these functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Messages above this level are dropped. Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Sends everything to syslog(3) under ident (borrowed, must outlive logging). */
void log_to_syslog(const char *ident);

/*
 * Sends every line that passes the level to fn instead (the message
 * without the time stamp, control bytes already shown as \xNN), for a
 * program that keeps its own record (the simulation's trace). NULL goes
 * back to stderr or syslog.
 */
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *arg);
void log_set_sink(log_sink_fn fn, void *arg);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Renders len bytes of s (need not be NUL-terminated; may hold NULs) for a
 * log line or a message that is logged: printable ASCII as it is, a
 * backslash doubled, every other byte (control bytes, DEL, bytes above
 * ASCII) as \xNN. Writes at most size bytes into buf, always terminated
 * when size > 0; output that does not fit is cut between whole bytes and
 * ends in "...". Returns buf. Every byte that came from the network (a TXT
 * value, an address, a server's text) goes through this before it is
 * formatted into a message.
 */
const char *log_escape(char *buf, size_t size, const void *s, size_t len);

/* A buffer that holds n bytes rendered by log_escape() whatever they are. */
#define LOG_ESCAPE_SIZE(n) ((n)*4 + 1)
