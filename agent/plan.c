/*
 * plan.c - field-level diffs, the plan hash, OBJECT arguments and ignore
 * rules.  See plan.h.
 */
#include "core/compat.h"
#include "agent/plan.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <openssl/evp.h>

void plan_pointer_escape(struct strbuf *out, const char *key)
{
	for (; *key; key++) {
		if (*key == '~')
			strbuf_addstr(out, "~0");
		else if (*key == '/')
			strbuf_addstr(out, "~1");
		else
			strbuf_addch(out, *key);
	}
}

/* Keys that move on every write, or that are not ours to compare (as sync.c skips them). */
static bool skip_key(const char *key, int depth, bool in_meta)
{
	if (depth == 0)
		return !strcmp(key, "status");
	if (depth == 1 && in_meta)
		return !strcmp(key, "managedFields") || !strcmp(key, "resourceVersion") ||
		       !strcmp(key, "generation") || !strcmp(key, "creationTimestamp") ||
		       !strcmp(key, "uid") || !strcmp(key, "selfLink");
	return false;
}

struct diff_ctx {
	struct strbuf *out;
	const char *const *ignore;
	size_t nignore;
	size_t n;
};

static bool ignored(const struct diff_ctx *d, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < d->nignore; i++) {
		size_t il = strlen(d->ignore[i]);
		if (il <= len && !memcmp(d->ignore[i], path, il) && (il == len || path[il] == '/'))
			return true;
	}
	return false;
}

static void emit_value(struct strbuf *out, const struct doc_node *v)
{
	size_t mark = out->len;

	if (!v || doc_emit_json(out, v)) {
		err_clear();
		strbuf_setlen(out, mark);
		strbuf_addstr(out, "null");
	}
	/* doc_emit_json ends documents with a newline; values sit inside an object. */
	while (out->len > mark && out->buf[out->len - 1] == '\n')
		strbuf_setlen(out, out->len - 1);
}

static void emit(struct diff_ctx *d, struct strbuf *path, const struct doc_node *live,
		 const struct doc_node *want)
{
	if (ignored(d, path->buf, path->len))
		return;
	if (d->n++ >= PLAN_DIFF_MAX)
		return;
	if (d->n > 1)
		strbuf_addch(d->out, ',');
	strbuf_addstr(d->out, "{\"path\":");
	strbuf_add_json_str(d->out, path->len ? path->buf : "", path->len);
	strbuf_addstr(d->out, ",\"live\":");
	emit_value(d->out, live);
	strbuf_addstr(d->out, ",\"want\":");
	emit_value(d->out, want);
	strbuf_addch(d->out, '}');
}

static void diff(struct diff_ctx *d, struct strbuf *path, const struct doc_node *x,
		 const struct doc_node *y, int depth, bool in_meta)
{
	size_t mark = path->len, i;

	if (!x && !y)
		return;
	if (!x || !y || x->kind != y->kind || (x->kind == DOC_SCALAR && !doc_equal(x, y)) ||
	    (x->kind == DOC_SEQ && x->n != y->n)) {
		emit(d, path, x, y);
		return;
	}
	if (ignored(d, path->buf, path->len))
		return;
	if (x->kind == DOC_SEQ) {
		for (i = 0; i < x->n; i++) {
			strbuf_addf(path, "/%zu", i);
			diff(d, path, x->kids[i], y->kids[i], depth + 1, false);
			strbuf_setlen(path, mark);
		}
		return;
	}
	if (x->kind != DOC_MAP)
		return;
	/* The wanted keys in their order, then those only the live object has. */
	for (i = 0; i < y->n; i++) {
		const char *k = doc_str(y->kids[2 * i]);
		if (!k || skip_key(k, depth, in_meta))
			continue;
		strbuf_addch(path, '/');
		plan_pointer_escape(path, k);
		diff(d, path, doc_map_get(x, k), y->kids[2 * i + 1], depth + 1,
		     depth == 0 && !strcmp(k, "metadata"));
		strbuf_setlen(path, mark);
	}
	for (i = 0; i < x->n; i++) {
		const char *k = doc_str(x->kids[2 * i]);
		if (!k || skip_key(k, depth, in_meta) || doc_map_get(y, k))
			continue;
		strbuf_addch(path, '/');
		plan_pointer_escape(path, k);
		emit(d, path, x->kids[2 * i + 1], NULL);
		strbuf_setlen(path, mark);
	}
}

size_t plan_diff(struct strbuf *out, const struct doc_node *live, const struct doc_node *want,
		 const char *const *ignore, size_t nignore)
{
	struct diff_ctx d = { out, ignore, nignore, 0 };
	struct strbuf path = STRBUF_INIT;

	diff(&d, &path, live, want, 0, false);
	strbuf_release(&path);
	return d.n;
}

void plan_hash(char out[DIGEST_STR_SIZE], const char *digest, const char *changes_json,
	       size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, "hoist-plan-v1\n", 14) ||
	    !EVP_DigestUpdate(ctx, digest, strlen(digest)) || !EVP_DigestUpdate(ctx, "\n", 1) ||
	    !EVP_DigestUpdate(ctx, changes_json, len) || !EVP_DigestFinal_ex(ctx, md, &mdlen) ||
	    mdlen != 32)
		abort(); /* OpenSSL without sha256: nothing sensible is left to do */
	EVP_MD_CTX_free(ctx);
	memcpy(out, DIGEST_PREFIX, 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

static bool segment_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 253)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '%' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

int plan_object_parse(const char *s, char **group, char **kind, char **ns, char **name)
{
	const char *a = strchr(s, '/'), *b = a ? strchr(a + 1, '/') : NULL, *dot;

	*group = *kind = *ns = *name = NULL;
	if (!a || (b && strchr(b + 1, '/')) || !segment_ok(s, (size_t)(a - s)) ||
	    (b ? !segment_ok(a + 1, (size_t)(b - a - 1)) || !segment_ok(b + 1, strlen(b + 1))
	       : !segment_ok(a + 1, strlen(a + 1))))
		return err_set(ERR_INVALID, "'%s': an object is KIND/NAME or KIND/NAMESPACE/NAME "
					    "(KIND may be Kind.group)", s);
	dot = memchr(s, '.', (size_t)(a - s));
	*kind = xstrndup(s, (size_t)((dot ? dot : a) - s));
	*group = dot ? xstrndup(dot + 1, (size_t)(a - dot - 1)) : NULL;
	if (b) {
		*ns = xstrndup(a + 1, (size_t)(b - a - 1));
		*name = xstrdup(b + 1);
	} else {
		*name = xstrdup(a + 1);
	}
	return 0;
}

bool drift_rule_match(const struct drift_rule *r, const char *api_version, const char *kind,
		      const char *ns, const char *name)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;

	if (strcmp(r->kind, kind))
		return false;
	if (r->group && (strlen(r->group) != glen || strncmp(r->group, api_version, glen)))
		return false;
	if (r->name && strcmp(r->name, name))
		return false;
	if (r->ns && strcmp(r->ns, ns ? ns : ""))
		return false;
	return true;
}

void drift_rule_release(struct drift_rule *r)
{
	size_t i;

	free(r->group);
	free(r->kind);
	free(r->name);
	free(r->ns);
	for (i = 0; i < r->npointers; i++)
		free(r->pointers[i]);
	free(r->pointers);
	memset(r, 0, sizeof(*r));
}
