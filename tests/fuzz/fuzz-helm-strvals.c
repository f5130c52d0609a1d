/*
 * fuzz-helm-strvals.c - Helm's --set parser (render/helm/strvals.c).
 *
 * `hoist template --set ...` and hoist.yaml's `set:` feed it text from
 * users and repositories.  The first byte picks the flavour (--set,
 * --set-string, --set-json, --set-literal), the rest is the line; a parsed
 * map is also encoded as JSON.  Errors are fine; crashes, leaks, hangs
 * and unbounded allocations are not.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/strvals.h"
#include "render/helm/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum strvals_mode modes[] = { STRVALS_TYPED, STRVALS_STRING, STRVALS_JSON,
						   STRVALS_LITERAL };
	struct helm_ctx c;
	struct strbuf out = STRBUF_INIT;
	struct hv *m;

	if (!size)
		return 0;
	memset(&c, 0, sizeof(c));
	c.arena = arena_new();
	c.max_alloc = 64u << 20;
	m = hv_map_new(&c, HV_T_MAP);
	if (m && !strvals_parse_into(&c, m, (const char *)data + 1, size - 1,
				      modes[data[0] % ARRAY_SIZE(modes)], NULL, NULL))
		helm_json_emit(&c, &out, m, NULL);
	strbuf_release(&out);
	arena_free(c.arena);
	err_clear();
	return 0;
}
