/*
 * hoist-agent - applies hoist artifacts in a cluster (docs/agent.md).
 *
 * This file is the list of the agent's commands, built like hoist.c: each
 * command is one `struct cmd` entry living with its function in agent/
 * (agent-cmd.c, run.c); help, man pages and completion read the entries.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "core/cmd.h"
#include "core/log.h"
#include "core/strbuf.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct opt no_options[] = { { NULL } };

static const char *const version_examples[] = {
	"hoist-agent version\tthe agent's version, as its container image is tagged",
	"hoist-agent --version\tthe same",
	NULL,
};

static const struct cmd version_entry = {
	"version", cmd_version, "version", "print the version", no_options,
	.description = "Prints \"hoist-agent VERSION\" on stdout; --version does the same.",
	.examples = version_examples,
};

static const char *const help_examples[] = {
	"hoist-agent help\tthe agent's commands",
	"hoist-agent help version\tthe same page as 'hoist-agent version --help'",
	NULL,
};

static const struct cmd help_entry = {
	"help", cmd_help, "help [COMMAND]", "list the commands, or describe one", no_options,
	.description = "Without an argument, lists the commands.  With a command's name, prints\n"
		       "its help page, as COMMAND --help does.",
	.examples = help_examples,
};

static const struct cmd *const commands[] = {
	&cmd_agent_run_entry,
	&cmd_agent_sync_entry,
	&cmd_agent_status_entry,
	&cmd_agent_approve_entry,
	&cmd_agent_accept_drift_entry,
	&version_entry,
	&help_entry,
	NULL,
};

/* agent.yaml(5), from the table agent/config.c parses with. */
static const struct cmd_man_page pages[] = {
	{ "agent.yaml", 5, "the hoist-agent configuration",
	  "agent.yaml configures hoist-agent in a cluster: where it pulls artifacts\n"
	  "from, how it applies, prunes and checks health, and where it reports.",
	  agent_config_describe_roff },
	{ NULL },
};

static const struct cmd_prog prog = {
	"hoist-agent", 8,
	"apply hoist artifacts in a Kubernetes cluster",
	"hoist-agent runs in a cluster and applies the artifacts hoist publishes:\n"
	"it pulls or receives them, verifies their digests and signatures, applies\n"
	"them with server-side apply, prunes what the previous inventory had, waits\n"
	"for health and reports.  `run` is the loop a Deployment runs; `sync APP\n"
	"--once` is one pass, for scripts and debugging.",
	"HOIST_LOG\tlog level on stderr: debug, info (default), warn or error\n",
	commands,
	"hoist (1)",
	pages,
};

static int cmd_version(int argc, char **argv)
{
	char **pos;

	if (opts_parse(argc, argv, no_options, NULL, &pos) != 0)
		return cmd_usage(version_entry.usage);
	printf("hoist-agent %s\n", HOIST_VERSION);
	return cmd_finish_stdout(0);
}

static int cmd_help(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	const struct cmd *const *c;
	char **pos;
	int n = opts_parse(argc, argv, no_options, NULL, &pos);

	if (n < 0 || n > 1)
		return cmd_usage(help_entry.usage);
	if (n == 1) {
		for (c = commands; *c; c++)
			if (!strcmp((*c)->name, pos[0]))
				break;
		if (!*c)
			return cmd_unknown_command(&prog, pos[0]);
		cmd_help_text(&sb, &prog, *c, true);
	} else {
		cmd_help_list(&sb, &prog);
	}
	cmd_write_stdout(sb.buf, sb.len);
	strbuf_release(&sb);
	return cmd_finish_stdout(0);
}

int main(int argc, char **argv)
{
	return cmd_main(&prog, argc, argv);
}
