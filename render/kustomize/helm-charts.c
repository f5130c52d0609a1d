/*
 * helm-charts.c - a kustomization's `helmCharts:` with local charts,
 * inflated by hoist's Helm engine as `kustomize build --enable-helm` has
 * helm inflate them (kustomize's HelmChartInflationGenerator), after the
 * ConfigMap and Secret generators.
 *
 * Per entry: the chart is `<helmGlobals.chartHome or "charts">/<name>`
 * below the kustomization; its values are `valuesFile` (default: the
 * chart's values.yaml) merged with `valuesInline` as `valuesMerge` says
 * (override, the default: inline wins; merge: the file wins; replace:
 * inline only), the file read as kyaml reads it (YAML 1.2: `yes` stays a
 * string), the inline values as the kustomization is read (YAML 1.1), and
 * handed to Helm as a values file; `additionalValuesFiles`
 * follow.  `releaseName` (default: a generated `<name>-<time>`, the commit
 * time when rendering for an artifact), `namespace`, `nameTemplate`,
 * `includeCRDs`, `skipTests`, `skipHooks`, `apiVersions` and
 * `kubeVersion` are the `helm template` flags of the same meaning.
 * A chart that is not there is pulled from `repo:` (a Helm chart
 * repository's index.yaml, at `version:`; none is the latest, a floating
 * input) through the remote layer (docs/remote.md), as kustomize has helm
 * pull it; without a repository, or without remote sources, it is an error.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "render/helm/chart.h"
#include "render/helm/chart-repo.h"
#include "render/helm/helm.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "render/render.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <time.h>

static const char *str_field(const struct doc_node *e, const char *key)
{
	const struct doc_node *v = doc_map_get(e, key);

	return v && v->kind == DOC_SCALAR ? v->str : NULL;
}

static bool bool_field(const struct doc_node *e, const char *key)
{
	struct doc_value dv;
	const struct doc_node *v = doc_map_get(e, key);

	return v && v->kind == DOC_SCALAR && !doc_resolve(v, &dv) && dv.type == DOC_T_BOOL && dv.b;
}

/*
 * A YAML node as kustomize hands it to helm: read with YAML 1.2 rules,
 * written to a values file and read back by Helm, so numbers are float64
 * and everything else keeps its 1.2 type.
 */
static struct hv *to_value(struct helm_ctx *c, const struct doc_node *n, unsigned depth)
{
	struct doc_value dv;
	struct hv *v;
	size_t i;

	if (depth > 200)
		return NULL;
	if (n->kind == DOC_SEQ) {
		v = hv_list_new(c, HV_T_LIST, n->n);
		for (i = 0; v && i < n->n; i++) {
			struct hv *it = to_value(c, n->kids[i], depth + 1);
			if (!it || hv_list_push(c, v, it))
				return NULL;
		}
		return v;
	}
	if (n->kind == DOC_MAP) {
		struct doc_node **pairs;
		size_t np;
		bool owned;

		if (doc_map_pairs(n, &pairs, &np, &owned))
			return NULL;
		v = hv_map_new(c, HV_T_MAP);
		for (i = 0; v && i < np; i++) {
			const struct doc_node *k = pairs[2 * i];
			struct hv *it = to_value(c, pairs[2 * i + 1], depth + 1);

			if (!it || k->kind != DOC_SCALAR || hv_map_set(c, v, k->str, k->len, it))
				v = NULL;
		}
		if (owned)
			free(pairs);
		return v;
	}
	if (doc_resolve(n, &dv))
		return hv_str(c, n->str, n->len);
	switch (dv.type) {
	case DOC_T_NULL:
		return hv_nil();
	case DOC_T_BOOL:
		return hv_bool(dv.b);
	case DOC_T_INT:
		return hv_float(c, (double)dv.i);
	case DOC_T_UINT:
		return hv_float(c, (double)dv.u);
	case DOC_T_FLOAT:
		return hv_float(c, dv.f);
	default:
		return hv_str(c, n->str, n->len);
	}
}

struct kreader {
	struct src_tree *t;
	const char *dir;
};

static int read_rel(void *arg, const char *path, struct strbuf *out)
{
	struct kreader *kr = arg;
	struct strbuf p = STRBUF_INIT;
	int r = src_path_join(&p, kr->dir, path);

	if (!r)
		r = src_tree_read(kr->t, p.buf, out, doc_limits_default.max_bytes);
	strbuf_release(&p);
	return r;
}

/* valuesFile merged with valuesInline, as one map of values. */
/*
 * Pulls chart `name` from the entry's `repo:` into a tree of its own, the
 * chart's files under "chart/".
 */
static int pull_chart(struct kbuild *b, struct helm_ctx *c, const struct doc_node *e,
		      const char *name, struct src_tree **out)
{
	const char *repo = str_field(e, "repo"), *version = str_field(e, "version");
	struct strbuf tgz = STRBUF_INIT, p = STRBUF_INIT;
	struct chart_file *files = NULL;
	size_t n = 0, i;
	char where[256];
	int r;

	*out = NULL;
	doc_where(e, where, sizeof(where));
	r = helm_repo_chart(&tgz, b->opts->remote, repo, name,
			    version && *version ? version : "*", where);
	if (!r)
		r = chart_archive_files(c, &files, &n, tgz.buf, tgz.len, repo);
	if (!r)
		r = src_tree_open_mem(out, repo);
	for (i = 0; !r && i < n; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "chart/%s", files[i].name);
		r = src_tree_mem_add(*out, p.buf, files[i].data, files[i].len);
	}
	strbuf_release(&tgz);
	strbuf_release(&p);
	return r;
}

static int chart_values(struct kbuild *b, struct helm_ctx *c, const char *dir,
			const char *chart, const struct doc_node *e, struct hv **out,
			struct src_tree *ct)
{
	const char *file = str_field(e, "valuesFile"), *merge = str_field(e, "valuesMerge");
	const struct doc_node *inl = doc_map_get(e, "valuesInline");
	struct hv *fv = NULL, *iv = NULL;
	struct strbuf p = STRBUF_INIT, data = STRBUF_INIT;
	struct doc_stream *s = NULL;
	enum src_type ty = SRC_NONE;
	int r = 0;

	if (!merge || !*merge)
		merge = "override";
	if (strcmp(merge, "override") && strcmp(merge, "merge") && strcmp(merge, "replace"))
		return err_set(ERR_INVALID, "%s: valuesMerge must be override, merge or replace, not '%s'",
			       *dir ? dir : ".", merge);
	if (file)
		r = src_path_join(&p, dir, file);
	else
		r = src_path_join(&p, chart, "values.yaml");
	/* valuesFile is the kustomization's; the default is the chart's own (maybe pulled). */
	if (file || !ct)
		ct = b->tree;
	if (!r)
		r = src_tree_stat(ct, p.buf, &ty);
	if (!r && ty == SRC_FILE && strcmp(merge, "replace")) {
		r = src_tree_read(ct, p.buf, &data, doc_limits_default.max_bytes);
		if (!r)
			r = doc_parse(&s, data.buf, data.len, p.buf, NULL);
		if (!r && s->ndocs && s->docs[0]->kind == DOC_MAP)
			fv = to_value(c, s->docs[0], 0);
		/*
		 * kustomize parses the values file to merge valuesInline into it,
		 * and a file with no document fails there ("could not parse
		 * values file into rnode: EOF").
		 */
		if (!r && !s->ndocs && inl && inl->kind == DOC_MAP && inl->n)
			r = err_set(ERR_INVALID,
				    "%s: could not parse values file into rnode: EOF (it has no document to merge valuesInline into)",
				    p.buf);
	} else if (!r && ty != SRC_FILE) {
		/* kustomize resolves the values file (default or not) before anything else. */
		r = err_set(ERR_NOTFOUND, file ? "%s: valuesFile not found" :
			    "%s: not found: kustomize needs the chart's values.yaml (or a valuesFile)",
			    p.buf);
	}
	/* The kustomization itself is decoded by sigs.k8s.io/yaml: YAML 1.1 (`yes` is true). */
	if (!r && inl && inl->kind == DOC_MAP)
		r = helm_yaml_from_doc(c, &iv, inl);
	if (!r) {
		if (!fv)
			fv = hv_map_new(c, HV_T_MAP);
		if (!iv)
			iv = hv_map_new(c, HV_T_MAP);
		if (!strcmp(merge, "replace"))
			*out = iv;
		else if (!strcmp(merge, "merge"))
			*out = helm_merge_maps(c, iv, fv);
		else
			*out = helm_merge_maps(c, fv, iv);
		if (!*out)
			r = ERR_TOOBIG;
	}
	doc_stream_free(s);
	strbuf_release(&p);
	strbuf_release(&data);
	return r;
}

static int inflate(struct kbuild *b, struct kresmap *m, const char *dir, const char *home,
		   const struct doc_node *e)
{
	const char *name = str_field(e, "name"), *rel = str_field(e, "releaseName");
	const struct doc_node *addl = doc_map_get(e, "additionalValuesFiles");
	const struct doc_node *apis = doc_map_get(e, "apiVersions");
	const struct render_opts *ro = b->opts;
	struct src_tree *pulled = NULL;
	struct helm_ctx c;
	struct helm_opts o;
	struct kreader kr = { b->tree, dir };
	struct strbuf chart = STRBUF_INIT, out = STRBUF_INIT, gen = STRBUF_INIT;
	struct doc_stream *s = NULL;
	struct hv *vals = NULL;
	const char **files = NULL, **av = NULL;
	enum src_type ty = SRC_NONE;
	char where[256];
	size_t i, nfiles = 0, nav = 0;
	bool hint;
	int r;

	if (!name || !*name)
		return err_set(ERR_INVALID, "%s: a helmCharts entry needs a name",
			       doc_where(e, where, sizeof(where)));
	memset(&c, 0, sizeof(c));
	c.arena = arena_new();
	memset(&o, 0, sizeof(o));
	strbuf_addf(&gen, "%s/%s", home, name);
	r = src_path_join(&chart, dir, gen.buf);
	strbuf_reset(&gen);
	if (!r)
		r = src_tree_stat(b->tree, chart.buf, &ty);
	if (!r && ty != SRC_DIR && str_field(e, "repo") && ro && ro->remote) {
		r = pull_chart(b, &c, e, name, &pulled);
		strbuf_reset(&chart);
		strbuf_addstr(&chart, "chart");
		ty = SRC_DIR;
	}
	if (!r && ty != SRC_DIR)
		r = err_set(ERR_NOTFOUND,
			    "%s: helmCharts: no chart '%s' at %s (and no repo: to pull it from%s)",
			    doc_where(e, where, sizeof(where)), name, chart.buf,
			    str_field(e, "repo") ? ", or remote sources are not available here" : "");
	if (!r)
		r = chart_values(b, &c, dir, chart.buf, e, &vals, pulled);
	if (r)
		goto out;
	if (!rel || !*rel) {
		/* helm template --generate-name: the chart's name and the time. */
		long long now = ro && ro->reproducible ? (long long)ro->now_sec : (long long)time(NULL);
		strbuf_addf(&gen, "%s-%lld", name, now);
		rel = gen.buf;
	}
	o.release_name = rel;
	o.namespace = str_field(e, "namespace");
	o.kube_version = str_field(e, "kubeVersion");
	o.include_crds = bool_field(e, "includeCRDs");
	o.skip_tests = bool_field(e, "skipTests");
	o.no_hooks = bool_field(e, "skipHooks");
	if (addl && addl->kind == DOC_SEQ) {
		files = xcalloc(addl->n + 1, sizeof(*files));
		for (i = 0; i < addl->n; i++)
			if (addl->kids[i]->kind == DOC_SCALAR)
				files[nfiles++] = addl->kids[i]->str;
	}
	if (apis && apis->kind == DOC_SEQ) {
		av = xcalloc(apis->n + 1, sizeof(*av));
		for (i = 0; i < apis->n; i++)
			if (apis->kids[i]->kind == DOC_SCALAR)
				av[nav++] = apis->kids[i]->str;
	}
	o.api_versions = av;
	o.napi_versions = nav;
	o.values.maps = &vals;
	o.values.nmaps = 1;
	o.values.files = files;
	o.values.nfiles = nfiles;
	o.values.read = read_rel;
	o.values.read_arg = &kr;
	if (ro) {
		o.reproducible = ro->reproducible;
		o.now_sec = ro->now_sec;
		o.secret = ro->secret;
		o.secret_len = ro->secret_len;
	}
	o.remote = ro ? ro->remote : NULL;
	r = helm_render(&out, pulled ? pulled : b->tree, chart.buf, &o, &hint);
	if (r) {
		err_prefix(r, "%s: helmCharts %s", *dir ? dir : ".", name);
		goto out;
	}
	r = doc_parse(&s, out.buf, out.len, chart.buf, NULL);
	for (i = 0; !r && i < s->ndocs; i++) {
		struct doc_node *d = s->docs[i];

		if (d->kind != DOC_MAP || !doc_get_str(d, "kind", NULL) ||
		    !doc_get_str(d, "metadata", "name", NULL)) {
			r = err_set(ERR_INVALID, "%s: helmCharts %s rendered a document that is not an object",
				    doc_where(d, where, sizeof(where)), name);
			break;
		}
		kresmap_add(m, doc_clone(b->arena, d), chart.buf);
	}
out:
	doc_stream_free(s);
	free(files);
	free(av);
	strbuf_release(&chart);
	strbuf_release(&out);
	strbuf_release(&gen);
	src_tree_free(pulled);
	chart_mem_release(c.chart);
	arena_free(c.arena);
	return r;
}

int kust_helm_charts(struct kbuild *b, struct kresmap *m, const char *dir,
		     const struct doc_node *charts, const struct doc_node *globals)
{
	const char *home = globals ? str_field(globals, "chartHome") : NULL;
	char where[256];
	size_t i;
	int r;

	if (!charts)
		return 0;
	if (charts->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: helmCharts must be a list",
			       doc_where(charts, where, sizeof(where)));
	for (i = 0; i < charts->n; i++) {
		const struct doc_node *e = charts->kids[i];
		const char *h = str_field(e, "chartHome");

		if (e->kind != DOC_MAP)
			return err_set(ERR_INVALID, "%s: a helmCharts entry must be a mapping",
				       doc_where(e, where, sizeof(where)));
		r = inflate(b, m, dir, h && *h ? h : home && *home ? home : "charts", e);
		if (r)
			return r;
	}
	return 0;
}
