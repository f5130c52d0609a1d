/*
 * fuzz-helm-chart.c - the chart loader and `helm template` on arbitrary
 * charts.
 *
 * A receive hook renders charts from pushed commits, so every file of a
 * chart comes from whoever pushed.  An even first byte splits the rest
 * into files at lines of the form
 *
 *   --8<-- PATH
 *
 * (text before the first such line is Chart.yaml), loads them into an
 * in-memory tree and renders the chart as `hoist template` does, with
 * small limits; an odd first byte takes the rest as a chart archive
 * (.tgz).  Errors are fine; crashes, leaks, hangs and unbounded
 * allocations are not.
 */
#include "core/compat.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "render/helm/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 32
#define MARK "--8<-- "

static void add_file(struct src_tree *t, const char *dir, const char *name, size_t nl,
		     const char *body, size_t bl)
{
	struct strbuf path = STRBUF_INIT;

	strbuf_addf(&path, "%s/%.*s", dir, (int)nl, name);
	/* Bad paths and clashes are the splitter's problem, not the loader's. */
	if (src_tree_mem_add(t, path.buf, body, bl))
		err_clear();
	strbuf_release(&path);
}

static void split(struct src_tree *t, const char *p, size_t size)
{
	const char *end = p + size, *name = "Chart.yaml", *body = p;
	size_t nl = strlen(name), files = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;

		if ((size_t)(end - p) > strlen(MARK) && !memcmp(p, MARK, strlen(MARK))) {
			if (files++ == MAX_FILES)
				return;
			add_file(t, "chart", name, nl, body, (size_t)(p - body));
			name = p + strlen(MARK);
			nl = (size_t)((eol ? eol : end) - name);
			body = next;
		}
		p = next;
	}
	add_file(t, "chart", name, nl, body, (size_t)(end - body));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helm_opts o;
	struct strbuf out = STRBUF_INIT;
	struct src_tree *t = NULL;
	const char *path = "chart";
	bool hint;

	if (!size)
		return 0;
	memset(&o, 0, sizeof(o));
	o.include_crds = true;
	o.max_alloc = 64u << 20;
	o.max_steps = 100000;
	o.max_depth = 200;
	o.max_output = 1u << 20;
	src_tree_open_mem(&t, "fuzz");
	if (data[0] & 1) {
		path = "chart.tgz";
		if (src_tree_mem_add(t, path, (const char *)data + 1, size - 1))
			err_clear();
	} else {
		split(t, (const char *)data + 1, size - 1);
	}
	helm_render(&out, t, path, &o, &hint);
	strbuf_release(&out);
	src_tree_free(t);
	err_clear();
	return 0;
}
