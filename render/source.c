#include "core/compat.h"
#include "render/source.h"
#include "core/err.h"
#include "core/src-tree.h"
#include "core/strbuf.h"

int source_open(struct source *s, const char *path, const char *ref, const char *repo)
{
	struct strbuf norm = STRBUF_INIT;
	int r;

	memset(s, 0, sizeof(*s));
	if (!ref) {
		s->path = xstrdup("");
		return src_tree_open_dir(&s->tree, path);
	}
	if (!repo)
		repo = ".";
	r = src_path_normalize(&norm, path);
	if (r)
		goto out;
	r = src_tree_open_git(&s->tree, repo, ref);
	if (r)
		goto out;
	{
		struct repo *rp;
		r = repo_open(&rp, repo);
		if (!r) {
			r = repo_resolve(rp, ref, &s->commit);
			repo_free(rp);
		}
	}
	s->from_git = true;
	s->path = strbuf_detach(&norm, NULL);
out:
	strbuf_release(&norm);
	if (r)
		source_release(s);
	return r;
}

void source_release(struct source *s)
{
	src_tree_free(s->tree);
	free(s->path);
	memset(s, 0, sizeof(*s));
}
