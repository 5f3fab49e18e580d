/*
 * Logging in the existing tool's format, "[YYYY-MM-DD HH:MM:SS] [LEVEL] message",
 * to stderr, or to syslog once log_to_syslog() was called. Secrets never reach
 * these functions.
 */
#pragma once

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Messages above this level are dropped. Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Sends everything to syslog(3) under ident (borrowed, must outlive logging). */
void log_to_syslog(const char *ident);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
