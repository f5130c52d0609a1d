#include "compat.h"
#include "arena.h"

/*
 * Blocks start small and double up to ARENA_CHUNK: most arenas hold one
 * small document (an API reply of a few KiB, of which the agent keeps one
 * per object), and a first block of 64 KiB cost each of them 16 pages to
 * fault in and keep.  Big documents reach 64 KiB blocks after four.
 */
#define ARENA_FIRST (4 * 1024)
#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	/* data follows, aligned */
};

struct arena {
	struct arena_block *head;
	size_t total;
};

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

#define HDR (((sizeof(struct arena_block)) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	a->total += n;
#ifdef HOIST_ARENA_MALLOC
	b = xcalloc(1, HDR + n);
	b->size = b->used = n;
	b->next = a->head;
	a->head = b;
	return (char *)b + HDR;
#else
	char *p;

	if (!b || b->size - b->used < n) {
		size_t next = !b ? ARENA_FIRST : b->size < ARENA_CHUNK ? 2 * b->size : ARENA_CHUNK;
		size_t sz = n > ARENA_CHUNK / 4 ? n : n > next - HDR ? ARENA_CHUNK : next - HDR;
		struct arena_block *nb = xmalloc(HDR + sz);

		nb->size = sz;
		nb->used = 0;
		if (b && n > ARENA_CHUNK / 4) {
			/* Keep filling the current block; chain the big one behind it. */
			nb->next = b->next;
			b->next = nb;
			nb->used = n;
			p = (char *)nb + HDR;
			memset(p, 0, n);
			return p;
		}
		nb->next = b;
		a->head = b = nb;
	}
	p = (char *)b + HDR + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
#endif
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

size_t arena_used(const struct arena *a)
{
	return a->total;
}
