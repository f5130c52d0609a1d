/*
 * publish.c - the publish path shared by `hoist publish`, the receive hook
 * and `hoist ci`.  See publish.h.
 */
#include "core/compat.h"
#include "hooks/publish.h"
#include "core/artifact.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/history.h"
#include "core/log.h"
#include "core/objset.h"
#include "core/oci.h"
#include "core/oci-ref.h"
#include "core/repo.h"
#include "core/sign.h"
#include "core/src-tree.h"
#include "core/strbuf.h"
#include "core/json-out.h"
#include "core/term.h"
#include "render/render.h"
#include <time.h>

#define MAX_ENVS 32

/*
 * Signs `digest` when a key is configured ($HOIST_SIGNING_KEY, else
 * hoist.yaml signingKey); a no-op otherwise.  Called before the
 * environment tag moves, so an environment never names an unsigned
 * artifact when signing is on.
 */
static int publish_sign(struct oci_store *store, const struct oci_ref *ref, const char *digest,
			const char *key_path)
{
	struct sign_key *key = NULL;
	struct strbuf identity = STRBUF_INIT;
	int r = sign_key_configured(&key, key_path);

	if (!r && key) {
		sign_identity(&identity, ref);
		r = sign_artifact(store, identity.buf, digest, key);
	}
	sign_key_free(key);
	strbuf_release(&identity);
	return r;
}

/* RFC 3339 in UTC, or the compact YYYYMMDDhhmmss of version strings. */
static void format_time(int64_t t, bool compact, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (compact)
		strftime(buf, size, "%Y%m%d%H%M%S", &tm);
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Branch names may hold characters tags may not: keep [A-Za-z0-9_.-]. */
static void add_tag_safe(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		strbuf_addch(out, ok ? c : '-');
	}
}

static bool is_semver_tag(const char *t)
{
	const char *p = t;
	int parts = 0;

	if (*p != 'v')
		return false;
	p++;
	while (parts < 3) {
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		parts++;
		if (parts < 3 && *p++ != '.')
			return false;
	}
	/* A pre-release suffix (v1.2.3-rc.1) is kept; build metadata is not a tag character. */
	return *p == '\0' || *p == '-';
}

void publish_version(struct strbuf *out, const char *ref, int64_t commit_time, const char *sha)
{
	char ts[32];

	if (ref && !strncmp(ref, "refs/tags/", 10) && is_semver_tag(ref + 10)) {
		add_tag_safe(out, ref + 11);
		return;
	}
	format_time(commit_time, true, ts, sizeof(ts));
	strbuf_addstr(out, "0.0.0-");
	if (ref && !strncmp(ref, "refs/heads/", 11))
		add_tag_safe(out, ref + 11);
	else if (ref && !strncmp(ref, "refs/tags/", 10))
		add_tag_safe(out, ref + 10);
	else
		strbuf_addstr(out, "detached");
	strbuf_addf(out, ".%s.%.7s", ts, sha);
}

/* Reads hoist.yaml from a commit's tree; `rev` names it in messages. */
static int load_config_from(struct config *cfg, struct src_tree *t, const char *rev)
{
	struct strbuf buf = STRBUF_INIT, name = STRBUF_INIT;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = src_tree_read(t, CONFIG_FILE, &buf, 1u << 20);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "%s has no %s", rev, CONFIG_FILE);
	if (!r) {
		strbuf_addf(&name, "%s:%s", rev, CONFIG_FILE);
		r = config_parse(cfg, buf.buf, buf.len, name.buf);
	}
	strbuf_release(&buf);
	strbuf_release(&name);
	return r;
}

int publish_load_config(struct config *cfg, const char *repo, const char *rev)
{
	struct src_tree *t = NULL;
	int r = src_tree_open_git(&t, repo, rev);

	memset(cfg, 0, sizeof(*cfg));
	if (!r)
		r = load_config_from(cfg, t, rev);
	src_tree_free(t);
	return r;
}

void publish_result_release(struct publish_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		struct publish_item *it = &res->items[i];
		free(it->app);
		free(it->env);
		free(it->version);
		free(it->reference);
		free(it->env_reference);
		free(it->manifests);
	}
	free(res->items);
	memset(res, 0, sizeof(*res));
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/*
 * Whether a commit's changes can change an app's render: hoist.yaml
 * changed, or a changed path is one the render read, probed, or would
 * see in a directory it listed (a kustomize overlay reads its bases
 * outside the app folder; this follows them).
 */
static bool app_changed(const char *const *changed, const struct src_log *log)
{
	for (; *changed; changed++)
		if (!strcmp(*changed, CONFIG_FILE) || src_log_touches(log, *changed))
			return true;
	return false;
}

/* "created" annotation of the artifact a tag names, or "" when absent. */
static int tag_created(struct oci_store *s, const char *tag, char *out, size_t size)
{
	struct strbuf m = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	char digest[DIGEST_STR_SIZE];
	const char *c;
	int r;

	out[0] = '\0';
	r = oci_manifest_get(s, &m, &mt, tag, digest);
	if (r)
		goto out;
	r = doc_parse(&ds, m.buf, m.len, "manifest", NULL);
	if (r)
		goto out;
	c = ds->ndocs ? doc_get_str(ds->docs[0], "annotations", OCI_ANN_CREATED, NULL) : NULL;
	if (c)
		snprintf(out, size, "%s", c);
out:
	doc_stream_free(ds);
	strbuf_release(&m);
	strbuf_release(&mt);
	return r;
}

struct commit_ctx {
	const struct publish_opts *o;
	const struct config *cfg;
	struct src_tree *tree;
	struct repo_commit commit;
	const char *ref;
	char created[32];
	struct strbuf revision;
};

static int publish_one(struct publish_result *res, struct commit_ctx *cx,
		       const struct config_app *app, const struct config_env *env,
		       bool env_specific)
{
	const struct publish_opts *o = cx->o;
	struct render_opts ro = { 0 };
	struct render_result rr;
	struct objset set = OBJSET_INIT;
	struct strbuf path = STRBUF_INIT, tgz = STRBUF_INIT, version = STRBUF_INIT,
		      repo = STRBUF_INIT, ref_s = STRBUF_INIT, tag = STRBUF_INIT,
		      title = STRBUF_INIT, manifest = STRBUF_INIT, manifests = STRBUF_INIT;
	struct artifact_meta meta = { 0 };
	struct oci_artifact_desc desc = { 0 };
	struct oci_store *store = NULL;
	struct oci_ref ref = { 0 };
	struct oci_open_opts oo = { .insecure = o->insecure || cx->cfg->insecure, .push = true };
	struct publish_item *it;
	struct src_log log = { 0 };
	char expect[DIGEST_STR_SIZE], have[DIGEST_STR_SIZE], env_has[DIGEST_STR_SIZE];
	int r;

	config_expand(&path, app->path, env->name);
	if (app->engine && (r = render_engine_parse(app->engine, &ro.engine)))
		goto out;
	ro.env = env->name;
	cx->tree->log = o->changed ? &log : NULL;
	r = render_app(&set, &rr, cx->tree, path.buf, &ro);
	cx->tree->log = NULL;
	if (r) {
		err_prefix(r, "app %s", app->name);
		goto out;
	}
	if (o->changed && !app_changed(o->changed, &log))
		goto out; /* nothing this app reads changed: not published */
	publish_version(&version, cx->ref, cx->commit.time, cx->commit.sha);
	meta.app = app->name;
	meta.environment = env_specific ? env->name : NULL;
	meta.version = version.buf;
	meta.source = cx->cfg->source;
	meta.revision = cx->revision.buf;
	meta.created = cx->created;
	meta.engine = render_engine_name(rr.engine);
	r = artifact_pack(&tgz, &set, &meta);
	if (!r)
		r = objset_emit(&set, &manifests);
	if (r)
		goto out;

	/*
	 * The immutable tag names content: an artifact whose rendering depends
	 * on the environment carries the environment in its tag.
	 */
	strbuf_addbuf(&tag, &version);
	if (env_specific)
		strbuf_addf(&tag, "-%s", env->name);
	config_app_repo(&repo, cx->cfg, env, app->name);
	strbuf_addf(&ref_s, "%s:%s", repo.buf, tag.buf);

	/* The manifest digest we will produce, to recognise work already done. */
	strbuf_addf(&title, "%s-%s.tar.gz", app->name, version.buf);
	desc.title = title.buf;
	desc.source = meta.source;
	desc.revision = meta.revision;
	desc.created = meta.created;
	digest_sha256(desc.layer_digest, tgz.buf, tgz.len);
	desc.layer_size = tgz.len;
	digest_sha256(desc.config_digest, OCI_ARTIFACT_CONFIG, strlen(OCI_ARTIFACT_CONFIG));
	desc.config_size = strlen(OCI_ARTIFACT_CONFIG);
	oci_manifest_build(&manifest, &desc);
	digest_sha256(expect, manifest.buf, manifest.len);

	ALLOC_GROW(res->items, res->n + 1, res->alloc);
	it = &res->items[res->n++];
	memset(it, 0, sizeof(*it));
	it->app = xstrdup(app->name);
	it->env = xstrdup(env->name);
	it->version = xstrdup(version.buf);
	it->reference = xstrdup(ref_s.buf);
	strbuf_reset(&ref_s);
	strbuf_addf(&ref_s, "%s:%s", repo.buf, env->name);
	it->env_reference = strbuf_detach(&ref_s, NULL);
	it->nobjects = set.n;
	memcpy(it->digest, expect, sizeof(expect));
	it->manifests_len = manifests.len;
	it->manifests = strbuf_detach(&manifests, NULL);
	if (o->dry_run) {
		it->status = PUBLISH_RENDERED;
		goto out;
	}

	r = oci_ref_parse(&ref, it->reference);
	if (!r)
		r = oci_store_open(&store, &ref, &oo);
	if (r)
		goto out;
	r = oci_resolve(store, tag.buf, have);
	if (r && r != ERR_NOTFOUND)
		goto out;
	if (!r && strcmp(have, expect)) {
		r = err_set(ERR_CONFLICT,
			    "%s already names another artifact (%s, not %s); a version tag is never moved",
			    it->reference, have, expect);
		goto out;
	}
	if (r == ERR_NOTFOUND) {
		struct oci_push_result pr;
		r = oci_artifact_push(&pr, store, tag.buf, tgz.buf, tgz.len, &desc);
		if (r)
			goto out;
		if (strcmp(pr.digest, expect)) {
			r = err_set(ERR_VERIFY, "%s: the registry stored %s, expected %s",
				    it->reference, pr.digest, expect);
			goto out;
		}
		it->status = PUBLISH_PUSHED;
	} else {
		it->status = PUBLISH_UNCHANGED;
	}
	r = publish_sign(store, &ref, expect, cx->cfg->signing_key);
	if (r)
		goto out;

	/* Move the environment's tag, never back to an older commit. */
	r = oci_resolve(store, env->name, env_has);
	if (r && r != ERR_NOTFOUND)
		goto out;
	if (!r && !strcmp(env_has, expect)) {
		r = 0;
		goto out;
	}
	if (!r) {
		char theirs[64];
		r = tag_created(store, env->name, theirs, sizeof(theirs));
		if (r)
			goto out;
		if (theirs[0] && strcmp(theirs, cx->created) > 0) {
			log_warn("%s holds a newer commit (%s); leaving it", it->env_reference, theirs);
			it->status = PUBLISH_BEHIND;
			goto out;
		}
	}
	{
		struct history_move mv = { env->name, expect, o->actor ? o->actor : "publish",
					   cx->commit.sha, version.buf, NULL, 0, NULL };
		char from[DIGEST_STR_SIZE];

		r = history_move_tag(store, &mv, from);
	}
	if (!r)
		it->status = PUBLISH_PUSHED;
out:
	src_log_release(&log);
	oci_store_free(store);
	oci_ref_release(&ref);
	objset_release(&set);
	strbuf_release(&path);
	strbuf_release(&tgz);
	strbuf_release(&version);
	strbuf_release(&repo);
	strbuf_release(&ref_s);
	strbuf_release(&tag);
	strbuf_release(&title);
	strbuf_release(&manifest);
	strbuf_release(&manifests);
	return r;
}

static bool app_env_specific(const struct config_app *a)
{
	size_t i;

	if (strstr(a->path, "${env}"))
		return true;
	for (i = 0; i < a->values.n; i++)
		if (strstr(a->values.v[i], "${env}"))
			return true;
	return false;
}

/* The ref a revision names, when the caller gave none. */
static void guess_ref(struct strbuf *out, struct repo *rp, const char *rev)
{
	const char *name = repo_ref_name(rp, rev);

	if (name) {
		strbuf_addstr(out, name);
		free((char *)name);
	}
}

int publish_run(struct publish_result *res, const struct publish_opts *opts)
{
	struct publish_opts o = *opts;
	struct commit_ctx cx;
	struct config cfg;
	struct repo *rp = NULL; /* borrowed from cx.tree */
	struct strbuf ref = STRBUF_INIT, what = STRBUF_INIT;
	const struct config_env *envs[MAX_ENVS];
	struct progress prog = { 0 };
	size_t nenvs, i, k, total = 0, done = 0;
	bool have_cfg = false;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&cx, 0, sizeof(cx));
	strbuf_init(&cx.revision, 0);
	if (!o.repo)
		o.repo = ".";
	if (!o.rev)
		o.rev = o.ref ? o.ref : "HEAD";
	/* One open of the repository: the tree resolves the commit, and hoist.yaml
	 * and every app are read from it. */
	r = src_tree_open_git(&cx.tree, o.repo, o.rev);
	if (!r)
		r = src_tree_git_commit(cx.tree, &cx.commit, &rp);
	if (r)
		goto out;
	memcpy(res->sha, cx.commit.sha, sizeof(res->sha));
	if (o.ref)
		strbuf_addstr(&ref, o.ref);
	else
		guess_ref(&ref, rp, o.rev);
	cx.ref = ref.len ? ref.buf : NULL;
	/* Named as the caller named the revision, for messages; hooks pass a sha. */
	r = load_config_from(&cfg, cx.tree, o.rev);
	if (r)
		goto out;
	have_cfg = true;
	if (o.env) {
		envs[0] = config_env_find(&cfg, o.env);
		if (!envs[0]) {
			r = err_set(ERR_INVALID, "%s: no environment named '%s'", cfg.file, o.env);
			goto out;
		}
		nenvs = 1;
	} else {
		nenvs = cx.ref ? config_envs_for_ref(&cfg, cx.ref, envs, MAX_ENVS) : 0;
	}
	for (k = 0; o.apps && o.apps[k]; k++)
		if (!config_app_find(&cfg, o.apps[k])) {
			r = err_set(ERR_INVALID, "%s: no app named '%s'", cfg.file, o.apps[k]);
			goto out;
		}
	if (!nenvs) {
		log_info("%s: no environment publishes %s", cfg.file, cx.ref ? cx.ref : o.rev);
		goto out;
	}
	cx.o = &o;
	cx.cfg = &cfg;
	format_time(cx.commit.time, false, cx.created, sizeof(cx.created));
	{
		const char *short_ref = cx.ref ? cx.ref : o.rev;
		if (!strncmp(short_ref, "refs/heads/", 11))
			short_ref += 11;
		else if (!strncmp(short_ref, "refs/tags/", 10))
			short_ref += 10;
		strbuf_addf(&cx.revision, "%s@sha1:%s", short_ref, cx.commit.sha);
	}
	/* Many apps take a while: a progress line, on a terminal only. */
	for (i = 0; i < nenvs; i++)
		for (k = 0; k < cfg.apps.n; k++) {
			const struct config_app *a = config_app(&cfg, k);
			if (config_app_in_env(a, envs[i]) && !(o.apps && !in_list(o.apps, a->name)))
				total++;
		}
	progress_start(&prog, o.dry_run ? "rendering apps" : "publishing apps", total);
	for (i = 0; i < nenvs && !r; i++) {
		for (k = 0; k < cfg.apps.n && !r; k++) {
			const struct config_app *a = config_app(&cfg, k);
			if (!config_app_in_env(a, envs[i]) || (o.apps && !in_list(o.apps, a->name)))
				continue;
			strbuf_reset(&what);
			strbuf_addf(&what, "%s/%s", a->name, envs[i]->name);
			progress_update(&prog, done++, what.buf);
			r = publish_one(res, &cx, a, envs[i], app_env_specific(a));
		}
	}
	if (!r)
		progress_stop(&prog);
	else if (prog.active)
		fputc('\n', stderr); /* the error starts on a line of its own */
out:
	strbuf_release(&what);
	src_tree_free(cx.tree);
	strbuf_release(&cx.revision);
	strbuf_release(&ref);
	if (have_cfg)
		config_release(&cfg);
	return r;
}

static const char *status_name(enum publish_status s)
{
	switch (s) {
	case PUBLISH_PUSHED: return "published";
	case PUBLISH_UNCHANGED: return "unchanged";
	case PUBLISH_RENDERED: return "rendered";
	case PUBLISH_BEHIND: return "behind";
	}
	return "?";
}

struct publish_args {
	const char *repo, *rev, *ref, *env, *color;
	struct opt_list apps;
	bool dry_run, insecure, json;
};

#define A struct publish_args
static const struct opt publish_options[] = {
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository (work tree or bare) to publish from" },
	{ "rev", OPT_FIELD(A, rev), .arg = "REV", .def = "--ref, else HEAD",
	  .help = "the commit to publish" },
	{ "ref", OPT_FIELD(A, ref), .arg = "REF", .def = "the branch or tag --rev names",
	  .help = "the ref whose environments (branch/tag patterns) receive it" },
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .complete = COMPLETE_ENV,
	  .help = "publish to this environment only, whatever the ref" },
	{ "app", OPT_FIELD(A, apps), .arg = "NAME", .complete = COMPLETE_APP,
	  .help = "publish this app only" },
	{ "dry-run", OPT_FIELD(A, dry_run), .help = "render and pack, push nothing" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "json", OPT_FIELD(A, json),
	  .help = "one JSON object per app and environment (fields in docs/cli.md)" },
	{ "color", OPT_FIELD(A, color), .arg = "WHEN", .def = "auto",
	  .complete = COMPLETE_WORDS, .words = "auto always never",
	  .help = "colour the status column: auto (on a terminal), always or never" },
	{ NULL },
};
#undef A

static const char *const publish_examples[] = {
	"hoist publish\tevery app of hoist.yaml for the environments HEAD's branch feeds",
	"hoist publish --env staging --app podinfo --dry-run\t"
	"render and pack one app for one environment, push nothing",
	"hoist publish --json | jq -r 'select(.status == \"published\") | .digest'\t"
	"the digests that changed",
	NULL,
};

const struct cmd cmd_publish_entry = {
	"publish", cmd_publish,
	"publish [--repo DIR] [--rev REV] [--ref REF] [--env NAME] [--app NAME]... [--dry-run]\n"
	"publish [--insecure] [--json] [--color WHEN]",
	"render, pack and push the apps of hoist.yaml for a commit",
	publish_options,
	.description =
		"Reads hoist.yaml at the revision and, for every environment whose branch or\n"
		"tag patterns match the ref (or just --env), renders, packs and pushes every\n"
		"app, then moves the environment's tag and records the move.  An artifact\n"
		"whose digest the registry already has is not uploaded again.\n\n"
		"Prints one line per app and environment: APP ENV N objects REFERENCE DIGEST\n"
		"STATUS, STATUS being published, unchanged, rendered (--dry-run) or behind\n"
		"(the environment holds a newer commit; its tag was left).  On a terminal a\n"
		"progress line on stderr counts the apps.",
	.env = "HOIST_SIGNING_KEY\tprivate key file: sign every artifact published (over signingKey)\n"
	       "HOIST_REGISTRY_USER\tregistry user name (with HOIST_REGISTRY_PASSWORD)\n"
	       "DOCKER_CONFIG\tthe folder of config.json with registry credentials\n",
	.examples = publish_examples,
	.see_also = "docs/config.md, docs/promotion.md",
};

static const char *status_color(enum publish_status s)
{
	switch (s) {
	case PUBLISH_PUSHED: return TERM_GREEN;
	case PUBLISH_UNCHANGED: return TERM_DIM;
	case PUBLISH_RENDERED: return TERM_CYAN;
	case PUBLISH_BEHIND: return TERM_YELLOW;
	}
	return "";
}

int cmd_publish(int argc, char **argv)
{
	struct publish_args a = { 0 };
	struct publish_opts po = { 0 };
	struct publish_result res;
	struct strbuf js = STRBUF_INIT;
	char **pos;
	size_t i;
	int n, r, color;

	n = opts_parse(argc, argv, publish_options, &a, &pos);
	color = n == 0 ? term_want_color(a.color, 1) : 0;
	if (n != 0 || color < 0) {
		opts_release(publish_options, &a);
		return cmd_usage(cmd_publish_entry.usage);
	}
	po.repo = a.repo;
	po.rev = a.rev;
	po.ref = a.ref;
	po.env = a.env;
	po.apps = a.apps.v;
	po.dry_run = a.dry_run;
	po.insecure = a.insecure;
	po.actor = "publish";
	r = publish_run(&res, &po);
	for (i = 0; i < res.n; i++) {
		const struct publish_item *it = &res.items[i];
		if (a.json) {
			strbuf_reset(&js);
			strbuf_addch(&js, '{');
			json_kv_str(&js, "app", it->app);
			json_kv_str(&js, "environment", it->env);
			json_kv_str(&js, "version", it->version);
			json_kv_int(&js, "objects", (int64_t)it->nobjects);
			json_kv_str(&js, "reference", it->reference);
			json_kv_str(&js, "environmentReference", it->env_reference);
			json_kv_str(&js, "digest", it->digest);
			json_kv_str(&js, "status", status_name(it->status));
			json_kv_str(&js, "commit", res.sha);
			strbuf_addstr(&js, "}\n");
			cmd_write_stdout(js.buf, js.len);
			continue;
		}
		printf("%s %s %zu objects %s %s %s%s%s\n", it->app, it->env, it->nobjects,
		       it->reference, it->digest, color ? status_color(it->status) : "",
		       status_name(it->status), color ? TERM_RESET : "");
	}
	publish_result_release(&res);
	opts_release(publish_options, &a);
	strbuf_release(&js);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}
