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

enum render_engine { RENDER_AUTO = 0, RENDER_PLAIN, RENDER_KUSTOMIZE, RENDER_HELM };

struct render_opts {
	enum render_engine engine;
	const char *env;       /* environment name, for values/overlays; may be NULL */
	size_t max_file;       /* per-file byte limit; 0: the YAML reader's default */
	size_t max_total;      /* bytes read in all; 0: 512 MiB */
	/* Counts the files read (core/term.h), for `hoist render` on a terminal; may be NULL. */
	struct progress *progress;
};

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

#endif
