/*
 * watch.c - the watch event stream: lines and events.  See watch.h.
 */
#include "core/compat.h"
#include "agent/watch.h"
#include "model/doc.h"
#include "core/err.h"

int watch_event_parse(struct watch_event *ev, const char *line, size_t len)
{
	static const struct doc_limits lim = { WATCH_LINE_MAX, 64, 1000000, false };
	const struct doc_node *root, *meta;
	const char *type, *rv;
	size_t i;
	int r;

	memset(ev, 0, sizeof(*ev));
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (i == len || line[i] != '{')
		return err_set(ERR_INVALID, "watch: an event is a JSON object");
	r = doc_parse(&ev->doc, line, len, "watch event", &lim);
	if (r)
		goto fail;
	root = ev->doc->ndocs == 1 ? ev->doc->docs[0] : NULL;
	if (!root || root->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "watch: an event is one JSON object");
		goto fail;
	}
	type = doc_get_str(root, "type", NULL);
	ev->object = doc_map_get(root, "object");
	if (!type || !ev->object || ev->object->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "watch: an event has a type and an object");
		goto fail;
	}
	if (!strcmp(type, "ADDED"))
		ev->type = WATCH_ADDED;
	else if (!strcmp(type, "MODIFIED"))
		ev->type = WATCH_MODIFIED;
	else if (!strcmp(type, "DELETED"))
		ev->type = WATCH_DELETED;
	else if (!strcmp(type, "BOOKMARK"))
		ev->type = WATCH_BOOKMARK;
	else if (!strcmp(type, "ERROR"))
		ev->type = WATCH_ERROR;
	else {
		r = err_set(ERR_INVALID, "watch: unknown event type '%.40s'", type);
		goto fail;
	}
	if (ev->type == WATCH_ERROR) {
		const char *code = doc_get_str(ev->object, "code", NULL);
		ev->code = code ? strtol(code, NULL, 10) : 0;
		ev->message = doc_get_str(ev->object, "message", NULL);
		return 0;
	}
	meta = doc_map_get(ev->object, "metadata");
	rv = meta ? doc_get_str(meta, "resourceVersion", NULL) : NULL;
	if (rv) {
		if (strlen(rv) >= sizeof(ev->rv)) {
			r = err_set(ERR_INVALID, "watch: resourceVersion too long");
			goto fail;
		}
		memcpy(ev->rv, rv, strlen(rv) + 1);
	}
	if (ev->type == WATCH_BOOKMARK) {
		if (!ev->rv[0]) {
			r = err_set(ERR_INVALID, "watch: a bookmark without a resourceVersion");
			goto fail;
		}
		return 0;
	}
	ev->name = meta ? doc_get_str(meta, "name", NULL) : NULL;
	ev->ns = meta ? doc_get_str(meta, "namespace", NULL) : NULL;
	if (!ev->name) {
		r = err_set(ERR_INVALID, "watch: an object without metadata.name");
		goto fail;
	}
	if (!ev->ns)
		ev->ns = "";
	return 0;
fail:
	watch_event_release(ev);
	return r;
}

void watch_event_release(struct watch_event *ev)
{
	doc_stream_free(ev->doc);
	memset(ev, 0, sizeof(*ev));
}

void watch_buf_init(struct watch_buf *b)
{
	strbuf_init(&b->sb, 0);
	b->off = 0;
}

void watch_buf_release(struct watch_buf *b)
{
	strbuf_release(&b->sb);
	b->off = 0;
}

int watch_buf_add(struct watch_buf *b, const void *data, size_t len)
{
	/* Drop what was consumed before growing. */
	if (b->off) {
		memmove(b->sb.buf, b->sb.buf + b->off, b->sb.len - b->off);
		strbuf_setlen(&b->sb, b->sb.len - b->off);
		b->off = 0;
	}
	if (b->sb.len + len > WATCH_LINE_MAX)
		return err_set(ERR_TOOBIG, "watch: an event is over %u bytes", WATCH_LINE_MAX);
	return strbuf_add(&b->sb, data, len);
}

bool watch_buf_next(struct watch_buf *b, const char **line, size_t *len)
{
	for (;;) {
		const char *start = b->sb.buf + b->off;
		const char *nl = memchr(start, '\n', b->sb.len - b->off);

		if (!nl)
			return false;
		b->off += (size_t)(nl - start) + 1;
		if (nl == start)
			continue; /* blank lines separate nothing */
		*line = start;
		*len = (size_t)(nl - start);
		return true;
	}
}
