/*
 * kube-reply.c - the parsers of what an API server sends: Status errors,
 * objects, lists and discovery documents.  Every reply is untrusted, so
 * each is parsed under limits with core's doc model (JSON is YAML) and
 * checked for the shape we rely on before anything is read from it.
 * tests/fuzz/fuzz-kube.c feeds all of them.
 */
#include "core/compat.h"
#include "agent/kube.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <ctype.h>

#define REPLY_DEPTH 100
#define REPLY_NODES (4u << 20)

static int parse_reply(struct doc_stream **out, const char *buf, size_t len, size_t max,
		       const char *what)
{
	struct doc_limits lim = doc_limits_default;
	int r;

	*out = NULL;
	lim.max_bytes = max;
	lim.max_depth = REPLY_DEPTH;
	lim.max_nodes = REPLY_NODES;
	if (len > max)
		return err_set(ERR_TOOBIG, "%s: reply larger than %zu bytes", what, max);
	r = doc_parse(out, buf, len, what, &lim);
	if (r)
		return err_prefix(r, "the API server's reply is not valid JSON");
	if ((*out)->ndocs != 1 || (*out)->docs[0]->kind != DOC_MAP) {
		doc_stream_free(*out);
		*out = NULL;
		return err_set(ERR_INVALID, "%s: the API server's reply is not one JSON object", what);
	}
	return 0;
}

static char *dup_str(const struct doc_node *n, const char *key)
{
	const char *s = doc_get_str(n, key, NULL);

	return s ? xstrdup(s) : NULL;
}

void kube_status_release(struct kube_status *st)
{
	free(st->status);
	free(st->message);
	free(st->reason);
	strbuf_release(&st->managers);
	memset(st, 0, sizeof(*st));
}

/* `conflict with "kubectl-edit" using apps/v1` -> kubectl-edit. */
static void add_manager(struct strbuf *managers, const char *msg)
{
	const char *p = strstr(msg, "conflict with \""), *e;
	struct strbuf name = STRBUF_INIT;

	if (!p)
		return;
	p += 15;
	e = strchr(p, '"');
	if (!e || e == p || e - p > 256)
		return;
	strbuf_add(&name, p, (size_t)(e - p));
	/* Once per manager, in the order the server gave them. */
	{
		const char *q = managers->buf;
		size_t nl = name.len;
		while ((q = strstr(q, name.buf))) {
			if ((q == managers->buf || q[-1] == ' ') && (q[nl] == ',' || !q[nl]))
				goto out;
			q += nl;
		}
	}
	if (managers->len)
		strbuf_addstr(managers, ", ");
	strbuf_addbuf(managers, &name);
out:
	strbuf_release(&name);
}

int kube_status_parse(struct kube_status *st, const char *buf, size_t len)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root, *details, *causes, *code;
	struct doc_value dv;
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	strbuf_init(&st->managers, 0);
	r = parse_reply(&s, buf, len, KUBE_REPLY_MAX, "Status");
	if (r)
		return r;
	root = s->docs[0];
	if (!doc_get_str(root, "kind", NULL) || strcmp(doc_get_str(root, "kind", NULL), "Status")) {
		r = err_set(ERR_INVALID, "the API server's reply is not a Status");
		goto out;
	}
	st->status = dup_str(root, "status");
	st->message = dup_str(root, "message");
	st->reason = dup_str(root, "reason");
	code = doc_map_get(root, "code");
	if (code && !doc_resolve(code, &dv) && dv.type == DOC_T_INT)
		st->code = (long)dv.i;
	details = doc_map_get(root, "details");
	causes = details ? doc_map_get(details, "causes") : NULL;
	if (causes && causes->kind == DOC_SEQ) {
		struct strbuf more = STRBUF_INIT;
		for (i = 0; i < causes->n && i < 100; i++) {
			const char *m = doc_get_str(causes->kids[i], "message", NULL);
			const char *f = doc_get_str(causes->kids[i], "field", NULL);
			if (m)
				add_manager(&st->managers, m);
			if (!st->message && (m || f))
				strbuf_addf(&more, "%s%s%s%s", more.len ? "; " : "", f ? f : "",
					    f && m ? ": " : "", m ? m : "");
		}
		if (!st->message && more.len)
			st->message = strbuf_detach(&more, NULL);
		strbuf_release(&more);
	}
	if (st->message)
		add_manager(&st->managers, st->message);
	if (!st->message && st->reason)
		st->message = xstrdup(st->reason);
	/* Messages end up in logs and terminals: no control characters. */
	if (st->message)
		for (char *p = st->message; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\n')
				*p = ' ';
out:
	doc_stream_free(s);
	if (r)
		kube_status_release(st);
	return r;
}

/*
 * kube_reply_peek: a JSON walk that only skips values.  Strings may hold
 * escapes; keys we compare may not (a key spelt with \u escapes could be
 * "status" in disguise), and any doubt fails the peek: the caller parses.
 */
#define PEEK_DEPTH 100

static const char *peek_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* At '"': past the closing quote, or NULL.  *esc: the string held an escape. */
static const char *peek_string(const char *p, const char *end, bool *esc)
{
	*esc = false;
	for (p++; p < end; p++) {
		if (*p == '\\') {
			*esc = true;
			if (++p == end)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		} else if ((unsigned char)*p < 0x20) {
			return NULL;
		}
	}
	return NULL;
}

static const char *peek_value(const char *p, const char *end, int depth)
{
	bool esc;

	p = peek_ws(p, end);
	if (p == end || depth > PEEK_DEPTH)
		return NULL;
	if (*p == '"')
		return peek_string(p, end, &esc);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool first = true;

		for (p++;; first = false) {
			p = peek_ws(p, end);
			if (p < end && *p == close && first)
				return p + 1;
			if (!first) {
				if (p < end && *p == close)
					return p + 1;
				if (p == end || *p != ',')
					return NULL;
				p = peek_ws(p + 1, end);
			}
			if (close == '}') {
				if (p == end || *p != '"' || !(p = peek_string(p, end, &esc)))
					return NULL;
				p = peek_ws(p, end);
				if (p == end || *p != ':')
					return NULL;
				p++;
			}
			if (!(p = peek_value(p, end, depth + 1)))
				return NULL;
		}
	}
	/* A number, true, false or null: up to what ends it. */
	{
		const char *start = p;

		while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.'))
			p++;
		return p > start ? p : NULL;
	}
}

/*
 * Walks the members of the object at `p` ('{'), calling `fn` for each key
 * (no escapes allowed) with the value's start and end.  Returns the end of
 * the object, or NULL.
 */
static const char *peek_members(const char *p, const char *end,
				int (*fn)(void *ctx, const char *key, size_t klen, const char *v,
					  const char *vend),
				void *ctx)
{
	bool first = true, esc;

	p = peek_ws(p, end);
	if (p == end || *p != '{')
		return NULL;
	for (p++;; first = false) {
		const char *key, *v;
		size_t klen;

		p = peek_ws(p, end);
		if (p < end && *p == '}')
			return p + 1;
		if (!first) {
			if (p == end || *p != ',')
				return NULL;
			p = peek_ws(p + 1, end);
		}
		if (p == end || *p != '"')
			return NULL;
		key = p + 1;
		if (!(p = peek_string(p, end, &esc)) || esc)
			return NULL;
		klen = (size_t)(p - 1 - key);
		p = peek_ws(p, end);
		if (p == end || *p != ':')
			return NULL;
		v = peek_ws(p + 1, end);
		if (!(p = peek_value(v, end, 1)))
			return NULL;
		if (fn(ctx, key, klen, v, p))
			return NULL;
	}
}

struct peek {
	bool status, metadata, kind, api_version;
	char *rv;
	size_t rvsize;
	bool rv_seen;
};

static bool key_is(const char *key, size_t klen, const char *want)
{
	return klen == strlen(want) && !memcmp(key, want, klen);
}

static int peek_meta(void *ctx, const char *key, size_t klen, const char *v, const char *vend)
{
	struct peek *pk = ctx;
	size_t n = (size_t)(vend - v);

	if (!key_is(key, klen, "resourceVersion"))
		return 0;
	/* A plain string (no escapes) that fits: anything else, parse the reply. */
	if (pk->rv_seen || n < 2 || *v != '"' || memchr(v, '\\', n) || n - 2 >= pk->rvsize)
		return -1;
	memcpy(pk->rv, v + 1, n - 2);
	pk->rv[n - 2] = '\0';
	pk->rv_seen = true;
	return 0;
}

static int peek_top(void *ctx, const char *key, size_t klen, const char *v, const char *vend)
{
	struct peek *pk = ctx;

	if (key_is(key, klen, "status"))
		pk->status = true;
	if (key_is(key, klen, "kind"))
		pk->kind = *v == '"';
	if (key_is(key, klen, "apiVersion"))
		pk->api_version = *v == '"';
	if (key_is(key, klen, "metadata")) {
		if (pk->metadata || peek_members(v, vend, peek_meta, pk) != vend)
			return -1;
		pk->metadata = true;
	}
	return 0;
}

int kube_reply_peek(const char *buf, size_t len, bool *has_status, char *rv, size_t rvsize)
{
	struct peek pk = { false, false, false, false, rv, rvsize, false };
	const char *end = buf + len, *p;

	*has_status = true;
	if (rvsize)
		rv[0] = '\0';
	if (!rvsize || len > KUBE_REPLY_MAX)
		return ERR_INVALID;
	p = peek_members(buf, end, peek_top, &pk);
	if (!p || peek_ws(p, end) != end || !pk.metadata || !pk.kind || !pk.api_version)
		return ERR_INVALID;
	*has_status = pk.status;
	return 0;
}

int kube_parse_object(struct doc_stream **out, const char *buf, size_t len, const char *what)
{
	const struct doc_node *root;
	int r = parse_reply(out, buf, len, KUBE_REPLY_MAX, what);

	if (r)
		return r;
	root = (*out)->docs[0];
	if (!doc_get_str(root, "kind", NULL) || !doc_get_str(root, "apiVersion", NULL) ||
	    !doc_map_get(root, "metadata") || doc_map_get(root, "metadata")->kind != DOC_MAP) {
		doc_stream_free(*out);
		*out = NULL;
		return err_set(ERR_INVALID, "%s: the API server's reply is not an object", what);
	}
	return 0;
}

int kube_parse_list(struct doc_stream **stream, struct doc_node **items, struct strbuf *cont,
		    const char *buf, size_t len, const char *what)
{
	struct doc_node *root, *it, *meta;
	const char *c;
	int r = parse_reply(stream, buf, len, KUBE_LIST_MAX, what);

	*items = NULL;
	if (r)
		return r;
	root = (*stream)->docs[0];
	it = doc_map_get(root, "items");
	meta = doc_map_get(root, "metadata");
	/* "items": null is how Go writes an empty list. */
	if (it && it->kind == DOC_SCALAR && doc_resolve(it, &(struct doc_value){ 0 }) == 0 &&
	    !strcmp(it->str, "null"))
		it = NULL;
	if ((it && it->kind != DOC_SEQ) || (meta && meta->kind != DOC_MAP)) {
		doc_stream_free(*stream);
		*stream = NULL;
		return err_set(ERR_INVALID, "%s: the API server's reply is not a list", what);
	}
	for (size_t i = 0; it && i < it->n; i++)
		if (it->kids[i]->kind != DOC_MAP) {
			doc_stream_free(*stream);
			*stream = NULL;
			return err_set(ERR_INVALID, "%s: item %zu of the list is not an object", what, i);
		}
	*items = it;
	strbuf_reset(cont);
	c = meta ? doc_get_str(meta, "continue", NULL) : NULL;
	if (c && *c) {
		if (strlen(c) > 16384) {
			doc_stream_free(*stream);
			*stream = NULL;
			*items = NULL;
			return err_set(ERR_TOOBIG, "%s: continue token too long", what);
		}
		strbuf_addstr(cont, c);
	}
	return 0;
}

/* Discovery. */

void kube_discovery_free(struct kube_discovery *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->res[i].group);
		free(d->res[i].version);
		free(d->res[i].kind);
		free(d->res[i].resource);
	}
	free(d->res);
	free(d);
}

/* Resource names are DNS labels: a reply cannot smuggle '/' or '?' into our paths. */
static bool name_ok(const char *s, bool allow_dot)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      (allow_dot && *s == '.') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return n <= 253;
}

static void add_res(struct kube_discovery *d, const char *group, const char *version,
		    const char *kind, const char *resource, bool namespaced)
{
	size_t i;

	/* The same kind served twice (a core kind and an alias): the first wins. */
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->res[i].group, group) && !strcmp(d->res[i].version, version) &&
		    !strcmp(d->res[i].kind, kind))
			return;
	ALLOC_GROW(d->res, d->n + 1, d->alloc);
	d->res[d->n].group = xstrdup(group);
	d->res[d->n].version = xstrdup(version);
	d->res[d->n].kind = xstrdup(kind);
	d->res[d->n].resource = xstrdup(resource);
	d->res[d->n].namespaced = namespaced;
	d->res[d->n].has_status = false;
	d->n++;
}

static struct kube_resource *find_res(struct kube_discovery *d, const char *group,
				      const char *version, const char *resource)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->res[i].group, group) && !strcmp(d->res[i].version, version) &&
		    !strcmp(d->res[i].resource, resource))
			return &d->res[i];
	return NULL;
}

#define DISCO_MAX_RES 100000

int kube_discovery_parse_aggregated(struct kube_discovery *d, const char *buf, size_t len)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root, *items;
	const char *kind;
	size_t i, j, k;
	int r;

	r = parse_reply(&s, buf, len, KUBE_LIST_MAX, "discovery");
	if (r)
		return r;
	root = s->docs[0];
	kind = doc_get_str(root, "kind", NULL);
	items = doc_map_get(root, "items");
	if (!kind || strcmp(kind, "APIGroupDiscoveryList") || (items && items->kind != DOC_SEQ)) {
		r = err_set(ERR_INVALID, "discovery: not an APIGroupDiscoveryList");
		goto out;
	}
	for (i = 0; items && i < items->n; i++) {
		const struct doc_node *g = items->kids[i], *vs;
		const char *group = doc_get_str(g, "metadata", "name", NULL);

		if (!group)
			group = "";
		if (*group && !name_ok(group, true))
			continue;
		vs = doc_map_get(g, "versions");
		if (!vs || vs->kind != DOC_SEQ)
			continue;
		for (j = 0; j < vs->n; j++) {
			const char *version = doc_get_str(vs->kids[j], "version", NULL);
			const struct doc_node *rs = doc_map_get(vs->kids[j], "resources");
			if (!name_ok(version, false) || !rs || rs->kind != DOC_SEQ)
				continue;
			for (k = 0; k < rs->n; k++) {
				const struct doc_node *rn = rs->kids[k], *subs;
				const char *res = doc_get_str(rn, "resource", NULL);
				const char *rk = doc_get_str(rn, "responseKind", "kind", NULL);
				const char *scope = doc_get_str(rn, "scope", NULL);
				struct kube_resource *kr;

				if (!name_ok(res, true) || !name_ok(rk, false) || !scope)
					continue;
				if (d->n >= DISCO_MAX_RES) {
					r = err_set(ERR_TOOBIG, "discovery: more than %d resources",
						    DISCO_MAX_RES);
					goto out;
				}
				add_res(d, group, version, rk, res, !strcmp(scope, "Namespaced"));
				kr = find_res(d, group, version, res);
				subs = doc_map_get(rn, "subresources");
				for (size_t m = 0; kr && subs && subs->kind == DOC_SEQ && m < subs->n; m++) {
					const char *sr = doc_get_str(subs->kids[m], "subresource", NULL);
					if (sr && !strcmp(sr, "status"))
						kr->has_status = true;
				}
			}
		}
	}
	d->aggregated = true;
out:
	doc_stream_free(s);
	return r;
}

int kube_discovery_parse_resources(struct kube_discovery *d, const char *group_version,
				   const char *buf, size_t len)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root, *rs;
	const char *slash = strchr(group_version, '/');
	struct strbuf group = STRBUF_INIT;
	const char *version;
	size_t i;
	int r;

	if (slash) {
		strbuf_add(&group, group_version, (size_t)(slash - group_version));
		version = slash + 1;
	} else {
		version = group_version;
	}
	r = parse_reply(&s, buf, len, KUBE_LIST_MAX, "discovery");
	if (r)
		goto out;
	root = s->docs[0];
	rs = doc_map_get(root, "resources");
	if (!doc_get_str(root, "kind", NULL) ||
	    strcmp(doc_get_str(root, "kind", NULL), "APIResourceList") ||
	    (rs && rs->kind != DOC_SEQ)) {
		r = err_set(ERR_INVALID, "discovery of %s: not an APIResourceList", group_version);
		goto out;
	}
	for (i = 0; rs && i < rs->n; i++) {
		const char *name = doc_get_str(rs->kids[i], "name", NULL);
		const char *kind = doc_get_str(rs->kids[i], "kind", NULL);
		const struct doc_node *ns = doc_map_get(rs->kids[i], "namespaced");
		struct doc_value dv = { 0 };
		const char *sl;

		if (!name || !kind)
			continue;
		sl = strchr(name, '/');
		if (sl) {
			/* "deployments/status": a subresource of an entry before it. */
			struct strbuf base = STRBUF_INIT;
			struct kube_resource *kr;
			strbuf_add(&base, name, (size_t)(sl - name));
			kr = find_res(d, group.buf, version, base.buf);
			if (kr && !strcmp(sl + 1, "status"))
				kr->has_status = true;
			strbuf_release(&base);
			continue;
		}
		if (!name_ok(name, true) || !name_ok(kind, false))
			continue;
		if (ns)
			doc_resolve(ns, &dv);
		if (d->n >= DISCO_MAX_RES) {
			r = err_set(ERR_TOOBIG, "discovery: more than %d resources", DISCO_MAX_RES);
			goto out;
		}
		add_res(d, group.buf, version, kind, name, dv.type == DOC_T_BOOL && dv.b);
	}
out:
	strbuf_release(&group);
	doc_stream_free(s);
	return r;
}

int kube_discovery_parse_groups(char ***gvs, size_t *n, const char *buf, size_t len)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root, *l;
	const char *kind;
	char **v = NULL;
	size_t nv = 0, alloc = 0, i, j;
	int r;

	*gvs = NULL;
	*n = 0;
	r = parse_reply(&s, buf, len, KUBE_LIST_MAX, "discovery");
	if (r)
		return r;
	root = s->docs[0];
	kind = doc_get_str(root, "kind", NULL);
	if (kind && !strcmp(kind, "APIVersions")) {
		l = doc_map_get(root, "versions");
		for (i = 0; l && l->kind == DOC_SEQ && i < l->n && i < 1000; i++) {
			const char *ver = doc_str(l->kids[i]);
			if (name_ok(ver, false)) {
				ALLOC_GROW(v, nv + 1, alloc);
				v[nv++] = xstrdup(ver);
			}
		}
	} else if (kind && !strcmp(kind, "APIGroupList")) {
		l = doc_map_get(root, "groups");
		for (i = 0; l && l->kind == DOC_SEQ && i < l->n && nv < 10000; i++) {
			const struct doc_node *vs = doc_map_get(l->kids[i], "versions");
			for (j = 0; vs && vs->kind == DOC_SEQ && j < vs->n && j < 100; j++) {
				const char *gv = doc_get_str(vs->kids[j], "groupVersion", NULL);
				const char *sl = gv ? strchr(gv, '/') : NULL;
				if (!sl || strchr(sl + 1, '/'))
					continue;
				{
					struct strbuf g = STRBUF_INIT;
					bool ok;
					strbuf_add(&g, gv, (size_t)(sl - gv));
					ok = name_ok(g.buf, true) && name_ok(sl + 1, false);
					strbuf_release(&g);
					if (!ok)
						continue;
				}
				ALLOC_GROW(v, nv + 1, alloc);
				v[nv++] = xstrdup(gv);
			}
		}
	} else {
		r = err_set(ERR_INVALID, "discovery: neither APIVersions nor APIGroupList");
	}
	doc_stream_free(s);
	if (r) {
		for (i = 0; i < nv; i++)
			free(v[i]);
		free(v);
		return r;
	}
	*gvs = v;
	*n = nv;
	return 0;
}

const struct kube_resource *kube_discovery_find(const struct kube_discovery *d,
						const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;
	const char *version = slash ? slash + 1 : api_version;
	size_t i;

	if (!d)
		return NULL;
	for (i = 0; i < d->n; i++) {
		const struct kube_resource *r = &d->res[i];
		if (strlen(r->group) == glen && !strncmp(r->group, api_version, glen) &&
		    !strcmp(r->version, version) && !strcmp(r->kind, kind))
			return r;
	}
	return NULL;
}

#define AGG_ACCEPT                                                                    \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"       \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"  \
	"application/json"

/* True when the reply is an aggregated document (a server may ignore the Accept). */
static bool is_aggregated(const struct kube_req *r)
{
	return strstr(r->reply.buf, "APIGroupDiscoveryList") != NULL;
}

int kube_discover(struct kube *k, struct kube_discovery **out)
{
	struct kube_discovery *d = xcalloc(1, sizeof(*d));
	struct kube_req top[2], *per = NULL;
	char **gvs[2] = { NULL, NULL };
	size_t ngv[2] = { 0, 0 }, i, j, nper = 0;
	struct strbuf path = STRBUF_INIT;
	int r;

	*out = NULL;
	for (i = 0; i < 2; i++) {
		kube_req_init(&top[i]);
		top[i].method = "GET";
		top[i].path = i ? "/apis" : "/api";
		top[i].accept = AGG_ACCEPT;
		top[i].limit = KUBE_LIST_MAX;
		top[i].what = "discovery";
	}
	r = kube_do_many(k, top, 2);
	if (r)
		goto out;
	if (is_aggregated(&top[0]) && is_aggregated(&top[1])) {
		for (i = 0; i < 2 && !r; i++)
			r = kube_discovery_parse_aggregated(d, top[i].reply.buf, top[i].reply.len);
		goto out;
	}
	/* Legacy discovery: one document per group version. */
	for (i = 0; i < 2; i++) {
		r = kube_discovery_parse_groups(&gvs[i], &ngv[i], top[i].reply.buf, top[i].reply.len);
		if (r)
			goto out;
	}
	nper = ngv[0] + ngv[1];
	per = xcalloc(nper ? nper : 1, sizeof(*per));
	for (i = 0, j = 0; i < 2; i++)
		for (size_t m = 0; m < ngv[i]; m++, j++) {
			kube_req_init(&per[j]);
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s", i ? "/apis" : "/api", gvs[i][m]);
			per[j].path = strbuf_detach(&path, NULL);
			per[j].method = "GET";
			per[j].limit = KUBE_LIST_MAX;
			per[j].what = "discovery";
		}
	kube_do_many(k, per, nper);
	for (i = 0, j = 0; i < 2; i++)
		for (size_t m = 0; m < ngv[i]; m++, j++) {
			/* A group whose server is down (a broken APIService) is skipped, as kubectl does. */
			if (per[j].rc)
				continue;
			r = kube_discovery_parse_resources(d, gvs[i][m], per[j].reply.buf,
							   per[j].reply.len);
			if (r)
				goto out;
		}
	err_clear();
out:
	for (i = 0; i < 2; i++) {
		kube_req_release(&top[i]);
		for (j = 0; j < ngv[i]; j++)
			free(gvs[i][j]);
		free(gvs[i]);
	}
	for (j = 0; j < nper; j++) {
		free((char *)per[j].path);
		kube_req_release(&per[j]);
	}
	free(per);
	strbuf_release(&path);
	if (r) {
		kube_discovery_free(d);
		return r;
	}
	*out = d;
	return 0;
}
