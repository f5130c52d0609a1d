/*
 * watch.h - the event stream of a Kubernetes watch, as the drift detector
 * reads it (agent/drift.c).
 *
 * A watch (GET COLLECTION?watch=1&resourceVersion=RV&allowWatchBookmarks=
 * true) answers with one JSON object per line: {"type":"ADDED"|"MODIFIED"|
 * "DELETED"|"BOOKMARK"|"ERROR","object":{...}}.  BOOKMARK objects carry
 * only metadata.resourceVersion; ERROR objects are a Status (code 410
 * Gone when the resourceVersion is too old: list again).  The stream is
 * untrusted: lines are bounded (WATCH_LINE_MAX), and each is parsed under
 * the reply limits.  Kept free of libcurl so the fuzz target
 * (tests/fuzz/fuzz-agent-watch.c) drives exactly this code.
 */
#ifndef HOIST_AGENT_WATCH_H
#define HOIST_AGENT_WATCH_H

#include "core/compat.h"
#include "core/strbuf.h"

struct doc_stream;
struct doc_node;

#define WATCH_LINE_MAX (8u << 20) /* one event: one object, as KUBE_REPLY_MAX */

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED, WATCH_BOOKMARK, WATCH_ERROR };

struct watch_event {
	enum watch_type type;
	char rv[64];          /* metadata.resourceVersion ("" when absent) */
	const char *ns, *name; /* the object's (borrowed from `doc`); ns "" cluster-scoped */
	long code;            /* ERROR: the Status code (410: expired) */
	const char *message;  /* ERROR: the Status message, may be NULL */
	const struct doc_node *object; /* borrowed from `doc` */
	struct doc_stream *doc; /* owned: free with watch_event_release */
};

/* Parses one line.  ERR_INVALID for anything that is not a watch event. */
int watch_event_parse(struct watch_event *ev, const char *line, size_t len);
void watch_event_release(struct watch_event *ev);

/*
 * Splits a stream into lines: append what arrives with watch_buf_add,
 * then take complete lines with watch_buf_next (true while there is one;
 * `line` points into the buffer until the next call).  ERR_TOOBIG when a
 * line grows past WATCH_LINE_MAX.
 */
struct watch_buf {
	struct strbuf sb;
	size_t off; /* start of the unconsumed part */
};
void watch_buf_init(struct watch_buf *b);
void watch_buf_release(struct watch_buf *b);
int watch_buf_add(struct watch_buf *b, const void *data, size_t len);
bool watch_buf_next(struct watch_buf *b, const char **line, size_t *len);

#endif
