/*
 * generator.c - configMapGenerator and secretGenerator, and the content
 * hashes kustomize appends to generated names.
 *
 * The behaviour follows kustomize v5.5 as `kubectl kustomize` shows it,
 * which differs from what its source suggests in two places worth
 * knowing: keys are not validated (the field validator is a stub), and the
 * name that goes into the hash is always empty (the hasher looks the name
 * up as one field called "metadata/name", which never exists), so a hash
 * depends on the data and, for a Secret, its type only.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <openssl/evp.h>

/* The options of one generator once generatorOptions are folded in. */
struct gen_opts {
	struct doc_node *labels;      /* a mapping, or NULL */
	struct doc_node *annotations; /* a mapping, or NULL */
	bool nohash;
	bool immutable;
};

struct kv {
	char *key;
	char *val;
	size_t len;
};

struct kvlist {
	struct kv *v;
	size_t n, alloc;
};

static void kvlist_release(struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void kvlist_add(struct kvlist *l, const char *key, size_t klen, const char *val,
		       size_t len)
{
	struct kv *kv;

	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	kv = &l->v[l->n++];
	kv->key = xstrndup(key, klen);
	kv->val = xmalloc(len + 1);
	memcpy(kv->val, val, len);
	kv->val[len] = '\0';
	kv->len = len;
}


/*
 * Base64 as kyaml's data maps write it for Secrets and binaryData: lines of
 * 70 characters, each ending in a newline once there is more than one line
 * (an encoding of 72 characters or more).  The newlines are part of the
 * value, so they change the name hash too.
 */
static void add_base64(struct strbuf *out, const char *s, size_t len)
{
	const size_t line = 70;
	size_t enc = 4 * ((len + 2) / 3), i;
	bool wrap = enc / line + 1 > 1;
	char *tmp = xmalloc(enc + 1);

	EVP_EncodeBlock((unsigned char *)tmp, (const unsigned char *)s, (int)len);
	strbuf_grow(out, enc + enc / line + 2);
	for (i = 0; i < enc; i += line) {
		size_t n = enc - i < line ? enc - i : line;

		strbuf_add(out, tmp + i, n);
		if (wrap)
			strbuf_addch(out, '\n');
	}
	free(tmp);
}

/* --- reading the sources --------------------------------------------------- */

/* A literal "KEY=VALUE"; the value loses one pair of matching surrounding quotes. */
static int add_literal(struct kvlist *l, const char *s)
{
	const char *eq = strchr(s, '=');
	const char *v;
	size_t vlen;

	if (!eq || eq == s)
		return err_set(ERR_INVALID, "invalid literal source %s, expected key=value", s);
	v = eq + 1;
	vlen = strlen(v);
	if (vlen >= 2 && v[0] == v[vlen - 1] && (v[0] == '"' || v[0] == '\'')) {
		v++;
		vlen -= 2;
	}
	kvlist_add(l, s, (size_t)(eq - s), v, vlen);
	return 0;
}

/*
 * An env file: one KEY=VALUE a line, leading white space dropped, blank
 * lines and "#" comments skipped, a line without "=" an empty value; a
 * UTF-8 byte order mark is dropped from the first line and "\r\n" ends a
 * line as "\n" does (Go's bufio.Scanner).
 */
static int add_env_file(struct kbuild *b, struct kvlist *l, const char *dir, const char *rel)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *end;
	unsigned lineno = 0;
	int ret;

	ret = kust_read(b, dir, rel, &sb);
	if (ret)
		goto out;
	p = sb.buf;
	end = sb.buf + sb.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *eq;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		if (!utf8_is_valid(p, (size_t)(le - p))) {
			ret = err_set(ERR_INVALID, "%s: line %u has invalid UTF-8 bytes", rel,
				      lineno);
			goto out;
		}
		if (lineno == 1 && le - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
			p += 3;
		while (p < le && (*p == ' ' || *p == '\t' || *p == '\v' || *p == '\f' ||
				  *p == '\r' || *p == '\n'))
			p++;
		if (p < le && *p != '#') {
			eq = memchr(p, '=', (size_t)(le - p));
			if (eq)
				kvlist_add(l, p, (size_t)(eq - p), eq + 1, (size_t)(le - eq - 1));
			else
				kvlist_add(l, p, (size_t)(le - p), "", 0);
		}
		p = nl ? nl + 1 : end;
	}
out:
	strbuf_release(&sb);
	return ret;
}

/* A file source: "path" (the key is its base name) or "key=path". */
static int add_file(struct kbuild *b, struct kvlist *l, const char *dir, const char *src)
{
	struct strbuf sb = STRBUF_INIT;
	const char *eq = strchr(src, '='), *path = src, *key, *slash;
	size_t klen;
	int ret;

	if (eq == src)
		return err_set(ERR_INVALID, "missing key name for file path \"%s\" in source \"%s\"",
			       src + 1, src);
	if (eq) {
		key = src;
		klen = (size_t)(eq - src);
		path = eq + 1;
		if (strchr(path, '='))
			return err_set(ERR_INVALID,
				       "source \"%s\" key name or file path contains '='", src);
		if (!*path)
			return err_set(ERR_INVALID,
				       "missing file path for key name \"%.*s\" in source \"%s\"",
				       (int)klen, key, src);
	} else {
		/* Go's path.Base: the last element, trailing slashes ignored. */
		size_t n = strlen(src);

		while (n > 1 && src[n - 1] == '/')
			n--;
		key = src;
		for (slash = src + n; slash > src && slash[-1] != '/'; slash--)
			;
		key = slash;
		klen = (size_t)(src + n - slash);
	}
	ret = kust_read(b, dir, path, &sb);
	if (!ret)
		kvlist_add(l, key, klen, sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

static int list_strings(const struct doc_node *gen, const char *field,
			const struct doc_node **out)
{
	const struct doc_node *n = doc_map_get(gen, field);
	size_t i;

	*out = NULL;
	if (!n || (n->kind == DOC_SCALAR && !n->len))
		return 0;
	if (n->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "generator field %s must be a list of strings", field);
	for (i = 0; i < n->n; i++)
		if (n->kids[i]->kind != DOC_SCALAR)
			return err_set(ERR_INVALID, "generator field %s must be a list of strings",
				       field);
	*out = n;
	return 0;
}

/* The pairs of a generator, in kustomize's order: env files, literals, files. */
static int load_pairs(struct kbuild *b, const char *dir, const struct doc_node *gen,
		      const char *name, struct kvlist *out)
{
	const struct doc_node *envs, *lits, *files;
	const char *env = doc_get_str(gen, "env", NULL);
	size_t i, j;
	int ret;

	if ((ret = list_strings(gen, "envs", &envs)) ||
	    (ret = list_strings(gen, "literals", &lits)) ||
	    (ret = list_strings(gen, "files", &files)))
		return ret;
	for (i = 0; envs && i < envs->n; i++)
		if ((ret = add_env_file(b, out, dir, envs->kids[i]->str)))
			return ret;
	if (env && *env && (ret = add_env_file(b, out, dir, env)))
		return ret;
	for (i = 0; lits && i < lits->n; i++)
		if ((ret = add_literal(out, lits->kids[i]->str)))
			return ret;
	for (i = 0; files && i < files->n; i++)
		if ((ret = add_file(b, out, dir, files->kids[i]->str)))
			return ret;
	for (i = 0; i < out->n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(out->v[i].key, out->v[j].key))
				return err_set(ERR_INVALID,
					       "configmap %s illegally repeats the key `%s`", name,
					       out->v[i].key);
	return 0;
}

/* --- options ----------------------------------------------------------------- */

static int opt_bool(const struct doc_node *opts, const char *key, bool *out)
{
	const struct doc_node *n = opts ? doc_map_get(opts, key) : NULL;
	struct doc_value v;

	if (!n)
		return 0;
	if (doc_resolve(n, &v) || (v.type != DOC_T_BOOL && v.type != DOC_T_NULL))
		return err_set(ERR_INVALID, "generator option %s must be true or false", key);
	if (v.type == DOC_T_BOOL && v.b)
		*out = true;
	return 0;
}

/* Copies the string pairs of mapping `src` into `dst` (created when needed), later wins. */
static int merge_pairs(struct kbuild *b, struct doc_node **dst, const struct doc_node *src,
		       const char *what)
{
	size_t i;

	if (!src || (src->kind == DOC_SCALAR && !src->len))
		return 0;
	if (src->kind != DOC_MAP)
		return err_set(ERR_INVALID, "generator option %s must be a mapping", what);
	for (i = 0; i < src->n; i++) {
		const struct doc_node *k = src->kids[2 * i], *v = src->kids[2 * i + 1];

		if (k->kind != DOC_SCALAR || v->kind != DOC_SCALAR)
			return err_set(ERR_INVALID, "generator option %s must map strings to strings",
				       what);
		if (!*dst)
			*dst = doc_new_map(b->arena);
		doc_map_set(b->arena, *dst, k->str,
			    doc_new_scalar(b->arena, v->str, v->len, DOC_STYLE_DOUBLE));
	}
	return 0;
}

static const char *const opt_keys[] = {
	"labels", "annotations", "disableNameSuffixHash", "immutable",
};

static int check_keys(const struct doc_node *m, const char *const *keys, size_t nkeys,
		      const char *what)
{
	size_t i, j;

	for (i = 0; m && m->kind == DOC_MAP && i < m->n; i++) {
		const char *k = doc_str(m->kids[2 * i]);

		for (j = 0; k && j < nkeys; j++)
			if (!strcmp(k, keys[j]))
				break;
		if (!k || j == nkeys)
			return err_set(ERR_INVALID, "%s: unsupported field %s", what,
				       k ? k : "(non-string key)");
	}
	return 0;
}

/* Local options win over generatorOptions for labels and annotations; flags are or-ed. */
static int fold_options(struct kbuild *b, struct gen_opts *o, const struct doc_node *global,
			const struct doc_node *local)
{
	int ret;

	memset(o, 0, sizeof(*o));
	if ((global && global->kind != DOC_MAP && !(global->kind == DOC_SCALAR && !global->len)) ||
	    (local && local->kind != DOC_MAP && !(local->kind == DOC_SCALAR && !local->len)))
		return err_set(ERR_INVALID, "generator options must be a mapping");
	if (global && global->kind != DOC_MAP)
		global = NULL;
	if (local && local->kind != DOC_MAP)
		local = NULL;
	if ((ret = check_keys(global, opt_keys, ARRAY_SIZE(opt_keys), "generatorOptions")) ||
	    (ret = check_keys(local, opt_keys, ARRAY_SIZE(opt_keys), "generator options")))
		return ret;
	if ((ret = merge_pairs(b, &o->labels, global ? doc_map_get(global, "labels") : NULL,
			       "labels")) ||
	    (ret = merge_pairs(b, &o->labels, local ? doc_map_get(local, "labels") : NULL,
			       "labels")) ||
	    (ret = merge_pairs(b, &o->annotations,
			       global ? doc_map_get(global, "annotations") : NULL, "annotations")) ||
	    (ret = merge_pairs(b, &o->annotations,
			       local ? doc_map_get(local, "annotations") : NULL, "annotations")) ||
	    (ret = opt_bool(global, "disableNameSuffixHash", &o->nohash)) ||
	    (ret = opt_bool(local, "disableNameSuffixHash", &o->nohash)) ||
	    (ret = opt_bool(global, "immutable", &o->immutable)) ||
	    (ret = opt_bool(local, "immutable", &o->immutable)))
		return ret;
	return 0;
}

/* --- building the object ---------------------------------------------------- */

static struct doc_node *str_node(struct kbuild *b, const char *s, size_t len)
{
	return doc_new_scalar(b->arena, s, len, DOC_STYLE_DOUBLE);
}

static void set_str(struct kbuild *b, struct doc_node *map, const char *key, const char *val)
{
	doc_map_set(b->arena, map, key, str_node(b, val, strlen(val)));
}

static struct doc_node *make_object(struct kbuild *b, bool secret, const char *name,
				    const char *ns, const char *type,
				    const struct kvlist *kvs, const struct gen_opts *o)
{
	struct doc_node *obj = doc_new_map(b->arena), *meta, *data = NULL, *bin = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	doc_map_set(b->arena, obj, "apiVersion", doc_new_str(b->arena, "v1"));
	doc_map_set(b->arena, obj, "kind", doc_new_str(b->arena, secret ? "Secret" : "ConfigMap"));
	meta = doc_map_ensure_map(b->arena, obj, "metadata");
	set_str(b, meta, "name", name);
	if (ns && *ns)
		set_str(b, meta, "namespace", ns);
	if (o->labels)
		doc_map_set(b->arena, meta, "labels", o->labels);
	if (o->annotations)
		doc_map_set(b->arena, meta, "annotations", o->annotations);
	/* A Secret always has data (`data: {}` when empty); a ConfigMap only when needed. */
	if (secret)
		data = doc_map_ensure_map(b->arena, obj, "data");
	for (i = 0; i < kvs->n; i++) {
		const struct kv *kv = &kvs->v[i];

		if (secret || !utf8_is_valid(kv->val, kv->len)) {
			strbuf_reset(&sb);
			add_base64(&sb, kv->val, kv->len);
			if (secret) {
				doc_map_set(b->arena, data, kv->key, str_node(b, sb.buf, sb.len));
			} else {
				if (!bin)
					bin = doc_map_ensure_map(b->arena, obj, "binaryData");
				doc_map_set(b->arena, bin, kv->key, str_node(b, sb.buf, sb.len));
			}
			continue;
		}
		if (!data)
			data = doc_map_ensure_map(b->arena, obj, "data");
		doc_map_set(b->arena, data, kv->key, str_node(b, kv->val, kv->len));
	}
	if (secret)
		set_str(b, obj, "type", type && *type ? type : "Opaque");
	if (o->immutable)
		doc_map_set(b->arena, obj, "immutable",
			    doc_new_scalar(b->arena, "true", 4, DOC_STYLE_PLAIN));
	strbuf_release(&sb);
	return obj;
}

/* --- merge and replace --------------------------------------------------------- */

static bool ns_equal(const char *a, const char *b)
{
	if (!*a)
		a = "default";
	if (!*b)
		b = "default";
	return !strcmp(a, b);
}

/* Whether `r` has (or had) the id kind/name/ns, as kustomize's ResId.Equals sees it. */
static bool had_id(const struct kres *r, const char *kind, const char *name, const char *ns)
{
	size_t i;
	bool named = !strcmp(kres_name(r), name);

	if (strcmp(kres_kind(r), kind) && strcmp(r->orig_kind, kind))
		return false;
	for (i = 0; !named && i < r->nnames; i++)
		named = !strcmp(r->names[i], name);
	return named && (ns_equal(kres_ns(r), ns) || ns_equal(r->orig_ns, ns));
}

/* The string pairs of `old`'s mapping under `key` (values as strings), then `new`'s on top. */
static void merge_string_map(struct kbuild *b, struct doc_node *obj, const char *key,
			     const struct doc_node *oldmap, bool under_meta)
{
	struct doc_node *parent = under_meta ? doc_map_ensure_map(b->arena, obj, "metadata") : obj;
	struct doc_node *cur, *merged;
	size_t i;

	if (!parent || !oldmap || oldmap->kind != DOC_MAP || !oldmap->n)
		return;
	cur = doc_map_get(parent, key);
	merged = doc_new_map(b->arena);
	for (i = 0; i < oldmap->n; i++) {
		const struct doc_node *k = oldmap->kids[2 * i], *v = oldmap->kids[2 * i + 1];

		if (k->kind != DOC_SCALAR)
			continue;
		doc_map_set(b->arena, merged, k->str,
			    v->kind == DOC_SCALAR ? str_node(b, v->str, v->len)
						  : doc_clone(b->arena, v));
	}
	for (i = 0; cur && cur->kind == DOC_MAP && i < cur->n; i++)
		if (cur->kids[2 * i]->kind == DOC_SCALAR)
			doc_map_set(b->arena, merged, cur->kids[2 * i]->str, cur->kids[2 * i + 1]);
	doc_map_set(b->arena, parent, key, merged);
}

/*
 * Folds a generated object into the resource it merges with or replaces,
 * as kustomize's appendReplaceOrMerge does: the new object takes the old
 * one's place, name and namespace; labels and annotations are the old ones
 * overridden by the new; with merge, data and binaryData too.  The name
 * gets a hash only when both sides wanted one.
 */
static void fold_into(struct kbuild *b, struct kres *old, struct doc_node *obj,
		      enum kgen_behavior bh, bool needs_hash)
{
	const struct doc_node *oldmeta = doc_map_get(old->node, "metadata");
	struct doc_node *meta = doc_map_ensure_map(b->arena, obj, "metadata");
	const char *ns = kres_ns(old);

	merge_string_map(b, obj, "labels", oldmeta ? doc_map_get(oldmeta, "labels") : NULL, true);
	merge_string_map(b, obj, "annotations",
			 oldmeta ? doc_map_get(oldmeta, "annotations") : NULL, true);
	set_str(b, meta, "name", kres_name(old));
	if (*ns)
		set_str(b, meta, "namespace", ns);
	else
		doc_map_del(meta, "namespace");
	if (bh == KGEN_MERGE) {
		merge_string_map(b, obj, "data", doc_map_get(old->node, "data"), false);
		merge_string_map(b, obj, "binaryData", doc_map_get(old->node, "binaryData"), false);
	}
	old->node = obj;
	old->needs_hash = old->needs_hash && needs_hash;
	old->generated = true;
	old->behavior = bh;
}

static int parse_behavior(const struct doc_node *gen, enum kgen_behavior *out)
{
	const char *s = doc_get_str(gen, "behavior", NULL);

	/* kustomize treats an unknown behavior as create. */
	*out = KGEN_CREATE;
	if (s && !strcmp(s, "merge"))
		*out = KGEN_MERGE;
	else if (s && !strcmp(s, "replace"))
		*out = KGEN_REPLACE;
	return 0;
}

static const char *const gen_keys[] = {
	"name", "namespace", "behavior", "literals", "files", "envs", "env", "options", "type",
};

static int run_one(struct kbuild *b, struct kresmap *m, const char *dir,
		   const struct doc_node *gen, const struct doc_node *global, bool secret)
{
	const char *kind = secret ? "Secret" : "ConfigMap";
	const char *name, *ns, *type;
	struct kvlist kvs = { 0 };
	struct gen_opts o;
	enum kgen_behavior bh;
	struct doc_node *obj;
	struct kres *match = NULL, *r;
	size_t i, nmatch = 0;
	int ret;

	if (gen->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%sGenerator entries must be mappings",
			       secret ? "secret" : "configMap");
	ret = check_keys(gen, gen_keys, ARRAY_SIZE(gen_keys) - (secret ? 0 : 1),
			 secret ? "secretGenerator" : "configMapGenerator");
	if (ret)
		return ret;
	name = doc_get_str(gen, "name", NULL);
	ns = doc_get_str(gen, "namespace", NULL);
	type = secret ? doc_get_str(gen, "type", NULL) : NULL;
	if (!name || !*name)
		return err_set(ERR_INVALID, "a configmap must have a name");
	if (!ns)
		ns = "";
	parse_behavior(gen, &bh);
	ret = fold_options(b, &o, global, doc_map_get(gen, "options"));
	if (!ret)
		ret = load_pairs(b, dir, gen, name, &kvs);
	if (ret)
		goto out;
	obj = make_object(b, secret, name, ns, type, &kvs, &o);

	for (i = 0; i < m->n; i++) {
		if (had_id(&m->v[i], kind, name, ns)) {
			match = &m->v[i];
			nmatch++;
		}
	}
	if (nmatch > 1) {
		ret = err_set(ERR_INVALID, "found multiple objects that could accept merge of %s %s",
			      kind, name);
		goto out;
	}
	if (!match) {
		if (bh == KGEN_MERGE || bh == KGEN_REPLACE) {
			ret = err_set(ERR_INVALID,
				      "%s %s%s%s does not exist; cannot merge or replace", kind,
				      *ns ? ns : "", *ns ? "/" : "", name);
			goto out;
		}
		r = kresmap_add(m, obj, dir);
		r->generated = true;
		r->behavior = bh;
		r->needs_hash = !o.nohash;
		goto out;
	}
	if (bh != KGEN_MERGE && bh != KGEN_REPLACE) {
		ret = err_set(ERR_INVALID, "%s %s%s%s exists; behavior must be merge or replace",
			      kind, *ns ? ns : "", *ns ? "/" : "", name);
		goto out;
	}
	fold_into(b, match, obj, bh, !o.nohash);
out:
	kvlist_release(&kvs);
	return ret;
}

int kust_generators(struct kbuild *b, struct kresmap *m, const char *dir,
		    const struct doc_node *configmaps, const struct doc_node *secrets,
		    const struct doc_node *options)
{
	const struct doc_node *lists[2] = { configmaps, secrets };
	size_t i, j;
	int ret;

	for (j = 0; j < 2; j++) {
		const struct doc_node *l = lists[j];

		if (!l || (l->kind == DOC_SCALAR && !l->len))
			continue;
		if (l->kind != DOC_SEQ)
			return err_set(ERR_INVALID, "%s must be a list",
				       j ? "secretGenerator" : "configMapGenerator");
		for (i = 0; i < l->n; i++) {
			ret = run_one(b, m, dir, l->kids[i], options, j == 1);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* --- hashes -------------------------------------------------------------------- */


static int cmp_keys(const void *x, const void *y)
{
	const struct doc_node *a = *(struct doc_node *const *)x;
	const struct doc_node *b = *(struct doc_node *const *)y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->str, b->str, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/*
 * A value as Go writes it after a JSON round trip through interface{}:
 * maps with sorted keys, numbers as float64.
 */
static int add_go_json(struct strbuf *sb, const struct doc_node *n)
{
	struct doc_value v;
	size_t i;
	int ret = 0;

	if (n->kind == DOC_SEQ) {
		strbuf_addch(sb, '[');
		for (i = 0; i < n->n && !ret; i++) {
			if (i)
				strbuf_addch(sb, ',');
			ret = add_go_json(sb, n->kids[i]);
		}
		strbuf_addch(sb, ']');
		return ret;
	}
	if (n->kind == DOC_MAP) {
		struct doc_node **keys = xcalloc(n->n ? n->n : 1, sizeof(*keys));

		for (i = 0; i < n->n; i++) {
			if (n->kids[2 * i]->kind != DOC_SCALAR) {
				free(keys);
				return err_set(ERR_INVALID, "cannot hash a mapping with a non-string key");
			}
			keys[i] = n->kids[2 * i];
		}
		qsort(keys, n->n, sizeof(*keys), cmp_keys);
		strbuf_addch(sb, '{');
		for (i = 0; i < n->n && !ret; i++) {
			if (i)
				strbuf_addch(sb, ',');
			strbuf_add_json_str_go(sb, keys[i]->str, keys[i]->len);
			strbuf_addch(sb, ':');
			ret = add_go_json(sb, doc_map_get(n, keys[i]->str));
		}
		strbuf_addch(sb, '}');
		free(keys);
		return ret;
	}
	if (doc_resolve(n, &v))
		return err_set(ERR_INVALID, "cannot hash a scalar");
	switch (v.type) {
	case DOC_T_NULL: strbuf_addstr(sb, "null"); break;
	case DOC_T_BOOL: strbuf_addstr(sb, v.b ? "true" : "false"); break;
	/* NEEDSWORK: Go formats float64; exact only below 2^53 and for plain floats. */
	case DOC_T_INT: strbuf_addf(sb, "%lld", (long long)v.i); break;
	case DOC_T_UINT: strbuf_addf(sb, "%llu", (unsigned long long)v.u); break;
	case DOC_T_FLOAT: {
		char buf[64];

		go_format_float_g(v.f, buf, sizeof(buf));
		strbuf_addstr(sb, buf);
		break;
	}
	default: strbuf_add_json_str_go(sb, n->str, n->len); break;
	}
	return 0;
}

/* One field of the hashed map: a mapping as JSON, a scalar as its text, absent as "". */
static int add_hash_field(struct strbuf *sb, const char *key, const struct doc_node *n)
{
	strbuf_add_json_str_go(sb, key, strlen(key));
	strbuf_addch(sb, ':');
	if (!n || n->kind == DOC_SCALAR) {
		strbuf_add_json_str_go(sb, n ? n->str : "", n ? n->len : 0);
		return 0;
	}
	return add_go_json(sb, n);
}

static bool is_map(const struct doc_node *n)
{
	return n && n->kind == DOC_MAP;
}

/*
 * kustomize's content hash of a ConfigMap or Secret: the sha256 of the JSON
 * of {binaryData (when a mapping), data, kind, name: "", and for a Secret
 * stringData (when a mapping) and type}, keys sorted; its first ten hex
 * digits with 0, 1, 3, a, e mapped to g, h, k, m, t so the result never
 * looks like a number or a word.
 */
int kust_content_hash(const struct doc_node *obj, char out[11])
{
	const char *kind = doc_get_str(obj, "kind", NULL);
	const struct doc_node *data = doc_map_get(obj, "data");
	struct strbuf sb = STRBUF_INIT;
	char dg[DIGEST_STR_SIZE];
	size_t i;
	int ret = 0;

	if (!kind || (strcmp(kind, "ConfigMap") && strcmp(kind, "Secret")))
		return err_set(ERR_INVALID, "content hash of kind %s is not supported",
			       kind ? kind : "(none)");
	strbuf_addch(&sb, '{');
	if (!strcmp(kind, "ConfigMap")) {
		const struct doc_node *bin = doc_map_get(obj, "binaryData");

		if (is_map(bin)) {
			ret = add_hash_field(&sb, "binaryData", bin);
			strbuf_addch(&sb, ',');
		}
		if (!ret)
			ret = add_hash_field(&sb, "data", data);
		strbuf_addstr(&sb, ",\"kind\":\"ConfigMap\",\"name\":\"\"}");
	} else {
		const struct doc_node *sd = doc_map_get(obj, "stringData");

		ret = add_hash_field(&sb, "data", data);
		strbuf_addstr(&sb, ",\"kind\":\"Secret\",\"name\":\"\",");
		if (!ret && is_map(sd)) {
			ret = add_hash_field(&sb, "stringData", sd);
			strbuf_addch(&sb, ',');
		}
		if (!ret)
			ret = add_hash_field(&sb, "type", doc_map_get(obj, "type"));
		strbuf_addch(&sb, '}');
	}
	if (!ret)
		ret = digest_sha256(dg, sb.buf, sb.len);
	if (!ret) {
		for (i = 0; i < 10; i++) {
			char c = dg[strlen(DIGEST_PREFIX) + i];

			out[i] = c == '0' ? 'g' : c == '1' ? 'h' : c == '3' ? 'k' : c == 'a' ? 'm'
			       : c == 'e' ? 't' : c;
		}
		out[10] = '\0';
	}
	strbuf_release(&sb);
	return ret;
}

int kust_hash_names(struct kbuild *b, struct kresmap *m)
{
	struct strbuf name = STRBUF_INIT;
	char h[11];
	size_t i;
	int ret = 0;

	for (i = 0; i < m->n && !ret; i++) {
		struct kres *r = &m->v[i];

		if (!r->needs_hash)
			continue;
		ret = kust_content_hash(r->node, h);
		if (ret)
			break;
		strbuf_reset(&name);
		strbuf_addf(&name, "%s-%s", kres_name(r), h);
		kres_set_name(b, r, name.buf);
	}
	strbuf_release(&name);
	return ret;
}
