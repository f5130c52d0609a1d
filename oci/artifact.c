/*
 * artifact.c - packing and reading hoist artifacts.
 *
 * The tar stream is written by libarchive (ustar, fixed metadata) into
 * memory and compressed with zlib here, so the gzip header is ours: no
 * name, no timestamp, OS "unknown" (255) as Go's gzip writes it.  Reading
 * is in artifact-read.c, which needs no libarchive (hoist-agent does not
 * load it).
 */
#include "core/compat.h"
#include "oci/artifact.h"
#include "source/remote.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "core/strbuf.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MANIFESTS "manifests.yaml"
#define METADATA "hoist.json"
#define MAX_FILES 64

/* --- writing --------------------------------------------------------------- */

static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	if (strbuf_add(data, buf, len))
		return -1;
	return (la_ssize_t)len;
}

static int tar_add(struct archive *a, const char *name, const struct strbuf *content)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)content->len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, content->buf, content->len) != (la_ssize_t)content->len)
		r = err_set(ERR_GENERIC, "tar: %s", archive_error_string(a));
	archive_entry_free(e);
	return r;
}

static int gzip_buf(struct strbuf *out, const struct strbuf *in)
{
	z_stream z;
	gz_header h;
	unsigned char chunk[65536];
	int zr;

	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return err_set(ERR_GENERIC, "zlib: cannot initialise deflate");
	h.os = 255;
	deflateSetHeader(&z, &h);
	z.next_in = (unsigned char *)in->buf;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		strbuf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	deflateEnd(&z);
	if (zr != Z_STREAM_END)
		return err_set(ERR_GENERIC, "zlib: deflate failed (%d)", zr);
	return 0;
}

static void json_kv(struct strbuf *sb, const char *key, const char *val, bool comma)
{
	strbuf_add_json_str(sb, key, strlen(key));
	strbuf_addch(sb, ':');
	if (val)
		strbuf_add_json_str(sb, val, strlen(val));
	else
		strbuf_addstr(sb, "null");
	if (comma)
		strbuf_addch(sb, ',');
}

/*
 * hoist.json: keys in a fixed (sorted) order and no insignificant space, so
 * the file, and with it the artifact, is byte-for-byte reproducible.
 */
static void build_meta(struct strbuf *sb, const struct objset *set,
		       const struct artifact_meta *m, const char *manifests_digest)
{
	size_t i;

	strbuf_addch(sb, '{');
	json_kv(sb, "apiVersion", "hoist.dev/v1alpha1", true);
	json_kv(sb, "app", m->app, true);
	json_kv(sb, "created", m->created ? m->created : "1970-01-01T00:00:00Z", true);
	strbuf_addstr(sb, "\"engine\":{");
	json_kv(sb, "hoist", HOIST_VERSION, true);
	json_kv(sb, "name", m->engine ? m->engine : "plain", false);
	strbuf_addstr(sb, "},");
	json_kv(sb, "environment", m->environment, true);
	strbuf_addstr(sb, "\"files\":{");
	json_kv(sb, MANIFESTS, manifests_digest, false);
	strbuf_addstr(sb, "},");
	json_kv(sb, "kind", "Artifact", true);
	strbuf_addstr(sb, "\"objects\":[");
	for (i = 0; i < set->n; i++) {
		const struct object *o = &set->objs[i];
		strbuf_addch(sb, '{');
		json_kv(sb, "apiVersion", o->api_version, true);
		json_kv(sb, "kind", o->kind, true);
		json_kv(sb, "name", o->name, true);
		json_kv(sb, "namespace", o->namespace, false);
		strbuf_addch(sb, '}');
		if (i + 1 < set->n)
			strbuf_addch(sb, ',');
	}
	strbuf_addstr(sb, "],");
	/* Provenance of remote inputs, only when there were any (older artifacts keep their bytes). */
	if (m->npins) {
		strbuf_addstr(sb, "\"remoteSources\":[");
		for (i = 0; i < m->npins; i++) {
			const struct remote_pin *p = &m->pins[i];
			strbuf_addch(sb, '{');
			if (p->kind == REMOTE_GIT) {
				json_kv(sb, "commit", p->resolved, true);
				json_kv(sb, "kind", "git", true);
				json_kv(sb, "ref", p->ref, true);
			} else if (p->kind == REMOTE_CHART) {
				json_kv(sb, "digest", p->resolved, true);
				json_kv(sb, "kind", "chart", true);
				json_kv(sb, "ref", p->ref, true);
			} else {
				json_kv(sb, "digest", p->resolved, true);
				json_kv(sb, "kind", "http", true);
			}
			json_kv(sb, "url", p->url, false);
			strbuf_addstr(sb, i + 1 < m->npins ? "}," : "}");
		}
		strbuf_addstr(sb, "],");
	}
	json_kv(sb, "revision", m->revision, true);
	json_kv(sb, "source", m->source, true);
	json_kv(sb, "version", m->version, false);
	strbuf_addstr(sb, "}\n");
}

int artifact_pack(struct strbuf *out, const struct objset *set,
		  const struct artifact_meta *meta)
{
	struct strbuf manifests = STRBUF_INIT, json = STRBUF_INIT, tar = STRBUF_INIT;
	struct archive *a = NULL;
	char digest[DIGEST_STR_SIZE];
	int r;

	if (!meta->app || !*meta->app || !meta->version || !*meta->version)
		return err_set(ERR_INVALID, "an artifact needs an app name and a version");
	r = objset_emit(set, &manifests);
	if (r)
		goto out;
	digest_sha256(digest, manifests.buf, manifests.len);
	build_meta(&json, set, meta, digest);

	a = archive_write_new();
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &tar, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK) {
		r = err_set(ERR_GENERIC, "tar: %s", archive_error_string(a));
		goto out;
	}
	/* Entries in name order. */
	if ((r = tar_add(a, METADATA, &json)) || (r = tar_add(a, MANIFESTS, &manifests)))
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = err_set(ERR_GENERIC, "tar: %s", archive_error_string(a));
		goto out;
	}
	r = gzip_buf(out, &tar);
out:
	if (a)
		archive_write_free(a);
	strbuf_release(&manifests);
	strbuf_release(&json);
	strbuf_release(&tar);
	return r;
}
