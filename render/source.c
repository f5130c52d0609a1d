#include "core/compat.h"
#include "render/source.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The root of the file tree for a folder on disk: the enclosing Git work
 * tree, else the current directory when the folder is below it, else "/".
 * Kustomize overlays reach sibling folders (../base), so the tree cannot
 * stop at the app folder; rooting it where --ref would (the repository)
 * gives both modes the same view and the same file names in messages.
 */
static int dir_root(const char *path, struct strbuf *root, struct strbuf *rel)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	struct strbuf probe = STRBUF_INIT;
	size_t len;

	if (!realpath(path, abs))
		return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_GENERIC, "%s: %s", path,
			       strerror(errno));
	len = strlen(abs);
	while (len > 0) {
		struct stat st;

		strbuf_reset(&probe);
		strbuf_addf(&probe, "%.*s/.git", (int)len, abs);
		if (stat(probe.buf, &st) == 0)
			break;
		while (len > 0 && abs[len - 1] != '/')
			len--;
		if (len > 0)
			len--; /* drop the slash */
	}
	strbuf_release(&probe);
	if (len == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/")) {
		size_t cl = strlen(cwd);
		if (!strncmp(abs, cwd, cl) && (abs[cl] == '/' || abs[cl] == '\0'))
			len = cl;
	}
	if (len == 0)
		strbuf_addch(root, '/');
	else
		strbuf_add(root, abs, len);
	strbuf_addstr(rel, abs[len] == '/' ? abs + len + 1 : abs + len);
	return 0;
}

int source_open(struct source *s, const char *path, const char *ref, const char *repo)
{
	struct strbuf norm = STRBUF_INIT;
	int r;

	memset(s, 0, sizeof(*s));
	if (!ref) {
		struct strbuf root = STRBUF_INIT, rel = STRBUF_INIT;
		struct stat st;

		r = dir_root(path, &root, &rel);
		if (!r && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
			r = err_set(ERR_INVALID, "%s: not a directory", path);
		if (!r)
			r = src_tree_open_dir(&s->tree, root.buf);
		if (!r)
			s->path = strbuf_detach(&rel, NULL);
		strbuf_release(&root);
		strbuf_release(&rel);
		return r;
	}
	if (!repo)
		repo = ".";
	r = src_path_normalize(&norm, path);
	if (r)
		goto out;
	r = src_tree_open_git(&s->tree, repo, ref);
	if (!r)
		r = src_tree_git_commit(s->tree, &s->commit, NULL);
	if (r)
		goto out;
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
