/*
 * helm-manifest.c - from rendered templates to what `helm template`
 * prints (pkg/releaseutil and cmd/helm/template.go): every template's
 * output split into documents, each document's head read (kind, name,
 * the helm.sh/hook annotation), plain manifests and hooks each sorted
 * stably by Helm's install order of kinds, CRDs first with
 * --include-crds, hooks last, "---\n# Source: PATH\n" before each, and
 * --show-only picking documents by their source path.
 */
#include "core/compat.h"
#include "render/helm/helm.h"
#include "render/helm/chart.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <strings.h>

static const char *const install_order[] = {
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
};

static const char *const hook_events[][2] = {
	{ "pre-install", "pre-install" },   { "post-install", "post-install" },
	{ "pre-delete", "pre-delete" },     { "post-delete", "post-delete" },
	{ "pre-upgrade", "pre-upgrade" },   { "post-upgrade", "post-upgrade" },
	{ "pre-rollback", "pre-rollback" }, { "post-rollback", "post-rollback" },
	{ "test", "test" },                 { "test-success", "test" },
};

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

int helm_split_docs(const char *s, size_t n, struct helm_doc_span **out, size_t *nout)
{
	struct helm_doc_span *v = NULL;
	size_t nv = 0, cap = 0, pos = 0, start;

	trim(&s, &n);
	/* releaseutil's separator: (?:^|\s*\n)---\s* */
	start = 0;
	if (n >= 3 && !memcmp(s, "---", 3)) {
		pos = 3;
		while (pos < n && is_space(s[pos]))
			pos++;
		ALLOC_GROW(v, nv + 1, cap);
		v[nv].s = s;
		v[nv++].len = 0;
		start = pos;
	}
	for (;;) {
		const char *hit = NULL;
		size_t j = pos, mstart, mend;

		while (j + 4 <= n) {
			const char *nl = memchr(s + j, '\n', n - j);
			if (!nl)
				break;
			j = (size_t)(nl - s);
			if (j + 4 <= n && !memcmp(s + j + 1, "---", 3)) {
				hit = nl;
				break;
			}
			j++;
		}
		if (!hit)
			break;
		mstart = j;
		while (mstart > start && is_space(s[mstart - 1]))
			mstart--;
		mend = j + 4;
		while (mend < n && is_space(s[mend]))
			mend++;
		ALLOC_GROW(v, nv + 1, cap);
		v[nv].s = s + start;
		v[nv++].len = mstart - start;
		start = pos = mend;
	}
	ALLOC_GROW(v, nv + 1, cap);
	v[nv].s = s + start;
	v[nv++].len = n - start;
	/* Empty pieces are dropped; the rest are trimmed. */
	{
		size_t i, k = 0;

		for (i = 0; i < nv; i++) {
			if (!v[i].len)
				continue;
			trim(&v[i].s, &v[i].len);
			v[k++] = v[i];
		}
		nv = k;
	}
	*out = v;
	*nout = nv;
	return 0;
}

struct manifest {
	const char *path;
	const char *s;
	size_t len;
	const char *kind;
	bool hook, test;
};

static int kind_rank(const char *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(install_order); i++)
		if (!strcmp(k, install_order[i]))
			return (int)i;
	return -1;
}

/* Helm's lessByKind: known kinds in install order, then unknown kinds by name. */
static bool less_by_kind(const char *a, const char *b)
{
	int ia = kind_rank(a), ib = kind_rank(b);

	if (ia < 0 && ib < 0)
		return strcmp(a, b) < 0;
	if (ia < 0)
		return false;
	if (ib < 0)
		return true;
	return ia < ib;
}

static void stable_sort(struct manifest *m, size_t n)
{
	size_t i, j;

	/* Insertion sort is stable; manifests are few and often nearly sorted. */
	for (i = 1; i < n; i++) {
		struct manifest x = m[i];

		for (j = i; j > 0 && less_by_kind(x.kind, m[j - 1].kind); j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

static const char *json_kind(const struct hv *v)
{
	switch (v->kind) {
	case HV_BOOL:
		return "bool";
	case HV_INT:
	case HV_UINT:
	case HV_FLOAT:
		return "number";
	case HV_LIST:
		return "array";
	case HV_MAP:
		return "object";
	default:
		return "string";
	}
}

static int head_error(const char *path, const struct hv *v, const char *field, const char *type)
{
	if (!field)
		return err_set(ERR_INVALID,
			       "YAML parse error on %s: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of type releaseutil.SimpleHead",
			       path, json_kind(v));
	return err_set(ERR_INVALID,
		       "YAML parse error on %s: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go struct field %s of type %s",
		       path, json_kind(v), field, type);
}

/*
 * Reads a document's head as releaseutil.SimpleHead: apiVersion, kind,
 * metadata.name and metadata.annotations, with encoding/json's type errors.
 */
static int read_head(struct helm_ctx *c, const char *path, const char *s, size_t len,
		     const char **kind, const char **hook)
{
	struct hv *doc, *v, *md, *ann;
	int r;

	*kind = "";
	*hook = NULL;
	r = helm_yaml_parse(c, &doc, s, len, HELM_INTO_ANY);
	if (r)
		return r == ERR_TOOBIG ? r : err_prefix(r, "YAML parse error on %s", path);
	if (doc->kind == HV_NIL)
		return 0;
	if (doc->kind != HV_MAP)
		return head_error(path, doc, NULL, NULL);
	if ((v = hv_map_get(doc, "apiVersion", 10)) && v->kind != HV_NIL &&
	    !helm_yaml_string_target(c, v))
		return head_error(path, v, "SimpleHead.apiVersion", "string");
	if ((v = hv_map_get(doc, "kind", 4)) && v->kind != HV_NIL) {
		if (!(*kind = helm_yaml_string_target(c, v)))
			return head_error(path, v, "SimpleHead.kind", "string");
	}
	md = hv_map_get(doc, "metadata", 8);
	if (!md || md->kind == HV_NIL)
		return 0;
	if (md->kind != HV_MAP)
		return head_error(path, md, "SimpleHead.metadata", "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }");
	if ((v = hv_map_get(md, "name", 4)) && v->kind != HV_NIL && !helm_yaml_string_target(c, v))
		return head_error(path, v, ".metadata.name", "string");
	ann = hv_map_get(md, "annotations", 11);
	if (!ann || ann->kind == HV_NIL)
		return 0;
	if (ann->kind != HV_MAP)
		return head_error(path, ann, ".metadata.annotations", "map[string]string");
	{
		const char **keys;
		size_t *lens, n, i;

		if (hv_map_keys(c, ann, &keys, &lens, &n))
			return ERR_TOOBIG;
		for (i = 0; i < n; i++) {
			v = hv_map_get(ann, keys[i], lens[i]);
			if (v->kind != HV_NIL && !helm_yaml_string_target(c, v))
				return head_error(path, v, ".metadata.annotations", "string");
		}
	}
	v = hv_map_get(ann, "helm.sh/hook", 12);
	if (v)
		*hook = v->kind == HV_NIL ? "" : helm_yaml_string_target(c, v);
	return 0;
}

/* Splits the hook annotation; false for an unknown event (the manifest is skipped). */
static bool hook_events_parse(const char *h, bool *test)
{
	*test = false;
	for (;;) {
		const char *comma = strchr(h, ',');
		size_t l = comma ? (size_t)(comma - h) : strlen(h), i;
		const char *e = h;
		bool known = false;

		while (l && is_space(*e)) {
			e++;
			l--;
		}
		while (l && is_space(e[l - 1]))
			l--;
		for (i = 0; i < ARRAY_SIZE(hook_events); i++)
			if (strlen(hook_events[i][0]) == l && !strncasecmp(e, hook_events[i][0], l)) {
				known = true;
				if (!strcmp(hook_events[i][1], "test"))
					*test = true;
			}
		if (!known)
			return false;
		if (!comma)
			return true;
		h = comma + 1;
	}
}

static int add_source(struct strbuf *out, const char *path, const char *s, size_t len)
{
	strbuf_addf(out, "---\n# Source: %s\n", path);
	strbuf_add(out, s, len);
	return strbuf_addch(out, '\n');
}

static void crd_objects(const struct chart *ch, struct strbuf *out)
{
	struct strbuf full = STRBUF_INIT;
	size_t i;

	chart_full_path(ch, &full);
	for (i = 0; i < ch->nfiles; i++) {
		const struct chart_file *f = &ch->files[i];
		const char *dot = strrchr(f->name, '.');

		if (strncmp(f->name, "crds/", 5) || !dot ||
		    (strcmp(dot, ".yaml") && strcmp(dot, ".yml") && strcmp(dot, ".json")))
			continue;
		strbuf_addf(out, "---\n# Source: %s/%s\n", full.buf, f->name);
		strbuf_add(out, f->data, f->len);
		strbuf_addch(out, '\n');
	}
	strbuf_release(&full);
	for (i = 0; i < ch->ndeps; i++)
		crd_objects(ch->deps[i], out);
}

static int cmp_rendered(const void *a, const void *b)
{
	const struct helm_rendered *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int helm_manifests(struct helm_ctx *c, struct strbuf *out, const struct chart *ch,
		   struct helm_rendered *files, size_t nfiles, const struct helm_opts *o)
{
	struct manifest *gen = NULL, *hooks = NULL;
	size_t ngen = 0, agen = 0, nhooks = 0, ahooks = 0, i, j;
	struct strbuf all = STRBUF_INIT;
	const char *s;
	size_t len;
	int r = 0;

	if (nfiles)
		qsort(files, nfiles, sizeof(*files), cmp_rendered);
	for (i = 0; i < nfiles; i++) {
		const char *base = strrchr(files[i].name, '/');
		struct helm_doc_span *docs = NULL;
		size_t ndocs = 0;

		base = base ? base + 1 : files[i].name;
		s = files[i].data;
		len = files[i].len;
		trim(&s, &len);
		if (base[0] == '_' || !len)
			continue;
		helm_split_docs(files[i].data, files[i].len, &docs, &ndocs);
		for (j = 0; j < ndocs; j++) {
			const char *kind, *hook;
			struct manifest m;

			r = read_head(c, files[i].name, docs[j].s, docs[j].len, &kind, &hook);
			if (r) {
				free(docs);
				goto out;
			}
			m.path = files[i].name;
			m.s = docs[j].s;
			m.len = docs[j].len;
			m.kind = kind;
			m.hook = hook != NULL;
			m.test = false;
			if (!hook) {
				ALLOC_GROW(gen, ngen + 1, agen);
				gen[ngen++] = m;
				continue;
			}
			if (!hook_events_parse(hook, &m.test))
				continue; /* Helm logs "info: skipping unknown hook" and drops it. */
			ALLOC_GROW(hooks, nhooks + 1, ahooks);
			hooks[nhooks++] = m;
		}
		free(docs);
	}
	stable_sort(gen, ngen);
	stable_sort(hooks, nhooks);
	/*
	 * Written straight into the output (the charts' CRDs alone can be
	 * megabytes): the manifests, trimmed as strings.TrimSpace does and
	 * ended by a newline, then the hooks.  --show-only picks from a copy.
	 */
	{
		struct strbuf *dst = o->nshow_only ? &all : out;
		size_t start = dst->len, total = 0;

		for (i = 0; i < ngen; i++)
			total += gen[i].len + strlen(gen[i].path) + 16;
		for (i = 0; i < nhooks; i++)
			total += hooks[i].len + strlen(hooks[i].path) + 16;
		strbuf_grow(dst, total);
		if (o->include_crds)
			crd_objects(ch, dst);
		for (i = 0; i < ngen; i++)
			add_source(dst, gen[i].path, gen[i].s, gen[i].len);
		while (dst->len > start && is_space(dst->buf[dst->len - 1]))
			dst->len--;
		strbuf_setlen(dst, dst->len);
		strbuf_addch(dst, '\n');
		if (!o->no_hooks)
			for (i = 0; i < nhooks; i++) {
				if (o->skip_tests && hooks[i].test)
					continue;
				add_source(dst, hooks[i].path, hooks[i].s, hooks[i].len);
			}
	}
	if (!o->nshow_only)
		goto out;
	{
		struct helm_doc_span *docs = NULL;
		size_t ndocs = 0;

		helm_split_docs(all.buf, all.len, &docs, &ndocs);
		for (i = 0; i < o->nshow_only && !r; i++) {
			bool missing = true;

			for (j = 0; j < ndocs; j++) {
				/* "# Source: [^/]+/(.+)": the path after the chart's name. */
				const char *p = memmem(docs[j].s, docs[j].len, "# Source: ", 10);
				const char *end = docs[j].s + docs[j].len, *q, *eol;
				char *name;
				int m;

				if (!p)
					continue;
				p += 10;
				eol = memchr(p, '\n', (size_t)(end - p));
				if (!eol)
					eol = end;
				q = memchr(p, '/', (size_t)(eol - p));
				if (!q || q == p || q + 1 >= eol)
					continue;
				name = xstrndup(q + 1, (size_t)(eol - q - 1));
				m = go_path_match(o->show_only[i], name);
				free(name);
				if (m != 1)
					continue;
				strbuf_addstr(out, "---\n");
				strbuf_add(out, docs[j].s, docs[j].len);
				strbuf_addch(out, '\n');
				missing = false;
			}
			if (missing)
				r = err_set(ERR_INVALID, "could not find template %s in chart",
					    o->show_only[i]);
		}
		free(docs);
	}
out:
	free(gen);
	free(hooks);
	strbuf_release(&all);
	return r;
}
