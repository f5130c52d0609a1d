/*
 * chart-glob.c - the two pattern languages charts meet: Go's
 * path/filepath.Match (.helmignore, --show-only) and gobwas/glob
 * (.Files.Glob).  Written to their documented semantics, since their
 * corner cases decide which files a chart sees.
 */
#include "core/compat.h"
#include "render/helm/chart.h"
#include "core/err.h"

/* Decodes one UTF-8 rune; invalid bytes decode as U+FFFD of length 1 (Go's RuneError). */
static int32_t utf8_rune(const char *s, size_t len, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	int32_t r;
	size_t need, i;

	if (!len) {
		*n = 0;
		return -1;
	}
	if (u[0] < 0x80) {
		*n = 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0) {
		need = 2;
		r = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		need = 3;
		r = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		need = 4;
		r = u[0] & 0x07;
	} else {
		*n = 1;
		return 0xfffd;
	}
	if (len < need) {
		*n = 1;
		return 0xfffd;
	}
	for (i = 1; i < need; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*n = 1;
			return 0xfffd;
		}
		r = (r << 6) | (u[i] & 0x3f);
	}
	if ((need == 2 && r < 0x80) || (need == 3 && r < 0x800) || (need == 4 && r < 0x10000) ||
	    r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) {
		*n = 1;
		return 0xfffd;
	}
	*n = need;
	return r;
}

/* ---- Go's filepath.Match ---- */

/* scanChunk: leading stars, then the chunk up to the next unescaped star outside a class. */
static void scan_chunk(const char **pat, bool *star, const char **chunk, size_t *clen)
{
	const char *p = *pat;
	size_t i;
	bool inrange = false;

	*star = false;
	while (*p == '*') {
		p++;
		*star = true;
	}
	for (i = 0; p[i]; i++) {
		if (p[i] == '\\') {
			if (p[i + 1])
				i++;
		} else if (p[i] == '[') {
			inrange = true;
		} else if (p[i] == ']') {
			inrange = false;
		} else if (p[i] == '*' && !inrange) {
			break;
		}
	}
	*chunk = p;
	*clen = i;
	*pat = p + i;
}

static int get_esc(const char **chunk, size_t *clen, int32_t *r)
{
	const char *c = *chunk;
	size_t len = *clen, n;

	if (!len || c[0] == '-' || c[0] == ']')
		return ERR_INVALID;
	if (c[0] == '\\') {
		c++;
		len--;
		if (!len)
			return ERR_INVALID;
	}
	*r = utf8_rune(c, len, &n);
	if (*r == 0xfffd && n == 1 && (unsigned char)c[0] >= 0x80)
		return ERR_INVALID;
	c += n;
	len -= n;
	if (!len)
		return ERR_INVALID;
	*chunk = c;
	*clen = len;
	return 0;
}

/* matchChunk: 1 and *rest on a match, 0 on none, ERR_INVALID for a bad pattern. */
static int match_chunk(const char *chunk, size_t clen, const char *s, const char **rest)
{
	bool failed = false;
	size_t slen = strlen(s), n;

	while (clen) {
		if (!failed && !slen)
			failed = true;
		switch (chunk[0]) {
		case '[': {
			int32_t r = 0, lo, hi;
			bool negated = false, match = false;
			int nrange = 0;

			if (!failed) {
				r = utf8_rune(s, slen, &n);
				s += n;
				slen -= n;
			}
			chunk++;
			clen--;
			if (clen && chunk[0] == '^') {
				negated = true;
				chunk++;
				clen--;
			}
			for (;;) {
				if (clen && chunk[0] == ']' && nrange > 0) {
					chunk++;
					clen--;
					break;
				}
				if (get_esc(&chunk, &clen, &lo))
					return ERR_INVALID;
				hi = lo;
				if (chunk[0] == '-') {
					chunk++;
					clen--;
					if (get_esc(&chunk, &clen, &hi))
						return ERR_INVALID;
				}
				if (lo <= r && r <= hi)
					match = true;
				nrange++;
			}
			if (match == negated)
				failed = true;
			break;
		}
		case '?':
			if (!failed) {
				if (s[0] == '/')
					failed = true;
				utf8_rune(s, slen, &n);
				s += n;
				slen -= n;
			}
			chunk++;
			clen--;
			break;
		case '\\':
			chunk++;
			clen--;
			if (!clen)
				return ERR_INVALID;
			/* fall through */
		default:
			if (!failed) {
				if (chunk[0] != s[0])
					failed = true;
				s++;
				slen--;
			}
			chunk++;
			clen--;
			break;
		}
	}
	if (failed)
		return 0;
	*rest = s;
	return 1;
}

int go_path_match(const char *pattern, const char *name)
{
	const char *pat = pattern;

	while (*pat) {
		const char *chunk, *t = NULL;
		size_t clen, i;
		bool star;
		int r;

		scan_chunk(&pat, &star, &chunk, &clen);
		if (star && !clen)
			return strchr(name, '/') ? 0 : 1;
		r = match_chunk(chunk, clen, name, &t);
		if (r == 1 && (!*t || *pat)) {
			name = t;
			continue;
		}
		if (r < 0)
			return r;
		if (star) {
			bool found = false;
			for (i = 0; name[i] && name[i] != '/'; i++) {
				r = match_chunk(chunk, clen, name + i + 1, &t);
				if (r == 1) {
					if (!*pat && *t)
						continue;
					name = t;
					found = true;
					break;
				}
				if (r < 0)
					return r;
			}
			if (found)
				continue;
		}
		/* A failed match still reports a malformed rest of the pattern. */
		while (*pat) {
			scan_chunk(&pat, &star, &chunk, &clen);
			if (match_chunk(chunk, clen, "", &t) < 0)
				return ERR_INVALID;
		}
		return 0;
	}
	return *name ? 0 : 1;
}

/* ---- gobwas/glob ---- */

#define GLOB_MAX_STEPS 1000000

struct gmatch {
	size_t steps;
};

/* Index of the '}' closing the '{' at p[0], or 0 when unbalanced. */
static size_t brace_end(const char *p)
{
	size_t i, depth = 0;

	for (i = 0; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1]) {
			i++;
		} else if (p[i] == '[') {
			while (p[i] && p[i] != ']')
				i++;
			if (!p[i])
				return 0;
		} else if (p[i] == '{') {
			depth++;
		} else if (p[i] == '}') {
			if (!--depth)
				return i;
		}
	}
	return 0;
}

static int gmatch(struct gmatch *g, const char *p, const char *s);

/* Tries each alternative of the {..} at p[0] followed by the rest of the pattern. */
static int galt(struct gmatch *g, const char *p, const char *s)
{
	size_t end = brace_end(p), i, start = 1, depth = 0;
	const char *rest;
	int r;

	if (!end)
		return ERR_INVALID;
	rest = p + end + 1;
	for (i = 1; i <= end; i++) {
		if (p[i] == '\\' && i + 1 < end) {
			i++;
			continue;
		}
		if (p[i] == '[') {
			while (i < end && p[i] != ']')
				i++;
			continue;
		}
		if (p[i] == '{')
			depth++;
		else if (p[i] == '}' && depth)
			depth--;
		else if ((p[i] == ',' && !depth) || i == end) {
			size_t alen = i - start, rlen = strlen(rest);
			char *q = xmalloc(alen + rlen + 1);

			memcpy(q, p + start, alen);
			memcpy(q + alen, rest, rlen + 1);
			r = gmatch(g, q, s);
			free(q);
			if (r)
				return r;
			start = i + 1;
		}
	}
	return 0;
}

static int gclass(const char **pp, int32_t r)
{
	const char *p = *pp + 1;
	bool neg = false, match = false;
	size_t n;

	if (*p == '!') {
		neg = true;
		p++;
	}
	while (*p && *p != ']') {
		int32_t lo, hi;

		if (*p == '\\' && p[1])
			p++;
		lo = utf8_rune(p, strlen(p), &n);
		p += n;
		hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = utf8_rune(p, strlen(p), &n);
			p += n;
		}
		if (lo <= r && r <= hi)
			match = true;
	}
	if (*p != ']')
		return ERR_INVALID;
	*pp = p + 1;
	return match != neg;
}

static int gmatch(struct gmatch *g, const char *p, const char *s)
{
	size_t n;
	int r;

	while (*p) {
		if (++g->steps > GLOB_MAX_STEPS)
			return 0;
		switch (*p) {
		case '{':
			return galt(g, p, s);
		case '*': {
			bool any = p[1] == '*';
			const char *q = p + (any ? 2 : 1);
			const char *t = s;

			for (;;) {
				r = gmatch(g, q, t);
				if (r)
					return r;
				if (!*t || (!any && *t == '/'))
					return 0;
				utf8_rune(t, strlen(t), &n);
				t += n;
			}
		}
		case '?':
			if (!*s || *s == '/')
				return 0;
			utf8_rune(s, strlen(s), &n);
			s += n;
			p++;
			break;
		case '[': {
			int32_t c;

			if (!*s)
				return 0;
			c = utf8_rune(s, strlen(s), &n);
			r = gclass(&p, c);
			if (r <= 0)
				return r;
			s += n;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
			p++;
			s++;
			break;
		}
	}
	return *s ? 0 : 1;
}

int gobwas_glob_match(const char *pattern, const char *name)
{
	struct gmatch g = { 0 };
	const char *p;
	size_t depth = 0;

	/* Refuse what gobwas refuses to compile: unbalanced braces and classes. */
	for (p = pattern; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			if (!strchr(p, ']'))
				return ERR_INVALID;
			p = strchr(p, ']');
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}') {
			if (!depth)
				return ERR_INVALID;
			depth--;
		}
	}
	if (depth)
		return ERR_INVALID;
	return gmatch(&g, pattern, name);
}
