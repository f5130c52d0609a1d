/*
 * value.c - the Go value model of the Helm engine (see value.h).
 *
 * Everything comes from the render's arena.  Lists and maps grow by
 * doubling into fresh arena blocks (the old block is simply abandoned),
 * which wastes at most as much as is live and keeps every value valid for
 * the whole render without reference counting.
 *
 * Maps keep their entries in insertion order with an open-addressing hash
 * index once they pass a handful of keys, and cache their sorted key order
 * until the next change, because templates range over the same map many
 * times and Go always iterates maps in sorted order where it matters
 * (text/template's range, fmt, encoding/json).
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "render/helm/value.h"

#include <stdarg.h>

#define DEFAULT_MAX_ALLOC ((size_t)1 << 30)
#define MAP_LINEAR 8 /* maps up to this many keys are searched linearly */

struct hv_map_ent {
	const char *k;
	size_t klen;
	uint32_t hash;
	struct hv *v;
};

struct hv_map {
	struct hv_map_ent *ents;
	size_t n, cap;
	uint32_t *idx; /* slot -> entry index + 1; 0 is empty */
	size_t idxcap; /* power of two, or 0 while linear */
	uint32_t *sorted; /* entry indexes in key order, valid while !dirty */
	bool dirty;
};

void *hctx_alloc(struct helm_ctx *c, size_t n)
{
	size_t max = c->max_alloc ? c->max_alloc : DEFAULT_MAX_ALLOC;

	if (n > max || arena_used(c->arena) > max - n) {
		err_set(ERR_TOOBIG, "template memory limit of %zu bytes exceeded", max);
		return NULL;
	}
	return arena_alloc(c->arena, n);
}

char *hctx_strndup(struct helm_ctx *c, const char *s, size_t n)
{
	char *p = hctx_alloc(c, n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int hctx_fail(struct helm_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	const char *msg = small;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		small[0] = '\0';
		n = 0;
	} else if ((size_t)n >= sizeof(small)) {
		big = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		msg = big;
	}
	/* The message must outlive the failing call; the arena may be full. */
	c->errmsg = arena_strndup(c->arena, msg, (size_t)n);
	free(big);
	err_set(ERR_INVALID, "%s", c->errmsg);
	return ERR_INVALID;
}

/* Shared immutable scalars: no allocation, no failure. */
static struct hv nil_value = { .kind = HV_NIL, .type = HV_T_NIL };
static struct hv true_value = { .kind = HV_BOOL, .type = HV_T_BOOL, .b = true };
static struct hv false_value = { .kind = HV_BOOL, .type = HV_T_BOOL, .b = false };

struct hv *hv_nil(void)
{
	return &nil_value;
}

struct hv *hv_bool(bool b)
{
	return b ? &true_value : &false_value;
}

static struct hv *new_value(struct helm_ctx *c, enum hv_kind kind, const char *type)
{
	struct hv *v = hctx_alloc(c, sizeof(*v));

	if (v) {
		v->kind = kind;
		v->type = type;
	}
	return v;
}

struct hv *hv_int_t(struct helm_ctx *c, int64_t i, const char *type)
{
	struct hv *v = new_value(c, HV_INT, type);

	if (v)
		v->i = i;
	return v;
}

struct hv *hv_int(struct helm_ctx *c, int64_t i)
{
	return hv_int_t(c, i, HV_T_INT);
}

struct hv *hv_uint_t(struct helm_ctx *c, uint64_t u, const char *type)
{
	struct hv *v = new_value(c, HV_UINT, type);

	if (v)
		v->u = u;
	return v;
}

struct hv *hv_float(struct helm_ctx *c, double f)
{
	struct hv *v = new_value(c, HV_FLOAT, HV_T_FLOAT64);

	if (v)
		v->f = f;
	return v;
}

struct hv *hv_str_t(struct helm_ctx *c, const char *s, size_t len, const char *type)
{
	struct hv *v = new_value(c, HV_STRING, type);

	if (!v)
		return NULL;
	v->s = hctx_strndup(c, s, len);
	if (!v->s)
		return NULL;
	v->len = len;
	return v;
}

struct hv *hv_str(struct helm_ctx *c, const char *s, size_t len)
{
	return hv_str_t(c, s, len, HV_T_STRING);
}

struct hv *hv_cstr(struct helm_ctx *c, const char *s)
{
	return hv_str_t(c, s, strlen(s), HV_T_STRING);
}

struct hv *hv_bytes(struct helm_ctx *c, const void *p, size_t len)
{
	struct hv *v = new_value(c, HV_BYTES, HV_T_BYTES);

	if (!v)
		return NULL;
	v->s = hctx_strndup(c, p, len);
	if (!v->s)
		return NULL;
	v->len = len;
	return v;
}

struct hv *hv_list_new(struct helm_ctx *c, const char *type, size_t hint)
{
	struct hv *v = new_value(c, HV_LIST, type ? type : HV_T_LIST);

	if (!v)
		return NULL;
	v->list = hctx_alloc(c, sizeof(*v->list));
	if (!v->list)
		return NULL;
	if (hint) {
		if (hint > SIZE_MAX / sizeof(struct hv *) / 2)
			hint = 1;
		v->list->items = hctx_alloc(c, hint * sizeof(struct hv *));
		if (!v->list->items)
			return NULL;
		v->list->cap = hint;
	}
	return v;
}

int hv_list_push(struct helm_ctx *c, struct hv *list, struct hv *item)
{
	struct hv_list *l = list->list;

	if (l->n == l->cap) {
		size_t ncap = l->cap < 4 ? 4 : l->cap * 2;
		struct hv **items = hctx_alloc(c, ncap * sizeof(*items));

		if (!items)
			return ERR_TOOBIG;
		if (l->n)
			memcpy(items, l->items, l->n * sizeof(*items));
		l->items = items;
		l->cap = ncap;
	}
	l->items[l->n++] = item;
	return 0;
}

struct hv *hv_map_new(struct helm_ctx *c, const char *type)
{
	struct hv *v = new_value(c, HV_MAP, type ? type : HV_T_MAP);

	if (!v)
		return NULL;
	v->map = hctx_alloc(c, sizeof(*v->map));
	if (!v->map)
		return NULL;
	return v;
}

struct hv *hv_time(struct helm_ctx *c, const struct hv_time *t)
{
	struct hv *v = new_value(c, HV_TIME, HV_T_TIME);

	if (v)
		v->time = *t;
	return v;
}

struct hv *hv_obj(struct helm_ctx *c, const struct hv_class *cls, void *self)
{
	struct hv *v = new_value(c, HV_OBJ, cls->type);

	if (v) {
		v->obj.cls = cls;
		v->obj.self = self;
	}
	return v;
}

/* FNV-1a: keys are short and chosen by the chart's author, not an attacker on the wire. */
static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*k++;
		h *= 16777619u;
	}
	return h;
}

static bool key_eq(const struct hv_map_ent *e, const char *k, size_t n)
{
	return e->klen == n && (n == 0 || memcmp(e->k, k, n) == 0);
}

/* Entry index of `k`, or -1. */
static long map_find(const struct hv_map *m, const char *k, size_t n, uint32_t h)
{
	size_t i, mask;

	if (!m->idxcap) {
		for (i = 0; i < m->n; i++)
			if (m->ents[i].hash == h && key_eq(&m->ents[i], k, n))
				return (long)i;
		return -1;
	}
	mask = m->idxcap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		uint32_t e = m->idx[i];

		if (!e)
			return -1;
		if (m->ents[e - 1].hash == h && key_eq(&m->ents[e - 1], k, n))
			return (long)e - 1;
	}
}

static void index_insert(struct hv_map *m, size_t ent)
{
	size_t mask = m->idxcap - 1, i;

	for (i = m->ents[ent].hash & mask; m->idx[i]; i = (i + 1) & mask)
		;
	m->idx[i] = (uint32_t)ent + 1;
}

static int index_rebuild(struct helm_ctx *c, struct hv_map *m, size_t cap)
{
	size_t i;

	if (m->n <= MAP_LINEAR) {
		m->idx = NULL;
		m->idxcap = 0;
		return 0;
	}
	m->idx = hctx_alloc(c, cap * sizeof(*m->idx));
	if (!m->idx)
		return ERR_TOOBIG;
	m->idxcap = cap;
	for (i = 0; i < m->n; i++)
		index_insert(m, i);
	return 0;
}

struct hv *hv_map_get(const struct hv *map, const char *key, size_t klen)
{
	const struct hv_map *m = map->map;
	long i;

	if (!m || !m->n)
		return NULL;
	i = map_find(m, key, klen, key_hash(key, klen));
	return i < 0 ? NULL : m->ents[i].v;
}

int hv_map_set(struct helm_ctx *c, struct hv *map, const char *key, size_t klen,
	       struct hv *val)
{
	struct hv_map *m = map->map;
	uint32_t h = key_hash(key, klen);
	long i;
	struct hv_map_ent *e;

	if (!m) /* a nil map: a missing map argument, as Go passes one */
		return hctx_fail(c, "assignment to entry in nil map");
	i = m->n ? map_find(m, key, klen, h) : -1;
	if (i >= 0) {
		m->ents[i].v = val;
		return 0;
	}
	if (m->n == m->cap) {
		size_t ncap = m->cap < 4 ? 4 : m->cap * 2;
		struct hv_map_ent *ents = hctx_alloc(c, ncap * sizeof(*ents));

		if (!ents)
			return ERR_TOOBIG;
		if (m->n)
			memcpy(ents, m->ents, m->n * sizeof(*ents));
		m->ents = ents;
		m->cap = ncap;
	}
	e = &m->ents[m->n];
	e->k = hctx_strndup(c, key, klen);
	if (!e->k)
		return ERR_TOOBIG;
	e->klen = klen;
	e->hash = h;
	e->v = val;
	m->n++;
	m->dirty = true;
	if (m->n > MAP_LINEAR) {
		/* Keep the load factor at or below one half. */
		if (m->n * 2 > m->idxcap)
			return index_rebuild(c, m, m->idxcap ? m->idxcap * 2 : 32);
		index_insert(m, m->n - 1);
	}
	return 0;
}

bool hv_map_del(struct hv *map, const char *key, size_t klen)
{
	struct hv_map *m = map->map;
	long i = m && m->n ? map_find(m, key, klen, key_hash(key, klen)) : -1;
	size_t j, mask;

	if (i < 0)
		return false;
	memmove(&m->ents[i], &m->ents[i + 1], (m->n - (size_t)i - 1) * sizeof(*m->ents));
	m->n--;
	m->dirty = true;
	if (m->idxcap) {
		/* Rebuild in place: the table is big enough for one key fewer. */
		if (m->n <= MAP_LINEAR) {
			m->idx = NULL;
			m->idxcap = 0;
		} else {
			mask = m->idxcap;
			memset(m->idx, 0, mask * sizeof(*m->idx));
			for (j = 0; j < m->n; j++)
				index_insert(m, j);
		}
	}
	return true;
}

size_t hv_map_len(const struct hv *map)
{
	return map->map ? map->map->n : 0;
}

static int ent_cmp(const struct hv_map_ent *a, const struct hv_map_ent *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int r = n ? memcmp(a->k, b->k, n) : 0;

	if (r)
		return r;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* Sorts m->sorted by key: a merge sort, stable and O(n log n) on any input. */
static void sort_idx(const struct hv_map *m, uint32_t *v, uint32_t *tmp, size_t n)
{
	size_t mid, i, j, k;

	if (n < 2)
		return;
	if (n <= 8) {
		for (i = 1; i < n; i++) {
			uint32_t x = v[i];

			for (j = i; j > 0 && ent_cmp(&m->ents[v[j - 1]], &m->ents[x]) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	mid = n / 2;
	sort_idx(m, v, tmp, mid);
	sort_idx(m, v + mid, tmp, n - mid);
	for (i = 0, j = mid, k = 0; i < mid && j < n;)
		tmp[k++] = ent_cmp(&m->ents[v[j]], &m->ents[v[i]]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

int hv_map_keys(struct helm_ctx *c, const struct hv *map, const char ***keys,
		size_t **lens, size_t *n)
{
	struct hv_map *m = map->map;
	size_t i;

	*keys = NULL;
	*lens = NULL;
	*n = m ? m->n : 0;
	if (!*n)
		return 0;
	if (m->dirty || !m->sorted) {
		uint32_t *tmp = hctx_alloc(c, m->n * sizeof(*tmp));

		m->sorted = hctx_alloc(c, m->n * sizeof(*m->sorted));
		if (!tmp || !m->sorted) {
			m->sorted = NULL;
			return ERR_TOOBIG;
		}
		for (i = 0; i < m->n; i++)
			m->sorted[i] = (uint32_t)i;
		sort_idx(m, m->sorted, tmp, m->n);
		m->dirty = false;
	}
	*keys = hctx_alloc(c, m->n * sizeof(**keys));
	*lens = hctx_alloc(c, m->n * sizeof(**lens));
	if (!*keys || !*lens)
		return ERR_TOOBIG;
	for (i = 0; i < m->n; i++) {
		(*keys)[i] = m->ents[m->sorted[i]].k;
		(*lens)[i] = m->ents[m->sorted[i]].klen;
	}
	return 0;
}

bool hv_truth(const struct hv *v)
{
	switch (v->kind) {
	case HV_NIL:
		return false;
	case HV_BOOL:
		return v->b;
	case HV_INT:
		return v->i != 0;
	case HV_UINT:
		return v->u != 0;
	case HV_FLOAT:
		return v->f != 0;
	case HV_STRING:
	case HV_BYTES:
		return v->len > 0;
	case HV_LIST:
		return v->list->n > 0;
	case HV_MAP:
		return hv_map_len(v) > 0;
	case HV_TIME:
	case HV_OBJ:
		/* Structs are always true; our objects are non-nil pointers. */
		return true;
	}
	return false;
}

struct hv *hv_deep_copy(struct helm_ctx *c, const struct hv *v)
{
	struct hv *out;
	size_t i;

	switch (v->kind) {
	case HV_LIST:
		out = hv_list_new(c, v->type, v->list->n);
		if (!out)
			return NULL;
		for (i = 0; i < v->list->n; i++) {
			struct hv *item = hv_deep_copy(c, v->list->items[i]);

			if (!item || hv_list_push(c, out, item))
				return NULL;
		}
		return out;
	case HV_MAP: {
		const struct hv_map *m = v->map;

		out = hv_map_new(c, v->type);
		if (!out)
			return NULL;
		for (i = 0; m && i < m->n; i++) {
			struct hv *item = hv_deep_copy(c, m->ents[i].v);

			if (!item || hv_map_set(c, out, m->ents[i].k, m->ents[i].klen, item))
				return NULL;
		}
		return out;
	}
	case HV_BYTES:
		return hv_bytes(c, v->s, v->len);
	default:
		/* Scalars are immutable and shared. */
		return (struct hv *)v;
	}
}
