/*
 * json-out.h - the small JSON writer behind the commands' --json output.
 *
 * Objects are written in order into a strbuf: json_kv_* add one
 * "key":value member, putting the comma in when the object already has a
 * member (the previous byte is not '{').  One object per line is what the
 * commands print, so `jq` and line-based tools both read it.
 */
#ifndef HOIST_JSON_OUT_H
#define HOIST_JSON_OUT_H

#include "compat.h"

struct strbuf;

/* "key":"val", or "key":null when val is NULL. */
void json_kv_str(struct strbuf *sb, const char *key, const char *val);
void json_kv_int(struct strbuf *sb, const char *key, int64_t val);
void json_kv_bool(struct strbuf *sb, const char *key, bool val);
/* "key": and the comma before it, for a nested value the caller writes. */
void json_key(struct strbuf *sb, const char *key);

#endif
