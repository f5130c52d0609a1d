/*
 * diff.c - line diffs of rendered objects, and `hoist diff`.
 */
#include "core/compat.h"
#include "render/diff.h"
#include "render/render.h"
#include "core/cmd.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/remote.h"
#include "source/repo.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include "core/term.h"

/* hoist.yaml is small; this only guards against a runaway file. */
#define DIFF_CONFIG_MAX (1024 * 1024)

/*
 * Myers keeps one V array per edit step, so memory grows with D^2.  Past
 * this many steps (4M saved entries, 16 MiB) the texts have little in common and
 * a diff that deletes every old line and adds every new one is as useful
 * as a minimal one.
 */
#define DIFF_MAX_STEPS 2000

struct line {
	const char *s;
	size_t len; /* without the '\n' */
	bool eol;   /* false only for a last line without '\n' */
};

enum edit_op { EDIT_EQ, EDIT_DEL, EDIT_INS };

/* `a` and `b` are the lines of each side consumed before this edit. */
struct edit {
	enum edit_op op;
	size_t a, b;
};

struct edits {
	struct edit *v;
	size_t n, alloc;
};

static void edits_push(struct edits *e, enum edit_op op, size_t a, size_t b)
{
	ALLOC_GROW(e->v, e->n + 1, e->alloc);
	e->v[e->n].op = op;
	e->v[e->n].a = a;
	e->v[e->n].b = b;
	e->n++;
}

static size_t split_lines(struct line **out, const char *s, size_t len)
{
	struct line *v = NULL;
	size_t n = 0, alloc = 0, i = 0;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len;

		ALLOC_GROW(v, n + 1, alloc);
		v[n].s = s + i;
		v[n].len = end - i;
		v[n].eol = nl != NULL;
		n++;
		i = nl ? end + 1 : len;
	}
	*out = v;
	return n;
}

static bool line_eq(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->eol == y->eol && !memcmp(x->s, y->s, x->len);
}

/*
 * Myers' greedy O(ND) shortest edit script for a[0..n) -> b[0..m), with
 * the V array of every step kept for the walk back.  Appends the edits
 * (positions offset by a0/b0) to `e`; false when the script would take
 * more than DIFF_MAX_STEPS steps, leaving `e` untouched.
 */
static bool myers(struct edits *e, const struct line *a, size_t n, const struct line *b,
		  size_t m, size_t a0, size_t b0)
{
	ptrdiff_t max = (ptrdiff_t)(n + m), off, d, k, x, y, found = -1;
	ptrdiff_t *v;
	int32_t **trace; /* diff_unified() bounds the line counts below 2^31 */
	struct edits rev = { NULL, 0, 0 };
	size_t i;

	if (max > DIFF_MAX_STEPS)
		max = DIFF_MAX_STEPS;
	off = max + 1;
	v = xcalloc((size_t)(2 * max + 3), sizeof(*v));
	trace = xcalloc((size_t)max + 1, sizeof(*trace));
	for (d = 0; d <= max && found < 0; d++) {
		/* Step d reads only the entries steps before it wrote: [-d, d]. */
		trace[d] = xmalloc((size_t)(2 * d + 1) * sizeof(**trace));
		for (k = -d; k <= d; k++)
			trace[d][k + d] = (int32_t)v[off + k];
		for (k = -d; k <= d; k += 2) {
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			y = x - k;
			while (x < (ptrdiff_t)n && y < (ptrdiff_t)m && line_eq(&a[x], &b[y]))
				x++, y++;
			v[off + k] = x;
			if (x >= (ptrdiff_t)n && y >= (ptrdiff_t)m) {
				found = d;
				break;
			}
		}
	}
	if (found < 0)
		goto out;

	/* Walk back from (n, m), collecting edits in reverse. */
	x = (ptrdiff_t)n;
	y = (ptrdiff_t)m;
	for (d = found; d >= 0; d--) {
		int32_t *pv = trace[d] + d; /* pv[k] for k in [-d, d] */
		ptrdiff_t pk, px, py;

		k = x - y;
		if (d == 0) {
			px = py = 0;
		} else {
			if (k == -d || (k != d && pv[k - 1] < pv[k + 1]))
				pk = k + 1;
			else
				pk = k - 1;
			px = pv[pk];
			py = px - pk;
		}
		while (x > px && y > py) {
			x--, y--;
			edits_push(&rev, EDIT_EQ, (size_t)x, (size_t)y);
		}
		if (d == 0)
			break;
		if (x == px) {
			y--;
			edits_push(&rev, EDIT_INS, (size_t)x, (size_t)y);
		} else {
			x--;
			edits_push(&rev, EDIT_DEL, (size_t)x, (size_t)y);
		}
	}
	for (i = rev.n; i-- > 0;)
		edits_push(e, rev.v[i].op, rev.v[i].a + a0, rev.v[i].b + b0);
out:
	for (d = 0; d <= max; d++)
		free(trace[d]);
	free(trace);
	free(v);
	free(rev.v);
	return found >= 0;
}

static void diff_lines(struct edits *e, const struct line *a, size_t n, const struct line *b,
		       size_t m)
{
	size_t pre = 0, suf = 0, i;

	/* The common head and tail cost Myers nothing, but they shrink D's bound. */
	while (pre < n && pre < m && line_eq(&a[pre], &b[pre]))
		pre++;
	while (suf < n - pre && suf < m - pre && line_eq(&a[n - 1 - suf], &b[m - 1 - suf]))
		suf++;
	for (i = 0; i < pre; i++)
		edits_push(e, EDIT_EQ, i, i);
	if (!myers(e, a + pre, n - pre - suf, b + pre, m - pre - suf, pre, pre)) {
		for (i = pre; i < n - suf; i++)
			edits_push(e, EDIT_DEL, i, pre);
		for (i = pre; i < m - suf; i++)
			edits_push(e, EDIT_INS, n - suf, i);
	}
	for (i = 0; i < suf; i++)
		edits_push(e, EDIT_EQ, n - suf + i, m - suf + i);
}

static void add_range(struct strbuf *out, size_t start, size_t count)
{
	if (count == 1)
		strbuf_addf(out, "%zu", start + 1);
	else if (count == 0)
		strbuf_addf(out, "%zu,0", start);
	else
		strbuf_addf(out, "%zu,%zu", start + 1, count);
}

static void add_line(struct strbuf *out, char mark, const struct line *l)
{
	strbuf_addch(out, mark);
	strbuf_add(out, l->s, l->len);
	strbuf_addch(out, '\n');
	if (!l->eol)
		strbuf_addstr(out, "\\ No newline at end of file\n");
}

static void emit_hunks(struct strbuf *out, const struct edits *e, const struct line *a,
		       const struct line *b, const char *label_a, const char *label_b,
		       size_t context)
{
	size_t i = 0, start, end, last, j, na, nb;
	bool header = false;

	for (;;) {
		while (i < e->n && e->v[i].op == EDIT_EQ)
			i++;
		if (i == e->n)
			break;
		if (!header) {
			strbuf_addf(out, "--- %s\n+++ %s\n", label_a, label_b);
			header = true;
		}
		start = i > context ? i - context : 0;
		/* Extend over changes closer than 2*context lines to each other. */
		last = i;
		for (j = i + 1; j < e->n; j++) {
			if (e->v[j].op != EDIT_EQ)
				last = j;
			else if (j - last > 2 * context)
				break;
		}
		end = last + 1 + context < e->n ? last + 1 + context : e->n;
		na = nb = 0;
		for (j = start; j < end; j++) {
			na += e->v[j].op != EDIT_INS;
			nb += e->v[j].op != EDIT_DEL;
		}
		strbuf_addstr(out, "@@ -");
		add_range(out, e->v[start].a, na);
		strbuf_addstr(out, " +");
		add_range(out, e->v[start].b, nb);
		strbuf_addstr(out, " @@\n");
		for (j = start; j < end; j++) {
			const struct edit *x = &e->v[j];
			if (x->op == EDIT_EQ)
				add_line(out, ' ', &a[x->a]);
			else if (x->op == EDIT_DEL)
				add_line(out, '-', &a[x->a]);
			else
				add_line(out, '+', &b[x->b]);
		}
		i = end;
	}
}

int diff_unified(struct strbuf *out, const char *a, size_t alen, const char *b, size_t blen,
		 const char *label_a, const char *label_b, unsigned context)
{
	struct line *la = NULL, *lb = NULL;
	struct edits e = { NULL, 0, 0 };
	size_t n, m;

	if (alen > INT32_MAX || blen > INT32_MAX)
		return err_set(ERR_TOOBIG, "diff: input larger than 2 GiB");
	if (alen == blen && !memcmp(a, b, alen))
		return 0;
	n = split_lines(&la, a, alen);
	m = split_lines(&lb, b, blen);
	diff_lines(&e, la, n, lb, m);
	emit_hunks(out, &e, la, lb, label_a, label_b, context);
	free(e.v);
	free(la);
	free(lb);
	return 0;
}

/* One object of one side: its identity and its canonical text. */
struct side_obj {
	const struct object *o;
	struct strbuf yaml;
};

static int side_cmp(const struct object *x, const struct object *y)
{
	int c = strcmp(x->group, y->group);

	if (!c)
		c = strcmp(x->kind, y->kind);
	if (!c)
		c = strcmp(x->namespace, y->namespace);
	if (!c)
		c = strcmp(x->name, y->name);
	return c;
}

static int side_qsort_cmp(const void *x, const void *y)
{
	return side_cmp(((const struct side_obj *)x)->o, ((const struct side_obj *)y)->o);
}

static void side_release(struct side_obj *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_release(&v[i].yaml);
	free(v);
}

static int side_collect(struct side_obj **out, const struct objset *set)
{
	struct side_obj *v = xcalloc(set->n ? set->n : 1, sizeof(*v));
	size_t i;
	int r;

	for (i = 0; i < set->n; i++) {
		v[i].o = &set->objs[i];
		strbuf_init(&v[i].yaml, 0);
		r = doc_emit_canonical(&v[i].yaml, set->objs[i].node);
		if (r) {
			side_release(v, set->n);
			return r;
		}
	}
	qsort(v, set->n, sizeof(*v), side_qsort_cmp);
	*out = v;
	return 0;
}

/* "Kind ns/name" for the summary lines, "Kind/ns/name" for diff labels. */
static void add_obj_name(struct strbuf *out, const struct object *o, char sep)
{
	strbuf_addf(out, "%s%c", o->kind, sep);
	if (*o->namespace)
		strbuf_addf(out, "%s/", o->namespace);
	strbuf_addstr(out, o->name);
}

static void add_mark(struct strbuf *out, const char *what, const struct object *o)
{
	strbuf_addstr(out, what);
	add_obj_name(out, o, ' ');
	strbuf_addch(out, '\n');
}

static int diff_objsets(struct strbuf *out, const char *app, const struct objset *sa,
			const struct objset *sb, size_t *nchanged)
{
	struct side_obj *va = NULL, *vb = NULL;
	struct strbuf la = STRBUF_INIT, lb = STRBUF_INIT;
	size_t i = 0, j = 0;
	int r;

	r = side_collect(&va, sa);
	if (!r)
		r = side_collect(&vb, sb);
	if (r)
		goto out;
	while (i < sa->n || j < sb->n) {
		int c = i == sa->n ? 1 : j == sb->n ? -1 : side_cmp(va[i].o, vb[j].o);

		if (c < 0) {
			add_mark(out, "- removed: ", va[i++].o);
			(*nchanged)++;
		} else if (c > 0) {
			add_mark(out, "+ added: ", vb[j++].o);
			(*nchanged)++;
		} else {
			if (strcmp(va[i].yaml.buf, vb[j].yaml.buf)) {
				add_mark(out, "~ changed: ", vb[j].o);
				strbuf_reset(&la);
				strbuf_reset(&lb);
				strbuf_addf(&la, "a/%s/", app);
				add_obj_name(&la, va[i].o, '/');
				strbuf_addf(&lb, "b/%s/", app);
				add_obj_name(&lb, vb[j].o, '/');
				r = diff_unified(out, va[i].yaml.buf, va[i].yaml.len, vb[j].yaml.buf,
						 vb[j].yaml.len, la.buf, lb.buf, DIFF_CONTEXT);
				if (r)
					goto out;
				(*nchanged)++;
			}
			i++, j++;
		}
	}
out:
	if (va)
		side_release(va, sa->n);
	if (vb)
		side_release(vb, sb->n);
	strbuf_release(&la);
	strbuf_release(&lb);
	return r;
}

/* Renders `path` of `t`; a folder missing at this revision is an empty set. */
static int render_side(struct objset *set, struct src_tree *t, const char *rev,
		       const struct config_app *app, const char *path, const char *env,
		       struct remote_ctx *rc)
{
	struct render_opts ro = { 0 };
	struct render_result res;
	struct repo_commit commit = { "", 0, 0 };
	struct strbuf secret = STRBUF_INIT;
	enum src_type type = SRC_NONE;
	int r;

	ro.env = env;
	/* As publishing renders it: the app's Helm options, the commit's clock, the secret. */
	render_opts_for_app(&ro, app);
	ro.reproducible = true;
	if (!src_tree_git_commit(t, &commit, NULL))
		ro.now_sec = commit.time;
	err_clear();
	r = render_secret_load(&secret, NULL);
	ro.secret = secret.len ? (const unsigned char *)secret.buf : NULL;
	ro.secret_len = secret.len;
	if (!r)
		r = render_engine_parse(app->engine ? app->engine : "auto", &ro.engine);
	if (!r)
		r = src_tree_stat(t, path, &type);
	if (!r && type == SRC_NONE) {
		strbuf_release(&secret);
		return 0;
	}
	remote_ctx_reset(rc, t);
	ro.remote = rc;
	if (!r)
		r = render_app(set, &res, t, path, &ro);
	strbuf_release(&secret);
	if (r)
		return err_prefix(r, "app '%s' at %s", app->name, rev);
	return 0;
}

static int load_config(struct config *cfg, struct src_tree *ta, struct src_tree *tb,
		       const char *rev_a, const char *rev_b)
{
	struct strbuf text = STRBUF_INIT, file = STRBUF_INIT;
	const char *rev = rev_b;
	int r;

	r = src_tree_read(tb, CONFIG_FILE, &text, DIFF_CONFIG_MAX);
	if (r == ERR_NOTFOUND) {
		rev = rev_a;
		err_clear();
		r = src_tree_read(ta, CONFIG_FILE, &text, DIFF_CONFIG_MAX);
		if (r == ERR_NOTFOUND)
			r = err_set(ERR_NOTFOUND, "no %s at %s or %s", CONFIG_FILE, rev_b, rev_a);
	}
	if (r)
		goto out;
	strbuf_addf(&file, "%s:%s", rev, CONFIG_FILE);
	r = config_parse(cfg, text.buf, text.len, file.buf);
out:
	strbuf_release(&text);
	strbuf_release(&file);
	return r;
}

static bool app_wanted(const char *name, const char *const *apps)
{
	if (!apps)
		return true;
	for (; *apps; apps++)
		if (!strcmp(*apps, name))
			return true;
	return false;
}

int diff_revisions(struct strbuf *out, const char *repo, const char *rev_a, const char *rev_b,
		   const char *env, const char *const *apps, size_t *nchanged,
		   const struct remote_flags *rf)
{
	struct src_tree *ta = NULL, *tb = NULL;
	struct remote_ctx rc = { 0 };
	struct config cfg;
	bool have_cfg = false;
	const struct config_env *e = NULL;
	struct strbuf path = STRBUF_INIT;
	const char *const *ap;
	size_t i, count = 0;
	int r;

	if (!repo)
		repo = ".";
	r = src_tree_open_git(&ta, repo, rev_a);
	if (!r)
		r = src_tree_open_git(&tb, repo, rev_b);
	if (!r)
		r = load_config(&cfg, ta, tb, rev_a, rev_b);
	if (r)
		goto out;
	have_cfg = true;
	r = remote_ctx_init_flags(&rc, &cfg, rf, repo);
	if (r)
		goto out;
	if (env) {
		e = config_env_find(&cfg, env);
		if (!e) {
			r = err_set(ERR_NOTFOUND, "%s: no environment '%s'", cfg.file, env);
			goto out;
		}
	} else if (cfg.envs.n) {
		e = config_env(&cfg, 0);
	}
	for (ap = apps; ap && *ap; ap++) {
		if (!config_app_find(&cfg, *ap)) {
			r = err_set(ERR_NOTFOUND, "%s: no app '%s'", cfg.file, *ap);
			goto out;
		}
	}
	for (i = 0; i < cfg.apps.n; i++) {
		const struct config_app *app = config_app(&cfg, i);
		struct objset sa = OBJSET_INIT, sb = OBJSET_INIT;

		if (!app_wanted(app->name, apps) || (e && !config_app_in_env(app, e)))
			continue;
		strbuf_reset(&path);
		config_expand(&path, app->path, e ? e->name : NULL);
		r = render_side(&sa, ta, rev_a, app, path.buf, e ? e->name : NULL, &rc);
		if (!r)
			r = render_side(&sb, tb, rev_b, app, path.buf, e ? e->name : NULL, &rc);
		if (!r)
			r = diff_objsets(out, app->name, &sa, &sb, &count);
		objset_release(&sa);
		objset_release(&sb);
		if (r)
			goto out;
	}
out:
	if (nchanged)
		*nchanged = count;
	remote_ctx_release(&rc);
	if (have_cfg)
		config_release(&cfg);
	if (ta)
		src_tree_free(ta);
	if (tb)
		src_tree_free(tb);
	strbuf_release(&path);
	return r;
}

struct diff_args {
	const char *repo, *env, *color;
	struct opt_list apps;
	bool exit_code;
	struct opt_list allow_remote;
	bool offline, allow_floating;
};

#define A struct diff_args
static const struct opt diff_options[] = {
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository both revisions are read from" },
	{ "app", OPT_FIELD(A, apps), .arg = "NAME", .complete = COMPLETE_APP,
	  .help = "only this app" },
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .complete = COMPLETE_ENV,
	  .help = "render for this environment (${env} in paths and values files)" },
	{ "exit-code", OPT_FIELD(A, exit_code),
	  .help = "exit with status 1 when anything differs, as git diff --exit-code" },
	{ "color", OPT_FIELD(A, color), .arg = "WHEN", .def = "auto",
	  .complete = COMPLETE_WORDS, .words = "auto always never",
	  .help = "colour the diff: auto (on a terminal), always or never" },
	REMOTE_OPTIONS(A),
	{ NULL },
};
#undef A

static const char *const diff_examples[] = {
	"hoist diff main feature\twhat merging feature would change in every app's objects",
	"hoist diff HEAD~1 HEAD --app podinfo --env prod\tone app as prod renders it",
	"hoist diff origin/main HEAD --exit-code >/dev/null || echo changed\tfor a script",
	NULL,
};

const struct cmd cmd_diff_entry = {
	"diff", cmd_diff,
	"diff REV_A REV_B [--repo DIR] [--app NAME]... [--env NAME] [--exit-code] [--color WHEN]\n"
	"diff REV_A REV_B [--allow-remote PATTERN]... [--offline] [--allow-floating]",
	"show how the rendered objects of every app differ between two revisions",
	diff_options,
	.description =
		"Renders every app of hoist.yaml at both revisions and prints, per object\n"
		"(group, kind, namespace, name), \"+ added\", \"- removed\" or \"~ changed\"\n"
		"with a unified diff of the canonical YAML.  \"no changes\" goes to stderr\n"
		"when nothing differs.  On a terminal the diff is coloured, unless\n"
		"NO_COLOR is set or --color=never.",
	.examples = diff_examples,
	.see_also = "docs/ci.md",
};

/*
 * Colours the finished diff line by line, as git colours its own: object
 * marks and +/- lines green and red, hunk headers cyan, file headers bold.
 * Kept out of diff_revisions(): CI summaries use the same text uncoloured.
 */
static void colorize(struct strbuf *out, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *c = NULL;

		if (n >= 4 && (!strncmp(p, "--- ", 4) || !strncmp(p, "+++ ", 4)))
			c = TERM_BOLD;
		else if (n >= 2 && !strncmp(p, "@@", 2))
			c = TERM_CYAN;
		else if (n >= 1 && *p == '~')
			c = TERM_YELLOW;
		else if (n >= 1 && *p == '+')
			c = TERM_GREEN;
		else if (n >= 1 && *p == '-')
			c = TERM_RED;
		if (c)
			strbuf_addstr(out, c);
		strbuf_add(out, p, n);
		if (c)
			strbuf_addstr(out, TERM_RESET);
		if (nl)
			strbuf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { 0 };
	size_t nchanged = 0;
	struct strbuf out = STRBUF_INIT, col = STRBUF_INIT;
	char **pos;
	int n, r, color;

	n = opts_parse(argc, argv, diff_options, &a, &pos);
	color = n == 2 ? term_want_color(a.color, 1) : 0;
	if (n != 2 || color < 0) {
		opts_release(diff_options, &a);
		return cmd_usage(cmd_diff_entry.usage);
	}
	{
		struct remote_flags rf = { a.allow_remote.v, a.offline, a.allow_floating };
		r = diff_revisions(&out, a.repo, pos[0], pos[1], a.env,
				   (const char *const *)a.apps.v, &nchanged, &rf);
	}
	opts_release(diff_options, &a);
	if (r) {
		strbuf_release(&out);
		return cmd_fail();
	}
	if (color) {
		colorize(&col, out.buf, out.len);
		cmd_write_stdout(col.buf, col.len);
	} else {
		cmd_write_stdout(out.buf, out.len);
	}
	strbuf_release(&out);
	strbuf_release(&col);
	if (!nchanged)
		fputs("no changes\n", stderr);
	return cmd_finish_stdout(a.exit_code && nchanged ? 1 : 0);
}
