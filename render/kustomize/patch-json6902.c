/*
 * patch-json6902.c - JSON patches (RFC 6902) on document trees.
 *
 * kustomize applies them with evanphx/json-patch on the object as JSON:
 * add, remove, replace, move, copy and test, RFC 6901 pointers with the ~0
 * and ~1 escapes, "-" to append to a list.  Values are copied into the
 * build's arena, so a patch applied to many objects shares nothing.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/kustomize/kpatch.h"

struct pointer {
	char **tok;
	size_t n;
};

static void pointer_release(struct pointer *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

/* Splits "/a/b~1c" into tokens with escapes undone; false for a malformed pointer. */
static bool pointer_parse(struct pointer *p, const char *s)
{
	p->tok = NULL;
	p->n = 0;
	if (!*s)
		return true;
	if (*s != '/')
		return false;
	while (*s == '/') {
		const char *e = strchr(s + 1, '/');
		size_t len = e ? (size_t)(e - s - 1) : strlen(s + 1), i, o = 0;
		char *t = xmalloc(len + 1);

		for (i = 0; i < len; i++) {
			char c = s[1 + i];
			if (c == '~') {
				char n = i + 1 < len ? s[2 + i] : 0;
				if (n != '0' && n != '1') {
					free(t);
					pointer_release(p);
					return false;
				}
				c = n == '0' ? '~' : '/';
				i++;
			}
			t[o++] = c;
		}
		t[o] = 0;
		p->tok = xrealloc(p->tok, (p->n + 1) * sizeof(char *));
		p->tok[p->n++] = t;
		s = e ? e : s + 1 + len;
	}
	return true;
}

/* A list index token: decimal digits only, as evanphx/json-patch reads them. */
static bool parse_index(const char *t, size_t *out)
{
	size_t v = 0;

	if (!*t)
		return false;
	for (; *t; t++) {
		if (*t < '0' || *t > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*t - '0');
	}
	*out = v;
	return true;
}

/* The node at the first `n` tokens of `p`, or NULL. */
static struct doc_node *resolve(struct doc_node *root, const struct pointer *p, size_t n)
{
	struct doc_node *cur = root;
	size_t i, idx;

	for (i = 0; cur && i < n; i++) {
		if (cur->kind == DOC_MAP)
			cur = doc_map_get(cur, p->tok[i]);
		else if (cur->kind == DOC_SEQ && parse_index(p->tok[i], &idx) && idx < cur->n)
			cur = cur->kids[idx];
		else
			cur = NULL;
	}
	return cur;
}

static void seq_insert(struct arena *a, struct doc_node *seq, size_t idx, struct doc_node *v)
{
	size_t i;

	doc_seq_append(a, seq, v);
	for (i = seq->n - 1; i > idx; i--)
		seq->kids[i] = seq->kids[i - 1];
	seq->kids[idx] = v;
}

struct op_ctx {
	struct arena *a;
	struct doc_node **root;
	const char *what; /* the patch and target, for messages */
	size_t index;
	const char *op, *path;
};

static int op_fail(const struct op_ctx *c, const char *why)
{
	return err_set(ERR_INVALID, "%s: operation %zu (%s %s): %s", c->what, c->index,
		       c->op ? c->op : "?", c->path ? c->path : "?", why);
}

static int do_add(struct op_ctx *c, const struct pointer *p, struct doc_node *v)
{
	struct doc_node *parent;
	const char *last;
	size_t idx;

	if (!p->n) {
		*c->root = v;
		return 0;
	}
	parent = resolve(*c->root, p, p->n - 1);
	last = p->tok[p->n - 1];
	if (!parent)
		return op_fail(c, "the target has no such path");
	if (parent->kind == DOC_MAP) {
		doc_map_set(c->a, parent, last, v);
		return 0;
	}
	if (parent->kind != DOC_SEQ)
		return op_fail(c, "the parent is not a mapping or a list");
	if (!strcmp(last, "-")) {
		doc_seq_append(c->a, parent, v);
		return 0;
	}
	if (!parse_index(last, &idx) || idx > parent->n)
		return op_fail(c, "list index out of range");
	seq_insert(c->a, parent, idx, v);
	return 0;
}

/* Removes the node at `p` and hands it back in *out. */
static int do_remove(struct op_ctx *c, const struct pointer *p, struct doc_node **out)
{
	struct doc_node *parent;
	const char *last;
	size_t idx;

	if (!p->n)
		return op_fail(c, "cannot remove the whole object");
	parent = resolve(*c->root, p, p->n - 1);
	last = p->tok[p->n - 1];
	if (parent && parent->kind == DOC_MAP) {
		*out = doc_map_get(parent, last);
		if (!*out)
			return op_fail(c, "no such key");
		doc_map_del(parent, last);
		return 0;
	}
	if (parent && parent->kind == DOC_SEQ) {
		if (!parse_index(last, &idx) || idx >= parent->n)
			return op_fail(c, "list index out of range");
		*out = parent->kids[idx];
		doc_seq_del(parent, idx);
		return 0;
	}
	return op_fail(c, "the target has no such path");
}

static int do_replace(struct op_ctx *c, const struct pointer *p, struct doc_node *v)
{
	struct doc_node *parent;
	const char *last;
	size_t idx;

	if (!p->n) {
		*c->root = v;
		return 0;
	}
	parent = resolve(*c->root, p, p->n - 1);
	last = p->tok[p->n - 1];
	/*
	 * The JSON patch library kustomize uses (evanphx/json-patch v4) finds
	 * every key of an existing object, present or not, so a replace of a
	 * missing key adds it; only a missing parent is an error.
	 */
	if (parent && parent->kind == DOC_MAP) {
		doc_map_set(c->a, parent, last, v);
		return 0;
	}
	if (parent && parent->kind == DOC_SEQ && parse_index(last, &idx) && idx < parent->n) {
		parent->kids[idx] = v;
		return 0;
	}
	return op_fail(c, "the target has no such path");
}

/*
 * kustomize reads a JSON patch through sigs.k8s.io/yaml, a YAML 1.1
 * decoder: "value: y" is true there, and a timestamp stays a string.
 */
static struct doc_node *yaml11_value(struct op_ctx *c, const struct doc_node *value)
{
	struct doc_node *v = doc_clone(c->a, value);

	doc_yaml11_retype(c->a, v);
	return v;
}

static int apply_one(struct op_ctx *c, const struct doc_node *op)
{
	struct pointer p = { NULL, 0 }, from = { NULL, 0 };
	const struct doc_node *value = doc_map_get(op, "value");
	const char *fromstr = doc_get_str(op, "from", NULL);
	struct doc_node *v = NULL, *cur;
	int r = 0;

	if (!c->op || !c->path)
		return op_fail(c, "an operation needs 'op' and 'path'");
	if (!pointer_parse(&p, c->path))
		return op_fail(c, "malformed JSON pointer");
	if (!strcmp(c->op, "add") || !strcmp(c->op, "replace") || !strcmp(c->op, "test")) {
		if (!value) {
			r = op_fail(c, "missing 'value'");
			goto out;
		}
	}
	if (!strcmp(c->op, "move") || !strcmp(c->op, "copy")) {
		if (!fromstr || !pointer_parse(&from, fromstr)) {
			r = op_fail(c, "missing or malformed 'from'");
			goto out;
		}
	}
	if (!strcmp(c->op, "add")) {
		r = do_add(c, &p, yaml11_value(c, value));
	} else if (!strcmp(c->op, "remove")) {
		r = do_remove(c, &p, &v);
	} else if (!strcmp(c->op, "replace")) {
		r = do_replace(c, &p, yaml11_value(c, value));
	} else if (!strcmp(c->op, "move")) {
		if (!resolve(*c->root, &from, from.n))
			r = op_fail(c, "the 'from' path does not exist");
		else if (!(r = do_remove(c, &from, &v)))
			r = do_add(c, &p, v);
	} else if (!strcmp(c->op, "copy")) {
		cur = resolve(*c->root, &from, from.n);
		if (!cur)
			r = op_fail(c, "the 'from' path does not exist");
		else
			r = do_add(c, &p, doc_clone(c->a, cur));
	} else if (!strcmp(c->op, "test")) {
		cur = resolve(*c->root, &p, p.n);
		if (!cur)
			r = op_fail(c, "the target has no such path");
		else if (!doc_equal(cur, value))
			r = op_fail(c, "test failed");
	} else {
		r = op_fail(c, "unknown operation");
	}
out:
	pointer_release(&p);
	pointer_release(&from);
	return r;
}

int kjson6902_apply(struct arena *a, struct doc_node **root, const struct doc_node *ops,
		    const char *what)
{
	struct op_ctx c = { a, root, what, 0, NULL, NULL };
	size_t i;
	int r;

	if (ops->kind != DOC_SEQ)
		return err_set(ERR_INVALID, "%s: a JSON patch must be a list of operations", what);
	for (i = 0; i < ops->n; i++) {
		const struct doc_node *op = ops->kids[i];
		c.index = i;
		c.op = doc_get_str(op, "op", NULL);
		c.path = doc_get_str(op, "path", NULL);
		if (op->kind != DOC_MAP)
			return op_fail(&c, "an operation must be a mapping");
		if ((r = apply_one(&c, op)))
			return r;
	}
	return 0;
}
