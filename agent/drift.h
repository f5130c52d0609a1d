/*
 * drift.h - live changes to an app's objects, seen within seconds through
 * watches and confirmed by a dry-run apply (agent/drift.c says how).
 *
 * The run loop starts one watcher (one thread) for every app whose `drift`
 * is not `ignore`; it watches the objects each app's last sync recorded
 * (appstate) and follows when a sync changes that set.  Reports go through agent_event
 * (drift-detected, drift-corrected) and the app document (objects[].drift).
 */
#ifndef HOIST_AGENT_DRIFT_H
#define HOIST_AGENT_DRIFT_H

#include "core/compat.h"

struct agent;
struct drift;

/* Starts the watcher of ag's apps (*out NULL when every app has `drift: ignore`). */
int drift_start(struct drift **out, struct agent *ag);
/* Stops it (closes its watches) and frees it; NULL is fine. */
void drift_stop(struct drift *d);
/*
 * Tells the watcher that an app's objects changed (appstate.c, under the
 * agent's lock, which drift_start and drift_stop take to publish and
 * withdraw ag->drift).  NULL: no watcher, nothing to do.
 */
void drift_wake(struct drift *d);

#endif
