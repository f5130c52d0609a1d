/*
 * chart-meta.c - Chart.yaml as chart.Metadata, and the .Chart object.
 *
 * Helm reads Chart.yaml with sigs.k8s.io/yaml into a Go struct: YAML, then
 * JSON, then encoding/json's rules (field names match case-insensitively,
 * unknown fields are ignored, null leaves a field alone, a value of the
 * wrong JSON type is an error naming the field).
 */
#include "core/compat.h"
#include "render/helm/chart.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <strings.h>

static const char *json_kind(const struct hv *v)
{
	switch (v->kind) {
	case HV_BOOL:
		return "bool";
	case HV_INT:
	case HV_UINT:
	case HV_FLOAT:
		return "number";
	case HV_LIST:
		return "array";
	case HV_MAP:
		return "object";
	default:
		return "string";
	}
}

static int type_error(const char *what, const struct hv *v, const char *field, const char *gotype)
{
	return err_set(ERR_INVALID,
		       "cannot load %s: error unmarshaling JSON: json: cannot unmarshal %s into Go struct field %s of type %s",
		       what, json_kind(v), field, gotype);
}

/*
 * sigs.k8s.io/yaml turns a YAML scalar bound for a Go string into text
 * before the JSON step: ints in decimal, floats as FormatFloat(f, 'g', -1,
 * 32) (`version: 1.10` is "1.1"), booleans as "true"/"false" (`name: off`
 * is "false").  NULL for a value that stays a type error (lists, maps).
 */
const char *helm_yaml_string_target(struct helm_ctx *c, const struct hv *v)
{
	char buf[64];

	switch (v->kind) {
	case HV_STRING:
		return v->s;
	case HV_BOOL:
		return v->b ? "true" : "false";
	case HV_INT:
		xsnprintf(buf, sizeof(buf), "%lld", (long long)v->i);
		break;
	case HV_UINT:
		xsnprintf(buf, sizeof(buf), "%llu", (unsigned long long)v->u);
		break;
	case HV_FLOAT:
		/* go-yaml gave an int for integral literals; they print in decimal. */
		if (v->f == (double)(int64_t)v->f && v->f > -9007199254740992.0 &&
		    v->f < 9007199254740992.0)
			xsnprintf(buf, sizeof(buf), "%lld", (long long)v->f);
		else
			helm_format_float(buf, sizeof(buf), v->f, 'g', 32);
		break;
	default:
		return NULL;
	}
	return hctx_strndup(c, buf, strlen(buf));
}

static struct helm_ctx *meta_ctx;

static int get_str(const char *what, const struct hv *v, const char *field, const char **out)
{
	const char *s;

	if (v->kind == HV_NIL)
		return 0;
	s = helm_yaml_string_target(meta_ctx, v);
	if (!s)
		return type_error(what, v, field, "string");
	*out = s;
	return 0;
}

static int get_strlist(struct helm_ctx *c, const char *what, const struct hv *v,
		       const char *field, const char ***out, size_t *n, bool *has)
{
	size_t i;

	if (v->kind == HV_NIL) {
		return 0;
	}
	if (v->kind != HV_LIST)
		return type_error(what, v, field, "[]string");
	*out = hctx_alloc(c, (v->list->n + 1) * sizeof(char *));
	if (!*out)
		return ERR_TOOBIG;
	for (i = 0; i < v->list->n; i++) {
		const struct hv *it = v->list->items[i];

		if (it->kind == HV_NIL) {
			(*out)[i] = "";
			continue;
		}
		if (!((*out)[i] = helm_yaml_string_target(c, it)))
			return type_error(what, it, field, "string");
	}
	*n = v->list->n;
	if (has)
		*has = true;
	return 0;
}

/* The value of `key` in `m`, matched as encoding/json matches field names. */
static struct hv *field(struct helm_ctx *c, const struct hv *m, const char *key)
{
	const char **keys;
	size_t *lens, n, i;
	struct hv *v = hv_map_get(m, key, strlen(key));

	if (v)
		return v;
	if (hv_map_keys(c, m, &keys, &lens, &n))
		return NULL;
	/* encoding/json takes the last case-insensitive match in input order; keys are sorted here. */
	for (i = n; i-- > 0;)
		if (lens[i] == strlen(key) && !strncasecmp(keys[i], key, lens[i]))
			return hv_map_get(m, keys[i], lens[i]);
	return NULL;
}

static int parse_maint(struct helm_ctx *c, const char *what, const struct hv *v,
		       struct chart_maint *out)
{
	struct hv *f;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (v->kind == HV_NIL)
		return 0;
	if (v->kind != HV_MAP)
		return type_error(what, v, "Metadata.maintainers", "chart.Maintainer");
	if ((f = field(c, v, "name")))
		r = get_str(what, f, "Maintainer.name", &out->name);
	if (!r && (f = field(c, v, "email")))
		r = get_str(what, f, "Maintainer.email", &out->email);
	if (!r && (f = field(c, v, "url")))
		r = get_str(what, f, "Maintainer.url", &out->url);
	return r;
}

static int parse_dep(struct helm_ctx *c, const char *what, const struct hv *v,
		     struct chart_dep **out)
{
	struct chart_dep *d;
	struct hv *f;
	int r = 0;

	*out = NULL;
	if (v->kind == HV_NIL)
		return 0;
	if (v->kind != HV_MAP)
		return type_error(what, v, "Metadata.dependencies", "chart.Dependency");
	d = hctx_alloc(c, sizeof(*d));
	if (!d)
		return ERR_TOOBIG;
	if ((f = field(c, v, "name")))
		r = get_str(what, f, "Dependency.name", &d->name);
	if (!r && (f = field(c, v, "version")))
		r = get_str(what, f, "Dependency.version", &d->version);
	if (!r && (f = field(c, v, "repository")))
		r = get_str(what, f, "Dependency.repository", &d->repository);
	if (!r && (f = field(c, v, "condition")))
		r = get_str(what, f, "Dependency.condition", &d->condition);
	if (!r && (f = field(c, v, "alias")))
		r = get_str(what, f, "Dependency.alias", &d->alias);
	if (!r && (f = field(c, v, "tags")))
		r = get_strlist(c, what, f, "Dependency.tags", &d->tags, &d->ntags, NULL);
	if (!r && (f = field(c, v, "enabled"))) {
		if (f->kind == HV_BOOL)
			d->enabled = f->b;
		else if (f->kind != HV_NIL)
			r = type_error(what, f, "Dependency.enabled", "bool");
	}
	if (!r && (f = field(c, v, "import-values"))) {
		if (f->kind == HV_LIST)
			d->import_values = f;
		else if (f->kind != HV_NIL)
			r = type_error(what, f, "Dependency.import-values", "[]interface {}");
	}
	if (!r)
		*out = d;
	return r;
}

int chart_meta_parse(struct helm_ctx *c, struct chart_meta *m, const char *buf, size_t len,
		     const char *what)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "name", offsetof(struct chart_meta, name) },
		{ "home", offsetof(struct chart_meta, home) },
		{ "version", offsetof(struct chart_meta, version) },
		{ "description", offsetof(struct chart_meta, description) },
		{ "icon", offsetof(struct chart_meta, icon) },
		{ "apiVersion", offsetof(struct chart_meta, api_version) },
		{ "condition", offsetof(struct chart_meta, condition) },
		{ "tags", offsetof(struct chart_meta, tags) },
		{ "appVersion", offsetof(struct chart_meta, app_version) },
		{ "kubeVersion", offsetof(struct chart_meta, kube_version) },
		{ "type", offsetof(struct chart_meta, type) },
	};
	struct hv *root, *f;
	char fname[64];
	size_t i;
	int r;

	meta_ctx = c;
	r = helm_yaml_parse(c, &root, buf, len, HELM_INTO_MAP);
	if (r)
		return err_prefix(r, "cannot load %s", what);
	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		if (!(f = field(c, root, strs[i].key)))
			continue;
		xsnprintf(fname, sizeof(fname), "Metadata.%s", strs[i].key);
		r = get_str(what, f, fname, (const char **)((char *)m + strs[i].off));
		if (r)
			return r;
	}
	if ((f = field(c, root, "sources")) &&
	    (r = get_strlist(c, what, f, "Metadata.sources", &m->sources, &m->nsources,
			     &m->has_sources)))
		return r;
	if ((f = field(c, root, "keywords")) &&
	    (r = get_strlist(c, what, f, "Metadata.keywords", &m->keywords, &m->nkeywords,
			     &m->has_keywords)))
		return r;
	if ((f = field(c, root, "deprecated"))) {
		if (f->kind == HV_BOOL)
			m->deprecated = f->b;
		else if (f->kind != HV_NIL)
			return type_error(what, f, "Metadata.deprecated", "bool");
	}
	if ((f = field(c, root, "annotations")) && f->kind != HV_NIL) {
		const char **keys;
		size_t *lens, n;

		if (f->kind != HV_MAP)
			return type_error(what, f, "Metadata.annotations", "map[string]string");
		m->annotations = hv_map_new(c, "map[string]string");
		if (!m->annotations || hv_map_keys(c, f, &keys, &lens, &n))
			return ERR_TOOBIG;
		for (i = 0; i < n; i++) {
			struct hv *v = hv_map_get(f, keys[i], lens[i]);

			const char *sv = v->kind == HV_NIL ? "" : helm_yaml_string_target(c, v);

			if (!sv)
				return type_error(what, v, "Metadata.annotations", "string");
			if (hv_map_set(c, m->annotations, keys[i], lens[i], hv_cstr(c, sv)))
				return ERR_TOOBIG;
		}
	}
	if ((f = field(c, root, "maintainers")) && f->kind != HV_NIL) {
		if (f->kind != HV_LIST)
			return type_error(what, f, "Metadata.maintainers", "[]*chart.Maintainer");
		m->maintainers = hctx_alloc(c, (f->list->n + 1) * sizeof(*m->maintainers));
		if (!m->maintainers)
			return ERR_TOOBIG;
		m->nmaintainers = f->list->n;
		for (i = 0; i < f->list->n; i++)
			if ((r = parse_maint(c, what, f->list->items[i], &m->maintainers[i])))
				return r;
	}
	if ((f = field(c, root, "dependencies")) && f->kind != HV_NIL) {
		size_t k = 0;

		if (f->kind != HV_LIST)
			return type_error(what, f, "Metadata.dependencies", "[]*chart.Dependency");
		m->deps = hctx_alloc(c, (f->list->n + 1) * sizeof(*m->deps));
		if (!m->deps)
			return ERR_TOOBIG;
		for (i = 0; i < f->list->n; i++) {
			if ((r = parse_dep(c, what, f->list->items[i], &m->deps[k])))
				return r;
			/* A null entry is a nil *Dependency, which Helm skips where it matters. */
			if (m->deps[k])
				k++;
		}
		m->ndeps = k;
		m->has_deps = true;
	}
	return 0;
}

/* ---- the .Chart object ---- */

struct meta_self {
	const struct chart_meta *m;
	bool is_root;
};

static struct hv *str_or_empty(struct helm_ctx *c, const char *s)
{
	return hv_cstr(c, s ? s : "");
}

static struct hv *strlist(struct helm_ctx *c, const char **v, size_t n)
{
	struct hv *l = hv_list_new(c, HV_T_STRLIST, n);
	size_t i;

	for (i = 0; l && i < n; i++)
		if (hv_list_push(c, l, hv_cstr(c, v[i])))
			return NULL;
	return l;
}

static struct hv *maint_field(struct helm_ctx *c, void *self, const char *name)
{
	const struct chart_maint *mt = self;

	if (!strcmp(name, "Name"))
		return str_or_empty(c, mt->name);
	if (!strcmp(name, "Email"))
		return str_or_empty(c, mt->email);
	if (!strcmp(name, "URL"))
		return str_or_empty(c, mt->url);
	return NULL;
}

static const struct hv_class maint_class = { "*chart.Maintainer", maint_field, NULL, NULL };

static struct hv *dep_field(struct helm_ctx *c, void *self, const char *name)
{
	const struct chart_dep *d = self;

	if (!strcmp(name, "Name"))
		return str_or_empty(c, d->name);
	if (!strcmp(name, "Version"))
		return str_or_empty(c, d->version);
	if (!strcmp(name, "Repository"))
		return str_or_empty(c, d->repository);
	if (!strcmp(name, "Condition"))
		return str_or_empty(c, d->condition);
	if (!strcmp(name, "Alias"))
		return str_or_empty(c, d->alias);
	if (!strcmp(name, "Tags"))
		return strlist(c, d->tags, d->ntags);
	if (!strcmp(name, "Enabled"))
		return hv_bool(d->enabled);
	if (!strcmp(name, "ImportValues"))
		return d->import_values ? d->import_values : hv_list_new(c, HV_T_LIST, 0);
	return NULL;
}

static const struct hv_class dep_class = { "*chart.Dependency", dep_field, NULL, NULL };

static struct hv *meta_field(struct helm_ctx *c, void *self, const char *name)
{
	const struct meta_self *ms = self;
	const struct chart_meta *m = ms->m;
	struct hv *l;
	size_t i;

	switch (name[0]) {
	case 'A':
		if (!strcmp(name, "APIVersion"))
			return str_or_empty(c, m->api_version);
		if (!strcmp(name, "AppVersion"))
			return str_or_empty(c, m->app_version);
		if (!strcmp(name, "Annotations"))
			return m->annotations ? m->annotations : hv_map_new(c, "map[string]string");
		break;
	case 'C':
		if (!strcmp(name, "Condition"))
			return str_or_empty(c, m->condition);
		break;
	case 'D':
		if (!strcmp(name, "Description"))
			return str_or_empty(c, m->description);
		if (!strcmp(name, "Deprecated"))
			return hv_bool(m->deprecated);
		if (!strcmp(name, "Dependencies")) {
			l = hv_list_new(c, "[]*chart.Dependency", m->ndeps);
			for (i = 0; l && i < m->ndeps; i++)
				if (hv_list_push(c, l, hv_obj(c, &dep_class, m->deps[i])))
					return NULL;
			return l;
		}
		break;
	case 'H':
		if (!strcmp(name, "Home"))
			return str_or_empty(c, m->home);
		break;
	case 'I':
		if (!strcmp(name, "Icon"))
			return str_or_empty(c, m->icon);
		if (!strcmp(name, "IsRoot"))
			return hv_bool(ms->is_root);
		break;
	case 'K':
		if (!strcmp(name, "Keywords"))
			return strlist(c, m->keywords, m->nkeywords);
		if (!strcmp(name, "KubeVersion"))
			return str_or_empty(c, m->kube_version);
		break;
	case 'M':
		if (!strcmp(name, "Maintainers")) {
			l = hv_list_new(c, "[]*chart.Maintainer", m->nmaintainers);
			for (i = 0; l && i < m->nmaintainers; i++)
				if (hv_list_push(c, l, hv_obj(c, &maint_class,
							     (void *)&m->maintainers[i])))
					return NULL;
			return l;
		}
		break;
	case 'N':
		if (!strcmp(name, "Name"))
			return str_or_empty(c, m->name);
		break;
	case 'S':
		if (!strcmp(name, "Sources"))
			return strlist(c, m->sources, m->nsources);
		break;
	case 'T':
		if (!strcmp(name, "Tags"))
			return str_or_empty(c, m->tags);
		if (!strcmp(name, "Type"))
			return str_or_empty(c, m->type);
		break;
	case 'V':
		if (!strcmp(name, "Version"))
			return str_or_empty(c, m->version);
		break;
	}
	return NULL;
}

static const struct hv_class meta_class = { "*chart.Metadata", meta_field, NULL, NULL };

struct hv *chart_meta_value(struct helm_ctx *c, const struct chart *ch)
{
	struct meta_self *ms = hctx_alloc(c, sizeof(*ms));

	if (!ms)
		return NULL;
	ms->m = ch->meta;
	ms->is_root = !ch->parent;
	return hv_obj(c, &meta_class, ms);
}
