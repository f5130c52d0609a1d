/*
 * promote.c - `hoist promote`, `hoist history`, `hoist rollback`.
 */
#include "core/compat.h"
#include "hooks/promote.h"
#include "hooks/publish.h"
#include "hooks/fleet.h"
#include "oci/artifact.h"
#include "core/cmd.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/history.h"
#include "core/log.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "oci/sign.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "core/json-out.h"
#include <time.h>

/* An app's repository in one environment, opened. */
struct env_store {
	struct oci_ref ref;
	struct oci_store *store;
	char *name;     /* REPO, as config_app_repo gives it */
	char *identity; /* the signature identity: host/repo, or oci-layout:DIR */
};

static int env_store_open(struct env_store *es, const struct config *cfg,
			  const struct config_env *env, const char *app, bool insecure)
{
	struct strbuf repo = STRBUF_INIT, ref = STRBUF_INIT;
	struct oci_open_opts oo = { .insecure = insecure || cfg->insecure, .push = true };
	int r;

	memset(es, 0, sizeof(*es));
	config_app_repo(&repo, cfg, env, app);
	strbuf_addf(&ref, "%s:%s", repo.buf, env->name);
	r = oci_ref_parse(&es->ref, ref.buf);
	if (!r)
		r = oci_store_open(&es->store, &es->ref, &oo);
	if (!r) {
		struct strbuf id = STRBUF_INIT;
		if (es->ref.kind == OCI_REF_LAYOUT)
			strbuf_addf(&id, "oci-layout:%s", es->ref.dir);
		else
			strbuf_addf(&id, "%s/%s", es->ref.host, es->ref.repo);
		es->identity = strbuf_detach(&id, NULL);
		es->name = strbuf_detach(&repo, NULL);
	}
	strbuf_release(&repo);
	strbuf_release(&ref);
	return r;
}

static void env_store_release(struct env_store *es)
{
	oci_store_free(es->store);
	oci_ref_release(&es->ref);
	free(es->name);
	free(es->identity);
	memset(es, 0, sizeof(*es));
}

static bool same_repository(const struct env_store *a, const struct env_store *b)
{
	return !strcmp(a->identity, b->identity);
}

/*
 * The key promotions verify with: --key, else $HOIST_VERIFY_KEY, else
 * hoist.yaml verifyKey (a public key read from the repository at the same
 * revision), else the public half of the signing key.  NULL: none.
 */
static int verify_key(struct sign_key **out, const char *flag, const struct config *cfg,
		      const char *repo, const char *rev)
{
	const char *env = getenv("HOIST_VERIFY_KEY");
	struct src_tree *t = NULL;
	struct strbuf pem = STRBUF_INIT, what = STRBUF_INIT;
	int r;

	*out = NULL;
	if (flag)
		return sign_key_load_public(out, flag);
	if (env && *env)
		return sign_key_load_public(out, env);
	if (cfg->verify_key) {
		r = src_tree_open_git(&t, repo, rev);
		if (!r)
			r = src_tree_read(t, cfg->verify_key, &pem, 64u << 10);
		strbuf_addf(&what, "%s:%s", rev, cfg->verify_key);
		if (!r)
			r = sign_key_from_pem(out, pem.buf, pem.len, false, what.buf);
		src_tree_free(t);
		strbuf_release(&pem);
		strbuf_release(&what);
		return r;
	}
	return sign_key_configured(out, cfg->signing_key);
}

/* When `digest` last arrived in the environment, from its history; -1: never. */
static int arrival_time(struct oci_store *s, const char *env, const char *digest, int64_t *out)
{
	struct history_record *v = NULL;
	size_t n = 0, i;
	int r = history_list(s, env, &v, &n, 0);

	*out = -1;
	for (i = 0; !r && i < n; i++)
		if (!strcmp(v[i].to, digest)) {
			*out = history_parse_time(v[i].time);
			break;
		}
	history_records_free(v, n);
	return r;
}

/*
 * Fetches the artifact's layer and checks it, end to end: the blob against
 * its digest (the store API does that), then the artifact's own per-file
 * sha256s.  A tampered blob in the registry's storage stops here.
 */
static int check_content(struct env_store *src, const char *manifest, size_t len,
			 const char *media_type)
{
	struct oci_artifact_desc d;
	struct artifact_info info;
	struct strbuf layer = STRBUF_INIT;
	int r = oci_manifest_parse(&d, media_type, manifest, len, src->name);

	if (!r)
		r = oci_blob_get(src->store, &layer, d.layer_digest, OCI_BLOB_MAX);
	if (!r) {
		r = artifact_read(&info, layer.buf, layer.len, NULL, false);
		if (!r)
			artifact_info_release(&info);
	}
	strbuf_release(&layer);
	return r;
}

/* Copies the artifact's blobs into another repository (mounting when the registry can). */
static int copy_blobs(struct env_store *dst, struct env_store *src, const char *manifest,
		      size_t len, const char *media_type)
{
	struct oci_artifact_desc d;
	const char *blobs[2];
	size_t i;
	int r = oci_manifest_parse(&d, media_type, manifest, len, src->name);

	if (r)
		return r;
	blobs[0] = d.config_digest;
	blobs[1] = d.layer_digest;
	for (i = 0; i < 2; i++) {
		struct strbuf data = STRBUF_INIT;
		char got[DIGEST_STR_SIZE];

		if (!oci_blob_exists(dst->store, blobs[i]))
			continue;
		if (dst->ref.kind == OCI_REF_REGISTRY && src->ref.kind == OCI_REF_REGISTRY &&
		    !strcmp(dst->ref.host, src->ref.host) &&
		    !oci_blob_mount(dst->store, blobs[i], src->ref.repo))
			continue;
		r = oci_blob_get(src->store, &data, blobs[i], OCI_BLOB_MAX);
		if (!r)
			r = oci_blob_put(dst->store, data.buf, data.len, got);
		strbuf_release(&data);
		if (r)
			return r;
	}
	return 0;
}

static bool in_history(struct oci_store *s, const char *env, const char *digest)
{
	struct history_record *v = NULL;
	size_t n = 0, i;
	bool found = false;

	if (history_list(s, env, &v, &n, 0))
		return false;
	for (i = 0; i < n && !found; i++)
		found = !strcmp(v[i].to, digest);
	history_records_free(v, n);
	return found;
}

void promote_result_release(struct promote_result *res)
{
	free(res->from_ref);
	free(res->to_ref);
	memset(res, 0, sizeof(*res));
}

int promote_run(struct promote_result *res, const struct promote_opts *opts)
{
	struct promote_opts o = *opts;
	struct config cfg;
	const struct config_env *from, *to;
	struct env_store src = { 0 }, dst = { 0 };
	struct sign_key *key = NULL;
	struct strbuf man = STRBUF_INIT, mt = STRBUF_INIT;
	char digest[DIGEST_STR_SIZE], got[DIGEST_STR_SIZE], prev[DIGEST_STR_SIZE];
	bool have_cfg = false;
	int r;

	memset(res, 0, sizeof(*res));
	if (!o.repo)
		o.repo = ".";
	if (!o.rev)
		o.rev = "HEAD";
	r = publish_load_config(&cfg, o.repo, o.rev);
	if (r)
		goto out;
	have_cfg = true;
	if (!config_app_find(&cfg, o.app)) {
		r = err_set(ERR_INVALID, "%s: no app named '%s'", cfg.file, o.app);
		goto out;
	}
	to = config_env_find(&cfg, o.to);
	if (!to) {
		r = err_set(ERR_INVALID, "%s: no environment named '%s'", cfg.file, o.to);
		goto out;
	}
	if (!o.from)
		o.from = to->promote_from;
	if (!o.from) {
		r = err_set(ERR_INVALID, "%s: environment '%s' has no promoteFrom; nothing promotes to it",
			    cfg.file, to->name);
		goto out;
	}
	from = config_env_find(&cfg, o.from);
	if (!from) {
		r = err_set(ERR_INVALID, "%s: no environment named '%s'", cfg.file, o.from);
		goto out;
	}
	if (!to->promote_from || strcmp(to->promote_from, from->name)) {
		r = err_set(ERR_INVALID, "refused: %s promotes from %s, not from %s", to->name,
			    to->promote_from ? to->promote_from : "nothing", from->name);
		goto out;
	}
	if ((r = env_store_open(&src, &cfg, from, o.app, o.insecure)) ||
	    (r = env_store_open(&dst, &cfg, to, o.app, o.insecure)))
		goto out;

	/* What the source holds now, or the digest asked for (one it has held). */
	r = oci_resolve(src.store, from->name, digest);
	if (r == ERR_NOTFOUND) {
		r = err_set(ERR_NOTFOUND, "refused: %s:%s does not exist; nothing to promote",
			    src.name, from->name);
		goto out;
	}
	if (r)
		goto out;
	if (o.digest && strcmp(o.digest, digest)) {
		if (!digest_is_valid(o.digest)) {
			r = err_set(ERR_INVALID, "'%s' is not a digest (sha256:<64 hex>)", o.digest);
			goto out;
		}
		if (!in_history(src.store, from->name, o.digest)) {
			r = err_set(ERR_INVALID, "refused: %s was never in %s", o.digest, from->name);
			goto out;
		}
		snprintf(digest, sizeof(digest), "%s", o.digest);
	}
	r = oci_manifest_get(src.store, &man, &mt, digest, got);
	if (!r)
		r = check_content(&src, man.buf, man.len, mt.buf);
	if (r) {
		err_prefix(r, "refused: %s@%s", src.name, digest);
		goto out;
	}

	/* The artifact must be what its signature says, when a key is configured. */
	r = verify_key(&key, o.key, &cfg, o.repo, o.rev);
	if (r)
		goto out;
	if (key) {
		r = sign_verify(src.store, src.identity, digest, key);
		if (r == ERR_NOTFOUND) {
			r = err_set(ERR_VERIFY, "refused: %s@%s is unsigned and a verification key is configured",
				    src.name, digest);
			goto out;
		}
		if (r) {
			err_prefix(r, "refused: %s@%s", src.name, digest);
			goto out;
		}
		res->verified = true;
	}

	if (to->soak) {
		int64_t need, since;
		int64_t now = (int64_t)time(NULL);

		config_parse_duration(to->soak, &need);
		r = arrival_time(src.store, from->name, digest, &since);
		if (r)
			goto out;
		if (since < 0) {
			r = err_set(ERR_INVALID, "refused: no record of when %s entered %s; cannot check the %s soak",
				    digest, from->name, to->soak);
			goto out;
		}
		if (now - since < need) {
			r = err_set(ERR_INVALID,
				    "refused: %s has been in %s for %llds; %s needs %s (%llds more)",
				    digest, from->name, (long long)(now - since), to->name, to->soak,
				    (long long)(need - (now - since)));
			goto out;
		}
	}
	if (to->approval && !strcmp(to->approval, "required") && !o.approve) {
		r = err_set(ERR_INVALID, "refused: promotion to %s requires approval (--approve)",
			    to->name);
		goto out;
	}
	/* The health gate: what the source's clusters run, asked of their agents. */
	{
		struct strbuf why = STRBUF_INIT;
		r = fleet_health_gate(&cfg, from, o.app, digest, &why);
		if (r && !o.force) {
			err_set(r, "refused: %s@%s is not Healthy everywhere in %s: %s (--force overrides)",
				o.app, digest, from->name, why.buf);
		} else if (r) {
			log_warn("forced past the health gate of %s: %s", from->name, why.buf);
			err_clear();
			res->forced = true;
			r = 0;
		}
		strbuf_release(&why);
		if (r)
			goto out;
	}

	{
		struct history_move mv = { to->name, digest,
					   o.force ? "promote --force" : o.actor ? o.actor : "promote",
					   NULL, NULL, NULL, 0, NULL };
		if (!same_repository(&src, &dst)) {
			r = copy_blobs(&dst, &src, man.buf, man.len, mt.buf);
			if (!r && key)
				r = sign_copy(dst.store, src.store, digest);
			if (r)
				goto out;
			mv.manifest = man.buf;
			mv.manifest_len = man.len;
			mv.media_type = mt.buf;
		}
		r = history_move_tag(dst.store, &mv, prev);
		if (r)
			goto out;
		res->moved = strcmp(prev, digest) != 0;
	}
	memcpy(res->digest, digest, sizeof(digest));
	{
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		strbuf_addf(&a, "%s:%s", src.name, from->name);
		strbuf_addf(&b, "%s:%s", dst.name, to->name);
		res->from_ref = strbuf_detach(&a, NULL);
		res->to_ref = strbuf_detach(&b, NULL);
	}
out:
	sign_key_free(key);
	env_store_release(&src);
	env_store_release(&dst);
	strbuf_release(&man);
	strbuf_release(&mt);
	if (have_cfg)
		config_release(&cfg);
	return r;
}

struct promote_args {
	struct promote_opts o;
	bool json;
};

#define A struct promote_args
static const struct opt promote_options[] = {
	{ "to", OPT_FIELD(A, o.to), .arg = "ENV", .complete = COMPLETE_ENV,
	  .help = "the environment to point at the digest (required)" },
	{ "from", OPT_FIELD(A, o.from), .arg = "ENV", .def = "the target's promoteFrom",
	  .complete = COMPLETE_ENV, .help = "the environment whose digest is promoted" },
	{ "digest", OPT_FIELD(A, o.digest), .arg = "D", .def = "what --from holds now",
	  .help = "promote this digest (it must be in --from's history)" },
	{ "approve", OPT_FIELD(A, o.approve),
	  .help = "approve the promotion when the target has approval: required" },
	{ "force", OPT_FIELD(A, o.force),
	  .help = "promote although the source's clusters do not all run it Healthy (recorded)" },
	{ "key", OPT_FIELD(A, o.key), .arg = "PUB", .env = "HOIST_VERIFY_KEY",
	  .def = "hoist.yaml verifyKey", .complete = COMPLETE_FILE,
	  .help = "refuse an artifact this public key did not sign" },
	{ "repo", OPT_FIELD(A, o.repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository hoist.yaml is read from" },
	{ "rev", OPT_FIELD(A, o.rev), .arg = "REV", .def = "HEAD",
	  .help = "the revision hoist.yaml is read at" },
	{ "insecure", OPT_FIELD(A, o.insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "json", OPT_FIELD(A, json),
	  .help = "print the result as one JSON object (fields in docs/cli.md)" },
	{ NULL },
};
#undef A

static const char *const promote_examples[] = {
	"hoist promote podinfo --to prod --approve\t"
	"prod gets the digest staging (its promoteFrom) holds, verified and gated",
	"hoist promote podinfo --from dev --to staging --digest sha256:3f2a...\t"
	"a digest dev held before, not the newest",
	"hoist promote podinfo --to staging --json | jq -r .digest\tthe digest moved, for a script",
	NULL,
};

const struct cmd cmd_promote_entry = {
	"promote", cmd_promote,
	"promote APP --to ENV [--from ENV] [--digest D] [--approve] [--force] [--key PUB]\n"
	"promote APP --to ENV [--repo DIR] [--rev REV] [--insecure] [--json]",
	"point an environment at the digest another holds: verified, gated, recorded",
	promote_options,
	.description =
		"Moves the target environment's tag of APP to the digest the source\n"
		"environment holds, never re-rendering: the artifact is fetched and checked\n"
		"end to end (and its signature, when a key is configured), the gates of\n"
		"hoist.yaml apply (promoteFrom, soak, approval), and the move is recorded in\n"
		"the registry for history and rollback.\n\n"
		"Health gate: every cluster of the source environment whose agent runs APP\n"
		"must run the digest and report it Healthy (asked as `hoist status` does);\n"
		"--force promotes anyway and records the actor \"promote --force\".\n\n"
		"Prints \"APP FROM_REF -> TO_REF DIGEST\", with \"(already there)\" when the\n"
		"target held the digest already.",
	.env = "HOIST_VERIFY_KEY\tthe public key promotions verify with, when --key is not given\n"
	       "HOIST_REGISTRY_USER\tregistry user name (with HOIST_REGISTRY_PASSWORD)\n",
	.examples = promote_examples,
	.see_also = "docs/promotion.md",
	.args = { COMPLETE_APP },
};

int cmd_promote(int argc, char **argv)
{
	struct promote_args a = { { 0 } };
	struct promote_result res;
	struct strbuf js = STRBUF_INIT;
	char **pos;
	int n = opts_parse(argc, argv, promote_options, &a, &pos);

	if (n != 1 || !a.o.to)
		return cmd_usage(cmd_promote_entry.usage);
	a.o.app = pos[0];
	a.o.actor = "promote";
	if (promote_run(&res, &a.o))
		return cmd_fail();
	if (a.json) {
		strbuf_addch(&js, '{');
		json_kv_str(&js, "app", a.o.app);
		json_kv_str(&js, "from", res.from_ref);
		json_kv_str(&js, "to", res.to_ref);
		json_kv_str(&js, "digest", res.digest);
		json_kv_bool(&js, "moved", res.moved);
		json_kv_bool(&js, "verified", res.verified);
		json_kv_bool(&js, "forced", res.forced);
		strbuf_addstr(&js, "}\n");
		cmd_write_stdout(js.buf, js.len);
	} else {
		printf("%s %s -> %s %s%s\n", a.o.app, res.from_ref, res.to_ref, res.digest,
		       res.moved ? "" : " (already there)");
	}
	if (res.verified)
		log_info("signature verified");
	promote_result_release(&res);
	strbuf_release(&js);
	return cmd_finish_stdout(0);
}

/* --- history and rollback --------------------------------------------------- */

struct loaded {
	struct config cfg;
	bool have_cfg;
};

static int load(struct loaded *l, const char *repo, const char *rev, const char *app)
{
	int r;

	memset(l, 0, sizeof(*l));
	r = publish_load_config(&l->cfg, repo ? repo : ".", rev ? rev : "HEAD");
	if (r)
		return r;
	l->have_cfg = true;
	if (!config_app_find(&l->cfg, app))
		return err_set(ERR_INVALID, "%s: no app named '%s'", l->cfg.file, app);
	return 0;
}

static void unload(struct loaded *l)
{
	if (l->have_cfg)
		config_release(&l->cfg);
}

struct tagged {
	struct history_record rec;
	size_t seq;
};

static int by_time_desc(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;
	int c = history_time_cmp(y->rec.time, x->rec.time);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct history_args {
	const char *env, *repo, *rev;
	bool insecure, json;
};

#define A struct history_args
static const struct opt history_options[] = {
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .def = "every environment",
	  .complete = COMPLETE_ENV, .help = "only this environment's moves" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository hoist.yaml is read from" },
	{ "rev", OPT_FIELD(A, rev), .arg = "REV", .def = "HEAD",
	  .help = "the revision hoist.yaml is read at" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "json", OPT_FIELD(A, json),
	  .help = "one JSON object per move (fields in docs/cli.md)" },
	{ NULL },
};
#undef A

static const char *const history_examples[] = {
	"hoist history podinfo\tevery move of every environment's tag, newest first",
	"hoist history podinfo --env prod --json | jq -r .to\tprod's digests, for a script",
	NULL,
};

const struct cmd cmd_history_entry = {
	"history", cmd_history, "history APP [--env NAME] [--repo DIR] [--rev REV] [--json]",
	"every move of the app's environment tags, newest first",
	history_options,
	.description =
		"Lists the moves recorded in the registry for APP, newest first, one a line:\n"
		"TIME ENV ACTOR FROM -> TO VERSION COMMIT (a dash for what is not known).\n"
		"Publish, the hooks, CI, promote and rollback record every tag they move.",
	.examples = history_examples,
	.see_also = "docs/promotion.md",
	.args = { COMPLETE_APP },
};

int cmd_history(int argc, char **argv)
{
	struct history_args a = { 0 };
	const char *env, *repo, *rev;
	bool insecure;
	struct strbuf js = STRBUF_INIT;
	struct loaded l;
	struct tagged *all = NULL;
	size_t nall = 0, alloc = 0, i, k;
	char **pos;
	int n = opts_parse(argc, argv, history_options, &a, &pos), r;

	if (n != 1)
		return cmd_usage(cmd_history_entry.usage);
	env = a.env;
	repo = a.repo;
	rev = a.rev;
	insecure = a.insecure;
	r = load(&l, repo, rev, pos[0]);
	if (!r && env && !config_env_find(&l.cfg, env))
		r = err_set(ERR_INVALID, "%s: no environment named '%s'", l.cfg.file, env);
	for (i = 0; !r && i < l.cfg.envs.n; i++) {
		const struct config_env *e = config_env(&l.cfg, i);
		struct env_store es;
		struct history_record *v = NULL;
		size_t nv = 0;

		if (env && strcmp(env, e->name))
			continue;
		r = env_store_open(&es, &l.cfg, e, pos[0], insecure);
		if (!r)
			r = history_list(es.store, e->name, &v, &nv, 0);
		env_store_release(&es);
		for (k = 0; !r && k < nv; k++) {
			ALLOC_GROW(all, nall + 1, alloc);
			all[nall].rec = v[k];
			all[nall].seq = nall;
			nall++;
		}
		free(v); /* the records' strings moved into `all` */
	}
	if (nall)
		qsort(all, nall, sizeof(*all), by_time_desc);
	for (i = 0; !r && i < nall; i++) {
		const struct history_record *h = &all[i].rec;
		if (a.json) {
			strbuf_reset(&js);
			strbuf_addch(&js, '{');
			json_kv_str(&js, "time", h->time);
			json_kv_str(&js, "environment", h->environment);
			json_kv_str(&js, "actor", h->actor);
			json_kv_str(&js, "from", *h->from ? h->from : NULL);
			json_kv_str(&js, "to", h->to);
			json_kv_str(&js, "version", *h->version ? h->version : NULL);
			json_kv_str(&js, "commit", *h->commit ? h->commit : NULL);
			json_kv_str(&js, "record", h->self);
			strbuf_addstr(&js, "}\n");
			cmd_write_stdout(js.buf, js.len);
			continue;
		}
		printf("%s %s %s %s -> %s %s %.7s\n", h->time, h->environment, h->actor,
		       *h->from ? h->from : "-", h->to, *h->version ? h->version : "-",
		       *h->commit ? h->commit : "-");
	}
	for (i = 0; i < nall; i++)
		history_record_release(&all[i].rec);
	free(all);
	unload(&l);
	strbuf_release(&js);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

struct rollback_args {
	const char *env, *repo, *rev, *to, *steps, *key;
	bool insecure;
};

#define A struct rollback_args
static const struct opt rollback_options[] = {
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .complete = COMPLETE_ENV,
	  .help = "the environment to move back (required)" },
	{ "to", OPT_FIELD(A, to), .arg = "DIGEST",
	  .help = "the digest to go back to; the environment must have held it" },
	{ "steps", OPT_FIELD(A, steps), .arg = "N", .def = "1",
	  .help = "go back N recorded moves (not with --to)" },
	{ "key", OPT_FIELD(A, key), .arg = "PUB", .env = "HOIST_VERIFY_KEY",
	  .def = "hoist.yaml verifyKey", .complete = COMPLETE_FILE,
	  .help = "refuse a digest this public key did not sign" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository hoist.yaml is read from" },
	{ "rev", OPT_FIELD(A, rev), .arg = "REV", .def = "HEAD",
	  .help = "the revision hoist.yaml is read at" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ NULL },
};
#undef A

static const char *const rollback_examples[] = {
	"hoist rollback podinfo --env prod\tprod goes back to the digest it held before the last move",
	"hoist rollback podinfo --env prod --to sha256:3f2a...\tto a digest prod held before",
	NULL,
};

const struct cmd cmd_rollback_entry = {
	"rollback", cmd_rollback,
	"rollback APP --env NAME [--to DIGEST | --steps N] [--key PUB] [--repo DIR] [--rev REV]",
	"move an environment back to a digest it held before",
	rollback_options,
	.description =
		"Moves the environment's tag of APP back to a digest its recorded history\n"
		"shows it held, verified like a promotion, and records the move.  Prints\n"
		"\"APP REPO:ENV PREVIOUS -> TARGET\".",
	.env = "HOIST_VERIFY_KEY\tthe public key rollbacks verify with, when --key is not given\n",
	.examples = rollback_examples,
	.see_also = "docs/promotion.md",
	.args = { COMPLETE_APP },
};

int cmd_rollback(int argc, char **argv)
{
	struct rollback_args a = { 0 };
	const char *env, *repo, *rev, *to, *steps_s, *keyf;
	bool insecure;
	struct loaded l;
	struct env_store es = { 0 };
	struct history_record *v = NULL;
	struct sign_key *key = NULL;
	const struct config_env *e;
	size_t nv = 0, i, steps = 1;
	char target[DIGEST_STR_SIZE] = "", prev[DIGEST_STR_SIZE];
	char **pos;
	int n = opts_parse(argc, argv, rollback_options, &a, &pos), r;

	env = a.env;
	repo = a.repo;
	rev = a.rev;
	to = a.to;
	steps_s = a.steps;
	keyf = a.key;
	insecure = a.insecure;
	if (n != 1 || !env || (to && steps_s))
		return cmd_usage(cmd_rollback_entry.usage);
	if (steps_s) {
		char *end;
		unsigned long s = strtoul(steps_s, &end, 10);
		if (*end || !s || s > HISTORY_MAX)
			return cmd_usage(cmd_rollback_entry.usage);
		steps = (size_t)s;
	}
	r = load(&l, repo, rev, pos[0]);
	if (r)
		goto out;
	e = config_env_find(&l.cfg, env);
	if (!e) {
		r = err_set(ERR_INVALID, "%s: no environment named '%s'", l.cfg.file, env);
		goto out;
	}
	r = env_store_open(&es, &l.cfg, e, pos[0], insecure);
	if (!r)
		r = history_list(es.store, e->name, &v, &nv, 0);
	if (r)
		goto out;
	if (to) {
		for (i = 0; i < nv && !target[0]; i++)
			if (!strcmp(v[i].to, to) || !strcmp(v[i].from, to))
				snprintf(target, sizeof(target), "%s", to);
		if (!target[0]) {
			r = err_set(ERR_INVALID, "refused: %s never held %s", e->name, to);
			goto out;
		}
	} else {
		if (steps > nv || !*v[steps - 1].from) {
			r = err_set(ERR_INVALID, "refused: %s has no digest %zu move(s) back (%zu recorded)",
				    e->name, steps, nv);
			goto out;
		}
		snprintf(target, sizeof(target), "%s", v[steps - 1].from);
	}
	r = verify_key(&key, keyf, &l.cfg, repo ? repo : ".", rev ? rev : "HEAD");
	if (!r && key) {
		r = sign_verify(es.store, es.identity, target, key);
		if (r == ERR_NOTFOUND)
			r = err_set(ERR_VERIFY, "refused: %s is unsigned and a verification key is configured",
				    target);
		else if (r)
			err_prefix(r, "refused: %s", target);
	}
	if (!r) {
		struct history_move mv = { e->name, target, "rollback", NULL, NULL, NULL, 0, NULL };
		r = history_move_tag(es.store, &mv, prev);
	}
	if (!r)
		printf("%s %s:%s %s -> %s\n", pos[0], es.name, e->name, prev, target);
out:
	sign_key_free(key);
	history_records_free(v, nv);
	env_store_release(&es);
	unload(&l);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}
