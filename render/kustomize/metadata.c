/*
 * metadata.c - `buildMetadata:` of the top kustomization.
 *
 * originAnnotations: every object gets config.kubernetes.io/origin, the
 * file it was read from ("path: base/svc.yaml") or the generator that made
 * it ("configuredIn: <kustomization>, configuredBy: {apiVersion: builtin,
 * kind: ConfigMapGenerator}"), paths relative to the top kustomization.
 * transformerAnnotations: alpha.config.kubernetes.io/transformations lists,
 * for every object, each built-in transformer that ran over the map it was
 * in, in order.  managedByLabel: app.kubernetes.io/managed-by, with the
 * version string kubectl's kustomize reports ("kustomize-(devel)").
 * Text and order were checked against kubectl kustomize (see
 * tests/conformance/kustomize/meta-*).
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

#define ANNO_ORIGIN "config.kubernetes.io/origin"
#define ANNO_TRANSFORMS "alpha.config.kubernetes.io/transformations"
#define LABEL_MANAGED "app.kubernetes.io/managed-by"
#define MANAGED_BY "kustomize-(devel)"

int kust_meta_config(struct kbuild *b, const char *dir, const struct doc_node *list)
{
	char where[256];
	size_t i;

	b->meta = 0;
	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: buildMetadata must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; i < list->n; i++) {
		const char *s = doc_str(list->kids[i]);

		if (s && !strcmp(s, "originAnnotations"))
			b->meta |= KMETA_ORIGIN;
		else if (s && !strcmp(s, "transformerAnnotations"))
			b->meta |= KMETA_TRANSFORMERS;
		else if (s && !strcmp(s, "managedByLabel"))
			b->meta |= KMETA_MANAGED_BY;
		/* Like kustomize, other values are accepted and do nothing. */
	}
	free(b->meta_top);
	b->meta_top = xstrdup(dir);
	return 0;
}

/* Appends the path of `path` relative to directory `from` (both in the tree). */
static void add_relative(struct strbuf *out, const char *from, const char *path)
{
	const char *f = from, *p = path;

	if (!strcmp(f, "."))
		f = "";
	/* Skip the directories both share, a component at a time. */
	for (;;) {
		size_t fl = strcspn(f, "/"), pl = strcspn(p, "/");

		if (!fl || fl != pl || memcmp(f, p, fl) || p[pl] != '/')
			break;
		f += fl + (f[fl] == '/');
		p += pl + 1;
	}
	while (*f) {
		size_t fl = strcspn(f, "/");
		strbuf_addstr(out, "../");
		f += fl + (f[fl] == '/');
	}
	strbuf_addstr(out, p);
}

static struct doc_node *annotations(struct kbuild *b, struct kres *r)
{
	struct doc_node *meta = doc_map_ensure_map(b->arena, r->node, "metadata");

	return meta ? doc_map_ensure_map(b->arena, meta, "annotations") : NULL;
}

static void set_anno(struct kbuild *b, struct kres *r, const char *key, const char *val)
{
	struct doc_node *a = annotations(b, r);

	if (a)
		doc_map_set(b->arena, a, key, doc_new_str(b->arena, val));
}

void kust_meta_origin_path(struct kbuild *b, struct kresmap *m, size_t from, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!(b->meta & KMETA_ORIGIN))
		return;
	strbuf_addstr(&sb, "path: ");
	add_relative(&sb, b->meta_top, path);
	strbuf_addch(&sb, '\n');
	for (i = from; i < m->n; i++)
		if (!doc_get_str(m->v[i].node, "metadata", "annotations", ANNO_ORIGIN, NULL))
			set_anno(b, &m->v[i], ANNO_ORIGIN, sb.buf);
	strbuf_release(&sb);
}

/* "configuredIn: ...\nconfiguredBy:\n  apiVersion: ...\n  kind: ...\n", indented. */
static void add_configured(struct strbuf *sb, struct kbuild *b, const char *kpath,
			   const char *api, const char *kind, const char *name, const char *indent)
{
	strbuf_addstr(sb, "configuredIn: ");
	add_relative(sb, b->meta_top, kpath);
	strbuf_addf(sb, "\n%sconfiguredBy:\n%s  apiVersion: %s\n%s  kind: %s\n", indent, indent,
		    api ? api : "", indent, kind ? kind : "");
	if (name && *name)
		strbuf_addf(sb, "%s  name: %s\n", indent, name);
}

struct doc_node **kust_meta_snapshot(const struct kbuild *b, const struct kresmap *m,
				     size_t *n)
{
	struct doc_node **snap;
	size_t i;

	*n = 0;
	if (!(b->meta & KMETA_ORIGIN))
		return NULL;
	snap = xcalloc(m->n ? m->n : 1, sizeof(*snap));
	for (i = 0; i < m->n; i++)
		snap[i] = m->v[i].node;
	*n = m->n;
	return snap;
}

void kust_meta_generated(struct kbuild *b, struct kresmap *m, struct doc_node **snap,
			 size_t nsnap, const char *kpath, const char *api, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!(b->meta & KMETA_ORIGIN))
		goto out;
	for (i = 0; i < m->n; i++) {
		struct kres *r = &m->v[i];
		const char *kind = kres_kind(r);

		/* New objects, and those a merge or replace made anew. */
		if (!r->generated || (i < nsnap && snap[i] == r->node))
			continue;
		strbuf_reset(&sb);
		add_configured(&sb, b, kpath, api,
			       !strcmp(kind, "Secret") ? "SecretGenerator" : "ConfigMapGenerator",
			       name, "");
		set_anno(b, r, ANNO_ORIGIN, sb.buf);
	}
out:
	free(snap);
	strbuf_release(&sb);
}

void kust_meta_transformed(struct kbuild *b, struct kresmap *m, const char *kpath,
			   const char *api, const char *kind, const char *name)
{
	struct strbuf entry = STRBUF_INIT, val = STRBUF_INIT;
	size_t i;

	if (!(b->meta & KMETA_TRANSFORMERS))
		return;
	strbuf_addstr(&entry, "- ");
	add_configured(&entry, b, kpath, api, kind, name, "  ");
	for (i = 0; i < m->n; i++) {
		const char *old = doc_get_str(m->v[i].node, "metadata", "annotations",
					      ANNO_TRANSFORMS, NULL);

		strbuf_reset(&val);
		if (old)
			strbuf_addstr(&val, old);
		strbuf_addbuf(&val, &entry);
		set_anno(b, &m->v[i], ANNO_TRANSFORMS, val.buf);
	}
	strbuf_release(&entry);
	strbuf_release(&val);
}

static size_t list_len(const struct doc_node *k, const char *field)
{
	const struct doc_node *n = doc_map_get(k, field);

	return n && n->kind == DOC_SEQ ? n->n : 0;
}

static bool has_pairs(const struct doc_node *k, const char *field)
{
	const struct doc_node *n = doc_map_get(k, field);

	return n && n->kind == DOC_MAP && n->n;
}

void kust_meta_builtins(struct kbuild *b, struct kresmap *m, const char *kpath,
			const struct doc_node *k)
{
	const char *s;
	size_t i, n;

	if (!(b->meta & KMETA_TRANSFORMERS))
		return;
	/* kustomize's order of built-in transformers, one entry per instance. */
	if (list_len(k, "patchesStrategicMerge"))
		kust_meta_transformed(b, m, kpath, "builtin", "PatchStrategicMergeTransformer", NULL);
	for (i = 0, n = list_len(k, "patches"); i < n; i++)
		kust_meta_transformed(b, m, kpath, "builtin", "PatchTransformer", NULL);
	if ((s = doc_get_str(k, "namespace", NULL)) && *s)
		kust_meta_transformed(b, m, kpath, "builtin", "NamespaceTransformer", NULL);
	if ((s = doc_get_str(k, "namePrefix", NULL)) && *s)
		kust_meta_transformed(b, m, kpath, "builtin", "PrefixTransformer", NULL);
	if ((s = doc_get_str(k, "nameSuffix", NULL)) && *s)
		kust_meta_transformed(b, m, kpath, "builtin", "SuffixTransformer", NULL);
	for (i = 0, n = list_len(k, "labels"); i < n; i++)
		kust_meta_transformed(b, m, kpath, "builtin", "LabelTransformer", NULL);
	if (has_pairs(k, "commonLabels"))
		kust_meta_transformed(b, m, kpath, "builtin", "LabelTransformer", NULL);
	if (has_pairs(k, "commonAnnotations"))
		kust_meta_transformed(b, m, kpath, "builtin", "AnnotationsTransformer", NULL);
	for (i = 0, n = list_len(k, "patchesJson6902"); i < n; i++)
		kust_meta_transformed(b, m, kpath, "builtin", "PatchJson6902Transformer", NULL);
	for (i = 0, n = list_len(k, "replicas"); i < n; i++)
		kust_meta_transformed(b, m, kpath, "builtin", "ReplicaCountTransformer", NULL);
	for (i = 0, n = list_len(k, "images"); i < n; i++)
		kust_meta_transformed(b, m, kpath, "builtin", "ImageTagTransformer", NULL);
	if (list_len(k, "replacements"))
		kust_meta_transformed(b, m, kpath, "builtin", "ReplacementTransformer", NULL);
}

void kust_meta_finish(struct kbuild *b, struct kresmap *m)
{
	size_t i;

	for (i = 0; (b->meta & KMETA_MANAGED_BY) && i < m->n; i++) {
		struct doc_node *meta = doc_map_ensure_map(b->arena, m->v[i].node, "metadata");
		struct doc_node *labels = meta ? doc_map_ensure_map(b->arena, meta, "labels") : NULL;

		if (labels)
			doc_map_set(b->arena, labels, LABEL_MANAGED,
				    doc_new_str(b->arena, MANAGED_BY));
	}
}
