/*
 * plain.c - the plain engine: every .yaml, .yml and .json file below the
 * app folder, recursively, in bytewise path order.  Dot-files and
 * dot-directories are skipped (.git, editor state, CI config).
 */
#include "core/compat.h"
#include "render/render.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "core/term.h"

static bool is_manifest(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int walk(struct objset *out, struct render_result *res, struct src_tree *t,
		const char *dir, const struct render_opts *opts, unsigned depth)
{
	struct doc_limits lim = doc_limits_default;
	char where[512];
	struct src_entry *ents = NULL;
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	size_t i, n = 0;
	int r;

	if (depth > 64)
		return err_set(ERR_TOOBIG, "%s: directories nested too deep", src_tree_where(t, dir, where, sizeof(where)));
	if (opts->max_file)
		lim.max_bytes = opts->max_file;
	r = src_tree_list(t, dir, &ents, &n);
	for (i = 0; !r && i < n; i++) {
		if (ents[i].name[0] == '.')
			continue;
		strbuf_reset(&path);
		r = src_path_join(&path, dir, ents[i].name);
		if (r)
			break;
		if (ents[i].type == SRC_DIR) {
			r = walk(out, res, t, path.buf, opts, depth + 1);
			continue;
		}
		if (!is_manifest(ents[i].name))
			continue;
		strbuf_reset(&data);
		r = src_tree_read(t, path.buf, &data, lim.max_bytes);
		if (r)
			break;
		res->files++;
		res->bytes += data.len;
		if (opts->progress)
			progress_update(opts->progress, res->files, NULL);
		if (res->bytes > opts->max_total) {
			r = err_set(ERR_TOOBIG, "%s: manifests exceed %zu bytes in all",
				    src_tree_where(t, dir, where, sizeof(where)), opts->max_total);
			break;
		}
		{
			struct doc_stream *s;
			r = doc_parse(&s, data.buf, data.len, path.buf, &lim);
			if (!r)
				r = objset_add_stream(out, s);
		}
	}
	src_entries_free(ents, n);
	strbuf_release(&path);
	strbuf_release(&data);
	return r;
}

int render_plain(struct objset *out, struct render_result *res, struct src_tree *t,
		 const char *path, const struct render_opts *opts)
{
	char where[512];
	int r = walk(out, res, t, path, opts, 0);

	if (r)
		return r;
	if (!out->n)
		return err_set(ERR_INVALID, "%s: no Kubernetes manifests found (.yaml, .yml, .json)",
			       src_tree_where(t, path, where, sizeof(where)));
	return 0;
}
