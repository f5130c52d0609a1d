/*
 * generator-config.c - the `generators:` field: files holding built-in
 * generator configs (ConfigMapGenerator, SecretGenerator).
 *
 * Such a config is one configMapGenerator/secretGenerator entry written at
 * the top level of its own object, as kustomize's builtin plugins read it:
 * the entry's name and namespace default to the config's metadata.  The
 * entry is built by generator.c as if the kustomization listed it (files
 * relative to the kustomization), without the kustomization's
 * generatorOptions.  Other kinds, and directories, are refused.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

/* The generator entry a config stands for: its fields less the object's own. */
static struct doc_node *config_entry(struct kbuild *b, const struct doc_node *cfg)
{
	struct doc_node *e = doc_clone(b->arena, cfg);
	const char *name = doc_get_str(cfg, "metadata", "name", NULL);
	const char *ns = doc_get_str(cfg, "metadata", "namespace", NULL);

	doc_map_del(e, "apiVersion");
	doc_map_del(e, "kind");
	doc_map_del(e, "metadata");
	if (!doc_get_str(e, "name", NULL) && name)
		doc_map_set(b->arena, e, "name", doc_new_str(b->arena, name));
	if (!doc_get_str(e, "namespace", NULL) && ns)
		doc_map_set(b->arena, e, "namespace", doc_new_str(b->arena, ns));
	return e;
}

static int run_config(struct kbuild *b, struct kresmap *m, const char *dir, const char *path,
		      const struct doc_node *cfg)
{
	const char *kind = doc_get_str(cfg, "kind", NULL);
	struct doc_node *list = doc_new_seq(b->arena);
	struct doc_node **snap;
	char where[256];
	size_t nsnap;
	bool cm;
	int r;

	if (cfg->kind != DOC_MAP || !kind ||
	    (strcmp(kind, "ConfigMapGenerator") && strcmp(kind, "SecretGenerator")))
		return err_set(ERR_INVALID, "%s: generator kind '%s' is not supported by hoist's kustomize engine yet",
			       doc_where(cfg, where, sizeof(where)), kind ? kind : "?");
	cm = !strcmp(kind, "ConfigMapGenerator");
	doc_seq_append(b->arena, list, config_entry(b, cfg));
	snap = kust_meta_snapshot(b, m, &nsnap);
	r = kust_generators(b, m, dir, cm ? list : NULL, cm ? NULL : list, NULL);
	kust_meta_generated(b, m, snap, nsnap, path, doc_get_str(cfg, "apiVersion", NULL),
			    doc_get_str(cfg, "metadata", "name", NULL));
	return r;
}

int kust_generator_configs(struct kbuild *b, struct kresmap *m, const char *dir,
			   const struct doc_node *list)
{
	struct strbuf data = STRBUF_INIT, path = STRBUF_INIT;
	char where[256];
	size_t i, d;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: generators must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		struct doc_stream *st = NULL;
		enum src_type ty;

		if (e->kind != DOC_SCALAR)
			return err_set(ERR_INVALID, "%s: inline generator configs are not supported yet",
				       doc_where(e, where, sizeof(where)));
		if (!*e->str)
			continue; /* kustomize skips an empty entry (or a null one) */
		strbuf_reset(&data);
		strbuf_reset(&path);
		r = src_path_join(&path, dir, e->str);
		if (!r)
			r = src_tree_stat(b->tree, path.buf, &ty);
		if (!r && ty == SRC_DIR)
			r = err_set(ERR_INVALID, "%s: generators from a kustomization directory are not supported yet",
				    doc_where(e, where, sizeof(where)));
		if (!r)
			r = kust_read(b, dir, e->str, &data);
		if (!r)
			r = doc_parse(&st, data.buf, data.len, path.buf, NULL);
		for (d = 0; !r && d < st->ndocs; d++) {
			r = kust_schema_transformer(st->arena, st->docs[d]);
			if (!r)
				r = run_config(b, m, dir, path.buf, st->docs[d]);
		}
		doc_stream_free(st);
	}
	strbuf_release(&data);
	strbuf_release(&path);
	return r;
}
