/*
 * doc.c - document builders, lookups and scalar resolution.
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/arena.h"
#include "core/err.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>

struct doc_node *doc_new_scalar(struct arena *a, const char *s, size_t len,
				enum doc_style style)
{
	struct doc_node *n = arena_alloc(a, sizeof(*n));

	n->kind = DOC_SCALAR;
	n->style = style;
	n->str = arena_strndup(a, s, len);
	n->len = len;
	n->weight = 1;
	return n;
}

struct doc_node *doc_new_str(struct arena *a, const char *s)
{
	/* Double-quoted style: a string, whatever it looks like. */
	return doc_new_scalar(a, s, strlen(s), DOC_STYLE_DOUBLE);
}

static struct doc_node *new_coll(struct arena *a, enum doc_kind kind)
{
	struct doc_node *n = arena_alloc(a, sizeof(*n));

	n->kind = kind;
	n->weight = 1;
	return n;
}

struct doc_node *doc_new_map(struct arena *a)
{
	return new_coll(a, DOC_MAP);
}

struct doc_node *doc_new_seq(struct arena *a)
{
	return new_coll(a, DOC_SEQ);
}

static void kids_grow(struct arena *a, struct doc_node *n, size_t slots_per,
		      size_t want)
{
	struct doc_node **k;

	if (want <= n->cap)
		return;
	n->cap = n->cap < 4 ? 4 : n->cap * 2;
	if (n->cap < want)
		n->cap = want;
	k = arena_alloc(a, n->cap * slots_per * sizeof(*k));
	if (n->n)
		memcpy(k, n->kids, n->n * slots_per * sizeof(*k));
	n->kids = k;
}

void doc_map_append(struct arena *a, struct doc_node *map, struct doc_node *key,
		    struct doc_node *value)
{
	kids_grow(a, map, 2, map->n + 1);
	map->kids[2 * map->n] = key;
	map->kids[2 * map->n + 1] = value;
	map->n++;
	map->weight += key->weight + value->weight;
}

void doc_seq_append(struct arena *a, struct doc_node *seq, struct doc_node *item)
{
	kids_grow(a, seq, 1, seq->n + 1);
	seq->kids[seq->n++] = item;
	seq->weight += item->weight;
}

struct doc_node *doc_map_get(const struct doc_node *map, const char *key)
{
	size_t i, kl;

	if (!map || map->kind != DOC_MAP)
		return NULL;
	kl = strlen(key);
	for (i = 0; i < map->n; i++) {
		const struct doc_node *k = map->kids[2 * i];
		if (k->kind == DOC_SCALAR && k->len == kl && !memcmp(k->str, key, kl))
			return map->kids[2 * i + 1];
	}
	return NULL;
}

bool doc_is_merge_key(const struct doc_node *k)
{
	if (k->kind != DOC_SCALAR || k->len != 2 || memcmp(k->str, "<<", 2))
		return false;
	if (k->tag && !strcmp(k->tag, "tag:yaml.org,2002:merge"))
		return true;
	return (!k->tag || !strcmp(k->tag, "!")) && k->style == DOC_STYLE_PLAIN;
}

struct pair_list {
	struct doc_node **kv;
	size_t n, alloc;
};

static bool pair_list_has(const struct pair_list *l, const struct doc_node *k)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct doc_node *o = l->kv[2 * i];
		if (o->kind == DOC_SCALAR && k->kind == DOC_SCALAR && o->len == k->len &&
		    !memcmp(o->str, k->str, k->len))
			return true;
	}
	return false;
}

static int collect_pairs(struct pair_list *l, const struct doc_node *map)
{
	const struct doc_node *merge = NULL;
	char where[256];
	size_t i;
	int r;

	for (i = 0; i < map->n; i++) {
		struct doc_node *k = map->kids[2 * i];

		if (doc_is_merge_key(k)) {
			merge = map->kids[2 * i + 1];
			continue;
		}
		if (pair_list_has(l, k))
			continue;
		ALLOC_GROW(l->kv, 2 * (l->n + 1), l->alloc);
		l->kv[2 * l->n] = k;
		l->kv[2 * l->n + 1] = map->kids[2 * i + 1];
		l->n++;
	}
	if (!merge)
		return 0;
	if (merge->kind == DOC_MAP)
		return collect_pairs(l, merge);
	if (merge->kind == DOC_SEQ) {
		for (i = 0; i < merge->n; i++) {
			if (merge->kids[i]->kind != DOC_MAP)
				break;
			r = collect_pairs(l, merge->kids[i]);
			if (r)
				return r;
		}
		if (i == merge->n)
			return 0;
	}
	return err_set(ERR_INVALID,
		       "%s: map merge requires map or sequence of maps as the value",
		       doc_where(merge, where, sizeof(where)));
}

int doc_map_pairs(const struct doc_node *map, struct doc_node ***pairs, size_t *n,
		  bool *owned)
{
	struct pair_list l = { NULL, 0, 0 };
	size_t i;
	int r;

	*pairs = map->kids;
	*n = map->n;
	*owned = false;
	for (i = 0; i < map->n; i++)
		if (doc_is_merge_key(map->kids[2 * i]))
			break;
	if (i == map->n)
		return 0;
	r = collect_pairs(&l, map);
	if (r) {
		free(l.kv);
		*pairs = NULL;
		*n = 0;
		return r;
	}
	*pairs = l.kv;
	*n = l.n;
	*owned = true;
	return 0;
}

const char *doc_str(const struct doc_node *n)
{
	return n && n->kind == DOC_SCALAR ? n->str : NULL;
}

const char *doc_get_str(const struct doc_node *n, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, n);
	while (n && (key = va_arg(ap, const char *)))
		n = doc_map_get(n, key);
	va_end(ap);
	return doc_str(n);
}

const char *doc_where(const struct doc_node *n, char *buf, size_t size)
{
	if (!n || !n->file)
		snprintf(buf, size, "<generated>");
	else
		snprintf(buf, size, "%s:%u:%u", n->file, n->line, n->col);
	return buf;
}

/* --- Go strconv semantics ------------------------------------------------ */

static int digit_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Magnitude of an unsigned number with Go's base-0 prefixes. */
static bool parse_mag(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s += 1;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)digit_val((unsigned char)*s);
		if (d >= base)
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

bool go_parse_uint(const char *s, uint64_t *out)
{
	if (*s == '+' || *s == '-')
		return false;
	return parse_mag(s, out);
}

bool go_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t m;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!parse_mag(s, &m))
		return false;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return false;
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)m;
	}
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	} else {
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/*
 * Go's strconv.ParseFloat accepts more than C's strtod should here (and
 * strtod accepts hex and "nan" in ways that differ); only decimal forms
 * reach this after yaml_style_float or the '.' hint.
 */
static bool parse_float(const char *s, double *out)
{
	char *end;
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		return false;
	errno = 0;
	*out = strtod(s, &end);
	if (*end)
		return false;
	/* Go reports ERANGE for overflow; underflow to zero is fine. */
	if (errno == ERANGE && isinf(*out))
		return false;
	return true;
}

static void remove_underscores(const char *in, char *out, size_t size)
{
	size_t k = 0;

	for (; *in && k + 1 < size; in++)
		if (*in != '_')
			out[k++] = *in;
	out[k] = '\0';
}

static int two_digits_or_one(const char **p, int *v)
{
	const char *s = *p;

	if (!(*s >= '0' && *s <= '9'))
		return -1;
	*v = *s++ - '0';
	if (*s >= '0' && *s <= '9')
		*v = *v * 10 + (*s++ - '0');
	*p = s;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/*
 * The timestamp forms both go-yaml versions accept, as Go's time.Parse reads
 * them: 2006-1-2T15:4:5.999999999Z07:00, the same with 't' or ' ' (no zone),
 * and 2006-1-2.  On success writes the RFC 3339 form Go marshals.
 */
static bool parse_timestamp(const char *s, char *out, size_t size)
{
	const char *p = s;
	int y = 0, mo, d, h = 0, mi = 0, se = 0, i;
	char frac[16] = "";
	int off = 0; /* minutes east of UTC */
	bool has_off = false;

	for (i = 0; i < 4; i++) {
		if (!(p[i] >= '0' && p[i] <= '9'))
			return false;
		y = y * 10 + (p[i] - '0');
	}
	p += 4;
	if (*p++ != '-' || two_digits_or_one(&p, &mo) || *p++ != '-' ||
	    two_digits_or_one(&p, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	if (*p) {
		char sep = *p++;
		if (sep != 'T' && sep != 't' && sep != ' ')
			return false;
		if (two_digits_or_one(&p, &h) || *p++ != ':' ||
		    two_digits_or_one(&p, &mi) || *p++ != ':' ||
		    two_digits_or_one(&p, &se))
			return false;
		if (h > 23 || mi > 59 || se > 59)
			return false;
		if (*p == '.') {
			size_t k = 0;
			p++;
			if (!(*p >= '0' && *p <= '9'))
				return false;
			while (*p >= '0' && *p <= '9') {
				if (k < 9)
					frac[k++] = *p;
				p++;
			}
			frac[k] = '\0';
			while (k && frac[k - 1] == '0')
				frac[--k] = '\0';
		}
		if (sep == ' ') {
			if (*p)
				return false;
		} else if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om, sign = *p++ == '-' ? -1 : 1;
			if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
			      p[2] == ':' && p[3] >= '0' && p[3] <= '9' && p[4] >= '0' &&
			      p[4] <= '9'))
				return false;
			oh = (p[0] - '0') * 10 + (p[1] - '0');
			om = (p[3] - '0') * 10 + (p[4] - '0');
			if (oh > 23 || om > 59)
				return false;
			off = sign * (oh * 60 + om);
			has_off = off != 0;
			p += 5;
		} else {
			return false;
		}
		if (*p)
			return false;
	}
	{
		/* Go's RFC 3339: the offset, or Z for UTC. */
		char zone[8] = "Z";
		int n;

		if (has_off)
			snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+',
				 (abs(off) / 60) % 24, abs(off) % 60);
		n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%s%s", y % 10000,
			     mo % 100, d % 100, h % 100, mi % 100, se % 100,
			     frac[0] ? "." : "", frac, zone);
		if (n < 0 || (size_t)n >= size)
			return false;
	}
	return true;
}

static bool is_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const trues[] = { "true", "True", "TRUE", NULL };
static const char *const falses[] = { "false", "False", "FALSE", NULL };
static const char *const trues11[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL };
static const char *const falses11[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL };
static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
static const char *const ninfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };

/*
 * go-yaml's resolve() for an untagged plain scalar.  `v11` adds YAML 1.1's
 * yes/no/on/off booleans, as go-yaml v2 does.  Returns false for "<<".
 */
static void resolve_plain(const char *s, bool v11, struct doc_value *out)
{
	char plain[128];
	unsigned char c = (unsigned char)s[0];

	memset(out, 0, sizeof(*out));
	out->type = DOC_T_STR;
	if (is_in(s, nulls)) {
		out->type = DOC_T_NULL;
		return;
	}
	if (is_in(s, trues) || (v11 && is_in(s, trues11))) {
		out->type = DOC_T_BOOL;
		out->b = true;
		return;
	}
	if (is_in(s, falses) || (v11 && is_in(s, falses11))) {
		out->type = DOC_T_BOOL;
		return;
	}
	if (is_in(s, infs)) {
		out->type = DOC_T_FLOAT;
		out->f = INFINITY;
		return;
	}
	if (is_in(s, ninfs)) {
		out->type = DOC_T_FLOAT;
		out->f = -INFINITY;
		return;
	}
	if (is_in(s, nans)) {
		out->type = DOC_T_FLOAT;
		out->f = NAN;
		return;
	}
	if (c == '.') {
		if (parse_float(s, &out->f))
			out->type = DOC_T_FLOAT;
		return;
	}
	if (!((c >= '0' && c <= '9') || c == '+' || c == '-'))
		return;
	if (strlen(s) >= sizeof(plain))
		return; /* far too long to be a number or a timestamp */
	if (parse_timestamp(s, out->time, sizeof(out->time))) {
		out->type = DOC_T_TIME;
		return;
	}
	remove_underscores(s, plain, sizeof(plain));
	if (go_parse_int(plain, &out->i)) {
		out->type = DOC_T_INT;
		return;
	}
	if (go_parse_uint(plain, &out->u)) {
		out->type = DOC_T_UINT;
		return;
	}
	if (yaml_style_float(plain) && parse_float(plain, &out->f)) {
		out->type = DOC_T_FLOAT;
		return;
	}
}

bool yaml_v2_plain_is_nonstr(const char *s, size_t len)
{
	struct doc_value v;

	if (strlen(s) != len)
		return false; /* embedded NUL: never a plain scalar anyway */
	/*
	 * "<<" stays plain: go-yaml v2's resolver only looks up scalars whose
	 * first byte hints at a special value, and '<' is not one of them.
	 */
	resolve_plain(s, true, &v);
	if (v.type != DOC_T_STR)
		return true;
	/* go-yaml v2 also quotes YAML 1.1 base-60 floats such as 1:20. */
	{
		const char *p = s;
		bool colon = false;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		p++;
		while ((*p >= '0' && *p <= '9') || *p == '_')
			p++;
		while (*p == ':') {
			p++;
			colon = true;
			if (*p >= '0' && *p <= '5' && p[1] >= '0' && p[1] <= '9')
				p += 2;
			else if (*p >= '0' && *p <= '9')
				p++;
			else
				return false;
		}
		if (!colon)
			return false;
		if (*p == '.') {
			p++;
			while ((*p >= '0' && *p <= '9') || *p == '_')
				p++;
		}
		return *p == '\0';
	}
}

#define YAML_TAG "tag:yaml.org,2002:"

int doc_resolve(const struct doc_node *n, struct doc_value *out)
{
	const char *t = n->tag;
	char where[256];

	/* The non-specific tag "!" is no tag at all to go-yaml v3's parser. */
	if (t && !strcmp(t, "!"))
		t = NULL;
	memset(out, 0, sizeof(*out));
	if (n->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s: expected a scalar",
			       doc_where(n, where, sizeof(where)));
	if (t && !strncmp(t, YAML_TAG, strlen(YAML_TAG))) {
		const char *short_tag = t + strlen(YAML_TAG);
		if (!strcmp(short_tag, "str") || !strcmp(short_tag, "binary")) {
			out->type = DOC_T_STR;
			return 0;
		}
		resolve_plain(n->str, false, out);
		if ((!strcmp(short_tag, "int") &&
		     (out->type == DOC_T_INT || out->type == DOC_T_UINT)) ||
		    (!strcmp(short_tag, "bool") && out->type == DOC_T_BOOL) ||
		    (!strcmp(short_tag, "null") && out->type == DOC_T_NULL) ||
		    (!strcmp(short_tag, "timestamp") && out->type == DOC_T_TIME))
			return 0;
		if (!strcmp(short_tag, "float")) {
			if (out->type == DOC_T_INT) {
				out->f = (double)out->i;
				out->type = DOC_T_FLOAT;
			} else if (out->type == DOC_T_UINT) {
				out->f = (double)out->u;
				out->type = DOC_T_FLOAT;
			}
			if (out->type == DOC_T_FLOAT)
				return 0;
		}
		if (!strcmp(short_tag, "map") || !strcmp(short_tag, "seq") ||
		    !strcmp(short_tag, "merge")) {
			out->type = DOC_T_STR;
			return 0;
		}
		return err_set(ERR_INVALID, "%s: cannot decode \"%s\" as a !!%s",
			       doc_where(n, where, sizeof(where)), n->str, short_tag);
	}
	/* Quoted, block, or "!"/custom-tagged scalars are strings. */
	if (t || n->style != DOC_STYLE_PLAIN) {
		out->type = DOC_T_STR;
		return 0;
	}
	if (strlen(n->str) != n->len) {
		out->type = DOC_T_STR;
		return 0;
	}
	resolve_plain(n->str, false, out);
	return 0;
}

/* Go's FormatFloat(f, 'g', -1, 64): shortest digits that round-trip. */
void go_format_float_g(double f, char *buf, size_t size)
{
	char tmp[64];
	char digits[32];
	int prec, exp, nd = 0;
	const char *p;
	bool neg = signbit(f);

	if (isinf(f)) {
		snprintf(buf, size, "%s", f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (isnan(f)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (f == 0) {
		snprintf(buf, size, "%s", neg ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	/* tmp is [-]d.ddde[+-]xx */
	p = tmp + (neg ? 1 : 0);
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	/*
	 * Go uses the %e form when the exponent is below -4 or at least the
	 * precision, which is 6 for the shortest form ('g' with precision -1).
	 */
	if (exp < -4 || exp >= 6) {
		snprintf(buf, size, "%s%c%s%se%c%02d", neg ? "-" : "", digits[0],
			 nd > 1 ? "." : "", nd > 1 ? digits + 1 : "",
			 exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	/* %f form with exactly the shortest digits. */
	{
		struct { char b[400]; } o;
		size_t k = 0;
		int i;

		if (neg)
			o.b[k++] = '-';
		if (exp < 0) {
			o.b[k++] = '0';
			o.b[k++] = '.';
			for (i = -1; i > exp; i--)
				o.b[k++] = '0';
			for (i = 0; i < nd; i++)
				o.b[k++] = digits[i];
		} else {
			for (i = 0; i <= exp; i++)
				o.b[k++] = i < nd ? digits[i] : '0';
			if (nd > exp + 1) {
				o.b[k++] = '.';
				for (i = exp + 1; i < nd; i++)
					o.b[k++] = digits[i];
			}
		}
		o.b[k] = '\0';
		snprintf(buf, size, "%s", o.b);
	}
}

void doc_yaml11_retype(struct arena *a, struct doc_node *n)
{
	struct doc_value v11, v12;
	size_t i, slots;

	if (n->kind != DOC_SCALAR) {
		slots = n->kind == DOC_MAP ? 2 * n->n : n->n;
		/* Keys stay as they are: only values are typed. */
		for (i = n->kind == DOC_MAP ? 1 : 0; i < slots; i += n->kind == DOC_MAP ? 2 : 1)
			doc_yaml11_retype(a, n->kids[i]);
		return;
	}
	if (n->style != DOC_STYLE_PLAIN || n->tag || strlen(n->str) != n->len)
		return;
	resolve_plain(n->str, true, &v11);
	resolve_plain(n->str, false, &v12);
	if (v11.type == DOC_T_BOOL && v12.type == DOC_T_STR) {
		n->str = arena_strdup(a, v11.b ? "true" : "false");
		n->len = strlen(n->str);
	} else if (v12.type == DOC_T_TIME) {
		n->style = DOC_STYLE_DOUBLE;
	}
}
