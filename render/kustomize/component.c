/*
 * component.c - kustomize's `components:` (kind: Component folders).
 *
 * A component has no resource map of its own: kustomize's
 * accumulateComponents builds it on the accumulator of the kustomization
 * that lists it, after that kustomization's resources and generators and
 * before its transformers.  So a component's resources join the parent's
 * map, its generators may merge into the parent's generated objects, and
 * its patches and transformers see everything accumulated so far.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

#define KUST_VERSION "kustomize.config.k8s.io/v1beta1"
#define COMPONENT_VERSION "kustomize.config.k8s.io/v1alpha1"

int kust_check_kind(const struct doc_node *k, enum kust_role role)
{
	const char *kind = doc_get_str(k, "kind", NULL);
	const char *av = doc_get_str(k, "apiVersion", NULL);
	bool component = kind && !strcmp(kind, "Component");

	/* kustomize's EnforceFields. */
	if (kind && *kind && strcmp(kind, "Kustomization") && !component)
		return err_set(ERR_INVALID, "kind should be Kustomization or Component");
	if (av && *av && strcmp(av, component ? COMPONENT_VERSION : KUST_VERSION))
		return err_set(ERR_INVALID, "apiVersion for %s should be %s",
			       component ? "Component" : "Kustomization",
			       component ? COMPONENT_VERSION : KUST_VERSION);
	if (role == KUST_COMPONENT && !component)
		return err_set(ERR_INVALID, "expected kind 'Component' but got 'Kustomization' (a folder in components: must be a Component)");
	if (role == KUST_RESOURCE && component)
		return err_set(ERR_INVALID, "expected kind != 'Component' (a Component belongs in components:, not resources:)");
	return 0;
}

int kust_components(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *list)
{
	struct strbuf path = STRBUF_INIT;
	char where[256];
	size_t i;
	int r = 0;

	if (!list)
		return 0;
	if (list->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: components must be a list",
			       doc_where(list, where, sizeof(where)));
	for (i = 0; !r && i < list->n; i++) {
		const struct doc_node *e = list->kids[i];
		enum src_type ty;

		if (kust_is_remote(e)) {
			r = kust_remote_entry(b, e, "components", m, KUST_COMPONENT);
			continue;
		}
		r = kust_entry_path(b, dir, e, "components", &path, &ty);
		if (r)
			break;
		if (ty != SRC_DIR)
			r = err_set(ERR_INVALID, "%s: component '%s' must be a directory",
				    doc_where(e, where, sizeof(where)), e->str);
		else
			r = kust_build_component(b, path.buf, m);
	}
	strbuf_release(&path);
	return r;
}
