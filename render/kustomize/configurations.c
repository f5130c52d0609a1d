/*
 * configurations.c - `configurations:` files: field specs a kustomization
 * adds to the built-in transformers' (kustomize's TransformerConfig).
 *
 * A file is a mapping of transformer to field specs plus nameReference
 * entries (a kind and the field specs that name it).  The specs are added
 * to the build's kconfig, which the transformers read after their
 * built-in tables: every key of kustomize's TransformerConfig (namePrefix,
 * nameSuffix, namespace, commonLabels, templateLabels, commonAnnotations,
 * nameReference, varReference, images, replicas).  Any other key is
 * refused, so nothing is silently ignored.
 *
 * NEEDSWORK: kustomize merges configurations upward (a level sees its own
 * and its bases'); ours are collected for the whole build as it goes, so a
 * sibling's configuration also reaches kustomizations built after it.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

static const struct {
	const char *key;
	int field; /* enum kcfg_field */
} cfg_keys[] = {
	{ "namePrefix", KCFG_PREFIX },
	{ "nameSuffix", KCFG_SUFFIX },
	{ "namespace", KCFG_NAMESPACE },
	{ "commonLabels", KCFG_LABELS },
	{ "templateLabels", KCFG_TEMPLATE_LABELS },
	{ "commonAnnotations", KCFG_ANNOTATIONS },
	{ "varReference", KCFG_VAR_REF },
	{ "images", KCFG_IMAGES },
	{ "replicas", KCFG_REPLICAS },
};

static const char *astr(struct kbuild *b, const struct doc_node *n, const char *key)
{
	const char *s = doc_get_str(n, key, NULL);

	return s ? arena_strdup(b->arena, s) : NULL;
}

static bool same_spec(const struct kfieldspec *x, const struct kfieldspec *y)
{
	return !strcmp(x->path, y->path) && !strcmp(x->group ? x->group : "", y->group ? y->group : "") &&
	       !strcmp(x->version ? x->version : "", y->version ? y->version : "") &&
	       !strcmp(x->kind ? x->kind : "", y->kind ? y->kind : "");
}

int kust_read_specs(struct kbuild *b, const struct doc_node *list, struct kfieldspec **specs,
		    size_t *n, size_t *alloc)
{
	char where[256];
	size_t i, k;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: field specs must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		const char *create = doc_get_str(e, "create", NULL);
		struct kfieldspec fs;

		memset(&fs, 0, sizeof(fs));
		fs.group = astr(b, e, "group");
		fs.version = astr(b, e, "version");
		fs.kind = astr(b, e, "kind");
		fs.path = astr(b, e, "path");
		fs.create = create && !strcmp(create, "true");
		if (e->kind != DOC_MAP || !fs.path)
			return err_set(ERR_INVALID, "%s: a field spec needs a path",
				       doc_where(e, where, sizeof(where)));
		for (k = 0; k < *n; k++)
			if (same_spec(&(*specs)[k], &fs))
				break;
		if (k < *n)
			continue;
		ALLOC_GROW(*specs, *n + 1, *alloc);
		(*specs)[(*n)++] = fs;
	}
	return 0;
}

static int add_namerefs(struct kbuild *b, const struct doc_node *list)
{
	struct kconfig *c = &b->config;
	char where[256];
	size_t i, alloc;

	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: nameReference must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		struct kcfg_nameref *nr;
		int r;

		if (e->kind != DOC_MAP || !doc_get_str(e, "kind", NULL))
			return err_set(ERR_INVALID, "%s: a nameReference entry needs a kind",
				       doc_where(e, where, sizeof(where)));
		ALLOC_GROW(c->namerefs, c->nnamerefs + 1, c->namerefs_alloc);
		nr = &c->namerefs[c->nnamerefs++];
		memset(nr, 0, sizeof(*nr));
		nr->group = astr(b, e, "group");
		nr->version = astr(b, e, "version");
		nr->kind = astr(b, e, "kind");
		alloc = 0;
		r = kust_read_specs(b, doc_map_get(e, "fieldSpecs"), &nr->refs, &nr->nrefs, &alloc);
		if (r)
			return r;
		/* nameref.c reads the list up to an entry without a path, as its own tables. */
		ALLOC_GROW(nr->refs, nr->nrefs + 1, alloc);
		memset(&nr->refs[nr->nrefs], 0, sizeof(*nr->refs));
	}
	return 0;
}

static int add_config(struct kbuild *b, const struct doc_node *cfg)
{
	struct kconfig *c = &b->config;
	char where[256];
	size_t i, k;
	int r;

	if (cfg->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s: a configuration must be a mapping",
			       doc_where(cfg, where, sizeof(where)));
	for (i = 0; i < cfg->n; i++) {
		const struct doc_node *key = cfg->kids[2 * i], *v = cfg->kids[2 * i + 1];

		if (!strcmp(key->str, "nameReference")) {
			if ((r = add_namerefs(b, v)))
				return r;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(cfg_keys); k++)
			if (!strcmp(cfg_keys[k].key, key->str))
				break;
		if (k == ARRAY_SIZE(cfg_keys))
			return err_set(ERR_INVALID, "%s: configuration field '%s' is not supported by hoist's kustomize engine",
				       doc_where(key, where, sizeof(where)), key->str);
		r = kust_read_specs(b, v, &c->specs[cfg_keys[k].field], &c->nspecs[cfg_keys[k].field],
			      &c->alloc[cfg_keys[k].field]);
		if (r)
			return r;
	}
	return 0;
}

int kust_configurations(struct kbuild *b, const char *dir, const struct doc_node *list)
{
	struct strbuf data = STRBUF_INIT, path = STRBUF_INIT;
	char where[256];
	size_t i, d;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: configurations must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		struct doc_stream *st = NULL;

		strbuf_reset(&data);
		strbuf_reset(&path);
		r = src_path_join(&path, dir, doc_str(list->kids[i]) ? doc_str(list->kids[i]) : "");
		if (!r)
			r = kust_read(b, dir, list->kids[i]->str, &data);
		if (!r)
			r = doc_parse(&st, data.buf, data.len, path.buf, NULL);
		for (d = 0; !r && d < st->ndocs; d++) {
			r = kust_schema_config(st->arena, st->docs[d]);
			if (!r)
				r = add_config(b, st->docs[d]);
		}
		doc_stream_free(st);
	}
	strbuf_release(&data);
	strbuf_release(&path);
	return r;
}

void kust_config_release(struct kbuild *b)
{
	size_t i;

	for (i = 0; i < KCFG_NFIELDS; i++)
		free(b->config.specs[i]);
	for (i = 0; i < b->config.nnamerefs; i++)
		free(b->config.namerefs[i].refs);
	free(b->config.namerefs);
	memset(&b->config, 0, sizeof(b->config));
}
