/*
 * patch-smp.c - strategic merge patches, as kustomize applies them.
 *
 * kustomize merges with kyaml's walker (merge2), not apimachinery's
 * strategicpatch: maps merge key by key, scalars and lists without a
 * merge strategy are replaced, `null` removes a field, and lists whose
 * schema says "patchStrategy: merge" merge item by item on their merge
 * keys.  Merged lists put the patch's items first, in patch order, then
 * the target's items the patch did not name (kustomize's "prepend"
 * direction; checked against kubectl kustomize).  Kinds without schema
 * (CRDs) get no list merging at all: their lists are replaced.
 *
 * The schema is the part of the Kubernetes OpenAPI (the 1.21 data kyaml
 * embeds) that leads to a list with a merge strategy; everything else
 * needs no schema, since replacing is the default.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "render/kustomize/kpatch.h"

struct stype;

struct sfield {
	const char *name;
	const struct stype *type; /* the value's type; for lists, the items' */
	bool assoc;               /* a list with patchStrategy merge */
	const char *keys[3];      /* its merge keys; none: a list of scalars */
};

struct stype {
	const struct sfield *f;
	size_t n;
};

#define STYPE(fields) { fields, ARRAY_SIZE(fields) }

static const struct stype t_meta, t_container, t_podspec, t_podtemplate, t_conditions,
	t_workload_spec, t_jobtemplate, t_cronjob_spec, t_service_spec;

static const struct sfield f_meta[] = {
	{ "finalizers", NULL, true, { NULL } },
	{ "ownerReferences", NULL, true, { "uid" } },
};
static const struct stype t_meta = STYPE(f_meta);

static const struct sfield f_container[] = {
	{ "env", NULL, true, { "name" } },
	{ "ports", NULL, true, { "containerPort", "protocol" } },
	{ "volumeDevices", NULL, true, { "devicePath" } },
	{ "volumeMounts", NULL, true, { "mountPath" } },
};
static const struct stype t_container = STYPE(f_container);

static const struct sfield f_podspec[] = {
	{ "containers", &t_container, true, { "name" } },
	{ "ephemeralContainers", &t_container, true, { "name" } },
	{ "hostAliases", NULL, true, { "ip" } },
	{ "imagePullSecrets", NULL, true, { "name" } },
	{ "initContainers", &t_container, true, { "name" } },
	{ "topologySpreadConstraints", NULL, true, { "topologyKey", "whenUnsatisfiable" } },
	{ "volumes", NULL, true, { "name" } },
};
static const struct stype t_podspec = STYPE(f_podspec);

static const struct sfield f_podtemplate[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_podspec, false, { NULL } },
};
static const struct stype t_podtemplate = STYPE(f_podtemplate);

static const struct sfield f_conditions[] = {
	{ "conditions", NULL, true, { "type" } },
};
static const struct stype t_conditions = STYPE(f_conditions);

static const struct sfield f_workload_spec[] = {
	{ "template", &t_podtemplate, false, { NULL } },
};
static const struct stype t_workload_spec = STYPE(f_workload_spec);

static const struct sfield f_jobtemplate[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_workload_spec, false, { NULL } },
};
static const struct stype t_jobtemplate = STYPE(f_jobtemplate);

static const struct sfield f_cronjob_spec[] = {
	{ "jobTemplate", &t_jobtemplate, false, { NULL } },
};
static const struct stype t_cronjob_spec = STYPE(f_cronjob_spec);

static const struct sfield f_service_spec[] = {
	{ "ports", NULL, true, { "port", "protocol" } },
};
static const struct stype t_service_spec = STYPE(f_service_spec);

/* Top-level types. */
static const struct sfield f_object[] = {
	{ "metadata", &t_meta, false, { NULL } },
};
static const struct sfield f_pod[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_podspec, false, { NULL } },
	{ "status", &t_conditions, false, { NULL } },
};
static const struct sfield f_workload[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_workload_spec, false, { NULL } },
	{ "status", &t_conditions, false, { NULL } },
};
static const struct sfield f_cronjob[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_cronjob_spec, false, { NULL } },
};
static const struct sfield f_podtemplate_obj[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "template", &t_podtemplate, false, { NULL } },
};
static const struct sfield f_service[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "spec", &t_service_spec, false, { NULL } },
};
static const struct sfield f_serviceaccount[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "secrets", NULL, true, { "name" } },
};
static const struct sfield f_webhooks[] = {
	{ "metadata", &t_meta, false, { NULL } },
	{ "webhooks", NULL, true, { "name" } },
};
static const struct stype t_object = STYPE(f_object), t_pod = STYPE(f_pod),
			  t_workload = STYPE(f_workload), t_cronjob = STYPE(f_cronjob),
			  t_podtemplate_obj = STYPE(f_podtemplate_obj),
			  t_service = STYPE(f_service), t_serviceaccount = STYPE(f_serviceaccount),
			  t_webhooks = STYPE(f_webhooks);

static const struct {
	const char *group, *version, *kind; /* version NULL: any */
	const struct stype *type;
} resource_types[] = {
	{ "", "v1", "Pod", &t_pod },
	{ "", "v1", "PodTemplate", &t_podtemplate_obj },
	{ "", "v1", "ReplicationController", &t_workload },
	{ "", "v1", "Service", &t_service },
	{ "", "v1", "ServiceAccount", &t_serviceaccount },
	{ "apps", "v1", "Deployment", &t_workload },
	{ "apps", "v1", "DaemonSet", &t_workload },
	{ "apps", "v1", "ReplicaSet", &t_workload },
	{ "apps", "v1", "StatefulSet", &t_workload },
	{ "batch", "v1", "Job", &t_workload },
	{ "batch", NULL, "CronJob", &t_cronjob },
	{ "admissionregistration.k8s.io", NULL, "MutatingWebhookConfiguration", &t_webhooks },
	{ "admissionregistration.k8s.io", NULL, "ValidatingWebhookConfiguration", &t_webhooks },
};

static bool builtin_group(const char *g)
{
	size_t n = strlen(g);
	static const char *const plain[] = { "", "apps", "batch", "policy", "autoscaling",
					     "extensions" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (!strcmp(g, plain[i]))
			return true;
	return n > 7 && !strcmp(g + n - 7, ".k8s.io");
}

/* The schema of an object by its apiVersion and kind; NULL for kinds kustomize has none for. */
static const struct stype *schema_for(const struct doc_node *obj)
{
	const char *av = doc_get_str(obj, "apiVersion", NULL);
	const char *kind = doc_get_str(obj, "kind", NULL);
	const char *slash, *version;
	char group[256] = "";
	size_t i;

	if (!av || !kind)
		return NULL;
	slash = strchr(av, '/');
	version = slash ? slash + 1 : av;
	if (slash && (size_t)(slash - av) < sizeof(group)) {
		memcpy(group, av, (size_t)(slash - av));
		group[slash - av] = 0;
	}
	for (i = 0; i < ARRAY_SIZE(resource_types); i++)
		if (!strcmp(resource_types[i].group, group) &&
		    !strcmp(resource_types[i].kind, kind) &&
		    (!resource_types[i].version || !strcmp(resource_types[i].version, version)))
			return resource_types[i].type;
	return builtin_group(group) ? &t_object : NULL;
}

static const struct sfield *schema_field(const struct stype *t, const char *name)
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (!strcmp(t->f[i].name, name))
			return &t->f[i];
	return NULL;
}

/* --- the merge ------------------------------------------------------------ */

enum directive { DIR_MERGE, DIR_REPLACE, DIR_DELETE };

struct smp {
	struct arena *a;
};

static int walk(struct smp *s, struct doc_node *d, const struct doc_node *o,
		const struct stype *t, const struct sfield *f, struct doc_node **out);

static bool is_null(const struct doc_node *n)
{
	struct doc_value v;

	return n && n->kind == DOC_SCALAR && !doc_resolve(n, &v) && v.type == DOC_T_NULL;
}

static bool key_is(const struct doc_node *k, const char *s)
{
	return k->kind == DOC_SCALAR && k->len == strlen(s) && !memcmp(k->str, s, k->len);
}

static int parse_directive(const struct doc_node *v, enum directive *out)
{
	char where[128];
	const char *s = doc_str(v);

	if (s && !strcmp(s, "merge"))
		*out = DIR_MERGE;
	else if (s && !strcmp(s, "replace"))
		*out = DIR_REPLACE;
	else if (s && !strcmp(s, "delete"))
		*out = DIR_DELETE;
	else
		return err_set(ERR_INVALID, "%s: unknown patch strategy '%s'",
			       doc_where(v, where, sizeof(where)), s ? s : "?");
	return 0;
}

/*
 * The directives of a patch mapping.  "$patch" is handled; the others
 * apimachinery knows ($retainKeys, $setElementOrder/..,
 * $deleteFromPrimitiveList/..) are refused rather than copied into output.
 */
static int map_directive(const struct doc_node *o, enum directive *out)
{
	char where[128];
	size_t i;

	*out = DIR_MERGE;
	for (i = 0; i < o->n; i++) {
		const struct doc_node *k = o->kids[2 * i];
		int r;

		if (k->kind != DOC_SCALAR || !k->len || k->str[0] != '$')
			continue;
		if (key_is(k, "$patch")) {
			if ((r = parse_directive(o->kids[2 * i + 1], out)))
				return r;
			continue;
		}
		return err_set(ERR_INVALID,
			       "%s: patch directive '%s' is not supported by hoist's kustomize engine",
			       doc_where(k, where, sizeof(where)), k->str);
	}
	return 0;
}

/*
 * A list's directive is an item that is a mapping holding only "$patch"
 * ("- $patch: replace").  *skip is that item's index (or o->n).
 */
static int seq_directive(const struct doc_node *o, enum directive *out, size_t *skip)
{
	size_t i;

	*out = DIR_MERGE;
	*skip = o->n;
	for (i = 0; i < o->n; i++) {
		const struct doc_node *it = o->kids[i];
		if (it->kind == DOC_MAP && it->n == 1 && key_is(it->kids[0], "$patch")) {
			*skip = i;
			return parse_directive(it->kids[1], out);
		}
	}
	return 0;
}

static int kind_error(const struct doc_node *d, const struct doc_node *o)
{
	static const char *const names[] = { "?", "scalar", "mapping", "sequence" };
	char where[128];

	return err_set(ERR_INVALID, "%s: patch has a %s where the target has a %s",
		       doc_where(o, where, sizeof(where)), names[o->kind], names[d->kind]);
}

static int walk_map(struct smp *s, struct doc_node *d, const struct doc_node *o,
		    const struct stype *t, struct doc_node **out)
{
	enum directive dir;
	size_t i;
	int r;

	if ((r = map_directive(o, &dir)))
		return r;
	*out = NULL;
	if (dir == DIR_DELETE)
		return 0;
	if (!d || is_null(d) || dir == DIR_REPLACE)
		d = doc_new_map(s->a);
	else if (d->kind != DOC_MAP)
		return kind_error(d, o);
	for (i = 0; i < o->n; i++) {
		const struct doc_node *k = o->kids[2 * i];
		const struct sfield *f;
		struct doc_node *v;

		if (k->kind == DOC_SCALAR && k->len && k->str[0] == '$')
			continue;
		if (k->kind != DOC_SCALAR) {
			char where[128];
			return err_set(ERR_INVALID, "%s: patch mapping key is not a string",
				       doc_where(k, where, sizeof(where)));
		}
		f = schema_field(t, k->str);
		if ((r = walk(s, doc_map_get(d, k->str), o->kids[2 * i + 1], f ? f->type : NULL, f,
			      &v)))
			return r;
		if (v)
			doc_map_set(s->a, d, k->str, v);
		else
			doc_map_del(d, k->str);
	}
	*out = d;
	return 0;
}

/* The item's merge key values, "" for a key it lacks (kyaml's ElementValuesList). */
static void item_keys(const struct doc_node *it, const struct sfield *f, const char **vals)
{
	size_t k;

	for (k = 0; f->keys[k]; k++) {
		const struct doc_node *v = it->kind == DOC_MAP ? doc_map_get(it, f->keys[k]) : NULL;
		vals[k] = v && v->kind == DOC_SCALAR && !is_null(v) ? v->str : "";
	}
}

static bool keys_equal(const struct sfield *f, const char **x, const char **y)
{
	size_t k;

	for (k = 0; f->keys[k]; k++)
		if (strcmp(x[k], y[k]))
			return false;
	return true;
}

/* Whether `y` agrees with `x` on every key `x` has a value for. */
static bool keys_agree(const struct sfield *f, const char **x, const char **y)
{
	size_t k;

	for (k = 0; f->keys[k]; k++)
		if (*x[k] && strcmp(x[k], y[k]))
			return false;
	return true;
}

static bool empty_map(const struct doc_node *n)
{
	return n->kind == DOC_MAP && !n->n;
}

/* A list of scalars with a merge strategy (finalizers): the union, patch first. */
static struct doc_node *merge_scalars(struct smp *s, const struct doc_node *d,
				      const struct doc_node *o, size_t skip)
{
	struct doc_node *res = doc_new_seq(s->a);
	const struct doc_node *src[2] = { o, d };
	size_t i, j, w;

	for (w = 0; w < 2; w++)
		for (i = 0; src[w] && i < src[w]->n; i++) {
			const struct doc_node *it = src[w]->kids[i];
			bool seen = false;
			if (w == 0 && i == skip)
				continue;
			for (j = 0; j < res->n && !seen; j++)
				seen = doc_equal(res->kids[j], it);
			if (!seen)
				doc_seq_append(s->a, res, doc_clone(s->a, it));
		}
	return res;
}

/*
 * Items merge on their merge keys: each patch item, in order, merges into
 * the target item with the same keys (or is new), then the target items
 * the patch did not name follow.  A patch item that lacks a key the target
 * item has (a port without "protocol" against one with it) names no item
 * and is dropped, as kyaml drops it.
 */
static int merge_keyed(struct smp *s, struct doc_node *d, const struct doc_node *o, size_t skip,
		       const struct sfield *f, struct doc_node **out)
{
	struct doc_node *res = doc_new_seq(s->a);
	bool *used = d && d->n ? xcalloc(d->n, sizeof(bool)) : NULL;
	const char *pk[3], *dk[3], *qk[3];
	size_t i, j;
	int r = 0;

	for (i = 0; !r && i < o->n; i++) {
		const struct doc_node *pe = o->kids[i];
		struct doc_node *de = NULL, *v = NULL;
		bool partial = false, dup = false;

		if (i == skip)
			continue;
		item_keys(pe, f, pk);
		for (j = 0; j < i && !dup; j++) {
			if (j == skip)
				continue;
			item_keys(o->kids[j], f, qk);
			dup = keys_equal(f, pk, qk);
		}
		if (dup)
			continue;
		for (j = 0; d && j < d->n && !de; j++) {
			item_keys(d->kids[j], f, dk);
			if (keys_equal(f, pk, dk)) {
				de = d->kids[j];
				used[j] = true;
			} else if (keys_agree(f, pk, dk)) {
				partial = true;
			}
		}
		if (!de && partial)
			continue;
		r = walk(s, de, pe, f->type, NULL, &v);
		if (!r && v && !empty_map(v))
			doc_seq_append(s->a, res, v);
	}
	for (j = 0; !r && d && j < d->n; j++)
		if (!used[j])
			doc_seq_append(s->a, res, d->kids[j]);
	free(used);
	*out = res;
	return r;
}

static int walk_seq(struct smp *s, struct doc_node *d, const struct doc_node *o,
		    const struct sfield *f, struct doc_node **out)
{
	enum directive dir;
	size_t skip;
	int r;

	if (d && !is_null(d) && d->kind != DOC_SEQ)
		return kind_error(d, o);
	if (!f || !f->assoc) {
		*out = doc_clone(s->a, o);
		return 0;
	}
	if ((r = seq_directive(o, &dir, &skip)))
		return r;
	if (dir == DIR_DELETE) {
		*out = NULL;
		return 0;
	}
	if (!d || is_null(d) || dir == DIR_REPLACE)
		d = NULL;
	if (!f->keys[0]) {
		*out = merge_scalars(s, d, o, skip);
		return 0;
	}
	return merge_keyed(s, d, o, skip, f, out);
}

/*
 * Merges patch node `o` into target node `d` (NULL when the target lacks
 * it); *out is the result, NULL to remove the field.  `t` is the schema of
 * the value, `f` the field it sits in (for lists).
 */
static int walk(struct smp *s, struct doc_node *d, const struct doc_node *o,
		const struct stype *t, const struct sfield *f, struct doc_node **out)
{
	*out = NULL;
	if (is_null(o))
		return 0;
	switch (o->kind) {
	case DOC_MAP:
		return walk_map(s, d, o, t, out);
	case DOC_SEQ:
		return walk_seq(s, d, o, f, out);
	default:
		if (d && !is_null(d) && d->kind != DOC_SCALAR)
			return kind_error(d, o);
		*out = doc_clone(s->a, o);
		return 0;
	}
}

int ksmp_merge(struct arena *a, struct doc_node *target, const struct doc_node *patch,
	       bool *deleted)
{
	struct smp s = { a };
	struct doc_node *res = NULL;
	size_t i;
	int r;

	*deleted = false;
	if (patch->kind != DOC_MAP || target->kind != DOC_MAP) {
		char where[128];
		return err_set(ERR_INVALID, "%s: a strategic merge patch must be a mapping",
			       doc_where(patch, where, sizeof(where)));
	}
	r = walk(&s, target, patch, schema_for(target), NULL, &res);
	if (r)
		return r;
	if (!res) {
		*deleted = true;
		return 0;
	}
	if (res != target) {
		/* "$patch: replace" at the top: the object becomes the patch. */
		target->n = 0;
		for (i = 0; i < res->n; i++)
			doc_map_append(a, target, res->kids[2 * i], res->kids[2 * i + 1]);
	}
	return 0;
}
