/*
 * hoist-agent - applies hoist artifacts in a cluster.
 *
 * For now it only reports its version: the agent's pull, apply, prune,
 * health and drift loop are their own issue (see DESIGN.md, agent/).
 */
#include "core/compat.h"
#include "core/cmd.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))) {
		printf("hoist-agent %s\n", HOIST_VERSION);
		return cmd_finish_stdout(0);
	}
	fprintf(stderr, "usage: hoist-agent version\n"
			"hoist-agent: the agent's run/sync/status commands are not built yet\n");
	return EXIT_USAGE;
}
