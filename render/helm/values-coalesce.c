/*
 * values-coalesce.c - chartutil's coalescing of user values with every
 * chart's values.yaml.
 *
 * The user's values are authoritative; a chart's defaults fill what is
 * missing; maps merge key by key; a null from the user deletes the
 * default (not when merging, as for import-values and subchart tables);
 * each subchart's table gets the parent's `global` map coalesced into its
 * own, parent first.  Helm's warnings ("skipped value for ...: Not a
 * table.") are not printed: `helm template` only logs them.
 */
#include "core/compat.h"
#include "render/helm/values.h"
#include "render/helm/chart.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"

#define GLOBAL "global"

static bool is_table(const struct hv *v)
{
	return v && v->kind == HV_MAP;
}

struct hv *helm_coalesce_tables(struct helm_ctx *c, struct hv *dst, struct hv *src, bool merge)
{
	const char **keys;
	size_t *lens, n, i;
	struct hv *nonnil;

	if (!src)
		return dst;
	if (!dst)
		return src;
	/* Which keys of src held a value before dst's nulls are copied into it. */
	nonnil = hv_map_new(c, HV_T_MAP);
	if (!nonnil || hv_map_keys(c, src, &keys, &lens, &n))
		return NULL;
	for (i = 0; i < n; i++)
		if (hv_map_get(src, keys[i], lens[i])->kind != HV_NIL &&
		    hv_map_set(c, nonnil, keys[i], lens[i], hv_bool(true)))
			return NULL;
	/* A null in dst stays null: Helm copies it into src first. */
	if (hv_map_keys(c, dst, &keys, &lens, &n))
		return NULL;
	for (i = 0; i < n; i++)
		if (hv_map_get(dst, keys[i], lens[i])->kind == HV_NIL &&
		    hv_map_set(c, src, keys[i], lens[i], hv_nil()))
			return NULL;
	if (hv_map_keys(c, src, &keys, &lens, &n))
		return NULL;
	for (i = 0; i < n; i++) {
		struct hv *sv = hv_map_get(src, keys[i], lens[i]);
		struct hv *dv = hv_map_get(dst, keys[i], lens[i]);

		if (dv && !merge && dv->kind == HV_NIL && hv_map_get(nonnil, keys[i], lens[i])) {
			hv_map_del(dst, keys[i], lens[i]);
		} else if (!dv) {
			if (hv_map_set(c, dst, keys[i], lens[i], sv))
				return NULL;
		} else if (is_table(sv)) {
			/* A table over a non-table is skipped with a warning. */
			if (is_table(dv) && !helm_coalesce_tables(c, dv, sv, merge))
				return NULL;
		}
		/* A scalar under a table, or any value already set in dst: dst wins. */
	}
	return dst;
}

/* Whether `key` names a subchart of `ch`: its table merges (nulls kept). */
static bool child_merge(const struct chart *ch, const char *key, bool merge)
{
	size_t i;

	for (i = 0; i < ch->ndeps; i++)
		if (!strcmp(chart_name(ch->deps[i]), key))
			return true;
	return merge;
}

/* coalesceValues: the chart's values.yaml (a deep copy) under v. */
static int coalesce_chart_values(struct helm_ctx *c, const struct chart *ch, struct hv *v,
				 bool merge)
{
	struct hv *vc = hv_deep_copy(c, ch->values);
	const char **keys;
	size_t *lens, n, i;

	if (!vc || hv_map_keys(c, vc, &keys, &lens, &n))
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		struct hv *val = hv_map_get(vc, keys[i], lens[i]);
		struct hv *cur = hv_map_get(v, keys[i], lens[i]);

		if (!cur) {
			if (hv_map_set(c, v, keys[i], lens[i], val))
				return ERR_TOOBIG;
		} else if (cur->kind == HV_NIL && !merge) {
			hv_map_del(v, keys[i], lens[i]);
		} else if (is_table(cur) && is_table(val)) {
			if (!helm_coalesce_tables(c, cur, val, child_merge(ch, keys[i], merge)))
				return ERR_TOOBIG;
		}
	}
	return 0;
}

/* coalesceGlobals: the parent's globals into the subchart's table, parent first. */
static int coalesce_globals(struct helm_ctx *c, struct hv *dest, struct hv *src)
{
	struct hv *dg = hv_map_get(dest, GLOBAL, 6), *sg = hv_map_get(src, GLOBAL, 6);
	const char **keys;
	size_t *lens, n, i;

	if (!dg) {
		dg = hv_map_new(c, HV_T_MAP);
		if (!dg)
			return ERR_TOOBIG;
	} else if (!is_table(dg)) {
		return 0;
	}
	if (!sg) {
		sg = hv_map_new(c, HV_T_MAP);
		if (!sg)
			return ERR_TOOBIG;
	} else if (!is_table(sg)) {
		return 0;
	}
	if (hv_map_keys(c, sg, &keys, &lens, &n))
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		struct hv *val = hv_map_get(sg, keys[i], lens[i]);
		struct hv *dv = hv_map_get(dg, keys[i], lens[i]);

		if (is_table(val)) {
			/* A shallow copy of the parent's table, the child's merged under it. */
			struct hv *vv = hv_map_new(c, HV_T_MAP);
			const char **vk;
			size_t *vl, vn, j;

			if (!vv || hv_map_keys(c, val, &vk, &vl, &vn))
				return ERR_TOOBIG;
			for (j = 0; j < vn; j++)
				if (hv_map_set(c, vv, vk[j], vl[j], hv_map_get(val, vk[j], vl[j])))
					return ERR_TOOBIG;
			if (!dv) {
				if (hv_map_set(c, dg, keys[i], lens[i], vv))
					return ERR_TOOBIG;
			} else if (is_table(dv)) {
				if (!helm_coalesce_tables(c, vv, dv, true) ||
				    hv_map_set(c, dg, keys[i], lens[i], vv))
					return ERR_TOOBIG;
			}
		} else if (dv && is_table(dv)) {
			continue;
		} else if (hv_map_set(c, dg, keys[i], lens[i], val)) {
			return ERR_TOOBIG;
		}
	}
	return hv_map_set(c, dest, GLOBAL, 6, dg) ? ERR_TOOBIG : 0;
}

static int coalesce_all(struct helm_ctx *c, const struct chart *ch, struct hv *dest, bool merge)
{
	size_t i;
	int r;

	r = coalesce_chart_values(c, ch, dest, merge);
	if (r)
		return r;
	for (i = 0; i < ch->ndeps; i++) {
		const char *name = chart_name(ch->deps[i]);
		size_t nl = strlen(name);
		struct hv *dv = hv_map_get(dest, name, nl);

		if (!dv) {
			dv = hv_map_new(c, HV_T_MAP);
			if (!dv || hv_map_set(c, dest, name, nl, dv))
				return ERR_TOOBIG;
		} else if (!is_table(dv)) {
			struct strbuf sb = STRBUF_INIT;
			struct hv *arg = dv;

			hv_sprintf(c, &sb, "%t", 2, &arg, 1);
			r = err_set(ERR_INVALID, "type mismatch on %s: %s", name, sb.buf);
			strbuf_release(&sb);
			return r;
		}
		r = coalesce_globals(c, dv, dest);
		if (!r)
			r = coalesce_all(c, ch->deps[i], dv, merge);
		if (r)
			return r;
	}
	return 0;
}

int helm_coalesce(struct helm_ctx *c, struct hv **out, struct chart *ch, struct hv *vals,
		  bool merge)
{
	struct hv *cp = vals ? hv_deep_copy(c, vals) : hv_map_new(c, HV_T_MAP);
	int r;

	if (!cp)
		return ERR_TOOBIG;
	r = coalesce_all(c, ch, cp, merge);
	if (!r)
		*out = cp;
	return r;
}

struct hv *helm_values_table(const struct hv *v, const char *path)
{
	const char *p = path;

	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		v = hv_map_get(v, p, l);
		if (!is_table(v))
			return NULL;
		p += l;
		if (*p)
			p++;
		else
			break;
	}
	return (struct hv *)v;
}
