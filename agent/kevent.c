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
 * (RBAC may well not allow creating events), and the requests are made by
 * a thread of their own (see below).
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
#include <pthread.h>
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

/*
 * Events are created by one thread of their own, from a small queue in
 * memory: a slow or stalled API server must not hold up the sync that
 * reports (each request may take the API timeout).  When the queue is full
 * the event is not recorded (logged at debug level): Kubernetes Events are
 * a courtesy, the notification queue is the record.
 */
#define KEVENT_QUEUE 64
#define KEVENT_DRAIN 8

struct kevent_req {
	char *path, *body;
};

struct kevents {
	struct agent *ag;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stop;
	struct kevent_req q[KEVENT_QUEUE];
	size_t head, n;
};

static void *kevent_thread(void *arg)
{
	struct kevents *ke = arg;

	pthread_mutex_lock(&ke->mu);
	for (;;) {
		struct kevent_req rq;
		struct kube *k = NULL;
		struct kube_req req;

		if (!ke->n) {
			if (ke->stop)
				break;
			pthread_cond_wait(&ke->cv, &ke->mu);
			continue;
		}
		/* Stopping: the last few are still sent, a backlog is not waited for. */
		while (ke->stop && ke->n > KEVENT_DRAIN) {
			free(ke->q[ke->head].path);
			free(ke->q[ke->head].body);
			ke->head = (ke->head + 1) % KEVENT_QUEUE;
			ke->n--;
		}
		rq = ke->q[ke->head];
		ke->head = (ke->head + 1) % KEVENT_QUEUE;
		ke->n--;
		pthread_mutex_unlock(&ke->mu);
		if (!kube_open(&k, ke->ag->kube, 1)) {
			kube_req_init(&req);
			req.method = "POST";
			req.path = rq.path;
			req.content_type = "application/json";
			req.body = rq.body;
			req.body_len = strlen(rq.body);
			req.what = "Event";
			kube_do(k, &req);
			kube_req_release(&req);
			kube_close(k);
		}
		if (err_msg()[0])
			log_debug("kubernetes event not recorded: %s", err_msg());
		err_clear();
		free(rq.path);
		free(rq.body);
		pthread_mutex_lock(&ke->mu);
	}
	pthread_mutex_unlock(&ke->mu);
	return NULL;
}

int kevent_start(struct agent *ag)
{
	struct kevents *ke;

	if (!ag->kube || ag->kevents)
		return 0;
	ke = xcalloc(1, sizeof(*ke));
	ke->ag = ag;
	pthread_mutex_init(&ke->mu, NULL);
	pthread_cond_init(&ke->cv, NULL);
	if (pthread_create(&ke->thread, NULL, kevent_thread, ke)) {
		pthread_cond_destroy(&ke->cv);
		pthread_mutex_destroy(&ke->mu);
		free(ke);
		return err_set(ERR_GENERIC, "cannot start the thread of Kubernetes Events");
	}
	ke->started = true;
	ag->kevents = ke;
	return 0;
}

void kevent_stop(struct agent *ag)
{
	struct kevents *ke = ag->kevents;

	if (!ke)
		return;
	/* What is queued is still sent: a handful of requests at most. */
	pthread_mutex_lock(&ke->mu);
	ke->stop = true;
	pthread_cond_signal(&ke->cv);
	pthread_mutex_unlock(&ke->mu);
	pthread_join(ke->thread, NULL);
	pthread_cond_destroy(&ke->cv);
	pthread_mutex_destroy(&ke->mu);
	free(ke);
	ag->kevents = NULL;
}

void kevent_post(struct agent *ag, const struct agent_event *ev)
{
	struct strbuf kind = STRBUF_INIT, ns = STRBUF_INIT, name = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT;
	struct kevents *ke = ag ? ag->kevents : NULL;
	const char *api_version = NULL;
	char host[256] = "hoist-agent";

	if (!ke || !ev->app)
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
	pthread_mutex_lock(&ke->mu);
	if (ke->n == KEVENT_QUEUE || ke->stop) {
		log_debug("kubernetes event not recorded: %zu waiting already", ke->n);
	} else {
		struct kevent_req *rq = &ke->q[(ke->head + ke->n++) % KEVENT_QUEUE];
		rq->path = strbuf_detach(&path, NULL);
		rq->body = strbuf_detach(&body, NULL);
		pthread_cond_signal(&ke->cv);
	}
	pthread_mutex_unlock(&ke->mu);
out:
	strbuf_release(&kind);
	strbuf_release(&ns);
	strbuf_release(&name);
	strbuf_release(&body);
	strbuf_release(&path);
}
