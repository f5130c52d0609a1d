/*
 * chart-load.c - loading a chart through a src_tree, as Helm's
 * pkg/chart/loader does: a folder (filtered by .helmignore) or a .tgz
 * becomes a list of files, which LoadFiles splits into the chart's parts
 * and its charts/ subcharts, recursively.
 */
#include "core/compat.h"
#include "render/helm/chart.h"
#include "render/helm/chart-repo.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <strings.h>

struct walk {
	struct helm_ctx *c;
	struct src_tree *t;
	const struct helm_ignore *ig;
	struct chart_file *files;
	size_t n, cap, total;
};

static int push_file(struct helm_ctx *c, struct chart_file **files, size_t *n, size_t *cap,
		     const char *name, const char *data, size_t len)
{
	if (*n >= CHART_MAX_FILES)
		return err_set(ERR_TOOBIG, "chart has more than %u files", CHART_MAX_FILES);
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct chart_file *nf = hctx_alloc(c, ncap * sizeof(*nf));

		if (!nf)
			return ERR_TOOBIG;
		if (*n)
			memcpy(nf, *files, *n * sizeof(*nf));
		*files = nf;
		*cap = ncap;
	}
	(*files)[*n].name = name;
	(*files)[*n].data = data;
	(*files)[*n].len = len;
	(*n)++;
	return 0;
}

static int walk_dir(struct walk *w, const char *abs, const char *rel)
{
	struct src_entry *ents = NULL;
	struct strbuf a = STRBUF_INIT, n = STRBUF_INIT, body = STRBUF_INIT;
	size_t nents = 0, i;
	int r;

	r = src_tree_list(w->t, abs, &ents, &nents);
	if (r)
		return r;
	for (i = 0; i < nents && !r; i++) {
		bool is_dir = ents[i].type == SRC_DIR;
		char *name;
		size_t skip;

		strbuf_reset(&a);
		strbuf_reset(&n);
		if (*abs)
			strbuf_addf(&a, "%s/", abs);
		strbuf_addstr(&a, ents[i].name);
		if (*rel)
			strbuf_addf(&n, "%s/", rel);
		strbuf_addstr(&n, ents[i].name);
		if (helm_ignore_match(w->ig, n.buf, is_dir))
			continue;
		if (is_dir) {
			r = walk_dir(w, a.buf, n.buf);
			continue;
		}
		if (ents[i].type != SRC_FILE) {
			char where[512];
			r = err_set(ERR_INVALID,
				    "cannot load irregular file %s as it has file mode type bits set",
				    src_tree_where(w->t, a.buf, where, sizeof(where)));
			break;
		}
		strbuf_reset(&body);
		r = src_tree_read(w->t, a.buf, &body, CHART_MAX_FILE);
		if (r)
			break;
		if (body.len > CHART_MAX_TOTAL - w->total) {
			r = err_set(ERR_TOOBIG, "chart is larger than %u bytes", CHART_MAX_TOTAL);
			break;
		}
		w->total += body.len;
		skip = body.len >= 3 && !memcmp(body.buf, "\xef\xbb\xbf", 3) ? 3 : 0;
		name = hctx_strndup(w->c, n.buf, n.len);
		{
			size_t len = body.len - skip;
			char *data = chart_mem_take(w->c, &body);

			if (!name) {
				r = ERR_TOOBIG;
				break;
			}
			r = push_file(w->c, &w->files, &w->n, &w->cap, name, data + skip, len);
		}
	}
	src_entries_free(ents, nents);
	strbuf_release(&a);
	strbuf_release(&n);
	strbuf_release(&body);
	return r;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t l = strlen(s), sl = strlen(suf);

	return l >= sl && !strcmp(s + l - sl, suf);
}

int chart_load(struct helm_ctx *c, struct chart **out, struct src_tree *t, const char *path)
{
	struct strbuf p = STRBUF_INIT, body = STRBUF_INIT;
	struct walk w = { c, t, NULL, NULL, 0, 0, 0 };
	enum src_type ty;
	char where[512];
	int r;

	r = src_tree_stat(t, path, &ty);
	if (r)
		goto out;
	if (ty == SRC_NONE) {
		r = err_set(ERR_NOTFOUND, "%s: no such file or directory",
			    src_tree_where(t, path, where, sizeof(where)));
		goto out;
	}
	if (ty == SRC_FILE) {
		r = src_tree_read(t, path, &body, CHART_MAX_TOTAL);
		if (!r)
			r = chart_archive_files(c, &w.files, &w.n, body.buf, body.len,
						src_tree_where(t, path, where, sizeof(where)));
		if (!r)
			r = chart_load_files(c, out, w.files, w.n, 0);
		goto out;
	}
	r = src_path_join(&p, path, ".helmignore");
	if (!r)
		r = src_tree_read(t, p.buf, &body, CHART_MAX_FILE);
	if (r == ERR_NOTFOUND) {
		err_clear();
		strbuf_reset(&body);
		r = 0;
	}
	if (!r)
		r = helm_ignore_parse(c, (struct helm_ignore **)&w.ig, body.buf, body.len);
	if (!r)
		r = walk_dir(&w, path, "");
	/* `helm dependency build`, for dependencies charts/ lacks: from their repositories. */
	if (!r && c->remote)
		r = helm_fetch_remote_deps(c, &w.files, &w.n, &w.cap,
					   src_tree_where(t, path, where, sizeof(where)));
	if (!r)
		r = chart_load_files(c, out, w.files, w.n, 0);
out:
	strbuf_release(&p);
	strbuf_release(&body);
	return r;
}

int chart_file_push(struct helm_ctx *c, struct chart_file **files, size_t *n, size_t *cap,
		    const char *name, const char *data, size_t len)
{
	return push_file(c, files, n, cap, name, data, len);
}

struct subgroup {
	const char *name;
	struct chart_file *files;
	size_t n, cap;
};

int chart_load_files(struct helm_ctx *c, struct chart **out, struct chart_file *files,
		     size_t n, unsigned depth)
{
	struct chart *ch;
	struct subgroup *subs = NULL;
	size_t nsubs = 0, i, j, tcap = 0, fcap = 0;
	int r = 0;

	if (depth > CHART_MAX_DEPTH)
		return err_set(ERR_TOOBIG, "subcharts nest deeper than %u levels", CHART_MAX_DEPTH);
	ch = hctx_alloc(c, sizeof(*ch));
	if (!ch)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		if (strcmp(files[i].name, "Chart.yaml"))
			continue;
		ch->meta = hctx_alloc(c, sizeof(*ch->meta));
		if (!ch->meta)
			return ERR_TOOBIG;
		r = chart_meta_parse(c, ch->meta, files[i].data, files[i].len, "Chart.yaml");
		if (r)
			return r;
		if (!ch->meta->api_version || !*ch->meta->api_version)
			ch->meta->api_version = "v1";
	}
	if (!ch->meta)
		return err_set(ERR_INVALID, "Chart.yaml file is missing");
	subs = hctx_alloc(c, (n + 1) * sizeof(*subs));
	if (!subs)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		struct chart_file *f = &files[i];
		const char *name = f->name;

		if (!strcmp(name, "Chart.yaml") || !strcmp(name, "Chart.lock"))
			continue;
		if (!strcmp(name, "values.yaml")) {
			r = helm_yaml_parse(c, &ch->values, f->data, f->len, HELM_INTO_MAP);
			if (r)
				return err_prefix(r, "cannot load values.yaml");
			continue;
		}
		if (!strcmp(name, "values.schema.json")) {
			ch->schema = f->data;
			ch->schema_len = f->len;
			continue;
		}
		if (!strcmp(name, "requirements.yaml")) {
			r = chart_meta_parse(c, ch->meta, f->data, f->len, "requirements.yaml");
			if (r)
				return r;
			if (!strcmp(ch->meta->api_version, "v1"))
				r = push_file(c, &ch->files, &ch->nfiles, &fcap, f->name, f->data,
					      f->len);
			if (r)
				return r;
			continue;
		}
		if (!strcmp(name, "requirements.lock")) {
			if (!strcmp(ch->meta->api_version, "v1"))
				r = push_file(c, &ch->files, &ch->nfiles, &fcap, f->name, f->data,
					      f->len);
			if (r)
				return r;
			continue;
		}
		if (!strncmp(name, "templates/", 10)) {
			r = push_file(c, &ch->templates, &ch->ntemplates, &tcap, f->name, f->data,
				      f->len);
			if (r)
				return r;
			continue;
		}
		if (!strncmp(name, "charts/", 7)) {
			const char *rest = name + 7, *slash;
			size_t cl;

			if (has_suffix(name, ".prov")) {
				r = push_file(c, &ch->files, &ch->nfiles, &fcap, f->name, f->data,
					      f->len);
				if (r)
					return r;
				continue;
			}
			slash = strchr(rest, '/');
			cl = slash ? (size_t)(slash - rest) : strlen(rest);
			for (j = 0; j < nsubs; j++)
				if (strlen(subs[j].name) == cl && !strncmp(subs[j].name, rest, cl))
					break;
			if (j == nsubs) {
				subs[j].name = hctx_strndup(c, rest, cl);
				if (!subs[j].name)
					return ERR_TOOBIG;
				nsubs++;
			}
			/* The group keeps names relative to charts/ ("sub/Chart.yaml", "sub.tgz"). */
			r = push_file(c, &subs[j].files, &subs[j].n, &subs[j].cap, rest, f->data,
				      f->len);
			if (r)
				return r;
			continue;
		}
		r = push_file(c, &ch->files, &ch->nfiles, &fcap, f->name, f->data, f->len);
		if (r)
			return r;
	}
	if (!ch->values) {
		ch->values = hv_map_new(c, HV_T_MAP);
		if (!ch->values)
			return ERR_TOOBIG;
	}
	if (!ch->meta->name || !*ch->meta->name)
		return err_set(ERR_INVALID, "validation: chart.metadata.name is required");
	ch->deps = hctx_alloc(c, (nsubs + 1) * sizeof(*ch->deps));
	if (!ch->deps)
		return ERR_TOOBIG;
	ch->adeps = nsubs + 1;
	for (i = 0; i < nsubs; i++) {
		struct subgroup *g = &subs[i];
		struct chart *sc = NULL;
		struct chart_file *buf = NULL;
		size_t nb = 0, bcap = 0;

		if (g->name[0] == '_' || g->name[0] == '.')
			continue;
		if (has_suffix(g->name, ".tgz")) {
			r = chart_archive_files(c, &buf, &nb, g->files[0].data, g->files[0].len,
						g->name);
		} else {
			for (j = 0; j < g->n && !r; j++) {
				const char *slash = strchr(g->files[j].name, '/');

				if (!slash)
					continue;
				r = push_file(c, &buf, &nb, &bcap, slash + 1, g->files[j].data,
					      g->files[j].len);
			}
		}
		if (!r)
			r = chart_load_files(c, &sc, buf, nb, depth + 1);
		if (r)
			return err_prefix(r, "error unpacking subchart %s in %s", g->name,
					  ch->meta->name);
		sc->parent = ch;
		ch->deps[ch->ndeps++] = sc;
	}
	*out = ch;
	return 0;
}

const char *chart_name(const struct chart *ch)
{
	return ch->meta && ch->meta->name ? ch->meta->name : "";
}

int chart_full_path(const struct chart *ch, struct strbuf *out)
{
	if (ch->parent) {
		int r = chart_full_path(ch->parent, out);
		if (r)
			return r;
		return strbuf_addf(out, "/charts/%s", chart_name(ch));
	}
	return strbuf_addstr(out, chart_name(ch));
}

bool chart_is_library(const struct chart *ch)
{
	const char *t = ch->meta->type;

	return t && !strcasecmp(t, "library");
}

char *chart_mem_take(struct helm_ctx *c, struct strbuf *sb)
{
	struct chart_mem *m = c->chart;

	if (!m) {
		m = hctx_alloc(c, sizeof(*m));
		if (!m)
			return NULL;
		c->chart = m;
	}
	ALLOC_GROW(m->bufs, m->n + 1, m->alloc);
	strbuf_grow(sb, 1); /* never the shared empty buffer */
	m->bufs[m->n] = strbuf_detach(sb, NULL);
	return m->bufs[m->n++];
}

void chart_mem_release(struct chart_mem *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->bufs[i]);
	free(m->bufs);
	memset(m, 0, sizeof(*m));
}
