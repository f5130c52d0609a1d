/*
 * tmpl-lex.c - text/template's lexer.
 *
 * Go's lexer is a state machine feeding the parser through a channel; this
 * one runs the same states to completion into an array, which the parser
 * then walks with the same peek/backup moves.  Token boundaries, line
 * numbers, trim markers ("{{- " and " -}}") and error texts follow Go 1.19
 * exactly, because parse errors quote them.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/tmpl-int.h"
#include "render/helm/fmt.h"

#define EOF_RUNE (-1)

struct lexer {
	struct helm_ctx *c;
	const char *in;
	size_t len;
	size_t pos, start;
	size_t lastw;
	bool at_eof;
	int line, start_line;
	int paren_depth;
	bool break_ok, continue_ok;
	struct item *items;
	size_t n, alloc;
	bool failed; /* an allocation limit was hit */
};

enum lstate {
	S_DONE,
	S_TEXT,
	S_LEFT_DELIM,
	S_INSIDE_ACTION,
	S_COMMENT,
	S_RIGHT_DELIM,
	S_SPACE,
	S_IDENTIFIER,
	S_CHAR,
	S_NUMBER,
	S_QUOTE,
	S_RAW_QUOTE,
};

static void push(struct lexer *l, enum item_type t, size_t pos, size_t len, int line,
		 const char *msg)
{
	if (l->n == l->alloc) {
		/* The items live only while parsing: plain heap, no zeroing. */
		size_t na = l->alloc ? l->alloc * 2 : 256;

		l->items = xrealloc(l->items, na * sizeof(*l->items));
		l->alloc = na;
	}
	l->items[l->n].type = t;
	l->items[l->n].pos = (uint32_t)pos;
	l->items[l->n].len = (uint32_t)len;
	l->items[l->n].line = line;
	l->items[l->n].msg = msg;
	l->n++;
}

static int32_t next(struct lexer *l)
{
	int32_t r;

	if (l->pos >= l->len) {
		l->at_eof = true;
		l->lastw = 0;
		return EOF_RUNE;
	}
	if ((unsigned char)l->in[l->pos] < 0x80) {
		r = (unsigned char)l->in[l->pos];
		l->lastw = 1;
	} else {
		l->lastw = go_utf8_decode(l->in + l->pos, l->len - l->pos, &r);
	}
	l->pos += l->lastw;
	if (r == '\n')
		l->line++;
	return r;
}

static void backup(struct lexer *l)
{
	if (!l->at_eof && l->pos > 0) {
		l->pos -= l->lastw;
		if (l->in[l->pos] == '\n')
			l->line--;
	}
}

static int32_t peek(struct lexer *l)
{
	int32_t r = next(l);

	backup(l);
	return r;
}

static size_t count_nl(const char *s, size_t n)
{
	size_t k = 0;
	const char *p = s, *end = s + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

static void emit(struct lexer *l, enum item_type t)
{
	push(l, t, l->start, l->pos - l->start, l->start_line, NULL);
	l->start = l->pos;
	l->start_line = l->line;
}

static void ignore(struct lexer *l)
{
	l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
	l->start = l->pos;
	l->start_line = l->line;
}

static int errorf(struct lexer *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int errorf(struct lexer *l, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	push(l, ITEM_ERROR, l->start, 0, l->start_line, hctx_strndup(l->c, sb.buf, sb.len));
	strbuf_release(&sb);
	return S_DONE;
}

/* Go's %#U of a rune, for lexer errors. */
static const char *fmt_U(struct lexer *l, int32_t r)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;

	strbuf_addf(&sb, "U+%04X", (unsigned)r);
	if (r >= 0 && go_isprint(r)) {
		char tmp[4];

		strbuf_addstr(&sb, " '");
		strbuf_add(&sb, tmp, go_utf8_encode(tmp, r));
		strbuf_addch(&sb, '\'');
	}
	s = hctx_strndup(l->c, sb.buf, sb.len);
	strbuf_release(&sb);
	return s ? s : "";
}

static bool is_space(int32_t r)
{
	return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

#include "render/helm/isprint.h"

static bool is_alnum(int32_t r)
{
	size_t lo = 0, hi = ARRAY_SIZE(go_isalnum_ranges);

	if (r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
		return true;
	if (r < 0x80)
		return false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if ((uint32_t)r < go_isalnum_ranges[mid][0])
			hi = mid;
		else if ((uint32_t)r > go_isalnum_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool has_prefix(struct lexer *l, size_t at, const char *p)
{
	size_t n = strlen(p);

	return at <= l->len && l->len - at >= n && memcmp(l->in + at, p, n) == 0;
}

static bool has_left_trim(struct lexer *l, size_t at)
{
	return at + 2 <= l->len && l->in[at] == '-' && is_space((unsigned char)l->in[at + 1]);
}

static bool has_right_trim(struct lexer *l, size_t at)
{
	return at + 2 <= l->len && is_space((unsigned char)l->in[at]) && l->in[at + 1] == '-';
}

static size_t right_trim_len(const char *s, size_t n)
{
	size_t k = n;

	while (k > 0 && is_space((unsigned char)s[k - 1]))
		k--;
	return n - k;
}

static size_t left_trim_len(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && is_space((unsigned char)s[k]))
		k++;
	return k;
}

static int lex_text(struct lexer *l);
static int lex_left_delim(struct lexer *l);
static int lex_inside_action(struct lexer *l);

static int lex_text(struct lexer *l)
{
	const char *x = l->pos < l->len ? memmem(l->in + l->pos, l->len - l->pos, "{{", 2) : NULL;

	if (x) {
		size_t trim = 0;

		l->pos = (size_t)(x - l->in);
		if (has_left_trim(l, l->pos + 2))
			trim = right_trim_len(l->in + l->start, l->pos - l->start);
		l->pos -= trim;
		if (l->pos > l->start) {
			l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
			emit(l, ITEM_TEXT);
		}
		l->pos += trim;
		ignore(l);
		return S_LEFT_DELIM;
	}
	l->pos = l->len;
	if (l->pos > l->start) {
		l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
		emit(l, ITEM_TEXT);
	}
	emit(l, ITEM_EOF);
	return S_DONE;
}

/* atRightDelim: whether " -}}" or "}}" is at pos. */
static bool at_right_delim(struct lexer *l, bool *trim)
{
	if (has_right_trim(l, l->pos) && has_prefix(l, l->pos + 2, "}}")) {
		*trim = true;
		return true;
	}
	*trim = false;
	return has_prefix(l, l->pos, "}}");
}

static int lex_comment(struct lexer *l)
{
	const char *e;
	bool trim;

	l->pos += 2;
	e = l->pos <= l->len ? memmem(l->in + l->pos, l->len - l->pos, "*/", 2) : NULL;
	if (!e)
		return errorf(l, "unclosed comment");
	l->pos = (size_t)(e - l->in) + 2;
	if (!at_right_delim(l, &trim))
		return errorf(l, "comment ends before closing delimiter");
	if (trim)
		l->pos += 2;
	l->pos += 2;
	if (trim)
		l->pos += left_trim_len(l->in + l->pos, l->len - l->pos);
	ignore(l);
	return S_TEXT;
}

static int lex_left_delim(struct lexer *l)
{
	bool trim;
	size_t after = 0;

	l->pos += 2;
	trim = has_left_trim(l, l->pos);
	if (trim)
		after = 2;
	if (has_prefix(l, l->pos + after, "/*")) {
		l->pos += after;
		ignore(l);
		return S_COMMENT;
	}
	emit(l, ITEM_LEFT_DELIM);
	l->pos += after;
	ignore(l);
	l->paren_depth = 0;
	return S_INSIDE_ACTION;
}

static int lex_right_delim(struct lexer *l)
{
	bool trim = has_right_trim(l, l->pos);

	if (trim) {
		l->pos += 2;
		ignore(l);
	}
	l->pos += 2;
	emit(l, ITEM_RIGHT_DELIM);
	if (trim) {
		l->pos += left_trim_len(l->in + l->pos, l->len - l->pos);
		ignore(l);
	}
	return S_TEXT;
}

static int lex_space(struct lexer *l)
{
	int spaces = 0;

	while (is_space(peek(l))) {
		next(l);
		spaces++;
	}
	/* Be careful about a trim-marked closing delimiter, which starts with a space. */
	if (has_right_trim(l, l->pos - 1) && has_prefix(l, l->pos - 1 + 2, "}}")) {
		backup(l);
		if (spaces == 1)
			return S_RIGHT_DELIM;
	}
	emit(l, ITEM_SPACE);
	return S_INSIDE_ACTION;
}

static bool at_terminator(struct lexer *l)
{
	int32_t r = peek(l);

	if (is_space(r))
		return true;
	switch (r) {
	case EOF_RUNE:
	case '.':
	case ',':
	case '|':
	case ':':
	case ')':
	case '(':
		return true;
	}
	return has_prefix(l, l->pos, "}}");
}

static const struct {
	const char *word;
	enum item_type type;
} keywords[] = {
	{ "block", ITEM_BLOCK },   { "break", ITEM_BREAK }, { "continue", ITEM_CONTINUE },
	{ "define", ITEM_DEFINE }, { "else", ITEM_ELSE },   { "end", ITEM_END },
	{ "if", ITEM_IF },         { "range", ITEM_RANGE }, { "nil", ITEM_NIL },
	{ "template", ITEM_TEMPLATE }, { "with", ITEM_WITH },
};

static int lex_identifier(struct lexer *l)
{
	for (;;) {
		int32_t r = next(l);
		const char *word;
		size_t wlen, k;

		if (is_alnum(r))
			continue;
		backup(l);
		word = l->in + l->start;
		wlen = l->pos - l->start;
		if (!at_terminator(l))
			return errorf(l, "bad character %s", fmt_U(l, r));
		for (k = 0; k < ARRAY_SIZE(keywords); k++) {
			if (strlen(keywords[k].word) == wlen && memcmp(keywords[k].word, word, wlen) == 0) {
				enum item_type t = keywords[k].type;

				if ((t == ITEM_BREAK && !l->break_ok) ||
				    (t == ITEM_CONTINUE && !l->continue_ok))
					t = ITEM_IDENTIFIER;
				emit(l, t);
				return S_INSIDE_ACTION;
			}
		}
		if ((wlen == 4 && memcmp(word, "true", 4) == 0) ||
		    (wlen == 5 && memcmp(word, "false", 5) == 0))
			emit(l, ITEM_BOOL);
		else
			emit(l, ITEM_IDENTIFIER);
		return S_INSIDE_ACTION;
	}
}

static int lex_field_or_variable(struct lexer *l, enum item_type t)
{
	int32_t r;

	if (at_terminator(l)) {
		emit(l, t == ITEM_VARIABLE ? ITEM_VARIABLE : ITEM_DOT);
		return S_INSIDE_ACTION;
	}
	for (;;) {
		r = next(l);
		if (!is_alnum(r)) {
			backup(l);
			break;
		}
	}
	if (!at_terminator(l))
		return errorf(l, "bad character %s", fmt_U(l, r));
	emit(l, t);
	return S_INSIDE_ACTION;
}

static int lex_char(struct lexer *l)
{
	for (;;) {
		int32_t r = next(l);

		if (r == '\\') {
			r = next(l);
			if (r != EOF_RUNE && r != '\n')
				continue;
		}
		if (r == EOF_RUNE || r == '\n')
			return errorf(l, "unterminated character constant");
		if (r == '\'')
			break;
	}
	emit(l, ITEM_CHAR_CONSTANT);
	return S_INSIDE_ACTION;
}

static bool accept(struct lexer *l, const char *valid)
{
	int32_t r = next(l);

	if (r != EOF_RUNE && r > 0 && r < 0x80 && strchr(valid, (int)r))
		return true;
	backup(l);
	return false;
}

static void accept_run(struct lexer *l, const char *valid)
{
	for (;;) {
		int32_t r = next(l);

		if (r == EOF_RUNE || r <= 0 || r >= 0x80 || !strchr(valid, (int)r))
			break;
	}
	backup(l);
}

static bool scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";

	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (is_alnum(peek(l))) {
		next(l);
		return false;
	}
	return true;
}

static const char *quote_input(struct lexer *l)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;

	go_quote(&sb, l->in + l->start, l->pos - l->start, false);
	s = hctx_strndup(l->c, sb.buf, sb.len);
	strbuf_release(&sb);
	return s ? s : "";
}

static int lex_number(struct lexer *l)
{
	int32_t sign;

	if (!scan_number(l))
		return errorf(l, "bad number syntax: %s", quote_input(l));
	sign = peek(l);
	if (sign == '+' || sign == '-') {
		if (!scan_number(l) || l->in[l->pos - 1] != 'i')
			return errorf(l, "bad number syntax: %s", quote_input(l));
		emit(l, ITEM_COMPLEX);
	} else {
		emit(l, ITEM_NUMBER);
	}
	return S_INSIDE_ACTION;
}

static int lex_quote(struct lexer *l)
{
	for (;;) {
		int32_t r = next(l);

		if (r == '\\') {
			r = next(l);
			if (r != EOF_RUNE && r != '\n')
				continue;
		}
		if (r == EOF_RUNE || r == '\n')
			return errorf(l, "unterminated quoted string");
		if (r == '"')
			break;
	}
	emit(l, ITEM_STRING);
	return S_INSIDE_ACTION;
}

static int lex_raw_quote(struct lexer *l)
{
	for (;;) {
		int32_t r = next(l);

		if (r == EOF_RUNE)
			return errorf(l, "unterminated raw quoted string");
		if (r == '`')
			break;
	}
	emit(l, ITEM_RAW_STRING);
	return S_INSIDE_ACTION;
}

static int lex_inside_action(struct lexer *l)
{
	bool trim;
	int32_t r;

	if (at_right_delim(l, &trim)) {
		if (l->paren_depth == 0)
			return S_RIGHT_DELIM;
		return errorf(l, "unclosed left paren");
	}
	r = next(l);
	if (r == EOF_RUNE)
		return errorf(l, "unclosed action");
	if (is_space(r)) {
		backup(l);
		return S_SPACE;
	}
	switch (r) {
	case '=':
		emit(l, ITEM_ASSIGN);
		return S_INSIDE_ACTION;
	case ':':
		if (next(l) != '=')
			return errorf(l, "expected :=");
		emit(l, ITEM_DECLARE);
		return S_INSIDE_ACTION;
	case '|':
		emit(l, ITEM_PIPE);
		return S_INSIDE_ACTION;
	case '"':
		return S_QUOTE;
	case '`':
		return S_RAW_QUOTE;
	case '$':
		if (at_terminator(l)) {
			emit(l, ITEM_VARIABLE);
			return S_INSIDE_ACTION;
		}
		return lex_field_or_variable(l, ITEM_VARIABLE);
	case '\'':
		return S_CHAR;
	case '.':
		if (l->pos < l->len) {
			char d = l->in[l->pos];

			if (d < '0' || d > '9')
				return lex_field_or_variable(l, ITEM_FIELD);
		}
		backup(l);
		return S_NUMBER;
	case '(':
		emit(l, ITEM_LEFT_PAREN);
		l->paren_depth++;
		return S_INSIDE_ACTION;
	case ')':
		emit(l, ITEM_RIGHT_PAREN);
		l->paren_depth--;
		if (l->paren_depth < 0)
			return errorf(l, "unexpected right paren %s", fmt_U(l, r));
		return S_INSIDE_ACTION;
	}
	if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
		backup(l);
		return S_NUMBER;
	}
	if (is_alnum(r)) {
		backup(l);
		return S_IDENTIFIER;
	}
	if (r < 0x80 && r >= 0x20 && r < 0x7F) {
		emit(l, ITEM_CHAR);
		return S_INSIDE_ACTION;
	}
	return errorf(l, "unrecognized character in action: %s", fmt_U(l, r));
}

int tmpl_lex(struct helm_ctx *c, const char *text, size_t len, bool break_ok,
	     bool continue_ok, struct item **items, size_t *n)
{
	struct lexer l = { 0 };
	int state = S_TEXT;

	if (len > UINT32_MAX)
		return err_set(ERR_TOOBIG, "template text of %zu bytes is too large", len);
	l.c = c;
	l.in = text;
	l.len = len;
	l.line = l.start_line = 1;
	l.break_ok = break_ok;
	l.continue_ok = continue_ok;
	while (state != S_DONE && !l.failed) {
		switch (state) {
		case S_TEXT: state = lex_text(&l); break;
		case S_LEFT_DELIM: state = lex_left_delim(&l); break;
		case S_INSIDE_ACTION: state = lex_inside_action(&l); break;
		case S_COMMENT: state = lex_comment(&l); break;
		case S_RIGHT_DELIM: state = lex_right_delim(&l); break;
		case S_SPACE: state = lex_space(&l); break;
		case S_IDENTIFIER: state = lex_identifier(&l); break;
		case S_CHAR: state = lex_char(&l); break;
		case S_NUMBER: state = lex_number(&l); break;
		case S_QUOTE: state = lex_quote(&l); break;
		case S_RAW_QUOTE: state = lex_raw_quote(&l); break;
		default: state = S_DONE;
		}
	}
	if (l.failed) {
		free(l.items);
		return ERR_TOOBIG;
	}
	*items = l.items;
	*n = l.n;
	return 0;
}
