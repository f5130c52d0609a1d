/*
 * render.h - turning an app's source folder into an object set.
 *
 * render_app() detects the engine from the folder (Chart.yaml: helm;
 * kustomization.yaml: kustomize; otherwise plain manifests) or takes the
 * one asked for, reads only through the src_tree, and leaves the objects
 * checked (no duplicates) and in kustomize's legacy order.
 */
#ifndef HOIST_RENDER_H
#define HOIST_RENDER_H

#include "core/compat.h"

struct src_tree;
struct objset;
struct remote_ctx;

enum render_engine { RENDER_AUTO = 0, RENDER_PLAIN, RENDER_KUSTOMIZE, RENDER_HELM };

struct render_opts {
	enum render_engine engine;
	const char *env;       /* environment name, for values/overlays; may be NULL */
	size_t max_file;       /* per-file byte limit; 0: the YAML reader's default */
	size_t max_total;      /* bytes read in all; 0: 512 MiB */

	/* Helm charts (docs/helm.md): what `helm template` takes as flags. */
	const char *release_name;   /* NULL: "release-name" */
	const char *namespace;      /* NULL: "default" */
	char *const *values;        /* values files, relative to the app folder (${env} is */
	size_t nvalues;             /* replaced by `env`; missing files are skipped) */
	char *const *sets;          /* --set lines, after the values files */
	size_t nsets;
	/*
	 * A chart from a Helm repository (hoist.yaml repo/chart/version): the
	 * chart comes from there through `remote`, values files from the app
	 * folder.  NULL chart_name: the chart is the app folder.
	 */
	const char *chart_repo, *chart_name, *chart_version;
	/*
	 * Rendering for an artifact: time-dependent functions see `now_sec`
	 * (the commit time) and random ones draw from `secret` (the
	 * publisher's key; NULL makes them fail).  See struct helm_ctx.
	 */
	bool reproducible;
	int64_t now_sec;
	const unsigned char *secret;
	size_t secret_len;
	/*
	 * Remote inputs (source/remote.h): allow-list, lock, cache; NULL refuses
	 * every remote `resources:`/`components:` entry.  The pins of what was
	 * used are left in it.
	 */
	struct remote_ctx *remote;
	/* Counts the files read (core/term.h), for `hoist render` on a terminal; may be NULL. */
	struct progress *progress;
};

struct config;
struct config_app;
struct strbuf;

/* The Helm options of an app of hoist.yaml (release name, namespace, values, set). */
void render_opts_for_app(struct render_opts *o, const struct config_app *app);
/*
 * The render secret of the publishing machine: $HOIST_RENDER_SECRET, else
 * the file hoist.yaml's renderSecretFile names (read from disk, never from
 * the repository).  Leaves `out` empty when there is none.
 */
int render_secret_load(struct strbuf *out, const struct config *cfg);

const char *render_engine_name(enum render_engine e);
int render_engine_parse(const char *name, enum render_engine *out);

/* What render_app() found; `engine` is never RENDER_AUTO after success. */
struct render_result {
	enum render_engine engine;
	size_t files;  /* source files read */
	size_t bytes;
	bool keep_order; /* the engine's order is the output order (kustomize sortOptions fifo) */
};

int render_detect(struct src_tree *t, const char *path, enum render_engine *out);
int render_app(struct objset *out, struct render_result *res, struct src_tree *t,
	       const char *path, const struct render_opts *opts);

/* Engines. */
int render_plain(struct objset *out, struct render_result *res, struct src_tree *t,
		 const char *path, const struct render_opts *opts);
int render_kustomize(struct objset *out, struct render_result *res, struct src_tree *t,
		     const char *path, const struct render_opts *opts);
/* A Helm chart, as `helm template --include-crds --skip-tests` renders it (render/helm/). */
int render_helm(struct objset *out, struct render_result *res, struct src_tree *t,
		const char *path, const struct render_opts *opts);

#endif
