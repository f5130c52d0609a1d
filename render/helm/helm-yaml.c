/*
 * helm-yaml.c - YAML/JSON <-> Go values with Helm's libraries' semantics
 * (see helm-yaml.h).
 *
 * Written by hand because the output must match Go's bytes: go-yaml v2's
 * scalar resolution and merge order, encoding/json's float formatting,
 * escaping and error texts.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"

#include <errno.h>
#include <math.h>
#include <yaml.h>
#include <openssl/evp.h>

#define JSON_MAX_DEPTH 10000 /* encoding/json's own nesting limit */

/* --- Go's strconv.FormatFloat with precision -1 -------------------------- */

/* Shortest decimal digits of |f| that read back as f (as float32 when bits is 32). */
static int shortest_digits(double f, int bits, char *digits, int *exp10)
{
	char tmp[64];
	int prec, nd = 0;
	const char *p;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(f));
		if (bits == 32 ? (float)strtod(tmp, NULL) == (float)f
			       : strtod(tmp, NULL) == fabs(f))
			break;
	}
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	*exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

void helm_format_float(char *buf, size_t size, double f, char fmt, int bits)
{
	char digits[32];
	struct strbuf sb = STRBUF_INIT;
	int nd, exp, i;

	if (bits == 32)
		f = (float)f;
	if (isnan(f)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(f)) {
		snprintf(buf, size, "%s", f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (f == 0) {
		digits[0] = '0';
		digits[1] = '\0';
		nd = 1;
		exp = 0;
	} else {
		nd = shortest_digits(f, bits, digits, &exp);
	}
	if (signbit(f))
		strbuf_addch(&sb, '-');
	/* 'g' with the shortest digits switches to %e at an exponent of 6, as Go does. */
	if (fmt == 'g')
		fmt = exp < -4 || exp >= 6 ? 'e' : 'f';
	if (fmt == 'e') {
		strbuf_addch(&sb, digits[0]);
		if (nd > 1) {
			strbuf_addch(&sb, '.');
			strbuf_add(&sb, digits + 1, (size_t)nd - 1);
		}
		strbuf_addf(&sb, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		strbuf_addstr(&sb, "0.");
		for (i = -1; i > exp; i--)
			strbuf_addch(&sb, '0');
		strbuf_add(&sb, digits, (size_t)nd);
	} else {
		for (i = 0; i <= exp; i++)
			strbuf_addch(&sb, i < nd ? digits[i] : '0');
		if (nd > exp + 1) {
			strbuf_addch(&sb, '.');
			strbuf_add(&sb, digits + exp + 1, (size_t)(nd - exp - 1));
		}
	}
	snprintf(buf, size, "%s", sb.buf);
	strbuf_release(&sb);
}

void helm_json_float(char *buf, size_t size, double f)
{
	double a = fabs(f);
	size_t n;

	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		helm_format_float(buf, size, f, 'e', 64);
		/* encoding/json writes e-07 as e-7. */
		n = strlen(buf);
		if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
			buf[n - 2] = buf[n - 1];
			buf[n - 1] = '\0';
		}
		return;
	}
	helm_format_float(buf, size, f, 'f', 64);
}

/* --- UTF-8 as encoding/json sees it ---------------------------------------- */

/* Decodes one rune; invalid sequences give U+FFFD with width 1. */
static uint32_t utf8_rune(const unsigned char *s, size_t len, size_t *w)
{
	uint32_t c = s[0], min;
	size_t n, i;

	*w = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0xFFFD;
	}
	if (n > len)
		return 0xFFFD;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	*w = n;
	return c;
}

static void utf8_put(struct strbuf *sb, uint32_t c)
{
	if (c < 0x80) {
		strbuf_addch(sb, (int)c);
	} else if (c < 0x800) {
		strbuf_addch(sb, (int)(0xC0 | (c >> 6)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		strbuf_addch(sb, (int)(0xE0 | (c >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	} else {
		strbuf_addch(sb, (int)(0xF0 | (c >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 12) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3F)));
	}
}

/* A Go string after a JSON round trip: invalid UTF-8 becomes U+FFFD. */
static struct hv *json_str(struct helm_ctx *c, const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	struct hv *v;
	size_t i, w;

	if (utf8_is_valid(s, len))
		return hv_str(c, s, len);
	for (i = 0; i < len; i += w) {
		uint32_t r = utf8_rune((const unsigned char *)s + i, len - i, &w);
		utf8_put(&sb, r);
	}
	v = hv_str(c, sb.buf, sb.len);
	strbuf_release(&sb);
	return v;
}

/* --- YAML -> values -------------------------------------------------------- */

static const char *const trues11[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL };
static const char *const falses11[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL };

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

/* go-yaml v2's resolution of a scalar node, into doc_value terms. */
static int resolve_v2(const struct doc_node *n, struct doc_value *v)
{
	int r = doc_resolve(n, v);

	if (r)
		return r;
	if (n->style == DOC_STYLE_PLAIN && (!n->tag || !strcmp(n->tag, "!")) &&
	    strlen(n->str) == n->len && v->type == DOC_T_STR) {
		if (in_list(n->str, trues11)) {
			v->type = DOC_T_BOOL;
			v->b = true;
		} else if (in_list(n->str, falses11)) {
			v->type = DOC_T_BOOL;
			v->b = false;
		}
	}
	return 0;
}

static int go_float_err(double f)
{
	char b[16];

	helm_format_float(b, sizeof(b), f, 'g', 64);
	return err_set(ERR_INVALID, "error converting YAML to JSON: json: unsupported value: %s", b);
}

static int b64_decode(struct strbuf *out, const char *s, size_t len);

static int scalar_to_hv(struct helm_ctx *c, struct hv **out, const struct doc_node *n)
{
	struct doc_value v;
	int r = resolve_v2(n, &v);

	if (r)
		return err_set(ERR_INVALID, "error converting YAML to JSON: yaml: %s", err_msg());
	switch (v.type) {
	case DOC_T_NULL:
		*out = hv_nil();
		return 0;
	case DOC_T_BOOL:
		*out = hv_bool(v.b);
		return 0;
	case DOC_T_INT:
		*out = hv_float(c, (double)v.i);
		break;
	case DOC_T_UINT:
		*out = hv_float(c, (double)v.u);
		break;
	case DOC_T_FLOAT:
		if (isnan(v.f) || isinf(v.f))
			return go_float_err(v.f);
		*out = hv_float(c, v.f);
		break;
	case DOC_T_TIME:
		/* go-yaml v2 hands timestamps to interface{} as the text written. */
		*out = hv_str(c, n->str, n->len);
		break;
	case DOC_T_STR:
		if (n->tag && !strcmp(n->tag, "tag:yaml.org,2002:binary")) {
			struct strbuf sb = STRBUF_INIT;
			if (b64_decode(&sb, n->str, n->len)) {
				strbuf_release(&sb);
				return err_set(ERR_INVALID,
					       "error converting YAML to JSON: yaml: !!binary "
					       "value contains invalid base64 data");
			}
			*out = json_str(c, sb.buf, sb.len);
			strbuf_release(&sb);
			break;
		}
		*out = json_str(c, n->str, n->len);
		break;
	}
	return *out ? 0 : ERR_TOOBIG;
}

/* A map key as sigs.k8s.io/yaml turns go-yaml v2's key into a string. */
static int key_string(struct strbuf *sb, const struct doc_node *k)
{
	struct doc_value v;
	char b[64];

	if (k->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "error converting YAML to JSON: yaml: invalid map key");
	if (resolve_v2(k, &v))
		return err_set(ERR_INVALID, "error converting YAML to JSON: yaml: %s", err_msg());
	switch (v.type) {
	case DOC_T_STR:
	case DOC_T_TIME:
		return strbuf_add(sb, k->str, k->len);
	case DOC_T_BOOL:
		return strbuf_addstr(sb, v.b ? "true" : "false");
	case DOC_T_INT:
		return strbuf_addf(sb, "%lld", (long long)v.i);
	case DOC_T_FLOAT:
		if (isinf(v.f))
			return strbuf_addstr(sb, v.f > 0 ? ".inf" : "-.inf");
		if (isnan(v.f))
			return strbuf_addstr(sb, ".nan");
		helm_format_float(b, sizeof(b), v.f, 'g', 32);
		return strbuf_addstr(sb, b);
	case DOC_T_UINT:
		return err_set(ERR_INVALID,
			       "error converting YAML to JSON: Unsupported map key of type: "
			       "uint64, key: 0x%llx, value: ...",
			       (unsigned long long)v.u);
	case DOC_T_NULL:
	default:
		return err_set(ERR_INVALID,
			       "error converting YAML to JSON: Unsupported map key of type: "
			       "%%!s(<nil>), key: <nil>, value: ...");
	}
}

static int node_to_hv(struct helm_ctx *c, struct hv **out, const struct doc_node *n,
		      unsigned depth);

static int merge_into(struct helm_ctx *c, struct hv *map, const struct doc_node *m,
		      unsigned depth);

static int map_fill(struct helm_ctx *c, struct hv *map, const struct doc_node *n,
		    unsigned depth)
{
	struct strbuf key = STRBUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < n->n; i++) {
		const struct doc_node *k = n->kids[2 * i], *val = n->kids[2 * i + 1];
		struct hv *hv;

		/* go-yaml v2 merges at the key's position: later keys override it. */
		if (doc_is_merge_key(k)) {
			r = merge_into(c, map, val, depth);
			if (r)
				goto out;
			continue;
		}
		strbuf_reset(&key);
		r = key_string(&key, k);
		if (r)
			goto out;
		r = node_to_hv(c, &hv, val, depth + 1);
		if (r)
			goto out;
		r = hv_map_set(c, map, key.buf, key.len, hv);
		if (r)
			goto out;
	}
out:
	strbuf_release(&key);
	return r;
}

static int merge_into(struct helm_ctx *c, struct hv *map, const struct doc_node *m,
		      unsigned depth)
{
	size_t i;
	int r;

	if (m->kind == DOC_MAP)
		return map_fill(c, map, m, depth);
	if (m->kind == DOC_SEQ) {
		for (i = 0; i < m->n; i++)
			if (m->kids[i]->kind != DOC_MAP)
				goto bad;
		/* Backwards: earlier maps take precedence. */
		for (i = m->n; i-- > 0;) {
			r = map_fill(c, map, m->kids[i], depth);
			if (r)
				return r;
		}
		return 0;
	}
bad:
	return err_set(ERR_INVALID, "error converting YAML to JSON: yaml: map merge requires "
				    "map or sequence of maps as the value");
}

static int node_to_hv(struct helm_ctx *c, struct hv **out, const struct doc_node *n,
		      unsigned depth)
{
	struct hv *v;
	size_t i;
	int r;

	if (depth > JSON_MAX_DEPTH)
		return err_set(ERR_TOOBIG, "error converting YAML to JSON: json: exceeded max depth");
	if (n->kind == DOC_SCALAR)
		return scalar_to_hv(c, out, n);
	if (n->kind == DOC_SEQ) {
		v = hv_list_new(c, HV_T_LIST, n->n);
		if (!v)
			return ERR_TOOBIG;
		for (i = 0; i < n->n; i++) {
			struct hv *item;
			r = node_to_hv(c, &item, n->kids[i], depth + 1);
			if (r)
				return r;
			r = hv_list_push(c, v, item);
			if (r)
				return r;
		}
		*out = v;
		return 0;
	}
	v = hv_map_new(c, HV_T_MAP);
	if (!v)
		return ERR_TOOBIG;
	r = map_fill(c, v, n, depth);
	if (r)
		return r;
	*out = v;
	return 0;
}

int helm_yaml_from_doc(struct helm_ctx *c, struct hv **out, const struct doc_node *n)
{
	return node_to_hv(c, out, n, 0);
}

static const char *json_kind(const struct hv *v)
{
	switch (v->kind) {
	case HV_BOOL:
		return "bool";
	case HV_INT:
	case HV_UINT:
	case HV_FLOAT:
		return "number";
	case HV_LIST:
		return "array";
	case HV_MAP:
		return "object";
	default:
		return "string";
	}
}

/* json.Unmarshal's final step: the decoded value into the target type. */
static int into_target(struct helm_ctx *c, struct hv **out, struct hv *v,
		       enum helm_into into, const char *prefix)
{
	if (into == HELM_INTO_ANY) {
		*out = v;
		return 0;
	}
	if (v->kind == HV_NIL) {
		*out = into == HELM_INTO_MAP ? hv_map_new(c, HV_T_MAP) : hv_list_new(c, HV_T_LIST, 0);
		return *out ? 0 : ERR_TOOBIG;
	}
	if ((into == HELM_INTO_MAP && v->kind == HV_MAP) ||
	    (into == HELM_INTO_LIST && v->kind == HV_LIST)) {
		*out = v;
		return 0;
	}
	return err_set(ERR_INVALID, "%sjson: cannot unmarshal %s into Go value of type %s", prefix,
		       json_kind(v), into == HELM_INTO_MAP ? HV_T_MAP : HV_T_LIST);
}

/*
 * go-yaml v2's message for a syntax error, from libyaml's marks: v2 prints
 * the 0-based problem line for parser errors (one less than the line) and
 * the 1-based one for scanner errors.  An alias to an anchor not defined
 * before it is v2's "unknown anchor 'NAME' referenced".
 */
static int yaml_syntax_err(const char *buf, size_t len)
{
	struct strbuf anchors = STRBUF_INIT; /* names defined so far, NUL-separated */
	yaml_parser_t p;
	yaml_event_t ev;
	int ret = 0;

	if (!yaml_parser_initialize(&p))
		return err_set(ERR_GENERIC, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		const char *anchor = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			size_t line = 0;
			const char *problem = p.problem ? p.problem
							: "unknown problem parsing YAML content";
			if (p.problem_mark.line) {
				line = p.problem_mark.line;
				if (p.error == YAML_SCANNER_ERROR)
					line++;
			} else if (p.context_mark.line) {
				line = p.context_mark.line;
			}
			if (line)
				ret = err_set(ERR_INVALID,
					      "error converting YAML to JSON: yaml: line %zu: %s",
					      line, problem);
			else
				ret = err_set(ERR_INVALID,
					      "error converting YAML to JSON: yaml: %s", problem);
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		/* go-yaml v2 names an alias whose anchor is not defined (yet). */
		if (ev.type == YAML_SCALAR_EVENT)
			anchor = (const char *)ev.data.scalar.anchor;
		else if (ev.type == YAML_SEQUENCE_START_EVENT)
			anchor = (const char *)ev.data.sequence_start.anchor;
		else if (ev.type == YAML_MAPPING_START_EVENT)
			anchor = (const char *)ev.data.mapping_start.anchor;
		if (anchor) {
			strbuf_addstr(&anchors, anchor);
			strbuf_addch(&anchors, '\0');
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			const char *name = (const char *)ev.data.alias.anchor, *q;
			bool known = false;
			for (q = anchors.buf; q < anchors.buf + anchors.len; q += strlen(q) + 1)
				if (!strcmp(q, name))
					known = true;
			if (!known) {
				ret = err_set(ERR_INVALID, "error converting YAML to JSON: yaml: unknown "
							   "anchor '%s' referenced", name);
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	strbuf_release(&anchors);
	return ret;
}

/* libyaml's marks count characters (after a BOM); this is the byte offset. */
static size_t char_to_byte(const char *buf, size_t len, size_t index)
{
	size_t b = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;

	while (index && b < len) {
		unsigned char ch = (unsigned char)buf[b];
		size_t w = ch < 0x80 ? 1 : (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3 : 4;
		b += w;
		index--;
	}
	return b < len ? b : len;
}

/*
 * The bytes of the first document.  go-yaml v2's Unmarshal reads the first
 * document's events and no further: whatever follows its end (another
 * document, or text libyaml would refuse when it looks for the next
 * document) cannot fail the call.  *end is where that document's end event
 * is; 1 when libyaml fails before it (the caller reports the error).
 */
static int first_doc_end(const char *buf, size_t len, size_t *end)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int ret = 1;

	*end = len;
	if (!yaml_parser_initialize(&p))
		return 1;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		if (t == YAML_DOCUMENT_END_EVENT) {
			*end = char_to_byte(buf, len, ev.end_mark.index);
			ret = 0;
		}
		if (t == YAML_STREAM_END_EVENT)
			ret = 0;
		yaml_event_delete(&ev);
		if (t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return ret;
}

int helm_yaml_parse(struct helm_ctx *c, struct hv **out, const char *buf, size_t len,
		    enum helm_into into)
{
	struct doc_limits lim = doc_limits_default;
	struct doc_stream *s = NULL;
	struct hv *v = hv_nil();
	size_t end;
	int r;

	lim.last_key_wins = true;
	/* A stream whose first document is empty gives null, as v2 decodes it. */
	if (first_doc_end(buf, len, &end))
		return yaml_syntax_err(buf, len) ? ERR_INVALID
						 : err_set(ERR_INVALID, "error converting YAML to "
									"JSON: yaml: unknown problem "
									"parsing YAML content");
	len = end;
	r = doc_parse(&s, buf, len, "<input>", &lim);
	if (r) {
		if (r == ERR_INVALID) {
			char *msg = xstrdup(err_msg());
			const char *p = msg;
			/* doc_parse's own checks have no libyaml error behind them. */
			if (!yaml_syntax_err(buf, len)) {
				if (!strncmp(p, "<input>:", 8))
					p = strchr(p + 8, ' ') ? strchr(p + 8, ' ') + 1 : p;
				err_set(ERR_INVALID, "error converting YAML to JSON: yaml: %s", p);
			}
			free(msg);
		}
		return r == ERR_INVALID ? ERR_INVALID : r;
	}
	if (s->ndocs) {
		r = node_to_hv(c, &v, s->docs[0], 0);
		if (r)
			goto out;
	}
	r = into_target(c, out, v, into, "error unmarshaling JSON: while decoding JSON: ");
out:
	doc_stream_free(s);
	return r;
}

/* --- JSON -> values -------------------------------------------------------- */

struct jp {
	struct helm_ctx *c;
	const unsigned char *s;
	size_t len, i;
	unsigned depth;
};

/* encoding/json's quoteChar. */
static void quote_char(char *buf, size_t size, unsigned char ch)
{
	if (ch == '\'')
		snprintf(buf, size, "'\\''");
	else if (ch == '"')
		snprintf(buf, size, "'\"'");
	else if (ch < 0x20 || ch == 0x7f) {
		static const char *const named[] = { [7] = "\\a", [8] = "\\b", [9] = "\\t",
						     [10] = "\\n", [11] = "\\v", [12] = "\\f",
						     [13] = "\\r" };
		if (ch < 14 && named[ch])
			snprintf(buf, size, "'%s'", named[ch]);
		else
			snprintf(buf, size, "'\\x%02x'", ch);
	} else if (ch >= 0x80 && ch < 0xa0) {
		snprintf(buf, size, "'\\u%04x'", ch);
	} else if (ch == 0xad) {
		snprintf(buf, size, "'\\u00ad'");
	} else if (ch >= 0x80) {
		snprintf(buf, size, "'%c%c'", 0xC0 | (ch >> 6), 0x80 | (ch & 0x3F));
	} else {
		snprintf(buf, size, "'%c'", ch);
	}
}

/* At the end of input encoding/json's scanner steps on a space: mid-token that is an error. */
static int jp_eof_space(struct jp *p, const char *context)
{
	if (p->i >= p->len)
		return err_set(ERR_INVALID, "invalid character ' ' %s", context);
	return 0;
}

static int jp_err(struct jp *p, const char *context)
{
	char q[16];

	if (p->i >= p->len)
		return err_set(ERR_INVALID, "unexpected end of JSON input");
	quote_char(q, sizeof(q), p->s[p->i]);
	return err_set(ERR_INVALID, "invalid character %s %s", q, context);
}

static void jp_ws(struct jp *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
				 p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int jp_hex4(struct jp *p, uint32_t *out)
{
	int k;

	*out = 0;
	for (k = 0; k < 4; k++) {
		int h;
		if (p->i >= p->len)
			return jp_err(p, "");
		h = hexval(p->s[p->i]);
		if (h < 0)
			return jp_err(p, "in \\u hexadecimal character escape");
		*out = *out * 16 + (uint32_t)h;
		p->i++;
	}
	return 0;
}

/* A string literal (p->i at the quote) into `sb`, as json decodes it. */
static int jp_string(struct jp *p, struct strbuf *sb)
{
	p->i++;
	for (;;) {
		unsigned char ch;
		if (p->i >= p->len)
			return jp_err(p, "");
		ch = p->s[p->i];
		if (ch == '"') {
			p->i++;
			return 0;
		}
		if (ch < 0x20)
			return jp_err(p, "in string literal");
		if (ch == '\\') {
			uint32_t u, u2;
			p->i++;
			if (p->i >= p->len)
				return jp_err(p, "");
			ch = p->s[p->i];
			switch (ch) {
			case '"': case '\\': case '/':
				strbuf_addch(sb, ch);
				p->i++;
				continue;
			case 'b': strbuf_addch(sb, '\b'); p->i++; continue;
			case 'f': strbuf_addch(sb, '\f'); p->i++; continue;
			case 'n': strbuf_addch(sb, '\n'); p->i++; continue;
			case 'r': strbuf_addch(sb, '\r'); p->i++; continue;
			case 't': strbuf_addch(sb, '\t'); p->i++; continue;
			case 'u':
				p->i++;
				if (jp_hex4(p, &u))
					return ERR_INVALID;
				if (u >= 0xD800 && u < 0xDC00) {
					/* A surrogate pair, or U+FFFD for a lone half. */
					if (p->i + 6 <= p->len && p->s[p->i] == '\\' &&
					    p->s[p->i + 1] == 'u') {
						size_t save = p->i;
						p->i += 2;
						if (jp_hex4(p, &u2))
							return ERR_INVALID;
						if (u2 >= 0xDC00 && u2 < 0xE000) {
							utf8_put(sb, 0x10000 + ((u - 0xD800) << 10) +
									     (u2 - 0xDC00));
							continue;
						}
						p->i = save;
					}
					utf8_put(sb, 0xFFFD);
					continue;
				}
				if (u >= 0xDC00 && u < 0xE000)
					u = 0xFFFD;
				utf8_put(sb, u);
				continue;
			default:
				return jp_err(p, "in string escape code");
			}
		}
		if (ch < 0x80) {
			strbuf_addch(sb, ch);
			p->i++;
		} else {
			size_t w;
			uint32_t r = utf8_rune(p->s + p->i, p->len - p->i, &w);
			if (r == 0xFFFD && w == 1)
				utf8_put(sb, 0xFFFD);
			else
				strbuf_add(sb, p->s + p->i, w);
			p->i += w;
		}
	}
}

static int jp_number(struct jp *p, struct hv **out)
{
	size_t start = p->i;
	char *tmp, *end;
	double f;

	if (p->s[p->i] == '-')
		p->i++;
	if (jp_eof_space(p, "in numeric literal"))
		return ERR_INVALID;
	if (p->s[p->i] == '0') {
		p->i++;
	} else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	} else {
		return jp_err(p, "in numeric literal");
	}
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if (jp_eof_space(p, "after decimal point in numeric literal"))
			return ERR_INVALID;
		if (!(p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			return jp_err(p, "after decimal point in numeric literal");
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (jp_eof_space(p, "in exponent of numeric literal"))
			return ERR_INVALID;
		if (!(p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			return jp_err(p, "in exponent of numeric literal");
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	tmp = xstrndup((const char *)p->s + start, p->i - start);
	errno = 0;
	f = strtod(tmp, &end);
	if (errno == ERANGE && isinf(f)) {
		err_set(ERR_INVALID, "json: cannot unmarshal number %s into Go value of type float64",
			tmp);
		free(tmp);
		return ERR_INVALID;
	}
	free(tmp);
	*out = hv_float(p->c, f);
	return *out ? 0 : ERR_TOOBIG;
}

static int jp_literal(struct jp *p, const char *word, struct hv *v, struct hv **out)
{
	size_t k;

	for (k = 0; word[k]; k++, p->i++) {
		char ctx[64];
		snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, word[k]);
		if (jp_eof_space(p, ctx))
			return ERR_INVALID;
		if (p->s[p->i] != (unsigned char)word[k])
			return jp_err(p, ctx);
	}
	*out = v;
	return 0;
}

static int jp_value(struct jp *p, struct hv **out);

static int jp_array(struct jp *p, struct hv **out)
{
	struct hv *l = hv_list_new(p->c, HV_T_LIST, 0), *item;
	int r;

	if (!l)
		return ERR_TOOBIG;
	p->i++;
	jp_ws(p);
	if (p->i < p->len && p->s[p->i] == ']') {
		p->i++;
		*out = l;
		return 0;
	}
	for (;;) {
		r = jp_value(p, &item);
		if (r)
			return r;
		r = hv_list_push(p->c, l, item);
		if (r)
			return r;
		jp_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == ']') {
			p->i++;
			*out = l;
			return 0;
		}
		return jp_err(p, "after array element");
	}
}

static int jp_object(struct jp *p, struct hv **out)
{
	struct hv *m = hv_map_new(p->c, HV_T_MAP), *val;
	struct strbuf key = STRBUF_INIT;
	int r = 0;

	if (!m)
		return ERR_TOOBIG;
	p->i++;
	jp_ws(p);
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
		*out = m;
		return 0;
	}
	for (;;) {
		jp_ws(p);
		if (p->i >= p->len || p->s[p->i] != '"') {
			r = jp_err(p, "looking for beginning of object key string");
			goto out;
		}
		strbuf_reset(&key);
		r = jp_string(p, &key);
		if (r)
			goto out;
		jp_ws(p);
		if (p->i >= p->len || p->s[p->i] != ':') {
			r = jp_err(p, "after object key");
			goto out;
		}
		p->i++;
		r = jp_value(p, &val);
		if (r)
			goto out;
		r = hv_map_set(p->c, m, key.buf, key.len, val);
		if (r)
			goto out;
		jp_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == '}') {
			p->i++;
			*out = m;
			goto out;
		}
		r = jp_err(p, "after object key:value pair");
		goto out;
	}
out:
	strbuf_release(&key);
	return r;
}

static int jp_value(struct jp *p, struct hv **out)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	jp_ws(p);
	if (p->i >= p->len)
		return jp_err(p, "");
	switch (p->s[p->i]) {
	case '{':
	case '[':
		if (++p->depth > JSON_MAX_DEPTH)
			return err_set(ERR_INVALID, "exceeded max depth");
		r = p->s[p->i] == '{' ? jp_object(p, out) : jp_array(p, out);
		p->depth--;
		return r;
	case '"':
		r = jp_string(p, &sb);
		if (!r) {
			*out = hv_str(p->c, sb.buf, sb.len);
			if (!*out)
				r = ERR_TOOBIG;
		}
		strbuf_release(&sb);
		return r;
	case 't':
		return jp_literal(p, "true", hv_bool(true), out);
	case 'f':
		return jp_literal(p, "false", hv_bool(false), out);
	case 'n':
		return jp_literal(p, "null", hv_nil(), out);
	default:
		if (p->s[p->i] == '-' || (p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			return jp_number(p, out);
		return jp_err(p, "looking for beginning of value");
	}
}

int helm_json_parse(struct helm_ctx *c, struct hv **out, const char *buf, size_t len,
		    enum helm_into into)
{
	struct jp p = { c, (const unsigned char *)buf, len, 0, 0 };
	struct hv *v;
	int r;

	r = jp_value(&p, &v);
	if (r)
		return r;
	jp_ws(&p);
	if (p.i < p.len)
		return jp_err(&p, "after top-level value");
	return into_target(c, out, v, into, "");
}

/* --- values -> JSON -------------------------------------------------------- */

static int b64_encode(struct strbuf *out, const void *p, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	int r = strbuf_grow(out, need + 1);

	if (r)
		return r;
	if (len > INT32_MAX)
		return err_set(ERR_TOOBIG, "value too large to encode");
	EVP_EncodeBlock((unsigned char *)out->buf + out->len, p, (int)len);
	strbuf_setlen(out, out->len + need);
	return 0;
}

/* Go's base64.StdEncoding.DecodeString: padding required, no whitespace but \r\n. */
static int b64_decode(struct strbuf *out, const char *s, size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t i, n = 0, pad = 0;

	for (i = 0; i < len; i++) {
		const char *q;
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || !s[i] || !(q = strchr(alpha, s[i])))
			return ERR_INVALID;
		acc = (acc << 6) | (uint32_t)(q - alpha);
		if (++n % 4 == 0) {
			strbuf_addch(out, (int)(acc >> 16) & 0xFF);
			strbuf_addch(out, (int)(acc >> 8) & 0xFF);
			strbuf_addch(out, (int)acc & 0xFF);
			acc = 0;
		}
	}
	if ((n + pad) % 4 || (n % 4 == 1) || (pad && pad != 4 - n % 4) || (n % 4 && !pad))
		return ERR_INVALID;
	if (n % 4 == 2) {
		strbuf_addch(out, (int)(acc >> 4) & 0xFF);
	} else if (n % 4 == 3) {
		strbuf_addch(out, (int)(acc >> 10) & 0xFF);
		strbuf_addch(out, (int)(acc >> 2) & 0xFF);
	}
	return 0;
}

/* time.Time's MarshalJSON: RFC 3339 with nanoseconds, trailing zeros cut. */
static int time_rfc3339nano(struct strbuf *sb, const struct hv_time *t)
{
	struct tm tm;
	time_t secs = (time_t)(t->sec + t->offset);
	int k;
	char frac[16];

	if (!gmtime_r(&secs, &tm))
		return err_set(ERR_INVALID, "Time.MarshalJSON: year outside of range [0,9999]");
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return err_set(ERR_INVALID, "Time.MarshalJSON: year outside of range [0,9999]");
	strbuf_addf(sb, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (t->nsec) {
		snprintf(frac, sizeof(frac), "%09d", t->nsec);
		for (k = 8; k > 0 && frac[k] == '0'; k--)
			frac[k] = '\0';
		strbuf_addf(sb, ".%s", frac);
	}
	if (!t->offset)
		strbuf_addch(sb, 'Z');
	else
		strbuf_addf(sb, "%c%02d:%02d", t->offset < 0 ? '-' : '+',
			    abs(t->offset) / 3600, abs(t->offset) / 60 % 60);
	return 0;
}

static int json_str_out(struct strbuf *sb, const char *s, size_t len, bool html)
{
	if (html)
		return strbuf_add_json_str_go(sb, s, len);
	{
		/* Go's encoder with SetEscapeHTML(false): the same but for <, > and &. */
		struct strbuf tmp = STRBUF_INIT;
		size_t i;
		int r = strbuf_add_json_str_go(&tmp, s, len);

		for (i = 0; !r && i < tmp.len; i++) {
			if (tmp.buf[i] == '\\' && i + 5 < tmp.len && !strncmp(tmp.buf + i, "\\u00", 4) &&
			    (!strncmp(tmp.buf + i + 4, "3c", 2) || !strncmp(tmp.buf + i + 4, "3e", 2) ||
			     !strncmp(tmp.buf + i + 4, "26", 2))) {
				strbuf_addch(sb, tmp.buf[i + 4] == '2' ? '&'
							 : tmp.buf[i + 5] == 'c' ? '<' : '>');
				i += 5;
				continue;
			}
			if (tmp.buf[i] == '\\') {
				strbuf_addch(sb, '\\');
				i++;
			}
			strbuf_addch(sb, tmp.buf[i]);
		}
		strbuf_release(&tmp);
		return r;
	}
}

static void json_nl(struct strbuf *sb, const struct helm_json_opts *o, unsigned depth)
{
	unsigned k;

	strbuf_addch(sb, '\n');
	for (k = 0; k < depth; k++)
		strbuf_addstr(sb, o->indent);
}

static int json_emit(struct helm_ctx *c, struct strbuf *sb, const struct hv *v,
		     const struct helm_json_opts *o, unsigned depth)
{
	char b[64];
	size_t i;
	int r = 0;

	if (depth > JSON_MAX_DEPTH)
		return err_set(ERR_INVALID, "json: unsupported value: encountered a cycle");
	switch (v->kind) {
	case HV_NIL:
		return strbuf_addstr(sb, "null");
	case HV_BOOL:
		return strbuf_addstr(sb, v->b ? "true" : "false");
	case HV_INT:
		return strbuf_addf(sb, "%lld", (long long)v->i);
	case HV_UINT:
		return strbuf_addf(sb, "%llu", (unsigned long long)v->u);
	case HV_FLOAT:
		if (isnan(v->f) || isinf(v->f)) {
			helm_format_float(b, sizeof(b), v->f, 'g', 64);
			return err_set(ERR_INVALID, "json: unsupported value: %s", b);
		}
		helm_json_float(b, sizeof(b), v->f);
		return strbuf_addstr(sb, b);
	case HV_STRING:
		return json_str_out(sb, v->s, v->len, !o->no_html_escape);
	case HV_BYTES:
		strbuf_addch(sb, '"');
		r = b64_encode(sb, v->s, v->len);
		strbuf_addch(sb, '"');
		return r;
	case HV_TIME:
		strbuf_addch(sb, '"');
		r = time_rfc3339nano(sb, &v->time);
		strbuf_addch(sb, '"');
		return r;
	case HV_LIST:
		if (!v->list->n)
			return strbuf_addstr(sb, "[]");
		strbuf_addch(sb, '[');
		for (i = 0; i < v->list->n; i++) {
			if (i)
				strbuf_addch(sb, ',');
			if (o->indent)
				json_nl(sb, o, depth + 1);
			r = json_emit(c, sb, v->list->items[i], o, depth + 1);
			if (r)
				return r;
		}
		if (o->indent)
			json_nl(sb, o, depth);
		return strbuf_addch(sb, ']');
	case HV_MAP: {
		const char **keys;
		size_t *lens, n;

		r = hv_map_keys(c, v, &keys, &lens, &n);
		if (r)
			return r;
		if (!n)
			return strbuf_addstr(sb, "{}");
		strbuf_addch(sb, '{');
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addch(sb, ',');
			if (o->indent)
				json_nl(sb, o, depth + 1);
			json_str_out(sb, keys[i], lens[i], !o->no_html_escape);
			strbuf_addstr(sb, o->indent ? ": " : ":");
			r = json_emit(c, sb, hv_map_get(v, keys[i], lens[i]), o, depth + 1);
			if (r)
				return r;
		}
		if (o->indent)
			json_nl(sb, o, depth);
		return strbuf_addch(sb, '}');
	}
	case HV_OBJ:
	default:
		/* NEEDSWORK: Go structs (.Chart, .Release ...) marshal by their json tags. */
		return err_set(ERR_INVALID, "json: unsupported type: %s", v->type);
	}
}

int helm_json_emit(struct helm_ctx *c, struct strbuf *out, const struct hv *v,
		   const struct helm_json_opts *opts)
{
	static const struct helm_json_opts def = { NULL, false };
	size_t start = out->len;
	int r = json_emit(c, out, v, opts ? opts : &def, 0);

	if (r)
		strbuf_setlen(out, start);
	return r;
}

/* --- values -> YAML -------------------------------------------------------- */

static int to_doc(struct helm_ctx *c, struct doc_node **out, struct arena *a,
		  const struct hv *v, unsigned depth)
{
	struct strbuf sb = STRBUF_INIT;
	char b[64];
	size_t i;
	int r = 0;

	if (depth > JSON_MAX_DEPTH)
		return err_set(ERR_INVALID, "json: unsupported value: encountered a cycle");
	switch (v->kind) {
	case HV_NIL:
		*out = doc_new_scalar(a, "null", 4, DOC_STYLE_PLAIN);
		return 0;
	case HV_BOOL:
		*out = doc_new_scalar(a, v->b ? "true" : "false", v->b ? 4 : 5, DOC_STYLE_PLAIN);
		return 0;
	case HV_INT:
		snprintf(b, sizeof(b), "%lld", (long long)v->i);
		*out = doc_new_scalar(a, b, strlen(b), DOC_STYLE_PLAIN);
		return 0;
	case HV_UINT:
		snprintf(b, sizeof(b), "%llu", (unsigned long long)v->u);
		*out = doc_new_scalar(a, b, strlen(b), DOC_STYLE_PLAIN);
		return 0;
	case HV_FLOAT:
		if (isnan(v->f) || isinf(v->f)) {
			helm_format_float(b, sizeof(b), v->f, 'g', 64);
			return err_set(ERR_INVALID, "json: unsupported value: %s", b);
		}
		helm_json_float(b, sizeof(b), v->f);
		*out = doc_new_scalar(a, b, strlen(b), DOC_STYLE_PLAIN);
		return 0;
	case HV_STRING:
		*out = doc_new_scalar(a, v->s, v->len, DOC_STYLE_DOUBLE);
		return 0;
	case HV_BYTES:
		r = b64_encode(&sb, v->s, v->len);
		break;
	case HV_TIME:
		r = time_rfc3339nano(&sb, &v->time);
		break;
	case HV_LIST:
		*out = doc_new_seq(a);
		for (i = 0; i < v->list->n; i++) {
			struct doc_node *item;
			r = to_doc(c, &item, a, v->list->items[i], depth + 1);
			if (r)
				return r;
			doc_seq_append(a, *out, item);
		}
		return 0;
	case HV_MAP: {
		const char **keys;
		size_t *lens, n;

		r = hv_map_keys(c, v, &keys, &lens, &n);
		if (r)
			return r;
		*out = doc_new_map(a);
		for (i = 0; i < n; i++) {
			struct doc_node *val;
			r = to_doc(c, &val, a, hv_map_get(v, keys[i], lens[i]), depth + 1);
			if (r)
				return r;
			doc_map_append(a, *out, doc_new_scalar(a, keys[i], lens[i], DOC_STYLE_DOUBLE),
				       val);
		}
		return 0;
	}
	default:
		return err_set(ERR_INVALID, "json: unsupported type: %s", v->type);
	}
	if (!r)
		*out = doc_new_scalar(a, sb.buf, sb.len, DOC_STYLE_DOUBLE);
	strbuf_release(&sb);
	return r;
}

int helm_hv_to_doc(struct helm_ctx *c, struct doc_node **out, struct arena *a,
		   const struct hv *v)
{
	return to_doc(c, out, a, v, 0);
}

int helm_yaml_emit(struct helm_ctx *c, struct strbuf *out, const struct hv *v)
{
	struct arena *a = arena_new();
	struct doc_node *n;
	int r = to_doc(c, &n, a, v, 0);

	if (!r)
		r = doc_emit_go_yaml(out, n);
	arena_free(a);
	return r;
}
