/*
 * resmap.c - the resources of a kustomize build, and small helpers every
 * part of the engine uses.  Depends on nothing else in the engine.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/src-tree.h"
#include "core/strbuf.h"

static void kres_release(struct kres *r)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->orig_ns);
	free(r->orig_kind);
	free(r->origin);
	for (i = 0; i < r->nvar_names; i++)
		free(r->var_names[i]);
	free(r->var_names);
}

void kresmap_release(struct kresmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		kres_release(&m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

struct kres *kresmap_add(struct kresmap *m, struct doc_node *node, const char *origin)
{
	struct kres *r;

	ALLOC_GROW(m->v, m->n + 1, m->alloc);
	r = &m->v[m->n++];
	memset(r, 0, sizeof(*r));
	r->node = node;
	r->origin = xstrdup(origin ? origin : "");
	r->names = xcalloc(1, sizeof(char *));
	r->names[0] = xstrdup(kres_name(r));
	r->nnames = 1;
	r->orig_ns = xstrdup(kres_ns(r));
	r->orig_kind = xstrdup(kres_kind(r));
	return r;
}

void kresmap_del(struct kresmap *m, size_t i)
{
	if (i >= m->n)
		return;
	kres_release(&m->v[i]);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

const char *kres_kind(const struct kres *r)
{
	return or_empty(doc_get_str(r->node, "kind", NULL));
}

const char *kres_name(const struct kres *r)
{
	return or_empty(doc_get_str(r->node, "metadata", "name", NULL));
}

const char *kres_ns(const struct kres *r)
{
	return or_empty(doc_get_str(r->node, "metadata", "namespace", NULL));
}

const char *kres_api_version(const struct kres *r)
{
	return or_empty(doc_get_str(r->node, "apiVersion", NULL));
}

void kres_gv(const struct kres *r, char *group, size_t gsize, char *version, size_t vsize)
{
	const char *av = kres_api_version(r), *slash = strchr(av, '/');

	if (slash) {
		snprintf(group, gsize, "%.*s", (int)(slash - av), av);
		snprintf(version, vsize, "%s", slash + 1);
	} else {
		snprintf(group, gsize, "%s", "");
		snprintf(version, vsize, "%s", av);
	}
}

/*
 * The built-in cluster-scoped kinds kustomize knows from its OpenAPI data,
 * with their API groups: a custom resource that happens to be called
 * "Namespace" is namespaced.
 */
static const struct {
	const char *group, *kind;
} cluster_kinds[] = {
	{ "apiregistration.k8s.io", "APIService" },
	{ "certificates.k8s.io", "CertificateSigningRequest" },
	{ "rbac.authorization.k8s.io", "ClusterRole" },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding" },
	{ "", "ComponentStatus" },
	{ "storage.k8s.io", "CSIDriver" },
	{ "storage.k8s.io", "CSINode" },
	{ "apiextensions.k8s.io", "CustomResourceDefinition" },
	{ "flowcontrol.apiserver.k8s.io", "FlowSchema" },
	{ "networking.k8s.io", "IngressClass" },
	{ "admissionregistration.k8s.io", "MutatingWebhookConfiguration" },
	{ "", "Namespace" },
	{ "", "Node" },
	{ "", "PersistentVolume" },
	{ "policy", "PodSecurityPolicy" },
	{ "scheduling.k8s.io", "PriorityClass" },
	{ "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration" },
	{ "node.k8s.io", "RuntimeClass" },
	{ "authorization.k8s.io", "SelfSubjectAccessReview" },
	{ "authorization.k8s.io", "SelfSubjectRulesReview" },
	{ "storage.k8s.io", "StorageClass" },
	{ "authorization.k8s.io", "SubjectAccessReview" },
	{ "authentication.k8s.io", "TokenReview" },
	{ "admissionregistration.k8s.io", "ValidatingAdmissionPolicy" },
	{ "admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding" },
	{ "admissionregistration.k8s.io", "ValidatingWebhookConfiguration" },
	{ "storage.k8s.io", "VolumeAttachment" },
};

bool kust_cluster_scoped(const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cluster_kinds); i++)
		if (!strcmp(kind, cluster_kinds[i].kind))
			return true;
	return false;
}

bool kres_cluster_scoped(const struct kres *r)
{
	char group[256], version[64];
	const char *kind = kres_kind(r);
	size_t i;

	kres_gv(r, group, sizeof(group), version, sizeof(version));
	for (i = 0; i < ARRAY_SIZE(cluster_kinds); i++)
		if (!strcmp(kind, cluster_kinds[i].kind) && !strcmp(group, cluster_kinds[i].group))
			return true;
	return false;
}

static void remember_name(struct kres *r, const char *old)
{
	if (r->nnames && !strcmp(r->names[r->nnames - 1], old))
		return;
	r->names = xrealloc(r->names, (r->nnames + 1) * sizeof(char *));
	r->names[r->nnames++] = xstrdup(old);
}

void kres_set_name(struct kbuild *b, struct kres *r, const char *name)
{
	struct doc_node *meta = doc_map_ensure_map(b->arena, r->node, "metadata");

	if (!meta)
		return;
	remember_name(r, kres_name(r));
	/* Quoted style: a name is a string, even when it looks like a number. */
	doc_map_set(b->arena, meta, "name", doc_new_scalar(b->arena, name, strlen(name),
							   DOC_STYLE_DOUBLE));
	remember_name(r, name);
}

void kres_set_ns(struct kbuild *b, struct kres *r, const char *ns)
{
	struct doc_node *meta = doc_map_ensure_map(b->arena, r->node, "metadata");

	if (meta)
		doc_map_set(b->arena, meta, "namespace",
			    doc_new_scalar(b->arena, ns, strlen(ns), DOC_STYLE_DOUBLE));
}

int kust_file_in_root(const char *dir, const char *path)
{
	size_t dl = strlen(dir);

	/* Both are normalised tree paths; "" is the tree's root. */
	if (!dl || (!strncmp(path, dir, dl) && (path[dl] == '/' || path[dl] == '\0')))
		return 0;
	return err_set(ERR_INVALID, "security; file '%s' is not in or below '%s'", path, dir);
}

int kust_read(struct kbuild *b, const char *dir, const char *rel, struct strbuf *out)
{
	struct strbuf path = STRBUF_INIT;
	int r = src_path_join(&path, dir, rel);

	if (!r)
		r = kust_file_in_root(dir, path.buf);
	if (!r)
		r = src_tree_read(b->tree, path.buf, out, doc_limits_default.max_bytes);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "%s: no such file (named in %s/kustomization)", path.buf,
			    *dir ? dir : ".");
	strbuf_release(&path);
	return r;
}
