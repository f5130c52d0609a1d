/*
 * sprig-misc.c - Sprig's defaults, conversions, math, reflection, hashes,
 * paths, JSON and random functions, and the reproducible randomness and
 * clock every random or time-dependent function goes through.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <math.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <zlib.h>

/* --- reproducibility ------------------------------------------------------ */

int sprig_random(struct helm_ctx *c, const char *fn, const void *what, size_t wlen,
		 unsigned char *buf, size_t len)
{
	unsigned char block[32];
	unsigned int blen;
	uint64_t call;
	uint32_t i;
	size_t off = 0;

	if (!c->reproducible) {
		while (off < len) {
			size_t k = len - off > 1 << 20 ? 1 << 20 : len - off;
			if (RAND_bytes(buf + off, (int)k) != 1)
				return err_set(ERR_GENERIC, "%s: the system's random source failed", fn);
			off += k;
		}
		return 0;
	}
	/* The engine prefixes "error calling FN:" and the template's position. */
	if (!c->secret || !c->secret_len)
		return hctx_fail(c,
				 "a random value would make every render of this artifact "
				 "different; set the value it produces in the chart's values, or "
				 "give hoist a render secret (see docs/helm.md)");
	/*
	 * HMAC-SHA256 in counter mode, keyed by the publisher's secret and
	 * personalised by the function, its arguments and the call's rank in
	 * the render: the same chart and values give the same bytes, and
	 * nobody without the secret can predict them.
	 */
	call = c->drbg_calls++;
	for (i = 0; off < len; i++) {
		struct strbuf msg = STRBUF_INIT;
		unsigned char ctr[12];
		size_t k;

		for (k = 0; k < 8; k++)
			ctr[k] = (unsigned char)(call >> (56 - 8 * k));
		for (k = 0; k < 4; k++)
			ctr[8 + k] = (unsigned char)(i >> (24 - 8 * k));
		strbuf_add(&msg, "hoist-helm-drbg", 16);
		strbuf_add(&msg, fn, strlen(fn) + 1);
		strbuf_add(&msg, what, wlen);
		strbuf_add(&msg, ctr, sizeof(ctr));
		if (!HMAC(EVP_sha256(), c->secret, (int)c->secret_len,
			  (const unsigned char *)msg.buf, msg.len, block, &blen)) {
			strbuf_release(&msg);
			return err_set(ERR_GENERIC, "%s: HMAC failed", fn);
		}
		strbuf_release(&msg);
		k = len - off < blen ? len - off : blen;
		memcpy(buf + off, block, k);
		off += k;
	}
	return 0;
}

void sprig_now(struct helm_ctx *c, struct hv_time *t)
{
	struct timespec ts;
	struct tm tm;
	time_t secs;

	memset(t, 0, sizeof(*t));
	if (c->reproducible) {
		t->sec = c->now_sec;
		t->zone = "UTC";
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t->sec = ts.tv_sec;
	t->nsec = (int32_t)ts.tv_nsec;
	secs = ts.tv_sec;
	if (localtime_r(&secs, &tm)) {
		t->offset = (int32_t)tm.tm_gmtoff;
		t->zone = tm.tm_zone ? tm.tm_zone : "UTC";
	} else {
		t->zone = "UTC";
	}
}

/* --- kinds ---------------------------------------------------------------- */

const char *sprig_kind(const struct hv *v)
{
	switch (v->kind) {
	case HV_NIL:
		return "invalid";
	case HV_BOOL:
		return "bool";
	case HV_INT:
		return !strncmp(v->type, "int", 3) ? v->type : "int";
	case HV_UINT:
		return !strncmp(v->type, "uint", 4) ? v->type : "uint";
	case HV_FLOAT:
		return !strcmp(v->type, "float32") ? "float32" : "float64";
	case HV_STRING:
		return "string";
	case HV_BYTES:
	case HV_LIST:
		return "slice";
	case HV_MAP:
		return "map";
	case HV_TIME:
		return "struct";
	default:
		return v->type[0] == '*' ? "ptr" : "struct";
	}
}

SPRIG_FN(sf_typeof)
{
	return sprig_ret(out, hv_cstr(c, a[0]->type));
}

SPRIG_FN(sf_typeis)
{
	*out = hv_bool(!strcmp(a[0]->s, a[1]->type));
	return 0;
}

SPRIG_FN(sf_typeislike)
{
	const char *t = a[1]->type;

	*out = hv_bool(!strcmp(a[0]->s, t) || (t[0] == '*' && !strcmp(a[0]->s, t + 1)));
	return 0;
}

SPRIG_FN(sf_kindof)
{
	return sprig_ret(out, hv_cstr(c, sprig_kind(a[0])));
}

SPRIG_FN(sf_kindis)
{
	*out = hv_bool(!strcmp(a[0]->s, sprig_kind(a[1])));
	return 0;
}

/* --- defaults ------------------------------------------------------------- */

SPRIG_FN(sf_default)
{
	if (n < 2 || sprig_empty(a[1]))
		return sprig_ret(out, a[0]);
	return sprig_ret(out, a[1]);
}

SPRIG_FN(sf_empty)
{
	*out = hv_bool(sprig_empty(a[0]));
	return 0;
}

SPRIG_FN(sf_coalesce)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sprig_empty(a[i]))
			return sprig_ret(out, a[i]);
	*out = hv_nil();
	return 0;
}

SPRIG_FN(sf_all)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sprig_empty(a[i])) {
			*out = hv_bool(false);
			return 0;
		}
	*out = hv_bool(true);
	return 0;
}

SPRIG_FN(sf_any)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sprig_empty(a[i])) {
			*out = hv_bool(true);
			return 0;
		}
	*out = hv_bool(false);
	return 0;
}

SPRIG_FN(sf_ternary)
{
	return sprig_ret(out, a[2]->b ? a[0] : a[1]);
}

/* --- JSON (Sprig's own; Helm replaces toJson/fromJson with its versions) --- */


SPRIG_FN(sf_mustfromjson)
{
	if (helm_json_parse(c, out, a[0]->s, a[0]->len, HELM_INTO_ANY))
		return err_code() == ERR_TOOBIG ? ERR_TOOBIG : hctx_fail(c, "%s", err_msg());
	return 0;
}

static int to_json(struct helm_ctx *c, struct hv **out, const struct hv *v, const char *indent,
		   bool raw, int mode)
{
	struct helm_json_opts o = { indent, raw };
	struct strbuf sb = STRBUF_INIT;

	if (helm_json_emit(c, &sb, v, &o)) {
		strbuf_release(&sb);
		if (mode == 0)
			return sprig_ret(out, hv_cstr(c, "")); /* errors swallowed */
		return hctx_fail(c, "%s", err_msg());      /* must*, or a panic */
	}
	return sprig_ret_buf(c, out, &sb);
}



SPRIG_FN(sf_toprettyjson)
{
	return to_json(c, out, a[0], "  ", false, 0);
}

SPRIG_FN(sf_musttoprettyjson)
{
	return to_json(c, out, a[0], "  ", false, 1);
}

SPRIG_FN(sf_torawjson)
{
	return to_json(c, out, a[0], NULL, true, 1);
}

/* --- conversions ---------------------------------------------------------- */

SPRIG_FN(sf_atoi)
{
	const char *s = a[0]->s;
	size_t len = a[0]->len, i = 0;
	bool neg = false;
	uint64_t v = 0;
	bool range = false;

	if (len && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return sprig_ret(out, hv_int(c, 0));
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return sprig_ret(out, hv_int(c, 0));
		if (v > (UINT64_MAX - 9) / 10)
			range = true;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	/* strconv.Atoi clamps on overflow, and Sprig keeps the clamped value. */
	if (range || (!neg && v > INT64_MAX))
		return sprig_ret(out, hv_int(c, neg ? INT64_MIN : INT64_MAX));
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return sprig_ret(out, hv_int(c, INT64_MIN));
	return sprig_ret(out, hv_int(c, neg ? (int64_t)(0 - v) : (int64_t)v));
}

SPRIG_FN(sf_int)
{
	return sprig_ret(out, hv_int(c, sprig_to_int64(a[0])));
}

SPRIG_FN(sf_int64)
{
	return sprig_ret(out, hv_int_t(c, sprig_to_int64(a[0]), HV_T_INT64));
}

SPRIG_FN(sf_float64)
{
	return sprig_ret(out, hv_float(c, sprig_to_float64(a[0])));
}

SPRIG_FN(sf_todecimal)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t v = 0;
	size_t i = 0;
	bool neg = false, ok = true;
	uint64_t m = 0;
	int r = hv_format_v(c, &sb, a[0]);

	if (r) {
		strbuf_release(&sb);
		return r;
	}
	/* strconv.ParseInt(s, 8, 64) */
	if (sb.len && (sb.buf[0] == '+' || sb.buf[0] == '-')) {
		neg = sb.buf[0] == '-';
		i = 1;
	}
	if (i == sb.len)
		ok = false;
	for (; ok && i < sb.len; i++) {
		char ch = sb.buf[i];
		if (ch == '_' || ch < '0' || ch > '7' || m > (UINT64_MAX >> 3))
			ok = false;
		else
			m = m * 8 + (uint64_t)(ch - '0');
	}
	if (ok && ((!neg && m > INT64_MAX) || (neg && m > (uint64_t)INT64_MAX + 1)))
		ok = false;
	if (ok)
		v = neg ? (int64_t)(0 - m) : (int64_t)m;
	strbuf_release(&sb);
	return sprig_ret(out, hv_int_t(c, v, HV_T_INT64));
}

/* --- math ----------------------------------------------------------------- */

static struct hv *i64(struct helm_ctx *c, int64_t v)
{
	return hv_int_t(c, v, HV_T_INT64);
}

static int64_t wrap_add(int64_t x, int64_t y)
{
	return (int64_t)((uint64_t)x + (uint64_t)y);
}

static int64_t wrap_mul(int64_t x, int64_t y)
{
	return (int64_t)((uint64_t)x * (uint64_t)y);
}

SPRIG_FN(sf_add1)
{
	return sprig_ret(out, i64(c, wrap_add(sprig_to_int64(a[0]), 1)));
}

SPRIG_FN(sf_add)
{
	int64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s = wrap_add(s, sprig_to_int64(a[i]));
	return sprig_ret(out, i64(c, s));
}

SPRIG_FN(sf_sub)
{
	return sprig_ret(out, i64(c, (int64_t)((uint64_t)sprig_to_int64(a[0]) -
					       (uint64_t)sprig_to_int64(a[1]))));
}

static int divmod(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool mod)
{
	int64_t x = sprig_to_int64(a[0]), y = sprig_to_int64(a[1]);

	if (!y)
		return hctx_fail(c, "runtime error: integer divide by zero");
	if (y == -1)
		return sprig_ret(out, i64(c, mod ? 0 : (int64_t)(0 - (uint64_t)x)));
	return sprig_ret(out, i64(c, mod ? x % y : x / y));
}

SPRIG_FN(sf_div)
{
	return divmod(c, out, a, false);
}

SPRIG_FN(sf_mod)
{
	return divmod(c, out, a, true);
}

SPRIG_FN(sf_mul)
{
	int64_t s = sprig_to_int64(a[0]);
	size_t i;

	for (i = 1; i < n; i++)
		s = wrap_mul(s, sprig_to_int64(a[i]));
	return sprig_ret(out, i64(c, s));
}

SPRIG_FN(sf_max)
{
	int64_t m = sprig_to_int64(a[0]), x;
	size_t i;

	for (i = 1; i < n; i++)
		if ((x = sprig_to_int64(a[i])) > m)
			m = x;
	return sprig_ret(out, i64(c, m));
}

SPRIG_FN(sf_min)
{
	int64_t m = sprig_to_int64(a[0]), x;
	size_t i;

	for (i = 1; i < n; i++)
		if ((x = sprig_to_int64(a[i])) < m)
			m = x;
	return sprig_ret(out, i64(c, m));
}

/* math.Max / math.Min with Go's NaN and signed-zero rules. */
static double go_max(double x, double y)
{
	if (isinf(x) && x > 0)
		return x;
	if (isinf(y) && y > 0)
		return y;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? y : x;
	return x > y ? x : y;
}

static double go_min(double x, double y)
{
	if (isinf(x) && x < 0)
		return x;
	if (isinf(y) && y < 0)
		return y;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? x : y;
	return x < y ? x : y;
}

SPRIG_FN(sf_maxf)
{
	double m = sprig_to_float64(a[0]);
	size_t i;

	for (i = 1; i < n; i++)
		m = go_max(m, sprig_to_float64(a[i]));
	return sprig_ret(out, hv_float(c, m));
}

SPRIG_FN(sf_minf)
{
	double m = sprig_to_float64(a[0]);
	size_t i;

	for (i = 1; i < n; i++)
		m = go_min(m, sprig_to_float64(a[i]));
	return sprig_ret(out, hv_float(c, m));
}

SPRIG_FN(sf_floor)
{
	return sprig_ret(out, hv_float(c, floor(sprig_to_float64(a[0]))));
}

SPRIG_FN(sf_ceil)
{
	return sprig_ret(out, hv_float(c, ceil(sprig_to_float64(a[0]))));
}

SPRIG_FN(sf_round)
{
	double on = n > 2 ? a[2]->f : 0.5, val = sprig_to_float64(a[0]);
	double pw = pow(10, (double)a[1]->i), d = pw * val, ip, frac;

	frac = modf(d, &ip);
	return sprig_ret(out, hv_float(c, (frac >= on ? ceil(d) : floor(d)) / pw));
}

/*
 * shopspring/decimal as Sprig's float math uses it: each operand is the
 * exact decimal of its shortest representation, the sum or product is
 * exact, a quotient has 16 decimal places, and the result is read back
 * as the nearest float64.
 */
struct dec {
	__int128 m; /* value = m * 10^e */
	int e;
	bool ok;
};

static struct dec dec_from(double f)
{
	struct dec d = { 0, 0, true };
	char b[64], *p;
	int exp10 = 0, frac = 0;
	bool neg = false, dot = false;

	if (isnan(f) || isinf(f)) {
		d.ok = false;
		return d;
	}
	helm_format_float(b, sizeof(b), f, 'e', 64);
	p = b;
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; *p && *p != 'e'; p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		d.m = d.m * 10 + (*p - '0');
		if (dot)
			frac++;
	}
	if (*p == 'e')
		exp10 = (int)strtol(p + 1, NULL, 10);
	d.e = exp10 - frac;
	if (neg)
		d.m = -d.m;
	return d;
}

static bool dec_align(struct dec *x, struct dec *y)
{
	while (x->e > y->e) {
		if (x->m > (__int128)1e36 || x->m < -(__int128)1e36)
			return false;
		x->m *= 10;
		x->e--;
	}
	while (y->e > x->e) {
		if (y->m > (__int128)1e36 || y->m < -(__int128)1e36)
			return false;
		y->m *= 10;
		y->e--;
	}
	return true;
}

static double dec_value(struct dec d)
{
	char b[128];
	char digits[64];
	int k = 0;
	bool neg = d.m < 0;
	__int128 m = neg ? -d.m : d.m;

	if (!m)
		return 0;
	while (m) {
		digits[k++] = (char)('0' + (int)(m % 10));
		m /= 10;
	}
	{
		int i, o = 0;
		if (neg)
			b[o++] = '-';
		for (i = k - 1; i >= 0; i--)
			b[o++] = digits[i];
		o += snprintf(b + o, sizeof(b) - (size_t)o, "e%d", d.e);
	}
	return strtod(b, NULL);
}

enum dec_op { DEC_ADD, DEC_SUB, DEC_MUL, DEC_DIV };

static double dec_op(double x, double y, enum dec_op op)
{
	struct dec a = dec_from(x), b = dec_from(y), r;

	if (!a.ok || !b.ok)
		goto approx;
	switch (op) {
	case DEC_ADD:
	case DEC_SUB:
		if (!dec_align(&a, &b))
			goto approx;
		r.m = op == DEC_ADD ? a.m + b.m : a.m - b.m;
		r.e = a.e;
		return dec_value(r);
	case DEC_MUL: {
		/* Both mantissas have at most 17 digits: the product fits. */
		r.m = a.m * b.m;
		r.e = a.e + b.e;
		return dec_value(r);
	}
	case DEC_DIV:
		if (!b.m)
			return NAN; /* the caller reports decimal's panic */
		{
			/* Exactly: round(a / b) at 16 decimal places, half away from zero. */
			int k = a.e - b.e + 16;
			__int128 num = a.m, den = b.m, q, rem;
			bool fits = true;
			int j;
			for (j = 0; j < k && fits; j++) {
				if (num > (__int128)1e36 || num < -(__int128)1e36)
					fits = false;
				else
					num *= 10;
			}
			for (j = 0; j < -k && fits; j++) {
				if (den > (__int128)1e36 || den < -(__int128)1e36)
					fits = false;
				else
					den *= 10;
			}
			if (fits) {
				q = num / den;
				rem = num % den;
				if (rem < 0)
					rem = -rem;
				if (2 * rem >= (den < 0 ? -den : den))
					q += (num < 0) != (den < 0) ? -1 : 1;
				r.m = q;
				r.e = -16;
				return dec_value(r);
			}
		}
		{
			/* 16 decimal places, rounded half away from zero. */
			long double q = (long double)dec_value(a) / (long double)dec_value(b);
			long double s = roundl(q * 1e16L) / 1e16L;
			char buf[64];
			snprintf(buf, sizeof(buf), "%.16Lf", s);
			/* A decimal has no negative zero. */
			return strtod(buf, NULL) == 0 ? 0 : strtod(buf, NULL);
		}
	}
approx:
	switch (op) {
	case DEC_ADD:
		return x + y;
	case DEC_SUB:
		return x - y;
	case DEC_MUL:
		return x * y;
	default:
		return x / y;
	}
}

static int float_fold(struct helm_ctx *c, struct hv **out, double start, struct hv *const *a,
		      size_t n, enum dec_op op)
{
	double acc = start;
	size_t i;

	for (i = 0; i < n; i++) {
		double y = sprig_to_float64(a[i]);
		if (op == DEC_DIV && y == 0)
			return hctx_fail(c, "decimal division by 0");
		acc = dec_op(acc, y, op);
	}
	return sprig_ret(out, hv_float(c, acc));
}

SPRIG_FN(sf_add1f)
{
	return sprig_ret(out, hv_float(c, dec_op(sprig_to_float64(a[0]), 1, DEC_ADD)));
}

SPRIG_FN(sf_addf)
{
	return float_fold(c, out, 0, a, n, DEC_ADD);
}

SPRIG_FN(sf_subf)
{
	return float_fold(c, out, sprig_to_float64(a[0]), a + 1, n - 1, DEC_SUB);
}

SPRIG_FN(sf_mulf)
{
	return float_fold(c, out, sprig_to_float64(a[0]), a + 1, n - 1, DEC_MUL);
}

SPRIG_FN(sf_divf)
{
	return float_fold(c, out, sprig_to_float64(a[0]), a + 1, n - 1, DEC_DIV);
}

/* --- hashes and encodings ------------------------------------------------- */

static int hex_digest(struct helm_ctx *c, struct hv **out, const EVP_MD *md, const struct hv *s)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0, i;
	struct strbuf sb = STRBUF_INIT;

	if (!EVP_Digest(s->s, s->len, d, &dl, md, NULL))
		return err_set(ERR_GENERIC, "digest failed");
	for (i = 0; i < dl; i++)
		strbuf_addf(&sb, "%02x", d[i]);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_sha1sum)
{
	return hex_digest(c, out, EVP_sha1(), a[0]);
}

SPRIG_FN(sf_sha256sum)
{
	return hex_digest(c, out, EVP_sha256(), a[0]);
}

SPRIG_FN(sf_sha512sum)
{
	return hex_digest(c, out, EVP_sha512(), a[0]);
}

SPRIG_FN(sf_adler32sum)
{
	char b[16];
	uLong sum = adler32(1L, (const Bytef *)a[0]->s, 0);
	size_t off = 0;

	while (off < a[0]->len) {
		size_t k = a[0]->len - off > (1u << 30) ? (1u << 30) : a[0]->len - off;
		sum = adler32(sum, (const Bytef *)a[0]->s + off, (uInt)k);
		off += k;
	}
	snprintf(b, sizeof(b), "%lu", (unsigned long)sum);
	return sprig_ret(out, hv_cstr(c, b));
}

int sprig_b64_encode(struct strbuf *out, const void *p, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	int r;

	if (len > INT32_MAX / 2)
		return err_set(ERR_TOOBIG, "value too large to encode");
	r = strbuf_grow(out, need + 1);
	if (r)
		return r;
	EVP_EncodeBlock((unsigned char *)out->buf + out->len, p, (int)len);
	strbuf_setlen(out, out->len + need);
	return 0;
}

int sprig_b64_decode(struct strbuf *out, const char *s, size_t len, size_t *bad_at)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t i, n = 0, qstart = 0;

	for (i = 0; i < len; i++) {
		const char *q;
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (n % 4 == 0)
			qstart = i;
		if (s[i] == '=') {
			/* Padding: "x==" or "xx=" ends the input. */
			size_t k = n % 4, j = i + 1;
			if (k < 2) {
				*bad_at = i;
				return ERR_INVALID;
			}
			if (k == 2) {
				while (j < len && (s[j] == '\r' || s[j] == '\n'))
					j++;
				if (j >= len || s[j] != '=') {
					*bad_at = j >= len ? len : j;
					return ERR_INVALID;
				}
				j++;
			}
			while (j < len && (s[j] == '\r' || s[j] == '\n'))
				j++;
			if (j < len) {
				*bad_at = j;
				return ERR_INVALID;
			}
			if (k == 2)
				strbuf_addch(out, (int)(acc >> 4) & 0xFF);
			else {
				strbuf_addch(out, (int)(acc >> 10) & 0xFF);
				strbuf_addch(out, (int)(acc >> 2) & 0xFF);
			}
			return 0;
		}
		if (!s[i] || !(q = strchr(alpha, s[i]))) {
			*bad_at = i;
			return ERR_INVALID;
		}
		acc = (acc << 6) | (uint32_t)(q - alpha);
		if (++n % 4 == 0) {
			strbuf_addch(out, (int)(acc >> 16) & 0xFF);
			strbuf_addch(out, (int)(acc >> 8) & 0xFF);
			strbuf_addch(out, (int)acc & 0xFF);
			acc = 0;
		}
	}
	if (n % 4) {
		*bad_at = qstart;
		return ERR_INVALID;
	}
	return 0;
}

/* --- paths (Go's path package; filepath is the same on Linux) ------------ */

static void path_clean(struct strbuf *sb, const char *p, size_t len)
{
	bool rooted = len && p[0] == '/';
	size_t r = 0, dotdot;

	if (!len) {
		strbuf_addch(sb, '.');
		return;
	}
	if (rooted) {
		strbuf_addch(sb, '/');
		r = 1;
	}
	dotdot = sb->len;
	while (r < len) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == len || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == len || p[r + 2] == '/')) {
			r += 2;
			if (sb->len > dotdot) {
				size_t w = sb->len - 1;
				while (w > dotdot && sb->buf[w] != '/')
					w--;
				strbuf_setlen(sb, w);
			} else if (!rooted) {
				if (sb->len > 0)
					strbuf_addch(sb, '/');
				strbuf_addstr(sb, "..");
				dotdot = sb->len;
			}
		} else {
			if ((rooted && sb->len != 1) || (!rooted && sb->len != 0))
				strbuf_addch(sb, '/');
			for (; r < len && p[r] != '/'; r++)
				strbuf_addch(sb, p[r]);
		}
	}
	if (!sb->len)
		strbuf_addch(sb, '.');
}

SPRIG_FN(sf_clean)
{
	struct strbuf sb = STRBUF_INIT;

	path_clean(&sb, a[0]->s, a[0]->len);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_base)
{
	const char *p = a[0]->s;
	size_t len = a[0]->len, st;

	if (!len)
		return sprig_ret(out, hv_cstr(c, "."));
	while (len > 0 && p[len - 1] == '/')
		len--;
	for (st = len; st > 0 && p[st - 1] != '/'; st--)
		;
	if (len == 0)
		return sprig_ret(out, hv_cstr(c, "/"));
	return sprig_ret(out, hv_str(c, p + st, len - st));
}

SPRIG_FN(sf_dir)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = a[0]->s;
	size_t i = a[0]->len;

	while (i > 0 && p[i - 1] != '/')
		i--;
	path_clean(&sb, p, i);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_ext)
{
	const char *p = a[0]->s;
	size_t i;

	for (i = a[0]->len; i > 0 && p[i - 1] != '/'; i--)
		if (p[i - 1] == '.')
			return sprig_ret(out, hv_str(c, p + i - 1, a[0]->len - i + 1));
	return sprig_ret(out, hv_cstr(c, ""));
}

SPRIG_FN(sf_isabs)
{
	*out = hv_bool(a[0]->len && a[0]->s[0] == '/');
	return 0;
}

/* --- random --------------------------------------------------------------- */

/* Uniform index below `bound` from the random source, by rejection. */
static int rand_below(struct helm_ctx *c, const char *fn, const void *what, size_t wlen,
		      uint32_t bound, uint32_t *out)
{
	uint32_t lim = UINT32_MAX - UINT32_MAX % bound;
	unsigned char b[4];
	int r;

	for (;;) {
		uint32_t x;
		r = sprig_random(c, fn, what, wlen, b, 4);
		if (r)
			return r;
		x = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		if (x < lim) {
			*out = x % bound;
			return 0;
		}
	}
}

static int rand_string(struct helm_ctx *c, struct hv **out, const char *fn, int64_t count,
		       const char *alphabet)
{
	struct strbuf sb = STRBUF_INIT;
	size_t k = strlen(alphabet);
	unsigned char *buf;
	int64_t i;
	int r;

	if (count == 0)
		return sprig_ret(out, hv_cstr(c, ""));
	if (count < 0)
		return sprig_ret(out, hv_cstr(c, "")); /* goutils' error, ignored by Sprig */
	if (count > (1 << 24))
		return err_set(ERR_TOOBIG, "%s: %lld characters is past the limit of %d", fn,
			       (long long)count, 1 << 24);
	/* Whole-string draws: one DRBG call per string, rejection inside the buffer. */
	buf = xmalloc((size_t)count * 2 + 64);
	r = sprig_random(c, fn, &count, sizeof(count), buf, (size_t)count * 2 + 64);
	if (r) {
		free(buf);
		return r;
	}
	{
		size_t used = 0, avail = (size_t)count * 2 + 64;
		unsigned lim = 256 - 256 % (unsigned)k;
		for (i = 0; i < count;) {
			if (used == avail) {
				r = sprig_random(c, fn, &count, sizeof(count), buf, avail);
				if (r)
					break;
				used = 0;
			}
			if (buf[used] < lim)
				strbuf_addch(&sb, alphabet[buf[used] % k]), i++;
			used++;
		}
	}
	free(buf);
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

#define DIGITS "0123456789"
#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

SPRIG_FN(sf_randalphanum)
{
	return rand_string(c, out, "randAlphaNum", a[0]->i, DIGITS LETTERS);
}

SPRIG_FN(sf_randalpha)
{
	return rand_string(c, out, "randAlpha", a[0]->i, LETTERS);
}

SPRIG_FN(sf_randnumeric)
{
	return rand_string(c, out, "randNumeric", a[0]->i, DIGITS);
}

SPRIG_FN(sf_randascii)
{
	static const char printable[] =
		" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
		"abcdefghijklmnopqrstuvwxyz{|}~";
	return rand_string(c, out, "randAscii", a[0]->i, printable);
}

SPRIG_FN(sf_randint)
{
	int64_t lo = a[0]->i, hi = a[1]->i;
	uint64_t span = (uint64_t)hi - (uint64_t)lo, x, lim;
	unsigned char b[8];
	int r, k;

	if (hi - lo <= 0 || hi < lo)
		return hctx_fail(c, "invalid argument to Intn");
	lim = UINT64_MAX - UINT64_MAX % span;
	do {
		r = sprig_random(c, "randInt", a, 0, b, 8);
		if (r)
			return r;
		for (x = 0, k = 0; k < 8; k++)
			x = x << 8 | b[k];
	} while (x >= lim);
	return sprig_ret(out, hv_int(c, (int64_t)((uint64_t)lo + x % span)));
}

SPRIG_FN(sf_randbytes)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char *buf;
	int r;

	if (a[0]->i < 0)
		return hctx_fail(c, "runtime error: makeslice: len out of range");
	if (a[0]->i > (1 << 24))
		return err_set(ERR_TOOBIG, "randBytes: %lld bytes is past the limit of %d",
			       (long long)a[0]->i, 1 << 24);
	buf = xmalloc((size_t)a[0]->i + 1);
	r = sprig_random(c, "randBytes", &a[0]->i, sizeof(a[0]->i), buf, (size_t)a[0]->i);
	if (!r)
		r = sprig_b64_encode(&sb, buf, (size_t)a[0]->i);
	free(buf);
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_uuidv4)
{
	unsigned char u[16];
	char b[40];
	int r = sprig_random(c, "uuidv4", "", 0, u, sizeof(u));

	if (r)
		return r;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(b, sizeof(b),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
	return sprig_ret(out, hv_cstr(c, b));
}

/* xstrings.Shuffle: a random permutation of the runes. */
SPRIG_FN(sf_shuffle)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t *runes, r;
	size_t nr = 0, i, w;
	int ret = 0;

	runes = xmalloc((a[0]->len + 1) * sizeof(*runes));
	for (i = 0; i < a[0]->len; i += w)
		w = sprig_rune(a[0]->s + i, a[0]->len - i, &runes[nr++]);
	for (i = nr; i > 1 && !ret; i--) {
		uint32_t j;
		ret = rand_below(c, "shuffle", a[0]->s, a[0]->len, (uint32_t)i, &j);
		if (!ret) {
			r = runes[i - 1];
			runes[i - 1] = runes[j];
			runes[j] = r;
		}
	}
	for (i = 0; !ret && i < nr; i++)
		sprig_put_rune(&sb, runes[i]);
	free(runes);
	if (ret) {
		strbuf_release(&sb);
		return ret;
	}
	return sprig_ret_buf(c, out, &sb);
}

/* --- misc ----------------------------------------------------------------- */

SPRIG_FN(sf_gethostbyname)
{
	/* `helm template` runs without DNS: Helm's engine returns "". */
	return sprig_ret(out, hv_cstr(c, ""));
}
