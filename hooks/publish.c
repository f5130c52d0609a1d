/*
 * publish.c - the publish path shared by `hoist publish`, the receive hook
 * and `hoist ci`.  See publish.h.
 */
#include "core/compat.h"
#include "hooks/publish.h"
#include "hooks/deliver.h"
#include "oci/artifact.h"
#include "core/cmd.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "oci/history.h"
#include "core/log.h"
#include "model/objset.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "source/remote.h"
#include "source/repo.h"
#include "oci/sign.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "core/json-out.h"
#include "core/term.h"
#include "render/render.h"
#include <pthread.h>
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
		free(it->error);
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

/*
 * The "created" and "revision" annotations of the artifact a tag names
 * ("" when absent).
 */
static int tag_created(struct oci_store *s, const char *tag, char *out, size_t size, char *rev,
		       size_t rev_size)
{
	struct strbuf m = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	char digest[DIGEST_STR_SIZE];
	const char *c;
	int r;

	out[0] = '\0';
	rev[0] = '\0';
	r = oci_manifest_get(s, &m, &mt, tag, digest);
	if (r)
		goto out;
	r = doc_parse(&ds, m.buf, m.len, "manifest", NULL);
	if (r)
		goto out;
	c = ds->ndocs ? doc_get_str(ds->docs[0], "annotations", OCI_ANN_CREATED, NULL) : NULL;
	if (c)
		snprintf(out, size, "%s", c);
	c = ds->ndocs ? doc_get_str(ds->docs[0], "annotations", OCI_ANN_REVISION, NULL) : NULL;
	if (c)
		snprintf(rev, rev_size, "%s", c);
out:
	doc_stream_free(ds);
	strbuf_release(&m);
	strbuf_release(&mt);
	return r;
}

struct commit_ctx {
	const struct publish_opts *o;
	const struct config *cfg;
	struct remote_ctx *remote;
	struct src_tree *tree;
	struct repo *rp; /* borrowed from tree; libgit2 handles are not thread-safe: */
	pthread_mutex_t rp_lock; /* held around every use from an upload thread */
	/*
	 * A repository known to hold the artifacts' config blob (the same
	 * "{}" for every app), "HOST/REPO", once one upload has finished:
	 * later apps on that registry mount it from there.  Under rp_lock.
	 */
	char *config_repo;
	struct repo_commit commit;
	const char *ref;
	char created[32];
	struct strbuf revision;
};

/* What the network half of publishing one app needs; filled by publish_prepare. */
struct pending {
	size_t item; /* index in res->items */
	const struct config_env *env;
	struct strbuf tgz, tag, title, repo;
	struct oci_artifact_desc desc;
	/* Results, written by the upload thread and read after it joined. */
	enum publish_status status;
	int r;
	char *msg;
};

static void pending_release(struct pending *p)
{
	strbuf_release(&p->tgz);
	strbuf_release(&p->tag);
	strbuf_release(&p->title);
	strbuf_release(&p->repo);
	free(p->msg);
}

/*
 * Whether the environment tag, holding an artifact of commit time
 * `theirs` and revision `their_rev` ("branch@sha1:SHA"), may move to this
 * commit.  Never to an older commit; on a tie in commit time (one-second
 * resolution) a descendant wins over its ancestor, and otherwise the
 * greater commit id wins, so every publisher decides the same way in any
 * order (docs/hooks.md).
 */
static bool may_move(struct commit_ctx *cx, const char *theirs, const char *their_rev)
{
	const char *sha = strstr(their_rev, "@sha1:");
	int c = strcmp(theirs, cx->created);
	bool desc = false;

	if (!theirs[0] || c < 0)
		return true;
	if (c > 0)
		return false;
	if (!sha || strlen(sha + 6) != 40)
		return true; /* not one of ours: the tie goes to the newer publish */
	sha += 6;
	if (!strcmp(sha, cx->commit.sha))
		return true;
	pthread_mutex_lock(&cx->rp_lock);
	if (!repo_descends_from(cx->rp, cx->commit.sha, sha, &desc) && desc) {
		pthread_mutex_unlock(&cx->rp_lock);
		return true;
	}
	if (!repo_descends_from(cx->rp, sha, cx->commit.sha, &desc) && desc) {
		pthread_mutex_unlock(&cx->rp_lock);
		return false;
	}
	pthread_mutex_unlock(&cx->rp_lock);
	err_clear();
	return strcmp(cx->commit.sha, sha) > 0;
}

/*
 * The local half of publishing one app: render, pack, and work out the
 * manifest digest the registry will hold.  Appends the item to `res` and,
 * unless this is a dry run or the app did not change, fills `*p` for
 * publish_upload and sets *queued.
 */
static int publish_prepare(struct publish_result *res, struct commit_ctx *cx,
			   const struct config_app *app, const struct config_env *env,
			   bool env_specific, struct pending *p, bool *queued)
{
	const struct publish_opts *o = cx->o;
	struct render_opts ro = { 0 };
	struct render_result rr;
	struct objset set = OBJSET_INIT;
	struct strbuf path = STRBUF_INIT, version = STRBUF_INIT, ref_s = STRBUF_INIT,
		      manifest = STRBUF_INIT, manifests = STRBUF_INIT, secret = STRBUF_INIT;
	struct artifact_meta meta = { 0 };
	struct publish_item *it;
	struct src_log log = { 0 };
	char expect[DIGEST_STR_SIZE];
	int r;

	*queued = false;
	config_expand(&path, app->path, env->name);
	if (app->engine && (r = render_engine_parse(app->engine, &ro.engine)))
		goto out;
	ro.env = env->name;
	/* Charts: the app's Helm options; clock and randomness pinned to the commit. */
	render_opts_for_app(&ro, app);
	ro.reproducible = true;
	ro.now_sec = cx->commit.time;
	if ((r = render_secret_load(&secret, cx->cfg)))
		goto out;
	ro.secret = secret.len ? (const unsigned char *)secret.buf : NULL;
	ro.secret_len = secret.len;
	cx->tree->log = o->changed ? &log : NULL;
	remote_ctx_reset(cx->remote, cx->tree);
	ro.remote = cx->remote;
	r = render_app(&set, &rr, cx->tree, path.buf, &ro);
	cx->tree->log = NULL;
	if (r) {
		err_prefix(r, "app %s", app->name);
		goto out;
	}
	/*
	 * Remote pins are inputs: hoist.lock was read through the tree (so a
	 * changed pin shows in the log), and an input without a pin may have
	 * changed anywhere, so such an app always publishes.
	 */
	if (o->changed && !app_changed(o->changed, &log) && !cx->remote->used_floating)
		goto out; /* nothing this app reads changed: not published */
	publish_version(&version, cx->ref, cx->commit.time, cx->commit.sha);
	meta.app = app->name;
	meta.environment = env_specific ? env->name : NULL;
	meta.version = version.buf;
	meta.source = cx->cfg->source;
	meta.revision = cx->revision.buf;
	meta.created = cx->created;
	meta.engine = render_engine_name(rr.engine);
	meta.pins = cx->remote->pins;
	meta.npins = cx->remote->npins;
	r = artifact_pack(&p->tgz, &set, &meta);
	if (!r)
		r = objset_emit(&set, &manifests);
	if (r)
		goto out;

	/*
	 * The immutable tag names content: an artifact whose rendering depends
	 * on the environment carries the environment in its tag.
	 */
	strbuf_addbuf(&p->tag, &version);
	if (env_specific)
		strbuf_addf(&p->tag, "-%s", env->name);
	config_app_repo(&p->repo, cx->cfg, env, app->name);
	strbuf_addf(&ref_s, "%s:%s", p->repo.buf, p->tag.buf);

	/* The manifest digest we will produce, to recognise work already done. */
	strbuf_addf(&p->title, "%s-%s.tar.gz", app->name, version.buf);
	p->desc.title = p->title.buf;
	p->desc.source = meta.source;
	p->desc.revision = cx->revision.buf;
	p->desc.created = cx->created;
	digest_sha256(p->desc.layer_digest, p->tgz.buf, p->tgz.len);
	p->desc.layer_size = p->tgz.len;
	digest_sha256(p->desc.config_digest, OCI_ARTIFACT_CONFIG, strlen(OCI_ARTIFACT_CONFIG));
	p->desc.config_size = strlen(OCI_ARTIFACT_CONFIG);
	oci_manifest_build(&manifest, &p->desc);
	digest_sha256(expect, manifest.buf, manifest.len);

	ALLOC_GROW(res->items, res->n + 1, res->alloc);
	p->item = res->n;
	it = &res->items[res->n++];
	memset(it, 0, sizeof(*it));
	it->app = xstrdup(app->name);
	it->env = xstrdup(env->name);
	it->version = xstrdup(version.buf);
	it->reference = xstrdup(ref_s.buf);
	strbuf_reset(&ref_s);
	strbuf_addf(&ref_s, "%s:%s", p->repo.buf, env->name);
	it->env_reference = strbuf_detach(&ref_s, NULL);
	it->nobjects = set.n;
	memcpy(it->digest, expect, sizeof(expect));
	it->manifests_len = manifests.len;
	it->manifests = strbuf_detach(&manifests, NULL);
	it->status = PUBLISH_RENDERED;
	p->env = env;
	*queued = !o->dry_run;
out:
	src_log_release(&log);
	objset_release(&set);
	strbuf_release(&path);
	strbuf_release(&version);
	strbuf_release(&ref_s);
	strbuf_release(&manifest);
	strbuf_release(&manifests);
	strbuf_release(&secret);
	return r;
}

/* A repository of ref's registry known to hold the config blob, or NULL. */
static char *config_source(struct commit_ctx *cx, const struct oci_ref *ref)
{
	size_t hl = strlen(ref->host ? ref->host : "");
	char *from = NULL;

	if (ref->kind != OCI_REF_REGISTRY)
		return NULL;
	pthread_mutex_lock(&cx->rp_lock);
	if (cx->config_repo && !strncmp(cx->config_repo, ref->host, hl) &&
	    cx->config_repo[hl] == '/' && strcmp(cx->config_repo + hl + 1, ref->repo))
		from = xstrdup(cx->config_repo + hl + 1);
	pthread_mutex_unlock(&cx->rp_lock);
	return from;
}

/* ref's repository now holds the config blob: the first one is remembered. */
static void config_known(struct commit_ctx *cx, const struct oci_ref *ref)
{
	if (ref->kind != OCI_REF_REGISTRY)
		return;
	pthread_mutex_lock(&cx->rp_lock);
	if (!cx->config_repo)
	{
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s/%s", ref->host, ref->repo);
		cx->config_repo = strbuf_detach(&sb, NULL);
	}
	pthread_mutex_unlock(&cx->rp_lock);
}

/*
 * The network half: push the artifact under its version tag (unless the
 * registry has it), sign it, and move the environment tag forward.  Runs
 * in an upload thread: reads `it` and `cx`, writes only `p`.
 */
static int publish_upload(struct commit_ctx *cx, const struct publish_item *it, struct pending *p)
{
	const struct publish_opts *o = cx->o;
	const struct config_env *env = p->env;
	struct oci_store *store = NULL;
	struct oci_ref ref = { 0 };
	struct oci_open_opts oo = { .insecure = o->insecure || cx->cfg->insecure, .push = true };
	char have[DIGEST_STR_SIZE], env_has[DIGEST_STR_SIZE];
	int r;

	r = oci_ref_parse(&ref, it->reference);
	if (!r)
		r = oci_store_open(&store, &ref, &oo);
	if (r)
		goto out;
	r = oci_resolve(store, p->tag.buf, have);
	if (r && r != ERR_NOTFOUND)
		goto out;
	if (!r && strcmp(have, it->digest)) {
		r = err_set(ERR_CONFLICT,
			    "%s already names another artifact (%s, not %s); a version tag is never moved",
			    it->reference, have, it->digest);
		goto out;
	}
	if (r == ERR_NOTFOUND) {
		struct oci_push_result pr;
		char *from = config_source(cx, &ref);

		r = oci_artifact_push(&pr, store, p->tag.buf, p->tgz.buf, p->tgz.len, &p->desc,
				      from, OCI_PUSH_NEW);
		free(from);
		if (r)
			goto out;
		strbuf_release(&pr.manifest);
		if (strcmp(pr.digest, it->digest)) {
			r = err_set(ERR_VERIFY, "%s: the registry stored %s, expected %s",
				    it->reference, pr.digest, it->digest);
			goto out;
		}
		p->status = PUBLISH_PUSHED;
	} else {
		p->status = PUBLISH_UNCHANGED;
	}
	config_known(cx, &ref);
	r = publish_sign(store, &ref, it->digest, cx->cfg->signing_key);
	if (r)
		goto out;

	/* Move the environment's tag, never back to an older commit. */
	r = oci_resolve(store, env->name, env_has);
	if (r && r != ERR_NOTFOUND)
		goto out;
	if (r == ERR_NOTFOUND)
		env_has[0] = '\0';
	if (!r && !strcmp(env_has, it->digest)) {
		r = 0;
		goto out;
	}
	if (!r) {
		char theirs[64], their_rev[512];
		r = tag_created(store, env->name, theirs, sizeof(theirs), their_rev,
				sizeof(their_rev));
		if (r)
			goto out;
		if (!may_move(cx, theirs, their_rev)) {
			log_warn("%s holds a newer commit (%s %s); leaving it", it->env_reference,
				 theirs, their_rev);
			p->status = PUBLISH_BEHIND;
			goto out;
		}
	}
	{
		/*
		 * The manifest is a function of the descriptor, so the move
		 * needs not read it back (the store checks the digest).
		 */
		struct strbuf man = STRBUF_INIT;
		struct history_move mv = { env->name, it->digest, o->actor ? o->actor : "publish",
					   cx->commit.sha, it->version, NULL, 0, OCI_MEDIA_MANIFEST,
					   env_has };
		char from[DIGEST_STR_SIZE];

		oci_manifest_build(&man, &p->desc);
		mv.manifest = man.buf;
		mv.manifest_len = man.len;
		r = history_move_tag(store, &mv, from);
		strbuf_release(&man);
	}
	if (!r)
		p->status = PUBLISH_PUSHED;
out:
	oci_store_free(store);
	oci_ref_release(&ref);
	return r;
}

/*
 * Uploads run in a few threads.  Items that share a repository go to one
 * thread in their order (so one tag is never pushed twice at once); the
 * groups are handed out in order.
 */
struct upload_pool {
	struct commit_ctx *cx;
	const struct publish_result *res;
	struct pending *pend;
	size_t *group_of; /* pending index -> group number */
	size_t npend, ngroups, next;
	pthread_mutex_t lock;
};

static void *upload_thread(void *arg)
{
	struct upload_pool *pool = arg;

	http_set_deadline(pool->cx->o->deadline);
	for (;;) {
		size_t g, i;

		pthread_mutex_lock(&pool->lock);
		g = pool->next++;
		pthread_mutex_unlock(&pool->lock);
		if (g >= pool->ngroups)
			break;
		for (i = 0; i < pool->npend; i++) {
			struct pending *p = &pool->pend[i];
			if (pool->group_of[i] != g)
				continue;
			p->r = publish_upload(pool->cx, &pool->res->items[p->item], p);
			if (p->r)
				p->msg = xstrdup(err_msg());
		}
	}
	return NULL;
}

/* At most this many uploads at once: HOIST_PUBLISH_JOBS, default 8. */
static size_t upload_jobs(void)
{
	const char *e = getenv("HOIST_PUBLISH_JOBS");
	char *end;
	long v;

	if (!e || !*e)
		return 8;
	v = strtol(e, &end, 10);
	if (*end || v < 1)
		return 1;
	return v > 64 ? 64 : (size_t)v;
}

static int upload_all(struct publish_result *res, struct commit_ctx *cx, struct pending *pend,
		      size_t npend)
{
	struct upload_pool pool = { cx, res, pend, NULL, npend, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t tids[64];
	size_t nthreads = upload_jobs(), started = 0, i, k;
	int r = 0;

	if (!npend)
		return 0;
	pool.group_of = xcalloc(npend, sizeof(*pool.group_of));
	for (i = 0; i < npend; i++) {
		for (k = 0; k < i; k++)
			if (!strcmp(pend[k].repo.buf, pend[i].repo.buf))
				break;
		pool.group_of[i] = k < i ? pool.group_of[k] : pool.ngroups++;
	}
	if (nthreads > pool.ngroups)
		nthreads = pool.ngroups;
	/* One group needs no thread: the caller's keeps its deadline and connections. */
	if (nthreads > 1)
		for (; started < nthreads; started++)
			if (pthread_create(&tids[started], NULL, upload_thread, &pool))
				break;
	if (!started) {
		int64_t old = http_set_deadline(cx->o->deadline);
		upload_thread(&pool);
		http_set_deadline(old);
	}
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);

	/* Results in item order, whatever order the threads finished in. */
	for (i = 0; i < npend; i++) {
		struct publish_item *it = &res->items[pend[i].item];
		it->status = pend[i].r ? PUBLISH_FAILED : pend[i].status;
		if (pend[i].r) {
			it->error = xstrdup(pend[i].msg);
			if (!r)
				r = err_set(pend[i].r, "%s", pend[i].msg);
		}
	}
	free(pool.group_of);
	return r;
}

/*
 * Hands what was published to the environments' clusters (hooks/deliver.h),
 * in item order, under the same time budget; a failed delivery is reported
 * and never fails the publish.
 */
static void deliver_all(struct publish_result *res, struct commit_ctx *cx, struct pending *pend,
			size_t npend)
{
	int64_t old = http_set_deadline(cx->o->deadline);
	size_t i;

	for (i = 0; i < npend; i++) {
		const struct publish_item *it = &res->items[pend[i].item];
		struct strbuf manifest = STRBUF_INIT;
		struct oci_ref ref = { 0 };

		if (pend[i].r || pend[i].status == PUBLISH_BEHIND)
			continue;
		if (oci_ref_parse(&ref, it->reference)) {
			err_clear();
			continue;
		}
		oci_manifest_build(&manifest, &pend[i].desc);
		{
			struct deliver_artifact da = { it->app, it->digest, cx->revision.buf,
						       pend[i].tgz.buf, pend[i].tgz.len,
						       manifest.buf, manifest.len, &ref };
			deliver_artifact(cx->cfg, pend[i].env, &da);
		}
		strbuf_release(&manifest);
		oci_ref_release(&ref);
	}
	http_set_deadline(old);
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
	struct remote_ctx rc = { 0 };
	struct repo *rp = NULL; /* borrowed from cx.tree */
	struct strbuf ref = STRBUF_INIT, what = STRBUF_INIT;
	const struct config_env *envs[MAX_ENVS];
	struct pending *pend = NULL;
	struct progress prog = { 0 };
	size_t nenvs, i, k, npend = 0, pend_alloc = 0, total = 0, done = 0;
	bool have_cfg = false, have_lock = false;
	int64_t old_deadline = 0;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&cx, 0, sizeof(cx));
	strbuf_init(&cx.revision, 0);
	/*
	 * Every request this thread makes for the publish (a delivery to a
	 * cluster agent too) ends by the deadline; upload threads set their own.
	 */
	if (o.deadline)
		old_deadline = http_set_deadline(o.deadline);
	else
		o.deadline = http_deadline();
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
	{
		struct remote_flags rf = { o.allow_remote, o.offline, o.allow_floating };

		r = remote_ctx_init_flags(&rc, &cfg, &rf, o.repo);
		if (r)
			goto out;
		cx.remote = &rc;
	}
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
	/*
	 * Render and pack every app first, in order, in this thread (the
	 * render is deterministic and CPU-bound); then upload in parallel.
	 */
	pthread_mutex_init(&cx.rp_lock, NULL);
	have_lock = true;
	cx.rp = rp;
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
			bool queued;

			if (!config_app_in_env(a, envs[i]) || (o.apps && !in_list(o.apps, a->name)))
				continue;
			if (o.deadline && http_now_ms() >= o.deadline) {
				r = err_set(ERR_RETRY, "out of time before rendering app %s", a->name);
				break;
			}
			strbuf_reset(&what);
			strbuf_addf(&what, "%s/%s", a->name, envs[i]->name);
			progress_update(&prog, done++, what.buf);
			ALLOC_GROW(pend, npend + 1, pend_alloc);
			memset(&pend[npend], 0, sizeof(*pend));
			r = publish_prepare(res, &cx, a, envs[i], app_env_specific(a), &pend[npend],
					    &queued);
			if (queued)
				npend++;
			else
				pending_release(&pend[npend]);
		}
	}
	if (!r)
		r = upload_all(res, &cx, pend, npend);
	if (!o.dry_run)
		deliver_all(res, &cx, pend, npend);
	if (!r)
		progress_stop(&prog);
	else if (prog.active)
		fputc('\n', stderr); /* the error starts on a line of its own */
out:
	strbuf_release(&what);
	for (i = 0; i < npend; i++)
		pending_release(&pend[i]);
	free(pend);
	if (have_lock)
		pthread_mutex_destroy(&cx.rp_lock);
	free(cx.config_repo);
	if (opts->deadline)
		http_set_deadline(old_deadline);
	src_tree_free(cx.tree);
	strbuf_release(&cx.revision);
	strbuf_release(&ref);
	remote_ctx_release(&rc);
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
	case PUBLISH_FAILED: return "failed";
	}
	return "?";
}

struct publish_args {
	const char *repo, *rev, *ref, *env, *color;
	struct opt_list apps;
	bool dry_run, insecure, json;
	struct opt_list allow_remote;
	bool offline, allow_floating;
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
	REMOTE_OPTIONS(A),
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
	"publish [--insecure] [--json] [--color WHEN] [--allow-remote PATTERN]... [--offline]\n"
	"publish [--allow-floating]",
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
	case PUBLISH_FAILED: return TERM_RED;
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
	po.allow_remote = a.allow_remote.v;
	po.offline = a.offline;
	po.allow_floating = a.allow_floating;
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
