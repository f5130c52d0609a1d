/*
 * src-tree-dir.c - the directory backend.
 *
 * Symlinks are followed only while they stay inside the root: the real
 * path of every file opened is checked against the root's real path.
 */
#include "core/compat.h"
#include "source/src-tree.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

struct dir_tree {
	struct src_tree base;
	char *root; /* real path, no trailing slash */
};

/* Builds the on-disk path for `rel`, refusing anything outside the root. */
static int resolve(struct dir_tree *d, const char *rel, struct strbuf *out,
		   bool must_exist)
{
	struct strbuf norm = STRBUF_INIT;
	char real[PATH_MAX];
	size_t rl = strlen(d->root);
	int r;

	r = src_path_normalize(&norm, rel);
	if (r)
		goto out;
	strbuf_addstr(out, d->root);
	if (norm.len)
		strbuf_addf(out, "%s%s", strcmp(d->root, "/") ? "/" : "", norm.buf);
	if (!realpath(out->buf, real)) {
		if (errno == ENOENT || errno == ENOTDIR)
			r = must_exist ? err_set(ERR_NOTFOUND, "%s: no such file", rel) : ERR_NOTFOUND;
		else
			r = err_set(ERR_GENERIC, "%s: %s", out->buf, strerror(errno));
		goto out;
	}
	if (rl > 1 && (strncmp(real, d->root, rl) || (real[rl] != '\0' && real[rl] != '/')))
		r = err_set(ERR_INVALID, "%s: symlink points outside %s", rel, d->root);
out:
	strbuf_release(&norm);
	return r;
}

static int dir_read(struct src_tree *t, const char *path, struct strbuf *out, size_t max)
{
	struct dir_tree *d = (struct dir_tree *)t;
	struct strbuf full = STRBUF_INIT;
	struct stat st;
	int r = resolve(d, path, &full, true);

	if (r)
		goto out;
	if (stat(full.buf, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = err_set(ERR_INVALID, "%s: is a directory", path);
		goto out;
	}
	r = strbuf_read_file(out, full.buf, max);
	if (r == ERR_TOOBIG)
		r = err_set(ERR_TOOBIG, "%s: larger than the limit of %zu bytes", path, max);
out:
	strbuf_release(&full);
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct src_entry *)a)->name, ((const struct src_entry *)b)->name);
}

static int dir_list(struct src_tree *t, const char *path, struct src_entry **out, size_t *n)
{
	struct dir_tree *d = (struct dir_tree *)t;
	struct strbuf full = STRBUF_INIT, child = STRBUF_INIT;
	struct src_entry *v = NULL;
	size_t nv = 0, alloc = 0;
	struct dirent *de;
	DIR *dir = NULL;
	int r = resolve(d, path, &full, true);

	*out = NULL;
	*n = 0;
	if (r)
		goto out;
	dir = opendir(full.buf);
	if (!dir) {
		r = err_set(errno == ENOTDIR ? ERR_INVALID : ERR_GENERIC, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	while ((de = readdir(dir))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&child);
		strbuf_addf(&child, "%s/%s", full.buf, de->d_name);
		if (stat(child.buf, &st) != 0)
			continue; /* dangling symlink: not part of the tree */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		ALLOC_GROW(v, nv + 1, alloc);
		v[nv].name = xstrdup(de->d_name);
		v[nv].type = S_ISDIR(st.st_mode) ? SRC_DIR : SRC_FILE;
		nv++;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), entry_cmp);
	*out = v;
	*n = nv;
	v = NULL;
out:
	if (dir)
		closedir(dir);
	src_entries_free(v, nv);
	strbuf_release(&full);
	strbuf_release(&child);
	return r;
}

static int dir_stat(struct src_tree *t, const char *path, enum src_type *type)
{
	struct dir_tree *d = (struct dir_tree *)t;
	struct strbuf full = STRBUF_INIT;
	struct stat st;
	int r = resolve(d, path, &full, false);

	*type = SRC_NONE;
	if (r == ERR_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	if (stat(full.buf, &st) == 0)
		*type = S_ISDIR(st.st_mode) ? SRC_DIR : S_ISREG(st.st_mode) ? SRC_FILE : SRC_NONE;
out:
	strbuf_release(&full);
	return r;
}

static void dir_free(struct src_tree *t)
{
	struct dir_tree *d = (struct dir_tree *)t;

	free(d->root);
	free(d->base.name);
	free(d);
}

static const struct src_tree_ops dir_ops = { dir_read, dir_list, dir_stat, dir_free };

int src_tree_open_dir(struct src_tree **out, const char *root)
{
	char real[PATH_MAX];
	struct dir_tree *d;
	struct stat st;

	*out = NULL;
	if (!realpath(root, real) || stat(real, &st) != 0)
		return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_GENERIC, "%s: %s", root,
			       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(ERR_INVALID, "%s: not a directory", root);
	d = xcalloc(1, sizeof(*d));
	d->base.ops = &dir_ops;
	d->base.name = xstrdup(root);
	d->root = xstrdup(real);
	*out = &d->base;
	return 0;
}
