/*
 * kevent.c - Kubernetes Events on the objects concerned, the consumer of
 * agent events that `kubectl describe` and `kubectl get events` show.
 *
 * An event about one object (pruned, drift) is recorded on that object; an
 * event about the whole app (sync, health, approval) on the app's inventory
 * ConfigMap, the one object that stands for the app in the cluster.  Events
 * are core/v1 Events (what `kubectl describe` lists), created with
 * generateName in the object's namespace ("default" for cluster-scoped
 * objects, as Kubernetes' own controllers do), type Warning for
 * sync-failed, health-degraded and drift-detected, Normal otherwise,
 * reported by the component "hoist-agent".
 *
 * Best effort: a failure is logged at debug level and never fails the sync
 * (RBAC may well not allow creating events).
 */
#include "core/compat.h"
#include "agent/kevent.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/inventory.h"
#include "agent/kube.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strbuf.h"
#include <time.h>
#include <unistd.h>

#define KEVENT_MESSAGE_MAX 1024 /* events.k8s.io/v1 note's limit; core/v1 follows it here */

/* "sync-failed" -> "SyncFailed": the reason, UpperCamelCase as Kubernetes writes reasons. */
static void reason_of(struct strbuf *out, const char *name)
{
	bool up = true;

	for (; *name; name++) {
		if (*name == '-') {
			up = true;
			continue;
		}
		strbuf_addch(out, up && *name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name);
		up = false;
	}
}

/*
 * Splits "KIND NAMESPACE/NAME" or "KIND NAME" (what producers write in
 * agent_event.object).  false when it is neither.
 */
bool kevent_object_split(const char *object, struct strbuf *kind, struct strbuf *ns,
			 struct strbuf *name)
{
	const char *sp = strchr(object, ' '), *rest, *slash;

	if (!sp || sp == object || !sp[1])
		return false;
	strbuf_add(kind, object, (size_t)(sp - object));
	rest = sp + 1;
	slash = strchr(rest, '/');
	if (slash) {
		if (slash == rest || !slash[1] || strchr(slash + 1, '/'))
			return false;
		strbuf_add(ns, rest, (size_t)(slash - rest));
		strbuf_addstr(name, slash + 1);
	} else {
		strbuf_addstr(name, rest);
	}
	return !strchr(name->buf, ' ');
}

static void add_cut(struct strbuf *out, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	strbuf_add_json_str(out, s, n);
}

void kevent_format(struct strbuf *body, const struct agent_event *ev, const char *kind,
		   const char *api_version, const char *ns, const char *name, time_t now,
		   const char *instance)
{
	struct strbuf reason = STRBUF_INIT, msg = STRBUF_INIT, gen = STRBUF_INIT;
	char when[64];
	struct tm tm;
	bool warn = ev->type == EVENT_SYNC_FAILED || ev->type == EVENT_HEALTH_DEGRADED ||
		    ev->type == EVENT_DRIFT_DETECTED;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	reason_of(&reason, agent_event_name(ev->type));
	strbuf_addstr(&msg, ev->message ? ev->message : agent_event_name(ev->type));
	if (ev->digest && *ev->digest)
		strbuf_addf(&msg, " (%s)", ev->digest);
	/* NAME plus a dot, as kubectl's event recorder names events; the server adds the rest. */
	strbuf_add(&gen, name, strlen(name) > 200 ? 200 : strlen(name));
	strbuf_addch(&gen, '.');
	strbuf_addstr(body, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"generateName\":");
	strbuf_add_json_str(body, gen.buf, gen.len);
	strbuf_addstr(body, ",\"namespace\":");
	strbuf_add_json_str(body, ns, strlen(ns));
	strbuf_addstr(body, "},\"involvedObject\":{\"kind\":");
	strbuf_add_json_str(body, kind, strlen(kind));
	if (api_version) {
		strbuf_addstr(body, ",\"apiVersion\":");
		strbuf_add_json_str(body, api_version, strlen(api_version));
	}
	strbuf_addstr(body, ",\"namespace\":");
	strbuf_add_json_str(body, ns, strlen(ns));
	strbuf_addstr(body, ",\"name\":");
	strbuf_add_json_str(body, name, strlen(name));
	strbuf_addstr(body, "},\"reason\":");
	strbuf_add_json_str(body, reason.buf, reason.len);
	strbuf_addstr(body, ",\"message\":");
	add_cut(body, msg.buf, KEVENT_MESSAGE_MAX);
	strbuf_addf(body, ",\"type\":\"%s\",\"source\":{\"component\":\"%s\"},"
			  "\"reportingComponent\":\"%s\",\"reportingInstance\":",
		    warn ? "Warning" : "Normal", KEVENT_COMPONENT, KEVENT_COMPONENT);
	strbuf_add_json_str(body, instance, strlen(instance));
	strbuf_addf(body, ",\"firstTimestamp\":\"%s\",\"lastTimestamp\":\"%s\",\"count\":1}", when,
		    when);
	strbuf_release(&reason);
	strbuf_release(&msg);
	strbuf_release(&gen);
}

void kevent_post(struct agent *ag, const struct agent_event *ev)
{
	struct strbuf kind = STRBUF_INIT, ns = STRBUF_INIT, name = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT;
	const char *api_version = NULL;
	char host[256] = "hoist-agent";
	struct kube *k = NULL;
	struct kube_req req;

	if (!ag || !ag->kube || !ev->app)
		return;
	if (ev->object) {
		if (!kevent_object_split(ev->object, &kind, &ns, &name))
			goto out;
		if (!ns.len)
			strbuf_addstr(&ns, "default"); /* cluster-scoped: events go to default */
	} else {
		strbuf_addstr(&kind, "ConfigMap");
		api_version = "v1";
		strbuf_addstr(&ns, ag->cfg.namespace);
		strbuf_addf(&name, INVENTORY_PREFIX "%s", ev->app);
	}
	gethostname(host, sizeof(host) - 1);
	kevent_format(&body, ev, kind.buf, api_version, ns.buf, name.buf, time(NULL), host);
	strbuf_addf(&path, "/api/v1/namespaces/%s/events", ns.buf);
	if (kube_open(&k, ag->kube, 1)) {
		log_debug("kubernetes event not recorded: %s", err_msg());
		err_clear();
		goto out;
	}
	kube_req_init(&req);
	req.method = "POST";
	req.path = path.buf;
	req.content_type = "application/json";
	req.body = body.buf;
	req.body_len = body.len;
	req.what = "Event";
	if (kube_do(k, &req)) {
		log_debug("kubernetes event not recorded: %s", err_msg());
		err_clear();
	}
	kube_req_release(&req);
	kube_close(k);
out:
	strbuf_release(&kind);
	strbuf_release(&ns);
	strbuf_release(&name);
	strbuf_release(&body);
	strbuf_release(&path);
}
