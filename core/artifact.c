/*
 * artifact.c - packing and reading hoist artifacts.
 *
 * The tar stream is written by libarchive (ustar, fixed metadata) into
 * memory and compressed with zlib here, so the gzip header is ours: no
 * name, no timestamp, OS "unknown" (255) as Go's gzip writes it.  Reading
 * goes through libarchive with strict bounds: regular files with plain
 * names only, a size ceiling, and every file's sha256 checked against
 * hoist.json before anything is written to disk.
 */
#include "compat.h"
#include "artifact.h"
#include "remote.h"
#include "digest.h"
#include "doc.h"
#include "err.h"
#include "objset.h"
#include "strbuf.h"
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

/* --- reading --------------------------------------------------------------- */

struct file {
	char *name;
	struct strbuf data;
};

void artifact_info_release(struct artifact_info *info)
{
	free(info->app);
	free(info->environment);
	free(info->version);
	free(info->source);
	free(info->revision);
	free(info->created);
	free(info->engine);
	free(info->manifests);
	memset(info, 0, sizeof(*info));
}

static bool plain_name(const char *n)
{
	size_t i;

	if (!*n || n[0] == '.' || strlen(n) > 100)
		return false;
	for (i = 0; n[i]; i++)
		if (n[i] == '/' || n[i] == '\\' || (unsigned char)n[i] < 0x20)
			return false;
	return true;
}

/* A JSON string value; NULL for null or anything that is not a scalar. */
static char *dup_str(const struct doc_node *n)
{
	if (!n || n->kind != DOC_SCALAR ||
	    (n->style == DOC_STYLE_PLAIN && !strcmp(n->str, "null")))
		return NULL;
	return xstrdup(n->str);
}

static int verify_meta(struct artifact_info *info, struct file *files, size_t nfiles,
		       struct file **manifests)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root, *fmap, *objs;
	struct file *meta = NULL;
	size_t i, j;
	int r;

	for (i = 0; i < nfiles; i++)
		if (!strcmp(files[i].name, METADATA))
			meta = &files[i];
	if (!meta)
		return err_set(ERR_INVALID, "artifact has no %s", METADATA);
	r = doc_parse(&s, meta->data.buf, meta->data.len, METADATA, NULL);
	if (r)
		return err_prefix(ERR_INVALID, "artifact metadata");
	root = s->ndocs == 1 ? s->docs[0] : NULL;
	fmap = doc_map_get(root, "files");
	if (!root || root->kind != DOC_MAP || !fmap || fmap->kind != DOC_MAP ||
	    !doc_get_str(root, "app", NULL) || !doc_get_str(root, "version", NULL)) {
		r = err_set(ERR_INVALID, "%s: not a hoist artifact description", METADATA);
		goto out;
	}
	/* Every file but hoist.json must be listed, and match its digest. */
	for (i = 0; i < nfiles; i++) {
		const char *want;
		char got[DIGEST_STR_SIZE];

		if (&files[i] == meta)
			continue;
		want = doc_str(doc_map_get(fmap, files[i].name));
		if (!want) {
			r = err_set(ERR_VERIFY, "artifact file %s is not listed in %s",
				    files[i].name, METADATA);
			goto out;
		}
		digest_sha256(got, files[i].data.buf, files[i].data.len);
		if (strcmp(want, got)) {
			r = err_set(ERR_VERIFY, "artifact file %s: sha256 mismatch (%s says %s, content is %s)",
				    files[i].name, METADATA, want, got);
			goto out;
		}
		if (!strcmp(files[i].name, MANIFESTS))
			*manifests = &files[i];
	}
	for (j = 0; j < fmap->n; j++) {
		const char *name = doc_str(fmap->kids[2 * j]);
		bool found = false;

		/* hoist.json is read as YAML, where a key may be a list or a map. */
		if (!name) {
			r = err_set(ERR_INVALID, "%s: \"files\" has a key that is not a file name",
				    METADATA);
			goto out;
		}
		for (i = 0; i < nfiles; i++)
			found = found || !strcmp(files[i].name, name);
		if (!found) {
			r = err_set(ERR_VERIFY, "artifact is missing %s, listed in %s", name,
				    METADATA);
			goto out;
		}
	}
	if (!*manifests) {
		r = err_set(ERR_INVALID, "artifact has no %s", MANIFESTS);
		goto out;
	}
	info->app = dup_str(doc_map_get(root, "app"));
	info->version = dup_str(doc_map_get(root, "version"));
	info->environment = dup_str(doc_map_get(root, "environment"));
	info->source = dup_str(doc_map_get(root, "source"));
	info->revision = dup_str(doc_map_get(root, "revision"));
	info->created = dup_str(doc_map_get(root, "created"));
	info->engine = dup_str(doc_map_get(doc_map_get(root, "engine"), "name"));
	objs = doc_map_get(root, "objects");
	info->nobjects = objs && objs->kind == DOC_SEQ ? objs->n : 0;
out:
	doc_stream_free(s);
	return r;
}

static void remove_dir(const char *dir, struct file *files, size_t n)
{
	struct strbuf p = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir, files[i].name);
		unlink(p.buf);
	}
	rmdir(dir);
	strbuf_release(&p);
}

static int write_out(const char *dir, struct file *files, size_t n)
{
	struct strbuf p = STRBUF_INIT;
	size_t i;
	int r = 0;

	if (mkdir(dir, 0755) != 0)
		return err_set(ERR_GENERIC, "%s: %s", dir,
			       errno == EEXIST ? "already exists; refusing to unpack over it"
					       : strerror(errno));
	for (i = 0; i < n && !r; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir, files[i].name);
		r = write_file_atomic(p.buf, files[i].data.buf, files[i].data.len, 0644);
	}
	if (r)
		remove_dir(dir, files, n);
	strbuf_release(&p);
	return r;
}

/*
 * Inflates the whole gzip stream first, bounded, so its CRC and length are
 * always checked (libarchive stops at the tar end marker and would not see
 * a damaged trailer) and trailing garbage is refused.
 */
static int gunzip_buf(struct strbuf *out, const void *in, size_t len)
{
	z_stream z;
	unsigned char chunk[65536];
	int zr;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return err_set(ERR_GENERIC, "zlib: cannot initialise inflate");
	out->limit = ARTIFACT_MAX_UNPACKED + (1u << 20);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		if (strbuf_add(out, chunk, sizeof(chunk) - z.avail_out)) {
			inflateEnd(&z);
			return err_set(ERR_TOOBIG, "artifact unpacks to more than %u bytes",
				       ARTIFACT_MAX_UNPACKED);
		}
	} while (zr == Z_OK && (z.avail_in || !z.avail_out));
	inflateEnd(&z);
	if (zr != Z_STREAM_END)
		return err_set(ERR_INVALID, "artifact is truncated or corrupt (gzip: %s)",
			       zr == Z_OK || zr == Z_BUF_ERROR ? "unexpected end of data"
			       : z.msg ? z.msg : "bad data");
	if (z.avail_in)
		return err_set(ERR_INVALID, "artifact has %u bytes of trailing garbage",
			       (unsigned)z.avail_in);
	return 0;
}

int artifact_read(struct artifact_info *info, const void *targz, size_t len,
		  const char *dir, bool want_manifests)
{
	struct strbuf tar = STRBUF_INIT;
	struct archive *a;
	struct archive_entry *e;
	struct file files[MAX_FILES];
	struct file *manifests = NULL;
	size_t nfiles = 0, total = 0, i;
	int ar, r = 0;

	memset(info, 0, sizeof(*info));
	a = archive_read_new();
	archive_read_support_format_tar(a);
	r = gunzip_buf(&tar, targz, len);
	if (r)
		goto out;
	if (archive_read_open_memory(a, tar.buf, tar.len) != ARCHIVE_OK) {
		r = err_set(ERR_INVALID, "artifact is not a tar.gz: %s", archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		struct file *f;
		char chunk[65536];
		la_ssize_t got;

		if (archive_entry_filetype(e) != AE_IFREG || !name || !plain_name(name)) {
			r = err_set(ERR_INVALID, "artifact entry '%s' is not a plain file; refusing it",
				    name ? name : "?");
			goto out;
		}
		for (i = 0; i < nfiles; i++)
			if (!strcmp(files[i].name, name)) {
				r = err_set(ERR_INVALID, "artifact has two entries named %s", name);
				goto out;
			}
		if (nfiles == MAX_FILES) {
			r = err_set(ERR_TOOBIG, "artifact has more than %d files", MAX_FILES);
			goto out;
		}
		if (size < 0 || (size_t)size > ARTIFACT_MAX_UNPACKED - total) {
			r = err_set(ERR_TOOBIG, "artifact unpacks to more than %u bytes",
				    ARTIFACT_MAX_UNPACKED);
			goto out;
		}
		/*
		 * The buffer below is sized from the header; a header cannot
		 * honestly claim more than the whole tar, and believing one that
		 * does let a 100-byte artifact make us allocate 256 MiB.
		 */
		if ((size_t)size > tar.len) {
			r = err_set(ERR_INVALID, "artifact entry %s claims %lld bytes in a %zu-byte tar",
				    name, (long long)size, tar.len);
			goto out;
		}
		f = &files[nfiles++];
		f->name = xstrdup(name);
		strbuf_init(&f->data, (size_t)size);
		f->data.limit = (size_t)size;
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			if (strbuf_add(&f->data, chunk, (size_t)got)) {
				r = err_set(ERR_INVALID, "artifact entry %s is longer than its header says",
					    name);
				goto out;
			}
		}
		if (got < 0) {
			r = err_set(ERR_INVALID, "artifact is truncated or corrupt: %s",
				    archive_error_string(a));
			goto out;
		}
		total += f->data.len;
	}
	if (ar != ARCHIVE_EOF) {
		r = err_set(ERR_INVALID, "artifact is truncated or corrupt: %s",
			    archive_error_string(a));
		goto out;
	}
	r = verify_meta(info, files, nfiles, &manifests);
	if (r)
		goto out;
	if (dir)
		r = write_out(dir, files, nfiles);
	if (!r && want_manifests) {
		info->manifests_len = manifests->data.len;
		info->manifests = strbuf_detach(&manifests->data, NULL);
	}
out:
	archive_read_free(a);
	strbuf_release(&tar);
	for (i = 0; i < nfiles; i++) {
		free(files[i].name);
		strbuf_release(&files[i].data);
	}
	if (r)
		artifact_info_release(info);
	return r;
}
