/*
 * cmd.h - the command tables and what commands share.
 *
 * Every command is one declarative `struct cmd` entry living with the module
 * it drives (its function, usage, description, options, environment,
 * examples); hoist.c and hoist-agent.c only list the entries.  The same
 * tables drive the option parser, `--help`, `-h`, `hoist help COMMAND`,
 * the man pages (`hoist __man`), shell completion (`hoist __complete`) and
 * the test that checks docs/cli.md, so none of them can drift apart.
 *
 * Adding an option: one `struct opt` line in the command's table (help is
 * required: t7000 fails an option without it).  Adding a command: one
 * `struct cmd` entry in its module, its `extern` below, and its address in
 * the list of hoist.c (or hoist-agent.c).  docs/cli.md says the same with
 * an example.
 *
 * Commands return the process exit code: 0 ok, 1 failed (message printed as
 * "hoist: error: ..."), 2 usage error.  Library code never exits.
 */
#ifndef HOIST_CMD_H
#define HOIST_CMD_H

#include "compat.h"

#define EXIT_USAGE 2

/* What the value of an option is, inferred from its field by OPT_FIELD. */
enum opt_kind {
	OPT_VALUE, /* const char *: "--name VALUE", "--name=VALUE", "-n VALUE" */
	OPT_FLAG,  /* bool: "--name", "-n" */
	OPT_LIST,  /* struct opt_list: repeatable VALUE option */
};

/* A repeatable option's values, in order; `v` is NULL-terminated when set. */
struct opt_list {
	const char **v;
	size_t n;
};

/* What shell completion offers for an option's value or a positional. */
enum opt_complete {
	COMPLETE_NONE = 0,
	COMPLETE_FILE,  /* file paths */
	COMPLETE_DIR,   /* folder paths */
	COMPLETE_APP,   /* app names of hoist.yaml */
	COMPLETE_ENV,   /* environment names of hoist.yaml */
	COMPLETE_WORDS, /* the space-separated words of `words` */
};

/*
 * One option.  Tables end with an entry whose name is NULL.  The value is
 * stored at `off` in the args struct the command passes to opts_parse();
 * OPT_FIELD(T, field) fills `kind` and `off` from the field's type, so a
 * flag cannot be bound to a string by mistake.
 */
struct opt {
	const char *name;          /* long name, without "--" */
	enum opt_kind kind;
	size_t off;
	char short_name;           /* 'o' makes "-o" an alias; 0: none */
	const char *arg;           /* the value's name in help ("DIR"); unused for flags */
	const char *help;          /* one line, lower case, no final period: required */
	const char *def;           /* the default as help shows it; NULL: none */
	const char *env;           /* the environment variable that also sets it, if any */
	enum opt_complete complete;
	const char *words;         /* COMPLETE_WORDS: the choices */
};

#define OPT_KIND_OF(x) \
	_Generic((x), const char *: OPT_VALUE, bool: OPT_FLAG, struct opt_list: OPT_LIST)
#define OPT_FIELD(T, field) \
	.kind = OPT_KIND_OF(((T *)0)->field), .off = offsetof(T, field)

/* A command's positional arguments, for completion. */
struct cmd_args {
	enum opt_complete complete; /* what every positional completes to */
	const char *words;          /* COMPLETE_WORDS: subcommand words for the first one */
};

enum {
	CMD_HIDDEN = 1 << 0, /* not listed by help, man pages or completion */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;       /* after "hoist ": "render PATH [options]"; '\n' separates forms */
	const char *summary;     /* one line for the command list */
	const struct opt *opts;  /* NULL or a NULL-name-terminated table */
	const char *description; /* paragraphs separated by blank lines, ~72 columns */
	const char *env;         /* "NAME\tmeaning" lines: the variables it reads */
	const char *const *examples; /* "COMMAND LINE\tWHAT IT DOES", NULL-terminated */
	const char *see_also;    /* "docs/oci.md"-style pointers, one line */
	struct cmd_args args;
	unsigned flags;
};

/* A program: hoist or hoist-agent. */
struct cmd_prog {
	const char *name;               /* "hoist" */
	int man_section;                /* 1 or 8 */
	const char *summary;            /* for NAME in the man page */
	const char *description;
	const char *env;                /* what every command reads ("NAME\tmeaning" lines) */
	const struct cmd *const *cmds;  /* NULL-terminated */
	const char *see_also;           /* the other program's page: "hoist-agent (8)" */
	/* Extra man pages this program generates (hoist.yaml(5)); NULL-terminated. */
	const struct cmd_man_page *pages;
};

/*
 * A man page generated from a configuration table.  `describe` appends one
 * roff paragraph per key (config_describe_roff does it for hoist.yaml);
 * when it is NULL the page is not built (agent.yaml(5) until agent/config.c
 * provides its table: set `describe` in hoist-agent.c then).
 */
struct strbuf;
struct cmd_man_page {
	const char *name;    /* "hoist.yaml" */
	int section;         /* 5 */
	const char *summary; /* NAME line */
	const char *description;
	void (*describe)(struct strbuf *roff);
};

/* The program and command running now, for messages; set by cmd_main. */
extern const struct cmd_prog *cmd_prog_current;
extern const struct cmd *cmd_current;

/*
 * The whole main of hoist and hoist-agent: dispatch, `help`, `--help`,
 * `-h`, did-you-mean, and the hidden helpers __options, __complete, __man.
 */
int cmd_main(const struct cmd_prog *prog, int argc, char **argv);

/* "'X' is not a PROG command" with git's "The most similar command is"; returns 2. */
int cmd_unknown_command(const struct cmd_prog *prog, const char *typed);

/* Prints "PROG: error: <err_msg()>" and returns 1, for `return cmd_fail();`. */
int cmd_fail(void);
/* Prints "usage: PROG <usage>" and a pointer to --help; returns EXIT_USAGE. */
int cmd_usage(const char *usage);
/* Prints "PROG: error: <fmt>" and returns 1. */
int cmd_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Flushes stdout and fails if any write to it failed (as git does). */
int cmd_finish_stdout(int rc);
/* Writes bytes to stdout; errors are caught by cmd_finish_stdout. */
void cmd_write_stdout(const void *buf, size_t len);

/*
 * Parses argv[0..argc) against `opts`, storing values into `args` (the
 * command's struct the table's OPT_FIELDs point into): "--name value",
 * "--name=value", "-n value", "-nvalue", "-n=value"; flags as "--name",
 * "-n", or "--name=true|false" (pflag's spellings); "--" ends options.
 * Positional arguments are moved to the front of argv, in order; *pos
 * points at them.  Returns their number, or -EXIT_USAGE after printing the
 * error and a did-you-mean when an option name is close to a known one.
 * Release with opts_release() (repeatable options allocate).
 */
int opts_parse(int argc, char **argv, const struct opt *opts, void *args, char ***pos);
void opts_release(const struct opt *opts, void *args);

/*
 * The candidates among `names` (NULL-terminated) closest to `typed`, as
 * git's help.c weighs them: a prefix scores 0, else a Damerau-Levenshtein
 * distance with swap 0, substitution 2, insertion 1, deletion 3, plus 1.
 * Writes up to `max` indexes into out; returns how many scored best, or 0
 * when even the best is not similar enough (7 or more).
 */
size_t cmd_similar(const char *typed, const char *const *names, size_t *out, size_t max);

/* Help output (cmd-help.c). */
struct strbuf;
/* `full`: the --help page; else -h's usage and options only. */
void cmd_help_text(struct strbuf *out, const struct cmd_prog *prog, const struct cmd *c,
		   bool full);
void cmd_help_list(struct strbuf *out, const struct cmd_prog *prog);
/*
 * What `PROG help [NAME]` prints on stdout: NAME's page, or the command
 * list when NAME is NULL; an unknown NAME is cmd_unknown_command's exit 2.
 */
int cmd_help_show(const struct cmd_prog *prog, const char *name);
/* "PROG VERSION" on stdout: `PROG version` and `PROG --version`. */
int cmd_version_show(const struct cmd_prog *prog);
/* The roff source of PAGE ("hoist", "hoist-render", "hoist.yaml"); ERR_NOTFOUND if none. */
int cmd_man(struct strbuf *out, const struct cmd_prog *prog, const char *page);
/* Every page name cmd_man builds, with its section: "hoist-render.1" lines. */
void cmd_man_list(struct strbuf *out, const struct cmd_prog *prog);
/* `PROG __complete CWORD WORDS...`: candidates, one a line (see cmd-help.c). */
int cmd_complete(struct strbuf *out, const struct cmd_prog *prog, int cword, int argc,
		 char **argv);

/* Commands, by module. */
int cmd_render(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_lock(int argc, char **argv);

/* Their entries. */
extern const struct cmd cmd_render_entry;
extern const struct cmd cmd_template_entry;
extern const struct cmd cmd_pack_entry;
extern const struct cmd cmd_inspect_entry;
extern const struct cmd cmd_push_entry;
extern const struct cmd cmd_pull_entry;
extern const struct cmd cmd_diff_entry;
extern const struct cmd cmd_ci_entry;
extern const struct cmd cmd_publish_entry;
extern const struct cmd cmd_hook_entry;
extern const struct cmd cmd_keygen_entry;
extern const struct cmd cmd_sign_entry;
extern const struct cmd cmd_verify_entry;
extern const struct cmd cmd_promote_entry;
extern const struct cmd cmd_history_entry;
extern const struct cmd cmd_status_entry;
extern const struct cmd cmd_rollback_entry;
extern const struct cmd cmd_lock_entry;

#endif
