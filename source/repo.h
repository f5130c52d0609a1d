/*
 * repo.h - the Git repository facts hoist needs, read through libgit2.
 *
 * libgit2 errors are translated here, once, into err_set() messages.
 */
#ifndef HOIST_REPO_H
#define HOIST_REPO_H

#include "core/compat.h"

struct repo;

struct repo_commit {
	char sha[41];
	int64_t time;      /* committer time, seconds since the epoch */
	int tz_offset;     /* minutes east of UTC */
};

/* Opens the repository at `path` (work tree, .git dir or bare repo). */
int repo_open(struct repo **out, const char *path);
void repo_free(struct repo *r);
/* Resolves a revision to a commit; ERR_NOTFOUND when it does not exist. */
int repo_resolve(struct repo *r, const char *rev, struct repo_commit *out);
/* The libgit2 repository handle, for backends built on it. */
void *repo_handle(struct repo *r);
/* Records the last libgit2 error as ours; returns `code`. */
int repo_error(int code, const char *what);
/* Initialises libgit2 once per process. */
void repo_lib_init(void);



/*
 * The full ref name ("refs/heads/main") when `rev` is a branch or tag name
 * or "HEAD" on a branch; NULL otherwise.  The caller frees it.
 */
const char *repo_ref_name(struct repo *r, const char *rev);

/*
 * The paths that differ between two commits' trees (files added, removed
 * or modified), as a NULL-terminated array the caller frees with
 * repo_paths_free.  `old` may be NULL: every path of `new_` is listed.
 */
int repo_diff_paths(struct repo *r, const char *old, const char *new_, char ***out);
void repo_paths_free(char **paths);

struct strbuf;
/*
 * A value of the repository's git config (with the global and system
 * files under it), e.g. "hoist.hookTimeout"; ERR_NOTFOUND when unset.
 */
int repo_config_get(struct repo *r, const char *key, struct strbuf *out);
/* Every value of a multi-valued key, one per line ("v1\nv2\n"); ERR_NOTFOUND when unset. */
int repo_config_get_all(struct repo *r, const char *key, struct strbuf *out);

/*
 * Whether `commit` descends from `ancestor` (both full hex ids); a commit
 * does not descend from itself.  A commit the repository lacks is an error.
 */
int repo_descends_from(struct repo *r, const char *commit, const char *ancestor, bool *out);
#endif
