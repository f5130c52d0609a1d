#include "compat.h"
#include "repo.h"
#include "err.h"
#include <git2.h>
#include <pthread.h>

struct repo {
	git_repository *git;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	git_libgit2_init();
}

void repo_lib_init(void)
{
	pthread_once(&lib_once, lib_init);
}

int repo_error(int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int repo_open(struct repo **out, const char *path)
{
	git_repository *g = NULL;
	int rc;

	*out = NULL;
	repo_lib_init();
	rc = git_repository_open_ext(&g, path, 0, NULL);
	if (rc < 0)
		return repo_error(rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GENERIC, path);
	*out = xcalloc(1, sizeof(**out));
	(*out)->git = g;
	return 0;
}

void repo_free(struct repo *r)
{
	if (!r)
		return;
	git_repository_free(r->git);
	free(r);
}

void *repo_handle(struct repo *r)
{
	return r->git;
}

int repo_resolve(struct repo *r, const char *rev, struct repo_commit *out)
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	int rc, ret = 0;

	memset(out, 0, sizeof(*out));
	rc = git_revparse_single(&obj, r->git, rev);
	if (rc < 0) {
		ret = err_set(rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS ? ERR_NOTFOUND : ERR_GENERIC,
			      "revision '%s' not found", rev);
		goto out;
	}
	rc = git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		ret = err_set(ERR_INVALID, "revision '%s' is not a commit", rev);
		goto out;
	}
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(c));
	out->time = (int64_t)git_commit_time(c);
	out->tz_offset = git_commit_time_offset(c);
out:
	git_commit_free(c);
	git_object_free(obj);
	return ret;
}
