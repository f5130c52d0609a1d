/*
 * push.h - checking an artifact pushed to the agent, before anything applies it.
 *
 * A push (`PUT /v1/apps/APP/artifact`, docs/api.md) carries the artifact's
 * .tar.gz as its body and states what it is in headers:
 *
 *   Hoist-Digest: sha256:HEX              required: sha256 of the body bytes
 *   Hoist-Manifest: BASE64                optional: the OCI manifest naming the
 *                                         body as its one layer (what the registry
 *                                         holds).  Without it the agent builds the
 *                                         bare manifest oci_manifest_build() writes
 *                                         for that layer (no annotations).  The
 *                                         artifact's digest is the manifest's either
 *                                         way: the digest a pull-mode agent reports
 *                                         for the same artifact, and the one a
 *                                         signature names
 *   Hoist-Signature-Payload: BASE64       the cosign simple-signing payload
 *   Hoist-Signature: BASE64               its ECDSA signature (cosign's layer
 *                                         annotation, the same bytes `hoist publish`
 *                                         stores as sha256-HEX.sig)
 *
 * The order of checks is fixed, and each failure names itself: the body's
 * sha256 against Hoist-Digest, the manifest's layer against the body, the
 * signature (when the app has a verifyKey) against the artifact's digest,
 * then the tarball itself (artifact_read: bounded, every file's sha256).
 * Nothing here writes anything.
 */
#ifndef HOIST_AGENT_PUSH_H
#define HOIST_AGENT_PUSH_H

#include "core/compat.h"
#include "core/digest.h"

struct sign_key;
#include "core/strbuf.h"

#define PUSH_HDR_DIGEST "Hoist-Digest"
#define PUSH_HDR_MANIFEST "Hoist-Manifest"
#define PUSH_HDR_PAYLOAD "Hoist-Signature-Payload"
#define PUSH_HDR_SIGNATURE "Hoist-Signature"

/* The largest header value we decode (a manifest is well under 2 KiB). */
#define PUSH_HDR_MAX (16u << 10)

/* What the client states; borrowed header values, NULL when absent. */
struct push_claims {
	const char *digest;
	const char *manifest_b64;
	const char *payload_b64;
	const char *signature_b64;
};

/* Why a push was refused: the JSON "error" of the reply and its HTTP status. */
enum push_fail {
	PUSH_OK = 0,
	PUSH_BAD_REQUEST,  /* a header missing or malformed: 400 */
	PUSH_DIGEST,       /* the body does not hash to what was stated: 422 */
	PUSH_UNSIGNED,     /* the app needs a signature and none came: 403 */
	PUSH_SIGNATURE,    /* a signature that does not verify: 403 */
	PUSH_ARTIFACT,     /* not a valid hoist artifact: 422 */
	PUSH_TOO_LARGE,    /* over the artifact limits: 413 */
};

/* "bad-request", "digest-mismatch", ... (stable names for clients). */
const char *push_fail_name(enum push_fail f);
int push_fail_status(enum push_fail f);

/* A checked push, or one loaded back from the state directory.  Owned. */
struct push_checked {
	char digest[DIGEST_STR_SIZE];      /* the artifact: the manifest's digest */
	char blob_digest[DIGEST_STR_SIZE]; /* sha256 of the body (the layer) */
	struct strbuf manifest;            /* the manifest bytes (sent or built) */
	struct strbuf payload;             /* the signing payload, decoded; empty: none */
	char *sig_b64;                     /* its signature; NULL: none */
	bool signature_checked;
	/* From the artifact's hoist.json. */
	char *app, *version, *revision;
	size_t nobjects;
};

void push_checked_init(struct push_checked *pc);

void push_checked_release(struct push_checked *pc);

/*
 * Checks a pushed body against the claims.  `key` NULL: no signature is
 * required (a signature that comes anyway is ignored, as cosign does
 * without --key).  On failure returns a negative code with err_msg() saying
 * why, and *fail tells the class; nothing is retained.
 */
int push_check(struct push_checked *out, enum push_fail *fail, const struct push_claims *c,
	       const void *body, size_t len, const struct sign_key *key);

/*
 * The bytes the agent keeps for a push-mode app, so it can re-apply (and
 * correct drift) at every interval and after a restart: DIR/APP.tar.gz and
 * DIR/APP.json (digest, blobDigest, manifest, signature payload and
 * signature, revision, version), each written atomically, the metadata
 * last.  DIR is created when missing.
 */
int push_store_save(const char *dir, const char *app, const void *body, size_t len,
		    const struct push_checked *pc);
/*
 * Loads what push_store_save kept into `pc` and `body`, checking the
 * body's and the manifest's sha256 again (a state directory is a disk,
 * not a trust anchor; the sync checks the signature again too).
 * ERR_NOTFOUND when nothing was pushed yet.
 */
int push_store_load(const char *dir, const char *app, struct strbuf *body,
		    struct push_checked *pc);

#endif
