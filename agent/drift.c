/*
 * drift.c - drift detection through watches.  See drift.h.
 *
 * One thread watches for every app whose drift policy is not `ignore`.
 * It watches the kinds of each app's objects (those its last sync
 * recorded): one watch per app and resource, across namespaces, with the
 * label selector hoist.dev/app=APP.  Every app's watches share one libcurl
 * multi handle, so against a server that speaks HTTP/2 they are streams of
 * one connection (over HTTP/1.1 each watch still needs its own), and one
 * API client (its own connection) makes every app's LISTs and checks.  A
 * thread, a multi handle and connections per app cost 7.6 MB of an idle
 * agent's 12 MB of anonymous memory with 20 apps (docs/testing.md).
 *
 * A watch starts from the resourceVersion of a LIST and goes on from the
 * last resourceVersion seen (bookmarks move it while nothing changes).  A
 * closed stream is reopened from there; a 410 Gone (the resourceVersion is
 * too old) or a broken stream lists again.  The LIST also finds objects
 * deleted while nobody watched.
 *
 * An event only says that an object changed.  Whether that is drift is
 * decided like a plan (plan.h): GET the object, dry-run apply its recorded
 * body with our field manager, and compare; fields other managers own and
 * defaults never differ, and the app's ignore rules are left out.  A
 * deleted object is drift.  Each drift is reported once
 * (drift-detected, with the field-level diff) until it changes; `correct`
 * then re-applies the object (drift-corrected).
 */
#include "core/compat.h"
#include "agent/drift.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/kube.h"
#include "agent/plan.h"
#include "agent/watch.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/strbuf.h"
#include <curl/curl.h>
#include <time.h>

#define DRIFT_WATCH_TIMEOUT 300 /* seconds a watch request lasts before it is renewed */
#define DRIFT_SETTLE_MS 150     /* events of one write arrive together: check once */

struct pending {
	char *api_version, *kind, *ns, *name;
	bool deleted;
};

struct stream {
	struct app_watch *w;
	struct kube_resource res;
	char *api_version, *kind; /* of the app's objects of this resource */
	char rv[64];
	struct watch_buf buf;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	bool relist;   /* list again before the next watch */
	bool running;
	long retry_at; /* monotonic ms: do not reopen before */
};

/* What the watcher keeps for one app. */
struct app_watch {
	struct drift *d;
	const struct agent_app *app;
	struct stream *s; /* one per resource of its objects */
	size_t ns;
	struct app_object_ref *objs;
	size_t nobjs;
	unsigned gen; /* of objs (appstate_generation); 0: nothing watched */
	struct pending *pend;
	size_t npend, pend_alloc;
	long last_event_ms;
};

struct drift {
	struct agent *ag;
	pthread_t thread;
	bool started;
	int stop; /* atomic */
	struct kube *k; /* LISTs, checks and corrections of every app */
	CURLM *multi;   /* every app's watches */
	char *auth;
	struct app_watch *apps;
	size_t napps;
};

static bool stopped(struct drift *d)
{
	return __atomic_load_n(&d->stop, __ATOMIC_SEQ_CST) != 0;
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static bool same_group(const char *av, const char *group)
{
	const char *slash = strchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;

	return strlen(group) == gl && !strncmp(av, group, gl);
}

static const struct app_object_ref *find_obj(struct app_watch *w, const struct stream *s,
					     const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < w->nobjs; i++) {
		const struct app_object_ref *o = &w->objs[i];
		if (!strcmp(o->kind, s->kind) && !strcmp(o->name, name) &&
		    !strcmp(o->ns, s->res.namespaced ? ns : "") && same_group(o->api_version, s->res.group))
			return o;
	}
	return NULL;
}

static void add_pending(struct app_watch *w, const struct app_object_ref *o, bool deleted)
{
	size_t i;

	for (i = 0; i < w->npend; i++)
		if (!strcmp(w->pend[i].kind, o->kind) && !strcmp(w->pend[i].ns, o->ns) &&
		    !strcmp(w->pend[i].name, o->name) && !strcmp(w->pend[i].api_version, o->api_version)) {
			w->pend[i].deleted = deleted;
			return;
		}
	ALLOC_GROW(w->pend, w->npend + 1, w->pend_alloc);
	w->pend[w->npend].api_version = xstrdup(o->api_version);
	w->pend[w->npend].kind = xstrdup(o->kind);
	w->pend[w->npend].ns = xstrdup(o->ns);
	w->pend[w->npend].name = xstrdup(o->name);
	w->pend[w->npend].deleted = deleted;
	w->npend++;
}

static void pending_clear(struct app_watch *w)
{
	size_t i;

	for (i = 0; i < w->npend; i++) {
		free(w->pend[i].api_version);
		free(w->pend[i].kind);
		free(w->pend[i].ns);
		free(w->pend[i].name);
	}
	w->npend = 0;
}

/* One event of a stream. */
static void on_event(struct stream *s, const char *line, size_t len)
{
	struct app_watch *w = s->w;
	struct watch_event ev;
	const struct app_object_ref *o;

	if (watch_event_parse(&ev, line, len)) {
		agent_log("warn", w->app->name, NULL, NULL, "watch", "%s: %s", s->res.resource, err_msg());
		err_clear();
		s->relist = true;
		return;
	}
	if (ev.type == WATCH_ERROR) {
		/* 410 Gone: our resourceVersion is too old.  Anything else: start over too. */
		if (ev.code != 410)
			agent_log("warn", w->app->name, NULL, NULL, "watch", "%s: %ld %s", s->res.resource,
				  ev.code, ev.message ? ev.message : "");
		s->relist = true;
		watch_event_release(&ev);
		return;
	}
	if (ev.rv[0])
		memcpy(s->rv, ev.rv, sizeof(s->rv));
	if (ev.type != WATCH_BOOKMARK) {
		o = find_obj(w, s, ev.ns, ev.name);
		if (o) {
			add_pending(w, o, ev.type == WATCH_DELETED);
			w->last_event_ms = mono_ms();
		}
	}
	watch_event_release(&ev);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct stream *s = data;
	size_t n = size * nmemb;
	const char *line;
	size_t len;

	if (watch_buf_add(&s->buf, ptr, n)) {
		err_clear();
		s->relist = true;
		return 0; /* abort this stream: list again */
	}
	while (watch_buf_next(&s->buf, &line, &len) && !s->relist)
		on_event(s, line, len);
	return s->relist ? 0 : n;
}

/* LISTs the stream's collection: its resourceVersion, and objects gone meanwhile. */
static int relist(struct app_watch *w, struct stream *s)
{
	struct strbuf path = STRBUF_INIT, sel = STRBUF_INIT;
	struct doc_stream **pages = NULL;
	size_t npages = 0, i, j, p;
	const char *rv;
	/*
	 * Changes made while no watch ran are in no event: after a broken
	 * watch, every object of the collection is checked once.  The first
	 * list follows the sync that recorded the objects: only those whose
	 * resourceVersion moved since that sync saw them are checked (an edit
	 * during its health wait, say).
	 */
	bool check_all = s->rv[0] != '\0';
	int r;

	kube_path(&path, &s->res, "", NULL);
	strbuf_addf(&sel, AGENT_LABEL_APP "=%s", w->app->name);
	r = kube_list(w->d->k, path.buf, sel.buf, &pages, &npages, path.buf);
	if (r)
		goto out;
	rv = npages ? doc_get_str(pages[0]->docs[0], "metadata", "resourceVersion", NULL) : NULL;
	xsnprintf(s->rv, sizeof(s->rv), "%s", rv && strlen(rv) < sizeof(s->rv) ? rv : "");
	for (i = 0; i < w->nobjs; i++) {
		const struct app_object_ref *o = &w->objs[i];
		bool seen = false, moved = false;
		if (strcmp(o->kind, s->kind) || !same_group(o->api_version, s->res.group))
			continue;
		for (p = 0; p < npages && !seen; p++) {
			const struct doc_node *items = doc_map_get(pages[p]->docs[0], "items");
			for (j = 0; items && items->kind == DOC_SEQ && j < items->n && !seen; j++) {
				const char *n = doc_get_str(items->kids[j], "metadata", "name", NULL);
				const char *ns = doc_get_str(items->kids[j], "metadata", "namespace", NULL);
				const char *irv = doc_get_str(items->kids[j], "metadata", "resourceVersion",
							      NULL);
				seen = n && !strcmp(n, o->name) && !strcmp(ns ? ns : "", o->ns);
				moved = seen && *o->rv && (!irv || strcmp(irv, o->rv));
			}
		}
		/* Missing (or its label removed): check it; the check says which. */
		if (!seen || moved || check_all)
			add_pending(w, o, false);
	}
	s->relist = false;
out:
	for (p = 0; p < npages; p++)
		doc_stream_free(pages[p]);
	free(pages);
	strbuf_release(&path);
	strbuf_release(&sel);
	return r;
}

static void stream_stop(struct app_watch *w, struct stream *s)
{
	if (s->h) {
		curl_multi_remove_handle(w->d->multi, s->h);
		curl_easy_cleanup(s->h);
		s->h = NULL;
	}
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	s->running = false;
	watch_buf_release(&s->buf);
	watch_buf_init(&s->buf);
}

/*
 * Seconds a watch request asks for.  HOIST_WATCH_TIMEOUT shortens it so
 * tests see watches end and reopen (as a real server ends them after its
 * own timeout), without waiting minutes.
 */
static long watch_timeout(void)
{
	const char *e = getenv("HOIST_WATCH_TIMEOUT");
	char *end;
	long v;

	if (!e || !*e)
		return DRIFT_WATCH_TIMEOUT;
	v = strtol(e, &end, 10);
	return *end || v < 1 || v > DRIFT_WATCH_TIMEOUT ? DRIFT_WATCH_TIMEOUT : v;
}

static void stream_start(struct app_watch *w, struct stream *s)
{
	const struct kube_conf *c = w->d->ag->kube;
	struct strbuf url = STRBUF_INIT, sel = STRBUF_INIT;
	CURL *h;

	if (s->relist || !s->rv[0]) {
		if (relist(w, s)) {
			agent_log("warn", w->app->name, NULL, NULL, "watch", "%s", err_msg());
			err_clear();
			s->retry_at = mono_ms() + 2000;
			return;
		}
	}
	h = curl_easy_init();
	if (!h)
		return;
	strbuf_addstr(&url, c->server);
	kube_path(&url, &s->res, "", NULL);
	strbuf_addf(&sel, AGENT_LABEL_APP "=%s", w->app->name);
	strbuf_addstr(&url, "?watch=1&allowWatchBookmarks=true&labelSelector=");
	http_urlencode(&url, sel.buf);
	strbuf_addf(&url, "&timeoutSeconds=%ld&resourceVersion=", watch_timeout());
	http_urlencode(&url, s->rv);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/*
	 * HTTP/2 where the server offers it (ALPN), and wait for a connection
	 * that is being set up rather than open one more: every app's watches
	 * become streams of one connection.  Not over plain http://, where
	 * there is no HTTP/2 to wait for: a watch whose answer has not begun
	 * leaves libcurl unsure whether its connection could multiplex, and
	 * the next watch would wait for it.
	 */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (!strncmp(c->server, "https://", 8))
		curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	/* No overall timeout: the server ends the watch; a dead peer is found by keepalive. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, watch_timeout() + 60);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hoist-agent/" HOIST_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	kube_conf_apply(c, h);
	s->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (w->d->auth)
		s->hdrs = curl_slist_append(s->hdrs, w->d->auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
	s->h = h;
	s->running = true;
	curl_multi_add_handle(w->d->multi, h);
	strbuf_release(&url);
	strbuf_release(&sel);
}

static void res_release(struct kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	memset(r, 0, sizeof(*r));
}

static void streams_release(struct app_watch *w)
{
	size_t i;

	for (i = 0; i < w->ns; i++) {
		stream_stop(w, &w->s[i]);
		watch_buf_release(&w->s[i].buf);
		res_release(&w->s[i].res);
		free(w->s[i].api_version);
		free(w->s[i].kind);
	}
	free(w->s);
	w->s = NULL;
	w->ns = 0;
	app_object_refs_free(w->objs, w->nobjs);
	w->objs = NULL;
	w->nobjs = 0;
}

/* One stream per resource the app's objects use. */
static void streams_build(struct app_watch *w)
{
	size_t i, j;

	appstate_objects(w->d->ag, w->app, &w->objs, &w->nobjs, &w->gen);
	w->s = xcalloc(w->nobjs ? w->nobjs : 1, sizeof(*w->s));
	for (i = 0; i < w->nobjs; i++) {
		const struct kube_resource *r;
		struct kube_resource copy = { 0 };

		pthread_mutex_lock(&w->d->ag->lock);
		r = w->d->ag->disco ? kube_discovery_find(w->d->ag->disco, w->objs[i].api_version,
						       w->objs[i].kind) : NULL;
		if (r) {
			copy = *r;
			copy.group = xstrdup(r->group);
			copy.version = xstrdup(r->version);
			copy.kind = xstrdup(r->kind);
			copy.resource = xstrdup(r->resource);
		}
		pthread_mutex_unlock(&w->d->ag->lock);
		if (!r)
			continue;
		for (j = 0; j < w->ns; j++)
			if (!strcmp(w->s[j].res.group, copy.group) &&
			    !strcmp(w->s[j].res.resource, copy.resource))
				break;
		if (j < w->ns) {
			res_release(&copy);
			continue;
		}
		w->s[w->ns].w = w;
		w->s[w->ns].res = copy;
		w->s[w->ns].api_version = xstrdup(w->objs[i].api_version);
		w->s[w->ns].kind = xstrdup(w->objs[i].kind);
		w->s[w->ns].relist = true;
		watch_buf_init(&w->s[w->ns].buf);
		w->ns++;
	}
}

static const struct stream *stream_of(struct app_watch *w, const struct pending *p)
{
	size_t i;

	for (i = 0; i < w->ns; i++)
		if (!strcmp(w->s[i].kind, p->kind) && same_group(p->api_version, w->s[i].res.group))
			return &w->s[i];
	return NULL;
}

static void what_of(struct strbuf *out, const struct pending *p)
{
	strbuf_addf(out, "%s %s%s%s", p->kind, p->ns, *p->ns ? "/" : "", p->name);
}

/* Re-applies the recorded body: drift: correct. */
static int correct(struct app_watch *w, const struct stream *s, const struct pending *p,
		   const char *body, const char *what)
{
	struct strbuf path = STRBUF_INIT;
	struct kube_req req;
	int r;

	kube_path(&path, &s->res, p->ns, p->name);
	strbuf_addf(&path, "?fieldManager=" AGENT_FIELD_MANAGER "&force=%s",
		    strcmp(w->app->conflicts, "fail") ? "true" : "false");
	kube_req_init(&req);
	req.method = "PATCH";
	req.path = path.buf;
	req.content_type = "application/apply-patch+yaml";
	req.body = body;
	req.body_len = strlen(body);
	req.what = what;
	r = kube_do(w->d->k, &req);
	kube_req_release(&req);
	strbuf_release(&path);
	return r;
}

/* Appends a short text of the differences for the event's message. */
static void diff_text(struct strbuf *out, const char *diff_json)
{
	struct strbuf arr = STRBUF_INIT;
	struct doc_stream *s = NULL;
	size_t i;

	strbuf_addf(&arr, "[%s]", diff_json);
	if (doc_parse(&s, arr.buf, arr.len, "diff", NULL) || !s->ndocs) {
		err_clear();
		strbuf_addstr(out, diff_json);
		goto out;
	}
	for (i = 0; i < s->docs[0]->n; i++) {
		const struct doc_node *e = s->docs[0]->kids[i];
		const char *path = doc_get_str(e, "path", NULL);
		struct strbuf v = STRBUF_INIT;

		strbuf_addf(out, "%s%s: ", i ? "; " : "", path ? path : "?");
		if (doc_map_get(e, "live") && !doc_emit_json(&v, doc_map_get(e, "live")))
			strbuf_rtrim(&v);
		strbuf_addf(out, "live %s, want ", v.len ? v.buf : "null");
		strbuf_reset(&v);
		if (doc_map_get(e, "want") && !doc_emit_json(&v, doc_map_get(e, "want")))
			strbuf_rtrim(&v);
		strbuf_addstr(out, v.len ? v.buf : "null");
		strbuf_release(&v);
		err_clear();
	}
out:
	doc_stream_free(s);
	strbuf_release(&arr);
}

static bool may_correct(const struct agent_app *app)
{
	/* Writes need the app to sync on its own: not suspended, not manual. */
	return !strcmp(app->drift, "correct") && !app->suspend && !strcmp(app->sync, "auto");
}

/* Decides whether one changed object drifted, reports and corrects. */
static void check(struct app_watch *w, const struct pending *p)
{
	const struct stream *s = stream_of(w, p);
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT, diff = STRBUF_INIT,
		      msg = STRBUF_INIT;
	struct kube_req reqs[2];
	struct doc_stream *live = NULL, *dry = NULL;
	char *body = NULL, **ign = NULL;
	size_t nign = 0, i, ndiff = 0;
	bool deleted = false;
	int r;

	kube_req_init(&reqs[0]);
	kube_req_init(&reqs[1]);
	if (!s)
		goto out;
	body = appstate_object_body(w->d->ag, w->app, p->api_version, p->kind, p->ns, p->name);
	if (!body)
		goto out;
	what_of(&what, p);
	appstate_ignores(w->d->ag, w->app, p->api_version, p->kind, p->ns, p->name, &ign, &nign);
	for (i = 0; i < nign; i++)
		if (!*ign[i])
			goto out; /* the whole object is ignored */
	kube_path(&path, &s->res, p->ns, p->name);
	reqs[0].method = "GET";
	reqs[0].path = path.buf;
	reqs[0].what = what.buf;
	r = kube_do(w->d->k, &reqs[0]);
	if (r == ERR_NOTFOUND) {
		deleted = true;
	} else if (r || kube_parse_object(&live, reqs[0].reply.buf, reqs[0].reply.len, what.buf)) {
		agent_log("warn", w->app->name, NULL, NULL, "drift-check", "%s", err_msg());
		goto out;
	} else {
		const char *owner = doc_get_str(live->docs[0], "metadata", "labels", AGENT_LABEL_APP,
						NULL);
		if (!owner || strcmp(owner, w->app->name)) {
			/* Taken away from the app (label changed): that is drift too. */
			agent_log("warn", w->app->name, NULL, NULL, "drift-check",
				  "%s: its label %s no longer names this app", what.buf, AGENT_LABEL_APP);
		}
		strbuf_addstr(&path, "?dryRun=All&fieldManager=" AGENT_FIELD_MANAGER "&force=true");
		reqs[1].method = "PATCH";
		reqs[1].path = path.buf;
		reqs[1].content_type = "application/apply-patch+yaml";
		reqs[1].body = body;
		reqs[1].body_len = strlen(body);
		reqs[1].what = what.buf;
		if (kube_do(w->d->k, &reqs[1]) ||
		    kube_parse_object(&dry, reqs[1].reply.buf, reqs[1].reply.len, what.buf)) {
			agent_log("warn", w->app->name, NULL, NULL, "drift-check", "%s", err_msg());
			goto out;
		}
		ndiff = plan_diff(&diff, live->docs[0], dry->docs[0], (const char *const *)ign, nign);
	}
	err_clear();
	if (!deleted && !ndiff) {
		appstate_set_drift(w->d->ag, w->app, p->api_version, p->kind, p->ns, p->name, "", false);
		goto out;
	}
	if (!appstate_set_drift(w->d->ag, w->app, p->api_version, p->kind, p->ns, p->name, diff.buf,
				deleted))
		goto out; /* reported already */
	/* The log line and the notifications name the object themselves. */
	if (deleted)
		strbuf_addstr(&msg, "deleted");
	else
		diff_text(&msg, diff.buf);
	agent_event(w->d->ag, &(struct agent_event){ .type = EVENT_DRIFT_DETECTED, .app = w->app->name,
						  .object = what.buf, .message = msg.buf });
	if (!may_correct(w->app))
		goto out;
	if (correct(w, s, p, body, what.buf)) {
		agent_log("error", w->app->name, NULL, NULL, "drift-correct-failed", "%s", err_msg());
		err_clear();
		goto out;
	}
	appstate_set_drift(w->d->ag, w->app, p->api_version, p->kind, p->ns, p->name, "", false);
	strbuf_reset(&msg);
	strbuf_addstr(&msg, deleted ? "re-created" : "re-applied");
	agent_event(w->d->ag, &(struct agent_event){ .type = EVENT_DRIFT_CORRECTED, .app = w->app->name,
						  .object = what.buf, .message = msg.buf });
out:
	err_clear();
	kube_req_release(&reqs[0]);
	kube_req_release(&reqs[1]);
	doc_stream_free(live);
	doc_stream_free(dry);
	appstate_ignores_free(ign, nign);
	free(body);
	strbuf_release(&path);
	strbuf_release(&what);
	strbuf_release(&diff);
	strbuf_release(&msg);
}

/* Follows the app's recorded object set: new watches when a sync changed it. */
static void follow_objects(struct app_watch *w)
{
	unsigned gen = appstate_generation(w->d->ag, w->app);

	if (gen == w->gen)
		return;
	pending_clear(w);
	streams_release(w);
	w->gen = 0;
	if (gen)
		streams_build(w); /* nothing applied yet (0): nothing to watch */
}

/* A watch request ended: reopen it, from its resourceVersion or after a LIST. */
static void stream_ended(struct stream *s, CURLcode result)
{
	struct app_watch *w = s->w;

	if (result != CURLE_OK && !s->relist) {
		agent_log("warn", w->app->name, NULL, NULL, "watch", "%s: %s", s->res.resource,
			  s->errbuf[0] ? s->errbuf : curl_easy_strerror(result));
		s->relist = true;
		s->retry_at = mono_ms() + 1000;
	}
	stream_stop(w, s);
	if (s->retry_at < mono_ms() + 200)
		s->retry_at = mono_ms() + 200; /* a server that closes at once is not spun on */
}

/* Checks what changed once the events of a write have all arrived. */
static bool check_pending(struct app_watch *w)
{
	size_t i;

	if (!w->npend)
		return false;
	if (mono_ms() - w->last_event_ms < DRIFT_SETTLE_MS || appstate_applying(w->d->ag, w->app))
		return true;
	for (i = 0; i < w->npend && !stopped(w->d); i++)
		check(w, &w->pend[i]);
	pending_clear(w);
	return false;
}

static void *drift_thread(void *arg)
{
	struct drift *d = arg;
	size_t i, j;

	while (!stopped(d)) {
		bool settling = false;
		int running = 0, left;
		CURLMsg *m;
		long now = mono_ms();

		for (i = 0; i < d->napps && !stopped(d); i++) {
			struct app_watch *w = &d->apps[i];

			follow_objects(w);
			for (j = 0; j < w->ns; j++)
				if (!w->s[j].running && now >= w->s[j].retry_at)
					stream_start(w, &w->s[j]);
		}
		curl_multi_perform(d->multi, &running);
		while ((m = curl_multi_info_read(d->multi, &left))) {
			struct stream *s = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			if (s)
				stream_ended(s, m->data.result);
		}
		for (i = 0; i < d->napps && !stopped(d); i++)
			settling |= check_pending(&d->apps[i]);
		curl_multi_poll(d->multi, NULL, 0, settling ? DRIFT_SETTLE_MS : 250, NULL);
	}
	for (i = 0; i < d->napps; i++) {
		pending_clear(&d->apps[i]);
		streams_release(&d->apps[i]);
	}
	return NULL;
}

int drift_start(struct drift **out, struct agent *ag)
{
	struct drift *d;
	struct strbuf tok = STRBUF_INIT;
	size_t i, n = 0;
	int r;

	*out = NULL;
	for (i = 0; i < ag->cfg.napps; i++)
		n += strcmp(ag->cfg.apps[i].drift, "ignore") != 0;
	if (!n)
		return 0;
	d = xcalloc(1, sizeof(*d));
	d->ag = ag;
	d->apps = xcalloc(n, sizeof(*d->apps));
	for (i = 0; i < ag->cfg.napps; i++) {
		if (!strcmp(ag->cfg.apps[i].drift, "ignore"))
			continue;
		d->apps[d->napps].d = d;
		d->apps[d->napps].app = &ag->cfg.apps[i];
		d->napps++;
	}
	/*
	 * The client for LISTs, checks and corrections: one request at a
	 * time (the thread waits for each).  Opening it reads the token file.
	 */
	r = kube_open(&d->k, ag->kube, 1);
	if (r)
		goto fail;
	if (ag->kube->token_file) {
		r = strbuf_read_file(&tok, ag->kube->token_file, 64 * 1024);
		if (r)
			goto fail;
		strbuf_rtrim(&tok);
	} else if (ag->kube->token) {
		strbuf_addstr(&tok, ag->kube->token);
	}
	if (tok.len) {
		struct strbuf h = STRBUF_INIT;
		strbuf_addf(&h, "Authorization: Bearer %s", tok.buf);
		d->auth = strbuf_detach(&h, NULL);
	}
	d->multi = curl_multi_init();
	if (d->multi)
		/* HTTP/2: every watch a stream of one connection (the default; said here). */
		curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (!d->multi || pthread_create(&d->thread, NULL, drift_thread, d)) {
		r = err_set(ERR_GENERIC, "cannot start the drift watcher");
		goto fail;
	}
	d->started = true;
	*out = d;
	strbuf_release(&tok);
	return 0;
fail:
	strbuf_release(&tok);
	drift_stop(d);
	return r;
}

void drift_stop(struct drift *d)
{
	size_t i;

	if (!d)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	if (d->started) {
		curl_multi_wakeup(d->multi);
		pthread_join(d->thread, NULL);
	}
	for (i = 0; i < d->napps; i++)
		free(d->apps[i].pend);
	free(d->apps);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	kube_close(d->k);
	if (d->auth) {
		explicit_bzero(d->auth, strlen(d->auth));
		free(d->auth);
	}
	free(d);
}
