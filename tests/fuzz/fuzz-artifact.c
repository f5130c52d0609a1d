/*
 * fuzz-artifact.c - artifact_read() on arbitrary bytes.
 *
 * Artifacts are pulled from registries anyone with push access can write
 * to, so the gzip stream, the tar headers and hoist.json are all hostile.
 * Only the in-memory path is fuzzed (no `dir`): nothing touches the disk.
 */
#include "core/compat.h"
#include "core/artifact.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct artifact_info info;

	if (!artifact_read(&info, data, size, NULL, true))
		artifact_info_release(&info);
	err_clear();
	return 0;
}
