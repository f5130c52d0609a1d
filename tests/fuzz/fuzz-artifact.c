/*
 * fuzz-artifact.c - artifact_read() on arbitrary bytes.
 *
 * Artifacts are pulled from registries anyone with push access can write
 * to, so the gzip stream, the tar headers and hoist.json are all hostile.
 * Only the in-memory path is fuzzed (no `dir`): nothing touches the disk.
 *
 * The first byte picks how the rest is used:
 *   even  as the .tar.gz itself (gzip, tar and all);
 *   odd   as the contents of hoist.json and manifests.yaml, split at the
 *         first "\n--8<--\n", which this target packs into a valid tar.gz
 *         so mutations reach the metadata checks instead of dying on a
 *         gzip CRC or a tar header checksum.
 */
#include "core/compat.h"
#include "oci/artifact.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tar_add(struct archive *a, const char *name, const void *buf, size_t len)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_write_header(a, e);
	archive_write_data(a, buf, len);
	archive_entry_free(e);
}

/* Packs the two files into `out` as a .tar.gz. */
static void make_targz(struct strbuf *out, const char *meta, size_t meta_len,
		       const char *man, size_t man_len)
{
	size_t cap = meta_len + man_len + 8192, used = 0;
	unsigned char *tar = xmalloc(cap);
	struct archive *a = archive_write_new();
	z_stream z;
	unsigned char chunk[16384];
	int zr;

	archive_write_set_format_ustar(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, tar, cap, &used);
	tar_add(a, "hoist.json", meta, meta_len);
	if (man)
		tar_add(a, "manifests.yaml", man, man_len);
	archive_write_close(a);
	archive_write_free(a);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = tar;
	z.avail_in = (uInt)used;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		strbuf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	deflateEnd(&z);
	free(tar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--8<--\n";
	struct artifact_info info;
	struct strbuf targz = STRBUF_INIT;
	const char *p = (const char *)data + 1, *cut;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		if (!artifact_read(&info, p, size - 1, NULL, true))
			artifact_info_release(&info);
	} else {
		cut = memmem(p, size - 1, sep, sizeof(sep) - 1);
		if (cut)
			make_targz(&targz, p, (size_t)(cut - p), cut + sizeof(sep) - 1,
				   size - 1 - (size_t)(cut - p) - (sizeof(sep) - 1));
		else
			make_targz(&targz, p, size - 1, NULL, 0);
		if (!artifact_read(&info, targz.buf, targz.len, NULL, true))
			artifact_info_release(&info);
	}
	strbuf_release(&targz);
	err_clear();
	return 0;
}
