/*
 * artifact.h - the hoist artifact: a reproducible tar.gz of rendered objects.
 *
 * Layout (see docs/artifact.md):
 *   hoist.json      metadata: app, environment, version, source, revision,
 *                   created, engine, per-file sha256, object list
 *   manifests.yaml  the canonical YAML stream (what `hoist render` prints)
 *
 * Reproducible: entries sorted by name, mode 0644, uid/gid 0, no user or
 * group names, mtime 0, ustar format; gzip via zlib with no file name and a
 * zero timestamp.  The same objects and metadata give the same bytes, and so
 * the same sha256, on any machine.
 */
#ifndef HOIST_ARTIFACT_H
#define HOIST_ARTIFACT_H

#include "core/compat.h"

struct strbuf;
struct objset;
struct remote_pin;

#define ARTIFACT_MEDIA_CONFIG "application/vnd.cncf.flux.config.v1+json"
#define ARTIFACT_MEDIA_LAYER "application/vnd.cncf.flux.content.v1.tar+gzip"
#define ARTIFACT_MAX_UNPACKED (256u << 20)

struct artifact_meta {
	const char *app;
	const char *environment; /* may be NULL */
	const char *version;
	const char *source;   /* repository URL, may be NULL */
	const char *revision; /* "<branch>@sha1:<sha>", may be NULL */
	const char *created;  /* RFC 3339; NULL means 1970-01-01T00:00:00Z */
	const char *engine;   /* "plain", "kustomize", "helm" */
	/* The remote inputs the render used (source/remote.h), recorded as "remoteSources". */
	const struct remote_pin *pins;
	size_t npins;
};

/* Packs the objects into `out` (the .tar.gz bytes). */
int artifact_pack(struct strbuf *out, const struct objset *set,
		  const struct artifact_meta *meta);

/*
 * What an artifact says about itself, read from its hoist.json after every
 * listed file's sha256 was checked.  Strings are owned by the struct.
 */
struct artifact_info {
	char *app, *environment, *version, *source, *revision, *created, *engine;
	size_t nobjects;
	char *manifests; /* the canonical stream, when asked for */
	size_t manifests_len;
};
void artifact_info_release(struct artifact_info *info);

/*
 * Reads and verifies an artifact held in memory: a bounded, safe walk of
 * the tarball (regular files with plain names only), every file's sha256
 * against hoist.json.  With `dir`, the files are also written there (the
 * directory must not exist yet, and is removed again on any error), so a
 * failed unpack leaves nothing behind.  ERR_INVALID / ERR_VERIFY on bad input.
 */
int artifact_read(struct artifact_info *info, const void *targz, size_t len,
		  const char *dir, bool want_manifests);

#endif
