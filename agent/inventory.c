/*
 * inventory.c - an app's applied set, gzip'd in a ConfigMap (inventory.h).
 */
#include "core/compat.h"
#include "agent/inventory.h"
#include "agent/kube.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci-auth.h"
#include "core/strbuf.h"
#include <zlib.h>

void inventory_add(struct inventory *inv, const char *api_version, const char *kind,
		   const char *ns, const char *name)
{
	ALLOC_GROW(inv->v, inv->n + 1, inv->alloc);
	inv->v[inv->n].api_version = xstrdup(api_version);
	inv->v[inv->n].kind = xstrdup(kind);
	inv->v[inv->n].ns = xstrdup(ns ? ns : "");
	inv->v[inv->n].name = xstrdup(name);
	inv->n++;
}

static void entry_free(struct inv_entry *e)
{
	free(e->api_version);
	free(e->kind);
	free(e->ns);
	free(e->name);
}

void inventory_release(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		entry_free(&inv->v[i]);
	free(inv->v);
	memset(inv, 0, sizeof(*inv));
}

/* The group of an apiVersion: "apps/v1" -> "apps", "v1" -> "". */
static size_t group_len(const char *api_version)
{
	const char *s = strchr(api_version, '/');

	return s ? (size_t)(s - api_version) : 0;
}

static int key_cmp(const char *av1, const char *k1, const char *ns1, const char *n1,
		   const char *av2, const char *k2, const char *ns2, const char *n2)
{
	size_t g1 = group_len(av1), g2 = group_len(av2);
	int c = memcmp(av1, av2, g1 < g2 ? g1 : g2);

	if (!c && g1 != g2)
		c = g1 < g2 ? -1 : 1;
	if (!c)
		c = strcmp(k1, k2);
	if (!c)
		c = strcmp(ns1, ns2);
	if (!c)
		c = strcmp(n1, n2);
	return c;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct inv_entry *x = a, *y = b;

	return key_cmp(x->api_version, x->kind, x->ns, x->name, y->api_version, y->kind, y->ns,
		       y->name);
}

void inventory_normalize(struct inventory *inv)
{
	size_t i, o = 0;

	if (!inv->n)
		return; /* an empty inventory may have no array at all: qsort wants one */
	qsort(inv->v, inv->n, sizeof(*inv->v), entry_cmp);
	for (i = 0; i < inv->n; i++) {
		if (o && !entry_cmp(&inv->v[o - 1], &inv->v[i])) {
			entry_free(&inv->v[i]);
			continue;
		}
		inv->v[o++] = inv->v[i];
	}
	inv->n = o;
}

bool inventory_has(const struct inventory *inv, const char *api_version, const char *kind,
		   const char *ns, const char *name)
{
	size_t lo = 0, hi = inv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct inv_entry *e = &inv->v[mid];
		int c = key_cmp(e->api_version, e->kind, e->ns, e->name, api_version, kind,
				ns ? ns : "", name);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int inventory_encode(const struct inventory *inv, struct strbuf *gz)
{
	struct strbuf text = STRBUF_INIT;
	z_stream z;
	size_t i;
	int zr;

	for (i = 0; i < inv->n; i++)
		strbuf_addf(&text, "%s\t%s\t%s\t%s\n", inv->v[i].api_version, inv->v[i].kind,
			    inv->v[i].ns, inv->v[i].name);
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper; no name and no time, so equal sets give equal bytes. */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		strbuf_release(&text);
		return err_set(ERR_GENERIC, "zlib: cannot initialise");
	}
	strbuf_grow(gz, deflateBound(&z, text.len) + 32);
	z.next_in = (unsigned char *)text.buf;
	z.avail_in = (uInt)text.len;
	z.next_out = (unsigned char *)gz->buf + gz->len;
	z.avail_out = (uInt)(gz->alloc - gz->len - 1);
	zr = deflate(&z, Z_FINISH);
	if (zr == Z_STREAM_END)
		strbuf_setlen(gz, gz->len + z.total_out);
	deflateEnd(&z);
	strbuf_release(&text);
	return zr == Z_STREAM_END ? 0 : err_set(ERR_GENERIC, "zlib: cannot compress the inventory");
}

static bool field_ok(const char *s, size_t n, bool may_be_empty)
{
	size_t i;

	if (!n)
		return may_be_empty;
	if (n > 253)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

int inventory_decode(struct inventory *inv, const void *gz, size_t len)
{
	struct strbuf text = STRBUF_INIT;
	unsigned char chunk[16384];
	z_stream z;
	const char *p, *end;
	int zr, r = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return err_set(ERR_GENERIC, "zlib: cannot initialise");
	text.limit = INVENTORY_MAX_BYTES;
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			r = err_set(ERR_INVALID, "inventory: not valid gzip data");
			goto out;
		}
		if (strbuf_add(&text, chunk, sizeof(chunk) - z.avail_out)) {
			r = err_set(ERR_TOOBIG, "inventory: larger than %u bytes uncompressed",
				    INVENTORY_MAX_BYTES);
			goto out;
		}
		if (zr == Z_OK && !z.avail_in && z.avail_out) {
			r = err_set(ERR_INVALID, "inventory: truncated gzip data");
			goto out;
		}
	} while (zr != Z_STREAM_END);
	for (p = text.buf, end = text.buf + text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *f[4], *t;
		size_t fl[4], k;

		if (!nl) {
			r = err_set(ERR_INVALID, "inventory: last line is not terminated");
			goto out;
		}
		for (k = 0, t = p; k < 4; k++) {
			const char *tab = k < 3 ? memchr(t, '\t', (size_t)(nl - t)) : nl;
			if (!tab) {
				r = err_set(ERR_INVALID, "inventory: a line without four fields");
				goto out;
			}
			f[k] = t;
			fl[k] = (size_t)(tab - t);
			t = tab + 1;
		}
		if (!field_ok(f[0], fl[0], false) || !field_ok(f[1], fl[1], false) ||
		    !field_ok(f[2], fl[2], true) || !field_ok(f[3], fl[3], false)) {
			r = err_set(ERR_INVALID, "inventory: a line with an invalid field");
			goto out;
		}
		if (inv->n >= INVENTORY_MAX_LINES) {
			r = err_set(ERR_TOOBIG, "inventory: more than %d objects", INVENTORY_MAX_LINES);
			goto out;
		}
		{
			char *av = xstrndup(f[0], fl[0]), *kd = xstrndup(f[1], fl[1]);
			char *ns = xstrndup(f[2], fl[2]), *nm = xstrndup(f[3], fl[3]);
			inventory_add(inv, av, kd, ns, nm);
			free(av), free(kd), free(ns), free(nm);
		}
		p = nl + 1;
	}
	inventory_normalize(inv);
out:
	inflateEnd(&z);
	strbuf_release(&text);
	return r;
}

static void cm_path(struct strbuf *out, const char *ns, const char *app)
{
	strbuf_addf(out, "/api/v1/namespaces/%s/configmaps/" INVENTORY_PREFIX "%s", ns, app);
}

int inventory_load(struct kube *k, const char *ns, const char *app, struct inventory *inv,
		   bool *found, struct strbuf *raw, struct strbuf *stored_digest)
{
	struct kube_req req;
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT, gz = STRBUF_INIT;
	struct doc_stream *s = NULL;
	const char *b64;
	int r;

	*found = false;
	cm_path(&path, ns, app);
	strbuf_addf(&what, "inventory ConfigMap %s/" INVENTORY_PREFIX "%s", ns, app);
	kube_req_init(&req);
	req.method = "GET";
	req.path = path.buf;
	req.what = what.buf;
	r = kube_do(k, &req);
	if (r == ERR_NOTFOUND) {
		err_clear();
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	r = kube_parse_object(&s, req.reply.buf, req.reply.len, what.buf);
	if (r)
		goto out;
	*found = true;
	b64 = doc_get_str(s->docs[0], "binaryData", INVENTORY_KEY, NULL);
	if (!b64) {
		r = err_set(ERR_INVALID, "%s has no binaryData.%s", what.buf, INVENTORY_KEY);
		goto out;
	}
	if (raw)
		strbuf_addstr(raw, b64);
	if (stored_digest) {
		const char *d = doc_get_str(s->docs[0], "metadata", "annotations", "hoist.dev/digest",
					    NULL);
		strbuf_addstr(stored_digest, d ? d : "");
	}
	r = oci_base64_decode(&gz, b64);
	if (!r)
		r = inventory_decode(inv, gz.buf, gz.len);
	if (r)
		err_prefix(r, "%s", what.buf);
out:
	doc_stream_free(s);
	kube_req_release(&req);
	strbuf_release(&path);
	strbuf_release(&what);
	strbuf_release(&gz);
	return r;
}

static int apply(struct kube *k, const char *path, const char *body, const char *what)
{
	struct kube_req req;
	int r;

	kube_req_init(&req);
	req.method = "PATCH";
	req.path = path;
	req.content_type = "application/apply-patch+yaml";
	req.body = body;
	req.body_len = strlen(body);
	req.what = what;
	r = kube_do(k, &req);
	kube_req_release(&req);
	return r;
}

int inventory_store(struct kube *k, const char *ns, const char *app, const struct inventory *inv,
		    const char *digest, const char *revision, bool create_ns, size_t *bytes)
{
	struct strbuf gz = STRBUF_INIT, b64 = STRBUF_INIT, body = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf what = STRBUF_INIT;
	int r;

	r = inventory_encode(inv, &gz);
	if (r)
		goto out;
	oci_base64_encode(&b64, gz.buf, gz.len);
	if (bytes)
		*bytes = b64.len;
	if (create_ns) {
		strbuf_addf(&body, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":");
		strbuf_add_json_str(&body, ns, strlen(ns));
		strbuf_addstr(&body, "}}");
		strbuf_addf(&path, "/api/v1/namespaces/%s?fieldManager=hoist&force=true", ns);
		strbuf_addf(&what, "Namespace %s", ns);
		r = apply(k, path.buf, body.buf, what.buf);
		if (r)
			goto out;
		strbuf_reset(&body);
		strbuf_reset(&path);
		strbuf_reset(&what);
	}
	strbuf_addstr(&body, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"");
	strbuf_addf(&body, INVENTORY_PREFIX "%s\",\"namespace\":", app);
	strbuf_add_json_str(&body, ns, strlen(ns));
	strbuf_addstr(&body, ",\"labels\":{\"hoist.dev/inventory\":");
	strbuf_add_json_str(&body, app, strlen(app));
	strbuf_addstr(&body, "},\"annotations\":{\"hoist.dev/digest\":");
	strbuf_add_json_str(&body, digest ? digest : "", digest ? strlen(digest) : 0);
	strbuf_addstr(&body, ",\"hoist.dev/revision\":");
	strbuf_add_json_str(&body, revision ? revision : "", revision ? strlen(revision) : 0);
	strbuf_addf(&body, ",\"hoist.dev/objects\":\"%zu\"}},\"binaryData\":{\"" INVENTORY_KEY "\":\"",
		    inv->n);
	strbuf_addbuf(&body, &b64);
	strbuf_addstr(&body, "\"}}");
	cm_path(&path, ns, app);
	strbuf_addstr(&path, "?fieldManager=hoist&force=true");
	strbuf_addf(&what, "inventory ConfigMap %s/" INVENTORY_PREFIX "%s", ns, app);
	r = apply(k, path.buf, body.buf, what.buf);
out:
	strbuf_release(&gz);
	strbuf_release(&b64);
	strbuf_release(&body);
	strbuf_release(&path);
	strbuf_release(&what);
	return r;
}
