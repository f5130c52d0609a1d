/*
 * sprig-strings.c - Sprig's string functions and the helpers every
 * function file shares (strval, empty, spf13/cast conversions, runes).
 *
 * Facts from Sprig 3.2.3, Masterminds/goutils and Go's strings package;
 * Go slices strings by bytes, so trunc and substr do too.
 */
#include "core/compat.h"
#include "render/helm/fmt.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <wctype.h>

/* --- shared helpers ------------------------------------------------------- */

int sprig_ret_buf(struct helm_ctx *c, struct hv **out, struct strbuf *sb)
{
	*out = hv_str(c, sb->buf, sb->len);
	strbuf_release(sb);
	return *out ? 0 : ERR_TOOBIG;
}

int sprig_strval(struct helm_ctx *c, const struct hv *v, struct strbuf *sb)
{
	if (v->kind == HV_STRING || v->kind == HV_BYTES)
		return strbuf_add(sb, v->s, v->len);
	return hv_format_v(c, sb, v);
}

bool sprig_empty(const struct hv *v)
{
	switch (v->kind) {
	case HV_NIL:
		return true;
	case HV_BOOL:
		return !v->b;
	case HV_INT:
		return v->i == 0;
	case HV_UINT:
		return v->u == 0;
	case HV_FLOAT:
		return v->f == 0;
	case HV_STRING:
	case HV_BYTES:
		return v->len == 0;
	case HV_LIST:
		return v->list->n == 0;
	case HV_MAP:
		return hv_map_len(v) == 0;
	default:
		return false; /* structs and non-nil pointers */
	}
}

int64_t sprig_f2i(double f)
{
	if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)f;
}

/* cast's trimZeroDecimal: "12.00" -> "12", "12.50" stays. */
static size_t trim_zero_decimal(const char *s, size_t len)
{
	bool zero = false;
	size_t i;

	for (i = len; i > 0; i--) {
		if (s[i - 1] == '.') {
			if (zero)
				return i - 1;
		} else if (s[i - 1] == '0') {
			zero = true;
		} else {
			return len;
		}
	}
	return len;
}

/* strconv.ParseInt(s, 0, 64), underscores allowed only after a base prefix or between digits. */
static bool parse_int0(const char *s, size_t len, int64_t *out)
{
	char buf[80];
	size_t i, k = 0;

	if (!len || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '_') {
			if (i == 0 || i + 1 == len || s[i + 1] == '_')
				return false;
			continue;
		}
		if (!s[i])
			return false;
		buf[k++] = s[i];
	}
	buf[k] = '\0';
	return go_parse_int(buf, out);
}

int64_t sprig_to_int64(const struct hv *v)
{
	switch (v->kind) {
	case HV_INT:
		return v->i;
	case HV_UINT:
		return (int64_t)v->u;
	case HV_FLOAT:
		return sprig_f2i(v->f);
	case HV_BOOL:
		return v->b;
	case HV_STRING: {
		int64_t i;
		if (parse_int0(v->s, trim_zero_decimal(v->s, v->len), &i))
			return i;
		return 0;
	}
	default:
		return 0;
	}
}

/* strconv.ParseFloat(s, 64): decimal and hex floats, inf/nan words, underscores with a prefix. */
static bool parse_float(const char *s, size_t len, double *out)
{
	char buf[512], *end;
	size_t i, k = 0;
	const char *p;

	if (!len || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++) {
		if (!s[i])
			return false;
		if (s[i] != '_')
			buf[k++] = s[i];
	}
	buf[k] = '\0';
	p = buf;
	if (*p == '+' || *p == '-')
		p++;
	if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity")) {
		*out = buf[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!strcasecmp(p, "nan")) {
		*out = NAN;
		return true;
	}
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		return false;
	/* Underscores are only allowed in prefixed (0x) numbers. */
	if (k != len && !(p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
		return false;
	errno = 0;
	*out = strtod(buf, &end);
	if (*end || errno == ERANGE)
		return !*end && !isinf(*out);
	return true;
}

double sprig_to_float64(const struct hv *v)
{
	switch (v->kind) {
	case HV_INT:
		return (double)v->i;
	case HV_UINT:
		return (double)v->u;
	case HV_FLOAT:
		return v->f;
	case HV_BOOL:
		return v->b;
	case HV_STRING: {
		double f;
		return parse_float(v->s, v->len, &f) ? f : 0;
	}
	default:
		return 0;
	}
}

bool sprig_is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202F: case 0x205F: case 0x3000:
		return true;
	}
	return r >= 0x2000 && r <= 0x200A;
}

size_t sprig_rune(const char *s, size_t len, uint32_t *r)
{
	int32_t v;
	size_t n = go_utf8_decode(s, len, &v);

	*r = (uint32_t)v;
	return n;
}

void sprig_put_rune(struct strbuf *sb, uint32_t c)
{
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		strbuf_addch(sb, (int)c);
	} else if (c < 0x800) {
		strbuf_addch(sb, (int)(0xC0 | (c >> 6)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		strbuf_addch(sb, (int)(0xE0 | (c >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	} else {
		strbuf_addch(sb, (int)(0xF0 | (c >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 12) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	}
}

/* Unicode case mapping through the C.UTF-8 locale (Go's tables for ASCII). */
static locale_t u8loc;
static pthread_once_t u8once = PTHREAD_ONCE_INIT;

static void u8init(void)
{
	u8loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t to_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (uint32_t)towupper_l((wint_t)r, u8loc) : r;
}

static uint32_t to_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (uint32_t)towlower_l((wint_t)r, u8loc) : r;
}

static bool is_letter(uint32_t r)
{
	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	pthread_once(&u8once, u8init);
	return u8loc && iswalpha_l((wint_t)r, u8loc);
}

static bool is_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z';
	pthread_once(&u8once, u8init);
	return u8loc && iswupper_l((wint_t)r, u8loc);
}

static bool is_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z';
	pthread_once(&u8once, u8init);
	return u8loc && iswlower_l((wint_t)r, u8loc);
}

/* --- the functions -------------------------------------------------------- */

static int ret_sub(struct helm_ctx *c, struct hv **out, const char *s, size_t len)
{
	return sprig_ret(out, hv_str(c, s, len));
}

SPRIG_FN(sf_trim)
{
	const char *s = a[0]->s;
	size_t len = a[0]->len, st = 0, w;
	uint32_t r;

	while (st < len && (w = sprig_rune(s + st, len - st, &r)) && sprig_is_space(r))
		st += w;
	/* Trailing spaces: step back over whole runes. */
	while (len > st) {
		size_t k = len - 1;
		while (k > st && ((unsigned char)s[k] & 0xC0) == 0x80 && len - k < 4)
			k--;
		w = sprig_rune(s + k, len - k, &r);
		if (k + w != len || !sprig_is_space(r))
			break;
		len = k;
	}
	return ret_sub(c, out, s + st, len - st);
}

/* strings.Map with a rune mapping; invalid bytes become U+FFFD as Go's Map writes them. */
static int map_runes(struct helm_ctx *c, struct hv **out, const struct hv *v,
		     uint32_t (*fn)(uint32_t))
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, w;
	uint32_t r;

	for (i = 0; i < v->len; i += w) {
		w = sprig_rune(v->s + i, v->len - i, &r);
		sprig_put_rune(&sb, fn(r));
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_upper)
{
	return map_runes(c, out, a[0], to_upper);
}

SPRIG_FN(sf_lower)
{
	return map_runes(c, out, a[0], to_lower);
}

static bool title_sep(uint32_t r)
{
	if (r <= 0x7F)
		return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') ||
			 (r >= 'A' && r <= 'Z') || r == '_');
	if (is_letter(r) || iswdigit_l((wint_t)r, u8loc))
		return false;
	return sprig_is_space(r);
}

SPRIG_FN(sf_title)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t prev = ' ', r;
	size_t i, w;

	pthread_once(&u8once, u8init);
	for (i = 0; i < a[0]->len; i += w) {
		w = sprig_rune(a[0]->s + i, a[0]->len - i, &r);
		sprig_put_rune(&sb, title_sep(prev) ? to_upper(r) : r);
		prev = r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_untitle)
{
	struct strbuf sb = STRBUF_INIT;
	bool next = true;
	uint32_t r;
	size_t i, w;

	for (i = 0; i < a[0]->len; i += w) {
		w = sprig_rune(a[0]->s + i, a[0]->len - i, &r);
		if (sprig_is_space(r)) {
			next = true;
		} else if (next) {
			r = to_lower(r);
			next = false;
		}
		sprig_put_rune(&sb, r);
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_swapcase)
{
	struct strbuf sb = STRBUF_INIT;
	bool ws = true;
	uint32_t r;
	size_t i, w;

	for (i = 0; i < a[0]->len; i += w) {
		w = sprig_rune(a[0]->s + i, a[0]->len - i, &r);
		if (is_upper(r)) {
			r = to_lower(r);
			ws = false;
		} else if (is_lower(r)) {
			r = to_upper(r);
			ws = false;
		} else {
			ws = sprig_is_space(r);
		}
		(void)ws;
		sprig_put_rune(&sb, r);
	}
	return sprig_ret_buf(c, out, &sb);
}

static int slice_panic(struct helm_ctx *c, const char *what)
{
	return hctx_fail(c, "runtime error: slice bounds out of range %s", what);
}

SPRIG_FN(sf_substr)
{
	int64_t st = a[0]->i, en = a[1]->i, len = (int64_t)a[2]->len;
	char b[96];

	if (st < 0) {
		if (en < 0 || en > len) {
			snprintf(b, sizeof(b), en < 0 ? "[:%lld]" : "[:%lld] with length %lld",
				 (long long)en, (long long)len);
			return slice_panic(c, b);
		}
		return ret_sub(c, out, a[2]->s, (size_t)en);
	}
	if (en < 0 || en > len) {
		if (st > len) {
			snprintf(b, sizeof(b), "[%lld:%lld]", (long long)st, (long long)len);
			return slice_panic(c, b);
		}
		return ret_sub(c, out, a[2]->s + st, (size_t)(len - st));
	}
	if (st > en) {
		snprintf(b, sizeof(b), "[%lld:%lld]", (long long)st, (long long)en);
		return slice_panic(c, b);
	}
	return ret_sub(c, out, a[2]->s + st, (size_t)(en - st));
}

SPRIG_FN(sf_trunc)
{
	int64_t k = a[0]->i, len = (int64_t)a[1]->len;

	if (k < 0 && len + k > 0)
		return ret_sub(c, out, a[1]->s + len + k, (size_t)-k);
	if (k >= 0 && len > k)
		return ret_sub(c, out, a[1]->s, (size_t)k);
	return sprig_ret(out, a[1]);
}

/* goutils.AbbreviateFull (byte offsets, as Go's). */
static int abbreviate(struct strbuf *sb, const char *s, size_t slen, int64_t off, int64_t w)
{
	int64_t len = (int64_t)slen;

	if (!slen)
		return 0;
	if (w < 4)
		return -1;
	if (len <= w)
		return strbuf_add(sb, s, slen);
	if (off > len)
		off = len;
	if (len - off < w - 3)
		off = len - (w - 3);
	if (off <= 4) {
		strbuf_add(sb, s, (size_t)(w - 3));
		return strbuf_addstr(sb, "...");
	}
	if (w < 7)
		return -1;
	if (off + w - 3 < len) {
		strbuf_addstr(sb, "...");
		return abbreviate(sb, s + off, (size_t)(len - off), 0, w - 3);
	}
	strbuf_addstr(sb, "...");
	return strbuf_add(sb, s + len - (w - 3), (size_t)(w - 3));
}

SPRIG_FN(sf_abbrev)
{
	struct strbuf sb = STRBUF_INIT;

	if (a[0]->i < 4)
		return sprig_ret(out, a[1]);
	if (abbreviate(&sb, a[1]->s, a[1]->len, 0, a[0]->i))
		strbuf_reset(&sb);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_abbrevboth)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t l = a[0]->i, r = a[1]->i;

	if (r < 4 || (l > 0 && r < 7))
		return sprig_ret(out, a[2]);
	if (abbreviate(&sb, a[2]->s, a[2]->len, l, r))
		strbuf_reset(&sb);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_initials)
{
	struct strbuf sb = STRBUF_INIT;
	bool gap = true;
	size_t i;

	/* goutils reads bytes as runes: a non-ASCII initial comes out as its Latin-1 reading. */
	for (i = 0; i < a[0]->len; i++) {
		uint32_t ch = (unsigned char)a[0]->s[i];
		if (sprig_is_space(ch)) {
			gap = true;
		} else if (gap) {
			sprig_put_rune(&sb, ch);
			gap = false;
		}
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_nospace)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, kept = 0;

	for (i = 0; i < a[0]->len; i++) {
		uint32_t ch = (unsigned char)a[0]->s[i];
		if (!sprig_is_space(ch)) {
			sprig_put_rune(&sb, ch);
			kept++;
		}
	}
	if (kept == a[0]->len) {
		strbuf_release(&sb);
		return sprig_ret(out, a[0]);
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_repeat)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t k, count = a[0]->i;
	size_t max = c->max_output ? c->max_output : (size_t)256 << 20;

	if (count < 0)
		return hctx_fail(c, "strings: negative Repeat count");
	if (a[1]->len && (uint64_t)count > max / a[1]->len)
		return err_set(ERR_TOOBIG, "repeat: result larger than the output limit of %zu bytes",
			       max);
	for (k = 0; k < count; k++)
		strbuf_add(&sb, a[1]->s, a[1]->len);
	return sprig_ret_buf(c, out, &sb);
}

static bool cutset_has(const struct hv *set, uint32_t r)
{
	size_t i, w;
	uint32_t x;

	for (i = 0; i < set->len; i += w) {
		w = sprig_rune(set->s + i, set->len - i, &x);
		if (x == r)
			return true;
	}
	return false;
}

/* strings.Trim(b, a) */
SPRIG_FN(sf_trimall)
{
	const struct hv *set = a[0], *s = a[1];
	size_t st = 0, en = s->len, w;
	uint32_t r;

	while (st < en) {
		w = sprig_rune(s->s + st, en - st, &r);
		if (!cutset_has(set, r) || (r == 0xFFFD && w == 1))
			break;
		st += w;
	}
	while (en > st) {
		size_t k = en - 1;
		while (k > st && ((unsigned char)s->s[k] & 0xC0) == 0x80 && en - k < 4)
			k--;
		w = sprig_rune(s->s + k, en - k, &r);
		if (k + w != en) {
			k = en - 1;
			r = 0xFFFD;
			w = 1;
		}
		if (!cutset_has(set, r) || (r == 0xFFFD && w == 1))
			break;
		en = k;
	}
	return ret_sub(c, out, s->s + st, en - st);
}

SPRIG_FN(sf_trimsuffix)
{
	const struct hv *suf = a[0], *s = a[1];

	if (s->len >= suf->len && !memcmp(s->s + s->len - suf->len, suf->s, suf->len))
		return ret_sub(c, out, s->s, s->len - suf->len);
	return sprig_ret(out, a[1]);
}

SPRIG_FN(sf_trimprefix)
{
	const struct hv *pre = a[0], *s = a[1];

	if (s->len >= pre->len && !memcmp(s->s, pre->s, pre->len))
		return ret_sub(c, out, s->s + pre->len, s->len - pre->len);
	return sprig_ret(out, a[1]);
}

SPRIG_FN(sf_contains)
{
	const struct hv *sub = a[0], *s = a[1];

	*out = hv_bool(!sub->len || (s->len >= sub->len && memmem(s->s, s->len, sub->s, sub->len)));
	return 0;
}

SPRIG_FN(sf_hasprefix)
{
	*out = hv_bool(a[1]->len >= a[0]->len && !memcmp(a[1]->s, a[0]->s, a[0]->len));
	return 0;
}

SPRIG_FN(sf_hassuffix)
{
	*out = hv_bool(a[1]->len >= a[0]->len &&
		       !memcmp(a[1]->s + a[1]->len - a[0]->len, a[0]->s, a[0]->len));
	return 0;
}

SPRIG_FN(sf_quote)
{
	struct strbuf sb = STRBUF_INIT;
	bool first = true;
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		struct strbuf tmp = STRBUF_INIT;
		struct hv *sv;
		if (a[i]->kind == HV_NIL)
			continue;
		if (!first)
			strbuf_addch(&sb, ' ');
		first = false;
		r = sprig_strval(c, a[i], &tmp);
		sv = r ? NULL : hv_str(c, tmp.buf, tmp.len);
		strbuf_release(&tmp);
		if (!r && !sv)
			r = ERR_TOOBIG;
		if (!r)
			r = hv_sprintf(c, &sb, "%q", 2, &sv, 1);
	}
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_squote)
{
	struct strbuf sb = STRBUF_INIT;
	bool first = true;
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		if (a[i]->kind == HV_NIL)
			continue;
		if (!first)
			strbuf_addch(&sb, ' ');
		first = false;
		strbuf_addch(&sb, '\'');
		r = hv_format_v(c, &sb, a[i]);
		strbuf_addch(&sb, '\'');
	}
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_cat)
{
	struct strbuf sb = STRBUF_INIT;
	bool first = true;
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		if (a[i]->kind == HV_NIL)
			continue;
		if (!first)
			strbuf_addch(&sb, ' ');
		first = false;
		r = hv_format_v(c, &sb, a[i]);
	}
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

static int do_indent(struct helm_ctx *c, struct hv **out, int64_t spaces, const struct hv *v,
		     bool nl)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, pad = spaces > 0 ? (size_t)spaces : 0;
	size_t max = c->max_output ? c->max_output : (size_t)256 << 20;
	size_t lines = 1;

	if (spaces < 0)
		return hctx_fail(c, "strings: negative Repeat count");
	for (i = 0; i < v->len; i++)
		lines += v->s[i] == '\n';
	if (pad && lines > max / pad)
		return err_set(ERR_TOOBIG, "indent: result larger than the output limit of %zu bytes",
			       max);
	if (nl)
		strbuf_addch(&sb, '\n');
	strbuf_addchars(&sb, ' ', pad);
	for (i = 0; i < v->len; i++) {
		strbuf_addch(&sb, v->s[i]);
		if (v->s[i] == '\n')
			strbuf_addchars(&sb, ' ', pad);
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_indent)
{
	return do_indent(c, out, a[0]->i, a[1], false);
}

SPRIG_FN(sf_nindent)
{
	return do_indent(c, out, a[0]->i, a[1], true);
}

/* strings.Replace(src, old, new, -1), including Go's rule for an empty `old`. */
SPRIG_FN(sf_replace)
{
	const struct hv *old = a[0], *nw = a[1], *s = a[2];
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, w;
	uint32_t r;

	if (!old->len) {
		strbuf_add(&sb, nw->s, nw->len);
		for (i = 0; i < s->len; i += w) {
			w = sprig_rune(s->s + i, s->len - i, &r);
			strbuf_add(&sb, s->s + i, w);
			strbuf_add(&sb, nw->s, nw->len);
		}
		return sprig_ret_buf(c, out, &sb);
	}
	while (i < s->len) {
		const char *p = s->len - i >= old->len
				     ? memmem(s->s + i, s->len - i, old->s, old->len)
				     : NULL;
		if (!p) {
			strbuf_add(&sb, s->s + i, s->len - i);
			break;
		}
		strbuf_add(&sb, s->s + i, (size_t)(p - (s->s + i)));
		strbuf_add(&sb, nw->s, nw->len);
		i = (size_t)(p - s->s) + old->len;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_plural)
{
	return sprig_ret(out, a[2]->i == 1 ? a[0] : a[1]);
}

/* strings.SplitN(s, sep, n) into a list of strings (type []string). */
static int split_list(struct helm_ctx *c, struct hv **out, const struct hv *sep,
		      const struct hv *s, int64_t lim, const char *type)
{
	struct hv *l;
	size_t i = 0, w, count = 0;
	uint32_t r;
	int ret;

	if (lim == 0)
		return sprig_ret(out, hv_list_new(c, type, 0));
	l = hv_list_new(c, type, 0);
	if (!l)
		return ERR_TOOBIG;
	if (!sep->len) {
		/* explode: one rune each, the last holding the rest */
		for (i = 0; i < s->len; i += w) {
			w = sprig_rune(s->s + i, s->len - i, &r);
			if (lim > 0 && (int64_t)count == lim - 1)
				w = s->len - i;
			ret = hv_list_push(c, l, hv_str(c, s->s + i, w));
			if (ret)
				return ret;
			count++;
		}
		*out = l;
		return 0;
	}
	for (;;) {
		const char *p = NULL;
		if (lim < 0 || (int64_t)count < lim - 1)
			p = s->len - i >= sep->len ? memmem(s->s + i, s->len - i, sep->s, sep->len)
						  : NULL;
		if (!p) {
			ret = hv_list_push(c, l, hv_str(c, s->s + i, s->len - i));
			break;
		}
		ret = hv_list_push(c, l, hv_str(c, s->s + i, (size_t)(p - (s->s + i))));
		if (ret)
			return ret;
		count++;
		i = (size_t)(p - s->s) + sep->len;
	}
	if (ret)
		return ret;
	*out = l;
	return 0;
}

SPRIG_FN(sf_splitlist)
{
	return split_list(c, out, a[0], a[1], -1, HV_T_STRLIST);
}

/* split/splitn: map[string]string {"_0": ..., "_1": ...}. */
static int split_map(struct helm_ctx *c, struct hv **out, const struct hv *sep,
		     const struct hv *s, int64_t lim)
{
	struct hv *l, *m;
	size_t i;
	char k[32];
	int r = split_list(c, &l, sep, s, lim, HV_T_STRLIST);

	if (r)
		return r;
	m = hv_map_new(c, "map[string]string");
	if (!m)
		return ERR_TOOBIG;
	for (i = 0; i < l->list->n; i++) {
		snprintf(k, sizeof(k), "_%zu", i);
		r = hv_map_set(c, m, k, strlen(k), l->list->items[i]);
		if (r)
			return r;
	}
	*out = m;
	return 0;
}

SPRIG_FN(sf_split)
{
	return split_map(c, out, a[0], a[1], -1);
}

SPRIG_FN(sf_splitn)
{
	return split_map(c, out, a[0], a[2], a[1]->i);
}

/* Sprig's strslice: []string from any list; nils dropped; a scalar gives one element. */
int sprig_strslice(struct helm_ctx *c, struct hv **out, const struct hv *v)
{
	struct hv *l;
	size_t i;
	int r;

	if (v->kind == HV_LIST && !strcmp(v->type, HV_T_STRLIST))
		return sprig_ret(out, (struct hv *)v);
	l = hv_list_new(c, HV_T_STRLIST, v->kind == HV_LIST ? v->list->n : 1);
	if (!l)
		return ERR_TOOBIG;
	if (v->kind == HV_LIST) {
		for (i = 0; i < v->list->n; i++) {
			struct strbuf sb = STRBUF_INIT;
			struct hv *s;
			if (v->list->items[i]->kind == HV_NIL)
				continue;
			r = sprig_strval(c, v->list->items[i], &sb);
			s = r ? NULL : hv_str(c, sb.buf, sb.len);
			strbuf_release(&sb);
			if (r)
				return r;
			r = hv_list_push(c, l, s);
			if (r)
				return r;
		}
	} else if (v->kind != HV_NIL) {
		struct strbuf sb = STRBUF_INIT;
		r = sprig_strval(c, v, &sb);
		if (!r)
			r = hv_list_push(c, l, hv_str(c, sb.buf, sb.len));
		strbuf_release(&sb);
		if (r)
			return r;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_tostrings)
{
	return sprig_strslice(c, out, a[0]);
}

SPRIG_FN(sf_join)
{
	struct strbuf sb = STRBUF_INIT;
	struct hv *l;
	size_t i;
	int r = sprig_strslice(c, &l, a[1]);

	if (r)
		return r;
	for (i = 0; i < l->list->n; i++) {
		if (i)
			strbuf_add(&sb, a[0]->s, a[0]->len);
		strbuf_add(&sb, l->list->items[i]->s, l->list->items[i]->len);
	}
	return sprig_ret_buf(c, out, &sb);
}

static int cmp_hv_str(const void *x, const void *y)
{
	const struct hv *a = *(const struct hv *const *)x, *b = *(const struct hv *const *)y;
	size_t m = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->s, b->s, m);

	return r ? r : (a->len < b->len ? -1 : a->len > b->len);
}

SPRIG_FN(sf_sortalpha)
{
	struct hv *l;
	int r;

	/* sortAlpha of a non-list gives a one-element list of its %v. */
	if (a[0]->kind != HV_LIST) {
		struct strbuf sb = STRBUF_INIT;
		l = hv_list_new(c, HV_T_STRLIST, 1);
		if (!l)
			return ERR_TOOBIG;
		r = sprig_strval(c, a[0], &sb);
		if (!r)
			r = hv_list_push(c, l, hv_str(c, sb.buf, sb.len));
		strbuf_release(&sb);
		return r ? r : sprig_ret(out, l);
	}
	r = sprig_strslice(c, &l, a[0]);
	if (r)
		return r;
	{
		struct hv *cp = hv_list_new(c, HV_T_STRLIST, l->list->n);
		size_t i;
		if (!cp)
			return ERR_TOOBIG;
		for (i = 0; i < l->list->n; i++)
			hv_list_push(c, cp, l->list->items[i]);
		if (cp->list->n > 1)
			qsort(cp->list->items, cp->list->n, sizeof(struct hv *), cmp_hv_str);
		*out = cp;
	}
	return 0;
}

SPRIG_FN(sf_tostring)
{
	struct strbuf sb = STRBUF_INIT;
	int r = sprig_strval(c, a[0], &sb);

	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

/* util.WrapCustom(str, width, sep, wrapLongWords) of goutils. */
static int wrap_custom(struct helm_ctx *c, struct hv **out, const struct hv *s, int64_t width,
		       const char *nl, size_t nllen, bool wrap_long)
{
	struct strbuf sb = STRBUF_INIT;
	const char *str = s->s;
	int64_t len = (int64_t)s->len, off = 0;

	if (!s->len)
		return sprig_ret(out, hv_str(c, "", 0));
	if (width < 1)
		width = 1;
	while (len - off > width) {
		int64_t sp = -1, k;
		if (str[off] == ' ') {
			off++;
			continue;
		}
		/* the last space at or before off+width */
		for (k = off + width; k >= off; k--)
			if (str[k] == ' ') {
				sp = k;
				break;
			}
		if (sp >= off) {
			strbuf_add(&sb, str + off, (size_t)(sp - off));
			strbuf_add(&sb, nl, nllen);
			off = sp + 1;
		} else if (wrap_long) {
			strbuf_add(&sb, str + off, (size_t)width);
			strbuf_add(&sb, nl, nllen);
			off += width;
		} else {
			for (k = off + width; k < len && str[k] != ' '; k++)
				;
			if (k < len) {
				strbuf_add(&sb, str + off, (size_t)(k - off));
				strbuf_add(&sb, nl, nllen);
				off = k + 1;
			} else {
				strbuf_add(&sb, str + off, (size_t)(len - off));
				off = len;
			}
		}
	}
	strbuf_add(&sb, str + off, (size_t)(len - off));
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_wrap)
{
	return wrap_custom(c, out, a[1], a[0]->i, "\n", 1, false);
}

SPRIG_FN(sf_wrapwith)
{
	return wrap_custom(c, out, a[2], a[0]->i, a[1]->s, a[1]->len, true);
}

SPRIG_FN(sf_b64enc)
{
	struct strbuf sb = STRBUF_INIT;
	int r = sprig_b64_encode(&sb, a[0]->s, a[0]->len);

	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_b64dec)
{
	struct strbuf sb = STRBUF_INIT;
	size_t bad;

	if (sprig_b64_decode(&sb, a[0]->s, a[0]->len, &bad)) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "illegal base64 data at input byte %zu", bad);
	}
	return sprig_ret_buf(c, out, &sb);
}

static const char b32alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

SPRIG_FN(sf_b32enc)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)a[0]->s;
	size_t i, len = a[0]->len;

	for (i = 0; i < len; i += 5) {
		uint64_t blk = 0;
		size_t k, take = len - i < 5 ? len - i : 5, chars;
		for (k = 0; k < 5; k++)
			blk = (blk << 8) | (k < take ? p[i + k] : 0);
		chars = (take * 8 + 4) / 5;
		for (k = 0; k < 8; k++)
			strbuf_addch(&sb, k < chars ? b32alpha[(blk >> (35 - 5 * k)) & 31] : '=');
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_b32dec)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s = a[0]->s;
	size_t len = a[0]->len, i, k, q = 0;

	/* Go: whole 8-character blocks, padding only at the end of the last. */
	for (i = 0; i < len;) {
		uint64_t blk = 0;
		size_t got = 0, pad = 0, start = i;
		for (k = 0; k < 8; k++, i++) {
			const char *pos;
			if (i >= len) {
				q = start + k;
				goto bad;
			}
			if (s[i] == '=') {
				if (got < 2) {
					q = i;
					goto bad;
				}
				pad++;
				blk <<= 5;
				continue;
			}
			if (pad || !s[i] || !(pos = strchr(b32alpha, s[i]))) {
				q = i;
				goto bad;
			}
			blk = (blk << 5) | (uint64_t)(pos - b32alpha);
			got++;
		}
		if (pad) {
			static const size_t bytes_for[] = { 5, 0, 0, 0, 0, 0, 0, 0 };
			size_t nb = got * 5 / 8;
			(void)bytes_for;
			if (!(got == 2 || got == 4 || got == 5 || got == 7) || i < len) {
				q = i < len ? i : start + got;
				goto bad;
			}
			for (k = 0; k < nb; k++)
				strbuf_addch(&sb, (int)((blk >> (32 - 8 * k)) & 0xFF));
		} else {
			for (k = 0; k < 5; k++)
				strbuf_addch(&sb, (int)((blk >> (32 - 8 * k)) & 0xFF));
		}
	}
	return sprig_ret_buf(c, out, &sb);
bad:
	strbuf_reset(&sb);
	strbuf_addf(&sb, "illegal base32 data at input byte %zu", q);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_hello)
{
	return sprig_ret(out, hv_cstr(c, "Hello!"));
}
