/*
 * patch.c - the kustomization's patches: `patches`, and the legacy
 * `patchesStrategicMerge` and `patchesJson6902`.
 *
 * A patch is read from a file or inline text and is either a JSON 6902
 * patch (one document holding a list of operations) or a strategic merge
 * patch (one or more mappings).  A target selector picks the objects by
 * regular expressions on group, version, kind, name and namespace, and by
 * label and annotation selectors; without one, a strategic merge patch
 * applies to the object with its own id.  As in kustomize, a strategic
 * merge patch keeps the target's kind, name and namespace unless the
 * entry's options allow a change; a JSON patch may change anything, and
 * a rename is recorded so name references follow it.
 */
#include "core/compat.h"

#include <ctype.h>
#include <regex.h>
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/kustomize/kust.h"
#include "render/kustomize/kpatch.h"

/* --- ids, as kustomize prints them in messages ------------------------------ */

static void split_gv(const char *av, char *group, size_t gsize, char *version, size_t vsize)
{
	const char *slash = strchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;

	if (gl >= gsize)
		gl = gsize - 1;
	memcpy(group, av, gl);
	group[gl] = 0;
	snprintf(version, vsize, "%s", slash ? slash + 1 : av);
}

/* "Deployment.v1.apps/web.[noNs]", kustomize's ResId.String(). */
static void id_str(struct strbuf *sb, const struct doc_node *obj)
{
	const char *av = doc_get_str(obj, "apiVersion", NULL);
	const char *kind = doc_get_str(obj, "kind", NULL);
	const char *name = doc_get_str(obj, "metadata", "name", NULL);
	const char *ns = doc_get_str(obj, "metadata", "namespace", NULL);
	char g[256], v[256];

	split_gv(av ? av : "", g, sizeof(g), v, sizeof(v));
	strbuf_addf(sb, "%s.%s.%s/%s.%s", kind && *kind ? kind : "[noKind]",
		    *v ? v : "[noVer]", *g ? g : "[noGrp]", name && *name ? name : "[noName]",
		    ns && *ns ? ns : "[noNs]");
}

/* --- target selectors --------------------------------------------------------- */

enum { SEL_GROUP, SEL_VERSION, SEL_KIND, SEL_NAME, SEL_NAMESPACE, SEL_N };

static const char *const sel_keys[SEL_N] = { "group", "version", "kind", "name", "namespace" };

struct ktarget {
	regex_t re[SEL_N];
	bool has[SEL_N];
	const char *labels, *annotations; /* selector strings, borrowed */
};

static void target_release(struct ktarget *t)
{
	size_t i;

	for (i = 0; i < SEL_N; i++)
		if (t->has[i])
			regfree(&t->re[i]);
	memset(t, 0, sizeof(*t));
}

static int target_parse(struct ktarget *t, const struct doc_node *n)
{
	char where[128];
	size_t i, j;

	memset(t, 0, sizeof(*t));
	if (n->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s: a patch target must be a mapping",
			       doc_where(n, where, sizeof(where)));
	for (i = 0; i < n->n; i++) {
		const char *k = doc_str(n->kids[2 * i]), *v = doc_str(n->kids[2 * i + 1]);
		struct strbuf re = STRBUF_INIT;
		int rc;

		if (!k || !v) {
			target_release(t);
			return err_set(ERR_INVALID, "%s: a patch target holds strings only",
				       doc_where(n->kids[2 * i], where, sizeof(where)));
		}
		if (!strcmp(k, "labelSelector")) {
			t->labels = v;
			continue;
		}
		if (!strcmp(k, "annotationSelector")) {
			t->annotations = v;
			continue;
		}
		for (j = 0; j < SEL_N && strcmp(k, sel_keys[j]); j++)
			;
		if (j == SEL_N) {
			target_release(t);
			return err_set(ERR_INVALID, "%s: unknown patch target field '%s'",
				       doc_where(n->kids[2 * i], where, sizeof(where)), k);
		}
		if (!*v || t->has[j])
			continue;
		/* kustomize anchors each expression to the whole value: ^(?:re)$. */
		strbuf_addf(&re, "^(%s)$", v);
		rc = regcomp(&t->re[j], re.buf, REG_EXTENDED | REG_NOSUB);
		strbuf_release(&re);
		if (rc) {
			target_release(t);
			return err_set(ERR_INVALID, "%s: bad regular expression '%s' in patch target",
				       doc_where(n->kids[2 * i + 1], where, sizeof(where)), v);
		}
		t->has[j] = true;
	}
	return 0;
}

static bool sel_match(const struct ktarget *t, int which, const char *s)
{
	return !t->has[which] || !regexec(&t->re[which], s, 0, NULL, 0);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

/* Whether `val` is one of the comma-separated values in "(a, b)". */
static bool in_set(char *set, const char *val)
{
	char *p, *e;

	set = trim(set);
	if (*set != '(' || !(e = strrchr(set, ')')))
		return false;
	*e = 0;
	for (p = set + 1; p; p = e) {
		e = strchr(p, ',');
		if (e)
			*e++ = 0;
		if (!strcmp(trim(p), val))
			return true;
	}
	return false;
}

/*
 * One requirement of a Kubernetes label selector: "k", "!k", "k=v",
 * "k==v", "k!=v", "k in (a,b)", "k notin (a,b)".
 */
static int requirement_matches(char *req, const struct doc_node *labels, bool *ok)
{
	const char *have;
	char *op;

	req = trim(req);
	if (*req == '!') {
		*ok = !doc_map_get(labels, trim(req + 1));
		return 0;
	}
	if ((op = strstr(req, "!="))) {
		*op = 0;
		have = doc_get_str(labels, trim(req), NULL);
		*ok = !have || strcmp(have, trim(op + 2));
		return 0;
	}
	if ((op = strchr(req, '='))) {
		*op = 0;
		have = doc_get_str(labels, trim(req), NULL);
		*ok = have && !strcmp(have, trim(op + (op[1] == '=' ? 2 : 1)));
		return 0;
	}
	if ((op = strstr(req, " notin ")) || (op = strstr(req, " in "))) {
		bool notin = op[1] == 'n';
		*op = 0;
		have = doc_get_str(labels, trim(req), NULL);
		*ok = notin ? !have || !in_set(op + (notin ? 7 : 4), have)
			    : have && in_set(op + 4, have);
		return 0;
	}
	if (strpbrk(req, "<>() "))
		return err_set(ERR_INVALID, "unsupported label selector requirement '%s'", req);
	*ok = !!doc_map_get(labels, req);
	return 0;
}

int kust_selector_matches(const char *sel, const struct doc_node *labels, bool *ok)
{
	char *copy = xstrdup(sel), *p = copy, *q;
	int depth = 0, r = 0;

	*ok = true;
	for (q = copy;; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')')
			depth--;
		if (*q && (*q != ',' || depth > 0))
			continue;
		{
			char end = *q;
			*q = 0;
			if (*trim(p)) {
				r = requirement_matches(p, labels, ok);
				if (r || !*ok)
					break;
			}
			if (!end)
				break;
			p = q + 1;
		}
	}
	free(copy);
	return r;
}

static int target_selects(const struct ktarget *t, const struct kres *r, bool *ok)
{
	char g[256], v[256];
	const char *kind = kres_kind(r);
	bool cluster = kres_cluster_scoped(r);
	const char *ns = kres_ns(r), *ons = r->orig_ns ? r->orig_ns : "";
	const char *oname = r->nnames ? r->names[0] : kres_name(r);
	int rc;

	*ok = false;
	/* kustomize's EffectiveNamespace: "default" when unset. */
	ns = cluster ? "_non_namespaceable_" : *ns ? ns : "default";
	ons = cluster ? "_non_namespaceable_" : *ons ? ons : "default";
	if (!sel_match(t, SEL_NAMESPACE, ons) && !sel_match(t, SEL_NAMESPACE, ns))
		return 0;
	if (!sel_match(t, SEL_NAME, oname) && !sel_match(t, SEL_NAME, kres_name(r)))
		return 0;
	kres_gv(r, g, sizeof(g), v, sizeof(v));
	if (!sel_match(t, SEL_GROUP, g) || !sel_match(t, SEL_VERSION, v) ||
	    !sel_match(t, SEL_KIND, kind))
		return 0;
	if (t->labels && *t->labels) {
		const struct doc_node *l = doc_map_get(doc_map_get(r->node, "metadata"), "labels");
		if ((rc = kust_selector_matches(t->labels, l, ok)) || !*ok)
			return rc;
	}
	if (t->annotations && *t->annotations) {
		const struct doc_node *a =
			doc_map_get(doc_map_get(r->node, "metadata"), "annotations");
		if ((rc = kust_selector_matches(t->annotations, a, ok)) || !*ok)
			return rc;
	}
	*ok = true;
	return 0;
}

static bool is_null_node(const struct doc_node *n)
{
	struct doc_value v;

	return n->kind == DOC_SCALAR && !doc_resolve(n, &v) && v.type == DOC_T_NULL;
}

/* --- applying ---------------------------------------------------------------- */

struct patch_opts {
	bool allow_name, allow_kind;
};

/* A strategic merge patch without a target names its object by its own id. */
static bool same_id(const struct kres *r, const struct doc_node *p)
{
	const char *pav = doc_get_str(p, "apiVersion", NULL);
	const char *pkind = doc_get_str(p, "kind", NULL);
	const char *pname = doc_get_str(p, "metadata", "name", NULL);
	const char *pns = doc_get_str(p, "metadata", "namespace", NULL);
	const char *ns = kres_ns(r), *ons = r->orig_ns ? r->orig_ns : "";
	bool name_ok = !strcmp(kres_name(r), pname ? pname : "");
	size_t i;

	if (strcmp(kres_api_version(r), pav ? pav : ""))
		return false;
	if (strcmp(kres_kind(r), pkind ? pkind : "") &&
	    (!r->orig_kind || strcmp(r->orig_kind, pkind ? pkind : "")))
		return false;
	for (i = 0; i < r->nnames && !name_ok; i++)
		name_ok = !strcmp(r->names[i], pname ? pname : "");
	if (!name_ok)
		return false;
	pns = pns && *pns ? pns : "default";
	ns = *ns ? ns : "default";
	ons = *ons ? ons : "default";
	return !strcmp(pns, ns) || !strcmp(pns, ons);
}

static void set_str_field(struct kbuild *b, struct doc_node *map, const char *key,
			  const char *val)
{
	doc_map_set(b->arena, map, key, doc_new_str(b->arena, val));
}

/*
 * A targeted patch is copied with its labels and annotations read as
 * string maps and written back (kustomize's CopyMergeMetaDataFieldsFrom),
 * so there a null value is the string "null" and deletes nothing.
 */
static void stringify_meta(struct kbuild *b, struct doc_node *patch)
{
	static const char *const fields[] = { "labels", "annotations" };
	struct doc_node *meta = doc_map_get(patch, "metadata"), *m;
	size_t f, i;

	for (f = 0; meta && meta->kind == DOC_MAP && f < ARRAY_SIZE(fields); f++) {
		m = doc_map_get(meta, fields[f]);
		for (i = 0; m && m->kind == DOC_MAP && i < m->n; i++) {
			struct doc_node *v = m->kids[2 * i + 1];
			if (v->kind == DOC_SCALAR)
				m->kids[2 * i + 1] =
					doc_new_scalar(b->arena, v->str, v->len, DOC_STYLE_DOUBLE);
		}
	}
}

/*
 * Applies one strategic merge patch document to `r`, as kustomize's
 * Resource.ApplySmPatch: the kind and name come back unless allowed to
 * change, the namespace always comes back.
 */
static int apply_smp(struct kbuild *b, struct kres *r, const struct doc_node *doc,
		     bool targeted, const struct patch_opts *o, bool *deleted)
{
	struct doc_node *patch = doc_clone(b->arena, doc), *meta;
	char *kind = xstrdup(kres_kind(r)), *name = xstrdup(kres_name(r));
	char *ns = xstrdup(kres_ns(r)), *newname = NULL;
	int rc;

	if (targeted && *kres_api_version(r))
		set_str_field(b, patch, "apiVersion", kres_api_version(r));
	if (targeted)
		stringify_meta(b, patch);
	rc = ksmp_merge(b->arena, r->node, patch, deleted);
	if (rc || *deleted)
		goto out;
	if (!o->allow_kind || !*kres_kind(r))
		set_str_field(b, r->node, "kind", kind);
	meta = doc_map_ensure_map(b->arena, r->node, "metadata");
	if (!meta)
		goto out;
	newname = xstrdup(kres_name(r));
	if (*name || doc_map_get(meta, "name"))
		set_str_field(b, meta, "name", name);
	if (o->allow_name && *newname && strcmp(newname, name))
		kres_set_name(b, r, newname);
	if (*ns)
		set_str_field(b, meta, "namespace", ns);
	else
		doc_map_del(meta, "namespace");
out:
	free(kind);
	free(name);
	free(ns);
	free(newname);
	return rc;
}

static int apply_json(struct kbuild *b, struct kres *r, const struct doc_node *ops,
		      const char *patchname)
{
	struct strbuf what = STRBUF_INIT;
	char *name = xstrdup(kres_name(r)), *newname = NULL;
	struct doc_node *meta;
	int rc;

	strbuf_addf(&what, "JSON patch %s on ", patchname);
	id_str(&what, r->node);
	/*
	 * kustomize keeps internal annotations on every object while it
	 * builds, so a patch may add to /metadata/annotations of an object
	 * that has none; they are stripped again afterwards, and an emptied
	 * annotations field goes with them.
	 */
	meta = doc_map_get(r->node, "metadata");
	if (meta && meta->kind == DOC_MAP && !doc_map_get(meta, "annotations"))
		doc_map_set(b->arena, meta, "annotations", doc_new_map(b->arena));
	rc = kjson6902_apply(b->arena, &r->node, ops, what.buf);
	if (!rc && r->node->kind != DOC_MAP)
		rc = err_set(ERR_INVALID, "%s: the result is not an object", what.buf);
	meta = doc_map_get(r->node, "metadata");
	if (meta && meta->kind == DOC_MAP) {
		const struct doc_node *ann = doc_map_get(meta, "annotations");
		if (ann && ann->kind == DOC_MAP && !ann->n)
			doc_map_del(meta, "annotations");
	}
	if (rc)
		goto out;
	newname = xstrdup(kres_name(r));
	meta = doc_map_get(r->node, "metadata");
	if (strcmp(newname, name) && *newname && meta && meta->kind == DOC_MAP) {
		/* Put the old name back so the rename is recorded as one. */
		set_str_field(b, meta, "name", name);
		kres_set_name(b, r, newname);
	}
out:
	strbuf_release(&what);
	free(name);
	free(newname);
	return rc;
}

/* Removes the objects a patch deleted, keeping the others' order. */
static void remove_deleted(struct kresmap *m, bool *deleted)
{
	size_t i = m->n;

	while (i--)
		if (deleted[i])
			kresmap_del(m, i);
}

static int apply_smp_docs(struct kbuild *b, struct kresmap *m, const struct doc_stream *st,
			  const struct ktarget *t, const struct patch_opts *o,
			  const char *patchname)
{
	bool *deleted = xcalloc(m->n + 1, sizeof(bool)), *sel = xcalloc(m->n + 1, sizeof(bool));
	struct strbuf id = STRBUF_INIT;
	size_t d, i, hit = 0, nhit;
	int rc = 0;

	for (i = 0; t && !rc && i < m->n; i++)
		rc = target_selects(t, &m->v[i], &sel[i]);
	for (d = 0; !rc && d < st->ndocs; d++) {
		const struct doc_node *doc = st->docs[d];
		if (doc->kind != DOC_MAP) {
			char where[128];
			rc = err_set(ERR_INVALID, "%s: a strategic merge patch must be a mapping",
				     doc_where(doc, where, sizeof(where)));
			break;
		}
		if (t) {
			for (i = 0; !rc && i < m->n; i++)
				if (sel[i] && !deleted[i])
					rc = apply_smp(b, &m->v[i], doc, true, o, &deleted[i]);
			continue;
		}
		for (i = 0, nhit = 0; i < m->n; i++)
			if (!deleted[i] && same_id(&m->v[i], doc) && !nhit++)
				hit = i;
		strbuf_reset(&id);
		id_str(&id, doc);
		if (nhit != 1) {
			rc = err_set(ERR_INVALID,
				     "%s: no resource matches strategic merge patch \"%s\": %s for Id %s; failed to find unique target for patch %s",
				     patchname, id.buf, nhit ? "multiple matches" : "no matches",
				     id.buf, id.buf);
			break;
		}
		rc = apply_smp(b, &m->v[hit], doc, false, o, &deleted[hit]);
	}
	if (!rc)
		remove_deleted(m, deleted);
	strbuf_release(&id);
	free(deleted);
	free(sel);
	return rc;
}

static int apply_json_doc(struct kbuild *b, struct kresmap *m, const struct doc_node *ops,
			  const struct ktarget *t, const char *patchname)
{
	size_t i;
	bool ok;
	int rc = 0;

	for (i = 0; !rc && i < m->n; i++) {
		rc = target_selects(t, &m->v[i], &ok);
		if (!rc && ok)
			rc = apply_json(b, &m->v[i], ops, patchname);
	}
	return rc;
}

enum patch_kind { PK_ANY, PK_SMP, PK_JSON };

/*
 * One patch: `path` (a file relative to `dir`) or `text` (inline), with an
 * optional target.  `at` is the entry, for messages.
 */
/*
 * Strict JSON (RFC 8259), as Go's encoding/json accepts it: kustomize
 * decodes a patch whose text starts with '[' as JSON, without reading it
 * as YAML first, so a YAML flow sequence ("[{op: add, ...}]") that our
 * reader would take is not a JSON patch there.  *p advances past the value.
 */
static bool json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
	return true;
}

static bool json_value(const char **p, unsigned depth)
{
	const char *s = *p;

	if (depth > 1000)
		return false;
	json_ws(&s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';
		bool obj = *s == '{', first = true;

		s++;
		for (;;) {
			json_ws(&s);
			if (*s == close && first) {
				s++;
				break;
			}
			if (obj) {
				if (*s != '"' || !json_value(&s, depth + 1))
					return false;
				json_ws(&s);
				if (*s++ != ':')
					return false;
			}
			if (!json_value(&s, depth + 1))
				return false;
			json_ws(&s);
			first = false;
			if (*s == ',') {
				s++;
				continue;
			}
			if (*s++ != close)
				return false;
			break;
		}
	} else if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if ((unsigned char)*s < 0x20)
				return false;
			if (*s != '\\')
				continue;
			s++;
			if (*s == 'u') {
				for (int k = 1; k <= 4; k++)
					if (!isxdigit((unsigned char)s[k]))
						return false;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return false;
			}
		}
		s++;
	} else if (*s == '-' || (*s >= '0' && *s <= '9')) {
		if (*s == '-')
			s++;
		if (*s == '0')
			s++;
		else if (*s >= '1' && *s <= '9')
			while (*s >= '0' && *s <= '9')
				s++;
		else
			return false;
		if (*s == '.') {
			if (!(*++s >= '0' && *s <= '9'))
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
		}
		if (*s == 'e' || *s == 'E') {
			s++;
			if (*s == '+' || *s == '-')
				s++;
			if (!(*s >= '0' && *s <= '9'))
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	} else if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4)) {
		s += 4;
	} else if (!strncmp(s, "false", 5)) {
		s += 5;
	} else {
		return false;
	}
	*p = s;
	return true;
}

/*
 * kustomize's reading of a patch whose text starts with '[' (after
 * trimming an inline one): JSON only.  Text that is not JSON fails both
 * readings ("unable to parse SM or JSON patch"), and an empty list is
 * both an empty JSON patch and an empty strategic merge patch, which
 * `patches:` refuses ("illegally qualifies as both an SM and JSON patch"),
 * and patchesJson6902 too ("patch appears to be empty").
 */
static int check_json_text(const char *text, size_t len, enum patch_kind want,
			   const char *name)
{
	const char *p = text, *end;

	if (*p != '[' || want == PK_SMP)
		return 0;
	if (strlen(text) != len || !json_value(&p, 0) || (json_ws(&p), *p))
		return err_set(ERR_INVALID,
			       "%s: unable to parse SM or JSON patch: it starts with '[' but is not JSON",
			       name);
	end = text + 1;
	json_ws(&end);
	if (*end == ']')
		return err_set(ERR_INVALID, want == PK_JSON ? "%s: patch appears to be empty" :
			       "%s: illegally qualifies as both an SM and JSON patch (an empty list)",
			       name);
	return 0;
}

static int apply_patch(struct kbuild *b, struct kresmap *m, const char *dir, const char *path,
		       const char *text, const struct doc_node *target,
		       const struct patch_opts *o, enum patch_kind want, const struct doc_node *at)
{
	struct strbuf data = STRBUF_INIT, name = STRBUF_INIT;
	struct doc_stream *st = NULL;
	struct ktarget t;
	bool has_target = target && !is_null_node(target);
	char where[128];
	bool json;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	if (path) {
		strbuf_addf(&name, "%s%s%s", *dir ? dir : "", *dir ? "/" : "", path);
		rc = kust_read(b, dir, path, &data);
	} else {
		strbuf_addf(&name, "inline patch at %s", doc_where(at, where, sizeof(where)));
		rc = strbuf_addstr(&data, text);
	}
	if (!rc) {
		/* An inline patch is trimmed first; a file is read as it is. */
		const char *lead = data.buf;

		while (!path && (*lead == ' ' || *lead == '\t' || *lead == '\n' || *lead == '\r'))
			lead++;
		rc = check_json_text(lead, data.len - (size_t)(lead - data.buf), want, name.buf);
	}
	if (!rc)
		rc = doc_parse(&st, data.buf, data.len, name.buf, NULL);
	if (rc)
		goto out;
	if (!st->ndocs) {
		rc = err_set(ERR_INVALID, "%s: unable to parse SM or JSON patch: it is empty",
			     name.buf);
		goto out;
	}
	json = st->ndocs == 1 && st->docs[0]->kind == DOC_SEQ;
	if ((want == PK_JSON && !json) || (want == PK_SMP && json)) {
		rc = err_set(ERR_INVALID, "%s: expected a %s patch", name.buf,
			     want == PK_JSON ? "JSON 6902" : "strategic merge");
		goto out;
	}
	if (has_target && (rc = target_parse(&t, target)))
		goto out;
	if (json && !has_target)
		rc = err_set(ERR_INVALID, "%s: must specify a target for JSON patch", name.buf);
	else if (json)
		rc = apply_json_doc(b, m, st->docs[0], &t, name.buf);
	else
		rc = apply_smp_docs(b, m, st, has_target ? &t : NULL, o, name.buf);
out:
	target_release(&t);
	doc_stream_free(st);
	strbuf_release(&data);
	strbuf_release(&name);
	return rc;
}

/* --- the kustomization fields ---------------------------------------------------- */

static int bool_option(const struct doc_node *opts, const char *key, bool *out)
{
	const struct doc_node *v = doc_map_get(opts, key);
	struct doc_value dv;
	char where[128];

	*out = false;
	if (!v || is_null_node(v))
		return 0;
	if (doc_resolve(v, &dv) || dv.type != DOC_T_BOOL)
		return err_set(ERR_INVALID, "%s: patch option '%s' must be true or false",
			       doc_where(v, where, sizeof(where)), key);
	*out = dv.b;
	return 0;
}

static int need_seq(const struct doc_node *list, const char *field)
{
	char where[128];

	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: '%s' must be a list",
			       doc_where(list, where, sizeof(where)), field);
	return 0;
}

/* The `path`/`patch` pair of an entry; exactly one must be set. */
static int entry_source(const struct doc_node *e, const char **path, const char **text)
{
	char where[128];

	*path = doc_get_str(e, "path", NULL);
	*text = doc_get_str(e, "patch", NULL);
	if (*text && !**text)
		*text = NULL;
	if (*path && !**path)
		*path = NULL;
	if (!*path && !*text)
		return err_set(ERR_INVALID, "%s: must specify one of patch and path",
			       doc_where(e, where, sizeof(where)));
	if (*path && *text)
		return err_set(ERR_INVALID, "%s: patch and path can't be set at the same time",
			       doc_where(e, where, sizeof(where)));
	return 0;
}

static int check_keys(const struct doc_node *e, const char *const *known)
{
	char where[128];
	size_t i, j;

	for (i = 0; i < e->n; i++) {
		const char *k = doc_str(e->kids[2 * i]);
		for (j = 0; known[j] && (!k || strcmp(k, known[j])); j++)
			;
		if (!known[j])
			return err_set(ERR_INVALID, "%s: unknown field '%s' in a patch entry",
				       doc_where(e->kids[2 * i], where, sizeof(where)),
				       k ? k : "?");
	}
	return 0;
}

int kust_patches(struct kbuild *b, struct kresmap *m, const char *dir,
		 const struct doc_node *patches)
{
	static const char *const known[] = { "path", "patch", "target", "options", NULL };
	size_t i;
	int rc;

	if (!patches || is_null_node(patches))
		return 0;
	if ((rc = need_seq(patches, "patches")))
		return rc;
	for (i = 0; i < patches->n; i++) {
		const struct doc_node *e = patches->kids[i], *opts;
		struct patch_opts o = { false, false };
		const char *path, *text;
		char where[128];

		if (e->kind != DOC_MAP)
			return err_set(ERR_INVALID, "%s: a patch entry must be a mapping",
				       doc_where(e, where, sizeof(where)));
		if ((rc = check_keys(e, known)) || (rc = entry_source(e, &path, &text)))
			return rc;
		opts = doc_map_get(e, "options");
		if (opts && opts->kind == DOC_MAP &&
		    ((rc = bool_option(opts, "allowNameChange", &o.allow_name)) ||
		     (rc = bool_option(opts, "allowKindChange", &o.allow_kind))))
			return rc;
		rc = apply_patch(b, m, dir, path, text, doc_map_get(e, "target"), &o, PK_ANY, e);
		if (rc)
			return rc;
	}
	return 0;
}

int kust_patches_sm(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *list)
{
	struct patch_opts o = { false, false };
	size_t i;
	int rc;

	if (!list || is_null_node(list))
		return 0;
	if ((rc = need_seq(list, "patchesStrategicMerge")))
		return rc;
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		const char *s = doc_str(e);
		char where[128];

		if (!s)
			return err_set(ERR_INVALID,
				       "%s: a patchesStrategicMerge entry must be a file name or a patch",
				       doc_where(e, where, sizeof(where)));
		/* An entry is inline YAML when it cannot be a file name. */
		if (strchr(s, '\n'))
			rc = apply_patch(b, m, dir, NULL, s, NULL, &o, PK_SMP, e);
		else
			rc = apply_patch(b, m, dir, s, NULL, NULL, &o, PK_SMP, e);
		if (rc)
			return rc;
	}
	return 0;
}

int kust_patches_json6902(struct kbuild *b, struct kresmap *m, const char *dir,
			  const struct doc_node *list)
{
	static const char *const known[] = { "path", "patch", "target", NULL };
	struct patch_opts o = { false, false };
	size_t i;
	int rc;

	if (!list || is_null_node(list))
		return 0;
	if ((rc = need_seq(list, "patchesJson6902")))
		return rc;
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i], *target;
		const char *path, *text;
		char where[128];

		if (e->kind != DOC_MAP)
			return err_set(ERR_INVALID, "%s: a patchesJson6902 entry must be a mapping",
				       doc_where(e, where, sizeof(where)));
		if ((rc = check_keys(e, known)) || (rc = entry_source(e, &path, &text)))
			return rc;
		target = doc_map_get(e, "target");
		if (!target || is_null_node(target))
			return err_set(ERR_INVALID, "%s: must specify a target for JSON patch",
				       doc_where(e, where, sizeof(where)));
		rc = apply_patch(b, m, dir, path, text, target, &o, PK_JSON, e);
		if (rc)
			return rc;
	}
	return 0;
}
