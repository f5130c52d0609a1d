/*
 * chart-repo.c - charts from Helm chart repositories (an index.yaml and
 * chart archives over HTTP(S)), for hoist.yaml apps that name `repo:`,
 * `chart:` and `version:` as Flux's HelmRelease and Argo CD do.
 *
 * The index is fetched (it changes all the time, so it is never pinned);
 * the version is the highest one the constraint allows (Masterminds semver,
 * as Helm resolves it), and the archive must have the sha256 the index
 * gives — a chart that does not is refused as tampered.  hoist.lock pins
 * the archive's sha256 under kind "chart" (ref NAME@VERSION); a pinned
 * archive in the cache is used without fetching even the index.
 */
#include "core/compat.h"
#include "render/helm/chart-repo.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci.h"
#include "source/remote.h"
#include "core/strbuf.h"
#include "render/helm/chart.h"
#include "render/helm/value.h"

#define INDEX_MAX (32u << 20)

static void repo_base(struct strbuf *out, const char *repo)
{
	strbuf_addstr(out, repo);
	while (out->len && out->buf[out->len - 1] == '/')
		strbuf_setlen(out, out->len - 1);
}

/* The archive URL of an index entry: absolute, or relative to the repository. */
static void entry_url(struct strbuf *out, const char *repo, const char *u)
{
	strbuf_reset(out);
	if (strstr(u, "://")) {
		strbuf_addstr(out, u);
		return;
	}
	repo_base(out, repo);
	strbuf_addch(out, '/');
	strbuf_addstr(out, u);
}

int helm_index_select(const char *buf, size_t len, const char *file, const char *name,
		      const char *constraint, const char *want_digest, struct helm_index_entry *out)
{
	struct doc_stream *st = NULL;
	const struct doc_node *entries, *list;
	const char *best_version = NULL;
	size_t i;
	bool exact = helm_semver_is_exact(constraint);
	int r;

	memset(out, 0, sizeof(*out));
	r = doc_parse(&st, buf, len, file, NULL);
	if (r)
		return r;
	if (st->ndocs != 1 || st->docs[0]->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: not a Helm repository index", file);
		goto out;
	}
	entries = doc_map_get(st->docs[0], "entries");
	list = entries && entries->kind == DOC_MAP ? doc_map_get(entries, name) : NULL;
	if (!list || list->kind != DOC_SEQ) {
		r = err_set(ERR_NOTFOUND, "%s: the repository has no chart '%s'", file, name);
		goto out;
	}
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->kids[i], *urls = doc_map_get(e, "urls");
		const char *v = doc_get_str(e, "version", NULL), *d = doc_get_str(e, "digest", NULL);
		bool ok = false;
		int cmp;

		if (e->kind != DOC_MAP || !v || !urls || urls->kind != DOC_SEQ || !urls->n ||
		    !doc_str(urls->kids[0]))
			continue;
		if (want_digest) {
			/* The lock names the archive: the entry with its digest. */
			if (!d || strcmp(d, want_digest + 7))
				continue;
			best_version = v;
			out->url = xstrdup(doc_str(urls->kids[0]));
			out->digest = xstrdup(d);
			break;
		}
		if (exact) {
			ok = !strcmp(v, constraint) ||
			     (v[0] == 'v' && !strcmp(v + 1, constraint)) ||
			     (constraint[0] == 'v' && !strcmp(v, constraint + 1));
		} else if ((r = helm_semver_matches(constraint, v, &ok))) {
			err_prefix(r, "%s: version '%s'", file, constraint);
			goto out;
		}
		if (!ok)
			continue;
		if (best_version && (helm_semver_compare(v, best_version, &cmp) || cmp <= 0)) {
			err_clear();
			continue;
		}
		best_version = v;
		free(out->url);
		free(out->digest);
		out->url = xstrdup(doc_str(urls->kids[0]));
		out->digest = d ? xstrdup(d) : NULL;
	}
	if (!best_version) {
		r = err_set(ERR_NOTFOUND, "%s: chart '%s' has no version %s%s", file, name,
			    want_digest ? "with digest " : "matching ",
			    want_digest ? want_digest : constraint);
		goto out;
	}
	out->version = xstrdup(best_version);
out:
	if (r)
		helm_index_entry_release(out);
	doc_stream_free(st);
	return r;
}

void helm_index_entry_release(struct helm_index_entry *e)
{
	free(e->version);
	free(e->url);
	free(e->digest);
	memset(e, 0, sizeof(*e));
}

#define HELM_OCI_CONFIG "application/vnd.cncf.helm.config.v1+json"
#define HELM_OCI_CHART "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

/* Each hop of a registry's redirect (blobs sent to storage) must be allowed too. */
static int oci_redirect_allowed(void *arg, const char *url)
{
	struct remote_ctx *c = arg;
	struct strbuf host = STRBUF_INIT;
	int r = remote_url_host(&host, url);

	if (!r)
		r = remote_allowed(c, host.buf, "redirect");
	strbuf_release(&host);
	return r;
}

/*
 * The digest of the chart archive a Helm chart manifest at `tag` names
 * (its one layer of Helm's chart content type), into `layer`.
 */
static int oci_chart_layer(struct oci_store *st, const char *tag, const char *what,
			   char layer[DIGEST_STR_SIZE])
{
	struct strbuf m = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *layers;
	const char *cfg, *l = NULL;
	char digest[DIGEST_STR_SIZE];
	size_t i;
	int r;

	r = oci_manifest_get(st, &m, &mt, tag, digest);
	if (!r)
		r = doc_parse(&ds, m.buf, m.len, "manifest", NULL);
	if (r)
		goto out;
	cfg = ds->ndocs ? doc_get_str(ds->docs[0], "config", "mediaType", NULL) : NULL;
	if (!cfg || strcmp(cfg, HELM_OCI_CONFIG)) {
		r = err_set(ERR_INVALID, "%s: %s:%s is not a Helm chart (config media type %s)",
			    what, st->name, tag, HELM_OCI_CONFIG);
		goto out;
	}
	layers = doc_map_get(ds->docs[0], "layers");
	for (i = 0; layers && layers->kind == DOC_SEQ && i < layers->n; i++) {
		const char *lt = doc_get_str(layers->kids[i], "mediaType", NULL);
		if (lt && !strcmp(lt, HELM_OCI_CHART))
			l = doc_get_str(layers->kids[i], "digest", NULL);
	}
	if (!l || !digest_is_valid(l)) {
		r = err_set(ERR_INVALID, "%s: %s:%s has no layer of type %s", what, st->name, tag,
			    HELM_OCI_CHART);
		goto out;
	}
	snprintf(layer, DIGEST_STR_SIZE, "%s", l);
out:
	doc_stream_free(ds);
	strbuf_release(&m);
	strbuf_release(&mt);
	return r;
}

static int cmp_version_desc(const void *a, const void *b)
{
	int c = 0;

	helm_semver_compare(*(char *const *)b, *(char *const *)a, &c);
	return c;
}

/*
 * The versions among a repository's tags that `constraint` allows, highest
 * first, as Helm's registry client lists them: a tag is a version when it
 * is a strict semver ("1.2.3", '+' written '_', no leading "v").  *out is
 * a NULL-terminated array of allocated strings (free each, then it).
 */
static int oci_chart_versions(struct oci_store *st, const char *constraint, char ***out,
			      size_t *n)
{
	char **tags = NULL, **v;
	size_t ntags = 0, i, k = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = oci_tags_list(st, &tags, &ntags);
	if (r)
		return r;
	v = xcalloc(ntags + 1, sizeof(*v));
	for (i = 0; i < ntags; i++) {
		char *t = xstrdup(tags[i]), *p;
		bool ok = false;

		for (p = t; *p; p++)
			if (*p == '_')
				*p = '+';
		if (t[0] != 'v' && helm_semver_is_exact(t) &&
		    (r = helm_semver_matches(constraint, t, &ok)) != 0) {
			free(t);
			break;
		}
		if (ok)
			v[k++] = t;
		else
			free(t);
	}
	oci_tags_free(tags);
	if (r) {
		for (i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return r;
	}
	qsort(v, k, sizeof(*v), cmp_version_desc);
	*out = v;
	*n = k;
	return 0;
}

/*
 * A chart stored as Helm stores it in an OCI registry: the manifest tagged
 * with the chart version ('+' written '_'), its config of Helm's config
 * type, and one layer of Helm's chart content type, the archive.  A range
 * (or no version: the latest) picks the highest tag it allows, as Helm
 * does; hoist.lock pins the archive's digest.
 */
static int oci_chart(struct strbuf *tgz, struct remote_ctx *c, const char *repo,
		     const char *name, const char *constraint, const char *what)
{
	const struct remote_pin *pin = NULL;
	struct strbuf host = STRBUF_INIT, path = STRBUF_INIT, ref = STRBUF_INIT,
		      tag = STRBUF_INIT, base = STRBUF_INIT;
	struct oci_store *st = NULL;
	struct oci_open_opts oo = { 0 };
	char **versions = NULL;
	size_t nversions = 0, i;
	const char *version, *p, *slash;
	char layer[DIGEST_STR_SIZE], got[DIGEST_STR_SIZE];
	bool stale, exact;
	int r;

	if (!*constraint)
		constraint = "*";
	exact = helm_semver_is_exact(constraint);
	version = constraint;
	repo_base(&base, repo);
	p = base.buf + 6;
	slash = strchr(p, '/');
	if (!slash || !slash[1]) {
		r = err_set(ERR_INVALID, "%s: '%s' is not oci://HOST/REPOSITORY", what, repo);
		goto out;
	}
	strbuf_add(&host, p, (size_t)(slash - p));
	strbuf_addf(&path, "%s/%s", slash + 1, name);
	strbuf_addf(&ref, "%s@%s", name, constraint);
	r = remote_allowed(c, host.buf, what);
	if (!r)
		r = remote_lock_find(c, REMOTE_CHART, base.buf, ref.buf, &pin, &stale);
	if (r)
		goto out;
	if (stale) {
		r = err_set(ERR_VERIFY, "%s: chart %s %s of %s is not pinned in hoist.lock (lock mismatch: run `hoist lock`)",
			    what, name, constraint, base.buf);
		goto out;
	}
	if (pin && !remote_cache_get(tgz, c, pin->resolved, c->max_download))
		goto done;
	err_clear();
	if (c->offline) {
		r = err_set(ERR_NOTFOUND, "%s: chart %s %s of %s is not in the cache, and --offline forbids fetching it",
			    what, name, constraint, base.buf);
		goto out;
	}
	oo.redirect_check = oci_redirect_allowed;
	oo.redirect_arg = c;
	r = oci_registry_open(&st, host.buf, path.buf, &oo);
	if (r)
		goto out;
	if (!exact) {
		r = oci_chart_versions(st, constraint, &versions, &nversions);
		if (!r && !nversions)
			r = err_set(ERR_NOTFOUND, "%s: chart %s: no tag of oci://%s/%s is a version '%s' allows",
				    what, name, host.buf, path.buf, constraint);
		if (r)
			goto out;
		version = versions[0];
		if (!pin && !c->allow_floating && !c->relock) {
			r = err_set(ERR_INVALID, "%s: chart %s version '%s' is a floating range (it resolved to %s today) and hoist.lock does not pin it: run `hoist lock`, or pass --allow-floating",
				    what, name, constraint, version);
			goto out;
		}
		if (!pin)
			c->used_floating = true;
	}
	for (i = 0;; i++) {
		strbuf_reset(&tag);
		for (p = version; *p; p++)
			strbuf_addch(&tag, *p == '+' ? '_' : *p);
		r = oci_chart_layer(st, tag.buf, what, layer);
		if (r)
			goto out;
		/* A pinned range takes the allowed version whose archive the pin names. */
		if (exact || !pin || !strcmp(layer, pin->resolved) || i + 1 >= nversions)
			break;
		version = versions[i + 1];
	}
	if (pin && strcmp(layer, pin->resolved)) {
		r = err_set(ERR_VERIFY, "%s: chart %s %s of oci://%s/%s: no allowed version has the archive hoist.lock pins (%s; %s has %s): lock mismatch, run `hoist lock`",
			    what, name, constraint, host.buf, path.buf, pin->resolved, version, layer);
		goto out;
	}
	/* The manifest names the archive's digest: a cached copy serves without a download. */
	if (!remote_cache_get(tgz, c, layer, c->max_download))
		goto done;
	err_clear();
	r = oci_blob_get(st, tgz, layer, c->max_download);
	if (r == ERR_TOOBIG)
		r = err_set(ERR_TOOBIG, "%s: chart %s %s is larger than %zu bytes (HOIST_REMOTE_MAX_BYTES)",
			    what, name, version, c->max_download);
	if (r)
		goto out;
	c->fetches++;
	r = remote_cache_put(c, tgz->buf, tgz->len, got);
	if (r)
		goto out;
done:
	digest_sha256(got, tgz->buf, tgz->len);
	if (pin && strcmp(got, pin->resolved)) {
		r = err_set(ERR_VERIFY, "%s: chart %s has digest %s, but hoist.lock pins %s (lock mismatch)",
			    what, name, got, pin->resolved);
		goto out;
	}
	remote_ctx_add_pin(c, REMOTE_CHART, base.buf, ref.buf, got);
out:
	for (i = 0; i < nversions; i++)
		free(versions[i]);
	free(versions);
	oci_store_free(st);
	strbuf_release(&host);
	strbuf_release(&path);
	strbuf_release(&ref);
	strbuf_release(&tag);
	strbuf_release(&base);
	return r;
}

int helm_repo_chart(struct strbuf *tgz, struct remote_ctx *c, const char *repo, const char *name,
		    const char *constraint, const char *what)
{
	const struct remote_pin *pin = NULL;
	struct strbuf host = STRBUF_INIT, ref = STRBUF_INIT, idx_url = STRBUF_INIT,
		      idx = STRBUF_INIT, url = STRBUF_INIT, want = STRBUF_INIT, base = STRBUF_INIT;
	struct helm_index_entry e = { 0 };
	char got[DIGEST_STR_SIZE];
	bool stale;
	int r;

	if (!strncmp(repo, "oci://", 6))
		return oci_chart(tgz, c, repo, name, constraint, what);
	repo_base(&base, repo);
	strbuf_addf(&ref, "%s@%s", name, constraint);
	r = remote_url_host(&host, base.buf);
	if (!r)
		r = remote_allowed(c, host.buf, what);
	if (!r)
		r = remote_lock_find(c, REMOTE_CHART, base.buf, ref.buf, &pin, &stale);
	if (r)
		goto out;
	if (stale) {
		r = err_set(ERR_VERIFY, "%s: chart %s %s of %s is not pinned in hoist.lock (lock mismatch: run `hoist lock`)",
			    what, name, constraint, base.buf);
		goto out;
	}
	if (pin && !remote_cache_get(tgz, c, pin->resolved, c->max_download))
		goto done;
	err_clear();
	strbuf_addf(&idx_url, "%s/index.yaml", base.buf);
	r = remote_http_fetch(&idx, c, idx_url.buf, NULL, what);
	if (!r)
		r = helm_index_select(idx.buf, idx.len, idx_url.buf, name, constraint,
				      pin ? pin->resolved : NULL, &e);
	if (r)
		goto out;
	if (!pin && !helm_semver_is_exact(constraint) && !c->allow_floating && !c->relock) {
		r = err_set(ERR_INVALID, "%s: chart %s version '%s' is a floating range (it resolved to %s today) and hoist.lock does not pin it: run `hoist lock`, or pass --allow-floating",
			    what, name, constraint, e.version);
		goto out;
	}
	entry_url(&url, base.buf, e.url);
	if (e.digest)
		strbuf_addf(&want, "sha256:%s", e.digest);
	r = remote_http_fetch(tgz, c, url.buf, want.len ? want.buf : NULL, what);
	if (r == ERR_VERIFY && !pin) {
		digest_sha256(got, tgz->buf, tgz->len);
		r = err_set(ERR_VERIFY, "%s: chart %s %s: the archive %s does not have the digest the repository's index gives (sha256:%s): refusing a tampered chart",
			    what, name, e.version, url.buf, e.digest);
	}
	if (r)
		goto out;
	if (!pin)
		c->used_floating |= !helm_semver_is_exact(constraint);
done:
	digest_sha256(got, tgz->buf, tgz->len);
	if (pin && strcmp(got, pin->resolved)) {
		r = err_set(ERR_VERIFY, "%s: chart %s has digest %s, but hoist.lock pins %s (lock mismatch)",
			    what, name, got, pin->resolved);
		goto out;
	}
	remote_ctx_add_pin(c, REMOTE_CHART, base.buf, ref.buf, got);
out:
	helm_index_entry_release(&e);
	strbuf_release(&host);
	strbuf_release(&ref);
	strbuf_release(&idx_url);
	strbuf_release(&idx);
	strbuf_release(&url);
	strbuf_release(&want);
	strbuf_release(&base);
	return r;
}

static const struct chart_file *find_file(const struct chart_file *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

/* Whether charts/ already holds a subchart named `name` (a folder, or NAME-*.tgz). */
static bool vendored(const struct chart_file *f, size_t n, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < n; i++) {
		const char *p = f[i].name;
		if (strncmp(p, "charts/", 7) || strncmp(p + 7, name, nl))
			continue;
		if (p[7 + nl] == '/' || (p[7 + nl] == '-' && strstr(p + 7 + nl, ".tgz")))
			return true;
	}
	return false;
}

int helm_fetch_remote_deps(struct helm_ctx *c, struct chart_file **files, size_t *n,
			   size_t *cap, const char *where)
{
	const struct chart_file *cy = find_file(*files, *n, "Chart.yaml");
	const struct chart_file *cl = find_file(*files, *n, "Chart.lock");
	struct doc_stream *lock = NULL;
	struct chart_meta *meta;
	struct strbuf tgz = STRBUF_INIT, name = STRBUF_INIT, what = STRBUF_INIT;
	size_t i, k;
	bool lock_checked = false;
	int r = 0;

	if (!cy)
		return 0; /* chart_load_files says what is missing */
	meta = hctx_alloc(c, sizeof(*meta));
	if (!meta)
		return ERR_TOOBIG;
	r = chart_meta_parse(c, meta, cy->data, cy->len, "Chart.yaml");
	if (r)
		return r;
	if (cl && (r = doc_parse(&lock, cl->data, cl->len, "Chart.lock", NULL)))
		return r;
	for (i = 0; !r && i < meta->ndeps; i++) {
		const struct chart_dep *d = meta->deps[i];
		const char *version = d->version ? d->version : "";
		const struct doc_node *deps;

		if (!d->name || !d->repository || vendored(*files, *n, d->name))
			continue;
		if (strncmp(d->repository, "https://", 8) && strncmp(d->repository, "http://", 7) &&
		    strncmp(d->repository, "oci://", 6))
			continue; /* file:// and @alias: local, as helm template sees them */
		/* Helm builds from a Chart.lock only while it matches Chart.yaml. */
		if (lock && lock->ndocs && !lock_checked) {
			r = helm_lock_check(cy->data, cy->len, lock->docs[0], where);
			if (r)
				break;
			lock_checked = true;
		}
		/* Chart.lock pins the version `helm dependency update` resolved. */
		deps = lock && lock->ndocs ? doc_map_get(lock->docs[0], "dependencies") : NULL;
		for (k = 0; deps && deps->kind == DOC_SEQ && k < deps->n; k++) {
			const char *ln = doc_get_str(deps->kids[k], "name", NULL);
			const char *lv = doc_get_str(deps->kids[k], "version", NULL);
			if (ln && lv && !strcmp(ln, d->name)) {
				version = lv;
				break;
			}
		}
		strbuf_reset(&what);
		strbuf_addf(&what, "%s/Chart.yaml: dependency %s", where, d->name);
		strbuf_reset(&tgz);
		r = helm_repo_chart(&tgz, c->remote, d->repository, d->name, version, what.buf);
		if (r)
			break;
		strbuf_reset(&name);
		strbuf_addf(&name, "charts/%s-remote.tgz", d->name);
		{
			size_t len = tgz.len;
			char *data = chart_mem_take(c, &tgz);
			char *nm = hctx_strndup(c, name.buf, name.len);

			if (!data || !nm) {
				r = ERR_TOOBIG;
				break;
			}
			r = chart_file_push(c, files, n, cap, nm, data, len);
		}
	}
	doc_stream_free(lock);
	strbuf_release(&tgz);
	strbuf_release(&name);
	strbuf_release(&what);
	return r;
}
