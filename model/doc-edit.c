/*
 * doc-edit.c - editing document trees in place.
 *
 * Parsed trees share aliased subtrees, so an edit through one path could
 * show through another; renderers that edit clone what they take from a
 * stream first (doc_clone), which also turns aliases into copies.
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/arena.h"

void doc_map_set(struct arena *a, struct doc_node *map, const char *key,
		 struct doc_node *value)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < map->n; i++) {
		struct doc_node *k = map->kids[2 * i];
		if (k->kind == DOC_SCALAR && k->len == kl && !memcmp(k->str, key, kl)) {
			map->kids[2 * i + 1] = value;
			return;
		}
	}
	doc_map_append(a, map, doc_new_scalar(a, key, kl, DOC_STYLE_PLAIN), value);
}

bool doc_map_del(struct doc_node *map, const char *key)
{
	size_t i, kl = strlen(key);

	if (!map || map->kind != DOC_MAP)
		return false;
	for (i = 0; i < map->n; i++) {
		struct doc_node *k = map->kids[2 * i];
		if (k->kind == DOC_SCALAR && k->len == kl && !memcmp(k->str, key, kl)) {
			memmove(&map->kids[2 * i], &map->kids[2 * i + 2],
				(map->n - i - 1) * 2 * sizeof(*map->kids));
			map->n--;
			return true;
		}
	}
	return false;
}

void doc_seq_del(struct doc_node *seq, size_t i)
{
	if (i >= seq->n)
		return;
	memmove(&seq->kids[i], &seq->kids[i + 1], (seq->n - i - 1) * sizeof(*seq->kids));
	seq->n--;
}

/*
 * The origin file name and the tags live in the source stream's arena,
 * which may be freed long before the clone (kustomize clones every
 * resource out of its file's stream, then frees the stream); the clone
 * gets its own copies, one file name shared by all nodes from that file.
 */
static struct doc_node *clone_node(struct arena *a, const struct doc_node *n,
				   const char **from, const char **to)
{
	struct doc_node *c = arena_alloc(a, sizeof(*c));
	size_t i, slots;

	*c = *n;
	if (n->file && n->file != *from) {
		*from = n->file;
		*to = arena_strdup(a, n->file);
	}
	if (n->file)
		c->file = *to;
	if (n->tag)
		c->tag = arena_strdup(a, n->tag);
	if (n->kind == DOC_SCALAR) {
		c->str = arena_strndup(a, n->str, n->len);
		return c;
	}
	slots = n->kind == DOC_MAP ? 2 * n->n : n->n;
	c->cap = n->n;
	c->kids = slots ? arena_alloc(a, slots * sizeof(*c->kids)) : NULL;
	for (i = 0; i < slots; i++)
		c->kids[i] = clone_node(a, n->kids[i], from, to);
	return c;
}

struct doc_node *doc_clone(struct arena *a, const struct doc_node *n)
{
	const char *from = NULL, *to = NULL;

	return clone_node(a, n, &from, &to);
}

struct doc_node *doc_map_ensure_map(struct arena *a, struct doc_node *map, const char *key)
{
	struct doc_node *v = doc_map_get(map, key);

	if (v && v->kind == DOC_MAP)
		return v;
	if (v && !(v->kind == DOC_SCALAR && v->style == DOC_STYLE_PLAIN &&
		   (!v->len || !strcmp(v->str, "null") || !strcmp(v->str, "~"))))
		return NULL;
	v = doc_new_map(a);
	doc_map_set(a, map, key, v);
	return v;
}

bool doc_equal(const struct doc_node *x, const struct doc_node *y)
{
	size_t i, slots;

	if (x->kind != y->kind)
		return false;
	if (x->kind == DOC_SCALAR) {
		struct doc_value vx, vy;
		if (doc_resolve(x, &vx) || doc_resolve(y, &vy) || vx.type != vy.type)
			return false;
		return x->len == y->len && !memcmp(x->str, y->str, x->len);
	}
	if (x->n != y->n)
		return false;
	slots = x->kind == DOC_MAP ? 2 * x->n : x->n;
	for (i = 0; i < slots; i++)
		if (!doc_equal(x->kids[i], y->kids[i]))
			return false;
	return true;
}
