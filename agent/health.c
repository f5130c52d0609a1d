/*
 * health.c - kstatus-style health of live objects (rules in health.h).
 */
#include "core/compat.h"
#include "agent/health.h"
#include "model/doc.h"
#include "core/strbuf.h"
#include <inttypes.h>

const char *agent_health_name(enum agent_health h)
{
	switch (h) {
	case HEALTH_HEALTHY: return "Healthy";
	case HEALTH_PROGRESSING: return "Progressing";
	case HEALTH_DEGRADED: return "Degraded";
	case HEALTH_FAILED: return "Failed";
	default: return "Unknown";
	}
}

static int rank(enum agent_health h)
{
	switch (h) {
	case HEALTH_FAILED: return 4;
	case HEALTH_DEGRADED: return 3;
	case HEALTH_PROGRESSING: return 2;
	case HEALTH_UNKNOWN: return 1;
	default: return 0;
	}
}

enum agent_health health_worse(enum agent_health a, enum agent_health b)
{
	return rank(a) >= rank(b) ? a : b;
}

/* An integer field along a path; `def` when missing or not an integer. */
static int64_t geti(const struct doc_node *n, int64_t def, const char *a, const char *b,
		    const char *c)
{
	const char *keys[3] = { a, b, c };
	struct doc_value v;
	size_t i;

	for (i = 0; i < 3 && keys[i] && n; i++)
		n = n->kind == DOC_MAP ? doc_map_get(n, keys[i]) : NULL;
	if (!n || n->kind != DOC_SCALAR || doc_resolve(n, &v) || v.type != DOC_T_INT)
		return def;
	return v.i;
}

/* The first of a, b, c that is not NULL. */
static const char *or3(const char *a, const char *b, const char *c)
{
	return a ? a : b ? b : c;
}

static const char *gets(const struct doc_node *n, const char *a, const char *b, const char *c)
{
	const char *keys[3] = { a, b, c };
	size_t i;

	for (i = 0; i < 3 && keys[i] && n; i++)
		n = n->kind == DOC_MAP ? doc_map_get(n, keys[i]) : NULL;
	return n ? doc_str(n) : NULL;
}

/* The condition of `type` in status.conditions, or NULL. */
static const struct doc_node *condition(const struct doc_node *obj, const char *type)
{
	const struct doc_node *st = doc_map_get(obj, "status");
	const struct doc_node *cs = st && st->kind == DOC_MAP ? doc_map_get(st, "conditions") : NULL;
	size_t i;

	if (!cs || cs->kind != DOC_SEQ)
		return NULL;
	for (i = 0; i < cs->n; i++) {
		const char *t = doc_get_str(cs->kids[i], "type", NULL);
		if (t && !strcmp(t, type))
			return cs->kids[i];
	}
	return NULL;
}

static bool cond_is(const struct doc_node *obj, const char *type, const char *status)
{
	const struct doc_node *c = condition(obj, type);
	const char *s = c ? doc_get_str(c, "status", NULL) : NULL;

	return s && !strcmp(s, status);
}

static const char *cond_field(const struct doc_node *obj, const char *type, const char *field)
{
	const struct doc_node *c = condition(obj, type);

	return c ? doc_get_str(c, field, NULL) : NULL;
}

static enum agent_health say(struct strbuf *reason, const char *who, enum agent_health h,
			     const char *fmt, ...) PRINTF_LIKE(4, 5);
static enum agent_health say(struct strbuf *reason, const char *who, enum agent_health h,
			     const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(reason);
	strbuf_addf(reason, "%s: ", who);
	va_start(ap, fmt);
	strbuf_vaddf(reason, fmt, ap);
	va_end(ap);
	return h;
}

static enum agent_health deployment(const struct doc_node *o, const char *who, struct strbuf *r)
{
	int64_t spec = geti(o, 1, "spec", "replicas", NULL);
	int64_t replicas = geti(o, 0, "status", "replicas", NULL);
	int64_t updated = geti(o, 0, "status", "updatedReplicas", NULL);
	int64_t ready = geti(o, 0, "status", "readyReplicas", NULL);
	int64_t avail = geti(o, 0, "status", "availableReplicas", NULL);
	const char *why = cond_field(o, "Progressing", "reason");

	if (cond_is(o, "Progressing", "False") && why && !strcmp(why, "ProgressDeadlineExceeded"))
		return say(r, who, HEALTH_FAILED, "progress deadline exceeded");
	if (cond_is(o, "ReplicaFailure", "True"))
		return say(r, who, HEALTH_DEGRADED, "replica failure: %s",
			   or3(cond_field(o, "ReplicaFailure", "message"), NULL, "no reason given"));
	if (spec > replicas)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas exist",
			   replicas, spec);
	if (updated < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas updated",
			   updated, spec);
	if (replicas > updated)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " old replicas pending termination",
			   replicas - updated);
	if (avail < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas available",
			   avail, spec);
	if (ready < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas ready",
			   ready, spec);
	if (cond_is(o, "Available", "False"))
		return say(r, who, HEALTH_PROGRESSING, "not available");
	return HEALTH_HEALTHY;
}

static enum agent_health statefulset(const struct doc_node *o, const char *who, struct strbuf *r)
{
	int64_t spec = geti(o, 1, "spec", "replicas", NULL);
	int64_t ready = geti(o, 0, "status", "readyReplicas", NULL);
	int64_t current = geti(o, 0, "status", "currentReplicas", NULL);
	int64_t updated = geti(o, 0, "status", "updatedReplicas", NULL);
	int64_t partition;
	const char *strategy = gets(o, "spec", "updateStrategy", "type");
	const char *cur = gets(o, "status", "currentRevision", NULL);
	const char *upd = gets(o, "status", "updateRevision", NULL);
	const struct doc_node *ru = doc_map_get(o, "spec");

	ru = ru && ru->kind == DOC_MAP ? doc_map_get(ru, "updateStrategy") : NULL;
	ru = ru && ru->kind == DOC_MAP ? doc_map_get(ru, "rollingUpdate") : NULL;
	partition = ru ? geti(ru, 0, "partition", NULL, NULL) : 0;
	if (strategy && !strcmp(strategy, "OnDelete"))
		return HEALTH_HEALTHY; /* kstatus: an OnDelete set is never waited for */
	if (ready < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas ready",
			   ready, spec);
	if (partition > 0) {
		if (updated < spec - partition)
			return say(r, who, HEALTH_PROGRESSING,
				   "%" PRId64 " of %" PRId64 " partitioned replicas updated", updated,
				   spec - partition);
		return HEALTH_HEALTHY;
	}
	if (current < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas current",
			   current, spec);
	if (cur && upd && strcmp(cur, upd))
		return say(r, who, HEALTH_PROGRESSING, "rolling out revision %s", upd);
	return HEALTH_HEALTHY;
}

static enum agent_health daemonset(const struct doc_node *o, const char *who, struct strbuf *r)
{
	int64_t desired = geti(o, -1, "status", "desiredNumberScheduled", NULL);
	int64_t sched = geti(o, 0, "status", "currentNumberScheduled", NULL);
	int64_t updated = geti(o, 0, "status", "updatedNumberScheduled", NULL);
	int64_t avail = geti(o, 0, "status", "numberAvailable", NULL);
	int64_t ready = geti(o, 0, "status", "numberReady", NULL);

	if (desired < 0)
		return say(r, who, HEALTH_PROGRESSING, "no status yet");
	if (sched < desired)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " pods scheduled",
			   sched, desired);
	if (updated < desired)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " pods updated",
			   updated, desired);
	if (avail < desired)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " pods available",
			   avail, desired);
	if (ready < desired)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " pods ready",
			   ready, desired);
	return HEALTH_HEALTHY;
}

static enum agent_health replicaset(const struct doc_node *o, const char *who, struct strbuf *r)
{
	int64_t spec = geti(o, 1, "spec", "replicas", NULL);
	int64_t labeled = geti(o, 0, "status", "fullyLabeledReplicas", NULL);
	int64_t avail = geti(o, 0, "status", "availableReplicas", NULL);
	int64_t ready = geti(o, 0, "status", "readyReplicas", NULL);

	if (cond_is(o, "ReplicaFailure", "True"))
		return say(r, who, HEALTH_DEGRADED, "replica failure: %s",
			   or3(cond_field(o, "ReplicaFailure", "message"), NULL, "no reason given"));
	if (labeled < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas labeled",
			   labeled, spec);
	if (avail < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas available",
			   avail, spec);
	if (ready < spec)
		return say(r, who, HEALTH_PROGRESSING, "%" PRId64 " of %" PRId64 " replicas ready",
			   ready, spec);
	return HEALTH_HEALTHY;
}

static enum agent_health job(const struct doc_node *o, const char *who, struct strbuf *r)
{
	if (cond_is(o, "Complete", "True"))
		return HEALTH_HEALTHY;
	if (cond_is(o, "Failed", "True"))
		return say(r, who, HEALTH_FAILED, "job failed: %s",
			   or3(cond_field(o, "Failed", "message"), cond_field(o, "Failed", "reason"),
			       "no reason given"));
	if (!gets(o, "status", "startTime", NULL))
		return say(r, who, HEALTH_PROGRESSING, "job not started");
	return HEALTH_HEALTHY;
}

static enum agent_health pod(const struct doc_node *o, const char *who, struct strbuf *r)
{
	const char *phase = gets(o, "status", "phase", NULL);
	const struct doc_node *st = doc_map_get(o, "status");
	const struct doc_node *cs = st && st->kind == DOC_MAP ? doc_map_get(st, "containerStatuses") : NULL;
	size_t i;

	if (phase && !strcmp(phase, "Succeeded"))
		return HEALTH_HEALTHY;
	if (phase && !strcmp(phase, "Failed"))
		return say(r, who, HEALTH_FAILED, "pod failed%s%s",
			   gets(o, "status", "message", NULL) ? ": " : "",
			   or3(gets(o, "status", "message", NULL), NULL, ""));
	for (i = 0; cs && cs->kind == DOC_SEQ && i < cs->n; i++) {
		const char *why = gets(cs->kids[i], "state", "waiting", "reason");
		if (why && (!strcmp(why, "CrashLoopBackOff") || !strcmp(why, "ImagePullBackOff") ||
			    !strcmp(why, "ErrImagePull") || !strcmp(why, "CreateContainerConfigError") ||
			    !strcmp(why, "InvalidImageName")))
			return say(r, who, HEALTH_DEGRADED, "container %s: %s",
				   or3(doc_get_str(cs->kids[i], "name", NULL), NULL, "?"), why);
	}
	if (phase && !strcmp(phase, "Running") && cond_is(o, "Ready", "True"))
		return HEALTH_HEALTHY;
	return say(r, who, HEALTH_PROGRESSING, "pod %s, not ready", phase ? phase : "pending");
}

static enum agent_health generic(const struct doc_node *o, const char *who, struct strbuf *r)
{
	const char *why;

	if (cond_is(o, "Stalled", "True"))
		return say(r, who, HEALTH_FAILED, "stalled: %s",
			   or3(cond_field(o, "Stalled", "message"), cond_field(o, "Stalled", "reason"),
			       "no reason given"));
	if (cond_is(o, "Reconciling", "True"))
		return say(r, who, HEALTH_PROGRESSING, "reconciling: %s",
			   or3(cond_field(o, "Reconciling", "message"), NULL, "no message"));
	if (cond_is(o, "Ready", "False")) {
		why = cond_field(o, "Ready", "reason");
		/* A reason that says it failed is worse than "not yet". */
		return say(r, who, why && strstr(why, "Fail") ? HEALTH_DEGRADED : HEALTH_PROGRESSING,
			   "not ready: %s",
			   or3(cond_field(o, "Ready", "message"), why, "no reason given"));
	}
	return HEALTH_HEALTHY;
}

bool health_by_status_only(const char *api_version, const char *kind)
{
	static const char *const ruled[][2] = {
		{ "apps/v1", "Deployment" }, { "apps/v1", "StatefulSet" }, { "apps/v1", "DaemonSet" },
		{ "apps/v1", "ReplicaSet" }, { "batch/v1", "Job" }, { "v1", "PersistentVolumeClaim" },
		{ "v1", "Pod" }, { "v1", "Service" }, { "policy/v1", "PodDisruptionBudget" },
	};
	size_t i;

	if (!strcmp(kind, "CustomResourceDefinition") && !strncmp(api_version, "apiextensions.k8s.io/", 21))
		return false;
	for (i = 0; i < sizeof(ruled) / sizeof(ruled[0]); i++)
		if (!strcmp(api_version, ruled[i][0]) && !strcmp(kind, ruled[i][1]))
			return false;
	return true;
}

enum agent_health health_check(const struct doc_node *o, struct strbuf *reason)
{
	const char *kind = doc_get_str(o, "kind", NULL);
	const char *api = doc_get_str(o, "apiVersion", NULL);
	const char *name = gets(o, "metadata", "name", NULL);
	const char *ns = gets(o, "metadata", "namespace", NULL);
	const char *type;
	struct strbuf who = STRBUF_INIT;
	int64_t gen, obs;
	enum agent_health h = HEALTH_HEALTHY;
	bool core = api && !strcmp(api, "v1"), apps = api && !strcmp(api, "apps/v1");

	strbuf_reset(reason);
	strbuf_addf(&who, "%s %s%s%s", kind ? kind : "object", ns && *ns ? ns : "",
		    ns && *ns ? "/" : "", name ? name : "?");
	if (o->kind != DOC_MAP || !kind) {
		h = say(reason, who.buf, HEALTH_UNKNOWN, "not an object");
		goto out;
	}
	/* Status that describes an older spec says nothing yet. */
	gen = geti(o, -1, "metadata", "generation", NULL);
	obs = geti(o, -1, "status", "observedGeneration", NULL);
	if (gen >= 0 && obs >= 0 && obs < gen) {
		h = say(reason, who.buf, HEALTH_PROGRESSING,
			"generation %" PRId64 " not observed yet (at %" PRId64 ")", gen, obs);
		goto out;
	}
	h = generic(o, who.buf, reason);
	if (h == HEALTH_FAILED)
		goto out;
	if (apps && !strcmp(kind, "Deployment"))
		h = health_worse(h, deployment(o, who.buf, reason));
	else if (apps && !strcmp(kind, "StatefulSet"))
		h = health_worse(h, statefulset(o, who.buf, reason));
	else if (apps && !strcmp(kind, "DaemonSet"))
		h = health_worse(h, daemonset(o, who.buf, reason));
	else if (apps && !strcmp(kind, "ReplicaSet"))
		h = health_worse(h, replicaset(o, who.buf, reason));
	else if (api && !strcmp(api, "batch/v1") && !strcmp(kind, "Job"))
		h = health_worse(h, job(o, who.buf, reason));
	else if (core && !strcmp(kind, "PersistentVolumeClaim")) {
		const char *phase = gets(o, "status", "phase", NULL);
		if (!phase || strcmp(phase, "Bound"))
			h = say(reason, who.buf, HEALTH_PROGRESSING, "claim %s, not bound",
				phase ? phase : "pending");
	} else if (core && !strcmp(kind, "Pod")) {
		h = health_worse(h, pod(o, who.buf, reason));
	} else if (api && !strcmp(api, "policy/v1") && !strcmp(kind, "PodDisruptionBudget")) {
		int64_t cur = geti(o, 0, "status", "currentHealthy", NULL);
		int64_t want = geti(o, 0, "status", "desiredHealthy", NULL);
		if (!doc_map_get(o, "status") || cur < want)
			h = say(reason, who.buf, HEALTH_PROGRESSING,
				"budget not met: %" PRId64 " of %" PRId64 " pods healthy", cur, want);
	} else if (api && !strncmp(api, "apiextensions.k8s.io/", 21) &&
		   !strcmp(kind, "CustomResourceDefinition")) {
		if (cond_is(o, "NamesAccepted", "False"))
			h = say(reason, who.buf, HEALTH_FAILED, "names not accepted: %s",
				or3(cond_field(o, "NamesAccepted", "message"), NULL, "no reason given"));
		else if (!cond_is(o, "Established", "True"))
			h = say(reason, who.buf, HEALTH_PROGRESSING, "not established yet");
	} else if (core && !strcmp(kind, "Service") && (type = gets(o, "spec", "type", NULL)) &&
		   !strcmp(type, "LoadBalancer")) {
		const struct doc_node *st = doc_map_get(o, "status");
		const struct doc_node *lb = st && st->kind == DOC_MAP ? doc_map_get(st, "loadBalancer") : NULL;
		const struct doc_node *in = lb && lb->kind == DOC_MAP ? doc_map_get(lb, "ingress") : NULL;
		if (!in || in->kind != DOC_SEQ || !in->n)
			h = say(reason, who.buf, HEALTH_PROGRESSING, "load balancer has no address yet");
	}
out:
	if (h == HEALTH_HEALTHY)
		strbuf_reset(reason);
	strbuf_release(&who);
	return h;
}
