/*
 * vars.c - kustomize's deprecated `vars:` ($(NAME) references).
 *
 * As kustomize v5.5 does it: at the end of each kustomization (after its
 * transformers) every var of that kustomization is recorded, duplicates
 * across the build are errors, and the var is tied to the one resource
 * whose current or earlier id matches its objref (group, version and kind
 * exactly; the namespace only when given or for cluster-scoped kinds).
 * At the top level, after name references are fixed, each var's value is
 * read from its resource's final state (so it carries prefixes and
 * hashes), and $(NAME) is replaced in the string fields the varReference
 * field specs name.  A field that is exactly "$(NAME)" takes the value's
 * type (an int stays an int); maps, lists and nulls are not substituted.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

#define FS(g, v, k, p) { g, v, k, p, false }

/*
 * Where $(NAME) is replaced: kustomize v5.5's varReference defaults
 * (builtinpluginconsts/varreference.go).  The container paths repeat for
 * every workload kind, so they are listed once and applied under each
 * kind's pod spec; the rest (NFS servers among them, which sit in a
 * different place for each kind, and for CronJobs outside the pod spec
 * as kustomize has it) are listed as they are.
 */
static const char *const pod_paths[] = {
	"containers/args",
	"containers/command",
	"containers/env/value",
	"containers/volumeMounts/mountPath",
	"initContainers/args",
	"initContainers/command",
	"initContainers/env/value",
	"initContainers/volumeMounts/mountPath",
};

static const struct {
	const char *kind;
	const char *pod_spec; /* where the pod spec is */
} pod_kinds[] = {
	{ "CronJob", "spec/jobTemplate/spec/template/spec/" },
	{ "DaemonSet", "spec/template/spec/" },
	{ "Deployment", "spec/template/spec/" },
	{ "Job", "spec/template/spec/" },
	{ "Pod", "spec/" },
	{ "ReplicaSet", "spec/template/spec/" },
	{ "StatefulSet", "spec/template/spec/" },
};

static const struct kfieldspec var_ref_specs[] = {
	FS(NULL, NULL, "CronJob", "spec/jobTemplate/spec/template/volumes/nfs/server"),
	FS(NULL, NULL, "DaemonSet", "spec/template/spec/volumes/nfs/server"),
	FS(NULL, NULL, "Deployment", "spec/template/spec/volumes/nfs/server"),
	FS(NULL, NULL, "Deployment", "spec/template/metadata/annotations"),
	FS(NULL, NULL, "Job", "spec/template/spec/volumes/nfs/server"),
	FS(NULL, NULL, "Pod", "spec/volumes/nfs/server"),
	FS(NULL, NULL, "ReplicaSet", "spec/template/spec/volumes/nfs/server"),
	FS(NULL, NULL, "Ingress", "spec/rules/host"),
	FS(NULL, NULL, "Ingress", "spec/tls/hosts"),
	FS(NULL, NULL, "Ingress", "spec/tls/secretName"),
	FS(NULL, NULL, "Service", "spec/ports/port"),
	FS(NULL, NULL, "Service", "spec/ports/targetPort"),
	FS(NULL, NULL, "StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server"),
	FS(NULL, NULL, "PersistentVolume", "spec/nfs/server"),
	FS(NULL, NULL, NULL, "metadata/labels"),
	FS(NULL, NULL, NULL, "metadata/annotations"),
};

static void kvar_clear(struct kvar *v)
{
	free(v->name);
	free(v->group);
	free(v->version);
	free(v->kind);
	free(v->objname);
	free(v->ns);
	free(v->fieldpath);
	free(v->value);
	memset(v, 0, sizeof(*v));
}

void kust_vars_release(struct kbuild *b)
{
	size_t i;

	for (i = 0; i < b->nvars; i++)
		kvar_clear(&b->vars[i]);
	free(b->vars);
	b->vars = NULL;
	b->nvars = b->vars_alloc = 0;
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static int parse_var(const struct doc_node *e, struct kvar *v)
{
	const struct doc_node *ref = doc_map_get(e, "objref");
	const char *api = doc_get_str(ref, "apiVersion", NULL);
	const char *path = doc_get_str(e, "fieldref", "fieldPath", NULL);
	char where[256];

	memset(v, 0, sizeof(*v));
	if (e->kind != DOC_MAP || !doc_get_str(e, "name", NULL) || !ref || ref->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s: a vars entry needs a name and an objref",
			       doc_where(e, where, sizeof(where)));
	v->name = xstrdup(doc_get_str(e, "name", NULL));
	v->kind = dup_or_empty(doc_get_str(ref, "kind", NULL));
	v->objname = dup_or_empty(doc_get_str(ref, "name", NULL));
	v->ns = dup_or_empty(doc_get_str(ref, "namespace", NULL));
	if (api && *api) {
		/* kustomize's Target.GVK(): "g/v" or "v" replaces group and version. */
		const char *slash = strchr(api, '/');
		v->group = slash ? xstrndup(api, (size_t)(slash - api)) : xstrdup("");
		v->version = xstrdup(slash ? slash + 1 : api);
	} else {
		v->group = dup_or_empty(doc_get_str(ref, "group", NULL));
		v->version = dup_or_empty(doc_get_str(ref, "version", NULL));
	}
	v->fieldpath = xstrdup(path && *path ? path : "metadata.name");
	v->type = DOC_T_NULL;
	return 0;
}

static bool ns_eq(const char *a, const char *b)
{
	if (!*a)
		a = "default";
	if (!*b)
		b = "default";
	return !strcmp(a, b);
}

/* Whether the resource has (or had) the id the var's objref names. */
static bool var_matches(const struct kvar *v, const struct kres *r)
{
	char group[256], version[64];
	bool name = !strcmp(kres_name(r), v->objname);
	size_t i;

	if (strcmp(kres_kind(r), v->kind) && strcmp(r->orig_kind, v->kind))
		return false;
	kres_gv(r, group, sizeof(group), version, sizeof(version));
	if (strcmp(group, v->group) || strcmp(version, v->version))
		return false;
	for (i = 0; !name && i < r->nnames; i++)
		name = !strcmp(r->names[i], v->objname);
	if (!name)
		return false;
	if (*v->ns || kres_cluster_scoped(r))
		return ns_eq(kres_ns(r), v->ns) || ns_eq(r->orig_ns, v->ns);
	return true;
}

int kust_vars_merge(struct kbuild *b, struct kresmap *m, const struct doc_node *vars)
{
	char where[256];
	size_t i, k, hit, nhit;
	int r;

	if (!vars)
		return 0;
	if (vars->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: vars must be a list",
			       doc_where(vars, where, sizeof(where)));
	for (i = 0; i < vars->n; i++) {
		struct kvar v;

		if ((r = parse_var(vars->kids[i], &v)))
			return r;
		for (k = 0, nhit = 0, hit = 0; k < m->n; k++)
			if (var_matches(&v, &m->v[k])) {
				nhit++;
				hit = k;
			}
		if (nhit > 1) {
			r = err_set(ERR_INVALID, "%s: found %zu resources matching var '%s' (unable to disambiguate)",
				    doc_where(vars->kids[i], where, sizeof(where)), nhit, v.name);
			kvar_clear(&v);
			return r;
		}
		for (k = 0; k < b->nvars; k++)
			if (!strcmp(b->vars[k].name, v.name)) {
				r = err_set(ERR_INVALID, "%s: var '%s' already encountered",
					    doc_where(vars->kids[i], where, sizeof(where)), v.name);
				kvar_clear(&v);
				return r;
			}
		if (nhit) {
			struct kres *res = &m->v[hit];
			res->var_names = xrealloc(res->var_names,
						  (res->nvar_names + 1) * sizeof(char *));
			res->var_names[res->nvar_names++] = xstrdup(v.name);
		}
		ALLOC_GROW(b->vars, b->nvars + 1, b->vars_alloc);
		b->vars[b->nvars++] = v;
	}
	return 0;
}

/* --- reading a var's value --------------------------------------------------------- */

/* One step of a field path: a key, or a list index. */
static const struct doc_node *path_step(const struct doc_node *n, const char *seg, size_t len)
{
	char key[256];
	size_t i;

	if (!n || len >= sizeof(key))
		return NULL;
	memcpy(key, seg, len);
	key[len] = '\0';
	if (n->kind == DOC_MAP)
		return doc_map_get(n, key);
	if (n->kind != DOC_SEQ)
		return NULL;
	if (key[0] == '[' && key[len - 1] == ']' && strchr(key, '=')) {
		/* "[name=value]": the item whose field has that value. */
		char *eq = strchr(key, '=');
		key[len - 1] = '\0';
		*eq = '\0';
		for (i = 0; i < n->n; i++) {
			const char *s = doc_get_str(n->kids[i], key + 1, NULL);
			if (s && !strcmp(s, eq + 1))
				return n->kids[i];
		}
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (key[i] < '0' || key[i] > '9')
			return NULL;
	i = strtoul(key, NULL, 10);
	return i < n->n ? n->kids[i] : NULL;
}

/*
 * kustomize's GetFieldValue: the path split at dots, "name[3]" read as
 * the field then the index.
 */
static const struct doc_node *field_at(const struct doc_node *n, const char *path)
{
	const char *p = path;

	while (n && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const char *br = len > 2 && p[len - 1] == ']' ? memchr(p, '[', len) : NULL;
		bool idx = br != NULL;
		const char *c;

		if (!len) { /* kyaml's Lookup cleans empty parts out (".a.b" is "a.b") */
			p++;
			continue;
		}
		for (c = br ? br + 1 : NULL; idx && c < p + len - 1; c++)
			idx = *c >= '0' && *c <= '9';
		if (idx && c == br + 1)
			idx = false;
		if (idx) {
			if (br > p)
				n = path_step(n, p, (size_t)(br - p));
			n = path_step(n, br + 1, (size_t)(p + len - 1 - br - 1));
		} else {
			n = path_step(n, p, len);
		}
		p += len;
		if (*p == '.')
			p++;
	}
	return n;
}

static int var_value(struct kvar *v, const struct kresmap *m)
{
	const struct doc_node *n = NULL;
	struct doc_value dv;
	char buf[64];
	size_t i, k;

	for (i = 0; i < m->n && !n; i++)
		for (k = 0; k < m->v[i].nvar_names; k++)
			if (!strcmp(m->v[i].var_names[k], v->name)) {
				n = field_at(m->v[i].node, v->fieldpath);
				if (!n)
					return err_set(ERR_INVALID,
						       "field '%s' of var '%s' not found in %s %s",
						       v->fieldpath, v->name, kres_kind(&m->v[i]),
						       kres_name(&m->v[i]));
				break;
			}
	if (!n)
		return err_set(ERR_INVALID,
			       "var '%s' cannot be mapped to a field in the set of known resources (objref %s %s)",
			       v->name, v->kind, v->objname);
	v->type = DOC_T_NULL;
	if (n->kind != DOC_SCALAR || doc_resolve(n, &dv))
		return 0;
	switch (dv.type) {
	case DOC_T_STR:
	case DOC_T_TIME: /* yaml.v3 reads timestamps into interface{} as strings */
		v->type = DOC_T_STR;
		v->value = xstrdup(n->str);
		break;
	case DOC_T_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)dv.i);
		v->type = DOC_T_INT;
		v->value = xstrdup(buf);
		break;
	case DOC_T_BOOL:
		v->type = DOC_T_BOOL;
		v->value = xstrdup(dv.b ? "true" : "false");
		break;
	case DOC_T_FLOAT:
		go_format_float_g(dv.f, buf, sizeof(buf));
		v->type = DOC_T_FLOAT;
		v->value = xstrdup(buf);
		break;
	default:
		/* Nulls and unsigned overflows are not replacements kustomize makes. */
		break;
	}
	return 0;
}

/* --- expansion ------------------------------------------------------------------------ */

static const struct kvar *find_var(const struct kvar *vars, size_t nvars, const char *name,
				   size_t len)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len && !memcmp(vars[i].name, name, len) &&
		    vars[i].type != DOC_T_NULL)
			return &vars[i];
	return NULL;
}

void kvar_expand(struct strbuf *out, enum doc_type *type, const char *in,
		 const struct kvar *vars, size_t nvars)
{
	const char *p = in;

	*type = DOC_T_STR;
	while (*p) {
		const char *close;
		const struct kvar *v;

		if (*p != '$' || !p[1]) {
			strbuf_addch(out, *p++);
			continue;
		}
		if (p[1] == '$') {
			/* "$$" is an escaped "$". */
			strbuf_addch(out, '$');
			p += 2;
			continue;
		}
		if (p[1] != '(' || !(close = strchr(p + 2, ')'))) {
			/* Not a reference: the "$" and the next byte stay. */
			strbuf_add(out, p, 2);
			p += 2;
			continue;
		}
		v = find_var(vars, nvars, p + 2, (size_t)(close - p - 2));
		if (v && p == in && !close[1]) {
			strbuf_addstr(out, v->value);
			*type = v->type;
			return;
		}
		if (v)
			strbuf_addstr(out, v->value);
		else
			strbuf_add(out, p, (size_t)(close + 1 - p));
		p = close + 1;
	}
}

/* --- replacing ------------------------------------------------------------------------ */

struct subst_ctx {
	const struct kvar *vars;
	size_t nvars;
};

static bool is_string(const struct doc_node *n)
{
	struct doc_value v;

	return n->kind == DOC_SCALAR && !doc_resolve(n, &v) && v.type == DOC_T_STR;
}

static struct doc_node *expanded(struct kbuild *b, const struct subst_ctx *c,
				 const struct doc_node *n)
{
	struct strbuf sb = STRBUF_INIT;
	struct doc_node *out;
	enum doc_type type;

	kvar_expand(&sb, &type, n->str, c->vars, c->nvars);
	/* A string is written as a string whatever it looks like; a typed value plain. */
	out = doc_new_scalar(b->arena, sb.buf, sb.len,
			     type == DOC_T_STR ? DOC_STYLE_DOUBLE : DOC_STYLE_PLAIN);
	strbuf_release(&sb);
	return out;
}

static int subst(struct kbuild *b, struct kres *r, struct doc_node *parent, const char *key,
		 void *ctx)
{
	const struct subst_ctx *c = ctx;
	struct doc_node *n = doc_map_get(parent, key);
	char where[256];
	size_t i;

	if (!n)
		return 0;
	if (n->kind == DOC_SCALAR) {
		if (is_string(n))
			doc_map_set(b->arena, parent, key, expanded(b, c, n));
	} else if (n->kind == DOC_MAP) {
		for (i = 0; i < n->n; i++) {
			if (!is_string(n->kids[2 * i]))
				return err_set(ERR_INVALID, "%s: invalid map key in %s %s",
					       doc_where(n->kids[2 * i], where, sizeof(where)),
					       kres_kind(r), kres_name(r));
			if (is_string(n->kids[2 * i + 1]))
				n->kids[2 * i + 1] = expanded(b, c, n->kids[2 * i + 1]);
		}
	} else {
		for (i = 0; i < n->n; i++) {
			if (!is_string(n->kids[i]))
				return err_set(ERR_INVALID, "%s: invalid value type in %s %s: expect a string",
					       doc_where(n->kids[i], where, sizeof(where)),
					       kres_kind(r), kres_name(r));
			n->kids[i] = expanded(b, c, n->kids[i]);
		}
	}
	return 0;
}

int kust_resolve_vars(struct kbuild *b, struct kresmap *m)
{
	struct subst_ctx c = { b->vars, b->nvars };
	struct strbuf path = STRBUF_INIT;
	size_t i, k, s, p;
	int r = 0;

	if (!b->nvars)
		return 0;
	for (i = 0; i < b->nvars; i++)
		if ((r = var_value(&b->vars[i], m)))
			return r;
	for (i = 0; !r && i < m->n; i++) {
		struct kres *res = &m->v[i];

		for (k = 0; !r && k < ARRAY_SIZE(pod_kinds); k++)
			for (p = 0; !r && p < ARRAY_SIZE(pod_paths); p++) {
				struct kfieldspec fs = FS(NULL, NULL, pod_kinds[k].kind, NULL);

				strbuf_reset(&path);
				strbuf_addf(&path, "%s%s", pod_kinds[k].pod_spec, pod_paths[p]);
				fs.path = path.buf;
				r = kfs_walk(b, res, &fs, subst, &c);
			}
		for (s = 0; !r && s < ARRAY_SIZE(var_ref_specs); s++)
			r = kfs_walk(b, res, &var_ref_specs[s], subst, &c);
		for (s = 0; !r && s < b->config.nspecs[KCFG_VAR_REF]; s++)
			r = kfs_walk(b, res, &b->config.specs[KCFG_VAR_REF][s], subst, &c);
	}
	strbuf_release(&path);
	return r;
}
