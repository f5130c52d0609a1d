/*
 * Unit tests for the template engine (render/helm/tmpl-*.c) and Go's fmt
 * (render/helm/fmt.c).
 *
 * The expected outputs and error texts in the tables below are what Go
 * 1.19's text/template + Debian's Sprig printed for the same templates and
 * values (tests/helm-diff/go run over each template, with the VALUES
 * below), not what hoist's engine prints: they are the oracle's.  The
 * limit tests at the end check hoist's own limits, which Go lacks.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/tmpl.h"

struct tcase {
	const char *tpl;
	bool err;
	const char *want; /* the output, or the error text */
};

static const char VALUES[] =
	"{\"a\": \"A\", \"s\": \"h\\u00e9llo\", \"t\": true, \"n\": 3, \"z\": null, "
	"\"list\": [1, \"x\", 2, null], \"m\": {\"k\": \"v\", \"odd key\": 1, \"\": \"empty\", "
	"\"nil\": null, \"list\": [1,2]}, \"e\": [], \"big\": 1e21, \"neg\": -1.5, \"tiny\": 1e-7}";

/* Runs `tpl` as Helm's engine is set up; returns whether it failed. */
static bool run(struct helm_ctx *c, enum tmpl_missingkey mk, const char *tpl, const char *json,
		struct strbuf *out)
{
	struct tmpl_set *s = tmpl_set_new(c, "gotpl");
	struct hv *vals = NULL;
	int r;

	assert_non_null(s);
	assert_int_equal(tmpl_set_add_funcs(s, tmpl_helm_engine_funcs), 0);
	assert_int_equal(tmpl_set_add_funcs(s, sprig_funcs), 0);
	tmpl_set_missingkey(s, mk);
	if (helm_json_parse(c, &vals, json, strlen(json), HELM_INTO_ANY))
		fail_msg("values: %s", err_msg());
	strbuf_reset(out);
	r = tmpl_parse(s, "case", tpl, strlen(tpl));
	if (!r)
		r = tmpl_execute(s, "case", vals, out);
	if (r) {
		strbuf_reset(out);
		strbuf_addstr(out, err_msg());
	}
	tmpl_set_free(s);
	return r != 0;
}

static void check_table(const struct tcase *t)
{
	struct strbuf out = STRBUF_INIT;

	for (; t->tpl; t++) {
		struct helm_ctx c = { 0 };
		bool failed;

		c.arena = arena_new();
		failed = run(&c, TMPL_MISSINGKEY_ZERO, t->tpl, VALUES, &out);
		if (failed != t->err || strcmp(out.buf, t->want) != 0)
			fail_msg("template %s\n  want %s: %s\n  got  %s: %s", t->tpl,
				 t->err ? "error" : "output", t->want, failed ? "error" : "output",
				 out.buf);
		arena_free(c.arena);
	}
	strbuf_release(&out);
}

static const struct tcase fields_and_missing_values_follow_go_cases[] = {
	{ "{{ .a }}|{{ .missing }}|{{ .m.k }}|{{ .m.missing }}",
	  false, "A|<no value>|v|<no value>" },
	{ "{{ .missing.x }}",
	  true, "template: case:1:11: executing \"case\" at <.missing.x>: nil pointer evaluating interface {}.x" },
	{ "{{ .z.x }}",
	  true, "template: case:1:5: executing \"case\" at <.z.x>: nil pointer evaluating interface {}.x" },
	{ "{{ .list.x }}",
	  true, "template: case:1:8: executing \"case\" at <.list.x>: can't evaluate field x in type interface {}" },
	{ "{{ $x := .list }}{{ $x.x }}",
	  true, "template: case:1:22: executing \"case\" at <$x.x>: can't evaluate field x in type []interface {}" },
	{ "{{ .s.x }}",
	  true, "template: case:1:5: executing \"case\" at <.s.x>: can't evaluate field x in type interface {}" },
	{ "{{ (.missing).x }}|",
	  false, "<no value>|" },
	{ NULL, false, NULL },
};

static const struct tcase number_and_string_literals_parse_as_go_parses_them_cases[] = {
	{ "{{ 1 }} {{ 1.5 }} {{ 1e3 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' }} {{ -0 }} {{ .5 }} {{ 0x1p4 }}",
	  false, "1 1.5 1000 31 15 5 1000 97 0 0.5 16" },
	{ "{{ 08 }}",
	  true, "template: case:1: integer overflow: \"08\"" },
	{ "{{ 9223372036854775808 }}",
	  true, "template: case:1:3: executing \"case\" at <9223372036854775808>: 9223372036854775808 overflows int" },
	{ "{{ 1__0 }}",
	  true, "template: case:1: illegal number syntax: \"1__0\"" },
	{ "{{ \"a\\tb\\u00e9\\x41\\101\" }} {{ `raw\\n` }}",
	  false, "a\tb\303\251AA raw\\n" },
	{ "{{ \"unterminated }}",
	  true, "template: case:1: unterminated quoted string" },
	{ "{{ 'ab' }}",
	  true, "template: case:1: malformed character constant: 'ab'" },
	{ NULL, false, NULL },
};

static const struct tcase control_flow_if_with_range_break_continue_cases[] = {
	{ "{{ if .t }}yes{{ else if .a }}a{{ else }}no{{ end }}",
	  false, "yes" },
	{ "{{ if .missing }}yes{{ else if eq .s \"x\" }}x{{ else }}no{{ end }}",
	  false, "no" },
	{ "{{ with .m }}{{ .k }}{{ else }}none{{ end }}{{ with .missing }}x{{ else }}none{{ end }}",
	  false, "vnone" },
	{ "{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}",
	  false, "=empty;k=v;list=[1 2];nil=<no value>;odd key=1;" },
	{ "{{ range $i, $v := .list }}{{ $i }}:{{ $v }} {{ end }}",
	  false, "0:1 1:x 2:2 3:<no value> " },
	{ "{{ range .e }}x{{ else }}empty{{ end }}{{ range .missing }}x{{ else }}nil{{ end }}",
	  false, "emptynil" },
	{ "{{ range .s }}{{ . }}{{ end }}",
	  true, "template: case:1:9: executing \"case\" at <.s>: range can't iterate over h\303\251llo" },
	{ "{{ range 5 }}{{ . }}{{ end }}",
	  true, "template: case:1:9: executing \"case\" at <5>: range can't iterate over 5" },
	{ "{{ range .list }}{{ if eq (printf \"%v\" .) \"2\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
	  false, "1x" },
	{ "{{ range .list }}{{ if eq (printf \"%v\" .) \"x\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
	  false, "12<no value>" },
	{ "{{ break }}",
	  true, "template: case:1: {{break}} outside {{range}}" },
	{ NULL, false, NULL },
};

static const struct tcase variables_trim_markers_and_comments_cases[] = {
	{ "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}{{ if true }}{{ $x = 3 }}{{ $y := 4 }}{{ end }}{{ $x }}",
	  false, "23" },
	{ "{{ $x = 1 }}",
	  true, "template: case:1:8: executing \"case\" at <1>: undefined variable: $x" },
	{ "{{ $y }}",
	  true, "template: case:1: undefined variable \"$y\"" },
	{ "{{- \" a \" -}} b {{- \" c \" }}  d  {{- /* comment */ -}}  e",
	  false, " a b c   de" },
	{ "a {{/* c */}} b {{- /* c */}} c",
	  false, "a  b c" },
	{ NULL, false, NULL },
};

static const struct tcase and_or_not_len_index_slice_as_go_cases[] = {
	{ "{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" }} {{ not 0 }} {{ and }}",
	  true, "template: case:1:72: executing \"case\" at <and>: wrong number of args for and: want at least 1 got 0" },
	{ "{{ or .missing.x 1 }}",
	  true, "template: case:1:14: executing \"case\" at <.missing.x>: nil pointer evaluating interface {}.x" },
	{ "{{ and 0 .missing.x }}",
	  false, "0" },
	{ "{{ len .s }} {{ len .list }} {{ len .m }} {{ len 3 }}",
	  true, "template: case:1:45: executing \"case\" at <len 3>: error calling len: len of type int" },
	{ "{{ len .missing }}",
	  true, "template: case:1:3: executing \"case\" at <len .missing>: error calling len: len of nil pointer" },
	{ "{{ len .z }}",
	  true, "template: case:1:3: executing \"case\" at <len .z>: error calling len: len of nil pointer" },
	{ "{{ index .list 1 }} {{ index .m \"k\" }} {{ index .m \"nope\" }} {{ index .s 0 }} {{ index .list 5 }}",
	  true, "template: case:1:81: executing \"case\" at <index .list 5>: error calling index: index out of range: 5" },
	{ "{{ index .list 3 }}",
	  false, "<no value>" },
	{ "{{ index .missing 1 }}",
	  true, "template: case:1:3: executing \"case\" at <index .missing 1>: error calling index: index of untyped nil" },
	{ "{{ index .m 1 }}",
	  true, "template: case:1:3: executing \"case\" at <index .m 1>: error calling index: value has type int; should be string" },
	{ "{{ index 1 1 }}",
	  true, "template: case:1:3: executing \"case\" at <index 1 1>: error calling index: can't index item of type int" },
	{ "{{ slice .s 1 }} {{ slice .list 1 2 }} {{ slice .s 2 1 }}",
	  true, "template: case:1:3: executing \"case\" at <slice .s 1>: error calling slice: list should be type of slice or array but string" },
	{ "{{ slice .s 1 2 3 }}",
	  true, "template: case:1:3: executing \"case\" at <slice .s 1 2 3>: error calling slice: list should be type of slice or array but string" },
	{ NULL, false, NULL },
};

static const struct tcase comparisons_follow_go_kind_rules_cases[] = {
	{ "{{ eq 1 1 }} {{ eq 1 2 1 }} {{ eq \"a\" \"a\" }} {{ eq .n 1 }} {{ ne 1 2 }} {{ eq .missing .missing }} {{ eq .z .missing }}",
	  true, "template: case:1:48: executing \"case\" at <eq .n 1>: error calling eq: incompatible types for comparison" },
	{ "{{ eq .n 3.0 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}",
	  false, "true true true true false" },
	{ "{{ lt 1 1.5 }}",
	  true, "template: case:1:3: executing \"case\" at <lt 1 1.5>: error calling lt: incompatible types for comparison" },
	{ "{{ lt true false }}",
	  true, "template: case:1:3: executing \"case\" at <lt true false>: error calling lt: invalid type for comparison" },
	{ "{{ eq .list .list }}",
	  true, "template: case:1:3: executing \"case\" at <eq .list .list>: error calling eq: non-comparable type [%!s(float64=1) x %!s(float64=2) <nil>]: []interface {}" },
	{ "{{ eq .m 1 }}",
	  true, "template: case:1:3: executing \"case\" at <eq .m 1>: error calling eq: incompatible types for comparison" },
	{ "{{ eq 1 }}",
	  true, "template: case:1:3: executing \"case\" at <eq 1>: error calling eq: missing argument for comparison" },
	{ "{{ lt .missing 1 }}",
	  true, "template: case:1:3: executing \"case\" at <lt .missing 1>: error calling lt: invalid type for comparison" },
	{ NULL, false, NULL },
};

static const struct tcase print_and_printf_format_as_go_fmt_cases[] = {
	{ "{{ print 1 2 \"a\" \"b\" 3 nil }} {{ println 1 \"a\" }} {{ print .missing }} {{ print }}",
	  false, "1 2ab3 <nil> 1 a\n <nil> " },
	{ "{{ printf \"%d %s %v %q %x %X %o %b %e %E %f %g %G %t %c %U %T\" 42 \"s\" 1.5 \"q\" 255 255 8 5 1234.5678 1234.5678 1.5 1e21 1e-7 true 65 65 .m }}",
	  false, "42 s 1.5 \"q\" ff FF 10 101 1.234568e+03 1.234568E+03 1.500000 1e+21 1E-07 true A U+0041 map[string]interface {}" },
	{ "{{ printf \"%5d|%-5d|%05d|%+d|% d|%x|%#x|%#o|%#b|%08.3f|%-8.2f|%+.1e\" 42 42 42 42 42 -255 255 8 5 3.14159 2.5 12345.678 }}",
	  false, "   42|42   |00042|+42| 42|-ff|0xff|010|0b101|0003.142|2.50    |+1.2e+04" },
	{ "{{ printf \"%s %d\" \"a\" }} {{ printf \"%d\" \"a\" }} {{ printf \"%s\" 1 2 }} {{ printf \"%!\" }} {{ printf \"%\" }} {{ printf \"%z\" 1 }}",
	  false, "a %!d(MISSING) %!d(string=a) %!s(int=1)%!(EXTRA int=2) %!!(MISSING) %!(NOVERB) %!z(int=1)" },
	{ "{{ printf \"%[2]d %[1]d\" 1 2 }} {{ printf \"%[3]d\" 1 }} {{ printf \"%*d|%-*d|%.*f\" 5 1 4 2 2 3.14159 }} {{ printf \"%*d\" \"x\" 1 }}",
	  false, "2 1 %!d(BADINDEX)     1|2   |3.14 %!(BADWIDTH)1" },
	{ "{{ printf \"%v %+v %#v\" .m .m .m }} {{ printf \"%v|%#v|%T\" .list .list .list }} {{ printf \"%#v %#v %#v\" 1 \"s\" 1.5 }}",
	  false, "map[:empty k:v list:[1 2] nil:<nil> odd key:1] map[:empty k:v list:[1 2] nil:<nil> odd key:1] map[string]interface {}{\"\":\"empty\", \"k\":\"v\", \"list\":[]interface {}{1, 2}, \"nil\":interface {}(nil), \"odd key\":1} [1 x 2 <nil>]|[]interface {}{1, \"x\", 2, interface {}(nil)}|[]interface {} 1 \"s\" 1.5" },
	{ "{{ printf \"%q %+q %#q %x % x %X\" \"h\303\251llo\\n\" \"h\303\251llo\" \"back`q\" \"hi\" \"hi\" \"hi\" }}",
	  false, "\"h\303\251llo\\n\" \"h\\u00e9llo\" \"back`q\" 6869 68 69 6869" },
	{ "{{ printf \"%6.2s|%-6s|%.1q\" \"abcdef\" \"ab\" \"xyz\" }}",
	  false, "    ab|ab    |\"x\"" },
	{ "{{ printf \"%v %v %v %v %v %v %v\" 1e6 1e5 123456789.0 0.000012 1e-5 100000.0 1e20 }}",
	  false, "1e+06 100000 1.23456789e+08 1.2e-05 1e-05 100000 1e+20" },
	{ "{{ printf \"%v %v %v\" .big .neg .tiny }}",
	  false, "1e+21 -1.5 1e-07" },
	{ "{{ printf \"%d %v\" .nil .nil }}",
	  false, "%!d(<nil>) <nil>" },
	{ "{{ printf \"%c %c %q %U %#U\" 0x1F600 -1 0x1F600 0x1F600 0x1F600 }}",
	  false, "\360\237\230\200 \357\277\275 '\360\237\230\200' U+1F600 U+1F600 '\360\237\230\200'" },
	{ "{{ printf \"%x %X %o\" -255 -255 -8 }}",
	  false, "-ff -FF -10" },
	{ "{{ printf \"%.3d|%.0d|%8.3d|%-8.3d|\" 7 0 7 7 }}",
	  false, "007||     007|007     |" },
	{ "{{ printf \"%t %t %v\" true false true }} {{ printf \"%d\" true }}",
	  false, "true false true %!d(bool=true)" },
	{ "{{ printf \"%s\" .list }} {{ printf \"%d\" .list }} {{ printf \"%s\" .m }}",
	  false, "[%!s(float64=1) x %!s(float64=2) <nil>] [%!d(float64=1) %!d(string=x) %!d(float64=2) <nil>] map[:empty k:v list:[%!s(float64=1) %!s(float64=2)] nil:<nil> odd key:%!s(float64=1)]" },
	{ "{{ printf \"%5.1f%%\" 99.44 }} {{ printf \"%e %g\" 0.0 0.0 }} {{ printf \"%g %g\" 1e-320 123456789012345678.0 }}",
	  false, " 99.4% 0.000000e+00 0 1e-320 1.2345678901234568e+17" },
	{ "{{ printf \"%6.3v|%.2v|%10v|%-10v|\" 3.14159 \"hello\" .list \"x\" }}",
	  false, "  3.14|he|[         1          x          2 <nil>]|x         |" },
	{ NULL, false, NULL },
};

static const struct tcase html_js_urlquery_escape_as_go_cases[] = {
	{ "{{ html \"<a href='x'>&\\\"</a>\" }} {{ js \"a'b\\\"c<d>e&f=g\\\\h\\n\" }} {{ urlquery \"a b&c=d/\303\251\" }} {{ html 1 2 }} {{ html .missing }}",
	  false, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt; a\\'b\\\"c\\u003Cd\\u003Ee\\u0026f\\u003Dg\\\\h\\u000A a+b%26c%3Dd%2F%C3%A9 1 2 &lt;no value&gt;" },
	{ "{{ js \"\346\227\245\346\234\254\\u2028\" }}",
	  false, "\346\227\245\346\234\254\\u2028" },
	{ NULL, false, NULL },
};

static const struct tcase define_template_block_include_tpl_cases[] = {
	{ "{{ define \"t1\" }}T1({{ . }}){{ end }}{{ template \"t1\" 5 }}{{ template \"t1\" }}{{ template \"t1\" .a }}",
	  false, "T1(5)T1(<no value>)T1(A)" },
	{ "{{ template \"nope\" }}",
	  true, "template: case:1:12: executing \"case\" at <{{template \"nope\"}}>: template \"nope\" not defined" },
	{ "{{ define \"r\" }}{{ template \"r\" }}{{ end }}x",
	  false, "x" },
	{ "{{ block \"b1\" .a }}block({{ . }}){{ end }}",
	  false, "block(A)" },
	{ "{{ define \"x\" }}a{{ end }}{{ define \"x\" }}b{{ end }}",
	  true, "template: case:1: template: multiple definition of template \"x\"" },
	{ "{{ define \"x\" }}{{ end }}{{ define \"x\" }}b{{ end }}{{ template \"x\" }}",
	  false, "b" },
	{ "{{ define \"x\" }}  {{ end }}{{ template \"x\" }}|",
	  false, "  |" },
	{ "{{ include \"i1\" .m }}{{ define \"i1\" }}k={{ .k }}{{ end }}",
	  false, "k=v" },
	{ "{{ include \"nope\" . }}",
	  true, "template: case:1:3: executing \"case\" at <include \"nope\" .>: error calling include: template: no template \"nope\" associated with template \"gotpl\"" },
	{ "{{ define \"i2\" }}{{ .x.y }}{{ end }}{{ include \"i2\" .s }}",
	  true, "template: case:1:39: executing \"case\" at <include \"i2\" .s>: error calling include: template: case:1:22: executing \"i2\" at <.x.y>: can't evaluate field x in type string" },
	{ "{{ tpl \"{{ .k }}/{{ .missing }}\" .m }}",
	  false, "v/" },
	{ "{{ tpl \"{{ define \\\"t9\\\" }}in{{ end }}{{ template \\\"t9\\\" }}\" . }}{{ template \"t9\" }}",
	  true, "template: case:1:77: executing \"case\" at <{{template \"t9\"}}>: template \"t9\" not defined" },
	{ "{{ tpl \"{{ .x.y }}\" .s }}",
	  true, "template: case:1:3: executing \"case\" at <tpl \"{{ .x.y }}\" .s>: error calling tpl: error during tpl function execution for \"{{ .x.y }}\": template: gotpl:1:5: executing \"gotpl\" at <.x.y>: can't evaluate field x in type string" },
	{ "{{ tpl \"{{ if }}\" . }}",
	  true, "template: case:1:3: executing \"case\" at <tpl \"{{ if }}\" .>: error calling tpl: cannot parse template \"{{ if }}\": template: gotpl:1: missing value for if" },
	{ NULL, false, NULL },
};

static const struct tcase command_and_argument_errors_match_go_cases[] = {
	{ "{{ nil }}",
	  true, "template: case:1:3: executing \"case\" at <nil>: nil is not a command" },
	{ "{{ .a 1 }}",
	  true, "template: case:1:3: executing \"case\" at <.a>: a is not a method but has arguments" },
	{ "{{ 1 2 }}",
	  true, "template: case:1:3: executing \"case\" at <1>: can't give argument to non-function 1" },
	{ "{{ (1) 2 }}",
	  true, "template: case:1:3: executing \"case\" at <(1) 2>: can't give argument to non-function 1" },
	{ "{{ . | 1 }}",
	  true, "template: case:1: non executable command in pipeline stage 2" },
	{ "{{ printf }}",
	  true, "template: case:1:3: executing \"case\" at <printf>: wrong number of args for printf: want at least 1 got 0" },
	{ "{{ html }}",
	  false, "" },
	{ "{{ index }}",
	  true, "template: case:1:3: executing \"case\" at <index>: wrong number of args for index: want at least 1 got 0" },
	{ "{{ len 1 2 }}",
	  true, "template: case:1:3: executing \"case\" at <len>: wrong number of args for len: want 1 got 2" },
	{ "{{ not }}",
	  true, "template: case:1:3: executing \"case\" at <not>: wrong number of args for not: want 1 got 0" },
	{ "{{ .m.k.x }}",
	  true, "template: case:1:5: executing \"case\" at <.m.k.x>: can't evaluate field x in type interface {}" },
	{ "{{ $.a }} {{ $ }}",
	  false, "A map[a:A big:1e+21 e:[] list:[1 x 2 <nil>] m:map[:empty k:v list:[1 2] nil:<nil> odd key:1] n:3 neg:-1.5 s:h\303\251llo t:true tiny:1e-07 z:<nil>]" },
	{ "{{ .a | printf \"%s-%s\" \"x\" }}",
	  false, "x-A" },
	{ "{{ \"x\" | eq \"x\" \"y\" }}",
	  false, "true" },
	{ "{{ 1 | and 0 }}",
	  false, "0" },
	{ "{{ nofunc 1 }}",
	  true, "template: case:1: function \"nofunc\" not defined" },
	{ "{{ .a.b.c | print }}",
	  true, "template: case:1:5: executing \"case\" at <.a.b.c>: can't evaluate field b in type interface {}" },
	{ "{{ (print 1).x }}",
	  true, "template: case:1:10: executing \"case\" at <1>: can't evaluate field x in type string" },
	{ "{{ nil.x }}",
	  true, "template: case:1: unexpected . after term \"nil\"" },
	{ "{{ true.x }}",
	  true, "template: case:1: unexpected . after term \"true\"" },
	{ "{{ $x := 1 }}{{ $x.y }}",
	  true, "template: case:1:18: executing \"case\" at <$x.y>: can't evaluate field y in type int" },
	{ "{{ if }}x{{ end }}",
	  true, "template: case:1: missing value for if" },
	{ "{{ if 1 }}x",
	  true, "template: case:1: unexpected EOF" },
	{ "{{ else }}",
	  true, "template: case:1: unexpected {{else}}" },
	{ "{{ end }}",
	  true, "template: case:1: unexpected {{end}}" },
	{ "{{ range $a, $b, $c := .list }}{{ end }}",
	  true, "template: case:1: too many declarations in range" },
	{ "{{ $a, $b := 1 }}",
	  true, "template: case:1: too many declarations in command" },
	{ "{{ with $x := .m }}{{ $x.k }}{{ end }}{{ $x }}",
	  true, "template: case:1: undefined variable \"$x\"" },
	{ "{{ template \"x\" | print }}",
	  true, "template: case:1: unexpected \"|\" in template clause" },
	{ "{{ define \"q\" }}",
	  true, "template: case:1: unexpected EOF" },
	{ NULL, false, NULL },
};

static const struct tcase parse_errors_name_line_and_token_as_go_cases[] = {
	{ "{{ 1 }",
	  true, "template: case:1: unexpected \"}\" in operand" },
	{ "{{ .a }}{{",
	  true, "template: case:1: unclosed action" },
	{ "{{ \"\\z\" }}",
	  true, "template: case:1: invalid syntax" },
	{ "{{ .a | }}",
	  false, "A" },
	{ "{{ | .a }}",
	  true, "template: case:1: unexpected \"|\" in command" },
	{ "{{ .a .b }}",
	  true, "template: case:1:3: executing \"case\" at <.a>: a is not a method but has arguments" },
	{ "{{ (.a }}",
	  true, "template: case:1: unclosed left paren" },
	{ "{{ .a) }}",
	  true, "template: case:1: unexpected \")\" in command" },
	{ "{{- .a -}}",
	  false, "A" },
	{ "{{ -1 }}{{-1}}",
	  false, "-1-1" },
	{ "{{ .a-1 }}",
	  true, "template: case:1: bad character U+002D '-'" },
	{ "{{ $ .a }}",
	  true, "template: case:1:3: executing \"case\" at <$>: can't give argument to non-function $" },
	{ "{{ .Values }}",
	  false, "<no value>" },
	{ NULL, false, NULL },
};

static const struct tcase edge_values_and_fmt_details_cases[] = {
	{ "{{ print 1.0 2.5 -0.0 1e100 }}",
	  false, "1 2.5 -0 1e+100" },
	{ "{{ eq 1 1.0 }}",
	  true, "template: case:1:3: executing \"case\" at <eq 1 1.0>: error calling eq: incompatible types for comparison" },
	{ "{{ eq .t true }} {{ eq .t 1 }}",
	  true, "template: case:1:20: executing \"case\" at <eq .t 1>: error calling eq: incompatible types for comparison" },
	{ "{{ call .a }}",
	  true, "template: case:1:3: executing \"case\" at <call .a>: error calling call: non-function of type string" },
	{ "{{ call .missing }}",
	  true, "template: case:1:3: executing \"case\" at <call .missing>: error calling call: call of nil" },
	{ "{{ index .m \"odd key\" }} {{ index .m \"\" }}",
	  false, "1 empty" },
	{ "{{ range $i, $e := .m.list }}{{ $i }}{{ end }}",
	  false, "01" },
	{ "{{ .m.nil }}|{{ .m.nil.x }}",
	  true, "template: case:1:18: executing \"case\" at <.m.nil.x>: nil pointer evaluating interface {}.x" },
	{ "{{ range .m }}{{ . }},{{ end }}",
	  false, "empty,v,[1 2],<no value>,1," },
	{ "{{ with $x := 5 }}{{ . }}{{ $x }}{{ end }}",
	  false, "55" },
	{ "{{ range $x := .list }}{{ $x }}{{ end }}",
	  false, "1x2<no value>" },
	{ "{{ $ := 1 }}",
	  false, "" },
	{ "{{ printf \"%v\" .m.nil }} {{ printf \"%s\" nil }} {{ printf \"%v %d\" .list .list }}",
	  false, "<nil> %!s(<nil>) [1 x 2 <nil>] [%!d(float64=1) %!d(string=x) %!d(float64=2) <nil>]" },
	{ "{{ .m.nil | print }}",
	  false, "<nil>" },
	{ "{{ printf \"%-5t|%5t|%05s|%-05d|%+5s\" true false \"ab\" 3 \"x\" }}",
	  false, "true |false|000ab|3    |    x" },
	{ "{{ printf \"%#x %#X %# x\" \"hi\" \"hi\" \"hi\" }}",
	  false, "0x6869 0X6869 0x68 0x69" },
	{ "{{ printf \"%x %.2x\" 3.5 1.0 }} {{ printf \"%b\" 1.0 }}",
	  false, "0x1.cp+01 0x1.00p+00 4503599627370496p-52" },
	{ "{{ printf \"%10.4e|%-12.3E|%+g|% g\" 123.456 0.001234 5.0 5.0 }}",
	  false, "1.2346e+02|1.234E-03   |+5| 5" },
	{ "{{ printf \"%#g %#.3g %#e %#.0f %#v\" 1.0 2.0 3.0 4.0 5.0 }}",
	  false, "1.00000 2.00 3.000000e+00 4. 5" },
	{ "{{ printf \"%v\" 1e21 }} {{ printf \"%v\" 1e-7 }} {{ printf \"%.3v\" 1234.5678 }}",
	  false, "1e+21 1e-07 1.23e+03" },
	{ "{{ printf \"%08.3f|%-08.3f|%+08.3f|% 08.3f\" -3.14159 3.14159 3.14159 3.14159 }}",
	  false, "-003.142|3.142   |+003.142| 003.142" },
	{ "{{ printf \"%3c|%-3c|%q|%+q\" 65 66 9 0x7f }}",
	  false, "  A|B  |'\\t'|'\\x7f'" },
	{ "{{ printf \"%.0f %.0f %.0f %.0f\" 0.5 1.5 2.5 -0.5 }}",
	  false, "0 2 2 -0" },
	{ "{{ printf \"%.2f %.2f %.3g\" 1.005 2.675 0.0001234 }}",
	  false, "1.00 2.67 0.000123" },
	{ "{{ printf \"%d %d\" 9223372036854775807 -9223372036854775807 }}",
	  false, "9223372036854775807 -9223372036854775807" },
	{ "{{ printf \"%s|%v|%q\" .bytes .bytes .bytes }}",
	  false, "%!s(<nil>)|<nil>|%!q(<nil>)" },
	{ NULL, false, NULL },
};
static void fields_and_missing_values_follow_go(void **state)
{
	check_table(fields_and_missing_values_follow_go_cases);
}

static void number_and_string_literals_parse_as_go_parses_them(void **state)
{
	check_table(number_and_string_literals_parse_as_go_parses_them_cases);
}

static void control_flow_if_with_range_break_continue(void **state)
{
	check_table(control_flow_if_with_range_break_continue_cases);
}

static void variables_trim_markers_and_comments(void **state)
{
	check_table(variables_trim_markers_and_comments_cases);
}

static void and_or_not_len_index_slice_as_go(void **state)
{
	check_table(and_or_not_len_index_slice_as_go_cases);
}

static void comparisons_follow_go_kind_rules(void **state)
{
	check_table(comparisons_follow_go_kind_rules_cases);
}

static void print_and_printf_format_as_go_fmt(void **state)
{
	check_table(print_and_printf_format_as_go_fmt_cases);
}

static void html_js_urlquery_escape_as_go(void **state)
{
	check_table(html_js_urlquery_escape_as_go_cases);
}

static void define_template_block_include_tpl(void **state)
{
	check_table(define_template_block_include_tpl_cases);
}

static void command_and_argument_errors_match_go(void **state)
{
	check_table(command_and_argument_errors_match_go_cases);
}

static void parse_errors_name_line_and_token_as_go(void **state)
{
	check_table(parse_errors_name_line_and_token_as_go_cases);
}

static void edge_values_and_fmt_details(void **state)
{
	check_table(edge_values_and_fmt_details_cases);
}

/* What Go 1.19 prints for each missingkey option (Helm uses zero, --strict error). */
static void missingkey_options_behave_as_go(void **state)
{
	static const struct {
		enum tmpl_missingkey mk;
		const char *tpl;
		bool err;
		const char *want;
	} cases[] = {
		{ TMPL_MISSINGKEY_DEFAULT, "{{ .missing }}", false, "<no value>" },
		{ TMPL_MISSINGKEY_DEFAULT, "{{ .missing.x }}", false, "<no value>" },
		{ TMPL_MISSINGKEY_DEFAULT, "{{ .m.nil.x }}", true,
		  "template: case:1:5: executing \"case\" at <.m.nil.x>: nil pointer evaluating interface {}.x" },
		{ TMPL_MISSINGKEY_ZERO, "{{ .missing.x }}", true,
		  "template: case:1:11: executing \"case\" at <.missing.x>: nil pointer evaluating interface {}.x" },
		{ TMPL_MISSINGKEY_ZERO, "{{ $x := .missing }}{{ $x.y }}", false, "<no value>" },
		{ TMPL_MISSINGKEY_ERROR, "{{ .missing }}", true,
		  "template: case:1:3: executing \"case\" at <.missing>: map has no entry for key \"missing\"" },
		{ TMPL_MISSINGKEY_ERROR, "{{ .missing.x }}", true,
		  "template: case:1:11: executing \"case\" at <.missing.x>: map has no entry for key \"missing\"" },
		{ TMPL_MISSINGKEY_ERROR, "{{ .m.nil }}", false, "<no value>" },
		{ TMPL_MISSINGKEY_ERROR, "{{ .m.missing }}", true,
		  "template: case:1:5: executing \"case\" at <.m.missing>: map has no entry for key \"missing\"" },
		{ TMPL_MISSINGKEY_ERROR, "{{ index .m \"missing\" }}", false, "<no value>" },
	};
	const char *vals = "{\"a\": \"A\", \"m\": {\"k\": \"v\", \"nil\": null}}";
	struct strbuf out = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct helm_ctx c = { 0 };
		bool failed;

		c.arena = arena_new();
		failed = run(&c, cases[i].mk, cases[i].tpl, vals, &out);
		if (failed != cases[i].err || strcmp(out.buf, cases[i].want) != 0)
			fail_msg("mode %d template %s: got %s", (int)cases[i].mk, cases[i].tpl, out.buf);
		arena_free(c.arena);
	}
	strbuf_release(&out);
}

/* The template set: t.New(name).Parse semantics across several files, and ExecuteTemplate. */
static void later_parses_replace_defines_but_empty_bodies_never_do(void **state)
{
	struct helm_ctx c = { 0 };
	struct tmpl_set *s;
	struct strbuf out = STRBUF_INIT;
	const char *f1 = "{{ define \"x\" }}one{{ end }}{{ define \"y\" }}Y{{ end }}";
	const char *f2 = "{{ define \"x\" }}two{{ end }}{{ define \"y\" }} {{ end }}";
	const char *f3 = "{{ template \"x\" }}{{ template \"y\" }}";

	c.arena = arena_new();
	s = tmpl_set_new(&c, "gotpl");
	assert_int_equal(tmpl_parse(s, "f1", f1, strlen(f1)), 0);
	assert_int_equal(tmpl_parse(s, "f2", f2, strlen(f2)), 0);
	assert_int_equal(tmpl_parse(s, "f3", f3, strlen(f3)), 0);
	assert_true(tmpl_defined(s, "x"));
	assert_true(tmpl_defined(s, "f1"));
	assert_false(tmpl_defined(s, "nope"));
	assert_int_equal(tmpl_execute(s, "f3", NULL, &out), 0);
	assert_string_equal(out.buf, "twoY");
	strbuf_reset(&out);
	assert_int_equal(tmpl_execute(s, "nope", NULL, &out), ERR_INVALID);
	assert_string_equal(err_msg(),
			    "template: no template \"nope\" associated with template \"gotpl\"");
	tmpl_set_free(s);
	arena_free(c.arena);
	strbuf_release(&out);
}

static void two_defines_of_one_name_in_one_text_fail_as_in_go(void **state)
{
	struct helm_ctx c = { 0 };
	struct tmpl_set *s;
	const char *t = "{{ define \"x\" }}a{{ end }}\n{{ define \"x\" }}b{{ end }}";

	c.arena = arena_new();
	s = tmpl_set_new(&c, "gotpl");
	assert_int_equal(tmpl_parse(s, "f", t, strlen(t)), ERR_INVALID);
	assert_string_equal(err_msg(), "template: f:2: template: multiple definition of template \"x\"");
	tmpl_set_free(s);
	arena_free(c.arena);
}

/* Go's fmt on values JSON cannot produce (values of Go as %v, %T, %x show them). */
static void fmt_prints_typed_go_values_as_go(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct hv_time t0 = { 0, 0, 0, "UTC" };
	struct hv_time t1 = { 1700000000, 120000000, 3600, "CET" };
	struct hv *args[8];
	const char *f = "%v|%s|%x|%T|%v|%v|%c|%T|%v";

	c.arena = arena_new();
	args[0] = hv_bytes(&c, "\x01\x02", 2);
	args[1] = hv_bytes(&c, "hi", 2);
	args[2] = hv_bytes(&c, "hi", 2);
	args[3] = hv_int_t(&c, 5, HV_T_INT64);
	args[4] = hv_time(&c, &t0);
	args[5] = hv_time(&c, &t1);
	args[6] = hv_uint_t(&c, 0x263A, "int32");
	args[7] = hv_uint_t(&c, 7, "uint8");
	/* Expected: fmt.Sprintf in Go 1.19 over []byte{1,2}, []byte("hi"), int64(5),
	 * time.Unix(0,0).UTC(), time.Unix(1700000000,120000000) in a +01:00 "CET" zone, ... */
	assert_int_equal(hv_sprintf(&c, &out, f, strlen(f), args, 8), 0);
	assert_string_equal(out.buf, "[1 2]|hi|6869|int64|1970-01-01 00:00:00 +0000 UTC|"
				     "2023-11-14 23:13:20.12 +0100 CET|\xe2\x98\xba|uint8|%!v(MISSING)");
	strbuf_release(&out);
	arena_free(c.arena);
}

/* A Go map type with methods, as Helm's .Files is: type files map[string][]byte. */
static struct hv *files_as_map(struct helm_ctx *c, void *self)
{
	return self;
}

static int files_get(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		     size_t nargs)
{
	struct hv *b = hv_map_get(self, args[0]->s, args[0]->len);

	*out = b ? hv_str(c, b->s, b->len) : hv_str(c, "", 0);
	return *out ? 0 : ERR_TOOBIG;
}

static struct hv *files_field(struct helm_ctx *c, void *self, const char *name)
{
	return NULL;
}

static const struct hv_method files_methods[] = {
	{ "Get", "s", files_get },
	{ NULL, NULL, NULL },
};

static const struct hv_class files_class = { "main.files", files_field, files_methods, NULL,
					     files_as_map };

/* Expected texts: Go 1.19 over `type files map[string][]byte` with a Get method. */
static void map_types_with_methods_range_index_and_call_as_go(void **state)
{
	static const struct {
		const char *tpl;
		int r;
		const char *want;
	} cases[] = {
		{ "{{ range $k, $v := . }}{{ $k }}={{ printf \"%s\" $v }};{{ end }}", 0,
		  "a.txt=A;b.txt=B;" },
		{ "{{ len . }} {{ index . \"a.txt\" | printf \"%s\" }} {{ .Get \"b.txt\" }}", 0,
		  "2 A B" },
		{ "{{ .Get }}", ERR_INVALID,
		  "template: t:1:3: executing \"t\" at <.Get>: wrong number of args for Get: want 1 got 0" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct helm_ctx c = { 0 };
		struct strbuf out = STRBUF_INIT;
		struct tmpl_set *s;
		struct hv *m, *dot;
		int r;

		c.arena = arena_new();
		m = hv_map_new(&c, "main.files");
		hv_map_set(&c, m, "b.txt", 5, hv_bytes(&c, "B", 1));
		hv_map_set(&c, m, "a.txt", 5, hv_bytes(&c, "A", 1));
		dot = hv_obj(&c, &files_class, m);
		s = tmpl_set_new(&c, "gotpl");
		tmpl_set_missingkey(s, TMPL_MISSINGKEY_ZERO);
		assert_int_equal(tmpl_parse(s, "t", cases[i].tpl, strlen(cases[i].tpl)), 0);
		r = tmpl_execute(s, "t", dot, &out);
		assert_int_equal(r, cases[i].r);
		assert_string_equal(r ? err_msg() : out.buf, cases[i].want);
		tmpl_set_free(s);
		strbuf_release(&out);
		arena_free(c.arena);
	}
}

/* ---- hoist's limits against hostile templates ---- */

static int run_limited(struct helm_ctx *c, const char *tpl, const char *json, struct strbuf *out)
{
	struct tmpl_set *s = tmpl_set_new(c, "gotpl");
	struct hv *vals = NULL;
	int r;

	assert_int_equal(tmpl_set_add_funcs(s, tmpl_helm_engine_funcs), 0);
	assert_int_equal(tmpl_set_add_funcs(s, sprig_funcs), 0);
	if (helm_json_parse(c, &vals, json, strlen(json), HELM_INTO_ANY))
		fail_msg("values: %s", err_msg());
	r = tmpl_parse(s, "t", tpl, strlen(tpl));
	if (!r)
		r = tmpl_execute(s, "t", vals, out);
	tmpl_set_free(s);
	return r;
}

static const char LIST100[] = "{\"l\": [0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
			      "0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
			      "0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
			      "0,1,2,3,4,5,6,7,8,9], \"s\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";

static void a_loop_past_the_step_limit_stops_with_an_error(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *t = "{{ range .l }}{{ range $.l }}{{ range $.l }}{{ range $.l }}x{{ end }}{{ end }}{{ end }}{{ end }}";

	c.arena = arena_new();
	c.max_steps = 100000;
	c.max_output = (size_t)1 << 30;
	assert_int_equal(run_limited(&c, t, LIST100, &out), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "template step limit of 100000 exceeded"));
	assert_non_null(strstr(err_msg(), "template: t:1:"));
	strbuf_release(&out);
	arena_free(c.arena);
}

static void output_past_the_limit_stops_with_an_error(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *t = "{{ range .l }}{{ range $.l }}{{ $.s }}{{ end }}{{ end }}";

	c.arena = arena_new();
	c.max_output = 10000;
	assert_int_equal(run_limited(&c, t, LIST100, &out), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "template output exceeds 10000 bytes"));
	assert_true(out.len <= 10000 + 64);
	strbuf_release(&out);
	arena_free(c.arena);
}

static void memory_past_the_limit_stops_with_an_error(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *t = "{{ range .l }}{{ range $.l }}{{ $x := print $.s $.s $.s }}{{ end }}{{ end }}";

	c.arena = arena_new();
	c.max_alloc = 200000;
	assert_int_equal(run_limited(&c, t, LIST100, &out), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "memory limit"));
	strbuf_release(&out);
	arena_free(c.arena);
}

static void template_recursing_without_end_stops_at_the_depth_limit(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *t = "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}";

	c.arena = arena_new();
	assert_int_equal(run_limited(&c, t, "{}", &out), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "exceeded maximum template depth"));
	strbuf_release(&out);
	arena_free(c.arena);
}

static void include_of_itself_stops_with_helms_nested_reference_error(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *t = "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}";
	int r;

	c.arena = arena_new();
	r = run_limited(&c, t, "{}", &out);
	assert_int_not_equal(r, 0);
	/* Helm gives up past 1000 nested includes of one name; a smaller stack stops sooner. */
	assert_non_null(c.errmsg);
	assert_true(strstr(c.errmsg, "rendering template has a nested reference name: r: "
				     "unable to execute template") ||
		    strstr(c.errmsg, "exceeded maximum template depth"));
	strbuf_release(&out);
	arena_free(c.arena);
}

static void deeply_nested_parentheses_are_a_parse_error(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT, t = STRBUF_INIT;

	c.arena = arena_new();
	strbuf_addstr(&t, "{{ ");
	strbuf_addchars(&t, '(', 5000);
	strbuf_addch(&t, '1');
	strbuf_addchars(&t, ')', 5000);
	strbuf_addstr(&t, " }}");
	assert_int_equal(run_limited(&c, t.buf, "{}", &out), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "template: t:1: template nesting deeper than"));
	strbuf_release(&t);
	strbuf_release(&out);
	arena_free(c.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_and_missing_values_follow_go),
		cmocka_unit_test(number_and_string_literals_parse_as_go_parses_them),
		cmocka_unit_test(control_flow_if_with_range_break_continue),
		cmocka_unit_test(variables_trim_markers_and_comments),
		cmocka_unit_test(and_or_not_len_index_slice_as_go),
		cmocka_unit_test(comparisons_follow_go_kind_rules),
		cmocka_unit_test(print_and_printf_format_as_go_fmt),
		cmocka_unit_test(html_js_urlquery_escape_as_go),
		cmocka_unit_test(define_template_block_include_tpl),
		cmocka_unit_test(command_and_argument_errors_match_go),
		cmocka_unit_test(parse_errors_name_line_and_token_as_go),
		cmocka_unit_test(edge_values_and_fmt_details),
		cmocka_unit_test(missingkey_options_behave_as_go),
		cmocka_unit_test(later_parses_replace_defines_but_empty_bodies_never_do),
		cmocka_unit_test(two_defines_of_one_name_in_one_text_fail_as_in_go),
		cmocka_unit_test(fmt_prints_typed_go_values_as_go),
		cmocka_unit_test(map_types_with_methods_range_index_and_call_as_go),
		cmocka_unit_test(a_loop_past_the_step_limit_stops_with_an_error),
		cmocka_unit_test(output_past_the_limit_stops_with_an_error),
		cmocka_unit_test(memory_past_the_limit_stops_with_an_error),
		cmocka_unit_test(template_recursing_without_end_stops_at_the_depth_limit),
		cmocka_unit_test(include_of_itself_stops_with_helms_nested_reference_error),
		cmocka_unit_test(deeply_nested_parentheses_are_a_parse_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
