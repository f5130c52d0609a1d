/*
 * Unit tests for the command-line layer: the option parser, git's
 * did-you-mean weights, help and man text from the tables.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/cmd.h"
#include "core/strbuf.h"

struct t_args {
	const char *out, *repo;
	struct opt_list apps;
	bool dry, json;
};

#define A struct t_args
static const struct opt t_opts[] = {
	{ "output", OPT_FIELD(A, out), .short_name = 'o', .arg = "FILE", .help = "where it goes" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .help = "the repository" },
	{ "app", OPT_FIELD(A, apps), .arg = "NAME", .help = "one app" },
	{ "dry-run", OPT_FIELD(A, dry), .help = "push nothing" },
	{ "json", OPT_FIELD(A, json), .short_name = 'j', .help = "as JSON" },
	{ NULL },
};
#undef A

static const char *const t_examples[] = { "hoist t -o x\twrites x", NULL };

static int t_fn(int argc, char **argv)
{
	return 0;
}

static const struct cmd t_entry = {
	"t", t_fn, "t PATH [-o FILE]", "a test command", t_opts,
	.description = "First paragraph.\n\n.starts with a dot, and has a back\\slash.",
	.env = "HOIST_T\twhat PROG reads\n",
	.examples = t_examples,
};

static const struct cmd *const t_cmds[] = { &t_entry, NULL };
static const struct cmd_prog t_prog = { "hoist", 1, "a test program", "Words.", NULL, t_cmds };

/*
 * argv as main gets it: writable strings, NULL-terminated.  The parser
 * moves positionals to the front in place, so the strings are also kept
 * after the terminator, for args_free().
 */
static char **args(int n, ...)
{
	char **v = xcalloc(2 * (size_t)n + 1, sizeof(*v));
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		v[i] = v[n + 1 + i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static void args_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[n + 1 + i]);
	free(v);
}

static void opts_kinds_come_from_the_field_types(void **state)
{
	assert_int_equal(t_opts[0].kind, OPT_VALUE);
	assert_int_equal(t_opts[2].kind, OPT_LIST);
	assert_int_equal(t_opts[3].kind, OPT_FLAG);
	assert_int_equal(t_opts[1].off, offsetof(struct t_args, repo));
}

static void opts_parse_takes_every_spelling_and_keeps_positionals_in_order(void **state)
{
	char **argv = args(12, "p1", "--repo=r", "-o", "f", "--app", "a", "p2", "--app=b",
			   "--dry-run", "-j", "--", "--json");
	struct t_args a = { 0 };
	char **pos;
	int n = opts_parse(12, argv, t_opts, &a, &pos);

	assert_int_equal(n, 3);
	assert_string_equal(pos[0], "p1");
	assert_string_equal(pos[1], "p2");
	assert_string_equal(pos[2], "--json");
	assert_string_equal(a.repo, "r");
	assert_string_equal(a.out, "f");
	assert_int_equal(a.apps.n, 2);
	assert_string_equal(a.apps.v[0], "a");
	assert_string_equal(a.apps.v[1], "b");
	assert_null(a.apps.v[2]);
	assert_true(a.dry);
	assert_true(a.json);
	opts_release(t_opts, &a);
	assert_null(a.apps.v);
	args_free(argv, 12);
}

static void opts_parse_refuses_unknown_and_malformed_options(void **state)
{
	static const char *const bad[] = { "--nope", "--json=yes", "--repo", "-x", "-jx" };
	struct t_args a = { 0 };
	char **argv, **pos;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		argv = args(1, bad[i]);
		assert_int_equal(opts_parse(1, argv, t_opts, &a, &pos), -EXIT_USAGE);
		args_free(argv, 1);
	}
	argv = args(1, "-ofile");
	assert_int_equal(opts_parse(1, argv, t_opts, &a, &pos), 0);
	assert_string_equal(a.out, "file");
	opts_release(t_opts, &a);
	args_free(argv, 1);
	/* pflag's spellings: -o=VALUE, --flag=true|false, -j=false. */
	argv = args(4, "-o=eq", "--dry-run=true", "--json", "-j=false");
	assert_int_equal(opts_parse(4, argv, t_opts, &a, &pos), 0);
	assert_string_equal(a.out, "eq");
	assert_true(a.dry);
	assert_false(a.json);
	args_free(argv, 4);
	argv = args(1, "--dry-run=maybe");
	assert_int_equal(opts_parse(1, argv, t_opts, &a, &pos), -EXIT_USAGE);
	args_free(argv, 1);
}

static void similar_weighs_as_git_does(void **state)
{
	static const char *const names[] = { "render", "pack", "publish", "promote", "push",
					     "pull", "status", NULL };
	size_t idx[8];

	/* A swap is free: "stauts" is 0 + 1 from status, nothing else is close. */
	assert_int_equal(cmd_similar("stauts", names, idx, 8), 1);
	assert_string_equal(names[idx[0]], "status");
	/* A missing letter costs 1 (insertion), an extra one 3 (deletion). */
	assert_int_equal(cmd_similar("rendr", names, idx, 8), 1);
	assert_string_equal(names[idx[0]], "render");
	assert_int_equal(cmd_similar("renderr", names, idx, 8), 1);
	assert_string_equal(names[idx[0]], "render");
	/* A prefix scores 0, so every command it starts is offered. */
	assert_int_equal(cmd_similar("pu", names, idx, 8), 3);
	/* Nothing similar enough: 7 or more. */
	assert_int_equal(cmd_similar("xyzzyplugh", names, idx, 8), 0);
}

static void help_text_has_every_section_and_option(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	cmd_help_text(&sb, &t_prog, &t_entry, true);
	assert_non_null(strstr(sb.buf, "usage: hoist t PATH [-o FILE]\n"));
	assert_non_null(strstr(sb.buf, "  -o, --output FILE       where it goes\n"));
	assert_non_null(strstr(sb.buf, "the repository (default: .)"));
	assert_non_null(strstr(sb.buf, "one app (repeatable)"));
	assert_non_null(strstr(sb.buf, "HOIST_T                 what hoist reads\n"));
	assert_non_null(strstr(sb.buf, "Examples:\n  hoist t -o x\n      writes x\n"));
	strbuf_reset(&sb);
	cmd_help_text(&sb, &t_prog, &t_entry, false);
	assert_null(strstr(sb.buf, "Examples:"));
	assert_non_null(strstr(sb.buf, "--dry-run"));
	strbuf_release(&sb);
}

static void man_page_escapes_roff(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(cmd_man(&sb, &t_prog, "hoist-t"), 0);
	assert_non_null(strstr(sb.buf, ".TH \"HOIST\\-T\" \"1\""));
	assert_non_null(strstr(sb.buf, "\\fB\\-\\-output\\fR \\fIFILE\\fR"));
	/* A line starting with a dot is not a request; a backslash is \e. */
	assert_non_null(strstr(sb.buf, "\n\\&.starts with a dot"));
	assert_non_null(strstr(sb.buf, "back\\eslash"));
	strbuf_reset(&sb);
	assert_int_not_equal(cmd_man(&sb, &t_prog, "hoist-nope"), 0);
	strbuf_release(&sb);
}

static void complete_offers_commands_options_and_values(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char **w1 = args(2, "hoist", ""), **w2 = args(3, "hoist", "t", "--d"),
	     **w3 = args(4, "hoist", "t", "--repo", "");

	cmd_complete(&sb, &t_prog, 1, 2, w1);
	assert_string_equal(sb.buf, "t\n");
	strbuf_reset(&sb);
	cmd_complete(&sb, &t_prog, 2, 3, w2);
	assert_string_equal(sb.buf, "--dry-run\n");
	strbuf_reset(&sb);
	/* --repo has no completion kind: nothing, not the option list. */
	cmd_complete(&sb, &t_prog, 3, 4, w3);
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
	args_free(w1, 2);
	args_free(w2, 3);
	args_free(w3, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_kinds_come_from_the_field_types),
		cmocka_unit_test(opts_parse_takes_every_spelling_and_keeps_positionals_in_order),
		cmocka_unit_test(opts_parse_refuses_unknown_and_malformed_options),
		cmocka_unit_test(similar_weighs_as_git_does),
		cmocka_unit_test(help_text_has_every_section_and_option),
		cmocka_unit_test(man_page_escapes_roff),
		cmocka_unit_test(complete_offers_commands_options_and_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
