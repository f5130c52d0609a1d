/*
 * fuzz-helm-re.c - the RE2-syntax regex engine (render/helm/re.c): the
 * input up to the first newline is the pattern, the rest the subject.
 * Compile errors are fine; crashes, leaks, sanitizer reports and matches
 * outside the subject are not.
 */
#include "core/compat.h"
#include "core/strbuf.h"
#include "render/helm/re.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	size_t plen = nl ? (size_t)(nl - s) : size;
	const char *subj = nl ? nl + 1 : "";
	size_t slen = nl ? size - plen - 1 : 0, pos = 0, i;
	struct strbuf q = STRBUF_INIT;
	struct re *re;
	char *msg = NULL;
	long *caps;

	if (re_compile(&re, s, plen, &msg)) {
		if (!msg || strncmp(msg, "error parsing regexp: ", 22))
			abort();
		free(msg);
		return 0;
	}
	caps = malloc(2 * re_ncap(re) * sizeof(long));
	/* Every match of the subject, as FindAll walks it. */
	while (pos <= slen && re_exec(re, subj, slen, pos, caps)) {
		for (i = 0; i < 2 * re_ncap(re); i++)
			if (caps[i] < -1 || caps[i] > (long)slen)
				abort();
		if (caps[0] < (long)pos || caps[1] < caps[0])
			abort();
		pos = (size_t)caps[1] > pos ? (size_t)caps[1] : pos + 1;
	}
	free(caps);
	re_free(re);
	/* QuoteMeta's output matches the text literally. */
	re_quote_meta(&q, subj, slen);
	if (utf8_is_valid(subj, slen) && !re_compile(&re, q.buf, q.len, &msg)) {
		long c2[2];
		if (!re_exec(re, subj, slen, 0, c2) || c2[0] != 0 || c2[1] != (long)slen)
			abort();
		re_free(re);
	} else {
		free(msg);
	}
	strbuf_release(&q);
	return 0;
}
