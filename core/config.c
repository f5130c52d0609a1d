/*
 * config.c - hoist.yaml through declarative tables.
 *
 * Each struct the file fills has one table of fields.  The parser, the
 * release function and the documentation all walk the same tables, so a
 * key cannot be parsed without being documented, or documented without
 * being parsed.
 */
#include "compat.h"
#include "config.h"
#include "model/doc.h"
#include "err.h"
#include "oci/oci-ref.h"
#include "strbuf.h"
#include <fnmatch.h>

enum cfg_type {
	CFG_STR,
	CFG_BOOL,
	CFG_STRLIST, /* a sequence of strings (a lone string is accepted) */
	CFG_LIST,    /* a sequence of objects */
	CFG_NAMED,   /* a mapping of name -> object, stored as a list with .name set */
	CFG_SETMAP,  /* a mapping of key -> scalar, stored as Helm --set lines "key=value" */
	CFG_OBJ,     /* one nested object, stored inline */
};

struct cfg_schema;

struct cfg_field {
	const char *key;
	enum cfg_type type;
	size_t off;
	const char *def; /* default, as text; NULL: none */
	bool required;
	const char *const *choices; /* for CFG_STR: allowed values */
	const struct cfg_schema *sub;
	const char *help;
};

struct cfg_schema {
	const char *name;
	size_t size;
	const struct cfg_field *fields;
	size_t nfields;
};

static const char *const engines[] = { "auto", "plain", "kustomize", "helm", NULL };
static const char *const approvals[] = { "none", "required", NULL };

#define F(key, type, st, member, def, req, choices, sub, help) \
	{ key, type, offsetof(st, member), def, req, choices, sub, help }

static const struct cfg_field app_fields[] = {
	F("name", CFG_STR, struct config_app, name, NULL, true, NULL, NULL,
	  "the app's name; also the last component of its OCI repository ([a-z0-9._-])"),
	F("path", CFG_STR, struct config_app, path, NULL, true, NULL, NULL,
	  "the app's folder, relative to the repository root; ${env} is replaced by the environment"),
	F("engine", CFG_STR, struct config_app, engine, "auto", false, engines, NULL,
	  "auto (Chart.yaml: helm, kustomization.yaml: kustomize, else plain), plain, kustomize or helm"),
	F("values", CFG_STRLIST, struct config_app, values, NULL, false, NULL, NULL,
	  "Helm values files, relative to the app folder; ${env} is replaced; missing files are skipped"),
	F("releaseName", CFG_STR, struct config_app, release_name, NULL, false, NULL, NULL,
	  "Helm charts: the release name (.Release.Name); default: the app's name"),
	F("namespace", CFG_STR, struct config_app, namespace, NULL, false, NULL, NULL,
	  "Helm charts: the release namespace (.Release.Namespace, helm template -n); default: default"),
	F("set", CFG_SETMAP, struct config_app, set, NULL, false, NULL, NULL,
	  "Helm charts: values as `--set KEY=VALUE` gives them (KEY may be a.b[0].c; values typed as --set types them), applied after the values files"),
	F("environments", CFG_STRLIST, struct config_app, environments, NULL, false, NULL, NULL,
	  "the environments this app is published to; empty means all"),
	F("repo", CFG_STR, struct config_app, repo, NULL, false, NULL, NULL,
	  "Helm: a chart repository URL (its index.yaml) the chart comes from, with chart and version; path then holds only values files (docs/remote.md)"),
	F("chart", CFG_STR, struct config_app, chart, NULL, false, NULL, NULL,
	  "Helm: the chart's name in repo"),
	F("version", CFG_STR, struct config_app, version, NULL, false, NULL, NULL,
	  "Helm: the chart version in repo, exact (1.2.3) or a semver range (~1.2, a floating input hoist.lock pins)"),
};
static const struct cfg_schema app_schema = { "apps[]", sizeof(struct config_app), app_fields,
					      ARRAY_SIZE(app_fields) };

static const struct cfg_field env_fields[] = {
	F("name", CFG_STR, struct config_env, name, NULL, true, NULL, NULL,
	  "the environment's name; also its moving tag in every app's repository"),
	F("branch", CFG_STRLIST, struct config_env, branches, NULL, false, NULL, NULL,
	  "branch name or glob pattern(s) whose pushes publish to this environment"),
	F("tag", CFG_STRLIST, struct config_env, tags, NULL, false, NULL, NULL,
	  "tag glob pattern(s) (e.g. v*) whose pushes publish to this environment"),
	F("promoteFrom", CFG_STR, struct config_env, promote_from, NULL, false, NULL, NULL,
	  "the environment `hoist promote` takes digests from"),
	F("soak", CFG_STR, struct config_env, soak, NULL, false, NULL, NULL,
	  "how long a digest must have been in promoteFrom before promotion (30m, 2h, 1d)"),
	F("approval", CFG_STR, struct config_env, approval, "none", false, approvals, NULL,
	  "required: `hoist promote` needs --approve"),
	F("clusters", CFG_STRLIST, struct config_env, clusters, NULL, false, NULL, NULL,
	  "clusters (keys of `clusters`) that run this environment"),
	F("registry", CFG_STR, struct config_env, registry, NULL, false, NULL, NULL,
	  "this environment's registry, when not the project's; promotion copies the artifact there"),
};
static const struct cfg_schema env_schema = { "environments[]", sizeof(struct config_env),
					      env_fields, ARRAY_SIZE(env_fields) };

static const struct cfg_field cluster_fields[] = {
	F("endpoint", CFG_STR, struct config_cluster, endpoint, NULL, true, NULL, NULL,
	  "the cluster agent's URL"),
	F("tokenEnv", CFG_STR, struct config_cluster, token_env, NULL, false, NULL, NULL,
	  "the environment variable holding the agent's push token"),
};
static const struct cfg_schema cluster_schema = { "clusters.NAME", sizeof(struct config_cluster),
						  cluster_fields, ARRAY_SIZE(cluster_fields) };

static const struct cfg_field cred_fields[] = {
	F("host", CFG_STR, struct config_cred, host, NULL, true, NULL, NULL,
	  "the host (HOST or HOST:PORT) these credentials are sent to, and no other"),
	F("usernameEnv", CFG_STR, struct config_cred, username_env, NULL, false, NULL, NULL,
	  "the environment variable holding the user name"),
	F("passwordEnv", CFG_STR, struct config_cred, password_env, NULL, true, NULL, NULL,
	  "the environment variable holding the password or token"),
};
static const struct cfg_schema cred_schema = { "remoteSources.credentials[]",
					       sizeof(struct config_cred), cred_fields,
					       ARRAY_SIZE(cred_fields) };

static const struct cfg_field remote_fields[] = {
	F("allow", CFG_STRLIST, struct config_remote, allow, NULL, false, NULL, NULL,
	  "hosts remote inputs may come from: HOST, HOST:PORT, or file (file:// repositories); a Git server's `git config hoist.allowRemote` caps it"),
	F("netrcFile", CFG_STR, struct config_remote, netrc_file, NULL, false, NULL, NULL,
	  "a netrc-style file on the publishing machine (never in the repository) with credentials for Git and HTTP hosts; HOIST_NETRC overrides it"),
	F("credentials", CFG_LIST, struct config_remote, credentials, NULL, false, NULL,
	  &cred_schema, "credentials for Git and HTTP hosts, taken from environment variables"),
};
static const struct cfg_schema remote_schema = { "remoteSources", sizeof(struct config_remote),
						 remote_fields, ARRAY_SIZE(remote_fields) };

static const struct cfg_field top_fields[] = {
	F("apiVersion", CFG_STR, struct config, api_version, NULL, true, NULL, NULL,
	  "hoist.dev/v1alpha1"),
	F("kind", CFG_STR, struct config, kind, NULL, true, NULL, NULL, "Project"),
	F("registry", CFG_STR, struct config, registry, NULL, true, NULL, NULL,
	  "where artifacts go: HOST[:PORT]/PREFIX (each app is PREFIX/APP) or oci-layout:DIR"),
	F("source", CFG_STR, struct config, source, NULL, false, NULL, NULL,
	  "the repository URL recorded in artifacts (org.opencontainers.image.source)"),
	F("signingKey", CFG_STR, struct config, signing_key, NULL, false, NULL, NULL,
	  "private key file on the publishing machine, for signing artifacts (HOIST_SIGNING_KEY takes precedence)"),
	F("verifyKey", CFG_STR, struct config, verify_key, NULL, false, NULL, NULL,
	  "public key file in the repository; promote and rollback refuse artifacts it does not verify"),
	F("insecure", CFG_BOOL, struct config, insecure, "false", false, NULL, NULL,
	  "allow plain HTTP to a registry that is not on loopback"),
	F("apps", CFG_LIST, struct config, apps, NULL, true, NULL, &app_schema,
	  "the apps to render and publish"),
	F("environments", CFG_LIST, struct config, envs, NULL, true, NULL, &env_schema,
	  "the environments, in promotion order"),
	F("clusters", CFG_NAMED, struct config, clusters, NULL, false, NULL, &cluster_schema,
	  "cluster agents by name"),
	F("renderSecretFile", CFG_STR, struct config, render_secret_file, NULL, false, NULL, NULL,
	  "a file on the publishing machine (never in the repository) whose bytes key Helm's random functions (randAlphaNum, genCA ...) in artifacts; HOIST_RENDER_SECRET overrides it; without either such calls fail"),
	F("hookAsync", CFG_BOOL, struct config, hook_async, "false", false, NULL, NULL,
	  "post-receive queues the work and returns at once; a detached worker publishes it"),
	F("hookTimeout", CFG_STR, struct config, hook_timeout, "10s", false, NULL, NULL,
	  "how long post-receive may publish before it queues the rest for the background worker (1s to 10m); the server's `git config hoist.hookTimeout` wins"),
	F("remoteSources", CFG_OBJ, struct config, remote, NULL, false, NULL, &remote_schema,
	  "remote inputs (Git and HTTP bases of kustomizations): docs/remote.md"),
};
static const struct cfg_schema top_schema = { "", sizeof(struct config), top_fields,
					      ARRAY_SIZE(top_fields) };

#define FIELD(base, f, type) ((type *)((char *)(base) + (f)->off))

static int bad(const struct doc_node *n, const char *fmt, const char *a, const char *b)
{
	char where[512];

	return err_set(ERR_INVALID, "%s: %s%s%s", doc_where(n, where, sizeof(where)), a,
		       fmt, b ? b : "");
}

static int parse_obj(void *base, const struct cfg_schema *sch, const struct doc_node *map,
		     const char *named);

static int set_str(char **dst, const struct doc_node *v, const struct cfg_field *f)
{
	const char *const *c;

	if (v->kind != DOC_SCALAR)
		return bad(v, "' must be a string", f->key, NULL) == 0 ? 0 : ERR_INVALID;
	if (f->choices) {
		for (c = f->choices; *c; c++)
			if (!strcmp(*c, v->str))
				break;
		if (!*c)
			return bad(v, "' has an unknown value: ", f->key, v->str);
	}
	free(*dst);
	*dst = xstrdup(v->str);
	return 0;
}

static int parse_field(void *base, const struct cfg_field *f, const struct doc_node *v)
{
	size_t i;
	int r;

	switch (f->type) {
	case CFG_STR:
		if (v->kind != DOC_SCALAR)
			return bad(v, "' must be a string", f->key, NULL);
		return set_str(FIELD(base, f, char *), v, f);
	case CFG_BOOL: {
		struct doc_value dv;
		if (v->kind != DOC_SCALAR || doc_resolve(v, &dv) || dv.type != DOC_T_BOOL)
			return bad(v, "' must be true or false", f->key, NULL);
		*FIELD(base, f, bool) = dv.b;
		return 0;
	}
	case CFG_STRLIST: {
		struct cfg_strlist *l = FIELD(base, f, struct cfg_strlist);
		if (v->kind == DOC_SCALAR) {
			l->v = xcalloc(2, sizeof(char *));
			l->v[0] = xstrdup(v->str);
			l->n = 1;
			return 0;
		}
		if (v->kind != DOC_SEQ)
			return bad(v, "' must be a list of strings", f->key, NULL);
		l->v = xcalloc(v->n + 1, sizeof(char *));
		for (i = 0; i < v->n; i++) {
			if (v->kids[i]->kind != DOC_SCALAR)
				return bad(v->kids[i], "' entries must be strings", f->key, NULL);
			l->v[l->n++] = xstrdup(v->kids[i]->str);
		}
		return 0;
	}
	case CFG_LIST: {
		struct cfg_list *l = FIELD(base, f, struct cfg_list);
		if (v->kind != DOC_SEQ)
			return bad(v, "' must be a list", f->key, NULL);
		l->v = xcalloc(v->n ? v->n : 1, f->sub->size);
		for (i = 0; i < v->n; i++) {
			l->n = i + 1;
			r = parse_obj((char *)l->v + i * f->sub->size, f->sub, v->kids[i], NULL);
			if (r)
				return r;
		}
		return 0;
	}
	case CFG_SETMAP: {
		struct cfg_strlist *l = FIELD(base, f, struct cfg_strlist);
		struct strbuf line = STRBUF_INIT;
		const char *p;

		if (v->kind != DOC_MAP)
			return bad(v, "' must be a mapping of keys to values", f->key, NULL);
		l->v = xcalloc(v->n + 1, sizeof(char *));
		for (i = 0; i < v->n; i++) {
			const struct doc_node *k = v->kids[2 * i], *val = v->kids[2 * i + 1];

			if (k->kind != DOC_SCALAR || val->kind != DOC_SCALAR) {
				strbuf_release(&line);
				return bad(k->kind != DOC_SCALAR ? k : val,
					   "' keys and values must be scalars", f->key, NULL);
			}
			/* The value is taken literally: commas and backslashes are escaped for --set. */
			strbuf_reset(&line);
			strbuf_addf(&line, "%s=", k->str);
			for (p = val->str; *p; p++) {
				if (*p == ',' || *p == '\\')
					strbuf_addch(&line, '\\');
				strbuf_addch(&line, *p);
			}
			l->v[l->n++] = strbuf_detach(&line, NULL);
		}
		strbuf_release(&line);
		return 0;
	}
	case CFG_OBJ:
		return parse_obj(FIELD(base, f, char), f->sub, v, NULL);
	case CFG_NAMED: {
		struct cfg_list *l = FIELD(base, f, struct cfg_list);
		if (v->kind != DOC_MAP)
			return bad(v, "' must be a mapping of names", f->key, NULL);
		l->v = xcalloc(v->n ? v->n : 1, f->sub->size);
		for (i = 0; i < v->n; i++) {
			if (v->kids[2 * i]->kind != DOC_SCALAR)
				return bad(v->kids[2 * i], "' names must be strings", f->key, NULL);
			l->n = i + 1;
			r = parse_obj((char *)l->v + i * f->sub->size, f->sub, v->kids[2 * i + 1],
				      v->kids[2 * i]->str);
			if (r)
				return r;
		}
		return 0;
	}
	}
	return 0;
}

static int parse_obj(void *base, const struct cfg_schema *sch, const struct doc_node *map,
		     const char *named)
{
	size_t i, k;
	int r;

	if (map->kind != DOC_MAP)
		return bad(map, "' must be a mapping", sch->name[0] ? sch->name : "hoist.yaml", NULL);
	if (named)
		*(char **)base = xstrdup(named); /* named objects keep the name first */
	for (i = 0; i < map->n; i++) {
		const struct doc_node *key = map->kids[2 * i];
		/* YAML allows any node as a key ("? [a]: b"); only strings name fields. */
		if (key->kind != DOC_SCALAR)
			return bad(key, "' must have string keys", sch->name[0] ? sch->name : "hoist.yaml",
				   NULL);
		for (k = 0; k < sch->nfields; k++)
			if (!strcmp(sch->fields[k].key, key->str))
				break;
		if (k == sch->nfields)
			return bad(key, "'", "unknown key '", key->str) ? err_set(
				ERR_INVALID, "%s: unknown key '%s'%s%s",
				doc_where(key, (char[512]){ 0 }, 512), key->str,
				sch->name[0] ? " in " : "", sch->name) : 0;
		r = parse_field(base, &sch->fields[k], map->kids[2 * i + 1]);
		if (r)
			return r;
	}
	for (k = 0; k < sch->nfields; k++) {
		const struct cfg_field *f = &sch->fields[k];
		bool present = doc_map_get(map, f->key) != NULL;

		if (present)
			continue;
		if (f->required) {
			char where[512];
			return err_set(ERR_INVALID, "%s: missing required key '%s'%s%s",
				       doc_where(map, where, sizeof(where)), f->key,
				       sch->name[0] ? " in " : "", sch->name);
		}
		if (f->def && f->type == CFG_STR)
			*FIELD(base, f, char *) = xstrdup(f->def);
		if (f->def && f->type == CFG_BOOL)
			*FIELD(base, f, bool) = !strcmp(f->def, "true");
	}
	return 0;
}

static void release_obj(void *base, const struct cfg_schema *sch)
{
	size_t k, i;

	for (k = 0; k < sch->nfields; k++) {
		const struct cfg_field *f = &sch->fields[k];
		switch (f->type) {
		case CFG_STR:
			free(*FIELD(base, f, char *));
			break;
		case CFG_BOOL:
			break;
		case CFG_STRLIST:
		case CFG_SETMAP: {
			struct cfg_strlist *l = FIELD(base, f, struct cfg_strlist);
			for (i = 0; i < l->n; i++)
				free(l->v[i]);
			free(l->v);
			break;
		}
		case CFG_OBJ:
			release_obj(FIELD(base, f, char), f->sub);
			break;
		case CFG_LIST:
		case CFG_NAMED: {
			struct cfg_list *l = FIELD(base, f, struct cfg_list);
			for (i = 0; i < l->n; i++) {
				if (f->type == CFG_NAMED)
					free(*(char **)((char *)l->v + i * f->sub->size));
				release_obj((char *)l->v + i * f->sub->size, f->sub);
			}
			free(l->v);
			break;
		}
		}
	}
}

void config_release(struct config *cfg)
{
	release_obj(cfg, &top_schema);
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

/* [a-z0-9]+([._-][a-z0-9]+)*: a valid OCI repository path component. */
static bool valid_component(const char *s)
{
	bool sep = true;

	if (!*s)
		return false;
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			sep = false;
		} else if (*s == '.' || *s == '_' || *s == '-') {
			if (sep)
				return false;
			sep = true;
		} else {
			return false;
		}
	}
	return !sep;
}

static int check_registry(const char *registry, const char *where)
{
	if (strncmp(registry, "oci-layout:", 11)) {
		struct strbuf probe = STRBUF_INIT;
		struct oci_ref ref;
		int r;

		strbuf_addf(&probe, "%s/app:tag", registry);
		r = oci_ref_parse(&ref, probe.buf);
		strbuf_release(&probe);
		if (r)
			return err_prefix(ERR_INVALID, "%s: registry '%s'", where, registry);
		oci_ref_release(&ref);
	} else if (!registry[11]) {
		return err_set(ERR_INVALID, "%s: registry oci-layout: needs a folder", where);
	}
	return 0;
}

/*
 * The names of a list of named objects (each struct starts with its name),
 * sorted with their positions: validate() looks names up and finds
 * duplicates in O(n log n), where nested loops let a 1 MiB hoist.yaml
 * keep the pre-receive hook busy for seconds or minutes.
 */
struct name_ix {
	const char *name;
	size_t pos;
};

static int name_ix_cmp(const void *a, const void *b)
{
	const struct name_ix *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts the names of `l`; `dup[i]` says whether an earlier object has the name of object i. */
static struct name_ix *name_ix_build(const struct cfg_list *l, size_t size, bool **dup)
{
	struct name_ix *ix = xcalloc(l->n ? l->n : 1, sizeof(*ix));
	size_t i;

	for (i = 0; i < l->n; i++) {
		ix[i].name = *(char *const *)((const char *)l->v + i * size);
		ix[i].pos = i;
	}
	qsort(ix, l->n, sizeof(*ix), name_ix_cmp);
	if (dup) {
		*dup = xcalloc(l->n ? l->n : 1, sizeof(**dup));
		for (i = 1; i < l->n; i++)
			if (!strcmp(ix[i].name, ix[i - 1].name))
				(*dup)[ix[i].pos] = true;
	}
	return ix;
}

static bool name_ix_has(const struct name_ix *ix, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix[mid].name, name);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int validate(struct config *c, const struct doc_node *root)
{
	struct name_ix *apps = NULL, *envs = NULL, *clusters = NULL;
	bool *app_dup = NULL, *env_dup = NULL;
	char where[512];
	size_t i, k;
	int64_t secs;
	int r = 0;

	doc_where(root, where, sizeof(where));
	if (strcmp(c->api_version, "hoist.dev/v1alpha1"))
		return err_set(ERR_INVALID, "%s: apiVersion must be hoist.dev/v1alpha1, not '%s'",
			       where, c->api_version);
	if (strcmp(c->kind, "Project"))
		return err_set(ERR_INVALID, "%s: kind must be Project, not '%s'", where, c->kind);
	r = check_registry(c->registry, where);
	if (r)
		return r;
	apps = name_ix_build(&c->apps, sizeof(struct config_app), &app_dup);
	envs = name_ix_build(&c->envs, sizeof(struct config_env), &env_dup);
	clusters = name_ix_build(&c->clusters, sizeof(struct config_cluster), NULL);
	for (i = 0; i < c->apps.n; i++) {
		const struct config_app *a = config_app(c, i);
		if (!valid_component(a->name)) {
			r = err_set(ERR_INVALID, "%s: app name '%s' must be lowercase letters, digits and . _ -",
				    where, a->name);
			goto out;
		}
		if (app_dup[i]) {
			r = err_set(ERR_INVALID, "%s: app '%s' is defined twice", where, a->name);
			goto out;
		}
		for (k = 0; k < a->environments.n; k++)
			if (!name_ix_has(envs, c->envs.n, a->environments.v[k])) {
				r = err_set(ERR_INVALID, "%s: app '%s' names unknown environment '%s'",
					    where, a->name, a->environments.v[k]);
				goto out;
			}
	}
	if (c->hook_timeout && (r = config_parse_hook_timeout(c->hook_timeout, &secs))) {
		r = err_prefix(r, "%s: hookTimeout", where);
		goto out;
	}
	for (i = 0; i < c->envs.n; i++) {
		const struct config_env *e = config_env(c, i);
		if (!oci_tag_is_valid(e->name)) {
			r = err_set(ERR_INVALID, "%s: environment name '%s' is not a valid tag",
				    where, e->name);
			goto out;
		}
		if (env_dup[i]) {
			r = err_set(ERR_INVALID, "%s: environment '%s' is defined twice", where,
				    e->name);
			goto out;
		}
		if (e->promote_from && (!name_ix_has(envs, c->envs.n, e->promote_from) ||
					!strcmp(e->promote_from, e->name))) {
			r = err_set(ERR_INVALID, "%s: environment '%s' promotes from unknown environment '%s'",
				    where, e->name, e->promote_from);
			goto out;
		}
		if (e->registry && (r = check_registry(e->registry, where)))
			goto out;
		if (e->soak && config_parse_duration(e->soak, &secs)) {
			r = err_prefix(ERR_INVALID, "%s: environment '%s'", where, e->name);
			goto out;
		}
		for (k = 0; k < e->clusters.n; k++)
			if (!name_ix_has(clusters, c->clusters.n, e->clusters.v[k])) {
				r = err_set(ERR_INVALID, "%s: environment '%s' names unknown cluster '%s'",
					    where, e->name, e->clusters.v[k]);
				goto out;
			}
	}
out:
	free(apps);
	free(envs);
	free(clusters);
	free(app_dup);
	free(env_dup);
	return r;
}

int config_parse(struct config *cfg, const char *buf, size_t len, const char *file)
{
	struct doc_stream *s = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = xstrdup(file);
	r = doc_parse(&s, buf, len, file, NULL);
	if (r)
		goto out;
	if (s->ndocs != 1) {
		r = err_set(ERR_INVALID, "%s: expected one YAML document, found %zu", file, s->ndocs);
		goto out;
	}
	r = parse_obj(cfg, &top_schema, s->docs[0], NULL);
	if (!r)
		r = validate(cfg, s->docs[0]);
out:
	doc_stream_free(s);
	if (r) {
		char *f = cfg->file;
		cfg->file = NULL;
		config_release(cfg);
		free(f);
	}
	return r;
}

const struct config_env *config_env_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->envs.n; i++)
		if (!strcmp(config_env(c, i)->name, name))
			return config_env(c, i);
	return NULL;
}

const struct config_app *config_app_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->apps.n; i++)
		if (!strcmp(config_app(c, i)->name, name))
			return config_app(c, i);
	return NULL;
}

static bool match_any(const struct cfg_strlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!fnmatch(l->v[i], name, 0))
			return true;
	return false;
}

size_t config_envs_for_ref(const struct config *c, const char *ref,
			   const struct config_env **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->envs.n && n < max; i++) {
		const struct config_env *e = config_env(c, i);
		if ((!strncmp(ref, "refs/heads/", 11) && match_any(&e->branches, ref + 11)) ||
		    (!strncmp(ref, "refs/tags/", 10) && match_any(&e->tags, ref + 10)))
			out[n++] = e;
	}
	return n;
}

bool config_app_in_env(const struct config_app *a, const struct config_env *e)
{
	size_t i;

	if (!a->environments.n)
		return true;
	for (i = 0; i < a->environments.n; i++)
		if (!strcmp(a->environments.v[i], e->name))
			return true;
	return false;
}

void config_expand(struct strbuf *out, const char *in, const char *env)
{
	const char *p;

	while ((p = strstr(in, "${env}"))) {
		strbuf_add(out, in, (size_t)(p - in));
		strbuf_addstr(out, env ? env : "");
		in = p + 6;
	}
	strbuf_addstr(out, in);
}

void config_app_repo(struct strbuf *out, const struct config *c, const struct config_env *e,
		     const char *app)
{
	strbuf_addf(out, "%s/%s", e && e->registry ? e->registry : c->registry, app);
}

int config_parse_duration(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t total = 0;

	if (!*p)
		return err_set(ERR_INVALID, "empty duration");
	while (*p) {
		int64_t v = 0, mul;
		if (!(*p >= '0' && *p <= '9'))
			return err_set(ERR_INVALID, "duration '%s': expected a number", s);
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			if (v > 100000000)
				return err_set(ERR_INVALID, "duration '%s' is too long", s);
		}
		switch (*p++) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default:
			return err_set(ERR_INVALID, "duration '%s': units are s, m, h, d", s);
		}
		total += v * mul;
	}
	*out = total;
	return 0;
}

int config_parse_hook_timeout(const char *s, int64_t *out)
{
	int r = config_parse_duration(s, out);

	if (!r && (*out < 1 || *out > 600))
		r = err_set(ERR_INVALID, "'%s' is out of range (1s to 10m)", s);
	return r;
}

static const char *type_name(const struct cfg_field *f)
{
	switch (f->type) {
	case CFG_STR: return f->choices ? "enum" : "string";
	case CFG_BOOL: return "bool";
	case CFG_STRLIST: return "list of strings";
	case CFG_LIST: return "list";
	case CFG_NAMED: return "map";
	case CFG_SETMAP: return "map of values";
	case CFG_OBJ: return "object";
	}
	return "?";
}

static void describe(struct strbuf *out, const struct cfg_schema *sch, const char *prefix,
		     bool md)
{
	size_t k;

	for (k = 0; k < sch->nfields; k++) {
		const struct cfg_field *f = &sch->fields[k];
		if (md)
			strbuf_addf(out, "| `%s%s` | %s | %s | %s | %s |\n", prefix, f->key,
				    type_name(f), f->required ? "yes" : "no",
				    f->def ? f->def : "", f->help);
		else
			strbuf_addf(out, "  %s%-24s %s%s%s%s\n", prefix, f->key, f->help,
				    f->def ? " (default " : "", f->def ? f->def : "",
				    f->def ? ")" : "");
		if (f->sub) {
			struct strbuf p = STRBUF_INIT;
			strbuf_addf(&p, "%s%s%s", prefix, f->key,
				    f->type == CFG_NAMED ? ".NAME." : f->type == CFG_OBJ ? "." : "[].");
			describe(out, f->sub, p.buf, md);
			strbuf_release(&p);
		}
	}
}

void config_roff_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_addstr(out, "\\e");
		else if (*s == '-')
			strbuf_addstr(out, "\\-");
		else if (*s == '`')
			strbuf_addstr(out, "\\(ga");
		else
			strbuf_addch(out, *s);
	}
}

static void describe_roff(struct strbuf *out, const struct cfg_schema *sch, const char *prefix)
{
	size_t k;

	for (k = 0; k < sch->nfields; k++) {
		const struct cfg_field *f = &sch->fields[k];
		struct strbuf key = STRBUF_INIT;

		strbuf_addf(&key, "%s%s", prefix, f->key);
		strbuf_addstr(out, ".TP\n.B ");
		config_roff_escaped(out, key.buf);
		strbuf_addf(out, "\n(%s%s%s%s) ", type_name(f), f->required ? ", required" : "",
			    f->def ? ", default " : "", f->def ? f->def : "");
		config_roff_escaped(out, f->help);
		strbuf_addch(out, '\n');
		if (f->sub) {
			strbuf_addstr(&key, f->type == CFG_NAMED ? ".NAME." : f->type == CFG_OBJ ? "." : "[].");
			describe_roff(out, f->sub, key.buf);
		}
		strbuf_release(&key);
	}
}

void config_describe_roff(struct strbuf *out)
{
	describe_roff(out, &top_schema, "");
}

void config_describe(struct strbuf *out, bool md)
{
	if (md)
		strbuf_addstr(out, "| key | type | required | default | meaning |\n"
				   "| --- | --- | --- | --- | --- |\n");
	describe(out, &top_schema, "", md);
}
