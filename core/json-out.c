/*
 * json-out.c - members of the JSON objects commands print with --json.
 */
#include "compat.h"
#include "json-out.h"
#include "strbuf.h"
#include <inttypes.h>

void json_key(struct strbuf *sb, const char *key)
{
	if (sb->len && sb->buf[sb->len - 1] != '{' && sb->buf[sb->len - 1] != '[')
		strbuf_addch(sb, ',');
	strbuf_add_json_str(sb, key, strlen(key));
	strbuf_addch(sb, ':');
}

void json_kv_str(struct strbuf *sb, const char *key, const char *val)
{
	json_key(sb, key);
	if (val)
		strbuf_add_json_str(sb, val, strlen(val));
	else
		strbuf_addstr(sb, "null");
}

void json_kv_int(struct strbuf *sb, const char *key, int64_t val)
{
	json_key(sb, key);
	strbuf_addf(sb, "%" PRId64, val);
}

void json_kv_bool(struct strbuf *sb, const char *key, bool val)
{
	json_key(sb, key);
	strbuf_addstr(sb, val ? "true" : "false");
}
