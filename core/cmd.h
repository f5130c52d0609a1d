/*
 * cmd.h - the subcommand table and what commands share.
 *
 * Every command is `int cmd_NAME(int argc, char **argv)` living with the
 * module it drives; hoist.c and hoist-agent.c only hold the tables.
 * Commands return the process exit code: 0 ok, 1 failed (message printed
 * as "hoist: error: ..."), 2 usage error.  Library code never exits.
 */
#ifndef HOIST_CMD_H
#define HOIST_CMD_H

#include "compat.h"

#define EXIT_USAGE 2

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* Prints "hoist: error: <err_msg()>" and returns 1, for `return cmd_fail();`. */
int cmd_fail(void);
/* Prints "usage: hoist <usage>" and returns EXIT_USAGE. */
int cmd_usage(const char *usage);
/* Prints "hoist: error: <fmt>" and returns 1. */
int cmd_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Flushes stdout and fails if any write to it failed (as git does). */
int cmd_finish_stdout(int rc);
/* Writes bytes to stdout; errors are caught by cmd_finish_stdout. */
void cmd_write_stdout(const void *buf, size_t len);

/*
 * A small option parser: "--name value" or "--name=value", flags without
 * values, "--" ends options.  An option with a `short_name` also takes
 * "-x value", "-x=value" and "-xvalue" (flags: "-x"), as Go's pflag does
 * for `helm template`'s flags.  Positional arguments are collected in order.
 */
struct opt {
	const char *name;
	const char **value; /* for options with a value */
	bool *flag;         /* for flags */
	const char ***multi; /* repeatable: appended to a NULL-terminated array */
	size_t *nmulti;
	char short_name;    /* 0: long only */
};

/* Returns the number of positionals left in argv[0..], or EXIT_USAGE negated. */
int opts_parse(int argc, char **argv, const struct opt *opts, char ***pos);

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

#endif
