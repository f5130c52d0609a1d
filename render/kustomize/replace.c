/*
 * replace.c - kustomize's `replacements:` and ReplacementTransformer, and
 * the local-config annotation (objects carrying it are dropped at the very
 * end of the build, so they can serve as replacement sources).
 *
 * As kustomize's replacement filter does: each replacement reads one value
 * from one source object (kyaml's PathGetter: exact list selectors, no
 * wildcards) and writes it into every selected target along each field
 * path (kyaml's PathMatcher: "*" and "[name=regex]" may match many nodes;
 * with options.create the PathGetter again, creating what is missing).
 * A scalar target keeps its type (only the text changes, so a quoted
 * string stays a string); other targets are replaced by the source node.
 */
#include "core/compat.h"
#include <regex.h>
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

#define LOCAL_CONFIG "config.kubernetes.io/local-config"

/* --- field paths ------------------------------------------------------------ */

void kust_fieldpath_split(const char *path, char ***out, size_t *n)
{
	struct strbuf cur = STRBUF_INIT;
	char **raw = NULL, **res = NULL;
	size_t nraw = 0, nres = 0, alloc = 0, ralloc = 0, i;
	const char *p;

	/* PathSplitter: split on ".", a trailing backslash escapes the dot. */
	for (p = path;; p++) {
		if (*p == '.' || !*p) {
			if (*p && cur.len && cur.buf[cur.len - 1] == '\\') {
				strbuf_setlen(&cur, cur.len - 1);
				strbuf_addch(&cur, '.');
				continue;
			}
			ALLOC_GROW(raw, nraw + 1, ralloc);
			raw[nraw++] = strbuf_detach(&cur, NULL);
			if (!*p)
				break;
			continue;
		}
		strbuf_addch(&cur, *p);
	}
	/* Rejoin bracketed parts: "[a=b.c]" keeps its brackets, "[a.b]" loses them. */
	for (i = 0; i < nraw; i++) {
		size_t l = strlen(raw[i]);

		ALLOC_GROW(res, nres + 1, alloc);
		if (raw[i][0] == '[' && (l == 0 || raw[i][l - 1] != ']')) {
			struct strbuf j = STRBUF_INIT;

			strbuf_addstr(&j, raw[i]);
			free(raw[i]);
			while (i + 1 < nraw) {
				i++;
				l = strlen(raw[i]);
				strbuf_addch(&j, '.');
				strbuf_addstr(&j, raw[i]);
				free(raw[i]);
				if (j.len && j.buf[j.len - 1] == ']')
					break;
			}
			if (!strchr(j.buf, '=')) {
				/* strings.Trim(s, "[]"): every leading and trailing bracket. */
				size_t a = 0, e = j.len;
				while (a < e && (j.buf[a] == '[' || j.buf[a] == ']'))
					a++;
				while (e > a && (j.buf[e - 1] == '[' || j.buf[e - 1] == ']'))
					e--;
				res[nres++] = xstrndup(j.buf + a, e - a);
				strbuf_release(&j);
			} else {
				res[nres++] = strbuf_detach(&j, NULL);
			}
		} else {
			res[nres++] = raw[i];
		}
	}
	free(raw);
	strbuf_release(&cur);
	/*
	 * A leading dot (".spec.replicas", as many real repositories write
	 * it) names the same field as without: kyaml skips the empty first
	 * part.  Empty parts elsewhere are kept and match nothing.
	 */
	nraw = nres;
	if (nres > 1 && !*res[0]) {
		free(res[0]);
		memmove(res, res + 1, (nres - 1) * sizeof(*res));
		nraw = nres - 1;
	}
	*out = res;
	*n = nraw;
}

static void parts_free(char **parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}

/* strconv.Atoi succeeds and the index is not negative. */
static bool is_index(const char *s, size_t *out)
{
	const char *p = s;
	size_t v = 0;

	if (*p == '+')
		p++;
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return false;
		v = v * 10 + (size_t)(*p - '0');
	}
	*out = v;
	return true;
}

static bool is_list_sel(const char *s)
{
	size_t l = strlen(s);
	return l >= 2 && s[0] == '[' && s[l - 1] == ']';
}

/* "[name=value]" into its halves (allocated). */
static int split_sel(const char *s, char **name, char **value)
{
	const char *eq = strchr(s, '=');
	size_t l = strlen(s);

	if (!eq)
		return err_set(ERR_INVALID,
			       "list path element '%s' must contain fieldName=fieldValue for element to match",
			       s);
	*name = xstrndup(s + 1, (size_t)(eq - s - 1));
	*value = xstrndup(eq + 1, l - 1 - (size_t)(eq - s) - 1);
	return 0;
}

static struct doc_node **map_slot(struct doc_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != DOC_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->kids[2 * i]->str, key))
			return &map->kids[2 * i + 1];
	return NULL;
}

/* The kind of node kyaml creates for a missing part followed by `next`. */
static struct doc_node *new_for_next(struct arena *a, const char *next, enum doc_kind leaf)
{
	size_t idx;

	if (next && (is_list_sel(next) || is_index(next, &idx)))
		return doc_new_seq(a);
	if (next || leaf == DOC_MAP)
		return doc_new_map(a);
	if (leaf == DOC_SEQ)
		return doc_new_seq(a);
	return doc_new_scalar(a, "", 0, DOC_STYLE_PLAIN);
}

static int need_seq(const struct doc_node *n);

static bool is_null_node(const struct doc_node *n)
{
	struct doc_value v;

	return !n->tag && !doc_resolve(n, &v) && v.type == DOC_T_NULL;
}

/*
 * kyaml's PathGetter: *out is the slot of the node at `parts`, or NULL
 * when absent.  With `create` (the kind of the value to be written),
 * missing fields and list entries are created.
 */
static int path_get(struct arena *a, struct doc_node **root, char **parts, size_t n,
		    bool create, enum doc_kind leaf, struct doc_node ***out)
{
	struct doc_node **slot = root;
	size_t i, k, idx;
	int r = 0;

	*out = NULL;
	for (i = 0; i < n; i++) {
		struct doc_node *cur = *slot;
		const char *part = parts[i], *next = i + 1 < n ? parts[i + 1] : NULL;

		if (!strcmp(part, "*"))
			return err_set(ERR_INVALID, "wildcard is not supported in PathGetter");
		if (is_index(part, &idx)) {
			/* kyaml's doIdx: a null is missing, a mapping or scalar an error. */
			if (cur->kind != DOC_SEQ && !(cur->kind == DOC_SCALAR && is_null_node(cur)))
				return need_seq(cur);
			if (cur->kind != DOC_SEQ || idx >= cur->n)
				return 0;
			slot = &cur->kids[idx];
		} else if (is_list_sel(part)) {
			char *name = NULL, *value = NULL;
			struct doc_node **found = NULL;

			if ((r = split_sel(part, &name, &value)))
				return r;
			if (cur->kind == DOC_SEQ)
				for (k = 0; !found && k < cur->n; k++) {
					struct doc_node *it = cur->kids[k];
					const char *v = *name ? doc_get_str(it, name, NULL) : doc_str(it);
					if (v && !strcmp(v, value))
						found = &cur->kids[k];
				}
			if (!found && create && cur->kind == DOC_SEQ) {
				struct doc_node *e = doc_new_scalar(a, value, strlen(value),
								    DOC_STYLE_PLAIN);
				if (*name) {
					struct doc_node *m = doc_new_map(a);
					doc_map_append(a, m, doc_new_str(a, name), e);
					e = m;
				}
				doc_seq_append(a, cur, e);
				found = &cur->kids[cur->n - 1];
			}
			free(name);
			free(value);
			if (!found)
				return 0;
			slot = found;
		} else {
			struct doc_node **f = map_slot(cur, part);

			if (!f && create) {
				if (cur->kind != DOC_MAP)
					return err_set(ERR_INVALID,
						       "cannot create field '%s' in a non-mapping node",
						       part);
				doc_map_append(a, cur, doc_new_str(a, part),
					       new_for_next(a, next, leaf));
				f = &cur->kids[cur->n * 2 - 1];
			}
			if (!f)
				return 0;
			slot = f;
		}
	}
	*out = slot;
	return 0;
}

struct slots {
	struct doc_node ***v;
	size_t n, alloc;
};

static void slots_add(struct slots *s, struct doc_node **slot)
{
	ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n++] = slot;
}

static int need_seq(const struct doc_node *n)
{
	if (n->kind == DOC_SEQ)
		return 0;
	return err_set(ERR_INVALID, "wrong node kind: expected SequenceNode but got %s",
		       n->kind == DOC_MAP ? "MappingNode" : "ScalarNode");
}

/* kyaml's PathMatcher: every slot matching `parts` (list selectors are unanchored regexps). */
static int path_match(struct doc_node **slot, char **parts, size_t n, struct slots *out)
{
	struct doc_node *cur = *slot;
	size_t k, idx;
	int r = 0;

	if (!n) {
		slots_add(out, slot);
		return 0;
	}
	if (is_index(parts[0], &idx)) {
		if ((r = need_seq(cur)))
			return r;
		if (idx >= cur->n)
			return err_set(ERR_INVALID, "index %zu specified but only %zu elements found",
				       idx, cur->n);
		return path_match(&cur->kids[idx], parts + 1, n - 1, out);
	}
	if (is_list_sel(parts[0])) {
		char *name = NULL, *value = NULL;
		regex_t re;

		if ((r = split_sel(parts[0], &name, &value)))
			return r;
		if (!(r = need_seq(cur)) && regcomp(&re, value, REG_EXTENDED | REG_NOSUB)) {
			r = err_set(ERR_INVALID, "invalid regular expression '%s' in '%s'", value,
				    parts[0]);
		} else if (!r) {
			for (k = 0; !r && k < cur->n; k++) {
				struct doc_node *it = cur->kids[k];
				const char *v = *name ? doc_get_str(it, name, NULL) : doc_str(it);

				if (!v || regexec(&re, v, 0, NULL, 0))
					continue;
				if (*name)
					r = path_match(&cur->kids[k], parts + 1, n - 1, out);
				else
					slots_add(out, &cur->kids[k]);
			}
			regfree(&re);
		}
		free(name);
		free(value);
		return r;
	}
	if (!strcmp(parts[0], "*")) {
		if ((r = need_seq(cur)))
			return r;
		for (k = 0; !r && k < cur->n; k++)
			r = path_match(&cur->kids[k], parts + 1, n - 1, out);
		return r;
	}
	slot = map_slot(cur, parts[0]);
	return slot ? path_match(slot, parts + 1, n - 1, out) : 0;
}

/* --- values -------------------------------------------------------------------- */

/*
 * A scalar with `text` typed as `like` is: kyaml changes only the text of
 * a node and keeps its tag, so a string stays a string; an untyped node
 * (created, or null) reads the text as plain YAML.
 */
static struct doc_node *retext(struct arena *a, const struct doc_node *like, const char *text)
{
	struct doc_value v;
	bool str = like && like->kind == DOC_SCALAR && !doc_resolve(like, &v) &&
		   v.type == DOC_T_STR;

	if (like && like->kind == DOC_SCALAR && like->len == 0 && like->style == DOC_STYLE_PLAIN &&
	    !like->tag)
		str = false;
	return doc_new_scalar(a, text, strlen(text), str ? DOC_STYLE_DOUBLE : DOC_STYLE_PLAIN);
}

struct ropts {
	const char *delimiter; /* NULL or "": none */
	long index;
	bool create;
};

static int parse_opts(const struct doc_node *o, struct ropts *out)
{
	const struct doc_node *ix = doc_map_get(o, "index");
	const char *create = doc_get_str(o, "create", NULL);
	struct doc_value v;

	memset(out, 0, sizeof(*out));
	if (!o)
		return 0;
	out->delimiter = doc_get_str(o, "delimiter", NULL);
	out->create = create && !strcmp(create, "true");
	if (ix) {
		if (doc_resolve(ix, &v) || v.type != DOC_T_INT)
			return err_set(ERR_INVALID, "options.index must be an integer");
		out->index = (long)v.i;
	}
	return 0;
}

/* Splits `s` on `delim` as Go's strings.Split. */
static char **split_all(const char *s, const char *delim, size_t *n)
{
	char **v = NULL;
	size_t alloc = 0, dl = strlen(delim);
	const char *p = s, *q;

	*n = 0;
	while ((q = strstr(p, delim))) {
		ALLOC_GROW(v, *n + 1, alloc);
		v[(*n)++] = xstrndup(p, (size_t)(q - p));
		p = q + dl;
	}
	ALLOC_GROW(v, *n + 1, alloc);
	v[(*n)++] = xstrdup(p);
	return v;
}

/* setTargetValue: writes `value` (a source node) at `slot`. */
static int set_target(struct arena *a, const struct ropts *o, struct doc_node **slot,
		      const struct doc_node *value)
{
	struct doc_node *t = *slot;
	const char *text = value->kind == DOC_SCALAR ? value->str : "";
	struct strbuf joined = STRBUF_INIT;

	if (o->delimiter && *o->delimiter) {
		char **tv;
		size_t n, i;

		if (t->kind != DOC_SCALAR)
			return err_set(ERR_INVALID,
				       "delimiter option can only be used with scalar nodes");
		tv = split_all(t->str, o->delimiter, &n);
		/* A negative index prefixes, one past the end suffixes, else it replaces. */
		if (o->index < 0)
			strbuf_addf(&joined, "%s%s", text, o->delimiter);
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addstr(&joined, o->delimiter);
			strbuf_addstr(&joined, o->index >= 0 && (size_t)o->index == i ? text : tv[i]);
		}
		if (o->index >= 0 && (size_t)o->index >= n)
			strbuf_addf(&joined, "%s%s", o->delimiter, text);
		for (i = 0; i < n; i++)
			free(tv[i]);
		free(tv);
		text = joined.buf;
		value = retext(a, value, text);
	}
	if (t->kind == DOC_SCALAR)
		*slot = retext(a, t, text);
	else
		*slot = doc_clone(a, value);
	strbuf_release(&joined);
	return 0;
}

/* --- selection ----------------------------------------------------------------- */

struct rsel {
	const char *group, *version, *kind, *name, *ns, *labels, *annotations;
};

static void parse_sel(const struct doc_node *n, struct rsel *s)
{
	s->group = doc_get_str(n, "group", NULL);
	s->version = doc_get_str(n, "version", NULL);
	s->kind = doc_get_str(n, "kind", NULL);
	s->name = doc_get_str(n, "name", NULL);
	s->ns = doc_get_str(n, "namespace", NULL);
	s->labels = doc_get_str(n, "labelSelector", NULL);
	s->annotations = doc_get_str(n, "annotationSelector", NULL);
}

static bool empty(const char *s)
{
	return !s || !*s;
}

static bool sel_id_empty(const struct rsel *s)
{
	return empty(s->group) && empty(s->version) && empty(s->kind) && empty(s->name) &&
	       empty(s->ns);
}

static const char *eff_ns(const char *ns)
{
	return empty(ns) ? "default" : ns;
}

struct rid {
	const char *kind, *name, *ns;
};

/* ResId.IsSelectedBy. */
static bool id_selected(const struct rsel *s, const char *g, const char *v, const struct rid *id)
{
	return (empty(s->name) || !strcmp(s->name, id->name)) &&
	       (empty(s->ns) || !strcmp(eff_ns(s->ns), eff_ns(id->ns))) &&
	       (empty(s->group) || !strcmp(s->group, g)) &&
	       (empty(s->version) || !strcmp(s->version, v)) &&
	       (empty(s->kind) || !strcmp(s->kind, id->kind));
}

/* The resource's ids: its current one, then the names and namespace it had before. */
static size_t res_ids(const struct kres *r, struct rid **out)
{
	struct rid *v = xcalloc(2 * r->nnames + 1, sizeof(*v));
	size_t n = 0, i;

	v[n++] = (struct rid){ kres_kind(r), kres_name(r), kres_ns(r) };
	for (i = 0; i < r->nnames; i++) {
		v[n++] = (struct rid){ r->orig_kind, r->names[i], r->orig_ns };
		v[n++] = (struct rid){ kres_kind(r), r->names[i], kres_ns(r) };
	}
	*out = v;
	return n;
}

static int meta_selects(const struct rsel *s, const struct kres *r, bool *ok)
{
	const struct doc_node *meta = doc_map_get(r->node, "metadata");
	int rc = 0;

	*ok = true;
	if (!empty(s->annotations))
		rc = kust_selector_matches(s->annotations, doc_map_get(meta, "annotations"), ok);
	if (!rc && *ok && !empty(s->labels))
		rc = kust_selector_matches(s->labels, doc_map_get(meta, "labels"), ok);
	return rc;
}

/* "kind=ConfigMap name=app", for messages. */
static void sel_str(struct strbuf *sb, const struct rsel *s)
{
	const char *const k[] = { "group", "version", "kind", "name", "namespace" };
	const char *const v[] = { s->group, s->version, s->kind, s->name, s->ns };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k); i++)
		if (!empty(v[i]))
			strbuf_addf(sb, "%s%s=%s", sb->len ? " " : "", k[i], v[i]);
	if (!sb->len)
		strbuf_addstr(sb, "(any object)");
}

/* --- one replacement ------------------------------------------------------------- */

/* RNode.IsNilOrEmpty: absent, null, or an empty mapping or sequence. */
static bool nil_or_empty(const struct doc_node *n)
{
	struct doc_value v;

	if (!n)
		return true;
	if (n->kind != DOC_SCALAR)
		return n->n == 0;
	return !doc_resolve(n, &v) && v.type == DOC_T_NULL;
}

static int get_source(struct kbuild *b, struct kresmap *m, const struct doc_node *src,
		      struct doc_node **out)
{
	struct rsel s = { 0 };
	struct strbuf sb = STRBUF_INIT;
	const char *fp = doc_get_str(src, "fieldPath", NULL);
	struct kres *found = NULL;
	struct doc_node **slot = NULL;
	struct ropts o;
	char **parts = NULL;
	size_t i, k, np = 0;
	int r;

	*out = NULL;
	parse_sel(src, &s);
	if ((r = parse_opts(doc_map_get(src, "options"), &o)))
		return r;
	sel_str(&sb, &s);
	for (i = 0; i < m->n; i++) {
		char g[256], v[256];
		struct rid *ids;
		size_t nids = res_ids(&m->v[i], &ids);

		kres_gv(&m->v[i], g, sizeof(g), v, sizeof(v));
		for (k = 0; k < nids; k++)
			if (id_selected(&s, g, v, &ids[k]))
				break;
		free(ids);
		if (k == nids)
			continue;
		if (found) {
			r = err_set(ERR_INVALID, "multiple matches for selector %s", sb.buf);
			goto out;
		}
		found = &m->v[i];
	}
	if (!found) {
		r = err_set(ERR_NOTFOUND, "nothing selected by %s", sb.buf);
		goto out;
	}
	if (empty(fp))
		fp = "metadata.name";
	kust_fieldpath_split(fp, &parts, &np);
	r = path_get(b->arena, &found->node, parts, np, false, DOC_SCALAR, &slot);
	if (r)
		goto out;
	if (nil_or_empty(slot ? *slot : NULL)) {
		r = err_set(ERR_INVALID, "fieldPath `%s` is missing for replacement source %s", fp,
			    sb.buf);
		goto out;
	}
	*out = *slot;
	if (o.delimiter && *o.delimiter) {
		char **pieces;
		size_t n;

		if ((*slot)->kind != DOC_SCALAR) {
			r = err_set(ERR_INVALID, "delimiter option can only be used with scalar nodes");
			goto out;
		}
		pieces = split_all((*slot)->str, o.delimiter, &n);
		if (o.index < 0 || (size_t)o.index >= n)
			r = err_set(ERR_INVALID, "options.index %ld is out of bounds for value %s",
				    o.index, (*slot)->str);
		else
			*out = retext(b->arena, *slot, pieces[o.index]);
		for (i = 0; i < n; i++)
			free(pieces[i]);
		free(pieces);
	}
out:
	parts_free(parts, np);
	strbuf_release(&sb);
	return r;
}

static bool any_star(char **parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(parts[i], "*"))
			return true;
	return false;
}

static int apply_paths(struct kbuild *b, struct kres *res, const struct doc_node *paths,
		       const struct ropts *o, const struct doc_node *value)
{
	static const char *const def = "metadata.name";
	size_t np = paths && paths->kind == DOC_SEQ && paths->n ? paths->n : 1, i, k, nparts;
	int r = 0;

	for (i = 0; !r && i < np; i++) {
		const char *fp = np == 1 && !(paths && paths->kind == DOC_SEQ && paths->n)
					 ? def
					 : doc_str(paths->kids[i]);
		struct slots s = { 0 };
		char **parts;

		if (!fp)
			return err_set(ERR_INVALID, "fieldPaths entries must be strings");
		kust_fieldpath_split(fp, &parts, &nparts);
		if (o->create) {
			struct doc_node **slot = NULL;

			if (any_star(parts, nparts))
				r = err_set(ERR_INVALID, "cannot support create option in a multi-value target");
			else
				r = path_get(b->arena, &res->node, parts, nparts, true, value->kind,
					     &slot);
			/*
			 * The getter returns the node itself: a non-empty sequence is
			 * set item by item; anything else, a non-empty mapping too, is
			 * replaced whole (kustomize's VisitElements visits a mapping as
			 * one element).
			 */
			if (!r && slot && (*slot)->kind == DOC_SEQ && (*slot)->n) {
				for (k = 0; !r && k < (*slot)->n; k++)
					r = set_target(b->arena, o, &(*slot)->kids[k], value);
			} else if (!r && slot && (*slot)->kind == DOC_MAP && (*slot)->n &&
				   value->kind == DOC_SEQ) {
				/* kustomize pours the list's items into the mapping as keys and values (and panics on an odd count). */
				r = err_set(ERR_INVALID, "%s: a list replacing a non-empty mapping with create: true is refused (kustomize turns its items into keys and values)",
					    fp);
			} else if (!r && slot) {
				r = set_target(b->arena, o, slot, value);
			}
		} else {
			r = path_match(&res->node, parts, nparts, &s);
			if (!r && !s.n)
				r = err_set(ERR_INVALID, "unable to find field \"%s\" in replacement target",
					    fp);
			for (k = 0; !r && k < s.n; k++) {
				/*
				 * A mapping given a scalar or a list: kustomize keeps the
				 * mapping and pours the value's items into it (a scalar
				 * empties it, a list becomes keys and values).  Refused
				 * rather than guessed.
				 */
				if ((*s.v[k])->kind == DOC_MAP && value->kind != DOC_MAP)
					r = err_set(ERR_INVALID, "%s: replacing a mapping with a %s is refused (kustomize keeps the mapping and pours the value into it)",
						    fp, value->kind == DOC_SEQ ? "list" : "scalar");
				else
					r = set_target(b->arena, o, s.v[k], value);
			}
		}
		free(s.v);
		parts_free(parts, nparts);
	}
	return r;
}

static int apply_target(struct kbuild *b, struct kresmap *m, const struct doc_node *t,
			const struct doc_node *value)
{
	const struct doc_node *sel = doc_map_get(t, "select");
	const struct doc_node *rej = doc_map_get(t, "reject");
	struct rsel s = { 0 }, *rs = NULL;
	struct ropts o;
	size_t nrej = rej && rej->kind == DOC_SEQ ? rej->n : 0, i, k, j;
	int r;

	if (!sel || sel->kind != DOC_MAP)
		return err_set(ERR_INVALID, "target must specify resources to select");
	if ((r = parse_opts(doc_map_get(t, "options"), &o)))
		return r;
	parse_sel(sel, &s);
	rs = xcalloc(nrej ? nrej : 1, sizeof(*rs));
	for (j = 0; j < nrej; j++)
		parse_sel(rej->kids[j], &rs[j]);
	for (i = 0; !r && i < m->n; i++) {
		struct kres *res = &m->v[i];
		char g[256], v[256];
		struct rid *ids;
		size_t nids;
		bool ok;

		/* Label and annotation selectors of select, then of each reject. */
		if ((r = meta_selects(&s, res, &ok)) || !ok)
			continue;
		for (j = 0; j < nrej && ok; j++) {
			if (empty(rs[j].labels) && empty(rs[j].annotations))
				continue;
			if ((r = meta_selects(&rs[j], res, &ok)))
				break;
			ok = !ok;
		}
		if (r || !ok)
			continue;
		kres_gv(res, g, sizeof(g), v, sizeof(v));
		nids = res_ids(res, &ids);
		for (k = 0; k < nids; k++) {
			bool rejected = false;

			if (!id_selected(&s, g, v, &ids[k]))
				continue;
			for (j = 0; j < nrej && !rejected; j++)
				rejected = !sel_id_empty(&rs[j]) && id_selected(&rs[j], g, v, &ids[k]);
			if (rejected)
				continue;
			r = apply_paths(b, res, doc_map_get(t, "fieldPaths"), &o, value);
			break;
		}
		free(ids);
	}
	free(rs);
	return r;
}

static int run_one(struct kbuild *b, struct kresmap *m, const struct doc_node *rep)
{
	const struct doc_node *src = doc_map_get(rep, "source");
	const struct doc_node *targets = doc_map_get(rep, "targets");
	struct doc_node *value = NULL;
	char where[256];
	size_t i;
	int r;

	if (!src || !targets || targets->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: replacements must specify a source and at least one target",
			       doc_where(rep, where, sizeof(where)));
	if ((r = get_source(b, m, src, &value)))
		return err_prefix(r, "%s", doc_where(src, where, sizeof(where)));
	for (i = 0; !r && i < targets->n; i++)
		r = apply_target(b, m, targets->kids[i], value);
	if (r)
		err_prefix(r, "%s", doc_where(targets, where, sizeof(where)));
	return r;
}

/* A `path:` entry: a file holding one replacement or a list of them. */
static int run_file(struct kbuild *b, struct kresmap *m, const char *dir, const char *file)
{
	struct strbuf data = STRBUF_INIT;
	struct doc_stream *st = NULL;
	const struct doc_node *d;
	size_t i;
	int r;

	r = kust_read(b, dir, file, &data);
	if (!r)
		r = doc_parse(&st, data.buf, data.len, file, NULL);
	if (r)
		goto out;
	d = st->ndocs ? st->docs[0] : NULL;
	if (d && d->kind == DOC_SEQ) {
		for (i = 0; !r && i < d->n; i++)
			if (!(r = kust_schema_replacement(st->arena, d->kids[i])))
				r = run_one(b, m, d->kids[i]);
	} else if (d && d->kind == DOC_MAP) {
		r = kust_schema_replacement(st->arena, st->docs[0]);
		if (!r)
			r = run_one(b, m, d);
	} else {
		r = err_set(ERR_INVALID, "%s: unsupported replacement type encountered within replacement path",
			    file);
	}
out:
	doc_stream_free(st);
	strbuf_release(&data);
	return r;
}

int kust_replacements(struct kbuild *b, struct kresmap *m, const char *dir,
		      const struct doc_node *list)
{
	char where[256];
	size_t i;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: replacements must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		const char *path = doc_get_str(e, "path", NULL);

		if (path && (doc_map_get(e, "source") || doc_map_get(e, "targets")))
			r = err_set(ERR_INVALID, "%s: cannot specify both path and inline replacement",
				    doc_where(e, where, sizeof(where)));
		else if (path)
			r = run_file(b, m, dir, path);
		else
			r = run_one(b, m, e);
	}
	return r;
}

void kust_drop_local_config(struct kresmap *m)
{
	size_t i = 0;

	while (i < m->n) {
		const char *v = doc_get_str(m->v[i].node, "metadata", "annotations", LOCAL_CONFIG,
					    NULL);
		/* Any value but "false" (checked against kubectl: "", "no", "False" drop too). */
		if (v && strcmp(v, "false"))
			kresmap_del(m, i);
		else
			i++;
	}
}
