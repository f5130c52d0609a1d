/*
 * schema.c - values.schema.json: every chart's values checked against its
 * JSON Schema (draft 7, the keywords charts use), as `helm template` checks
 * them before rendering.  Messages follow gojsonschema's wording (what the
 * oracle prints) under Helm's header:
 *
 *   values don't meet the specifications of the schema(s) in the following chart(s):
 *   CHART:
 *   - FIELD: DESCRIPTION
 *
 * Regular expressions (pattern, patternProperties) are Go's (RE2), as
 * gojsonschema compiles them.
 */
#include "core/compat.h"
#include "render/helm/values.h"
#include "render/helm/chart.h"
#include "render/helm/fmt.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/re.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <math.h>

#define SCHEMA_MAX_DEPTH 64

struct sctx {
	struct helm_ctx *c;
	struct hv *root;      /* the schema document, for $ref */
	struct strbuf *errs;  /* "- field: description\n" lines */
	size_t nerrs;
	unsigned depth;
	bool quiet;           /* inside anyOf/oneOf/not: count, do not print */
};

static const char *json_type(const struct hv *v)
{
	switch (v->kind) {
	case HV_NIL:
		return "null";
	case HV_BOOL:
		return "boolean";
	case HV_INT:
	case HV_UINT:
		return "integer";
	case HV_FLOAT:
		return v->f == floor(v->f) && isfinite(v->f) ? "integer" : "number";
	case HV_LIST:
		return "array";
	case HV_MAP:
	case HV_OBJ:
		return "object";
	default:
		return "string";
	}
}

static double num(const struct hv *v)
{
	switch (v->kind) {
	case HV_INT:
		return (double)v->i;
	case HV_UINT:
		return (double)v->u;
	case HV_FLOAT:
		return v->f;
	default:
		return 0;
	}
}

static bool is_num(const struct hv *v)
{
	return v && (v->kind == HV_INT || v->kind == HV_UINT || v->kind == HV_FLOAT);
}

static void fail(struct sctx *s, const char *field, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void fail(struct sctx *s, const char *field, const char *fmt, ...)
{
	va_list ap;

	s->nerrs++;
	if (s->quiet)
		return;
	strbuf_addf(s->errs, "- %s: ", *field ? field : "(root)");
	va_start(ap, fmt);
	strbuf_vaddf(s->errs, fmt, ap);
	va_end(ap);
	strbuf_addch(s->errs, '\n');
}

static void fmt_num(struct strbuf *sb, double f)
{
	char buf[64];

	helm_json_float(buf, sizeof(buf), f);
	strbuf_addstr(sb, buf);
}

/* JSON equality, numbers by value (enum, const, uniqueItems). */
static bool json_equal(struct helm_ctx *c, const struct hv *a, const struct hv *b)
{
	size_t i, n;
	const char **keys;
	size_t *lens;

	if (is_num(a) && is_num(b))
		return num(a) == num(b);
	if ((a->kind == HV_STRING || a->kind == HV_BYTES) &&
	    (b->kind == HV_STRING || b->kind == HV_BYTES))
		return a->len == b->len && !memcmp(a->s, b->s, a->len);
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case HV_NIL:
		return true;
	case HV_BOOL:
		return a->b == b->b;
	case HV_LIST:
		if (a->list->n != b->list->n)
			return false;
		for (i = 0; i < a->list->n; i++)
			if (!json_equal(c, a->list->items[i], b->list->items[i]))
				return false;
		return true;
	case HV_MAP:
		if (hv_map_len(a) != hv_map_len(b) || hv_map_keys(c, a, &keys, &lens, &n))
			return false;
		for (i = 0; i < n; i++) {
			struct hv *y = hv_map_get(b, keys[i], lens[i]);
			if (!y || !json_equal(c, hv_map_get(a, keys[i], lens[i]), y))
				return false;
		}
		return true;
	default:
		return false;
	}
}

/* An unanchored search with Go's regexp (RE2), as JSON Schema's pattern means. */
static bool schema_re_match(const char *pat, const char *s, bool *bad)
{
	struct re *re = NULL;
	char *msg = NULL;
	long *caps;
	bool m;

	*bad = re_compile(&re, pat, strlen(pat), &msg) != 0;
	free(msg);
	if (*bad)
		return false;
	caps = xcalloc(2 * re_ncap(re) + 2, sizeof(*caps));
	m = re_exec(re, s, strlen(s), 0, caps) == 1;
	free(caps);
	re_free(re);
	return m;
}

static const struct hv *resolve_ref(struct sctx *s, const char *ref)
{
	const struct hv *cur = s->root;
	struct strbuf tok = STRBUF_INIT;
	const char *p;

	if (ref[0] != '#')
		return NULL; /* remote references are not fetched */
	p = ref + 1;
	while (*p == '/') {
		const char *e;

		p++;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		strbuf_reset(&tok);
		for (; p < e; p++) {
			if (*p == '~' && p[1] == '1') {
				strbuf_addch(&tok, '/');
				p++;
			} else if (*p == '~' && p[1] == '0') {
				strbuf_addch(&tok, '~');
				p++;
			} else {
				strbuf_addch(&tok, *p);
			}
		}
		if (!cur || cur->kind != HV_MAP) {
			cur = NULL;
			break;
		}
		cur = hv_map_get(cur, tok.buf, tok.len);
	}
	strbuf_release(&tok);
	return cur;
}

static void validate(struct sctx *s, const struct hv *sch, const struct hv *v, const char *field);

static size_t sub_errors(struct sctx *s, const struct hv *sch, const struct hv *v,
			 const char *field)
{
	size_t before = s->nerrs, n;
	bool q = s->quiet;

	s->quiet = true;
	validate(s, sch, v, field);
	s->quiet = q;
	n = s->nerrs - before;
	s->nerrs = before;
	return n;
}

static void child_field(struct strbuf *out, const char *field, const char *key, size_t klen)
{
	strbuf_reset(out);
	if (*field)
		strbuf_addf(out, "%s.", field);
	strbuf_add(out, key, klen);
}

static void check_type(struct sctx *s, const struct hv *t, const struct hv *v, const char *field)
{
	const char *have = json_type(v);
	struct strbuf want = STRBUF_INIT;
	size_t i;
	bool ok = false;

	if (t->kind == HV_STRING) {
		ok = !strcmp(t->s, have) || (!strcmp(t->s, "number") && !strcmp(have, "integer"));
		strbuf_addstr(&want, t->s);
	} else if (t->kind == HV_LIST) {
		strbuf_addch(&want, '[');
		for (i = 0; i < t->list->n; i++) {
			const struct hv *x = t->list->items[i];
			if (x->kind != HV_STRING)
				continue;
			if (!strcmp(x->s, have) || (!strcmp(x->s, "number") && !strcmp(have, "integer")))
				ok = true;
			if (want.len > 1)
				strbuf_addch(&want, ',');
			strbuf_addstr(&want, x->s);
		}
		strbuf_addch(&want, ']');
	} else {
		ok = true;
	}
	if (!ok)
		fail(s, field, "Invalid type. Expected: %s, given: %s", want.buf, have);
	strbuf_release(&want);
}

static void validate_object(struct sctx *s, const struct hv *sch, const struct hv *v,
			    const char *field)
{
	const struct hv *props = hv_map_get(sch, "properties", 10);
	const struct hv *pprops = hv_map_get(sch, "patternProperties", 17);
	const struct hv *addl = hv_map_get(sch, "additionalProperties", 20);
	const struct hv *req = hv_map_get(sch, "required", 8);
	const struct hv *x;
	struct strbuf f = STRBUF_INIT;
	const char **keys;
	size_t *lens, n, i, j;

	if (req && req->kind == HV_LIST)
		for (i = 0; i < req->list->n; i++) {
			const struct hv *k = req->list->items[i];
			if (k->kind == HV_STRING && !hv_map_get(v, k->s, k->len))
				fail(s, field, "%s is required", k->s);
		}
	if (hv_map_keys(s->c, v, &keys, &lens, &n))
		return;
	if ((x = hv_map_get(sch, "minProperties", 13)) && is_num(x) && (double)n < num(x))
		fail(s, field, "Must have at least %g properties", num(x));
	if ((x = hv_map_get(sch, "maxProperties", 13)) && is_num(x) && (double)n > num(x))
		fail(s, field, "Must have at most %g properties", num(x));
	for (i = 0; i < n; i++) {
		const struct hv *val = hv_map_get(v, keys[i], lens[i]);
		const struct hv *ps = props && props->kind == HV_MAP
					      ? hv_map_get(props, keys[i], lens[i])
					      : NULL;
		bool matched = ps != NULL;

		child_field(&f, field, keys[i], lens[i]);
		if (ps)
			validate(s, ps, val, f.buf);
		if (pprops && pprops->kind == HV_MAP) {
			const char **pk;
			size_t *pl, pn;

			if (!hv_map_keys(s->c, pprops, &pk, &pl, &pn))
				for (j = 0; j < pn; j++) {
					bool bad;

					if (schema_re_match(pk[j], keys[i], &bad)) {
						matched = true;
						validate(s, hv_map_get(pprops, pk[j], pl[j]), val, f.buf);
					}
				}
		}
		if ((x = hv_map_get(sch, "propertyNames", 13))) {
			struct hv *kv = hv_str(s->c, keys[i], lens[i]);
			if (kv)
				validate(s, x, kv, f.buf);
		}
		if (!matched && addl) {
			if (addl->kind == HV_BOOL && !addl->b)
				fail(s, field, "Additional property %s is not allowed", keys[i]);
			else if (addl->kind == HV_MAP)
				validate(s, addl, val, f.buf);
		}
	}
	if ((x = hv_map_get(sch, "dependencies", 12)) && x->kind == HV_MAP) {
		const char **dk;
		size_t *dl, dn;

		if (!hv_map_keys(s->c, x, &dk, &dl, &dn))
			for (i = 0; i < dn; i++) {
				const struct hv *d = hv_map_get(x, dk[i], dl[i]);

				if (!hv_map_get(v, dk[i], dl[i]))
					continue;
				if (d->kind == HV_LIST) {
					for (j = 0; j < d->list->n; j++) {
						const struct hv *k = d->list->items[j];
						if (k->kind == HV_STRING && !hv_map_get(v, k->s, k->len))
							fail(s, field, "Has a dependency on %s", k->s);
					}
				} else {
					validate(s, d, v, field);
				}
			}
	}
	strbuf_release(&f);
}

static void validate_array(struct sctx *s, const struct hv *sch, const struct hv *v,
			   const char *field)
{
	const struct hv *items = hv_map_get(sch, "items", 5), *x;
	size_t n = v->list->n, i, j;
	struct strbuf f = STRBUF_INIT;

	if ((x = hv_map_get(sch, "minItems", 8)) && is_num(x) && (double)n < num(x))
		fail(s, field, "Array must have at least %g items", num(x));
	if ((x = hv_map_get(sch, "maxItems", 8)) && is_num(x) && (double)n > num(x))
		fail(s, field, "Array must have at most %g items", num(x));
	if ((x = hv_map_get(sch, "uniqueItems", 11)) && x->kind == HV_BOOL && x->b)
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (json_equal(s->c, v->list->items[i], v->list->items[j]))
					fail(s, field, "array items[%zu,%zu] must be unique", i, j);
	for (i = 0; i < n; i++) {
		const struct hv *is = NULL;

		strbuf_reset(&f);
		strbuf_addf(&f, "%s%s%zu", field, *field ? "." : "", i);
		if (items && items->kind == HV_MAP)
			is = items;
		else if (items && items->kind == HV_LIST)
			is = i < items->list->n ? items->list->items[i]
						: hv_map_get(sch, "additionalItems", 15);
		if (is && is->kind == HV_BOOL && !is->b)
			fail(s, field, "Additional items are not allowed");
		else if (is)
			validate(s, is, v->list->items[i], f.buf);
	}
	if ((x = hv_map_get(sch, "contains", 8))) {
		bool any = false;

		for (i = 0; i < n && !any; i++)
			any = !sub_errors(s, x, v->list->items[i], field);
		if (!any)
			fail(s, field, "At least one of the items must match");
	}
	strbuf_release(&f);
}

static void validate(struct sctx *s, const struct hv *sch, const struct hv *v, const char *field)
{
	const struct hv *x;
	size_t i, ok;

	if (!sch)
		return;
	if (sch->kind == HV_BOOL) {
		if (!sch->b)
			fail(s, field, "False always fails validation");
		return;
	}
	if (sch->kind != HV_MAP || ++s->depth > SCHEMA_MAX_DEPTH) {
		if (sch->kind == HV_MAP)
			s->depth--;
		return;
	}
	if ((x = hv_map_get(sch, "$ref", 4)) && x->kind == HV_STRING) {
		/* Draft 7: $ref ignores its sibling keywords. */
		validate(s, resolve_ref(s, x->s), v, field);
		s->depth--;
		return;
	}
	if ((x = hv_map_get(sch, "type", 4)))
		check_type(s, x, v, field);
	if ((x = hv_map_get(sch, "enum", 4)) && x->kind == HV_LIST) {
		bool found = false;
		struct strbuf allowed = STRBUF_INIT;

		for (i = 0; i < x->list->n; i++) {
			if (json_equal(s->c, x->list->items[i], v))
				found = true;
			if (i)
				strbuf_addstr(&allowed, ", ");
			helm_json_emit(s->c, &allowed, x->list->items[i], NULL);
		}
		if (!found)
			fail(s, field, "%s must be one of the following: %s",
			     *field ? field : "(root)", allowed.buf);
		strbuf_release(&allowed);
	}
	if ((x = hv_map_get(sch, "const", 5)) && !json_equal(s->c, x, v)) {
		struct strbuf allowed = STRBUF_INIT;

		helm_json_emit(s->c, &allowed, x, NULL);
		fail(s, field, "%s does not match: %s", *field ? field : "(root)", allowed.buf);
		strbuf_release(&allowed);
	}
	if (is_num(v)) {
		double d = num(v);

		if ((x = hv_map_get(sch, "minimum", 7)) && is_num(x) && d < num(x))
			fail(s, field, "Must be greater than or equal to %g", num(x));
		if ((x = hv_map_get(sch, "maximum", 7)) && is_num(x) && d > num(x))
			fail(s, field, "Must be less than or equal to %g", num(x));
		if ((x = hv_map_get(sch, "exclusiveMinimum", 16)) && is_num(x) && d <= num(x))
			fail(s, field, "Must be greater than %g", num(x));
		if ((x = hv_map_get(sch, "exclusiveMaximum", 16)) && is_num(x) && d >= num(x))
			fail(s, field, "Must be less than %g", num(x));
		if ((x = hv_map_get(sch, "multipleOf", 10)) && is_num(x) && num(x) > 0) {
			double q = d / num(x);
			if (q != floor(q)) {
				struct strbuf m = STRBUF_INIT;
				fmt_num(&m, num(x));
				fail(s, field, "Must be a multiple of %s", m.buf);
				strbuf_release(&m);
			}
		}
	}
	if (v->kind == HV_STRING) {
		size_t runes = go_rune_count(v->s, v->len);
		bool bad;

		if ((x = hv_map_get(sch, "minLength", 9)) && is_num(x) && (double)runes < num(x))
			fail(s, field, "String length must be greater than or equal to %g", num(x));
		if ((x = hv_map_get(sch, "maxLength", 9)) && is_num(x) && (double)runes > num(x))
			fail(s, field, "String length must be less than or equal to %g", num(x));
		if ((x = hv_map_get(sch, "pattern", 7)) && x->kind == HV_STRING &&
		    !schema_re_match(x->s, v->s, &bad) && !bad)
			fail(s, field, "Does not match pattern '%s'", x->s);
	}
	if (v->kind == HV_MAP)
		validate_object(s, sch, v, field);
	if (v->kind == HV_LIST)
		validate_array(s, sch, v, field);
	if ((x = hv_map_get(sch, "allOf", 5)) && x->kind == HV_LIST) {
		for (i = ok = 0; i < x->list->n; i++)
			ok += !sub_errors(s, x->list->items[i], v, field);
		if (ok != x->list->n) {
			for (i = 0; i < x->list->n; i++)
				validate(s, x->list->items[i], v, field);
			fail(s, field, "Must validate all the schemas (allOf)");
		}
	}
	if ((x = hv_map_get(sch, "anyOf", 5)) && x->kind == HV_LIST) {
		for (i = ok = 0; i < x->list->n; i++)
			ok += !sub_errors(s, x->list->items[i], v, field);
		if (!ok)
			fail(s, field, "Must validate at least one schema (anyOf)");
	}
	if ((x = hv_map_get(sch, "oneOf", 5)) && x->kind == HV_LIST) {
		for (i = ok = 0; i < x->list->n; i++)
			ok += !sub_errors(s, x->list->items[i], v, field);
		if (ok != 1)
			fail(s, field, "Must validate one and only one schema (oneOf)");
	}
	if ((x = hv_map_get(sch, "not", 3)) && !sub_errors(s, x, v, field))
		fail(s, field, "Must not validate the schema (not)");
	if ((x = hv_map_get(sch, "if", 2))) {
		const struct hv *then = hv_map_get(sch, "then", 4);
		const struct hv *els = hv_map_get(sch, "else", 4);

		if (!sub_errors(s, x, v, field)) {
			if (then && sub_errors(s, then, v, field)) {
				validate(s, then, v, field);
				fail(s, field, "Must validate \"then\" as \"if\" was valid");
			}
		} else if (els && sub_errors(s, els, v, field)) {
			validate(s, els, v, field);
			fail(s, field, "Must validate \"else\" as \"if\" was not valid");
		}
	}
	s->depth--;
}

/* The values as the schema sees them: through JSON, as Helm marshals them first. */
static int as_json(struct helm_ctx *c, struct hv **out, const struct hv *v)
{
	struct strbuf sb = STRBUF_INIT;
	int r = helm_json_emit(c, &sb, v, NULL);

	if (!r)
		r = helm_json_parse(c, out, sb.buf, sb.len, HELM_INTO_ANY);
	strbuf_release(&sb);
	return r;
}

static int validate_chart(struct helm_ctx *c, struct chart *ch, struct hv *vals,
			  struct strbuf *out)
{
	size_t i;
	int r;

	if (ch->schema) {
		struct hv *schema, *jv;
		struct strbuf errs = STRBUF_INIT;
		struct sctx s = { c, NULL, &errs, 0, 0, false };

		r = helm_json_parse(c, &schema, ch->schema, ch->schema_len, HELM_INTO_ANY);
		if (r == ERR_TOOBIG)
			return r;
		if (r) {
			strbuf_addf(out, "%s:\n%s\n", chart_name(ch), err_msg());
		} else {
			r = as_json(c, &jv, vals);
			if (r)
				return r;
			s.root = schema;
			validate(&s, schema, jv, "");
			if (s.nerrs)
				strbuf_addf(out, "%s:\n%s", chart_name(ch), errs.buf);
		}
		strbuf_release(&errs);
	}
	for (i = 0; i < ch->ndeps; i++) {
		const char *n = chart_name(ch->deps[i]);
		struct hv *raw = hv_map_get(vals, n, strlen(n));

		if (!raw || raw->kind == HV_NIL)
			continue;
		if (raw->kind != HV_MAP) {
			strbuf_addf(out, "%s:\ninvalid type for values: expected object (map), got %s\n",
				    n, raw->type);
			continue;
		}
		r = validate_chart(c, ch->deps[i], raw, out);
		if (r)
			return r;
	}
	return 0;
}

int helm_schema_validate(struct helm_ctx *c, struct chart *ch, struct hv *vals)
{
	struct strbuf out = STRBUF_INIT;
	int r = validate_chart(c, ch, vals, &out);

	if (!r && out.len)
		r = err_set(ERR_INVALID,
			    "values don't meet the specifications of the schema(s) in the following chart(s):\n%s",
			    out.buf);
	strbuf_release(&out);
	return r;
}
