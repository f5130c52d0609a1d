/*
 * tmpl-parse.c - text/template's parser, and the template set.
 *
 * A recursive-descent parser over the lexer's item array with Go's own
 * peek/backup moves, so that what is accepted, the node positions and the
 * error texts ("template: NAME:LINE: unexpected ...") are Go 1.19's.
 *
 * Parse errors unwind with longjmp: Go's parser panics and recovers the
 * same way, and the tree lives in the arena, so nothing needs releasing on
 * the way out but the parser's own heap arrays (freed by tmpl_parse_into).
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/tmpl-int.h"
#include "render/helm/fmt.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#define MAX_PARSE_DEPTH 1000 /* nested parentheses and control blocks */

struct tree_entry {
	const char *name;
	struct tnode *root;
};

struct parser {
	struct tmpl_set *s;
	struct helm_ctx *c;
	const struct item *items;
	size_t nitems, cur, hi;
	struct ttree *tree;
	/* per tree being parsed (a define starts a fresh one) */
	const char **vars;
	size_t nvars, avars;
	int action_line;
	int range_depth;
	int depth;
	/* this Parse call's trees, in order */
	struct tree_entry *trees;
	size_t ntrees, atrees;
	jmp_buf jb;
	int code;
};

static void NORETURN fail_code(struct parser *p, int code)
{
	p->code = code;
	longjmp(p->jb, 1);
}

static void *palloc(struct parser *p, size_t n)
{
	void *m = hctx_alloc(p->c, n);

	if (!m)
		fail_code(p, ERR_TOOBIG);
	return m;
}

static void NORETURN perrorf(struct parser *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void NORETURN perrorf(struct parser *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int line = p->items[p->hi].line;

	strbuf_addf(&sb, "template: %s:%d: ", p->tree->parse_name, line);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(ERR_INVALID, "%s", sb.buf);
	strbuf_release(&sb);
	fail_code(p, ERR_INVALID);
}

/* A message piece moved to the arena, so that unwinding leaks nothing. */
static const char *pcopy(struct parser *p, struct strbuf *sb)
{
	char *m = hctx_strndup(p->c, sb->buf, sb->len);

	strbuf_release(sb);
	if (!m)
		fail_code(p, ERR_TOOBIG);
	return m;
}

/* ---- token stream ---- */

/*
 * The last item (EOF or error) repeats forever, as Go's lexer channel
 * returns the zero item... which the parser never reads past an error.
 */
static const struct item *next(struct parser *p)
{
	size_t i = p->cur < p->nitems ? p->cur : p->nitems - 1;

	if (i > p->hi)
		p->hi = i;
	p->cur = i + 1;
	return &p->items[i];
}

static void backup(struct parser *p)
{
	if (p->cur > 0)
		p->cur--;
}

static const struct item *peek(struct parser *p)
{
	const struct item *it = next(p);

	backup(p);
	return it;
}

static const struct item *next_non_space(struct parser *p)
{
	const struct item *it;

	do
		it = next(p);
	while (it->type == ITEM_SPACE);
	return it;
}

static const struct item *peek_non_space(struct parser *p)
{
	const struct item *it = next_non_space(p);

	backup(p);
	return it;
}

static size_t item_index(struct parser *p, const struct item *it)
{
	return (size_t)(it - p->items);
}

static const char *item_val(struct parser *p, const struct item *it, size_t *len)
{
	*len = it->len;
	return p->tree->text + it->pos;
}

/* item.String() */
static void item_string(struct parser *p, struct strbuf *sb, const struct item *it)
{
	size_t len;
	const char *v = item_val(p, it, &len);

	if (it->type == ITEM_EOF) {
		strbuf_addstr(sb, "EOF");
	} else if (it->type == ITEM_ERROR) {
		strbuf_addstr(sb, it->msg);
	} else if (it->type > ITEM_KEYWORD) {
		strbuf_addch(sb, '<');
		strbuf_add(sb, v, len);
		strbuf_addch(sb, '>');
	} else if (len > 10) {
		/* %.10q: the first ten runes, quoted */
		size_t i = 0, k;
		int32_t r;

		for (k = 0; k < 10 && i < len; k++)
			i += go_utf8_decode(v + i, len - i, &r);
		go_quote(sb, v, i, false);
		strbuf_addstr(sb, "...");
	} else {
		go_quote(sb, v, len, false);
	}
}

static void NORETURN unexpected(struct parser *p, const struct item *it, const char *context)
{
	struct strbuf sb = STRBUF_INIT;

	item_string(p, &sb, it);
	if (it->type == ITEM_ERROR) {
		if (p->action_line != 0 && p->action_line != it->line) {
			size_t ml = strlen(it->msg);

			if (ml >= 7 && strcmp(it->msg + ml - 7, " action") == 0)
				strbuf_addf(&sb, " started at %s:%d", p->tree->parse_name,
					    p->action_line);
			else
				strbuf_addf(&sb, " in action started at %s:%d", p->tree->parse_name,
					    p->action_line);
		}
		perrorf(p, "%s", pcopy(p, &sb));
	}
	perrorf(p, "unexpected %s in %s", pcopy(p, &sb), context);
}

static const struct item *expect(struct parser *p, enum item_type t, const char *context)
{
	const struct item *it = next_non_space(p);

	if (it->type != t)
		unexpected(p, it, context);
	return it;
}

static const struct item *expect_one_of(struct parser *p, enum item_type t1, enum item_type t2,
					const char *context)
{
	const struct item *it = next_non_space(p);

	if (it->type != t1 && it->type != t2)
		unexpected(p, it, context);
	return it;
}

/* ---- strconv.Unquote ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * strconv.UnquoteChar: one character of a quoted literal at s[*i].
 * Returns false on a syntax error.
 */
static bool unquote_char(const char *s, size_t n, size_t *i, char quote, int32_t *value,
			 bool *multibyte)
{
	unsigned char c = (unsigned char)s[*i];
	int k, digits;
	uint32_t v;

	*multibyte = false;
	if (c == (unsigned char)quote && (quote == '\'' || quote == '"'))
		return false;
	if (c >= 0x80) {
		*i += go_utf8_decode(s + *i, n - *i, value);
		*multibyte = true;
		return true;
	}
	if (c != '\\') {
		*value = c;
		(*i)++;
		return true;
	}
	if (n - *i <= 1)
		return false;
	c = (unsigned char)s[*i + 1];
	*i += 2;
	switch (c) {
	case 'a': *value = '\a'; return true;
	case 'b': *value = '\b'; return true;
	case 'f': *value = '\f'; return true;
	case 'n': *value = '\n'; return true;
	case 'r': *value = '\r'; return true;
	case 't': *value = '\t'; return true;
	case 'v': *value = '\v'; return true;
	case 'x':
	case 'u':
	case 'U':
		digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (n - *i < (size_t)digits)
			return false;
		v = 0;
		for (k = 0; k < digits; k++) {
			int h = hexval((unsigned char)s[*i + (size_t)k]);

			if (h < 0)
				return false;
			v = v << 4 | (uint32_t)h;
		}
		*i += (size_t)digits;
		if (c == 'x') {
			*value = (int32_t)v;
			return true;
		}
		if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return false;
		*value = (int32_t)v;
		*multibyte = true;
		return true;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		v = c - '0';
		if (n - *i < 2)
			return false;
		for (k = 0; k < 2; k++) {
			int x = (unsigned char)s[*i + (size_t)k] - '0';

			if (x < 0 || x > 7)
				return false;
			v = v << 3 | (uint32_t)x;
		}
		*i += 2;
		if (v > 255)
			return false;
		*value = (int32_t)v;
		return true;
	case '\\':
		*value = '\\';
		return true;
	case '\'':
	case '"':
		if (c != (unsigned char)quote)
			return false;
		*value = c;
		return true;
	}
	return false;
}

bool go_unquote_char(const char *s, size_t n, int32_t *r)
{
	size_t i = 1;
	bool mb;

	if (n < 2 || s[0] != '\'')
		return false;
	if (!unquote_char(s, n, &i, '\'', r, &mb))
		return false;
	return i == n - 1 && s[i] == '\'';
}

int go_unquote(struct helm_ctx *c, const char *s, size_t n, char **out, size_t *outlen)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	char q;

	if (n < 2 || s[0] != s[n - 1])
		return ERR_INVALID;
	q = s[0];
	s++;
	n -= 2;
	if (q == '`') {
		if (memchr(s, '`', n))
			return ERR_INVALID;
		for (i = 0; i < n; i++)
			if (s[i] != '\r')
				strbuf_addch(&sb, s[i]);
		goto done;
	}
	if (q != '"')
		return ERR_INVALID;
	if (!memchr(s, '\\', n) && !memchr(s, '\n', n) && utf8_is_valid(s, n)) {
		strbuf_add(&sb, s, n);
		goto done;
	}
	for (i = 0; i < n;) {
		int32_t r;
		bool mb;

		if (s[i] == '\n' || !unquote_char(s, n, &i, '"', &r, &mb)) {
			strbuf_release(&sb);
			return ERR_INVALID;
		}
		if (r < 0x80 || !mb) {
			strbuf_addch(&sb, (char)r);
		} else {
			char tmp[4];

			strbuf_add(&sb, tmp, go_utf8_encode(tmp, r));
		}
	}
done:
	*out = hctx_strndup(c, sb.buf, sb.len);
	*outlen = sb.len;
	strbuf_release(&sb);
	return *out ? 0 : ERR_TOOBIG;
}

/* ---- strconv number parsing, base 0, as the parse package uses it ---- */

static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;

	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' &&
	    (s[1] == 'b' || s[1] == 'B' || s[1] == 'o' || s[1] == 'O' || s[1] == 'x' || s[1] == 'X')) {
		i = 2;
		saw = '0';
		hex = s[1] == 'x' || s[1] == 'X';
	}
	for (; i < n; i++) {
		char ch = s[i];

		if ((ch >= '0' && ch <= '9') || (hex && hexval((unsigned char)ch) >= 0)) {
			saw = '0';
			continue;
		}
		if (ch == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

static bool parse_uint0(const char *s, size_t n, uint64_t *out)
{
	const char *s0 = s;
	size_t n0 = n, i;
	unsigned base = 10;
	bool underscores = false;
	uint64_t v = 0;

	if (n == 0)
		return false;
	if (s[0] == '0') {
		if (n >= 3 && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
			n -= 2;
		} else if (n >= 3 && (s[1] == 'o' || s[1] == 'O')) {
			base = 8;
			s += 2;
			n -= 2;
		} else if (n >= 3 && (s[1] == 'b' || s[1] == 'B')) {
			base = 2;
			s += 2;
			n -= 2;
		} else {
			base = 8;
			s += 1;
			n -= 1;
			if (n == 0) {
				*out = 0;
				return true;
			}
		}
	}
	for (i = 0; i < n; i++) {
		int d;

		if (s[i] == '_') {
			underscores = true;
			continue;
		}
		d = hexval((unsigned char)s[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	if (underscores && !underscore_ok(s0, n0))
		return false;
	*out = v;
	return true;
}

static bool parse_int0(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t u;

	if (n == 0)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if (!parse_uint0(s, n, &u))
		return false;
	if (!neg && u > (uint64_t)INT64_MAX)
		return false;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

static bool parse_float(const char *s, size_t n, double *out)
{
	char buf[128];
	size_t i, k = 0;
	bool hex, has_p = false, has_digit = false;
	char *end;
	double f;
	const char *b;

	if (n == 0 || n >= sizeof(buf))
		return false;
	if (memchr(s, '_', n) && !underscore_ok(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			buf[k++] = s[i];
	buf[k] = '\0';
	b = buf;
	if (*b == '+' || *b == '-')
		b++;
	hex = b[0] == '0' && (b[1] == 'x' || b[1] == 'X');
	for (i = 0; b[i]; i++) {
		if (b[i] == 'p' || b[i] == 'P')
			has_p = true;
		if (b[i] >= '0' && b[i] <= '9')
			has_digit = true;
	}
	if (!has_digit || (hex && !has_p))
		return false;
	/* strtod also reads "inf" and "nan"; the lexer never hands those over. */
	errno = 0;
	f = strtod(buf, &end);
	if (*end || (errno == ERANGE && isinf(f)))
		return false;
	*out = f;
	return true;
}

static bool contains_any(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(set, s[i]))
			return true;
	return false;
}

/* ---- nodes ---- */

static struct tnode *new_node(struct parser *p, enum node_type t, uint32_t pos)
{
	struct tnode *n = palloc(p, sizeof(*n));

	n->type = t;
	n->pos = pos;
	n->tree = p->tree;
	return n;
}

static void list_append(struct parser *p, struct tnode *l, struct tnode *item)
{
	if (l->list.n == l->list.alloc) {
		size_t na = l->list.alloc ? l->list.alloc * 2 : 4;
		struct tnode **ni = palloc(p, na * sizeof(*ni));

		if (l->list.n)
			memcpy(ni, l->list.items, l->list.n * sizeof(*ni));
		l->list.items = ni;
		l->list.alloc = na;
	}
	l->list.items[l->list.n++] = item;
}

static void pipe_append(struct parser *p, struct tnode *pipe, struct tnode *cmd)
{
	if (pipe->pipe.ncmds == pipe->pipe.alloc) {
		size_t na = pipe->pipe.alloc ? pipe->pipe.alloc * 2 : 2;
		struct tnode **ni = palloc(p, na * sizeof(*ni));

		if (pipe->pipe.ncmds)
			memcpy(ni, pipe->pipe.cmds, pipe->pipe.ncmds * sizeof(*ni));
		pipe->pipe.cmds = ni;
		pipe->pipe.alloc = na;
	}
	pipe->pipe.cmds[pipe->pipe.ncmds++] = cmd;
}

/* Splits "a.b.c" (FieldNode drops the leading dot first). */
static void split_ident(struct parser *p, struct tnode *n, const char *s, size_t len)
{
	size_t i, k = 1, start = 0, j = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '.')
			k++;
	n->field.ident = palloc(p, k * sizeof(char *));
	n->field.nident = k;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			char *id = palloc(p, i - start + 1);

			memcpy(id, s + start, i - start);
			n->field.ident[j++] = id;
			start = i + 1;
		}
	}
}

static struct tnode *new_field(struct parser *p, uint32_t pos, const char *s, size_t len)
{
	struct tnode *n = new_node(p, N_FIELD, pos);

	split_ident(p, n, s + 1, len - 1);
	return n;
}

static struct tnode *new_variable(struct parser *p, uint32_t pos, const char *s, size_t len)
{
	struct tnode *n = new_node(p, N_VARIABLE, pos);

	split_ident(p, n, s, len);
	return n;
}

static struct tnode *new_number(struct parser *p, const struct item *it)
{
	size_t len;
	const char *text = item_val(p, it, &len);
	struct tnode *n = new_node(p, N_NUMBER, it->pos);
	uint64_t u = 0;
	int64_t i;
	double f;

	n->num.text = text;
	n->num.len = len;
	if (it->type == ITEM_CHAR_CONSTANT) {
		int32_t r;
		size_t k = 1;
		bool mb;

		if (!unquote_char(text, len, &k, '\'', &r, &mb))
			perrorf(p, "invalid syntax");
		if (k != len - 1 || text[k] != '\'')
			perrorf(p, "malformed character constant: %.*s", (int)len, text);
		n->num.i = r;
		n->num.u = (uint64_t)r;
		n->num.f = r;
		n->num.is_int = n->num.is_uint = n->num.is_float = true;
		goto ideal;
	}
	if (it->type == ITEM_COMPLEX || (len > 0 && text[len - 1] == 'i'))
		/* NEEDSWORK: Go accepts complex constants; no chart uses them. */
		perrorf(p, "imaginary constants are not supported: %.*s", (int)len, text);
	if (parse_uint0(text, len, &u)) {
		n->num.is_uint = true;
		n->num.u = u;
	}
	if (parse_int0(text, len, &i)) {
		n->num.is_int = true;
		n->num.i = i;
		if (i == 0) {
			n->num.is_uint = true;
			n->num.u = u;
		}
	}
	if (n->num.is_int) {
		n->num.is_float = true;
		n->num.f = (double)n->num.i;
	} else if (n->num.is_uint) {
		n->num.is_float = true;
		n->num.f = (double)n->num.u;
	} else if (parse_float(text, len, &f)) {
		if (!contains_any(text, len, ".eEpP"))
			perrorf(p, "integer overflow: \"%.*s\"", (int)len, text);
		n->num.is_float = true;
		n->num.f = f;
		if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && f == (double)(int64_t)f) {
			n->num.is_int = true;
			n->num.i = (int64_t)f;
		}
		if (f >= 0 && f < 18446744073709551616.0 && f == (double)(uint64_t)f) {
			n->num.is_uint = true;
			n->num.u = (uint64_t)f;
		}
	}
	if (!n->num.is_int && !n->num.is_uint && !n->num.is_float) {
		struct strbuf q = STRBUF_INIT;

		go_quote(&q, text, len, false);
		perrorf(p, "illegal number syntax: %s", pcopy(p, &q));
	}
ideal:
	/* text/template's idealConstant, computed once. */
	{
		bool hexint = len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
			      !contains_any(text, len, "pP");
		bool runeint = len > 0 && text[0] == '\'';

		if (n->num.is_float && !hexint && !runeint && contains_any(text, len, ".eEpP"))
			n->num.ideal = hv_float(p->c, n->num.f);
		else if (n->num.is_int)
			n->num.ideal = hv_int(p->c, n->num.i);
		else
			return n; /* "overflows int" at execution */
		if (!n->num.ideal)
			fail_code(p, ERR_TOOBIG);
	}
	return n;
}

/* ---- the grammar ---- */

static struct tnode *pipeline(struct parser *p, const char *context, enum item_type end);
static struct tnode *item_list(struct parser *p, struct tnode **next_node);

/* Parser arrays grow in the arena too: a parse error unwinds without freeing. */
static void *grow(struct parser *p, void *arr, size_t n, size_t *alloc, size_t size)
{
	void *na;

	if (n < *alloc)
		return arr;
	*alloc = *alloc ? *alloc * 2 : 8;
	na = palloc(p, *alloc * size);
	if (n)
		memcpy(na, arr, n * size);
	return na;
}

static void push_var(struct parser *p, const char *name)
{
	p->vars = grow(p, p->vars, p->nvars, &p->avars, sizeof(*p->vars));
	p->vars[p->nvars++] = name;
}

static struct tnode *use_var(struct parser *p, const struct item *it)
{
	size_t len, i;
	const char *v = item_val(p, it, &len);
	struct tnode *n = new_variable(p, it->pos, v, len);

	for (i = 0; i < p->nvars; i++)
		if (strcmp(p->vars[i], n->field.ident[0]) == 0)
			return n;
	perrorf(p, "undefined variable \"%s\"", n->field.ident[0]);
}

static void enter(struct parser *p)
{
	if (++p->depth > MAX_PARSE_DEPTH)
		perrorf(p, "template nesting deeper than %d levels", MAX_PARSE_DEPTH);
}

static struct tnode *term(struct parser *p)
{
	const struct item *it = next_non_space(p);
	size_t len;
	const char *v = item_val(p, it, &len);
	struct tnode *n;

	switch (it->type) {
	case ITEM_IDENTIFIER: {
		char *name = palloc(p, len + 1);
		bool builtin;

		memcpy(name, v, len);
		n = new_node(p, N_IDENTIFIER, it->pos);
		n->ident.name = name;
		n->ident.fn = tmpl_find_func(p->s, name, &builtin);
		n->ident.builtin = builtin;
		if (!n->ident.fn)
			perrorf(p, "function \"%s\" not defined", name);
		return n;
	}
	case ITEM_DOT:
		return new_node(p, N_DOT, it->pos);
	case ITEM_NIL:
		return new_node(p, N_NIL, it->pos);
	case ITEM_VARIABLE:
		return use_var(p, it);
	case ITEM_FIELD:
		return new_field(p, it->pos, v, len);
	case ITEM_BOOL:
		n = new_node(p, N_BOOL, it->pos);
		n->b = len == 4;
		return n;
	case ITEM_CHAR_CONSTANT:
	case ITEM_COMPLEX:
	case ITEM_NUMBER:
		return new_number(p, it);
	case ITEM_LEFT_PAREN:
		enter(p);
		n = pipeline(p, "parenthesized pipeline", ITEM_RIGHT_PAREN);
		p->depth--;
		return n;
	case ITEM_STRING:
	case ITEM_RAW_STRING: {
		char *s;
		size_t slen;
		int r = go_unquote(p->c, v, len, &s, &slen);

		if (r == ERR_TOOBIG)
			fail_code(p, r);
		if (r)
			perrorf(p, "invalid syntax");
		n = new_node(p, N_STRING, it->pos);
		n->str.quoted = v;
		n->str.qlen = len;
		n->str.val = hv_str(p->c, s, slen);
		if (!n->str.val)
			fail_code(p, ERR_TOOBIG);
		return n;
	}
	default:
		backup(p);
		return NULL;
	}
}

static struct tnode *operand(struct parser *p)
{
	struct tnode *node = term(p), *chain;
	struct strbuf sb = STRBUF_INIT;
	uint32_t pos;

	if (!node)
		return NULL;
	if (peek(p)->type != ITEM_FIELD)
		return node;
	pos = peek(p)->pos;
	chain = new_node(p, N_CHAIN, pos);
	chain->field.node = node;
	tnode_string(&sb, node);
	while (peek(p)->type == ITEM_FIELD) {
		const struct item *f = next(p);
		size_t len;
		const char *v = item_val(p, f, &len);

		strbuf_add(&sb, v, len);
	}
	switch (node->type) {
	case N_FIELD:
		node = new_field(p, pos, sb.buf, sb.len);
		break;
	case N_VARIABLE:
		node = new_variable(p, pos, sb.buf, sb.len);
		break;
	case N_BOOL:
	case N_STRING:
	case N_NUMBER:
	case N_NIL:
	case N_DOT: {
		struct strbuf n = STRBUF_INIT, q = STRBUF_INIT;

		tnode_string(&n, node);
		go_quote(&q, n.buf, n.len, false);
		strbuf_release(&sb);
		strbuf_release(&n);
		perrorf(p, "unexpected . after term %s", pcopy(p, &q));
	}
	default: {
		/* The chain keeps its operand; its fields are what follows it. */
		struct strbuf base = STRBUF_INIT;

		tnode_string(&base, node);
		split_ident(p, chain, sb.buf + base.len + 1, sb.len - base.len - 1);
		strbuf_release(&base);
		node = chain;
	}
	}
	strbuf_release(&sb);
	return node;
}

static struct tnode *command(struct parser *p)
{
	struct tnode *cmd = new_node(p, N_COMMAND, peek_non_space(p)->pos);

	for (;;) {
		const struct item *it;
		struct tnode *op;

		peek_non_space(p);
		op = operand(p);
		if (op)
			list_append(p, cmd, op);
		it = next(p);
		if (it->type == ITEM_SPACE)
			continue;
		if (it->type == ITEM_RIGHT_DELIM || it->type == ITEM_RIGHT_PAREN)
			backup(p);
		else if (it->type != ITEM_PIPE)
			unexpected(p, it, "operand");
		break;
	}
	if (cmd->list.n == 0)
		perrorf(p, "empty command");
	return cmd;
}

static void check_pipeline(struct parser *p, struct tnode *pipe, const char *context)
{
	size_t i;

	if (pipe->pipe.ncmds == 0)
		perrorf(p, "missing value for %s", context);
	for (i = 1; i < pipe->pipe.ncmds; i++) {
		switch (pipe->pipe.cmds[i]->list.items[0]->type) {
		case N_BOOL:
		case N_DOT:
		case N_NIL:
		case N_NUMBER:
		case N_STRING:
			perrorf(p, "non executable command in pipeline stage %zu", i + 1);
		default:
			break;
		}
	}
}

static void add_decl(struct parser *p, struct tnode *pipe, const struct item *v)
{
	size_t len;
	const char *val = item_val(p, v, &len);
	struct tnode **nd = palloc(p, (pipe->pipe.ndecl + 1) * sizeof(*nd));
	struct tnode *var = new_variable(p, v->pos, val, len);

	if (pipe->pipe.ndecl)
		memcpy(nd, pipe->pipe.decl, pipe->pipe.ndecl * sizeof(*nd));
	nd[pipe->pipe.ndecl++] = var;
	pipe->pipe.decl = nd;
	push_var(p, var->field.ident[0]);
}

static struct tnode *pipeline(struct parser *p, const char *context, enum item_type end)
{
	const struct item *tok = peek_non_space(p);
	struct tnode *pipe = new_node(p, N_PIPE, tok->pos);

decls:
	if (peek_non_space(p)->type == ITEM_VARIABLE) {
		const struct item *v = next_non_space(p);
		size_t iv = item_index(p, v);
		const struct item *after = peek(p);
		const struct item *nx = peek_non_space(p);
		size_t nlen;
		const char *nval = item_val(p, nx, &nlen);

		if (nx->type == ITEM_ASSIGN || nx->type == ITEM_DECLARE) {
			pipe->pipe.is_assign = nx->type == ITEM_ASSIGN;
			next_non_space(p);
			add_decl(p, pipe, v);
		} else if (nx->type == ITEM_CHAR && nlen == 1 && nval[0] == ',') {
			next_non_space(p);
			add_decl(p, pipe, v);
			if (strcmp(context, "range") == 0 && pipe->pipe.ndecl < 2) {
				enum item_type t = peek_non_space(p)->type;

				if (t == ITEM_VARIABLE || t == ITEM_RIGHT_DELIM || t == ITEM_RIGHT_PAREN)
					goto decls;
				perrorf(p, "range can only initialize variables");
			}
			perrorf(p, "too many declarations in %s", context);
		} else {
			(void)after;
			p->cur = iv;
		}
	}
	for (;;) {
		const struct item *it = next_non_space(p);

		if (it->type == end) {
			check_pipeline(p, pipe, context);
			return pipe;
		}
		switch (it->type) {
		case ITEM_BOOL:
		case ITEM_CHAR_CONSTANT:
		case ITEM_COMPLEX:
		case ITEM_DOT:
		case ITEM_FIELD:
		case ITEM_IDENTIFIER:
		case ITEM_NUMBER:
		case ITEM_NIL:
		case ITEM_RAW_STRING:
		case ITEM_STRING:
		case ITEM_VARIABLE:
		case ITEM_LEFT_PAREN:
			backup(p);
			pipe_append(p, pipe, command(p));
			break;
		default:
			unexpected(p, it, context);
		}
	}
}

static struct tnode *new_list(struct parser *p, uint32_t pos)
{
	return new_node(p, N_LIST, pos);
}

static struct tnode *if_control(struct parser *p);

static struct tnode *parse_control(struct parser *p, bool allow_else_if, const char *context,
				   enum node_type type)
{
	size_t nvars = p->nvars;
	struct tnode *pipe, *list, *else_list = NULL, *nx, *n;
	bool is_range = type == N_RANGE;

	enter(p);
	pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
	if (is_range)
		p->range_depth++;
	list = item_list(p, &nx);
	if (is_range)
		p->range_depth--;
	if (nx->type == N_ELSE) {
		if (allow_else_if && peek(p)->type == ITEM_IF) {
			next(p);
			else_list = new_list(p, nx->pos);
			list_append(p, else_list, if_control(p));
		} else {
			else_list = item_list(p, &nx);
			if (nx->type != N_END) {
				struct strbuf sb = STRBUF_INIT;

				tnode_string(&sb, nx);
				perrorf(p, "expected end; found %s", pcopy(p, &sb));
			}
		}
	}
	p->nvars = nvars;
	p->depth--;
	n = new_node(p, type, pipe->pos);
	n->branch.pipe = pipe;
	n->branch.list = list;
	n->branch.else_list = else_list;
	return n;
}

static struct tnode *if_control(struct parser *p)
{
	return parse_control(p, true, "if", N_IF);
}

static bool is_empty_tree(const struct tnode *n)
{
	size_t i;

	if (!n)
		return true;
	switch (n->type) {
	case N_COMMENT:
		return true;
	case N_LIST:
		for (i = 0; i < n->list.n; i++)
			if (!is_empty_tree(n->list.items[i]))
				return false;
		return true;
	case N_TEXT:
		for (i = 0; i < n->text.len; i++) {
			unsigned char ch = (unsigned char)n->text.text[i];

			/* bytes.TrimSpace: ASCII space plus U+0085 and U+00A0 */
			if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' ||
			    ch == '\r')
				continue;
			if (ch == 0xC2 && i + 1 < n->text.len &&
			    ((unsigned char)n->text.text[i + 1] == 0x85 ||
			     (unsigned char)n->text.text[i + 1] == 0xA0)) {
				i++;
				continue;
			}
			return false;
		}
		return true;
	default:
		return false;
	}
}

/* Tree.add: registers a tree of this Parse call. */
static void add_tree(struct parser *p, const char *name, struct tnode *root)
{
	size_t i;

	for (i = 0; i < p->ntrees; i++) {
		if (strcmp(p->trees[i].name, name) == 0) {
			if (is_empty_tree(p->trees[i].root)) {
				p->trees[i].root = root;
				return;
			}
			if (!is_empty_tree(root))
				perrorf(p, "template: multiple definition of template \"%s\"", name);
			return;
		}
	}
	p->trees = grow(p, p->trees, p->ntrees, &p->atrees, sizeof(*p->trees));
	p->trees[p->ntrees].name = name;
	p->trees[p->ntrees].root = root;
	p->ntrees++;
}

static const char *template_name(struct parser *p, const struct item *it, const char *context)
{
	size_t len;
	const char *v = item_val(p, it, &len);
	char *s;
	size_t slen;
	int r;

	if (it->type != ITEM_STRING && it->type != ITEM_RAW_STRING)
		unexpected(p, it, context);
	r = go_unquote(p->c, v, len, &s, &slen);
	if (r == ERR_TOOBIG)
		fail_code(p, r);
	if (r)
		perrorf(p, "invalid syntax");
	return s;
}

/* State of one tree (define or block body): fresh variables and range depth. */
struct tree_state {
	const char **vars;
	size_t nvars, avars;
	int action_line, range_depth;
};

static void tree_begin(struct parser *p, struct tree_state *save)
{
	save->vars = p->vars;
	save->nvars = p->nvars;
	save->avars = p->avars;
	save->action_line = p->action_line;
	save->range_depth = p->range_depth;
	p->vars = NULL;
	p->nvars = p->avars = 0;
	push_var(p, "$");
	p->action_line = 0;
	p->range_depth = 0;
}

static void tree_end(struct parser *p, struct tree_state *save)
{
	p->vars = save->vars;
	p->nvars = save->nvars;
	p->avars = save->avars;
	p->action_line = save->action_line;
	p->range_depth = save->range_depth;
}

static struct tnode *block_control(struct parser *p)
{
	const char *context = "block clause";
	const struct item *tok = next_non_space(p);
	const char *name = template_name(p, tok, context);
	struct tnode *pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
	struct tnode *root, *end, *n;
	struct tree_state save;

	enter(p);
	tree_begin(p, &save);
	root = item_list(p, &end);
	tree_end(p, &save);
	p->depth--;
	if (end->type != N_END) {
		struct strbuf sb = STRBUF_INIT;

		tnode_string(&sb, end);
		perrorf(p, "unexpected %s in %s", pcopy(p, &sb), context);
	}
	add_tree(p, name, root);
	n = new_node(p, N_TEMPLATE, tok->pos);
	n->tmpl.name = name;
	n->tmpl.pipe = pipe;
	return n;
}

static struct tnode *template_control(struct parser *p)
{
	const char *context = "template clause";
	const struct item *tok = next_non_space(p);
	const char *name = template_name(p, tok, context);
	struct tnode *pipe = NULL, *n;

	if (next_non_space(p)->type != ITEM_RIGHT_DELIM) {
		backup(p);
		pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
	}
	n = new_node(p, N_TEMPLATE, tok->pos);
	n->tmpl.name = name;
	n->tmpl.pipe = pipe;
	return n;
}

static struct tnode *action(struct parser *p)
{
	const struct item *it = next_non_space(p);
	struct tnode *n;

	switch (it->type) {
	case ITEM_BLOCK:
		return block_control(p);
	case ITEM_BREAK:
	case ITEM_CONTINUE: {
		const struct item *t2 = next_non_space(p);
		bool brk = it->type == ITEM_BREAK;

		if (t2->type != ITEM_RIGHT_DELIM)
			unexpected(p, t2, brk ? "{{break}}" : "{{continue}}");
		if (p->range_depth == 0)
			perrorf(p, "%s outside {{range}}", brk ? "{{break}}" : "{{continue}}");
		return new_node(p, brk ? N_BREAK : N_CONTINUE, it->pos);
	}
	case ITEM_ELSE: {
		const struct item *pk = peek_non_space(p);

		if (pk->type == ITEM_IF)
			return new_node(p, N_ELSE, pk->pos);
		return new_node(p, N_ELSE, expect(p, ITEM_RIGHT_DELIM, "else")->pos);
	}
	case ITEM_END:
		return new_node(p, N_END, expect(p, ITEM_RIGHT_DELIM, "end")->pos);
	case ITEM_IF:
		return if_control(p);
	case ITEM_RANGE:
		return parse_control(p, false, "range", N_RANGE);
	case ITEM_TEMPLATE:
		return template_control(p);
	case ITEM_WITH:
		return parse_control(p, false, "with", N_WITH);
	default:
		break;
	}
	backup(p);
	it = peek(p);
	n = new_node(p, N_ACTION, it->pos);
	n->action_pipe = pipeline(p, "command", ITEM_RIGHT_DELIM);
	return n;
}

static struct tnode *text_or_action(struct parser *p)
{
	const struct item *it = next_non_space(p);
	struct tnode *n;

	switch (it->type) {
	case ITEM_TEXT:
		n = new_node(p, N_TEXT, it->pos);
		n->text.text = p->tree->text + it->pos;
		n->text.len = it->len;
		return n;
	case ITEM_LEFT_DELIM:
		p->action_line = it->line;
		n = action(p);
		p->action_line = 0;
		return n;
	default:
		unexpected(p, it, "input");
	}
}

static struct tnode *item_list(struct parser *p, struct tnode **next_node)
{
	struct tnode *list = new_list(p, peek_non_space(p)->pos);

	while (peek_non_space(p)->type != ITEM_EOF) {
		struct tnode *n = text_or_action(p);

		if (n->type == N_END || n->type == N_ELSE) {
			*next_node = n;
			return list;
		}
		list_append(p, list, n);
	}
	perrorf(p, "unexpected EOF");
}

static void parse_definition(struct parser *p)
{
	const char *context = "define clause";
	const struct item *it = expect_one_of(p, ITEM_STRING, ITEM_RAW_STRING, context);
	const char *name = template_name(p, it, context);
	struct tnode *root, *end;
	struct tree_state save;

	expect(p, ITEM_RIGHT_DELIM, context);
	tree_begin(p, &save);
	root = item_list(p, &end);
	tree_end(p, &save);
	if (end->type != N_END) {
		struct strbuf sb = STRBUF_INIT;

		tnode_string(&sb, end);
		perrorf(p, "unexpected %s in %s", pcopy(p, &sb), context);
	}
	add_tree(p, name, root);
}

static void parse_top(struct parser *p, const char *name)
{
	struct tnode *root = new_list(p, peek(p)->pos);

	while (peek(p)->type != ITEM_EOF) {
		struct tnode *n;

		if (peek(p)->type == ITEM_LEFT_DELIM) {
			size_t idelim = p->cur;

			next(p);
			if (next_non_space(p)->type == ITEM_DEFINE) {
				parse_definition(p);
				continue;
			}
			p->cur = idelim;
		}
		n = text_or_action(p);
		if (n->type == N_END || n->type == N_ELSE)
			perrorf(p, "unexpected %s", n->type == N_END ? "{{end}}" : "{{else}}");
		list_append(p, root, n);
	}
	add_tree(p, name, root);
}

/* ---- the set ---- */

static const struct hv_class def_class = { .type = "*template.Template" };
static const struct hv_class func_class = { .type = "func" };
static const struct hv_class builtin_class = { .type = "func" };

struct tdef *tmpl_lookup(const struct tmpl_set *s, const char *name)
{
	for (; s; s = s->parent) {
		struct hv *v = hv_map_get(s->defs, name, strlen(name));

		if (v)
			return v->obj.self;
	}
	return NULL;
}

const struct hfunc *tmpl_find_func(const struct tmpl_set *s, const char *name, bool *builtin)
{
	struct hv *v = hv_map_get(s->funcs, name, strlen(name));

	*builtin = v && v->obj.cls == &builtin_class;
	return v ? v->obj.self : NULL;
}

static int index_builtins(struct tmpl_set *s)
{
	const struct hfunc *t;

	for (t = tmpl_builtins; t->name; t++) {
		size_t len = strlen(t->name);
		struct hv *v = hv_obj(s->c, &builtin_class, (void *)t);

		if (!v || hv_map_set(s->c, s->funcs, t->name, len, v))
			return ERR_TOOBIG;
	}
	return 0;
}

struct tmpl_set *tmpl_set_new(struct helm_ctx *c, const char *name)
{
	struct tmpl_set *s = xcalloc(1, sizeof(*s));

	s->c = c;
	s->name = hctx_strndup(c, name, strlen(name));
	s->defs = hv_map_new(c, NULL);
	s->funcs = hv_map_new(c, NULL);
	s->include_count = hv_map_new(c, NULL);
	s->mk = TMPL_MISSINGKEY_DEFAULT;
	if (!s->name || !s->defs || !s->funcs || !s->include_count ||
	    index_builtins(s)) {
		free(s);
		return NULL;
	}
	c->engine = s;
	return s;
}

void tmpl_set_free(struct tmpl_set *s)
{
	if (!s)
		return;
	if (s->c && s->c->engine == s)
		s->c->engine = NULL;
	free(s->tables);
	free(s);
}

int tmpl_set_add_funcs(struct tmpl_set *s, const struct hfunc *table)
{
	s->tables = xrealloc(s->tables, (s->ntables + 1) * sizeof(*s->tables));
	s->tables[s->ntables++] = table;
	/* User functions win over builtins, and earlier tables over later ones. */
	{
		const struct hfunc *t;

		for (t = table; t->name; t++) {
			size_t len = strlen(t->name);
			struct hv *old = hv_map_get(s->funcs, t->name, len);
			size_t k;
			bool earlier = false;

			if (old) {
				for (k = 0; k + 1 < s->ntables; k++) {
					const struct hfunc *e;

					for (e = s->tables[k]; e->name; e++)
						if (e == old->obj.self)
							earlier = true;
				}
			}
			if (!earlier) {
				struct hv *v = hv_obj(s->c, &func_class, (void *)t);

				if (!v || hv_map_set(s->c, s->funcs, t->name, len, v))
					return ERR_TOOBIG;
			}
		}
	}
	return 0;
}

void tmpl_set_missingkey(struct tmpl_set *s, enum tmpl_missingkey mk)
{
	s->mk = mk;
}

bool tmpl_defined(const struct tmpl_set *s, const char *name)
{
	return tmpl_lookup(s, name) != NULL;
}

/* The part of a parse that errors unwind to; everything it needs is in p. */
static int parse_run(struct parser *p)
{
	if (setjmp(p->jb)) {
		if (p->code == ERR_TOOBIG && !strstr(err_msg(), "limit"))
			err_set(ERR_TOOBIG, "template memory limit exceeded");
		return p->code;
	}
	push_var(p, "$");
	parse_top(p, p->tree->parse_name);
	return 0;
}

int tmpl_parse_into(struct tmpl_set *s, const char *name, const char *text, size_t len)
{
	struct parser p = { 0 };
	struct item *items;
	size_t nitems, i;
	bool builtin;
	int r;

	p.s = s;
	p.c = s->c;
	r = tmpl_lex(s->c, text, len, !tmpl_find_func(s, "break", &builtin),
		     !tmpl_find_func(s, "continue", &builtin), &items, &nitems);
	if (r)
		return r;
	p.items = items;
	p.nitems = nitems;
	p.tree = hctx_alloc(s->c, sizeof(*p.tree));
	if (p.tree)
		p.tree->parse_name = hctx_strndup(s->c, name, strlen(name));
	if (!p.tree || !p.tree->parse_name) {
		free(items);
		return ERR_TOOBIG;
	}
	p.tree->text = text;
	p.tree->len = len;
	r = parse_run(&p);
	free(items);
	if (r)
		return r;
	/* Template.AddParseTree for each tree, keeping a non-empty old one over an empty new one. */
	for (i = 0; i < p.ntrees; i++) {
		const char *tn = p.trees[i].name;
		struct hv *old = hv_map_get(s->defs, tn, strlen(tn));
		struct tdef *d;
		struct hv *v;

		if (old && is_empty_tree(p.trees[i].root) &&
		    ((struct tdef *)old->obj.self)->root)
			continue;
		d = hctx_alloc(s->c, sizeof(*d));
		v = d ? hv_obj(s->c, &def_class, d) : NULL;
		if (!v)
			return ERR_TOOBIG;
		d->name = tn;
		d->root = p.trees[i].root;
		if (hv_map_set(s->c, s->defs, tn, strlen(tn), v))
			return ERR_TOOBIG;
	}
	return 0;
}

int tmpl_parse(struct tmpl_set *s, const char *name, const char *text, size_t len)
{
	return tmpl_parse_into(s, name, text, len);
}

/* ---- node texts and locations for errors ---- */

void tnode_string(struct strbuf *sb, const struct tnode *n)
{
	size_t i;

	switch (n->type) {
	case N_TEXT:
		/* textFormat is "%s" for text nodes in Go 1.19 */
		strbuf_add(sb, n->text.text, n->text.len);
		break;
	case N_COMMENT:
		strbuf_addstr(sb, "{{");
		strbuf_add(sb, n->text.text, n->text.len);
		strbuf_addstr(sb, "}}");
		break;
	case N_LIST:
		for (i = 0; i < n->list.n; i++)
			tnode_string(sb, n->list.items[i]);
		break;
	case N_ACTION:
		strbuf_addstr(sb, "{{");
		tnode_string(sb, n->action_pipe);
		strbuf_addstr(sb, "}}");
		break;
	case N_PIPE:
		if (n->pipe.ndecl) {
			for (i = 0; i < n->pipe.ndecl; i++) {
				if (i)
					strbuf_addstr(sb, ", ");
				tnode_string(sb, n->pipe.decl[i]);
			}
			strbuf_addstr(sb, " := ");
		}
		for (i = 0; i < n->pipe.ncmds; i++) {
			if (i)
				strbuf_addstr(sb, " | ");
			tnode_string(sb, n->pipe.cmds[i]);
		}
		break;
	case N_COMMAND:
		for (i = 0; i < n->list.n; i++) {
			if (i)
				strbuf_addch(sb, ' ');
			if (n->list.items[i]->type == N_PIPE) {
				strbuf_addch(sb, '(');
				tnode_string(sb, n->list.items[i]);
				strbuf_addch(sb, ')');
			} else {
				tnode_string(sb, n->list.items[i]);
			}
		}
		break;
	case N_IDENTIFIER:
		strbuf_addstr(sb, n->ident.name);
		break;
	case N_VARIABLE:
		for (i = 0; i < n->field.nident; i++) {
			if (i)
				strbuf_addch(sb, '.');
			strbuf_addstr(sb, n->field.ident[i]);
		}
		break;
	case N_FIELD:
		for (i = 0; i < n->field.nident; i++) {
			strbuf_addch(sb, '.');
			strbuf_addstr(sb, n->field.ident[i]);
		}
		break;
	case N_CHAIN:
		if (n->field.node->type == N_PIPE) {
			strbuf_addch(sb, '(');
			tnode_string(sb, n->field.node);
			strbuf_addch(sb, ')');
		} else {
			tnode_string(sb, n->field.node);
		}
		for (i = 0; i < n->field.nident; i++) {
			strbuf_addch(sb, '.');
			strbuf_addstr(sb, n->field.ident[i]);
		}
		break;
	case N_DOT:
		strbuf_addch(sb, '.');
		break;
	case N_NIL:
		strbuf_addstr(sb, "nil");
		break;
	case N_BOOL:
		strbuf_addstr(sb, n->b ? "true" : "false");
		break;
	case N_NUMBER:
		strbuf_add(sb, n->num.text, n->num.len);
		break;
	case N_STRING:
		strbuf_add(sb, n->str.quoted, n->str.qlen);
		break;
	case N_IF:
	case N_RANGE:
	case N_WITH:
		strbuf_addstr(sb, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
		tnode_string(sb, n->branch.pipe);
		strbuf_addstr(sb, "}}");
		tnode_string(sb, n->branch.list);
		if (n->branch.else_list) {
			strbuf_addstr(sb, "{{else}}");
			tnode_string(sb, n->branch.else_list);
		}
		strbuf_addstr(sb, "{{end}}");
		break;
	case N_TEMPLATE:
		strbuf_addstr(sb, "{{template ");
		go_quote(sb, n->tmpl.name, strlen(n->tmpl.name), false);
		if (n->tmpl.pipe) {
			strbuf_addch(sb, ' ');
			tnode_string(sb, n->tmpl.pipe);
		}
		strbuf_addstr(sb, "}}");
		break;
	case N_BREAK:
		strbuf_addstr(sb, "{{break}}");
		break;
	case N_CONTINUE:
		strbuf_addstr(sb, "{{continue}}");
		break;
	case N_END:
		strbuf_addstr(sb, "{{end}}");
		break;
	case N_ELSE:
		strbuf_addstr(sb, "{{else}}");
		break;
	}
}

void tnode_location(struct strbuf *sb, const struct tnode *n)
{
	const char *text = n->tree->text;
	size_t pos = n->pos, i, line = 1, col, last_nl = SIZE_MAX;

	for (i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			line++;
			last_nl = i;
		}
	}
	col = last_nl == SIZE_MAX ? pos : pos - (last_nl + 1);
	strbuf_addf(sb, "%s:%zu:%zu", n->tree->parse_name, line, col);
}
