/*
 * artifact-read.c - reading hoist artifacts: gunzip, walk the tar, check
 * every file against hoist.json.  See artifact.h.
 *
 * The tar walk is our own and deliberately narrow, so hoist-agent (which
 * reads artifacts and never writes them) does not load libarchive and the
 * libraries it pulls in (libxml2, ICU, libstdc++: 2.4 MB of its idle RSS).
 * An artifact is what artifact_pack writes: POSIX ustar, regular files
 * with short plain names.  Anything else -- links, directories, pax or GNU
 * extension headers, base-256 sizes, a bad header checksum -- is refused,
 * which is what the reader must do with such entries anyway.
 */
#include "core/compat.h"
#include "oci/artifact.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MANIFESTS "manifests.yaml"
#define METADATA "hoist.json"
#define MAX_FILES 64
#define TAR_BLOCK 512

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
 * always checked (the tar walk stops at the end marker and would not see
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

/* --- the tar walk ---------------------------------------------------------- */

struct tar_entry {
	char name[257];        /* prefix "/" name (155 + 1 + 100 bytes at most) */
	bool regular;          /* typeflag '0' or NUL */
	uint64_t size;
	const unsigned char *data;
};

/* An octal field: digits, then NUL or spaces.  Leading spaces are allowed. */
static int tar_octal(const unsigned char *f, size_t n, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static bool block_is_zero(const unsigned char *b)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * The entry at *pos: 1 and *pos past it, 0 at the end-of-archive marker
 * (everything after it must be zeros), or ERR_INVALID.
 */
static int tar_next(const struct strbuf *tar, size_t *pos, struct tar_entry *e)
{
	const unsigned char *h = (const unsigned char *)tar->buf + *pos;
	uint64_t sum = 0, want, blocks;
	size_t i, nl, pl;

	memset(e, 0, sizeof(*e));
	if (tar->len - *pos < TAR_BLOCK)
		return err_set(ERR_INVALID, "artifact is truncated or corrupt: tar ends inside a header");
	if (block_is_zero(h)) {
		for (i = *pos; i < tar->len; i++)
			if (tar->buf[i])
				return err_set(ERR_INVALID, "artifact is truncated or corrupt: data after the tar's end");
		return 0;
	}
	for (i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	if (tar_octal(h + 148, 8, &want) || want != sum)
		return err_set(ERR_INVALID, "artifact is not a tar.gz (tar header checksum mismatch)");
	if (memcmp(h + 257, "ustar", 5))
		return err_set(ERR_INVALID, "artifact is not a tar.gz (no ustar header)");
	if (tar_octal(h + 124, 12, &e->size))
		return err_set(ERR_TOOBIG, "artifact entry has a size field we do not read");
	e->regular = h[156] == '0' || h[156] == '\0';
	nl = strnlen((const char *)h, 100);
	pl = strnlen((const char *)h + 345, 155);
	/* A ustar prefix means a directory: never plain, named in the refusal. */
	if (pl)
		xsnprintf(e->name, sizeof(e->name), "%.*s/%.*s", (int)pl, (const char *)h + 345,
			  (int)nl, (const char *)h);
	else
		memcpy(e->name, h, nl);
	*pos += TAR_BLOCK;
	/*
	 * The data must lie inside the tar: a header cannot honestly claim
	 * more, and believing one that does let a 100-byte artifact make us
	 * allocate 256 MiB.
	 */
	blocks = (e->size + TAR_BLOCK - 1) / TAR_BLOCK;
	if (e->size > tar->len - *pos || blocks * TAR_BLOCK > tar->len - *pos)
		return err_set(ERR_INVALID, "artifact entry %s claims %llu bytes in a %zu-byte tar",
			       e->name, (unsigned long long)e->size, tar->len);
	e->data = (const unsigned char *)tar->buf + *pos;
	*pos += (size_t)blocks * TAR_BLOCK;
	return 1;
}

int artifact_read(struct artifact_info *info, const void *targz, size_t len,
		  const char *dir, bool want_manifests)
{
	struct strbuf tar = STRBUF_INIT;
	struct tar_entry e;
	struct file files[MAX_FILES];
	struct file *manifests = NULL;
	size_t nfiles = 0, total = 0, pos = 0, i;
	int r = 0;

	memset(info, 0, sizeof(*info));
	r = gunzip_buf(&tar, targz, len);
	if (r)
		goto out;
	while ((r = tar_next(&tar, &pos, &e)) > 0) {
		const char *name = e.name;
		uint64_t size = e.size;
		struct file *f;

		if (!e.regular || !plain_name(name)) {
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
		if (size > ARTIFACT_MAX_UNPACKED - total) {
			r = err_set(ERR_TOOBIG, "artifact unpacks to more than %u bytes",
				    ARTIFACT_MAX_UNPACKED);
			goto out;
		}
		/* tar_next checked that the data lies inside the tar. */
		f = &files[nfiles++];
		f->name = xstrdup(name);
		strbuf_init(&f->data, (size_t)size);
		strbuf_add(&f->data, e.data, (size_t)size);
		total += f->data.len;
	}
	if (r < 0)
		goto out;
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
	strbuf_release(&tar);
	for (i = 0; i < nfiles; i++) {
		free(files[i].name);
		strbuf_release(&files[i].data);
	}
	if (r)
		artifact_info_release(info);
	return r;
}
