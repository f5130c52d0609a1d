/*
 * semver.c - versions and Masterminds-style constraints (see semver.h).
 */
#include "core/compat.h"
#include "agent/semver.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <ctype.h>

static int parse_num(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		if (v > 1000000000000ull)
			return -1;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static bool ident_ok(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
}

/*
 * A version or a partial one: `nparts` is how many numeric parts were
 * given before the end or a wildcard (x, X, *).
 */
struct pver {
	struct semver v;
	int nparts;
};

static int parse_pver(struct pver *pv, const char *s, size_t len, bool allow_partial)
{
	char buf[256];
	const char *p = buf, *pre = NULL, *end;
	uint64_t *parts[3];
	int i;

	memset(pv, 0, sizeof(*pv));
	parts[0] = &pv->v.major, parts[1] = &pv->v.minor, parts[2] = &pv->v.patch;
	if (len >= sizeof(buf) || !len)
		return ERR_INVALID;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (*p == 'v' || *p == 'V')
		p++;
	for (i = 0; i < 3; i++) {
		if (i && *p != '.')
			break;
		if (i)
			p++;
		if ((*p == 'x' || *p == 'X' || *p == '*') && allow_partial) {
			p++;
			/* Anything after a wildcard must be wildcards too. */
			while (*p == '.' && (p[1] == 'x' || p[1] == 'X' || p[1] == '*'))
				p += 2;
			break;
		}
		if (parse_num(&p, parts[i]))
			return ERR_INVALID;
		pv->nparts = i + 1;
	}
	if (pv->nparts < 3 && !allow_partial && pv->nparts < 1)
		return ERR_INVALID;
	if (*p == '-') {
		pre = ++p;
		end = strchr(p, '+');
		if (!end)
			end = p + strlen(p);
		if (!ident_ok(pre, (size_t)(end - pre)) || (size_t)(end - pre) >= sizeof(pv->v.pre))
			return ERR_INVALID;
		memcpy(pv->v.pre, pre, (size_t)(end - pre));
		pv->v.pre[end - pre] = '\0';
		p = end;
	}
	if (*p == '+') {
		p++;
		if (!ident_ok(p, strlen(p)))
			return ERR_INVALID;
		p += strlen(p);
	}
	return *p ? ERR_INVALID : 0;
}

int semver_parse(struct semver *v, const char *s)
{
	struct pver pv;

	if (parse_pver(&pv, s, strlen(s), false) || pv.nparts < 1)
		return ERR_INVALID;
	*v = pv.v;
	return 0;
}

static int cmp_pre(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : (!*a ? 1 : -1); /* a release ranks above its prereleases */
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		bool na = true, nb = true;
		size_t i;
		int c;

		for (i = 0; i < la; i++)
			na = na && isdigit((unsigned char)a[i]);
		for (i = 0; i < lb; i++)
			nb = nb && isdigit((unsigned char)b[i]);
		if (na && nb) {
			/* Numeric identifiers compare by value: by length, then by digits. */
			while (la > 1 && *a == '0')
				a++, la--;
			while (lb > 1 && *b == '0')
				b++, lb--;
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
		} else if (na != nb) {
			return na ? -1 : 1;
		} else {
			c = memcmp(a, b, la < lb ? la : lb);
			if (!c && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return *a ? 1 : *b ? -1 : 0;
}

int semver_cmp(const struct semver *a, const struct semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return cmp_pre(a->pre, b->pre);
}

/* The first version past the range a partial version spans: 1.2 -> 1.3.0. */
static struct semver bump(const struct semver *v, int part)
{
	struct semver r = { 0 };

	r.major = v->major;
	if (part == 0) {
		r.major++;
	} else if (part == 1) {
		r.minor = v->minor + 1;
	} else {
		r.minor = v->minor;
		r.patch = v->patch + 1;
	}
	return r;
}

static struct semver floor_of(const struct pver *pv)
{
	struct semver r = pv->v;

	if (pv->nparts < 3)
		r.pre[0] = '\0';
	return r;
}

/* One term: OP VERSION, or LO - HI. */
static int term_eval(const char *op, const struct pver *pv, const struct pver *hi,
		     const struct semver *v, bool *ok)
{
	struct semver lo = floor_of(pv);
	int c = semver_cmp(v, &lo);

	if (hi) {
		struct semver top = floor_of(hi);
		int d = semver_cmp(v, &top);
		*ok = c >= 0 && (hi->nparts == 3 ? d <= 0 : semver_cmp(v, (struct semver[]){ bump(&top, hi->nparts ? hi->nparts - 1 : 0) }) < 0);
		if (hi->nparts == 0)
			*ok = c >= 0;
		return 0;
	}
	if (pv->nparts == 0) { /* *, x */
		*ok = !strcmp(op, "!=") ? false : true;
		if (!strcmp(op, "<") || !strcmp(op, ">"))
			*ok = false;
		return 0;
	}
	struct semver up = bump(&lo, pv->nparts - 1);
	bool in_range = pv->nparts == 3 ? c == 0 : (c >= 0 && semver_cmp(v, &up) < 0);

	if (!*op || !strcmp(op, "=") || !strcmp(op, "=="))
		*ok = in_range;
	else if (!strcmp(op, "!="))
		*ok = !in_range;
	else if (!strcmp(op, ">"))
		*ok = pv->nparts == 3 ? c > 0 : semver_cmp(v, &up) >= 0;
	else if (!strcmp(op, ">="))
		*ok = c >= 0;
	else if (!strcmp(op, "<"))
		*ok = c < 0;
	else if (!strcmp(op, "<=") || !strcmp(op, "=<"))
		*ok = pv->nparts == 3 ? c <= 0 : semver_cmp(v, &up) < 0;
	else if (!strcmp(op, "~") || !strcmp(op, "~>"))
		*ok = c >= 0 && semver_cmp(v, (struct semver[]){ bump(&lo, pv->nparts >= 2 ? 1 : 0) }) < 0;
	else if (!strcmp(op, "^")) {
		int part = lo.major > 0 || pv->nparts == 1 ? 0
			   : lo.minor > 0 || pv->nparts == 2 ? 1 : 2;
		*ok = c >= 0 && semver_cmp(v, (struct semver[]){ bump(&lo, part) }) < 0;
	} else
		return ERR_INVALID;
	return 0;
}

/*
 * Walks `c`; with `v` NULL it only checks the syntax.  Returns 0 and sets
 * *match, or ERR_INVALID with a message.
 */
static int walk(const char *c, const struct semver *v, bool *match)
{
	const char *p = c;
	bool any_group = false;

	*match = false;
	if (strlen(c) > 1024)
		return err_set(ERR_INVALID, "semver constraint is too long");
	while (1) {
		bool group_ok = true, group_pre = false, terms = false;

		/* One AND group, up to "||" or the end. */
		while (1) {
			char op[4] = "";
			size_t n = 0;
			const char *vs;
			struct pver pv, hi;
			bool has_hi = false, ok = true;

			while (*p == ' ' || *p == ',' || *p == '\t')
				p++;
			if (!*p || (p[0] == '|' && p[1] == '|'))
				break;
			while (strchr("=!<>~^", *p) && *p && n < 3)
				op[n++] = *p++;
			op[n] = '\0';
			if (strchr("=!<>~^", *p) && *p)
				return err_set(ERR_INVALID, "semver constraint '%s': bad operator", c);
			while (*p == ' ')
				p++;
			vs = p;
			while (*p && *p != ' ' && *p != ',' && *p != '|' && *p != '\t')
				p++;
			if (p == vs || parse_pver(&pv, vs, (size_t)(p - vs), true))
				return err_set(ERR_INVALID, "semver constraint '%s': '%.*s' is not a version",
					       c, (int)(p - vs), vs);
			if (*op && strcmp(op, "=") && strcmp(op, "==") && strcmp(op, "!=") &&
			    strcmp(op, ">") && strcmp(op, ">=") && strcmp(op, "<") &&
			    strcmp(op, "<=") && strcmp(op, "=<") && strcmp(op, "~") &&
			    strcmp(op, "~>") && strcmp(op, "^"))
				return err_set(ERR_INVALID, "semver constraint '%s': unknown operator '%s'",
					       c, op);
			/* "A - B": a hyphen range. */
			if (!*op && p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
				p += 3;
				while (*p == ' ')
					p++;
				vs = p;
				while (*p && *p != ' ' && *p != ',' && *p != '|')
					p++;
				if (p == vs || parse_pver(&hi, vs, (size_t)(p - vs), true))
					return err_set(ERR_INVALID, "semver constraint '%s': bad range end", c);
				has_hi = true;
				group_pre = group_pre || hi.v.pre[0];
			}
			terms = true;
			group_pre = group_pre || pv.v.pre[0];
			if (v && term_eval(op, &pv, has_hi ? &hi : NULL, v, &ok))
				return err_set(ERR_INVALID, "semver constraint '%s': bad term", c);
			group_ok = group_ok && ok;
		}
		if (!terms)
			return err_set(ERR_INVALID, "semver constraint '%s': empty %s", c,
				       any_group ? "alternative" : "constraint");
		any_group = true;
		/* Prereleases only match a group that names a prerelease. */
		if (v && v->pre[0] && !group_pre)
			group_ok = false;
		if (v && group_ok)
			*match = true;
		if (!*p)
			break;
		p += 2; /* "||" */
	}
	return 0;
}

int semver_constraint_check(const char *c)
{
	bool m;

	return walk(c, NULL, &m);
}

bool semver_matches(const char *c, const struct semver *v)
{
	bool m = false;

	if (walk(c, v, &m))
		return false;
	return m;
}

const char *semver_pick(const char *c, char *const *tags, size_t ntags)
{
	const char *best = NULL;
	struct semver bv = { 0 }, v;
	size_t i;

	for (i = 0; i < ntags; i++) {
		if (semver_parse(&v, tags[i]) || !semver_matches(c, &v))
			continue;
		if (!best || semver_cmp(&v, &bv) > 0) {
			best = tags[i];
			bv = v;
		}
	}
	return best;
}
