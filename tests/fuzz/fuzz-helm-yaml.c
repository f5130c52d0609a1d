/*
 * fuzz-helm-yaml.c - Helm's YAML and JSON conversions (render/helm/helm-yaml.c)
 * on arbitrary bytes: the first byte picks fromYaml (even) or fromJson (odd);
 * whatever parses is printed back with toJson and toYaml.
 *
 * Errors are fine; crashes, leaks and sanitizer reports are not, and
 * neither is toJson output that our own JSON reader refuses.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct hv *v, *back;
	const char *buf = (const char *)data + 1;
	int r;

	if (!size)
		return 0;
	c.arena = arena_new();
	c.max_alloc = 64u << 20;
	if (data[0] & 1)
		r = helm_json_parse(&c, &v, buf, size - 1, HELM_INTO_ANY);
	else
		r = helm_yaml_parse(&c, &v, buf, size - 1, HELM_INTO_ANY);
	if (!r) {
		if (!helm_json_emit(&c, &out, v, NULL) &&
		    helm_json_parse(&c, &back, out.buf, out.len, HELM_INTO_ANY)) {
			fprintf(stderr, "toJson output does not read back: %s\n%s\n", err_msg(),
				out.buf);
			abort();
		}
		strbuf_reset(&out);
		helm_yaml_emit(&c, &out, v);
	}
	strbuf_release(&out);
	arena_free(c.arena);
	return 0;
}
