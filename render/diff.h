/*
 * diff.h - what changes in the rendered objects between two revisions.
 *
 * `hoist diff` and `hoist ci` (for pull request summaries) render every
 * app of hoist.yaml at two commits and compare the object sets: objects
 * are matched by group, kind, namespace and name, and a changed object is
 * shown as a unified diff of its canonical YAML.
 *
 * The line diff is written here (Myers' O(ND) algorithm) rather than taken
 * from libgit2, whose diff API wants blobs in a repository; rendered
 * objects exist only in memory.
 */
#ifndef HOIST_DIFF_H
#define HOIST_DIFF_H

#include "core/compat.h"

struct strbuf;

/*
 * Appends a unified diff of texts `a` and `b` (split at '\n') to `out`, as
 * `diff -u` prints it: "--- label_a" / "+++ label_b" headers, then hunks
 * "@@ -l,n +l,n @@" with `context` lines of context around each change
 * (",n" is left out when n is 1; an empty range names the line before it).
 * A last line without '\n' is followed by "\ No newline at end of file".
 * Appends nothing when the texts are equal.  Returns 0, or ERR_TOOBIG for
 * absurd inputs (more than 2^31 lines).
 */
int diff_unified(struct strbuf *out, const char *a, size_t alen, const char *b, size_t blen,
		 const char *label_a, const char *label_b, unsigned context);

#define DIFF_CONTEXT 3

/*
 * Renders the apps of hoist.yaml at `rev_a` and `rev_b` in the repository
 * at `repo` (default ".") and appends the differences to `out`:
 *
 *     + added: Kind namespace/name
 *     - removed: Kind namespace/name
 *     ~ changed: Kind namespace/name
 *     --- a/<app>/<Kind>/<namespace>/<name>
 *     +++ b/<app>/<Kind>/<namespace>/<name>
 *     @@ ... (unified diff of the canonical YAML)
 *
 * (cluster-scoped objects have no "namespace/" part).  hoist.yaml is read
 * at `rev_b`, or at `rev_a` when `rev_b` has none.  `env` picks the
 * environment (NULL: the first in hoist.yaml) whose name replaces ${env}
 * in app paths; apps not in that environment are skipped.  `apps` is a
 * NULL-terminated filter (NULL: all); naming an unknown app is
 * ERR_NOTFOUND.  An app folder missing at one revision counts as empty (a
 * new or deleted app); an app that fails to render is an error naming the
 * revision.  *nchanged (may be NULL) receives the number of objects added,
 * removed or changed.
 */
struct remote_flags;
/* `rf`: remote sources (source/remote.h) as the command's options allow them; may be NULL. */
int diff_revisions(struct strbuf *out, const char *repo, const char *rev_a, const char *rev_b,
		   const char *env, const char *const *apps, size_t *nchanged,
		   const struct remote_flags *rf);

int cmd_diff(int argc, char **argv);

#endif
