/*
 * src-tree-git.c - the Git backend: a commit's tree, read from the object
 * database with no checkout.
 *
 * Symlinks inside the tree are not followed (a blob's content is the link
 * target, which could point anywhere on the server); submodules are
 * skipped.  Both are reported as absent, the same as a directory backend
 * that cannot see them.
 */
#include "core/compat.h"
#include "source/src-tree.h"
#include "source/repo.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <git2.h>

struct git_tree_src {
	struct src_tree base;
	struct repo *repo;
	git_tree *root;
	struct repo_commit commit; /* the commit `root` belongs to */
};


/* Looks up an entry; *out_entry is NULL (and 0 returned) when absent. */
static int lookup(struct git_tree_src *g, const char *path, git_tree_entry **out_entry)
{
	struct strbuf norm = STRBUF_INIT;
	int r, rc;

	*out_entry = NULL;
	r = src_path_normalize(&norm, path);
	if (r)
		goto out;
	if (!norm.len)
		goto out; /* the root itself */
	rc = git_tree_entry_bypath(out_entry, g->root, norm.buf);
	if (rc == GIT_ENOTFOUND) {
		*out_entry = NULL;
		r = 0;
	} else if (rc < 0) {
		r = repo_error(ERR_GENERIC, path);
	}
out:
	strbuf_release(&norm);
	return r;
}

static enum src_type entry_type(const git_tree_entry *e)
{
	git_filemode_t m = git_tree_entry_filemode(e);

	if (m == GIT_FILEMODE_TREE)
		return SRC_DIR;
	if (m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_BLOB_EXECUTABLE)
		return SRC_FILE;
	return SRC_NONE;
}

static int git_read(struct src_tree *t, const char *path, struct strbuf *out, size_t max)
{
	struct git_tree_src *g = (struct git_tree_src *)t;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	int r = lookup(g, path, &e);

	if (r)
		goto out;
	if (!e || entry_type(e) == SRC_NONE) {
		r = err_set(ERR_NOTFOUND, "%s: no such file in %s", path, g->base.name);
		goto out;
	}
	if (entry_type(e) != SRC_FILE) {
		r = err_set(ERR_INVALID, "%s: is a directory", path);
		goto out;
	}
	if (git_blob_lookup(&blob, (git_repository *)repo_handle(g->repo),
			    git_tree_entry_id(e)) < 0) {
		r = repo_error(ERR_GENERIC, path);
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (max && size > max) {
		r = err_set(ERR_TOOBIG, "%s: file is %llu bytes, larger than the limit of %zu",
			    path, (unsigned long long)size, max);
		goto out;
	}
	r = strbuf_add(out, git_blob_rawcontent(blob), (size_t)size);
out:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return r;
}

static int git_list(struct src_tree *t, const char *path, struct src_entry **out, size_t *n)
{
	struct git_tree_src *g = (struct git_tree_src *)t;
	git_tree_entry *e = NULL;
	git_tree *tree = NULL;
	struct src_entry *v = NULL;
	size_t i, cnt, nv = 0;
	int r = lookup(g, path, &e);

	*out = NULL;
	*n = 0;
	if (r)
		goto out;
	if (e) {
		if (entry_type(e) != SRC_DIR) {
			r = err_set(ERR_INVALID, "%s: not a directory", path);
			goto out;
		}
		if (git_tree_lookup(&tree, (git_repository *)repo_handle(g->repo),
				    git_tree_entry_id(e)) < 0) {
			r = repo_error(ERR_GENERIC, path);
			goto out;
		}
	} else {
		struct strbuf norm = STRBUF_INIT;
		int empty;

		src_path_normalize(&norm, path);
		empty = norm.len == 0;
		strbuf_release(&norm);
		if (!empty) {
			r = err_set(ERR_NOTFOUND, "%s: no such directory in %s", path,
				    g->base.name);
			goto out;
		}
	}
	cnt = git_tree_entrycount(tree ? tree : g->root);
	v = xcalloc(cnt ? cnt : 1, sizeof(*v));
	/* libgit2 orders tree entries as git does; we promise bytewise names. */
	for (i = 0; i < cnt; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree ? tree : g->root, i);
		enum src_type ty = entry_type(te);

		if (ty == SRC_NONE)
			continue;
		v[nv].name = xstrdup(git_tree_entry_name(te));
		v[nv].type = ty;
		nv++;
	}
	{
		size_t a, b;
		for (a = 1; a < nv; a++)
			for (b = a; b > 0 && strcmp(v[b - 1].name, v[b].name) > 0; b--) {
				struct src_entry tmp = v[b];
				v[b] = v[b - 1];
				v[b - 1] = tmp;
			}
	}
	*out = v;
	*n = nv;
	v = NULL;
out:
	src_entries_free(v, nv);
	git_tree_free(tree);
	git_tree_entry_free(e);
	return r;
}

static int git_stat(struct src_tree *t, const char *path, enum src_type *type)
{
	struct git_tree_src *g = (struct git_tree_src *)t;
	git_tree_entry *e = NULL;
	struct strbuf norm = STRBUF_INIT;
	int r;

	*type = SRC_NONE;
	r = src_path_normalize(&norm, path);
	if (!r && !norm.len)
		*type = SRC_DIR;
	else if (!r && !(r = lookup(g, path, &e)) && e)
		*type = entry_type(e);
	git_tree_entry_free(e);
	strbuf_release(&norm);
	return r;
}

static void git_free_tree(struct src_tree *t)
{
	struct git_tree_src *g = (struct git_tree_src *)t;

	git_tree_free(g->root);
	repo_free(g->repo);
	free(g->base.name);
	free(g);
}

static const struct src_tree_ops git_ops = { git_read, git_list, git_stat, git_free_tree };

int src_tree_open_git(struct src_tree **out, const char *repo_path, const char *rev)
{
	struct git_tree_src *g;
	git_commit *commit = NULL;
	git_oid oid;
	struct strbuf name = STRBUF_INIT;
	int r;

	*out = NULL;
	g = xcalloc(1, sizeof(*g));
	g->base.ops = &git_ops;
	r = repo_open(&g->repo, repo_path);
	if (r)
		goto fail;
	r = repo_resolve(g->repo, rev, &g->commit);
	if (r)
		goto fail;
	git_oid_fromstr(&oid, g->commit.sha);
	if (git_commit_lookup(&commit, (git_repository *)repo_handle(g->repo), &oid) < 0 ||
	    git_commit_tree(&g->root, commit) < 0) {
		r = repo_error(ERR_GENERIC, rev);
		goto fail;
	}
	git_commit_free(commit);
	strbuf_addf(&name, "%s:", rev);
	g->base.name = strbuf_detach(&name, NULL);
	*out = &g->base;
	return 0;
fail:
	git_commit_free(commit);
	repo_free(g->repo);
	free(g);
	return r;
}

int src_tree_git_commit(const struct src_tree *t, struct repo_commit *out, struct repo **repo)
{
	const struct git_tree_src *g = (const struct git_tree_src *)t;

	if (!t || t->ops != &git_ops)
		return err_set(ERR_INVALID, "%s is not a Git tree", t ? t->name : "(none)");
	if (out)
		*out = g->commit;
	if (repo)
		*repo = g->repo;
	return 0;
}
