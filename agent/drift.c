/*
 * drift.c - drift detection through watches.  See drift.h.
 *
 * One thread per app whose drift policy is not `ignore`.  It watches the
 * kinds of the app's objects (those the last sync recorded): one watch per
 * resource, across namespaces, with the label selector hoist.dev/app=APP,
 * all on one libcurl multi handle, started from the resourceVersion of a
 * LIST and kept going from the last resourceVersion seen (bookmarks move
 * it while nothing changes).  A closed stream is reopened from there; a
 * 410 Gone (the resourceVersion is too old) or a broken stream lists
 * again.  The LIST also finds objects deleted while nobody watched.
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
	struct drift *d;
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

struct drift {
	struct agent *ag;
	const struct agent_app *app;
	pthread_t thread;
	bool started;
	int stop; /* atomic */
	struct kube *k;
	CURLM *multi;
	char *auth;
	struct stream *s;
	size_t ns;
	struct app_object_ref *objs;
	size_t nobjs;
	unsigned gen;
	struct pending *pend;
	size_t npend, pend_alloc;
	long last_event_ms;
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

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool same_group(const char *av, const char *group)
{
	const char *slash = strchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;

	return strlen(group) == gl && !strncmp(av, group, gl);
}

static const struct app_object_ref *find_obj(struct drift *d, const struct stream *s,
					     const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < d->nobjs; i++) {
		const struct app_object_ref *o = &d->objs[i];
		if (!strcmp(o->kind, s->kind) && !strcmp(o->name, name) &&
		    !strcmp(o->ns, s->res.namespaced ? ns : "") && same_group(o->api_version, s->res.group))
			return o;
	}
	return NULL;
}

static void add_pending(struct drift *d, const struct app_object_ref *o, bool deleted)
{
	size_t i;

	for (i = 0; i < d->npend; i++)
		if (!strcmp(d->pend[i].kind, o->kind) && !strcmp(d->pend[i].ns, o->ns) &&
		    !strcmp(d->pend[i].name, o->name) && !strcmp(d->pend[i].api_version, o->api_version)) {
			d->pend[i].deleted = deleted;
			return;
		}
	ALLOC_GROW(d->pend, d->npend + 1, d->pend_alloc);
	d->pend[d->npend].api_version = xstrdup(o->api_version);
	d->pend[d->npend].kind = xstrdup(o->kind);
	d->pend[d->npend].ns = xstrdup(o->ns);
	d->pend[d->npend].name = xstrdup(o->name);
	d->pend[d->npend].deleted = deleted;
	d->npend++;
}

static void pending_clear(struct drift *d)
{
	size_t i;

	for (i = 0; i < d->npend; i++) {
		free(d->pend[i].api_version);
		free(d->pend[i].kind);
		free(d->pend[i].ns);
		free(d->pend[i].name);
	}
	d->npend = 0;
}

/* One event of a stream. */
static void on_event(struct stream *s, const char *line, size_t len)
{
	struct drift *d = s->d;
	struct watch_event ev;
	const struct app_object_ref *o;

	if (watch_event_parse(&ev, line, len)) {
		agent_log("warn", d->app->name, NULL, NULL, "watch", "%s: %s", s->res.resource, err_msg());
		err_clear();
		s->relist = true;
		return;
	}
	if (ev.type == WATCH_ERROR) {
		/* 410 Gone: our resourceVersion is too old.  Anything else: start over too. */
		if (ev.code != 410)
			agent_log("warn", d->app->name, NULL, NULL, "watch", "%s: %ld %s", s->res.resource,
				  ev.code, ev.message ? ev.message : "");
		s->relist = true;
		watch_event_release(&ev);
		return;
	}
	if (ev.rv[0])
		memcpy(s->rv, ev.rv, sizeof(s->rv));
	if (ev.type != WATCH_BOOKMARK) {
		o = find_obj(d, s, ev.ns, ev.name);
		if (o) {
			add_pending(d, o, ev.type == WATCH_DELETED);
			d->last_event_ms = mono_ms();
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
static int relist(struct drift *d, struct stream *s)
{
	struct strbuf path = STRBUF_INIT, sel = STRBUF_INIT;
	struct doc_stream **pages = NULL;
	size_t npages = 0, i, j, p;
	const char *rv;
	/*
	 * Changes made while no watch ran are in no event: after a broken
	 * watch, every object of the collection is checked once.  (The first
	 * list follows the sync that applied them.)
	 */
	bool check_all = s->rv[0] != '\0';
	int r;

	kube_path(&path, &s->res, "", NULL);
	strbuf_addf(&sel, AGENT_LABEL_APP "=%s", d->app->name);
	r = kube_list(d->k, path.buf, sel.buf, &pages, &npages, path.buf);
	if (r)
		goto out;
	rv = npages ? doc_get_str(pages[0]->docs[0], "metadata", "resourceVersion", NULL) : NULL;
	xsnprintf(s->rv, sizeof(s->rv), "%s", rv && strlen(rv) < sizeof(s->rv) ? rv : "");
	for (i = 0; i < d->nobjs; i++) {
		const struct app_object_ref *o = &d->objs[i];
		bool seen = false;
		if (strcmp(o->kind, s->kind) || !same_group(o->api_version, s->res.group))
			continue;
		for (p = 0; p < npages && !seen; p++) {
			const struct doc_node *items = doc_map_get(pages[p]->docs[0], "items");
			for (j = 0; items && items->kind == DOC_SEQ && j < items->n && !seen; j++) {
				const char *n = doc_get_str(items->kids[j], "metadata", "name", NULL);
				const char *ns = doc_get_str(items->kids[j], "metadata", "namespace", NULL);
				seen = n && !strcmp(n, o->name) && !strcmp(ns ? ns : "", o->ns);
			}
		}
		/* Missing (or its label removed): check it; the check says which. */
		if (!seen || check_all)
			add_pending(d, o, false);
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

static void stream_stop(struct drift *d, struct stream *s)
{
	if (s->h) {
		curl_multi_remove_handle(d->multi, s->h);
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

static void stream_start(struct drift *d, struct stream *s)
{
	const struct kube_conf *c = d->ag->kube;
	struct strbuf url = STRBUF_INIT, sel = STRBUF_INIT;
	CURL *h;

	if (s->relist || !s->rv[0]) {
		if (relist(d, s)) {
			agent_log("warn", d->app->name, NULL, NULL, "watch", "%s", err_msg());
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
	strbuf_addf(&sel, AGENT_LABEL_APP "=%s", d->app->name);
	strbuf_addstr(&url, "?watch=1&allowWatchBookmarks=true&labelSelector=");
	http_urlencode(&url, sel.buf);
	strbuf_addf(&url, "&timeoutSeconds=%ld&resourceVersion=", watch_timeout());
	http_urlencode(&url, s->rv);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
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
	if (d->auth)
		s->hdrs = curl_slist_append(s->hdrs, d->auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
	s->h = h;
	s->running = true;
	curl_multi_add_handle(d->multi, h);
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

static void streams_release(struct drift *d)
{
	size_t i;

	for (i = 0; i < d->ns; i++) {
		stream_stop(d, &d->s[i]);
		watch_buf_release(&d->s[i].buf);
		res_release(&d->s[i].res);
		free(d->s[i].api_version);
		free(d->s[i].kind);
	}
	free(d->s);
	d->s = NULL;
	d->ns = 0;
	app_object_refs_free(d->objs, d->nobjs);
	d->objs = NULL;
	d->nobjs = 0;
}

/* One stream per resource the app's objects use. */
static void streams_build(struct drift *d)
{
	size_t i, j;

	appstate_objects(d->ag, d->app, &d->objs, &d->nobjs, &d->gen);
	d->s = xcalloc(d->nobjs ? d->nobjs : 1, sizeof(*d->s));
	for (i = 0; i < d->nobjs; i++) {
		const struct kube_resource *r;
		struct kube_resource copy = { 0 };

		pthread_mutex_lock(&d->ag->lock);
		r = d->ag->disco ? kube_discovery_find(d->ag->disco, d->objs[i].api_version,
						       d->objs[i].kind) : NULL;
		if (r) {
			copy = *r;
			copy.group = xstrdup(r->group);
			copy.version = xstrdup(r->version);
			copy.kind = xstrdup(r->kind);
			copy.resource = xstrdup(r->resource);
		}
		pthread_mutex_unlock(&d->ag->lock);
		if (!r)
			continue;
		for (j = 0; j < d->ns; j++)
			if (!strcmp(d->s[j].res.group, copy.group) &&
			    !strcmp(d->s[j].res.resource, copy.resource))
				break;
		if (j < d->ns) {
			res_release(&copy);
			continue;
		}
		d->s[d->ns].d = d;
		d->s[d->ns].res = copy;
		d->s[d->ns].api_version = xstrdup(d->objs[i].api_version);
		d->s[d->ns].kind = xstrdup(d->objs[i].kind);
		d->s[d->ns].relist = true;
		watch_buf_init(&d->s[d->ns].buf);
		d->ns++;
	}
}

static const struct stream *stream_of(struct drift *d, const struct pending *p)
{
	size_t i;

	for (i = 0; i < d->ns; i++)
		if (!strcmp(d->s[i].kind, p->kind) && same_group(p->api_version, d->s[i].res.group))
			return &d->s[i];
	return NULL;
}

static void what_of(struct strbuf *out, const struct pending *p)
{
	strbuf_addf(out, "%s %s%s%s", p->kind, p->ns, *p->ns ? "/" : "", p->name);
}

/* Re-applies the recorded body: drift: correct. */
static int correct(struct drift *d, const struct stream *s, const struct pending *p,
		   const char *body, const char *what)
{
	struct strbuf path = STRBUF_INIT;
	struct kube_req req;
	int r;

	kube_path(&path, &s->res, p->ns, p->name);
	strbuf_addf(&path, "?fieldManager=" AGENT_FIELD_MANAGER "&force=%s",
		    strcmp(d->app->conflicts, "fail") ? "true" : "false");
	kube_req_init(&req);
	req.method = "PATCH";
	req.path = path.buf;
	req.content_type = "application/apply-patch+yaml";
	req.body = body;
	req.body_len = strlen(body);
	req.what = what;
	r = kube_do(d->k, &req);
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
static void check(struct drift *d, const struct pending *p)
{
	const struct stream *s = stream_of(d, p);
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
	body = appstate_object_body(d->ag, d->app, p->api_version, p->kind, p->ns, p->name);
	if (!body)
		goto out;
	what_of(&what, p);
	appstate_ignores(d->ag, d->app, p->api_version, p->kind, p->ns, p->name, &ign, &nign);
	for (i = 0; i < nign; i++)
		if (!*ign[i])
			goto out; /* the whole object is ignored */
	kube_path(&path, &s->res, p->ns, p->name);
	reqs[0].method = "GET";
	reqs[0].path = path.buf;
	reqs[0].what = what.buf;
	r = kube_do(d->k, &reqs[0]);
	if (r == ERR_NOTFOUND) {
		deleted = true;
	} else if (r || kube_parse_object(&live, reqs[0].reply.buf, reqs[0].reply.len, what.buf)) {
		agent_log("warn", d->app->name, NULL, NULL, "drift-check", "%s", err_msg());
		goto out;
	} else {
		const char *owner = doc_get_str(live->docs[0], "metadata", "labels", AGENT_LABEL_APP,
						NULL);
		if (!owner || strcmp(owner, d->app->name)) {
			/* Taken away from the app (label changed): that is drift too. */
			agent_log("warn", d->app->name, NULL, NULL, "drift-check",
				  "%s: its label %s no longer names this app", what.buf, AGENT_LABEL_APP);
		}
		strbuf_addstr(&path, "?dryRun=All&fieldManager=" AGENT_FIELD_MANAGER "&force=true");
		reqs[1].method = "PATCH";
		reqs[1].path = path.buf;
		reqs[1].content_type = "application/apply-patch+yaml";
		reqs[1].body = body;
		reqs[1].body_len = strlen(body);
		reqs[1].what = what.buf;
		if (kube_do(d->k, &reqs[1]) ||
		    kube_parse_object(&dry, reqs[1].reply.buf, reqs[1].reply.len, what.buf)) {
			agent_log("warn", d->app->name, NULL, NULL, "drift-check", "%s", err_msg());
			goto out;
		}
		ndiff = plan_diff(&diff, live->docs[0], dry->docs[0], (const char *const *)ign, nign);
	}
	err_clear();
	if (!deleted && !ndiff) {
		appstate_set_drift(d->ag, d->app, p->api_version, p->kind, p->ns, p->name, "", false);
		goto out;
	}
	if (!appstate_set_drift(d->ag, d->app, p->api_version, p->kind, p->ns, p->name, diff.buf,
				deleted))
		goto out; /* reported already */
	/* The log line and the notifications name the object themselves. */
	if (deleted)
		strbuf_addstr(&msg, "deleted");
	else
		diff_text(&msg, diff.buf);
	agent_event(d->ag, &(struct agent_event){ .type = EVENT_DRIFT_DETECTED, .app = d->app->name,
						  .object = what.buf, .message = msg.buf });
	if (!may_correct(d->app))
		goto out;
	if (correct(d, s, p, body, what.buf)) {
		agent_log("error", d->app->name, NULL, NULL, "drift-correct-failed", "%s", err_msg());
		err_clear();
		goto out;
	}
	appstate_set_drift(d->ag, d->app, p->api_version, p->kind, p->ns, p->name, "", false);
	strbuf_reset(&msg);
	strbuf_addstr(&msg, deleted ? "re-created" : "re-applied");
	agent_event(d->ag, &(struct agent_event){ .type = EVENT_DRIFT_CORRECTED, .app = d->app->name,
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

/* Watches until the app's object set changes or the agent stops. */
static void watch_round(struct drift *d)
{
	size_t i;

	streams_build(d);
	while (!stopped(d)) {
		int running = 0, left;
		CURLMsg *m;
		long now = mono_ms();

		if (appstate_generation(d->ag, d->app) != d->gen)
			break;
		for (i = 0; i < d->ns; i++)
			if (!d->s[i].running && now >= d->s[i].retry_at)
				stream_start(d, &d->s[i]);
		curl_multi_perform(d->multi, &running);
		while ((m = curl_multi_info_read(d->multi, &left))) {
			struct stream *s = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			if (!s)
				continue;
			if (m->data.result != CURLE_OK && !s->relist) {
				agent_log("warn", d->app->name, NULL, NULL, "watch", "%s: %s",
					  s->res.resource, s->errbuf[0] ? s->errbuf
								   : curl_easy_strerror(m->data.result));
				s->relist = true;
				s->retry_at = mono_ms() + 1000;
			}
			/* A watch that ended on time is reopened from its resourceVersion. */
			stream_stop(d, s);
			if (s->retry_at < mono_ms() + 200)
				s->retry_at = mono_ms() + 200; /* a server that closes at once is not spun on */
		}
		if (d->npend && mono_ms() - d->last_event_ms >= DRIFT_SETTLE_MS &&
		    !appstate_applying(d->ag, d->app)) {
			for (i = 0; i < d->npend && !stopped(d); i++)
				check(d, &d->pend[i]);
			pending_clear(d);
		}
		curl_multi_poll(d->multi, NULL, 0, d->npend ? DRIFT_SETTLE_MS : 250, NULL);
	}
	pending_clear(d);
	streams_release(d);
}

static void *drift_thread(void *arg)
{
	struct drift *d = arg;

	while (!stopped(d)) {
		if (appstate_generation(d->ag, d->app) == 0) {
			/* Nothing applied yet: nothing to watch. */
			sleep_ms(250);
			continue;
		}
		watch_round(d);
	}
	return NULL;
}

int drift_start(struct drift **out, struct agent *ag, const struct agent_app *app)
{
	struct drift *d;
	struct strbuf tok = STRBUF_INIT;
	int r;

	*out = NULL;
	if (!strcmp(app->drift, "ignore"))
		return 0;
	d = xcalloc(1, sizeof(*d));
	d->ag = ag;
	d->app = app;
	/* The client for checks and corrections; opening it reads the token file once. */
	r = kube_open(&d->k, ag->kube, 2);
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
	if (!d->multi || pthread_create(&d->thread, NULL, drift_thread, d)) {
		r = err_set(ERR_GENERIC, "cannot start the drift watcher of app %s", app->name);
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
	if (!d)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	if (d->started) {
		curl_multi_wakeup(d->multi);
		pthread_join(d->thread, NULL);
	}
	free(d->pend);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	kube_close(d->k);
	if (d->auth) {
		explicit_bzero(d->auth, strlen(d->auth));
		free(d->auth);
	}
	free(d);
}
