#include "compat.h"
#include "strbuf.h"
#include "err.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = sb->limit = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *r;

	if (!sb->alloc)
		r = xstrdup("");
	else
		r = sb->buf;
	if (len)
		*len = sb->len;
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	return r;
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

int strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want;

	if (sb->limit && (extra > sb->limit || sb->len > sb->limit - extra))
		return err_set(ERR_TOOBIG, "data exceeds the limit of %zu bytes",
			       sb->limit);
	if (extra > SIZE_MAX - sb->len - 1)
		return err_set(ERR_TOOBIG, "buffer size overflow");
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return 0;
	{
		size_t na = sb->alloc < 64 ? 64 : sb->alloc;
		char *nb;

		while (na < want)
			na = na > SIZE_MAX / 2 ? want : na * 2;
		nb = sb->alloc ? xrealloc(sb->buf, na) : xmalloc(na);
		if (!sb->alloc)
			nb[0] = '\0';
		sb->buf = nb;
		sb->alloc = na;
	}
	return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	int r = strbuf_grow(sb, len);

	if (r)
		return r;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;
	return strbuf_add(sb, &ch, 1);
}

int strbuf_addchars(struct strbuf *sb, int c, size_t n)
{
	int r = strbuf_grow(sb, n);

	if (r)
		return r;
	memset(sb->buf + sb->len, c, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_addbuf(struct strbuf *sb, const struct strbuf *other)
{
	return strbuf_add(sb, other->buf, other->len);
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return err_set(ERR_GENERIC, "bad format string");
	r = strbuf_grow(sb, (size_t)n);
	if (r)
		return r;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return r;
}

void strbuf_rtrim(struct strbuf *sb)
{
	while (sb->len && strchr(" \t\r\n", sb->buf[sb->len - 1]))
		sb->len--;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
}

int strbuf_starts_with(const struct strbuf *sb, const char *prefix)
{
	size_t n = strlen(prefix);
	return sb->len >= n && !memcmp(sb->buf, prefix, n);
}

int strbuf_read_fd(struct strbuf *sb, int fd, size_t max, const char *what)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(ERR_GENERIC, "%s: read error: %s", what,
				       strerror(errno));
		}
		if (n == 0)
			return 0;
		if (max && sb->len + (size_t)n > max)
			return err_set(ERR_TOOBIG,
				       "%s: larger than the limit of %zu bytes",
				       what, max);
		strbuf_add(sb, chunk, (size_t)n);
	}
}

int strbuf_read_file(struct strbuf *sb, const char *path, size_t max)
{
	struct stat st;
	int fd;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_GENERIC,
			       "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && max && (size_t)st.st_size > max) {
		close(fd);
		return err_set(ERR_TOOBIG,
			       "%s: file is %lld bytes, larger than the limit of %zu",
			       path, (long long)st.st_size, max);
	}
	if (st.st_size > 0)
		strbuf_grow(sb, (size_t)st.st_size);
	r = strbuf_read_fd(sb, fd, max, path);
	close(fd);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *p = data;
	int fd;
	int r = 0;

	strbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		r = err_set(ERR_GENERIC, "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = err_set(ERR_GENERIC, "%s: write error: %s", tmp.buf,
				    strerror(errno));
			close(fd);
			unlink(tmp.buf);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp.buf, path) < 0) {
		r = err_set(ERR_GENERIC, "%s: %s", path, strerror(errno));
		unlink(tmp.buf);
	}
out:
	strbuf_release(&tmp);
	return r;
}

/*
 * One writer for both dialects.  Plain: bytes from 0x80 up are copied as
 * they are.  Go (encoding/json): <, > and & are escaped, U+2028/U+2029
 * too, and invalid UTF-8 becomes U+FFFD.
 */
static int add_json_str(struct strbuf *sb, const char *s, size_t len, bool go)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	strbuf_addch(sb, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c < 0x80 || !go) {
			switch (c) {
			case '"': strbuf_addstr(sb, "\\\""); break;
			case '\\': strbuf_addstr(sb, "\\\\"); break;
			case '\n': strbuf_addstr(sb, "\\n"); break;
			case '\r': strbuf_addstr(sb, "\\r"); break;
			case '\t': strbuf_addstr(sb, "\\t"); break;
			case '\b': strbuf_addstr(sb, "\\b"); break;
			case '\f': strbuf_addstr(sb, "\\f"); break;
			default:
				if (c < 0x20 || (go && (c == '<' || c == '>' || c == '&'))) {
					strbuf_addstr(sb, "\\u00");
					strbuf_addch(sb, hex[c >> 4]);
					strbuf_addch(sb, hex[c & 15]);
				} else {
					strbuf_addch(sb, (char)c);
				}
			}
			i++;
			continue;
		}
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (i + n > len || !utf8_is_valid(s + i, n)) {
			strbuf_addstr(sb, "\\ufffd");
			i++;
			continue;
		}
		if (n == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
			strbuf_addstr(sb, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
		else
			strbuf_add(sb, s + i, n);
		i += n;
	}
	return strbuf_addch(sb, '"');
}

int strbuf_add_json_str(struct strbuf *sb, const char *s, size_t len)
{
	return add_json_str(sb, s, len, false);
}

/* Whether `s` is valid UTF-8 as Go's utf8.Valid sees it (no surrogates, no overlongs). */
bool utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned lo = 0x80, hi = 0xbf, i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		if (p[1] < lo || p[1] > hi)
			return false;
		for (i = 2; i <= n; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return false;
		p += n + 1;
	}
	return true;
}

int strbuf_add_json_str_go(struct strbuf *sb, const char *s, size_t len)
{
	return add_json_str(sb, s, len, true);
}
