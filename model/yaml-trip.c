/*
 * yaml-trip.c - the lossy steps of kustomize's output path, for strings.
 *
 * See yaml-trip.h for the pipeline.  Everything here runs only for strings
 * that need it: a scan of plain ASCII text returns at once.
 */
#include "core/compat.h"
#include "model/yaml-trip.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

#define BEST_WIDTH 80

static unsigned char at(const unsigned char *v, size_t len, size_t i)
{
	return i < len ? v[i] : 0;
}

static int utf8_width(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

static bool is_nel(const unsigned char *v, size_t len, size_t i)
{
	return at(v, len, i) == 0xC2 && at(v, len, i + 1) == 0x85;
}

/* go-yaml's is_break: CR, LF, NEL, LS, PS. */
static bool is_break(const unsigned char *v, size_t len, size_t i)
{
	unsigned char c = at(v, len, i);

	return c == '\r' || c == '\n' || is_nel(v, len, i) ||
	       (c == 0xE2 && at(v, len, i + 1) == 0x80 &&
		(at(v, len, i + 2) == 0xA8 || at(v, len, i + 2) == 0xA9));
}

static bool is_blank(const unsigned char *v, size_t len, size_t i)
{
	return at(v, len, i) == ' ' || at(v, len, i) == '\t';
}

static bool is_blankz(const unsigned char *v, size_t len, size_t i)
{
	return i >= len || is_blank(v, len, i) || is_break(v, len, i) || !v[i];
}

/* --- step 1: go-yaml v3 re-encoding a folded scalar ----------------------- */

/*
 * Whether go-yaml v3's analysis lets the value be a block scalar at all;
 * when it does not, v3 writes it double-quoted, which reads back intact.
 */
static bool v3_block_allowed(const unsigned char *v, size_t len)
{
	bool prev_space = false, prev_break = false;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i += (size_t)utf8_width(v[i])) {
		unsigned char c = v[i], c1 = at(v, len, i + 1), c2 = at(v, len, i + 2);
		bool printable = c == 0x0A || (c >= 0x20 && c <= 0x7E) ||
				 (c == 0xC2 && c1 >= 0xA0) || (c > 0xC2 && c < 0xED) ||
				 (c == 0xED && c1 < 0xA0) || c == 0xEE ||
				 (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) &&
				  !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));

		/* Tabs only rule out plain and single-quoted styles in v3. */
		if (c != '\t' && !printable)
			return false; /* special characters */
		if (c == ' ') {
			if (i + 1 == len)
				return false; /* trailing space */
			prev_space = true;
			prev_break = false;
		} else if (is_break(v, len, i)) {
			if (prev_space)
				return false; /* space before a break */
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = false;
			prev_break = false;
		}
	}
	(void)prev_break;
	return true;
}

/* Block scalar header hints, as every go-yaml emitter writes them. */
static void add_hints(struct strbuf *doc, const unsigned char *v, size_t len)
{
	size_t k;

	if (v[0] == ' ' || is_break(v, len, 0))
		strbuf_addch(doc, '2');
	k = len - 1;
	while (k > 0 && (v[k] & 0xC0) == 0x80)
		k--;
	if (!is_break(v, len, k)) {
		strbuf_addch(doc, '-');
	} else if (k == 0) {
		strbuf_addch(doc, '+');
	} else {
		k--;
		while (k > 0 && (v[k] & 0xC0) == 0x80)
			k--;
		if (is_break(v, len, k))
			strbuf_addch(doc, '+');
	}
}

int yaml_trip_folded(const char *s, size_t len, int indent, struct strbuf *tmp,
		     const char **out, size_t *outlen)
{
	const unsigned char *v = (const unsigned char *)s;
	struct strbuf doc = STRBUF_INIT;
	struct doc_stream *st = NULL;
	bool breaks = true, leading_spaces = true, first_blank;
	size_t i, k = 0;
	int column = 0, r;

	*out = s;
	*outlen = len;
	if (!len || (!memchr(s, '\n', len) && !is_blank(v, len, 0)))
		return 0; /* one line, not more indented: reads back unchanged */
	if (!v3_block_allowed(v, len))
		return 0;

	/*
	 * v3's folded writer decides whether a line break needs an extra
	 * break (so that reading does not fold it into a space) by looking
	 * at the first line of the whole value instead of the next line.
	 */
	while (k < len && is_break(v, len, k))
		k += (size_t)utf8_width(v[k]);
	first_blank = is_blankz(v, len, k);

	strbuf_addstr(&doc, "v: >");
	add_hints(&doc, v, len);
	strbuf_addch(&doc, '\n');
	for (i = 0; i < len;) {
		if (is_break(v, len, i)) {
			if (!breaks && !leading_spaces && v[i] == '\n' && !first_blank)
				strbuf_addch(&doc, '\n');
			k = v[i] == '\n' ? 1 : (size_t)utf8_width(v[i]);
			strbuf_add(&doc, v + i, k);
			i += k;
			column = 0;
			breaks = true;
			continue;
		}
		if (breaks) {
			strbuf_addstr(&doc, "  ");
			column = indent;
			leading_spaces = is_blank(v, len, i);
		}
		if (!breaks && v[i] == ' ' && at(v, len, i + 1) != ' ' &&
		    column > BEST_WIDTH) {
			strbuf_addstr(&doc, "\n  ");
			column = indent;
			i++;
		} else {
			k = (size_t)utf8_width(v[i]);
			if (i + k > len)
				k = len - i;
			strbuf_add(&doc, v + i, k);
			i += k;
			column++;
		}
		breaks = false;
	}
	r = doc_parse(&st, doc.buf, doc.len, "<folded>", NULL);
	if (!r && st->ndocs == 1 && st->docs[0]->kind == DOC_MAP && st->docs[0]->n == 1 &&
	    st->docs[0]->kids[1]->kind == DOC_SCALAR) {
		const struct doc_node *val = st->docs[0]->kids[1];

		if (val->len != len || memcmp(val->str, s, len)) {
			strbuf_reset(tmp);
			strbuf_add(tmp, val->str, val->len);
			*out = tmp->buf;
			*outlen = tmp->len;
		}
	}
	/* Text we wrote ourselves that does not read back: keep the value. */
	err_clear();
	doc_stream_free(st);
	strbuf_release(&doc);
	return 0;
}

/* --- steps 2 and 3: encoding/json, then go-yaml v2 reading it -------------- */

/*
 * Length of the UTF-8 sequence at v[i] as Go's utf8.DecodeRune accepts it
 * (no overlong forms, no surrogates, nothing above U+10FFFF), or 0 when the
 * byte starts no valid sequence.  *cp receives the code point.
 */
static int go_rune(const unsigned char *v, size_t len, size_t i, uint32_t *cp)
{
	unsigned char c = v[i], c1 = at(v, len, i + 1);
	unsigned char lo = 0x80, hi = 0xBF;
	int w, k;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		w = 2;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		w = 3;
		*cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		w = 4;
		*cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (i + (size_t)w > len || c1 < lo || c1 > hi)
		return 0;
	for (k = 1; k < w; k++) {
		unsigned char ck = v[i + (size_t)k];
		if ((ck & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (ck & 0x3F);
	}
	return w;
}

/* Code points go-yaml's reader refuses ("control characters are not allowed"). */
static bool reader_refuses(uint32_t cp)
{
	return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F && cp != 0x85) ||
	       cp == 0xFFFE || cp == 0xFFFF;
}

/*
 * go-yaml v2 reads the JSON text as YAML, where a raw U+0085 (NEL) inside a
 * double-quoted scalar is a line break and folds like one: the break and
 * the spaces around it become one space, or n-1 newlines for n breaks in a
 * row.  (encoding/json escapes every other break character, and tabs.)
 */
static int fold_nel(const struct doc_node *n, const unsigned char *v, size_t len,
		    struct strbuf *out)
{
	char where[256];
	size_t i = 0, ws_start, ws_end;

	while (i < len) {
		size_t breaks = 0;

		if (v[i] != ' ' && !is_nel(v, len, i)) {
			strbuf_addch(out, (char)v[i++]);
			continue;
		}
		ws_start = i;
		ws_end = i;
		while (i < len && v[i] == ' ')
			ws_end = ++i;
		while (i < len && (v[i] == ' ' || is_nel(v, len, i))) {
			if (v[i] == ' ') {
				i++;
				continue;
			}
			breaks++;
			i += 2;
			/* A line may not start with a document marker. */
			if (len - i >= 3 &&
			    (!memcmp(v + i, "---", 3) || !memcmp(v + i, "...", 3)) &&
			    (i + 3 == len || v[i + 3] == ' ' || is_nel(v, len, i + 3)))
				return err_set(ERR_INVALID,
					       "%s: a line break (U+0085) followed by \"%.3s\" "
					       "does not survive kustomize's JSON round trip",
					       doc_where(n, where, sizeof(where)), v + i);
		}
		if (!breaks)
			strbuf_add(out, v + ws_start, ws_end - ws_start);
		else if (breaks == 1)
			strbuf_addch(out, ' ');
		else
			strbuf_addchars(out, '\n', breaks - 1);
	}
	return 0;
}

int yaml_trip_json(const struct doc_node *n, const char *s, size_t len,
		   struct strbuf *tmp, const char **out, size_t *outlen)
{
	const unsigned char *v = (const unsigned char *)s;
	struct strbuf fixed = STRBUF_INIT;
	char where[256];
	bool invalid = false, nel = false;
	size_t i;
	int r = 0;

	*out = s;
	*outlen = len;
	for (i = 0; i < len && v[i] < 0x7F; i++)
		;
	if (i == len)
		return 0;
	for (i = 0; i < len;) {
		uint32_t cp;
		int w = go_rune(v, len, i, &cp);

		if (!w) {
			invalid = true;
			i++;
			continue;
		}
		if (reader_refuses(cp))
			return err_set(ERR_INVALID,
				       "%s: control character U+%04X cannot be written "
				       "as YAML (kustomize refuses it too)",
				       doc_where(n, where, sizeof(where)), (unsigned)cp);
		if (cp == 0x85)
			nel = true;
		i += (size_t)w;
	}
	if (!invalid && !nel)
		return 0;
	if (invalid) {
		for (i = 0; i < len;) {
			uint32_t cp;
			int w = go_rune(v, len, i, &cp);

			if (!w) {
				strbuf_add(&fixed, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				strbuf_add(&fixed, v + i, (size_t)w);
				i += (size_t)w;
			}
		}
		v = (const unsigned char *)fixed.buf;
		len = fixed.len;
	}
	strbuf_reset(tmp);
	if (nel)
		r = fold_nel(n, v, len, tmp);
	else
		strbuf_add(tmp, v, len);
	strbuf_release(&fixed);
	if (r)
		return r;
	*out = tmp->buf;
	*outlen = tmp->len;
	return 0;
}
