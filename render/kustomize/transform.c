/*
 * transform.c - kustomize's built-in field transformers: namespace,
 * namePrefix/nameSuffix, labels, annotations, images, replicas.
 *
 * Where each looks is kustomize's default field-spec configuration (its
 * builtinpluginconsts), restated here as tables; behaviour that is not in
 * the tables was measured against kubectl kustomize (see the conformance
 * cases in tests/conformance/kustomize/).
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <regex.h>

#define FS(g, v, k, p, c) { g, v, k, p, c }

static struct doc_node *str_node(struct kbuild *b, const char *s)
{
	/* Double-quoted style: a string, whatever it looks like. */
	return doc_new_scalar(b->arena, s, strlen(s), DOC_STYLE_DOUBLE);
}

/* Sets parent[key] = ctx (a string), creating the field. */
static int set_string(struct kbuild *b, struct kres *r, struct doc_node *parent,
		      const char *key, void *ctx)
{
	doc_map_set(b->arena, parent, key, str_node(b, ctx));
	return 0;
}

/* --- namespace ---------------------------------------------------------------- */

static const struct kfieldspec namespace_specs[] = {
	FS(NULL, NULL, "APIService", "spec/service/namespace", true),
	FS("apiextensions.k8s.io", NULL, "CustomResourceDefinition",
	   "spec/conversion/webhook/clientConfig/service/namespace", false),
};

/*
 * RBAC subjects naming the "default" service account follow the
 * namespace (kustomize's default for roleBinding subjects); other
 * subjects move only when the account they name is renamed (nameref.c).
 */
static void default_subjects(struct kbuild *b, struct kres *r, const char *ns)
{
	struct doc_node *subjects = doc_map_get(r->node, "subjects");
	size_t i;

	if (!subjects || subjects->kind != DOC_SEQ)
		return;
	for (i = 0; i < subjects->n; i++) {
		struct doc_node *s = subjects->kids[i];
		const char *kind = doc_get_str(s, "kind", NULL);
		const char *name = doc_get_str(s, "name", NULL);

		if (s->kind == DOC_MAP && kind && !strcmp(kind, "ServiceAccount") && name &&
		    !strcmp(name, "default"))
			doc_map_set(b->arena, s, "namespace", str_node(b, ns));
	}
}

struct id_key {
	char *key; /* apiVersion, kind, namespace, name, NUL-separated into one string with \x01 */
	size_t i;
};

static int id_key_cmp(const void *a, const void *b)
{
	const struct id_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * kustomize's NamespaceTransformer checks that every resource's id (group,
 * version, kind, namespace, name) is still unique afterwards: two objects
 * of different namespaces that the transformer moves into one collide, and
 * the build fails.  Sorted keys keep this O(n log n) for large builds.
 */
static int namespace_conflicts(const struct kresmap *m)
{
	struct id_key *v = xcalloc(m->n ? m->n : 1, sizeof(*v));
	struct strbuf k = STRBUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < m->n; i++) {
		strbuf_reset(&k);
		strbuf_addf(&k, "%s\x01%s\x01%s\x01%s", kres_api_version(&m->v[i]), kres_kind(&m->v[i]),
			    kres_ns(&m->v[i]), kres_name(&m->v[i]));
		v[i].key = xstrdup(k.buf);
		v[i].i = i;
	}
	qsort(v, m->n, sizeof(*v), id_key_cmp);
	for (i = 1; i < m->n; i++)
		if (!strcmp(v[i - 1].key, v[i].key)) {
			const struct kres *a = &m->v[v[i - 1].i], *c = &m->v[v[i].i];
			r = err_set(ERR_INVALID,
				    "namespace transformation produces ID conflict: %s %s/%s (from %s and %s)",
				    kres_kind(a), kres_ns(a), kres_name(a), a->origin ? a->origin : "?",
				    c->origin ? c->origin : "?");
			break;
		}
	for (i = 0; i < m->n; i++)
		free(v[i].key);
	free(v);
	strbuf_release(&k);
	return r;
}

int kust_namespace(struct kbuild *b, struct kresmap *m, const char *ns)
{
	size_t i, k;
	int r;

	for (i = 0; i < m->n; i++) {
		struct kres *res = &m->v[i];
		const char *kind = kres_kind(res);

		if (!strcmp(kind, "Namespace") && !strcmp(kres_api_version(res), "v1")) {
			/* The core Namespace object becomes the namespace itself. */
			kres_set_name(b, res, ns);
			continue;
		}
		if (!kres_cluster_scoped(res))
			kres_set_ns(b, res, ns);
		if (!strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding"))
			default_subjects(b, res, ns);
		for (k = 0; k < ARRAY_SIZE(namespace_specs); k++) {
			struct kfieldspec fs = namespace_specs[k];
			if (!strcmp(kind, "APIService"))
				fs.group = "apiregistration.k8s.io";
			r = kfs_walk(b, res, &fs, set_string, (void *)ns);
			if (r)
				return r;
		}
		/* `namespace:` field specs of configurations files (kubebuilder's webhooks). */
		for (k = 0; k < b->config.nspecs[KCFG_NAMESPACE]; k++) {
			r = kfs_walk(b, res, &b->config.specs[KCFG_NAMESPACE][k], set_string,
				     (void *)ns);
			if (r)
				return r;
		}
	}
	return namespace_conflicts(m);
}

/* --- prefix and suffix ------------------------------------------------------------- */

/* Kinds whose names kustomize never prefixes or suffixes. */
static bool keeps_name(const struct kres *r)
{
	char group[256], version[64];
	const char *kind = kres_kind(r);

	if (!strcmp(kind, "CustomResourceDefinition") || !strcmp(kind, "Namespace"))
		return true;
	kres_gv(r, group, sizeof(group), version, sizeof(version));
	return !strcmp(kind, "APIService") && !strcmp(group, "apiregistration.k8s.io");
}

int kust_prefix_suffix(struct kbuild *b, struct kresmap *m, const char *prefix,
		       const char *suffix)
{
	struct strbuf name = STRBUF_INIT;
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct kres *r = &m->v[i];

		if (keeps_name(r))
			continue;
		strbuf_reset(&name);
		strbuf_addf(&name, "%s%s%s", prefix ? prefix : "", kres_name(r),
			    suffix ? suffix : "");
		kres_set_name(b, r, name.buf);
	}
	strbuf_release(&name);
	/* More fields to prefix or suffix, from configurations files. */
	if (prefix && *prefix && b->config.nspecs[KCFG_PREFIX]) {
		int r = kust_prefix_suffix_specs(b, m, prefix, "", b->config.specs[KCFG_PREFIX],
						 b->config.nspecs[KCFG_PREFIX]);
		if (r)
			return r;
	}
	if (suffix && *suffix && b->config.nspecs[KCFG_SUFFIX])
		return kust_prefix_suffix_specs(b, m, "", suffix, b->config.specs[KCFG_SUFFIX],
						b->config.nspecs[KCFG_SUFFIX]);
	return 0;
}

struct affix_ctx {
	const char *prefix, *suffix;
};

static int add_affixes(struct kbuild *b, struct kres *r, struct doc_node *parent,
		       const char *key, void *ctx)
{
	const struct affix_ctx *a = ctx;
	const char *old = doc_str(doc_map_get(parent, key));
	struct strbuf sb = STRBUF_INIT;

	if (!old)
		return 0;
	strbuf_addf(&sb, "%s%s%s", a->prefix, old, a->suffix);
	if (parent == doc_map_get(r->node, "metadata") && !strcmp(key, "name"))
		kres_set_name(b, r, sb.buf); /* a rename: name references follow it */
	else
		doc_map_set(b->arena, parent, key, str_node(b, sb.buf));
	strbuf_release(&sb);
	return 0;
}

int kust_prefix_suffix_specs(struct kbuild *b, struct kresmap *m, const char *prefix,
			     const char *suffix, const struct kfieldspec *specs, size_t n)
{
	struct affix_ctx a = { prefix ? prefix : "", suffix ? suffix : "" };
	size_t i, k;
	int r;

	for (i = 0; i < m->n; i++) {
		if (keeps_name(&m->v[i]))
			continue;
		for (k = 0; k < n; k++)
			if ((r = kfs_walk(b, &m->v[i], &specs[k], add_affixes, &a)))
				return r;
	}
	return 0;
}

/* --- labels and annotations ----------------------------------------------------------- */

/* metadata/labels and the pod-template labels (metadataLabelsFieldSpecs). */
static const struct kfieldspec template_label_specs[] = {
	FS(NULL, "v1", "ReplicationController", "spec/template/metadata/labels", true),
	FS(NULL, NULL, "Deployment", "spec/template/metadata/labels", true),
	FS(NULL, NULL, "ReplicaSet", "spec/template/metadata/labels", true),
	FS(NULL, NULL, "DaemonSet", "spec/template/metadata/labels", true),
	FS("apps", NULL, "StatefulSet", "spec/template/metadata/labels", true),
	FS("apps", NULL, "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
	FS("batch", NULL, "Job", "spec/template/metadata/labels", true),
	FS("batch", NULL, "CronJob", "spec/jobTemplate/metadata/labels", true),
	FS("batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
};

/* Selectors (commonLabelFieldSpecs). */
#define AFF "spec/template/spec/affinity/"
static const struct kfieldspec selector_label_specs[] = {
	FS(NULL, "v1", "Service", "spec/selector", true),
	FS(NULL, "v1", "ReplicationController", "spec/selector", true),
	FS(NULL, NULL, "Deployment", "spec/selector/matchLabels", true),
	FS("apps", NULL, "Deployment", AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
	FS("apps", NULL, "Deployment", AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
	FS("apps", NULL, "Deployment", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
	FS("apps", NULL, "Deployment", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
	FS("apps", NULL, "Deployment", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
	FS(NULL, NULL, "ReplicaSet", "spec/selector/matchLabels", true),
	FS(NULL, NULL, "DaemonSet", "spec/selector/matchLabels", true),
	FS("apps", NULL, "StatefulSet", "spec/selector/matchLabels", true),
	FS("apps", NULL, "StatefulSet", AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
	FS("apps", NULL, "StatefulSet", AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
	FS("apps", NULL, "StatefulSet", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
	FS("apps", NULL, "StatefulSet", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
	FS("apps", NULL, "StatefulSet", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
	FS("batch", NULL, "Job", "spec/selector/matchLabels", false),
	FS("batch", NULL, "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
	FS("policy", NULL, "PodDisruptionBudget", "spec/selector/matchLabels", false),
	FS("networking.k8s.io", NULL, "NetworkPolicy", "spec/podSelector/matchLabels", false),
	FS("networking.k8s.io", NULL, "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false),
	FS("networking.k8s.io", NULL, "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
};

static const struct kfieldspec template_annotation_specs[] = {
	FS(NULL, "v1", "ReplicationController", "spec/template/metadata/annotations", true),
	FS(NULL, NULL, "Deployment", "spec/template/metadata/annotations", true),
	FS(NULL, NULL, "ReplicaSet", "spec/template/metadata/annotations", true),
	FS(NULL, NULL, "DaemonSet", "spec/template/metadata/annotations", true),
	FS(NULL, NULL, "StatefulSet", "spec/template/metadata/annotations", true),
	FS("batch", NULL, "Job", "spec/template/metadata/annotations", true),
	FS("batch", NULL, "CronJob", "spec/jobTemplate/metadata/annotations", true),
	FS("batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
};

struct pairs_ctx {
	const struct doc_node *pairs;
};

/* The target of a labels/annotations spec is a mapping: merge the pairs into it. */
static int set_pairs(struct kbuild *b, struct kres *r, struct doc_node *parent,
		     const char *key, void *ctx)
{
	const struct pairs_ctx *pc = ctx;
	struct doc_node *map = doc_map_ensure_map(b->arena, parent, key);
	size_t i;

	if (!map) {
		char where[256];
		return err_set(ERR_INVALID, "%s: %s of %s %s is not a mapping",
			       doc_where(doc_map_get(parent, key), where, sizeof(where)), key,
			       kres_kind(r), kres_name(r));
	}
	for (i = 0; i < pc->pairs->n; i++) {
		const struct doc_node *k = pc->pairs->kids[2 * i], *v = pc->pairs->kids[2 * i + 1];
		const char *val = v->kind == DOC_SCALAR ? v->str : "";

		/* A null value in the kustomization becomes an empty string. */
		if (v->kind == DOC_SCALAR && v->style == DOC_STYLE_PLAIN && !strcmp(val, "null"))
			val = "";
		doc_map_set(b->arena, map, k->str, str_node(b, val));
	}
	return 0;
}

static int check_pairs(const struct doc_node *pairs, const char *field)
{
	char where[256];
	size_t i;

	if (!pairs)
		return 0;
	if (pairs->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s: %s must be a mapping of strings",
			       doc_where(pairs, where, sizeof(where)), field);
	for (i = 0; i < pairs->n; i++)
		if (pairs->kids[2 * i]->kind != DOC_SCALAR ||
		    pairs->kids[2 * i + 1]->kind != DOC_SCALAR)
			return err_set(ERR_INVALID, "%s: %s values must be strings",
				       doc_where(pairs->kids[2 * i], where, sizeof(where)), field);
	return 0;
}

static int walk_specs(struct kbuild *b, struct kresmap *m, const struct kfieldspec *specs,
		      size_t n, kfs_fn fn, void *ctx)
{
	size_t i, k;
	int r;

	for (i = 0; i < m->n; i++)
		for (k = 0; k < n; k++) {
			r = kfs_walk(b, &m->v[i], &specs[k], fn, ctx);
			if (r)
				return r;
		}
	return 0;
}

int kust_labels(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs,
		bool selectors, bool templates)
{
	static const struct kfieldspec meta = FS(NULL, NULL, NULL, "metadata/labels", true);
	struct pairs_ctx pc = { pairs };
	int r = check_pairs(pairs, "labels");

	if (r || !pairs || !pairs->n)
		return r;
	r = walk_specs(b, m, &meta, 1, set_pairs, &pc);
	if (!r && templates)
		r = walk_specs(b, m, template_label_specs, ARRAY_SIZE(template_label_specs),
			       set_pairs, &pc);
	if (!r && selectors)
		r = walk_specs(b, m, selector_label_specs, ARRAY_SIZE(selector_label_specs),
			       set_pairs, &pc);
	/*
	 * Field specs added by `configurations:` files: commonLabels ones go
	 * with selectors (kustomize merges them into its commonLabels specs),
	 * templateLabels ones with templates alone (labels: includeTemplates).
	 */
	if (!r && selectors)
		r = walk_specs(b, m, b->config.specs[KCFG_LABELS], b->config.nspecs[KCFG_LABELS],
			       set_pairs, &pc);
	else if (!r && templates)
		r = walk_specs(b, m, b->config.specs[KCFG_TEMPLATE_LABELS],
			       b->config.nspecs[KCFG_TEMPLATE_LABELS], set_pairs, &pc);
	return r;
}

int kust_labels_fields(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs,
		       const struct kfieldspec *specs, size_t n)
{
	struct pairs_ctx pc = { pairs };
	int r = check_pairs(pairs, "labels");

	if (r || !pairs || !pairs->n)
		return r;
	return walk_specs(b, m, specs, n, set_pairs, &pc);
}

int kust_annotations(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs)
{
	static const struct kfieldspec meta = FS(NULL, NULL, NULL, "metadata/annotations", true);
	struct pairs_ctx pc = { pairs };
	int r = check_pairs(pairs, "commonAnnotations");

	if (r || !pairs || !pairs->n)
		return r;
	r = walk_specs(b, m, &meta, 1, set_pairs, &pc);
	if (!r)
		r = walk_specs(b, m, template_annotation_specs,
			       ARRAY_SIZE(template_annotation_specs), set_pairs, &pc);
	if (!r)
		r = walk_specs(b, m, b->config.specs[KCFG_ANNOTATIONS],
			       b->config.nspecs[KCFG_ANNOTATIONS], set_pairs, &pc);
	return r;
}

/* --- images ------------------------------------------------------------------------- */

struct image_rule {
	const char *name, *new_name, *new_tag, *digest;
	regex_t re;
};

/* kustomize's image split: name, tag, digest, looking for ':' after the first '/'. */
static void image_split(const char *img, struct strbuf *name, struct strbuf *tag,
			struct strbuf *digest)
{
	const char *slash = strchr(img, '/');
	const char *search = slash && slash != img ? slash : img;
	const char *at = strchr(search, '@'), *colon = strchr(search, ':');

	if (!at && !colon) {
		strbuf_addstr(name, img);
	} else if (at && (!colon || at < colon)) {
		strbuf_add(name, img, (size_t)(at - img));
		strbuf_addstr(digest, at + 1);
	} else if (at && colon) {
		strbuf_add(name, img, (size_t)(colon - img));
		strbuf_add(tag, colon + 1, (size_t)(at - colon - 1));
		strbuf_addstr(digest, at + 1);
	} else {
		strbuf_add(name, img, (size_t)(colon - img));
		strbuf_addstr(tag, colon + 1);
	}
}

static void update_image(struct kbuild *b, struct doc_node *container, const char *key,
			 struct image_rule *rules, size_t nrules)
{
	struct doc_node *img = doc_map_get(container, key);
	struct strbuf name = STRBUF_INIT, tag = STRBUF_INIT, digest = STRBUF_INIT,
		      out = STRBUF_INIT;
	size_t i;

	if (!img || img->kind != DOC_SCALAR)
		return;
	for (i = 0; i < nrules; i++) {
		struct image_rule *ru = &rules[i];

		if (regexec(&ru->re, img->str, 0, NULL, 0))
			continue;
		image_split(img->str, &name, &tag, &digest);
		if (ru->new_name && *ru->new_name) {
			strbuf_reset(&name);
			strbuf_addstr(&name, ru->new_name);
		}
		if (ru->new_tag && *ru->new_tag) {
			strbuf_reset(&tag);
			strbuf_addstr(&tag, ru->new_tag);
			strbuf_reset(&digest);
		}
		if (ru->digest && *ru->digest) {
			if (!(ru->new_tag && *ru->new_tag))
				strbuf_reset(&tag);
			strbuf_reset(&digest);
			strbuf_addstr(&digest, ru->digest);
		}
		strbuf_addbuf(&out, &name);
		if (tag.len)
			strbuf_addf(&out, ":%s", tag.buf);
		if (digest.len)
			strbuf_addf(&out, "@%s", digest.buf);
		doc_map_set(b->arena, container, key, str_node(b, out.buf));
		break;
	}
	strbuf_release(&name);
	strbuf_release(&tag);
	strbuf_release(&digest);
	strbuf_release(&out);
}

/*
 * Images are found in every "containers" and "initContainers" list of an
 * object, wherever it is (kubectl kustomize updates CronJobs' job
 * templates and custom resources alike).
 */
static void find_containers(struct kbuild *b, struct doc_node *n, struct image_rule *rules,
			    size_t nrules, unsigned depth)
{
	size_t i, k;

	if (depth > 64)
		return;
	if (n->kind == DOC_SEQ) {
		for (i = 0; i < n->n; i++)
			find_containers(b, n->kids[i], rules, nrules, depth + 1);
		return;
	}
	if (n->kind != DOC_MAP)
		return;
	for (i = 0; i < n->n; i++) {
		const char *key = n->kids[2 * i]->str;
		struct doc_node *v = n->kids[2 * i + 1];

		if ((!strcmp(key, "containers") || !strcmp(key, "initContainers")) &&
		    v->kind == DOC_SEQ) {
			for (k = 0; k < v->n; k++)
				if (v->kids[k]->kind == DOC_MAP)
					update_image(b, v->kids[k], "image", rules, nrules);
		} else {
			find_containers(b, v, rules, nrules, depth + 1);
		}
	}
}

struct image_ctx {
	struct image_rule *rules;
	size_t n;
};

static int image_at(struct kbuild *b, struct kres *r, struct doc_node *parent,
		    const char *key, void *ctx)
{
	struct image_ctx *ic = ctx;

	update_image(b, parent, key, ic->rules, ic->n);
	return 0;
}

int kust_images(struct kbuild *b, struct kresmap *m, const struct doc_node *images)
{
	struct image_rule *rules;
	struct strbuf pat = STRBUF_INIT;
	char where[256];
	size_t i, n = 0;
	int r = 0;

	if (!images || !images->n)
		return 0;
	if (images->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: images must be a list",
			       doc_where(images, where, sizeof(where)));
	rules = xcalloc(images->n, sizeof(*rules));
	for (i = 0; i < images->n; i++) {
		const struct doc_node *e = images->kids[i];
		struct image_rule *ru = &rules[n];
		struct doc_value ev;

		/*
		 * A null entry is Go's zero Image and a missing name the empty
		 * one: kustomize matches it as the pattern "" (no real image).
		 */
		if (e->kind == DOC_SCALAR && !e->tag && !doc_resolve(e, &ev) && ev.type == DOC_T_NULL)
			continue;
		ru->name = doc_get_str(e, "name", NULL);
		ru->new_name = doc_get_str(e, "newName", NULL);
		ru->new_tag = doc_get_str(e, "newTag", NULL);
		ru->digest = doc_get_str(e, "digest", NULL);
		if (e->kind == DOC_MAP && !ru->name)
			ru->name = "";
		if (e->kind != DOC_MAP || !ru->name) {
			r = err_set(ERR_INVALID, "%s: an images entry needs a name",
				    doc_where(e, where, sizeof(where)));
			goto out;
		}
		/* kustomize matches the name as a pattern, then an optional digest or tag. */
		strbuf_reset(&pat);
		strbuf_addf(&pat, "^%s(@sha256)?(:[a-zA-Z0-9_.{}-]*)?$", ru->name);
		if (regcomp(&ru->re, pat.buf, REG_EXTENDED | REG_NOSUB)) {
			r = err_set(ERR_INVALID, "%s: image name '%s' is not a valid pattern",
				    doc_where(e, where, sizeof(where)), ru->name);
			goto out;
		}
		n++;
	}
	for (i = 0; i < m->n; i++)
		find_containers(b, m->v[i].node, rules, n, 0);
	/* Image fields of other shapes, named by configurations files. */
	if (b->config.nspecs[KCFG_IMAGES]) {
		struct image_ctx ic = { rules, n };

		r = walk_specs(b, m, b->config.specs[KCFG_IMAGES], b->config.nspecs[KCFG_IMAGES],
			       image_at, &ic);
	}
out:
	for (i = 0; i < n; i++)
		regfree(&rules[i].re);
	free(rules);
	strbuf_release(&pat);
	return r;
}

/* --- replicas ---------------------------------------------------------------------------- */

/* kustomize's default replicas field specs, in its order (the error lists them so). */
static const struct kfieldspec replica_specs[] = {
	FS(NULL, NULL, "Deployment", "spec/replicas", true),
	FS(NULL, NULL, "StatefulSet", "spec/replicas", true),
	FS(NULL, NULL, "ReplicaSet", "spec/replicas", true),
	FS(NULL, NULL, "ReplicationController", "spec/replicas", true),
};

/* Whether `fs` (group, version, kind; empty matches any) selects the resource. */
static bool spec_selects(const struct kfieldspec *fs, const struct kres *r)
{
	char group[256], version[64];

	kres_gv(r, group, sizeof(group), version, sizeof(version));
	return (!fs->kind || !*fs->kind || !strcmp(fs->kind, kres_kind(r))) &&
	       (!fs->group || !*fs->group || !strcmp(fs->group, group)) &&
	       (!fs->version || !*fs->version || !strcmp(fs->version, version));
}

/* kyaml's Gvk.String(): "Kind.version.group", "[noVer]"/"[noGrp]" for empty parts. */
static void add_gvk(struct strbuf *sb, const struct kfieldspec *fs)
{
	strbuf_addf(sb, "%s.%s.%s", fs->kind && *fs->kind ? fs->kind : "[noKind]",
		    fs->version && *fs->version ? fs->version : "[noVer]",
		    fs->group && *fs->group ? fs->group : "[noGrp]");
}

static int set_count(struct kbuild *b, struct kres *r, struct doc_node *parent,
		     const char *key, void *ctx)
{
	const char *count = ctx;

	doc_map_set(b->arena, parent, key,
		    doc_new_scalar(b->arena, count, strlen(count), DOC_STYLE_PLAIN));
	return 0;
}

static bool had_name(const struct kres *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i], name))
			return true;
	return !strcmp(kres_name(r), name);
}

int kust_replicas(struct kbuild *b, struct kresmap *m, const struct doc_node *replicas)
{
	char where[256];
	size_t i, k, s;
	bool found;
	int r;

	if (!replicas || !replicas->n)
		return 0;
	if (replicas->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: replicas must be a list",
			       doc_where(replicas, where, sizeof(where)));
	for (i = 0; i < replicas->n; i++) {
		const struct doc_node *e = replicas->kids[i];
		const char *name = doc_get_str(e, "name", NULL);
		const struct doc_node *count = doc_map_get(e, "count");
		struct doc_value v;

		/* No count is Go's zero value, as `count: ~` (schema.c dropped that) is. */
		if (!count && name && e->kind == DOC_MAP)
			count = doc_new_scalar(b->arena, "0", 1, DOC_STYLE_PLAIN);
		if (!name || !count || count->kind != DOC_SCALAR || doc_resolve(count, &v) ||
		    v.type != DOC_T_INT)
			return err_set(ERR_INVALID, "%s: a replicas entry needs a name and an integer count",
				       doc_where(e, where, sizeof(where)));
		found = false;
		for (k = 0; k < m->n; k++) {
			if (!had_name(&m->v[k], name))
				continue;
			for (s = 0; s < ARRAY_SIZE(replica_specs); s++) {
				found |= spec_selects(&replica_specs[s], &m->v[k]);
				r = kfs_walk(b, &m->v[k], &replica_specs[s], set_count,
					     (void *)count->str);
				if (r)
					return r;
			}
			for (s = 0; s < b->config.nspecs[KCFG_REPLICAS]; s++) {
				found |= spec_selects(&b->config.specs[KCFG_REPLICAS][s], &m->v[k]);
				r = kfs_walk(b, &m->v[k], &b->config.specs[KCFG_REPLICAS][s],
					     set_count, (void *)count->str);
				if (r)
					return r;
			}
		}
		/* As kustomize: a replicas entry that changes nothing is an error. */
		if (!found) {
			struct strbuf gvks = STRBUF_INIT;

			for (s = 0; s < ARRAY_SIZE(replica_specs); s++) {
				strbuf_addstr(&gvks, s ? " " : "");
				add_gvk(&gvks, &replica_specs[s]);
			}
			for (s = 0; s < b->config.nspecs[KCFG_REPLICAS]; s++) {
				strbuf_addch(&gvks, ' ');
				add_gvk(&gvks, &b->config.specs[KCFG_REPLICAS][s]);
			}
			r = err_set(ERR_INVALID, "%s: resource with name %s does not match a config with the following GVK [%s]",
				    doc_where(e, where, sizeof(where)), name, gvks.buf);
			strbuf_release(&gvks);
			return r;
		}
	}
	return 0;
}
