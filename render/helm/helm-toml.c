/*
 * helm-toml.c - Helm's toToml: BurntSushi/toml 1.2's Encoder over Go
 * values (plain keys first, then tables; sorted keys; arrays of maps as
 * [[tables]]; two-space indent per table level; floats always with a
 * decimal point).  An encoding error becomes the output text, as Helm's
 * toTOML returns err.Error().
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/sprig.h"

#include <math.h>

struct tenc {
	struct helm_ctx *c;
	struct strbuf *out;
	bool written;
	const char *err; /* a tomlEncodeError's text */
	unsigned depth;
};

struct key {
	const char **part;
	size_t *len;
	size_t n;
};

static void w(struct tenc *e, const char *s, size_t n)
{
	strbuf_add(e->out, s, n);
	e->written = true;
}

static void ws(struct tenc *e, const char *s)
{
	w(e, s, strlen(s));
}

static void newline(struct tenc *e)
{
	if (e->written)
		ws(e, "\n");
}

static void quoted(struct tenc *e, const char *s, size_t n)
{
	size_t i;

	ws(e, "\"");
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char b[8];
		switch (ch) {
		case '"': ws(e, "\\\""); break;
		case '\\': ws(e, "\\\\"); break;
		case '\b': ws(e, "\\b"); break;
		case '\t': ws(e, "\\t"); break;
		case '\n': ws(e, "\\n"); break;
		case '\f': ws(e, "\\f"); break;
		case '\r': ws(e, "\\r"); break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				snprintf(b, sizeof(b), "\\u%04x", ch);
				ws(e, b);
			} else {
				w(e, (const char *)&ch, 1);
			}
		}
	}
	ws(e, "\"");
}

static void key_part(struct tenc *e, const char *s, size_t n)
{
	size_t i;

	if (!n) {
		ws(e, "\"\"");
		return;
	}
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-')) {
			quoted(e, s, n);
			return;
		}
	}
	w(e, s, n);
}

static void key_string(struct tenc *e, const struct key *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (i)
			ws(e, ".");
		key_part(e, k->part[i], k->len[i]);
	}
}

static void indent(struct tenc *e, const struct key *k)
{
	size_t i;

	for (i = 1; i < k->n; i++)
		ws(e, "  ");
}

enum ttype { T_NONE, T_SCALAR, T_ARRAY, T_HASH, T_ARRAYHASH };

static enum ttype ttype_of(struct tenc *e, const struct hv *v)
{
	size_t i;

	switch (v->kind) {
	case HV_NIL:
		return T_NONE;
	case HV_MAP:
		return T_HASH;
	case HV_OBJ:
		return T_HASH;
	case HV_LIST:
		if (!v->list->n)
			return T_ARRAY;
		for (i = 0; i < v->list->n; i++)
			if (v->list->items[i]->kind == HV_NIL && !e->err)
				e->err = "toml: cannot encode array with nil element";
		for (i = 0; i < v->list->n; i++)
			if (ttype_of(e, v->list->items[i]) != T_HASH)
				return T_ARRAY;
		return T_ARRAYHASH;
	default:
		return T_SCALAR;
	}
}

static void element(struct tenc *e, const struct hv *v);
static void emap(struct tenc *e, const struct key *k, const struct hv *m, bool inline_);

static void key_value(struct tenc *e, const struct key *k, const struct hv *v, bool inline_)
{
	if (!k->n) {
		if (!e->err)
			e->err = "toml: top-level values must be Go maps or structs";
		return;
	}
	indent(e, k);
	key_part(e, k->part[k->n - 1], k->len[k->n - 1]);
	ws(e, " = ");
	element(e, v);
	if (!inline_)
		newline(e);
}

static void element(struct tenc *e, const struct hv *v)
{
	char b[400];
	size_t i;

	if (e->err)
		return;
	switch (v->kind) {
	case HV_STRING:
		quoted(e, v->s, v->len);
		break;
	case HV_BOOL:
		ws(e, v->b ? "true" : "false");
		break;
	case HV_INT:
		snprintf(b, sizeof(b), "%lld", (long long)v->i);
		ws(e, b);
		break;
	case HV_UINT:
		snprintf(b, sizeof(b), "%llu", (unsigned long long)v->u);
		ws(e, b);
		break;
	case HV_FLOAT:
		if (isnan(v->f)) {
			ws(e, "nan");
		} else if (isinf(v->f)) {
			ws(e, signbit(v->f) ? "-inf" : "+inf");
		} else {
			helm_format_float(b, sizeof(b), v->f, 'f', strcmp(v->type, "float32") ? 64 : 32);
			ws(e, b);
			if (!strchr(b, '.'))
				ws(e, ".0");
		}
		break;
	case HV_TIME: {
		struct strbuf t = STRBUF_INIT;
		struct helm_json_opts o = { NULL, true };
		/* RFC 3339 with nanoseconds, unquoted: the JSON form without its quotes. */
		if (!helm_json_emit(e->c, &t, v, &o) && t.len >= 2)
			w(e, t.buf + 1, t.len - 2);
		strbuf_release(&t);
		break;
	}
	case HV_BYTES:
		ws(e, "[");
		for (i = 0; i < v->len; i++) {
			snprintf(b, sizeof(b), "%s%u", i ? ", " : "", (unsigned char)v->s[i]);
			ws(e, b);
		}
		ws(e, "]");
		break;
	case HV_LIST:
		ws(e, "[");
		for (i = 0; i < v->list->n && !e->err; i++) {
			if (v->list->items[i]->kind == HV_NIL) {
				e->err = "reflect: call of reflect.Value.Interface on zero Value";
				return;
			}
			element(e, v->list->items[i]);
			if (i + 1 != v->list->n)
				ws(e, ", ");
		}
		ws(e, "]");
		break;
	case HV_MAP:
		emap(e, NULL, v, true);
		break;
	default:
		if (!e->err)
			e->err = "toml: unsupported type";
		break;
	}
}

static void encode(struct tenc *e, const struct key *k, const struct hv *v);

static void table(struct tenc *e, const struct key *k, const struct hv *m)
{
	if (k->n == 1)
		newline(e);
	if (k->n > 0) {
		indent(e, k);
		ws(e, "[");
		key_string(e, k);
		ws(e, "]");
		newline(e);
	}
	emap(e, k, m, false);
}

static void array_of_tables(struct tenc *e, const struct key *k, const struct hv *l)
{
	size_t i;

	if (!k->n) {
		if (!e->err)
			e->err = "toml: top-level values must be Go maps or structs";
		return;
	}
	for (i = 0; i < l->list->n && !e->err; i++) {
		newline(e);
		indent(e, k);
		ws(e, "[[");
		key_string(e, k);
		ws(e, "]]");
		newline(e);
		emap(e, k, l->list->items[i], false);
	}
}

static void encode(struct tenc *e, const struct key *k, const struct hv *v)
{
	if (e->err)
		return;
	if (++e->depth > 10000) {
		e->err = "toml: nesting too deep";
		return;
	}
	switch (v->kind) {
	case HV_NIL:
		break;
	case HV_MAP:
		table(e, k, v);
		break;
	case HV_LIST:
		if (ttype_of(e, v) == T_ARRAYHASH)
			array_of_tables(e, k, v);
		else
			key_value(e, k, v, false);
		break;
	default:
		key_value(e, k, v, false);
		break;
	}
	e->depth--;
}

static void emap(struct tenc *e, const struct key *k, const struct hv *m, bool inline_)
{
	const char **keys;
	size_t *lens, nk, i, pass, ndirect = 0, nsub = 0, done;
	struct key sub = { 0 };

	if (m->kind != HV_MAP) {
		if (!e->err)
			e->err = "toml: unsupported type";
		return;
	}
	if (hv_map_keys(e->c, m, &keys, &lens, &nk)) {
		e->err = "toml: out of memory";
		return;
	}
	for (i = 0; i < nk; i++) {
		enum ttype t = ttype_of(e, hv_map_get(m, keys[i], lens[i]));
		if (t == T_HASH || t == T_ARRAYHASH)
			nsub++;
		else
			ndirect++;
	}
	if (k && k->n) {
		sub.part = xmalloc((k->n + 1) * sizeof(*sub.part));
		sub.len = xmalloc((k->n + 1) * sizeof(*sub.len));
		memcpy(sub.part, k->part, k->n * sizeof(*sub.part));
		memcpy(sub.len, k->len, k->n * sizeof(*sub.len));
	} else {
		sub.part = xmalloc(sizeof(*sub.part));
		sub.len = xmalloc(sizeof(*sub.len));
	}
	sub.n = (k ? k->n : 0) + 1;
	if (inline_)
		ws(e, "{");
	/* Keys directly under this one first, then the tables (each set sorted). */
	for (pass = 0; pass < 2 && !e->err; pass++) {
		size_t count = pass ? nsub : ndirect;
		for (i = 0, done = 0; i < nk && !e->err; i++) {
			const struct hv *v = hv_map_get(m, keys[i], lens[i]);
			enum ttype t = ttype_of(e, v);
			bool is_sub = t == T_HASH || t == T_ARRAYHASH;
			if (is_sub != (pass == 1))
				continue;
			done++;
			if (v->kind == HV_NIL)
				continue;
			sub.part[sub.n - 1] = keys[i];
			sub.len[sub.n - 1] = lens[i];
			if (inline_) {
				struct key one = { &sub.part[sub.n - 1], &sub.len[sub.n - 1], 1 };
				key_value(e, &one, v, true);
				if ((pass == 0 && nsub > 0) || done != count)
					ws(e, ", ");
			} else {
				encode(e, &sub, v);
			}
		}
	}
	if (inline_)
		ws(e, "}");
	free(sub.part);
	free(sub.len);
}

static SPRIG_FN(h_totoml)
{
	struct strbuf sb = STRBUF_INIT;
	struct tenc e = { c, &sb, false, NULL, 0 };
	struct key root = { NULL, NULL, 0 };

	encode(&e, &root, a[0]);
	if (e.err) {
		/* Helm returns the error's text in place of the document. */
		strbuf_reset(&sb);
		strbuf_addstr(&sb, e.err);
	}
	return sprig_ret_buf(c, out, &sb);
}

int helm_totoml(struct helm_ctx *c, struct hv **out, struct hv *const *a, size_t n)
{
	return h_totoml(c, out, a, n);
}
