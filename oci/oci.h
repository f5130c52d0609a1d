/*
 * oci.h - one API over two content stores: a registry and an image layout.
 *
 * Later code (push, pull, publish, promote, the agent) talks to an
 * `oci_store` and never needs to know whether it is an OCI distribution
 * registry (oci-registry.c) or an OCI image-layout folder (oci-layout.c).
 * A store is one repository: "reg.example.com/apps/podinfo" or the folder
 * of "oci-layout:./store".
 *
 * The wrappers below validate their arguments and verify what comes back,
 * so no backend can hand out bytes that do not match their digest: a blob
 * always hashes to the digest asked for, a manifest fetched by digest
 * hashes to that digest.  Mismatches are ERR_VERIFY.
 *
 * Ordering promise for writers: blobs first, the manifest last.  The
 * manifest put is the only step that creates or moves a tag, so a push
 * that fails half-way leaves no tag naming missing content.
 */
#ifndef HOIST_OCI_H
#define HOIST_OCI_H

#include "core/compat.h"
#include "core/digest.h"
#include "core/strbuf.h"

struct strbuf;
struct oci_ref;

#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_ANN_CREATED "org.opencontainers.image.created"
#define OCI_ANN_REVISION "org.opencontainers.image.revision"
#define OCI_ANN_SOURCE "org.opencontainers.image.source"
#define OCI_ANN_TITLE "org.opencontainers.image.title"
#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"

#define OCI_MANIFEST_MAX (4u << 20)
#define OCI_BLOB_MAX (256u << 20)

struct oci_store;

/* A backend.  Every entry returns 0 or a negative ERR_* code. */
struct oci_store_ops {
	const char *kind; /* "registry", "oci-layout" */
	/* 0 when present (size set when known, else left alone), ERR_NOTFOUND when absent. */
	int (*blob_exists)(struct oci_store *s, const char *digest, size_t *size);
	int (*blob_put)(struct oci_store *s, const char *digest, const void *buf, size_t len);
	int (*blob_get)(struct oci_store *s, struct strbuf *out, const char *digest, size_t max);
	/*
	 * Registry only (others return ERR_NOTFOUND): link a blob from another
	 * repository.  With `buf`, a registry that opens an upload instead
	 * (202) gets the blob through that session: 0 with *uploaded set.
	 */
	int (*blob_mount)(struct oci_store *s, const char *digest, const char *from_repo,
			  const void *buf, size_t len, bool *uploaded);
	/* Stores the manifest and points `tag` at it; `digest` is its sha256. */
	int (*manifest_put)(struct oci_store *s, const char *tag, const char *media_type,
			    const void *buf, size_t len, const char *digest);
	/* By tag or digest; `media_type` gets the stored type.  `digest_hint`, when the
	 * backend learns one (Docker-Content-Digest), is checked by the wrapper. */
	int (*manifest_get)(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
			    const char *tag_or_digest, char digest_hint[DIGEST_STR_SIZE]);
	int (*resolve)(struct oci_store *s, const char *tag, char digest[DIGEST_STR_SIZE]);
	int (*tags_list)(struct oci_store *s, char ***tags, size_t *ntags);
	/* ERR_NOTFOUND when absent; ERR_GENERIC when the store does not allow it. */
	int (*tag_delete)(struct oci_store *s, const char *tag);
	void (*free)(struct oci_store *s);
};

struct oci_store {
	const struct oci_store_ops *ops;
	char *name; /* for messages: "reg.example.com/apps/podinfo", "oci-layout:./store" */
};

struct oci_open_opts {
	bool insecure; /* allow plain HTTP to non-loopback registries */
	bool push;     /* ask for push access (token scope), create a layout folder */
	/*
	 * When set, a registry's redirects (blob GETs sent to storage) are
	 * followed by the client itself, at most 5, never from https to http,
	 * and each hop's URL is passed to this first: a non-zero return (with
	 * err_set) refuses it.  Remote sources check their allow-list here.
	 * Without it libcurl follows them.
	 */
	int (*redirect_check)(void *arg, const char *url);
	void *redirect_arg;
};

/* Opens the store a reference names (its tag or digest is not used here). */
int oci_store_open(struct oci_store **out, const struct oci_ref *ref,
		   const struct oci_open_opts *opts);
void oci_store_free(struct oci_store *s);

/* Backends, for oci_store_open. */
int oci_registry_open(struct oci_store **out, const char *host, const char *repo,
		      const struct oci_open_opts *opts);
int oci_layout_open(struct oci_store **out, const char *dir, const struct oci_open_opts *opts);

/* The verified API.  Digests are "sha256:<hex>", tags follow oci_tag_is_valid. */
int oci_blob_exists(struct oci_store *s, const char *digest);
int oci_blob_put(struct oci_store *s, const void *buf, size_t len, char digest[DIGEST_STR_SIZE]);
/* Uploads unless present; `*skipped` says which happened. */
int oci_blob_ensure(struct oci_store *s, const void *buf, size_t len,
		    char digest[DIGEST_STR_SIZE], bool *skipped);
int oci_blob_get(struct oci_store *s, struct strbuf *out, const char *digest, size_t max);
int oci_blob_mount(struct oci_store *s, const char *digest, const char *from_repo);
int oci_manifest_put(struct oci_store *s, const char *tag, const char *media_type,
		     const void *buf, size_t len, char digest[DIGEST_STR_SIZE]);
/* `digest` receives the manifest's sha256; when fetched by digest it is checked. */
int oci_manifest_get(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
		     const char *tag_or_digest, char digest[DIGEST_STR_SIZE]);
int oci_resolve(struct oci_store *s, const char *tag, char digest[DIGEST_STR_SIZE]);
/* `*tags` is a NULL-terminated array; free with oci_tags_free. */
int oci_tags_list(struct oci_store *s, char ***tags, size_t *ntags);
void oci_tags_free(char **tags);
int oci_tag_delete(struct oci_store *s, const char *tag);

/*
 * Flux-compatible artifact manifests.  The JSON is written with a fixed key
 * order and no whitespace, so the same inputs give the same manifest digest.
 */
struct oci_artifact_desc {
	char config_digest[DIGEST_STR_SIZE];
	size_t config_size;
	char layer_digest[DIGEST_STR_SIZE];
	size_t layer_size;
	const char *title;    /* layer title annotation, may be NULL */
	const char *source;   /* may be NULL */
	const char *revision; /* may be NULL */
	const char *created;  /* NULL: 1970-01-01T00:00:00Z */
};

int oci_manifest_build(struct strbuf *out, const struct oci_artifact_desc *d);

/*
 * Reads an artifact manifest: checks schemaVersion 2, the manifest, config
 * and layer media types (exactly one Flux content layer), and the digest
 * syntax; fills the digests and sizes of `d` (the string fields are left
 * NULL).  ERR_INVALID with a clear message otherwise.
 */
int oci_manifest_parse(struct oci_artifact_desc *d, const char *media_type,
		       const char *buf, size_t len, const char *what);

/* The config blob hoist writes, as Flux does. */
#define OCI_ARTIFACT_CONFIG "{}"

struct oci_push_result {
	char digest[DIGEST_STR_SIZE]; /* the manifest */
	int blobs_uploaded, blobs_skipped, blobs_mounted;
	struct strbuf manifest; /* its bytes; the caller releases it */
};

/*
 * Pushes layer + config, then the manifest under `tag` (the last step).
 * `config_from` (may be NULL) names another repository of the same
 * registry known to hold the config blob: it is mounted from there, one
 * request instead of a HEAD and an upload's two (a registry that cannot
 * mount takes the upload in the session the mount opened).
 * OCI_PUSH_NEW: the caller knows this content is new to the repository
 * (its version tag is absent): a layer of up to OCI_PUSH_ASK_ABOVE bytes
 * is uploaded without asking first whether the registry has it, which
 * would cost a request that almost always answers no.
 */
#define OCI_PUSH_NEW 1u
#define OCI_PUSH_ASK_ABOVE (256 * 1024)
int oci_artifact_push(struct oci_push_result *res, struct oci_store *s, const char *tag,
		      const void *layer, size_t layer_len, const struct oci_artifact_desc *meta,
		      const char *config_from, unsigned flags);

/*
 * Fetches the manifest (by tag or digest) and its layer, verifying both;
 * `layer` gets the verified .tar.gz bytes, `digest` the manifest digest.
 */
int oci_artifact_pull(struct strbuf *layer, char digest[DIGEST_STR_SIZE], struct oci_store *s,
		      const char *tag_or_digest);

#endif
