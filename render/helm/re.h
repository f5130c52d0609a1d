/*
 * re.h - regular expressions with Go's RE2 syntax and semantics.
 *
 * Sprig's regex functions run Go's regexp package: RE2 syntax (no
 * backreferences or lookaround), UTF-8 runes, leftmost-first matching
 * with Perl's preference order, and Go's own error texts.  This is a
 * small engine with exactly those rules: a parser to a program, run by a
 * Pike VM (a thread per program counter, in priority order), so matching
 * takes time linear in the input whatever the pattern; a hostile pattern
 * cannot make it backtrack.
 *
 * Written by hand because no Debian library has Go's syntax, leftmost-first
 * submatch rules and error texts (PCRE and POSIX differ in all three).
 */
#ifndef HOIST_HELM_RE_H
#define HOIST_HELM_RE_H

#include "core/compat.h"

struct re;

/* Bounds against hostile patterns, as Go has them (repeat counts) or tighter. */
#define RE_MAX_REPEAT 1000
#define RE_MAX_INSTS 200000
#define RE_MAX_DEPTH 1000

/*
 * Compiles `pat` as regexp.Compile does.  On a syntax error returns
 * ERR_INVALID and sets *errmsg (malloc'd) to Go's text, e.g.
 * "error parsing regexp: missing closing ): `(a`".
 */
int re_compile(struct re **out, const char *pat, size_t len, char **errmsg);
void re_free(struct re *re);

/* Capture groups including group 0 (the whole match). */
size_t re_ncap(const struct re *re);
/* The name of group i ((?P<name>...)), or "" when it has none. */
const char *re_cap_name(const struct re *re, size_t i);

/*
 * Leftmost-first match in s[pos..len) (s[0..pos) is context for ^ and \b).
 * Returns 1 and fills caps[2*i], caps[2*i+1] (byte offsets, -1 for an
 * unset group; caps has 2 * re_ncap() slots) or 0 when there is no match.
 */
int re_exec(const struct re *re, const char *s, size_t len, size_t pos, long *caps);

/* regexp.QuoteMeta into `out`. */
void re_quote_meta(struct strbuf *out, const char *s, size_t len);

#endif
