/*
 * fuzz-yaml.c - the YAML reader and both emitters on arbitrary bytes.
 *
 * Parse errors are fine; crashes, leaks, sanitizer reports and emitting
 * output that our own reader refuses are not.  Build with clang's
 * -fsanitize=fuzzer for real fuzzing; `make test` links replay.c instead
 * and runs the corpus in tests/fuzz/corpus/yaml/.
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_limits lim = doc_limits_default;
	struct doc_stream *s = NULL, *back = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t i;

	/* Small limits keep each run fast; the code paths are the same. */
	lim.max_bytes = 1u << 20;
	lim.max_nodes = 100000;
	if (doc_parse(&s, (const char *)data, size, "fuzz.yaml", &lim))
		return 0;
	for (i = 0; i < s->ndocs; i++) {
		strbuf_reset(&out);
		if (!doc_emit_canonical(&out, s->docs[i])) {
			/* What we print must read back. */
			if (doc_parse(&back, out.buf, out.len, "emitted.yaml", NULL)) {
				fprintf(stderr, "emitted YAML does not parse: %s\n%s", err_msg(),
					out.buf);
				abort();
			}
			doc_stream_free(back);
			back = NULL;
		}
		strbuf_reset(&out);
		doc_emit_json(&out, s->docs[i]);
	}
	strbuf_release(&out);
	doc_stream_free(s);
	err_clear();
	return 0;
}
