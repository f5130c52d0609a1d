/*
 * kpatch.h - the patch engines behind patch.c, private to the kustomize engine.
 *
 * patch-smp.c merges strategic-merge patches as kustomize (kyaml's merge2
 * walker with the Kubernetes schema it embeds) does; patch-json6902.c
 * applies RFC 6902 operations as kustomize's JSON patch filter does.
 */
#ifndef HOIST_KPATCH_H
#define HOIST_KPATCH_H

#include "core/compat.h"

struct arena;
struct doc_node;

/*
 * Merges `patch` into the object `target` in place (new nodes come from
 * `a`; patch content is copied, never shared).  *deleted is set when the
 * patch deletes the whole object ("$patch: delete" at its top).  Fails with
 * ERR_INVALID on a directive we do not know or a kind mismatch.
 */
int ksmp_merge(struct arena *a, struct doc_node *target, const struct doc_node *patch,
	       bool *deleted);

/*
 * Applies the operations in `ops` (a sequence of {op, path, value, from})
 * to *root, which may be replaced.  `what` names the patch and the target
 * for messages.  Fails with ERR_INVALID naming the failing operation.
 */
int kjson6902_apply(struct arena *a, struct doc_node **root, const struct doc_node *ops,
		    const char *what);

#endif
