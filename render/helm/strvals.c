/*
 * strvals.c - Helm's --set parser (see strvals.h).
 *
 * The structure follows pkg/strvals' recursive descent (key, list item,
 * value list) because its behaviour at every branch is observable: what
 * is set before an error, which errors wrap io.EOF (and so end the line
 * silently), and which type assertions panic (reported as "unable to
 * parse key: interface conversion: ...").  Input is made valid UTF-8
 * first, as Go's rune reader sees it, so working on bytes is exact.
 */
#include "core/compat.h"
#include "render/helm/strvals.h"
#include "render/helm/fmt.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"

#define MAX_INDEX 65536
#define MAX_NESTED 30

/* A non-error end of input: Go's io.EOF, possibly wrapped, which parse() treats as success. */
#define SV_EOF 1

struct sv {
	struct helm_ctx *c;
	const char *s;
	size_t len, pos;
	enum strvals_mode mode;
	strvals_reader reader;
	void *arg;
};

static int key(struct sv *p, struct hv *data, int level);

static bool at_eof(const struct sv *p)
{
	return p->pos >= p->len;
}

/*
 * runesUntil: reads up to one of `stops` (consumed, returned in *last) or
 * the end (SV_EOF); a backslash takes the next character literally
 * (literal mode has no escapes).
 */
static int runes_until(struct sv *p, const char *stops, struct strbuf *out, int *last)
{
	strbuf_reset(out);
	*last = 0;
	while (!at_eof(p)) {
		char ch = p->s[p->pos++];

		if (strchr(stops, ch) && ch) {
			*last = (unsigned char)ch;
			return 0;
		}
		if (ch == '\\' && p->mode != STRVALS_LITERAL) {
			if (at_eof(p))
				return SV_EOF;
			ch = p->s[p->pos++];
		}
		strbuf_addch(out, ch);
	}
	return SV_EOF;
}

static int quoted(struct strbuf *sb, const char *s, size_t n)
{
	return go_quote(sb, s, n, false);
}

static int fail_q(const char *fmt_pre, const char *s, size_t n, const char *fmt_post)
{
	struct strbuf q = STRBUF_INIT;
	int r;

	quoted(&q, s, n);
	r = err_set(ERR_INVALID, "%s%s%s", fmt_pre, q.buf, fmt_post);
	strbuf_release(&q);
	return r;
}

/* The Go panic of a failed type assertion, as the deferred recover reports it. */
static int conv_panic(const struct hv *v, const char *want)
{
	return err_set(ERR_INVALID, "unable to parse key: interface conversion: interface {} is %s, not %s",
		       v->kind == HV_NIL ? "nil" : v->type, want);
}

/* strconv.ParseInt(s, 10, 64); false when it does not parse. */
static bool parse_int10(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	bool neg = false;
	size_t i = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool eq_fold(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return false;
	for (i = 0; i < n; i++) {
		char a = s[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != w[i])
			return false;
	}
	return true;
}

/* typedVal / the string converter / the file reader. */
static int convert(struct sv *p, const struct strbuf *v, struct hv **out)
{
	int64_t i;

	if (p->mode == STRVALS_FILE)
		return p->reader(p->arg, p->c, v->buf, out);
	if (p->mode == STRVALS_TYPED) {
		if (eq_fold(v->buf, v->len, "true")) {
			*out = hv_bool(true);
			return 0;
		}
		if (eq_fold(v->buf, v->len, "false")) {
			*out = hv_bool(false);
			return 0;
		}
		if (eq_fold(v->buf, v->len, "null")) {
			*out = hv_nil();
			return 0;
		}
		if ((v->len == 1 && v->buf[0] == '0') ||
		    (v->len && v->buf[0] != '0' && parse_int10(v->buf, v->len, &i))) {
			*out = hv_int_t(p->c, v->len == 1 && v->buf[0] == '0' ? 0 : i, HV_T_INT64);
			return *out ? 0 : ERR_TOOBIG;
		}
	}
	*out = hv_str(p->c, v->buf, v->len);
	return *out ? 0 : ERR_TOOBIG;
}

static int set(struct sv *p, struct hv *data, const struct strbuf *k, struct hv *val)
{
	if (!k->len)
		return 0;
	return hv_map_set(p->c, data, k->buf, k->len, val);
}

/* strconv.Atoi of an index, with Go's error text wrapped as Helm wraps it. */
static int key_index(struct sv *p, int64_t *out)
{
	struct strbuf v = STRBUF_INIT;
	struct strbuf q = STRBUF_INIT;
	int last, r = runes_until(p, "]", &v, &last);

	if (r) {
		strbuf_release(&v);
		return SV_EOF; /* "error parsing index: EOF" wraps io.EOF */
	}
	if (!parse_int10(v.buf, v.len, out)) {
		bool digits = v.len > 0;
		size_t i;

		for (i = (v.len && (v.buf[0] == '+' || v.buf[0] == '-')); i < v.len; i++)
			if (v.buf[i] < '0' || v.buf[i] > '9')
				digits = false;
		if (v.len == 1 && (v.buf[0] == '+' || v.buf[0] == '-'))
			digits = false;
		quoted(&q, v.buf, v.len);
		r = err_set(ERR_INVALID, "error parsing index: strconv.Atoi: parsing %s: %s", q.buf,
			    digits ? "value out of range" : "invalid syntax");
	}
	strbuf_release(&v);
	strbuf_release(&q);
	return r;
}

/* setIndex: a list with `val` at `index`, grown with nils (a copy when it grows). */
static int set_index(struct sv *p, struct hv **list, int64_t index, struct hv *val)
{
	struct hv *l = *list;

	if (index < 0)
		return err_set(ERR_INVALID, "negative %lld index not allowed", (long long)index);
	if (index > MAX_INDEX)
		return err_set(ERR_INVALID,
			       "index of %lld is greater than maximum supported index of %d",
			       (long long)index, MAX_INDEX);
	if (!l || l->list->n <= (size_t)index) {
		struct hv *nl = hv_list_new(p->c, HV_T_LIST, (size_t)index + 1);
		size_t i;

		if (!nl)
			return ERR_TOOBIG;
		for (i = 0; i <= (size_t)index; i++)
			if (hv_list_push(p->c, nl, l && i < l->list->n ? l->list->items[i] : hv_nil()))
				return ERR_TOOBIG;
		l = nl;
	}
	l->list->items[index] = val;
	*list = l;
	return 0;
}

/* emptyVal: skips blanks; true at the end or after a comma (consumed). */
static bool empty_val(struct sv *p)
{
	while (!at_eof(p)) {
		char ch = p->s[p->pos];

		if (ch == ',') {
			p->pos++;
			return true;
		}
		if (!(ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
		      ch == '\f'))
			return false;
		p->pos++;
	}
	return true;
}

/* Length of the first JSON value at s (after blanks), as json.Decoder consumes it. */
static size_t json_extent(const char *s, size_t n)
{
	size_t i = 0, depth = 0;
	bool instr = false;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i < n && s[i] != '{' && s[i] != '[' && s[i] != '"') {
		/* A literal or a number: up to the next delimiter. */
		while (i < n && !strchr(",]} \t\r\n:{[\"", s[i]))
			i++;
		return i;
	}
	for (; i < n; i++) {
		char ch = s[i];

		if (instr) {
			if (ch == '\\')
				i++;
			else if (ch == '"') {
				instr = false;
				if (!depth)
					return i + 1;
			}
			continue;
		}
		if (ch == '"')
			instr = true;
		else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && depth && !--depth)
			return i + 1;
	}
	return n;
}

static int json_value(struct sv *p, struct hv **out)
{
	size_t ext = json_extent(p->s + p->pos, p->len - p->pos);
	int r;

	if (!ext) {
		if (at_eof(p))
			return SV_EOF;
		return err_set(ERR_INVALID, "invalid character '%c' looking for beginning of value",
			       p->s[p->pos]);
	}
	r = helm_json_parse(p->c, out, p->s + p->pos, ext, HELM_INTO_ANY);
	if (r)
		return r;
	p->pos += ext;
	empty_val(p);
	return 0;
}

/* valList: a {a,b} list; ERR_NOTLIST (2) when the value does not start with '{'. */
#define SV_NOTLIST 2
static int val_list(struct sv *p, struct hv **out)
{
	struct strbuf rs = STRBUF_INIT;
	struct hv *list, *v;
	int last, r;

	if (at_eof(p))
		return SV_EOF;
	if (p->s[p->pos] != '{')
		return SV_NOTLIST;
	p->pos++;
	list = hv_list_new(p->c, HV_T_LIST, 4);
	if (!list)
		return ERR_TOOBIG;
	for (;;) {
		r = runes_until(p, ",}", &rs, &last);
		if (r) {
			r = err_set(ERR_INVALID, "list must terminate with '}'");
			break;
		}
		r = convert(p, &rs, &v);
		if (r)
			break;
		if (hv_list_push(p->c, list, v)) {
			r = ERR_TOOBIG;
			break;
		}
		if (last == '}') {
			if (!at_eof(p) && p->s[p->pos] == ',')
				p->pos++;
			break;
		}
	}
	strbuf_release(&rs);
	*out = list;
	return r;
}

/* The value after '=': a list, or a scalar up to ',' (literal: the rest of the line). */
static int value(struct sv *p, struct hv **out)
{
	struct strbuf rs = STRBUF_INIT;
	int last, r;

	if (p->mode == STRVALS_LITERAL) {
		*out = hv_str(p->c, p->s + p->pos, p->len - p->pos);
		p->pos = p->len;
		return *out ? 0 : ERR_TOOBIG;
	}
	r = val_list(p, out);
	if (r == SV_EOF) {
		*out = hv_str(p->c, "", 0);
		return SV_EOF;
	}
	if (r != SV_NOTLIST)
		return r;
	runes_until(p, ",", &rs, &last);
	r = convert(p, &rs, out);
	strbuf_release(&rs);
	return r;
}

static int list_item(struct sv *p, struct hv **list, int64_t i, int level)
{
	struct strbuf k = STRBUF_INIT;
	int last, r;

	if (i < 0)
		return err_set(ERR_INVALID, "negative %lld index not allowed", (long long)i);
	r = runes_until(p, "[.=", &k, &last);
	if (k.len) {
		r = fail_q("unexpected data at end of array index: ", k.buf, k.len, "");
		goto out;
	}
	if (r)
		goto out;
	if (last == '=') {
		struct hv *v;

		if (p->mode == STRVALS_JSON) {
			if (empty_val(p)) {
				r = set_index(p, list, i, hv_nil());
				goto out;
			}
			r = json_value(p, &v);
			if (!r)
				r = set_index(p, list, i, v);
			goto out;
		}
		r = value(p, &v);
		if (r == SV_EOF || !r) {
			int s = set_index(p, list, i, v);
			r = s ? s : 0;
		}
		goto out;
	}
	if (last == '[') {
		int64_t next;
		struct hv *cur = NULL;

		r = key_index(p, &next);
		if (r)
			goto out;
		if (*list && (*list)->list->n > (size_t)i) {
			struct hv *ex = (*list)->list->items[i];

			if (ex->kind != HV_NIL) {
				if (ex->kind != HV_LIST || strcmp(ex->type, HV_T_LIST)) {
					r = conv_panic(ex, HV_T_LIST);
					goto out;
				}
				cur = ex;
			}
		}
		r = list_item(p, &cur, next, level);
		if (r)
			goto out;
		r = set_index(p, list, i, cur ? cur : hv_list_new(p->c, HV_T_LIST, 0));
		goto out;
	}
	/* '.': a map inside the list. */
	{
		struct hv *inner = NULL;

		if (*list && (*list)->list->n > (size_t)i) {
			struct hv *ex = (*list)->list->items[i];

			if (ex->kind == HV_MAP && !strcmp(ex->type, HV_T_MAP)) {
				inner = ex;
			} else {
				inner = hv_map_new(p->c, HV_T_MAP);
				if (!inner) {
					r = ERR_TOOBIG;
					goto out;
				}
				(*list)->list->items[i] = inner;
			}
		}
		if (!inner && !(inner = hv_map_new(p->c, HV_T_MAP))) {
			r = ERR_TOOBIG;
			goto out;
		}
		r = key(p, inner, level);
		if (!r)
			r = set_index(p, list, i, inner);
	}
out:
	strbuf_release(&k);
	return r;
}

static int key(struct sv *p, struct hv *data, int level)
{
	struct strbuf k = STRBUF_INIT;
	const char *stops = p->mode == STRVALS_LITERAL ? "=[." : "=[,.";
	int last, r;

	r = runes_until(p, stops, &k, &last);
	if (r) {
		if (k.len)
			r = fail_q("key ", k.buf, k.len, " has no value");
		goto out;
	}
	if (last == '[') {
		int64_t i;
		struct hv *list = NULL, *ex;

		r = key_index(p, &i);
		if (r)
			goto out;
		ex = hv_map_get(data, k.buf, k.len);
		if (ex) {
			if (ex->kind != HV_LIST || strcmp(ex->type, HV_T_LIST)) {
				r = conv_panic(ex, HV_T_LIST);
				goto out;
			}
			list = ex;
		}
		if (!list && !(list = hv_list_new(p->c, HV_T_LIST, 0))) {
			r = ERR_TOOBIG;
			goto out;
		}
		r = list_item(p, &list, i, level);
		if (r <= 0 || r == SV_EOF) {
			int s = set(p, data, &k, list);
			if (s)
				r = s;
		}
		goto out;
	}
	if (last == '=') {
		struct hv *v;

		if (p->mode == STRVALS_JSON) {
			if (empty_val(p)) {
				r = set(p, data, &k, hv_nil());
				goto out;
			}
			r = json_value(p, &v);
			if (!r)
				r = set(p, data, &k, v);
			goto out;
		}
		r = value(p, &v);
		if (!r || r == SV_EOF) {
			int s = set(p, data, &k, v);
			if (s)
				r = s;
		}
		goto out;
	}
	if (last == ',') {
		r = set(p, data, &k, hv_str(p->c, "", 0));
		if (!r)
			r = fail_q("key ", k.buf, k.len, " has no value (cannot end with ,)");
		goto out;
	}
	/* '.': a nested map. */
	{
		struct hv *inner, *ex;

		if (++level > MAX_NESTED) {
			r = err_set(ERR_INVALID,
				    "value name nested level is greater than maximum supported nested level of %d",
				    MAX_NESTED);
			goto out;
		}
		ex = hv_map_get(data, k.buf, k.len);
		if (ex) {
			if (ex->kind != HV_MAP || strcmp(ex->type, HV_T_MAP)) {
				r = conv_panic(ex, HV_T_MAP);
				goto out;
			}
			inner = ex;
		} else if (!(inner = hv_map_new(p->c, HV_T_MAP))) {
			r = ERR_TOOBIG;
			goto out;
		}
		r = key(p, inner, level);
		if (!r && !hv_map_len(inner)) {
			r = fail_q("key map ", k.buf, k.len, " has no value");
			goto out;
		}
		if (hv_map_len(inner)) {
			int s = set(p, data, &k, inner);
			if (s)
				r = s;
		}
	}
out:
	strbuf_release(&k);
	return r;
}

/* Replaces invalid UTF-8 with U+FFFD, as Go's rune reader decodes it. */
static void valid_utf8(struct strbuf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int32_t r;
		size_t w = go_utf8_decode(s + i, n - i, &r);

		if (r == GO_RUNE_ERROR && w == 1)
			strbuf_add(out, "\xef\xbf\xbd", 3);
		else
			strbuf_add(out, s + i, w);
		i += w;
	}
}

int strvals_parse_into(struct helm_ctx *c, struct hv *dest, const char *s, size_t len,
		       enum strvals_mode mode, strvals_reader reader, void *arg)
{
	struct strbuf in = STRBUF_INIT;
	struct sv p;
	int r;

	valid_utf8(&in, s, len);
	p.c = c;
	p.s = in.buf;
	p.len = in.len;
	p.pos = 0;
	p.mode = mode;
	p.reader = reader;
	p.arg = arg;
	do {
		r = key(&p, dest, 0);
	} while (!r);
	strbuf_release(&in);
	return r == SV_EOF ? 0 : r;
}
