/*
 * fuzz-agent-notify.c - the notification queue's file parser.
 *
 * A queue file in stateDir/notify/RECEIVER/ is read back after a restart;
 * the disk may hold anything.  Whatever notify_rec_parse() accepts must
 * format and parse back to the same record, and every payload built from it
 * must be valid to send (no crash, bounded).
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/notify.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "hook", wh[] = "webhook", sl[] = "slack", gh[] = "github",
		    gl[] = "gitlab", url[] = "https://example.invalid/x", ctx[] = "hoist",
		    repo[] = "acme/web", proj[] = "acme/web";
	struct agent_notify rc[4] = {
		{ .name = name, .type = wh, .url = url },
		{ .name = name, .type = sl, .url = url },
		{ .name = name, .type = gh, .url = url, .repository = repo, .context = ctx },
		{ .name = name, .type = gl, .url = url, .project = proj, .context = ctx },
	};
	struct notify_rec r, back;
	struct strbuf sb = STRBUF_INIT, u = STRBUF_INIT;
	size_t i;

	if (notify_rec_parse(&r, (const char *)data, size, "fuzz")) {
		err_clear();
		return 0;
	}
	notify_rec_format(&sb, &r);
	if (notify_rec_parse(&back, sb.buf, sb.len, "again"))
		abort();
	if (back.seq != r.seq || back.time != r.time || !same(back.event, r.event) ||
	    !same(back.app, r.app) || !same(back.digest, r.digest) ||
	    !same(back.revision, r.revision) || !same(back.object, r.object) ||
	    !same(back.message, r.message))
		abort();
	for (i = 0; i < ARRAY_SIZE(rc); i++) {
		strbuf_reset(&sb);
		strbuf_reset(&u);
		if (!notify_payload(&rc[i], &r, &u, &sb) && (!sb.len || !u.len))
			abort();
		err_clear();
	}
	notify_rec_release(&r);
	notify_rec_release(&back);
	strbuf_release(&sb);
	strbuf_release(&u);
	return 0;
}
