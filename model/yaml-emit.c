/*
 * yaml-emit.c - the canonical YAML emitter.
 *
 * kustomize prints each object by converting it to JSON and writing that
 * with go-yaml v2 (sigs.k8s.io/yaml's JSONToYAML).  So the bytes depend on
 * three things we reproduce here, by hand because they must match exactly:
 *
 *  - the value model: scalars typed as kyaml (go-yaml v3) reads them, then
 *    squeezed through JSON (integral floats become ints, times become
 *    RFC 3339 strings);
 *  - go-yaml v2's map key order (a "natural" sort, see key_less);
 *  - go-yaml v2's emitter: its scalar analysis and style choice, its
 *    indentation, and its folding of long scalars at 80 columns.
 *
 * The emitter keeps the same state the libyaml-derived emitter does
 * (column, whitespace, indention, indent) so folding decisions are made at
 * the same byte.
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "model/yaml-trip.h"
#include <math.h>
#include <wctype.h>
#include <locale.h>
#include <pthread.h>

#define BEST_WIDTH 80
#define BEST_INDENT 2
#define MAX_SIMPLE_KEY 128

struct emitter {
	struct strbuf *out;
	int indent;
	int column;
	bool whitespace;
	bool indention;
	struct strbuf tmp;      /* a string rewritten by the JSON round trip */
	struct strbuf tmp_fold; /* a folded scalar rewritten by go-yaml v3 */
	int depth;              /* mappings open, 1 at the object's top level */
	int flow;               /* flow collections ([...], {...}) open, in the input */
	const struct doc_node *metadata; /* the object's metadata mapping */
	bool go_values; /* doc_emit_go_yaml: no kustomize-only key drops */
};

/* --- UTF-8 helpers matching go-yaml's yamlprivateh.go -------------------- */

static int width(unsigned char c)
{
	if ((c & 0x80) == 0x00)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 0;
}

static unsigned char at(const unsigned char *s, size_t len, size_t i)
{
	return i < len ? s[i] : 0;
}

static bool is_space(const unsigned char *s, size_t len, size_t i)
{
	return at(s, len, i) == ' ';
}

static bool is_tab(const unsigned char *s, size_t len, size_t i)
{
	return at(s, len, i) == '\t';
}

static bool is_blank(const unsigned char *s, size_t len, size_t i)
{
	return is_space(s, len, i) || is_tab(s, len, i);
}

static bool is_break(const unsigned char *s, size_t len, size_t i)
{
	unsigned char c = at(s, len, i);

	return c == '\r' || c == '\n' ||
	       (c == 0xC2 && at(s, len, i + 1) == 0x85) ||
	       (c == 0xE2 && at(s, len, i + 1) == 0x80 && at(s, len, i + 2) == 0xA8) ||
	       (c == 0xE2 && at(s, len, i + 1) == 0x80 && at(s, len, i + 2) == 0xA9);
}

static bool is_blankz(const unsigned char *s, size_t len, size_t i)
{
	return is_blank(s, len, i) || is_break(s, len, i) || i >= len ||
	       at(s, len, i) == 0;
}

static bool is_bom(const unsigned char *s, size_t len, size_t i)
{
	return at(s, len, i) == 0xEF && at(s, len, i + 1) == 0xBB &&
	       at(s, len, i + 2) == 0xBF;
}

static bool is_printable(const unsigned char *s, size_t len, size_t i)
{
	unsigned char c = at(s, len, i), c1 = at(s, len, i + 1),
		      c2 = at(s, len, i + 2);

	return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) ||
	       (c > 0xC2 && c < 0xED) || (c == 0xED && c1 < 0xA0) || c == 0xEE ||
	       (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) &&
		!(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

/* --- output primitives ---------------------------------------------------- */

static void put(struct emitter *e, char c)
{
	strbuf_addch(e->out, c);
	e->column++;
}

static void put_break(struct emitter *e)
{
	strbuf_addch(e->out, '\n');
	e->column = 0;
}

/* Copies one UTF-8 character; the column counts characters, not bytes. */
static void write_char(struct emitter *e, const unsigned char *s, size_t len,
		       size_t *i)
{
	int w = width(s[*i]);

	if (w == 0 || *i + (size_t)w > len)
		w = 1;
	strbuf_add(e->out, s + *i, (size_t)w);
	*i += (size_t)w;
	e->column++;
}

static void write_break(struct emitter *e, const unsigned char *s, size_t len,
			size_t *i)
{
	if (s[*i] == '\n') {
		put_break(e);
		(*i)++;
	} else {
		int w = width(s[*i]);
		if (w == 0 || *i + (size_t)w > len)
			w = 1;
		strbuf_add(e->out, s + *i, (size_t)w);
		*i += (size_t)w;
		e->column = 0;
	}
}

static void write_indent(struct emitter *e)
{
	int indent = e->indent < 0 ? 0 : e->indent;

	if (!e->indention || e->column > indent ||
	    (e->column == indent && !e->whitespace))
		put_break(e);
	while (e->column < indent)
		put(e, ' ');
	e->whitespace = true;
	e->indention = true;
}

static void write_indicator(struct emitter *e, const char *ind, bool need_ws,
			    bool is_ws, bool is_indention)
{
	if (need_ws && !e->whitespace)
		put(e, ' ');
	while (*ind)
		put(e, *ind++);
	e->whitespace = is_ws;
	e->indention = e->indention && is_indention;
}

/* --- scalar analysis, as yaml_emitter_analyze_scalar ---------------------- */

struct analysis {
	bool multiline;
	bool flow_plain_allowed;
	bool block_plain_allowed;
	bool single_quoted_allowed;
	bool block_allowed;
};

static void analyze(const unsigned char *v, size_t len, struct analysis *a)
{
	bool block_ind = false, flow_ind = false, line_breaks = false,
	     special = false;
	bool leading_space = false, leading_break = false, trailing_space = false,
	     trailing_break = false, break_space = false, space_break = false;
	bool preceded_by_ws, followed_by_ws, prev_space = false, prev_break = false;
	size_t i;
	int w;

	if (len == 0) {
		a->multiline = false;
		a->flow_plain_allowed = false;
		a->block_plain_allowed = true;
		a->single_quoted_allowed = true;
		a->block_allowed = false;
		return;
	}
	if (len >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') ||
			 (v[0] == '.' && v[1] == '.' && v[2] == '.'))) {
		block_ind = true;
		flow_ind = true;
	}
	preceded_by_ws = true;
	for (i = 0; i < len; i += (size_t)w) {
		w = width(v[i]);
		if (w == 0)
			w = 1;
		followed_by_ws = i + (size_t)w >= len || is_blankz(v, len, i + (size_t)w);
		if (i == 0) {
			switch (v[i]) {
			case '#': case ',': case '[': case ']': case '{': case '}':
			case '&': case '*': case '!': case '|': case '>': case '\'':
			case '"': case '%': case '@': case '`':
				flow_ind = true;
				block_ind = true;
				break;
			case '?': case ':':
				flow_ind = true;
				if (followed_by_ws)
					block_ind = true;
				break;
			case '-':
				if (followed_by_ws) {
					flow_ind = true;
					block_ind = true;
				}
				break;
			}
		} else {
			switch (v[i]) {
			case ',': case '?': case '[': case ']': case '{': case '}':
				flow_ind = true;
				break;
			case ':':
				flow_ind = true;
				if (followed_by_ws)
					block_ind = true;
				break;
			case '#':
				if (preceded_by_ws) {
					flow_ind = true;
					block_ind = true;
				}
				break;
			}
		}
		if (!is_printable(v, len, i))
			special = true;
		if (is_space(v, len, i)) {
			if (i == 0)
				leading_space = true;
			if (i + (size_t)w == len)
				trailing_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_break(v, len, i)) {
			line_breaks = true;
			if (i == 0)
				leading_break = true;
			if (i + (size_t)w == len)
				trailing_break = true;
			if (prev_space)
				space_break = true;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = false;
			prev_break = false;
		}
		preceded_by_ws = is_blankz(v, len, i);
	}
	a->multiline = line_breaks;
	a->flow_plain_allowed = true;
	a->block_plain_allowed = true;
	a->single_quoted_allowed = true;
	a->block_allowed = true;
	if (leading_space || leading_break || trailing_space || trailing_break) {
		a->flow_plain_allowed = false;
		a->block_plain_allowed = false;
	}
	if (trailing_space)
		a->block_allowed = false;
	if (break_space) {
		a->flow_plain_allowed = false;
		a->block_plain_allowed = false;
		a->single_quoted_allowed = false;
	}
	if (space_break || special) {
		a->flow_plain_allowed = false;
		a->block_plain_allowed = false;
		a->single_quoted_allowed = false;
		a->block_allowed = false;
	}
	if (line_breaks) {
		a->flow_plain_allowed = false;
		a->block_plain_allowed = false;
	}
	if (flow_ind)
		a->flow_plain_allowed = false;
	if (block_ind)
		a->block_plain_allowed = false;
}

/* --- scalar writers -------------------------------------------------------- */

static void write_plain(struct emitter *e, const unsigned char *v, size_t len,
			bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0;

	if (!e->whitespace)
		put(e, ' ');
	while (i < len) {
		if (is_space(v, len, i)) {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH &&
			    !is_space(v, len, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_char(e, v, len, &i);
			}
			spaces = true;
		} else if (is_break(v, len, i)) {
			if (!breaks && v[i] == '\n')
				put_break(e);
			write_break(e, v, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			write_char(e, v, len, &i);
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	e->whitespace = false;
	e->indention = false;
}

static void write_single(struct emitter *e, const unsigned char *v, size_t len,
			 bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0;

	write_indicator(e, "'", true, false, false);
	while (i < len) {
		if (is_space(v, len, i)) {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH && i != 0 &&
			    i != len - 1 && !is_space(v, len, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_char(e, v, len, &i);
			}
			spaces = true;
		} else if (is_break(v, len, i)) {
			if (!breaks && v[i] == '\n')
				put_break(e);
			write_break(e, v, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			if (v[i] == '\'')
				put(e, '\'');
			write_char(e, v, len, &i);
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	/* go-yaml v2 (Helm's toYaml) ends a quoted trailing break without an indent. */
	if (breaks && !e->go_values)
		write_indent(e);
	write_indicator(e, "'", false, false, false);
}

static void write_double(struct emitter *e, const unsigned char *v, size_t len,
			 bool allow_breaks)
{
	static const char hex[] = "0123456789ABCDEF";
	bool spaces = false;
	size_t i = 0;

	write_indicator(e, "\"", true, false, false);
	while (i < len) {
		if (!is_printable(v, len, i) || is_bom(v, len, i) || is_break(v, len, i) ||
		    v[i] == '"' || v[i] == '\\') {
			unsigned char o = v[i];
			unsigned int cp;
			int w, k, digits;

			if ((o & 0x80) == 0) {
				w = 1;
				cp = o & 0x7F;
			} else if ((o & 0xE0) == 0xC0) {
				w = 2;
				cp = o & 0x1F;
			} else if ((o & 0xF0) == 0xE0) {
				w = 3;
				cp = o & 0x0F;
			} else if ((o & 0xF8) == 0xF0) {
				w = 4;
				cp = o & 0x07;
			} else {
				w = 1;
				cp = o;
			}
			for (k = 1; k < w && i + (size_t)k < len; k++)
				cp = (cp << 6) + (v[i + (size_t)k] & 0x3F);
			i += (size_t)w;
			put(e, '\\');
			switch (cp) {
			case 0x00: put(e, '0'); break;
			case 0x07: put(e, 'a'); break;
			case 0x08: put(e, 'b'); break;
			case 0x09: put(e, 't'); break;
			case 0x0A: put(e, 'n'); break;
			case 0x0B: put(e, 'v'); break;
			case 0x0C: put(e, 'f'); break;
			case 0x0D: put(e, 'r'); break;
			case 0x1B: put(e, 'e'); break;
			case 0x22: put(e, '"'); break;
			case 0x5C: put(e, '\\'); break;
			case 0x85: put(e, 'N'); break;
			case 0xA0: put(e, '_'); break;
			case 0x2028: put(e, 'L'); break;
			case 0x2029: put(e, 'P'); break;
			default:
				if (cp <= 0xFF) {
					put(e, 'x');
					digits = 2;
				} else if (cp <= 0xFFFF) {
					put(e, 'u');
					digits = 4;
				} else {
					put(e, 'U');
					digits = 8;
				}
				for (k = (digits - 1) * 4; k >= 0; k -= 4)
					put(e, hex[(cp >> k) & 0x0F]);
			}
			spaces = false;
		} else if (is_space(v, len, i)) {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH && i != 0 &&
			    i != len - 1) {
				write_indent(e);
				if (is_space(v, len, i + 1))
					put(e, '\\');
				i++;
			} else {
				write_char(e, v, len, &i);
			}
			spaces = true;
		} else {
			write_char(e, v, len, &i);
			spaces = false;
		}
	}
	write_indicator(e, "\"", false, false, false);
}

static void write_literal(struct emitter *e, const unsigned char *v, size_t len)
{
	bool breaks = true;
	size_t i = 0;

	write_indicator(e, "|", true, false, false);
	/* Block scalar hints: an indentation indicator and the chomping mode. */
	if (is_space(v, len, 0) || is_break(v, len, 0)) {
		char hint[2] = { (char)('0' + BEST_INDENT), 0 };
		write_indicator(e, hint, false, false, false);
	}
	if (len == 0) {
		write_indicator(e, "-", false, false, false);
	} else {
		size_t k = len - 1;
		while (k > 0 && (v[k] & 0xC0) == 0x80)
			k--;
		if (!is_break(v, len, k)) {
			write_indicator(e, "-", false, false, false);
		} else if (k == 0) {
			write_indicator(e, "+", false, false, false);
		} else {
			k--;
			while (k > 0 && (v[k] & 0xC0) == 0x80)
				k--;
			if (is_break(v, len, k))
				write_indicator(e, "+", false, false, false);
		}
	}
	put_break(e);
	e->indention = true;
	e->whitespace = true;
	while (i < len) {
		if (is_break(v, len, i)) {
			write_break(e, v, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			write_char(e, v, len, &i);
			e->indention = false;
			breaks = false;
		}
	}
}

enum style { ST_PLAIN, ST_SINGLE, ST_DOUBLE, ST_LITERAL };

/*
 * go-yaml v2's stringv() asks for plain (or literal when there is a
 * newline, or double-quoted when plain would read back as another type);
 * yaml_emitter_select_scalar_style() then downgrades what the analysis
 * forbids.  Only block context is used: JSON-derived documents have no flow
 * collections other than the empty [] and {}.
 */
static enum style select_style(const unsigned char *v, size_t len,
			       const struct analysis *a, bool simple_key, bool force_str)
{
	enum style st;

	if (memchr(v, '\n', len))
		st = ST_LITERAL;
	else if (!force_str && !yaml_v2_plain_is_nonstr((const char *)v, len))
		st = ST_PLAIN;
	else
		st = ST_DOUBLE;
	if (simple_key && a->multiline)
		st = ST_DOUBLE;
	if (st == ST_PLAIN) {
		if (!a->block_plain_allowed)
			st = ST_SINGLE;
		if (len == 0 && simple_key)
			st = ST_SINGLE;
	}
	if (st == ST_SINGLE && !a->single_quoted_allowed)
		st = ST_DOUBLE;
	if (st == ST_LITERAL && (!a->block_allowed || simple_key))
		st = ST_DOUBLE;
	return st;
}

static void emit_string(struct emitter *e, const char *s, size_t len, bool simple_key)
{
	const unsigned char *v = (const unsigned char *)s;
	struct analysis a;

	analyze(v, len, &a);
	switch (select_style(v, len, &a, simple_key, false)) {
	case ST_PLAIN:
		write_plain(e, v, len, !simple_key);
		break;
	case ST_SINGLE:
		write_single(e, v, len, !simple_key);
		break;
	case ST_DOUBLE:
		write_double(e, v, len, !simple_key);
		break;
	case ST_LITERAL:
		write_literal(e, v, len);
		break;
	}
}

/* Writes a non-string scalar (always plain and short). */
static void emit_raw(struct emitter *e, const char *s)
{
	write_plain(e, (const unsigned char *)s, strlen(s), false);
}

/* --- values ---------------------------------------------------------------- */

/*
 * The text a scalar takes after the JSON round trip.  Strings are returned
 * with *is_str set; everything else is final text.
 */
static int scalar_text(struct emitter *e, const struct doc_node *n, char *buf,
		       size_t size, const char **str, size_t *len, bool *is_str)
{
	struct doc_value v;
	char where[256];
	int r = doc_resolve(n, &v);

	if (r)
		return r;
	*is_str = false;
	*str = buf;
	switch (v.type) {
	case DOC_T_STR:
		*is_str = true;
		*str = n->str;
		*len = n->len;
		if (n->style == DOC_STYLE_FOLDED)
			yaml_trip_folded(*str, *len, e->indent, &e->tmp_fold, str, len);
		return yaml_trip_json(n, *str, *len, &e->tmp, str, len);
	case DOC_T_NULL:
		snprintf(buf, size, "null");
		break;
	case DOC_T_BOOL:
		snprintf(buf, size, "%s", v.b ? "true" : "false");
		break;
	case DOC_T_INT:
		snprintf(buf, size, "%lld", (long long)v.i);
		break;
	case DOC_T_UINT:
		snprintf(buf, size, "%llu", (unsigned long long)v.u);
		break;
	case DOC_T_TIME:
		*is_str = true;
		/*
		 * Inside a flow collection go-yaml v3 re-encodes a time such as
		 * 2001-12-14 21:59:43 quoted (':' is a flow indicator), and reads
		 * it back as the string it was written as.
		 */
		if (e->flow && !n->tag) {
			struct analysis a;
			analyze((const unsigned char *)n->str, n->len, &a);
			if (!a.flow_plain_allowed) {
				*str = n->str;
				*len = n->len;
				return 0;
			}
		}
		snprintf(buf, size, "%s", v.time);
		break;
	case DOC_T_FLOAT:
		if (isinf(v.f) || isnan(v.f))
			return err_set(ERR_INVALID,
				       "%s: %s cannot be represented in JSON",
				       doc_where(n, where, sizeof(where)), n->str);
		/*
		 * encoding/json writes integral values below 1e21 without a
		 * fraction, and go-yaml v2 then reads them back as integers
		 * when they fit 64 bits.
		 */
		if (v.f == floor(v.f) && fabs(v.f) < 9.2233720368547758e18)
			snprintf(buf, size, "%lld", (long long)v.f);
		else if (v.f == floor(v.f) && v.f > 0 && v.f < 1.8446744073709552e19)
			snprintf(buf, size, "%llu", (unsigned long long)v.f);
		else
			go_format_float_g(v.f, buf, size);
		break;
	}
	*len = strlen(buf);
	return 0;
}

/*
 * go-yaml v2's keyList.Less for two string keys: letters compare by code
 * point, a non-letter sorts before a letter, and runs of digits compare as
 * numbers.
 */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

/* Created once per process, for any thread (the agent emits from several). */
static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static bool is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	pthread_once(&utf8_locale_once, utf8_locale_init);
	return utf8_locale ? iswalpha_l((wint_t)c, utf8_locale) : true;
}

static bool is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* Decodes the rune at s[*i] and advances; invalid bytes read as U+FFFD. */
static uint32_t next_rune(const unsigned char *s, size_t len, size_t *i)
{
	int w = width(s[*i]), k;
	uint32_t cp;

	if (w == 0 || *i + (size_t)w > len) {
		(*i)++;
		return 0xFFFD;
	}
	cp = w == 1 ? s[*i] : (uint32_t)(s[*i] & (0x7F >> w));
	for (k = 1; k < w; k++)
		cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
	*i += (size_t)w;
	return cp;
}

/*
 * go-yaml v2's keyList.Less for two string keys.  It is not a strict weak
 * order: "v10" < "v1alpha1" < "v2" < "v10", for instance.  kustomize then
 * prints such keys in an order that changes from run to run (Go randomises
 * map iteration before sorting), so only the transitive cases can match.
 */
static bool key_less(const char *as, size_t alen, const char *bs, size_t blen)
{
	const unsigned char *a = (const unsigned char *)as, *b = (const unsigned char *)bs;
	size_t i = 0, j = 0;

	while (i < alen && j < blen) {
		size_t pa = i, pb = j, ea, eb;
		uint32_t ra = next_rune(a, alen, &i), rb = next_rune(b, blen, &j);
		bool al, bl;
		int64_t an = 0, bn = 0;

		if (ra == rb)
			continue;
		al = is_letter(ra);
		bl = is_letter(rb);
		if (al && bl)
			return ra < rb;
		if (al || bl)
			return bl;
		if (ra == '0' || rb == '0') {
			size_t k;
			for (k = pa; k-- > 0 && is_digit(a[k]);)
				if (a[k] != '0') {
					an = 1;
					bn = 1;
					break;
				}
		}
		/* Go adds the runs to the 1 set above: keep that arithmetic. */
		{
			int64_t av = an, bv = bn;
			size_t k;
			for (k = pa; k < alen && is_digit(a[k]); k++)
				av = (int64_t)((uint64_t)av * 10 + (a[k] - '0'));
			ea = k;
			for (k = pb; k < blen && is_digit(b[k]); k++)
				bv = (int64_t)((uint64_t)bv * 10 + (b[k] - '0'));
			eb = k;
			an = av;
			bn = bv;
		}
		if (an != bn)
			return an < bn;
		if (ea - pa != eb - pb)
			return ea - pa < eb - pb;
		return ra < rb;
	}
	/* One is a prefix of the other: fewer runes first. */
	return i >= alen && j < blen;
}

struct sort_key {
	const struct doc_node *key, *value;
	const char *str; /* the key's text after the JSON round trip */
	size_t len;
	char *owned;     /* str, when the round trip changed it */
};

/*
 * A stable merge sort: unlike qsort, it stays well defined when the order
 * is not transitive (see key_less).
 */
static void sort_keys(struct sort_key *k, struct sort_key *tmp, size_t n)
{
	size_t mid, i, j, o;

	if (n < 2)
		return;
	mid = n / 2;
	sort_keys(k, tmp, mid);
	sort_keys(k + mid, tmp, n - mid);
	for (i = 0, j = mid, o = 0; i < mid || j < n;) {
		if (i < mid && (j >= n || !key_less(k[j].str, k[j].len, k[i].str, k[i].len)))
			tmp[o++] = k[i++];
		else
			tmp[o++] = k[j++];
	}
	memcpy(k, tmp, n * sizeof(*k));
}

static bool is_null_or_empty_map(const struct doc_node *v)
{
	struct doc_value dv;

	if (v->kind == DOC_MAP)
		return v->n == 0;
	return v->kind == DOC_SCALAR && !doc_resolve(v, &dv) && dv.type == DOC_T_NULL;
}

/*
 * Keys kustomize drops on the way out: a "<<" that is not a merge (quoted,
 * or tagged !!str) disappears with its value, and its reader's own
 * annotations bookkeeping removes an empty or null metadata.annotations.
 */
static bool dropped_key(const struct emitter *e, const struct doc_node *m,
			const struct doc_node *k, const struct doc_node *v)
{
	if (k->kind != DOC_SCALAR || e->go_values)
		return false;
	if (k->len == 2 && !memcmp(k->str, "<<", 2))
		return true;
	return m == e->metadata && k->len == 11 && !memcmp(k->str, "annotations", 11) &&
	       is_null_or_empty_map(v);
}

/* An empty collection, after dropped keys, prints inline as [] or {}. */
static bool is_empty_coll(const struct emitter *e, const struct doc_node *n)
{
	struct doc_node **pairs;
	size_t i, np, left = 0;
	bool owned;

	if (n->kind == DOC_SCALAR)
		return false;
	if (n->n == 0)
		return true;
	if (n->kind == DOC_SEQ)
		return false;
	for (i = 0; i < n->n; i++)
		if (dropped_key(e, n, n->kids[2 * i], n->kids[2 * i + 1]))
			break;
	if (i == n->n)
		return false;
	if (doc_map_pairs(n, &pairs, &np, &owned))
		return false; /* emit_map reports the error */
	for (i = 0; i < np; i++)
		if (!dropped_key(e, n, pairs[2 * i], pairs[2 * i + 1]))
			left++;
	if (owned)
		free(pairs);
	return left == 0;
}

static int emit_node(struct emitter *e, const struct doc_node *n, int indent);

/* A value after "key:" or "- ": scalars and empty collections stay inline. */
static int emit_inline(struct emitter *e, const struct doc_node *n)
{
	char buf[64];
	const char *s;
	size_t len;
	bool is_str;
	int r;

	if (n->kind == DOC_MAP) {
		write_indicator(e, "{}", true, false, false);
		return 0;
	}
	if (n->kind == DOC_SEQ) {
		write_indicator(e, "[]", true, false, false);
		return 0;
	}
	r = scalar_text(e, n, buf, sizeof(buf), &s, &len, &is_str);
	if (r)
		return r;
	if (is_str)
		emit_string(e, s, len, false);
	else
		emit_raw(e, s);
	return 0;
}

static int emit_map(struct emitter *e, const struct doc_node *m, int indent)
{
	struct sort_key *keys = NULL;
	struct doc_node **pairs;
	size_t i, j, n;
	bool owned;
	int r;

	r = doc_map_pairs(m, &pairs, &n, &owned);
	if (r)
		return r;
	keys = xcalloc(n, sizeof(*keys));
	e->depth++;
	if (m->style == DOC_STYLE_FLOW)
		e->flow++;
	for (i = 0; i < n; i++) {
		const struct doc_node *k = pairs[2 * i];
		struct doc_value kv;
		char where[256];

		if (k->kind != DOC_SCALAR) {
			r = err_set(ERR_INVALID, "%s: mapping keys must be strings",
				    doc_where(k, where, sizeof(where)));
			goto out;
		}
		/*
		 * kustomize decodes nested maps into interface{} values, where a
		 * key that reads as a number, bool, null or time makes a map JSON
		 * cannot encode; only the object's top level is string-keyed.
		 */
		if (e->depth > 1) {
			r = doc_resolve(k, &kv);
			if (r)
				goto out;
			if (kv.type != DOC_T_STR) {
				r = err_set(ERR_INVALID,
					    "%s: mapping key \"%s\" is not a string "
					    "(quote it)",
					    doc_where(k, where, sizeof(where)), k->str);
				goto out;
			}
		}
		if (dropped_key(e, m, k, pairs[2 * i + 1])) {
			keys[i].key = NULL;
			continue;
		}
		keys[i].key = k;
		keys[i].value = pairs[2 * i + 1];
		r = yaml_trip_json(k, k->str, k->len, &e->tmp, &keys[i].str, &keys[i].len);
		if (r)
			goto out;
		if (keys[i].str != k->str) {
			keys[i].owned = xmalloc(keys[i].len + 1);
			memcpy(keys[i].owned, keys[i].str, keys[i].len + 1);
			keys[i].str = keys[i].owned;
		}
	}
	for (i = j = 0; i < n; i++)
		if (keys[i].key)
			keys[j++] = keys[i];
	n = j;
	if (n > 1) {
		struct sort_key *tmp = xmalloc(n * sizeof(*tmp));
		sort_keys(keys, tmp, n);
		free(tmp);
	}

	for (i = 0; i < n; i++) {
		const struct doc_node *v = keys[i].value;
		const char *ks = keys[i].str;
		size_t kl = keys[i].len;
		struct analysis a;
		bool simple;

		e->indent = indent;
		write_indent(e);
		analyze((const unsigned char *)ks, kl, &a);
		simple = kl <= MAX_SIMPLE_KEY && !a.multiline;
		if (simple) {
			emit_string(e, ks, kl, true);
			write_indicator(e, ":", false, false, false);
		} else {
			write_indicator(e, "?", true, false, true);
			e->indent = indent + BEST_INDENT;
			emit_string(e, ks, kl, false);
			e->indent = indent;
			write_indent(e);
			write_indicator(e, ":", true, false, true);
		}
		if (v->kind == DOC_SCALAR || is_empty_coll(e, v)) {
			e->indent = indent + BEST_INDENT;
			r = emit_inline(e, v);
		} else if (!simple) {
			/*
			 * After "? key" and ":", go-yaml starts the collection on the
			 * same line (": - a", ": k: v") and indents it fully.
			 */
			r = emit_node(e, v, indent + BEST_INDENT);
		} else if (v->kind == DOC_MAP) {
			r = emit_map(e, v, indent + BEST_INDENT);
		} else {
			/* Sequences in a mapping are not indented (go-yaml's "indentless"). */
			r = emit_node(e, v, indent);
		}
		if (r)
			goto out;
	}
out:
	for (i = 0; i < n; i++) {
		free(keys[i].owned);
	}
	free(keys);
	if (owned)
		free(pairs);
	e->depth--;
	if (m->style == DOC_STYLE_FLOW)
		e->flow--;
	e->indent = indent;
	return r;
}

static int emit_seq(struct emitter *e, const struct doc_node *s, int indent)
{
	size_t i;
	int r = 0;

	if (s->style == DOC_STYLE_FLOW)
		e->flow++;
	for (i = 0; i < s->n && !r; i++) {
		const struct doc_node *v = s->kids[i];

		e->indent = indent;
		write_indent(e);
		write_indicator(e, "-", true, false, true);
		if (v->kind == DOC_SCALAR || is_empty_coll(e, v)) {
			e->indent = indent + BEST_INDENT;
			r = emit_inline(e, v);
		} else {
			r = emit_node(e, v, indent + BEST_INDENT);
		}
	}
	if (s->style == DOC_STYLE_FLOW)
		e->flow--;
	e->indent = indent;
	return r;
}

static int emit_node(struct emitter *e, const struct doc_node *n, int indent)
{
	if (n->kind == DOC_MAP)
		return emit_map(e, n, indent);
	if (n->kind == DOC_SEQ)
		return emit_seq(e, n, indent);
	e->indent = indent;
	return emit_inline(e, n);
}

static int emit_doc(struct strbuf *out, const struct doc_node *root, bool go_values)
{
	struct emitter e = { .out = out, .indent = 0, .column = 0,
			     .whitespace = true, .indention = true, .tmp = STRBUF_INIT,
			     .tmp_fold = STRBUF_INIT, .go_values = go_values };
	size_t start = out->len;
	int r;

	if (!go_values)
		e.metadata = doc_map_get(root, "metadata");
	/*
	 * go-yaml (like libyaml) raises the indent of a root scalar from -1 to
	 * its best indent, so a root literal's lines and a folded root
	 * scalar's continuations sit two columns in; at column 0 a literal
	 * block would not even read back.
	 */
	if (root->kind == DOC_SCALAR)
		e.indent = BEST_INDENT;
	if (is_empty_coll(&e, root) || root->kind == DOC_SCALAR)
		r = emit_inline(&e, root);
	else
		r = emit_node(&e, root, 0);
	strbuf_release(&e.tmp);
	strbuf_release(&e.tmp_fold);
	if (r) {
		strbuf_setlen(out, start);
		return r;
	}
	/* go-yaml ends a document with write_indent at indent 0: a newline
	 * unless a kept ("|+") block scalar already ended the last line. */
	e.indent = 0;
	write_indent(&e);
	return 0;
}

int doc_emit_canonical(struct strbuf *out, const struct doc_node *root)
{
	return emit_doc(out, root, false);
}

int doc_emit_go_yaml(struct strbuf *out, const struct doc_node *root)
{
	return emit_doc(out, root, true);
}
