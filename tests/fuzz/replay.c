/*
 * replay.c - runs a fuzz target over a corpus without libFuzzer.
 *
 *   fuzz-NAME DIR
 *
 * Feeds every regular file in DIR (sorted by name) to
 * LLVMFuzzerTestOneInput and prints a TAP line per file; a crash stops the
 * run, which tests/run.sh counts as a failure.
 */
#include "core/compat.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *ent;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "%s: cannot open: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, n + 1, alloc);
		names[n++] = xstrdup(ent->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
		struct stat st;

		strbuf_addf(&path, "%s/%s", argv[1], names[i]);
		if (stat(path.buf, &st) || !S_ISREG(st.st_mode)) {
			strbuf_release(&path);
			continue;
		}
		if (strbuf_read_file(&data, path.buf, 0)) {
			printf("not ok %zu - %s: cannot read\n", i + 1, names[i]);
			failed = 1;
		} else {
			LLVMFuzzerTestOneInput((const uint8_t *)data.buf, data.len);
			printf("ok %zu - %s\n", i + 1, names[i]);
		}
		fflush(stdout);
		strbuf_release(&data);
		strbuf_release(&path);
		free(names[i]);
	}
	printf("1..%zu\n", n);
	free(names);
	return failed;
}
