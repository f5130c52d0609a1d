#include "core/compat.h"
#include "source/repo.h"
#include "source/git-stream.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <git2.h>
#include <pthread.h>

struct repo {
	git_repository *git;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	git_libgit2_init();
	/* Network I/O with deadlines (libgit2 1.5 has no timeouts of its own). */
	gitstream_install();
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
	/*
	 * In a pre-receive hook the pushed objects sit in a quarantine
	 * directory that git names in the environment; libgit2 must be told
	 * to look there too.
	 */
	{
		const char *q = getenv("GIT_QUARANTINE_PATH");
		git_odb *odb = NULL;
		if (q && *q && git_repository_odb(&odb, g) == 0) {
			git_odb_add_disk_alternate(odb, q);
			git_odb_free(odb);
		}
	}
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

const char *repo_ref_name(struct repo *r, const char *rev)
{
	static const char *const prefixes[] = { "", "refs/heads/", "refs/tags/" };
	git_reference *ref = NULL, *res = NULL;
	const char *out = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes) && !out; i++) {
		char name[512];
		snprintf(name, sizeof(name), "%s%s", prefixes[i], rev);
		if (git_reference_lookup(&ref, r->git, name) < 0)
			continue;
		if (git_reference_resolve(&res, ref) == 0) {
			const char *n = git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC
				? git_reference_symbolic_target(ref) : git_reference_name(ref);
			if (!strncmp(n, "refs/heads/", 11) || !strncmp(n, "refs/tags/", 10))
				out = xstrdup(n);
		}
		git_reference_free(res);
		git_reference_free(ref);
		res = ref = NULL;
	}
	return out;
}

struct paths {
	char **v;
	size_t n, alloc;
};

static int add_delta(const git_diff_delta *d, float progress, void *payload)
{
	struct paths *p = payload;

	ALLOC_GROW(p->v, p->n + 3, p->alloc);
	if (d->old_file.path)
		p->v[p->n++] = xstrdup(d->old_file.path);
	if (d->new_file.path && (!d->old_file.path || strcmp(d->old_file.path, d->new_file.path)))
		p->v[p->n++] = xstrdup(d->new_file.path);
	p->v[p->n] = NULL;
	return 0;
}

static int commit_tree(git_repository *g, const char *sha, git_tree **out)
{
	git_object *obj = NULL;
	int rc = git_revparse_single(&obj, g, sha);

	if (rc < 0)
		return err_set(ERR_NOTFOUND, "revision '%s' not found", sha);
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	return rc < 0 ? repo_error(ERR_GENERIC, sha) : 0;
}

int repo_diff_paths(struct repo *r, const char *old, const char *new_, char ***out)
{
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	struct paths p = { NULL, 0, 0 };
	int ret;

	*out = NULL;
	if ((old && (ret = commit_tree(r->git, old, &a))) ||
	    (ret = commit_tree(r->git, new_, &b)))
		goto out;
	if (git_diff_tree_to_tree(&diff, r->git, a, b, NULL) < 0) {
		ret = repo_error(ERR_GENERIC, "diff");
		goto out;
	}
	ALLOC_GROW(p.v, 1, p.alloc);
	p.v[0] = NULL;
	if (git_diff_foreach(diff, add_delta, NULL, NULL, NULL, &p) < 0) {
		ret = repo_error(ERR_GENERIC, "diff");
		goto out;
	}
	*out = p.v;
	p.v = NULL;
out:
	repo_paths_free(p.v);
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return ret;
}

void repo_paths_free(char **paths)
{
	size_t i;

	for (i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

int repo_config_get(struct repo *r, const char *key, struct strbuf *out)
{
	git_config *cfg = NULL;
	git_buf b = GIT_BUF_INIT;
	int e, rc = 0;

	if (git_repository_config_snapshot(&cfg, r->git))
		return repo_error(ERR_GENERIC, "reading git config");
	e = git_config_get_string_buf(&b, cfg, key);
	if (e == GIT_ENOTFOUND)
		rc = ERR_NOTFOUND;
	else if (e)
		rc = repo_error(ERR_INVALID, key);
	else
		strbuf_addstr(out, b.ptr);
	git_buf_dispose(&b);
	git_config_free(cfg);
	return rc;
}

static int add_config_value(const git_config_entry *e, void *payload)
{
	struct strbuf *out = payload;

	strbuf_addf(out, "%s\n", e->value ? e->value : "");
	return 0;
}

int repo_config_get_all(struct repo *r, const char *key, struct strbuf *out)
{
	git_config *cfg = NULL;
	int e, rc = 0;

	if (git_repository_config_snapshot(&cfg, r->git))
		return repo_error(ERR_GENERIC, "reading git config");
	e = git_config_get_multivar_foreach(cfg, key, NULL, add_config_value, out);
	if (e == GIT_ENOTFOUND)
		rc = ERR_NOTFOUND;
	else if (e)
		rc = repo_error(ERR_INVALID, key);
	git_config_free(cfg);
	return rc;
}

int repo_descends_from(struct repo *r, const char *commit, const char *ancestor, bool *out)
{
	git_oid c, a;
	int e;

	*out = false;
	if (git_oid_fromstr(&c, commit) || git_oid_fromstr(&a, ancestor))
		return err_set(ERR_INVALID, "not a full commit id: %s or %s", commit, ancestor);
	e = git_graph_descendant_of(r->git, &c, &a);
	if (e < 0)
		return repo_error(ERR_GENERIC, "comparing commits");
	*out = e == 1;
	return 0;
}
