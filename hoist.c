/*
 * hoist - render, pack, publish and promote Kubernetes manifests.
 *
 * This file is only the list of commands; each command's entry (function,
 * usage, options, help, examples) lives with its module.  To add a command:
 * write its `const struct cmd cmd_NAME_entry` next to its function, declare
 * it in core/cmd.h and list it below (docs/cli.md, "Adding a command").
 */
#include "core/compat.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/strbuf.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

struct help_args {
	bool markdown;
};

static const struct opt help_opts[] = {
	{ "markdown", OPT_FIELD(struct help_args, markdown),
	  .help = "with 'help config': the key table as Markdown (docs/config.md)" },
	{ NULL },
};

static const char *const help_examples[] = {
	"hoist help publish\tthe same page as 'hoist publish --help'",
	"hoist help config\tevery hoist.yaml key with its type, default and meaning",
	NULL,
};

static const struct cmd help_entry = {
	"help", cmd_help, "help [COMMAND | config [--markdown]]",
	"list the commands, describe one, or every hoist.yaml key",
	help_opts,
	.description = "Without an argument, lists the commands.  With a command's name, prints\n"
		       "its help page, as COMMAND --help does.  'help config' prints every\n"
		       "key of hoist.yaml from the table the configuration parser uses.",
	.examples = help_examples,
	.args = { COMPLETE_WORDS, "config" },
};

static const struct opt version_opts[] = { { NULL } };

static const char *const version_examples[] = {
	"hoist version\thoist 1.4.0 (git describe of the build: a tag, or a commit and -dirty)",
	"hoist --version\tthe same",
	NULL,
};

static const struct cmd version_entry = {
	"version", cmd_version, "version", "print the version", version_opts,
	.description = "Prints \"hoist VERSION\" on stdout; --version does the same.",
	.examples = version_examples,
};

static const struct cmd *const commands[] = {
	&cmd_render_entry,
	&cmd_template_entry,
	&cmd_pack_entry,
	&cmd_inspect_entry,
	&cmd_push_entry,
	&cmd_pull_entry,
	&cmd_keygen_entry,
	&cmd_sign_entry,
	&cmd_verify_entry,
	&cmd_publish_entry,
	&cmd_lock_entry,
	&cmd_promote_entry,
	&cmd_history_entry,
	&cmd_rollback_entry,
	&cmd_status_entry,
	&cmd_hook_entry,
	&cmd_diff_entry,
	&cmd_ci_entry,
	&version_entry,
	&help_entry,
	NULL,
};

static const struct cmd_man_page pages[] = {
	{ "hoist.yaml", 5, "the hoist repository configuration",
	  "hoist.yaml at the root of a repository says what hoist renders and where the\n"
	  "artifacts go: the registry, the apps (a folder each, rendered as plain YAML,\n"
	  "a kustomization or a Helm chart), the environments with the branches or tags\n"
	  "that publish to them and the promotion gates between them, and the clusters.\n\n"
	  "Every key below comes from the table the parser reads; an unknown key is an\n"
	  "error naming its file, line and column.  ${env} in a path or values file is\n"
	  "replaced by the environment's name.",
	  config_describe_roff },
	{ NULL },
};

static const struct cmd_prog prog = {
	"hoist", 1,
	"render, pack, publish and promote Kubernetes manifests as OCI artifacts",
	"hoist is GitOps for Kubernetes in the rendered-artifact style.  It renders\n"
	"plain manifests, Kustomize overlays and Helm charts where the commit is (a\n"
	"Git server's receive hook or a CI job), packs the objects into a\n"
	"reproducible tar.gz artifact, pushes it to an OCI registry or a local OCI\n"
	"image layout in the layout Flux consumes, signs it in cosign's layout and\n"
	"promotes environments by digest.\n\n"
	"Machine-readable results go to stdout, messages for people to stderr.\n"
	"Each command has its own page, hoist-COMMAND(1), and answers --help.",
	"HOIST_LOG\tlog level on stderr: debug, info (default), warn or error\n"
	"NO_COLOR\tset and not empty: no colour unless --color=always\n",
	commands,
	"hoist-agent (8)",
	pages,
};

static int cmd_version(int argc, char **argv)
{
	char **pos;

	if (opts_parse(argc, argv, version_opts, NULL, &pos) != 0)
		return cmd_usage(version_entry.usage);
	return cmd_version_show(&prog);
}

static int cmd_help(int argc, char **argv)
{
	struct help_args a = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char **pos;
	int n = opts_parse(argc, argv, help_opts, &a, &pos);

	if (n < 0 || n > 1)
		return cmd_usage(help_entry.usage);
	if (n == 0 || strcmp(pos[0], "config"))
		return cmd_help_show(&prog, n ? pos[0] : NULL);
	config_describe(&sb, a.markdown);
	cmd_write_stdout(sb.buf, sb.len);
	strbuf_release(&sb);
	return cmd_finish_stdout(0);
}

int main(int argc, char **argv)
{
	return cmd_main(&prog, argc, argv);
}
