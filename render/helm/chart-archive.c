/*
 * chart-archive.c - chart archives (.tgz), unpacked in memory only.
 *
 * Helm's archive loader drops the first path component (the chart's
 * folder) of every entry.  An archive is untrusted input: we take regular
 * files only (symlinks, hard links and devices are refused, as artifacts
 * refuse them), refuse names that climb out of the chart, and bound the
 * bytes and entries so a small bomb cannot make us allocate without end.
 */
#include "core/compat.h"
#include "render/helm/chart.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>

/*
 * libarchive is opened at the first archive, not linked: `hoist template`
 * (the light binary) must not pay for mapping it and its ~15 libraries
 * (libxml2, ICU, libstdc++ ...) on every chart that has no .tgz.  The full
 * binary links it anyway (artifacts), so there dlopen finds it loaded.
 */
#define LIBARCHIVE_SONAME "libarchive.so.13"

static struct {
	bool tried, ok;
	struct archive *(*read_new)(void);
	int (*filter_gzip)(struct archive *);
	int (*format_tar)(struct archive *);
	int (*open_memory)(struct archive *, const void *, size_t);
	int (*next_header)(struct archive *, struct archive_entry **);
	const char *(*pathname)(struct archive_entry *);
	__LA_MODE_T (*filetype)(struct archive_entry *);
	const char *(*hardlink)(struct archive_entry *);
	la_ssize_t (*read_data)(struct archive *, void *, size_t);
	const char *(*error_string)(struct archive *);
	int (*read_free)(struct archive *);
} la;

static int la_load(void)
{
	void *h;

	if (la.tried)
		return la.ok ? 0 : err_set(ERR_GENERIC, "cannot load %s for chart archives", LIBARCHIVE_SONAME);
	la.tried = true;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return err_set(ERR_GENERIC, "cannot load %s for chart archives: %s", LIBARCHIVE_SONAME,
			       dlerror());
#define SYM(field, name)                                                   \
	do {                                                               \
		*(void **)&la.field = dlsym(h, name);                        \
		if (!la.field)                                             \
			return err_set(ERR_GENERIC, "%s has no %s", LIBARCHIVE_SONAME, name); \
	} while (0)
	SYM(read_new, "archive_read_new");
	SYM(filter_gzip, "archive_read_support_filter_gzip");
	SYM(format_tar, "archive_read_support_format_tar");
	SYM(open_memory, "archive_read_open_memory");
	SYM(next_header, "archive_read_next_header");
	SYM(pathname, "archive_entry_pathname");
	SYM(filetype, "archive_entry_filetype");
	SYM(hardlink, "archive_entry_hardlink");
	SYM(read_data, "archive_read_data");
	SYM(error_string, "archive_error_string");
	SYM(read_free, "archive_read_free");
#undef SYM
	la.ok = true;
	return 0;
}

static bool illegal_path(const char *n)
{
	const char *p = n;

	if (!*n || n[0] == '/' || !strcmp(n, "."))
		return true;
	/* Any ".." component: our src paths are normalised, so refuse rather than clean. */
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += l;
		if (*p)
			p++;
	}
	return false;
}

/* path.Clean for the relative names we accept: drops "." and empty components. */
static char *clean_name(struct helm_ctx *c, const char *n)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = n;
	char *out;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l && !(l == 1 && p[0] == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, l);
		}
		p += l;
		if (*p)
			p++;
	}
	out = hctx_strndup(c, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

int chart_archive_files(struct helm_ctx *c, struct chart_file **out, size_t *nout,
			const void *data, size_t len, const char *what)
{
	struct archive *a;
	struct archive_entry *e;
	struct chart_file *files = NULL;
	size_t n = 0, cap = 0, total = 0;
	struct strbuf name = STRBUF_INIT, body = STRBUF_INIT;
	int ar, r = la_load();

	if (r)
		return r;
	a = la.read_new();
	la.filter_gzip(a);
	la.format_tar(a);
	if (la.open_memory(a, data, len) != ARCHIVE_OK) {
		r = err_set(ERR_INVALID, "%s: not a chart archive (tar.gz): %s", what,
			    la.error_string(a));
		goto out;
	}
	while ((ar = la.next_header(a, &e)) == ARCHIVE_OK) {
		const char *raw = la.pathname(e);
		const char *slash;
		char *p, *rel;
		unsigned type = la.filetype(e);
		char chunk[65536];
		la_ssize_t got;

		if (!raw) {
			r = err_set(ERR_INVALID, "%s: archive entry without a name", what);
			goto out;
		}
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG || la.hardlink(e)) {
			r = err_set(ERR_INVALID, "%s: archive entry %s is not a regular file; refusing it",
				    what, raw);
			goto out;
		}
		strbuf_reset(&name);
		strbuf_addstr(&name, raw);
		for (p = name.buf; *p; p++)
			if (*p == '\\')
				*p = '/';
		slash = strchr(name.buf, '/');
		if (!slash) {
			r = err_set(ERR_INVALID, "%s: chart yaml not in base directory", what);
			goto out;
		}
		if (illegal_path(slash + 1) || illegal_path(name.buf)) {
			r = err_set(ERR_INVALID, "%s: chart contains illegal path \"%s\"", what, raw);
			goto out;
		}
		rel = clean_name(c, slash + 1);
		if (!rel) {
			r = ERR_TOOBIG;
			goto out;
		}
		if (!*rel) {
			r = err_set(ERR_INVALID, "%s: chart contains illegal path \"%s\"", what, raw);
			goto out;
		}
		if (n >= CHART_MAX_FILES) {
			r = err_set(ERR_TOOBIG, "%s: more than %u files in the chart archive", what,
				    CHART_MAX_FILES);
			goto out;
		}
		strbuf_reset(&body);
		body.limit = CHART_MAX_FILE;
		while ((got = la.read_data(a, chunk, sizeof(chunk))) > 0) {
			if (strbuf_add(&body, chunk, (size_t)got) ||
			    total + body.len > CHART_MAX_TOTAL) {
				r = err_set(ERR_TOOBIG,
					    "%s: %s unpacks to more than the chart limits (%u bytes a file, %u in all)",
					    what, raw, CHART_MAX_FILE, CHART_MAX_TOTAL);
				goto out;
			}
		}
		if (got < 0) {
			r = err_set(ERR_INVALID, "%s: chart archive is corrupt: %s", what,
				    la.error_string(a));
			goto out;
		}
		total += body.len;
		if (n == cap) {
			struct chart_file *nf;
			size_t ncap = cap ? cap * 2 : 32;

			nf = hctx_alloc(c, ncap * sizeof(*nf));
			if (!nf) {
				r = ERR_TOOBIG;
				goto out;
			}
			if (n)
				memcpy(nf, files, n * sizeof(*nf));
			files = nf;
			cap = ncap;
		}
		files[n].name = rel;
		{
			size_t skip = body.len >= 3 && !memcmp(body.buf, "\xef\xbb\xbf", 3) ? 3 : 0;
			size_t blen = body.len - skip;
			char *bytes = chart_mem_take(c, &body);

			if (!bytes) {
				r = ERR_TOOBIG;
				goto out;
			}
			files[n].data = bytes + skip;
			files[n].len = blen;
		}
		n++;
	}
	if (ar != ARCHIVE_EOF) {
		r = err_set(ERR_INVALID, "%s: chart archive is corrupt: %s", what,
			    la.error_string(a));
		goto out;
	}
	if (!n) {
		r = err_set(ERR_INVALID, "%s: no files in chart archive", what);
		goto out;
	}
	*out = files;
	*nout = n;
out:
	la.read_free(a);
	strbuf_release(&name);
	strbuf_release(&body);
	return r;
}
