/*
 * strbuf.h - growable, always NUL-terminated byte buffers.
 *
 * A strbuf is never NULL-buffered: after STRBUF_INIT or strbuf_init(),
 * `buf` points at a valid (possibly empty) string.  strbuf_detach() is the
 * only way to take ownership of the bytes.
 *
 * A buffer filled from the network or a subprocess sets `limit`: any append
 * that would grow `len` past it fails with ERR_TOOBIG and leaves the buffer
 * unchanged, so an attacker cannot make us allocate without bound.
 */
#ifndef HOIST_STRBUF_H
#define HOIST_STRBUF_H

#include "compat.h"
#include <stdarg.h>

struct strbuf {
	size_t alloc;
	size_t len;
	size_t limit; /* 0: unbounded */
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Hands the bytes over; the strbuf is re-initialised and empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Appends return 0, or ERR_TOOBIG when `limit` would be exceeded. */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
int strbuf_addchars(struct strbuf *sb, int c, size_t n);
int strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);

/* Removes trailing whitespace (spaces, tabs, newlines). */
void strbuf_rtrim(struct strbuf *sb);
int strbuf_starts_with(const struct strbuf *sb, const char *prefix);

/*
 * Reads a whole file.  Fails with ERR_TOOBIG (naming the file) when it is
 * larger than `max` bytes (0: no bound), ERR_NOTFOUND when it is missing.
 */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);
/* Reads a stream to EOF, bounded by `max` as above. */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t max, const char *what);

/* Writes `len` bytes to `path` atomically (temp file + rename). */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Appends `s` as a JSON string literal (with quotes). */
int strbuf_add_json_str(struct strbuf *sb, const char *s, size_t len);
/*
 * The same as Go's encoding/json writes it, for bytes that must match a
 * Go tool's (kustomize's hashes): <, > and & escaped, U+2028 and U+2029
 * escaped, invalid UTF-8 as U+FFFD.
 */
int strbuf_add_json_str_go(struct strbuf *sb, const char *s, size_t len);

/* Whether `s` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool utf8_is_valid(const char *s, size_t len);

#endif
