/*
 * json-emit.c - doc nodes to compact JSON.
 *
 * Scalars are typed as doc_resolve() types them, so a YAML manifest and its
 * JSON form carry the same values (what the Kubernetes API receives).
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <math.h>

static int emit(struct strbuf *out, const struct doc_node *n)
{
	struct doc_value v;
	char buf[64], where[256];
	size_t i;
	int r;

	switch (n->kind) {
	case DOC_MAP:
		strbuf_addch(out, '{');
		for (i = 0; i < n->n; i++) {
			const struct doc_node *k = n->kids[2 * i];
			if (k->kind != DOC_SCALAR)
				return err_set(ERR_INVALID, "%s: mapping keys must be strings",
					       doc_where(k, where, sizeof(where)));
			if (i)
				strbuf_addch(out, ',');
			strbuf_add_json_str(out, k->str, k->len);
			strbuf_addch(out, ':');
			r = emit(out, n->kids[2 * i + 1]);
			if (r)
				return r;
		}
		return strbuf_addch(out, '}');
	case DOC_SEQ:
		strbuf_addch(out, '[');
		for (i = 0; i < n->n; i++) {
			if (i)
				strbuf_addch(out, ',');
			r = emit(out, n->kids[i]);
			if (r)
				return r;
		}
		return strbuf_addch(out, ']');
	case DOC_SCALAR:
		break;
	}
	r = doc_resolve(n, &v);
	if (r)
		return r;
	switch (v.type) {
	case DOC_T_STR:
		return strbuf_add_json_str(out, n->str, n->len);
	case DOC_T_TIME:
		return strbuf_add_json_str(out, v.time, strlen(v.time));
	case DOC_T_NULL:
		return strbuf_addstr(out, "null");
	case DOC_T_BOOL:
		return strbuf_addstr(out, v.b ? "true" : "false");
	case DOC_T_INT:
		return strbuf_addf(out, "%lld", (long long)v.i);
	case DOC_T_UINT:
		return strbuf_addf(out, "%llu", (unsigned long long)v.u);
	case DOC_T_FLOAT:
		if (isinf(v.f) || isnan(v.f))
			return err_set(ERR_INVALID, "%s: %s cannot be represented in JSON",
				       doc_where(n, where, sizeof(where)), n->str);
		go_format_float_g(v.f, buf, sizeof(buf));
		return strbuf_addstr(out, buf);
	}
	return 0;
}

int doc_emit_json(struct strbuf *out, const struct doc_node *root)
{
	size_t start = out->len;
	int r = emit(out, root);

	if (r)
		strbuf_setlen(out, start);
	return r;
}
