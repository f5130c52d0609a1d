/*
 * chart-deps.c - chartutil's dependency processing: aliases, conditions
 * and tags (which subcharts are rendered), import-values and exports (what
 * a subchart hands its parent), and the check that every dependency is
 * in charts/.
 */
#include "core/compat.h"
#include "render/helm/values.h"
#include "render/helm/chart.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"

bool helm_semver_check(struct helm_ctx *c, const char *constraint, const char *version)
{
	const struct hfunc *f;
	struct hv *args[2], *res = NULL;
	char *saved = c->errmsg;

	for (f = sprig_funcs; f->name; f++)
		if (!strcmp(f->name, "semverCompare"))
			break;
	if (!f->name)
		return false;
	args[0] = hv_cstr(c, constraint ? constraint : "");
	args[1] = hv_cstr(c, version ? version : "");
	if (!args[0] || !args[1])
		return false;
	if (f->fn(c, &res, args, 2)) {
		/* An unparsable constraint or version is "not compatible", not an error. */
		c->errmsg = saved;
		err_clear();
		return false;
	}
	return res && res->kind == HV_BOOL && res->b;
}

int helm_check_dependencies(struct chart *ch)
{
	struct strbuf missing = STRBUF_INIT;
	size_t i, j;
	int r = 0;

	for (i = 0; i < ch->meta->ndeps; i++) {
		const struct chart_dep *d = ch->meta->deps[i];

		for (j = 0; j < ch->ndeps; j++)
			if (!strcmp(chart_name(ch->deps[j]), d->name ? d->name : ""))
				break;
		if (j < ch->ndeps)
			continue;
		if (missing.len)
			strbuf_addstr(&missing, ", ");
		strbuf_addstr(&missing, d->name ? d->name : "");
		if (d->repository && *d->repository)
			strbuf_addf(&missing, " (repository %s)", d->repository);
	}
	if (missing.len)
		r = err_set(ERR_INVALID,
			    "An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: %s",
			    missing.buf);
	strbuf_release(&missing);
	return r;
}

static int add_dep(struct helm_ctx *c, struct chart ***v, size_t *n, size_t *cap, struct chart *d)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct chart **nv = hctx_alloc(c, nc * sizeof(*nv));

		if (!nv)
			return ERR_TOOBIG;
		if (*n)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = d;
	return 0;
}

/* Values.PathValue: a non-table value at a dotted path, or NULL. */
static struct hv *path_value(const struct hv *v, const char *path)
{
	const char *dot = strrchr(path, '.');
	const struct hv *t = v;
	struct hv *x;

	if (dot) {
		char *head = xstrndup(path, (size_t)(dot - path));
		t = helm_values_table(v, head);
		free(head);
		if (!t)
			return NULL;
	}
	x = hv_map_get(t, dot ? dot + 1 : path, strlen(dot ? dot + 1 : path));
	if (!x || x->kind == HV_MAP)
		return NULL;
	return x;
}

static int process_enabled(struct helm_ctx *c, struct chart *ch, struct hv *v, const char *pth,
			   unsigned depth)
{
	struct chart **deps = NULL, **keep = NULL;
	size_t ndeps = 0, cap = 0, nkeep = 0, kcap = 0, i, j;
	struct chart_meta *m = ch->meta;
	struct hv *cvals, *tags;
	int r;

	if (!m->has_deps)
		return 0;
	if (depth > CHART_MAX_DEPTH)
		return err_set(ERR_TOOBIG, "subcharts nest deeper than %u levels", CHART_MAX_DEPTH);
	/* Subcharts no dependency names (with a compatible version) stay as they are. */
	for (i = 0; i < ch->ndeps; i++) {
		struct chart *ex = ch->deps[i];

		for (j = 0; j < m->ndeps; j++)
			if (m->deps[j]->name && !strcmp(chart_name(ex), m->deps[j]->name) &&
			    helm_semver_check(c, m->deps[j]->version, ex->meta->version))
				break;
		if (j == m->ndeps && (r = add_dep(c, &deps, &ndeps, &cap, ex)))
			return r;
	}
	/* Each dependency takes the first compatible subchart, renamed by its alias. */
	for (j = 0; j < m->ndeps; j++) {
		struct chart_dep *req = m->deps[j];

		for (i = 0; i < ch->ndeps; i++) {
			struct chart *ex = ch->deps[i], *cp;

			if (!req->name || strcmp(chart_name(ex), req->name) ||
			    !helm_semver_check(c, req->version, ex->meta->version))
				continue;
			cp = hctx_alloc(c, sizeof(*cp));
			if (!cp)
				return ERR_TOOBIG;
			*cp = *ex;
			cp->meta = hctx_alloc(c, sizeof(*cp->meta));
			if (!cp->meta)
				return ERR_TOOBIG;
			*cp->meta = *ex->meta;
			if (req->alias && *req->alias)
				cp->meta->name = req->alias;
			if ((r = add_dep(c, &deps, &ndeps, &cap, cp)))
				return r;
			break;
		}
		if (req->alias && *req->alias)
			req->name = req->alias;
	}
	/*
	 * Only the direct subcharts are re-parented, as Helm's SetDependencies
	 * does: an aliased copy's own subcharts keep the original as parent
	 * until the copy's dependencies are processed in turn.
	 */
	for (i = 0; i < ndeps; i++)
		deps[i]->parent = ch;
	ch->deps = deps;
	ch->ndeps = ndeps;
	ch->adeps = cap;
	for (j = 0; j < m->ndeps; j++)
		m->deps[j]->enabled = true;
	r = helm_coalesce(c, &cvals, ch, v, false);
	if (r)
		return r;
	tags = helm_values_table(cvals, "tags");
	if (tags) {
		for (j = 0; j < m->ndeps; j++) {
			struct chart_dep *d = m->deps[j];
			bool has_true = false, has_false = false;
			size_t k;

			for (k = 0; k < d->ntags; k++) {
				struct hv *b = hv_map_get(tags, d->tags[k], strlen(d->tags[k]));

				if (b && b->kind == HV_BOOL) {
					if (b->b)
						has_true = true;
					else
						has_false = true;
				}
			}
			if (!has_true && has_false)
				d->enabled = false;
			else if (has_true || (!has_true && !has_false))
				d->enabled = true;
		}
	}
	for (j = 0; j < m->ndeps; j++) {
		struct chart_dep *d = m->deps[j];
		const char *cond = d->condition ? d->condition : "";
		struct strbuf p = STRBUF_INIT;

		/* strings.TrimSpace, then each comma-separated path; the first bool wins. */
		while (*cond == ' ' || *cond == '\t' || *cond == '\n' || *cond == '\r')
			cond++;
		while (*cond) {
			const char *comma = strchr(cond, ',');
			size_t l = comma ? (size_t)(comma - cond) : strlen(cond);
			struct hv *x;

			while (!comma && l && strchr(" \t\r\n", cond[l - 1]))
				l--;
			if (l) {
				strbuf_reset(&p);
				strbuf_addf(&p, "%s%.*s", pth, (int)l, cond);
				x = path_value(cvals, p.buf);
				if (x && x->kind == HV_BOOL) {
					d->enabled = x->b;
					break;
				}
			}
			cond += l;
			if (*cond == ',')
				cond++;
			else
				break;
		}
		strbuf_release(&p);
	}
	for (i = 0; i < ch->ndeps; i++) {
		const char *n = chart_name(ch->deps[i]);
		bool removed = false;

		for (j = 0; j < m->ndeps; j++)
			if (!m->deps[j]->enabled && m->deps[j]->name && !strcmp(m->deps[j]->name, n))
				removed = true;
		if (!removed && (r = add_dep(c, &keep, &nkeep, &kcap, ch->deps[i])))
			return r;
	}
	{
		size_t k = 0;

		for (j = 0; j < m->ndeps; j++) {
			bool removed = !m->deps[j]->enabled;
			size_t q;

			/* Removal is by name: a second entry of a disabled name goes too. */
			for (q = 0; q < m->ndeps && !removed; q++)
				if (!m->deps[q]->enabled && m->deps[q]->name && m->deps[j]->name &&
				    !strcmp(m->deps[q]->name, m->deps[j]->name))
					removed = true;
			if (!removed)
				m->deps[k++] = m->deps[j];
		}
		m->ndeps = k;
	}
	for (i = 0; i < nkeep; i++) {
		struct strbuf np = STRBUF_INIT;

		strbuf_addf(&np, "%s%s.", pth, chart_name(keep[i]));
		r = process_enabled(c, keep[i], cvals, np.buf, depth + 1);
		strbuf_release(&np);
		if (r)
			return r;
	}
	ch->deps = keep;
	ch->ndeps = nkeep;
	ch->adeps = kcap;
	return 0;
}

/* pathToMap: {a: {b: data}} for "a.b"; "." is the data itself. */
static struct hv *path_to_map(struct helm_ctx *c, const char *path, struct hv *data)
{
	const char *end = path + strlen(path);
	struct hv *cur = data;

	if (!strcmp(path, "."))
		return data;
	while (end > path || cur == data) {
		const char *start = end;
		struct hv *m;

		while (start > path && start[-1] != '.')
			start--;
		m = hv_map_new(c, HV_T_MAP);
		if (!m || hv_map_set(c, m, start, (size_t)(end - start), cur))
			return NULL;
		cur = m;
		if (start == path)
			break;
		end = start - 1;
	}
	return cur;
}

static int process_imports(struct helm_ctx *c, struct chart *ch, unsigned depth)
{
	struct chart_meta *m = ch->meta;
	struct hv *cvals, *b, *cv;
	size_t i, j;
	int r;

	if (depth > CHART_MAX_DEPTH)
		return err_set(ERR_TOOBIG, "subcharts nest deeper than %u levels", CHART_MAX_DEPTH);
	for (i = 0; i < ch->ndeps; i++)
		if ((r = process_imports(c, ch->deps[i], depth + 1)))
			return r;
	if (!m->has_deps)
		return 0;
	r = helm_coalesce(c, &cvals, ch, NULL, true);
	if (r)
		return r;
	b = hv_map_new(c, HV_T_MAP);
	if (!b)
		return ERR_TOOBIG;
	for (j = 0; j < m->ndeps; j++) {
		struct chart_dep *d = m->deps[j];
		struct hv *outl;

		if (!d->import_values)
			continue;
		outl = hv_list_new(c, HV_T_LIST, d->import_values->list->n);
		if (!outl)
			return ERR_TOOBIG;
		for (i = 0; i < d->import_values->list->n; i++) {
			struct hv *iv = d->import_values->list->items[i], *tbl, *pm;
			struct strbuf child = STRBUF_INIT, parent = STRBUF_INIT, path = STRBUF_INIT;

			if (iv->kind == HV_MAP) {
				struct hv *cvv = hv_map_get(iv, "child", 5);
				struct hv *pvv = hv_map_get(iv, "parent", 6);
				struct hv *e = hv_map_new(c, "map[string]string");

				/* fmt.Sprintf("%v", ...): a missing key prints "<nil>". */
				if (cvv)
					hv_format_v(c, &child, cvv);
				else
					strbuf_addstr(&child, "<nil>");
				if (pvv)
					hv_format_v(c, &parent, pvv);
				else
					strbuf_addstr(&parent, "<nil>");
				if (!e || hv_map_set(c, e, "child", 5, hv_str(c, child.buf, child.len)) ||
				    hv_map_set(c, e, "parent", 6, hv_str(c, parent.buf, parent.len)) ||
				    hv_list_push(c, outl, e))
					r = ERR_TOOBIG;
				strbuf_addf(&path, "%s.%s", d->name ? d->name : "", child.buf);
				tbl = helm_values_table(cvals, path.buf);
				if (!r && tbl) {
					pm = path_to_map(c, parent.buf, tbl);
					if (!pm || !(b = helm_coalesce_tables(c, b, pm, true)))
						r = ERR_TOOBIG;
				}
			} else if (iv->kind == HV_STRING) {
				struct hv *e = hv_map_new(c, "map[string]string");

				strbuf_addf(&child, "exports.%s", iv->s);
				if (!e || hv_map_set(c, e, "child", 5, hv_str(c, child.buf, child.len)) ||
				    hv_map_set(c, e, "parent", 6, hv_cstr(c, ".")) ||
				    hv_list_push(c, outl, e))
					r = ERR_TOOBIG;
				strbuf_addf(&path, "%s.%s", d->name ? d->name : "", child.buf);
				tbl = helm_values_table(cvals, path.buf);
				if (!r && tbl && !(b = helm_coalesce_tables(c, b, tbl, true)))
					r = ERR_TOOBIG;
			}
			strbuf_release(&child);
			strbuf_release(&parent);
			strbuf_release(&path);
			if (r)
				return r;
		}
		d->import_values = outl;
	}
	cv = hv_deep_copy(c, cvals);
	if (!cv || !(ch->values = helm_coalesce_tables(c, cv, b, true)))
		return ERR_TOOBIG;
	return 0;
}

int helm_process_dependencies(struct helm_ctx *c, struct chart *ch, struct hv *vals)
{
	int r = process_enabled(c, ch, vals, "", 0);

	if (!r)
		r = process_imports(c, ch, 0);
	return r;
}
