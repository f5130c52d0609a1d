/*
 * publish.h - render, pack and push the apps of hoist.yaml for a commit.
 *
 * The one code path behind `hoist publish`, the post-receive hook and
 * `hoist ci`: the same commit gives the same artifacts, and so the same
 * digests, whichever of them publishes it.
 *
 * For each environment the ref publishes to (hoist.yaml `branch`/`tag`
 * patterns, or the one named), and each app in that environment:
 *   1. hoist.yaml and the app are read from the commit's tree (no checkout);
 *   2. the app is rendered and packed (created = commit time, revision =
 *      "<branch or tag>@sha1:<commit>");
 *   3. the artifact is pushed under its immutable version tag, then the
 *      environment's moving tag is pointed at it — unless the environment
 *      already holds a newer commit, which is never overwritten.
 * An app whose artifact is already there under both tags is reported as
 * unchanged and nothing is uploaded.
 *
 * Apps render and pack one after another in the calling thread; the
 * uploads then run in up to HOIST_PUBLISH_JOBS threads (default 8) over
 * shared connections.  Items come back in hoist.yaml order whatever order
 * the uploads finished in; when some fail, the others still publish, each
 * failed item is PUBLISH_FAILED with its message, and publish_run returns
 * the first failure's code in that order.
 */
#ifndef HOIST_PUBLISH_H
#define HOIST_PUBLISH_H

#include "core/compat.h"
#include "core/digest.h"

struct config;
struct strbuf;

enum publish_status {
	PUBLISH_PUSHED,    /* uploaded and tagged */
	PUBLISH_UNCHANGED, /* already published: nothing uploaded */
	PUBLISH_RENDERED,  /* dry run: rendered and packed only */
	PUBLISH_BEHIND,    /* pushed, but the environment holds a newer commit: its tag was left */
	PUBLISH_FAILED,    /* not published: `error` says why */
};

struct publish_item {
	char *app, *env;
	char *version;   /* e.g. 1.4.0 or 0.0.0-main.20260102030405.3f2a9c1 */
	char *reference; /* REPO:VERSION_TAG */
	char *env_reference; /* REPO:ENV */
	char digest[DIGEST_STR_SIZE]; /* the manifest digest */
	size_t nobjects;
	enum publish_status status;
	char *manifests; /* the canonical stream (always kept; for diffs and summaries) */
	size_t manifests_len;
	char *error;     /* PUBLISH_FAILED: the message */
};

struct publish_result {
	struct publish_item *items;
	size_t n, alloc;
	char sha[41];    /* the commit published */
};

struct publish_opts {
	const char *repo;   /* repository path (work tree or bare); default "." */
	const char *rev;    /* commit-ish; default: `ref`, else HEAD */
	const char *ref;    /* "refs/heads/main", "refs/tags/v1.2.3"; default: from rev when it
			       names a branch or tag, else HEAD's branch */
	const char *env;    /* publish to this environment only (overrides ref matching) */
	const char *const *apps; /* NULL-terminated filter; NULL: all */
	/*
	 * Incremental publishing: when set, only apps with a file below their
	 * path in this NULL-terminated list are published (a changed hoist.yaml
	 * publishes all).
	 */
	const char *const *changed;
	bool dry_run;       /* render and pack, push nothing */
	bool insecure;
	const char *actor;  /* "publish", "hook", "ci": recorded with tag moves */
	/*
	 * A deadline in http_now_ms() time (0: none), e.g. the hook's time
	 * budget: no app starts rendering after it, and every request made for
	 * this publish (uploads, and deliveries to cluster agents) ends by it.
	 * Work cut short fails with ERR_RETRY, for the caller to queue.
	 */
	int64_t deadline;
	/*
	 * Remote sources (source/remote.h): hosts allowed besides hoist.yaml's
	 * remoteSources.allow (NULL-terminated; the repository's `git config
	 * hoist.allowRemote` caps hoist.yaml's list), the cache only, and
	 * inputs hoist.lock does not pin.
	 */
	const char *const *allow_remote;
	bool offline, allow_floating;
};

int publish_run(struct publish_result *res, const struct publish_opts *opts);
void publish_result_release(struct publish_result *res);

/* The version a commit gets: "1.2.3" for tag v1.2.3, else "0.0.0-<branch>.<YYYYMMDDhhmmss>.<sha7>". */
void publish_version(struct strbuf *out, const char *ref, int64_t commit_time, const char *sha);

/* Reads and validates hoist.yaml from a commit. */
int publish_load_config(struct config *cfg, const char *repo, const char *rev);

int cmd_publish(int argc, char **argv);

#endif
