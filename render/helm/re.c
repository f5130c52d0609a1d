/*
 * re.c - Go's RE2 regular expressions: parser, compiler, Pike VM (see re.h).
 *
 * Facts from Go's regexp and regexp/syntax packages (Perl flags: one-line
 * ^ and $, negated classes match \n, Perl and POSIX classes, (?P<name>),
 * flags i m s U) and their error texts.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/re.h"
#include "render/helm/fmt.h"

#include <locale.h>
#include <pthread.h>
#include <wctype.h>

/* --- runes ---------------------------------------------------------------- */

/* utf8.DecodeRune, as Go's regexp reads its input. */
static size_t dec(const char *s, size_t len, int32_t *r)
{
	return go_utf8_decode(s, len, r);
}

static locale_t u8loc;
static pthread_once_t u8once = PTHREAD_ONCE_INIT;

static void u8init(void)
{
	u8loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static int32_t lower(int32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (int32_t)towlower_l((wint_t)r, u8loc) : r;
}

static int32_t upper(int32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (int32_t)towupper_l((wint_t)r, u8loc) : r;
}

/* --- classes -------------------------------------------------------------- */

struct range {
	int32_t lo, hi;
};

struct cls {
	struct range *r;
	size_t n, alloc;
};

static void cls_add(struct cls *c, int32_t lo, int32_t hi)
{
	ALLOC_GROW(c->r, c->n + 1, c->alloc);
	c->r[c->n].lo = lo;
	c->r[c->n].hi = hi;
	c->n++;
}

/* Adds lo-hi and, under (?i), the other case of every rune in it. */
static void cls_add_fold(struct cls *c, int32_t lo, int32_t hi, bool fold)
{
	int32_t r;

	cls_add(c, lo, hi);
	if (!fold)
		return;
	for (r = lo; r <= hi && r < 0x20000; r++) {
		int32_t l = lower(r), u = upper(r);
		if (l != r)
			cls_add(c, l, l);
		if (u != r)
			cls_add(c, u, u);
		/* Go's simple folding orbits beyond plain case: k K U+212A, s S U+017F. */
		if (r == 'k' || r == 'K')
			cls_add(c, 0x212A, 0x212A);
		if (r == 's' || r == 'S')
			cls_add(c, 0x17F, 0x17F);
		if (r == 0x212A)
			cls_add(c, 'k', 'k'), cls_add(c, 'K', 'K');
		if (r == 0x17F)
			cls_add(c, 's', 's'), cls_add(c, 'S', 'S');
	}
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void cls_norm(struct cls *c)
{
	size_t i, k = 0;

	if (!c->n)
		return;
	qsort(c->r, c->n, sizeof(*c->r), range_cmp);
	for (i = 1; i < c->n; i++) {
		if (c->r[i].lo <= c->r[k].hi + 1) {
			if (c->r[i].hi > c->r[k].hi)
				c->r[k].hi = c->r[i].hi;
		} else {
			c->r[++k] = c->r[i];
		}
	}
	c->n = k + 1;
}

static void cls_negate(struct cls *c)
{
	struct cls o = { NULL, 0, 0 };
	int32_t next = 0;
	size_t i;

	cls_norm(c);
	for (i = 0; i < c->n; i++) {
		if (c->r[i].lo > next)
			cls_add(&o, next, c->r[i].lo - 1);
		next = c->r[i].hi + 1;
	}
	if (next <= 0x10FFFF)
		cls_add(&o, next, 0x10FFFF);
	free(c->r);
	*c = o;
}

static bool cls_has(const struct cls *c, int32_t r)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (r < c->r[m].lo)
			hi = m;
		else if (r > c->r[m].hi)
			lo = m + 1;
		else
			return true;
	}
	return false;
}

/* --- AST ------------------------------------------------------------------ */

enum nk {
	N_EMPTY, N_LIT, N_CLASS, N_ANY, N_ANYNL, N_BOL, N_EOL, N_BOT, N_EOT, N_WORDB,
	N_NWORDB, N_CAT, N_ALT, N_REPEAT, N_CAP,
};

struct node {
	enum nk k;
	int32_t rune;
	struct cls *cls;
	int cap;
	int min, max; /* max -1: unbounded */
	bool greedy;
	struct node **kids;
	size_t n, alloc;
};

enum {
	F_FOLD = 1, F_MULTI = 2, F_DOTNL = 4, F_UNGREEDY = 8,
};

struct parser {
	const char *pat, *s, *end;
	int flags;
	int ncap;
	char **names;
	size_t names_alloc;
	struct node **all; /* every node, for freeing */
	size_t nall, all_alloc;
	struct cls **classes;
	size_t nclasses, classes_alloc;
	char *err;
	unsigned depth;
};

static struct node *node(struct parser *p, enum nk k)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->k = k;
	ALLOC_GROW(p->all, p->nall + 1, p->all_alloc);
	p->all[p->nall++] = n;
	return n;
}

static void kid(struct node *n, struct node *k)
{
	ALLOC_GROW(n->kids, n->n + 1, n->alloc);
	n->kids[n->n++] = k;
}

static struct cls *new_cls(struct parser *p)
{
	struct cls *c = xcalloc(1, sizeof(*c));

	ALLOC_GROW(p->classes, p->nclasses + 1, p->classes_alloc);
	p->classes[p->nclasses++] = c;
	return c;
}

static int fail(struct parser *p, const char *code, const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	if (p->err)
		return ERR_INVALID;
	strbuf_addf(&sb, "error parsing regexp: %s: `", code);
	strbuf_add(&sb, text, len);
	strbuf_addch(&sb, '`');
	p->err = strbuf_detach(&sb, NULL);
	return ERR_INVALID;
}

static int parse_alt(struct parser *p, struct node **out);

static bool is_word(int32_t r)
{
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	       r == '_';
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's parseEscape: one escaped rune (p->s just after the backslash). */
static int parse_escape(struct parser *p, int32_t *out)
{
	const char *start = p->s - 1;
	int32_t c;
	size_t w;

	if (p->s >= p->end)
		return fail(p, "trailing backslash at end of expression", "", 0);
	w = dec(p->s, (size_t)(p->end - p->s), &c);
	p->s += w;
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (p->s >= p->end || *p->s < '0' || *p->s > '7')
			break;
		/* fallthrough */
	case '0': {
		int32_t v = c - '0';
		int k;
		for (k = 0; k < 2 && p->s < p->end && *p->s >= '0' && *p->s <= '7'; k++)
			v = v * 8 + (*p->s++ - '0');
		*out = v;
		return 0;
	}
	case 'x': {
		int32_t v = 0;
		int h1, h2;
		if (p->s >= p->end)
			break;
		if (*p->s == '{') {
			int nd = 0;
			p->s++;
			while (p->s < p->end && *p->s != '}') {
				int h = hexv((unsigned char)*p->s);
				if (h < 0)
					goto bad;
				v = v * 16 + h;
				if (v > 0x10FFFF)
					goto bad;
				p->s++;
				nd++;
			}
			if (p->s >= p->end || !nd)
				goto bad;
			p->s++;
			*out = v;
			return 0;
		}
		if (p->end - p->s < 2)
			goto bad;
		h1 = hexv((unsigned char)p->s[0]);
		h2 = hexv((unsigned char)p->s[1]);
		if (h1 < 0 || h2 < 0)
			goto bad;
		p->s += 2;
		*out = h1 * 16 + h2;
		return 0;
	}
	case 'a': *out = 7; return 0;
	case 'f': *out = '\f'; return 0;
	case 'n': *out = '\n'; return 0;
	case 'r': *out = '\r'; return 0;
	case 't': *out = '\t'; return 0;
	case 'v': *out = '\v'; return 0;
	default:
		if (c < 0x80 && !is_word(c)) {
			*out = c;
			return 0;
		}
		break;
	}
bad:
	return fail(p, "invalid escape sequence", start, (size_t)(p->s - start));
}

/* \d \s \w and their negations into c; false when p->s is not at one. */
static bool perl_class(struct parser *p, struct cls *c, bool fold)
{
	struct cls tmp = { NULL, 0, 0 };
	char k;

	if (p->end - p->s < 2 || p->s[0] != '\\')
		return false;
	k = p->s[1];
	switch (k | 0x20) {
	case 'd':
		cls_add(&tmp, '0', '9');
		break;
	case 's':
		cls_add(&tmp, '\t', '\n');
		cls_add(&tmp, '\f', '\r');
		cls_add(&tmp, ' ', ' ');
		break;
	case 'w':
		cls_add(&tmp, '0', '9');
		cls_add(&tmp, 'A', 'Z');
		cls_add(&tmp, '_', '_');
		cls_add(&tmp, 'a', 'z');
		break;
	default:
		return false;
	}
	(void)fold;
	if (k >= 'A' && k <= 'Z')
		cls_negate(&tmp);
	for (size_t i = 0; i < tmp.n; i++)
		cls_add(c, tmp.r[i].lo, tmp.r[i].hi);
	free(tmp.r);
	p->s += 2;
	return true;
}

static const struct {
	const char *name;
	const char *ranges; /* pairs of bytes */
} posix[] = {
	{ "alnum", "09AZaz" }, { "alpha", "AZaz" }, { "ascii", "\x01\x7f" },
	{ "blank", "\t\t  " }, { "cntrl", "\x01\x1f\x7f\x7f" }, { "digit", "09" },
	{ "graph", "!~" }, { "lower", "az" }, { "print", " ~" },
	{ "punct", "!/:@[`{~" }, { "space", "\t\r  " }, { "upper", "AZ" },
	{ "word", "09AZ__az" }, { "xdigit", "09AFaf" },
};

/* [:alpha:] and [:^alpha:] inside a class. */
static int posix_class(struct parser *p, struct cls *c, bool fold, bool *done)
{
	const char *q, *st = p->s;
	bool neg = false;
	size_t i, len;

	*done = false;
	if (p->end - p->s < 2 || p->s[0] != '[' || p->s[1] != ':')
		return 0;
	q = p->s + 2;
	while (q + 1 < p->end && !(q[0] == ':' && q[1] == ']'))
		q++;
	if (q + 1 >= p->end)
		return 0;
	p->s += 2;
	if (*p->s == '^') {
		neg = true;
		p->s++;
	}
	len = (size_t)(q - p->s);
	for (i = 0; i < ARRAY_SIZE(posix); i++) {
		if (strlen(posix[i].name) == len && !memcmp(posix[i].name, p->s, len)) {
			struct cls tmp = { NULL, 0, 0 };
			const char *r = posix[i].ranges;
			size_t k;
			/* "ascii" starts at NUL, which a C string cannot hold. */
			for (k = 0; r[k]; k += 2)
				cls_add(&tmp, (unsigned char)r[k], (unsigned char)r[k + 1]);
			if (!strcmp(posix[i].name, "ascii") || !strcmp(posix[i].name, "cntrl"))
				cls_add(&tmp, 0, 0);
			if (fold && (!strcmp(posix[i].name, "lower") || !strcmp(posix[i].name, "upper"))) {
				cls_add(&tmp, 'a', 'z');
				cls_add(&tmp, 'A', 'Z');
			}
			if (neg)
				cls_negate(&tmp);
			for (k = 0; k < tmp.n; k++)
				cls_add(c, tmp.r[k].lo, tmp.r[k].hi);
			free(tmp.r);
			p->s = q + 2;
			*done = true;
			return 0;
		}
	}
	return fail(p, "invalid character class range", st, (size_t)(q + 2 - st));
}

/* \pL, \p{Greek}-style classes: the general categories we can tell apart. */
static int unicode_class(struct parser *p, struct cls *c, bool *done)
{
	const char *st = p->s, *name;
	size_t len;
	bool neg;
	struct cls tmp = { NULL, 0, 0 };
	int32_t r;

	*done = false;
	if (p->end - p->s < 2 || p->s[0] != '\\' || (p->s[1] != 'p' && p->s[1] != 'P'))
		return 0;
	neg = p->s[1] == 'P';
	p->s += 2;
	if (p->s >= p->end)
		return fail(p, "invalid character class range", st, (size_t)(p->s - st));
	if (*p->s == '{') {
		const char *e = memchr(p->s, '}', (size_t)(p->end - p->s));
		if (!e)
			return fail(p, "invalid character class range", st, (size_t)(p->end - st));
		name = p->s + 1;
		len = (size_t)(e - name);
		p->s = e + 1;
	} else {
		name = p->s;
		len = dec(p->s, (size_t)(p->end - p->s), &r);
		p->s += len;
	}
	if (len && name[0] == '^') {
		neg = !neg;
		name++;
		len--;
	}
	pthread_once(&u8once, u8init);
	if ((len == 3 && !memcmp(name, "Any", 3))) {
		cls_add(&tmp, 0, 0x10FFFF);
	} else if ((len == 1 && (name[0] == 'L' || name[0] == 'N')) ||
		   (len == 2 && (!memcmp(name, "Lu", 2) || !memcmp(name, "Ll", 2) ||
				 !memcmp(name, "Nd", 2)))) {
		int32_t lo = -1;
		for (r = 0; r <= 0x10FFFF && u8loc; r++) {
			bool in;
			wint_t w = (wint_t)r;
			if (name[0] == 'L')
				in = len == 1 ? iswalpha_l(w, u8loc) && !iswdigit_l(w, u8loc)
				     : name[1] == 'u' ? iswupper_l(w, u8loc)
						      : iswlower_l(w, u8loc);
			else
				in = r < 0x80 ? (r >= '0' && r <= '9') : false;
			if (in && lo < 0)
				lo = r;
			if (!in && lo >= 0) {
				cls_add(&tmp, lo, r - 1);
				lo = -1;
			}
			if (r >= 0x30000)
				break;
		}
		if (lo >= 0)
			cls_add(&tmp, lo, r);
	} else {
		return fail(p, "invalid character class range", st, (size_t)(p->s - st));
	}
	if (neg)
		cls_negate(&tmp);
	for (size_t i = 0; i < tmp.n; i++)
		cls_add(c, tmp.r[i].lo, tmp.r[i].hi);
	free(tmp.r);
	*done = true;
	return 0;
}

static int parse_class(struct parser *p, struct node **out)
{
	const char *whole = p->s;
	struct cls *c = new_cls(p);
	bool neg = false, first = true, fold = p->flags & F_FOLD;
	int r;

	p->s++; /* [ */
	if (p->s < p->end && *p->s == '^') {
		neg = true;
		p->s++;
	}
	while (p->s >= p->end || *p->s != ']' || first) {
		int32_t lo, hi;
		const char *rng;
		bool done;

		first = false;
		if (p->s >= p->end)
			return fail(p, "missing closing ]", whole, (size_t)(p->end - whole));
		r = posix_class(p, c, fold, &done);
		if (r)
			return r;
		if (done)
			continue;
		r = unicode_class(p, c, &done);
		if (r)
			return r;
		if (done)
			continue;
		if (perl_class(p, c, fold))
			continue;
		rng = p->s;
		if (*p->s == '\\') {
			p->s++;
			r = parse_escape(p, &lo);
			if (r)
				return r;
		} else {
			p->s += dec(p->s, (size_t)(p->end - p->s), &lo);
		}
		hi = lo;
		if (p->end - p->s >= 2 && p->s[0] == '-' && p->s[1] != ']') {
			p->s++;
			if (*p->s == '\\') {
				p->s++;
				r = parse_escape(p, &hi);
				if (r)
					return r;
			} else {
				p->s += dec(p->s, (size_t)(p->end - p->s), &hi);
			}
			if (hi < lo)
				return fail(p, "invalid character class range", rng,
					    (size_t)(p->s - rng));
		}
		cls_add_fold(c, lo, hi, fold);
	}
	p->s++; /* ] */
	if (neg)
		cls_negate(c);
	else
		cls_norm(c);
	*out = node(p, N_CLASS);
	(*out)->cls = c;
	return 0;
}

static struct node *lit(struct parser *p, int32_t r)
{
	struct node *n;

	if ((p->flags & F_FOLD) && (lower(r) != r || upper(r) != r || r == 0x212A || r == 0x17F)) {
		n = node(p, N_CLASS);
		n->cls = new_cls(p);
		cls_add_fold(n->cls, r, r, true);
		cls_norm(n->cls);
		return n;
	}
	n = node(p, N_LIT);
	n->rune = r;
	return n;
}

/* (?flags) or (?flags:re) or (?P<name>re); p->s at "(?". */
static int parse_perl_flags(struct parser *p, struct node **out, bool *group_only,
			    int *newflags, const char **name, size_t *namelen)
{
	const char *st = p->s;
	int flags = p->flags, sign = 1;
	bool saw = false;

	*group_only = false;
	*name = NULL;
	p->s += 2;
	if (p->end - p->s >= 2 && p->s[0] == 'P' && p->s[1] == '<') {
		const char *e = memchr(p->s, '>', (size_t)(p->end - p->s));
		const char *q;
		if (!e)
			return fail(p, "invalid named capture", st, (size_t)(p->end - st));
		for (q = p->s + 2; q < e; q++)
			if (!is_word((unsigned char)*q))
				break;
		if (q != e || e == p->s + 2)
			return fail(p, "invalid named capture", st, (size_t)(e + 1 - st));
		*name = p->s + 2;
		*namelen = (size_t)(e - *name);
		p->s = e + 1;
		*newflags = flags;
		return 0;
	}
	while (p->s < p->end) {
		char ch = *p->s++;
		switch (ch) {
		case 'i': flags = sign > 0 ? flags | F_FOLD : flags & ~F_FOLD; saw = true; continue;
		case 'm': flags = sign > 0 ? flags | F_MULTI : flags & ~F_MULTI; saw = true; continue;
		case 's': flags = sign > 0 ? flags | F_DOTNL : flags & ~F_DOTNL; saw = true; continue;
		case 'U': flags = sign > 0 ? flags | F_UNGREEDY : flags & ~F_UNGREEDY; saw = true; continue;
		case '-':
			if (sign < 0)
				break;
			sign = -1;
			saw = false;
			continue;
		case ':':
		case ')':
			if (sign < 0 && !saw)
				break;
			if (ch == ')') {
				p->flags = flags;
				*group_only = true;
				*out = NULL;
				return 0;
			}
			*newflags = flags;
			return 0;
		default:
			break;
		}
		break;
	}
	return fail(p, "invalid or unsupported Perl syntax", st, (size_t)(p->s - st));
}

static int parse_atom(struct parser *p, struct node **out)
{
	int32_t r;
	int ret;

	switch (*p->s) {
	case '(': {
		struct node *inner, *g;
		int save = p->flags, nf = p->flags, cap = -1;
		const char *open = p->s, *name = NULL;
		size_t namelen = 0;

		if (++p->depth > RE_MAX_DEPTH)
			return fail(p, "expression nests too deeply", p->pat, (size_t)(p->end - p->pat));
		if (p->end - p->s >= 2 && p->s[1] == '?') {
			bool only;
			ret = parse_perl_flags(p, out, &only, &nf, &name, &namelen);
			if (ret)
				return ret;
			if (only) {
				p->depth--;
				*out = node(p, N_EMPTY);
				return 0;
			}
			if (name)
				cap = ++p->ncap;
		} else {
			p->s++;
			cap = ++p->ncap;
		}
		if (cap > 0) {
			ALLOC_GROW(p->names, (size_t)cap + 1, p->names_alloc);
			p->names[cap] = name ? xstrndup(name, namelen) : NULL;
		}
		p->flags = nf;
		ret = parse_alt(p, &inner);
		p->flags = save;
		if (ret)
			return ret;
		if (p->s >= p->end || *p->s != ')')
			return fail(p, "missing closing )", p->pat, (size_t)(p->end - p->pat));
		(void)open;
		p->s++;
		p->depth--;
		if (cap > 0) {
			g = node(p, N_CAP);
			g->cap = cap;
			kid(g, inner);
			*out = g;
		} else {
			*out = inner;
		}
		return 0;
	}
	case '[':
		return parse_class(p, out);
	case '.':
		p->s++;
		*out = node(p, p->flags & F_DOTNL ? N_ANYNL : N_ANY);
		return 0;
	case '^':
		p->s++;
		*out = node(p, p->flags & F_MULTI ? N_BOL : N_BOT);
		return 0;
	case '$':
		p->s++;
		*out = node(p, p->flags & F_MULTI ? N_EOL : N_EOT);
		return 0;
	case '\\':
		if (p->end - p->s >= 2) {
			char k = p->s[1];
			bool done;
			switch (k) {
			case 'A': p->s += 2; *out = node(p, N_BOT); return 0;
			case 'z': p->s += 2; *out = node(p, N_EOT); return 0;
			case 'b': p->s += 2; *out = node(p, N_WORDB); return 0;
			case 'B': p->s += 2; *out = node(p, N_NWORDB); return 0;
			case 'Q': {
				const char *e, *q = p->s + 2;
				struct node *cat = node(p, N_CAT);
				e = q;
				while (e + 1 < p->end && !(e[0] == '\\' && e[1] == 'E'))
					e++;
				if (e + 1 >= p->end)
					e = p->end;
				while (q < e) {
					q += dec(q, (size_t)(e - q), &r);
					kid(cat, lit(p, r));
				}
				p->s = e < p->end ? e + 2 : e;
				cat->min = -2; /* spliced into the sequence: a repeat takes the last rune */
				*out = cat;
				return 0;
			}
			case 'p':
			case 'P': {
				struct node *n = node(p, N_CLASS);
				n->cls = new_cls(p);
				ret = unicode_class(p, n->cls, &done);
				if (ret)
					return ret;
				cls_norm(n->cls);
				*out = n;
				return 0;
			}
			default: {
				struct node *n = node(p, N_CLASS);
				n->cls = new_cls(p);
				if (perl_class(p, n->cls, p->flags & F_FOLD)) {
					cls_norm(n->cls);
					*out = n;
					return 0;
				}
				break;
			}
			}
		}
		p->s++;
		ret = parse_escape(p, &r);
		if (ret)
			return ret;
		*out = lit(p, r);
		return 0;
	default:
		p->s += dec(p->s, (size_t)(p->end - p->s), &r);
		*out = lit(p, r);
		return 0;
	}
}

/* {n}, {n,}, {n,m}: false (and p->s unchanged) when it is not one, as Go reads "{" then. */
static bool parse_braces(struct parser *p, int *min, int *max, bool *toolarge)
{
	const char *q = p->s + 1;
	long a = -1, b = -1;

	*toolarge = false;
	if (q >= p->end || *q < '0' || *q > '9')
		return false;
	a = 0;
	while (q < p->end && *q >= '0' && *q <= '9') {
		if (a < 100000)
			a = a * 10 + (*q - '0');
		q++;
	}
	if (q < p->end && *q == ',') {
		q++;
		if (q < p->end && *q >= '0' && *q <= '9') {
			b = 0;
			while (q < p->end && *q >= '0' && *q <= '9') {
				if (b < 100000)
					b = b * 10 + (*q - '0');
				q++;
			}
		} else {
			b = -1;
		}
	} else {
		b = a;
	}
	if (q >= p->end || *q != '}')
		return false;
	p->s = q + 1;
	if (a > RE_MAX_REPEAT || b > RE_MAX_REPEAT || (b >= 0 && b < a))
		*toolarge = true;
	*min = (int)a;
	*max = (int)b;
	return true;
}

static int parse_seq(struct parser *p, struct node **out)
{
	struct node *cat = node(p, N_CAT);
	const char *last_rep = NULL;

	while (p->s < p->end && *p->s != '|' && *p->s != ')') {
		const char *op = p->s;
		int min = 0, max = 0;
		bool big = false;

		if (*p->s == '*' || *p->s == '+' || *p->s == '?' ||
		    (*p->s == '{' && parse_braces(p, &min, &max, &big))) {
			struct node *rep;
			char ch = *op;
			bool greedy = true;

			if (ch == '*') {
				min = 0; max = -1; p->s++;
			} else if (ch == '+') {
				min = 1; max = -1; p->s++;
			} else if (ch == '?') {
				min = 0; max = 1; p->s++;
			}
			if (p->s < p->end && *p->s == '?') {
				greedy = false;
				p->s++;
			}
			if (last_rep)
				return fail(p, "invalid nested repetition operator", last_rep,
					    (size_t)(p->s - last_rep));
			if (!cat->n)
				return fail(p, "missing argument to repetition operator", op,
					    (size_t)(p->s - op));
			if (ch == '{' && big)
				return fail(p, "invalid repeat count", op, (size_t)(p->s - op));
			if (p->flags & F_UNGREEDY)
				greedy = !greedy;
			rep = node(p, N_REPEAT);
			rep->min = min;
			rep->max = max;
			rep->greedy = greedy;
			kid(rep, cat->kids[cat->n - 1]);
			cat->kids[cat->n - 1] = rep;
			last_rep = op;
			continue;
		}
		last_rep = NULL;
		{
			struct node *a;
			int r = parse_atom(p, &a);
			if (r)
				return r;
			if (a->k == N_CAT && a->min == -2) {
				for (size_t q = 0; q < a->n; q++)
					kid(cat, a->kids[q]);
				continue;
			}
			kid(cat, a);
		}
	}
	*out = cat;
	return 0;
}

static int parse_alt(struct parser *p, struct node **out)
{
	struct node *alt = NULL, *seq;
	int r = parse_seq(p, &seq);

	if (r)
		return r;
	while (p->s < p->end && *p->s == '|') {
		if (!alt) {
			alt = node(p, N_ALT);
			kid(alt, seq);
		}
		p->s++;
		r = parse_seq(p, &seq);
		if (r)
			return r;
		kid(alt, seq);
	}
	*out = alt ? alt : seq;
	return 0;
}

/* --- program -------------------------------------------------------------- */

enum op { I_RUNE, I_CLASS, I_ANY, I_ANYNL, I_SPLIT, I_JMP, I_SAVE, I_MATCH, I_ASSERT };

struct inst {
	uint8_t op;
	uint8_t assert;
	int x, y;
	int32_t r;
	const struct cls *cls;
};

struct re {
	struct inst *prog;
	size_t n, alloc;
	size_t ncap;
	char **names;
	struct cls **classes;
	size_t nclasses;
	bool too_big;
};

static int emit(struct re *re, enum op op)
{
	if (re->n >= RE_MAX_INSTS) {
		re->too_big = true;
		return (int)re->n - 1;
	}
	ALLOC_GROW(re->prog, re->n + 1, re->alloc);
	memset(&re->prog[re->n], 0, sizeof(re->prog[0]));
	re->prog[re->n].op = (uint8_t)op;
	return (int)re->n++;
}

static void compile(struct re *re, const struct node *n)
{
	size_t i;
	int a, b;

	if (re->too_big)
		return;
	switch (n->k) {
	case N_EMPTY:
		break;
	case N_LIT:
		{ int at_ = emit(re, I_RUNE); re->prog[at_].r = n->rune; }
		break;
	case N_CLASS:
		{ int at_ = emit(re, I_CLASS); re->prog[at_].cls = n->cls; }
		break;
	case N_ANY:
		emit(re, I_ANY);
		break;
	case N_ANYNL:
		emit(re, I_ANYNL);
		break;
	case N_BOL: case N_EOL: case N_BOT: case N_EOT: case N_WORDB: case N_NWORDB:
		{ int at_ = emit(re, I_ASSERT); re->prog[at_].assert = (uint8_t)n->k; }
		break;
	case N_CAT:
		for (i = 0; i < n->n; i++)
			compile(re, n->kids[i]);
		break;
	case N_ALT: {
		int jumps[1024], nj = 0;
		int *jp = n->n > 1024 ? xmalloc(n->n * sizeof(int)) : jumps;
		for (i = 0; i < n->n; i++) {
			if (i + 1 < n->n) {
				a = emit(re, I_SPLIT);
				re->prog[a].x = a + 1;
				compile(re, n->kids[i]);
				jp[nj++] = emit(re, I_JMP);
				if (re->too_big)
					break;
				re->prog[a].y = (int)re->n;
			} else {
				compile(re, n->kids[i]);
			}
		}
		for (a = 0; a < nj && !re->too_big; a++)
			re->prog[jp[a]].x = (int)re->n;
		if (jp != jumps)
			free(jp);
		break;
	}
	case N_CAP:
		{ int at_ = emit(re, I_SAVE); re->prog[at_].x = 2 * n->cap; }
		compile(re, n->kids[0]);
		{ int at_ = emit(re, I_SAVE); re->prog[at_].x = 2 * n->cap + 1; }
		break;
	case N_REPEAT: {
		const struct node *k = n->kids[0];
		int min = n->min, max = n->max;
		for (a = 0; a < min && !re->too_big; a++)
			compile(re, k);
		if (max < 0) {
			/* x*: L: split body, out; body; jmp L */
			int l = emit(re, I_SPLIT);
			compile(re, k);
			b = emit(re, I_JMP);
			if (re->too_big)
				break;
			re->prog[b].x = l;
			if (n->greedy) {
				re->prog[l].x = l + 1;
				re->prog[l].y = (int)re->n;
			} else {
				re->prog[l].x = (int)re->n;
				re->prog[l].y = l + 1;
			}
		} else {
			int splits[RE_MAX_REPEAT + 1], ns = 0;
			for (a = min; a < max && !re->too_big; a++) {
				splits[ns++] = emit(re, I_SPLIT);
				compile(re, k);
			}
			for (a = 0; a < ns && !re->too_big; a++) {
				int s = splits[a];
				if (n->greedy) {
					re->prog[s].x = s + 1;
					re->prog[s].y = (int)re->n;
				} else {
					re->prog[s].x = (int)re->n;
					re->prog[s].y = s + 1;
				}
			}
		}
		break;
	}
	}
}

static void parser_release(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nall; i++) {
		free(p->all[i]->kids);
		free(p->all[i]);
	}
	free(p->all);
}

int re_compile(struct re **out, const char *pat, size_t len, char **errmsg)
{
	struct parser p = { 0 };
	struct node *root = NULL;
	struct re *re;
	size_t i;
	int r;

	*out = NULL;
	*errmsg = NULL;
	if (!utf8_is_valid(pat, len)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, "error parsing regexp: invalid UTF-8: `");
		strbuf_add(&sb, pat, len);
		strbuf_addch(&sb, '`');
		*errmsg = strbuf_detach(&sb, NULL);
		return ERR_INVALID;
	}
	p.pat = p.s = pat;
	p.end = pat + len;
	ALLOC_GROW(p.names, 1, p.names_alloc);
	p.names[0] = NULL;
	r = parse_alt(&p, &root);
	if (!r && p.s < p.end)
		r = fail(&p, "unexpected )", pat, len);
	re = xcalloc(1, sizeof(*re));
	re->ncap = (size_t)p.ncap + 1;
	re->names = p.names;
	re->classes = p.classes;
	re->nclasses = p.nclasses;
	if (!r) {
		/* An unanchored search is the VM's job; group 0 brackets the match. */
		{
			int s0 = emit(re, I_SAVE);
			re->prog[s0].x = 0;
			compile(re, root);
			{ int at_ = emit(re, I_SAVE); re->prog[at_].x = 1; }
			emit(re, I_MATCH);
		}
		if (re->too_big || re->n * re->ncap * 2 > (size_t)32 << 20)
			r = fail(&p, "expression too large", pat, len);
	}
	parser_release(&p);
	if (r) {
		*errmsg = p.err;
		re_free(re);
		return r;
	}
	for (i = 0; i < re->ncap; i++)
		if (!re->names[i])
			re->names[i] = xstrdup("");
	*out = re;
	return 0;
}

void re_free(struct re *re)
{
	size_t i;

	if (!re)
		return;
	for (i = 0; i < re->ncap; i++)
		free(re->names[i]);
	free(re->names);
	for (i = 0; i < re->nclasses; i++) {
		free(re->classes[i]->r);
		free(re->classes[i]);
	}
	free(re->classes);
	free(re->prog);
	free(re);
}

size_t re_ncap(const struct re *re)
{
	return re->ncap;
}

const char *re_cap_name(const struct re *re, size_t i)
{
	return i < re->ncap ? re->names[i] : "";
}

/* --- the Pike VM ---------------------------------------------------------- */

struct tlist {
	int *pc;      /* thread program counters, in priority order */
	long *caps;   /* caps of thread i at caps[i * ncap2] */
	size_t n;
	unsigned *seen; /* generation stamp per pc */
};

struct vm {
	const struct re *re;
	const char *s;
	size_t len;
	size_t ncap2;
	unsigned gen;
	struct { int pc; long slot; long val; } *stack;
	size_t nstack, astack;
	long *cur; /* scratch caps while following empty transitions */
};

static int32_t rune_before(const char *s, size_t i)
{
	size_t k;
	int32_t r;

	if (!i)
		return -1;
	k = i - 1;
	while (k > 0 && i - k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	if (k + dec(s + k, i - k, &r) != i)
		return 0xFFFD;
	return r;
}

static bool assert_ok(const struct vm *m, int kind, size_t i)
{
	int32_t before = rune_before(m->s, i), after = -1;

	if (i < m->len)
		dec(m->s + i, m->len - i, &after);
	switch (kind) {
	case N_BOT:
		return i == 0;
	case N_EOT:
		return i == m->len;
	case N_BOL:
		return i == 0 || before == '\n';
	case N_EOL:
		return i == m->len || after == '\n';
	case N_WORDB:
		return (before >= 0 && is_word(before)) != (after >= 0 && is_word(after));
	case N_NWORDB:
		return (before >= 0 && is_word(before)) == (after >= 0 && is_word(after));
	}
	return false;
}

static void push(struct vm *m, int pc, long slot, long val)
{
	ALLOC_GROW(m->stack, m->nstack + 1, m->astack);
	m->stack[m->nstack].pc = pc;
	m->stack[m->nstack].slot = slot;
	m->stack[m->nstack].val = val;
	m->nstack++;
}

/* Adds the threads reachable from pc without consuming input, in priority order. */
static void add_thread(struct vm *m, struct tlist *l, int pc0, const long *caps, size_t i)
{
	const struct inst *prog = m->re->prog;

	memcpy(m->cur, caps, m->ncap2 * sizeof(long));
	m->nstack = 0;
	push(m, pc0, -1, 0);
	while (m->nstack) {
		int pc;
		long slot, val;

		m->nstack--;
		pc = m->stack[m->nstack].pc;
		slot = m->stack[m->nstack].slot;
		val = m->stack[m->nstack].val;
		if (slot >= 0) {
			m->cur[slot] = val; /* restore after the subtree */
			continue;
		}
		if (l->seen[pc] == m->gen)
			continue;
		l->seen[pc] = m->gen;
		switch (prog[pc].op) {
		case I_JMP:
			push(m, prog[pc].x, -1, 0);
			break;
		case I_SPLIT:
			push(m, prog[pc].y, -1, 0);
			push(m, prog[pc].x, -1, 0);
			break;
		case I_SAVE:
			if ((size_t)prog[pc].x < m->ncap2) {
				push(m, 0, prog[pc].x, m->cur[prog[pc].x]);
				m->cur[prog[pc].x] = (long)i;
			}
			push(m, pc + 1, -1, 0);
			break;
		case I_ASSERT:
			if (assert_ok(m, prog[pc].assert, i))
				push(m, pc + 1, -1, 0);
			break;
		default:
			l->pc[l->n] = pc;
			memcpy(l->caps + l->n * m->ncap2, m->cur, m->ncap2 * sizeof(long));
			l->n++;
			break;
		}
	}
}

int re_exec(const struct re *re, const char *s, size_t len, size_t pos, long *caps)
{
	struct vm m = { re, s, len, 2 * re->ncap, 0, NULL, 0, 0, NULL };
	struct tlist a, b, *cl = &a, *nl = &b, *t;
	long *init;
	bool matched = false;
	size_t i = pos, k;

	a.pc = xmalloc(re->n * sizeof(int));
	b.pc = xmalloc(re->n * sizeof(int));
	a.caps = xmalloc(re->n * m.ncap2 * sizeof(long));
	b.caps = xmalloc(re->n * m.ncap2 * sizeof(long));
	a.seen = xcalloc(re->n, sizeof(unsigned));
	b.seen = xcalloc(re->n, sizeof(unsigned));
	a.n = b.n = 0;
	m.cur = xmalloc(m.ncap2 * sizeof(long));
	init = xmalloc(m.ncap2 * sizeof(long));
	for (k = 0; k < m.ncap2; k++)
		init[k] = -1;
	m.gen = 1;
	for (;;) {
		int32_t r = -1;
		size_t w = 0;

		if (!matched)
			add_thread(&m, cl, 0, init, i);
		/* No thread left: done once matched or at the end; else try the next start. */
		if (!cl->n && (matched || i >= len))
			break;
		if (i < len)
			w = dec(s + i, len - i, &r);
		m.gen++;
		nl->n = 0;
		for (k = 0; k < cl->n; k++) {
			const struct inst *in = &re->prog[cl->pc[k]];
			const long *tc = cl->caps + k * m.ncap2;
			bool ok = false;

			switch (in->op) {
			case I_MATCH:
				memcpy(caps, tc, m.ncap2 * sizeof(long));
				matched = true;
				k = cl->n; /* lower-priority threads lose */
				continue;
			case I_RUNE:
				ok = r >= 0 && r == in->r;
				break;
			case I_CLASS:
				ok = r >= 0 && cls_has(in->cls, r);
				break;
			case I_ANY:
				ok = r >= 0 && r != '\n';
				break;
			case I_ANYNL:
				ok = r >= 0;
				break;
			default:
				break;
			}
			if (ok)
				add_thread(&m, nl, cl->pc[k] + 1, tc, i + w);
		}
		if (i >= len)
			break;
		t = cl;
		cl = nl;
		nl = t;
		i += w;
	}
	free(a.pc);
	free(b.pc);
	free(a.caps);
	free(b.caps);
	free(a.seen);
	free(b.seen);
	free(m.cur);
	free(m.stack);
	free(init);
	return matched;
}

void re_quote_meta(struct strbuf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i])
			strbuf_addch(out, '\\');
		strbuf_addch(out, s[i]);
	}
}
