/*
 * fmt.h - Go's strconv and unicode/utf8 helpers behind fmt.c.
 *
 * hv_sprintf and friends (value.h) are Go's fmt; these are the pieces of
 * strconv and unicode/utf8 they are built from, shared with the template
 * engine (error messages quote as Go does, js/html escapers) and Sprig
 * (quote, squote, trunc count runes as Go does).
 */
#ifndef HOIST_HELM_FMT_H
#define HOIST_HELM_FMT_H

#include "core/compat.h"

struct strbuf;

#define GO_RUNE_ERROR 0xFFFD

/*
 * utf8.DecodeRune: the rune at s and its width; an invalid or truncated
 * sequence (overlong forms and surrogates included) is GO_RUNE_ERROR, width 1.
 * n must be at least 1.
 */
size_t go_utf8_decode(const char *s, size_t n, int32_t *r);
/* utf8.EncodeRune into buf (4 bytes); invalid runes encode U+FFFD. */
size_t go_utf8_encode(char *buf, int32_t r);
/* utf8.RuneCountInString. */
size_t go_rune_count(const char *s, size_t n);
/* strconv.IsPrint (= unicode.IsPrint). */
bool go_isprint(int32_t r);
/* strconv.Quote (ascii: QuoteToASCII). */
int go_quote(struct strbuf *out, const char *s, size_t n, bool ascii);
/* strconv.QuoteRune / QuoteRuneToASCII. */
int go_quote_rune(struct strbuf *out, int32_t r, bool ascii);
/* strconv.CanBackquote. */
bool go_can_backquote(const char *s, size_t n);
/*
 * strconv.FormatFloat(f, fmt, prec, bits) for fmt in "eEfgGxXb" (prec -1:
 * the shortest form that reads back as the same float of that size).
 */
int go_format_float(struct strbuf *out, double f, char fmt, int prec, int bits);
/* time.Time.String() without the monotonic part. */
int go_time_string(struct strbuf *out, int64_t sec, int32_t nsec, int32_t offset,
		   const char *zone);

#endif
