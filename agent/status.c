/*
 * status.c - the agent's shared state (agent_open), each app's last
 * recorded sync (in memory and stateDir/APP.json) and the JSON event log.
 *
 * stateDir only remembers what this agent last did, for `hoist-agent
 * status` and for restarts; the cluster (objects, inventories) stays the
 * source of truth, so a lost stateDir costs one full sync, nothing more.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/kevent.h"
#include "agent/kube.h"
#include "agent/metrics.h"
#include "agent/plan.h"
#include "agent/notify.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#define STATUS_FILE_MAX (1u << 20)

struct agent_status {
	char last_ok[DIGEST_STR_SIZE]; /* the digest last applied successfully */
	char *json;                    /* the recorded object, as served */
	enum agent_health health;      /* as last recorded: health transitions compare with it */
	char undone[DIGEST_STR_SIZE];  /* a digest whose creates a failed sync deleted again */
};

static void json_kv_str(struct strbuf *sb, const char *k, const char *v)
{
	strbuf_addf(sb, ",\"%s\":", k);
	if (v)
		strbuf_add_json_str(sb, v, strlen(v));
	else
		strbuf_addstr(sb, "null");
}

static void rfc3339(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void agent_log(const char *level, const char *app, const char *digest, const char *revision,
	       const char *event, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT, msg = STRBUF_INIT;
	struct timespec ts;
	char when[64];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339(when, sizeof(when), ts.tv_sec);
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_addstr(&sb, "{\"time\":");
	strbuf_add_json_str(&sb, when, strlen(when));
	json_kv_str(&sb, "level", level);
	json_kv_str(&sb, "app", app);
	json_kv_str(&sb, "digest", digest && *digest ? digest : NULL);
	json_kv_str(&sb, "revision", revision);
	json_kv_str(&sb, "event", event);
	json_kv_str(&sb, "message", msg.buf);
	strbuf_addstr(&sb, "}\n");
	/* One write per line, so lines of concurrent syncs do not interleave. */
	fwrite(sb.buf, 1, sb.len, stderr);
	fflush(stderr);
	strbuf_release(&sb);
	strbuf_release(&msg);
}

void sync_result_release(struct sync_result *res)
{
	free(res->revision);
	free(res->version);
	free(res->source);
	free(res->message);
	memset(res, 0, sizeof(*res));
}

static void status_path(struct strbuf *out, const struct agent *ag, const struct agent_app *app)
{
	strbuf_addf(out, "%s/%s.json", ag->cfg.state_dir, app->name);
}

/* Reads stateDir/APP.json back; a missing or unreadable file is "never synced". */
static void status_load(struct agent *ag, const struct agent_app *app)
{
	struct agent_status *st = &ag->status[app->index];
	struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
	struct doc_stream *s = NULL;
	const char *d;

	status_path(&path, ag, app);
	if (strbuf_read_file(&sb, path.buf, STATUS_FILE_MAX) ||
	    doc_parse(&s, sb.buf, sb.len, path.buf, NULL) || s->ndocs != 1 ||
	    s->docs[0]->kind != DOC_MAP) {
		err_clear();
		goto out;
	}
	d = doc_get_str(s->docs[0], "health", NULL);
	for (int h = HEALTH_UNKNOWN; d && h <= HEALTH_FAILED; h++)
		if (!strcmp(d, agent_health_name((enum agent_health)h)))
			st->health = (enum agent_health)h;
	d = doc_get_str(s->docs[0], "lastAppliedDigest", NULL);
	if (d && digest_is_valid(d))
		xsnprintf(st->last_ok, sizeof(st->last_ok), "%s", d);
	/* Re-emitted, so a hand-edited file cannot break the status document. */
	strbuf_reset(&sb);
	if (!doc_emit_json(&sb, s->docs[0]))
		st->json = strbuf_detach(&sb, NULL);
	err_clear();
out:
	doc_stream_free(s);
	strbuf_release(&sb);
	strbuf_release(&path);
}

int agent_open(struct agent **out, const char *config_path)
{
	struct agent *ag = xcalloc(1, sizeof(*ag));
	size_t i;
	int r;

	*out = NULL;
	pthread_mutex_init(&ag->lock, NULL);
	r = agent_config_load(&ag->cfg, config_path);
	if (r)
		goto fail;
	r = kube_conf_load(&ag->kube, ag->cfg.kubeconfig, ag->cfg.context);
	if (r)
		goto fail;
	ag->kube->timeout_ms = (long)ag->cfg.api_timeout_s * 1000;
	ag->status = xcalloc(ag->cfg.napps ? ag->cfg.napps : 1, sizeof(*ag->status));
	for (i = 0; i < ag->cfg.napps; i++)
		status_load(ag, &ag->cfg.apps[i]);
	{
		/* The names live as long as the config: metrics borrow them. */
		const char **names = xcalloc(ag->cfg.napps ? ag->cfg.napps : 1, sizeof(*names));
		for (i = 0; i < ag->cfg.napps; i++)
			names[i] = ag->cfg.apps[i].name;
		ag->metric_names = names;
		metrics_init(ag->cfg.napps, names);
	}
	r = notify_open(ag);
	if (!r)
		r = kevent_start(ag);
	if (r)
		goto fail;
	*out = ag;
	return 0;
fail:
	agent_free(ag);
	return r;
}

void agent_free(struct agent *ag)
{
	size_t i;

	if (!ag)
		return;
	notify_close(ag, 0);
	kevent_stop(ag);
	for (i = 0; ag->status && i < ag->cfg.napps; i++)
		free(ag->status[i].json);
	free(ag->status);
	free(ag->metric_names);
	appstate_free(ag);
	kube_discovery_free(ag->disco);
	kube_conf_free(ag->kube);
	agent_config_release(&ag->cfg);
	pthread_mutex_destroy(&ag->lock);
	free(ag);
}

const struct agent_app *agent_app(const struct agent *ag, const char *name)
{
	return agent_config_app(&ag->cfg, name);
}

void agent_status_last_digest(struct agent *ag, const struct agent_app *app,
			      char digest[DIGEST_STR_SIZE])
{
	pthread_mutex_lock(&ag->lock);
	xsnprintf(digest, DIGEST_STR_SIZE, "%s", ag->status[app->index].last_ok);
	pthread_mutex_unlock(&ag->lock);
}

static int mkdir_p(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	int r = 0;

	strbuf_addstr(&sb, dir);
	for (p = sb.buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(sb.buf, 0755) && errno != EEXIST) {
				r = err_set(ERR_GENERIC, "cannot create %s: %s", sb.buf, strerror(errno));
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	strbuf_release(&sb);
	return r;
}

/*
 * Health that changed between two recorded syncs: degraded when it was
 * Healthy (or never known) and is now Progressing, Degraded or Failed;
 * recovered when it was one of those and is Healthy.  Unknown (a sync that
 * failed before anything was checked) changes nothing, so a registry
 * outage does not flap the app's health.
 */
static void health_transition(struct agent *ag, const struct agent_app *app,
			      const struct sync_result *res, enum agent_health was)
{
	enum agent_health now = res->health;
	struct strbuf msg = STRBUF_INIT;
	bool was_ok = was == HEALTH_HEALTHY || was == HEALTH_UNKNOWN;

	if (now == HEALTH_UNKNOWN || (was_ok && now == HEALTH_HEALTHY) ||
	    (!was_ok && now != HEALTH_HEALTHY))
		return;
	strbuf_addf(&msg, "%s -> %s", agent_health_name(was), agent_health_name(now));
	if (now != HEALTH_HEALTHY && res->message)
		strbuf_addf(&msg, ": %s", res->message);
	agent_event(ag, &(struct agent_event){
		.type = now == HEALTH_HEALTHY ? EVENT_HEALTH_RECOVERED : EVENT_HEALTH_DEGRADED,
		.app = app->name, .digest = res->digest, .revision = res->revision,
		.message = msg.buf });
	strbuf_release(&msg);
}

void agent_status_set_undone(struct agent *ag, const struct agent_app *app, const char *digest)
{
	pthread_mutex_lock(&ag->lock);
	xsnprintf(ag->status[app->index].undone, DIGEST_STR_SIZE, "%s", digest);
	pthread_mutex_unlock(&ag->lock);
}

bool agent_status_was_undone(struct agent *ag, const struct agent_app *app, const char *digest)
{
	bool was;

	pthread_mutex_lock(&ag->lock);
	was = *digest && !strcmp(ag->status[app->index].undone, digest);
	pthread_mutex_unlock(&ag->lock);
	return was;
}

int agent_status_record(struct agent *ag, const struct agent_app *app,
			const struct sync_result *res)
{
	struct agent_status *st = &ag->status[app->index];
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;
	enum agent_health was;
	char when[64];
	int r;

	rfc3339(when, sizeof(when), res->finished ? res->finished : time(NULL));
	if (res->started)
		metrics_sync(app->index, res->rc ? err_name(res->rc) : "ok",
			     difftime(res->finished ? res->finished : time(NULL), res->started));
	pthread_mutex_lock(&ag->lock);
	was = st->health;
	st->health = res->health;
	if (!res->rc && res->digest[0])
		xsnprintf(st->last_ok, sizeof(st->last_ok), "%s", res->digest);
	strbuf_addstr(&sb, "{\"name\":");
	strbuf_add_json_str(&sb, app->name, strlen(app->name));
	json_kv_str(&sb, "source", res->source ? res->source : app->source);
	json_kv_str(&sb, "digest", res->digest[0] ? res->digest : NULL);
	json_kv_str(&sb, "revision", res->revision);
	json_kv_str(&sb, "version", res->version);
	json_kv_str(&sb, "lastSync", when);
	json_kv_str(&sb, "result", res->rc ? err_name(res->rc) : "ok");
	json_kv_str(&sb, "message", res->message);
	json_kv_str(&sb, "health", agent_health_name(res->health));
	strbuf_addf(&sb, ",\"objects\":%zu,\"applied\":%zu,\"unchanged\":%zu,\"pruned\":%zu,"
			 "\"pruneFailed\":%zu,\"inventoryBytes\":%zu,\"suspended\":%s",
		    res->objects, res->applied, res->unchanged, res->pruned, res->prune_failed,
		    res->inventory_bytes, app->suspend ? "true" : "false");
	json_kv_str(&sb, "lastAppliedDigest", st->last_ok[0] ? st->last_ok : NULL);
	strbuf_addch(&sb, '}');
	free(st->json);
	st->json = xstrdup(sb.buf);
	pthread_mutex_unlock(&ag->lock);

	r = mkdir_p(ag->cfg.state_dir);
	if (!r) {
		status_path(&path, ag, app);
		strbuf_addch(&sb, '\n');
		r = write_file_atomic(path.buf, sb.buf, sb.len, 0644);
	}
	strbuf_release(&sb);
	strbuf_release(&path);
	health_transition(ag, app, res, was);
	return r;
}

int agent_status_json(struct agent *ag, struct strbuf *out)
{
	size_t i;

	strbuf_addstr(out, "{\"apps\":[");
	pthread_mutex_lock(&ag->lock);
	for (i = 0; i < ag->cfg.napps; i++) {
		const struct agent_app *a = &ag->cfg.apps[i];
		if (i)
			strbuf_addch(out, ',');
		if (ag->status[i].json) {
			/* The recorded object without its closing brace: the policies follow. */
			const char *j = ag->status[i].json;
			size_t n = strlen(j);
			while (n && j[n - 1] != '}')
				n--;
			strbuf_add(out, j, n ? n - 1 : 0);
		} else {
			strbuf_addstr(out, "{\"name\":");
			strbuf_add_json_str(out, a->name, strlen(a->name));
			json_kv_str(out, "source", a->source);
			strbuf_addf(out, ",\"result\":null,\"health\":\"Unknown\",\"suspended\":%s",
				    a->suspend ? "true" : "false");
		}
		json_kv_str(out, "sync", a->sync);
		json_kv_str(out, "drift", a->drift);
		strbuf_addf(out, ",\"drifted\":%zu}", appstate_drifted_locked(ag, i));
	}
	pthread_mutex_unlock(&ag->lock);
	strbuf_addstr(out, "]}\n");
	return 0;
}
