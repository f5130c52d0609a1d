/*
 * render-cmd.c - `hoist render`.
 */
#include "core/compat.h"
#include "render/render.h"
#include "render/source.h"
#include "core/cmd.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/remote.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "core/term.h"

struct render_args {
	const char *ref, *repo, *engine;
	struct opt_list allow_remote;
	bool offline, allow_floating;
};

#define A struct render_args
static const struct opt render_options[] = {
	{ "ref", OPT_FIELD(A, ref), .arg = "REV",
	  .help = "read PATH from this Git revision of --repo, without a checkout" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository --ref reads from" },
	{ "engine", OPT_FIELD(A, engine), .arg = "ENGINE", .def = "auto",
	  .complete = COMPLETE_WORDS, .words = "auto plain kustomize helm",
	  .help = "force an engine: auto, plain, kustomize or helm" },
	REMOTE_OPTIONS(A),
	{ NULL },
};
#undef A

static const char *const render_examples[] = {
	"hoist render apps/podinfo\tthe folder's objects, as kubectl kustomize prints them",
	"hoist render apps/podinfo --ref main~1\tthe same folder as it was one commit ago",
	"hoist render infra/overlays/prod | kubectl apply --dry-run=server -f -\t"
	"check the rendered objects against a cluster",
	"hoist render apps/web --allow-remote github.com\ta kustomization whose base is on GitHub "
	"(pinned by hoist.lock)",
	NULL,
};

const struct cmd cmd_render_entry = {
	"render", cmd_render, "render PATH [--ref REV] [--repo DIR] [--engine ENGINE]",
	"print the objects of a folder (or a Git revision) as one canonical YAML stream",
	render_options,
	.description =
		"Renders PATH and prints its objects as one canonical YAML stream, documents\n"
		"separated by ---, in kustomize's legacy order.  A folder with a\n"
		"kustomization.yaml is built by the native kustomize engine, a folder with a\n"
		"Chart.yaml by the Helm engine, anything else is read as plain YAML (every\n"
		".yaml, .yml and .json file below PATH, dot-files skipped).\n\n"
		"Without --ref, PATH is a folder on disk, read inside its Git work tree so\n"
		"overlays reach ../base.  With --ref, PATH is relative to the root of the\n"
		"repository at --repo and is read from that revision's tree.\n\n"
		"Remote resources and components (Git and HTTP URLs) are fetched only from\n"
		"hosts --allow-remote names, at the commits hoist.lock pins, through the\n"
		"cache in $HOIST_CACHE_DIR (docs/remote.md).",
	.examples = render_examples,
	.see_also = "docs/cli.md, docs/kustomize.md, docs/yaml.md",
	.args = { COMPLETE_DIR },
};

int cmd_render(int argc, char **argv)
{
	struct render_args a = { 0 };
	struct render_opts ro = { 0 };
	struct render_result res;
	struct objset set = OBJSET_INIT;
	struct strbuf out = STRBUF_INIT, secret = STRBUF_INIT;
	struct source src = SOURCE_INIT;
	struct progress prog;
	struct remote_ctx rc;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, render_options, &a, &pos);
	if (n != 1) {
		opts_release(render_options, &a);
		return cmd_usage(cmd_render_entry.usage);
	}
	if (a.engine && render_engine_parse(a.engine, &ro.engine)) {
		opts_release(render_options, &a);
		return cmd_fail();
	}
	/* A large tree takes a moment: count the files read, on a terminal, past 1,000. */
	progress_start_count(&prog, "reading manifests", "files", 1000);
	ro.progress = &prog;
	r = remote_ctx_init(&rc, NULL, a.allow_remote.v, a.allow_remote.n, a.offline,
			    a.allow_floating);
	if (!r)
		r = source_open(&src, pos[0], a.ref, a.repo);
	if (!r) {
		remote_ctx_reset(&rc, src.tree);
		ro.remote = &rc;
	}
	if (!r) {
		/* Rendered as for an artifact: the clock is the commit's (or SOURCE_DATE_EPOCH). */
		const char *sde = getenv("SOURCE_DATE_EPOCH");

		ro.reproducible = true;
		ro.now_sec = src.from_git ? src.commit.time : sde ? strtoll(sde, NULL, 10) : 0;
		r = render_secret_load(&secret, NULL);
		ro.secret = secret.len ? (const unsigned char *)secret.buf : NULL;
		ro.secret_len = secret.len;
	}
	if (!r)
		r = render_app(&set, &res, src.tree, src.path, &ro);
	if (!r)
		progress_stop(&prog);
	else if (prog.last_percent >= 0)
		fputc('\n', stderr);
	if (!r)
		r = objset_emit(&set, &out);
	if (!r)
		cmd_write_stdout(out.buf, out.len);
	objset_release(&set);
	source_release(&src);
	remote_ctx_release(&rc);
	opts_release(render_options, &a);
	strbuf_release(&out);
	strbuf_release(&secret);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}
