/*
 * helm-render.c - Helm's engine level and the install steps `helm
 * template` runs (pkg/engine, pkg/action/install.go, pkg/chartutil):
 * user values, chart loading, dependency checks and processing,
 * coalescing, schema validation, .Release/.Capabilities/.Chart/.Files/
 * .Template/.Subcharts, rendering every template of every enabled chart,
 * and Helm's rewriting of template errors.
 */
#include "core/compat.h"
#include "render/helm/helm.h"
#include "render/helm/chart.h"
#include "render/helm/tmpl.h"
#include "render/helm/value.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"

/* What Helm's required and fail wrap their message in, so errors can be cut out. */
#define ERR_START "HELM_ERR_START"
#define ERR_END "HELM_ERR_END"

struct renderable {
	const char *name; /* chart/templates/x.yaml */
	const char *text;
	size_t len;
	struct hv *dot;   /* the chart's dot map, shared by its templates */
	const char *base; /* chart/templates */
	size_t depth;     /* slashes in name */
};

struct collect {
	struct helm_ctx *c;
	struct renderable *v;
	size_t n, cap;
};

static struct hv *as_values(struct helm_ctx *c, struct hv *m)
{
	struct hv *v = hctx_alloc(c, sizeof(*v));

	if (!v)
		return NULL;
	*v = *m;
	v->type = HV_T_VALUES;
	return v;
}

static int collect(struct collect *cl, struct chart *ch, struct hv *parent, struct hv *release,
		   struct hv *caps, struct hv *values, struct hv **out)
{
	struct helm_ctx *c = cl->c;
	struct hv *next = hv_map_new(c, HV_T_MAP), *subs = hv_map_new(c, HV_T_MAP), *vals;
	struct strbuf full = STRBUF_INIT, key = STRBUF_INIT;
	size_t i, j;
	int r = 0;

	if (!next || !subs)
		return ERR_TOOBIG;
	if (!parent) {
		vals = as_values(c, values);
	} else {
		struct hv *pv = hv_map_get(parent, "Values", 6);
		struct hv *t = pv ? hv_map_get(pv, chart_name(ch), strlen(chart_name(ch))) : NULL;

		vals = t && t->kind == HV_MAP ? as_values(c, t) : hv_map_new(c, HV_T_VALUES);
	}
	if (!vals || hv_map_set(c, next, "Chart", 5, chart_meta_value(c, ch)) ||
	    hv_map_set(c, next, "Files", 5, helm_files_value(c, ch)) ||
	    hv_map_set(c, next, "Release", 7, release) ||
	    hv_map_set(c, next, "Capabilities", 12, caps) ||
	    hv_map_set(c, next, "Values", 6, vals) || hv_map_set(c, next, "Subcharts", 9, subs))
		return ERR_TOOBIG;
	for (i = 0; i < ch->ndeps; i++) {
		struct hv *sub;

		r = collect(cl, ch->deps[i], next, release, caps, values, &sub);
		if (r)
			return r;
		if (hv_map_set(c, subs, chart_name(ch->deps[i]), strlen(chart_name(ch->deps[i])),
			       sub))
			return ERR_TOOBIG;
	}
	chart_full_path(ch, &full);
	for (i = 0; i < ch->ntemplates && !r; i++) {
		const struct chart_file *t = &ch->templates[i];
		const char *base = strrchr(t->name, '/');
		struct renderable *rd = NULL;

		base = base ? base + 1 : t->name;
		if (chart_is_library(ch) && base[0] != '_')
			continue;
		strbuf_reset(&key);
		strbuf_addf(&key, "%s/%s", full.buf, t->name);
		for (j = 0; j < cl->n; j++)
			if (!strcmp(cl->v[j].name, key.buf))
				rd = &cl->v[j];
		if (!rd) {
			ALLOC_GROW(cl->v, cl->n + 1, cl->cap);
			rd = &cl->v[cl->n++];
		}
		rd->name = hctx_strndup(c, key.buf, key.len);
		rd->base = hctx_alloc(c, full.len + 11);
		if (!rd->name || !rd->base) {
			r = ERR_TOOBIG;
			break;
		}
		xsnprintf((char *)rd->base, full.len + 11, "%s/templates", full.buf);
		rd->text = t->data;
		rd->len = t->len;
		rd->dot = next;
		rd->depth = 0;
		for (j = 0; j < key.len; j++)
			rd->depth += key.buf[j] == '/';
	}
	strbuf_release(&full);
	strbuf_release(&key);
	*out = next;
	return r;
}

/* Deeper paths first, then reverse lexical order: parent charts' defines parse last and win. */
static int cmp_renderable(const void *a, const void *b)
{
	const struct renderable *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* cleanupParseError: "parse error at (NAME:LINE): MSG". */
static int parse_error(const char *name, int code)
{
	char *msg = xstrdup(err_msg());
	const char *first = strstr(msg, ": "), *last = NULL, *p;
	int r;

	if (code == ERR_TOOBIG) {
		free(msg);
		return code;
	}
	if (!first) {
		r = err_set(ERR_INVALID, "parse error in (%s): %s", name, msg);
		free(msg);
		return r;
	}
	for (p = msg; (p = strstr(p, ": ")); p += 2)
		last = p;
	{
		const char *tok1 = first + 2, *end1 = strstr(tok1, ": ");
		size_t l1 = end1 ? (size_t)(end1 - tok1) : strlen(tok1);

		r = err_set(ERR_INVALID, "parse error at (%.*s): %s", (int)l1, tok1, last + 2);
	}
	free(msg);
	return r;
}

/* cleanupExecError: required/fail messages cut out of Go's execution error. */
static int exec_error(const char *name, int code)
{
	char *msg;
	const char *t1, *t2, *s, *e;
	int r;

	if (code == ERR_TOOBIG)
		return code;
	msg = xstrdup(err_msg());
	t1 = strstr(msg, ": ");
	t2 = t1 ? strstr(t1 + 2, ": ") : NULL;
	if (!t2) {
		r = err_set(ERR_INVALID, "execution error in (%s): %s", name, msg);
		free(msg);
		return r;
	}
	s = strstr(t2 + 2, ERR_START);
	e = NULL;
	if (s) {
		const char *p;

		/* (?s).* is greedy: the last end marker. */
		for (p = s; (p = strstr(p, ERR_END)); p++)
			e = p;
	}
	if (s && e && e >= s + strlen(ERR_START)) {
		const char *in = s + strlen(ERR_START);

		r = err_set(ERR_INVALID, "execution error at (%.*s): %.*s", (int)(t2 - t1 - 2),
			    t1 + 2, (int)(e - in), in);
	} else {
		r = code;
	}
	free(msg);
	return r;
}

static void drop_no_value(struct strbuf *sb)
{
	static const char nv[] = "<no value>";
	char *p = sb->buf, *w;
	const char *end = sb->buf + sb->len;

	if (!memmem(sb->buf, sb->len, nv, 10))
		return;
	w = p;
	while (p < end) {
		if ((size_t)(end - p) >= 10 && !memcmp(p, nv, 10)) {
			p += 10;
			continue;
		}
		*w++ = *p++;
	}
	strbuf_setlen(sb, (size_t)(w - sb->buf));
}

int helm_engine_render(struct helm_ctx *c, struct chart *ch, struct hv *release,
		       struct hv *caps, struct hv *values, struct helm_rendered **out,
		       size_t *nout)
{
	struct collect cl = { c, NULL, 0, 0 };
	struct tmpl_set *s = NULL;
	struct helm_rendered *res = NULL;
	struct strbuf buf = STRBUF_INIT;
	struct hv *top;
	size_t i, nres = 0;
	int r;

	r = collect(&cl, ch, NULL, release, caps, values, &top);
	if (r)
		goto out;
	if (cl.n)
		qsort(cl.v, cl.n, sizeof(*cl.v), cmp_renderable);
	s = tmpl_set_new(c, "gotpl");
	if (!s) {
		r = ERR_TOOBIG;
		goto out;
	}
	tmpl_set_missingkey(s, TMPL_MISSINGKEY_ZERO);
	if ((r = tmpl_set_add_funcs(s, tmpl_helm_engine_funcs)) ||
	    (r = tmpl_set_add_funcs(s, helm_funcs)) || (r = tmpl_set_add_funcs(s, sprig_funcs)))
		goto out;
	for (i = 0; i < cl.n; i++) {
		r = tmpl_parse(s, cl.v[i].name, cl.v[i].text, cl.v[i].len);
		if (r) {
			r = parse_error(cl.v[i].name, r);
			goto out;
		}
	}
	res = hctx_alloc(c, (cl.n + 1) * sizeof(*res));
	if (!res) {
		r = ERR_TOOBIG;
		goto out;
	}
	for (i = 0; i < cl.n; i++) {
		const char *base = strrchr(cl.v[i].name, '/');
		struct hv *tv = hv_map_new(c, HV_T_VALUES);

		base = base ? base + 1 : cl.v[i].name;
		if (base[0] == '_')
			continue;
		if (!tv || hv_map_set(c, tv, "Name", 4, hv_cstr(c, cl.v[i].name)) ||
		    hv_map_set(c, tv, "BasePath", 8, hv_cstr(c, cl.v[i].base)) ||
		    hv_map_set(c, cl.v[i].dot, "Template", 8, tv)) {
			r = ERR_TOOBIG;
			goto out;
		}
		strbuf_reset(&buf);
		r = tmpl_execute(s, cl.v[i].name, cl.v[i].dot, &buf);
		if (r) {
			r = exec_error(cl.v[i].name, r);
			goto out;
		}
		drop_no_value(&buf);
		res[nres].name = cl.v[i].name;
		res[nres].data = hctx_strndup(c, buf.buf, buf.len);
		res[nres].len = buf.len;
		if (!res[nres].data) {
			r = ERR_TOOBIG;
			goto out;
		}
		nres++;
	}
	*out = res;
	*nout = nres;
out:
	if (s)
		tmpl_set_free(s);
	free(cl.v);
	strbuf_release(&buf);
	return r;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t l = strlen(s), sl = strlen(suf);

	return l >= sl && !strcmp(s + l - sl, suf);
}

static int release_value(struct helm_ctx *c, struct hv **out, const struct helm_opts *o)
{
	struct hv *m = hv_map_new(c, HV_T_MAP);

	if (!m ||
	    hv_map_set(c, m, "Name", 4,
		       hv_cstr(c, o->release_name ? o->release_name : HELM_DEFAULT_RELEASE)) ||
	    hv_map_set(c, m, "Namespace", 9,
		       hv_cstr(c, o->namespace ? o->namespace : HELM_DEFAULT_NAMESPACE)) ||
	    hv_map_set(c, m, "IsUpgrade", 9, hv_bool(o->is_upgrade)) ||
	    hv_map_set(c, m, "IsInstall", 9, hv_bool(!o->is_upgrade)) ||
	    hv_map_set(c, m, "Revision", 8, hv_int(c, 1)) ||
	    hv_map_set(c, m, "Service", 7, hv_cstr(c, "Helm")))
		return ERR_TOOBIG;
	*out = m;
	return 0;
}

int helm_render(struct strbuf *out, struct src_tree *t, const char *path,
		const struct helm_opts *o, bool *debug_hint)
{
	struct helm_ctx ctx;
	struct chart *ch = NULL;
	struct hv *user = NULL, *caps = NULL, *vals = NULL, *release = NULL;
	struct helm_rendered *files = NULL;
	size_t nfiles = 0, i, k;
	const char *type;
	int r;

	*debug_hint = false;
	memset(&ctx, 0, sizeof(ctx));
	ctx.arena = arena_new();
	ctx.reproducible = o->reproducible;
	ctx.now_sec = o->now_sec;
	ctx.secret = o->secret;
	ctx.secret_len = o->secret_len;
	ctx.max_alloc = o->max_alloc;
	ctx.max_steps = o->max_steps;
	ctx.max_depth = o->max_depth;
	ctx.max_output = o->max_output;
	ctx.remote = o->remote;

	r = helm_values_merge(&ctx, &user, &o->values);
	if (r)
		goto out;
	r = chart_load(&ctx, &ch, t, path);
	if (r)
		goto out;
	type = ch->meta->type;
	if (type && *type && strcmp(type, "application") && strcmp(type, "library")) {
		r = err_set(ERR_INVALID, "validation: chart.metadata.type must be application or library");
		goto out;
	}
	if (chart_is_library(ch)) {
		r = err_set(ERR_INVALID, "library charts are not installable");
		goto out;
	}
	if (ch->meta->has_deps && (r = helm_check_dependencies(ch)))
		goto out;
	if ((r = helm_process_dependencies(&ctx, ch, user)))
		goto out;
	if ((r = helm_capabilities(&ctx, &caps, o->kube_version, o->api_versions,
				   o->napi_versions)))
		goto out;
	if ((r = helm_coalesce(&ctx, &vals, ch, user, false)))
		goto out;
	if (!o->skip_schema && (r = helm_schema_validate(&ctx, ch, vals)))
		goto out;
	if ((r = release_value(&ctx, &release, o)))
		goto out;
	/* From here on Helm has created the release: errors get the --debug hint. */
	if (ch->meta->kube_version && *ch->meta->kube_version) {
		struct hv *kv = NULL, *v;
		const struct hv_class *cls = caps->obj.cls;

		kv = cls->field(&ctx, caps->obj.self, "KubeVersion");
		v = kv->obj.cls->field(&ctx, kv->obj.self, "Version");
		if (!helm_semver_check(&ctx, ch->meta->kube_version, v->s)) {
			*debug_hint = true;
			r = err_set(ERR_INVALID,
				    "chart requires kubeVersion: %s which is incompatible with Kubernetes %s",
				    ch->meta->kube_version, v->s);
			goto out;
		}
	}
	r = helm_engine_render(&ctx, ch, release, caps, vals, &files, &nfiles);
	if (r) {
		*debug_hint = r != ERR_TOOBIG;
		goto out;
	}
	for (i = k = 0; i < nfiles; i++)
		if (!has_suffix(files[i].name, "NOTES.txt"))
			files[k++] = files[i];
	nfiles = k;
	r = helm_manifests(&ctx, out, ch, files, nfiles, o);
	if (r && !strstr(err_msg(), "could not find template"))
		*debug_hint = true;
out:
	chart_mem_release(ctx.chart);
	arena_free(ctx.arena);
	return r;
}
