/*
 * appstate.c - per-app state beside the recorded status: the objects
 * with their health and drift, the pending plan, the sync history and the
 * accepted drift; and the app document GET /v1/apps/APP serves.  See
 * plan.h and agent.h (agent_app_json).
 *
 * Everything is guarded by the agent's lock and kept small: one entry per
 * applied object (its apply body included, so a drift check needs no
 * artifact), at most PLAN_HISTORY_MAX history entries.  History and
 * accepted drift are also written to stateDir (APP.history.json,
 * APP.accepted.json) so a restart keeps them; the rest is rebuilt by the
 * first sync.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/drift.h"
#include "agent/plan.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPSTATE_FILE_MAX (4u << 20)

struct aobj {
	char *api_version, *kind, *ns, *name;
	int health;
	char *health_message;
	char *body;
	char *rv;      /* the resourceVersion the sync saw last */
	char *drift;   /* differences (plan_diff output), NULL: no drift */
	bool deleted;
	time_t since;
};

struct app_state {
	bool loaded;
	struct aobj *objs;
	size_t nobjs;
	char *plan_json;
	char plan_hash[DIGEST_STR_SIZE];
	char *history[PLAN_HISTORY_MAX]; /* newest first */
	size_t nhistory;
	struct drift_rule *accepted;
	size_t naccepted;
	bool approved;
	char approved_digest[DIGEST_STR_SIZE], approved_hash[DIGEST_STR_SIZE];
	char approved_by[128];
	unsigned gen; /* bumped by each appstate_set_objects */
	bool applying;
};

static void rfc3339(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void kv_str(struct strbuf *sb, const char *k, const char *v, bool comma)
{
	if (comma)
		strbuf_addch(sb, ',');
	strbuf_add_json_str(sb, k, strlen(k));
	strbuf_addch(sb, ':');
	if (v)
		strbuf_add_json_str(sb, v, strlen(v));
	else
		strbuf_addstr(sb, "null");
}

static void state_file(struct strbuf *out, const struct agent *ag, const struct agent_app *app,
		       const char *what)
{
	strbuf_addf(out, "%s/%s.%s.json", ag->cfg.state_dir, app->name, what);
}

/* Reads a JSON array file; NULL (and no error) when missing or unreadable. */
static struct doc_stream *read_array(const struct agent *ag, const struct agent_app *app,
				     const char *what)
{
	struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
	struct doc_stream *s = NULL;

	state_file(&path, ag, app, what);
	if (strbuf_read_file(&sb, path.buf, APPSTATE_FILE_MAX) ||
	    doc_parse(&s, sb.buf, sb.len, path.buf, NULL) || s->ndocs != 1 ||
	    s->docs[0]->kind != DOC_SEQ) {
		if (access(path.buf, F_OK) == 0)
			agent_log("warn", app->name, NULL, NULL, "state", "%s: unreadable, ignored: %s",
				  path.buf, err_msg());
		err_clear();
		doc_stream_free(s);
		s = NULL;
	}
	strbuf_release(&path);
	strbuf_release(&sb);
	return s;
}

static int write_state(const struct agent *ag, const struct agent_app *app, const char *what,
		       const struct strbuf *json)
{
	struct strbuf path = STRBUF_INIT;
	int r = 0;

	if (mkdir(ag->cfg.state_dir, 0755) && errno != EEXIST)
		r = err_set(ERR_GENERIC, "cannot create %s: %s", ag->cfg.state_dir, strerror(errno));
	if (!r) {
		state_file(&path, ag, app, what);
		r = write_file_atomic(path.buf, json->buf, json->len, 0644);
	}
	if (r) {
		agent_log("error", app->name, NULL, NULL, "state", "%s", err_msg());
		err_clear();
	}
	strbuf_release(&path);
	return r;
}

static char *opt_str(const struct doc_node *n, const char *key)
{
	const char *v = doc_get_str(n, key, NULL);

	return v && *v ? xstrdup(v) : NULL;
}

static void load(struct agent *ag, const struct agent_app *app, struct app_state *st)
{
	struct doc_stream *s;
	size_t i, j;

	st->loaded = true;
	s = read_array(ag, app, "history");
	for (i = 0; s && i < s->docs[0]->n && st->nhistory < PLAN_HISTORY_MAX; i++) {
		struct strbuf sb = STRBUF_INIT;
		if (s->docs[0]->kids[i]->kind == DOC_MAP && !doc_emit_json(&sb, s->docs[0]->kids[i])) {
			strbuf_rtrim(&sb);
			st->history[st->nhistory++] = strbuf_detach(&sb, NULL);
		} else {
			err_clear();
			strbuf_release(&sb);
		}
	}
	doc_stream_free(s);
	/* The pending plan, so a restart does not report it as new again. */
	s = read_array(ag, app, "plan");
	if (s && s->docs[0]->n == 1 && doc_get_str(s->docs[0]->kids[0], "hash", NULL)) {
		struct strbuf sb = STRBUF_INIT;
		if (!doc_emit_json(&sb, s->docs[0]->kids[0])) {
			strbuf_rtrim(&sb);
			st->plan_json = strbuf_detach(&sb, NULL);
			xsnprintf(st->plan_hash, sizeof(st->plan_hash), "%s",
				  doc_get_str(s->docs[0]->kids[0], "hash", NULL));
		}
		err_clear();
		strbuf_release(&sb);
	}
	doc_stream_free(s);
	s = read_array(ag, app, "accepted");
	for (i = 0; s && i < s->docs[0]->n; i++) {
		const struct doc_node *e = s->docs[0]->kids[i];
		const struct doc_node *ptrs = doc_map_get(e, "jsonPointers");
		struct drift_rule r = { 0 };

		if (e->kind != DOC_MAP || !doc_get_str(e, "kind", NULL) || !ptrs ||
		    ptrs->kind != DOC_SEQ)
			continue;
		r.kind = xstrdup(doc_get_str(e, "kind", NULL));
		r.group = opt_str(e, "group");
		r.name = opt_str(e, "name");
		r.ns = opt_str(e, "namespace");
		r.pointers = xcalloc(ptrs->n ? ptrs->n : 1, sizeof(*r.pointers));
		for (j = 0; j < ptrs->n; j++)
			if (doc_str(ptrs->kids[j]))
				r.pointers[r.npointers++] = xstrdup(doc_str(ptrs->kids[j]));
		st->accepted = xrealloc(st->accepted, (st->naccepted + 1) * sizeof(*st->accepted));
		st->accepted[st->naccepted++] = r;
	}
	doc_stream_free(s);
}

/* The app's state, loaded on first use.  Called locked. */
static struct app_state *get(struct agent *ag, const struct agent_app *app)
{
	struct app_state *st;

	if (!ag->appstate)
		ag->appstate = xcalloc(ag->cfg.napps ? ag->cfg.napps : 1, sizeof(struct app_state));
	st = &ag->appstate[app->index];
	if (!st->loaded) {
		/* Loading clears errors it ignores: the caller's pending error survives. */
		int code = err_code();
		char *msg = code ? xstrdup(err_msg()) : NULL;

		load(ag, app, st);
		if (code)
			err_set(code, "%s", msg);
		else
			err_clear();
		free(msg);
	}
	return st;
}

static void aobj_release(struct aobj *o)
{
	free(o->api_version);
	free(o->kind);
	free(o->ns);
	free(o->name);
	free(o->health_message);
	free(o->body);
	free(o->rv);
	free(o->drift);
}

static bool same_group(const char *av1, const char *av2)
{
	const char *s1 = strchr(av1, '/'), *s2 = strchr(av2, '/');
	size_t l1 = s1 ? (size_t)(s1 - av1) : 0, l2 = s2 ? (size_t)(s2 - av2) : 0;

	return l1 == l2 && !strncmp(av1, av2, l1);
}

static struct aobj *find(struct app_state *st, const char *api_version, const char *kind,
			 const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < st->nobjs; i++) {
		struct aobj *o = &st->objs[i];
		if (!strcmp(o->kind, kind) && !strcmp(o->name, name) && !strcmp(o->ns, ns ? ns : "") &&
		    same_group(o->api_version, api_version))
			return o;
	}
	return NULL;
}

static bool same_set(const struct aobj *a, size_t na, const struct aobj *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].api_version, b[i].api_version) || strcmp(a[i].kind, b[i].kind) ||
		    strcmp(a[i].ns, b[i].ns) || strcmp(a[i].name, b[i].name))
			return false;
	return true;
}

void appstate_set_applying(struct agent *ag, const struct agent_app *app, bool on)
{
	pthread_mutex_lock(&ag->lock);
	get(ag, app)->applying = on;
	pthread_mutex_unlock(&ag->lock);
}

bool appstate_applying(struct agent *ag, const struct agent_app *app)
{
	bool on;

	pthread_mutex_lock(&ag->lock);
	on = get(ag, app)->applying;
	pthread_mutex_unlock(&ag->lock);
	return on;
}

unsigned appstate_generation(struct agent *ag, const struct agent_app *app)
{
	unsigned g;

	pthread_mutex_lock(&ag->lock);
	g = get(ag, app)->gen;
	pthread_mutex_unlock(&ag->lock);
	return g;
}

void appstate_set_objects(struct agent *ag, const struct agent_app *app,
			  const struct app_object_in *in, size_t n)
{
	struct aobj *objs = xcalloc(n ? n : 1, sizeof(*objs));
	struct app_state *st;
	size_t i;

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	for (i = 0; i < n; i++) {
		struct aobj *o = &objs[i], *old = find(st, in[i].api_version, in[i].kind, in[i].ns,
						       in[i].name);
		o->api_version = xstrdup(in[i].api_version);
		o->kind = xstrdup(in[i].kind);
		o->ns = xstrdup(in[i].ns ? in[i].ns : "");
		o->name = xstrdup(in[i].name);
		o->health = in[i].health;
		o->health_message = in[i].health_message && *in[i].health_message
					    ? xstrdup(in[i].health_message) : NULL;
		o->body = in[i].body ? xstrdup(in[i].body) : NULL;
		o->rv = xstrdup(in[i].rv ? in[i].rv : "");
		/*
		 * A sync that applied the object undid its drift; one that left
		 * it alone (its drift accepted meanwhile, say) did not.
		 */
		if (old && old->drift && !in[i].applied) {
			o->drift = old->drift;
			old->drift = NULL;
			o->deleted = old->deleted;
			o->since = old->since;
		}
	}
	/* Only a different set of objects restarts the watches. */
	if (!same_set(st->objs, st->nobjs, objs, n) || !st->gen) {
		st->gen++;
		drift_wake(ag->drift);
	}
	for (i = 0; i < st->nobjs; i++)
		aobj_release(&st->objs[i]);
	free(st->objs);
	st->objs = objs;
	st->nobjs = n;
	pthread_mutex_unlock(&ag->lock);
}

bool appstate_set_drift(struct agent *ag, const struct agent_app *app, const char *api_version,
			const char *kind, const char *ns, const char *name, const char *diff_json,
			bool deleted)
{
	struct app_state *st;
	struct aobj *o;
	bool changed = false;

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	o = find(st, api_version, kind, ns, name);
	if (!o)
		goto out;
	if (!deleted && (!diff_json || !*diff_json)) {
		changed = o->drift != NULL;
		free(o->drift);
		o->drift = NULL;
		o->deleted = false;
		goto out;
	}
	if (o->drift && o->deleted == deleted && !strcmp(o->drift, diff_json ? diff_json : ""))
		goto out;
	if (!o->drift)
		o->since = time(NULL);
	free(o->drift);
	o->drift = xstrdup(diff_json ? diff_json : "");
	o->deleted = deleted;
	changed = true;
out:
	pthread_mutex_unlock(&ag->lock);
	return changed;
}

char *appstate_object_body(struct agent *ag, const struct agent_app *app,
			   const char *api_version, const char *kind, const char *ns,
			   const char *name)
{
	struct aobj *o;
	char *body = NULL;

	pthread_mutex_lock(&ag->lock);
	o = find(get(ag, app), api_version, kind, ns, name);
	if (o && o->body)
		body = xstrdup(o->body);
	pthread_mutex_unlock(&ag->lock);
	return body;
}

void appstate_objects(struct agent *ag, const struct agent_app *app,
		      struct app_object_ref **out, size_t *n, unsigned *gen)
{
	struct app_state *st;
	size_t i;

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	*out = xcalloc(st->nobjs ? st->nobjs : 1, sizeof(**out));
	*n = st->nobjs;
	*gen = st->gen;
	for (i = 0; i < st->nobjs; i++) {
		(*out)[i].api_version = xstrdup(st->objs[i].api_version);
		(*out)[i].kind = xstrdup(st->objs[i].kind);
		(*out)[i].ns = xstrdup(st->objs[i].ns);
		(*out)[i].name = xstrdup(st->objs[i].name);
		(*out)[i].rv = xstrdup(st->objs[i].rv ? st->objs[i].rv : "");
	}
	pthread_mutex_unlock(&ag->lock);
}

void app_object_refs_free(struct app_object_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].api_version);
		free(v[i].kind);
		free(v[i].ns);
		free(v[i].name);
		free(v[i].rv);
	}
	free(v);
}

size_t appstate_drifted_locked(struct agent *ag, size_t app_index)
{
	struct app_state *st;
	size_t i, n = 0;

	if (!ag->appstate || app_index >= ag->cfg.napps)
		return 0;
	st = &ag->appstate[app_index];
	for (i = 0; i < st->nobjs; i++)
		n += st->objs[i].drift != NULL;
	return n;
}

bool appstate_set_plan(struct agent *ag, const struct agent_app *app, const char *digest,
		       const char *hash, const char *plan_json)
{
	struct app_state *st;
	struct strbuf file = STRBUF_INIT;
	bool changed;

	(void)digest;
	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	changed = plan_json ? strcmp(st->plan_hash, hash) != 0 : st->plan_json != NULL;
	if (changed) {
		strbuf_addf(&file, "[%s]\n", plan_json ? plan_json : "");
		write_state(ag, app, "plan", &file);
	}
	free(st->plan_json);
	st->plan_json = plan_json ? xstrdup(plan_json) : NULL;
	xsnprintf(st->plan_hash, sizeof(st->plan_hash), "%s", plan_json ? hash : "");
	pthread_mutex_unlock(&ag->lock);
	strbuf_release(&file);
	return changed;
}

void appstate_set_approval(struct agent *ag, const struct agent_app *app, const char *digest,
			   const char *hash, const char *who)
{
	struct app_state *st;

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	st->approved = true;
	xsnprintf(st->approved_digest, sizeof(st->approved_digest), "%s", digest);
	xsnprintf(st->approved_hash, sizeof(st->approved_hash), "%s", hash);
	xsnprintf(st->approved_by, sizeof(st->approved_by), "%s", who ? who : "api");
	pthread_mutex_unlock(&ag->lock);
}

bool appstate_take_approval(struct agent *ag, const struct agent_app *app,
			    char digest[DIGEST_STR_SIZE], char hash[DIGEST_STR_SIZE], char who[128])
{
	struct app_state *st;
	bool had;

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	had = st->approved;
	if (had) {
		memcpy(digest, st->approved_digest, DIGEST_STR_SIZE);
		memcpy(hash, st->approved_hash, DIGEST_STR_SIZE);
		memcpy(who, st->approved_by, 128);
		st->approved = false;
	}
	pthread_mutex_unlock(&ag->lock);
	return had;
}

char *appstate_object_drift(struct agent *ag, const struct agent_app *app, const char *group,
			    const char *kind, const char *ns, const char *name, char **api_version,
			    char **ns_out, bool *deleted)
{
	struct app_state *st;
	char *d = NULL;
	size_t i;

	*api_version = NULL;
	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	for (i = 0; i < st->nobjs; i++) {
		struct aobj *o = &st->objs[i];
		const char *slash = strchr(o->api_version, '/');
		size_t gl = slash ? (size_t)(slash - o->api_version) : 0;
		if (strcmp(o->kind, kind) || strcmp(o->name, name) || !o->drift ||
		    (ns && strcmp(o->ns, ns)) ||
		    (group && (strlen(group) != gl || strncmp(group, o->api_version, gl))))
			continue;
		d = xstrdup(o->drift);
		*api_version = xstrdup(o->api_version);
		*ns_out = xstrdup(o->ns);
		*deleted = o->deleted;
		if (!ns)
			break;
	}
	pthread_mutex_unlock(&ag->lock);
	return d;
}

void appstate_history_add(struct agent *ag, const struct agent_app *app,
			  const struct sync_result *res, const char *approved_by)
{
	struct app_state *st;
	struct strbuf e = STRBUF_INIT, file = STRBUF_INIT;
	char started[32], finished[32];
	size_t i;

	rfc3339(started, sizeof(started), res->started);
	rfc3339(finished, sizeof(finished), res->finished ? res->finished : time(NULL));
	strbuf_addch(&e, '{');
	kv_str(&e, "digest", res->digest[0] ? res->digest : NULL, false);
	kv_str(&e, "revision", res->revision, true);
	kv_str(&e, "result", res->rc ? err_name(res->rc) : "ok", true);
	kv_str(&e, "message", res->message, true);
	kv_str(&e, "started", started, true);
	kv_str(&e, "finished", finished, true);
	strbuf_addf(&e, ",\"applied\":%zu,\"unchanged\":%zu,\"pruned\":%zu", res->applied,
		    res->unchanged, res->pruned);
	kv_str(&e, "health", agent_health_name(res->health), true);
	if (approved_by)
		kv_str(&e, "approvedBy", approved_by, true);
	strbuf_addch(&e, '}');

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	if (st->nhistory == PLAN_HISTORY_MAX)
		free(st->history[--st->nhistory]);
	memmove(st->history + 1, st->history, st->nhistory * sizeof(*st->history));
	st->history[0] = strbuf_detach(&e, NULL);
	st->nhistory++;
	strbuf_addch(&file, '[');
	for (i = 0; i < st->nhistory; i++)
		strbuf_addf(&file, "%s%s\n", i ? "," : "", st->history[i]);
	strbuf_addstr(&file, "]\n");
	/* Under the lock: two syncs of one app never interleave their writes. */
	write_state(ag, app, "history", &file);
	pthread_mutex_unlock(&ag->lock);
	strbuf_release(&file);
}

static void rule_json(struct strbuf *sb, const struct drift_rule *r)
{
	size_t j;

	strbuf_addch(sb, '{');
	kv_str(sb, "group", r->group, false);
	kv_str(sb, "kind", r->kind, true);
	kv_str(sb, "namespace", r->ns, true);
	kv_str(sb, "name", r->name, true);
	strbuf_addstr(sb, ",\"jsonPointers\":[");
	for (j = 0; j < r->npointers; j++) {
		if (j)
			strbuf_addch(sb, ',');
		strbuf_add_json_str(sb, r->pointers[j], strlen(r->pointers[j]));
	}
	strbuf_addstr(sb, "]}");
}

int appstate_accept(struct agent *ag, const struct agent_app *app, const char *api_version,
		    const char *kind, const char *ns, const char *name, const char *pointers_json)
{
	struct doc_stream *s = NULL;
	struct drift_rule r = { 0 };
	struct app_state *st;
	struct strbuf file = STRBUF_INIT;
	const char *slash = strchr(api_version, '/');
	size_t i;
	int rc;

	rc = doc_parse(&s, pointers_json, strlen(pointers_json), "pointers", NULL);
	if (rc)
		return rc;
	r.kind = xstrdup(kind);
	r.group = slash ? xstrndup(api_version, (size_t)(slash - api_version)) : xstrdup("");
	r.name = xstrdup(name);
	r.ns = ns && *ns ? xstrdup(ns) : NULL;
	r.pointers = xcalloc(s->docs[0]->n + 1, sizeof(*r.pointers));
	for (i = 0; s->docs[0]->kind == DOC_SEQ && i < s->docs[0]->n; i++)
		if (doc_str(s->docs[0]->kids[i]))
			r.pointers[r.npointers++] = xstrdup(doc_str(s->docs[0]->kids[i]));
	doc_stream_free(s);

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	st->accepted = xrealloc(st->accepted, (st->naccepted + 1) * sizeof(*st->accepted));
	st->accepted[st->naccepted++] = r;
	strbuf_addch(&file, '[');
	for (i = 0; i < st->naccepted; i++) {
		if (i)
			strbuf_addstr(&file, ",\n");
		rule_json(&file, &st->accepted[i]);
	}
	strbuf_addstr(&file, "]\n");
	rc = write_state(ag, app, "accepted", &file);
	pthread_mutex_unlock(&ag->lock);
	strbuf_release(&file);
	return rc;
}

static void add_ptrs(char ***ptrs, size_t *n, const struct drift_rule *r)
{
	size_t j;

	for (j = 0; j < r->npointers; j++) {
		*ptrs = xrealloc(*ptrs, (*n + 1) * sizeof(**ptrs));
		(*ptrs)[(*n)++] = xstrdup(r->pointers[j]);
	}
}

void appstate_ignores(struct agent *ag, const struct agent_app *app, const char *api_version,
		      const char *kind, const char *ns, const char *name, char ***ptrs,
		      size_t *n)
{
	struct app_state *st;
	size_t i;

	*ptrs = NULL;
	*n = 0;
	for (i = 0; i < app->nignore; i++)
		if (drift_rule_match(&app->ignore[i], api_version, kind, ns, name))
			add_ptrs(ptrs, n, &app->ignore[i]);
	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	for (i = 0; i < st->naccepted; i++)
		if (drift_rule_match(&st->accepted[i], api_version, kind, ns, name))
			add_ptrs(ptrs, n, &st->accepted[i]);
	pthread_mutex_unlock(&ag->lock);
}

void appstate_ignores_free(char **ptrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ptrs[i]);
	free(ptrs);
}

void appstate_free(struct agent *ag)
{
	size_t i, j;

	for (i = 0; ag->appstate && i < ag->cfg.napps; i++) {
		struct app_state *st = &ag->appstate[i];
		for (j = 0; j < st->nobjs; j++)
			aobj_release(&st->objs[j]);
		free(st->objs);
		free(st->plan_json);
		for (j = 0; j < st->nhistory; j++)
			free(st->history[j]);
		for (j = 0; j < st->naccepted; j++)
			drift_rule_release(&st->accepted[j]);
		free(st->accepted);
	}
	free(ag->appstate);
	ag->appstate = NULL;
}

/* Copies the status entry's keys the document keeps (everything but those it rebuilds). */
static void copy_status(struct strbuf *out, const struct doc_node *entry)
{
	static const char *const keys[] = { "digest", "revision", "version", "lastSync", "result",
					     "message", "health", NULL };
	static const char *const extra[] = { "applied", "unchanged", "pruned", "pruneFailed",
					     "inventoryBytes", NULL };
	const char *const *k;

	for (k = keys; *k; k++) {
		const struct doc_node *v = entry ? doc_map_get(entry, *k) : NULL;
		strbuf_addf(out, ",\"%s\":", *k);
		if (!v) {
			strbuf_addstr(out, !strcmp(*k, "health") ? "\"Unknown\"" : "null");
			continue;
		}
		if (doc_emit_json(out, v))
			err_clear();
		strbuf_rtrim(out);
	}
	for (k = extra; *k; k++) {
		const struct doc_node *v = entry ? doc_map_get(entry, *k) : NULL;
		if (!v)
			continue;
		strbuf_addf(out, ",\"%s\":", *k);
		if (doc_emit_json(out, v))
			err_clear();
		strbuf_rtrim(out);
	}
}

int agent_app_json(struct agent *ag, const struct agent_app *app, struct strbuf *out)
{
	struct strbuf status = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *apps, *entry = NULL;
	struct app_state *st;
	size_t i;
	int r;

	r = agent_status_json(ag, &status);
	if (!r)
		r = doc_parse(&ds, status.buf, status.len, "status", NULL);
	if (r)
		goto out;
	apps = ds->ndocs ? doc_map_get(ds->docs[0], "apps") : NULL;
	for (i = 0; apps && apps->kind == DOC_SEQ && i < apps->n; i++) {
		const char *name = doc_get_str(apps->kids[i], "name", NULL);
		if (name && !strcmp(name, app->name))
			entry = apps->kids[i];
	}
	strbuf_addch(out, '{');
	kv_str(out, "name", app->name, false);
	kv_str(out, "source",
	       entry && doc_get_str(entry, "source", NULL) ? doc_get_str(entry, "source", NULL)
							    : app->source, true);
	kv_str(out, "sync", app->sync, true);
	kv_str(out, "drift", app->drift, true);
	strbuf_addf(out, ",\"suspended\":%s", app->suspend ? "true" : "false");
	copy_status(out, entry);

	pthread_mutex_lock(&ag->lock);
	st = get(ag, app);
	strbuf_addstr(out, ",\"objects\":[");
	for (i = 0; i < st->nobjs; i++) {
		const struct aobj *o = &st->objs[i];
		char since[32];

		strbuf_addstr(out, i ? ",{" : "{");
		kv_str(out, "apiVersion", o->api_version, false);
		kv_str(out, "kind", o->kind, true);
		kv_str(out, "namespace", *o->ns ? o->ns : NULL, true);
		kv_str(out, "name", o->name, true);
		kv_str(out, "health", agent_health_name((enum agent_health)o->health), true);
		kv_str(out, "healthMessage", o->health_message, true);
		strbuf_addstr(out, ",\"drift\":");
		if (!o->drift) {
			strbuf_addstr(out, "null}");
			continue;
		}
		rfc3339(since, sizeof(since), o->since);
		strbuf_addch(out, '{');
		kv_str(out, "since", since, false);
		strbuf_addf(out, ",\"deleted\":%s,\"diff\":[%s]}}", o->deleted ? "true" : "false",
			    o->drift);
	}
	strbuf_addf(out, "],\"drifted\":%zu,\"plan\":%s,\"history\":[",
		    appstate_drifted_locked(ag, app->index), st->plan_json ? st->plan_json : "null");
	for (i = 0; i < st->nhistory; i++)
		strbuf_addf(out, "%s%s", i ? "," : "", st->history[i]);
	strbuf_addstr(out, "],\"ignoreDifferences\":[");
	for (i = 0; i < app->nignore; i++) {
		if (i)
			strbuf_addch(out, ',');
		rule_json(out, &app->ignore[i]);
	}
	for (i = 0; i < st->naccepted; i++) {
		if (i || app->nignore)
			strbuf_addch(out, ',');
		rule_json(out, &st->accepted[i]);
	}
	pthread_mutex_unlock(&ag->lock);
	strbuf_addstr(out, "]}\n");
out:
	doc_stream_free(ds);
	strbuf_release(&status);
	return r;
}
