/*
 * resmap.c - the resources of a kustomize build, and small helpers every
 * part of the engine uses.  Depends on nothing else in the engine.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/src-tree.h"
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
 * The cluster-scoped kinds of kustomize's built-in OpenAPI data (Kubernetes
 * 1.21's), by group, version and kind: kyaml decides scope per version, and
 * anything it does not know is namespaced — a custom resource called
 * "Namespace", FlowSchema in flowcontrol v1 (1.29's), ValidatingAdmissionPolicy
 * (1.26's), and the create-only reviews (TokenReview, SubjectAccessReview),
 * which have no namespaced or cluster path kyaml reads.  Probed entry by
 * entry against kubectl kustomize v5.5.
 */
static const struct {
	const char *group, *version, *kind;
} cluster_kinds[] = {
	{ "", "v1", "ComponentStatus" },
	{ "", "v1", "Namespace" },
	{ "", "v1", "Node" },
	{ "", "v1", "PersistentVolume" },
	{ "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration" },
	{ "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration" },
	{ "admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration" },
	{ "admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration" },
	{ "apiextensions.k8s.io", "v1", "CustomResourceDefinition" },
	{ "apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition" },
	{ "apiregistration.k8s.io", "v1", "APIService" },
	{ "apiregistration.k8s.io", "v1beta1", "APIService" },
	{ "certificates.k8s.io", "v1", "CertificateSigningRequest" },
	{ "certificates.k8s.io", "v1beta1", "CertificateSigningRequest" },
	{ "flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema" },
	{ "flowcontrol.apiserver.k8s.io", "v1beta1", "PriorityLevelConfiguration" },
	{ "networking.k8s.io", "v1", "IngressClass" },
	{ "networking.k8s.io", "v1beta1", "IngressClass" },
	{ "node.k8s.io", "v1", "RuntimeClass" },
	{ "node.k8s.io", "v1beta1", "RuntimeClass" },
	{ "policy", "v1beta1", "PodSecurityPolicy" },
	{ "rbac.authorization.k8s.io", "v1", "ClusterRole" },
	{ "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding" },
	{ "rbac.authorization.k8s.io", "v1beta1", "ClusterRole" },
	{ "rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding" },
	{ "scheduling.k8s.io", "v1", "PriorityClass" },
	{ "scheduling.k8s.io", "v1beta1", "PriorityClass" },
	{ "storage.k8s.io", "v1", "CSIDriver" },
	{ "storage.k8s.io", "v1", "CSINode" },
	{ "storage.k8s.io", "v1", "StorageClass" },
	{ "storage.k8s.io", "v1", "VolumeAttachment" },
	{ "storage.k8s.io", "v1beta1", "CSIDriver" },
	{ "storage.k8s.io", "v1beta1", "CSINode" },
	{ "storage.k8s.io", "v1beta1", "StorageClass" },
	{ "storage.k8s.io", "v1beta1", "VolumeAttachment" },
};

bool kust_gvk_cluster_scoped(const char *group, const char *version, const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cluster_kinds); i++)
		if (!strcmp(kind, cluster_kinds[i].kind) && !strcmp(group, cluster_kinds[i].group) &&
		    !strcmp(version, cluster_kinds[i].version))
			return true;
	return false;
}

bool kres_cluster_scoped(const struct kres *r)
{
	char group[256], version[64];

	kres_gv(r, group, sizeof(group), version, sizeof(version));
	return kust_gvk_cluster_scoped(group, version, kres_kind(r));
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
