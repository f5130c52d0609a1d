/*
 * fuzz-kustomize.c - the kustomize engine on an arbitrary set of files.
 *
 * The receive hook renders kustomizations from pushed commits, so every
 * file the engine reads comes from whoever pushed.  The input is split
 * into files at lines of the form
 *
 *   --8<-- PATH
 *
 * (text before the first such line is kustomization.yaml), loaded into an
 * in-memory tree and rendered from the root with the kustomize engine; a
 * render that succeeds is also emitted.  Errors are fine; crashes, leaks,
 * hangs and unbounded allocations are not.
 */
#include "core/compat.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Enough for an overlay, a base, a component and their files. */
#define MAX_FILES 24
#define MARK "--8<-- "

static void add_file(struct src_tree *t, const char *name, size_t nl, const char *body,
		     size_t bl)
{
	char *path = xstrndup(name, nl);

	/* Bad paths and clashes are the splitter's problem, not the engine's. */
	if (src_tree_mem_add(t, path, body, bl))
		err_clear();
	free(path);
}

static void split(struct src_tree *t, const char *p, size_t size)
{
	const char *end = p + size, *name = "kustomization.yaml", *body = p;
	size_t nl = strlen(name), files = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;

		if ((size_t)(end - p) > strlen(MARK) && !memcmp(p, MARK, strlen(MARK))) {
			if (files++ == MAX_FILES)
				return;
			add_file(t, name, nl, body, (size_t)(p - body));
			name = p + strlen(MARK);
			nl = (size_t)((eol ? eol : end) - name);
			body = next;
		}
		p = next;
	}
	add_file(t, name, nl, body, (size_t)(end - body));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_opts opts = { .engine = RENDER_KUSTOMIZE, .max_total = 4 << 20 };
	struct render_result res = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct src_tree *t = NULL;
	struct objset set;

	src_tree_open_mem(&t, "fuzz");
	split(t, (const char *)data, size);
	objset_init(&set);
	if (!render_app(&set, &res, t, "", &opts))
		objset_emit(&set, &out);
	objset_release(&set);
	strbuf_release(&out);
	src_tree_free(t);
	err_clear();
	return 0;
}
