/*
 * sprig-semver.c - semver and semverCompare with Masterminds/semver 3.2.0's
 * parsing and constraint rules (the version Debian's Sprig builds with).
 *
 * The library parses with regular expressions; we run the very same
 * expressions on re.c, so what it accepts, and how it splits a
 * constraint, cannot drift.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/re.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"
#include "render/helm/chart-repo.h"

#define SEMVER_RE                                                              \
	"v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?"                                   \
	"(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"                           \
	"(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define CV_RE                                                                  \
	"v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?"           \
	"(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"                           \
	"(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^"

struct semver {
	uint64_t major, minor, patch;
	char *pre, *meta, *orig;
};

struct constraint {
	struct semver con;
	char *orig, *op;
	bool minor_dirty, patch_dirty, dirty;
};

/* Compiled once per call: patterns are small and renders call this rarely. */
static struct re *must_re(const char *pat)
{
	struct re *re;
	char *msg = NULL;

	if (re_compile(&re, pat, strlen(pat), &msg)) {
		free(msg);
		return NULL;
	}
	return re;
}

static void semver_release(struct semver *v)
{
	free(v->pre);
	free(v->meta);
	free(v->orig);
	memset(v, 0, sizeof(*v));
}

static char *sub(const char *s, const long *caps, int g)
{
	if (caps[2 * g] < 0)
		return xstrdup("");
	return xstrndup(s + caps[2 * g], (size_t)(caps[2 * g + 1] - caps[2 * g]));
}

static bool only(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return true;
}

#define NUM "0123456789"
#define ALLOWED "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" NUM

/* strconv.ParseUint(s, 10, 64) */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* NewVersion: Go's error text in *err (static). */
static int semver_parse(struct semver *v, const char *s, size_t len, const char **err)
{
	struct re *re = must_re("^" SEMVER_RE "$");
	long caps[2 * 64]; /* more than any of these patterns has groups */
	char *m;
	const char *p;
	int r = 0;

	memset(v, 0, sizeof(*v));
	*err = "Invalid Semantic Version";
	if (!re || strlen(s) != len || !re_exec(re, s, len, 0, caps)) {
		re_free(re);
		return ERR_INVALID;
	}
	m = sub(s, caps, 1);
	if (!parse_u64(m, &v->major))
		r = ERR_INVALID;
	free(m);
	if (caps[4] >= 0) {
		m = sub(s, caps, 2);
		if (!parse_u64(m + 1, &v->minor))
			r = ERR_INVALID;
		free(m);
	}
	if (caps[6] >= 0) {
		m = sub(s, caps, 3);
		if (!parse_u64(m + 1, &v->patch))
			r = ERR_INVALID;
		free(m);
	}
	if (r)
		*err = "Error parsing version segment";
	v->pre = sub(s, caps, 5);
	v->meta = sub(s, caps, 8);
	v->orig = xstrndup(s, len);
	re_free(re);
	for (p = v->pre; !r && *v->pre;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (only(p, n, NUM)) {
			if (n > 1 && p[0] == '0') {
				*err = "Version segment starts with 0";
				r = ERR_INVALID;
			}
		} else if (!only(p, n, ALLOWED)) {
			*err = "Invalid Prerelease string";
			r = ERR_INVALID;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	for (p = v->meta; !r && *v->meta;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!only(p, n, ALLOWED)) {
			*err = "Invalid Metadata string";
			r = ERR_INVALID;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	if (r)
		semver_release(v);
	return r;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_pre_part(const char *s, size_t sl, const char *o, size_t ol)
{
	char sb[32], ob[32];
	uint64_t si = 0, oi = 0;
	bool sn, on;

	if (sl == ol && !memcmp(s, o, sl))
		return 0;
	if (!sl)
		return ol ? -1 : 1;
	if (!ol)
		return 1;
	sn = sl < sizeof(sb) && only(s, sl, NUM);
	on = ol < sizeof(ob) && only(o, ol, NUM);
	if (sn) {
		memcpy(sb, s, sl);
		sb[sl] = '\0';
		sn = parse_u64(sb, &si);
	}
	if (on) {
		memcpy(ob, o, ol);
		ob[ol] = '\0';
		on = parse_u64(ob, &oi);
	}
	if (!sn && !on) {
		int c = memcmp(s, o, sl < ol ? sl : ol);
		if (c > 0 || (c == 0 && sl > ol))
			return 1;
		return -1;
	}
	if (!on)
		return -1;
	if (!sn)
		return 1;
	return si > oi ? 1 : -1;
}

static int cmp_pre(const char *a, const char *b)
{
	for (;;) {
		const char *da = a ? strchr(a, '.') : NULL, *db = b ? strchr(b, '.') : NULL;
		size_t la = a ? (da ? (size_t)(da - a) : strlen(a)) : 0;
		size_t lb = b ? (db ? (size_t)(db - b) : strlen(b)) : 0;
		int d;

		if (!a && !b)
			return 0;
		d = cmp_pre_part(a ? a : "", la, b ? b : "", lb);
		if (d)
			return d;
		a = a && da ? da + 1 : NULL;
		b = b && db ? db + 1 : NULL;
	}
}

static int semver_cmp(const struct semver *v, const struct semver *o)
{
	int d;

	if ((d = cmp_u(v->major, o->major)) || (d = cmp_u(v->minor, o->minor)) ||
	    (d = cmp_u(v->patch, o->patch)))
		return d;
	if (!*v->pre && !*o->pre)
		return 0;
	if (!*v->pre)
		return 1;
	if (!*o->pre)
		return -1;
	return cmp_pre(v->pre, o->pre);
}

static bool is_x(const char *s)
{
	return !strcmp(s, "x") || !strcmp(s, "*") || !strcmp(s, "X");
}

static int parse_constraint(struct constraint *cs, const char *c, const char **err)
{
	struct re *re = must_re("^\\s*(" OPS ")\\s*(" CV_RE ")\\s*$");
	long caps[2 * 64]; /* more than any of these patterns has groups */
	char *m3 = NULL, *m4 = NULL, *m5 = NULL, *m6 = NULL;
	struct strbuf ver = STRBUF_INIT;
	int r = 0;

	memset(cs, 0, sizeof(*cs));
	if (!*c) {
		cs->orig = xstrdup("");
		cs->op = xstrdup("");
		cs->dirty = true;
		cs->con.pre = xstrdup("");
		cs->con.meta = xstrdup("");
		cs->con.orig = xstrdup("0.0.0");
		re_free(re);
		return 0;
	}
	if (!re || !re_exec(re, c, strlen(c), 0, caps)) {
		re_free(re);
		*err = "improper constraint";
		return ERR_INVALID;
	}
	cs->op = sub(c, caps, 1);
	cs->orig = sub(c, caps, 2);
	m3 = sub(c, caps, 3);
	m4 = sub(c, caps, 4);
	m5 = sub(c, caps, 5);
	m6 = sub(c, caps, 6);
	if (is_x(m3) || !*m3) {
		strbuf_addf(&ver, "0.0.0%s", m6);
		cs->dirty = true;
	} else if (is_x(*m4 ? m4 + 1 : m4) || !*m4) {
		cs->minor_dirty = cs->dirty = true;
		strbuf_addf(&ver, "%s.0.0%s", m3, m6);
	} else if (is_x(*m5 ? m5 + 1 : m5) || !*m5) {
		cs->patch_dirty = cs->dirty = true;
		strbuf_addf(&ver, "%s%s.0%s", m3, m4, m6);
	} else {
		strbuf_addstr(&ver, cs->orig);
	}
	{
		const char *e;
		if (semver_parse(&cs->con, ver.buf, ver.len, &e)) {
			*err = "constraint Parser Error";
			r = ERR_INVALID;
			/* The caller releases only constraints that parsed. */
			free(cs->op);
			free(cs->orig);
			cs->op = cs->orig = NULL;
		}
	}
	free(m3);
	free(m4);
	free(m5);
	free(m6);
	strbuf_release(&ver);
	re_free(re);
	return r;
}

static void constraint_release(struct constraint *cs)
{
	semver_release(&cs->con);
	free(cs->orig);
	free(cs->op);
}

static bool check_one(const struct semver *v, const struct constraint *c)
{
	const struct semver *k = &c->con;
	const char *op = c->op;

	if (*v->pre && !*k->pre)
		return false; /* a prerelease only matches a constraint with one */
	if (!strcmp(op, "") || !strcmp(op, "=")) {
		if (!c->dirty)
			return semver_cmp(v, k) == 0;
		op = "~";
	}
	if (!strcmp(op, "!=")) {
		if (c->dirty) {
			if (k->major != v->major)
				return true;
			if (k->minor != v->minor && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (k->patch != v->patch && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				if (*v->pre || *k->pre)
					return cmp_pre(v->pre, k->pre) != 0;
				return false;
			}
		}
		return semver_cmp(v, k) != 0;
	}
	if (!strcmp(op, ">")) {
		if (!c->dirty)
			return semver_cmp(v, k) == 1;
		if (v->major > k->major)
			return true;
		if (v->major < k->major || c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->minor > k->minor;
		return semver_cmp(v, k) == 1;
	}
	if (!strcmp(op, "<"))
		return semver_cmp(v, k) < 0;
	if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		return semver_cmp(v, k) >= 0;
	if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (!c->dirty)
			return semver_cmp(v, k) <= 0;
		if (v->major > k->major)
			return false;
		if (v->major == k->major && v->minor > k->minor && !c->minor_dirty)
			return false;
		return true;
	}
	if (!strcmp(op, "~") || !strcmp(op, "~>")) {
		if (semver_cmp(v, k) < 0)
			return false;
		if (!k->major && !k->minor && !k->patch && !c->minor_dirty && !c->patch_dirty)
			return true;
		if (v->major != k->major)
			return false;
		if (v->minor != k->minor && !c->minor_dirty)
			return false;
		return true;
	}
	if (!strcmp(op, "^")) {
		if (semver_cmp(v, k) < 0)
			return false;
		if (k->major > 0 || c->minor_dirty)
			return v->major == k->major;
		if (v->major > 0)
			return false;
		if (k->minor > 0 || c->patch_dirty)
			return v->minor == k->minor;
		if (v->minor > 0)
			return false;
		return k->patch == v->patch;
	}
	return false;
}

/* rewriteRange: "1.2 - 1.4" becomes ">= 1.2, <= 1.4", first occurrence each. */
static void rewrite_range(struct strbuf *sb, const char *c)
{
	struct re *re = must_re("\\s*(" CV_RE ")\\s+-\\s+(" CV_RE ")\\s*");
	long caps[2 * 64]; /* more than any of these patterns has groups */
	size_t pos = 0, len = strlen(c);
	struct strbuf cur = STRBUF_INIT;

	strbuf_addstr(sb, c);
	if (!re)
		return;
	/* Matches are found in the original; each replaces its first occurrence. */
	while (pos <= len && re_exec(re, c, len, pos, caps)) {
		struct strbuf rep = STRBUF_INIT;
		const char *whole = c + caps[0], *hit;
		size_t wl = (size_t)(caps[1] - caps[0]);

		strbuf_addstr(&rep, ">= ");
		strbuf_add(&rep, c + caps[2], (size_t)(caps[3] - caps[2]));
		strbuf_addstr(&rep, ", <= ");
		strbuf_add(&rep, c + caps[22], (size_t)(caps[23] - caps[22]));
		hit = wl ? memmem(sb->buf, sb->len, whole, wl) : NULL;
		if (hit) {
			strbuf_reset(&cur);
			strbuf_add(&cur, sb->buf, (size_t)(hit - sb->buf));
			strbuf_addbuf(&cur, &rep);
			strbuf_addstr(&cur, hit + wl);
			strbuf_reset(sb);
			strbuf_addbuf(sb, &cur);
		}
		strbuf_release(&rep);
		pos = caps[1] > (long)pos ? (size_t)caps[1] : pos + 1;
	}
	strbuf_release(&cur);
	re_free(re);
}

/* NewConstraint + Check. Returns 0/1, or ERR_INVALID with *errtext set. */
static int constraint_check(const char *c, const struct semver *v, struct strbuf *errtext)
{
	struct re *valid = must_re("^(\\s*(" OPS ")\\s*(" CV_RE ")\\s*)((?:\\s+|,\\s*)(" OPS
				   ")\\s*(" CV_RE ")\\s*)*$");
	struct re *find = must_re("(" OPS ")\\s*(" CV_RE ")");
	struct strbuf all = STRBUF_INIT;
	struct constraint *groups = NULL;
	size_t *gsize = NULL, ng = 0, ncs = 0, alloc = 0, galloc = 0, i, k;
	const char *p;
	long caps[2 * 64]; /* more than any of these patterns has groups */
	int ret = 0;
	bool any = false;

	if (!valid || !find) {
		ret = ERR_INVALID;
		goto out;
	}
	rewrite_range(&all, c);
	/* Parse every "||" group first: a bad one fails the whole constraint. */
	for (p = all.buf;;) {
		const char *bar = strstr(p, "||");
		size_t gl = bar ? (size_t)(bar - p) : strlen(p), pos = 0, before = ncs;
		char *g = xstrndup(p, gl);

		if (!re_exec(valid, g, gl, 0, caps)) {
			strbuf_addf(errtext, "improper constraint: %s", g);
			free(g);
			ret = ERR_INVALID;
			goto out;
		}
		while (pos <= gl && re_exec(find, g, gl, pos, caps)) {
			char *one = xstrndup(g + caps[0], (size_t)(caps[1] - caps[0]));
			const char *e = NULL;
			ALLOC_GROW(groups, ncs + 1, alloc);
			if (parse_constraint(&groups[ncs], one, &e)) {
				if (!strcmp(e, "improper constraint"))
					strbuf_addf(errtext, "improper constraint: %s", one);
				else
					strbuf_addstr(errtext, e);
				free(one);
				free(g);
				ret = ERR_INVALID;
				goto out;
			}
			ncs++;
			free(one);
			pos = caps[1] > (long)pos ? (size_t)caps[1] : pos + 1;
		}
		if (ncs == before) {
			const char *e = NULL;
			ALLOC_GROW(groups, ncs + 1, alloc);
			if (parse_constraint(&groups[ncs], g, &e)) {
				strbuf_addf(errtext, "improper constraint: %s", g);
				free(g);
				ret = ERR_INVALID;
				goto out;
			}
			ncs++;
		}
		ALLOC_GROW(gsize, ng + 1, galloc);
		gsize[ng++] = ncs - before;
		free(g);
		if (!bar)
			break;
		p = bar + 2;
	}
	for (i = 0, k = 0; v && i < ng && !any; k += gsize[i], i++) {
		bool joy = true;
		size_t j;
		for (j = 0; j < gsize[i] && joy; j++)
			joy = check_one(v, &groups[k + j]);
		any = joy;
	}
	ret = any;
out:
	for (i = 0; i < ncs; i++)
		constraint_release(&groups[i]);
	free(groups);
	free(gsize);
	strbuf_release(&all);
	re_free(valid);
	re_free(find);
	return ret;
}

SPRIG_FN(sf_semvercompare)
{
	struct strbuf err = STRBUF_INIT;
	struct semver v;
	const char *e;
	int r;

	/* NewConstraint first, then NewVersion, as Sprig calls them. */
	if (strlen(a[0]->s) != a[0]->len)
		return hctx_fail(c, "improper constraint: %s", a[0]->s);
	r = constraint_check(a[0]->s, NULL, &err);
	if (r < 0) {
		r = hctx_fail(c, "%s", err.len ? err.buf : "constraint Parser Error");
		strbuf_release(&err);
		return r;
	}
	if (semver_parse(&v, a[1]->s, a[1]->len, &e))
		return hctx_fail(c, "%s", e);
	r = constraint_check(a[0]->s, &v, &err);
	semver_release(&v);
	strbuf_release(&err);
	if (r < 0)
		return ERR_INVALID;
	*out = hv_bool(r == 1);
	return 0;
}

/* *semver.Version as templates see it: methods Major, Minor, ... and %v = String(). */
struct hsemver {
	uint64_t major, minor, patch;
	const char *pre, *meta, *orig;
};

static int semver_string(struct helm_ctx *c, struct strbuf *out, void *self)
{
	const struct hsemver *v = self;

	strbuf_addf(out, "%llu.%llu.%llu", (unsigned long long)v->major,
		    (unsigned long long)v->minor, (unsigned long long)v->patch);
	if (*v->pre)
		strbuf_addf(out, "-%s", v->pre);
	if (*v->meta)
		strbuf_addf(out, "+%s", v->meta);
	return 0;
}

static int m_major(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_uint_t(c, ((struct hsemver *)self)->major, "uint64"));
}

static int m_minor(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_uint_t(c, ((struct hsemver *)self)->minor, "uint64"));
}

static int m_patch(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_uint_t(c, ((struct hsemver *)self)->patch, "uint64"));
}

static int m_pre(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_cstr(c, ((struct hsemver *)self)->pre));
}

static int m_meta(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_cstr(c, ((struct hsemver *)self)->meta));
}

static int m_orig(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	return sprig_ret(out, hv_cstr(c, ((struct hsemver *)self)->orig));
}

static int m_string(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *a, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	semver_string(c, &sb, self);
	return sprig_ret_buf(c, out, &sb);
}

static const struct hv_method semver_methods[] = {
	{ "Major", "", m_major },
	{ "Minor", "", m_minor },
	{ "Patch", "", m_patch },
	{ "Prerelease", "", m_pre },
	{ "Metadata", "", m_meta },
	{ "Original", "", m_orig },
	{ "String", "", m_string },
	{ NULL, NULL, NULL },
};

/* Version has no exported fields, only methods. */
static struct hv *semver_field(struct helm_ctx *c, void *self, const char *name)
{
	return NULL;
}

static const struct hv_class semver_class = {
	.type = "*semver.Version",
	.field = semver_field,
	.methods = semver_methods,
	.format = semver_string,
};

SPRIG_FN(sf_semver)
{
	struct semver v;
	struct hsemver *h;
	const char *e;

	if (semver_parse(&v, a[0]->s, a[0]->len, &e))
		return hctx_fail(c, "%s", e);
	h = hctx_alloc(c, sizeof(*h));
	if (!h) {
		semver_release(&v);
		return ERR_TOOBIG;
	}
	h->major = v.major;
	h->minor = v.minor;
	h->patch = v.patch;
	h->pre = hctx_strndup(c, v.pre, strlen(v.pre));
	h->meta = hctx_strndup(c, v.meta, strlen(v.meta));
	h->orig = hctx_strndup(c, v.orig, strlen(v.orig));
	semver_release(&v);
	if (!h->pre || !h->meta || !h->orig)
		return ERR_TOOBIG;
	return sprig_ret(out, hv_obj(c, &semver_class, h));
}

int helm_semver_matches(const char *constraint, const char *version, bool *ok)
{
	struct strbuf err = STRBUF_INIT;
	struct semver v;
	const char *e;
	int r;

	*ok = false;
	if (semver_parse(&v, version, strlen(version), &e))
		return 0; /* not a version: never matches */
	r = constraint_check(constraint, &v, &err);
	semver_release(&v);
	if (r < 0) {
		r = err_set(ERR_INVALID, "%s", err.len ? err.buf : "improper constraint");
		strbuf_release(&err);
		return r;
	}
	strbuf_release(&err);
	*ok = r == 1;
	return 0;
}

int helm_semver_compare(const char *a, const char *b, int *out)
{
	struct semver x, y;
	const char *e;

	if (semver_parse(&x, a, strlen(a), &e))
		return err_set(ERR_INVALID, "%s: %s", a, e);
	if (semver_parse(&y, b, strlen(b), &e)) {
		semver_release(&x);
		return err_set(ERR_INVALID, "%s: %s", b, e);
	}
	*out = semver_cmp(&x, &y);
	semver_release(&x);
	semver_release(&y);
	return 0;
}

bool helm_semver_is_exact(const char *s)
{
	struct semver v;
	const char *e;

	if (semver_parse(&v, s, strlen(s), &e))
		return false;
	semver_release(&v);
	/* A full version: three numbers, as written (not "1.2" or "~1.2.3"). */
	return strspn(s, "v0123456789.-+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		       strlen(s) &&
	       strchr(s, '.') && strchr(strchr(s, '.') + 1, '.');
}
