/*
 * event.h - what happened to an app, as one value every consumer shares.
 *
 * A sync, a drift check or an approval reports each event once through
 * agent_event(); it is logged as one JSON line (agent_log) and handed to
 * every consumer wired in event.c: the notification queue (receivers of
 * agent.yaml `notify:`), Kubernetes Events on the object concerned, and
 * the status the web page and API serve.  Producers never call those
 * consumers directly, so adding one does not touch sync.c.
 *
 * The event names are part of the interface (agent.yaml `events:` filters,
 * the webhook's `event` field and X-Hoist-Event header): keep them.
 */
#ifndef HOIST_AGENT_EVENT_H
#define HOIST_AGENT_EVENT_H

#include "core/compat.h"

struct agent;
struct agent_app;

enum agent_event_type {
	EVENT_SYNC_STARTED = 0, /* "sync-started" */
	EVENT_SYNC_SUCCEEDED,   /* "sync-succeeded": applied and healthy */
	EVENT_SYNC_FAILED,      /* "sync-failed" */
	EVENT_HEALTH_DEGRADED,  /* "health-degraded": was Healthy (or unknown), is not */
	EVENT_HEALTH_RECOVERED, /* "health-recovered": was not Healthy, is */
	EVENT_DRIFT_DETECTED,   /* "drift-detected": a live change to fields we own */
	EVENT_DRIFT_CORRECTED,  /* "drift-corrected": re-applied */
	EVENT_APPROVAL_NEEDED,  /* "approval-needed": a manual app has a plan */
	EVENT_PRUNED,           /* "pruned": an object was deleted by prune */
	EVENT__COUNT
};

/* One event.  Strings are borrowed for the call; NULL where not known. */
struct agent_event {
	enum agent_event_type type;
	const char *app;
	const char *digest;   /* the artifact concerned: "sha256:..." */
	const char *revision; /* the commit it was rendered from */
	const char *object;   /* "KIND NAMESPACE/NAME" or "KIND NAME" for one object */
	const char *message;  /* one line for people; may be NULL when `object` is set */
};

/* "sync-started", ...; NULL for an out-of-range value. */
const char *agent_event_name(enum agent_event_type t);
/* The type named `name`; -1 when none is. */
int agent_event_parse(const char *name);

/*
 * Reports `ev`: logs it (level "error" for sync-failed, "warn" for
 * health-degraded and drift-detected, else "info") and hands it to every
 * consumer.  Never fails the caller: a consumer that cannot take the event
 * logs why.  Safe from any thread.
 */
void agent_event(struct agent *ag, const struct agent_event *ev);

#endif
