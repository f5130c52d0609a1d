/*
 * err.h - the error state.
 *
 * Fallible functions return 0 on success and a negative code on failure.
 * The message for the most recent failure lives in thread-local state and
 * is set exactly once, where the failure is detected (err_set).  Callers
 * pass the code up unchanged and do not stack "failed to" prefixes; a
 * caller that can add real context (which file, which app) uses
 * err_prefix().
 *
 * Callers branch only on the named codes below; everything else is
 * ERR_GENERIC.
 */
#ifndef HOIST_ERR_H
#define HOIST_ERR_H

#include "compat.h"

enum {
	ERR_GENERIC = -1,
	ERR_NOTFOUND = -2,  /* file, object, tag or blob does not exist */
	ERR_AUTH = -3,      /* credentials missing or rejected */
	ERR_CONFLICT = -4,  /* the state changed under us; retry may help */
	ERR_RETRY = -5,     /* transient: network down, 5xx, 429 */
	ERR_INVALID = -6,   /* bad input: parse error, failed validation */
	ERR_TOOBIG = -7,    /* a size, depth or count limit was hit */
	ERR_VERIFY = -8,    /* digest or signature mismatch */
};

/* Records the message and returns `code`, so `return err_set(...)` works. */
int err_set(int code, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Prepends "prefix: " to the current message; returns `code`. */
int err_prefix(int code, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The last message, or "unknown error" when none was set. */
const char *err_msg(void);
int err_code(void);
void err_clear(void);
/* A stable name for a code, for logs and JSON ("notfound", "auth", ...). */
const char *err_name(int code);

#endif
