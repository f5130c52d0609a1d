/*
 * sync.c - one pass over an app: verified artifact in, objects applied in
 * stages with server-side apply, pruned by inventory, health awaited.
 *
 * The shape follows Flux's ssa package, with one more guarantee:
 *
 *   1. plan     every object gets its resource from discovery (kinds whose
 *               CRD is in the same artifact are resolved after that CRD is
 *               applied), the app's namespace when it names none, the
 *               hoist.dev/app label, a stage and a wave;
 *   2. check    every object that can be checked is: GET live (an object
 *               another app's label claims is a conflict between the two
 *               apps), then a dry-run apply.  Any error here, a field
 *               manager conflict under `conflicts: fail` included, ends the
 *               sync before anything was written;
 *   3. apply    stage 1: CRDs, Namespaces, ClusterRoles (then wait until
 *               each CRD is Established and refresh discovery); stage 2:
 *               *Class kinds; stage 3: the rest; within a stage by
 *               hoist.dev/wave, then kind order.  Only objects whose dry-run
 *               result differs from the live object (metadata that always
 *               moves, and status, ignored) are applied, so an unchanged
 *               re-sync writes nothing and a kubectl edit of a field we
 *               own is undone;
 *   4. prune    only when everything applied: what the previous inventory
 *               had and this one lacks, in reverse order, only if its live
 *               label still names the app and it is not annotated
 *               hoist.dev/prune: disabled; deletions that fail stay in the
 *               inventory;
 *   5. health   until everything is Healthy, something Failed, the timeout
 *               passes or the caller cancels.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/health.h"
#include "agent/inventory.h"
#include "agent/kube.h"
#include "agent/plan.h"
#include "agent/source.h"
#include "core/arena.h"
#include "oci/artifact.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "core/strbuf.h"
#include <time.h>

enum item_state { IT_PENDING = 0, IT_UNCHANGED, IT_CHANGE, IT_CREATE };

struct item {
	struct object *obj;
	const struct kube_resource *res; /* &res_copy, or NULL: not known yet (CRD in this set) */
	struct kube_resource res_copy;   /* a copy: the agent's cache may be replaced meanwhile */
	bool deferred_namespaced;
	const char *ns;                  /* effective namespace, "" for cluster-scoped */
	char *what;                      /* "Deployment web/api" */
	int stage;
	long wave;
	size_t order;                    /* position after the legacy kind sort */
	struct strbuf body;              /* the apply body (JSON) */
	const struct doc_node *live;     /* last known live object, NULL: absent */
	char rv[64];                     /* its resourceVersion, kept when `live` is dropped */
	struct doc_stream *live_own;     /* its stream, when not a page of a LIST */
	enum item_state st;
	bool no_dry_run;                 /* a create left to its own apply (check) */
	bool unchecked;                  /* a create no dry run could check: new namespace or kind */
	bool created;                    /* applied with 201 Created: this sync made it */
	bool applied;
	enum agent_health health;
	struct strbuf reason;
	struct strbuf diff;              /* field-level differences (plan_diff) */
	size_t ndiff;
};

struct sync_ctx {
	struct agent *ag;
	const struct agent_app *app;
	struct kube *k;
	const volatile int *cancel;
	struct sync_result *res;
	struct item *items;
	size_t n;
	struct doc_stream **pages; /* LIST replies items' live objects point into */
	size_t npages, pages_alloc;
	time_t deadline;
	bool disco_refreshed;
	struct sync_opts *o;             /* never NULL inside agent_sync_ex */
	bool manual;                     /* `sync: manual`: plan, apply only what is approved */
	bool stopped;                    /* a manual pass ended at its plan: nothing recorded */
	bool stale_digest;               /* the approval named another digest than the source's */
	bool creates_unchecked;          /* some creates had no dry run: undo them on failure */
};

static bool cancelled(const struct sync_ctx *c)
{
	return c->cancel && *c->cancel;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Discovery, shared by the agent's syncs; `force` asks the server again. */
static int discovery(struct sync_ctx *c, bool force)
{
	struct kube_discovery *d = NULL;
	int r = 0;

	pthread_mutex_lock(&c->ag->lock);
	if (c->ag->disco && !force) {
		pthread_mutex_unlock(&c->ag->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->ag->lock);
	r = kube_discover(c->k, &d);
	if (r)
		return r;
	/*
	 * Syncs keep copies of what they looked up (lookup()), so the cache
	 * can be replaced while other syncs run.
	 */
	pthread_mutex_lock(&c->ag->lock);
	kube_discovery_free(c->ag->disco);
	c->ag->disco = d;
	pthread_mutex_unlock(&c->ag->lock);
	return 0;
}

static void res_release(struct kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	memset(r, 0, sizeof(*r));
}

/* Copies the resource of apiVersion/kind into *out; false when the server has no such kind. */
static bool lookup(struct sync_ctx *c, const char *api_version, const char *kind,
		   struct kube_resource *out)
{
	const struct kube_resource *r;

	res_release(out);
	pthread_mutex_lock(&c->ag->lock);
	r = kube_discovery_find(c->ag->disco, api_version, kind);
	if (r) {
		*out = *r;
		out->group = xstrdup(r->group);
		out->version = xstrdup(r->version);
		out->kind = xstrdup(r->kind);
		out->resource = xstrdup(r->resource);
	}
	pthread_mutex_unlock(&c->ag->lock);
	return r != NULL;
}

static void item_lookup(struct sync_ctx *c, struct item *it)
{
	it->res = lookup(c, it->obj->api_version, it->obj->kind, &it->res_copy) ? &it->res_copy
										 : NULL;
}

static bool same_res(const struct kube_resource *a, const struct kube_resource *b)
{
	return !strcmp(a->group, b->group) && !strcmp(a->version, b->version) &&
	       !strcmp(a->resource, b->resource);
}

/* Kubernetes object names and namespaces: nothing that could change our request path. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == '%' || *s == '?' || *s == '#' || (unsigned char)*s <= ' ' ||
		    *s == 0x7f)
			return false;
	return true;
}

static int stage_of(const char *kind)
{
	size_t n = strlen(kind);

	if (!strcmp(kind, "CustomResourceDefinition") || !strcmp(kind, "Namespace") ||
	    !strcmp(kind, "ClusterRole"))
		return 0;
	if (n > 5 && !strcmp(kind + n - 5, "Class"))
		return 1;
	return 2;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->wave != y->wave)
		return x->wave < y->wave ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The CRD in the set that defines apiVersion/kind, or NULL. */
static const struct doc_node *crd_for(const struct objset *set, const char *api_version,
				      const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t i;

	if (!slash)
		return NULL;
	for (i = 0; i < set->n; i++) {
		const struct object *o = &set->objs[i];
		const char *g, *k;
		if (strcmp(o->kind, "CustomResourceDefinition"))
			continue;
		g = doc_get_str(o->node, "spec", "group", NULL);
		k = doc_get_str(o->node, "spec", "names", "kind", NULL);
		if (g && k && !strcmp(k, kind) && strlen(g) == (size_t)(slash - api_version) &&
		    !strncmp(g, api_version, strlen(g)))
			return o->node;
	}
	return NULL;
}

static bool set_has_namespace(const struct objset *set, const char *ns)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->objs[i].kind, "Namespace") && !strcmp(set->objs[i].api_version, "v1") &&
		    !strcmp(set->objs[i].name, ns))
			return true;
	return false;
}

/* Step 1: resources, namespaces, labels, bodies, order. */
/* "GROUP KIND NAMESPACE/NAME" of an item: the object the API server stores. */
static char *object_key(const struct item *it)
{
	const char *av = it->obj->api_version, *slash = strchr(av, '/');
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%.*s %s %s/%s", slash ? (int)(slash - av) : 0, av, it->obj->kind,
		    it->ns, it->obj->name);
	return strbuf_detach(&sb, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One object may appear once.  The artifact's own check tells objects
 * apart by apiVersion (kustomize's identity), and an object without a
 * namespace only gets the default one here; but the API server stores one
 * object per group, kind, namespace and name, at any served version, and
 * applying it twice in one sync would make its two forms fight.
 */
static int check_one_each(struct sync_ctx *c)
{
	char **keys = xcalloc(c->n ? c->n : 1, sizeof(*keys));
	size_t i;
	int r = 0;

	for (i = 0; i < c->n; i++)
		keys[i] = object_key(&c->items[i]);
	qsort(keys, c->n, sizeof(*keys), cmp_str);
	for (i = 1; i < c->n && !r; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			r = err_set(ERR_INVALID,
				    "the artifact holds %s twice (at two apiVersions, or once with the default namespace named and once without); the API server keeps one object",
				    keys[i]);
	for (i = 0; i < c->n; i++)
		free(keys[i]);
	free(keys);
	return r;
}

static int plan(struct sync_ctx *c, struct objset *set, struct arena *a)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int r = 0;

	objset_sort_legacy(set);
	c->items = xcalloc(set->n ? set->n : 1, sizeof(*c->items));
	c->n = set->n;
	for (i = 0; i < set->n; i++) {
		struct item *it = &c->items[i];
		struct object *o = &set->objs[i];
		struct doc_node *meta, *labels;
		const char *wave;
		bool namespaced;

		it->obj = o;
		it->order = i;
		strbuf_init(&it->body, 0);
		strbuf_init(&it->reason, 0);
		strbuf_init(&it->diff, 0);
		it->stage = stage_of(o->kind);
		if (!name_ok(o->name) || (*o->namespace && !name_ok(o->namespace))) {
			r = err_set(ERR_INVALID, "%s %s: not a valid object name", o->kind, o->name);
			goto out;
		}
		item_lookup(c, it);
		if (!it->res && !crd_for(set, o->api_version, o->kind) && !c->disco_refreshed) {
			/* An unknown kind may be new since discovery was cached. */
			c->disco_refreshed = true;
			r = discovery(c, true);
			if (r)
				goto out;
			item_lookup(c, it);
		}
		if (it->res) {
			namespaced = it->res->namespaced;
		} else {
			const struct doc_node *crd = crd_for(set, o->api_version, o->kind);
			const char *scope = crd ? doc_get_str(crd, "spec", "scope", NULL) : NULL;
			if (!crd) {
				r = err_set(ERR_INVALID,
					    "%s %s: the API server has no kind %s in %s (and no CRD in the artifact defines it)",
					    o->kind, o->name, o->kind, o->api_version);
				goto out;
			}
			namespaced = !scope || strcmp(scope, "Cluster");
			it->deferred_namespaced = namespaced;
		}
		meta = doc_map_ensure_map(a, o->node, "metadata");
		if (!meta) {
			r = err_set(ERR_INVALID, "%s %s: metadata is not a mapping", o->kind, o->name);
			goto out;
		}
		if (namespaced) {
			it->ns = *o->namespace ? o->namespace
					       : c->app->namespace ? c->app->namespace
								   : c->ag->kube->namespace;
			if (!*o->namespace)
				doc_map_set(a, meta, "namespace", doc_new_str(a, it->ns));
		} else {
			/* A cluster-scoped object has no namespace; one written anyway is dropped. */
			it->ns = "";
			doc_map_del(meta, "namespace");
		}
		labels = doc_map_ensure_map(a, meta, "labels");
		if (!labels) {
			r = err_set(ERR_INVALID, "%s %s: metadata.labels is not a mapping", o->kind, o->name);
			goto out;
		}
		doc_map_set(a, labels, AGENT_LABEL_APP, doc_new_str(a, c->app->name));
		wave = doc_get_str(meta, "annotations", AGENT_ANN_WAVE, NULL);
		if (wave) {
			char *end;
			it->wave = strtol(wave, &end, 10);
			if (!*wave || *end || it->wave < -1000000 || it->wave > 1000000) {
				r = err_set(ERR_INVALID, "%s %s: annotation %s must be an integer, not '%s'",
					    o->kind, o->name, AGENT_ANN_WAVE, wave);
				goto out;
			}
		}
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s %s%s%s", o->kind, it->ns, *it->ns ? "/" : "", o->name);
		it->what = strbuf_detach(&sb, NULL);
		r = doc_emit_json(&it->body, o->node);
		if (r)
			goto out;
	}
	r = check_one_each(c);
	if (r)
		goto out;
	qsort(c->items, c->n, sizeof(*c->items), item_cmp);
out:
	strbuf_release(&sb);
	return r;
}

static void item_path(struct strbuf *out, const struct item *it, const char *query)
{
	kube_path(out, it->res, it->ns, it->obj->name);
	if (query)
		strbuf_addstr(out, query);
}

static const char *live_label(const struct doc_node *live)
{
	return live ? doc_get_str(live, "metadata", "labels", AGENT_LABEL_APP, NULL) : NULL;
}

/*
 * Whether every field of `want` has the same value in `live`: lists
 * element by element, maps key by key, a null in `want` matching an
 * absent field.  Fields only `live` has (defaults, other managers' fields,
 * status) do not matter.
 */
static bool subset(const struct doc_node *want, const struct doc_node *live)
{
	size_t i;

	if (!live)
		return want->kind == DOC_SCALAR && !strcmp(want->str, "null") &&
		       want->style != DOC_STYLE_SINGLE && want->style != DOC_STYLE_DOUBLE;
	if (want->kind != live->kind)
		return false;
	if (want->kind == DOC_SCALAR)
		return doc_equal(want, live);
	if (want->kind == DOC_SEQ) {
		if (want->n != live->n)
			return false;
		for (i = 0; i < want->n; i++)
			if (!subset(want->kids[i], live->kids[i]))
				return false;
		return true;
	}
	for (i = 0; i < want->n; i++) {
		const char *k = doc_str(want->kids[2 * i]);
		if (!k || !subset(want->kids[2 * i + 1], doc_map_get(live, k)))
			return false;
	}
	return true;
}

/*
 * Remembers the resourceVersion of what the server last showed us of the
 * object: the drift watcher checks what changed after that (drift.c).
 */
static void item_seen(struct item *it, const struct doc_node *live)
{
	const char *rv = doc_get_str(live, "metadata", "resourceVersion", NULL);

	xsnprintf(it->rv, sizeof(it->rv), "%s", rv && strlen(rv) < sizeof(it->rv) ? rv : "");
}

static void set_live(struct item *it, struct doc_stream *s)
{
	doc_stream_free(it->live_own);
	it->live_own = s;
	it->live = s->docs[0];
	item_seen(it, it->live);
}

static int item_name_cmp(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;

	return strcmp(x->obj->name, y->obj->name);
}

/* Unlisted objects of one collection above which it is listed whole. */
#define LIST_ALL_MIN 16

/*
 * A first sync finds none of its objects by label: rather than a GET for
 * each, one LIST of the whole collection says which do not exist at all.
 * Only absence is taken from it: an object that exists without our label
 * is still fetched and its owner checked.  A collection too large to list
 * falls back to the GETs.
 */
static void mark_absent(struct sync_ctx *c, struct item **group, size_t ng, const char *path,
			const char *what, const bool *found, bool *absent)
{
	struct doc_stream **pages = NULL;
	size_t npages = 0, p, j;
	bool *present = xcalloc(ng, sizeof(*present));

	if (kube_list(c->k, path, NULL, &pages, &npages, what)) {
		err_clear();
		goto out;
	}
	for (p = 0; p < npages; p++) {
		const struct doc_node *items = doc_map_get(pages[p]->docs[0], "items");
		for (j = 0; items && items->kind == DOC_SEQ && j < items->n; j++) {
			const char *name = doc_get_str(items->kids[j], "metadata", "name", NULL);
			struct object key_obj = { 0 };
			struct item key_item = { 0 }, *key = &key_item, **hit;

			if (!name)
				continue;
			key_obj.name = name;
			key_item.obj = &key_obj;
			hit = bsearch(&key, group, ng, sizeof(*group), item_name_cmp);
			if (hit)
				present[hit - group] = true;
		}
	}
	for (j = 0; j < ng; j++)
		if (!present[j] && !found[group[j] - c->items])
			absent[group[j] - c->items] = true;
out:
	for (p = 0; p < npages; p++)
		doc_stream_free(pages[p]);
	free(pages);
	free(present);
}

/*
 * Fetches the live objects of the app with one paged LIST per resource and
 * namespace (label hoist.dev/app=APP) instead of a GET per object: an
 * unchanged re-sync of 1,000 ConfigMaps costs two LIST pages, not 1,000
 * requests.  Items found are marked; the others (new objects, or objects
 * that exist without our label) get their own GET, unless `absent` (many
 * missing at once, see mark_absent) says they do not exist.
 */
static int list_live(struct sync_ctx *c, bool *found, bool *absent)
{
	struct item **group = xcalloc(c->n ? c->n : 1, sizeof(*group));
	bool *done = xcalloc(c->n ? c->n : 1, sizeof(*done));
	struct strbuf path = STRBUF_INIT, sel = STRBUF_INIT, what = STRBUF_INIT;
	size_t i, j, ng;
	int r = 0;

	strbuf_addf(&sel, AGENT_LABEL_APP "=%s", c->app->name);
	for (i = 0; i < c->n && !r; i++) {
		struct doc_stream **pages = NULL;
		size_t npages = 0, p;

		if (done[i] || !c->items[i].res)
			continue;
		/* The items of one collection: same resource, same namespace. */
		for (j = i, ng = 0; j < c->n; j++) {
			if (done[j] || !c->items[j].res || !same_res(c->items[j].res, c->items[i].res) ||
			    strcmp(c->items[j].ns, c->items[i].ns))
				continue;
			done[j] = true;
			group[ng++] = &c->items[j];
		}
		if (ng < 2)
			continue; /* a GET costs the same */
		qsort(group, ng, sizeof(*group), item_name_cmp);
		strbuf_reset(&path);
		kube_path(&path, c->items[i].res, c->items[i].ns, NULL);
		strbuf_reset(&what);
		strbuf_addf(&what, "list of %s%s%s", c->items[i].res->resource,
			    *c->items[i].ns ? " in " : "", c->items[i].ns);
		r = kube_list(c->k, path.buf, sel.buf, &pages, &npages, what.buf);
		if (r)
			break;
		for (p = 0; p < npages; p++) {
			const struct doc_node *items = doc_map_get(pages[p]->docs[0], "items");
			ALLOC_GROW(c->pages, c->npages + 1, c->pages_alloc);
			c->pages[c->npages++] = pages[p];
			for (j = 0; items && items->kind == DOC_SEQ && j < items->n; j++) {
				const char *name = doc_get_str(items->kids[j], "metadata", "name", NULL);
				struct object key_obj = { 0 };
				struct item key_item = { 0 }, *key = &key_item, **hit;

				if (!name)
					continue;
				key_obj.name = name;
				key_item.obj = &key_obj;
				hit = bsearch(&key, group, ng, sizeof(*group), item_name_cmp);
				if (!hit)
					continue;
				/* List items of built-in kinds carry no kind or apiVersion. */
				if (!doc_get_str(items->kids[j], "kind", NULL))
					doc_map_set(pages[p]->arena, items->kids[j], "kind",
						    doc_new_str(pages[p]->arena, (*hit)->obj->kind));
				if (!doc_get_str(items->kids[j], "apiVersion", NULL))
					doc_map_set(pages[p]->arena, items->kids[j], "apiVersion",
						    doc_new_str(pages[p]->arena, (*hit)->obj->api_version));
				doc_stream_free((*hit)->live_own);
				(*hit)->live_own = NULL;
				(*hit)->live = items->kids[j];
				item_seen(*hit, (*hit)->live);
				found[*hit - c->items] = true;
			}
		}
		free(pages);
		for (j = 0, p = 0; j < ng; j++)
			p += !found[group[j] - c->items];
		if (p >= LIST_ALL_MIN)
			mark_absent(c, group, ng, path.buf, what.buf, found, absent);
	}
	free(group);
	free(done);
	strbuf_release(&path);
	strbuf_release(&sel);
	strbuf_release(&what);
	return r;
}

/*
 * What applying `it` would change: the dry-run result against the live
 * object (plan.h says why that is exactly the fields we would write),
 * without the app's ignore rules' fields.  No difference: unchanged.
 */
static void item_diff(struct sync_ctx *c, struct item *it, const struct doc_node *dry)
{
	char **ign = NULL;
	size_t nign = 0;

	appstate_ignores(c->ag, c->app, it->obj->api_version, it->obj->kind, it->ns,
			 it->obj->name, &ign, &nign);
	strbuf_reset(&it->diff);
	it->ndiff = plan_diff(&it->diff, it->live, dry, (const char *const *)ign, nign);
	appstate_ignores_free(ign, nign);
}

/*
 * Kinds no controller acts on: a ConfigMap, Secret, ServiceAccount or RBAC
 * object that exists for a moment and is deleted again leaves nothing
 * behind.  New objects of these kinds may skip their dry run (check).
 */
static bool inert_kind(const char *api_version, const char *kind)
{
	if (!strcmp(api_version, "v1"))
		return !strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret") ||
		       !strcmp(kind, "ServiceAccount");
	if (!strcmp(api_version, "rbac.authorization.k8s.io/v1"))
		return !strcmp(kind, "Role") || !strcmp(kind, "RoleBinding") ||
		       !strcmp(kind, "ClusterRole") || !strcmp(kind, "ClusterRoleBinding");
	return false;
}

/* The dry-run replies of `reqs`: errors into errs, diffs into the items. */
static void dry_run_results(struct sync_ctx *c, const struct objset *set, struct kube_req *reqs,
			    int *first, struct strbuf *errs, size_t *nerr)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct item *it = &c->items[i];
		struct doc_stream *s = NULL;

		if (!reqs[i].method)
			continue;
		if (reqs[i].rc == ERR_NOTFOUND && it->st == IT_CREATE && *it->ns &&
		    set_has_namespace(set, it->ns)) {
			it->unchecked = true; /* its namespace comes with this artifact */
			continue;
		}
		if (reqs[i].rc) {
			if (!*first)
				*first = reqs[i].rc;
			strbuf_addf(errs, "%s%s", (*nerr)++ ? "; " : "", reqs[i].error);
			continue;
		}
		if (it->st == IT_CREATE)
			continue;
		if (kube_parse_object(&s, reqs[i].reply.buf, reqs[i].reply.len, it->what)) {
			if (!*first)
				*first = err_code();
			strbuf_addf(errs, "%s%s", (*nerr)++ ? "; " : "", err_msg());
			continue;
		}
		item_diff(c, it, s->docs[0]);
		it->st = it->ndiff ? IT_CHANGE : IT_UNCHANGED;
		doc_stream_free(s);
	}
}

/* Step 2: GET and dry-run everything that can be checked; nothing is written. */
static int check(struct sync_ctx *c, const struct objset *set, bool same_digest)
{
	struct kube_req *reqs = xcalloc(c->n ? c->n : 1, sizeof(*reqs));
	char **paths = xcalloc(c->n ? c->n : 1, sizeof(*paths));
	struct strbuf sb = STRBUF_INIT, errs = STRBUF_INIT;
	const char *force = strcmp(c->app->conflicts, "fail") ? "true" : "false";
	bool *listed = xcalloc(c->n ? c->n : 1, sizeof(*listed));
	bool *absent = xcalloc(c->n ? c->n : 1, sizeof(*absent));
	size_t i, nerr = 0;
	int r = 0, first = 0;

	r = list_live(c, listed, absent);
	if (r) {
		strbuf_addstr(&errs, err_msg());
		first = r;
		nerr = 1;
		for (i = 0; i < c->n; i++)
			kube_req_init(&reqs[i]);
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		struct item *it = &c->items[i];
		kube_req_init(&reqs[i]);
		if (!it->res) {
			it->st = IT_CREATE; /* its CRD is new: it cannot exist yet */
			continue;
		}
		if (absent[i])
			it->st = IT_CREATE;
		if (listed[i] || absent[i])
			continue;
		strbuf_reset(&sb);
		item_path(&sb, it, NULL);
		paths[i] = strbuf_detach(&sb, NULL);
		reqs[i].method = "GET";
		reqs[i].path = paths[i];
		reqs[i].what = it->what;
	}
	kube_do_many(c->k, reqs, c->n);
	for (i = 0; i < c->n; i++) {
		struct item *it = &c->items[i];
		struct doc_stream *s = NULL;
		const char *owner;

		if (!reqs[i].method && !listed[i] && !absent[i])
			continue;
		if (listed[i]) {
			/* Found by the LIST: it carries our label, so it is ours. */
		} else if (absent[i]) {
			/* Not in its collection's LIST: it will be created. */
		} else if (reqs[i].rc == ERR_NOTFOUND) {
			it->st = IT_CREATE;
		} else if (reqs[i].rc) {
			r = reqs[i].rc;
			strbuf_addf(&errs, "%s%s", nerr++ ? "; " : "", reqs[i].error);
		} else if ((r = kube_parse_object(&s, reqs[i].reply.buf, reqs[i].reply.len, it->what))) {
			strbuf_addf(&errs, "%s%s", nerr++ ? "; " : "", err_msg());
		} else {
			set_live(it, s);
			owner = live_label(it->live);
			if (owner && strcmp(owner, c->app->name)) {
				r = ERR_CONFLICT;
				strbuf_addf(&errs, "%s%s is managed by app '%s' (label %s); app '%s' does not take it over",
					    nerr++ ? "; " : "", it->what, owner, AGENT_LABEL_APP,
					    c->app->name);
			}
		}
		if (r && !first)
			first = r;
		kube_req_release(&reqs[i]);
		kube_req_init(&reqs[i]);
		if (r)
			continue;
		/*
		 * The artifact the inventory records as completely applied, and
		 * every field we apply still has our value: an apply would change
		 * nothing, so neither a dry run nor an apply is needed.  (With
		 * another artifact, fields it no longer has would be removed, which
		 * only the server can tell: that always takes the dry run.)
		 */
		if (same_digest && it->live && subset(it->obj->node, it->live)) {
			it->st = IT_UNCHANGED;
			continue;
		}
		/* The dry run: the server's answer to what we would apply. */
		strbuf_reset(&sb);
		item_path(&sb, it, NULL);
		strbuf_addf(&sb, "?dryRun=All&fieldManager=" AGENT_FIELD_MANAGER "&force=%s", force);
		free(paths[i]);
		paths[i] = strbuf_detach(&sb, NULL);
		reqs[i].method = "PATCH";
		reqs[i].path = paths[i];
		reqs[i].content_type = "application/apply-patch+yaml";
		reqs[i].body = it->body.buf;
		reqs[i].body_len = it->body.len;
		reqs[i].what = it->what;
	}
	if (first)
		goto out;
	/*
	 * New objects of inert kinds wait: when no existing object changes,
	 * their own apply is their check, and should one be refused, every
	 * object this sync created is deleted again (undo_creates), which
	 * leaves the cluster as it was.  That halves the requests of a first
	 * sync of many ConfigMaps.  When an existing object changes, a
	 * refusal could no longer be undone: they take their dry run then,
	 * before anything is written.  Not for `sync: manual` plans, nor for
	 * a digest whose creates were undone before (it would only fail
	 * again, writing each interval).
	 */
	if (!c->manual && !agent_status_was_undone(c->ag, c->app, c->res->digest))
		for (i = 0; i < c->n; i++) {
			struct item *it = &c->items[i];
			if (reqs[i].method && it->st == IT_CREATE &&
			    inert_kind(it->obj->api_version, it->obj->kind)) {
				it->no_dry_run = true;
				reqs[i].method = NULL;
			}
		}
	kube_do_many(c->k, reqs, c->n);
	dry_run_results(c, set, reqs, &first, &errs, &nerr);
	for (i = 0; i < c->n && !first; i++)
		if (c->items[i].st == IT_CHANGE)
			break;
	if (i < c->n || first) {
		/* Something changes (or failed): every create is dry-run first. */
		bool any = false;

		for (i = 0; i < c->n; i++) {
			kube_req_release(&reqs[i]);
			kube_req_init(&reqs[i]);
			if (!c->items[i].no_dry_run)
				continue;
			c->items[i].no_dry_run = false;
			if (first)
				continue;
			reqs[i].method = "PATCH";
			reqs[i].path = paths[i];
			reqs[i].content_type = "application/apply-patch+yaml";
			reqs[i].body = c->items[i].body.buf;
			reqs[i].body_len = c->items[i].body.len;
			reqs[i].what = c->items[i].what;
			any = true;
		}
		if (any) {
			kube_do_many(c->k, reqs, c->n);
			dry_run_results(c, set, reqs, &first, &errs, &nerr);
		}
	}
	/*
	 * Creates nothing checked (left to their apply, in a namespace or of
	 * a kind this artifact brings) are undone should the sync fail, when
	 * no existing object changes: undoing them beside applied changes
	 * could leave a changed object naming one that is gone.
	 */
	for (i = 0; i < c->n; i++) {
		const struct item *it = &c->items[i];
		if (it->st == IT_CHANGE) {
			c->creates_unchecked = false;
			break;
		}
		if (it->no_dry_run || it->unchecked || (it->st == IT_CREATE && !it->res))
			c->creates_unchecked = true;
	}
out:
	for (i = 0; i < c->n; i++) {
		kube_req_release(&reqs[i]);
		free(paths[i]);
	}
	free(reqs);
	free(paths);
	free(listed);
	free(absent);
	strbuf_release(&sb);
	if (first) {
		if (nerr > 1)
			err_set(first, "%zu objects fail the check, nothing was applied: %s", nerr, errs.buf);
		else
			err_set(first, "%s (nothing was applied)", errs.buf);
	}
	strbuf_release(&errs);
	return first;
}

/* Applies items [from, to) that need it, all at once (bounded by the client). */
static int apply_batch(struct sync_ctx *c, size_t from, size_t to)
{
	size_t n = to - from, i;
	struct kube_req *reqs = xcalloc(n ? n : 1, sizeof(*reqs));
	char **paths = xcalloc(n ? n : 1, sizeof(*paths));
	struct strbuf sb = STRBUF_INIT;
	const char *force = strcmp(c->app->conflicts, "fail") ? "true" : "false";
	int first = 0;

	for (i = 0; i < n; i++) {
		struct item *it = &c->items[from + i];
		kube_req_init(&reqs[i]);
		if (it->st == IT_UNCHANGED)
			continue;
		strbuf_reset(&sb);
		item_path(&sb, it, NULL);
		strbuf_addf(&sb, "?fieldManager=" AGENT_FIELD_MANAGER "&force=%s", force);
		paths[i] = strbuf_detach(&sb, NULL);
		reqs[i].method = "PATCH";
		reqs[i].path = paths[i];
		reqs[i].content_type = "application/apply-patch+yaml";
		reqs[i].body = it->body.buf;
		reqs[i].body_len = it->body.len;
		reqs[i].what = it->what;
	}
	kube_do_many(c->k, reqs, n);
	for (i = 0; i < n; i++) {
		struct item *it = &c->items[from + i];
		struct doc_stream *s = NULL;
		bool has_status;

		if (!reqs[i].method)
			continue;
		if (reqs[i].rc) {
			if (!first) {
				first = reqs[i].rc;
				free(c->res->message);
				c->res->message = xstrdup(reqs[i].error);
			}
			agent_log("error", c->app->name, c->res->digest, c->res->revision, "apply-failed",
				  "%s", reqs[i].error);
			continue;
		}
		it->applied = true;
		it->created = it->st == IT_CREATE && reqs[i].status == 201;
		c->res->applied++;
		agent_log("info", c->app->name, c->res->digest, c->res->revision,
			  it->st == IT_CREATE ? "created" : "configured", "%s", it->what);
		/*
		 * Most kinds (ConfigMaps, Secrets, RBAC, ...) are healthy when
		 * they have no status: a look at the reply's keys tells, and
		 * parsing it was a quarter of the CPU of a first sync of 1,000
		 * ConfigMaps.
		 */
		if (health_by_status_only(it->obj->api_version, it->obj->kind) &&
		    !kube_reply_peek(reqs[i].reply.buf, reqs[i].reply.len, &has_status, it->rv,
				     sizeof(it->rv)) && !has_status) {
			doc_stream_free(it->live_own);
			it->live_own = NULL;
			it->live = NULL;
			it->health = HEALTH_HEALTHY;
			strbuf_reset(&it->reason);
			continue;
		}
		if (!kube_parse_object(&s, reqs[i].reply.buf, reqs[i].reply.len, it->what)) {
			set_live(it, s);
			/*
			 * Judge health now; an object already healthy (most kinds
			 * have no status to wait for) does not keep its reply:
			 * 1,000 parsed replies were 12 of the 20 MB a first apply
			 * of 1,000 ConfigMaps peaked at.
			 */
			it->health = health_check(it->live, &it->reason);
			if (it->health == HEALTH_HEALTHY) {
				doc_stream_free(it->live_own);
				it->live_own = NULL;
				it->live = NULL;
			}
		}
		err_clear();
	}
	for (i = 0; i < n; i++) {
		kube_req_release(&reqs[i]);
		free(paths[i]);
	}
	free(reqs);
	free(paths);
	strbuf_release(&sb);
	if (first)
		err_set(first, "%s", c->res->message);
	return first;
}

/* GETs the items [from, to) that are not healthy yet and judges them again. */
static void refresh_health(struct sync_ctx *c, size_t from, size_t to)
{
	size_t n = to - from, i;
	struct kube_req *reqs = xcalloc(n ? n : 1, sizeof(*reqs));
	char **paths = xcalloc(n ? n : 1, sizeof(*paths));
	struct strbuf sb = STRBUF_INIT;

	for (i = 0; i < n; i++) {
		struct item *it = &c->items[from + i];
		kube_req_init(&reqs[i]);
		if (it->health == HEALTH_HEALTHY || !it->res)
			continue;
		strbuf_reset(&sb);
		item_path(&sb, it, NULL);
		paths[i] = strbuf_detach(&sb, NULL);
		reqs[i].method = "GET";
		reqs[i].path = paths[i];
		reqs[i].what = it->what;
	}
	kube_do_many(c->k, reqs, n);
	for (i = 0; i < n; i++) {
		struct item *it = &c->items[from + i];
		struct doc_stream *s = NULL;

		if (!reqs[i].method)
			continue;
		if (reqs[i].rc) {
			/* Keep the last judgement; say why it could not be refreshed. */
			strbuf_reset(&it->reason);
			strbuf_addstr(&it->reason, reqs[i].error);
			if (it->health == HEALTH_UNKNOWN || it->health == HEALTH_HEALTHY)
				it->health = HEALTH_PROGRESSING;
		} else if (!kube_parse_object(&s, reqs[i].reply.buf, reqs[i].reply.len, it->what)) {
			set_live(it, s);
			it->health = health_check(it->live, &it->reason);
		}
		err_clear();
		kube_req_release(&reqs[i]);
		free(paths[i]);
	}
	free(reqs);
	free(paths);
	strbuf_release(&sb);
}

/*
 * Waits until items [from, to) are healthy.  0 when they are; ERR_GENERIC
 * naming the first unhealthy object when one Failed or the deadline
 * passed; ERR_RETRY when cancelled.
 */
static int wait_healthy(struct sync_ctx *c, size_t from, size_t to, enum agent_health *overall)
{
	long delay = 200;
	size_t i;

	for (i = from; i < to; i++) {
		struct item *it = &c->items[i];
		/* Applied and found healthy already: apply_batch dropped its reply. */
		if (it->applied && !it->live && it->health == HEALTH_HEALTHY)
			continue;
		it->health = it->live ? health_check(it->live, &it->reason) : HEALTH_UNKNOWN;
	}
	for (;;) {
		enum agent_health worst = HEALTH_HEALTHY;
		const struct item *bad = NULL;

		for (i = from; i < to; i++) {
			const struct item *it = &c->items[i];
			if (health_worse(worst, it->health) != worst || (!bad && it->health != HEALTH_HEALTHY)) {
				worst = health_worse(worst, it->health);
				bad = it;
			}
		}
		*overall = worst;
		if (worst == HEALTH_HEALTHY)
			return 0;
		if (worst == HEALTH_FAILED)
			return err_set(ERR_GENERIC, "%s", bad->reason.len ? bad->reason.buf : bad->what);
		if (cancelled(c))
			return err_set(ERR_RETRY, "cancelled: a new artifact arrived while waiting for health (%s)",
				       bad->reason.len ? bad->reason.buf : bad->what);
		if (time(NULL) >= c->deadline)
			return err_set(ERR_GENERIC, "health check timed out after %s: %s",
				       c->app->timeout, bad->reason.len ? bad->reason.buf : bad->what);
		/* Sleep in small steps, so a cancel is seen at once. */
		for (long slept = 0; slept < delay && !cancelled(c); slept += 50)
			sleep_ms(50);
		if (delay < 2000)
			delay *= 2;
		refresh_health(c, from, to);
	}
}

/* Stage 1's CRDs must be Established before their kinds are used. */
static int wait_crds(struct sync_ctx *c, size_t from, size_t to)
{
	enum agent_health h;
	size_t i;
	int r;
	bool any = false;

	for (i = from; i < to; i++)
		if (!strcmp(c->items[i].obj->kind, "CustomResourceDefinition"))
			any = true;
	if (!any)
		return 0;
	/* Namespaces and ClusterRoles in this stage are healthy as soon as they exist. */
	r = wait_healthy(c, from, to, &h);
	if (r)
		return r;
	return discovery(c, true);
}

static void resolve_deferred(struct sync_ctx *c, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		struct item *it = &c->items[i];
		if (!it->res)
			item_lookup(c, it);
	}
}

static void inventory_of(struct inventory *inv, const struct sync_ctx *c, bool only_applied)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct item *it = &c->items[i];
		if (only_applied && !it->applied && it->st != IT_UNCHANGED)
			continue;
		inventory_add(inv, it->obj->api_version, it->obj->kind, it->ns, it->obj->name);
	}
	inventory_normalize(inv);
}

static bool inventories_equal(const struct inventory *a, const struct inventory *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].api_version, b->v[i].api_version) || strcmp(a->v[i].kind, b->v[i].kind) ||
		    strcmp(a->v[i].ns, b->v[i].ns) || strcmp(a->v[i].name, b->v[i].name))
			return false;
	return true;
}

static int prune_rank(const char *kind)
{
	return stage_of(kind);
}

static int prune_cmp(const void *a, const void *b)
{
	const struct inv_entry *x = *(const struct inv_entry *const *)a;
	const struct inv_entry *y = *(const struct inv_entry *const *)b;
	int rx = prune_rank(x->kind), ry = prune_rank(y->kind);

	/* Reverse apply order: the rest first, CRDs and Namespaces last. */
	if (rx != ry)
		return rx > ry ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Deletes what `old` has and `cur` lacks.  Entries whose deletion failed
 * are added to `keep`.
 */
static void prune(struct sync_ctx *c, const struct inventory *old, const struct inventory *cur,
		  struct inventory *keep)
{
	const struct inv_entry **gone = xcalloc(old->n ? old->n : 1, sizeof(*gone));
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct kube_resource res_copy = { 0 }; /* lookup() releases the previous one */
	size_t n = 0, i;

	for (i = 0; i < old->n; i++)
		if (!inventory_has(cur, old->v[i].api_version, old->v[i].kind, old->v[i].ns,
				   old->v[i].name))
			gone[n++] = &old->v[i];
	qsort(gone, n, sizeof(*gone), prune_cmp);
	for (i = 0; i < n && !cancelled(c); i++) {
		const struct inv_entry *e = gone[i];
		struct kube_resource *res = NULL;
		struct doc_stream *s = NULL;
		struct kube_req req;
		const char *owner, *ann;
		int r;

		strbuf_reset(&what);
		strbuf_addf(&what, "%s %s%s%s", e->kind, e->ns, *e->ns ? "/" : "", e->name);
		if (lookup(c, e->api_version, e->kind, &res_copy))
			res = &res_copy;
		if (!res) {
			/* Its kind is gone (its CRD was pruned): so is the object. */
			agent_log("info", c->app->name, c->res->digest, c->res->revision, "prune-skipped",
				  "%s: kind no longer served", what.buf);
			continue;
		}
		strbuf_reset(&path);
		kube_path(&path, res, e->ns, e->name);
		kube_req_init(&req);
		req.method = "GET";
		req.path = path.buf;
		req.what = what.buf;
		r = kube_do(c->k, &req);
		if (r == ERR_NOTFOUND) {
			kube_req_release(&req);
			err_clear();
			continue;
		}
		if (!r)
			r = kube_parse_object(&s, req.reply.buf, req.reply.len, what.buf);
		kube_req_release(&req);
		if (r) {
			c->res->prune_failed++;
			inventory_add(keep, e->api_version, e->kind, e->ns, e->name);
			agent_log("error", c->app->name, c->res->digest, c->res->revision, "prune-failed",
				  "%s", err_msg());
			continue;
		}
		owner = live_label(s->docs[0]);
		ann = doc_get_str(s->docs[0], "metadata", "annotations", AGENT_ANN_PRUNE, NULL);
		if (!owner || strcmp(owner, c->app->name)) {
			agent_log("warn", c->app->name, c->res->digest, c->res->revision, "prune-skipped",
				  "%s: its label %s no longer names this app", what.buf, AGENT_LABEL_APP);
		} else if (ann && !strcmp(ann, "disabled")) {
			agent_log("info", c->app->name, c->res->digest, c->res->revision, "prune-skipped",
				  "%s: annotated %s: disabled", what.buf, AGENT_ANN_PRUNE);
		} else {
			strbuf_addstr(&path, "?propagationPolicy=Background");
			kube_req_init(&req);
			req.method = "DELETE";
			req.path = path.buf;
			req.what = what.buf;
			r = kube_do(c->k, &req);
			kube_req_release(&req);
			if (!r || r == ERR_NOTFOUND) {
				c->res->pruned++;
				agent_event(c->ag, &(struct agent_event){
					.type = EVENT_PRUNED, .app = c->app->name, .digest = c->res->digest,
					.revision = c->res->revision, .object = what.buf });
			} else {
				c->res->prune_failed++;
				inventory_add(keep, e->api_version, e->kind, e->ns, e->name);
				agent_log("error", c->app->name, c->res->digest, c->res->revision,
					  "prune-failed", "%s", err_msg());
			}
			err_clear();
		}
		doc_stream_free(s);
	}
	free(gone);
	res_release(&res_copy);
	strbuf_release(&path);
	strbuf_release(&what);
}

static void ctx_release(struct sync_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->items[i].what);
		strbuf_release(&c->items[i].body);
		strbuf_release(&c->items[i].diff);
		strbuf_release(&c->items[i].reason);
		doc_stream_free(c->items[i].live_own);
		res_release(&c->items[i].res_copy);
	}
	free(c->items);
	for (i = 0; i < c->npages; i++)
		doc_stream_free(c->pages[i]);
	free(c->pages);
	kube_close(c->k);
}

/* The app document's object list: what this sync applied, with its health. */
static void record_objects(struct sync_ctx *c)
{
	struct app_object_in *v = xcalloc(c->n ? c->n : 1, sizeof(*v));
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct item *it = &c->items[i];
		v[i].api_version = it->obj->api_version;
		v[i].kind = it->obj->kind;
		v[i].ns = it->ns;
		v[i].name = it->obj->name;
		v[i].health = (int)it->health;
		v[i].health_message = it->health == HEALTH_HEALTHY ? NULL : it->reason.buf;
		v[i].body = it->body.buf;
		v[i].applied = it->applied;
		v[i].rv = it->rv;
	}
	appstate_set_objects(c->ag, c->app, v, c->n);
	free(v);
}

static void change_json(struct strbuf *out, const char *action, const char *api_version,
			const char *kind, const char *ns, const char *name, const char *diff)
{
	strbuf_addstr(out, "{\"action\":");
	strbuf_add_json_str(out, action, strlen(action));
	strbuf_addstr(out, ",\"apiVersion\":");
	strbuf_add_json_str(out, api_version, strlen(api_version));
	strbuf_addstr(out, ",\"kind\":");
	strbuf_add_json_str(out, kind, strlen(kind));
	strbuf_addstr(out, ",\"namespace\":");
	if (*ns)
		strbuf_add_json_str(out, ns, strlen(ns));
	else
		strbuf_addstr(out, "null");
	strbuf_addstr(out, ",\"name\":");
	strbuf_add_json_str(out, name, strlen(name));
	strbuf_addf(out, ",\"diff\":[%s]}", diff);
}

/*
 * The plan of this pass: every object's action (and diff), then what
 * prune would delete.  `changes` gets the JSON array the hash covers,
 * `plan` the whole plan object; returns the number of objects that would
 * change (created, updated or pruned).
 */
static size_t build_plan(struct sync_ctx *c, const struct inventory *old, struct strbuf *changes,
			 struct strbuf *plan, char hash[DIGEST_STR_SIZE])
{
	struct inventory cur = { 0 };
	size_t i, nchange = 0;
	bool first = true;
	char now[32];
	struct tm tm;
	time_t t = time(NULL);

	strbuf_addch(changes, '[');
	for (i = 0; i < c->n; i++) {
		const struct item *it = &c->items[i];
		const char *action = it->st == IT_CREATE ? "create"
				     : it->st == IT_CHANGE ? "update" : "unchanged";
		if (!first)
			strbuf_addch(changes, ',');
		first = false;
		change_json(changes, action, it->obj->api_version, it->obj->kind, it->ns,
			    it->obj->name, it->st == IT_CHANGE ? it->diff.buf : "");
		nchange += it->st != IT_UNCHANGED;
	}
	inventory_of(&cur, c, false);
	for (i = 0; c->app->prune && i < old->n; i++) {
		const struct inv_entry *e = &old->v[i];
		if (inventory_has(&cur, e->api_version, e->kind, e->ns, e->name))
			continue;
		if (!first)
			strbuf_addch(changes, ',');
		first = false;
		change_json(changes, "prune", e->api_version, e->kind, e->ns, e->name, "");
		nchange++;
	}
	inventory_release(&cur);
	strbuf_addch(changes, ']');
	plan_hash(hash, c->res->digest, changes->buf, changes->len);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strbuf_addstr(plan, "{\"digest\":");
	strbuf_add_json_str(plan, c->res->digest, strlen(c->res->digest));
	strbuf_addstr(plan, ",\"revision\":");
	if (c->res->revision)
		strbuf_add_json_str(plan, c->res->revision, strlen(c->res->revision));
	else
		strbuf_addstr(plan, "null");
	strbuf_addf(plan, ",\"hash\":\"%s\",\"created\":\"%s\",\"changes\":%s}", hash, now,
		    changes->buf);
	return nchange;
}

/*
 * `sync: manual`: the plan decides.  0: go on and apply (approved, or
 * nothing to approve); otherwise c->stopped is set and the pass ends with
 * 0 (planned, waiting for approval) or ERR_CONFLICT (the approval is stale).
 */
static int manual_gate(struct sync_ctx *c, const struct inventory *old, bool same_digest)
{
	struct strbuf changes = STRBUF_INIT, plan = STRBUF_INIT;
	char hash[DIGEST_STR_SIZE];
	size_t nchange;
	int r = 0;

	nchange = build_plan(c, old, &changes, &plan, hash);
	memcpy(c->o->plan_hash, hash, sizeof(hash));
	if (!nchange && same_digest) {
		/* Applied already and nothing differs: nothing to approve. */
		appstate_set_plan(c->ag, c->app, c->res->digest, hash, NULL);
		goto out;
	}
	if (c->o->approved_digest && !c->o->plan_only) {
		if (!strcmp(c->o->approved_hash, hash)) {
			appstate_set_plan(c->ag, c->app, c->res->digest, hash, NULL);
			goto out; /* approved: apply */
		}
		r = err_set(ERR_CONFLICT,
			    "stale: the approved plan %s no longer matches: the live state changed "
			    "since (the plan is now %s); nothing was applied",
			    c->o->approved_hash, hash);
		free(c->res->message);
		c->res->message = xstrdup(err_msg());
	}
	c->stopped = true;
	if (appstate_set_plan(c->ag, c->app, c->res->digest, hash, plan.buf) && !c->app->suspend) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "plan %s: %zu of %zu objects change; approve with "
				  "`hoist-agent approve %s --digest %s`",
			    hash, nchange, c->n, c->app->name, c->res->digest);
		agent_event(c->ag, &(struct agent_event){ .type = EVENT_APPROVAL_NEEDED,
							  .app = c->app->name, .digest = c->res->digest,
							  .revision = c->res->revision, .message = msg.buf });
		strbuf_release(&msg);
	}
out:
	strbuf_release(&changes);
	strbuf_release(&plan);
	return r;
}

/*
 * A sync that left creates to their own apply (check) failed: deletes
 * every object it created, last first, so the cluster is as it was, but
 * for the Namespaces and CRDs it created: those stay, empty (a deleted one
 * stays Terminating for a while, and would refuse the objects of the very
 * next sync, the fixed artifact's).  What is not deleted stays applied, so
 * the inventory keeps it and a later sync prunes or adopts it.  Appends
 * what happened to `msg`.
 */
static void undo_creates(struct sync_ctx *c, struct strbuf *msg)
{
	struct strbuf path = STRBUF_INIT;
	size_t i, undone = 0, kept = 0;

	for (i = c->n; i-- > 0;) {
		struct item *it = &c->items[i];
		struct kube_req req;
		int r;

		if (!it->created || !it->res)
			continue;
		if (!strcmp(it->obj->kind, "Namespace") ||
		    !strcmp(it->obj->kind, "CustomResourceDefinition"))
			continue;
		strbuf_reset(&path);
		kube_path(&path, it->res, it->ns, it->obj->name);
		strbuf_addstr(&path, "?propagationPolicy=Background");
		kube_req_init(&req);
		req.method = "DELETE";
		req.path = path.buf;
		req.what = it->what;
		r = kube_do(c->k, &req);
		kube_req_release(&req);
		if (!r || r == ERR_NOTFOUND) {
			it->applied = false;
			it->created = false;
			c->res->applied--;
			undone++;
			agent_log("info", c->app->name, c->res->digest, c->res->revision, "undone",
				  "%s", it->what);
		} else {
			kept++;
			agent_log("error", c->app->name, c->res->digest, c->res->revision, "undo-failed",
				  "%s", err_msg());
		}
		err_clear();
	}
	strbuf_release(&path);
	agent_status_set_undone(c->ag, c->app, c->res->digest);
	if (undone || kept)
		strbuf_addf(msg, "; the %zu objects this sync created were deleted again", undone);
	if (kept)
		strbuf_addf(msg, " but for %zu, which could not be and stay in the inventory", kept);
}

/* The parts of a sync after the artifact is verified and unpacked. */
static int sync_objects(struct sync_ctx *c, struct objset *set)
{
	struct inventory old = { 0 }, pre = { 0 }, cur = { 0 }, keep = { 0 };
	struct strbuf raw = STRBUF_INIT, stored_digest = STRBUF_INIT;
	struct arena *a = arena_new();
	const struct agent_config *cfg = &c->ag->cfg;
	bool found = false, complete = true, applying = false;
	size_t from, to, i;
	enum agent_health h = HEALTH_UNKNOWN;
	int r;

	objset_adopt_arena(set, a);
	r = kube_open(&c->k, c->ag->kube, cfg->concurrency_n);
	if (!r)
		r = discovery(c, false);
	if (!r)
		r = plan(c, set, a);
	if (!r)
		r = inventory_load(c->k, cfg->namespace, c->app->name, &old, &found, &raw,
				   &stored_digest);
	if (!r)
		r = check(c, set, found && !strcmp(stored_digest.buf, c->res->digest));
	if (!r && c->manual)
		r = manual_gate(c, &old, found && !strcmp(stored_digest.buf, c->res->digest));
	if (r || c->stopped)
		goto out;
	appstate_set_applying(c->ag, c->app, true);
	applying = true;
	c->res->objects = c->n;
	/*
	 * Record what we are about to create before creating it, so objects
	 * of a sync that dies half-way are still pruned later.
	 */
	for (i = 0; i < old.n; i++)
		inventory_add(&pre, old.v[i].api_version, old.v[i].kind, old.v[i].ns, old.v[i].name);
	inventory_of(&pre, c, false);
	if (!found || !inventories_equal(&pre, &old)) {
		r = inventory_store(c->k, cfg->namespace, c->app->name, &pre, stored_digest.buf,
				    NULL, !found, &c->res->inventory_bytes);
		if (r)
			goto out;
		found = true;
	}
	for (from = 0; from < c->n && !r; from = to) {
		for (to = from; to < c->n && c->items[to].stage == c->items[from].stage &&
				c->items[to].wave == c->items[from].wave;
		     to++)
			;
		resolve_deferred(c, from, to);
		for (i = from; i < to; i++)
			if (!c->items[i].res) {
				r = err_set(ERR_INVALID, "%s: the API server still has no kind %s in %s after its CRD was applied",
					    c->items[i].what, c->items[i].obj->kind,
					    c->items[i].obj->api_version);
				free(c->res->message);
				c->res->message = xstrdup(err_msg());
			}
		if (!r)
			r = apply_batch(c, from, to);
		if (!r && c->items[from].stage == 0 &&
		    (to == c->n || c->items[to].stage != 0))
			r = wait_crds(c, 0, to);
	}
	for (i = 0; i < c->n; i++)
		if (c->items[i].st == IT_UNCHANGED)
			c->res->unchanged++;
	if (r) {
		complete = false;
		agent_log("error", c->app->name, c->res->digest, c->res->revision, "apply-incomplete",
			  "%s; nothing is pruned", err_msg());
		if (c->creates_unchecked) {
			struct strbuf msg = STRBUF_INIT;
			int saved = r;

			strbuf_addstr(&msg, err_msg());
			undo_creates(c, &msg);
			r = err_set(saved, "%s", msg.buf);
			free(c->res->message);
			c->res->message = strbuf_detach(&msg, NULL);
		}
	}
	/* Inventory and prune. */
	{
		int saved = r;
		struct strbuf msg = STRBUF_INIT;

		strbuf_addstr(&msg, r ? err_msg() : "");
		inventory_of(&cur, c, !complete);
		if (complete && c->app->prune) {
			prune(c, &old, &cur, &keep);
			for (i = 0; i < keep.n; i++)
				inventory_add(&cur, keep.v[i].api_version, keep.v[i].kind, keep.v[i].ns,
					      keep.v[i].name);
			inventory_normalize(&cur);
		} else if (!complete) {
			/* Everything the old inventory had stays, pruned later. */
			for (i = 0; i < old.n; i++)
				inventory_add(&cur, old.v[i].api_version, old.v[i].kind, old.v[i].ns,
					      old.v[i].name);
			inventory_normalize(&cur);
		} else {
			/* prune: false still forgets what it no longer applies. */
		}
		if (!inventories_equal(&cur, &pre) ||
		    (complete && strcmp(stored_digest.buf, c->res->digest))) {
			r = inventory_store(c->k, cfg->namespace, c->app->name, &cur,
					    complete ? c->res->digest : stored_digest.buf,
					    complete ? c->res->revision : NULL, !found,
					    &c->res->inventory_bytes);
		} else if (!c->res->inventory_bytes) {
			c->res->inventory_bytes = raw.len;
		}
		if (saved) {
			r = err_set(saved, "%s", msg.buf);
		}
		strbuf_release(&msg);
		if (r)
			goto out;
	}
	/* Health of everything the app has, changed or not. */
	r = wait_healthy(c, 0, c->n, &h);
	c->res->health = h;
	record_objects(c);
	if (c->res->prune_failed && !r)
		r = err_set(ERR_GENERIC, "%zu objects could not be pruned (kept in the inventory, retried next sync)",
			    c->res->prune_failed);
out:
	/* Only the pass that applies clears it (an approval's plan pass may run meanwhile). */
	if (applying)
		appstate_set_applying(c->ag, c->app, false);
	if (c->res->health == HEALTH_UNKNOWN && r)
		c->res->health = h == HEALTH_UNKNOWN ? HEALTH_FAILED : h;
	inventory_release(&old);
	inventory_release(&pre);
	inventory_release(&cur);
	inventory_release(&keep);
	strbuf_release(&raw);
	strbuf_release(&stored_digest);
	return r;
}

int agent_sync_ex(struct agent *ag, const struct agent_app *app,
		  const struct artifact_bytes *pushed, const volatile int *cancel,
		  struct sync_result *res, struct sync_opts *o)
{
	struct sync_opts none = { 0 };
	struct sync_ctx c = { 0 };
	struct strbuf layer = STRBUF_INIT, ref = STRBUF_INIT;
	struct artifact_info info = { 0 };
	struct objset set = OBJSET_INIT;
	int r;

	memset(res, 0, sizeof(*res));
	res->started = time(NULL);
	c.ag = ag;
	c.app = app;
	c.cancel = cancel;
	c.res = res;
	c.deadline = res->started + app->timeout_s;
	c.o = o ? o : &none;
	c.o->plan_hash[0] = '\0';
	/* Suspended apps (plan_only from agent_sync) are planned as manual ones. */
	c.manual = !strcmp(app->sync, "manual") || c.o->plan_only;
	if (!c.manual || (c.o->approved_digest && !c.o->plan_only))
		agent_event(ag, &(struct agent_event){ .type = EVENT_SYNC_STARTED, .app = app->name,
						       .message = pushed ? "source push" : app->source });
	if (pushed) {
		r = agent_verify_pushed(ag, app, pushed);
		if (!r) {
			xsnprintf(res->digest, sizeof(res->digest), "%s", pushed->digest);
			r = strbuf_add(&layer, pushed->layer, pushed->layer_len);
			res->source = xstrdup("push");
		}
	} else {
		r = source_fetch(app, &layer, res->digest, &ref);
		if (ref.len)
			res->source = strbuf_detach(&ref, NULL);
	}
	if (!r && c.manual && c.o->approved_digest && !c.o->plan_only &&
	    strcmp(c.o->approved_digest, res->digest)) {
		/* The source moved on: plan the new digest, apply nothing. */
		r = err_set(ERR_CONFLICT, "stale: the approval names %s but the source now has %s; "
					  "nothing was applied", c.o->approved_digest, res->digest);
		c.o->approved_digest = NULL;
		c.o->plan_only = true;
		c.stale_digest = true;
	}
	if (r && !c.stale_digest)
		goto out;
	r = artifact_read(&info, layer.buf, layer.len, NULL, true);
	if (r) {
		err_prefix(r, "artifact %s", res->digest);
		goto out;
	}
	strbuf_release(&layer); /* one artifact held at a time: the objects only, from here */
	res->revision = info.revision ? xstrdup(info.revision) : NULL;
	res->version = info.version ? xstrdup(info.version) : NULL;
	agent_log("info", app->name, res->digest, res->revision, "artifact",
		  "version %s, %zu objects", info.version ? info.version : "?", info.nobjects);
	r = objset_add_yaml(&set, info.manifests, info.manifests_len, "manifests.yaml");
	if (!r)
		r = objset_check_duplicates(&set);
	if (r)
		goto out;
	r = sync_objects(&c, &set);
	if (c.stale_digest && !r) {
		/* The new plan is stored; the refusal is what the caller hears. */
		r = err_set(ERR_CONFLICT, "stale: the approval names another digest than the "
					  "source's %s; nothing was applied, the new plan is %s",
			    res->digest, c.o->plan_hash);
		free(res->message);
		res->message = xstrdup(err_msg());
	}
out:
	res->rc = r;
	if (c.stopped || c.stale_digest) {
		/* A manual pass that planned: not a sync, nothing recorded. */
		res->finished = time(NULL);
		if (!r || !res->message) {
			free(res->message);
			res->message = xstrdup(r ? err_msg() : "the plan awaits approval");
		}
		ctx_release(&c);
		objset_release(&set);
		artifact_info_release(&info);
		strbuf_release(&layer);
		strbuf_release(&ref);
		if (r)
			err_set(r, "%s", res->message);
		return r;
	}
	res->finished = time(NULL);
	if (r && !res->message)
		res->message = xstrdup(err_msg());
	if (r) {
		free(res->message);
		res->message = xstrdup(err_msg());
		agent_event(ag, &(struct agent_event){ .type = EVENT_SYNC_FAILED, .app = app->name,
						       .digest = res->digest, .revision = res->revision,
						       .message = res->message });
	} else {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "%zu objects: %zu applied, %zu unchanged, %zu pruned; %s",
			    res->objects, res->applied, res->unchanged, res->pruned,
			    agent_health_name(res->health));
		agent_event(ag, &(struct agent_event){ .type = EVENT_SYNC_SUCCEEDED, .app = app->name,
						       .digest = res->digest, .revision = res->revision,
						       .message = msg.buf });
		strbuf_release(&msg);
	}
	agent_status_record(ag, app, res);
	appstate_history_add(ag, app, res, c.o->approved_by);
	if (r)
		err_set(r, "%s", res->message);
	ctx_release(&c);
	objset_release(&set);
	artifact_info_release(&info);
	strbuf_release(&layer);
	strbuf_release(&ref);
	return r;
}

int agent_sync(struct agent *ag, const struct agent_app *app, const struct artifact_bytes *pushed,
	       const volatile int *cancel, struct sync_result *res)
{
	struct sync_opts o = { 0 };
	char digest[DIGEST_STR_SIZE], hash[DIGEST_STR_SIZE], who[128];

	/* Suspended: no write at all.  Manual: only an approval the loop was handed. */
	if (app->suspend) {
		o.plan_only = true;
	} else if (!strcmp(app->sync, "manual")) {
		if (appstate_take_approval(ag, app, digest, hash, who)) {
			o.approved_digest = digest;
			o.approved_hash = hash;
			o.approved_by = who;
		} else {
			o.plan_only = true;
		}
	}
	return agent_sync_ex(ag, app, pushed, cancel, res, &o);
}
