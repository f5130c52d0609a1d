/*
 * tmpl-builtins.c - text/template's builtin functions (Go 1.19 funcs.go).
 *
 * Parameters coded 'x' receive the value as Go's reflect.Value would hold
 * it: NULL is the invalid value (a missing key, a nil literal), hv_nil()
 * a nil interface{} (a null element).  Error texts are Go's, because
 * templates print them ("error calling index: index out of range: 3").
 * and/or never run here: the engine evaluates them lazily (tmpl-exec.c).
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/tmpl-int.h"
#include "render/helm/fmt.h"

/* indirectInterface: a nil interface{} is the invalid value. */
static struct hv *indirect_iface(struct hv *v)
{
	return v && v->kind == HV_NIL ? NULL : v;
}

static int fn_unreachable(struct helm_ctx *c, struct hv **out, struct hv *const *args,
			  size_t nargs)
{
	(void)out;
	(void)args;
	(void)nargs;
	return hctx_fail(c, "unreachable");
}

static int fn_not(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	(void)c;
	(void)nargs;
	*out = hv_bool(!(args[0] && hv_truth(args[0])));
	return 0;
}

static int fn_len(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct hv *v = tmpl_map_view(c, args[0]);
	int64_t n;

	(void)nargs;
	if (!v)
		return hctx_fail(c, "reflect: call of reflect.Value.Type on zero Value");
	switch (v->kind) {
	case HV_NIL:
		return hctx_fail(c, "len of nil pointer");
	case HV_STRING:
	case HV_BYTES:
		n = (int64_t)v->len;
		break;
	case HV_LIST:
		n = (int64_t)v->list->n;
		break;
	case HV_MAP:
		n = (int64_t)hv_map_len(v);
		break;
	default:
		return hctx_fail(c, "len of type %s", v->type);
	}
	*out = hv_int(c, n);
	return *out ? 0 : ERR_TOOBIG;
}

/* indexArg: an index for a slice, array or string of length cap. */
static int index_arg(struct helm_ctx *c, const struct hv *idx, size_t cap, size_t *out)
{
	int64_t x;

	if (!idx)
		return hctx_fail(c, "cannot index slice/array with nil");
	if (idx->kind == HV_INT)
		x = idx->i;
	else if (idx->kind == HV_UINT)
		x = (int64_t)idx->u;
	else
		return hctx_fail(c, "cannot index slice/array with type %s", idx->type);
	if (x < 0 || (uint64_t)x > cap)
		return hctx_fail(c, "index out of range: %lld", (long long)x);
	*out = (size_t)x;
	return 0;
}

static int fn_index(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct hv *item = indirect_iface(args[0]);
	size_t i, x;
	int r;

	if (!item)
		return hctx_fail(c, "index of untyped nil");
	for (i = 1; i < nargs; i++) {
		struct hv *idx = indirect_iface(args[i]);

		item = tmpl_map_view(c, item);
		if (item->kind == HV_NIL)
			return hctx_fail(c, "index of nil pointer");
		switch (item->kind) {
		case HV_LIST:
			r = index_arg(c, idx, item->list->n, &x);
			if (r)
				return r;
			if (x >= item->list->n)
				return hctx_fail(c, "reflect: slice index out of range");
			item = item->list->items[x];
			break;
		case HV_STRING:
		case HV_BYTES:
			r = index_arg(c, idx, item->len, &x);
			if (r)
				return r;
			if (x >= item->len)
				return hctx_fail(c, item->kind == HV_STRING
							    ? "reflect: string index out of range"
							    : "reflect: slice index out of range");
			item = hv_uint_t(c, (unsigned char)item->s[x], "uint8");
			if (!item)
				return ERR_TOOBIG;
			break;
		case HV_MAP: {
			struct hv *e;

			if (!idx)
				return hctx_fail(c, "value is nil; should be of type string");
			if (idx->kind != HV_STRING)
				return hctx_fail(c, "value has type %s; should be string", idx->type);
			e = hv_map_get(item, idx->s, idx->len);
			item = e ? e : hv_nil();
			break;
		}
		default:
			return hctx_fail(c, "can't index item of type %s", item->type);
		}
	}
	*out = item;
	return 0;
}

static int fn_slice(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct hv *item = indirect_iface(args[0]);
	size_t cap, idx[3], k, n = nargs - 1;
	int r;

	if (!item)
		return hctx_fail(c, "slice of untyped nil");
	if (n > 3)
		return hctx_fail(c, "too many slice indexes: %zu", n);
	switch (item->kind) {
	case HV_STRING:
		if (n == 3)
			return hctx_fail(c, "cannot 3-index slice a string");
		cap = item->len;
		break;
	case HV_BYTES:
		cap = item->len;
		break;
	case HV_LIST:
		cap = item->list->n;
		break;
	default:
		return hctx_fail(c, "can't slice item of type %s", item->type);
	}
	idx[0] = 0;
	idx[1] = item->kind == HV_LIST ? item->list->n : item->len;
	idx[2] = 0;
	for (k = 0; k < n; k++) {
		r = index_arg(c, indirect_iface(args[k + 1]), cap, &idx[k]);
		if (r)
			return r;
	}
	if (idx[0] > idx[1])
		return hctx_fail(c, "invalid slice index: %zu > %zu", idx[0], idx[1]);
	if (n == 3 && idx[1] > idx[2])
		return hctx_fail(c, "invalid slice index: %zu > %zu", idx[1], idx[2]);
	switch (item->kind) {
	case HV_STRING:
		*out = hv_str_t(c, item->s + idx[0], idx[1] - idx[0], item->type);
		break;
	case HV_BYTES:
		*out = hv_bytes(c, item->s + idx[0], idx[1] - idx[0]);
		break;
	default:
		*out = hv_list_new(c, item->type, idx[1] - idx[0]);
		for (k = idx[0]; *out && k < idx[1]; k++)
			if (hv_list_push(c, *out, item->list->items[k]))
				return ERR_TOOBIG;
	}
	return *out ? 0 : ERR_TOOBIG;
}

static int fn_print(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct strbuf sb = STRBUF_INIT;
	int r = hv_sprint(c, &sb, args, nargs);

	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&sb);
	return r;
}

static int fn_println(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct strbuf sb = STRBUF_INIT;
	int r = hv_sprintln(c, &sb, args, nargs);

	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&sb);
	return r;
}

static int fn_printf(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct strbuf sb = STRBUF_INIT;
	int r = hv_sprintf(c, &sb, args[0]->s, args[0]->len, args + 1, nargs - 1);

	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&sb);
	return r;
}

/* evalArgs: the one string argument, or Sprint of the printable values. */
static int eval_args(struct helm_ctx *c, struct strbuf *sb, struct hv *const *args, size_t nargs)
{
	struct hv **pa;
	size_t i;
	int r;

	if (nargs == 1 && args[0]->kind == HV_STRING && strcmp(args[0]->type, HV_T_STRING) == 0)
		return strbuf_add(sb, args[0]->s, args[0]->len);
	pa = hctx_alloc(c, (nargs ? nargs : 1) * sizeof(*pa));
	if (!pa)
		return ERR_TOOBIG;
	for (i = 0; i < nargs; i++) {
		pa[i] = args[i];
		if (args[i]->kind == HV_NIL) {
			pa[i] = hv_cstr(c, "<no value>");
			if (!pa[i])
				return ERR_TOOBIG;
		}
	}
	r = hv_sprint(c, sb, pa, nargs);
	return r;
}

static int fn_html(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct strbuf in = STRBUF_INIT, sb = STRBUF_INIT;
	size_t i;
	int r = eval_args(c, &in, args, nargs);

	for (i = 0; !r && i < in.len; i++) {
		switch (in.buf[i]) {
		case '\0': strbuf_addstr(&sb, "\xEF\xBF\xBD"); break;
		case '"': strbuf_addstr(&sb, "&#34;"); break;
		case '\'': strbuf_addstr(&sb, "&#39;"); break;
		case '&': strbuf_addstr(&sb, "&amp;"); break;
		case '<': strbuf_addstr(&sb, "&lt;"); break;
		case '>': strbuf_addstr(&sb, "&gt;"); break;
		default: strbuf_addch(&sb, in.buf[i]);
		}
	}
	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&in);
	strbuf_release(&sb);
	return r;
}

static int fn_js(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf in = STRBUF_INIT, sb = STRBUF_INIT;
	size_t i;
	int r = eval_args(c, &in, args, nargs);

	for (i = 0; !r && i < in.len; i++) {
		unsigned char ch = (unsigned char)in.buf[i];

		if (ch < 0x80) {
			switch (ch) {
			case '\\': strbuf_addstr(&sb, "\\\\"); continue;
			case '\'': strbuf_addstr(&sb, "\\'"); continue;
			case '"': strbuf_addstr(&sb, "\\\""); continue;
			case '<': strbuf_addstr(&sb, "\\u003C"); continue;
			case '>': strbuf_addstr(&sb, "\\u003E"); continue;
			case '&': strbuf_addstr(&sb, "\\u0026"); continue;
			case '=': strbuf_addstr(&sb, "\\u003D"); continue;
			}
			if (ch < ' ') {
				strbuf_addstr(&sb, "\\u00");
				strbuf_addch(&sb, hex[ch >> 4]);
				strbuf_addch(&sb, hex[ch & 0xF]);
			} else {
				strbuf_addch(&sb, (char)ch);
			}
		} else {
			int32_t rn;
			size_t w = go_utf8_decode(in.buf + i, in.len - i, &rn);

			if (go_isprint(rn))
				strbuf_add(&sb, in.buf + i, w);
			else
				strbuf_addf(&sb, "\\u%04X", (unsigned)rn);
			i += w - 1;
		}
	}
	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&in);
	strbuf_release(&sb);
	return r;
}

static int fn_urlquery(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf in = STRBUF_INIT, sb = STRBUF_INIT;
	size_t i;
	int r = eval_args(c, &in, args, nargs);

	for (i = 0; !r && i < in.len; i++) {
		unsigned char ch = (unsigned char)in.buf[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			strbuf_addch(&sb, (char)ch);
		} else if (ch == ' ') {
			strbuf_addch(&sb, '+');
		} else {
			strbuf_addch(&sb, '%');
			strbuf_addch(&sb, hex[ch >> 4]);
			strbuf_addch(&sb, hex[ch & 0xF]);
		}
	}
	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		r = *out ? 0 : ERR_TOOBIG;
	}
	strbuf_release(&in);
	strbuf_release(&sb);
	return r;
}

static int fn_call(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct hv *fn = indirect_iface(args[0]);

	(void)out;
	(void)nargs;
	if (!fn)
		return hctx_fail(c, "call of nil");
	/* Values never hold Go functions here: nothing is callable. */
	return hctx_fail(c, "non-function of type %s", fn->type);
}

/* ---- comparison ---- */

enum basic_kind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_UINT };

static enum basic_kind basic_kind(const struct hv *v)
{
	if (!v)
		return K_INVALID;
	switch (v->kind) {
	case HV_BOOL: return K_BOOL;
	case HV_INT: return K_INT;
	case HV_UINT: return K_UINT;
	case HV_FLOAT: return K_FLOAT;
	case HV_STRING: return K_STRING;
	default: return K_INVALID;
	}
}

static int str_cmp(const struct hv *a, const struct hv *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = n ? memcmp(a->s, b->s, n) : 0;

	if (r)
		return r < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* reflect.Kind equality for canCompare. */
static int reflect_kind(const struct hv *v)
{
	return v ? (int)v->kind : -1;
}

static int fmt_err(struct helm_ctx *c, const char *fmt, struct hv *const *a, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	int r = hv_sprintf(c, &sb, fmt, strlen(fmt), a, n);

	if (!r)
		r = hctx_fail(c, "%s", sb.buf);
	strbuf_release(&sb);
	return r;
}

static int eq2(struct helm_ctx *c, struct hv *a1, struct hv *a, bool *truth)
{
	enum basic_kind k1 = basic_kind(a1), k2 = basic_kind(a);

	*truth = false;
	if (k1 != k2) {
		if (k1 == K_INT && k2 == K_UINT)
			*truth = a1->i >= 0 && (uint64_t)a1->i == a->u;
		else if (k1 == K_UINT && k2 == K_INT)
			*truth = a->i >= 0 && a1->u == (uint64_t)a->i;
		else if (a1 && a)
			return hctx_fail(c, "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case K_BOOL: *truth = a1->b == a->b; return 0;
	case K_FLOAT: *truth = a1->f == a->f; return 0;
	case K_INT: *truth = a1->i == a->i; return 0;
	case K_STRING: *truth = str_cmp(a1, a) == 0; return 0;
	case K_UINT: *truth = a1->u == a->u; return 0;
	case K_INVALID: break;
	}
	if (!(reflect_kind(a1) == reflect_kind(a) || !a1 || !a)) {
		struct hv *fa[4] = { a1, hv_cstr(c, a1->type), hv_cstr(c, a->type), a };

		if (!fa[1] || !fa[2])
			return ERR_TOOBIG;
		return fmt_err(c, "non-comparable types %s: %v, %s: %v", fa, 4);
	}
	if (!a1 || !a) {
		*truth = !a1 && !a;
		return 0;
	}
	switch (a->kind) {
	case HV_LIST:
	case HV_MAP:
	case HV_BYTES: {
		struct hv *fa[2] = { a, hv_cstr(c, a->type) };

		if (!fa[1])
			return ERR_TOOBIG;
		return fmt_err(c, "non-comparable type %s: %v", fa, 2);
	}
	case HV_TIME:
		*truth = a1->time.sec == a->time.sec && a1->time.nsec == a->time.nsec &&
			 a1->time.offset == a->time.offset;
		return 0;
	case HV_OBJ:
		*truth = a1->obj.self == a->obj.self;
		return 0;
	default:
		return 0;
	}
}

static int fn_eq(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct hv *a1 = indirect_iface(args[0]);
	size_t i;

	if (nargs < 2)
		return hctx_fail(c, "missing argument for comparison");
	for (i = 1; i < nargs; i++) {
		bool t;
		int r = eq2(c, a1, indirect_iface(args[i]), &t);

		if (r)
			return r;
		if (t) {
			*out = hv_bool(true);
			return 0;
		}
	}
	*out = hv_bool(false);
	return 0;
}

static int fn_ne(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	bool t;
	int r = eq2(c, indirect_iface(args[0]), indirect_iface(args[1]), &t);

	(void)nargs;
	if (r)
		return r;
	*out = hv_bool(!t);
	return 0;
}

static int lt2(struct helm_ctx *c, struct hv *a1, struct hv *a2, bool *truth)
{
	enum basic_kind k1 = basic_kind(a1), k2 = basic_kind(a2);

	*truth = false;
	if (k1 == K_INVALID || k2 == K_INVALID)
		return hctx_fail(c, "invalid type for comparison");
	if (k1 != k2) {
		if (k1 == K_INT && k2 == K_UINT)
			*truth = a1->i < 0 || (uint64_t)a1->i < a2->u;
		else if (k1 == K_UINT && k2 == K_INT)
			*truth = a2->i >= 0 && a1->u < (uint64_t)a2->i;
		else
			return hctx_fail(c, "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case K_BOOL:
		return hctx_fail(c, "invalid type for comparison");
	case K_FLOAT: *truth = a1->f < a2->f; break;
	case K_INT: *truth = a1->i < a2->i; break;
	case K_STRING: *truth = str_cmp(a1, a2) < 0; break;
	case K_UINT: *truth = a1->u < a2->u; break;
	case K_INVALID: break;
	}
	return 0;
}

static int le2(struct helm_ctx *c, struct hv *a1, struct hv *a2, bool *truth)
{
	int r = lt2(c, a1, a2, truth);

	if (r || *truth)
		return r;
	return eq2(c, a1, a2, truth);
}

static int fn_lt(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	bool t;
	int r = lt2(c, indirect_iface(args[0]), indirect_iface(args[1]), &t);

	(void)nargs;
	if (!r)
		*out = hv_bool(t);
	return r;
}

static int fn_le(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	bool t;
	int r = le2(c, indirect_iface(args[0]), indirect_iface(args[1]), &t);

	(void)nargs;
	if (!r)
		*out = hv_bool(t);
	return r;
}

static int fn_gt(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	bool t;
	int r = le2(c, indirect_iface(args[0]), indirect_iface(args[1]), &t);

	(void)nargs;
	if (!r)
		*out = hv_bool(!t);
	return r;
}

static int fn_ge(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	bool t;
	int r = lt2(c, indirect_iface(args[0]), indirect_iface(args[1]), &t);

	(void)nargs;
	if (!r)
		*out = hv_bool(!t);
	return r;
}

const struct hfunc tmpl_builtins[] = {
	{ "and", fn_unreachable, "xx*", 1 },
	{ "call", fn_call, "xx*", 2 },
	{ "html", fn_html, "a*", 1 },
	{ "index", fn_index, "xx*", 2 },
	{ "slice", fn_slice, "xx*", 2 },
	{ "js", fn_js, "a*", 1 },
	{ "len", fn_len, "x", 2 },
	{ "not", fn_not, "x", 1 },
	{ "or", fn_unreachable, "xx*", 1 },
	{ "print", fn_print, "a*", 1 },
	{ "printf", fn_printf, "sa*", 1 },
	{ "println", fn_println, "a*", 1 },
	{ "urlquery", fn_urlquery, "a*", 1 },
	{ "eq", fn_eq, "xx*", 2 },
	{ "ge", fn_ge, "xx", 2 },
	{ "gt", fn_gt, "xx", 2 },
	{ "le", fn_le, "xx", 2 },
	{ "lt", fn_lt, "xx", 2 },
	{ "ne", fn_ne, "xx", 2 },
	{ NULL, NULL, NULL, 0 },
};
