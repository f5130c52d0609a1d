/*
 * nameref.c - name back references: once every rename of a build is done
 * (prefixes, suffixes, hashes, patches), fields that name another object
 * of the build are rewritten to its new name.
 *
 * The table below says, for each kind that can be referred to, where the
 * referring objects hold its name; it carries kustomize v5.5's built-in
 * nameReference configuration in our own form.  The choice of the object
 * a value refers to follows kustomize's nameref filter: among the objects
 * that could be referred to from the referrer's namespace, those that once
 * had that name and the wanted kind, in the referrer's namespace (unless
 * either is cluster-scoped, or the referent is a ServiceAccount), and when
 * that still leaves several, those renamed with the same prefixes and
 * suffixes as the referrer.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

/* Where a pod spec sits in a kind that holds one. */
struct pod_holder {
	const char *kind;
	const char *version; /* NULL: any */
	const char *spec;    /* path to the pod spec */
};

/* Pod specs that may name ConfigMaps and Secrets. */
static const struct pod_holder holders_data[] = {
	{ "Pod", "v1", "spec" },
	{ "PodTemplate", NULL, "template/spec" },
	{ "Deployment", NULL, "spec/template/spec" },
	{ "ReplicaSet", NULL, "spec/template/spec" },
	{ "DaemonSet", NULL, "spec/template/spec" },
	{ "StatefulSet", NULL, "spec/template/spec" },
	{ "Job", NULL, "spec/template/spec" },
	{ "CronJob", NULL, "spec/jobTemplate/spec/template/spec" },
};

/* Pod specs that may name ServiceAccounts, PVCs and PriorityClasses. */
static const struct pod_holder holders_workload[] = {
	{ "Pod", NULL, "spec" },
	{ "StatefulSet", NULL, "spec/template/spec" },
	{ "Deployment", NULL, "spec/template/spec" },
	{ "ReplicationController", NULL, "spec/template/spec" },
	{ "CronJob", NULL, "spec/jobTemplate/spec/template/spec" },
	{ "Job", NULL, "spec/template/spec" },
	{ "DaemonSet", NULL, "spec/template/spec" },
};

static const char *const pod_configmap[] = {
	"volumes/configMap/name",
	"containers/env/valueFrom/configMapKeyRef/name",
	"initContainers/env/valueFrom/configMapKeyRef/name",
	"containers/envFrom/configMapRef/name",
	"initContainers/envFrom/configMapRef/name",
	"volumes/projected/sources/configMap/name",
	NULL,
};

static const char *const pod_secret[] = {
	"volumes/secret/secretName",
	"containers/env/valueFrom/secretKeyRef/name",
	"initContainers/env/valueFrom/secretKeyRef/name",
	"containers/envFrom/secretRef/name",
	"initContainers/envFrom/secretRef/name",
	"imagePullSecrets/name",
	"volumes/projected/sources/secret/name",
	NULL,
};

static const char *const pod_sa[] = { "serviceAccountName", NULL };
static const char *const pod_pvc[] = { "volumes/persistentVolumeClaim/claimName", NULL };
static const char *const pod_priority[] = { "priorityClassName", NULL };

#define RBAC "rbac.authorization.k8s.io"
#define HPA_REF { NULL, NULL, "HorizontalPodAutoscaler", "spec/scaleTargetRef/name", false }
#define END { NULL, NULL, NULL, NULL, false }

static const struct kfieldspec hpa_refs[] = { HPA_REF, END };

static const struct kfieldspec configmap_refs[] = {
	{ NULL, NULL, "Node", "spec/configSource/configMap", false },
	{ NULL, NULL, "Role", "rules/resourceNames", false },
	{ NULL, NULL, "ClusterRole", "rules/resourceNames", false },
	{ NULL, NULL, "Ingress",
	  "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap", false },
	END,
};

static const struct kfieldspec secret_refs[] = {
	{ NULL, NULL, "Ingress", "spec/tls/secretName", false },
	{ NULL, NULL, "Ingress", "metadata/annotations/ingress.kubernetes.io\\/auth-secret", false },
	{ NULL, NULL, "Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret",
	  false },
	{ NULL, NULL, "Ingress",
	  "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", false },
	{ NULL, NULL, "ServiceAccount", "imagePullSecrets/name", false },
	{ NULL, NULL, "StorageClass", "parameters/secretName", false },
	{ NULL, NULL, "StorageClass", "parameters/adminSecretName", false },
	{ NULL, NULL, "StorageClass", "parameters/userSecretName", false },
	{ NULL, NULL, "StorageClass", "parameters/secretRef", false },
	{ NULL, NULL, "Role", "rules/resourceNames", false },
	{ NULL, NULL, "ClusterRole", "rules/resourceNames", false },
	{ "serving.knative.dev", "v1", "Service",
	  "spec/template/spec/containers/env/valueFrom/secretKeyRef/name", false },
	{ NULL, NULL, "PersistentVolume", "spec/azureFile/secretName", false },
	END,
};

static const struct kfieldspec service_refs[] = {
	{ "apps", NULL, "StatefulSet", "spec/serviceName", false },
	{ NULL, NULL, "Ingress", "spec/rules/http/paths/backend/serviceName", false },
	{ NULL, NULL, "Ingress", "spec/backend/serviceName", false },
	{ NULL, NULL, "Ingress", "spec/rules/http/paths/backend/service/name", false },
	{ NULL, NULL, "Ingress", "spec/defaultBackend/service/name", false },
	{ "apiregistration.k8s.io", NULL, "APIService", "spec/service/name", false },
	{ "admissionregistration.k8s.io", NULL, "ValidatingWebhookConfiguration",
	  "webhooks/clientConfig/service", false },
	{ "admissionregistration.k8s.io", NULL, "MutatingWebhookConfiguration",
	  "webhooks/clientConfig/service", false },
	END,
};

static const struct kfieldspec role_refs[] = {
	{ RBAC, NULL, "RoleBinding", "roleRef/name", false },
	END,
};

static const struct kfieldspec clusterrole_refs[] = {
	{ RBAC, NULL, "RoleBinding", "roleRef/name", false },
	{ RBAC, NULL, "ClusterRoleBinding", "roleRef/name", false },
	END,
};

static const struct kfieldspec sa_refs[] = {
	{ RBAC, NULL, "RoleBinding", "subjects", false },
	{ RBAC, NULL, "ClusterRoleBinding", "subjects", false },
	END,
};

static const struct kfieldspec pv_refs[] = {
	{ NULL, NULL, "PersistentVolumeClaim", "spec/volumeName", false },
	{ NULL, NULL, "ClusterRole", "rules/resourceNames", false },
	END,
};

static const struct kfieldspec storageclass_refs[] = {
	{ NULL, NULL, "PersistentVolume", "spec/storageClassName", false },
	{ NULL, NULL, "PersistentVolumeClaim", "spec/storageClassName", false },
	{ NULL, NULL, "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName", false },
	END,
};

static const struct kfieldspec admission_policy_refs[] = {
	{ NULL, NULL, "ValidatingAdmissionPolicyBinding", "spec/policyName", false },
	END,
};

static const struct kfieldspec ingressclass_refs[] = {
	{ NULL, NULL, "Ingress", "spec/ingressClassName", false },
	END,
};

/* A kind that can be referred to, and where referrers hold its name. */
struct referent {
	const char *group;   /* NULL: any */
	const char *version; /* NULL: any */
	const char *kind;
	const struct pod_holder *holders; /* pod specs, with `pod_paths` under each */
	size_t nholders;
	const char *const *pod_paths;
	const struct kfieldspec *refs; /* other fields, END-terminated */
};

#define HOLDERS(h) h, ARRAY_SIZE(h)

/*
 * In kustomize's order.  IngressClass is listed with the group
 * "networking.k8s.io/v1", which no object has, so kustomize never rewrites
 * ingressClassName; we keep that.
 */
static const struct referent referents[] = {
	{ NULL, NULL, "Deployment", NULL, 0, NULL, hpa_refs },
	{ NULL, NULL, "ReplicationController", NULL, 0, NULL, hpa_refs },
	{ NULL, NULL, "ReplicaSet", NULL, 0, NULL, hpa_refs },
	{ NULL, NULL, "StatefulSet", NULL, 0, NULL, hpa_refs },
	{ NULL, "v1", "ConfigMap", HOLDERS(holders_data), pod_configmap, configmap_refs },
	{ NULL, "v1", "Secret", HOLDERS(holders_data), pod_secret, secret_refs },
	{ NULL, "v1", "Service", NULL, 0, NULL, service_refs },
	{ RBAC, NULL, "Role", NULL, 0, NULL, role_refs },
	{ RBAC, NULL, "ClusterRole", NULL, 0, NULL, clusterrole_refs },
	{ NULL, "v1", "ServiceAccount", HOLDERS(holders_workload), pod_sa, sa_refs },
	{ NULL, "v1", "PersistentVolumeClaim", HOLDERS(holders_workload), pod_pvc, NULL },
	{ NULL, "v1", "PersistentVolume", NULL, 0, NULL, pv_refs },
	{ "storage.k8s.io", "v1", "StorageClass", NULL, 0, NULL, storageclass_refs },
	{ "scheduling.k8s.io", "v1", "PriorityClass", HOLDERS(holders_workload), pod_priority,
	  NULL },
	{ "networking.k8s.io/v1", "v1", "IngressClass", NULL, 0, NULL, ingressclass_refs },
	{ "admissionregistration.k8s.io", NULL, "ValidatingAdmissionPolicy", NULL, 0, NULL,
	  admission_policy_refs },
};

/* --- choosing the referral ---------------------------------------------------- */

struct walk_ctx {
	struct kresmap *m;
	struct kres *referrer;
	const struct referent *ref;
	const struct kfieldspec *fs;
	size_t *cands; /* indexes into m: what the referrer could refer to */
	size_t ncands;
	size_t *tmp;   /* scratch, m->n entries */
};

static bool ns_equal(const char *a, const char *b)
{
	return !strcmp(*a ? a : "default", *b ? b : "default");
}

static bool is_null(const struct doc_node *n)
{
	return n->kind == DOC_SCALAR && n->style == DOC_STYLE_PLAIN && !n->tag &&
	       (!n->len || !strcmp(n->str, "null") || !strcmp(n->str, "~"));
}

/*
 * Whether `name` is one of the resource's previous ids.  kustomize records
 * an id each time the name or namespace changes, so the current name counts
 * only when the namespace changed after it was given.
 */
static bool had_name(const struct kres *r, const char *name)
{
	size_t i, n = r->nnames;

	/* Most candidates never had the name: say so before reading the object. */
	for (i = 0; i < n; i++)
		if (!strcmp(r->names[i], name))
			break;
	if (i == n)
		return false;
	if (n && !strcmp(r->names[n - 1], kres_name(r)) && !strcmp(r->orig_ns, kres_ns(r)))
		n--;
	for (i = 0; i < n; i++)
		if (!strcmp(r->names[i], name))
			return true;
	return false;
}

static bool gvk_selected(const struct kres *r, const char *group, const char *version,
			 const char *kind)
{
	char g[256], v[64];

	kres_gv(r, g, sizeof(g), v, sizeof(v));
	if (group && *group && strcmp(group, g))
		return false;
	if (version && *version && strcmp(version, v))
		return false;
	return !kind || !*kind || !strcmp(kind, r->orig_kind) || !strcmp(kind, kres_kind(r));
}

/* The name without the content hash kust_hash_names appended. */
static size_t unhashed_len(const struct kres *r)
{
	const char *name = kres_name(r);
	size_t len = strlen(name);

	if (r->needs_hash && len > 11 && name[len - 11] == '-')
		len -= 11;
	return len;
}

/*
 * The prefix and suffix the build put around the original name.
 * NEEDSWORK: kustomize compares the lists of prefixes and suffixes it
 * recorded; we compare the strings around the original name, which agrees
 * unless the original name occurs twice in the new one.
 */
static void affixes(const struct kres *r, const char **pre, size_t *plen, const char **suf,
		    size_t *slen)
{
	const char *name = kres_name(r), *at;
	size_t len = unhashed_len(r), blen = strlen(r->names[0]);

	*pre = *suf = name;
	*plen = *slen = 0;
	at = blen ? memmem(name, len, r->names[0], blen) : NULL;
	if (!at)
		return;
	*plen = (size_t)(at - name);
	*suf = at + blen;
	*slen = len - *plen - blen;
}

/*
 * Whether one affix is the outer part of the other (`at_end`: suffixes,
 * whose outer part is their end).  An empty affix matches anything when
 * `allow_empty`, else only another empty one.
 */
static bool affix_matches(const char *a, size_t alen, const char *b, size_t blen,
			  bool at_end, bool allow_empty)
{
	size_t n = alen < blen ? alen : blen;

	if (!alen || !blen)
		return allow_empty || alen == blen;
	return at_end ? !memcmp(a + alen - n, b + blen - n, n) : !memcmp(a, b, n);
}

static bool same_affixes(const struct kres *a, const struct kres *b, bool allow_empty)
{
	const char *pa, *pb, *sa, *sb;
	size_t pal, pbl, sal, sbl;

	affixes(a, &pa, &pal, &sa, &sal);
	affixes(b, &pb, &pbl, &sb, &sbl);
	return affix_matches(pa, pal, pb, pbl, false, allow_empty) &&
	       affix_matches(sa, sal, sb, sbl, true, allow_empty);
}

/* roleRef names a Role or ClusterRole by apiGroup and kind too. */
static bool roleref_selects(const struct walk_ctx *c, const struct kres *r)
{
	const char *p = c->fs->path, *g, *k;
	size_t len = strlen(p);

	if (len < 12 || strcmp(p + len - 12, "roleRef/name"))
		return true;
	g = doc_get_str(c->referrer->node, "roleRef", "apiGroup", NULL);
	k = doc_get_str(c->referrer->node, "roleRef", "kind", NULL);
	if (!g || !k)
		return true;
	return gvk_selected(r, g, NULL, k);
}

static bool same_ns_as_referrer(const struct walk_ctx *c, const struct kres *r)
{
	if (kres_cluster_scoped(c->referrer) || kres_cluster_scoped(r) ||
	    !strcmp(kres_kind(r), "ServiceAccount"))
		return true;
	return ns_equal(kres_ns(c->referrer), kres_ns(r));
}

/*
 * The resource `old` refers to among cands (indexes into m), or NULL; fails
 * when several different ones remain.
 */
static int select_referral(struct walk_ctx *c, const char *old, const size_t *cands,
			   size_t ncands, struct kres **out)
{
	size_t i, n = 0, k = 0;
	struct strbuf ids = STRBUF_INIT;

	*out = NULL;
	for (i = 0; i < ncands; i++) {
		struct kres *r = &c->m->v[cands[i]];

		if (had_name(r, old) &&
		    gvk_selected(r, c->ref->group, c->ref->version, c->ref->kind) &&
		    roleref_selects(c, r) && same_ns_as_referrer(c, r))
			c->tmp[n++] = cands[i];
	}
	if (n == 1) {
		*out = &c->m->v[c->tmp[0]];
		return 0;
	}
	/* Then those with the referrer's prefixes and suffixes, loosely and strictly. */
	for (i = 0; i < n; i++)
		if (same_affixes(&c->m->v[c->tmp[i]], c->referrer, true))
			c->tmp[k++] = c->tmp[i];
	if (k == 1) {
		*out = &c->m->v[c->tmp[0]];
		return 0;
	}
	n = k;
	k = 0;
	for (i = 0; i < n; i++)
		if (same_affixes(&c->m->v[c->tmp[i]], c->referrer, false))
			c->tmp[k++] = c->tmp[i];
	if (!k)
		return 0;
	for (i = 1; i < k; i++)
		if (strcmp(kres_name(&c->m->v[c->tmp[i]]), kres_name(&c->m->v[c->tmp[0]])))
			break;
	if (i == k) {
		*out = &c->m->v[c->tmp[0]];
		return 0;
	}
	for (i = 0; i < k; i++) {
		const struct kres *r = &c->m->v[c->tmp[i]];

		strbuf_addf(&ids, "%s%s %s%s%s", i ? ", " : "", kres_kind(r), kres_ns(r),
			    *kres_ns(r) ? "/" : "", kres_name(r));
	}
	err_set(ERR_INVALID, "%s %s: found multiple possible referrals for %s %s: %s",
		kres_kind(c->referrer), kres_name(c->referrer), c->ref->kind, old, ids.buf);
	strbuf_release(&ids);
	return ERR_INVALID;
}

static struct doc_node *str_node(struct kbuild *b, const char *s)
{
	return doc_new_scalar(b->arena, s, strlen(s), DOC_STYLE_DOUBLE);
}

/* A plain name: `*slot` is replaced when it names a renamed object. */
static int fix_scalar(struct kbuild *b, struct walk_ctx *c, struct doc_node **slot)
{
	struct kres *ref;
	int ret;

	if (is_null(*slot))
		return 0;
	ret = select_referral(c, (*slot)->str, c->cands, c->ncands, &ref);
	if (ret || !ref || !strcmp(kres_name(ref), (*slot)->str))
		return ret;
	*slot = str_node(b, kres_name(ref));
	return 0;
}

/* A {name, namespace} mapping (RBAC subjects, webhook services). */
static int fix_mapping(struct kbuild *b, struct walk_ctx *c, struct doc_node *map)
{
	const struct doc_node *name = doc_map_get(map, "name");
	const char *ns = doc_get_str(map, "namespace", NULL);
	const size_t *cands = c->cands;
	size_t ncands = c->ncands, i;
	size_t *by_ns = NULL;
	struct kres *ref;
	int ret;

	if (!name || name->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s %s: no name field at %s", kres_kind(c->referrer),
			       kres_name(c->referrer), c->fs->path);
	if (ns) {
		/*
		 * Those originally in that namespace, else those now in it;
		 * no namespace is "default" here, as in kustomize's effective
		 * namespace.
		 */
		by_ns = xcalloc(c->ncands ? c->ncands : 1, sizeof(*by_ns));
		ncands = 0;
		for (i = 0; i < c->ncands; i++)
			if (ns_equal(c->m->v[c->cands[i]].orig_ns, ns))
				by_ns[ncands++] = c->cands[i];
		for (i = 0; !ncands && i < c->ncands; i++)
			if (ns_equal(kres_ns(&c->m->v[c->cands[i]]), ns))
				by_ns[ncands++] = c->cands[i];
		cands = by_ns;
	}
	ret = select_referral(c, name->str, cands, ncands, &ref);
	free(by_ns);
	if (ret || !ref)
		return ret;
	if (!strcmp(kres_name(ref), name->str) && !*kres_ns(ref))
		return 0;
	doc_map_set(b->arena, map, "name", str_node(b, kres_name(ref)));
	if (*kres_ns(ref))
		doc_map_set(b->arena, map, "namespace", str_node(b, kres_ns(ref)));
	return 0;
}

static int fix_field(struct kbuild *b, struct kres *r, struct doc_node *parent,
		     const char *key, void *ctx)
{
	struct walk_ctx *c = ctx;
	struct doc_node *v = doc_map_get(parent, key);
	size_t i;
	int ret = 0;

	if (!v || is_null(v))
		return 0;
	if (v->kind == DOC_MAP)
		return fix_mapping(b, c, v);
	if (v->kind == DOC_SEQ) {
		for (i = 0; i < v->n && !ret; i++) {
			if (v->kids[i]->kind == DOC_MAP)
				ret = fix_mapping(b, c, v->kids[i]);
			else if (v->kids[i]->kind == DOC_SCALAR)
				ret = fix_scalar(b, c, &v->kids[i]);
		}
		return ret;
	}
	for (i = 0; i < parent->n; i++) {
		if (parent->kids[2 * i + 1] == v)
			return fix_scalar(b, c, &parent->kids[2 * i + 1]);
	}
	return 0;
}

/* --- candidates ---------------------------------------------------------------- */

/* The namespaces of a RoleBinding's ServiceAccount subjects, which it may refer across. */
static bool rolebinding_subject_ns(const struct kres *referrer, const char *ns)
{
	const struct doc_node *subjects = doc_map_get(referrer->node, "subjects");
	size_t i;

	if (strcmp(kres_kind(referrer), "RoleBinding") || !subjects || subjects->kind != DOC_SEQ)
		return false;
	for (i = 0; i < subjects->n; i++) {
		const char *k = doc_get_str(subjects->kids[i], "kind", NULL);
		const char *n = doc_get_str(subjects->kids[i], "namespace", NULL);

		if (k && n && !strcmp(k, "ServiceAccount") && !strcmp(n, ns))
			return true;
	}
	return false;
}

/* Per-resource facts candidates() needs, read once per pass. */
struct cand_info {
	const char *ns;  /* "default" for none */
	bool cluster;
};

/* What `referrer` could refer to: everything when it is cluster-scoped, else same namespace. */
static size_t candidates(const struct kresmap *m, const struct cand_info *info, size_t self,
			 size_t *out)
{
	const struct kres *referrer = &m->v[self];
	bool rb = !strcmp(kres_kind(referrer), "RoleBinding");
	size_t i, n = 0;

	for (i = 0; i < m->n; i++)
		if (info[self].cluster || info[i].cluster || !strcmp(info[i].ns, info[self].ns) ||
		    (rb && rolebinding_subject_ns(referrer, kres_ns(&m->v[i]))))
			out[n++] = i;
	return n;
}

static int walk_spec(struct kbuild *b, struct walk_ctx *c, const struct kfieldspec *fs)
{
	c->fs = fs;
	return kfs_walk(b, c->referrer, fs, fix_field, c);
}

static int fix_referrer(struct kbuild *b, struct walk_ctx *c)
{
	struct strbuf path = STRBUF_INIT;
	size_t i, j, k;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(referents) && !ret; i++) {
		const struct referent *ref = &referents[i];

		c->ref = ref;
		for (j = 0; j < ref->nholders && !ret; j++) {
			const struct pod_holder *h = &ref->holders[j];

			for (k = 0; ref->pod_paths[k] && !ret; k++) {
				struct kfieldspec fs = { NULL, h->version, h->kind, NULL, false };

				strbuf_reset(&path);
				strbuf_addf(&path, "%s/%s", h->spec, ref->pod_paths[k]);
				fs.path = path.buf;
				ret = walk_spec(b, c, &fs);
			}
		}
		for (j = 0; ref->refs && ref->refs[j].path && !ret; j++)
			ret = walk_spec(b, c, &ref->refs[j]);
	}
	/* Then the nameReference entries of `configurations:` files. */
	for (i = 0; i < b->config.nnamerefs && !ret; i++) {
		const struct kcfg_nameref *cr = &b->config.namerefs[i];
		struct referent ref = { cr->group, cr->version, cr->kind, NULL, 0, NULL, cr->refs };

		c->ref = &ref;
		for (j = 0; j < cr->nrefs && !ret; j++)
			ret = walk_spec(b, c, &cr->refs[j]);
	}
	strbuf_release(&path);
	return ret;
}

int kust_fix_name_refs(struct kbuild *b, struct kresmap *m)
{
	struct walk_ctx c;
	struct cand_info *info;
	size_t i;
	int ret = 0;

	if (!m->n)
		return 0;
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.cands = xcalloc(m->n, sizeof(*c.cands));
	c.tmp = xcalloc(m->n, sizeof(*c.tmp));
	/*
	 * Fixing references edits referrers' fields, never the kind or
	 * namespace of a referent, so these stay true for the whole pass; reading
	 * them once keeps the pass from doing n^2 map lookups.
	 */
	info = xcalloc(m->n, sizeof(*info));
	for (i = 0; i < m->n; i++) {
		const char *ns = kres_ns(&m->v[i]);
		info[i].ns = *ns ? ns : "default";
		info[i].cluster = kres_cluster_scoped(&m->v[i]);
	}
	for (i = 0; i < m->n && !ret; i++) {
		c.referrer = &m->v[i];
		c.ncands = candidates(m, info, i, c.cands);
		ret = fix_referrer(b, &c);
	}
	free(info);
	free(c.cands);
	free(c.tmp);
	return ret;
}
