/*
 * chart.h - a Helm chart as the chart side sees it (internal to render/helm).
 *
 * A chart is loaded the way Helm's pkg/chart/loader loads one: a list of
 * files (a folder filtered by .helmignore, or a .tgz), split into
 * Chart.yaml metadata, values.yaml, values.schema.json, templates/, the
 * charts/ subcharts (folders or archives, recursively) and every other file
 * (.Files).  Everything lives in the render's arena (struct helm_ctx).
 *
 * Owner: the chart side (chart-*.c, values-*.c, strvals.c, schema.c,
 * helm-render.c, helm-manifest.c, template-cmd.c).
 */
#ifndef HOIST_HELM_CHART_H
#define HOIST_HELM_CHART_H

#include "core/compat.h"

struct helm_ctx;
struct hv;
struct src_tree;
struct strbuf;

/* Limits of what one chart may hold, against hostile archives. */
#define CHART_MAX_FILE (32u << 20)    /* bytes of one file (Helm: 5 MiB in archives) */
#define CHART_MAX_TOTAL (256u << 20)  /* bytes of all files, subcharts included */
#define CHART_MAX_FILES 100000u       /* files of one chart, subcharts included */
#define CHART_MAX_DEPTH 32u           /* subchart nesting */

struct chart_file {
	const char *name; /* relative to the chart: "templates/a.yaml" */
	const char *data; /* NUL-terminated; a leading UTF-8 BOM removed */
	size_t len;
};

struct chart_maint {
	const char *name, *email, *url;
};

/* One entry of Chart.yaml's `dependencies` (or requirements.yaml). */
struct chart_dep {
	const char *name, *version, *repository, *condition, *alias;
	const char **tags;
	size_t ntags;
	bool enabled;
	struct hv *import_values; /* list as written, rewritten by import processing; may be NULL */
};

/* chart.Metadata: every Chart.yaml field as .Chart exposes it. */
struct chart_meta {
	const char *name, *home, *version, *description, *icon, *api_version;
	const char *condition, *tags, *app_version, *kube_version, *type;
	const char **sources, **keywords;
	size_t nsources, nkeywords;
	bool has_sources, has_keywords;
	struct chart_maint *maintainers;
	size_t nmaintainers;
	bool deprecated;
	struct hv *annotations; /* map[string]string, or NULL */
	struct chart_dep **deps;
	size_t ndeps;
	bool has_deps; /* `dependencies` present (even empty) */
};

struct chart {
	struct chart_meta *meta;
	struct chart_file *templates;
	size_t ntemplates;
	struct chart_file *files; /* everything else .Files can read (and crds/) */
	size_t nfiles;
	struct hv *values; /* values.yaml as a map (empty when missing) */
	const char *schema; /* values.schema.json, or NULL */
	size_t schema_len;
	struct chart *parent;
	struct chart **deps; /* subcharts, in charts/ order */
	size_t ndeps, adeps;
};

/*
 * Loads the chart at `path` in `t`: a folder (read with .helmignore) or a
 * .tgz archive.  Helm's loader errors: "Chart.yaml file is missing",
 * "validation: ...", "error unpacking subchart X in Y: ...".
 */
int chart_load(struct helm_ctx *c, struct chart **out, struct src_tree *t, const char *path);
/* Appends a file to a chart's file list (bounded by CHART_MAX_FILES). */
int chart_file_push(struct helm_ctx *c, struct chart_file **files, size_t *n, size_t *cap,
		    const char *name, const char *data, size_t len);
/* Loads a chart from a list of files as Helm's loader.LoadFiles does. */
int chart_load_files(struct helm_ctx *c, struct chart **out, struct chart_file *files,
		     size_t n, unsigned depth);
/* Unpacks a chart archive (.tgz) into files, safely: see chart-archive.c. */
int chart_archive_files(struct helm_ctx *c, struct chart_file **out, size_t *n,
			const void *data, size_t len, const char *what);

/*
 * File contents are kept in their own malloc'ed buffers (no copy into the
 * arena: charts carry megabytes of CRDs), owned by the render's
 * chart_mem, which helm_render frees with the arena.
 */
struct chart_mem {
	char **bufs;
	size_t n, alloc;
};
/* Takes the bytes of `sb` into the render's chart_mem; returns them (NUL-terminated). */
char *chart_mem_take(struct helm_ctx *c, struct strbuf *sb);
void chart_mem_release(struct chart_mem *m);

/* The chart's name (metadata.name) and its path as templates name it: "a/charts/b". */
const char *chart_name(const struct chart *ch);
int chart_full_path(const struct chart *ch, struct strbuf *out);
bool chart_is_library(const struct chart *ch);

/* Parses Chart.yaml (and requirements.yaml into the same metadata) as sigs.k8s.io/yaml. */
int chart_meta_parse(struct helm_ctx *c, struct chart_meta *m, const char *buf, size_t len,
		     const char *what);
/*
 * A YAML scalar unmarshalled into a Go string field by sigs.k8s.io/yaml:
 * its text (numbers and booleans formatted as that library does); NULL for
 * lists and maps.
 */
const char *helm_yaml_string_target(struct helm_ctx *c, const struct hv *v);
/* The .Chart object (chart.Metadata with IsRoot). */
struct hv *chart_meta_value(struct helm_ctx *c, const struct chart *ch);

/*
 * .helmignore rules (Helm's pkg/ignore): parsed from the file's text, with
 * Helm's default rule "templates/.?*" appended.
 */
struct helm_ignore;
int helm_ignore_parse(struct helm_ctx *c, struct helm_ignore **out, const char *text, size_t len);
bool helm_ignore_match(const struct helm_ignore *ig, const char *path, bool is_dir);

/*
 * Go's path/filepath.Match (the separator is '/'): `*` and `?` never match
 * '/', classes [a-z] [^a-z], backslash escapes.  Returns 1 on a match, 0
 * on none, ERR_INVALID for a malformed pattern (Go's ErrBadPattern).
 */
int go_path_match(const char *pattern, const char *name);
/*
 * gobwas/glob with '/' as separator, as .Files.Glob compiles patterns:
 * `*` within a path element, `**` across them, `?`, [..] [!..], {a,b}.
 * Returns 1, 0, or ERR_INVALID for a pattern that does not compile.
 */
int gobwas_glob_match(const char *pattern, const char *name);

#endif
