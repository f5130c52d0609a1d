/*
 * deliver.h - handing a published artifact to the agents of its
 * environment's clusters (hoist.yaml `clusters:`, docs/config.md).
 *
 * For each cluster of the environment, its agent (`endpoint`) is asked
 * how the app is configured there (GET /v1/apps/APP, docs/api.md):
 *   - source `push`: the artifact is PUT to /v1/apps/APP/artifact with
 *     its digest, manifest and, when a signing key is configured, a
 *     cosign signature of the manifest digest;
 *   - any other source (a registry): POST /v1/apps/APP/sync names the new
 *     digest, so the agent pulls it now instead of at its next interval;
 *   - no such app there: reported, nothing sent.
 * The bearer token comes from the environment variable the cluster's
 * `tokenEnv` names.
 *
 * Delivery never fails a publish: the registry is the record, and an agent
 * that missed a push catches up at its interval (pull) or at the next
 * publish (push).  Each request is bounded by a short timeout, so a sick
 * cluster holds a `git push` a few seconds at most; the outcome per
 * cluster is one log line ("remote: hoist: ..." in a push).
 */
#ifndef HOIST_DELIVER_H
#define HOIST_DELIVER_H

#include "core/compat.h"

struct config;
struct config_env;
struct oci_ref;

/* One published artifact, as publish_one holds it. */
struct deliver_artifact {
	const char *app;
	const char *digest;   /* the manifest digest */
	const char *revision; /* for messages, may be NULL */
	const void *layer;    /* the .tar.gz */
	size_t layer_len;
	const void *manifest;
	size_t manifest_len;
	const struct oci_ref *ref; /* where it was published: the signature's identity */
};

/* What happened at one cluster. */
enum deliver_status {
	DELIVER_PUSHED,     /* the agent accepted the artifact */
	DELIVER_UNCHANGED,  /* the agent already had it */
	DELIVER_NOTIFIED,   /* a pull-mode agent was told to sync */
	DELIVER_SKIPPED,    /* the app is not configured there, or no token */
	DELIVER_FAILED,     /* unreachable, refused, or timed out */
};

const char *deliver_status_name(enum deliver_status s);

/*
 * Delivers `a` to every cluster of `env` and logs one line per cluster.
 * Returns the number of clusters where delivery failed (0 when all went
 * well or the environment has no clusters); never an error code.
 */
size_t deliver_artifact(const struct config *cfg, const struct config_env *env,
			const struct deliver_artifact *a);

/* Milliseconds each request to an agent may take (HOIST_DELIVER_TIMEOUT_MS, default 10000). */
long deliver_timeout_ms(void);

#endif
