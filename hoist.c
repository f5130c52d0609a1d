/*
 * hoist - render, pack, publish and promote Kubernetes manifests.
 *
 * This file is only the command table; each command lives with its module.
 *
 * It is built twice.  `hoist-core` has every command.  `hoist` (built with
 * HOIST_LIGHT) links only what rendering a chart needs (libyaml, zlib,
 * libcrypto), so `hoist template` does not pay for mapping libgit2,
 * libcurl and libarchive with their ~45 libraries at every start, as git
 * keeps libcurl in git-remote-http; for any other command it executes the
 * `hoist-core` beside it with the same arguments.
 */
#include "core/compat.h"
#include "core/cmd.h"
#include "core/log.h"
#include "core/config.h"
#include "core/strbuf.h"

#ifdef HOIST_LIGHT
#define HEAVY(fn) NULL
#else
#define HEAVY(fn) fn
#endif

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
	{ "render", HEAVY(cmd_render), "render PATH [--ref REV] [--repo DIR]",
	  "print the objects of a folder (or a Git revision) as one canonical YAML stream" },
	{ "template", cmd_template, "template [NAME] CHART [helm template's flags]",
	  "render a Helm chart exactly as `helm template` prints it" },
	{ "pack", HEAVY(cmd_pack),
	  "pack PATH -o FILE [--app N] [--version V] [--source URL] [--revision R] [--created T]",
	  "render and write a reproducible artifact (tar.gz); prints its sha256" },
	{ "inspect", HEAVY(cmd_inspect), "inspect FILE",
	  "verify an artifact file and print its hoist.json summary" },
	{ "push", HEAVY(cmd_push), "push FILE REF [--insecure]",
	  "push an artifact to a registry (HOST/REPO:TAG) or oci-layout:DIR:TAG; prints its digest" },
	{ "pull", HEAVY(cmd_pull), "pull REF -o DIR [--insecure] [--verify-key PUB]",
	  "fetch, verify and unpack an artifact into a new folder; prints its digest" },
	{ "keygen", HEAVY(cmd_keygen), "keygen [--out PREFIX]",
	  "write a new ECDSA P-256 signing key pair: PREFIX.key (0600) and PREFIX.pub" },
	{ "sign", HEAVY(cmd_sign), "sign REF --key KEY [--identity NAME] [--insecure]",
	  "sign an artifact in a registry or image layout, as cosign does" },
	{ "verify", HEAVY(cmd_verify), "verify REF --key PUB [--identity NAME] [--insecure]",
	  "check an artifact's cosign signature against a public key" },
	{ "publish", HEAVY(cmd_publish),
	  "publish [--repo DIR] [--rev REV] [--ref REF] [--env E] [--app N]... [--dry-run]",
	  "render, pack and push the apps of hoist.yaml for a commit" },
	{ "promote", HEAVY(cmd_promote),
	  "promote APP --to ENV [--from ENV] [--digest D] [--approve] [--key PUB]",
	  "point an environment at the digest another holds: verified, gated, recorded" },
	{ "history", HEAVY(cmd_history), "history APP [--env E]",
	  "every move of the app's environment tags, newest first" },
	{ "rollback", HEAVY(cmd_rollback), "rollback APP --env E [--to DIGEST | --steps N]",
	  "move an environment back to a digest it held before" },
	{ "hook", HEAVY(cmd_hook), "hook post-receive|pre-receive|install BARE_REPO|retry",
	  "the Git server hooks: publish on push, gate pushes that do not render" },
	{ "diff", HEAVY(cmd_diff), "diff REV_A REV_B [--repo DIR] [--app N]... [--env E] [--exit-code]",
	  "show how the rendered objects of every app differ between two revisions" },
	{ "ci", HEAVY(cmd_ci), "ci [--repo DIR] [--env E] [--dry-run] [--rev SHA] [--ref REF] [--dotenv F] [--summary F]",
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

#ifdef HOIST_LIGHT
#include <errno.h>
#include <limits.h>
#include <unistd.h>

/* Executes hoist-core from this binary's folder with the same arguments. */
static int run_core(char **argv)
{
	char self[PATH_MAX];
	struct strbuf core = STRBUF_INIT;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return cmd_error("cannot find this program's folder: %s", strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	strbuf_add(&core, self, slash ? (size_t)(slash - self) : 0);
	strbuf_addstr(&core, "/hoist-core");
	fflush(stdout);
	execv(core.buf, argv);
	cmd_error("cannot run %s: %s", core.buf, strerror(errno));
	strbuf_release(&core);
	return 1;
}
#endif

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
		if (!strcmp(c->name, argv[1])) {
#ifdef HOIST_LIGHT
			if (!c->fn)
				return run_core(argv);
#endif
			return c->fn(argc - 2, argv + 2);
		}
	fprintf(stderr, "hoist: '%s' is not a hoist command; see 'hoist help'\n", argv[1]);
	return EXIT_USAGE;
}
