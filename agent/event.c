/*
 * event.c - one place where events are named, logged and handed on.  See
 * event.h.
 */
#include "core/compat.h"
#include "agent/event.h"
#include "agent/agent.h"
#include "agent/kevent.h"
#include "agent/notify.h"

static const char *const event_names[EVENT__COUNT] = {
	[EVENT_SYNC_STARTED] = "sync-started",
	[EVENT_SYNC_SUCCEEDED] = "sync-succeeded",
	[EVENT_SYNC_FAILED] = "sync-failed",
	[EVENT_HEALTH_DEGRADED] = "health-degraded",
	[EVENT_HEALTH_RECOVERED] = "health-recovered",
	[EVENT_DRIFT_DETECTED] = "drift-detected",
	[EVENT_DRIFT_CORRECTED] = "drift-corrected",
	[EVENT_APPROVAL_NEEDED] = "approval-needed",
	[EVENT_PRUNED] = "pruned",
};

const char *agent_event_name(enum agent_event_type t)
{
	if ((int)t < 0 || t >= EVENT__COUNT)
		return NULL;
	return event_names[t];
}

int agent_event_parse(const char *name)
{
	for (int i = 0; i < EVENT__COUNT; i++)
		if (!strcmp(event_names[i], name))
			return i;
	return -1;
}

static const char *event_level(enum agent_event_type t)
{
	switch (t) {
	case EVENT_SYNC_FAILED:
		return "error";
	case EVENT_HEALTH_DEGRADED:
	case EVENT_DRIFT_DETECTED:
		return "warn";
	default:
		return "info";
	}
}

void agent_event(struct agent *ag, const struct agent_event *ev)
{
	if (ev->object && !ev->message)
		agent_log(event_level(ev->type), ev->app, ev->digest, ev->revision,
			  agent_event_name(ev->type), "%s", ev->object);
	else if (ev->object)
		agent_log(event_level(ev->type), ev->app, ev->digest, ev->revision,
			  agent_event_name(ev->type), "%s: %s", ev->object,
			  ev->message ? ev->message : "");
	else
		agent_log(event_level(ev->type), ev->app, ev->digest, ev->revision,
			  agent_event_name(ev->type), "%s", ev->message ? ev->message : "");
	if (ag) {
		notify_event(ag, ev);
		kevent_post(ag, ev);
	}
}
