#include "compat.h"
#include "log.h"
#include <stdarg.h>

enum log_level log_level_current = LOG_INFO;
static const char *log_prefix = "hoist";

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void log_set_level(enum log_level level)
{
	log_level_current = level;
}

void log_init_from_env(void)
{
	const char *v = getenv("HOIST_LOG");

	if (!v)
		return;
	if (!strcmp(v, "error"))
		log_level_current = LOG_ERROR;
	else if (!strcmp(v, "warn"))
		log_level_current = LOG_WARN;
	else if (!strcmp(v, "info"))
		log_level_current = LOG_INFO;
	else if (!strcmp(v, "debug"))
		log_level_current = LOG_DEBUG;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error: ", "warning: ", "", "debug: " };
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "%s: %s%s\n", log_prefix, names[level], line);
}
