/*
 * source.h - where an app's files come from, as commands name it: a folder
 * on disk, or a path inside a Git revision (--ref, with --repo or the
 * current directory's repository).
 */
#ifndef HOIST_SOURCE_H
#define HOIST_SOURCE_H

#include "core/compat.h"
#include "source/repo.h"

struct src_tree;

struct source {
	struct src_tree *tree;
	char *path;          /* inside the tree */
	bool from_git;
	struct repo_commit commit; /* when from_git */
};
#define SOURCE_INIT { NULL, NULL, false, { "", 0, 0 } }

/*
 * Without `ref`, PATH is a directory on disk and becomes the tree's root.
 * With `ref`, PATH is relative to the root of the repository at `repo`
 * (default "."), read at that revision without a checkout.
 */
int source_open(struct source *s, const char *path, const char *ref, const char *repo);
void source_release(struct source *s);

#endif
