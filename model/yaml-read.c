/*
 * yaml-read.c - YAML/JSON text to doc nodes, on libyaml's event parser.
 *
 * Events are turned into nodes with an explicit stack (no recursion, so
 * input depth cannot exhaust the C stack).  Every limit in doc_limits is
 * enforced here, before anything downstream sees the data.
 */
#include "core/compat.h"
#include "model/doc.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <yaml.h>

const struct doc_limits doc_limits_default = {
	.max_bytes = 32u << 20,
	.max_depth = 200,
	.max_nodes = 4u << 20,
};

struct anchor {
	char *name;
	struct doc_node *node;
};

struct frame {
	struct doc_node *node;
	struct doc_node **items; /* collected children, copied to the arena at end */
	size_t n, alloc;
	char *anchor;
};

struct reader {
	struct doc_stream *s;
	const struct doc_limits *lim;
	struct frame *stack;
	size_t depth, stack_alloc;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t doc_weight;
	struct doc_node **docs;
	size_t docs_alloc;
	/* The raw input, and a cursor mapping libyaml's character index to bytes. */
	const unsigned char *buf;
	size_t len, cur_char, cur_byte, base;
	bool check_slash; /* the input has a "\\/" somewhere */
};

static int where_err(struct reader *r, int code, size_t line, size_t col,
		     const char *what)
{
	return err_set(code, "%s:%zu:%zu: %s", r->s->file, line + 1, col + 1, what);
}

static void clear_anchors(struct reader *r)
{
	size_t i;

	for (i = 0; i < r->nanchors; i++)
		free(r->anchors[i].name);
	r->nanchors = 0;
}

static int add_anchor(struct reader *r, const char *name, struct doc_node *node)
{
	size_t i;

	/* A redefined anchor shadows the earlier one, as YAML says. */
	for (i = 0; i < r->nanchors; i++)
		if (!strcmp(r->anchors[i].name, name)) {
			r->anchors[i].node = node;
			return 0;
		}
	ALLOC_GROW(r->anchors, r->nanchors + 1, r->anchors_alloc);
	r->anchors[r->nanchors].name = xstrdup(name);
	r->anchors[r->nanchors].node = node;
	r->nanchors++;
	return 0;
}

static const char *expand_tag(struct reader *r, const char *tag)
{
	if (!tag)
		return NULL;
	return arena_strdup(r->s->arena, tag);
}

static struct doc_node *new_node(struct reader *r, enum doc_kind kind,
				 const yaml_mark_t *m)
{
	struct doc_node *n = arena_alloc(r->s->arena, sizeof(*n));

	n->kind = kind;
	n->file = r->s->file;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->weight = 1;
	return n;
}

static int check_dup_keys(struct reader *r, struct doc_node *map);

/* The byte offset of libyaml's mark index (which counts characters). */
static size_t byte_at(struct reader *r, size_t index)
{
	if (index < r->cur_char) {
		r->cur_char = 0;
		r->cur_byte = r->base;
	}
	while (r->cur_char < index && r->cur_byte < r->len) {
		unsigned char c = r->buf[r->cur_byte];
		size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;

		/* libyaml counts CR LF as two, like any other pair of bytes. */
		r->cur_byte += w;
		r->cur_char++;
	}
	return r->cur_byte < r->len ? r->cur_byte : r->len;
}

/*
 * libyaml accepts "\/" in double-quoted scalars (YAML 1.2); go-yaml v3, which
 * kustomize reads with, does not.  Only runs when the input has "\/" at all.
 */
static int check_escapes(struct reader *r, const yaml_event_t *ev)
{
	size_t i = byte_at(r, ev->start_mark.index), end = byte_at(r, ev->end_mark.index);

	for (i++; i + 1 < end; i++) {
		if (r->buf[i] != '\\')
			continue;
		if (r->buf[i + 1] == '/')
			return where_err(r, ERR_INVALID, ev->start_mark.line,
					 ev->start_mark.column,
					 "found unknown escape character \"\\/\" while "
					 "parsing a quoted scalar");
		i++;
	}
	return 0;
}

/* Attaches a finished node to its parent (or as a document root). */
static int attach(struct reader *r, struct doc_node *node)
{
	struct frame *f;

	r->doc_weight += node->weight;
	if (r->doc_weight > r->lim->max_nodes)
		return err_set(ERR_TOOBIG,
			       "%s:%u:%u: document expands to more than %zu nodes "
			       "(alias bomb?)",
			       r->s->file, node->line, node->col, r->lim->max_nodes);
	if (!r->depth) {
		ALLOC_GROW(r->docs, r->s->ndocs + 1, r->docs_alloc);
		r->docs[r->s->ndocs++] = node;
		return 0;
	}
	f = &r->stack[r->depth - 1];
	ALLOC_GROW(f->items, f->n + 1, f->alloc);
	f->items[f->n++] = node;
	f->node->weight += node->weight;
	return 0;
}

static int push(struct reader *r, struct doc_node *node, const char *anchor,
		const yaml_mark_t *m)
{
	struct frame *f;

	if (r->depth >= r->lim->max_depth)
		return where_err(r, ERR_TOOBIG, m->line, m->column,
				 "nesting deeper than the limit");
	ALLOC_GROW(r->stack, r->depth + 1, r->stack_alloc);
	f = &r->stack[r->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->anchor = anchor ? xstrdup(anchor) : NULL;
	return 0;
}

static int pop(struct reader *r)
{
	struct frame *f = &r->stack[r->depth - 1];
	struct doc_node *node = f->node;
	size_t weight = node->weight;
	int ret = 0;

	if (f->n) {
		node->kids = arena_alloc(r->s->arena, f->n * sizeof(*node->kids));
		memcpy(node->kids, f->items, f->n * sizeof(*node->kids));
	}
	node->n = node->kind == DOC_MAP ? f->n / 2 : f->n;
	node->cap = node->n;
	free(f->items);
	if (f->anchor) {
		add_anchor(r, f->anchor, node);
		free(f->anchor);
	}
	r->depth--;
	if (node->kind == DOC_MAP)
		ret = check_dup_keys(r, node);
	if (!ret) {
		/*
		 * The children were counted into doc_weight as they attached;
		 * attach() adds the whole subtree again, so take them out first.
		 */
		r->doc_weight -= weight - 1;
		ret = attach(r, node);
	}
	return ret;
}

static int key_cmp(const void *a, const void *b)
{
	const struct doc_node *x = *(struct doc_node *const *)a;
	const struct doc_node *y = *(struct doc_node *const *)b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, l);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* Equal keys: order by position so the message names the later one. */
	return x->line != y->line ? (x->line < y->line ? -1 : 1)
				  : (x->col < y->col ? -1 : 1);
}

/* Removes the pair whose key is `key` (by identity) from `map`. */
static void drop_key(struct doc_node *map, const struct doc_node *key)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (map->kids[2 * i] == key) {
			memmove(&map->kids[2 * i], &map->kids[2 * i + 2],
				(map->n - i - 1) * 2 * sizeof(*map->kids));
			map->n--;
			return;
		}
}

static int check_dup_keys(struct reader *r, struct doc_node *map)
{
	struct doc_node **keys;
	size_t i, nk = 0;
	int ret = 0;

	if (map->n < 2)
		return 0;
	keys = xmalloc(map->n * sizeof(*keys));
	for (i = 0; i < map->n; i++)
		if (map->kids[2 * i]->kind == DOC_SCALAR)
			keys[nk++] = map->kids[2 * i];
	qsort(keys, nk, sizeof(*keys), key_cmp);
	for (i = 1; i < nk; i++)
		if (keys[i]->len == keys[i - 1]->len &&
		    !memcmp(keys[i]->str, keys[i - 1]->str, keys[i]->len)) {
			if (r->lim->last_key_wins) {
				drop_key(map, keys[i - 1]);
				continue;
			}
			ret = err_set(ERR_INVALID,
				      "%s:%u:%u: mapping key \"%s\" already defined at line %u",
				      r->s->file, keys[i]->line, keys[i]->col,
				      keys[i]->str, keys[i - 1]->line);
			break;
		}
	free(keys);
	return ret;
}

static enum doc_style scalar_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return DOC_STYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return DOC_STYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE: return DOC_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE: return DOC_STYLE_FOLDED;
	default: return DOC_STYLE_PLAIN;
	}
}

static int handle_event(struct reader *r, yaml_event_t *ev, int *done)
{
	struct doc_node *node;
	const char *anchor = NULL;
	size_t i;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		clear_anchors(r);
		r->doc_weight = 0;
		return 0;
	case YAML_SCALAR_EVENT:
		node = new_node(r, DOC_SCALAR, &ev->start_mark);
		node->str = arena_strndup(r->s->arena, (const char *)ev->data.scalar.value,
					  ev->data.scalar.length);
		node->len = ev->data.scalar.length;
		node->style = scalar_style(ev->data.scalar.style);
		node->tag = expand_tag(r, (const char *)ev->data.scalar.tag);
		if (r->check_slash && node->style == DOC_STYLE_DOUBLE) {
			int ret = check_escapes(r, ev);
			if (ret)
				return ret;
		}
		if (ev->data.scalar.anchor)
			add_anchor(r, (const char *)ev->data.scalar.anchor, node);
		return attach(r, node);
	case YAML_SEQUENCE_START_EVENT:
		node = new_node(r, DOC_SEQ, &ev->start_mark);
		node->tag = expand_tag(r, (const char *)ev->data.sequence_start.tag);
		if (ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)
			node->style = DOC_STYLE_FLOW;
		anchor = (const char *)ev->data.sequence_start.anchor;
		return push(r, node, anchor, &ev->start_mark);
	case YAML_MAPPING_START_EVENT:
		node = new_node(r, DOC_MAP, &ev->start_mark);
		node->tag = expand_tag(r, (const char *)ev->data.mapping_start.tag);
		if (ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
			node->style = DOC_STYLE_FLOW;
		anchor = (const char *)ev->data.mapping_start.anchor;
		return push(r, node, anchor, &ev->start_mark);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return pop(r);
	case YAML_ALIAS_EVENT:
		for (i = r->nanchors; i-- > 0;)
			if (!strcmp(r->anchors[i].name,
				    (const char *)ev->data.alias.anchor))
				return attach(r, r->anchors[i].node);
		return where_err(r, ERR_INVALID, ev->start_mark.line,
				 ev->start_mark.column, "unknown anchor referenced");
	default:
		return 0;
	}
}

int doc_parse(struct doc_stream **out, const char *buf, size_t len,
	      const char *file, const struct doc_limits *lim)
{
	struct reader r;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct doc_stream *s;
	int done = 0;
	int ret = 0;
	size_t i, k;

	*out = NULL;
	if (!lim)
		lim = &doc_limits_default;
	if (len > lim->max_bytes)
		return err_set(ERR_TOOBIG, "%s: %zu bytes, larger than the limit of %zu",
			       file, len, lim->max_bytes);
	memset(&r, 0, sizeof(r));
	s = xcalloc(1, sizeof(*s));
	s->arena = arena_new();
	s->file = arena_strdup(s->arena, file);
	r.s = s;
	r.lim = lim;
	r.buf = (const unsigned char *)buf;
	r.len = len;
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		r.base = r.cur_byte = 3; /* libyaml's index starts after a BOM */
	r.check_slash = memmem(buf, len, "\\/", 2) != NULL;

	if (!yaml_parser_initialize(&parser)) {
		ret = err_set(ERR_GENERIC, "%s: cannot initialise the YAML parser", file);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const char *problem = parser.problem ? parser.problem : "syntax error";
			if (parser.context)
				ret = err_set(ERR_INVALID, "%s:%zu:%zu: %s %s", file,
					      parser.problem_mark.line + 1,
					      parser.problem_mark.column + 1, problem,
					      parser.context);
			else
				ret = err_set(ERR_INVALID, "%s:%zu:%zu: %s", file,
					      parser.problem_mark.line + 1,
					      parser.problem_mark.column + 1, problem);
			break;
		}
		ret = handle_event(&r, &ev, &done);
		yaml_event_delete(&ev);
		if (ret)
			break;
	}
	yaml_parser_delete(&parser);

	/* Empty documents ("---" with nothing, or a lone null) are dropped. */
	for (i = k = 0; !ret && i < s->ndocs; i++) {
		struct doc_node *d = r.docs[i];
		if (d->kind == DOC_SCALAR && d->style == DOC_STYLE_PLAIN && !d->tag &&
		    (!d->len || !strcmp(d->str, "null") || !strcmp(d->str, "~")))
			continue;
		r.docs[k++] = d;
	}
	if (!ret) {
		s->ndocs = k;
		if (k) {
			s->docs = arena_alloc(s->arena, k * sizeof(*s->docs));
			memcpy(s->docs, r.docs, k * sizeof(*s->docs));
		}
	}
out:
	while (r.depth) {
		free(r.stack[r.depth - 1].items);
		free(r.stack[r.depth - 1].anchor);
		r.depth--;
	}
	free(r.stack);
	clear_anchors(&r);
	free(r.anchors);
	free(r.docs);
	if (ret) {
		doc_stream_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void doc_stream_free(struct doc_stream *s)
{
	if (!s)
		return;
	arena_free(s->arena);
	free(s);
}
