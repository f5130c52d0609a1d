/*
 * lock.c - `hoist lock`: pins every remote input of every app of
 * hoist.yaml in hoist.lock (source/remote.h, docs/remote.md).
 *
 * Renders each app for each environment it is in, from the work tree on
 * disk (what the next commit will hold), with the lock ignored so every
 * ref is resolved afresh, and writes the union of the pins used.  With
 * --check it writes nothing and fails when hoist.lock differs, for a CI
 * step or a pre-commit hook.
 */
#include "core/compat.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/remote.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "render/render.h"

#define CONFIG_MAX (1u << 20)
#define LOCK_MAX (4u << 20)

struct lock_args {
	const char *repo;
	bool check;
	struct opt_list allow_remote;
	bool offline, allow_floating;
};

#define A struct lock_args
static const struct opt lock_options[] = {
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the work tree whose hoist.yaml and apps are read, and hoist.lock written" },
	{ "check", OPT_FIELD(A, check),
	  .help = "write nothing; exit 1 when hoist.lock is not what it would be" },
	REMOTE_OPTIONS(A),
	{ NULL },
};
#undef A

static const char *const lock_examples[] = {
	"hoist lock\tresolve every remote base and write hoist.lock next to hoist.yaml",
	"hoist lock --check\tin CI: fail when hoist.lock is stale",
	"hoist lock --allow-remote github.com\tallow a host hoist.yaml does not list yet",
	NULL,
};

const struct cmd cmd_lock_entry = {
	"lock", cmd_lock,
	"lock [--repo DIR] [--check] [--allow-remote PATTERN]... [--offline] [--allow-floating]",
	"pin the remote inputs of every app in hoist.lock",
	lock_options,
	.description =
		"Renders every app of hoist.yaml, for every environment it is in, from the\n"
		"work tree, resolving each remote input (a Git base at its ref, an HTTP\n"
		"file) afresh, and writes hoist.lock: the commit or sha256 of each.  Commit\n"
		"the lock: publishing then uses exactly those pins, refuses an input the\n"
		"lock does not pin, and refuses a fetched input that no longer matches its\n"
		"pin.  Hosts must be allowed as for rendering (hoist.yaml\n"
		"remoteSources.allow, or --allow-remote).",
	.env = "HOIST_CACHE_DIR\tthe cache of remote inputs (default ~/.cache/hoist)\n",
	.examples = lock_examples,
	.see_also = "docs/remote.md",
	.args = { COMPLETE_NONE },
};

/* Renders every app in every environment, collecting the pins into `all`. */
static int lock_collect(struct remote_ctx *rc, struct src_tree *t, const struct config *cfg,
			struct remote_pin **all, size_t *nall)
{
	struct strbuf path = STRBUF_INIT;
	size_t e, k, i;
	int r = 0;

	for (e = 0; !r && e < cfg->envs.n; e++) {
		const struct config_env *env = config_env(cfg, e);

		for (k = 0; !r && k < cfg->apps.n; k++) {
			const struct config_app *app = config_app(cfg, k);
			struct render_opts ro = { 0 };
			struct render_result res;
			struct objset set = OBJSET_INIT;

			if (!config_app_in_env(app, env))
				continue;
			strbuf_reset(&path);
			config_expand(&path, app->path, env->name);
			ro.env = env->name;
			render_opts_for_app(&ro, app);
			if (app->engine && (r = render_engine_parse(app->engine, &ro.engine)))
				break;
			remote_ctx_reset(rc, t);
			ro.remote = rc;
			r = render_app(&set, &res, t, path.buf, &ro);
			objset_release(&set);
			if (r) {
				err_prefix(r, "app %s (%s)", app->name, env->name);
				break;
			}
			for (i = 0; i < rc->npins; i++) {
				*all = xrealloc(*all, (*nall + 1) * sizeof(**all));
				(*all)[*nall].kind = rc->pins[i].kind;
				(*all)[*nall].url = xstrdup(rc->pins[i].url);
				(*all)[*nall].ref = xstrdup(rc->pins[i].ref);
				(*all)[*nall].resolved = xstrdup(rc->pins[i].resolved);
				(*nall)++;
			}
		}
	}
	strbuf_release(&path);
	return r;
}

int cmd_lock(int argc, char **argv)
{
	struct lock_args a = { 0 };
	struct remote_ctx rc = { 0 };
	struct src_tree *t = NULL;
	struct config cfg = { 0 };
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT, old = STRBUF_INIT,
		      file = STRBUF_INIT;
	struct remote_pin *all = NULL;
	size_t nall = 0, i;
	bool have_cfg = false;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, lock_options, &a, &pos);
	if (n != 0) {
		opts_release(lock_options, &a);
		return cmd_usage(cmd_lock_entry.usage);
	}
	if (!a.repo)
		a.repo = ".";
	r = src_tree_open_dir(&t, a.repo);
	if (!r)
		r = src_tree_read(t, CONFIG_FILE, &text, CONFIG_MAX);
	if (!r) {
		strbuf_addf(&file, "%s/%s", a.repo, CONFIG_FILE);
		r = config_parse(&cfg, text.buf, text.len, file.buf);
		have_cfg = !r;
	}
	if (!r) {
		struct remote_flags rf = { a.allow_remote.v, a.offline, a.allow_floating };
		r = remote_ctx_init_flags(&rc, &cfg, &rf, a.repo);
	}
	if (r)
		goto out;
	rc.relock = true;
	r = lock_collect(&rc, t, &cfg, &all, &nall);
	if (r)
		goto out;
	remote_lock_format(&out, all, nall);
	strbuf_reset(&file);
	strbuf_addf(&file, "%s/%s", a.repo, REMOTE_LOCK_FILE);
	if (a.check) {
		int rr = strbuf_read_file(&old, file.buf, LOCK_MAX);
		if (rr && rr != ERR_NOTFOUND) {
			r = rr;
			goto out;
		}
		err_clear();
		if (rr || strcmp(old.buf, out.buf)) {
			r = err_set(ERR_VERIFY, "%s is not up to date: run `hoist lock`", file.buf);
			goto out;
		}
		fprintf(stderr, "%s is up to date (%zu remote inputs)\n", file.buf, nall);
		goto out;
	}
	r = write_file_atomic(file.buf, out.buf, out.len, 0644);
	if (!r) {
		/* What the lock now says, for people: one line per pin. */
		for (i = 0; i < nall; i++)
			if (!i || strcmp(all[i].url, all[i - 1].url) || strcmp(all[i].ref, all[i - 1].ref))
				fprintf(stderr, "%s%s%s %s\n", all[i].url, *all[i].ref ? "@" : "",
					all[i].ref, all[i].resolved);
		fprintf(stderr, "wrote %s\n", file.buf);
	}
out:
	remote_pins_free(all, nall);
	remote_ctx_release(&rc);
	if (have_cfg)
		config_release(&cfg);
	src_tree_free(t);
	strbuf_release(&text);
	strbuf_release(&out);
	strbuf_release(&old);
	strbuf_release(&file);
	opts_release(lock_options, &a);
	return r ? cmd_fail() : 0;
}
