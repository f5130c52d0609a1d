/*
 * render.c - engine detection and dispatch.
 */
#include "core/compat.h"
#include "render/render.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

static const char *const engine_names[] = { "auto", "plain", "kustomize", "helm" };

const char *render_engine_name(enum render_engine e)
{
	return (size_t)e < ARRAY_SIZE(engine_names) ? engine_names[e] : "unknown";
}

int render_engine_parse(const char *name, enum render_engine *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(engine_names); i++)
		if (!strcmp(name, engine_names[i])) {
			*out = (enum render_engine)i;
			return 0;
		}
	return err_set(ERR_INVALID, "unknown render engine '%s' (auto, plain, kustomize, helm)",
		       name);
}

static int has_file(struct src_tree *t, const char *dir, const char *name, bool *out)
{
	struct strbuf p = STRBUF_INIT;
	enum src_type ty;
	int r = src_path_join(&p, dir, name);

	*out = false;
	if (!r)
		r = src_tree_stat(t, p.buf, &ty);
	if (!r)
		*out = ty == SRC_FILE;
	strbuf_release(&p);
	return r;
}

int render_detect(struct src_tree *t, const char *path, enum render_engine *out)
{
	static const char *const kust[] = { "kustomization.yaml", "kustomization.yml",
					    "Kustomization" };
	enum src_type ty;
	char where[512];
	bool found;
	size_t i;
	int r;

	r = src_tree_stat(t, path, &ty);
	if (r)
		return r;
	if (ty != SRC_DIR)
		return err_set(ERR_NOTFOUND, "%s: no such directory",
			       src_tree_where(t, path, where, sizeof(where)));
	if ((r = has_file(t, path, "Chart.yaml", &found)))
		return r;
	if (found) {
		*out = RENDER_HELM;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(kust); i++) {
		if ((r = has_file(t, path, kust[i], &found)))
			return r;
		if (found) {
			*out = RENDER_KUSTOMIZE;
			return 0;
		}
	}
	*out = RENDER_PLAIN;
	return 0;
}

int render_app(struct objset *out, struct render_result *res, struct src_tree *t,
	       const char *path, const struct render_opts *opts)
{
	struct render_opts o = *opts;
	int r;

	memset(res, 0, sizeof(*res));
	if (!o.max_total)
		o.max_total = 512u << 20;
	/* A chart from a repository is Helm's, whatever the app folder holds. */
	if (o.engine == RENDER_AUTO && (o.chart_name || o.chart_repo))
		o.engine = RENDER_HELM;
	if (o.engine == RENDER_AUTO) {
		r = render_detect(t, path, &o.engine);
		if (r)
			return r;
	}
	res->engine = o.engine;
	switch (o.engine) {
	case RENDER_PLAIN:
		r = render_plain(out, res, t, path, &o);
		break;
	case RENDER_KUSTOMIZE:
		r = render_kustomize(out, res, t, path, &o);
		break;
	case RENDER_HELM:
		r = render_helm(out, res, t, path, &o);
		break;
	default:
		return err_set(ERR_INVALID, "no render engine selected");
	}
	if (r)
		return r;
	r = objset_check_duplicates(out);
	if (r)
		return r;
	if (!res->keep_order)
		objset_sort_legacy(out);
	return 0;
}
