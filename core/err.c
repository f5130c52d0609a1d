#include "compat.h"
#include "err.h"
#include <stdarg.h>

#define ERR_MSG_MAX 2048

static _Thread_local char err_buf[ERR_MSG_MAX];
static _Thread_local int err_last;

static void set_v(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);
static void set_v(const char *fmt, va_list ap)
{
	int n = vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	if (n < 0)
		err_buf[0] = '\0';
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(fmt, ap);
	va_end(ap);
	err_last = code;
	return code;
}

int err_prefix(int code, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	char pre[512];
	va_list ap;

	memcpy(old, err_buf, sizeof(old));
	va_start(ap, fmt);
	if (vsnprintf(pre, sizeof(pre), fmt, ap) < 0)
		pre[0] = '\0';
	va_end(ap);
	if (snprintf(err_buf, sizeof(err_buf), "%s: %s", pre,
		     old[0] ? old : "unknown error") < 0)
		err_buf[0] = '\0';
	err_last = code;
	return code;
}

const char *err_msg(void)
{
	return err_buf[0] ? err_buf : "unknown error";
}

int err_code(void)
{
	return err_last;
}

void err_clear(void)
{
	err_buf[0] = '\0';
	err_last = 0;
}

const char *err_name(int code)
{
	switch (code) {
	case 0: return "ok";
	case ERR_NOTFOUND: return "notfound";
	case ERR_AUTH: return "auth";
	case ERR_CONFLICT: return "conflict";
	case ERR_RETRY: return "retry";
	case ERR_INVALID: return "invalid";
	case ERR_TOOBIG: return "toobig";
	case ERR_VERIFY: return "verify";
	default: return "error";
	}
}
