/*
 * drift.c - drift detection through watches.  See drift.h.
 *
 * One thread watches for every app whose drift policy is not `ignore`.
 * It watches the resources of the apps' objects (those each app's last
 * sync recorded): one watch per resource for all the apps that have
 * objects of it, across namespaces, with the label selector
 * "hoist.dev/app in (APP,...)", as an informer watches a resource for
 * every object it cares about.  Events go to the apps whose objects they
 * name.  The watches share one libcurl multi handle, so against a server
 * that speaks HTTP/2 they are streams of one connection (over HTTP/1.1
 * each needs its own), and one API client (its own connection) makes the
 * LISTs and checks of every app.  A thread, a multi handle and a watch
 * per resource for each app cost 7.6 MB of an idle agent's 12 MB of
 * anonymous memory with 20 apps (docs/testing.md), and the API server a
 * watch for each.
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

/* An app that has objects of a stream's resource. */
struct member {
	size_t app;  /* index into drift.apps */
	bool fresh;  /* its objects changed since the stream last listed */
};

/* One watch: a resource, for every app with objects of it. */
struct stream {
	struct drift *d;
	struct kube_resource res;
	char *api_version, *kind; /* of the apps' objects of this resource */
	char *selector;           /* hoist.dev/app in (...) */
	struct member *m;
	size_t nm;
	char rv[64];
	struct watch_buf buf;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	bool relist;   /* list again before the next watch */
	bool running;
	bool keep;     /* still wanted by the last rebuild */
	long retry_at; /* monotonic ms: do not reopen before */
};

/* What the watcher keeps for one app. */
struct app_watch {
	struct drift *d;
	const struct agent_app *app;
	struct app_object_ref *objs;
	size_t nobjs;
	unsigned gen; /* of objs (appstate_generation); 0: nothing recorded yet */
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
	CURLM *multi;   /* every watch; they carry k's Authorization header */
	long auth_read; /* monotonic ms of the last read of the token file; 0: read it now */
	struct app_watch *apps;
	size_t napps;
	struct stream **s; /* pointers: a stream's address is its handle's private data */
	size_t ns, s_alloc;
};

/* Above this many bytes of app names, a watch selects hoist.dev/app (any app) instead. */
#define DRIFT_SELECTOR_MAX 2048

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

/*
 * The watcher lives as long as the agent, and an in-cluster service
 * account token rotates (the kubelet replaces the projected file well
 * before it expires): the token file is read again every minute, and at
 * once after the server answered 401.  Returns whether the token changed.
 */
#define DRIFT_TOKEN_REREAD_MS 60000

static bool auth_refresh(struct drift *d)
{
	int r;

	d->auth_read = mono_ms();
	r = kube_reload_token(d->k);
	if (r < 0) {
		agent_log("warn", NULL, NULL, NULL, "watch", "token file: %s", err_msg());
		err_clear();
	}
	return r > 0;
}

/* kube_do for the watcher's client: once more with a re-read token after a 401. */
static int drift_do(struct drift *d, struct kube_req *req)
{
	int r = kube_do(d->k, req);

	if (r == ERR_AUTH && req->status == 401 && auth_refresh(d)) {
		kube_req_release(req);
		strbuf_init(&req->reply, 0);
		req->error = NULL;
		err_clear();
		r = kube_do(d->k, req);
	}
	return r;
}

static bool same_group(const char *av, const char *group)
{
	const char *slash = strchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;

	return strlen(group) == gl && !strncmp(av, group, gl);
}

static bool of_stream(const struct app_object_ref *o, const struct stream *s)
{
	return !strcmp(o->kind, s->kind) && same_group(o->api_version, s->res.group);
}

static const struct app_object_ref *find_obj(struct app_watch *w, const struct stream *s,
					     const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < w->nobjs; i++) {
		const struct app_object_ref *o = &w->objs[i];
		if (!strcmp(o->name, name) && !strcmp(o->ns, s->res.namespaced ? ns : "") &&
		    of_stream(o, s))
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

/* Warnings of a stream name the first of its apps (a log line names one app). */
static const char *stream_app(const struct stream *s)
{
	return s->nm ? s->d->apps[s->m[0].app].app->name : NULL;
}

/* One event of a stream: pending for each app whose object it names. */
static void on_event(struct stream *s, const char *line, size_t len)
{
	struct drift *d = s->d;
	struct watch_event ev;
	size_t i;

	if (watch_event_parse(&ev, line, len)) {
		agent_log("warn", stream_app(s), NULL, NULL, "watch", "%s: %s", s->res.resource,
			  err_msg());
		err_clear();
		s->relist = true;
		return;
	}
	if (ev.type == WATCH_ERROR) {
		/* 410 Gone: our resourceVersion is too old.  Anything else: start over too. */
		if (ev.code != 410)
			agent_log("warn", stream_app(s), NULL, NULL, "watch", "%s: %ld %s",
				  s->res.resource, ev.code, ev.message ? ev.message : "");
		s->relist = true;
		watch_event_release(&ev);
		return;
	}
	if (ev.rv[0])
		memcpy(s->rv, ev.rv, sizeof(s->rv));
	for (i = 0; ev.type != WATCH_BOOKMARK && i < s->nm; i++) {
		struct app_watch *w = &d->apps[s->m[i].app];
		const struct app_object_ref *o = find_obj(w, s, ev.ns, ev.name);

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

/* A listed object: "NAMESPACE/NAME" and its resourceVersion. */
struct listed {
	const char *ns, *name, *rv;
};

static int listed_cmp(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

/* LISTs the stream's collection: its resourceVersion, and objects gone meanwhile. */
static int relist(struct stream *s)
{
	struct drift *d = s->d;
	struct strbuf path = STRBUF_INIT;
	struct doc_stream **pages = NULL;
	struct listed *v = NULL;
	size_t npages = 0, nv = 0, alloc = 0, i, j, p;
	const char *rv;
	/*
	 * Changes made while no watch ran are in no event: after a broken
	 * watch, every object of the collection is checked once.  The first
	 * list after a sync recorded an app's objects checks those of its
	 * objects whose resourceVersion moved since that sync saw them (an
	 * edit during its health wait, say).
	 */
	bool check_all = s->rv[0] != '\0';
	int r;

	kube_path(&path, &s->res, "", NULL);
	r = kube_list(d->k, path.buf, s->selector, &pages, &npages, path.buf);
	if (r == ERR_AUTH && auth_refresh(d)) {
		err_clear();
		r = kube_list(d->k, path.buf, s->selector, &pages, &npages, path.buf);
	}
	if (r)
		goto out;
	rv = npages ? doc_get_str(pages[0]->docs[0], "metadata", "resourceVersion", NULL) : NULL;
	xsnprintf(s->rv, sizeof(s->rv), "%s", rv && strlen(rv) < sizeof(s->rv) ? rv : "");
	for (p = 0; p < npages; p++) {
		const struct doc_node *items = doc_map_get(pages[p]->docs[0], "items");
		for (j = 0; items && items->kind == DOC_SEQ && j < items->n; j++) {
			const struct doc_node *it = items->kids[j];
			const char *n = doc_get_str(it, "metadata", "name", NULL);
			const char *ns = doc_get_str(it, "metadata", "namespace", NULL);

			if (!n)
				continue;
			ALLOC_GROW(v, nv + 1, alloc);
			v[nv].ns = s->res.namespaced && ns ? ns : "";
			v[nv].name = n;
			v[nv].rv = doc_get_str(it, "metadata", "resourceVersion", NULL);
			nv++;
		}
	}
	if (nv)
		qsort(v, nv, sizeof(*v), listed_cmp);
	for (i = 0; i < s->nm; i++) {
		struct app_watch *w = &d->apps[s->m[i].app];

		for (j = 0; j < w->nobjs; j++) {
			const struct app_object_ref *o = &w->objs[j];
			struct listed key = { o->ns, o->name, NULL }, *hit;
			bool moved;

			if (!of_stream(o, s))
				continue;
			hit = nv ? bsearch(&key, v, nv, sizeof(*v), listed_cmp) : NULL;
			moved = hit && s->m[i].fresh && *o->rv && (!hit->rv || strcmp(hit->rv, o->rv));
			/* Missing (or its label removed): check it; the check says which. */
			if (!hit || moved || check_all)
				add_pending(w, o, false);
		}
		s->m[i].fresh = false;
	}
	s->relist = false;
out:
	for (p = 0; p < npages; p++)
		doc_stream_free(pages[p]);
	free(pages);
	free(v);
	strbuf_release(&path);
	return r;
}

static void stream_stop(struct stream *s)
{
	if (s->h) {
		curl_multi_remove_handle(s->d->multi, s->h);
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

static void stream_start(struct stream *s)
{
	struct drift *d = s->d;
	const struct kube_conf *c = d->ag->kube;
	struct strbuf url = STRBUF_INIT;
	CURL *h;

	if (s->relist || !s->rv[0]) {
		if (relist(s)) {
			agent_log("warn", stream_app(s), NULL, NULL, "watch", "%s", err_msg());
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
	strbuf_addstr(&url, "?watch=1&allowWatchBookmarks=true&labelSelector=");
	http_urlencode(&url, s->selector);
	strbuf_addf(&url, "&timeoutSeconds=%ld&resourceVersion=", watch_timeout());
	http_urlencode(&url, s->rv);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/*
	 * HTTP/2 where the server offers it (ALPN), and wait for a connection
	 * that is being set up rather than open one more: the watches become
	 * streams of one connection.  Not over plain http://, where there is
	 * no HTTP/2 to wait for: a watch whose answer has not begun leaves
	 * libcurl unsure whether its connection could multiplex, and the next
	 * watch would wait for it.
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
	if (kube_auth_header(d->k))
		s->hdrs = curl_slist_append(s->hdrs, kube_auth_header(d->k));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
	s->h = h;
	s->running = true;
	curl_multi_add_handle(d->multi, h);
	strbuf_release(&url);
}

static void res_release(struct kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	memset(r, 0, sizeof(*r));
}

static void stream_free(struct stream *s)
{
	if (!s)
		return;
	stream_stop(s);
	watch_buf_release(&s->buf);
	res_release(&s->res);
	free(s->api_version);
	free(s->kind);
	free(s->selector);
	free(s->m);
	free(s);
}

static struct stream *stream_find(struct drift *d, const char *group, const char *resource)
{
	size_t i;

	for (i = 0; i < d->ns; i++)
		if (!strcmp(d->s[i]->res.group, group) && !strcmp(d->s[i]->res.resource, resource))
			return d->s[i];
	return NULL;
}

/* The stream that watches objects of apiVersion/kind, or NULL. */
static const struct stream *stream_of(struct drift *d, const char *api_version, const char *kind)
{
	size_t i;

	for (i = 0; i < d->ns; i++)
		if (!strcmp(d->s[i]->kind, kind) && same_group(api_version, d->s[i]->res.group))
			return d->s[i];
	return NULL;
}

static void selector_of(struct strbuf *out, struct drift *d, const struct member *m, size_t nm)
{
	size_t i, names = 0;

	for (i = 0; i < nm; i++)
		names += strlen(d->apps[m[i].app].app->name) + 1;
	if (names > DRIFT_SELECTOR_MAX) {
		/* Events of other apps' objects name no object of ours: find_obj drops them. */
		strbuf_addstr(out, AGENT_LABEL_APP);
		return;
	}
	strbuf_addstr(out, AGENT_LABEL_APP " in (");
	for (i = 0; i < nm; i++)
		strbuf_addf(out, "%s%s", i ? "," : "", d->apps[m[i].app].app->name);
	strbuf_addch(out, ')');
}

static bool same_members(const struct stream *a, const struct stream *b)
{
	size_t i;

	if (a->nm != b->nm)
		return false;
	for (i = 0; i < a->nm; i++)
		if (a->m[i].app != b->m[i].app)
			return false;
	return true;
}

/*
 * Makes the streams follow the apps' recorded objects: one per resource
 * they use, with those apps as members.  A stream whose apps did not
 * change keeps watching (lists again if one of its apps has new objects);
 * one whose apps changed starts over with its new selector.
 */
static void streams_rebuild(struct drift *d)
{
	struct stream **want = NULL;
	size_t nwant = 0, want_alloc = 0, i, j, k;

	for (i = 0; i < d->napps; i++) {
		struct app_watch *w = &d->apps[i];
		bool fresh = appstate_generation(d->ag, w->app) != w->gen;

		if (fresh) {
			app_object_refs_free(w->objs, w->nobjs);
			w->objs = NULL;
			w->nobjs = 0;
			appstate_objects(d->ag, w->app, &w->objs, &w->nobjs, &w->gen);
		}
		for (j = 0; j < w->nobjs; j++) {
			const struct kube_resource *r;
			struct stream *s = NULL;

			for (k = 0; k < nwant && !s; k++)
				if (of_stream(&w->objs[j], want[k]))
					s = want[k];
			if (!s) {
				pthread_mutex_lock(&d->ag->lock);
				r = d->ag->disco ? kube_discovery_find(d->ag->disco, w->objs[j].api_version,
								       w->objs[j].kind) : NULL;
				if (r) {
					s = xcalloc(1, sizeof(*s));
					s->d = d;
					s->res = *r;
					s->res.group = xstrdup(r->group);
					s->res.version = xstrdup(r->version);
					s->res.kind = xstrdup(r->kind);
					s->res.resource = xstrdup(r->resource);
				}
				pthread_mutex_unlock(&d->ag->lock);
				if (!s)
					continue;
				s->api_version = xstrdup(w->objs[j].api_version);
				s->kind = xstrdup(w->objs[j].kind);
				watch_buf_init(&s->buf);
				ALLOC_GROW(want, nwant + 1, want_alloc);
				want[nwant++] = s;
			}
			if (!s->nm || s->m[s->nm - 1].app != i) {
				s->m = xrealloc(s->m, (s->nm + 1) * sizeof(*s->m));
				s->m[s->nm].app = i;
				s->m[s->nm].fresh = fresh;
				s->nm++;
			}
		}
	}
	for (i = 0; i < d->ns; i++)
		d->s[i]->keep = false;
	for (k = 0; k < nwant; k++) {
		struct strbuf sel = STRBUF_INIT;
		struct stream *old;

		selector_of(&sel, d, want[k]->m, want[k]->nm);
		want[k]->selector = strbuf_detach(&sel, NULL);
		old = stream_find(d, want[k]->res.group, want[k]->res.resource);
		if (old && same_members(old, want[k])) {
			/* Same apps: go on watching, unless one has new objects: list again. */
			bool fresh = false;

			for (j = 0; j < old->nm; j++) {
				old->m[j].fresh |= want[k]->m[j].fresh;
				fresh |= want[k]->m[j].fresh;
			}
			if (fresh) {
				old->relist = true;
				stream_stop(old);
			}
			old->keep = true;
			stream_free(want[k]);
			want[k] = NULL;
		} else {
			want[k]->relist = true;
			/*
			 * Its apps changed (one registered): the new stream lists with
			 * a new selector, and an edit made while the old one stopped
			 * is in no event.  Taking over the old stream's resourceVersion
			 * makes that LIST check every object once, as after a broken
			 * watch, and a member the old stream had not listed for yet
			 * stays fresh.
			 */
			if (old) {
				xsnprintf(want[k]->rv, sizeof(want[k]->rv), "%s", old->rv);
				for (j = 0; j < want[k]->nm; j++) {
					size_t o;
					for (o = 0; o < old->nm; o++)
						if (old->m[o].app == want[k]->m[j].app)
							want[k]->m[j].fresh |= old->m[o].fresh;
				}
			}
		}
	}
	for (i = 0, j = 0; i < d->ns; i++) {
		if (d->s[i]->keep)
			d->s[j++] = d->s[i];
		else
			stream_free(d->s[i]);
	}
	d->ns = j;
	for (k = 0; k < nwant; k++) {
		if (!want[k])
			continue;
		ALLOC_GROW(d->s, d->ns + 1, d->s_alloc);
		d->s[d->ns++] = want[k];
	}
	free(want);
}

/* Whether any app's recorded objects changed since the streams were built. */
static bool objects_changed(struct drift *d)
{
	size_t i;

	for (i = 0; i < d->napps; i++)
		if (appstate_generation(d->ag, d->apps[i].app) != d->apps[i].gen)
			return true;
	return false;
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
	r = drift_do(w->d, &req);
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
	const struct stream *s = stream_of(w->d, p->api_version, p->kind);
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
	r = drift_do(w->d, &reqs[0]);
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
		if (drift_do(w->d, &reqs[1]) ||
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

/* A watch request ended: reopen it, from its resourceVersion or after a LIST. */
static void stream_ended(struct stream *s, CURLcode result)
{
	long code = 0;

	if (s->h && !curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code) && code == 401)
		s->d->auth_read = 0; /* read the token file again before the next start */
	if (result != CURLE_OK && !s->relist) {
		agent_log("warn", stream_app(s), NULL, NULL, "watch", "%s: %s", s->res.resource,
			  s->errbuf[0] ? s->errbuf : curl_easy_strerror(result));
		s->relist = true;
		s->retry_at = mono_ms() + 1000;
	}
	stream_stop(s);
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

/* Milliseconds until the first closed watch may reopen; at most a minute. */
static int next_wake(struct drift *d)
{
	long now = mono_ms(), wait = 60000;
	size_t i;

	for (i = 0; i < d->ns; i++)
		if (!d->s[i]->running && d->s[i]->retry_at - now < wait)
			wait = d->s[i]->retry_at - now;
	return wait < 0 ? 0 : (int)wait;
}

void drift_wake(struct drift *d)
{
	if (d && d->multi)
		curl_multi_wakeup(d->multi);
}

static void *drift_thread(void *arg)
{
	struct drift *d = arg;
	size_t i;

	while (!stopped(d)) {
		bool settling = false;
		int running = 0, left;
		CURLMsg *m;
		long now = mono_ms();

		if (d->ag->kube->token_file &&
		    (!d->auth_read || mono_ms() - d->auth_read >= DRIFT_TOKEN_REREAD_MS))
			auth_refresh(d);
		if (objects_changed(d))
			streams_rebuild(d);
		for (i = 0; i < d->ns && !stopped(d); i++)
			if (!d->s[i]->running && now >= d->s[i]->retry_at)
				stream_start(d->s[i]);
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
		/*
		 * Sleep until a watch has something, curl's own timers are due,
		 * a closed watch may reopen, the settle time of an edit passes,
		 * or drift_wake/drift_stop: an idle agent wakes only for what
		 * its watches bring, so the code it maps stays dropped
		 * (run.c).
		 */
		curl_multi_poll(d->multi, NULL, 0, settling ? DRIFT_SETTLE_MS : next_wake(d), NULL);
	}
	for (i = 0; i < d->ns; i++)
		stream_free(d->s[i]);
	free(d->s);
	d->s = NULL;
	d->ns = 0;
	return NULL;
}

int drift_start(struct drift **out, struct agent *ag)
{
	struct drift *d;
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
	 * time (the thread waits for each).  Opening it reads the token
	 * file; the watches carry the same header.
	 */
	r = kube_open(&d->k, ag->kube, 1);
	if (r)
		goto fail;
	d->auth_read = mono_ms();
	d->multi = curl_multi_init();
	if (d->multi)
		/* HTTP/2: every watch a stream of one connection (the default; said here). */
		curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (!d->multi || pthread_create(&d->thread, NULL, drift_thread, d)) {
		r = err_set(ERR_GENERIC, "cannot start the drift watcher");
		goto fail;
	}
	d->started = true;
	pthread_mutex_lock(&ag->lock);
	ag->drift = d;
	pthread_mutex_unlock(&ag->lock);
	*out = d;
	return 0;
fail:
	drift_stop(d);
	return r;
}

void drift_stop(struct drift *d)
{
	size_t i;

	if (!d)
		return;
	pthread_mutex_lock(&d->ag->lock);
	if (d->ag->drift == d)
		d->ag->drift = NULL;
	pthread_mutex_unlock(&d->ag->lock);
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	if (d->started) {
		curl_multi_wakeup(d->multi);
		pthread_join(d->thread, NULL);
	}
	for (i = 0; i < d->napps; i++) {
		pending_clear(&d->apps[i]);
		free(d->apps[i].pend);
		app_object_refs_free(d->apps[i].objs, d->apps[i].nobjs);
	}
	free(d->apps);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	kube_close(d->k);
	free(d);
}
