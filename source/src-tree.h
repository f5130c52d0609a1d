/*
 * src-tree.h - a read-only file tree, the only way renderers read input.
 *
 * Two backends: a directory on disk, and a Git tree at any revision read
 * from the object database through libgit2 (no checkout); a third, in
 * memory, serves tests.  A receive hook
 * renders straight from the pushed objects and a test renders a folder,
 * with the same renderer code.
 *
 * Paths are relative, '/'-separated and normalised ("a/b/c.yaml"); "" is
 * the root.  Paths that would leave the tree ("..", absolute paths, or a
 * symlink pointing outside it) are refused with ERR_INVALID.
 */
#ifndef HOIST_SRC_TREE_H
#define HOIST_SRC_TREE_H

#include "core/compat.h"

struct strbuf;

enum src_type { SRC_NONE = 0, SRC_FILE, SRC_DIR };

struct src_entry {
	char *name; /* a single path component */
	enum src_type type;
};

struct src_tree;

struct src_tree_ops {
	int (*read)(struct src_tree *t, const char *path, struct strbuf *out, size_t max);
	int (*list)(struct src_tree *t, const char *path, struct src_entry **out, size_t *n);
	int (*stat)(struct src_tree *t, const char *path, enum src_type *type);
	void (*free)(struct src_tree *t);
};

/*
 * What a render looked at: files read, directories listed, paths probed.
 * Set `log` on a tree to record it; a commit that changes none of these
 * paths (nor adds a file to a listed directory) cannot change the render.
 */
struct src_log {
	char **paths; /* normalised; directories end with '/' */
	size_t n, alloc;
};

struct src_tree {
	const struct src_tree_ops *ops;
	char *name; /* for messages: the directory, or "REV:" */
	struct src_log *log; /* NULL: not recording */
};

void src_log_release(struct src_log *log);
/*
 * Whether a change to `path` (a file added, removed or modified) can
 * change what was recorded: it was read or probed, or it is in a listed
 * directory.
 */
bool src_log_touches(const struct src_log *log, const char *path);

/* A directory backend rooted at `root`. */
int src_tree_open_dir(struct src_tree **out, const char *root);

/*
 * A Git backend: the tree of commit `rev` (anything git rev-parse takes) in
 * the repository at `repo` (a work tree or a bare repository).
 */
int src_tree_open_git(struct src_tree **out, const char *repo, const char *rev);
/*
 * The commit a Git tree was opened at and, borrowed, the repository it
 * reads (either may be NULL); ERR_INVALID for another backend.
 */
struct repo;
struct repo_commit;
int src_tree_git_commit(const struct src_tree *t, struct repo_commit *out, struct repo **repo);

/*
 * An in-memory backend, empty until files are added: for tests and fuzz
 * targets that render without touching the disk.  Directories exist when
 * a file below them does.
 */
int src_tree_open_mem(struct src_tree **out, const char *name);
/*
 * Adds (or replaces) the file at `path`, normalised, with a copy of `len`
 * bytes of `data`.  ERR_INVALID when the path is empty, escapes the root,
 * or clashes with a file or directory already there.
 */
int src_tree_mem_add(struct src_tree *t, const char *path, const char *data, size_t len);

/*
 * Reads a whole file, bounded by `max` bytes (ERR_TOOBIG naming the file);
 * ERR_NOTFOUND when missing.
 */
int src_tree_read(struct src_tree *t, const char *path, struct strbuf *out, size_t max);
/* Lists a directory, entries sorted by name (bytewise). */
int src_tree_list(struct src_tree *t, const char *path, struct src_entry **out, size_t *n);
void src_entries_free(struct src_entry *e, size_t n);
/* SRC_NONE when the path does not exist (not an error). */
int src_tree_stat(struct src_tree *t, const char *path, enum src_type *type);
void src_tree_free(struct src_tree *t);

/*
 * How to name `path` in `t` for people: "DIR/path" for a directory tree,
 * "REV:path" for a Git tree.  Returns `buf`.
 */
const char *src_tree_where(const struct src_tree *t, const char *path, char *buf, size_t size);

/*
 * Normalises `in` (relative to the tree root) into `out`: collapses "." and
 * "x/..", strips slashes; ERR_INVALID when it escapes the root.
 */
int src_path_normalize(struct strbuf *out, const char *in);
/* Joins a directory and a relative path, then normalises. */
int src_path_join(struct strbuf *out, const char *dir, const char *rel);

#endif
