/*
 * yaml11.c - scalars as kustomize types its own files: YAML 1.1.
 *
 * kustomize reads kustomization.yaml (and configurations and replacement
 * files) with sigs.k8s.io/yaml, which decodes with go-yaml v2 before
 * passing the value through JSON.  go-yaml v2 resolves plain scalars with
 * YAML 1.1's wider rules: y/yes/on/n/no/off are booleans, 0o17, 017, 0b101
 * and 1_000 are integers, 08 is a float.  The document model resolves
 * with go-yaml v3's rules (how kyaml reads resources), so the fields of a
 * kustomization are typed here instead: what kustomize decodes as a bool
 * or a number where its struct has a string is an error there, and must be
 * one here.  The rules are restated from go-yaml v2's resolve.go and Go's
 * strconv (ParseInt with base 0, in model/doc.c, ParseFloat, FormatFloat).
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "model/doc.h"
#include "core/err.h"

#include <errno.h>
#include <math.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

static const struct {
	const char *text;
	enum y11_type type;
	int b; /* the bool, or the sign of an infinity (0 for NaN) */
} y11_words[] = {
	{ "y", Y11_BOOL, 1 }, { "Y", Y11_BOOL, 1 }, { "yes", Y11_BOOL, 1 },
	{ "Yes", Y11_BOOL, 1 }, { "YES", Y11_BOOL, 1 }, { "true", Y11_BOOL, 1 },
	{ "True", Y11_BOOL, 1 }, { "TRUE", Y11_BOOL, 1 }, { "on", Y11_BOOL, 1 },
	{ "On", Y11_BOOL, 1 }, { "ON", Y11_BOOL, 1 },
	{ "n", Y11_BOOL, 0 }, { "N", Y11_BOOL, 0 }, { "no", Y11_BOOL, 0 },
	{ "No", Y11_BOOL, 0 }, { "NO", Y11_BOOL, 0 }, { "false", Y11_BOOL, 0 },
	{ "False", Y11_BOOL, 0 }, { "FALSE", Y11_BOOL, 0 }, { "off", Y11_BOOL, 0 },
	{ "Off", Y11_BOOL, 0 }, { "OFF", Y11_BOOL, 0 },
	{ "", Y11_NULL, 0 }, { "~", Y11_NULL, 0 }, { "null", Y11_NULL, 0 },
	{ "Null", Y11_NULL, 0 }, { "NULL", Y11_NULL, 0 },
	{ ".nan", Y11_FLOAT, 0 }, { ".NaN", Y11_FLOAT, 0 }, { ".NAN", Y11_FLOAT, 0 },
	{ ".inf", Y11_FLOAT, 1 }, { ".Inf", Y11_FLOAT, 1 }, { ".INF", Y11_FLOAT, 1 },
	{ "+.inf", Y11_FLOAT, 1 }, { "+.Inf", Y11_FLOAT, 1 }, { "+.INF", Y11_FLOAT, 1 },
	{ "-.inf", Y11_FLOAT, -1 }, { "-.Inf", Y11_FLOAT, -1 }, { "-.INF", Y11_FLOAT, -1 },
};

/* go-yaml v2's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	size_t digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
		if (!digits)
			return false;
	} else {
		for (; *s >= '0' && *s <= '9'; s++)
			digits++;
		if (!digits)
			return false;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		digits = 0;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		for (; *s >= '0' && *s <= '9'; s++)
			digits++;
		if (!digits)
			return false;
	}
	return !*s;
}

/* Go's ParseFloat on a string of yaml_style_float's form: fails only on overflow. */
static bool parse_float(const char *s, double *out)
{
	char *end;
	double f;

	errno = 0;
	f = strtod(s, &end);
	if (*end || isinf(f))
		return false;
	*out = f;
	return true;
}

int kust_y11_resolve_text(const char *in, struct y11_value *out)
{
	char plain[128];
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	out->type = Y11_STR;
	for (i = 0; i < ARRAY_SIZE(y11_words); i++)
		if (!strcmp(y11_words[i].text, in)) {
			out->type = y11_words[i].type;
			out->b = y11_words[i].b > 0;
			if (out->type == Y11_FLOAT)
				out->f = y11_words[i].b ? y11_words[i].b * HUGE_VAL : NAN;
			return 0;
		}
	if (in[0] == '.') {
		/* ParseFloat of ".5" or ".5e3" (".5_0" is left a string). */
		if (yaml_style_float(in) && parse_float(in, &out->f))
			out->type = Y11_FLOAT;
		return 0;
	}
	if (!(in[0] == '+' || in[0] == '-' || (in[0] >= '0' && in[0] <= '9')))
		return 0;
	/* Integers and floats lose their underscores first; a long one is a string. */
	for (i = 0; in[i]; i++) {
		if (in[i] == '_')
			continue;
		if (n + 1 >= sizeof(plain))
			return 0;
		plain[n++] = in[i];
	}
	plain[n] = '\0';
	if (go_parse_int(plain, &out->i)) {
		out->type = Y11_INT;
	} else if (go_parse_uint(plain, &out->u)) {
		out->type = Y11_UINT;
	} else if (yaml_style_float(plain) && parse_float(plain, &out->f)) {
		out->type = Y11_FLOAT;
	}
	/*
	 * A timestamp ("2001-12-14") is tried before all this, but go-yaml
	 * v2 hands it to JSON as its text, and no timestamp parses as a
	 * number, so it is a string here without being recognised.
	 */
	return 0;
}

int kust_y11_resolve(const struct doc_node *n, struct y11_value *out)
{
	const char *tag = n->tag;
	char where[256];
	int r;

	memset(out, 0, sizeof(*out));
	out->type = Y11_STR;
	if (n->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s: expected a scalar", doc_where(n, where, sizeof(where)));
	if (tag && !strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)))
		tag += strlen(TAG_PREFIX);
	else if (tag)
		return 0; /* a tag go-yaml v2 does not resolve: the text, as a string */
	if (!tag && n->style != DOC_STYLE_PLAIN && n->style != DOC_STYLE_ANY)
		return 0;
	/*
	 * go-yaml v2 decodes a !!binary scalar's base64 into the string;
	 * hoist does not, so it refuses one rather than use the base64 text.
	 */
	if (tag && !strcmp(tag, "binary"))
		return err_set(ERR_INVALID, "%s: a !!binary scalar is not supported here",
			       doc_where(n, where, sizeof(where)));
	if (tag && (!strcmp(tag, "str") || !strcmp(tag, "timestamp")))
		return 0;
	if (tag && strcmp(tag, "null") && strcmp(tag, "bool") && strcmp(tag, "int") &&
	    strcmp(tag, "float"))
		return 0;
	if (memchr(n->str, '\0', n->len))
		return 0;
	r = kust_y11_resolve_text(n->str, out);
	if (r || !tag)
		return r;
	/* An explicit tag must fit what the text is; an integer may be a !!float. */
	if (!strcmp(tag, "float") && out->type == Y11_INT) {
		out->type = Y11_FLOAT;
		out->f = (double)out->i;
	} else if (!strcmp(tag, "float") && out->type == Y11_UINT) {
		out->type = Y11_FLOAT;
		out->f = (double)out->u;
	}
	if ((!strcmp(tag, "null") && out->type != Y11_NULL) ||
	    (!strcmp(tag, "bool") && out->type != Y11_BOOL) ||
	    (!strcmp(tag, "int") && out->type != Y11_INT && out->type != Y11_UINT) ||
	    (!strcmp(tag, "float") && out->type != Y11_FLOAT))
		return err_set(ERR_INVALID, "%s: cannot decode `%s` as a !!%s",
			       doc_where(n, where, sizeof(where)), n->str, tag);
	return 0;
}

void kust_go_float32_g(double d, char *buf, size_t size)
{
	float f = (float)d;
	char tmp[64], digits[16];
	int p, exp = 0, nd = 0, dp, i;
	size_t o = 0;
	const char *c;

	if (isnan(f)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(f)) {
		snprintf(buf, size, "%sInf", f < 0 ? "-" : "+");
		return;
	}
	if (f == 0) {
		snprintf(buf, size, "%s0", signbit(f) ? "-" : "");
		return;
	}
	/* The shortest digits that read back as the same float32, as Go's 'g' with precision -1. */
	for (p = 1; p <= 9; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, (double)f);
		if (strtof(tmp, NULL) == f)
			break;
	}
	for (c = tmp; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *c;
	digits[nd] = '\0';
	if (*c == 'e')
		exp = (int)strtol(c + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	dp = exp + 1;
#define PUT(ch) do { if (o + 1 < size) buf[o++] = (ch); } while (0)
	if (f < 0)
		PUT('-');
	if (exp < -4 || exp >= 6) {
		PUT(digits[0]);
		if (nd > 1)
			PUT('.');
		for (i = 1; i < nd; i++)
			PUT(digits[i]);
		snprintf(tmp, sizeof(tmp), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		for (c = tmp; *c; c++)
			PUT(*c);
	} else if (dp <= 0) {
		PUT('0');
		PUT('.');
		for (i = 0; i < -dp; i++)
			PUT('0');
		for (i = 0; i < nd; i++)
			PUT(digits[i]);
	} else {
		for (i = 0; i < nd || i < dp; i++) {
			if (i == dp)
				PUT('.');
			PUT(i < nd ? digits[i] : '0');
		}
	}
#undef PUT
	if (size)
		buf[o < size ? o : size - 1] = '\0';
}
