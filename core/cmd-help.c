/*
 * cmd-help.c - help text, man pages and shell completion, all read from the
 * command and option tables of cmd.h.
 */
#include "compat.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "strbuf.h"

#define HELP_COL 26

static const char *const exit_status =
	"0\tsuccess\n"
	"1\tfailure; one line \"PROG: error: ...\" on stderr says why\n"
	"2\tusage error: an unknown command or option, a missing argument\n";

/* Appends "--name ARG" (with "-s, " in front when there is a short alias). */
static void add_opt_label(struct strbuf *out, const struct opt *o)
{
	if (o->short_name)
		strbuf_addf(out, "-%c, ", o->short_name);
	strbuf_addf(out, "--%s", o->name);
	if (o->kind != OPT_FLAG)
		strbuf_addf(out, " %s", o->arg ? o->arg : "VALUE");
}

/* "help (default: X; env: Y; repeatable)" */
static void add_opt_help(struct strbuf *out, const struct opt *o)
{
	bool paren = false;

	strbuf_addstr(out, o->help ? o->help : "");
	if (o->def) {
		strbuf_addf(out, " (default: %s", o->def);
		paren = true;
	}
	if (o->env) {
		strbuf_addf(out, "%s%s", paren ? "; env: " : " (env: ", o->env);
		paren = true;
	}
	if (o->kind == OPT_LIST) {
		strbuf_addstr(out, paren ? "; repeatable" : " (repeatable");
		paren = true;
	}
	if (paren)
		strbuf_addch(out, ')');
}

static void add_opt_lines(struct strbuf *out, const struct cmd *c)
{
	const struct opt *o;
	struct strbuf label = STRBUF_INIT;

	for (o = c->opts; o && o->name; o++) {
		strbuf_reset(&label);
		add_opt_label(&label, o);
		strbuf_addf(out, "  %s", label.buf);
		if (label.len + 2 >= HELP_COL) {
			strbuf_addch(out, '\n');
			strbuf_addchars(out, ' ', HELP_COL);
		} else {
			strbuf_addchars(out, ' ', HELP_COL - 2 - label.len);
		}
		add_opt_help(out, o);
		strbuf_addch(out, '\n');
	}
	strbuf_addf(out, "  %-*s%s\n", HELP_COL - 2, "-h, --help",
		    "show this help (-h: usage and options only)");
	strbuf_release(&label);
}

/* "NAME\tmeaning" lines as an indented two-column list. */
static void add_pairs(struct strbuf *out, const char *pairs, const char *prog)
{
	const char *p = pairs;

	while (p && *p) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		if (!tab || tab > end)
			tab = end;
		strbuf_addf(out, "  %-*.*s", HELP_COL - 2, (int)(tab - p), p);
		if ((size_t)(tab - p) >= HELP_COL - 2) {
			strbuf_addch(out, '\n');
			strbuf_addchars(out, ' ', HELP_COL);
		}
		if (tab < end) {
			const char *s = tab + 1, *pp;
			/* PROG in the text stands for the program's name. */
			while ((pp = strstr(s, "PROG")) && pp < end) {
				strbuf_add(out, s, (size_t)(pp - s));
				strbuf_addstr(out, prog);
				s = pp + 4;
			}
			strbuf_add(out, s, (size_t)(end - s));
		}
		strbuf_addch(out, '\n');
		p = nl ? nl + 1 : end;
	}
}

static void add_usage(struct strbuf *out, const char *prog, const char *usage)
{
	const char *p = usage, *nl;
	bool first = true;

	for (;;) {
		nl = strchr(p, '\n');
		strbuf_addf(out, "%s %s %.*s\n", first ? "usage:" : "   or:", prog,
			    nl ? (int)(nl - p) : (int)strlen(p), p);
		first = false;
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void add_indented(struct strbuf *out, const char *text, int indent)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len)
			strbuf_addchars(out, ' ', (size_t)indent);
		strbuf_add(out, p, len);
		strbuf_addch(out, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

void cmd_help_text(struct strbuf *out, const struct cmd_prog *prog, const struct cmd *c,
		   bool full)
{
	const char *const *ex;

	add_usage(out, prog->name, c->usage);
	strbuf_addch(out, '\n');
	if (full) {
		strbuf_addf(out, "%s %s: %s.\n\n", prog->name, c->name, c->summary);
		if (c->description) {
			add_indented(out, c->description, 0);
			strbuf_addch(out, '\n');
		}
	}
	strbuf_addstr(out, "Options:\n");
	add_opt_lines(out, c);
	if (!full)
		return;
	if (c->env || prog->env) {
		strbuf_addstr(out, "\nEnvironment:\n");
		add_pairs(out, c->env, prog->name);
		add_pairs(out, prog->env, prog->name);
	}
	strbuf_addstr(out, "\nExit status:\n");
	add_pairs(out, exit_status, prog->name);
	if (c->examples && *c->examples) {
		strbuf_addstr(out, "\nExamples:\n");
		for (ex = c->examples; *ex; ex++) {
			const char *tab = strchr(*ex, '\t');
			strbuf_addf(out, "  %.*s\n", tab ? (int)(tab - *ex) : (int)strlen(*ex), *ex);
			if (tab)
				strbuf_addf(out, "      %s\n", tab + 1);
		}
	}
	if (c->see_also)
		strbuf_addf(out, "\nSee also: %s\n", c->see_also);
}

void cmd_help_list(struct strbuf *out, const struct cmd_prog *prog)
{
	const struct cmd *const *c;

	strbuf_addf(out, "usage: %s <command> [options]\n\n%s.\n\nCommands:\n", prog->name,
		    prog->summary);
	for (c = prog->cmds; *c; c++)
		if (!((*c)->flags & CMD_HIDDEN))
			strbuf_addf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	strbuf_addf(out, "\n'%s help COMMAND' or '%s COMMAND --help' describes a command;\n"
			 "'%s COMMAND -h' lists its options.\n"
			 "Exit status: 0 ok, 1 error, 2 usage error.\n",
		    prog->name, prog->name, prog->name);
}

/* --- man pages --------------------------------------------------------------- */

/*
 * Text to roff: backslashes and hyphens escaped (so "--repo" stays two
 * ASCII hyphens, not typographic dashes), a control character at the start
 * of a line neutralised with \&.
 */
static void roff_text(struct strbuf *out, const char *s, size_t len)
{
	size_t i;
	bool bol = out->len == 0 || out->buf[out->len - 1] == '\n';

	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (bol && (ch == '.' || ch == '\''))
			strbuf_addstr(out, "\\&");
		bol = false;
		if (ch == '\\')
			strbuf_addstr(out, "\\e");
		else if (ch == '-')
			strbuf_addstr(out, "\\-");
		else {
			strbuf_addch(out, ch);
			bol = ch == '\n';
		}
	}
}

static void roff_str(struct strbuf *out, const char *s)
{
	roff_text(out, s, strlen(s));
}

static void roff_upper(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			strbuf_addstr(out, "\\-");
		else
			strbuf_addch(out, *s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
	}
}

static void roff_th(struct strbuf *out, const char *page, int section, const char *prog)
{
	strbuf_addstr(out, ".TH \"");
	roff_upper(out, page);
	strbuf_addf(out, "\" \"%d\" \"\" \"hoist %s\" \"hoist manual\"\n", section, HOIST_VERSION);
	strbuf_addstr(out, ".nh\n.ad l\n.SH NAME\n");
}

/* Paragraphs separated by blank lines become .PP blocks; other newlines stay. */
static void roff_paragraphs(struct strbuf *out, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && p[len - 1] == '\n')
			len--;
		strbuf_addstr(out, ".PP\n");
		roff_text(out, p, len);
		strbuf_addch(out, '\n');
		if (!end)
			break;
		p = end + 2;
	}
}

static void roff_pairs(struct strbuf *out, const char *pairs, const char *prog, bool bold)
{
	const char *p = pairs;

	while (p && *p) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		struct strbuf text = STRBUF_INIT;
		if (!tab || tab > end)
			tab = end;
		strbuf_addstr(out, bold ? ".TP\n.B " : ".TP\n");
		roff_text(out, p, (size_t)(tab - p));
		strbuf_addch(out, '\n');
		if (tab < end) {
			const char *s = tab + 1, *pp;
			while ((pp = strstr(s, "PROG")) && pp < end) {
				strbuf_add(&text, s, (size_t)(pp - s));
				strbuf_addstr(&text, prog);
				s = pp + 4;
			}
			strbuf_add(&text, s, (size_t)(end - s));
			roff_str(out, text.buf);
		}
		strbuf_addch(out, '\n');
		strbuf_release(&text);
		p = nl ? nl + 1 : end;
	}
}

static void roff_options(struct strbuf *out, const struct cmd *c)
{
	const struct opt *o;
	struct strbuf h = STRBUF_INIT;

	for (o = c->opts; o && o->name; o++) {
		strbuf_addstr(out, ".TP\n");
		if (o->short_name)
			strbuf_addf(out, "\\fB\\-%c\\fR, ", o->short_name);
		strbuf_addstr(out, "\\fB\\-\\-");
		roff_str(out, o->name);
		strbuf_addstr(out, "\\fR");
		if (o->kind != OPT_FLAG) {
			strbuf_addstr(out, " \\fI");
			roff_str(out, o->arg ? o->arg : "VALUE");
			strbuf_addstr(out, "\\fR");
		}
		strbuf_addch(out, '\n');
		strbuf_reset(&h);
		add_opt_help(&h, o);
		roff_str(out, h.buf);
		strbuf_addstr(out, ".\n");
	}
	strbuf_addstr(out, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n"
			   "Show the help page (\\fB\\-h\\fR: usage and options only).\n");
	strbuf_release(&h);
}

static void roff_synopsis(struct strbuf *out, const char *prog, const char *usage)
{
	const char *p = usage, *nl;

	for (;;) {
		nl = strchr(p, '\n');
		strbuf_addstr(out, ".PP\n\\fB");
		roff_str(out, prog);
		strbuf_addstr(out, "\\fR ");
		roff_text(out, p, nl ? (size_t)(nl - p) : strlen(p));
		strbuf_addch(out, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void roff_examples(struct strbuf *out, const struct cmd *c)
{
	const char *const *ex;

	for (ex = c->examples; ex && *ex; ex++) {
		const char *tab = strchr(*ex, '\t');
		strbuf_addstr(out, ".PP\n.nf\n.RS 4\n\\fB");
		roff_text(out, *ex, tab ? (size_t)(tab - *ex) : strlen(*ex));
		strbuf_addstr(out, "\\fR\n.RE\n.fi\n");
		if (tab) {
			strbuf_addstr(out, ".RS 4\n");
			roff_str(out, tab + 1);
			strbuf_addstr(out, "\n.RE\n");
		}
	}
}

/* One command's sections, for its own page or for hoist-agent(8)'s. */
/*
 * One command's sections: on its own page (.SH), or as subsections (.SS)
 * of a one-page program's, which says the shared environment and exit
 * status once at its end.
 */
static void roff_cmd_body(struct strbuf *out, const struct cmd_prog *prog, const struct cmd *c,
			  bool sub)
{
	const char *sh = sub ? ".SS" : ".SH";

	if (c->description)
		roff_paragraphs(out, c->description);
	strbuf_addf(out, "%s OPTIONS\n", sh);
	roff_options(out, c);
	if (c->env || (!sub && prog->env)) {
		strbuf_addf(out, "%s ENVIRONMENT\n", sh);
		roff_pairs(out, c->env, prog->name, true);
		if (!sub)
			roff_pairs(out, prog->env, prog->name, true);
	}
	if (!sub) {
		strbuf_addstr(out, ".SH EXIT STATUS\n");
		roff_pairs(out, exit_status, prog->name, true);
	}
	if (c->examples && *c->examples) {
		strbuf_addf(out, "%s EXAMPLES\n", sh);
		roff_examples(out, c);
	}
}

static void roff_see_also(struct strbuf *out, const struct cmd_prog *prog, const char *self)
{
	const struct cmd *const *c;
	const struct cmd_man_page *pg;
	bool first = true;

	strbuf_addstr(out, ".SH SEE ALSO\n");
	if (strcmp(self, prog->name)) {
		strbuf_addf(out, ".BR %s (%d)", prog->name, prog->man_section);
		first = false;
	}
	/* hoist(1) lists every command's page; a command's page only its program's. */
	if (!strcmp(self, prog->name) && prog->man_section == 1) {
		for (c = prog->cmds; *c; c++) {
			if ((*c)->flags & CMD_HIDDEN)
				continue;
			strbuf_addf(out, "%s.BR %s\\-%s (1)", first ? "" : ",\n", prog->name,
				    (*c)->name);
			first = false;
		}
	}
	for (pg = prog->pages; pg && pg->name; pg++) {
		if (!pg->describe)
			continue;
		strbuf_addf(out, "%s.BR %s (%d)", first ? "" : ",\n", pg->name, pg->section);
		first = false;
	}
	if (prog->see_also)
		strbuf_addf(out, "%s.BR %s", first ? "" : ",\n", prog->see_also);
	strbuf_addstr(out, "\n");
}

static const struct cmd *find_visible(const struct cmd_prog *prog, const char *name)
{
	const struct cmd *const *c;

	for (c = prog->cmds; *c; c++)
		if (!((*c)->flags & CMD_HIDDEN) && !strcmp((*c)->name, name))
			return *c;
	return NULL;
}

int cmd_man(struct strbuf *out, const struct cmd_prog *prog, const char *page)
{
	const struct cmd *const *c;
	const struct cmd_man_page *pg;
	size_t pl = strlen(prog->name);

	if (!strcmp(page, prog->name)) {
		roff_th(out, prog->name, prog->man_section, prog->name);
		roff_str(out, prog->name);
		strbuf_addstr(out, " \\- ");
		roff_str(out, prog->summary);
		strbuf_addstr(out, "\n.SH SYNOPSIS\n");
		roff_synopsis(out, prog->name, "COMMAND [OPTIONS] [ARGS]");
		strbuf_addstr(out, ".SH DESCRIPTION\n");
		roff_paragraphs(out, prog->description);
		strbuf_addstr(out, ".SH COMMANDS\n");
		for (c = prog->cmds; *c; c++) {
			if ((*c)->flags & CMD_HIDDEN)
				continue;
			strbuf_addstr(out, ".TP\n.B ");
			roff_str(out, (*c)->name);
			strbuf_addch(out, '\n');
			roff_str(out, (*c)->summary);
			strbuf_addstr(out, ".\n");
		}
		/* A one-page program (hoist-agent(8)) describes each command here. */
		if (prog->man_section != 1) {
			for (c = prog->cmds; *c; c++) {
				if ((*c)->flags & CMD_HIDDEN)
					continue;
				strbuf_addstr(out, ".SH \"");
				roff_upper(out, prog->name);
				strbuf_addch(out, ' ');
				roff_upper(out, (*c)->name);
				strbuf_addstr(out, "\"\n");
				roff_synopsis(out, prog->name, (*c)->usage);
				roff_cmd_body(out, prog, *c, true);
			}
		}
		if (prog->env) {
			strbuf_addstr(out, ".SH ENVIRONMENT\n");
			roff_pairs(out, prog->env, prog->name, true);
		}
		strbuf_addstr(out, ".SH EXIT STATUS\n");
		roff_pairs(out, exit_status, prog->name, true);
		roff_see_also(out, prog, page);
		return 0;
	}
	if (!strncmp(page, prog->name, pl) && page[pl] == '-' && prog->man_section == 1) {
		const struct cmd *one = find_visible(prog, page + pl + 1);
		if (!one)
			return ERR_NOTFOUND;
		roff_th(out, page, prog->man_section, prog->name);
		roff_str(out, page);
		strbuf_addstr(out, " \\- ");
		roff_str(out, one->summary);
		strbuf_addstr(out, "\n.SH SYNOPSIS\n");
		roff_synopsis(out, prog->name, one->usage);
		strbuf_addstr(out, ".SH DESCRIPTION\n.PP\n");
		roff_str(out, one->summary);
		strbuf_addstr(out, ".\n");
		roff_cmd_body(out, prog, one, false);
		if (one->see_also) {
			strbuf_addstr(out, ".SH NOTES\n.PP\n");
			roff_str(out, one->see_also);
			strbuf_addch(out, '\n');
		}
		roff_see_also(out, prog, page);
		return 0;
	}
	for (pg = prog->pages; pg && pg->name; pg++) {
		if (!pg->describe || strcmp(pg->name, page))
			continue;
		roff_th(out, pg->name, pg->section, prog->name);
		roff_str(out, pg->name);
		strbuf_addstr(out, " \\- ");
		roff_str(out, pg->summary);
		strbuf_addstr(out, "\n.SH DESCRIPTION\n");
		roff_paragraphs(out, pg->description);
		strbuf_addstr(out, ".SH KEYS\n");
		pg->describe(out);
		strbuf_addf(out, ".SH SEE ALSO\n.BR %s (%d)\n", prog->name, prog->man_section);
		return 0;
	}
	return ERR_NOTFOUND;
}

void cmd_man_list(struct strbuf *out, const struct cmd_prog *prog)
{
	const struct cmd *const *c;
	const struct cmd_man_page *pg;

	strbuf_addf(out, "%s.%d\n", prog->name, prog->man_section);
	if (prog->man_section == 1)
		for (c = prog->cmds; *c; c++)
			if (!((*c)->flags & CMD_HIDDEN))
				strbuf_addf(out, "%s-%s.%d\n", prog->name, (*c)->name,
					    prog->man_section);
	for (pg = prog->pages; pg && pg->name; pg++)
		if (pg->describe)
			strbuf_addf(out, "%s.%d\n", pg->name, pg->section);
}

/* --- completion -------------------------------------------------------------- */

/*
 * `PROG __complete CWORD WORDS...`: WORDS is the command line as the shell
 * split it (WORDS[0] is the program), CWORD the index of the word being
 * completed (it may be one past the end).  Prints the candidates that start
 * with that word, one a line; or one line "__files__" / "__dirs__" when
 * the shell should complete paths itself.
 */

static void add_if_prefix(struct strbuf *out, const char *cand, const char *cur)
{
	if (!strncmp(cand, cur, strlen(cur)))
		strbuf_addf(out, "%s\n", cand);
}

static void add_words(struct strbuf *out, const char *words, const char *cur, const char *pre)
{
	const char *p = words;
	struct strbuf w = STRBUF_INIT;

	while (p && *p) {
		size_t len = strcspn(p, " |");
		strbuf_reset(&w);
		strbuf_addstr(&w, pre);
		strbuf_add(&w, p, len);
		if (len)
			add_if_prefix(out, w.buf, cur);
		p += len;
		p += strspn(p, " |");
	}
	strbuf_release(&w);
}

/* App or environment names of ./hoist.yaml (or --repo's); nothing when it does not parse. */
static void add_config_names(struct strbuf *out, enum opt_complete what, const char *repo,
			     const char *cur, const char *pre)
{
	struct strbuf file = STRBUF_INIT, text = STRBUF_INIT, w = STRBUF_INIT;
	struct config cfg;
	size_t i;

	strbuf_addf(&file, "%s/%s", repo ? repo : ".", CONFIG_FILE);
	if (strbuf_read_file(&text, file.buf, 1u << 20) ||
	    config_parse(&cfg, text.buf, text.len, file.buf))
		goto out;
	for (i = 0; i < (what == COMPLETE_APP ? cfg.apps.n : cfg.envs.n); i++) {
		strbuf_reset(&w);
		strbuf_addf(&w, "%s%s", pre,
			    what == COMPLETE_APP ? config_app(&cfg, i)->name
						 : config_env(&cfg, i)->name);
		add_if_prefix(out, w.buf, cur);
	}
	config_release(&cfg);
out:
	err_clear();
	strbuf_release(&file);
	strbuf_release(&text);
	strbuf_release(&w);
}

static void add_kind(struct strbuf *out, enum opt_complete kind, const char *words,
		     const char *repo, const char *cur, const char *pre)
{
	switch (kind) {
	case COMPLETE_NONE: break;
	case COMPLETE_FILE: strbuf_addstr(out, "__files__\n"); break;
	case COMPLETE_DIR: strbuf_addstr(out, "__dirs__\n"); break;
	case COMPLETE_APP:
	case COMPLETE_ENV: add_config_names(out, kind, repo, cur, pre); break;
	case COMPLETE_WORDS: add_words(out, words, cur, pre); break;
	}
}

static const struct opt *opt_named(const struct cmd *c, const char *w)
{
	const struct opt *o;

	for (o = c->opts; o && o->name; o++) {
		if (w[0] == '-' && w[1] == '-' && !strcmp(w + 2, o->name))
			return o;
		if (w[0] == '-' && w[1] == o->short_name && o->short_name && !w[2])
			return o;
	}
	return NULL;
}

int cmd_complete(struct strbuf *out, const struct cmd_prog *prog, int cword, int argc,
		 char **argv)
{
	const char *cur = cword < argc ? argv[cword] : "";
	const struct cmd *const *cc;
	const struct cmd *c;
	const struct opt *o;
	const char *repo = NULL;
	int i, npos = 0;

	if (cword < 1)
		return 0;
	if (cword == 1) {
		for (cc = prog->cmds; *cc; cc++)
			if (!((*cc)->flags & CMD_HIDDEN))
				add_if_prefix(out, (*cc)->name, cur);
		if (*cur == '-') {
			add_if_prefix(out, "--help", cur);
			add_if_prefix(out, "--version", cur);
		}
		return 0;
	}
	c = find_visible(prog, argv[1]);
	if (!c)
		return 0;
	if (!strcmp(c->name, "help")) {
		if (cword == 2)
			for (cc = prog->cmds; *cc; cc++)
				if (!((*cc)->flags & CMD_HIDDEN))
					add_if_prefix(out, (*cc)->name, cur);
		return 0;
	}
	/* Walk the words before the cursor: option values, positionals, --repo. */
	for (i = 2; i < cword && i < argc; i++) {
		const char *w = argv[i];
		if (!strcmp(w, "--repo") && i + 1 < argc)
			repo = argv[i + 1];
		else if (!strncmp(w, "--repo=", 7))
			repo = w + 7;
		o = w[0] == '-' ? opt_named(c, w) : NULL;
		if (o && o->kind != OPT_FLAG)
			i++;
		else if (w[0] != '-')
			npos++;
	}
	/* The value of the option before the cursor. */
	if (cword >= 3 && (o = opt_named(c, argv[cword - 1])) && o->kind != OPT_FLAG) {
		add_kind(out, o->complete, o->words, repo, cur, "");
		return 0;
	}
	if (cur[0] == '-' && cur[1] == '-' && strchr(cur, '=')) {
		struct strbuf pre = STRBUF_INIT;
		const char *eq = strchr(cur, '=');
		for (o = c->opts; o && o->name; o++)
			if (strlen(o->name) == (size_t)(eq - cur - 2) &&
			    !strncmp(o->name, cur + 2, (size_t)(eq - cur - 2)))
				break;
		if (o && o->name && o->kind != OPT_FLAG) {
			strbuf_add(&pre, cur, (size_t)(eq - cur + 1));
			/* Paths after "=" are left to the shell (it splits at '='). */
			add_kind(out, o->complete, o->words, repo, cur, pre.buf);
		}
		strbuf_release(&pre);
		return 0;
	}
	if (cur[0] == '-') {
		struct strbuf w = STRBUF_INIT;
		for (o = c->opts; o && o->name; o++) {
			strbuf_reset(&w);
			strbuf_addf(&w, "--%s", o->name);
			add_if_prefix(out, w.buf, cur);
		}
		add_if_prefix(out, "--help", cur);
		strbuf_release(&w);
		return 0;
	}
	if (npos == 0 && c->args.words)
		add_words(out, c->args.words, cur, "");
	else
		add_kind(out, c->args.complete, NULL, repo, cur, "");
	return 0;
}

int cmd_help_show(const struct cmd_prog *prog, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const struct cmd *const *c;

	if (name) {
		for (c = prog->cmds; *c; c++)
			if (!strcmp((*c)->name, name))
				break;
		if (!*c)
			return cmd_unknown_command(prog, name);
		cmd_help_text(&sb, prog, *c, true);
	} else {
		cmd_help_list(&sb, prog);
	}
	cmd_write_stdout(sb.buf, sb.len);
	strbuf_release(&sb);
	return cmd_finish_stdout(0);
}

int cmd_version_show(const struct cmd_prog *prog)
{
	printf("%s %s\n", prog->name, HOIST_VERSION);
	return cmd_finish_stdout(0);
}
