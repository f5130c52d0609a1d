/*
 * sprig-lists.c - Sprig's list and dict functions, with mergo 0.3.12's
 * merge rules behind merge/mergeOverwrite (the version Debian's Sprig
 * 3.2.3 builds against).
 *
 * Go's map iteration order is random; where Sprig's result depends on it
 * (keys, values) we use the sorted order, which is one of Go's possible
 * outcomes and keeps renders reproducible.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#define NIL_DEREF "runtime error: invalid memory address or nil pointer dereference"

/* The items of a list-like value; false when Go's reflect would not see a slice. */
static bool as_list(const struct hv *v)
{
	return v->kind == HV_LIST;
}

static int need_list(struct helm_ctx *c, const struct hv *v, const char *what)
{
	if (v->kind == HV_NIL)
		return hctx_fail(c, NIL_DEREF);
	return hctx_fail(c, "%s %s", what, sprig_kind(v));
}

static struct hv *new_list(struct helm_ctx *c, size_t hint)
{
	return hv_list_new(c, HV_T_LIST, hint);
}

/* reflect.DeepEqual of two values that are not both maps or both lists of one type. */
static bool scalar_equal(const struct hv *x, const struct hv *y)
{
	if (x == y)
		return true;
	if (x->kind != y->kind || strcmp(x->type, y->type))
		return false;
	switch (x->kind) {
	case HV_NIL:
		return true;
	case HV_BOOL:
		return x->b == y->b;
	case HV_INT:
		return x->i == y->i;
	case HV_UINT:
		return x->u == y->u;
	case HV_FLOAT:
		return x->f == y->f;
	case HV_STRING:
	case HV_BYTES:
		return x->len == y->len && !memcmp(x->s, y->s, x->len);
	case HV_TIME:
		return x->time.sec == y->time.sec && x->time.nsec == y->time.nsec &&
		       x->time.offset == y->time.offset;
	default:
		return x->obj.self == y->obj.self;
	}
}

/* Maps need the arena for their key list; this is the full DeepEqual. */
bool sprig_deep_equal(struct helm_ctx *c, const struct hv *x, const struct hv *y)
{
	const char **keys;
	size_t *lens, nk, i;

	if (x->kind == HV_MAP && y->kind == HV_MAP && !strcmp(x->type, y->type)) {
		if (hv_map_len(x) != hv_map_len(y))
			return false;
		if (hv_map_keys(c, x, &keys, &lens, &nk))
			return false;
		for (i = 0; i < nk; i++) {
			const struct hv *yv = hv_map_get(y, keys[i], lens[i]);
			if (!yv || !sprig_deep_equal(c, hv_map_get(x, keys[i], lens[i]), yv))
				return false;
		}
		return true;
	}
	if (x->kind == HV_LIST && y->kind == HV_LIST && !strcmp(x->type, y->type)) {
		if (x->list->n != y->list->n)
			return false;
		for (i = 0; i < x->list->n; i++)
			if (!sprig_deep_equal(c, x->list->items[i], y->list->items[i]))
				return false;
		return true;
	}
	return scalar_equal(x, y);
}

SPRIG_FN(sf_deepequal)
{
	*out = hv_bool(sprig_deep_equal(c, a[0], a[1]));
	return 0;
}

SPRIG_FN(sf_list)
{
	struct hv *l = new_list(c, n);
	size_t i;

	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++)
		if (hv_list_push(c, l, a[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

static int copy_items(struct helm_ctx *c, struct hv *dst, const struct hv *src)
{
	size_t i;

	for (i = 0; i < src->list->n; i++)
		if (hv_list_push(c, dst, src->list->items[i]))
			return ERR_TOOBIG;
	return 0;
}

SPRIG_FN(sf_push)
{
	struct hv *l;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot push on type");
	l = new_list(c, a[0]->list->n + 1);
	if (!l || copy_items(c, l, a[0]) || hv_list_push(c, l, a[1]))
		return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_prepend)
{
	struct hv *l;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot prepend on type");
	l = new_list(c, a[0]->list->n + 1);
	if (!l || hv_list_push(c, l, a[1]) || copy_items(c, l, a[0]))
		return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_first)
{
	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find first on type");
	*out = a[0]->list->n ? a[0]->list->items[0] : hv_nil();
	return 0;
}

SPRIG_FN(sf_last)
{
	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find last on type");
	*out = a[0]->list->n ? a[0]->list->items[a[0]->list->n - 1] : hv_nil();
	return 0;
}

static int sub_list(struct helm_ctx *c, struct hv **out, const struct hv *v, size_t from,
		    size_t to)
{
	struct hv *l = new_list(c, to - from);
	size_t i;

	if (!l)
		return ERR_TOOBIG;
	for (i = from; i < to; i++)
		if (hv_list_push(c, l, v->list->items[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_rest)
{
	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find rest on type");
	/* Sprig returns a nil []interface{}: an empty list, not a nil interface. */
	if (!a[0]->list->n)
		return sprig_ret(out, new_list(c, 0));
	return sub_list(c, out, a[0], 1, a[0]->list->n);
}

SPRIG_FN(sf_initial)
{
	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find initial on type");
	/* Sprig returns a nil []interface{}: an empty list, not a nil interface. */
	if (!a[0]->list->n)
		return sprig_ret(out, new_list(c, 0));
	return sub_list(c, out, a[0], 0, a[0]->list->n - 1);
}

SPRIG_FN(sf_reverse)
{
	struct hv *l;
	size_t i;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find reverse on type");
	l = new_list(c, a[0]->list->n);
	if (!l)
		return ERR_TOOBIG;
	for (i = a[0]->list->n; i-- > 0;)
		if (hv_list_push(c, l, a[0]->list->items[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_compact)
{
	struct hv *l;
	size_t i;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot compact on type");
	l = new_list(c, 0);
	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < a[0]->list->n; i++)
		if (!sprig_empty(a[0]->list->items[i]) &&
		    hv_list_push(c, l, a[0]->list->items[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

static bool in_list(struct helm_ctx *c, const struct hv *l, const struct hv *x)
{
	size_t i;

	for (i = 0; i < l->list->n; i++)
		if (sprig_deep_equal(c, x, l->list->items[i]))
			return true;
	return false;
}

SPRIG_FN(sf_uniq)
{
	struct hv *l;
	size_t i;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find uniq on type");
	l = new_list(c, 0);
	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < a[0]->list->n; i++)
		if (!in_list(c, l, a[0]->list->items[i]) &&
		    hv_list_push(c, l, a[0]->list->items[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_without)
{
	struct hv *l;
	size_t i, k;

	if (!as_list(a[0]))
		return need_list(c, a[0], "Cannot find without on type");
	l = new_list(c, 0);
	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < a[0]->list->n; i++) {
		bool drop = false;
		for (k = 1; k < n && !drop; k++)
			drop = sprig_deep_equal(c, a[k], a[0]->list->items[i]);
		if (!drop && hv_list_push(c, l, a[0]->list->items[i]))
			return ERR_TOOBIG;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_has)
{
	if (a[1]->kind == HV_NIL) {
		*out = hv_bool(false);
		return 0;
	}
	if (!as_list(a[1]))
		return need_list(c, a[1], "Cannot find has on type");
	*out = hv_bool(in_list(c, a[1], a[0]));
	return 0;
}

SPRIG_FN(sf_slice)
{
	int64_t st = 0, en, len;
	struct hv *l;
	size_t i;

	if (!as_list(a[0]))
		return need_list(c, a[0], "list should be type of slice or array but");
	len = (int64_t)a[0]->list->n;
	if (!len) {
		*out = hv_nil();
		return 0;
	}
	if (n > 1)
		st = sprig_to_int64(a[1]);
	en = n > 2 ? sprig_to_int64(a[2]) : len;
	if (st < 0 || en < st || en > len)
		return hctx_fail(c, "reflect.Value.Slice: slice index out of range");
	l = hv_list_new(c, a[0]->type, (size_t)(en - st));
	if (!l)
		return ERR_TOOBIG;
	for (i = (size_t)st; i < (size_t)en; i++)
		if (hv_list_push(c, l, a[0]->list->items[i]))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_concat)
{
	struct hv *l = new_list(c, 0);
	size_t i;

	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		if (a[i]->kind == HV_NIL)
			return hctx_fail(c, NIL_DEREF);
		if (!as_list(a[i]))
			return hctx_fail(c, "Cannot concat type %s as list", sprig_kind(a[i]));
		if (copy_items(c, l, a[i]))
			return ERR_TOOBIG;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_chunk)
{
	int64_t size = a[0]->i, len, cs, i, j;
	struct hv *res;

	if (!as_list(a[1]))
		return need_list(c, a[1], "Cannot chunk type");
	len = (int64_t)a[1]->list->n;
	if (size <= 0)
		return hctx_fail(c, "runtime error: makeslice: len out of range");
	cs = len ? (len - 1) / size + 1 : 0;
	res = hv_list_new(c, "[][]interface {}", (size_t)cs);
	if (!res)
		return ERR_TOOBIG;
	for (i = 0; i < cs; i++) {
		int64_t clen = size;
		struct hv *ch;
		if (i == cs - 1) {
			clen = len % size;
			if (!clen)
				clen = size;
		}
		if (i * size + clen > len)
			return hctx_fail(c, "reflect: slice index out of range");
		ch = new_list(c, (size_t)clen);
		if (!ch)
			return ERR_TOOBIG;
		for (j = 0; j < clen; j++)
			if (hv_list_push(c, ch, a[1]->list->items[i * size + j]))
				return ERR_TOOBIG;
		if (hv_list_push(c, res, ch))
			return ERR_TOOBIG;
	}
	*out = res;
	return 0;
}

static int int_list(struct helm_ctx *c, struct hv **out, int64_t start, int64_t stop,
		    int64_t step)
{
	struct hv *l = hv_list_new(c, "[]int", 0);
	int64_t i;

	if (!l)
		return ERR_TOOBIG;
	if (stop < start) {
		if (step < 0)
			for (i = start; i > stop; i += step)
				if (hv_list_push(c, l, hv_int(c, i)))
					return ERR_TOOBIG;
	} else if (step > 0) {
		for (i = start; i < stop; i += step)
			if (hv_list_push(c, l, hv_int(c, i)))
				return ERR_TOOBIG;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_until)
{
	return int_list(c, out, 0, a[0]->i, a[0]->i < 0 ? -1 : 1);
}

SPRIG_FN(sf_untilstep)
{
	return int_list(c, out, a[0]->i, a[1]->i, a[2]->i);
}

SPRIG_FN(sf_seq)
{
	int64_t start, end, step, inc = 1;
	struct strbuf sb = STRBUF_INIT;
	struct hv *l;
	size_t i;
	int r;

	switch (n) {
	case 1:
		start = 1;
		end = a[0]->i;
		if (end < start)
			inc = -1;
		step = inc;
		break;
	case 2:
		start = a[0]->i;
		end = a[1]->i;
		if (end < start)
			inc = -1;
		step = inc;
		break;
	case 3:
		start = a[0]->i;
		end = a[2]->i;
		step = a[1]->i;
		if (end < start) {
			inc = -1;
			if (step > 0)
				return sprig_ret(out, hv_cstr(c, ""));
		}
		break;
	default:
		return sprig_ret(out, hv_cstr(c, ""));
	}
	r = int_list(c, &l, start, end + inc, step);
	if (r)
		return r;
	for (i = 0; i < l->list->n; i++)
		strbuf_addf(&sb, "%s%lld", i ? " " : "", (long long)l->list->items[i]->i);
	return sprig_ret_buf(c, out, &sb);
}

/* --- dicts ---------------------------------------------------------------- */

SPRIG_FN(sf_dict)
{
	struct hv *m = hv_map_new(c, HV_T_MAP);
	size_t i;

	if (!m)
		return ERR_TOOBIG;
	for (i = 0; i < n; i += 2) {
		struct strbuf k = STRBUF_INIT;
		int r = sprig_strval(c, a[i], &k);
		if (!r)
			r = hv_map_set(c, m, k.buf, k.len, i + 1 < n ? a[i + 1] : hv_cstr(c, ""));
		strbuf_release(&k);
		if (r)
			return r;
	}
	*out = m;
	return 0;
}

SPRIG_FN(sf_get)
{
	struct hv *v = a[0]->kind == HV_MAP ? hv_map_get(a[0], a[1]->s, a[1]->len) : NULL;

	return sprig_ret(out, v ? v : hv_cstr(c, ""));
}

SPRIG_FN(sf_set)
{
	if (a[0]->kind != HV_MAP)
		return hctx_fail(c, "assignment to entry in nil map");
	if (hv_map_set(c, a[0], a[1]->s, a[1]->len, a[2]))
		return ERR_TOOBIG;
	*out = a[0];
	return 0;
}

SPRIG_FN(sf_unset)
{
	if (a[0]->kind == HV_MAP)
		hv_map_del(a[0], a[1]->s, a[1]->len);
	*out = a[0];
	return 0;
}

SPRIG_FN(sf_haskey)
{
	*out = hv_bool(a[0]->kind == HV_MAP && hv_map_get(a[0], a[1]->s, a[1]->len));
	return 0;
}

SPRIG_FN(sf_pluck)
{
	struct hv *l = new_list(c, 0), *v;
	size_t i;

	if (!l)
		return ERR_TOOBIG;
	for (i = 1; i < n; i++)
		if (a[i]->kind == HV_MAP && (v = hv_map_get(a[i], a[0]->s, a[0]->len)) &&
		    hv_list_push(c, l, v))
			return ERR_TOOBIG;
	*out = l;
	return 0;
}

SPRIG_FN(sf_keys)
{
	struct hv *l = hv_list_new(c, HV_T_STRLIST, 0);
	const char **keys;
	size_t *lens, nk, i, k;

	if (!l)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		if (a[i]->kind != HV_MAP)
			continue;
		if (hv_map_keys(c, a[i], &keys, &lens, &nk))
			return ERR_TOOBIG;
		for (k = 0; k < nk; k++)
			if (hv_list_push(c, l, hv_str(c, keys[k], lens[k])))
				return ERR_TOOBIG;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_values)
{
	struct hv *l = new_list(c, 0);
	const char **keys;
	size_t *lens, nk, k;

	if (!l)
		return ERR_TOOBIG;
	if (a[0]->kind == HV_MAP) {
		if (hv_map_keys(c, a[0], &keys, &lens, &nk))
			return ERR_TOOBIG;
		for (k = 0; k < nk; k++)
			if (hv_list_push(c, l, hv_map_get(a[0], keys[k], lens[k])))
				return ERR_TOOBIG;
	}
	*out = l;
	return 0;
}

SPRIG_FN(sf_pick)
{
	struct hv *m = hv_map_new(c, HV_T_MAP), *v;
	size_t i;

	if (!m)
		return ERR_TOOBIG;
	for (i = 1; i < n; i++)
		if (a[0]->kind == HV_MAP && (v = hv_map_get(a[0], a[i]->s, a[i]->len)) &&
		    hv_map_set(c, m, a[i]->s, a[i]->len, v))
			return ERR_TOOBIG;
	*out = m;
	return 0;
}

SPRIG_FN(sf_omit)
{
	struct hv *m = hv_map_new(c, HV_T_MAP);
	const char **keys;
	size_t *lens, nk, k, i;

	if (!m)
		return ERR_TOOBIG;
	if (a[0]->kind == HV_MAP) {
		if (hv_map_keys(c, a[0], &keys, &lens, &nk))
			return ERR_TOOBIG;
		for (k = 0; k < nk; k++) {
			bool drop = false;
			for (i = 1; i < n && !drop; i++)
				drop = a[i]->len == lens[k] && !memcmp(a[i]->s, keys[k], lens[k]);
			if (!drop &&
			    hv_map_set(c, m, keys[k], lens[k], hv_map_get(a[0], keys[k], lens[k])))
				return ERR_TOOBIG;
		}
	}
	*out = m;
	return 0;
}

/* mergo.isEmptyValue of a map element (an interface{}). */
static bool mergo_empty(const struct hv *v)
{
	return sprig_empty(v);
}

/* mergo 0.3.12 deepMerge of two map[string]interface{} values. */
static int mergo_map(struct helm_ctx *c, struct hv *dst, const struct hv *src, bool overwrite,
		     unsigned depth)
{
	const char **keys;
	size_t *lens, nk, k;
	int r;

	if (depth > 10000)
		return err_set(ERR_TOOBIG, "merge: maps nested deeper than 10000");
	r = hv_map_keys(c, src, &keys, &lens, &nk);
	if (r)
		return r;
	for (k = 0; k < nk; k++) {
		struct hv *s = hv_map_get(src, keys[k], lens[k]);
		struct hv *d = hv_map_get(dst, keys[k], lens[k]);

		if (s->kind == HV_NIL) {
			if (overwrite && hv_map_set(c, dst, keys[k], lens[k], s))
				return ERR_TOOBIG;
			continue;
		}
		if (s->kind == HV_MAP) {
			if (d && d->kind == HV_MAP) {
				r = mergo_map(c, d, s, overwrite, depth + 1);
				if (r)
					return r;
			}
		} else if (s->kind == HV_LIST) {
			struct hv *ds;
			if (overwrite || hv_map_len(dst) == 0)
				ds = s;
			else if (d && d->kind != HV_NIL)
				ds = d;
			else if (!(ds = hv_list_new(c, s->type, 0)))
				return ERR_TOOBIG;
			if (hv_map_set(c, dst, keys[k], lens[k], ds))
				return ERR_TOOBIG;
		}
		if (d && !mergo_empty(d) && (s->kind == HV_MAP || s->kind == HV_LIST))
			continue;
		if (overwrite || !d || mergo_empty(d))
			if (hv_map_set(c, dst, keys[k], lens[k], s))
				return ERR_TOOBIG;
	}
	return 0;
}

static int do_merge(struct helm_ctx *c, struct hv **out, struct hv *const *a, size_t n,
		    bool overwrite)
{
	struct hv *dst = a[0];
	size_t i;
	int r;

	if (dst->kind != HV_MAP) {
		dst = hv_map_new(c, HV_T_MAP);
		if (!dst)
			return ERR_TOOBIG;
	}
	for (i = 1; i < n; i++) {
		if (a[i]->kind != HV_MAP)
			continue;
		r = mergo_map(c, dst, a[i], overwrite, 0);
		if (r)
			return r;
	}
	*out = dst;
	return 0;
}

SPRIG_FN(sf_merge)
{
	return do_merge(c, out, a, n, false);
}

SPRIG_FN(sf_mergeoverwrite)
{
	return do_merge(c, out, a, n, true);
}

SPRIG_FN(sf_deepcopy)
{
	/* copystructure reflects on the value: nil has no type. */
	if (a[0]->kind == HV_NIL)
		return hctx_fail(c, "reflect: call of reflect.Value.Type on zero Value");
	return sprig_ret(out, hv_deep_copy(c, a[0]));
}

static int iface_conv(struct helm_ctx *c, const struct hv *v)
{
	return hctx_fail(c, "interface conversion: interface {} is %s, not map[string]interface {}",
			 v->kind == HV_NIL ? "nil" : v->type);
}

SPRIG_FN(sf_dig)
{
	const struct hv *d = a[n - 1];
	size_t i;

	if (n < 3)
		return hctx_fail(c, "dig needs at least three arguments");
	if (d->kind != HV_MAP || strcmp(d->type, HV_T_MAP))
		return iface_conv(c, d);
	for (i = 0; i + 2 < n; i++)
		if (a[i]->kind != HV_STRING || strcmp(a[i]->type, HV_T_STRING))
			return hctx_fail(c, "interface conversion: interface {} is %s, not string",
					 a[i]->kind == HV_NIL ? "nil" : a[i]->type);
	for (i = 0; i + 2 < n; i++) {
		struct hv *step = hv_map_get(d, a[i]->s, a[i]->len);
		if (!step) {
			*out = a[n - 2];
			return 0;
		}
		if (i + 3 == n) {
			*out = step;
			return 0;
		}
		if (step->kind != HV_MAP || strcmp(step->type, HV_T_MAP))
			return iface_conv(c, step);
		d = step;
	}
	*out = a[n - 2];
	return 0;
}
