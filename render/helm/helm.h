/*
 * helm.h - rendering a Helm chart as `helm template` (Helm v3.21) does.
 *
 * helm_render() loads a chart through a src_tree (a folder or a .tgz, so a
 * hook renders straight from Git), merges the user's values, processes
 * dependencies, coalesces and validates values, renders every template of
 * every enabled chart with the Go template engine, and prints the result
 * exactly as `helm template` prints it.  `hoist template` is a thin
 * command over it; render_helm() (render/render.h) parses its output into
 * canonical objects for artifacts.
 */
#ifndef HOIST_HELM_H
#define HOIST_HELM_H

#include "core/compat.h"
#include "render/helm/values.h"

struct chart;
struct helm_ctx;
struct src_tree;
struct strbuf;

#define HELM_DEFAULT_RELEASE "release-name"
#define HELM_DEFAULT_NAMESPACE "default"
/* What a released Helm 3.21 binary reports (client-go v0.36). */
#define HELM_DEFAULT_KUBE_VERSION "v1.36.0"
#define HELM_VERSION "v3.21.4"

struct helm_opts {
	const char *release_name;  /* NULL: "release-name" */
	const char *namespace;     /* NULL: "default" */
	const char *kube_version;  /* NULL: v1.36.0 */
	const char **api_versions; /* added to the default set (-a) */
	size_t napi_versions;
	const char **show_only;    /* -s: filepath.Match patterns on template paths */
	size_t nshow_only;
	bool include_crds, skip_tests, no_hooks, is_upgrade, skip_schema;
	struct helm_values_opts values;

	/*
	 * Rendering for an artifact: see struct helm_ctx.  `now_sec` is the
	 * commit time; `secret` keys the random functions (NULL: they fail).
	 */
	bool reproducible;
	int64_t now_sec;
	const unsigned char *secret;
	size_t secret_len;

	/* Remote chart dependencies (struct helm_ctx's `remote`); may be NULL. */
	struct remote_ctx *remote;

	/* Limits against hostile charts (0: struct helm_ctx's defaults). */
	size_t max_alloc, max_steps, max_depth, max_output;
};

/*
 * Renders the chart at `path` in `t` and appends what `helm template`
 * prints to `out`.  `set_hint` is set when Helm would append "Use --debug
 * flag to render out invalid YAML" to the error (a failure after the
 * release was created).  Errors carry Helm's text.
 */
int helm_render(struct strbuf *out, struct src_tree *t, const char *path,
		const struct helm_opts *o, bool *debug_hint);

/* One template's output, by its path ("chart/templates/x.yaml"). */
struct helm_rendered {
	const char *name;
	const char *data;
	size_t len;
};

/* A document of a YAML stream, as releaseutil splits it (trimmed, borrowed). */
struct helm_doc_span {
	const char *s;
	size_t len;
};
/* releaseutil's split on (?:^|\s*\n)---\s*: *out is malloc'ed (free it). */
int helm_split_docs(const char *s, size_t n, struct helm_doc_span **out, size_t *nout);

/*
 * The printed output from the rendered templates (NOTES.txt already
 * dropped): split, hooks separated, sorted by kind, CRDs, --show-only.
 * Sorts `files` by name.
 */
int helm_manifests(struct helm_ctx *c, struct strbuf *out, const struct chart *ch,
		   struct helm_rendered *files, size_t nfiles, const struct helm_opts *o);

/*
 * Renders every template of the chart tree with `top` (Release,
 * Capabilities, Values) as Helm's engine.Render does: library charts give
 * partials only, defines of parent charts win, "<no value>" is removed,
 * parse and execution errors are rewritten as Helm rewrites them.
 */
int helm_engine_render(struct helm_ctx *c, struct chart *ch, struct hv *release,
		       struct hv *caps, struct hv *values, struct helm_rendered **out,
		       size_t *nout);

/* .Capabilities for a kube version ("v1.36.0", "1.16") and extra API versions. */
int helm_capabilities(struct helm_ctx *c, struct hv **out, const char *kube_version,
		      const char **extra, size_t nextra);
/* .Files over a chart's files. */
struct hv *helm_files_value(struct helm_ctx *c, const struct chart *ch);

#endif
