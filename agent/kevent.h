/*
 * kevent.h - agent events recorded as Kubernetes Events on the objects
 * concerned (kevent.c has the rules), wired in event.c.
 */
#ifndef HOIST_AGENT_KEVENT_H
#define HOIST_AGENT_KEVENT_H

#include "core/compat.h"
#include <time.h>

struct agent;
struct agent_event;
struct strbuf;

#define KEVENT_COMPONENT "hoist-agent"

/*
 * Starts the thread that creates Events (agent_open does; none without an
 * API server configuration), and stops it after sending what is queued.
 */
int kevent_start(struct agent *ag);
void kevent_stop(struct agent *ag);
/* Queues the Event for `ev`; best effort, never fails nor blocks the caller. */
void kevent_post(struct agent *ag, const struct agent_event *ev);

/* The pieces, for the unit tests. */
bool kevent_object_split(const char *object, struct strbuf *kind, struct strbuf *ns,
			 struct strbuf *name);
void kevent_format(struct strbuf *body, const struct agent_event *ev, const char *kind,
		   const char *api_version, const char *ns, const char *name, time_t now,
		   const char *instance);

#endif
