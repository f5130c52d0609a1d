/*
 * values.h - Helm's values: what the user gives (-f, --set*), how it is
 * coalesced with the charts' values.yaml (pkg/chartutil coalesce.go), how
 * dependencies are enabled and import values (dependencies.go), and the
 * values.schema.json check.  Internal to render/helm.
 */
#ifndef HOIST_HELM_VALUES_H
#define HOIST_HELM_VALUES_H

#include "core/compat.h"

struct chart;
struct helm_ctx;
struct hv;
struct strbuf;

/*
 * Reads a values file (-f) or a --set-file file by the name the user gave;
 * ERR_NOTFOUND with a message naming it when missing.
 */
typedef int (*helm_file_reader)(void *arg, const char *path, struct strbuf *out);

/* The user's values, in Helm's order of application. */
struct helm_values_opts {
	const char **files;    /* -f/--values */
	size_t nfiles;
	const char **set_json; /* --set-json */
	size_t nset_json;
	const char **sets;     /* --set */
	size_t nsets;
	const char **set_strings; /* --set-string */
	size_t nset_strings;
	const char **set_files;   /* --set-file */
	size_t nset_files;
	const char **set_literals; /* --set-literal */
	size_t nset_literals;
	/* Maps merged after the files (hoist.yaml's `set:`), applied as --set-json objects. */
	struct hv **maps;
	size_t nmaps;
	helm_file_reader read;
	void *read_arg;
};

/* pkg/cli/values MergeValues: the user's values as one map. */
int helm_values_merge(struct helm_ctx *c, struct hv **out, const struct helm_values_opts *o);
/* values.MergeMaps: b over a, maps merged recursively; a new map. */
struct hv *helm_merge_maps(struct helm_ctx *c, struct hv *a, struct hv *b);

/*
 * chartutil.CoalesceValues (merge=false: a null from the user deletes a
 * default) and MergeValues (merge=true): a deep copy of `vals` with every
 * chart's values.yaml coalesced under it, globals flowing down.
 */
int helm_coalesce(struct helm_ctx *c, struct hv **out, struct chart *ch, struct hv *vals,
		  bool merge);
/* coalesceTables(dst, src, merge): src into dst, dst authoritative; returns dst. */
struct hv *helm_coalesce_tables(struct helm_ctx *c, struct hv *dst, struct hv *src, bool merge);

/* Values.Table("a.b"): the map at a dotted path, or NULL. */
struct hv *helm_values_table(const struct hv *v, const char *path);

/*
 * chartutil.ProcessDependencies: aliases applied, conditions and tags
 * decide which subcharts stay, then import-values are merged into each
 * parent's values.
 */
int helm_process_dependencies(struct helm_ctx *c, struct chart *ch, struct hv *vals);
/*
 * action.CheckDependencies: every dependency of Chart.yaml must be in
 * charts/ ("found in Chart.yaml, but missing in charts/ directory: NAME").
 */
int helm_check_dependencies(struct chart *ch);

/* Masterminds semver: whether `version` satisfies `constraint` (false when either does not parse). */
bool helm_semver_check(struct helm_ctx *c, const char *constraint, const char *version);

/*
 * values.schema.json of every chart against its part of `vals` (JSON
 * Schema draft 7).  ERR_INVALID with Helm's "values don't meet the
 * specifications of the schema(s) in the following chart(s):" message.
 */
int helm_schema_validate(struct helm_ctx *c, struct chart *ch, struct hv *vals);

#endif
