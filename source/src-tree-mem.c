/*
 * src-tree-mem.c - the in-memory backend.
 *
 * A flat list of files with normalised paths; directories are implied by
 * the paths below them.  Lookups are linear, which suits the handful of
 * files a test or a fuzz input holds.
 */
#include "core/compat.h"
#include "source/src-tree.h"
#include "core/err.h"
#include "core/strbuf.h"

struct mem_file {
	char *path;
	char *data;
	size_t len;
};

struct mem_tree {
	struct src_tree base;
	struct mem_file *files;
	size_t n, alloc;
};

/* Whether `path` lies strictly below directory `dir` ("" is the root). */
static const char *below(const char *path, const char *dir, size_t dl)
{
	if (!dl)
		return path;
	if (strncmp(path, dir, dl) || path[dl] != '/')
		return NULL;
	return path + dl + 1;
}

static enum src_type lookup(struct mem_tree *m, const char *norm, struct mem_file **file)
{
	size_t i, nl = strlen(norm);
	enum src_type type = nl ? SRC_NONE : SRC_DIR;

	*file = NULL;
	for (i = 0; i < m->n; i++) {
		if (!strcmp(m->files[i].path, norm)) {
			*file = &m->files[i];
			return SRC_FILE;
		}
		if (below(m->files[i].path, norm, nl))
			type = SRC_DIR;
	}
	return type;
}

static int mem_resolve(struct mem_tree *m, const char *path, struct strbuf *norm,
		       struct mem_file **file, enum src_type *type)
{
	int r = src_path_normalize(norm, path);

	if (r)
		return r;
	*type = lookup(m, norm->buf, file);
	return 0;
}

static int mem_read(struct src_tree *t, const char *path, struct strbuf *out, size_t max)
{
	struct mem_tree *m = (struct mem_tree *)t;
	struct strbuf norm = STRBUF_INIT;
	struct mem_file *f;
	enum src_type type;
	int r = mem_resolve(m, path, &norm, &f, &type);

	if (r)
		goto out;
	if (type == SRC_NONE)
		r = err_set(ERR_NOTFOUND, "%s: no such file in %s", path, t->name);
	else if (type == SRC_DIR)
		r = err_set(ERR_INVALID, "%s: is a directory", path);
	else if (max && f->len > max)
		r = err_set(ERR_TOOBIG, "%s: file is %zu bytes, larger than the limit of %zu",
			    path, f->len, max);
	else
		r = strbuf_add(out, f->data, f->len);
out:
	strbuf_release(&norm);
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct src_entry *)a)->name, ((const struct src_entry *)b)->name);
}

static int mem_list(struct src_tree *t, const char *path, struct src_entry **out, size_t *n)
{
	struct mem_tree *m = (struct mem_tree *)t;
	struct strbuf norm = STRBUF_INIT;
	struct src_entry *v = NULL;
	size_t nv = 0, alloc = 0, i, j;
	struct mem_file *f;
	enum src_type type;
	int r = mem_resolve(m, path, &norm, &f, &type);

	*out = NULL;
	*n = 0;
	if (r)
		goto out;
	if (type != SRC_DIR) {
		r = type == SRC_NONE ? err_set(ERR_NOTFOUND, "%s: no such file", path)
				     : err_set(ERR_INVALID, "%s: not a directory", path);
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		const char *rest = below(m->files[i].path, norm.buf, norm.len);
		const char *slash;
		size_t len;

		if (!rest)
			continue;
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) : strlen(rest);
		for (j = 0; j < nv; j++)
			if (strlen(v[j].name) == len && !memcmp(v[j].name, rest, len))
				break;
		if (j < nv)
			continue;
		ALLOC_GROW(v, nv + 1, alloc);
		v[nv].name = xstrndup(rest, len);
		v[nv].type = slash ? SRC_DIR : SRC_FILE;
		nv++;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), entry_cmp);
	*out = v;
	*n = nv;
out:
	strbuf_release(&norm);
	return r;
}

static int mem_stat(struct src_tree *t, const char *path, enum src_type *type)
{
	struct mem_tree *m = (struct mem_tree *)t;
	struct strbuf norm = STRBUF_INIT;
	struct mem_file *f;
	int r = mem_resolve(m, path, &norm, &f, type);

	if (r)
		*type = SRC_NONE;
	strbuf_release(&norm);
	return r;
}

static void mem_free(struct src_tree *t)
{
	struct mem_tree *m = (struct mem_tree *)t;
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->files[i].path);
		free(m->files[i].data);
	}
	free(m->files);
	free(m->base.name);
	free(m);
}

static const struct src_tree_ops mem_ops = { mem_read, mem_list, mem_stat, mem_free };

int src_tree_open_mem(struct src_tree **out, const char *name)
{
	struct mem_tree *m = xcalloc(1, sizeof(*m));

	m->base.ops = &mem_ops;
	m->base.name = xstrdup(name);
	*out = &m->base;
	return 0;
}

int src_tree_mem_add(struct src_tree *t, const char *path, const char *data, size_t len)
{
	struct mem_tree *m = (struct mem_tree *)t;
	struct strbuf norm = STRBUF_INIT;
	struct mem_file *f;
	enum src_type type;
	size_t i;
	int r = mem_resolve(m, path, &norm, &f, &type);

	if (r)
		goto out;
	if (!norm.len || type == SRC_DIR) {
		r = err_set(ERR_INVALID, "%s: is a directory", path);
		goto out;
	}
	/* A file may not sit where a directory above it would have to be. */
	for (i = 0; i < m->n; i++) {
		if (below(norm.buf, m->files[i].path, strlen(m->files[i].path))) {
			r = err_set(ERR_INVALID, "%s: %s is a file", path, m->files[i].path);
			goto out;
		}
	}
	if (!f) {
		ALLOC_GROW(m->files, m->n + 1, m->alloc);
		f = &m->files[m->n++];
		f->path = strbuf_detach(&norm, NULL);
	} else {
		free(f->data);
	}
	/* Contents may hold NUL bytes: copied by length, NUL-terminated. */
	f->data = xmalloc(len + 1);
	if (len)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
out:
	strbuf_release(&norm);
	return r;
}
