/*
 * test-helm-sprig.c - Sprig's and Helm's template functions against the
 * oracle: tests/unit/helm-sprig/expected.txt is what Debian's Sprig 3.2.3
 * and sigs.k8s.io/yaml return for each case of cases.txt (made by
 * oracle.go there), and every line must come out the same here.  Plus
 * YAML/JSON conversion and the reproducible mode.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#define CASES "tests/unit/helm-sprig/expected.txt"

static const struct hfunc *find_fn(const char *name)
{
	const struct hfunc *t;

	for (t = helm_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	for (t = sprig_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* One argument as oracle.go builds it. */
static struct hv *make_arg(struct helm_ctx *c, const char *spec)
{
	const char *text = spec + 2;
	struct strbuf sb = STRBUF_INIT;
	struct hv *v = NULL;
	const char *p;

	switch (spec[0]) {
	case 's':
	case 'y':
		for (p = text; *p; p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				strbuf_addch(&sb, '\n');
				p++;
			} else if (p[0] == '\\' && p[1] == 'p') {
				strbuf_addch(&sb, '|');
				p++;
			} else {
				strbuf_addch(&sb, *p);
			}
		}
		if (spec[0] == 's')
			v = hv_str(c, sb.buf, sb.len);
		else
			assert_int_equal(helm_yaml_parse(c, &v, sb.buf, sb.len, HELM_INTO_ANY), 0);
		break;
	case 'i':
		v = hv_int(c, strtoll(text, NULL, 10));
		break;
	case 'I':
		v = hv_int_t(c, strtoll(text, NULL, 10), HV_T_INT64);
		break;
	case 'f':
		v = hv_float(c, strtod(text, NULL));
		break;
	case 'b':
		v = hv_bool(!strcmp(text, "true"));
		break;
	case 'n':
		v = hv_nil();
		break;
	case 't': {
		struct hv_time t = { 0 };
		char *end;
		t.sec = strtoll(text, &end, 10);
		if (*end == '.')
			t.nsec = (int32_t)strtol(end + 1, NULL, 10);
		t.zone = "UTC";
		v = hv_time(c, &t);
		break;
	}
	case 'j':
		assert_int_equal(helm_json_parse(c, &v, text, strlen(text), HELM_INTO_ANY), 0);
		break;
	default:
		fail_msg("bad argument %s", spec);
	}
	strbuf_release(&sb);
	return v;
}

/* reflect.Zero of the parameter type for a nil argument, as oracle.go passes it. */
static struct hv *zero_for(struct helm_ctx *c, char code, struct hv *v)
{
	if (v->kind != HV_NIL)
		return v;
	switch (code) {
	case 's':
		return hv_str(c, "", 0);
	case 'i':
		return hv_int(c, 0);
	case 'b':
		return hv_bool(false);
	default:
		return v;
	}
}

static void run_case(struct helm_ctx *c, const char *line, const char *want, int lineno)
{
	char *copy = xstrdup(line), *save = NULL, *tok;
	struct hv *args[16], *res = NULL;
	const struct hfunc *fn;
	struct strbuf got = STRBUF_INIT, esc = STRBUF_INIT;
	size_t n = 0, i, np;
	int r;

	tok = strtok_r(copy, "|", &save);
	fn = find_fn(tok);
	if (!fn)
		fail_msg("line %d: no function %s", lineno, tok);
	np = strlen(fn->params);
	while ((tok = strtok_r(NULL, "|", &save)) && n < ARRAY_SIZE(args)) {
		char code = fn->params[n < np ? n : np - 1];
		if (code == '*')
			code = fn->params[np - 2];
		args[n] = zero_for(c, code, make_arg(c, tok));
		n++;
	}
	c->errmsg = NULL;
	r = fn->fn(c, &res, args, n);
	if (r) {
		assert_non_null(c->errmsg);
		/* text/template reports a panic and an error result alike. */
		strbuf_addf(&got, "%s: %s", !strncmp(want, "PANIC", 5) ? "PANIC" : "ERROR",
			    c->errmsg);
	} else {
		struct hv *pair[2] = { res, res };
		assert_int_equal(hv_sprintf(c, &got, "%v (%T)", 7, pair, 2), 0);
	}
	for (i = 0; i < got.len; i++) {
		if (got.buf[i] == '\\')
			strbuf_addstr(&esc, "\\\\");
		else if (got.buf[i] == '\n')
			strbuf_addstr(&esc, "\\n");
		else
			strbuf_addch(&esc, got.buf[i]);
	}
	if (strcmp(esc.buf, want))
		fail_msg("%s:%d: %s\n  want: %s\n  got:  %s", CASES, lineno, line, want, esc.buf);
	strbuf_release(&got);
	strbuf_release(&esc);
	free(copy);
}

static void sprig_functions_match_the_oracle(void **state)
{
	struct strbuf file = STRBUF_INIT;
	char *line, *next;
	int lineno = 0, cases = 0;

	(void)state;
	assert_int_equal(strbuf_read_file(&file, CASES, 0), 0);
	for (line = file.buf; line && *line; line = next) {
		char *tab, *nl = strchr(line, '\n');
		struct helm_ctx c = { 0 };

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		c.arena = arena_new();
		run_case(&c, line, tab + 1, lineno);
		arena_free(c.arena);
		cases++;
	}
	assert_true(cases > 200);
	strbuf_release(&file);
}

/* Values read the way Helm reads values.yaml: YAML 1.1 scalars, numbers as float64. */
static void yaml_values_read_as_helm_reads_them(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct hv *v;
	const char *in = "a: 1\nb: yes\nc: 2001-12-14\nd: 1e6\n1.5: k\n"
			 "base: &b {x: 1, y: 2}\nm:\n  y: 0\n  <<: *b\n";

	(void)state;
	c.arena = arena_new();
	assert_int_equal(helm_yaml_parse(&c, &v, in, strlen(in), HELM_INTO_MAP), 0);
	assert_int_equal(helm_json_emit(&c, &out, v, NULL), 0);
	/*
	 * What sigs.k8s.io/yaml.Unmarshal then json.Marshal print for it (the
	 * key y is YAML 1.1's true; go-yaml v2 merges at the "<<", over m's y).
	 */
	assert_string_equal(out.buf, "{\"1.5\":\"k\",\"a\":1,\"b\":true,\"base\":{\"true\":2,\"x\":1},"
				     "\"c\":\"2001-12-14\",\"d\":1000000,\"m\":{\"true\":2,\"x\":1}}");
	strbuf_reset(&out);
	assert_int_equal(helm_yaml_parse(&c, &v, "- a\n", 4, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "error unmarshaling JSON: while decoding JSON: json: "
				       "cannot unmarshal array into Go value of type "
				       "map[string]interface {}");
	assert_int_equal(helm_yaml_parse(&c, &v, "a: [1, 2\n", 9, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "error converting YAML to JSON: yaml: line 1: did not "
				       "find expected ',' or ']'");
	assert_int_equal(helm_json_parse(&c, &v, "{\"a\" 1}", 7, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "invalid character '1' after object key");
	strbuf_release(&out);
	arena_free(c.arena);
}

static struct hv *call1(struct helm_ctx *c, const char *name, struct hv *arg, int *r)
{
	const struct hfunc *fn = find_fn(name);
	struct hv *out = NULL;

	*r = fn->fn(c, &out, &arg, arg ? 1 : 0);
	return out;
}

/* The reproducible mode: a secret gives the same values every render, none fails. */
static void random_functions_follow_the_reproducible_mode(void **state)
{
	static const unsigned char secret[] = "publisher-secret";
	struct helm_ctx c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	struct hv *a, *b, *x, *u;
	int r;

	(void)state;
	c1.arena = arena_new();
	c2.arena = arena_new();
	c3.arena = arena_new();
	c1.reproducible = c2.reproducible = c3.reproducible = true;
	c1.secret = c2.secret = secret;
	c1.secret_len = c2.secret_len = sizeof(secret) - 1;

	a = call1(&c1, "randAlphaNum", hv_int(&c1, 24), &r);
	assert_int_equal(r, 0);
	b = call1(&c2, "randAlphaNum", hv_int(&c2, 24), &r);
	assert_int_equal(r, 0);
	assert_int_equal(a->len, 24);
	assert_memory_equal(a->s, b->s, 24);
	/* A second call in the same render gives a different password. */
	x = call1(&c1, "randAlphaNum", hv_int(&c1, 24), &r);
	assert_int_equal(r, 0);
	assert_true(memcmp(a->s, x->s, 24) != 0);
	u = call1(&c1, "uuidv4", NULL, &r);
	assert_int_equal(r, 0);
	assert_int_equal(u->len, 36);
	assert_int_equal(u->s[14], '4');

	/* Without a secret the call fails and names the function and the way out. */
	assert_null(call1(&c3, "randAlphaNum", hv_int(&c3, 8), &r));
	assert_int_equal(r, ERR_INVALID);
	assert_non_null(strstr(c3.errmsg, "randAlphaNum"));
	assert_non_null(strstr(c3.errmsg, "render secret"));
	arena_free(c1.arena);
	arena_free(c2.arena);
	arena_free(c3.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sprig_functions_match_the_oracle),
		cmocka_unit_test(yaml_values_read_as_helm_reads_them),
		cmocka_unit_test(random_functions_follow_the_reproducible_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
