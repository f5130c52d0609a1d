/*
 * fuzz-remote.c - the remote-source layer's parsers on arbitrary bytes:
 * kustomize Git URLs (a pushed kustomization names them), hoist.lock (a
 * pushed file) and netrc text.
 *
 * The first byte picks the parser (0: URL, 1: lock, 2: netrc, 3: a Helm
 * repository's index.yaml, with a constraint or a digest, 4: a chart's
 * Chart.yaml and Chart.lock, split at a "--8<--" line, whose digest is
 * checked); the rest is its input.  Errors are fine; crashes, leaks and sanitizer reports are
 * not.  A lock that parses must format and parse back to the same text.
 */
#include "core/compat.h"
#include "core/err.h"
#include "source/remote.h"
#include "core/strbuf.h"
#include "render/helm/chart-repo.h"
#include "model/doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_url(const char *s)
{
	struct remote_git_url u;
	enum remote_kind kind;
	struct strbuf host = STRBUF_INIT;

	remote_is_url(s, &kind);
	if (!remote_git_url_parse(&u, s)) {
		/* What parses is usable: a host for the allow-list, a path inside the repository. */
		if (!*u.host || !u.clone_url || !u.path || !u.ref || u.path[0] == '/')
			abort();
		remote_pattern_matches(u.host, u.host);
		remote_git_url_release(&u);
	}
	remote_url_host(&host, s);
	strbuf_release(&host);
	err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf in = STRBUF_INIT;
	struct remote_pin *pins = NULL;
	size_t n = 0;

	if (!size)
		return 0;
	strbuf_add(&in, data + 1, size - 1);
	switch (data[0] % 5) {
	case 0:
		if (strlen(in.buf) == in.len)
			one_url(in.buf);
		break;
	case 1:
		if (!remote_lock_parse(&pins, &n, in.buf, in.len, "fuzz/hoist.lock")) {
			struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
			struct remote_pin *back = NULL;
			size_t nb = 0;

			remote_lock_format(&a, pins, n);
			if (remote_lock_parse(&back, &nb, a.buf, a.len, "fuzz/again"))
				abort();
			remote_lock_format(&b, back, nb);
			if (strcmp(a.buf, b.buf))
				abort();
			remote_pins_free(back, nb);
			strbuf_release(&a);
			strbuf_release(&b);
			remote_pins_free(pins, n);
		}
		break;
	case 2: {
		struct remote_ctx c;

		if (!remote_ctx_init(&c, NULL, NULL, 0, false, false)) {
			remote_netrc_parse(&c, in.buf, in.len, "fuzz/netrc");
			remote_cred_find(&c, "git.example:443");
		}
		remote_ctx_release(&c);
		break;
	}
	case 3: {
		static const char *const cons[] = { "1.2.3", "~1.2", ">=1.0 <2 || 3.x", "^0", "*" };
		struct helm_index_entry e;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(cons); i++) {
			if (!helm_index_select(in.buf, in.len, "fuzz/index.yaml", "mychart", cons[i],
					       NULL, &e)) {
				if (!e.version || !e.url)
					abort();
				helm_index_entry_release(&e);
			}
			err_clear();
		}
		if (!helm_index_select(in.buf, in.len, "fuzz/index.yaml", "mychart", "1.0.0",
				       "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				       &e))
			helm_index_entry_release(&e);
		break;
	}
	case 4: {
		const char *cut = strstr(in.buf, "\n--8<--\n");
		struct doc_stream *lock = NULL;

		if (!cut || strlen(in.buf) != in.len)
			break;
		if (!doc_parse(&lock, cut + 8, in.len - (size_t)(cut + 8 - in.buf), "fuzz/Chart.lock",
			       NULL) &&
		    lock->ndocs)
			helm_lock_check(in.buf, (size_t)(cut - in.buf) + 1, lock->docs[0], "fuzz");
		doc_stream_free(lock);
		break;
	}
	}
	err_clear();
	strbuf_release(&in);
	return 0;
}
