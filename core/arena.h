/*
 * arena.h - bump allocation for parsed documents, freed as a whole.
 *
 * A parsed YAML stream allocates thousands of small nodes that all die
 * together; an arena makes that one free.  Built with -DHOIST_ARENA_MALLOC
 * (the asan and valgrind targets do), every block is its own malloc so the
 * sanitizers see overflows and leaks per allocation.
 */
#ifndef HOIST_ARENA_H
#define HOIST_ARENA_H

#include "compat.h"

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Zeroed, aligned for any type. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Bytes handed out so far, for limits and benchmarks. */
size_t arena_used(const struct arena *a);

#endif
