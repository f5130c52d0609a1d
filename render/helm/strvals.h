/*
 * strvals.h - Helm's --set parser (pkg/strvals), on Go values.
 *
 * A line "a.b[0].c=v,x={1,2}" is parsed into a map as Helm does it, with
 * its quirks kept (they decide what charts receive): backslash escapes,
 * `{a,b}` lists, `a[i]` indexes growing lists with nils (at most 65536),
 * key nesting of at most 30 levels, typing of --set values (true/false/
 * null in any case, base-10 int64 without a leading zero, else a string),
 * and Go's error texts ("key \"a\" has no value").
 */
#ifndef HOIST_HELM_STRVALS_H
#define HOIST_HELM_STRVALS_H

#include "core/compat.h"

struct helm_ctx;
struct hv;

enum strvals_mode {
	STRVALS_TYPED = 0, /* --set */
	STRVALS_STRING,    /* --set-string */
	STRVALS_FILE,      /* --set-file: the value is a path, read through `reader` */
	STRVALS_JSON,      /* --set-json: the value is JSON */
	STRVALS_LITERAL,   /* --set-literal: the rest of the line is the value, verbatim */
};

/* Reads a --set-file value's file into a string value (*out). */
typedef int (*strvals_reader)(void *arg, struct helm_ctx *c, const char *path, struct hv **out);

/*
 * Parses `s` into the map `dest` (changed in place).  Returns 0, or
 * ERR_INVALID with Helm's message (without the "failed parsing --set
 * data: " prefix the caller adds), or ERR_TOOBIG past the render's limits.
 */
int strvals_parse_into(struct helm_ctx *c, struct hv *dest, const char *s, size_t len,
		       enum strvals_mode mode, strvals_reader reader, void *arg);

#endif
