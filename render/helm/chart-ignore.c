/*
 * chart-ignore.c - .helmignore, as Helm's pkg/ignore reads it.
 *
 * One rule a line; blank lines and '#' comments are skipped; "**" is
 * refused; '!' negates; a trailing '/' only matches directories; a leading
 * '/' anchors at the chart root; a rule with a '/' matches the whole path,
 * one without matches the base name.  Helm's quirk is kept: a negated rule
 * that does NOT match a path ignores it.
 */
#include "core/compat.h"
#include "render/helm/chart.h"
#include "render/helm/value.h"
#include "core/err.h"

enum ign_kind { IGN_ROOT, IGN_PATH, IGN_BASE };

struct ign_rule {
	const char *pat;
	enum ign_kind kind;
	bool negate, must_dir;
};

struct helm_ignore {
	struct ign_rule *rules;
	size_t n;
};

static int add_rule(struct helm_ctx *c, struct helm_ignore *ig, size_t *cap, const char *line,
		    size_t len, unsigned lineno)
{
	struct ign_rule r = { 0 };
	char *s;
	size_t sl;
	int m;

	while (len && (line[0] == ' ' || line[0] == '\t' || line[0] == '\r' || line[0] == '\v' ||
		       line[0] == '\f')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' ||
		       line[len - 1] == '\v' || line[len - 1] == '\f'))
		len--;
	if (!len || line[0] == '#')
		return 0;
	s = hctx_strndup(c, line, len);
	if (!s)
		return ERR_TOOBIG;
	if (strstr(s, "**"))
		return err_set(ERR_INVALID, ".helmignore:%u: double-star (**) syntax is not supported",
			       lineno);
	m = go_path_match(s, "abc");
	if (m < 0)
		return err_set(ERR_INVALID, ".helmignore:%u: syntax error in pattern", lineno);
	if (s[0] == '!') {
		r.negate = true;
		s++;
	}
	sl = strlen(s);
	if (sl && s[sl - 1] == '/') {
		r.must_dir = true;
		s[--sl] = '\0';
	}
	if (s[0] == '/') {
		r.kind = IGN_ROOT;
		s++;
	} else if (strchr(s, '/')) {
		r.kind = IGN_PATH;
	} else {
		r.kind = IGN_BASE;
	}
	r.pat = s;
	if (ig->n == *cap) {
		struct ign_rule *nr;
		size_t ncap = *cap ? *cap * 2 : 16;

		nr = hctx_alloc(c, ncap * sizeof(*nr));
		if (!nr)
			return ERR_TOOBIG;
		if (ig->n)
			memcpy(nr, ig->rules, ig->n * sizeof(*nr));
		ig->rules = nr;
		*cap = ncap;
	}
	ig->rules[ig->n++] = r;
	return 0;
}

int helm_ignore_parse(struct helm_ctx *c, struct helm_ignore **out, const char *text, size_t len)
{
	static const char def[] = "templates/.?*";
	struct helm_ignore *ig = hctx_alloc(c, sizeof(*ig));
	size_t cap = 0, i = 0;
	unsigned lineno = 1;
	int r;

	if (!ig)
		return ERR_TOOBIG;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;

		r = add_rule(c, ig, &cap, text + i, e - i, lineno++);
		if (r)
			return r;
		i = e + 1;
	}
	r = add_rule(c, ig, &cap, def, sizeof(def) - 1, 0);
	if (r)
		return r;
	*out = ig;
	return 0;
}

static bool rule_match(const struct ign_rule *r, const char *path)
{
	const char *n = path;

	if (r->kind == IGN_BASE) {
		const char *slash = strrchr(path, '/');
		/* filepath.Base of "a/b/" is "b"; our paths never end with '/'. */
		n = slash ? slash + 1 : path;
	}
	return go_path_match(r->pat, n) == 1;
}

bool helm_ignore_match(const struct helm_ignore *ig, const char *path, bool is_dir)
{
	size_t i;

	if (!*path || !strcmp(path, ".") || !strcmp(path, "./"))
		return false;
	for (i = 0; i < ig->n; i++) {
		const struct ign_rule *r = &ig->rules[i];

		if (r->negate) {
			if (r->must_dir && !is_dir)
				return true;
			if (!rule_match(r, path))
				return true;
			continue;
		}
		if (r->must_dir && !is_dir)
			continue;
		if (rule_match(r, path))
			return true;
	}
	return false;
}
