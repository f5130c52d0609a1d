/*
 * hoist - render, pack, publish and promote Kubernetes manifests.
 *
 * This file is only the command table; each command lives with its module.
 */
#include "core/compat.h"
#include "core/cmd.h"
#include "core/log.h"
#include "core/config.h"
#include "core/strbuf.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
	{ "render", cmd_render, "render PATH [--ref REV] [--repo DIR]",
	  "print the objects of a folder (or a Git revision) as one canonical YAML stream" },
	{ "template", cmd_template, "template [NAME] CHART [helm template's flags]",
	  "render a Helm chart exactly as `helm template` prints it" },
	{ "pack", cmd_pack,
	  "pack PATH -o FILE [--app N] [--version V] [--source URL] [--revision R] [--created T]",
	  "render and write a reproducible artifact (tar.gz); prints its sha256" },
	{ "inspect", cmd_inspect, "inspect FILE",
	  "verify an artifact file and print its hoist.json summary" },
	{ "push", cmd_push, "push FILE REF [--insecure]",
	  "push an artifact to a registry (HOST/REPO:TAG) or oci-layout:DIR:TAG; prints its digest" },
	{ "pull", cmd_pull, "pull REF -o DIR [--insecure] [--verify-key PUB]",
	  "fetch, verify and unpack an artifact into a new folder; prints its digest" },
	{ "keygen", cmd_keygen, "keygen [--out PREFIX]",
	  "write a new ECDSA P-256 signing key pair: PREFIX.key (0600) and PREFIX.pub" },
	{ "sign", cmd_sign, "sign REF --key KEY [--identity NAME] [--insecure]",
	  "sign an artifact in a registry or image layout, as cosign does" },
	{ "verify", cmd_verify, "verify REF --key PUB [--identity NAME] [--insecure]",
	  "check an artifact's cosign signature against a public key" },
	{ "publish", cmd_publish,
	  "publish [--repo DIR] [--rev REV] [--ref REF] [--env E] [--app N]... [--dry-run]",
	  "render, pack and push the apps of hoist.yaml for a commit" },
	{ "promote", cmd_promote,
	  "promote APP --to ENV [--from ENV] [--digest D] [--approve] [--key PUB]",
	  "point an environment at the digest another holds: verified, gated, recorded" },
	{ "history", cmd_history, "history APP [--env E]",
	  "every move of the app's environment tags, newest first" },
	{ "rollback", cmd_rollback, "rollback APP --env E [--to DIGEST | --steps N]",
	  "move an environment back to a digest it held before" },
	{ "hook", cmd_hook, "hook post-receive|pre-receive|install BARE_REPO|retry",
	  "the Git server hooks: publish on push, gate pushes that do not render" },
	{ "diff", cmd_diff, "diff REV_A REV_B [--repo DIR] [--app N]... [--env E] [--exit-code]",
	  "show how the rendered objects of every app differ between two revisions" },
	{ "ci", cmd_ci, "ci [--repo DIR] [--env E] [--dry-run] [--rev SHA] [--ref REF] [--dotenv F] [--summary F]",
	  "publish from a CI job (GitHub Actions, GitLab CI): outputs, summary, PR diffs" },
	{ "version", cmd_version, "version", "print the version" },
	{ "help", cmd_help, "help [config [--markdown]]",
	  "list the commands, or every hoist.yaml key" },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_version(int argc, char **argv)
{
	printf("hoist %s\n", HOIST_VERSION);
	return cmd_finish_stdout(0);
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc >= 1 && !strcmp(argv[0], "config")) {
		struct strbuf sb = STRBUF_INIT;
		config_describe(&sb, argc >= 2 && !strcmp(argv[1], "--markdown"));
		cmd_write_stdout(sb.buf, sb.len);
		strbuf_release(&sb);
		return cmd_finish_stdout(0);
	}
	printf("usage: hoist <command> [options]\n\ncommands:\n");
	for (c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nexit status: 0 ok, 1 error, 2 usage error\n");
	return cmd_finish_stdout(0);
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	log_init_from_env();
	if (argc < 2)
		return cmd_help(0, NULL) ? 1 : EXIT_USAGE;
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL);
	for (c = commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 2, argv + 2);
	fprintf(stderr, "hoist: '%s' is not a hoist command; see 'hoist help'\n", argv[1]);
	return EXIT_USAGE;
}
