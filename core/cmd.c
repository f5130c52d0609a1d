/*
 * cmd.c - the option parser, did-you-mean and the main both binaries share.
 */
#include "compat.h"
#include "cmd.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include <errno.h>
#include <stdarg.h>

const struct cmd_prog *cmd_prog_current;
const struct cmd *cmd_current;
static bool stdout_failed;

static const char *prog_name(void)
{
	return cmd_prog_current ? cmd_prog_current->name : "hoist";
}

int cmd_fail(void)
{
	fprintf(stderr, "%s: error: %s\n", prog_name(), err_msg());
	return 1;
}

int cmd_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cmd_usage(const char *usage)
{
	const char *p = usage, *nl;

	/* Every form on its own "usage:" / "   or:" line, as git prints them. */
	for (nl = strchr(p, '\n');; nl = strchr(p, '\n')) {
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "%s %s %.*s\n", p == usage ? "usage:" : "   or:", prog_name(), len,
			p);
		if (!nl)
			break;
		p = nl + 1;
	}
	if (cmd_current)
		fprintf(stderr, "see '%s %s --help'\n", prog_name(), cmd_current->name);
	return EXIT_USAGE;
}

void cmd_write_stdout(const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, stdout) != len)
		stdout_failed = true;
}

int cmd_finish_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout) || stdout_failed) {
		fprintf(stderr, "%s: error: write to stdout failed: %s\n", prog_name(),
			strerror(errno ? errno : EIO));
		return rc ? rc : 1;
	}
	return rc;
}

/* --- did you mean ------------------------------------------------------------ */

/*
 * Damerau-Levenshtein (optimal string alignment) distance from `a` to `b`
 * with git's weights: swapping two adjacent letters costs `w`, a
 * substitution `s`, an insertion `ins`, a deletion `del`.  Our own
 * implementation of the textbook recurrence, three rows.
 */
static size_t osa_distance(const char *a, const char *b, size_t w, size_t s, size_t ins,
			   size_t del)
{
	size_t la = strlen(a), lb = strlen(b), i, j, r;
	size_t *row0 = xcalloc(lb + 1, sizeof(size_t)); /* i - 2 */
	size_t *row1 = xcalloc(lb + 1, sizeof(size_t)); /* i - 1 */
	size_t *row2 = xcalloc(lb + 1, sizeof(size_t)); /* i */

	for (j = 0; j <= lb; j++)
		row1[j] = j * ins;
	for (i = 0; i < la; i++) {
		size_t *t;
		row2[0] = (i + 1) * del;
		for (j = 0; j < lb; j++) {
			size_t best = row1[j] + (a[i] != b[j] ? s : 0);
			if (i > 0 && j > 0 && a[i - 1] == b[j] && a[i] == b[j - 1] &&
			    row0[j - 1] + w < best)
				best = row0[j - 1] + w;
			if (row1[j + 1] + del < best)
				best = row1[j + 1] + del;
			if (row2[j] + ins < best)
				best = row2[j] + ins;
			row2[j + 1] = best;
		}
		t = row0;
		row0 = row1;
		row1 = row2;
		row2 = t;
	}
	r = row1[lb];
	free(row0);
	free(row1);
	free(row2);
	return r;
}

#define SIMILARITY_FLOOR 7

size_t cmd_similar(const char *typed, const char *const *names, size_t *out, size_t max)
{
	size_t i, n = 0, best = SIZE_MAX;

	for (i = 0; names[i]; i++) {
		size_t d = !strncmp(names[i], typed, strlen(typed))
				   ? 0
				   : osa_distance(typed, names[i], 0, 2, 1, 3) + 1;
		if (d < best) {
			best = d;
			n = 0;
		}
		if (d == best && n < max)
			out[n++] = i;
	}
	return best < SIMILARITY_FLOOR ? n : 0;
}

/* Prints git's "The most similar command is" block for `what` ("command", "option"). */
static void suggest(const char *what, const char *typed, const char *const *names,
		    const char *prefix)
{
	size_t idx[8], n = cmd_similar(typed, names, idx, ARRAY_SIZE(idx)), i;

	if (!n)
		return;
	fprintf(stderr, "\nThe most similar %s%s %s\n", what, n > 1 ? "s" : "",
		n > 1 ? "are" : "is");
	for (i = 0; i < n; i++)
		fprintf(stderr, "\t%s%s\n", prefix, names[idx[i]]);
}

/* --- the option parser ------------------------------------------------------- */

#define SLOT(args, o, type) ((type *)((char *)(args) + (o)->off))

static const struct opt *find_long(const struct opt *opts, const char *a, size_t nl)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == nl && !strncmp(opts->name, a, nl))
			return opts;
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static const char *cmd_label(void)
{
	static char buf[128];

	if (!cmd_current)
		return prog_name();
	xsnprintf(buf, sizeof(buf), "%s %s", prog_name(), cmd_current->name);
	return buf;
}

static int unknown_option(const struct opt *opts, const char *typed)
{
	const char **names;
	size_t n = 0, i;

	fprintf(stderr, "%s: unknown option '%s'\n", cmd_label(), typed);
	for (i = 0; opts && opts[i].name; i++)
		n++;
	names = xcalloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = opts[i].name;
	/* A single letter is too short to guess from ("-x" is close to anything). */
	if (typed[0] == '-' && typed[1] == '-' && strlen(typed) > 3)
		suggest("option", typed + 2, names, "--");
	free(names);
	return -EXIT_USAGE;
}

static void store(const struct opt *o, void *args, const char *val)
{
	if (o->kind == OPT_LIST) {
		struct opt_list *l = SLOT(args, o, struct opt_list);
		l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
		l->v[l->n++] = val;
		l->v[l->n] = NULL;
	} else {
		*SLOT(args, o, const char *) = val;
	}
}

/* "--flag=true" / "=false" (and 1, 0), as pflag's boolean flags take them. */
static int set_flag(const struct opt *o, void *args, const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		*SLOT(args, o, bool) = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*SLOT(args, o, bool) = false;
	else
		return -1;
	return 0;
}

int opts_parse(int argc, char **argv, const struct opt *opts, void *args, char ***pos)
{
	int i, npos = 0;
	bool done = false;

	/*
	 * Help, man pages, completion and the tests read the entry's table:
	 * parsing with another would let options escape all of them.
	 */
	if (cmd_current && cmd_current->opts != opts) {
		fprintf(stderr, "BUG: %s %s parses options its entry does not list\n", prog_name(),
			cmd_current->name);
		abort();
	}
	*pos = argv;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *eq, *val;
		size_t nl;

		if (done || a[0] != '-' || !a[1]) {
			argv[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			done = true;
			continue;
		}
		if (a[1] != '-') {
			/*
			 * -x, -x VALUE, -xVALUE and -x=VALUE, as Go's pflag takes
			 * them (`hoist template` is a drop-in for helm's flags);
			 * flags do not bundle (nothing needs it yet).
			 */
			o = find_short(opts, a[1]);
			if (!o)
				return unknown_option(opts, a);
			if (o->kind == OPT_FLAG) {
				if (a[2] && (a[2] != '=' || set_flag(o, args, a + 3)))
					return unknown_option(opts, a);
				if (!a[2])
					*SLOT(args, o, bool) = true;
				continue;
			}
			if (!a[2] && i + 1 >= argc) {
				fprintf(stderr, "%s: option '-%c' needs a value\n", cmd_label(),
					o->short_name);
				return -EXIT_USAGE;
			}
			store(o, args, a[2] == '=' ? a + 3 : a[2] ? a + 2 : argv[++i]);
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		nl = eq ? (size_t)(eq - a) : strlen(a);
		o = find_long(opts, a, nl);
		if (!o) {
			char typed[128];
			xsnprintf(typed, sizeof(typed), "--%.*s", (int)(nl < 100 ? nl : 100), a);
			return unknown_option(opts, typed);
		}
		if (o->kind == OPT_FLAG) {
			if (eq && set_flag(o, args, eq + 1)) {
				fprintf(stderr, "%s: option '--%s' takes no value but true or false\n",
					cmd_label(), o->name);
				return -EXIT_USAGE;
			}
			if (!eq)
				*SLOT(args, o, bool) = true;
			continue;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "%s: option '--%s' needs a value\n", cmd_label(), o->name);
			return -EXIT_USAGE;
		}
		val = eq ? eq + 1 : argv[++i];
		store(o, args, val);
	}
	return npos;
}

void opts_release(const struct opt *opts, void *args)
{
	for (; opts && opts->name; opts++) {
		if (opts->kind == OPT_LIST) {
			struct opt_list *l = SLOT(args, opts, struct opt_list);
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}

/* --- main -------------------------------------------------------------------- */

static const struct cmd *find_cmd(const struct cmd_prog *prog, const char *name)
{
	const struct cmd *const *c;

	for (c = prog->cmds; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

/*
 * Whether argv asks for help: "--help" or "-h" where an option may stand,
 * skipping the values of options that take one ("--app -h" names an app).
 * Returns 2 for --help, 1 for -h, 0 for neither.
 */
static int wants_help(const struct cmd *c, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = NULL;

		if (!strcmp(a, "--"))
			return 0;
		if (!strcmp(a, "--help"))
			return 2;
		if (!strcmp(a, "-h") && !find_short(c->opts, 'h'))
			return 1;
		if (a[0] == '-' && a[1] == '-' && !strchr(a, '='))
			o = find_long(c->opts, a + 2, strlen(a + 2));
		else if (a[0] == '-' && a[1] && a[1] != '-' && !a[2])
			o = find_short(c->opts, a[1]);
		if (o && o->kind != OPT_FLAG)
			i++;
	}
	return 0;
}

static int print_out(struct strbuf *sb)
{
	cmd_write_stdout(sb->buf, sb->len);
	strbuf_release(sb);
	return cmd_finish_stdout(0);
}

int cmd_unknown_command(const struct cmd_prog *prog, const char *typed)
{
	const char **names;
	size_t n = 0, k = 0, i;

	fprintf(stderr, "%s: '%s' is not a %s command. See '%s help'.\n", prog->name, typed,
		prog->name, prog->name);
	for (i = 0; prog->cmds[i]; i++)
		n++;
	names = xcalloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		if (!(prog->cmds[i]->flags & CMD_HIDDEN))
			names[k++] = prog->cmds[i]->name;
	suggest("command", typed, names, "");
	free(names);
	return EXIT_USAGE;
}

/* `PROG __options [CMD]`: the parser's tables, for tests (one line each). */
static int list_options(const struct cmd_prog *prog, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	const struct cmd *const *c;
	const struct opt *o;

	if (!argc) {
		for (c = prog->cmds; *c; c++)
			if (!((*c)->flags & CMD_HIDDEN))
				strbuf_addf(&sb, "%s\n", (*c)->name);
		return print_out(&sb);
	}
	c = NULL;
	{
		const struct cmd *one = find_cmd(prog, argv[0]);
		if (!one)
			return cmd_unknown_command(prog, argv[0]);
		for (o = one->opts; o && o->name; o++)
			strbuf_addf(&sb, "--%s\t%s\t%s\t%s\n", o->name,
				    o->kind == OPT_FLAG ? "flag" : o->kind == OPT_LIST ? "list" : "value",
				    o->short_name ? (char[]){ '-', o->short_name, 0 } : "-",
				    o->help && *o->help ? o->help : "(no help)");
	}
	return print_out(&sb);
}

static int hidden(const struct cmd_prog *prog, const char *name, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;

	if (!strcmp(name, "__options"))
		return list_options(prog, argc, argv);
	if (!strcmp(name, "__complete")) {
		char *end;
		long cword;

		if (argc < 1)
			return cmd_usage("__complete CWORD WORDS...");
		cword = strtol(argv[0], &end, 10);
		if (*end || cword < 0 || cword > 10000)
			return cmd_usage("__complete CWORD WORDS...");
		cmd_complete(&sb, prog, (int)cword, argc - 1, argv + 1);
		return print_out(&sb);
	}
	if (!strcmp(name, "__man")) {
		if (argc == 1 && !strcmp(argv[0], "--list")) {
			cmd_man_list(&sb, prog);
			return print_out(&sb);
		}
		if (argc != 1)
			return cmd_usage("__man PAGE | --list");
		if (cmd_man(&sb, prog, argv[0])) {
			strbuf_release(&sb);
			return cmd_error("no man page named '%s'", argv[0]);
		}
		return print_out(&sb);
	}
	return -1;
}

int cmd_main(const struct cmd_prog *prog, int argc, char **argv)
{
	const struct cmd *c;
	struct strbuf sb = STRBUF_INIT;
	int h, r;

	cmd_prog_current = prog;
	log_init_from_env();
	if (argc < 2) {
		cmd_help_list(&sb, prog);
		fwrite(sb.buf, 1, sb.len, stderr);
		strbuf_release(&sb);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version"))
		argv[1] = (char *)"version";
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cmd_help_list(&sb, prog);
		return print_out(&sb);
	}
	if (!strncmp(argv[1], "__", 2)) {
		r = hidden(prog, argv[1], argc - 2, argv + 2);
		if (r >= 0)
			return r;
	}
	c = find_cmd(prog, argv[1]);
	if (!c)
		return cmd_unknown_command(prog, argv[1]);
	cmd_current = c;
	h = wants_help(c, argc - 2, argv + 2);
	if (h) {
		cmd_help_text(&sb, prog, c, h == 2);
		return print_out(&sb);
	}
	return c->fn(argc - 2, argv + 2);
}
