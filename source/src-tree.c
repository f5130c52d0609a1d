/*
 * src-tree.c - path handling shared by the backends, and the dispatch.
 */
#include "core/compat.h"
#include "source/src-tree.h"
#include "core/err.h"
#include "core/strbuf.h"

int src_path_normalize(struct strbuf *out, const char *in)
{
	const char *p = in;
	size_t start = out->len;

	if (*in == '/')
		return err_set(ERR_INVALID, "path '%s' is absolute; paths are relative to the tree",
			       in);
	while (*p) {
		const char *seg = p;
		size_t len;

		while (*p && *p != '/')
			p++;
		len = (size_t)(p - seg);
		while (*p == '/')
			p++;
		if (!len || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash;

			if (out->len == start) {
				strbuf_setlen(out, start);
				return err_set(ERR_INVALID, "path '%s' leaves the tree", in);
			}
			slash = strrchr(out->buf + start, '/');
			strbuf_setlen(out, slash ? (size_t)(slash - out->buf) : start);
			continue;
		}
		if (out->len > start)
			strbuf_addch(out, '/');
		strbuf_add(out, seg, len);
	}
	return 0;
}

int src_path_join(struct strbuf *out, const char *dir, const char *rel)
{
	struct strbuf tmp = STRBUF_INIT;
	int r;

	if (*rel == '/') {
		return err_set(ERR_INVALID, "path '%s' is absolute; paths are relative to the tree",
			       rel);
	}
	if (*dir)
		strbuf_addf(&tmp, "%s/%s", dir, rel);
	else
		strbuf_addstr(&tmp, rel);
	r = src_path_normalize(out, tmp.buf);
	strbuf_release(&tmp);
	return r;
}

const char *src_tree_where(const struct src_tree *t, const char *path, char *buf, size_t size)
{
	size_t nl = strlen(t->name);
	bool git = nl && t->name[nl - 1] == ':';

	if (!*path)
		snprintf(buf, size, "%s", t->name);
	else if (git)
		snprintf(buf, size, "%s%s", t->name, path);
	else
		snprintf(buf, size, "%s/%s", t->name, path);
	return buf;
}

static void log_path(struct src_tree *t, const char *path, bool dir)
{
	struct strbuf norm = STRBUF_INIT;

	if (!t->log || src_path_normalize(&norm, path))
		goto out;
	if (dir && norm.len)
		strbuf_addch(&norm, '/');
	ALLOC_GROW(t->log->paths, t->log->n + 1, t->log->alloc);
	t->log->paths[t->log->n++] = strbuf_detach(&norm, NULL);
out:
	strbuf_release(&norm);
}

void src_log_release(struct src_log *log)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		free(log->paths[i]);
	free(log->paths);
	memset(log, 0, sizeof(*log));
}

bool src_log_touches(const struct src_log *log, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	size_t i;

	for (i = 0; i < log->n; i++) {
		const char *p = log->paths[i];
		size_t pl = strlen(p);

		if (!strcmp(p, path))
			return true;
		/* A listed directory: a file added to or removed from it. */
		if (pl && p[pl - 1] == '/' && pl == dl && !strncmp(p, path, dl))
			return true;
		/* The root listed (""), and a file at the top. */
		if (!pl && !dl)
			return true;
	}
	return false;
}

int src_tree_read(struct src_tree *t, const char *path, struct strbuf *out, size_t max)
{
	log_path(t, path, false);
	return t->ops->read(t, path, out, max);
}

int src_tree_list(struct src_tree *t, const char *path, struct src_entry **out, size_t *n)
{
	log_path(t, path, true);
	return t->ops->list(t, path, out, n);
}

int src_tree_stat(struct src_tree *t, const char *path, enum src_type *type)
{
	log_path(t, path, false);
	return t->ops->stat(t, path, type);
}

void src_tree_free(struct src_tree *t)
{
	if (t)
		t->ops->free(t);
}

void src_entries_free(struct src_entry *e, size_t n)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}
