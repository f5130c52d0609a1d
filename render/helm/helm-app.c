/*
 * helm-app.c - a chart as an app: render_helm() renders it as `helm
 * template --include-crds --skip-tests` would (test hooks are run by `helm
 * test`, never applied; other hooks are ordinary objects of the artifact)
 * and parses the output into canonical objects.  Values files come from
 * the app folder through the src_tree, so a hook renders from Git and
 * incremental publishing sees every file a render read.
 */
#include "core/compat.h"
#include "render/helm/chart-repo.h"
#include "render/render.h"
#include "render/helm/helm.h"
#include "core/config.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/src-tree.h"
#include "core/strbuf.h"

struct app_reader {
	struct src_tree *t;
	const char *dir;
};

/* Values files and --set-file paths, relative to the app folder, read through the tree. */
static int read_tree(void *arg, const char *path, struct strbuf *out)
{
	struct app_reader *ar = arg;
	struct strbuf p = STRBUF_INIT;
	int r = src_path_join(&p, ar->dir, path);

	if (!r)
		r = src_tree_read(ar->t, p.buf, out, 32u << 20);
	strbuf_release(&p);
	return r;
}

/* An in-memory tree holding the app's remote chart as "chart.tgz". */
static int remote_chart_tree(struct src_tree **out, const struct render_opts *opts,
			     struct src_tree *t, const char *path)
{
	struct strbuf tgz = STRBUF_INIT, repo = STRBUF_INIT, name = STRBUF_INIT;
	char where[512];
	int r;

	*out = NULL;
	src_tree_where(t, path, where, sizeof(where));
	if (opts->chart_name && !strncmp(opts->chart_name, "oci://", 6)) {
		/* chart: oci://HOST/REPO/NAME: the repository is all but the last segment. */
		const char *slash = strrchr(opts->chart_name, '/');

		if (opts->chart_repo || !opts->chart_version || slash - opts->chart_name < 7)
			return err_set(ERR_INVALID, "%s: an OCI chart is chart: oci://HOST/REPO/NAME with version:, and no repo:",
				       where);
		strbuf_add(&repo, opts->chart_name, (size_t)(slash - opts->chart_name));
		strbuf_addstr(&name, slash + 1);
	} else if (!opts->chart_repo || !opts->chart_name || !opts->chart_version) {
		return err_set(ERR_INVALID, "%s: a chart from a repository needs repo, chart and version",
			       where);
	} else {
		strbuf_addstr(&repo, opts->chart_repo);
		strbuf_addstr(&name, opts->chart_name);
	}
	if (!opts->remote) {
		r = err_set(ERR_INVALID, "%s: chart %s of %s: remote sources are not available here",
			    where, name.buf, repo.buf);
		goto out;
	}
	r = helm_repo_chart(&tgz, opts->remote, repo.buf, name.buf, opts->chart_version, where);
	if (!r)
		r = src_tree_open_mem(out, repo.buf);
	if (!r)
		r = src_tree_mem_add(*out, "chart.tgz", tgz.buf, tgz.len);
out:
	strbuf_release(&tgz);
	strbuf_release(&repo);
	strbuf_release(&name);
	return r;
}

int render_helm(struct objset *out, struct render_result *res, struct src_tree *t,
		const char *path, const struct render_opts *opts)
{
	struct helm_opts o;
	struct src_tree *ct = NULL;
	struct app_reader ar = { t, path };
	struct strbuf sb = STRBUF_INIT, p = STRBUF_INIT, name = STRBUF_INIT;
	const char **files = NULL;
	size_t nfiles = 0, i;
	char where[512];
	bool hint;
	int r = 0;

	memset(&o, 0, sizeof(o));
	o.release_name = opts->release_name;
	o.namespace = opts->namespace;
	o.include_crds = true;
	o.skip_tests = true;
	o.reproducible = opts->reproducible;
	o.now_sec = opts->now_sec;
	o.secret = opts->secret;
	o.secret_len = opts->secret_len;
	o.remote = opts->remote;
	files = xcalloc(opts->nvalues + 1, sizeof(*files));
	for (i = 0; i < opts->nvalues && !r; i++) {
		enum src_type ty;

		strbuf_reset(&name);
		config_expand(&name, opts->values[i], opts->env ? opts->env : "");
		strbuf_reset(&p);
		r = src_path_join(&p, path, name.buf);
		if (!r)
			r = src_tree_stat(t, p.buf, &ty);
		/* A missing values file is skipped: values-${env}.yaml for some environments only. */
		if (!r && ty == SRC_FILE)
			files[nfiles++] = xstrdup(name.buf);
	}
	if (r)
		goto out;
	o.values.files = files;
	o.values.nfiles = nfiles;
	o.values.sets = (const char **)opts->sets;
	o.values.nsets = opts->nsets;
	o.values.read = read_tree;
	o.values.read_arg = &ar;
	if (opts->chart_name || opts->chart_repo) {
		/* The chart from its repository, into a tree of its own; values stay the app's. */
		r = remote_chart_tree(&ct, opts, t, path);
		if (r)
			goto out;
		r = helm_render(&sb, ct, "chart.tgz", &o, &hint);
	} else {
		r = helm_render(&sb, t, path, &o, &hint);
	}
	if (r) {
		err_prefix(r, "%s", src_tree_where(t, path, where, sizeof(where)));
		goto out;
	}
	res->keep_order = true; /* Helm's install order is the output order */
	r = objset_add_yaml(out, sb.buf, sb.len, src_tree_where(t, path, where, sizeof(where)));
out:
	src_tree_free(ct);
	for (i = 0; i < nfiles; i++)
		free((char *)files[i]);
	free(files);
	strbuf_release(&sb);
	strbuf_release(&p);
	strbuf_release(&name);
	return r;
}

void render_opts_for_app(struct render_opts *o, const struct config_app *app)
{
	o->release_name = app->release_name ? app->release_name : app->name;
	o->namespace = app->namespace;
	o->values = app->values.v;
	o->nvalues = app->values.n;
	o->sets = app->set.v;
	o->nsets = app->set.n;
	o->chart_repo = app->repo;
	o->chart_name = app->chart;
	o->chart_version = app->version;
}

int render_secret_load(struct strbuf *out, const struct config *cfg)
{
	const char *env = getenv("HOIST_RENDER_SECRET");
	int r;

	strbuf_reset(out);
	if (env && *env)
		return strbuf_addstr(out, env);
	if (!cfg || !cfg->render_secret_file)
		return 0;
	r = strbuf_read_file(out, cfg->render_secret_file, 1u << 20);
	if (r)
		return err_prefix(r, "renderSecretFile");
	if (!out->len)
		return err_set(ERR_INVALID, "renderSecretFile %s is empty", cfg->render_secret_file);
	return 0;
}
