/*
 * fmt.c - Go's fmt.Sprintf/Sprint/Sprintln over struct hv.
 *
 * Written by hand because templates print through it and Helm's output must
 * match byte for byte: every verb, flag, width and precision of Go 1.19's
 * fmt, with its error forms (%!d(string=x), %!(EXTRA ...), %!d(MISSING),
 * %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!v(BADINDEX)), maps printed with
 * sorted keys, and floats in strconv's shortest round-trip form.
 *
 * The structure follows fmt's own split: a `pp` holds the flags of one verb,
 * print_value() dispatches on the value's kind, and the fmt_* functions pad
 * and sign one formatted item.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/value.h"
#include "render/helm/fmt.h"

#include <math.h>

#include "render/helm/isprint.h"

/* ---- unicode/utf8 and strconv ---- */

size_t go_utf8_decode(const char *str, size_t n, int32_t *r)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	int32_t v;

	if (c < 0x80) {
		*r = (int32_t)c;
		return 1;
	}
	*r = GO_RUNE_ERROR;
	if (c < 0xC2 || c > 0xF4)
		return 1;
	if (c < 0xE0) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 1;
		*r = (int32_t)(((c & 0x1F) << 6) | (s[1] & 0x3F));
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 1;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 1; /* overlong, or a surrogate */
		*r = (int32_t)(((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F));
		return 3;
	}
	if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
		return 1;
	if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
		return 1;
	v = (int32_t)(((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) |
		      (s[3] & 0x3F));
	*r = v;
	return 4;
}

size_t go_utf8_encode(char *buf, int32_t r)
{
	unsigned char *b = (unsigned char *)buf;
	uint32_t u = (uint32_t)r;

	if (u < 0x80) {
		b[0] = (unsigned char)u;
		return 1;
	}
	if (u < 0x800) {
		b[0] = (unsigned char)(0xC0 | (u >> 6));
		b[1] = (unsigned char)(0x80 | (u & 0x3F));
		return 2;
	}
	if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
		u = GO_RUNE_ERROR;
	if (u < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (u >> 12));
		b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (u & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | (u >> 18));
	b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (u & 0x3F));
	return 4;
}

size_t go_rune_count(const char *s, size_t n)
{
	size_t i = 0, count = 0;
	int32_t r;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80)
			i++;
		else
			i += go_utf8_decode(s + i, n - i, &r);
		count++;
	}
	return count;
}

bool go_isprint(int32_t r)
{
	size_t lo = 0, hi = ARRAY_SIZE(go_isprint_ranges);

	if (r >= 0x20 && r < 0x7F)
		return true;
	if (r < 0xA1)
		return false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if ((uint32_t)r < go_isprint_ranges[mid][0])
			hi = mid;
		else if ((uint32_t)r > go_isprint_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static const char lowerhex[] = "0123456789abcdef";

static int escaped_rune(struct strbuf *out, int32_t r, char quote, bool ascii)
{
	char tmp[4];
	int s;

	if (r == quote || r == '\\') {
		strbuf_addch(out, '\\');
		return strbuf_addch(out, (char)r);
	}
	if (ascii) {
		if (r < 0x80 && go_isprint(r))
			return strbuf_addch(out, (char)r);
	} else if (go_isprint(r)) {
		return strbuf_add(out, tmp, go_utf8_encode(tmp, r));
	}
	switch (r) {
	case '\a': return strbuf_addstr(out, "\\a");
	case '\b': return strbuf_addstr(out, "\\b");
	case '\f': return strbuf_addstr(out, "\\f");
	case '\n': return strbuf_addstr(out, "\\n");
	case '\r': return strbuf_addstr(out, "\\r");
	case '\t': return strbuf_addstr(out, "\\t");
	case '\v': return strbuf_addstr(out, "\\v");
	}
	if (r < ' ' || r == 0x7F) {
		strbuf_addstr(out, "\\x");
		strbuf_addch(out, lowerhex[(r >> 4) & 0xF]);
		return strbuf_addch(out, lowerhex[r & 0xF]);
	}
	if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = GO_RUNE_ERROR;
	if (r < 0x10000) {
		strbuf_addstr(out, "\\u");
		for (s = 12; s >= 0; s -= 4)
			strbuf_addch(out, lowerhex[(r >> s) & 0xF]);
		return 0;
	}
	strbuf_addstr(out, "\\U");
	for (s = 28; s >= 0; s -= 4)
		strbuf_addch(out, lowerhex[(r >> s) & 0xF]);
	return 0;
}

int go_quote(struct strbuf *out, const char *s, size_t n, bool ascii)
{
	size_t i = 0, w;
	int32_t r;

	strbuf_addch(out, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			strbuf_addch(out, (char)c);
			i++;
			continue;
		}
		w = go_utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == GO_RUNE_ERROR) {
			strbuf_addstr(out, "\\x");
			strbuf_addch(out, lowerhex[c >> 4]);
			strbuf_addch(out, lowerhex[c & 0xF]);
		} else {
			escaped_rune(out, r, '"', ascii);
		}
		i += w;
	}
	return strbuf_addch(out, '"');
}

int go_quote_rune(struct strbuf *out, int32_t r, bool ascii)
{
	if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = GO_RUNE_ERROR;
	strbuf_addch(out, '\'');
	escaped_rune(out, r, '\'', ascii);
	return strbuf_addch(out, '\'');
}

bool go_can_backquote(const char *s, size_t n)
{
	size_t i = 0, w;
	int32_t r;

	while (i < n) {
		w = go_utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == GO_RUNE_ERROR)
			return false;
		if (w > 1) {
			if (r == 0xFEFF)
				return false;
		} else if (r == '`' || r == 0x7F || (r < ' ' && r != '\t')) {
			return false;
		}
		i += w;
	}
	return true;
}

/*
 * The shortest decimal digits that read back as f (strconv's shortest
 * mode): digits d[0..nd), decimal point after dp digits.  Exact integers
 * below 2^53 are the common case (Helm reads every number as float64).
 */
static void shortest_digits(double f, int bits, char *d, int *nd, int *dp)
{
	char tmp[64];
	int prec, n = 0, e;
	const char *p;

	f = fabs(f);
	if (f == 0) {
		*nd = 0;
		*dp = 0;
		return;
	}
	if (f < 9007199254740992.0 && f == floor(f) && bits == 64) {
		int len = snprintf(tmp, sizeof(tmp), "%.0f", f);

		*dp = len;
		while (len > 1 && tmp[len - 1] == '0')
			len--;
		memcpy(d, tmp, (size_t)len);
		*nd = len;
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (bits == 32 ? (float)strtod(tmp, NULL) == (float)f : strtod(tmp, NULL) == f)
			break;
	}
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			d[n++] = *p;
	e = (int)strtol(p + 1, NULL, 10);
	while (n > 1 && d[n - 1] == '0')
		n--;
	*nd = n;
	*dp = e + 1;
}

static void fmt_e(struct strbuf *out, const char *d, int nd, int dp, int prec, char fmtc)
{
	int i, exp;

	strbuf_addch(out, nd ? d[0] : '0');
	if (prec > 0) {
		strbuf_addch(out, '.');
		for (i = 1; i <= prec; i++)
			strbuf_addch(out, i < nd ? d[i] : '0');
	}
	strbuf_addch(out, fmtc);
	exp = nd ? dp - 1 : 0;
	strbuf_addch(out, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	if (exp < 10)
		strbuf_addf(out, "0%d", exp);
	else
		strbuf_addf(out, "%d", exp);
}

static void fmt_f(struct strbuf *out, const char *d, int nd, int dp, int prec)
{
	int i;

	if (dp > 0) {
		for (i = 0; i < dp; i++)
			strbuf_addch(out, i < nd ? d[i] : '0');
	} else {
		strbuf_addch(out, '0');
	}
	if (prec > 0) {
		strbuf_addch(out, '.');
		for (i = 1; i <= prec; i++) {
			int j = dp + i - 1;

			strbuf_addch(out, j >= 0 && j < nd ? d[j] : '0');
		}
	}
}

/*
 * strconv's %x for floats: -0x1.yyyp±dd, the mantissa normalised to a
 * leading 1 and rounded to prec hex digits (half to even) before printing,
 * so that 1.5 with no digits is 0x1p+01 (C's %a would print 0x2p+00).
 */
static int format_float_hex(struct strbuf *out, double f, char fmtc, int prec, int bits)
{
	const char *hex = fmtc == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	int mantbits = bits == 32 ? 23 : 52, expbits = bits == 32 ? 8 : 11;
	int bias = bits == 32 ? -127 : -1023;
	uint64_t b, mant;
	int exp, i;
	bool neg;

	if (bits == 32) {
		float g = (float)f;
		uint32_t b32;

		memcpy(&b32, &g, sizeof(b32));
		b = b32;
	} else {
		memcpy(&b, &f, sizeof(b));
	}
	neg = (b >> (expbits + mantbits)) & 1;
	exp = (int)((b >> mantbits) & ((1u << expbits) - 1));
	mant = b & (((uint64_t)1 << mantbits) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= (uint64_t)1 << mantbits;
	exp += bias;
	if (mant == 0)
		exp = 0;
	mant <<= 60 - mantbits;
	while (mant != 0 && (mant & ((uint64_t)1 << 60)) == 0) {
		mant <<= 1;
		exp--;
	}
	if (prec >= 0 && prec < 15) {
		unsigned shift = (unsigned)prec * 4;
		uint64_t extra = (mant << shift) & (((uint64_t)1 << 60) - 1);

		mant >>= 60 - shift;
		if ((extra | (mant & 1)) > ((uint64_t)1 << 59))
			mant++;
		mant <<= 60 - shift;
		if (mant & ((uint64_t)1 << 61)) {
			mant >>= 1;
			exp++;
		}
	}
	if (neg)
		strbuf_addch(out, '-');
	strbuf_addch(out, '0');
	strbuf_addch(out, fmtc);
	strbuf_addch(out, (char)('0' + ((mant >> 60) & 1)));
	mant <<= 4;
	if (prec < 0 && mant != 0) {
		strbuf_addch(out, '.');
		while (mant != 0) {
			strbuf_addch(out, hex[(mant >> 60) & 15]);
			mant <<= 4;
		}
	} else if (prec > 0) {
		strbuf_addch(out, '.');
		for (i = 0; i < prec; i++) {
			strbuf_addch(out, hex[(mant >> 60) & 15]);
			mant <<= 4;
		}
	}
	strbuf_addch(out, fmtc == 'X' ? 'P' : 'p');
	strbuf_addch(out, exp < 0 ? '-' : '+');
	return strbuf_addf(out, "%02d", exp < 0 ? -exp : exp);
}

int go_format_float(struct strbuf *out, double f, char fmtc, int prec, int bits)
{
	char d[40];
	int nd, dp, eprec, exp;

	if (isnan(f))
		return strbuf_addstr(out, "NaN");
	if (isinf(f))
		return strbuf_addstr(out, f > 0 ? "+Inf" : "-Inf");
	if (fmtc == 'b') {
		uint64_t b;
		int64_t e;
		uint64_t mant;

		memcpy(&b, &f, sizeof(b));
		e = (int64_t)((b >> 52) & 0x7FF);
		mant = b & (((uint64_t)1 << 52) - 1);
		if (e == 0)
			e++;
		else
			mant |= (uint64_t)1 << 52;
		e += -1023 - 52;
		return strbuf_addf(out, "%s%llup%s%lld", signbit(f) ? "-" : "",
				   (unsigned long long)mant, e >= 0 ? "+" : "", (long long)e);
	}
	if (fmtc == 'x' || fmtc == 'X')
		return format_float_hex(out, f, fmtc, prec, bits);
	if (prec >= 0) {
		/* glibc rounds exactly, as strconv does. */
		switch (fmtc) {
		case 'e': return strbuf_addf(out, "%.*e", prec, f);
		case 'E': return strbuf_addf(out, "%.*E", prec, f);
		case 'f': return strbuf_addf(out, "%.*f", prec, f);
		case 'g': return strbuf_addf(out, "%.*g", prec, f);
		case 'G': return strbuf_addf(out, "%.*G", prec, f);
		}
		return strbuf_addf(out, "%%!%c(float64=%g)", fmtc, f);
	}
	shortest_digits(f, bits, d, &nd, &dp);
	if (signbit(f))
		strbuf_addch(out, '-');
	switch (fmtc) {
	case 'e':
	case 'E':
		fmt_e(out, d, nd, dp, nd - 1, fmtc);
		return 0;
	case 'f':
		fmt_f(out, d, nd, dp, nd - dp > 0 ? nd - dp : 0);
		return 0;
	default:
		eprec = 6;
		exp = dp - 1;
		if (exp < -4 || exp >= eprec)
			fmt_e(out, d, nd, dp, nd - 1, fmtc == 'G' ? 'E' : 'e');
		else
			fmt_f(out, d, nd, dp, nd - dp > 0 ? nd - dp : 0);
		return 0;
	}
}

/* Days since 1970-01-01 to civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	*y = yoe + era * 400;
	doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

int go_time_string(struct strbuf *out, int64_t sec, int32_t nsec, int32_t offset,
		   const char *zone)
{
	int64_t local = sec + offset, days, rem, y;
	unsigned m, d;
	int off = offset / 60;

	days = local / 86400;
	rem = local % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	strbuf_addf(out, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y, m, d,
		    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (nsec) {
		char frac[16];
		int n = xsnprintf(frac, sizeof(frac), ".%09d", nsec);

		while (frac[n - 1] == '0')
			n--;
		strbuf_add(out, frac, (size_t)n);
	}
	strbuf_addf(out, " %c%02d%02d ", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
	if (zone && *zone)
		return strbuf_addstr(out, zone);
	return strbuf_addf(out, "%c%02d%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
}

/* ---- the printer ---- */

struct pp {
	struct helm_ctx *c;
	struct strbuf *buf;
	int wid, prec;
	bool wid_present, prec_present;
	bool minus, plus, sharp, space, zero;
	bool plus_v, sharp_v;
	bool erroring;
};

static void clear_flags(struct pp *p)
{
	p->wid = p->prec = 0;
	p->wid_present = p->prec_present = false;
	p->minus = p->plus = p->sharp = p->space = p->zero = false;
	p->plus_v = p->sharp_v = false;
}

static void write_padding(struct pp *p, int n)
{
	if (n > 0)
		strbuf_addchars(p->buf, p->zero ? '0' : ' ', (size_t)n);
}

static void pad(struct pp *p, const char *s, size_t n)
{
	int width;

	if (!p->wid_present || p->wid == 0) {
		strbuf_add(p->buf, s, n);
		return;
	}
	width = p->wid - (int)go_rune_count(s, n);
	if (!p->minus) {
		write_padding(p, width);
		strbuf_add(p->buf, s, n);
	} else {
		strbuf_add(p->buf, s, n);
		write_padding(p, width);
	}
}

static void pad_str(struct pp *p, const char *s)
{
	pad(p, s, strlen(s));
}

/* fmt's truncate: at most prec runes. */
static size_t truncate_len(struct pp *p, const char *s, size_t n)
{
	size_t i = 0;
	int k;
	int32_t r;

	if (!p->prec_present)
		return n;
	for (k = 0; k < p->prec && i < n; k++)
		i += go_utf8_decode(s + i, n - i, &r);
	return i;
}

static void fmt_s(struct pp *p, const char *s, size_t n)
{
	pad(p, s, truncate_len(p, s, n));
}

static void fmt_q(struct pp *p, const char *s, size_t n)
{
	struct strbuf q = STRBUF_INIT;

	n = truncate_len(p, s, n);
	if (p->sharp && go_can_backquote(s, n)) {
		strbuf_addch(&q, '`');
		strbuf_add(&q, s, n);
		strbuf_addch(&q, '`');
	} else {
		go_quote(&q, s, n, p->plus);
	}
	pad(p, q.buf, q.len);
	strbuf_release(&q);
}

static void fmt_sbx(struct pp *p, const char *s, size_t n, const char *digits)
{
	size_t length = n, i;
	int width;

	if (p->prec_present && (size_t)p->prec < length)
		length = (size_t)p->prec;
	width = 2 * (int)length;
	if (width > 0) {
		if (p->space) {
			if (p->sharp)
				width *= 2;
			width += (int)length - 1;
		} else if (p->sharp) {
			width += 2;
		}
	} else {
		if (p->wid_present)
			write_padding(p, p->wid);
		return;
	}
	if (p->wid_present && p->wid > width && !p->minus)
		write_padding(p, p->wid - width);
	if (p->sharp) {
		strbuf_addch(p->buf, '0');
		strbuf_addch(p->buf, digits[16]);
	}
	for (i = 0; i < length; i++) {
		unsigned char c = (unsigned char)s[i];

		if (p->space && i > 0) {
			strbuf_addch(p->buf, ' ');
			if (p->sharp) {
				strbuf_addch(p->buf, '0');
				strbuf_addch(p->buf, digits[16]);
			}
		}
		strbuf_addch(p->buf, digits[c >> 4]);
		strbuf_addch(p->buf, digits[c & 0xF]);
	}
	if (p->wid_present && p->wid > width && p->minus)
		write_padding(p, p->wid - width);
}

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

static void fmt_integer_base(struct pp *p, uint64_t u, int base, bool is_signed, int verb,
			     const char *digits)
{
	bool negative = is_signed && (int64_t)u < 0;
	char small[80];
	char *buf = small;
	size_t size = sizeof(small), i;
	int prec = 0;
	bool old_zero;

	if (negative)
		u = -u;
	if (p->wid_present || p->prec_present) {
		size_t want = 3 + (size_t)p->wid + (size_t)p->prec;

		if (want > size) {
			buf = xmalloc(want);
			size = want;
		}
	}
	if (p->prec_present) {
		prec = p->prec;
		if (prec == 0 && u == 0) {
			old_zero = p->zero;
			p->zero = false;
			write_padding(p, p->wid);
			p->zero = old_zero;
			goto out;
		}
	} else if (p->zero && p->wid_present) {
		prec = p->wid;
		if (negative || p->plus || p->space)
			prec--;
	}
	i = size;
	do {
		buf[--i] = digits[u % (uint64_t)base];
		u /= (uint64_t)base;
	} while (u);
	while (i > 0 && prec > (int)(size - i))
		buf[--i] = '0';
	if (p->sharp) {
		switch (base) {
		case 2:
			buf[--i] = 'b';
			buf[--i] = '0';
			break;
		case 8:
			if (buf[i] != '0')
				buf[--i] = '0';
			break;
		case 16:
			buf[--i] = digits[16];
			buf[--i] = '0';
			break;
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (negative)
		buf[--i] = '-';
	else if (p->plus)
		buf[--i] = '+';
	else if (p->space)
		buf[--i] = ' ';
	old_zero = p->zero;
	p->zero = false;
	pad(p, buf + i, size - i);
	p->zero = old_zero;
out:
	if (buf != small)
		free(buf);
}

static void fmt_c(struct pp *p, uint64_t c)
{
	char tmp[4];
	int32_t r = c > 0x10FFFF ? GO_RUNE_ERROR : (int32_t)c;

	pad(p, tmp, go_utf8_encode(tmp, r));
}

static void fmt_qc(struct pp *p, uint64_t c)
{
	struct strbuf q = STRBUF_INIT;
	int32_t r = c > 0x10FFFF ? GO_RUNE_ERROR : (int32_t)c;

	go_quote_rune(&q, r, p->plus);
	pad(p, q.buf, q.len);
	strbuf_release(&q);
}

static void fmt_unicode(struct pp *p, uint64_t u)
{
	struct strbuf b = STRBUF_INIT;
	char hex[24];
	int prec = 4, n;
	bool old_zero;

	if (p->prec_present && p->prec > 4)
		prec = p->prec;
	n = xsnprintf(hex, sizeof(hex), "%llX", (unsigned long long)u);
	strbuf_addstr(&b, "U+");
	if (n < prec)
		strbuf_addchars(&b, '0', (size_t)(prec - n));
	strbuf_add(&b, hex, (size_t)n);
	if (p->sharp && u <= 0x10FFFF && go_isprint((int32_t)u)) {
		char tmp[4];

		strbuf_addstr(&b, " '");
		strbuf_add(&b, tmp, go_utf8_encode(tmp, (int32_t)u));
		strbuf_addch(&b, '\'');
	}
	old_zero = p->zero;
	p->zero = false;
	pad(p, b.buf, b.len);
	p->zero = old_zero;
	strbuf_release(&b);
}

static void fmt_float(struct pp *p, double v, int bits, int verb, int prec)
{
	struct strbuf nb = STRBUF_INIT;
	char *num;
	size_t len;

	if (p->prec_present)
		prec = p->prec;
	/* Reserve num[0] for the sign, as fmt does. */
	strbuf_addch(&nb, '+');
	go_format_float(&nb, v, (char)verb, prec, bits);
	num = nb.buf;
	len = nb.len;
	if (num[1] == '-' || num[1] == '+') {
		num++;
		len--;
	}
	if (p->space && num[0] == '+' && !p->plus)
		num[0] = ' ';
	if (num[1] == 'I' || num[1] == 'N') {
		bool old_zero = p->zero;

		p->zero = false;
		if (num[1] == 'N' && !p->space && !p->plus) {
			num++;
			len--;
		}
		pad(p, num, len);
		p->zero = old_zero;
		goto out;
	}
	if (p->sharp && verb != 'b') {
		int digits = 0;
		size_t i, tail = len;
		bool has_point = false, saw_nonzero = false;
		struct strbuf s2 = STRBUF_INIT;

		if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x')
			digits = prec == -1 ? 6 : prec;
		for (i = 1; i < len; i++) {
			char ch = num[i];

			if (ch == '.') {
				has_point = true;
			} else if (ch == 'p' || ch == 'P') {
				tail = i;
				break;
			} else if ((ch == 'e' || ch == 'E') && verb != 'x' && verb != 'X') {
				tail = i;
				break;
			} else {
				if (ch != '0')
					saw_nonzero = true;
				if (saw_nonzero)
					digits--;
			}
		}
		strbuf_add(&s2, num, tail);
		if (!has_point) {
			if (tail == 2 && num[1] == '0')
				digits--;
			strbuf_addch(&s2, '.');
		}
		while (digits-- > 0)
			strbuf_addch(&s2, '0');
		strbuf_add(&s2, num + tail, len - tail);
		strbuf_release(&nb);
		nb = s2;
		num = nb.buf;
		len = nb.len;
	}
	if (p->plus || num[0] != '+') {
		if (p->zero && p->wid_present && p->wid > (int)len) {
			strbuf_addch(p->buf, num[0]);
			write_padding(p, p->wid - (int)len);
			strbuf_add(p->buf, num + 1, len - 1);
			goto out;
		}
		pad(p, num, len);
		goto out;
	}
	pad(p, num + 1, len - 1);
out:
	strbuf_release(&nb);
}

static int print_value(struct pp *p, const struct hv *v, int verb, int depth);

static void bad_verb(struct pp *p, const struct hv *v, int verb)
{
	char tmp[4];

	p->erroring = true;
	strbuf_addstr(p->buf, "%!");
	strbuf_add(p->buf, tmp, go_utf8_encode(tmp, verb));
	strbuf_addch(p->buf, '(');
	if (v && v->kind != HV_NIL) {
		strbuf_addstr(p->buf, v->type);
		strbuf_addch(p->buf, '=');
		print_value(p, v, 'v', 0);
	} else {
		strbuf_addstr(p->buf, "<nil>");
	}
	strbuf_addch(p->buf, ')');
	p->erroring = false;
}

static void fmt_integer(struct pp *p, const struct hv *v, uint64_t u, bool is_signed, int verb)
{
	switch (verb) {
	case 'v':
		if (p->sharp_v && !is_signed) {
			bool old = p->sharp;

			p->sharp = true;
			fmt_integer_base(p, u, 16, false, 'v', ldigits);
			p->sharp = old;
		} else {
			fmt_integer_base(p, u, 10, is_signed, verb, ldigits);
		}
		break;
	case 'd':
		fmt_integer_base(p, u, 10, is_signed, verb, ldigits);
		break;
	case 'b':
		fmt_integer_base(p, u, 2, is_signed, verb, ldigits);
		break;
	case 'o':
	case 'O':
		fmt_integer_base(p, u, 8, is_signed, verb, ldigits);
		break;
	case 'x':
		fmt_integer_base(p, u, 16, is_signed, verb, ldigits);
		break;
	case 'X':
		fmt_integer_base(p, u, 16, is_signed, verb, udigits);
		break;
	case 'c':
		fmt_c(p, u);
		break;
	case 'q':
		fmt_qc(p, u);
		break;
	case 'U':
		fmt_unicode(p, u);
		break;
	default:
		bad_verb(p, v, verb);
	}
}

static void fmt_string(struct pp *p, const struct hv *v, const char *s, size_t n, int verb)
{
	switch (verb) {
	case 'v':
		if (p->sharp_v)
			fmt_q(p, s, n);
		else
			fmt_s(p, s, n);
		break;
	case 's':
		fmt_s(p, s, n);
		break;
	case 'x':
		fmt_sbx(p, s, n, ldigits);
		break;
	case 'X':
		fmt_sbx(p, s, n, udigits);
		break;
	case 'q':
		fmt_q(p, s, n);
		break;
	default:
		bad_verb(p, v, verb);
	}
}

static int print_list(struct pp *p, const struct hv *v, int verb, int depth)
{
	size_t i;

	if (p->sharp_v) {
		strbuf_addstr(p->buf, v->type);
		strbuf_addch(p->buf, '{');
	} else {
		strbuf_addch(p->buf, '[');
	}
	for (i = 0; i < v->list->n; i++) {
		int r;

		if (i)
			strbuf_addstr(p->buf, p->sharp_v ? ", " : " ");
		r = print_value(p, v->list->items[i], verb, depth + 1);
		if (r)
			return r;
	}
	return strbuf_addch(p->buf, p->sharp_v ? '}' : ']');
}

static int print_map(struct pp *p, const struct hv *v, int verb, int depth)
{
	const char **keys;
	size_t *lens, n, i;
	int r = hv_map_keys(p->c, v, &keys, &lens, &n);
	struct hv key = { .kind = HV_STRING, .type = HV_T_STRING };

	if (r)
		return r;
	if (p->sharp_v) {
		strbuf_addstr(p->buf, v->type);
		strbuf_addch(p->buf, '{');
	} else {
		strbuf_addstr(p->buf, "map[");
	}
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(p->buf, p->sharp_v ? ", " : " ");
		key.s = keys[i];
		key.len = lens[i];
		print_value(p, &key, verb, depth + 1);
		strbuf_addch(p->buf, ':');
		r = print_value(p, hv_map_get(v, keys[i], lens[i]), verb, depth + 1);
		if (r)
			return r;
	}
	return strbuf_addch(p->buf, p->sharp_v ? '}' : ']');
}

/* A value with a String() method (time.Time, objects with a format). */
static int print_stringer(struct pp *p, const struct hv *v, int verb)
{
	struct strbuf s = STRBUF_INIT;
	int r = 0;

	if (v->kind == HV_TIME)
		go_time_string(&s, v->time.sec, v->time.nsec, v->time.offset, v->time.zone);
	else if (v->obj.cls->format)
		r = v->obj.cls->format(p->c, &s, v->obj.self);
	else
		strbuf_addstr(&s, "{}");
	if (!r) {
		if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')
			fmt_string(p, v, s.buf, s.len, verb);
		else if (p->erroring)
			strbuf_addbuf(p->buf, &s);
		else
			bad_verb(p, v, verb);
	}
	strbuf_release(&s);
	return r;
}

static int print_value(struct pp *p, const struct hv *v, int verb, int depth)
{
	if (p->buf->len > (p->c->max_output ? p->c->max_output : (size_t)256 << 20))
		return err_set(ERR_TOOBIG, "formatted output exceeds %zu bytes",
			       p->c->max_output ? p->c->max_output : (size_t)256 << 20);
	switch (v->kind) {
	case HV_NIL:
		if (depth == 0) {
			if (verb == 'T' || verb == 'v')
				pad_str(p, "<nil>");
			else
				bad_verb(p, NULL, verb);
		} else if (p->sharp_v) {
			strbuf_addstr(p->buf, "interface {}(nil)");
		} else {
			strbuf_addstr(p->buf, "<nil>");
		}
		return 0;
	default:
		break;
	}
	if (depth == 0 && verb == 'T') {
		fmt_s(p, v->type, strlen(v->type));
		return 0;
	}
	if (depth == 0 && verb == 'p') {
		if (v->kind == HV_LIST || v->kind == HV_MAP || v->kind == HV_OBJ) {
			/* Addresses differ from run to run in Go too; print a stable one. */
			fmt_integer_base(p, 0xc000010000, 16, false, 'v', ldigits);
			return 0;
		}
		bad_verb(p, v, verb);
		return 0;
	}
	switch (v->kind) {
	case HV_BOOL:
		if (verb == 't' || verb == 'v')
			pad_str(p, v->b ? "true" : "false");
		else
			bad_verb(p, v, verb);
		return 0;
	case HV_INT:
		fmt_integer(p, v, (uint64_t)v->i, true, verb);
		return 0;
	case HV_UINT:
		fmt_integer(p, v, v->u, false, verb);
		return 0;
	case HV_FLOAT: {
		int bits = strcmp(v->type, "float32") == 0 ? 32 : 64;

		switch (verb) {
		case 'v':
			fmt_float(p, v->f, bits, 'g', -1);
			break;
		case 'b':
		case 'g':
		case 'G':
		case 'x':
		case 'X':
			fmt_float(p, v->f, bits, verb, -1);
			break;
		case 'f':
		case 'e':
		case 'E':
			fmt_float(p, v->f, bits, verb, 6);
			break;
		case 'F':
			fmt_float(p, v->f, bits, 'f', 6);
			break;
		default:
			bad_verb(p, v, verb);
		}
		return 0;
	}
	case HV_STRING:
		fmt_string(p, v, v->s, v->len, verb);
		return 0;
	case HV_BYTES: {
		size_t i;

		switch (verb) {
		case 's':
			fmt_s(p, v->s, v->len);
			return 0;
		case 'x':
			fmt_sbx(p, v->s, v->len, ldigits);
			return 0;
		case 'X':
			fmt_sbx(p, v->s, v->len, udigits);
			return 0;
		case 'q':
			fmt_q(p, v->s, v->len);
			return 0;
		}
		if (p->sharp_v && (verb == 'v' || verb == 'd')) {
			strbuf_addstr(p->buf, depth == 0 ? "[]byte{" : "[]uint8{");
			for (i = 0; i < v->len; i++) {
				bool old = p->sharp;

				if (i)
					strbuf_addstr(p->buf, ", ");
				p->sharp = true;
				fmt_integer_base(p, (unsigned char)v->s[i], 16, false, 'v', ldigits);
				p->sharp = old;
			}
			return strbuf_addch(p->buf, '}');
		}
		strbuf_addch(p->buf, '[');
		for (i = 0; i < v->len; i++) {
			struct hv b = { .kind = HV_UINT, .type = "uint8", .u = (unsigned char)v->s[i] };

			if (i)
				strbuf_addch(p->buf, ' ');
			if (verb == 'v' || verb == 'd')
				fmt_integer_base(p, b.u, 10, false, verb, ldigits);
			else
				fmt_integer(p, &b, b.u, false, verb);
		}
		return strbuf_addch(p->buf, ']');
	}
	case HV_LIST:
		return print_list(p, v, verb, depth);
	case HV_MAP:
		return print_map(p, v, verb, depth);
	case HV_TIME:
	case HV_OBJ:
		return print_stringer(p, v, verb);
	case HV_NIL:
		break;
	}
	return 0;
}

/* fmt's parsenum: digits at s[*i..end), at most 1e6. */
static bool parse_num(const char *s, size_t *i, size_t end, int *num)
{
	bool isnum = false;

	*num = 0;
	while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
		if (*num > 1000000) {
			*num = 0;
			*i = end;
			return false;
		}
		*num = *num * 10 + (s[*i] - '0');
		isnum = true;
		(*i)++;
	}
	return isnum;
}

/* fmt's intFromArg: an integer argument for '*'. */
static bool int_from_arg(struct hv *const *args, size_t nargs, size_t *argn, int *num)
{
	bool ok = false;

	*num = 0;
	if (*argn >= nargs)
		return false;
	const struct hv *a = args[*argn];

	if (a->kind == HV_INT && a->i >= INT32_MIN && a->i <= INT32_MAX) {
		*num = (int)a->i;
		ok = true;
	} else if (a->kind == HV_INT) {
		ok = false;
	} else if (a->kind == HV_UINT && a->u <= INT32_MAX) {
		*num = (int)a->u;
		ok = true;
	}
	(*argn)++;
	if (*num > 1000000 || *num < -1000000) {
		*num = 0;
		ok = false;
	}
	return ok;
}

struct arg_state {
	size_t argn;
	bool reordered, good_argnum;
};

/* fmt's argNumber: an optional [n] index. Returns whether one was read. */
static bool arg_number(struct arg_state *st, const char *f, size_t *i, size_t end, size_t nargs)
{
	size_t j;
	int idx;

	if (*i >= end || f[*i] != '[')
		return false;
	st->reordered = true;
	if (end - *i < 3) {
		(*i)++;
		st->good_argnum = false;
		return false;
	}
	for (j = *i + 1; j < end; j++) {
		if (f[j] == ']') {
			size_t k = *i + 1;
			bool ok = parse_num(f, &k, j, &idx);

			*i = j + 1;
			if (!ok || k != j) {
				st->good_argnum = false;
				return false;
			}
			if (idx - 1 >= 0 && (size_t)(idx - 1) < nargs) {
				st->argn = (size_t)(idx - 1);
				return true;
			}
			st->good_argnum = false;
			return true;
		}
	}
	(*i)++;
	st->good_argnum = false;
	return false;
}

int hv_sprintf(struct helm_ctx *c, struct strbuf *out, const char *f, size_t end,
	       struct hv *const *args, size_t nargs)
{
	struct pp p = { .c = c, .buf = out };
	struct arg_state st = { 0 };
	size_t i = 0;
	int r = 0;

	while (i < end) {
		size_t lasti = i;
		bool after_index;
		int32_t verb;

		st.good_argnum = true;
		while (i < end && f[i] != '%')
			i++;
		if (i > lasti)
			strbuf_add(out, f + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		clear_flags(&p);
		for (; i < end; i++) {
			char ch = f[i];

			if (ch == '#')
				p.sharp = true;
			else if (ch == '0')
				p.zero = !p.minus;
			else if (ch == '+')
				p.plus = true;
			else if (ch == '-') {
				p.minus = true;
				p.zero = false;
			} else if (ch == ' ')
				p.space = true;
			else
				break;
		}
		after_index = arg_number(&st, f, &i, end, nargs);
		if (i < end && f[i] == '*') {
			i++;
			p.wid_present = int_from_arg(args, nargs, &st.argn, &p.wid);
			if (!p.wid_present)
				strbuf_addstr(out, "%!(BADWIDTH)");
			if (p.wid < 0) {
				p.wid = -p.wid;
				p.minus = true;
				p.zero = false;
			}
			after_index = false;
		} else {
			p.wid_present = parse_num(f, &i, end, &p.wid);
			if (after_index && p.wid_present)
				st.good_argnum = false;
		}
		if (i + 1 < end && f[i] == '.') {
			i++;
			if (after_index)
				st.good_argnum = false;
			after_index = arg_number(&st, f, &i, end, nargs);
			if (i < end && f[i] == '*') {
				i++;
				p.prec_present = int_from_arg(args, nargs, &st.argn, &p.prec);
				if (p.prec < 0) {
					p.prec = 0;
					p.prec_present = false;
				}
				if (!p.prec_present)
					strbuf_addstr(out, "%!(BADPREC)");
				after_index = false;
			} else {
				p.prec_present = parse_num(f, &i, end, &p.prec);
				if (!p.prec_present) {
					p.prec = 0;
					p.prec_present = true;
				}
			}
		}
		if (!after_index)
			after_index = arg_number(&st, f, &i, end, nargs);
		if (i >= end) {
			strbuf_addstr(out, "%!(NOVERB)");
			break;
		}
		i += go_utf8_decode(f + i, end - i, &verb);
		if (verb == '%') {
			strbuf_addch(out, '%');
		} else if (!st.good_argnum) {
			char tmp[4];

			strbuf_addstr(out, "%!");
			strbuf_add(out, tmp, go_utf8_encode(tmp, verb));
			strbuf_addstr(out, "(BADINDEX)");
		} else if (st.argn >= nargs) {
			char tmp[4];

			strbuf_addstr(out, "%!");
			strbuf_add(out, tmp, go_utf8_encode(tmp, verb));
			strbuf_addstr(out, "(MISSING)");
		} else {
			if (verb == 'v') {
				p.sharp_v = p.sharp;
				p.sharp = false;
				p.plus_v = p.plus;
				p.plus = false;
			}
			r = print_value(&p, args[st.argn], verb, 0);
			if (r)
				return r;
			st.argn++;
		}
	}
	if (!st.reordered && st.argn < nargs) {
		clear_flags(&p);
		strbuf_addstr(out, "%!(EXTRA ");
		for (i = st.argn; i < nargs; i++) {
			if (i > st.argn)
				strbuf_addstr(out, ", ");
			if (args[i]->kind == HV_NIL) {
				strbuf_addstr(out, "<nil>");
			} else {
				strbuf_addstr(out, args[i]->type);
				strbuf_addch(out, '=');
				r = print_value(&p, args[i], 'v', 0);
				if (r)
					return r;
			}
		}
		strbuf_addch(out, ')');
	}
	return 0;
}

int hv_format_v(struct helm_ctx *c, struct strbuf *out, const struct hv *v)
{
	struct pp p = { .c = c, .buf = out };

	/* The common cases without the printer's machinery. */
	switch (v->kind) {
	case HV_STRING:
		return strbuf_add(out, v->s, v->len);
	case HV_INT:
		return strbuf_addf(out, "%lld", (long long)v->i);
	case HV_FLOAT:
		if (v->f == floor(v->f) && fabs(v->f) < 1e6 && !(v->f == 0 && signbit(v->f)) &&
		    strcmp(v->type, HV_T_FLOAT64) == 0)
			return strbuf_addf(out, "%.0f", v->f);
		break;
	default:
		break;
	}
	return print_value(&p, v, 'v', 0);
}

static bool is_string_kind(const struct hv *v)
{
	return v->kind == HV_STRING;
}

int hv_sprint(struct helm_ctx *c, struct strbuf *out, struct hv *const *args, size_t nargs)
{
	size_t i;
	bool prev_string = false;
	int r;

	for (i = 0; i < nargs; i++) {
		bool is_string = is_string_kind(args[i]);

		if (i > 0 && !is_string && !prev_string)
			strbuf_addch(out, ' ');
		r = hv_format_v(c, out, args[i]);
		if (r)
			return r;
		prev_string = is_string;
	}
	return 0;
}

int hv_sprintln(struct helm_ctx *c, struct strbuf *out, struct hv *const *args, size_t nargs)
{
	size_t i;
	int r;

	for (i = 0; i < nargs; i++) {
		if (i > 0)
			strbuf_addch(out, ' ');
		r = hv_format_v(c, out, args[i]);
		if (r)
			return r;
	}
	return strbuf_addch(out, '\n');
}
