/*
 * fuzz-helm-tmpl.c - the template engine on arbitrary template text.
 *
 * Chart templates come from whoever wrote the chart.  The input is parsed
 * as one file of a set that has Sprig, Helm's functions and include/tpl,
 * and executed against small values under tight limits (steps, output,
 * memory, depth): errors are fine; crashes, hangs, leaks and sanitizer
 * reports are not.  A second execution of the same set checks that a
 * failed run leaves nothing behind that breaks the next one.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char VALUES[] =
	"{\"a\": \"A\", \"n\": 3, \"f\": 1.5, \"t\": true, \"z\": null, \"list\": [1, \"x\", null, [2]],"
	" \"m\": {\"k\": \"v\", \"odd key\": 1, \"nil\": null, \"sub\": {\"x\": [1, 2]}}, \"e\": []}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct tmpl_set *s;
	struct hv *vals = NULL;
	int pass;

	c.arena = arena_new();
	c.max_steps = 20000;
	c.max_output = 64 << 10;
	c.max_alloc = 16 << 20;
	c.max_depth = 200;
	s = tmpl_set_new(&c, "gotpl");
	if (!s || tmpl_set_add_funcs(s, tmpl_helm_engine_funcs) ||
	    tmpl_set_add_funcs(s, helm_funcs) || tmpl_set_add_funcs(s, sprig_funcs) ||
	    helm_json_parse(&c, &vals, VALUES, sizeof(VALUES) - 1, HELM_INTO_MAP))
		abort();
	tmpl_set_missingkey(s, TMPL_MISSINGKEY_ZERO);
	if (tmpl_parse(s, "fuzz.yaml", (const char *)data, size) == 0) {
		for (pass = 0; pass < 2; pass++) {
			c.steps = 0;
			strbuf_reset(&out);
			tmpl_execute(s, "fuzz.yaml", vals, &out);
		}
	}
	err_clear();
	tmpl_set_free(s);
	arena_free(c.arena);
	strbuf_release(&out);
	return 0;
}
