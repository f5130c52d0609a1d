/*
 * metrics.h - the agent's Prometheus metrics, served at GET /metrics in the
 * text exposition format 0.0.4 (docs/api.md lists every name and label).
 *
 * Producers record with lock-free atomic updates from any thread:
 * agent_status_record() records each finished sync (duration, result),
 * kube.c each API call (verb, HTTP code).  Gauges that describe the
 * current state (objects, drifted objects per app) are read at scrape time
 * from the status document GET /v1/status serves, so /metrics and the API
 * never disagree.
 */
#ifndef HOIST_AGENT_METRICS_H
#define HOIST_AGENT_METRICS_H

#include "core/compat.h"
#include <time.h>

struct strbuf;

/*
 * Sizes the per-app tables for `napps` apps named `names` (borrowed for the
 * life of the process, as the config keeps them).  Called once by
 * agent_open; recording for an index out of range is ignored.
 */
void metrics_init(size_t napps, const char *const *names);

/* One finished sync of app `index`: its result name ("ok", err_name()) and duration. */
void metrics_sync(size_t index, const char *result, double seconds);

/* One call to the Kubernetes API: its method and HTTP status (0: no answer). */
void metrics_kube_call(const char *verb, long code);

/*
 * The exposition text.  `status_json` is GET /v1/status's document (the
 * per-app gauges come from it; NULL: none); `queue_depth` the notification
 * queue's length, or -1 when there is no queue (the metric is left out).
 */
void metrics_render(struct strbuf *out, const char *status_json, size_t len, long queue_depth);

#endif
