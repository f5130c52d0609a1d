/*
 * sprig-regex.c - Sprig's regex functions over re.c (Go's regexp package
 * semantics: FindAll's empty-match rule, ReplaceAll's $-expansion, Split).
 * The plain variants panic on a bad pattern as regexp.MustCompile does;
 * the must* variants return regexp.Compile's error.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/fmt.h"
#include "render/helm/re.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <locale.h>
#include <pthread.h>
#include <wctype.h>

static int compile(struct helm_ctx *c, struct re **re, const struct hv *pat, bool must)
{
	char *msg = NULL;
	int r = re_compile(re, pat->s, pat->len, &msg);

	if (!r)
		return 0;
	if (must) {
		r = hctx_fail(c, "%s", msg);
	} else {
		/* regexp.MustCompile's panic: "regexp: Compile(`pat`): error ..." */
		struct strbuf q = STRBUF_INIT;
		if (go_can_backquote(pat->s, pat->len)) {
			strbuf_addch(&q, '`');
			strbuf_add(&q, pat->s, pat->len);
			strbuf_addch(&q, '`');
		} else {
			go_quote(&q, pat->s, pat->len, false);
		}
		r = hctx_fail(c, "regexp: Compile(%s): %s", q.buf, msg);
		strbuf_release(&q);
	}
	free(msg);
	return r;
}

/* Go's allMatches: successive matches, an empty one right after a match skipped. */
typedef int (*deliver_fn)(struct helm_ctx *c, void *data, const long *caps);

static int all_matches(struct helm_ctx *c, const struct re *re, const struct hv *s, int64_t n,
		       deliver_fn fn, void *data)
{
	long *caps = xmalloc(2 * re_ncap(re) * sizeof(long));
	size_t pos = 0;
	long prev_end = -1;
	int64_t i = 0;
	int r = 0;

	if (n < 0)
		n = (int64_t)s->len + 1;
	while (i < n && pos <= s->len) {
		bool accept = true;
		if (!re_exec(re, s->s, s->len, pos, caps))
			break;
		if ((size_t)caps[1] == pos) {
			if (caps[0] == prev_end)
				accept = false;
			if (pos < s->len) {
				int32_t rr;
				pos += go_utf8_decode(s->s + pos, s->len - pos, &rr);
			} else {
				pos = s->len + 1;
			}
		} else {
			pos = (size_t)caps[1];
		}
		prev_end = caps[1];
		if (accept) {
			r = fn(c, data, caps);
			if (r)
				break;
			i++;
		}
	}
	free(caps);
	return r;
}

static int deliver_str(struct helm_ctx *c, void *data, const long *caps)
{
	struct hv **pair = data; /* [list, source] */

	return hv_list_push(c, pair[0], hv_str(c, pair[1]->s + caps[0], (size_t)(caps[1] - caps[0])));
}

static int regex_match(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	struct re *re;
	long *caps;
	int r;

	/* Sprig's regexMatch ignores regexp.MatchString's error: false. */
	if (!must) {
		char *msg = NULL;
		if (re_compile(&re, a[0]->s, a[0]->len, &msg)) {
			free(msg);
			*out = hv_bool(false);
			return 0;
		}
	} else {
		r = compile(c, &re, a[0], must);
		if (r)
			return r;
	}
	caps = xmalloc(2 * re_ncap(re) * sizeof(long));
	*out = hv_bool(re_exec(re, a[1]->s, a[1]->len, 0, caps));
	free(caps);
	re_free(re);
	return 0;
}

SPRIG_FN(sf_regexmatch)
{
	return regex_match(c, out, a, false);
}

SPRIG_FN(sf_mustregexmatch)
{
	return regex_match(c, out, a, true);
}

static int regex_findall(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	struct re *re;
	struct hv *pair[2];
	int r = compile(c, &re, a[0], must);

	if (r)
		return r;
	pair[0] = hv_list_new(c, HV_T_STRLIST, 0);
	pair[1] = a[1];
	r = pair[0] ? all_matches(c, re, a[1], a[2]->i, deliver_str, pair) : ERR_TOOBIG;
	re_free(re);
	if (r)
		return r;
	*out = pair[0];
	return 0;
}

SPRIG_FN(sf_regexfindall)
{
	return regex_findall(c, out, a, false);
}

SPRIG_FN(sf_mustregexfindall)
{
	return regex_findall(c, out, a, true);
}

static int regex_find(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	struct re *re;
	long *caps;
	int r = compile(c, &re, a[0], must);

	if (r)
		return r;
	caps = xmalloc(2 * re_ncap(re) * sizeof(long));
	if (re_exec(re, a[1]->s, a[1]->len, 0, caps))
		*out = hv_str(c, a[1]->s + caps[0], (size_t)(caps[1] - caps[0]));
	else
		*out = hv_str(c, "", 0);
	free(caps);
	re_free(re);
	return *out ? 0 : ERR_TOOBIG;
}

SPRIG_FN(sf_regexfind)
{
	return regex_find(c, out, a, false);
}

SPRIG_FN(sf_mustregexfind)
{
	return regex_find(c, out, a, true);
}

static locale_t u8loc;
static pthread_once_t u8once = PTHREAD_ONCE_INIT;

static void u8init(void)
{
	u8loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* unicode.IsLetter || unicode.IsDigit || '_', as Regexp.Expand reads a name. */
static bool name_rune(int32_t r)
{
	if (r < 0x80)
		return r == '_' || ((r | 0x20) >= 'a' && (r | 0x20) <= 'z') || (r >= '0' && r <= '9');
	pthread_once(&u8once, u8init);
	return u8loc && iswalnum_l((wint_t)r, u8loc);
}

/* Regexp.Expand: $1, ${1}, $name, ${name}, $$. */
static void expand(struct strbuf *sb, const struct re *re, const char *t, size_t tl,
		   const char *src, const long *caps)
{
	size_t i = 0;

	while (i < tl) {
		const char *d = memchr(t + i, '$', tl - i);
		size_t j, nl, st;
		bool brace = false;
		long num = 0;

		if (!d) {
			strbuf_add(sb, t + i, tl - i);
			return;
		}
		strbuf_add(sb, t + i, (size_t)(d - (t + i)));
		i = (size_t)(d - t) + 1;
		if (i < tl && t[i] == '$') {
			strbuf_addch(sb, '$');
			i++;
			continue;
		}
		st = i;
		if (i < tl && t[i] == '{') {
			brace = true;
			st++;
		}
		for (j = st; j < tl;) {
			int32_t r;
			size_t w = go_utf8_decode(t + j, tl - j, &r);
			if (!name_rune(r))
				break;
			j += w;
		}
		nl = j - st;
		if (!nl || (brace && (j >= tl || t[j] != '}'))) {
			strbuf_addch(sb, '$');
			continue;
		}
		for (size_t k = 0; k < nl; k++) {
			char ch = t[st + k];
			if (ch < '0' || ch > '9' || num >= 100000000) {
				num = -1;
				break;
			}
			num = num * 10 + (ch - '0');
		}
		if (t[st] == '0' && nl > 1)
			num = -1;
		i = j + (brace ? 1 : 0);
		if (num >= 0) {
			if ((size_t)num < re_ncap(re) && caps[2 * num] >= 0)
				strbuf_add(sb, src + caps[2 * num],
					   (size_t)(caps[2 * num + 1] - caps[2 * num]));
		} else {
			size_t g;
			for (g = 0; g < re_ncap(re); g++) {
				const char *nm = re_cap_name(re, g);
				if (strlen(nm) == nl && !memcmp(nm, t + st, nl)) {
					if (caps[2 * g] >= 0)
						strbuf_add(sb, src + caps[2 * g],
							   (size_t)(caps[2 * g + 1] - caps[2 * g]));
					break;
				}
			}
		}
	}
}

/* Regexp.replaceAll. */
static int replace_all(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool literal,
		       bool must)
{
	const struct hv *s = a[1], *repl = a[2];
	struct strbuf sb = STRBUF_INIT;
	struct re *re;
	long *caps;
	size_t last = 0, search = 0;
	int r = compile(c, &re, a[0], must);

	if (r)
		return r;
	caps = xmalloc(2 * re_ncap(re) * sizeof(long));
	while (search <= s->len) {
		size_t w = 0;
		if (!re_exec(re, s->s, s->len, search, caps))
			break;
		strbuf_add(&sb, s->s + last, (size_t)caps[0] - last);
		if ((size_t)caps[1] > last || caps[0] == 0) {
			if (literal)
				strbuf_add(&sb, repl->s, repl->len);
			else
				expand(&sb, re, repl->s, repl->len, s->s, caps);
		}
		last = (size_t)caps[1];
		if (search < s->len) {
			int32_t rr;
			w = go_utf8_decode(s->s + search, s->len - search, &rr);
		}
		if (search + w > (size_t)caps[1])
			search += w;
		else if (search + 1 > (size_t)caps[1])
			search++;
		else
			search = (size_t)caps[1];
	}
	strbuf_add(&sb, s->s + last, s->len - last);
	free(caps);
	re_free(re);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_regexreplaceall)
{
	return replace_all(c, out, a, false, false);
}

SPRIG_FN(sf_mustregexreplaceall)
{
	return replace_all(c, out, a, false, true);
}

SPRIG_FN(sf_regexreplaceallliteral)
{
	return replace_all(c, out, a, true, false);
}

SPRIG_FN(sf_mustregexreplaceallliteral)
{
	return replace_all(c, out, a, true, true);
}

struct split_state {
	struct hv *idx; /* flat list of match offsets */
};

static int deliver_idx(struct helm_ctx *c, void *data, const long *caps)
{
	struct split_state *st = data;

	if (hv_list_push(c, st->idx, hv_int(c, caps[0])) ||
	    hv_list_push(c, st->idx, hv_int(c, caps[1])))
		return ERR_TOOBIG;
	return 0;
}

/* Regexp.Split. */
static int regex_split(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	const struct hv *s = a[1];
	int64_t n = a[2]->i;
	struct split_state st;
	struct hv *l;
	struct re *re;
	size_t beg = 0, end = 0, k;
	int r;

	if (n == 0)
		return sprig_ret(out, hv_list_new(c, HV_T_STRLIST, 0));
	r = compile(c, &re, a[0], must);
	if (r)
		return r;
	l = hv_list_new(c, HV_T_STRLIST, 0);
	if (!l) {
		re_free(re);
		return ERR_TOOBIG;
	}
	if (a[0]->len && !s->len) {
		re_free(re);
		return hv_list_push(c, l, hv_str(c, "", 0)) ? ERR_TOOBIG : sprig_ret(out, l);
	}
	st.idx = hv_list_new(c, HV_T_LIST, 0);
	r = st.idx ? all_matches(c, re, s, n, deliver_idx, &st) : ERR_TOOBIG;
	re_free(re);
	if (r)
		return r;
	for (k = 0; k + 1 < st.idx->list->n; k += 2) {
		size_t m0 = (size_t)st.idx->list->items[k]->i, m1 = (size_t)st.idx->list->items[k + 1]->i;
		if (n > 0 && (int64_t)l->list->n == n - 1)
			break;
		end = m0;
		if (m1 != 0 && hv_list_push(c, l, hv_str(c, s->s + beg, end - beg)))
			return ERR_TOOBIG;
		beg = m1;
	}
	if (end != s->len && hv_list_push(c, l, hv_str(c, s->s + beg, s->len - beg)))
		return ERR_TOOBIG;
	return sprig_ret(out, l);
}

SPRIG_FN(sf_regexsplit)
{
	return regex_split(c, out, a, false);
}

SPRIG_FN(sf_mustregexsplit)
{
	return regex_split(c, out, a, true);
}

SPRIG_FN(sf_regexquotemeta)
{
	struct strbuf sb = STRBUF_INIT;

	re_quote_meta(&sb, a[0]->s, a[0]->len);
	return sprig_ret_buf(c, out, &sb);
}
