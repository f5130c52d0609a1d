/*
 * compat.h - included first by every hoist source file.
 *
 * Turns the C library functions that are easy to misuse (unbounded copies,
 * hidden static state, silent conversion errors) into compile errors, so a
 * review never has to look for them.  Use strbuf, xsnprintf, gmtime_r and
 * strtol-based parsing instead.
 */
#ifndef HOIST_COMPAT_H
#define HOIST_COMPAT_H

#define _GNU_SOURCE 1
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#define BANNED(func) sorry_##func##_is_banned_in_hoist

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(s) BANNED(atoi)
#undef mktemp
#define mktemp(s) BANNED(mktemp)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/*
 * Memory allocation never fails from the caller's point of view: running
 * out of memory aborts the process with a message, as git's xmalloc does.
 * Sizes that come from untrusted input are bounded before they get here.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* snprintf that must not truncate: truncation is a programming error. */
int xsnprintf(char *dst, size_t max, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Grow an array of `nr` used elements to hold at least `want`. */
#define ALLOC_GROW(arr, want, alloc)                                          \
	do {                                                                  \
		if ((size_t)(want) > (alloc)) {                               \
			size_t a_ = (alloc) < 8 ? 8 : (alloc) * 2;             \
			if (a_ < (size_t)(want))                               \
				a_ = (want);                                   \
			(arr) = xrealloc((arr), a_ * sizeof(*(arr)));          \
			(alloc) = a_;                                          \
		}                                                             \
	} while (0)

#endif
