#include "core/compat.h"
#include "oci/oci-layout.h"
#include "oci/oci-ref.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strbuf.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct oci_layout {
	struct oci_store base;
	char *dir;
};

static void blob_path(struct strbuf *out, const struct oci_layout *l, const char *digest)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s/blobs/sha256/%s", l->dir, digest + strlen(DIGEST_PREFIX));
}

static int mkdir_p(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int r = 0;

	strbuf_addstr(&sb, path);
	for (i = 1; i <= sb.len; i++) {
		if (sb.buf[i] != '/' && sb.buf[i] != '\0')
			continue;
		sb.buf[i] = '\0';
		if (mkdir(sb.buf, 0755) < 0 && errno != EEXIST) {
			r = err_set(ERR_GENERIC, "%s: %s", sb.buf, strerror(errno));
			goto out;
		}
		if (i < sb.len)
			sb.buf[i] = '/';
	}
out:
	strbuf_release(&sb);
	return r;
}

static int lay_blob_exists(struct oci_store *s, const char *digest, size_t *size)
{
	struct oci_layout *l = (struct oci_layout *)s;
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int r = 0;

	blob_path(&path, l, digest);
	if (stat(path.buf, &st) < 0 || !S_ISREG(st.st_mode))
		r = ERR_NOTFOUND;
	else
		*size = (size_t)st.st_size;
	strbuf_release(&path);
	return r;
}

static int lay_blob_put(struct oci_store *s, const char *digest, const void *buf, size_t len)
{
	struct oci_layout *l = (struct oci_layout *)s;
	struct strbuf path = STRBUF_INIT;
	int r;

	blob_path(&path, l, digest);
	r = write_file_atomic(path.buf, buf, len, 0644);
	strbuf_release(&path);
	return r;
}

static int lay_blob_get(struct oci_store *s, struct strbuf *out, const char *digest, size_t max)
{
	struct oci_layout *l = (struct oci_layout *)s;
	struct strbuf path = STRBUF_INIT;
	int r;

	blob_path(&path, l, digest);
	r = strbuf_read_file(out, path.buf, max);
	if (r == ERR_NOTFOUND)
		err_set(r, "%s: blob %s not found", s->name, digest);
	strbuf_release(&path);
	return r;
}

static int lay_blob_mount(struct oci_store *s, const char *digest, const char *from,
			  const void *buf, size_t len, bool *uploaded)
{
	(void)buf;
	(void)len;
	(void)uploaded;
	return err_set(ERR_NOTFOUND, "%s: an image layout cannot mount blobs", s->name);
}

/* Reads index.json; a missing one reads as an empty index (*st stays NULL). */
static int index_read(struct oci_layout *l, struct doc_stream **st, const struct doc_node **manifests)
{
	struct strbuf path = STRBUF_INIT, buf = STRBUF_INIT;
	const struct doc_node *root;
	int r;

	*st = NULL;
	*manifests = NULL;
	strbuf_addf(&path, "%s/index.json", l->dir);
	r = strbuf_read_file(&buf, path.buf, OCI_LAYOUT_INDEX_MAX);
	if (r == ERR_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	r = doc_parse(st, buf.buf, buf.len, path.buf, NULL);
	if (r)
		goto out;
	root = (*st)->ndocs ? (*st)->docs[0] : NULL;
	if (!root || root->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: not a JSON object", path.buf);
		goto out;
	}
	*manifests = doc_map_get(root, "manifests");
	if (*manifests && (*manifests)->kind != DOC_SEQ) {
		r = err_set(ERR_INVALID, "%s: \"manifests\" must be an array", path.buf);
		goto out;
	}
out:
	if (r) {
		doc_stream_free(*st);
		*st = NULL;
	}
	strbuf_release(&path);
	strbuf_release(&buf);
	return r;
}

static const char *entry_tag(const struct doc_node *e)
{
	return doc_get_str(e, "annotations", OCI_ANN_REF_NAME, NULL);
}

/* The index entry for `tag`, or NULL. */
static const struct doc_node *index_find(const struct doc_node *manifests, const char *tag)
{
	size_t i;

	for (i = 0; manifests && i < manifests->n; i++) {
		const char *t = entry_tag(manifests->kids[i]);
		if (t && !strcmp(t, tag))
			return manifests->kids[i];
	}
	return NULL;
}

/*
 * Rewrites index.json with `tag` removed and, when `entry` is given, the
 * new descriptor in its place (or appended).  Other entries are kept as
 * they were.
 */
static int index_update(struct oci_layout *l, const char *tag, const char *entry, bool *found)
{
	struct doc_stream *st = NULL;
	const struct doc_node *manifests, *root;
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT;
	const struct doc_node *ann;
	bool placed = false, first = true;
	size_t i;
	int lockfd = -1, r;

	*found = false;
	lockfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		r = err_set(ERR_GENERIC, "%s: cannot lock: %s", l->dir, strerror(errno));
		goto out;
	}
	r = index_read(l, &st, &manifests);
	if (r)
		goto out;
	strbuf_addstr(&out, "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_INDEX
			    "\",\"manifests\":[");
	for (i = 0; manifests && i < manifests->n; i++) {
		const struct doc_node *e = manifests->kids[i];
		const char *t = entry_tag(e);
		if (t && !strcmp(t, tag)) {
			*found = true;
			if (placed || !entry)
				continue;
			if (!first)
				strbuf_addch(&out, ',');
			strbuf_addstr(&out, entry);
			first = false;
			placed = true;
			continue;
		}
		if (!first)
			strbuf_addch(&out, ',');
		first = false;
		r = doc_emit_json(&out, e);
		if (r)
			goto out;
	}
	if (entry && !placed) {
		if (!first)
			strbuf_addch(&out, ',');
		strbuf_addstr(&out, entry);
	}
	strbuf_addch(&out, ']');
	root = st && st->ndocs ? st->docs[0] : NULL;
	ann = doc_map_get(root, "annotations");
	if (ann) {
		strbuf_addstr(&out, ",\"annotations\":");
		r = doc_emit_json(&out, ann);
		if (r)
			goto out;
	}
	strbuf_addstr(&out, "}\n");
	strbuf_addf(&path, "%s/index.json", l->dir);
	r = write_file_atomic(path.buf, out.buf, out.len, 0644);
out:
	if (lockfd >= 0)
		close(lockfd);
	doc_stream_free(st);
	strbuf_release(&out);
	strbuf_release(&path);
	return r;
}

static int lay_manifest_put(struct oci_store *s, const char *tag, const char *media_type,
			    const void *buf, size_t len, const char *digest)
{
	struct oci_layout *l = (struct oci_layout *)s;
	struct strbuf entry = STRBUF_INIT;
	bool found;
	int r;

	/* The manifest is a blob too, and must be in place before the index names it. */
	r = lay_blob_put(s, digest, buf, len);
	if (r)
		goto out;
	strbuf_addstr(&entry, "{\"mediaType\":");
	strbuf_add_json_str(&entry, media_type, strlen(media_type));
	strbuf_addf(&entry, ",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"" OCI_ANN_REF_NAME
			    "\":", digest, len);
	strbuf_add_json_str(&entry, tag, strlen(tag));
	strbuf_addstr(&entry, "}}");
	r = index_update(l, tag, entry.buf, &found);
out:
	strbuf_release(&entry);
	return r;
}

static int lay_resolve_entry(struct oci_layout *l, const char *tag, char digest[DIGEST_STR_SIZE],
			     struct strbuf *media_type)
{
	struct doc_stream *st = NULL;
	const struct doc_node *manifests, *e;
	const char *dg;
	int r;

	r = index_read(l, &st, &manifests);
	if (r)
		goto out;
	e = index_find(manifests, tag);
	if (!e) {
		r = err_set(ERR_NOTFOUND, "%s: tag %s not found", l->base.name, tag);
		goto out;
	}
	dg = doc_get_str(e, "digest", NULL);
	if (!dg || !digest_is_valid(dg)) {
		r = err_set(ERR_INVALID, "%s/index.json: tag %s has an invalid digest", l->dir, tag);
		goto out;
	}
	memcpy(digest, dg, DIGEST_STR_SIZE);
	if (media_type && doc_get_str(e, "mediaType", NULL))
		strbuf_addstr(media_type, doc_get_str(e, "mediaType", NULL));
out:
	doc_stream_free(st);
	return r;
}

static int lay_manifest_get(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
			    const char *ref, char hint[DIGEST_STR_SIZE])
{
	struct oci_layout *l = (struct oci_layout *)s;
	char digest[DIGEST_STR_SIZE];
	int r;

	if (!strncmp(ref, DIGEST_PREFIX, strlen(DIGEST_PREFIX))) {
		memcpy(digest, ref, DIGEST_STR_SIZE);
	} else {
		r = lay_resolve_entry(l, ref, digest, media_type);
		if (r)
			return r;
		/* The wrapper checks the manifest bytes against the index's digest. */
		memcpy(hint, digest, DIGEST_STR_SIZE);
	}
	r = lay_blob_get(s, out, digest, OCI_MANIFEST_MAX);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "%s: manifest %s not found", s->name, digest);
	return r;
}

static int lay_resolve(struct oci_store *s, const char *tag, char digest[DIGEST_STR_SIZE])
{
	return lay_resolve_entry((struct oci_layout *)s, tag, digest, NULL);
}

static int lay_tags_list(struct oci_store *s, char ***tags, size_t *ntags)
{
	struct oci_layout *l = (struct oci_layout *)s;
	struct doc_stream *st = NULL;
	const struct doc_node *manifests;
	size_t alloc = 0, i;
	int r;

	r = index_read(l, &st, &manifests);
	if (r)
		goto out;
	for (i = 0; manifests && i < manifests->n; i++) {
		const char *t = entry_tag(manifests->kids[i]);
		if (!t || !oci_tag_is_valid(t))
			continue;
		ALLOC_GROW(*tags, *ntags + 2, alloc);
		(*tags)[(*ntags)++] = xstrdup(t);
		(*tags)[*ntags] = NULL;
	}
out:
	doc_stream_free(st);
	return r;
}

static int lay_tag_delete(struct oci_store *s, const char *tag)
{
	bool found;
	int r = index_update((struct oci_layout *)s, tag, NULL, &found);

	if (!r && !found)
		r = err_set(ERR_NOTFOUND, "%s: tag %s not found", s->name, tag);
	return r;
}

static void lay_free(struct oci_store *s)
{
	struct oci_layout *l = (struct oci_layout *)s;

	free(l->base.name);
	free(l->dir);
	free(l);
}

static const struct oci_store_ops layout_ops = {
	.kind = "oci-layout",
	.blob_exists = lay_blob_exists,
	.blob_put = lay_blob_put,
	.blob_get = lay_blob_get,
	.blob_mount = lay_blob_mount,
	.manifest_put = lay_manifest_put,
	.manifest_get = lay_manifest_get,
	.resolve = lay_resolve,
	.tags_list = lay_tags_list,
	.tag_delete = lay_tag_delete,
	.free = lay_free,
};

/* Checks (or, when pushing, creates) the oci-layout marker file. */
static int layout_check(struct oci_layout *l, bool create)
{
	static const char marker[] = "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}\n";
	struct strbuf path = STRBUF_INIT, buf = STRBUF_INIT;
	struct doc_stream *st = NULL;
	const char *v;
	int r;

	strbuf_addf(&path, "%s/oci-layout", l->dir);
	r = strbuf_read_file(&buf, path.buf, 64 * 1024);
	if (r == ERR_NOTFOUND && create) {
		r = mkdir_p(l->dir);
		if (!r) {
			strbuf_reset(&buf);
			strbuf_addf(&buf, "%s/blobs/sha256", l->dir);
			r = mkdir_p(buf.buf);
		}
		if (!r)
			r = write_file_atomic(path.buf, marker, strlen(marker), 0644);
		goto out;
	}
	if (r == ERR_NOTFOUND) {
		r = err_set(ERR_NOTFOUND, "%s: not an OCI image layout (no oci-layout file)",
			    l->base.name);
		goto out;
	}
	if (r)
		goto out;
	r = doc_parse(&st, buf.buf, buf.len, path.buf, NULL);
	if (r)
		goto out;
	v = st->ndocs ? doc_get_str(st->docs[0], "imageLayoutVersion", NULL) : NULL;
	if (!v || strncmp(v, "1.", 2)) {
		r = err_set(ERR_INVALID, "%s: unsupported imageLayoutVersion '%s'", path.buf,
			    v ? v : "(none)");
		goto out;
	}
	if (create) {
		strbuf_reset(&buf);
		strbuf_addf(&buf, "%s/blobs/sha256", l->dir);
		r = mkdir_p(buf.buf);
	}
out:
	doc_stream_free(st);
	strbuf_release(&path);
	strbuf_release(&buf);
	return r;
}

int oci_layout_open(struct oci_store **out, const char *dir, const struct oci_open_opts *opts)
{
	struct oci_layout *l = xcalloc(1, sizeof(*l));
	struct strbuf name = STRBUF_INIT;
	int r;

	*out = NULL;
	l->base.ops = &layout_ops;
	l->dir = xstrdup(dir);
	strbuf_addf(&name, "oci-layout:%s", dir);
	l->base.name = strbuf_detach(&name, NULL);
	r = layout_check(l, opts->push);
	if (r) {
		lay_free(&l->base);
		return r;
	}
	*out = &l->base;
	return 0;
}
