/*
 * fuzz-agent-watch.c - the watch event stream the drift detector reads
 * from the API server (agent/watch.c), and the bodies of the approval and
 * accept-drift requests (agent/api.c).
 *
 * The first byte picks the parser, the rest is its input:
 *   0  the stream: fed to watch_buf in chunks whose sizes come from the
 *      input itself, every complete line through watch_event_parse
 *   1  api_approve_body_parse()   the body of POST /v1/apps/APP/sync
 *   2  api_accept_body_parse()    the body of POST /v1/apps/APP/accept-drift
 *   3  plan_object_parse()        the OBJECT of hoist-agent accept-drift
 */
#include "core/compat.h"
#include "agent/api.h"
#include "agent/plan.h"
#include "agent/watch.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_stream(const uint8_t *data, size_t size)
{
	struct watch_buf b;
	size_t off = 0;

	watch_buf_init(&b);
	while (off < size) {
		/* Chunks of 1 to 64 bytes: lines split anywhere, as TCP splits them. */
		size_t n = (size_t)(data[off] % 64) + 1;
		const char *line;
		size_t len;

		if (n > size - off)
			n = size - off;
		if (watch_buf_add(&b, data + off, n))
			break;
		off += n;
		while (watch_buf_next(&b, &line, &len)) {
			struct watch_event ev;
			if (memchr(line, '\n', len))
				abort();
			if (!watch_event_parse(&ev, line, len)) {
				if (ev.type != WATCH_ERROR && ev.type != WATCH_BOOKMARK && !ev.name)
					abort();
				if (ev.type == WATCH_BOOKMARK && !ev.rv[0])
					abort();
				watch_event_release(&ev);
			}
			err_clear();
		}
	}
	err_clear();
	watch_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digest[DIGEST_STR_SIZE], plan[DIGEST_STR_SIZE], by[128], object[512];
	char *s, *g, *k, *ns, *name;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0] % 4;
	data++;
	size--;
	if (sel == 0) {
		fuzz_stream(data, size);
		return 0;
	}
	s = xstrndup((const char *)data, size);
	switch (sel) {
	case 1:
		if (!api_approve_body_parse(s, size, digest, plan, by)) {
			if ((digest[0] && !digest_is_valid(digest)) || (plan[0] && !digest_is_valid(plan)) ||
			    (plan[0] && !digest[0]) || strlen(by) > 100)
				abort();
		}
		break;
	case 2:
		if (!api_accept_body_parse(s, size, object) && !object[0])
			abort();
		break;
	case 3:
		if (!plan_object_parse(s, &g, &k, &ns, &name)) {
			if (!*k || !*name || strchr(name, '/') || (ns && strchr(ns, '/')))
				abort();
			free(g);
			free(k);
			free(ns);
			free(name);
		}
		break;
	}
	err_clear();
	free(s);
	return 0;
}
