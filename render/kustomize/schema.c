/*
 * schema.c - the shape of a kustomization below its top-level fields.
 *
 * kustomize decodes kustomization.yaml through JSON into Go structs with
 * UnmarshalStrict: field names match case-insensitively ("newtag" is
 * newTag), a later spelling of a field replaces an earlier one, and a
 * field the struct does not have is an error ("json: unknown field").
 * Without this table hoist looked fields up by their exact spelling, so a
 * differently spelled field was silently ignored and the output differed
 * from kustomize's with exit 0.  Here every nested mapping of a known type
 * gets its keys renamed to the canonical spelling, repeats dropped, and
 * unknown fields refused with file:line:col, before anything reads it.
 *
 * The types are kustomize v5.5's api/types (Image, Patch, Selector,
 * Replacement, Var, GeneratorArgs, ...), restated as tables.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/arena.h"

#include <inttypes.h>
#include <math.h>

enum kty {
	T_STR = 1, /* string */
	T_BOOL,    /* bool */
	T_INT,     /* int64 or int */
	T_MAP,     /* map[string]string kustomize does not put on objects */
	T_LMAP,    /* map[string]string of labels or annotations for objects */
	T_BMAP,    /* map[string]bool */
	T_ANY,     /* free-form (valuesInline) */
	T_STRUCT,
	T_LIST,    /* of strings, or of structs when `st` is set */
};

struct kstruct;

struct kfield {
	const char *name;
	enum kty type;
	const struct kstruct *st; /* T_STRUCT, or T_LIST of structs */
	/*
	 * Promoted from an embedded struct (`json:",inline"`): sigs.k8s.io/yaml
	 * looks up the target of a key by the struct's first-level field, so
	 * for these it sees the embedded struct, not a string, and converts
	 * no number or bool to text.
	 */
	bool inl;
};

struct kstruct {
	const char *type; /* Go type name, for messages */
	const struct kfield *fields;
	size_t n;
};

#define STRUCT(var, name) \
	static const struct kstruct var = { name, var##_fields, ARRAY_SIZE(var##_fields) }
#define GVK { "group", T_STR, NULL, true }, { "version", T_STR, NULL, true }, \
	{ "kind", T_STR, NULL, true }
#define RESID GVK, { "name", T_STR, NULL, true }, { "namespace", T_STR, NULL, true }

static const struct kfield fieldspec_fields[] = {
	GVK, { "path", T_STR }, { "create", T_BOOL },
};
STRUCT(fieldspec, "FieldSpec");

static const struct kfield selector_fields[] = {
	RESID, { "annotationSelector", T_STR }, { "labelSelector", T_STR },
};
STRUCT(selector, "Selector");

static const struct kfield fieldoptions_fields[] = {
	{ "delimiter", T_STR }, { "index", T_INT }, { "encoding", T_STR },
	{ "create", T_BOOL },
};
STRUCT(fieldoptions, "FieldOptions");

static const struct kfield source_fields[] = {
	RESID, { "fieldPath", T_STR }, { "options", T_STRUCT, &fieldoptions },
};
STRUCT(source, "SourceSelector");

static const struct kfield target_fields[] = {
	{ "select", T_STRUCT, &selector }, { "reject", T_LIST, &selector },
	{ "fieldPaths", T_LIST }, { "options", T_STRUCT, &fieldoptions },
};
STRUCT(target, "TargetSelector");

static const struct kfield replacement_fields[] = {
	{ "path", T_STR }, { "source", T_STRUCT, &source },
	{ "targets", T_LIST, &target },
};
STRUCT(replacement, "ReplacementField");

static const struct kfield objmeta_fields[] = {
	{ "name", T_STR }, { "namespace", T_STR },
	{ "labels", T_MAP }, { "annotations", T_MAP },
};
STRUCT(objmeta, "ObjectMeta");

static const struct kfield label_fields[] = {
	{ "pairs", T_LMAP }, { "includeSelectors", T_BOOL },
	{ "includeTemplates", T_BOOL }, { "fields", T_LIST, &fieldspec },
};
STRUCT(label, "Label");

static const struct kfield patch_fields[] = {
	{ "path", T_STR }, { "patch", T_STR }, { "target", T_STRUCT, &selector },
	{ "options", T_BMAP },
};
STRUCT(patch, "Patch");

static const struct kfield image_fields[] = {
	{ "name", T_STR }, { "newName", T_STR }, { "newTag", T_STR },
	{ "digest", T_STR }, { "tagSuffix", T_STR },
};
STRUCT(image, "Image");

static const struct kfield replica_fields[] = {
	{ "name", T_STR }, { "count", T_INT },
};
STRUCT(replica, "Replica");

static const struct kfield objref_fields[] = {
	GVK, { "apiVersion", T_STR }, { "name", T_STR }, { "namespace", T_STR },
};
STRUCT(objref, "Target");

static const struct kfield fieldref_fields[] = {
	{ "fieldPath", T_STR },
};
STRUCT(fieldref, "FieldSelector");

static const struct kfield var_fields[] = {
	{ "name", T_STR }, { "objref", T_STRUCT, &objref },
	{ "fieldref", T_STRUCT, &fieldref },
};
STRUCT(var, "Var");

static const struct kfield genopts_fields[] = {
	{ "labels", T_LMAP }, { "annotations", T_LMAP },
	{ "disableNameSuffixHash", T_BOOL }, { "immutable", T_BOOL },
};
STRUCT(genopts, "GeneratorOptions");

#define GENERATOR_ARGS \
	{ "namespace", T_STR }, { "name", T_STR }, { "behavior", T_STR }, \
	{ "literals", T_LIST, NULL, true }, { "files", T_LIST, NULL, true }, \
	{ "envs", T_LIST, NULL, true }, { "env", T_STR, NULL, true }, \
	{ "options", T_STRUCT, &genopts }

static const struct kfield configmapargs_fields[] = { GENERATOR_ARGS };
STRUCT(configmapargs, "ConfigMapArgs");

static const struct kfield secretargs_fields[] = { GENERATOR_ARGS, { "type", T_STR } };
STRUCT(secretargs, "SecretArgs");

static const struct kfield legacysort_fields[] = {
	{ "orderFirst", T_LIST }, { "orderLast", T_LIST },
};
STRUCT(legacysort, "LegacySortOptions");

static const struct kfield sortoptions_fields[] = {
	{ "order", T_STR }, { "legacySortOptions", T_STRUCT, &legacysort },
};
STRUCT(sortoptions, "SortOptions");

static const struct kfield helmglobals_fields[] = {
	{ "chartHome", T_STR }, { "configHome", T_STR },
};
STRUCT(helmglobals, "HelmGlobals");

static const struct kfield helmchart_fields[] = {
	{ "name", T_STR }, { "version", T_STR }, { "repo", T_STR },
	{ "releaseName", T_STR }, { "namespace", T_STR },
	{ "additionalValuesFiles", T_LIST }, { "valuesFile", T_STR },
	{ "valuesInline", T_ANY }, { "valuesMerge", T_STR }, { "includeCRDs", T_BOOL },
	{ "skipHooks", T_BOOL }, { "apiVersions", T_LIST }, { "kubeVersion", T_STR },
	{ "nameTemplate", T_STR }, { "skipTests", T_BOOL }, { "debug", T_BOOL },
};
STRUCT(helmchart, "HelmChart");

/* kustomize's TransformerConfig, the document of a `configurations:` file. */
static const struct kfield nameref_fields[] = {
	GVK, { "fieldSpecs", T_LIST, &fieldspec },
};
STRUCT(nameref, "NameBackReferences");

static const struct kfield tconfig_fields[] = {
	{ "namePrefix", T_LIST, &fieldspec }, { "nameSuffix", T_LIST, &fieldspec },
	{ "namespace", T_LIST, &fieldspec }, { "commonLabels", T_LIST, &fieldspec },
	{ "templateLabels", T_LIST, &fieldspec },
	{ "commonAnnotations", T_LIST, &fieldspec },
	{ "nameReference", T_LIST, &nameref }, { "varReference", T_LIST, &fieldspec },
	{ "images", T_LIST, &fieldspec }, { "replicas", T_LIST, &fieldspec },
};
STRUCT(tconfig, "TransformerConfig");

/*
 * Built-in transformers' configs (`transformers:` files), as their plugin
 * structs.  In a ReplacementTransformer the replacements' source and
 * targets come from an embedded struct: no conversion below them.
 */
static const struct kfield replfield_fields[] = {
	{ "path", T_STR }, { "source", T_STRUCT, &source, true },
	{ "targets", T_LIST, &target, true },
};
STRUCT(replfield, "ReplacementField");

static const struct kfield labeltr_fields[] = {
	{ "labels", T_LMAP }, { "fieldSpecs", T_LIST, &fieldspec },
};
STRUCT(labeltr, "LabelTransformerPlugin");

static const struct kfield annotr_fields[] = {
	{ "annotations", T_LMAP }, { "fieldSpecs", T_LIST, &fieldspec },
};
STRUCT(annotr, "AnnotationsTransformerPlugin");

static const struct kfield prefixtr_fields[] = {
	{ "prefix", T_STR }, { "suffix", T_STR }, { "fieldSpecs", T_LIST, &fieldspec },
};
STRUCT(prefixtr, "PrefixSuffixTransformerPlugin");

/* ConfigMapArgs and SecretArgs are embedded in their generators: no conversion. */
#define GENERATOR_PLUGIN \
	{ "metadata", T_STRUCT, &objmeta }, { "namespace", T_STR, NULL, true }, \
	{ "name", T_STR, NULL, true }, { "behavior", T_STR, NULL, true }, \
	{ "literals", T_LIST, NULL, true }, { "files", T_LIST, NULL, true }, \
	{ "envs", T_LIST, NULL, true }, { "env", T_STR, NULL, true }, \
	{ "options", T_STRUCT, &genopts, true }

static const struct kfield cmgen_fields[] = { GENERATOR_PLUGIN };
STRUCT(cmgen, "ConfigMapGeneratorPlugin");

static const struct kfield secgen_fields[] = { GENERATOR_PLUGIN, { "type", T_STR, NULL, true } };
STRUCT(secgen, "SecretGeneratorPlugin");

static const struct kfield repltr_fields[] = {
	{ "replacements", T_LIST, &replfield },
};
STRUCT(repltr, "ReplacementTransformerPlugin");

/* The top level: canonical_keys() in kust.c has already renamed these. */
static const struct kfield top_fields[] = {
	{ "metadata", T_STRUCT, &objmeta },
	{ "labels", T_LIST, &label },
	{ "commonLabels", T_LMAP }, { "commonAnnotations", T_LMAP },
	{ "patches", T_LIST, &patch }, { "patchesJson6902", T_LIST, &patch },
	{ "patchesStrategicMerge", T_LIST },
	{ "images", T_LIST, &image }, { "replicas", T_LIST, &replica },
	{ "replacements", T_LIST, &replacement }, { "vars", T_LIST, &var },
	{ "configMapGenerator", T_LIST, &configmapargs },
	{ "secretGenerator", T_LIST, &secretargs },
	{ "generatorOptions", T_STRUCT, &genopts },
	{ "sortOptions", T_STRUCT, &sortoptions },
	{ "helmGlobals", T_STRUCT, &helmglobals },
	{ "helmCharts", T_LIST, &helmchart },
	{ "resources", T_LIST }, { "bases", T_LIST }, { "components", T_LIST },
	{ "crds", T_LIST }, { "configurations", T_LIST }, { "generators", T_LIST },
	{ "transformers", T_LIST }, { "validators", T_LIST }, { "buildMetadata", T_LIST },
	{ "namespace", T_STR }, { "namePrefix", T_STR }, { "nameSuffix", T_STR },
	{ "apiVersion", T_STR }, { "kind", T_STR },
};

/* How a document is decoded. */
struct sctx {
	struct arena *a;
	/* UnmarshalStrict: an unknown field is an error. */
	bool strict;
	/*
	 * sigs.k8s.io/yaml's Unmarshal into a typed target turns a number or
	 * bool going into a string into its text; kustomize's own
	 * kustomization.yaml goes through YAMLToJSON without a target, so
	 * there it is an error.
	 */
	bool convert;
	/*
	 * The document was read by kyaml (YAML 1.2) and written again before
	 * kustomize decoded it: go-yaml v3 writes a string that YAML 1.1
	 * reads as a bool (yes, on, y, ...) quoted, so only true and false
	 * (in their three spellings) are bools.
	 */
	bool v3_bools;
};

static int resolve(const struct sctx *c, const struct doc_node *n, struct y11_value *v)
{
	int r = kust_y11_resolve(n, v);

	if (!r && c->v3_bools && v->type == Y11_BOOL && strcmp(n->str, "true") &&
	    strcmp(n->str, "True") && strcmp(n->str, "TRUE") && strcmp(n->str, "false") &&
	    strcmp(n->str, "False") && strcmp(n->str, "FALSE"))
		v->type = Y11_STR;
	return r;
}

static const char *kind_word(const struct doc_node *n, const struct y11_value *v)
{
	if (n->kind != DOC_SCALAR)
		return n->kind == DOC_MAP ? "object" : "array";
	switch (v->type) {
	case Y11_BOOL: return "bool";
	case Y11_INT: case Y11_UINT: case Y11_FLOAT: return "number";
	case Y11_NULL: return "null";
	default: return "string";
	}
}

static const char *type_word(enum kty type, const struct kstruct *st)
{
	switch (type) {
	case T_STR: return "string";
	case T_BOOL: return "bool";
	case T_INT: return "integer";
	case T_LIST: return "list";
	case T_STRUCT: return st->type;
	default: return "map";
	}
}

static int mismatch(const struct doc_node *n, const struct y11_value *v, const char *field,
		    enum kty type, const struct kstruct *st)
{
	char where[256];

	return err_set(ERR_INVALID, "%s: %s: cannot unmarshal %s into a field of type %s",
		       doc_where(n, where, sizeof(where)), field, kind_word(n, v),
		       type_word(type, st));
}

/* Rewrites a scalar in place, so the rest of the build reads kustomize's value. */
static void set_scalar(struct sctx *c, struct doc_node *n, const char *s, enum doc_style style)
{
	n->str = arena_strdup(c->a, s);
	n->len = strlen(s);
	n->style = style;
	n->tag = NULL;
}

/*
 * A value JSON cannot carry (.inf, .nan) anywhere in the document fails
 * kustomize's YAML-to-JSON step, whatever field it is in.
 */
static int json_value(const struct doc_node *n, const struct y11_value *v)
{
	char where[256];

	if (v->type == Y11_FLOAT && (isinf(v->f) || isnan(v->f)))
		return err_set(ERR_INVALID, "%s: unsupported value %s: JSON has no infinity or NaN",
			       doc_where(n, where, sizeof(where)), n->str);
	return 0;
}

/* The text sigs.k8s.io/yaml makes of a number or bool going into a string. */
static void go_text(const struct y11_value *v, char *buf, size_t size)
{
	switch (v->type) {
	case Y11_BOOL: snprintf(buf, size, "%s", v->b ? "true" : "false"); break;
	case Y11_INT: snprintf(buf, size, "%" PRId64, v->i); break;
	case Y11_UINT: snprintf(buf, size, "%" PRIu64, v->u); break;
	case Y11_FLOAT: kust_go_float32_g(v->f, buf, size); break;
	default: buf[0] = '\0'; break;
	}
}

static int check_scalar(struct sctx *c, struct doc_node *n, enum kty type, const char *field,
			bool convert)
{
	struct y11_value v;
	char text[64];
	int r;

	if ((r = resolve(c, n, &v)) || (r = json_value(n, &v)))
		return r;
	switch (type) {
	case T_STR:
		if (v.type == Y11_NULL) {
			set_scalar(c, n, "", DOC_STYLE_DOUBLE);
			return 0;
		}
		if (v.type == Y11_STR)
			return 0;
		if (!convert)
			break;
		go_text(&v, text, sizeof(text));
		set_scalar(c, n, text, DOC_STYLE_DOUBLE);
		return 0;
	case T_BOOL:
		if (v.type != Y11_BOOL && v.type != Y11_NULL)
			break;
		set_scalar(c, n, v.b ? "true" : "false", DOC_STYLE_PLAIN);
		return 0;
	case T_INT:
		/*
		 * JSON carries a float as Go's encoding/json writes it, which an
		 * int64 accepts only when that is an integer literal: 3.0 is 3,
		 * 3.5 and 1e21 ("1e+21") are errors.
		 */
		if (v.type == Y11_FLOAT && v.f == floor(v.f) && v.f >= -9223372036854775808.0 &&
		    v.f < 9223372036854775808.0) {
			v.type = Y11_INT;
			v.i = (int64_t)v.f;
		}
		if (v.type == Y11_NULL) {
			v.type = Y11_INT;
			v.i = 0;
		}
		if (v.type != Y11_INT)
			break;
		snprintf(text, sizeof(text), "%" PRId64, v.i);
		set_scalar(c, n, text, DOC_STYLE_PLAIN);
		return 0;
	default:
		break;
	}
	return mismatch(n, &v, field, type, NULL);
}

/*
 * The keys of a map[string]string.  sigs.k8s.io/yaml turns a number or
 * bool key into its text and refuses a null one.  Labels and annotations
 * kustomize puts on objects fail later when that text reads back (YAML
 * 1.2) as anything but a string (kustomize writes it unquoted and kyaml
 * re-types it: "json: unsupported type: map[interface {}]interface {}"),
 * even when it was quoted here ("1", "true"), so those are refused up
 * front; "yes" quoted is a string to YAML 1.2 and passes.
 */
static int check_key(struct sctx *c, struct doc_node *key, bool applied, const char *field)
{
	struct y11_value v;
	char where[256], text[64];
	int r;

	if (key->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s: invalid map key: a key must be a scalar",
			       doc_where(key, where, sizeof(where)));
	if ((r = resolve(c, key, &v)))
		return r;
	if (v.type == Y11_NULL)
		return err_set(ERR_INVALID, "%s: %s: a map key cannot be null",
			       doc_where(key, where, sizeof(where)), field);
	if (applied && !memchr(key->str, '\0', key->len)) {
		/*
		 * The key's text once JSON has it (plain yes is "true"), read
		 * back plain by kyaml's YAML 1.2 rules: a bool, number, null or
		 * timestamp there fails (a quoted "yes" stays a string).
		 */
		struct doc_node tmp;
		struct doc_value dv;

		memset(&tmp, 0, sizeof(tmp));
		tmp.kind = DOC_SCALAR;
		tmp.style = DOC_STYLE_PLAIN;
		if (v.type != Y11_STR)
			go_text(&v, text, sizeof(text));
		tmp.str = v.type != Y11_STR ? text : key->str;
		tmp.len = strlen(tmp.str);
		if (!doc_resolve(&tmp, &dv) && dv.type != DOC_T_STR)
			return err_set(ERR_INVALID,
				       "%s: %s: key \"%s\" reads back as a %s when kustomize puts it on an object, which it cannot write",
				       doc_where(key, where, sizeof(where)), field, tmp.str,
				       dv.type == DOC_T_BOOL ? "bool" : dv.type == DOC_T_NULL ? "null" :
				       dv.type == DOC_T_TIME ? "timestamp" : "number");
	}
	if (v.type != Y11_STR) {
		go_text(&v, text, sizeof(text));
		set_scalar(c, key, text, DOC_STYLE_DOUBLE);
	}
	return 0;
}

/* valuesInline: no types to check, but JSON must be able to carry it. */
static int check_any(struct sctx *c, struct doc_node *n, const char *field, unsigned depth)
{
	struct y11_value v;
	char where[256];
	size_t i;
	int r;

	if (depth > 64)
		return err_set(ERR_TOOBIG, "%s: kustomization nested too deeply",
			       doc_where(n, where, sizeof(where)));
	if (n->kind == DOC_SCALAR) {
		if ((r = kust_y11_resolve(n, &v)))
			return r;
		return json_value(n, &v);
	}
	for (i = 0; i < n->n; i++) {
		struct doc_node *kid = n->kind == DOC_MAP ? n->kids[2 * i + 1] : n->kids[i];

		if (n->kind == DOC_MAP && !doc_is_merge_key(n->kids[2 * i])) {
			if (n->kids[2 * i]->kind != DOC_SCALAR)
				return err_set(ERR_INVALID, "%s: invalid map key: a key must be a scalar",
					       doc_where(n->kids[2 * i], where, sizeof(where)));
			if ((r = kust_y11_resolve(n->kids[2 * i], &v)))
				return r;
			if (v.type == Y11_NULL)
				return err_set(ERR_INVALID, "%s: %s: a map key cannot be null",
					       doc_where(n->kids[2 * i], where, sizeof(where)), field);
		}
		if ((r = check_any(c, kid, field, depth + 1)))
			return r;
	}
	return 0;
}

static bool is_null(const struct doc_node *v)
{
	struct y11_value yv;

	return v->kind == DOC_SCALAR && !kust_y11_resolve(v, &yv) && yv.type == Y11_NULL;
}

static int check(struct sctx *c, struct doc_node *n, enum kty type, const struct kstruct *st,
		 const char *field, bool convert, unsigned depth);

static int check_struct(struct sctx *c, struct doc_node *n, const struct kstruct *st,
			bool convert, unsigned depth)
{
	const struct kfield **which = NULL;
	size_t *best = NULL;
	char where[256];
	size_t i, f, kept = 0;
	int r = 0;

	if (!n->n)
		return 0;
	which = xcalloc(n->n, sizeof(*which));
	for (i = 0; i < n->n; i++) {
		struct doc_node *key = n->kids[2 * i];
		const struct kfield *hit = NULL;

		if (key->kind != DOC_SCALAR) {
			r = err_set(ERR_INVALID, "%s: invalid map key: a key must be a scalar",
				    doc_where(key, where, sizeof(where)));
			goto out;
		}
		/* Go's encoding/json: an exact match first, else one that folds. */
		for (f = 0; f < st->n && !hit; f++)
			if (!strcmp(st->fields[f].name, key->str))
				hit = &st->fields[f];
		for (f = 0; f < st->n && !hit; f++)
			if (!strcasecmp(st->fields[f].name, key->str))
				hit = &st->fields[f];
		if (!hit) {
			if (c->strict) {
				r = err_set(ERR_INVALID, "%s: unknown field \"%s\" in %s",
					    doc_where(key, where, sizeof(where)), key->str, st->type);
				goto out;
			}
			continue;
		}
		which[i] = hit;
	}
	/*
	 * Between spellings of one field, the JSON kustomize decodes has its
	 * keys sorted, so the bytewise greatest spelling is decoded last and
	 * wins.  (Repeats of one spelling were resolved by the reader.)
	 */
	best = xmalloc(st->n * sizeof(*best));
	for (f = 0; f < st->n; f++)
		best[f] = SIZE_MAX;
	for (i = 0; i < n->n; i++) {
		if (!which[i])
			continue;
		f = (size_t)(which[i] - st->fields);
		if (best[f] == SIZE_MAX ||
		    strcmp(n->kids[2 * i]->str, n->kids[2 * best[f]]->str) >= 0)
			best[f] = i;
	}
	for (i = 0; i < n->n; i++) {
		if (which[i] && best[which[i] - st->fields] != i)
			continue;
		/*
		 * A field set to null is left at Go's zero value, which is what
		 * an absent field is for every type of these structs (a string,
		 * bool or number, a nil pointer, slice or map).
		 */
		if (which[i] && is_null(n->kids[2 * i + 1]))
			continue;
		if (which[i] && strcmp(which[i]->name, n->kids[2 * i]->str)) {
			n->kids[2 * i]->str = which[i]->name;
			n->kids[2 * i]->len = strlen(which[i]->name);
		}
		n->kids[2 * kept] = n->kids[2 * i];
		n->kids[2 * kept + 1] = n->kids[2 * i + 1];
		which[kept] = which[i];
		kept++;
	}
	n->n = kept;
	for (i = 0; !r && i < n->n; i++)
		if (which[i])
			r = check(c, n->kids[2 * i + 1], which[i]->type, which[i]->st,
				  which[i]->name, convert && !which[i]->inl, depth + 1);
out:
	free(which);
	free(best);
	return r;
}

static int check(struct sctx *c, struct doc_node *n, enum kty type, const struct kstruct *st,
		 const char *field, bool convert, unsigned depth)
{
	struct y11_value v = { Y11_STR, false, 0, 0, 0 };
	char where[256];
	size_t i;
	int r;

	if (depth > 32)
		return err_set(ERR_TOOBIG, "%s: kustomization nested too deeply",
			       doc_where(n, where, sizeof(where)));
	if (type == T_ANY)
		return check_any(c, n, field, depth);
	if (n->kind == DOC_SCALAR) {
		if ((r = resolve(c, n, &v)) || (r = json_value(n, &v)))
			return r;
		/* JSON null leaves a list, map or struct at its zero value. */
		if (v.type == Y11_NULL && type != T_STR && type != T_BOOL && type != T_INT)
			return 0;
	}
	switch (type) {
	case T_STR:
	case T_BOOL:
	case T_INT:
		if (n->kind == DOC_SCALAR)
			return check_scalar(c, n, type, field, convert);
		break;
	case T_MAP:
	case T_LMAP:
	case T_BMAP:
		if (n->kind != DOC_MAP)
			break;
		for (i = 0; i < n->n; i++) {
			if ((r = check_key(c, n->kids[2 * i], type == T_LMAP, field)))
				return r;
			if ((r = check(c, n->kids[2 * i + 1], type == T_BMAP ? T_BOOL : T_STR, NULL,
				       field, convert, depth + 1)))
				return r;
		}
		return 0;
	case T_STRUCT:
		if (n->kind == DOC_MAP)
			return check_struct(c, n, st, convert, depth);
		break;
	case T_LIST:
		if (n->kind != DOC_SEQ)
			break;
		for (i = 0; i < n->n; i++) {
			r = check(c, n->kids[i], st ? T_STRUCT : T_STR, st, field, convert, depth + 1);
			if (r)
				return r;
		}
		return 0;
	case T_ANY:
		return 0;
	}
	return mismatch(n, &v, field, type, st);
}

int kust_schema_check(struct arena *a, struct doc_node *k)
{
	struct sctx c = { a, true, false, false };
	size_t i, f;
	int r;

	for (i = 0; i < k->n; i++) {
		const char *name = k->kids[2 * i]->str;

		for (f = 0; f < ARRAY_SIZE(top_fields); f++)
			if (!strcmp(top_fields[f].name, name))
				break;
		if (f == ARRAY_SIZE(top_fields)) {
			/* check_fields() names unknown top-level fields; JSON still must carry them. */
			r = check_any(&c, k->kids[2 * i + 1], name, 1);
		} else {
			r = check(&c, k->kids[2 * i + 1], top_fields[f].type, top_fields[f].st,
				  top_fields[f].name, false, 1);
		}
		if (r)
			return r;
	}
	return 0;
}

int kust_schema_replacement(struct arena *a, struct doc_node *n)
{
	struct sctx c = { a, false, true, false };

	return check(&c, n, T_STRUCT, &replacement, "replacements", true, 1);
}

int kust_schema_config(struct arena *a, struct doc_node *n)
{
	struct sctx c = { a, true, true, false };

	return check(&c, n, T_STRUCT, &tconfig, "configurations", true, 1);
}

int kust_schema_transformer(struct arena *a, struct doc_node *n)
{
	struct sctx c = { a, false, true, true };
	const char *kind = n->kind == DOC_MAP ? doc_get_str(n, "kind", NULL) : NULL;
	const struct kstruct *st = NULL;

	if (!kind)
		return 0;
	if (!strcmp(kind, "LabelTransformer"))
		st = &labeltr;
	else if (!strcmp(kind, "AnnotationsTransformer"))
		st = &annotr;
	else if (!strcmp(kind, "PrefixSuffixTransformer"))
		st = &prefixtr;
	else if (!strcmp(kind, "ReplacementTransformer"))
		st = &repltr;
	else if (!strcmp(kind, "ConfigMapGenerator"))
		st = &cmgen;
	else if (!strcmp(kind, "SecretGenerator"))
		st = &secgen;
	return st ? check(&c, n, T_STRUCT, st, kind, true, 1) : 0;
}
