/*
 * kust.c - the kustomize build: the kustomization file, resources and the
 * order of operations.
 *
 * For one directory, as kustomize's accumulateTarget does: resources (files,
 * and directories built recursively) in order, then generators, then the
 * built-in transformers in kustomize's order, then the `transformers:`
 * configs.  At the top level only: content hashes on generated names, name
 * back references, and (in render_app) the output order.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "render/render.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/remote.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

#define MAX_DEPTH 32

static const char *const kust_names[] = { "kustomization.yaml", "kustomization.yml",
					  "Kustomization" };

/* Every field of kustomize's Kustomization type, and whether we build it. */
static const struct {
	const char *name;
	bool supported;
} kust_fields[] = {
	{ "apiVersion", true }, { "kind", true }, { "metadata", true },
	{ "resources", true }, { "bases", true }, { "namespace", true },
	{ "namePrefix", true }, { "nameSuffix", true }, { "commonLabels", true },
	{ "labels", true }, { "commonAnnotations", true }, { "images", true },
	{ "replicas", true }, { "patches", true }, { "patchesStrategicMerge", true },
	{ "patchesJson6902", true }, { "configMapGenerator", true },
	{ "secretGenerator", true }, { "generatorOptions", true },
	{ "transformers", true }, { "sortOptions", true }, { "buildMetadata", true },
	{ "components", true }, { "vars", true }, { "replacements", true },
	{ "crds", false }, { "configurations", true }, { "generators", true },
	{ "validators", false }, { "openapi", false }, { "helmCharts", true },
	{ "helmGlobals", true }, { "helmChartInflationGenerator", false },
	{ "imageTags", false },
};

static int find_kustomization(struct kbuild *b, const char *dir, struct strbuf *path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kust_names); i++) {
		enum src_type ty;
		int r;

		strbuf_reset(path);
		r = src_path_join(path, dir, kust_names[i]);
		if (!r)
			r = src_tree_stat(b->tree, path->buf, &ty);
		if (r)
			return r;
		if (ty == SRC_FILE)
			return 0;
	}
	return err_set(ERR_NOTFOUND, "%s: no kustomization.yaml, kustomization.yml or Kustomization",
		       *dir ? dir : ".");
}

static bool is_null(const struct doc_node *v)
{
	struct doc_value dv;

	return v->kind == DOC_SCALAR && !v->tag && !doc_resolve(v, &dv) &&
	       dv.type == DOC_T_NULL;
}

/*
 * kustomize decodes its file through JSON into a Go struct, so field names
 * match case-insensitively ("nameprefix" is namePrefix) and a later
 * spelling of a field replaces an earlier one.  Keys are renamed to their
 * canonical spelling here, so the rest of the build looks them up as usual.
 * A key that is not a scalar cannot become a JSON key, and kustomize
 * refuses the file.  The reader already dropped exact repeats, so only
 * known fields can still repeat: each is kept at its bytewise greatest
 * spelling (see below), in one pass (a file of many keys must not cost
 * their square).
 */
static int canonical_keys(struct doc_node *k)
{
	size_t last[ARRAY_SIZE(kust_fields)];
	size_t *field = xmalloc((k->n ? k->n : 1) * sizeof(*field));
	size_t i, f, kept = 0;
	char where[256];
	int r = 0;

	for (f = 0; f < ARRAY_SIZE(kust_fields); f++)
		last[f] = SIZE_MAX;
	for (i = 0; i < k->n; i++) {
		struct doc_node *key = k->kids[2 * i];

		field[i] = SIZE_MAX;
		if (key->kind != DOC_SCALAR) {
			r = err_set(ERR_INVALID, "%s: invalid map key: a key must be a scalar",
				    doc_where(key, where, sizeof(where)));
			goto out;
		}
		for (f = 0; f < ARRAY_SIZE(kust_fields); f++)
			if (!strcasecmp(kust_fields[f].name, key->str))
				break;
		if (f == ARRAY_SIZE(kust_fields))
			continue;
		field[i] = f;
		/*
		 * Between spellings of one field, the JSON kustomize decodes has
		 * its keys sorted, so the bytewise greatest spelling comes last and
		 * wins, wherever it stands in the file.
		 */
		if (last[f] == SIZE_MAX || strcmp(key->str, k->kids[2 * last[f]]->str) >= 0)
			last[f] = i;
	}
	for (i = 0; i < k->n; i++) {
		struct doc_node *key = k->kids[2 * i];

		if (field[i] != SIZE_MAX && strcmp(kust_fields[field[i]].name, key->str)) {
			key->str = kust_fields[field[i]].name;
			key->len = strlen(key->str);
		}
	}
	for (i = 0; i < k->n; i++) {
		if (field[i] != SIZE_MAX && last[field[i]] != i)
			continue;
		/*
		 * A known field with no value ("resources:" alone, or ~) is
		 * what Go's decoder makes of it: the zero value, an empty list
		 * or map or string.  Dropping it says exactly that.
		 */
		if (field[i] != SIZE_MAX && is_null(k->kids[2 * i + 1]))
			continue;
		k->kids[2 * kept] = k->kids[2 * i];
		k->kids[2 * kept + 1] = k->kids[2 * i + 1];
		kept++;
	}
	k->n = kept;
out:
	free(field);
	return r;
}

/* Finds and parses a directory's kustomization file. */
static int parse_kustomization(struct kbuild *b, const char *dir, struct strbuf *path,
			       struct doc_stream **st)
{
	struct strbuf data = STRBUF_INIT;
	struct doc_limits lim = doc_limits_default;
	int r;

	*st = NULL;
	/* kustomize reads its own file through JSON: a repeated key wins. */
	lim.last_key_wins = true;
	r = find_kustomization(b, dir, path);
	if (!r)
		r = src_tree_read(b->tree, path->buf, &data, 1u << 20);
	if (!r)
		r = doc_parse(st, data.buf, data.len, path->buf, &lim);
	if (!r && ((*st)->ndocs != 1 || (*st)->docs[0]->kind != DOC_MAP))
		r = err_set(ERR_INVALID, "%s: a kustomization must be one mapping", path->buf);
	if (!r)
		r = canonical_keys((*st)->docs[0]);
	if (!r)
		r = kust_schema_check((*st)->arena, (*st)->docs[0]);
	strbuf_release(&data);
	return r;
}

static int check_fields(const struct doc_node *k)
{
	char where[256];
	size_t i, f;

	for (i = 0; i < k->n; i++) {
		const struct doc_node *key = k->kids[2 * i];
		for (f = 0; f < ARRAY_SIZE(kust_fields); f++)
			if (!strcmp(kust_fields[f].name, key->str))
				break;
		if (f == ARRAY_SIZE(kust_fields))
			return err_set(ERR_INVALID, "%s: unknown kustomization field '%s'",
				       doc_where(key, where, sizeof(where)), key->str);
		if (!kust_fields[f].supported)
			return err_set(ERR_INVALID,
				       "%s: kustomization field '%s' is not supported by hoist's kustomize engine yet",
				       doc_where(key, where, sizeof(where)), key->str);
	}
	return 0;
}

/* Adds every object of a YAML file (Lists flattened) to `m`, cloned into the build. */
/* The objects of one file's bytes; `path` names it (a path, or a URL). */
static int add_file_data(struct kbuild *b, struct kresmap *m, const char *path,
			 const struct strbuf *data)
{
	struct doc_stream *s = NULL;
	char where[256];
	size_t i, k;
	int r;

	r = doc_parse(&s, data->buf, data->len, path, NULL);
	for (i = 0; !r && i < s->ndocs; i++) {
		struct doc_node *d = s->docs[i];
		const struct doc_node *items = doc_map_get(d, "items");
		const char *kind = doc_get_str(d, "kind", NULL);
		size_t kl = kind ? strlen(kind) : 0;

		if (d->kind != DOC_MAP) {
			r = err_set(ERR_INVALID, "%s: a resource must be a mapping",
				    doc_where(d, where, sizeof(where)));
			break;
		}
		if (items && items->kind == DOC_SEQ && kl >= 4 && !strcmp(kind + kl - 4, "List")) {
			for (k = 0; k < items->n; k++)
				kresmap_add(m, doc_clone(b->arena, items->kids[k]), path);
			continue;
		}
		if (!kind || !doc_get_str(d, "metadata", "name", NULL)) {
			r = err_set(ERR_INVALID, "%s: a resource needs kind and metadata.name",
				    doc_where(d, where, sizeof(where)));
			break;
		}
		kresmap_add(m, doc_clone(b->arena, d), path);
	}
	doc_stream_free(s);
	return r;
}

static int add_file(struct kbuild *b, struct kresmap *m, const char *path)
{
	struct strbuf data = STRBUF_INIT;
	int r;

	r = src_tree_read(b->tree, path, &data, doc_limits_default.max_bytes);
	if (!r)
		r = add_file_data(b, m, path, &data);
	strbuf_release(&data);
	return r;
}

static bool same_id(const struct kres *a, const struct kres *x)
{
	return !strcmp(kres_kind(a), kres_kind(x)) && !strcmp(kres_name(a), kres_name(x)) &&
	       !strcmp(kres_ns(a), kres_ns(x)) &&
	       !strcmp(kres_api_version(a), kres_api_version(x));
}

/* Moves `from` into `to`, refusing an object that is already there. */
static int append_all(struct kresmap *to, struct kresmap *from)
{
	size_t i, k;

	for (i = 0; i < from->n; i++)
		for (k = 0; k < to->n; k++)
			if (same_id(&to->v[k], &from->v[i]))
				return err_set(ERR_INVALID,
					       "may not add resource with an already registered id: %s %s%s%s (%s and %s)",
					       kres_kind(&from->v[i]), kres_ns(&from->v[i]),
					       *kres_ns(&from->v[i]) ? "/" : "", kres_name(&from->v[i]),
					       to->v[k].origin, from->v[i].origin);
	for (i = 0; i < from->n; i++) {
		ALLOC_GROW(to->v, to->n + 1, to->alloc);
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	memset(from, 0, sizeof(*from));
	return 0;
}

int kust_entry_path(struct kbuild *b, const char *dir, const struct doc_node *e,
		    const char *field, struct strbuf *path, enum src_type *ty)
{
	char where[256];
	int r;

	if (e->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s: %s entries must be paths",
			       doc_where(e, where, sizeof(where)), field);
	if (kust_is_remote(e))
		return err_set(ERR_INVALID, "%s: remote %s entry '%s': remote sources are not available here",
			       doc_where(e, where, sizeof(where)), field, e->str);
	strbuf_reset(path);
	r = src_path_join(path, dir, e->str);
	if (!r)
		r = src_tree_stat(b->tree, path->buf, ty);
	if (r)
		return err_prefix(r, "%s", doc_where(e, where, sizeof(where)));
	if (*ty == SRC_NONE)
		return err_set(ERR_NOTFOUND, "%s: %s entry '%s' not found",
			       doc_where(e, where, sizeof(where)), field, e->str);
	return 0;
}

bool kust_is_remote(const struct doc_node *e)
{
	enum remote_kind kind;

	return e->kind == DOC_SCALAR && remote_is_url(e->str, &kind);
}

int kust_remote_entry(struct kbuild *b, const struct doc_node *e, const char *field,
		      struct kresmap *m, enum kust_role role)
{
	struct remote_ctx *c = b->opts ? b->opts->remote : NULL;
	struct remote_git_url u = { 0 };
	struct src_tree *saved = b->tree, *t = NULL;
	struct strbuf data = STRBUF_INIT;
	enum remote_kind kind;
	enum src_type ty;
	char where[256];
	int r;

	doc_where(e, where, sizeof(where));
	if (!c)
		return err_set(ERR_INVALID, "%s: remote %s entry '%s': remote sources are not available here",
			       where, field, e->str);
	remote_is_url(e->str, &kind);
	if (kind == REMOTE_HTTP) {
		if (role == KUST_COMPONENT) {
			r = err_set(ERR_INVALID, "%s: component '%s' must be a directory", where, e->str);
			goto out;
		}
		r = remote_http_get(&data, c, e->str, where);
		if (!r) {
			struct kresmap sub = { 0 };
			r = add_file_data(b, &sub, e->str, &data);
			if (!r)
				r = append_all(m, &sub);
			kresmap_release(&sub);
		}
		goto out;
	}
	r = remote_git_url_parse(&u, e->str);
	if (r) {
		err_prefix(r, "%s", where);
		goto out;
	}
	r = remote_git_open(&t, c, &u, where);
	if (r)
		goto out;
	r = src_tree_stat(t, u.path, &ty);
	if (!r && ty != SRC_DIR)
		r = err_set(ERR_NOTFOUND, "%s: '%s' is not a folder of %s", where, *u.path ? u.path : ".",
			    u.clone_url);
	if (r)
		goto out;
	/* The base builds from its own tree; its relative paths stay inside it. */
	b->tree = t;
	if (role == KUST_COMPONENT) {
		r = kust_build_component(b, u.path, m);
	} else {
		struct kresmap sub = { 0 };
		r = kust_build_dir(b, u.path, &sub);
		if (!r)
			r = append_all(m, &sub);
		kresmap_release(&sub);
	}
	b->tree = saved;
	if (r)
		err_prefix(r, "%s: %s", where, e->str);
out:
	b->tree = saved;
	src_tree_free(t);
	remote_git_url_release(&u);
	strbuf_release(&data);
	return r;
}

static int add_resources(struct kbuild *b, struct kresmap *m, const char *dir,
			 const struct doc_node *list, const char *field)
{
	struct strbuf path = STRBUF_INIT;
	char where[256];
	size_t i;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: %s must be a list",
			       doc_where(list, where, sizeof(where)), field);
	for (i = 0; !r && i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		enum src_type ty;

		if (kust_is_remote(e)) {
			r = kust_remote_entry(b, e, field, m, KUST_RESOURCE);
			continue;
		}
		r = kust_entry_path(b, dir, e, field, &path, &ty);
		if (!r && ty == SRC_FILE)
			r = kust_file_in_root(dir, path.buf);
		if (r)
			break;
		if (ty == SRC_DIR) {
			struct kresmap sub = { 0 };
			r = kust_build_dir(b, path.buf, &sub);
			if (!r)
				r = append_all(m, &sub);
			kresmap_release(&sub);
		} else {
			struct kresmap sub = { 0 };
			r = add_file(b, &sub, path.buf);
			if (!r)
				kust_meta_origin_path(b, &sub, 0, path.buf);
			if (!r)
				r = append_all(m, &sub);
			kresmap_release(&sub);
		}
	}
	strbuf_release(&path);
	return r;
}

/* A field spec list from a transformer config ("fieldSpecs:"). */
static int parse_field_specs(const struct doc_node *list, struct kfieldspec **out, size_t *n)
{
	char where[256];
	size_t i;

	*out = NULL;
	*n = 0;
	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: fieldSpecs must be a list",
			       doc_where(list, where, sizeof(where)));
	*out = xcalloc(list->n ? list->n : 1, sizeof(**out));
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		const char *create = doc_get_str(e, "create", NULL);

		(*out)[i].group = doc_get_str(e, "group", NULL);
		(*out)[i].version = doc_get_str(e, "version", NULL);
		(*out)[i].kind = doc_get_str(e, "kind", NULL);
		(*out)[i].path = doc_get_str(e, "path", NULL);
		(*out)[i].create = create && !strcmp(create, "true");
		if (!(*out)[i].path) {
			free(*out);
			*out = NULL;
			return err_set(ERR_INVALID, "%s: a field spec needs a path",
				       doc_where(e, where, sizeof(where)));
		}
	}
	*n = list->n;
	return 0;
}

struct pairs_walk {
	const struct doc_node *pairs;
};

static int put_pairs(struct kbuild *b, struct kres *r, struct doc_node *parent, const char *key,
		     void *ctx)
{
	const struct pairs_walk *pw = ctx;
	struct doc_node *map = doc_map_ensure_map(b->arena, parent, key);
	size_t i;

	if (!map)
		return 0;
	for (i = 0; i < pw->pairs->n; i++) {
		const struct doc_node *v = pw->pairs->kids[2 * i + 1];
		doc_map_set(b->arena, map, pw->pairs->kids[2 * i]->str,
			    doc_new_scalar(b->arena, v->str, v->len, DOC_STYLE_DOUBLE));
	}
	return 0;
}

/*
 * The `transformers:` field: files holding built-in transformer configs.
 * LabelTransformer and AnnotationsTransformer (pairs along their own field
 * specs) are built; others are refused clearly.
 */
static int run_transformer_configs(struct kbuild *b, struct kresmap *m, const char *dir,
				   const struct doc_node *list)
{
	struct strbuf data = STRBUF_INIT, path = STRBUF_INIT;
	char where[256];
	size_t i, d, k, s;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: transformers must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		struct doc_stream *st = NULL;
		const struct doc_node *e = list->kids[i];

		if (e->kind != DOC_SCALAR) {
			r = err_set(ERR_INVALID, "%s: inline transformer configs are not supported yet",
				    doc_where(e, where, sizeof(where)));
			break;
		}
		if (!*e->str)
			continue; /* kustomize skips an empty entry (or a null one) */
		strbuf_reset(&data);
		strbuf_reset(&path);
		r = src_path_join(&path, dir, e->str);
		if (!r)
			r = kust_read(b, dir, e->str, &data);
		if (!r)
			r = doc_parse(&st, data.buf, data.len, path.buf, NULL);
		for (d = 0; !r && d < st->ndocs; d++) {
			const struct doc_node *cfg = st->docs[d];
			const char *kind = doc_get_str(cfg, "kind", NULL);
			const char *field = NULL;
			struct kfieldspec *specs = NULL;
			size_t nspecs = 0;

			if ((r = kust_schema_transformer(st->arena, st->docs[d])))
				break;

			if (kind && !strcmp(kind, "ReplacementTransformer")) {
				r = kust_replacements(b, m, dir, doc_map_get(cfg, "replacements"));
				continue;
			}
			if (kind && !strcmp(kind, "PrefixSuffixTransformer")) {
				r = parse_field_specs(doc_map_get(cfg, "fieldSpecs"), &specs, &nspecs);
				if (!r)
					r = kust_prefix_suffix_specs(b, m, doc_get_str(cfg, "prefix", NULL),
								     doc_get_str(cfg, "suffix", NULL),
								     specs, nspecs);
				free(specs);
				if (!r)
					kust_meta_transformed(b, m, path.buf,
							      doc_get_str(cfg, "apiVersion", NULL), kind,
							      doc_get_str(cfg, "metadata", "name", NULL));
				continue;
			}
			if (kind && !strcmp(kind, "LabelTransformer"))
				field = "labels";
			else if (kind && !strcmp(kind, "AnnotationsTransformer"))
				field = "annotations";
			if (!field) {
				r = err_set(ERR_INVALID, "%s: transformer kind '%s' is not supported by hoist's kustomize engine yet",
					    doc_where(cfg, where, sizeof(where)), kind ? kind : "?");
				break;
			}
			r = parse_field_specs(doc_map_get(cfg, "fieldSpecs"), &specs, &nspecs);
			if (!r) {
				struct pairs_walk pw = { doc_map_get(cfg, field) };
				if (pw.pairs && pw.pairs->kind == DOC_MAP)
					for (k = 0; !r && k < m->n; k++)
						for (s = 0; !r && s < nspecs; s++)
							r = kfs_walk(b, &m->v[k], &specs[s], put_pairs, &pw);
			}
			free(specs);
			if (!r)
				kust_meta_transformed(b, m, path.buf, doc_get_str(cfg, "apiVersion", NULL),
						      kind, doc_get_str(cfg, "metadata", "name", NULL));
		}
		doc_stream_free(st);
	}
	strbuf_release(&data);
	strbuf_release(&path);
	return r;
}

/* `labels:` entries: pairs with includeSelectors / includeTemplates. */
static int run_labels(struct kbuild *b, struct kresmap *m, const struct doc_node *list)
{
	char where[256];
	size_t i;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: labels must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		const char *sel = doc_get_str(e, "includeSelectors", NULL);
		const char *tpl = doc_get_str(e, "includeTemplates", NULL);

		r = kust_labels(b, m, doc_map_get(e, "pairs"), sel && !strcmp(sel, "true"),
				(tpl && !strcmp(tpl, "true")) || (sel && !strcmp(sel, "true")));
		/* fields: more places for these labels, besides the defaults. */
		if (!r && doc_map_get(e, "fields")) {
			struct kfieldspec *specs = NULL;
			size_t n = 0, alloc = 0;

			r = kust_read_specs(b, doc_map_get(e, "fields"), &specs, &n, &alloc);
			if (!r)
				r = kust_labels_fields(b, m, doc_map_get(e, "pairs"), specs, n);
			free(specs);
		}
	}
	return r;
}

static const char *opt_str(const struct doc_node *k, const char *field)
{
	return doc_get_str(k, field, NULL);
}

/* Whether a message already carries a "file:line" position. */
static bool names_position(const char *msg)
{
	const char *p;

	for (p = msg; (p = strchr(p, ':')); p++)
		if (p[1] >= '0' && p[1] <= '9')
			return true;
	return false;
}

/*
 * Builds `dir` into `out`.  A kustomization starts from an empty map; a
 * component works on its parent's map (`out` as it stands), so it neither
 * clears it nor releases it on failure.
 */
static int build_into(struct kbuild *b, const char *dir, struct kresmap *out,
		      enum kust_role role)
{
	struct strbuf path = STRBUF_INIT;
	struct doc_stream *st = NULL;
	const struct doc_node *k;
	struct doc_node **snap;
	size_t i, nsnap;
	int r;

	/* Folders are named with their tree: a remote base has a tree of its own. */
	strbuf_addf(&path, "%p:%s", (void *)b->tree, dir);
	for (i = 0; i < b->nstack; i++)
		if (!strcmp(b->stack[i], path.buf)) {
			strbuf_release(&path);
			return err_set(ERR_INVALID, "%s: kustomization cycle (it includes itself)",
				       *dir ? dir : ".");
		}
	if (b->nstack >= MAX_DEPTH) {
		strbuf_release(&path);
		return err_set(ERR_TOOBIG, "%s: kustomizations nested deeper than %d", dir,
			       MAX_DEPTH);
	}
	ALLOC_GROW(b->stack, b->nstack + 1, b->stack_alloc);
	b->stack[b->nstack++] = strbuf_detach(&path, NULL);

	r = parse_kustomization(b, dir, &path, &st);
	if (r)
		goto out;
	k = st->docs[0];
	if ((r = check_fields(k)) || (r = kust_check_kind(k, role)))
		goto out;
	if (role == KUST_TOP && (r = kust_meta_config(b, dir, doc_map_get(k, "buildMetadata"))))
		goto out;

	/* Resources, then bases (the old name for directory resources). */
	if ((r = add_resources(b, out, dir, doc_map_get(k, "resources"), "resources")) ||
	    (r = add_resources(b, out, dir, doc_map_get(k, "bases"), "bases")))
		goto out;

	if ((r = kust_configurations(b, dir, doc_map_get(k, "configurations"))))
		goto out;
	snap = kust_meta_snapshot(b, out, &nsnap);
	r = kust_generators(b, out, dir, doc_map_get(k, "configMapGenerator"),
			    doc_map_get(k, "secretGenerator"), doc_map_get(k, "generatorOptions"));
	kust_meta_generated(b, out, snap, nsnap, path.buf, "builtin", NULL);
	if (!r)
		r = kust_helm_charts(b, out, dir, doc_map_get(k, "helmCharts"),
				     doc_map_get(k, "helmGlobals"));
	if (!r)
		r = kust_generator_configs(b, out, dir, doc_map_get(k, "generators"));
	if (r)
		goto out;
	/* Components work on what the resources and generators made. */
	if ((r = kust_components(b, out, dir, doc_map_get(k, "components"))))
		goto out;

	/* The built-in transformers, in kustomize's order. */
	if ((r = kust_patches_sm(b, out, dir, doc_map_get(k, "patchesStrategicMerge"))) ||
	    (r = kust_patches(b, out, dir, doc_map_get(k, "patches"))))
		goto out;
	if (opt_str(k, "namespace") && *opt_str(k, "namespace") &&
	    (r = kust_namespace(b, out, opt_str(k, "namespace"))))
		goto out;
	if ((opt_str(k, "namePrefix") || opt_str(k, "nameSuffix")) &&
	    (r = kust_prefix_suffix(b, out, opt_str(k, "namePrefix"), opt_str(k, "nameSuffix"))))
		goto out;
	/* kustomize's label transformer runs each `labels:` entry, then commonLabels. */
	if ((r = run_labels(b, out, doc_map_get(k, "labels"))) ||
	    (r = kust_labels(b, out, doc_map_get(k, "commonLabels"), true, true)) ||
	    (r = kust_annotations(b, out, doc_map_get(k, "commonAnnotations"))) ||
	    (r = kust_patches_json6902(b, out, dir, doc_map_get(k, "patchesJson6902"))) ||
	    (r = kust_replicas(b, out, doc_map_get(k, "replicas"))) ||
	    (r = kust_images(b, out, doc_map_get(k, "images"))) ||
	    (r = kust_replacements(b, out, dir, doc_map_get(k, "replacements"))))
		goto out;
	kust_meta_builtins(b, out, path.buf, k);
	r = run_transformer_configs(b, out, dir, doc_map_get(k, "transformers"));
	/* Last, as kustomize does: vars see the objects as this level leaves them. */
	if (!r)
		r = kust_vars_merge(b, out, doc_map_get(k, "vars"));
out:
	/* Name the kustomization, unless the message already names a file:line. */
	if (r && path.len && r != ERR_NOTFOUND && !names_position(err_msg()))
		err_prefix(r, "%s", path.buf);
	free(b->stack[--b->nstack]);
	doc_stream_free(st);
	strbuf_release(&path);
	if (r && role != KUST_COMPONENT)
		kresmap_release(out);
	return r;
}

int kust_build_dir(struct kbuild *b, const char *dir, struct kresmap *out)
{
	memset(out, 0, sizeof(*out));
	return build_into(b, dir, out, b->nstack ? KUST_RESOURCE : KUST_TOP);
}

int kust_build_component(struct kbuild *b, const char *dir, struct kresmap *m)
{
	return build_into(b, dir, m, KUST_COMPONENT);
}

/* sortOptions: {order: legacy|fifo} of the top kustomization. */
static int sort_order(struct kbuild *b, const char *dir, bool *fifo)
{
	struct strbuf path = STRBUF_INIT;
	struct doc_stream *st = NULL;
	const struct doc_node *so;
	const char *order;
	int r;

	*fifo = false;
	r = parse_kustomization(b, dir, &path, &st);
	/* schema.c dropped a null sortOptions; any other one must name its order. */
	if (!r && (so = doc_map_get(st->docs[0], "sortOptions"))) {
		order = doc_get_str(so, "order", NULL);
		if (order && !strcmp(order, "fifo"))
			*fifo = true;
		else if (!order || strcmp(order, "legacy"))
			r = err_set(ERR_INVALID, "%s: sortOptions.order must be legacy or fifo",
				    path.buf);
		else if (doc_map_get(so, "legacySortOptions"))
			/* NEEDSWORK: orderFirst/orderLast replace the legacy kind order. */
			r = err_set(ERR_INVALID,
				    "%s: sortOptions.legacySortOptions is not supported by hoist's kustomize engine yet",
				    path.buf);
		if (!r && *fifo && doc_map_get(so, "legacySortOptions"))
			r = err_set(ERR_INVALID,
				    "%s: sortOptions.legacySortOptions is set but the sort order is fifo, not legacy",
				    path.buf);
	}
	doc_stream_free(st);
	strbuf_release(&path);
	return r;
}

int render_kustomize(struct objset *out, struct render_result *res, struct src_tree *t,
		     const char *path, const struct render_opts *opts)
{
	struct kbuild b;
	struct kresmap m = { 0 };
	size_t i;
	int r;

	memset(&b, 0, sizeof(b));
	b.tree = t;
	b.opts = opts;
	b.arena = arena_new();
	r = sort_order(&b, path, &res->keep_order);
	if (!r)
		r = kust_build_dir(&b, path, &m);
	/* At the top only: hashes on generated names, then the references to them. */
	if (!r)
		r = kust_hash_names(&b, &m);
	if (!r)
		r = kust_fix_name_refs(&b, &m);
	if (!r)
		r = kust_resolve_vars(&b, &m);
	if (!r)
		kust_meta_finish(&b, &m);
	if (!r)
		kust_drop_local_config(&m);
	objset_adopt_arena(out, b.arena);
	for (i = 0; !r && i < m.n; i++)
		r = objset_add_node(out, m.v[i].node);
	kresmap_release(&m);
	kust_vars_release(&b);
	kust_config_release(&b);
	free(b.meta_top);
	free(b.stack);
	return r;
}
