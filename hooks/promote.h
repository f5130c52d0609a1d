/*
 * promote.h - moving an artifact between environments by digest.
 *
 * Nothing is re-rendered: the target environment's tag is pointed at the
 * very manifest digest the source environment holds (copied, blobs and
 * signature, when the target lives in another repository or registry),
 * after the rules of hoist.yaml hold: the target's promoteFrom names the
 * source, the digest has soaked in the source long enough, approval was
 * given when required, and — when a key is configured — its signature
 * verifies.  Every move is recorded in the registry (oci/history.h).
 */
#ifndef HOIST_PROMOTE_H
#define HOIST_PROMOTE_H

#include "core/compat.h"
#include "core/digest.h"

struct promote_opts {
	const char *repo;   /* hoist.yaml's repository; default "." */
	const char *rev;    /* default HEAD */
	const char *app;
	const char *from;   /* default: the target's promoteFrom */
	const char *to;
	const char *digest; /* default: what `from` holds now */
	const char *key;    /* public key file; default: as docs/promotion.md says */
	bool approve;
	bool insecure;
	/*
	 * Promote although the source environment's clusters do not all run
	 * the digest Healthy (hooks/fleet.h); recorded in history as the actor
	 * "promote --force".
	 */
	bool force;
	const char *actor;  /* "promote", "ci" */
};

struct promote_result {
	char digest[DIGEST_STR_SIZE];
	char *from_ref, *to_ref; /* REPO:ENV */
	bool verified;  /* a signature was checked */
	bool moved;     /* false: the target already held it */
	bool forced;    /* the health gate refused and --force overrode it */
};

int promote_run(struct promote_result *res, const struct promote_opts *o);
void promote_result_release(struct promote_result *res);

int cmd_promote(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_rollback(int argc, char **argv);

#endif
