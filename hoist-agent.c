/*
 * hoist-agent - applies hoist artifacts in a cluster (docs/agent.md).
 *
 * Only the command table lives here; each command lives with its module
 * (agent/agent-cmd.c, agent/run.c).
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "core/cmd.h"
#include "core/log.h"

static int cmd_agent_version(int argc, char **argv)
{
	printf("hoist-agent %s\n", HOIST_VERSION);
	return cmd_finish_stdout(0);
}

static const struct cmd commands[] = {
	{ "run", cmd_agent_run, "run -c FILE", "sync every app on its interval; serve pushes and status" },
	{ "sync", cmd_agent_sync, "sync APP --once -c FILE", "one pass over an app" },
	{ "status", cmd_agent_status, "status -c FILE [--json]", "the last recorded sync of every app" },
	{ "version", cmd_agent_version, "version", "print the version" },
	{ "help", cmd_agent_help, "help [config]", "commands, or every agent.yaml key" },
};

int main(int argc, char **argv)
{
	size_t i;

	log_set_prefix("hoist-agent");
	log_init_from_env();
	if (argc >= 2 && !strcmp(argv[1], "--version"))
		argv[1] = (char *)"version";
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		argv[1] = (char *)"help";
	for (i = 0; argc >= 2 && i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: hoist-agent run|sync|status|version|help (see hoist-agent help)\n");
	return EXIT_USAGE;
}
