/*
 * ci.h - `hoist ci`: the publish step of a CI job.
 *
 * Reads what GitHub Actions or GitLab CI tell a job about its commit
 * through the environment, publishes that commit with publish_run() (the
 * same code path as `hoist publish` and the Git hook, so the digests are
 * the same), and hands the results back the way each system takes them:
 * step outputs and a job summary on GitHub, a dotenv report and a
 * Markdown file on GitLab.  Pull and merge requests are a dry run whose
 * summary shows the rendered diff against the target branch.
 */
#ifndef HOIST_CI_H
#define HOIST_CI_H

#include "core/compat.h"

struct strbuf;
struct publish_result;

enum ci_provider { CI_NONE = 0, CI_GITHUB, CI_GITLAB };

struct ci_context {
	enum ci_provider provider;
	char *sha;      /* the commit to publish */
	char *ref;      /* the ref it publishes as: refs/heads/X or refs/tags/T */
	char *source;   /* the repository's URL, or NULL */
	bool is_pr;     /* a pull or merge request: dry run, with a diff */
	char *pr_label; /* "pull request #3", "merge request !4" */
	char *target;   /* the request's target branch */
	char *base;     /* what to diff against: the diff base sha or origin/<target> */
	char *base_alt; /* a second choice for `base` (origin/<target>), or NULL */
};

/*
 * Fills `ctx` from the variables `get` returns (getenv, or a table in
 * tests).  CI_NONE when neither GITHUB_ACTIONS nor GITLAB_CI is "true";
 * ERR_INVALID when the provider is known but a variable it always sets
 * is missing.  For a pull request the ref is the target branch's, so the
 * dry run renders for the environments the merge would publish to.
 */
int ci_detect(struct ci_context *ctx, const char *(*get)(const char *name));
void ci_context_release(struct ci_context *ctx);

/* "HOIST_<APP>_<WHAT>": the app name uppercased, other than [A-Z0-9] as '_'. */
void ci_dotenv_key(struct strbuf *out, const char *app, const char *what);

/* The GitHub step outputs for a result ("version=...\n" lines). */
void ci_github_outputs(struct strbuf *out, const struct publish_result *res);
/* The GitLab dotenv report for a result. */
void ci_gitlab_dotenv(struct strbuf *out, const struct publish_result *res);

/*
 * The Markdown job summary: a heading, the results table and, when `diff`
 * is not NULL, the diff in a fenced block (cut at a size GitHub accepts);
 * `note` (may be NULL) is a paragraph, e.g. why there is no diff.
 */
void ci_summary(struct strbuf *out, const struct ci_context *ctx,
		const struct publish_result *res, bool dry_run, const char *diff_base,
		const struct strbuf *diff, size_t nchanged, const char *note);

int cmd_ci(int argc, char **argv);

#endif
