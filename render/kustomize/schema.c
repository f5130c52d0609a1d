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

enum kty {
	T_SCALAR = 1, /* string, bool or number */
	T_MAP,        /* map[string]string or map[string]bool: keys are data */
	T_ANY,        /* free-form (valuesInline, ObjectMeta's maps) */
	T_STRUCT,
	T_LIST,       /* of scalars, or of structs when `st` is set */
};

struct kstruct;

struct kfield {
	const char *name;
	enum kty type;
	const struct kstruct *st; /* T_STRUCT, or T_LIST of structs */
};

struct kstruct {
	const char *type; /* Go type name, for messages */
	const struct kfield *fields;
	size_t n;
};

#define STRUCT(var, name) \
	static const struct kstruct var = { name, var##_fields, ARRAY_SIZE(var##_fields) }

static const struct kfield fieldspec_fields[] = {
	{ "group", T_SCALAR }, { "version", T_SCALAR }, { "kind", T_SCALAR },
	{ "path", T_SCALAR }, { "create", T_SCALAR },
};
STRUCT(fieldspec, "FieldSpec");

static const struct kfield selector_fields[] = {
	{ "group", T_SCALAR }, { "version", T_SCALAR }, { "kind", T_SCALAR },
	{ "name", T_SCALAR }, { "namespace", T_SCALAR },
	{ "annotationSelector", T_SCALAR }, { "labelSelector", T_SCALAR },
};
STRUCT(selector, "Selector");

static const struct kfield fieldoptions_fields[] = {
	{ "delimiter", T_SCALAR }, { "index", T_SCALAR }, { "encoding", T_SCALAR },
	{ "create", T_SCALAR },
};
STRUCT(fieldoptions, "FieldOptions");

static const struct kfield source_fields[] = {
	{ "group", T_SCALAR }, { "version", T_SCALAR }, { "kind", T_SCALAR },
	{ "name", T_SCALAR }, { "namespace", T_SCALAR }, { "fieldPath", T_SCALAR },
	{ "options", T_STRUCT, &fieldoptions },
};
STRUCT(source, "SourceSelector");

static const struct kfield target_fields[] = {
	{ "select", T_STRUCT, &selector }, { "reject", T_LIST, &selector },
	{ "fieldPaths", T_LIST }, { "options", T_STRUCT, &fieldoptions },
};
STRUCT(target, "TargetSelector");

static const struct kfield replacement_fields[] = {
	{ "path", T_SCALAR }, { "source", T_STRUCT, &source },
	{ "targets", T_LIST, &target },
};
STRUCT(replacement, "ReplacementField");

static const struct kfield objmeta_fields[] = {
	{ "name", T_SCALAR }, { "namespace", T_SCALAR },
	{ "labels", T_MAP }, { "annotations", T_MAP },
};
STRUCT(objmeta, "ObjectMeta");

static const struct kfield label_fields[] = {
	{ "pairs", T_MAP }, { "includeSelectors", T_SCALAR },
	{ "includeTemplates", T_SCALAR }, { "fields", T_LIST, &fieldspec },
};
STRUCT(label, "Label");

static const struct kfield patch_fields[] = {
	{ "path", T_SCALAR }, { "patch", T_SCALAR }, { "target", T_STRUCT, &selector },
	{ "options", T_MAP },
};
STRUCT(patch, "Patch");

static const struct kfield image_fields[] = {
	{ "name", T_SCALAR }, { "newName", T_SCALAR }, { "newTag", T_SCALAR },
	{ "digest", T_SCALAR }, { "tagSuffix", T_SCALAR },
};
STRUCT(image, "Image");

static const struct kfield replica_fields[] = {
	{ "name", T_SCALAR }, { "count", T_SCALAR },
};
STRUCT(replica, "Replica");

static const struct kfield objref_fields[] = {
	{ "group", T_SCALAR }, { "version", T_SCALAR }, { "kind", T_SCALAR },
	{ "apiVersion", T_SCALAR }, { "name", T_SCALAR }, { "namespace", T_SCALAR },
};
STRUCT(objref, "Target");

static const struct kfield fieldref_fields[] = {
	{ "fieldPath", T_SCALAR },
};
STRUCT(fieldref, "FieldSelector");

static const struct kfield var_fields[] = {
	{ "name", T_SCALAR }, { "objref", T_STRUCT, &objref },
	{ "fieldref", T_STRUCT, &fieldref },
};
STRUCT(var, "Var");

static const struct kfield genopts_fields[] = {
	{ "labels", T_MAP }, { "annotations", T_MAP },
	{ "disableNameSuffixHash", T_SCALAR }, { "immutable", T_SCALAR },
};
STRUCT(genopts, "GeneratorOptions");

#define GENERATOR_ARGS \
	{ "namespace", T_SCALAR }, { "name", T_SCALAR }, { "behavior", T_SCALAR }, \
	{ "literals", T_LIST }, { "files", T_LIST }, { "envs", T_LIST }, \
	{ "env", T_SCALAR }, { "options", T_STRUCT, &genopts }

static const struct kfield configmapargs_fields[] = { GENERATOR_ARGS };
STRUCT(configmapargs, "ConfigMapArgs");

static const struct kfield secretargs_fields[] = { GENERATOR_ARGS, { "type", T_SCALAR } };
STRUCT(secretargs, "SecretArgs");

static const struct kfield legacysort_fields[] = {
	{ "orderFirst", T_LIST }, { "orderLast", T_LIST },
};
STRUCT(legacysort, "LegacySortOptions");

static const struct kfield sortoptions_fields[] = {
	{ "order", T_SCALAR }, { "legacySortOptions", T_STRUCT, &legacysort },
};
STRUCT(sortoptions, "SortOptions");

static const struct kfield helmglobals_fields[] = {
	{ "chartHome", T_SCALAR }, { "configHome", T_SCALAR },
};
STRUCT(helmglobals, "HelmGlobals");

static const struct kfield helmchart_fields[] = {
	{ "name", T_SCALAR }, { "version", T_SCALAR }, { "repo", T_SCALAR },
	{ "releaseName", T_SCALAR }, { "namespace", T_SCALAR },
	{ "additionalValuesFiles", T_LIST }, { "valuesFile", T_SCALAR },
	{ "valuesInline", T_ANY }, { "valuesMerge", T_SCALAR }, { "includeCRDs", T_SCALAR },
	{ "skipHooks", T_SCALAR }, { "apiVersions", T_LIST }, { "kubeVersion", T_SCALAR },
	{ "nameTemplate", T_SCALAR }, { "skipTests", T_SCALAR }, { "debug", T_SCALAR },
};
STRUCT(helmchart, "HelmChart");

/* The top level: canonical_keys() in kust.c has already renamed these. */
static const struct kfield top_fields[] = {
	{ "metadata", T_STRUCT, &objmeta },
	{ "labels", T_LIST, &label },
	{ "commonLabels", T_MAP }, { "commonAnnotations", T_MAP },
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
	{ "namespace", T_SCALAR }, { "namePrefix", T_SCALAR }, { "nameSuffix", T_SCALAR },
	{ "apiVersion", T_SCALAR }, { "kind", T_SCALAR },
};

static bool is_null(const struct doc_node *v)
{
	struct doc_value dv;

	return v->kind == DOC_SCALAR && !v->tag && !doc_resolve(v, &dv) &&
	       dv.type == DOC_T_NULL;
}

static const char *kind_word(const struct doc_node *n)
{
	return n->kind == DOC_MAP ? "object" : n->kind == DOC_SEQ ? "array" : "scalar";
}

static int check(struct doc_node *n, enum kty type, const struct kstruct *st, bool strict,
		 const char *field, unsigned depth);

static int check_struct(struct doc_node *n, const struct kstruct *st, bool strict,
			unsigned depth)
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
			if (strict) {
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
			r = check(n->kids[2 * i + 1], which[i]->type, which[i]->st, strict,
				  which[i]->name, depth + 1);
out:
	free(which);
	free(best);
	return r;
}

static int check(struct doc_node *n, enum kty type, const struct kstruct *st, bool strict,
		 const char *field, unsigned depth)
{
	char where[256];
	size_t i;
	int r;

	if (is_null(n) || type == T_ANY)
		return 0;
	if (depth > 32)
		return err_set(ERR_TOOBIG, "%s: kustomization nested too deeply",
			       doc_where(n, where, sizeof(where)));
	switch (type) {
	case T_SCALAR:
		if (n->kind == DOC_SCALAR)
			return 0;
		break;
	case T_MAP:
		if (n->kind == DOC_MAP)
			return 0;
		break;
	case T_STRUCT:
		if (n->kind == DOC_MAP)
			return check_struct(n, st, strict, depth);
		break;
	case T_LIST:
		if (n->kind != DOC_SEQ)
			break;
		for (i = 0; i < n->n; i++) {
			r = check(n->kids[i], st ? T_STRUCT : T_SCALAR, st, strict, field, depth + 1);
			if (r)
				return r;
		}
		return 0;
	case T_ANY:
		return 0;
	}
	return err_set(ERR_INVALID, "%s: %s: cannot unmarshal %s into a field of type %s",
		       doc_where(n, where, sizeof(where)), field, kind_word(n),
		       type == T_LIST ? "list" : type == T_SCALAR ? "string" :
		       st ? st->type : "map");
}

int kust_schema_check(struct doc_node *k)
{
	size_t i, f;
	int r;

	for (i = 0; i < k->n; i++) {
		const char *name = k->kids[2 * i]->str;

		for (f = 0; f < ARRAY_SIZE(top_fields); f++)
			if (!strcmp(top_fields[f].name, name))
				break;
		if (f == ARRAY_SIZE(top_fields))
			continue; /* check_fields() names unknown top-level fields */
		r = check(k->kids[2 * i + 1], top_fields[f].type, top_fields[f].st, true,
			  top_fields[f].name, 1);
		if (r)
			return r;
	}
	return 0;
}

int kust_schema_replacement(struct doc_node *n)
{
	return check(n, T_STRUCT, &replacement, false, "replacements", 1);
}
