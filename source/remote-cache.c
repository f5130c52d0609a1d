/*
 * remote-cache.c - the cache of remote inputs, shared by every render on
 * the machine.
 *
 * Layout under $HOIST_CACHE_DIR:
 *   blobs/sha256/<hex>   HTTP files, named by their content
 *   git/<key>.git        one bare repository per remote URL (key: sha256 of
 *                        the URL); its objects are named by their hashes
 *   locks/<name>.lock    flock(2) files of writers
 * A blob is written to a temporary file and renamed into place, so a reader
 * sees all of it or nothing; Git fetches into one repository are
 * serialised by its lock.  Entries are trimmed least recently used first
 * (by mtime, touched on use) when the cache outgrows its bound.
 */
#include "core/compat.h"
#include "source/remote.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int mkdir_p(const char *path)
{
	struct strbuf p = STRBUF_INIT;
	size_t i;
	int r = 0;

	strbuf_addstr(&p, path);
	for (i = 1; i <= p.len; i++) {
		if (p.buf[i] != '/' && p.buf[i] != '\0')
			continue;
		p.buf[i] = '\0';
		if (mkdir(p.buf, 0700) && errno != EEXIST) {
			r = err_set(ERR_GENERIC, "%s: cannot create: %s", p.buf, strerror(errno));
			break;
		}
		if (i < p.len)
			p.buf[i] = '/';
	}
	strbuf_release(&p);
	return r;
}

int remote_cache_path(struct strbuf *out, const struct remote_ctx *c, const char *sub)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s/%s", c->cache_dir, sub);
	return mkdir_p(out->buf);
}

static int blob_path(struct strbuf *out, const struct remote_ctx *c, const char *digest)
{
	if (strncmp(digest, "sha256:", 7) || !digest_is_valid(digest))
		return err_set(ERR_INVALID, "'%s' is not a sha256 digest", digest);
	if (remote_cache_path(out, c, "blobs/sha256"))
		return ERR_GENERIC;
	strbuf_addf(out, "/%s", digest + 7);
	return 0;
}

int remote_cache_get(struct strbuf *out, const struct remote_ctx *c, const char *digest,
		     size_t max)
{
	struct strbuf p = STRBUF_INIT;
	char got[DIGEST_STR_SIZE];
	int r;

	r = blob_path(&p, c, digest);
	if (!r && access(p.buf, F_OK))
		r = ERR_NOTFOUND;
	if (!r)
		r = strbuf_read_file(out, p.buf, max);
	if (!r) {
		/* A damaged entry is a miss, never an input. */
		digest_sha256(got, out->buf, out->len);
		if (strcmp(got, digest)) {
			unlink(p.buf);
			strbuf_reset(out);
			r = ERR_NOTFOUND;
		} else {
			utimensat(AT_FDCWD, p.buf, NULL, 0); /* recently used */
		}
	}
	if (r == ERR_NOTFOUND)
		err_set(ERR_NOTFOUND, "%s is not in the cache", digest);
	strbuf_release(&p);
	return r;
}

int remote_cache_put(const struct remote_ctx *c, const void *data, size_t len, char *digest)
{
	struct strbuf p = STRBUF_INIT;
	int r;

	digest_sha256(digest, data, len);
	r = blob_path(&p, c, digest);
	if (!r)
		r = write_file_atomic(p.buf, data, len, 0600);
	strbuf_release(&p);
	return r;
}

int remote_cache_lock(const struct remote_ctx *c, const char *name, int *fd)
{
	struct strbuf p = STRBUF_INIT;
	int r;

	*fd = -1;
	r = remote_cache_path(&p, c, "locks");
	if (r)
		goto out;
	strbuf_addf(&p, "/%s.lock", name);
	*fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		r = err_set(ERR_GENERIC, "%s: %s", p.buf, strerror(errno));
		goto out;
	}
	while (flock(*fd, LOCK_EX)) {
		if (errno == EINTR)
			continue;
		r = err_set(ERR_GENERIC, "%s: cannot lock: %s", p.buf, strerror(errno));
		close(*fd);
		*fd = -1;
		break;
	}
out:
	strbuf_release(&p);
	return r;
}

void remote_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

struct centry {
	char *path;
	uint64_t size;
	time_t mtime;
	bool dir;
};

static uint64_t tree_size(const char *path, time_t *newest)
{
	struct stat st;
	uint64_t total = 0;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st))
		return 0;
	if (st.st_mtime > *newest)
		*newest = st.st_mtime;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct strbuf p = STRBUF_INIT;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_addf(&p, "%s/%s", path, e->d_name);
		total += tree_size(p.buf, newest);
		strbuf_release(&p);
	}
	closedir(d);
	return total;
}

static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st))
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			struct strbuf p = STRBUF_INIT;
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			strbuf_addf(&p, "%s/%s", path, e->d_name);
			remove_tree(p.buf);
			strbuf_release(&p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void collect(struct centry **v, size_t *n, size_t *alloc, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct centry *c;
		time_t newest = 0;
		struct strbuf p = STRBUF_INIT;

		if (e->d_name[0] == '.')
			continue;
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		ALLOC_GROW(*v, *n + 1, *alloc);
		c = &(*v)[(*n)++];
		c->size = tree_size(p.buf, &newest);
		c->mtime = newest;
		c->path = strbuf_detach(&p, NULL);
	}
	closedir(d);
}

static int centry_cmp(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

void remote_cache_trim(const struct remote_ctx *c)
{
	struct strbuf blobs = STRBUF_INIT, git = STRBUF_INIT;
	struct centry *v = NULL;
	size_t n = 0, alloc = 0, i;
	uint64_t total = 0;
	int fd;

	/*
	 * One trimmer at a time; a Git repository being fetched holds its own
	 * lock and is skipped (removing it under a fetch would fail the fetch).
	 */
	if (remote_cache_lock(c, "trim", &fd)) {
		err_clear();
		return;
	}
	strbuf_addf(&blobs, "%s/blobs/sha256", c->cache_dir);
	strbuf_addf(&git, "%s/git", c->cache_dir);
	collect(&v, &n, &alloc, blobs.buf);
	collect(&v, &n, &alloc, git.buf);
	for (i = 0; i < n; i++)
		total += v[i].size;
	qsort(v, n, sizeof(*v), centry_cmp);
	for (i = 0; i < n && total > c->cache_max; i++) {
		const char *base = strrchr(v[i].path, '/') + 1;
		size_t bl = strlen(base);
		int lfd = -1;

		if (bl > 4 && !strcmp(base + bl - 4, ".git")) {
			struct strbuf name = STRBUF_INIT;
			strbuf_addf(&name, "git-%.*s", (int)(bl - 4), base);
			if (remote_cache_lock(c, name.buf, &lfd)) {
				err_clear();
				strbuf_release(&name);
				continue;
			}
			strbuf_release(&name);
		}
		remove_tree(v[i].path);
		remote_cache_unlock(lfd);
		total -= v[i].size;
	}
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	strbuf_release(&blobs);
	strbuf_release(&git);
	remote_cache_unlock(fd);
}
