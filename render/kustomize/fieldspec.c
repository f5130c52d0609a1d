/*
 * fieldspec.c - walking objects along kustomize field specs.
 */
#include "core/compat.h"
#include "render/kustomize/kust.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

bool kfs_selects(const struct kfieldspec *fs, const struct kres *r)
{
	char group[256], version[64];

	if (fs->kind && *fs->kind && strcmp(fs->kind, kres_kind(r)))
		return false;
	if ((fs->group && *fs->group) || (fs->version && *fs->version)) {
		kres_gv(r, group, sizeof(group), version, sizeof(version));
		if (fs->group && *fs->group && strcmp(fs->group, group))
			return false;
		if (fs->version && *fs->version && strcmp(fs->version, version))
			return false;
	}
	return true;
}

#define MAX_SEGS 32

struct walk {
	struct kbuild *b;
	struct kres *r;
	char *segs[MAX_SEGS];
	bool seq[MAX_SEGS]; /* the segment was written "name[]" */
	size_t nsegs;
	bool create;
	kfs_fn fn;
	void *ctx;
};

/* Splits "a/b\/c/d[]" into segments, unescaping "\/". */
static int split(struct walk *w, const char *path)
{
	struct strbuf seg = STRBUF_INIT;
	const char *p = path;

	for (;;) {
		if (*p == '\\' && p[1] == '/') {
			strbuf_addch(&seg, '/');
			p += 2;
			continue;
		}
		if (*p && *p != '/') {
			strbuf_addch(&seg, *p++);
			continue;
		}
		if (w->nsegs == MAX_SEGS) {
			strbuf_release(&seg);
			return err_set(ERR_INVALID, "field spec path too deep: %s", path);
		}
		if (seg.len > 2 && !strcmp(seg.buf + seg.len - 2, "[]")) {
			strbuf_setlen(&seg, seg.len - 2);
			w->seq[w->nsegs] = true;
		}
		w->segs[w->nsegs++] = strbuf_detach(&seg, NULL);
		if (!*p)
			break;
		p++;
	}
	return 0;
}

static bool is_null(const struct doc_node *n)
{
	return n->kind == DOC_SCALAR && n->style == DOC_STYLE_PLAIN && !n->tag &&
	       (!n->len || !strcmp(n->str, "null") || !strcmp(n->str, "~"));
}

/* kyaml's IsIdxNumber: strconv.Atoi succeeds and the value is not negative. */
static bool is_index(const char *s)
{
	const char *p = s + (*s == '+' || *s == '-');
	bool zero = true;
	size_t n = 0;

	for (; *p >= '0' && *p <= '9'; p++, n++)
		zero &= *p == '0';
	return n && !*p && n <= 18 && (*s != '-' || zero);
}

static int step(struct walk *w, struct doc_node *node, size_t i)
{
	struct doc_node *next;
	size_t k;
	int r;

	if (node->kind == DOC_SEQ) {
		/* Lists along the path are walked item by item. */
		for (k = 0; k < node->n; k++) {
			r = step(w, node->kids[k], i);
			if (r)
				return r;
		}
		return 0;
	}
	if (node->kind != DOC_MAP) {
		/*
		 * kustomize's field-spec filter refuses a scalar where the path
		 * goes on (an item of a list, or a value the path runs through):
		 * "expected sequence or mapping node".  Skipping it would render
		 * what kustomize refuses.
		 */
		const char *kind = doc_get_str(w->r->node, "kind", NULL);
		const char *name = doc_get_str(w->r->node, "metadata", "name", NULL);
		struct strbuf rest = STRBUF_INIT;

		for (size_t j = i; j < w->nsegs; j++)
			strbuf_addf(&rest, "%s%s", j > i ? "/" : "", w->segs[j]);
		err_set(ERR_INVALID, "%s %s: a field spec goes on through %s, but %s holds a scalar (kustomize: expected sequence or mapping node)",
			kind ? kind : "?", name ? name : "?", rest.buf,
			i ? w->segs[i - 1] : "the object");
		strbuf_release(&rest);
		return ERR_INVALID;
	}
	if (is_index(w->segs[i])) {
		/*
		 * kyaml reads a number as a list index, and a mapping cannot be
		 * indexed: kustomize fails ("wrong node kind: expected
		 * SequenceNode but got MappingNode"), created or not.
		 */
		const char *kind = doc_get_str(w->r->node, "kind", NULL);
		const char *name = doc_get_str(w->r->node, "metadata", "name", NULL);

		return err_set(ERR_INVALID,
			       "%s %s: field spec path segment '%s' is a list index, but %s holds a mapping (kustomize: wrong node kind: expected SequenceNode but got MappingNode)",
			       kind ? kind : "?", name ? name : "?", w->segs[i],
			       i ? w->segs[i - 1] : "the object");
	}
	if (i == w->nsegs - 1) {
		if (!doc_map_get(node, w->segs[i]) && !w->create)
			return 0;
		return w->fn(w->b, w->r, node, w->segs[i], w->ctx);
	}
	next = doc_map_get(node, w->segs[i]);
	if (!next || is_null(next)) {
		if (!w->create || w->seq[i])
			return 0;
		next = doc_map_ensure_map(w->b->arena, node, w->segs[i]);
		if (!next)
			return 0;
	}
	return step(w, next, i + 1);
}

int kfs_walk(struct kbuild *b, struct kres *r, const struct kfieldspec *fs, kfs_fn fn,
	     void *ctx)
{
	struct walk w;
	size_t i;
	int ret;

	if (!kfs_selects(fs, r))
		return 0;
	memset(&w, 0, sizeof(w));
	w.b = b;
	w.r = r;
	w.create = fs->create;
	w.fn = fn;
	w.ctx = ctx;
	ret = split(&w, fs->path);
	if (!ret && w.nsegs)
		ret = step(&w, r->node, 0);
	for (i = 0; i < w.nsegs; i++)
		free(w.segs[i]);
	return ret;
}
