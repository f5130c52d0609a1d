/*
 * log.h - logging for people, on stderr.
 *
 * The level is checked before any formatting happens, so debug logging in
 * hot paths costs one comparison when it is off.  stdout is reserved for
 * machine-readable output and is never written here.
 */
#ifndef HOIST_LOG_H
#define HOIST_LOG_H

#include "compat.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_level_current;
/* Prefix for every line, "hoist" by default ("remote: " comes from git). */
void log_set_prefix(const char *prefix);
void log_set_level(enum log_level level);
/* Reads HOIST_LOG (error, warn, info, debug) when set. */
void log_init_from_env(void);

void log_write(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_at(lvl, ...)                                                      \
	do {                                                                  \
		if ((lvl) <= log_level_current)                               \
			log_write((lvl), __VA_ARGS__);                        \
	} while (0)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
