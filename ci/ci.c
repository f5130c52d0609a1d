/*
 * ci.c - `hoist ci`: publish from GitHub Actions or GitLab CI.
 */
#include "core/compat.h"
#include "ci/ci.h"
#include "hooks/publish.h"
#include "hooks/promote.h"
#include "render/diff.h"
#include "core/cmd.h"
#include "core/err.h"
#include "source/remote.h"
#include "source/repo.h"
#include "core/strbuf.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <unistd.h>

/*
 * GitHub refuses job summaries over 1 MiB; the diff is cut well before
 * that so the table and the note always fit.
 */
#define CI_SUMMARY_DIFF_MAX (512 * 1024)

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static char *fmt(const char *f, ...) PRINTF_LIKE(1, 2);
static char *fmt(const char *f, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, f);
	strbuf_vaddf(&sb, f, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

static bool is_true(const char *s)
{
	return s && !strcmp(s, "true");
}

static int need(const char *(*get)(const char *), const char *name, const char **out)
{
	*out = get(name);
	if (!*out || !**out)
		return err_set(ERR_INVALID, "%s is not set; is this a CI job?", name);
	return 0;
}

static int detect_github(struct ci_context *ctx, const char *(*get)(const char *))
{
	const char *sha, *ref, *server = get("GITHUB_SERVER_URL"), *repo = get("GITHUB_REPOSITORY");
	const char *event = get("GITHUB_EVENT_NAME");
	int r;

	ctx->provider = CI_GITHUB;
	if ((r = need(get, "GITHUB_SHA", &sha)) || (r = need(get, "GITHUB_REF", &ref)))
		return r;
	ctx->sha = xstrdup(sha);
	if (server && *server && repo && *repo)
		ctx->source = fmt("%s/%s", server, repo);
	if (event && !strcmp(event, "pull_request")) {
		const char *base, *num = "";
		size_t numlen = 0;

		if ((r = need(get, "GITHUB_BASE_REF", &base)))
			return r;
		ctx->is_pr = true;
		if (!strncmp(ref, "refs/pull/", 10)) {
			num = ref + 10;
			numlen = strcspn(num, "/");
		}
		ctx->pr_label = numlen ? fmt("pull request #%.*s", (int)numlen, num)
				       : xstrdup("pull request");
		ctx->target = xstrdup(base);
		ctx->ref = fmt("refs/heads/%s", base);
		ctx->base = fmt("origin/%s", base);
	} else {
		ctx->ref = xstrdup(ref);
	}
	return 0;
}

static int detect_gitlab(struct ci_context *ctx, const char *(*get)(const char *))
{
	const char *sha, *name, *tag = get("CI_COMMIT_TAG"), *source = get("CI_PIPELINE_SOURCE");
	int r;

	ctx->provider = CI_GITLAB;
	if ((r = need(get, "CI_COMMIT_SHA", &sha)))
		return r;
	ctx->sha = xstrdup(sha);
	ctx->source = dup_or_null(get("CI_PROJECT_URL"));
	if (source && !strcmp(source, "merge_request_event")) {
		const char *target, *iid = get("CI_MERGE_REQUEST_IID");
		const char *base = get("CI_MERGE_REQUEST_DIFF_BASE_SHA");

		if ((r = need(get, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", &target)))
			return r;
		ctx->is_pr = true;
		ctx->pr_label = iid && *iid ? fmt("merge request !%s", iid)
					    : xstrdup("merge request");
		ctx->target = xstrdup(target);
		ctx->ref = fmt("refs/heads/%s", target);
		if (base && *base) {
			ctx->base = xstrdup(base);
			ctx->base_alt = fmt("origin/%s", target);
		} else {
			ctx->base = fmt("origin/%s", target);
		}
	} else if (tag && *tag) {
		ctx->ref = fmt("refs/tags/%s", tag);
	} else {
		if ((r = need(get, "CI_COMMIT_REF_NAME", &name)))
			return r;
		ctx->ref = fmt("refs/heads/%s", name);
	}
	return 0;
}

int ci_detect(struct ci_context *ctx, const char *(*get)(const char *name))
{
	int r = 0;

	memset(ctx, 0, sizeof(*ctx));
	if (is_true(get("GITHUB_ACTIONS")))
		r = detect_github(ctx, get);
	else if (is_true(get("GITLAB_CI")))
		r = detect_gitlab(ctx, get);
	if (r)
		ci_context_release(ctx);
	return r;
}

void ci_context_release(struct ci_context *ctx)
{
	free(ctx->sha);
	free(ctx->ref);
	free(ctx->source);
	free(ctx->pr_label);
	free(ctx->target);
	free(ctx->base);
	free(ctx->base_alt);
	memset(ctx, 0, sizeof(*ctx));
}

void ci_dotenv_key(struct strbuf *out, const char *app, const char *what)
{
	const char *p;

	strbuf_addstr(out, "HOIST_");
	for (p = app; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		strbuf_addch(out, c);
	}
	strbuf_addf(out, "_%s", what);
}

/* An app may publish to several environments; outputs describe its first item. */
static bool first_of_app(const struct publish_result *res, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(res->items[j].app, res->items[i].app))
			return false;
	return true;
}

void ci_github_outputs(struct strbuf *out, const struct publish_result *res)
{
	size_t i;
	bool first = true;

	if (res->n) {
		const struct publish_item *it = &res->items[0];
		strbuf_addf(out, "version=%s\ndigest=%s\nreference=%s\n", it->version, it->digest,
			    it->reference);
	}
	for (i = 0; i < res->n; i++) {
		const struct publish_item *it = &res->items[i];
		if (!first_of_app(res, i))
			continue;
		strbuf_addf(out, "%s-version=%s\n%s-digest=%s\n%s-reference=%s\n", it->app,
			    it->version, it->app, it->digest, it->app, it->reference);
	}
	strbuf_addstr(out, "apps=[");
	for (i = 0; i < res->n; i++) {
		if (!first_of_app(res, i))
			continue;
		if (!first)
			strbuf_addch(out, ',');
		strbuf_add_json_str(out, res->items[i].app, strlen(res->items[i].app));
		first = false;
	}
	strbuf_addstr(out, "]\n");
}

void ci_gitlab_dotenv(struct strbuf *out, const struct publish_result *res)
{
	size_t i;

	if (res->n)
		strbuf_addf(out, "HOIST_VERSION=%s\nHOIST_DIGEST=%s\nHOIST_REFERENCE=%s\n",
			    res->items[0].version, res->items[0].digest, res->items[0].reference);
	for (i = 0; i < res->n; i++) {
		const struct publish_item *it = &res->items[i];
		if (!first_of_app(res, i))
			continue;
		ci_dotenv_key(out, it->app, "VERSION");
		strbuf_addf(out, "=%s\n", it->version);
		ci_dotenv_key(out, it->app, "DIGEST");
		strbuf_addf(out, "=%s\n", it->digest);
		ci_dotenv_key(out, it->app, "REFERENCE");
		strbuf_addf(out, "=%s\n", it->reference);
	}
}

static const char *status_name(enum publish_status s)
{
	switch (s) {
	case PUBLISH_PUSHED:
		return "pushed";
	case PUBLISH_UNCHANGED:
		return "unchanged";
	case PUBLISH_RENDERED:
		return "rendered (dry run)";
	case PUBLISH_BEHIND:
		return "pushed; environment holds a newer commit";
	case PUBLISH_FAILED:
		return "failed";
	}
	return "?";
}

/* A fence longer than any run of backticks in `s`, so the diff cannot close it. */
static size_t fence_len(const char *s, size_t len)
{
	size_t i, run = 0, max = 0;

	for (i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	return max >= 3 ? max + 1 : 3;
}

void ci_summary(struct strbuf *out, const struct ci_context *ctx,
		const struct publish_result *res, bool dry_run, const char *diff_base,
		const struct strbuf *diff, size_t nchanged, const char *note)
{
	const char *ref = ctx->ref ? ctx->ref : "";
	size_t i, cut, f;

	if (!strncmp(ref, "refs/heads/", 11))
		ref += 11;
	else if (!strncmp(ref, "refs/tags/", 10))
		ref += 10;
	strbuf_addstr(out, "### hoist: ");
	if (ctx->is_pr)
		strbuf_addf(out, "dry run for %s into `%s`", ctx->pr_label, ctx->target);
	else
		strbuf_addf(out, "%s `%s`", dry_run ? "dry run for" : "published", ref);
	strbuf_addf(out, " at `%.12s`\n\n", res->sha);
	if (!res->n) {
		strbuf_addstr(out, "No app publishes for this ref.\n");
	} else {
		strbuf_addstr(out, "| app | environment | version | objects | digest | status |\n"
				   "| --- | --- | --- | ---: | --- | --- |\n");
		for (i = 0; i < res->n; i++) {
			const struct publish_item *it = &res->items[i];
			strbuf_addf(out, "| %s | %s | `%s` | %zu | `%s` | %s |\n", it->app, it->env,
				    it->version, it->nobjects, it->digest, status_name(it->status));
		}
	}
	if (note)
		strbuf_addf(out, "\n%s\n", note);
	if (diff) {
		strbuf_addf(out, "\n#### Rendered changes against `%s`\n\n", diff_base);
		if (!nchanged) {
			strbuf_addstr(out, "No changes to the rendered objects.\n");
			return;
		}
		cut = diff->len;
		if (cut > CI_SUMMARY_DIFF_MAX) {
			cut = CI_SUMMARY_DIFF_MAX;
			while (cut && diff->buf[cut - 1] != '\n')
				cut--;
		}
		f = fence_len(diff->buf, cut);
		strbuf_addf(out, "<details open><summary>%zu object%s changed</summary>\n\n", nchanged,
			    nchanged == 1 ? "" : "s");
		strbuf_addchars(out, '`', f);
		strbuf_addstr(out, "diff\n");
		strbuf_add(out, diff->buf, cut);
		strbuf_addchars(out, '`', f);
		strbuf_addstr(out, "\n\n");
		if (cut < diff->len)
			strbuf_addf(out, "The diff was cut at %zu of %zu bytes; run `hoist diff %s %s` "
					 "for all of it.\n\n", cut, diff->len, diff_base, res->sha);
		strbuf_addstr(out, "</details>\n");
	}
}

/*
 * GitHub's $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY are shared by the job's
 * steps: append, in one write so a reader never sees half of our lines.
 */
static int append_file(const char *path, const struct strbuf *sb)
{
	ssize_t w;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return err_set(ERR_GENERIC, "cannot open %s: %s", path, strerror(errno));
	w = write(fd, sb->buf, sb->len);
	if (w < 0 || (size_t)w != sb->len)
		r = err_set(ERR_GENERIC, "cannot write %s: %s", path,
			    w < 0 ? strerror(errno) : "short write");
	if (close(fd) && !r)
		r = err_set(ERR_GENERIC, "cannot write %s: %s", path, strerror(errno));
	return r;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* Whether `rev` names a commit in `repo`; diffing against an unfetched branch is not an error. */
static bool rev_exists(const char *repo, const char *rev)
{
	struct repo *r = NULL;
	struct repo_commit c;
	bool ok;

	if (repo_open(&r, repo))
		return false;
	ok = !repo_resolve(r, rev, &c);
	repo_free(r);
	err_clear();
	return ok;
}

/* The PR diff: into `diff`, or a note saying why there is none. */
static void pr_diff(struct strbuf *diff, size_t *nchanged, const char **base_out,
		    struct strbuf *note, const struct ci_context *ctx, const char *repo,
		    const char *env, const struct publish_result *res,
		    const struct remote_flags *rf)
{
	const char *base = NULL;

	if (rev_exists(repo, ctx->base))
		base = ctx->base;
	else if (ctx->base_alt && rev_exists(repo, ctx->base_alt))
		base = ctx->base_alt;
	if (!base) {
		strbuf_addf(note, "No rendered diff: `%s` is not in this clone; fetch the target "
				  "branch (e.g. `fetch-depth: 0` for actions/checkout, "
				  "`GIT_DEPTH: 0` on GitLab).", ctx->base_alt ? ctx->base_alt : ctx->base);
		fprintf(stderr, "hoist: warning: %s is not fetched; no diff in the summary\n",
			ctx->base);
		return;
	}
	*base_out = base;
	if (!env && res->n)
		env = res->items[0].env;
	if (diff_revisions(diff, repo, base, res->sha, env, NULL, nchanged, rf)) {
		strbuf_addf(note, "No rendered diff against `%s`: %s", base, err_msg());
		fprintf(stderr, "hoist: warning: no diff against %s: %s\n", base, err_msg());
		strbuf_reset(diff);
		*base_out = NULL;
	}
}

/*
 * One table for `ci` and `ci promote`: the promotion options are refused
 * without "promote" (and the publish ones with it) by the checks below.
 */
struct ci_args {
	const char *repo, *env, *rev, *ref, *dotenv, *summary;
	bool dry_run;
	struct promote_opts po;
	struct opt_list allow_remote;
	bool offline, allow_floating;
};

#define A struct ci_args
static const struct opt ci_options[] = {
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository checked out by the job" },
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .complete = COMPLETE_ENV,
	  .help = "publish to this environment only, whatever the ref" },
	{ "rev", OPT_FIELD(A, rev), .arg = "SHA", .def = "GITHUB_SHA or CI_COMMIT_SHA",
	  .help = "the commit to publish (with --ref: run outside CI)" },
	{ "ref", OPT_FIELD(A, ref), .arg = "REF", .def = "GITHUB_REF or CI_COMMIT_REF_NAME",
	  .help = "the ref whose environments receive it" },
	{ "dotenv", OPT_FIELD(A, dotenv), .arg = "FILE", .def = "hoist.env on GitLab",
	  .complete = COMPLETE_FILE, .help = "write HOIST_* variables as a dotenv report" },
	{ "summary", OPT_FIELD(A, summary), .arg = "FILE", .def = "hoist-summary.md on GitLab",
	  .complete = COMPLETE_FILE, .help = "write the Markdown job summary to FILE" },
	{ "dry-run", OPT_FIELD(A, dry_run),
	  .help = "render and pack, push nothing (always on for pull/merge requests)" },
	{ "to", OPT_FIELD(A, po.to), .arg = "ENV", .complete = COMPLETE_ENV,
	  .help = "ci promote: the environment to promote to (required there)" },
	{ "from", OPT_FIELD(A, po.from), .arg = "ENV", .complete = COMPLETE_ENV,
	  .help = "ci promote: the environment to promote from (default: promoteFrom)" },
	{ "key", OPT_FIELD(A, po.key), .arg = "PUB", .complete = COMPLETE_FILE,
	  .help = "ci promote: refuse an artifact this public key did not sign" },
	{ "approve", OPT_FIELD(A, po.approve),
	  .help = "ci promote: approve the promotion (the job's own gate is the approval)" },
	REMOTE_OPTIONS(A),
	{ NULL },
};
#undef A

static const char *const ci_examples[] = {
	"hoist ci\tin a GitHub Actions or GitLab CI job: publish, outputs, summary",
	"hoist ci --rev $(git rev-parse HEAD) --ref refs/heads/main --dry-run\t"
	"the same outside CI, pushing nothing",
	"hoist ci promote podinfo --to prod --approve\ta manual promotion job",
	NULL,
};

const struct cmd cmd_ci_entry = {
	"ci", cmd_ci,
	"ci [--repo DIR] [--env NAME] [--dry-run] [--rev SHA] [--ref REF] [--dotenv FILE]"
	" [--summary FILE]\n"
	"ci [--allow-remote PATTERN]... [--offline] [--allow-floating]\n"
	"ci promote APP --to ENV [--from ENV] [--approve] [--key PUB] [--repo DIR] [--rev SHA]",
	"publish from a CI job (GitHub Actions, GitLab CI): outputs, summary, PR diffs",
	ci_options,
	.description =
		"The publish step for GitHub Actions and GitLab CI.  It reads the commit and\n"
		"ref from the job's environment, publishes as hoist publish does, and writes\n"
		"step outputs (GITHUB_OUTPUT), a dotenv report (GitLab), and a job summary\n"
		"with the rendered diff.  On a pull or merge request it is a dry run whose\n"
		"summary shows the diff against the target branch.\n\n"
		"ci promote is the manual promotion job: hoist promote with outputs.",
	.env = "GITHUB_ACTIONS\ttrue: a GitHub Actions job (GITHUB_SHA, GITHUB_REF, GITHUB_EVENT_*)\n"
	       "GITHUB_OUTPUT\tthe file step outputs are appended to\n"
	       "GITHUB_STEP_SUMMARY\tthe file the job summary is appended to\n"
	       "GITLAB_CI\ttrue: a GitLab CI job (CI_COMMIT_SHA, CI_COMMIT_REF_NAME, CI_MERGE_REQUEST_*)\n"
	       "HOIST_SIGNING_KEY\tprivate key file: sign every artifact published\n",
	.examples = ci_examples,
	.see_also = "docs/ci.md",
	.args = { COMPLETE_NONE, "promote" },
};

/*
 * `hoist ci promote`: a manual promotion job (GitLab `when: manual`, GitHub
 * `workflow_dispatch` with an environment).  The job's own gate (who may
 * run it) is the approval, so --approve is passed through as given.
 */
static int ci_promote(struct ci_args *a, int n, char **pos)
{
	struct promote_opts o = a->po;
	struct promote_result res;
	const char *dotenv = a->dotenv;
	struct strbuf out = STRBUF_INIT, md = STRBUF_INIT;
	const char *gh_output = env_get("GITHUB_OUTPUT"), *gh_summary = env_get("GITHUB_STEP_SUMMARY");
	int r;

	if (n != 1 || !o.to || a->env || a->ref || a->summary || a->dry_run)
		return cmd_usage(cmd_ci_entry.usage);
	o.repo = a->repo;
	o.rev = a->rev;
	o.app = pos[0];
	o.actor = "ci";
	r = promote_run(&res, &o);
	if (r)
		return cmd_fail();
	printf("%s %s -> %s %s\n", o.app, res.from_ref, res.to_ref, res.digest);
	if (gh_output && *gh_output) {
		strbuf_addf(&out, "digest=%s\nreference=%s\n", res.digest, res.to_ref);
		r = append_file(gh_output, &out);
	}
	if (!r && gh_summary && *gh_summary) {
		strbuf_addf(&md, "### hoist: promoted %s\n\n| from | to | digest | signature |\n"
			    "| --- | --- | --- | --- |\n| `%s` | `%s` | `%s` | %s |\n\n",
			    o.app, res.from_ref, res.to_ref, res.digest,
			    res.verified ? "verified" : "not checked (no key configured)");
		r = append_file(gh_summary, &md);
	}
	if (!r && (dotenv || env_get("GITLAB_CI"))) {
		strbuf_reset(&out);
		strbuf_addf(&out, "HOIST_PROMOTED_DIGEST=%s\nHOIST_PROMOTED_REFERENCE=%s\n",
			    res.digest, res.to_ref);
		r = write_file_atomic(dotenv ? dotenv : "hoist.env", out.buf, out.len, 0644);
	}
	promote_result_release(&res);
	strbuf_release(&out);
	strbuf_release(&md);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

int cmd_ci(int argc, char **argv)
{
	struct ci_args a = { 0 };
	const char *repo, *env, *rev, *ref, *dotenv, *summary_file, *diff_base = NULL;
	bool dry_run;
	int n = opts_parse(argc, argv, ci_options, &a, &argv);
	struct ci_context ctx;
	struct publish_opts po = { 0 };
	struct publish_result res = { 0 };
	struct strbuf diff = STRBUF_INIT, note = STRBUF_INIT, summary = STRBUF_INIT;
	struct strbuf outputs = STRBUF_INIT;
	size_t nchanged = 0, i;
	const char *gh_output = NULL, *gh_summary = NULL;
	bool have_ctx = false, published = false;
	int r;

	if (n >= 1 && !strcmp(argv[0], "promote")) {
		r = ci_promote(&a, n - 1, argv + 1);
		opts_release(ci_options, &a);
		return r;
	}
	if (n != 0 || a.po.to || a.po.from || a.po.key || a.po.approve) {
		opts_release(ci_options, &a);
		return cmd_usage(cmd_ci_entry.usage);
	}
	repo = a.repo ? a.repo : ".";
	env = a.env;
	rev = a.rev;
	ref = a.ref;
	dotenv = a.dotenv;
	summary_file = a.summary;
	dry_run = a.dry_run;
	r = ci_detect(&ctx, env_get);
	if (r)
		goto out;
	have_ctx = true;
	if (ctx.provider == CI_NONE && !rev && !ref) {
		r = err_set(ERR_INVALID, "not in a known CI job (GITHUB_ACTIONS or GITLAB_CI is not "
					 "true); pass --rev and --ref to run outside CI");
		goto out;
	}
	if (rev) {
		free(ctx.sha);
		ctx.sha = xstrdup(rev);
	}
	if (ref) {
		free(ctx.ref);
		ctx.ref = xstrdup(ref);
	}
	if (ctx.is_pr)
		dry_run = true;
	if (ctx.provider == CI_GITHUB) {
		gh_output = getenv("GITHUB_OUTPUT");
		gh_summary = getenv("GITHUB_STEP_SUMMARY");
	} else if (ctx.provider == CI_GITLAB) {
		if (!dotenv)
			dotenv = "hoist.env";
		if (!summary_file)
			summary_file = "hoist-summary.md";
	}

	po.repo = repo;
	po.rev = ctx.sha;
	po.ref = ctx.ref;
	po.env = env;
	po.dry_run = dry_run;
	po.allow_remote = a.allow_remote.v;
	po.offline = a.offline;
	po.allow_floating = a.allow_floating;
	po.actor = "ci";
	/*
	 * The source recorded in artifacts comes from hoist.yaml only, never
	 * from the CI environment: the hook and CI must produce the same bytes
	 * for the same commit.
	 */
	r = publish_run(&res, &po);
	if (r)
		goto out;
	published = true;
	for (i = 0; i < res.n; i++)
		printf("%s %s %s\n", res.items[i].reference, res.items[i].digest,
		       status_name(res.items[i].status));

	if (ctx.is_pr) {
		struct remote_flags rf = { a.allow_remote.v, a.offline, a.allow_floating };
		pr_diff(&diff, &nchanged, &diff_base, &note, &ctx, repo, env, &res, &rf);
	}
	ci_summary(&summary, &ctx, &res, dry_run, diff_base, diff_base ? &diff : NULL, nchanged,
		   note.len ? note.buf : NULL);

	if (gh_output && *gh_output) {
		ci_github_outputs(&outputs, &res);
		if ((r = append_file(gh_output, &outputs)))
			goto out;
	}
	if (dotenv) {
		strbuf_reset(&outputs);
		ci_gitlab_dotenv(&outputs, &res);
		if ((r = write_file_atomic(dotenv, outputs.buf, outputs.len, 0644)))
			goto out;
	}
	if (gh_summary && *gh_summary && (r = append_file(gh_summary, &summary)))
		goto out;
	if (summary_file && (r = write_file_atomic(summary_file, summary.buf, summary.len, 0644)))
		goto out;
out:
	if (r && !published && (gh_summary || summary_file)) {
		/* Say in the summary why the job failed; the error is printed either way. */
		struct strbuf fail = STRBUF_INIT;
		int saved = r;
		char *msg = xstrdup(err_msg());

		strbuf_addf(&fail, "### hoist: failed\n\n```\n%s\n```\n", msg);
		if (gh_summary && *gh_summary)
			append_file(gh_summary, &fail);
		else if (summary_file)
			write_file_atomic(summary_file, fail.buf, fail.len, 0644);
		err_set(saved, "%s", msg);
		free(msg);
		strbuf_release(&fail);
	}
	if (published)
		publish_result_release(&res);
	if (have_ctx)
		ci_context_release(&ctx);
	strbuf_release(&diff);
	strbuf_release(&note);
	strbuf_release(&summary);
	strbuf_release(&outputs);
	r = cmd_finish_stdout(r ? cmd_fail() : 0);
	opts_release(ci_options, &a);
	return r;
}
