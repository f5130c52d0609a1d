/*
 * notify.h - notifications: events handed to the receivers of agent.yaml
 * `notify:` (webhook, Slack, GitHub and GitLab commit statuses) through a
 * bounded queue on disk, one per receiver.  docs/notifications.md has the
 * payloads and how a receiver checks a webhook's signature.
 *
 * The queue (stateDir/notify/RECEIVER/):
 *   00000000000000000042.ev   one file per event, named by its sequence
 *                             number, written to a temporary name, fsynced
 *                             and renamed into place (so a crash leaves
 *                             either the whole event or none)
 *   delivered                 the highest sequence number delivered (or
 *                             given up), replaced atomically after each
 * On open, files at or below `delivered` are removed (delivered just before
 * a crash), so a restart does not resend what was delivered; one that was
 * delivered but not yet recorded when the agent died is sent again (at least
 * once: receivers deduplicate on the `id` field / X-Hoist-Delivery).
 * When the queue holds its bound (`queueMax`), the oldest event is dropped,
 * logged with its sequence, event and app, and counted.
 *
 * Delivery: one thread per receiver sends the oldest event, in order; a
 * connection failure, 408, 429 or 5xx is retried with exponential backoff
 * (1 s doubling up to `maxBackoff`, full jitter) or the receiver's
 * Retry-After; any other answer is final (2xx delivered, else logged and
 * given up, so one bad event cannot stop the queue).
 */
#ifndef HOIST_AGENT_NOTIFY_H
#define HOIST_AGENT_NOTIFY_H

#include "core/compat.h"
#include "core/strbuf.h"
#include <stdint.h>
#include <time.h>

struct agent;
struct agent_notify;
struct agent_event;

/*
 * Opens the queues of every receiver of ag->cfg.notify (creating
 * stateDir/notify/NAME/), sets ag->notify (NULL when there is none); no
 * thread yet, so `hoist-agent status` may open an agent without sending.
 */
int notify_open(struct agent *ag);
/* Starts one delivery thread per receiver. */
int notify_start(struct agent *ag);
/*
 * Stops the threads: waits up to `drain_ms` for the queues to empty (0:
 * stops at once; what is left stays queued for the next start), then
 * frees everything.  Called by agent_free with 0.
 */
void notify_close(struct agent *ag, long drain_ms);
/* How long `hoist-agent sync --once` waits for its events to be delivered. */
#define NOTIFY_DRAIN_MS 10000
/* Queues `ev` for every receiver whose `events` take it (event.c). */
void notify_event(struct agent *ag, const struct agent_event *ev);
/* Events queued and not delivered, over every receiver (metrics). */
size_t notify_queue_depth(struct agent *ag);
/* Events dropped because a queue was full, since the agent started. */
uint64_t notify_dropped(struct agent *ag);

/* --- the pieces, exposed for the unit tests and the fuzz target --- */

/* One queued event, as stored in its file.  Owned strings, NULL when absent. */
struct notify_rec {
	uint64_t seq;
	char *event, *app, *digest, *revision, *object, *message;
	time_t time; /* when it happened (Unix seconds) */
};
void notify_rec_release(struct notify_rec *r);
/* The file's text: one JSON object. */
void notify_rec_format(struct strbuf *out, const struct notify_rec *r);
/*
 * Parses a queue file (untrusted: the disk may be damaged): a JSON object
 * with "seq" and "time" numbers and "event" a known event name; strings
 * bounded.  ERR_INVALID with the reason.
 */
int notify_rec_parse(struct notify_rec *r, const char *buf, size_t len, const char *what);

/*
 * The webhook signature: "sha256=" + hex HMAC-SHA256 with `key` over
 * `timestamp` "." `body`.  `out` holds 7 + 64 + 1 bytes.
 */
#define NOTIFY_SIG_SIZE 72
int notify_sign(char out[NOTIFY_SIG_SIZE], const void *key, size_t keylen, const char *timestamp,
		const void *body, size_t body_len);

/*
 * What is sent to receiver `rc` for `r`: the URL and the JSON body.
 * ERR_NOTFOUND when this receiver has nothing to send for it (a commit
 * status for an event without a revision, or one that maps to no state).
 */
int notify_payload(const struct agent_notify *rc, const struct notify_rec *r, struct strbuf *url,
		   struct strbuf *body);

/* The on-disk queue; not locked (notify.c holds its lock around calls). */
struct nqueue;
int nqueue_open(struct nqueue **out, const char *dir, size_t max);
void nqueue_close(struct nqueue *q);
/*
 * Appends a record (`make` formats it once its sequence is known).  When
 * the queue is full, the oldest is removed first: *dropped (may be NULL)
 * gets its text and the function returns 1; else 0, or an error.
 */
int nqueue_push(struct nqueue *q, void (*make)(struct strbuf *, uint64_t, void *), void *arg,
		uint64_t *seq, struct strbuf *dropped);
/* The oldest record not acknowledged: its sequence and text; ERR_NOTFOUND when empty. */
int nqueue_peek(struct nqueue *q, uint64_t *seq, struct strbuf *text);
/* Records `seq` delivered (durably) and removes its file. */
int nqueue_ack(struct nqueue *q, uint64_t seq);
size_t nqueue_depth(const struct nqueue *q);
uint64_t nqueue_delivered(const struct nqueue *q);

#endif
