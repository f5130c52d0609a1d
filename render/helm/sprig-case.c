/*
 * sprig-case.c - camelcase, snakecase and kebabcase as huandu/xstrings
 * 1.3.3 converts (the version Debian's Sprig 3.2.3 uses): words split by
 * connectors (-, _, spaces), punctuation, case changes and digits.
 *
 * Unicode classes come from the C.UTF-8 locale beyond ASCII; ASCII follows
 * Go's tables exactly (IsPunct excludes the symbols $+<=>^`|~).
 */
#include "core/compat.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <locale.h>
#include <pthread.h>
#include <wctype.h>

static locale_t u8loc;
static pthread_once_t u8once = PTHREAD_ONCE_INIT;

static void u8init(void)
{
	u8loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static bool u_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z';
	pthread_once(&u8once, u8init);
	return u8loc && iswupper_l((wint_t)r, u8loc);
}

static bool u_letter(uint32_t r)
{
	if (r < 0x80)
		return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
	pthread_once(&u8once, u8init);
	return u8loc && iswalpha_l((wint_t)r, u8loc) && !iswdigit_l((wint_t)r, u8loc);
}

static bool u_number(uint32_t r)
{
	if (r < 0x80)
		return r >= '0' && r <= '9';
	pthread_once(&u8once, u8init);
	return u8loc && iswdigit_l((wint_t)r, u8loc);
}

static bool u_punct(uint32_t r)
{
	if (r < 0x80)
		return r && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)r);
	pthread_once(&u8once, u8init);
	return u8loc && iswpunct_l((wint_t)r, u8loc);
}

static uint32_t u_toupper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (uint32_t)towupper_l((wint_t)r, u8loc) : r;
}

static uint32_t u_tolower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	pthread_once(&u8once, u8init);
	return u8loc ? (uint32_t)towlower_l((wint_t)r, u8loc) : r;
}

static bool is_connector(uint32_t r)
{
	return r == '-' || r == '_' || sprig_is_space(r);
}

static bool is_alphabet(uint32_t r)
{
	if (!u_letter(r))
		return false;
	if (r < 0x3400)
		return true;
	if ((r >= 0x4E00 && r <= 0x9FCC) || (r >= 0x3400 && r <= 0x4D85) ||
	    (r >= 0x20000 && r <= 0x2B81D))
		return false;
	return true;
}

/* utf8.DecodeRuneInString: RuneError (also a real U+FFFD) with its width. */
static size_t decode(const char *s, size_t n, uint32_t *r)
{
	return sprig_rune(s, n, r);
}

/* nextValidRune: skips RuneErrors, counting their bytes; `prev` when none is left. */
static size_t next_valid(const char *s, size_t n, uint32_t prev, uint32_t *r)
{
	size_t size = 0;

	while (n) {
		size_t sz = decode(s, n, r);
		size += sz;
		if (*r != 0xFFFD)
			return size;
		s += sz;
		n -= sz;
	}
	*r = prev;
	return size;
}

enum wtype { W_INVALID, W_NUMBER, W_UPPER, W_ALPHA, W_CONNECTOR, W_PUNCT, W_OTHER };

struct cur {
	const char *s;
	size_t n;
};

/* nextWord: the type of the next word, the word, and the rest. */
static enum wtype next_word(struct cur *str, struct cur *word)
{
	const char *st = str->s;
	size_t offset = 0, size;
	struct cur rem = *str;
	uint32_t r;
	enum wtype wt;

	word->s = st;
	word->n = 0;
	if (!str->n)
		return W_INVALID;
	size = next_valid(rem.s, rem.n, 0xFFFD, &r);
	offset += size;
	if (r == 0xFFFD) {
		word->n = offset;
		str->s += offset;
		str->n -= offset;
		return W_INVALID;
	}
#define ADV(k) (rem.s += (k), rem.n -= (k))
	if (is_connector(r)) {
		wt = W_CONNECTOR;
		ADV(size);
		while (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (!is_connector(r))
				break;
			offset += size;
			ADV(size);
		}
	} else if (u_punct(r)) {
		wt = W_PUNCT;
		ADV(size);
		while (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (!u_punct(r))
				break;
			offset += size;
			ADV(size);
		}
	} else if (u_upper(r)) {
		wt = W_UPPER;
		ADV(size);
		if (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (u_upper(r)) {
				size_t prev = size;
				offset += size;
				ADV(size);
				while (rem.n) {
					size = next_valid(rem.s, rem.n, r, &r);
					if (!u_upper(r))
						break;
					prev = size;
					offset += size;
					ADV(size);
				}
				if (rem.n && is_alphabet(r)) {
					offset -= prev;
					rem.s = st + offset;
					rem.n = str->n - offset;
				}
			} else if (is_alphabet(r)) {
				offset += size;
				ADV(size);
				while (rem.n) {
					size = next_valid(rem.s, rem.n, r, &r);
					if (!is_alphabet(r) || u_upper(r))
						break;
					offset += size;
					ADV(size);
				}
			}
		}
	} else if (is_alphabet(r)) {
		wt = W_ALPHA;
		ADV(size);
		while (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (!is_alphabet(r) || u_upper(r))
				break;
			offset += size;
			ADV(size);
		}
	} else if (u_number(r)) {
		wt = W_NUMBER;
		ADV(size);
		while (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (!u_number(r))
				break;
			offset += size;
			ADV(size);
		}
	} else {
		wt = W_OTHER;
		ADV(size);
		while (rem.n) {
			size = next_valid(rem.s, rem.n, r, &r);
			if (!size || is_connector(r) || is_alphabet(r) || u_number(r) || u_punct(r))
				break;
			offset += size;
			ADV(size);
		}
	}
#undef ADV
	word->n = offset;
	*str = rem;
	return wt;
}

static void to_lower(struct strbuf *sb, enum wtype wt, struct cur w, uint32_t conn)
{
	uint32_t r;
	size_t i, sz;

	if (wt != W_UPPER && wt != W_CONNECTOR) {
		strbuf_add(sb, w.s, w.n);
		return;
	}
	for (i = 0; i < w.n; i += sz) {
		sz = decode(w.s + i, w.n - i, &r);
		if (is_connector(r))
			sprig_put_rune(sb, conn);
		else if (u_upper(r))
			sprig_put_rune(sb, u_tolower(r));
		else
			sprig_put_rune(sb, r);
	}
}

/* camelCaseToLowerCase */
static void to_lower_case(struct strbuf *sb, const struct hv *v, uint32_t conn)
{
	struct cur rem = { v->s, v->len }, word;
	enum wtype wt;

	if (!v->len)
		return;
	wt = next_word(&rem, &word);
	while (rem.n) {
		enum wtype prev;
		struct cur last;

		if (wt != W_CONNECTOR)
			to_lower(sb, wt, word, conn);
		prev = wt;
		last = word;
		wt = next_word(&rem, &word);
		switch (prev) {
		case W_NUMBER:
			while (wt == W_ALPHA || wt == W_NUMBER) {
				to_lower(sb, wt, word, conn);
				wt = next_word(&rem, &word);
			}
			if (wt != W_INVALID && wt != W_PUNCT && wt != W_CONNECTOR)
				sprig_put_rune(sb, conn);
			break;
		case W_CONNECTOR:
			to_lower(sb, prev, last, conn);
			break;
		case W_PUNCT:
			break;
		default:
			if (wt != W_NUMBER) {
				if (wt != W_CONNECTOR && wt != W_PUNCT)
					sprig_put_rune(sb, conn);
				break;
			}
			if (!rem.n)
				break;
			last = word;
			wt = next_word(&rem, &word);
			if (wt != W_ALPHA) {
				to_lower(sb, W_NUMBER, last, conn);
				if (wt != W_CONNECTOR && wt != W_PUNCT)
					sprig_put_rune(sb, conn);
				break;
			}
			sprig_put_rune(sb, conn);
			to_lower(sb, W_NUMBER, last, conn);
			while (wt == W_ALPHA || wt == W_NUMBER) {
				to_lower(sb, wt, word, conn);
				wt = next_word(&rem, &word);
			}
			if (wt != W_INVALID && wt != W_CONNECTOR && wt != W_PUNCT)
				sprig_put_rune(sb, conn);
			break;
		}
	}
	to_lower(sb, wt, word, conn);
}

SPRIG_FN(sf_snakecase)
{
	struct strbuf sb = STRBUF_INIT;

	to_lower_case(&sb, a[0], '_');
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_kebabcase)
{
	struct strbuf sb = STRBUF_INIT;

	to_lower_case(&sb, a[0], '-');
	return sprig_ret_buf(c, out, &sb);
}

/* xstrings.ToCamelCase */
SPRIG_FN(sf_camelcase)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s = a[0]->s;
	size_t left = a[0]->len, size = 0;
	uint32_t r0 = 0, r1;

	if (!left)
		return sprig_ret_buf(c, out, &sb);
	while (left) {
		size = decode(s, left, &r0);
		s += size;
		left -= size;
		if (!is_connector(r0)) {
			r0 = u_toupper(r0);
			break;
		}
		sprig_put_rune(&sb, r0);
	}
	if (!left) {
		if (size)
			sprig_put_rune(&sb, r0);
		return sprig_ret_buf(c, out, &sb);
	}
	while (left) {
		r1 = r0;
		size = decode(s, left, &r0);
		s += size;
		left -= size;
		if (is_connector(r0) && is_connector(r1)) {
			sprig_put_rune(&sb, r1);
			continue;
		}
		if (is_connector(r1)) {
			r0 = u_toupper(r0);
		} else {
			r0 = u_tolower(r0);
			sprig_put_rune(&sb, r1);
		}
	}
	sprig_put_rune(&sb, r0);
	return sprig_ret_buf(c, out, &sb);
}
