/*
 * render-cmd.c - `hoist render`.
 */
#include "core/compat.h"
#include "render/render.h"
#include "render/source.h"
#include "core/cmd.h"
#include "core/err.h"
#include "core/objset.h"
#include "core/src-tree.h"
#include "core/strbuf.h"

#define RENDER_USAGE "render PATH [--ref REV] [--repo DIR] [--engine auto|plain|kustomize|helm]"

int cmd_render(int argc, char **argv)
{
	const char *ref = NULL, *repo = NULL, *engine = NULL;
	const struct opt opts[] = {
		{ "ref", &ref }, { "repo", &repo }, { "engine", &engine }, { NULL },
	};
	struct render_opts ro = { 0 };
	struct render_result res;
	struct objset set = OBJSET_INIT;
	struct strbuf out = STRBUF_INIT, secret = STRBUF_INIT;
	struct source src = SOURCE_INIT;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, opts, &pos);
	if (n < 0 || n != 1)
		return cmd_usage(RENDER_USAGE);
	if (engine && render_engine_parse(engine, &ro.engine))
		return cmd_fail();
	r = source_open(&src, pos[0], ref, repo);
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
		r = objset_emit(&set, &out);
	if (!r)
		cmd_write_stdout(out.buf, out.len);
	objset_release(&set);
	source_release(&src);
	strbuf_release(&out);
	strbuf_release(&secret);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}
