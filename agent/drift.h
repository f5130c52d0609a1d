/*
 * drift.h - live changes to an app's objects, seen within seconds through
 * watches and confirmed by a dry-run apply (agent/drift.c says how).
 *
 * The run loop starts one watcher per app whose `drift` is not `ignore`;
 * it watches the objects the app's last sync recorded (appstate) and
 * follows when a sync changes that set.  Reports go through agent_event
 * (drift-detected, drift-corrected) and the app document (objects[].drift).
 */
#ifndef HOIST_AGENT_DRIFT_H
#define HOIST_AGENT_DRIFT_H

#include "core/compat.h"

struct agent;
struct agent_app;
struct drift;

/* Starts the app's watcher (*out NULL for `drift: ignore`). */
int drift_start(struct drift **out, struct agent *ag, const struct agent_app *app);
/* Stops it (closes its watches) and frees it; NULL is fine. */
void drift_stop(struct drift *d);

#endif
