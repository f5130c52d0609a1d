/*
 * kust.h - the native kustomize engine: shared types.
 *
 * A build reads a kustomization (kustomization.yaml, .yml or Kustomization)
 * through the src_tree, accumulates its resources (files, and directories
 * built recursively), runs its generators and transformers in kustomize's
 * order, and at the top level fixes name references and sorts.  Output
 * must match `kubectl kustomize` (kustomize v5.5) byte for byte; fields we
 * do not implement are refused with a clear error, never ignored.
 *
 * Files: kust.c (the build, resources, the kustomization file), fieldspec.c
 * (walking objects along kustomize field specs), transform.c (namespace,
 * prefix/suffix, labels, annotations, images, replicas), patch.c
 * (strategic merge and JSON 6902 patches, targets), generator.c
 * (configMap/secret generators, hashes), nameref.c (name back references),
 * component.c (`components:`), replace.c (`replacements:`, local-config),
 * vars.c (`vars:`), configurations.c (`configurations:` field specs),
 * metadata.c (`buildMetadata:`), generator-config.c (`generators:`).
 */
#ifndef HOIST_KUST_H
#define HOIST_KUST_H

#include "core/compat.h"
#include "model/doc.h" /* enum doc_type */

struct arena;
struct doc_node;
struct src_tree;
struct objset;
struct strbuf;

enum kgen_behavior { KGEN_NONE = 0, KGEN_CREATE, KGEN_MERGE, KGEN_REPLACE };

/* One resource of a build.  Strings are owned (freed with the resmap). */
struct kres {
	struct doc_node *node;  /* the object, a mapping in the build's arena */
	/*
	 * Every name the resource had before, oldest first (the name in its
	 * file is names[0]), and the namespace it had originally; name
	 * references are fixed from these once all renames are done.
	 */
	char **names;
	size_t nnames;
	char *orig_ns;     /* "" when none */
	char *orig_kind;   /* kind before any patch changed it */
	char *origin;      /* the file it came from, for messages */
	bool generated;    /* made by a generator */
	enum kgen_behavior behavior;
	bool needs_hash;   /* a generated ConfigMap/Secret whose name gets a content hash */
	char **var_names;  /* the `vars:` whose objref matched this resource (vars.c) */
	size_t nvar_names;
};

struct kresmap {
	struct kres *v;
	size_t n, alloc;
};

/*
 * Field specs a build adds to the built-in ones (`configurations:` files,
 * configurations.c).  Strings live in the build's arena.
 */
enum kcfg_field {
	KCFG_PREFIX,       /* namePrefix */
	KCFG_SUFFIX,       /* nameSuffix */
	KCFG_NAMESPACE,    /* namespace */
	KCFG_LABELS,       /* commonLabels */
	KCFG_ANNOTATIONS,  /* commonAnnotations */
	KCFG_VAR_REF,      /* varReference */
	KCFG_IMAGES,       /* images */
	KCFG_REPLICAS,     /* replicas */
	KCFG_TEMPLATE_LABELS, /* templateLabels (labels: includeTemplates) */
	KCFG_NFIELDS
};

/* A nameReference entry: objects of `target`'s kind are named at `refs`. */
struct kcfg_nameref {
	const char *group, *version, *kind;
	struct kfieldspec *refs;
	size_t nrefs;
};

struct kconfig {
	struct kfieldspec *specs[KCFG_NFIELDS];
	size_t nspecs[KCFG_NFIELDS], alloc[KCFG_NFIELDS];
	struct kcfg_nameref *namerefs;
	size_t nnamerefs, namerefs_alloc;
};

struct render_opts;

struct kbuild {
	struct src_tree *tree;
	struct arena *arena; /* every node of the build lives here */
	unsigned depth;
	char **stack;        /* directories being built, for cycle detection */
	size_t nstack, stack_alloc;
	struct kvar *vars;   /* every `vars:` entry of the build, bases first (vars.c) */
	size_t nvars, vars_alloc;
	struct kconfig config; /* from `configurations:`, added to the defaults */
	unsigned meta;         /* KMETA_* from the top's buildMetadata (metadata.c) */
	char *meta_top;        /* the top kustomization's directory, for relative paths */
	const struct render_opts *opts; /* the render's options (helmCharts: clock, secret) */
};

enum {
	KMETA_ORIGIN = 1 << 0,       /* originAnnotations */
	KMETA_TRANSFORMERS = 1 << 1, /* transformerAnnotations */
	KMETA_MANAGED_BY = 1 << 2,   /* managedByLabel */
};

/* Field specs: where a transformer looks in which objects. */
struct kfieldspec {
	const char *group;   /* NULL or "": any */
	const char *version; /* NULL or "": any */
	const char *kind;    /* NULL or "": any */
	const char *path;    /* "spec/template/metadata/labels"; "\/" escapes a slash */
	bool create;         /* create missing mappings along the path */
};

/* --- kust.c --------------------------------------------------------------- */

/* Renders the kustomization in `dir` of `tree` into `out` (the engine's entry). */
int kust_render(struct objset *out, struct src_tree *tree, const char *dir);

/* Builds one kustomization directory into `out` (recursing into bases). */
int kust_build_dir(struct kbuild *b, const char *dir, struct kresmap *out);

void kresmap_release(struct kresmap *m);
/* Appends a resource taking ownership of its strings; `node` must be in the build's arena. */
struct kres *kresmap_add(struct kresmap *m, struct doc_node *node, const char *origin);
/* Removes resource `i`, freeing its strings. */
void kresmap_del(struct kresmap *m, size_t i);

/* Accessors on the object (borrowed; "" when absent). */
const char *kres_kind(const struct kres *r);
const char *kres_name(const struct kres *r);
const char *kres_ns(const struct kres *r);
const char *kres_api_version(const struct kres *r);
/* Group and version split from apiVersion, into caller buffers. */
void kres_gv(const struct kres *r, char *group, size_t gsize, char *version, size_t vsize);
/* Whether kustomize's built-in OpenAPI data has this group/version/kind cluster-scoped. */
bool kust_gvk_cluster_scoped(const char *group, const char *version, const char *kind);
/* Whether the resource is cluster-scoped, by its group, version and kind. */
bool kres_cluster_scoped(const struct kres *r);

/* Renames (recording the old name for back references). */
void kres_set_name(struct kbuild *b, struct kres *r, const char *name);
void kres_set_ns(struct kbuild *b, struct kres *r, const char *ns);

/*
 * Resolves a `resources:`/`components:` entry of `dir`: a local path that
 * exists (remote URLs go to kust_remote_entry).  `path` gets it, `ty` its type.
 */
enum src_type;
int kust_entry_path(struct kbuild *b, const char *dir, const struct doc_node *e,
		    const char *field, struct strbuf *path, enum src_type *ty);

/*
 * kustomize's default load restriction: a file a kustomization names must
 * be in or below its folder (other kustomization folders may be anywhere).
 * ERR_INVALID with kustomize's wording otherwise.
 */
int kust_file_in_root(const char *dir, const char *path);

/* Reads a file relative to a kustomization dir (within it), bounded, with a clear error. */
int kust_read(struct kbuild *b, const char *dir, const char *rel, struct strbuf *out);

/* --- fieldspec.c ----------------------------------------------------------- */

/* Whether a field spec's group/version/kind filter selects the resource. */
bool kfs_selects(const struct kfieldspec *fs, const struct kres *r);

/*
 * Calls `fn` for every node at the field spec's path in `r` (when the spec
 * selects it): `parent` is the mapping holding the final field and `key`
 * its name, so `fn` may read, replace or create the value.  Sequences met
 * along the path are walked item by item ("containers" in
 * spec/template/spec/containers/image), as kustomize does.  With `create`,
 * missing mappings along the path and the final field's parent are
 * created; otherwise absent paths are skipped.  A non-zero return from
 * `fn` stops the walk and is returned.
 */
typedef int (*kfs_fn)(struct kbuild *b, struct kres *r, struct doc_node *parent,
		      const char *key, void *ctx);
int kfs_walk(struct kbuild *b, struct kres *r, const struct kfieldspec *fs, kfs_fn fn,
	     void *ctx);

/* --- component.c: `components:` ------------------------------------------------ */

/* How a kustomization directory is being built. */
enum kust_role {
	KUST_TOP,       /* the folder being rendered */
	KUST_RESOURCE,  /* a directory in `resources:` or `bases:` */
	KUST_COMPONENT, /* a directory in `components:` */
};

/*
 * Applies the `components:` of the kustomization in `dir` to `m`, its
 * accumulated resources: each component adds its resources and generated
 * objects to `m` and runs its transformers over all of `m`, as kustomize's
 * accumulateComponents does.  Components may list components.
 */
int kust_components(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *list);
/*
 * Checks a parsed kustomization's kind and apiVersion for the role it is built in: a Component only in `components:` (or at
 * the top), never a Kustomization there.
 */
int kust_check_kind(const struct doc_node *k, enum kust_role role);
/*
 * kust.c: remote `resources:`/`components:` entries (source/remote.h): a Git
 * base or component is built from its repository's tree at the pinned
 * commit, an HTTP file's objects are added.  Refused when the render has no
 * remote context.
 */
bool kust_is_remote(const struct doc_node *e);
int kust_remote_entry(struct kbuild *b, const struct doc_node *e, const char *field,
		      struct kresmap *m, enum kust_role role);
/* kust.c: builds the component in `dir` on `m` (which is kept on failure). */
int kust_build_component(struct kbuild *b, const char *dir, struct kresmap *m);

/* --- replace.c: `replacements:` ------------------------------------------------ */

/*
 * Runs a `replacements:` list (inline entries and {path: file} entries,
 * paths relative to `dir`) over `m`, as kustomize's ReplacementTransformer
 * does.  Also the body of a ReplacementTransformer config.
 */
int kust_replacements(struct kbuild *b, struct kresmap *m, const char *dir,
		      const struct doc_node *list);
/*
 * Splits a replacement field path as kyaml's SmarterPathSplitter does:
 * on ".", "\." escaping a dot, "[name=a.b]" kept whole with its brackets,
 * "[a.b]" (a key holding dots) kept whole without them.  *out is an array
 * of *n allocated strings (free each, then the array).
 */
void kust_fieldpath_split(const char *path, char ***out, size_t *n);

/*
 * schema.c: renames the nested fields of a kustomization (its top-level
 * keys already canonical) to kustomize's spelling, drops repeats, and
 * refuses unknown fields and values of the wrong shape, as kustomize's
 * strict JSON decoding does.  kust_schema_replacement does the same,
 * unknown fields allowed, for a replacement read from a file.
 */
int kust_schema_check(struct arena *a, struct doc_node *k);
int kust_schema_replacement(struct arena *a, struct doc_node *n);
/*
 * The same for a `configurations:` document (kustomize's TransformerConfig):
 * unknown fields refused, and a number or bool where a string goes (other
 * than in group, version and kind) turned into its text, as
 * sigs.k8s.io/yaml's Unmarshal does for a typed target.
 */
int kust_schema_config(struct arena *a, struct doc_node *n);
/*
 * The same for a `transformers:` or `generators:` config of a built-in
 * kind (Label-, Annotations-, PrefixSuffix-, ReplacementTransformer,
 * ConfigMap- and SecretGenerator), unknown fields allowed; kyaml read it
 * first, so only true and false are bools.  Other kinds are left alone.
 */
int kust_schema_transformer(struct arena *a, struct doc_node *n);

/*
 * yaml11.c: a scalar typed as go-yaml v2 (YAML 1.1) types it, which is how
 * kustomize reads its own files (sigs.k8s.io/yaml).  kust_y11_resolve
 * honours quoting and explicit tags, and fails with ERR_INVALID when a
 * core tag does not fit the text ("!!int abc"); kust_y11_resolve_text
 * resolves a plain scalar's text.  kust_go_float32_g formats as Go's
 * strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses for a
 * float going where a string is expected.
 */
enum y11_type { Y11_STR, Y11_NULL, Y11_BOOL, Y11_INT, Y11_UINT, Y11_FLOAT };
struct y11_value {
	enum y11_type type;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
};
int kust_y11_resolve(const struct doc_node *n, struct y11_value *out);
int kust_y11_resolve_text(const char *in, struct y11_value *out);
void kust_go_float32_g(double f, char *buf, size_t size);
/* Drops objects annotated config.kubernetes.io/local-config (any value but "false"; at the top, last). */
void kust_drop_local_config(struct kresmap *m);
/* patch.c: whether a label selector ("a=b,c in (d),!e") matches `labels`. */
int kust_selector_matches(const char *sel, const struct doc_node *labels, bool *ok);

/* --- the other parts, called by kust.c --------------------------------------- */

struct kust_file; /* the parsed kustomization, private to kust.c */

/* transform.c */
int kust_namespace(struct kbuild *b, struct kresmap *m, const char *ns);
int kust_prefix_suffix(struct kbuild *b, struct kresmap *m, const char *prefix,
		       const char *suffix);
/* A PrefixSuffixTransformer config: prefix and suffix along its own field specs. */
int kust_prefix_suffix_specs(struct kbuild *b, struct kresmap *m, const char *prefix,
			     const char *suffix, const struct kfieldspec *specs, size_t n);
/* `selectors`/`templates`: also the selector and pod-template field specs (commonLabels). */
int kust_labels(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs,
		bool selectors, bool templates);
/* Sets the label pairs at the given field specs only (labels: fields). */
int kust_labels_fields(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs,
		       const struct kfieldspec *specs, size_t n);
/*
 * Reads a list of field specs (group, version, kind, path, create) into
 * *specs, appending and skipping exact repeats; strings go to the arena.
 */
int kust_read_specs(struct kbuild *b, const struct doc_node *list, struct kfieldspec **specs,
		    size_t *n, size_t *alloc);
int kust_annotations(struct kbuild *b, struct kresmap *m, const struct doc_node *pairs);
int kust_images(struct kbuild *b, struct kresmap *m, const struct doc_node *images);
int kust_replicas(struct kbuild *b, struct kresmap *m, const struct doc_node *replicas);

/* patch.c: `patches`, `patchesStrategicMerge`, `patchesJson6902` entries of `dir`. */
int kust_patches(struct kbuild *b, struct kresmap *m, const char *dir,
		 const struct doc_node *patches);
int kust_patches_sm(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *list);
int kust_patches_json6902(struct kbuild *b, struct kresmap *m, const char *dir,
			  const struct doc_node *list);

/* generator.c: configMapGenerator / secretGenerator with generatorOptions. */
/* helm-charts.c: `helmCharts:` (local charts) through hoist's Helm engine. */
int kust_helm_charts(struct kbuild *b, struct kresmap *m, const char *dir,
		     const struct doc_node *charts, const struct doc_node *globals);

int kust_generators(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *configmaps, const struct doc_node *secrets,
		    const struct doc_node *options);
/* generator-config.c: `generators:` files of ConfigMapGenerator/SecretGenerator configs. */
int kust_generator_configs(struct kbuild *b, struct kresmap *m, const char *dir,
			   const struct doc_node *list);
/*
 * Appends content-hash suffixes to generated names (at the top level, once).
 * needs_hash stays set afterwards: it then says the name ends in a hash.
 */
int kust_hash_names(struct kbuild *b, struct kresmap *m);
/* kustomize's 10-character content hash of a ConfigMap or Secret object. */
int kust_content_hash(const struct doc_node *obj, char out[11]);

/* nameref.c: rewrites references to renamed objects (at the top level). */
int kust_fix_name_refs(struct kbuild *b, struct kresmap *m);

/*
 * vars.c: kustomize's deprecated `vars:`.  kust_vars_merge (at the end of
 * every kustomization) records the vars and ties each to the one resource
 * its objref names; kust_resolve_vars (at the top, after name references)
 * replaces $(NAME) along the varReference field specs with the final
 * value of each var's field.
 */
struct kvar {
	char *name;
	char *group, *version, *kind, *objname, *ns; /* objref */
	char *fieldpath;                             /* fieldref.fieldpath */
	enum doc_type type; /* of the resolved value; DOC_T_NULL: not a scalar, kept as $(NAME) */
	char *value;        /* the value as text, once resolved */
};
/* configurations.c: reads `configurations:` files into b->config. */
int kust_configurations(struct kbuild *b, const char *dir, const struct doc_node *list);
void kust_config_release(struct kbuild *b);

/*
 * metadata.c: buildMetadata.  kust_meta_config reads the top's list;
 * kust_meta_origin_path marks objects m->v[from..] as read from `path`;
 * kust_meta_snapshot/kust_meta_generated mark what a generator made or
 * remade (the snapshot is taken before, and freed); kust_meta_transformed
 * records one transformer run over every object of `m`, and
 * kust_meta_builtins those the kustomization `k` (at `kpath`) configures;
 * kust_meta_finish adds the managed-by label at the end.  All do nothing
 * unless the matching option is on.
 */
int kust_meta_config(struct kbuild *b, const char *dir, const struct doc_node *list);
void kust_meta_origin_path(struct kbuild *b, struct kresmap *m, size_t from, const char *path);
struct doc_node **kust_meta_snapshot(const struct kbuild *b, const struct kresmap *m,
				     size_t *n);
void kust_meta_generated(struct kbuild *b, struct kresmap *m, struct doc_node **snap,
			 size_t nsnap, const char *kpath, const char *api, const char *name);
void kust_meta_transformed(struct kbuild *b, struct kresmap *m, const char *kpath,
			   const char *api, const char *kind, const char *name);
void kust_meta_builtins(struct kbuild *b, struct kresmap *m, const char *kpath,
			const struct doc_node *k);
void kust_meta_finish(struct kbuild *b, struct kresmap *m);

int kust_vars_merge(struct kbuild *b, struct kresmap *m, const struct doc_node *vars);
int kust_resolve_vars(struct kbuild *b, struct kresmap *m);
void kust_vars_release(struct kbuild *b);
/*
 * $(NAME) expansion of one string as kustomize's refvar does it: "$$" is
 * "$", unknown names and incomplete references stay as written, a value is
 * printed as Go's %v.  A string that is exactly one reference to a known
 * var takes the var's type (*type; DOC_T_STR otherwise).
 */
void kvar_expand(struct strbuf *out, enum doc_type *type, const char *in,
		 const struct kvar *vars, size_t nvars);

#endif
