/*
 * chart-repo.h - charts from Helm chart repositories (render/helm/chart-repo.c)
 * and the semver helpers they use (render/helm/sprig-semver.c, Masterminds
 * semver 3.2.0's rules).
 */
#ifndef HOIST_CHART_REPO_H
#define HOIST_CHART_REPO_H

#include "core/compat.h"

struct strbuf;
struct remote_ctx;

/* One version of a chart in an index.yaml. */
struct helm_index_entry {
	char *version;
	char *url;    /* as the index gives it (absolute, or relative to the repository) */
	char *digest; /* hex sha256 of the archive; NULL when the index has none */
};

/*
 * Picks from an index.yaml the highest version of chart `name` that
 * `constraint` allows (an exact version, or a range such as "~1.2" or
 * ">=1.0 <2"), or, with `want_digest` ("sha256:<hex>"), the version with
 * that archive digest.  ERR_NOTFOUND when none; ERR_INVALID for a bad index
 * (file:line:col) or constraint.
 */
int helm_index_select(const char *buf, size_t len, const char *file, const char *name,
		      const char *constraint, const char *want_digest, struct helm_index_entry *out);
void helm_index_entry_release(struct helm_index_entry *e);

/*
 * The archive of chart `name` at `constraint` from the repository at
 * `repo` (index.yaml), through the remote layer: allow-list, hoist.lock
 * (kind chart), the cache, the index's digest.  Records the pin.
 */
int helm_repo_chart(struct strbuf *tgz, struct remote_ctx *c, const char *repo, const char *name,
		    const char *constraint, const char *what);

/*
 * `helm dependency build` for a chart's files: every Chart.yaml dependency
 * whose repository is http(s):// and which charts/ lacks is fetched with
 * helm_repo_chart (at the version Chart.lock gives, else Chart.yaml's
 * constraint) and added as charts/NAME-VERSION.tgz.  `where` names the
 * chart in messages.
 */
struct helm_ctx;
struct chart_file;
int helm_fetch_remote_deps(struct helm_ctx *c, struct chart_file **files, size_t *n,
			   size_t *cap, const char *where);

/*
 * chart-lock.c: Chart.lock's `digest:` as Helm computes it (sha256 over
 * the JSON of [Chart.yaml's dependencies, Chart.lock's dependencies]) for
 * the two lists of dependency mappings, and the check `helm dependency
 * build` makes: ERR_CONFLICT when Chart.lock's digest differs ("out of
 * sync").  `lock` is Chart.lock's parsed mapping; `where` names the chart.
 */
struct doc_node;
int helm_lock_digest(char out[72], const struct doc_node *req, const struct doc_node *lock);
int helm_lock_check(const char *chart_yaml, size_t len, const struct doc_node *lock,
		    const char *where);

/* Whether `version` satisfies `constraint` (*ok); ERR_INVALID for a bad constraint. */
int helm_semver_matches(const char *constraint, const char *version, bool *ok);
/* Compares two versions (-1, 0, 1); ERR_INVALID when one does not parse. */
int helm_semver_compare(const char *a, const char *b, int *out);
/* Whether `s` is one full version ("1.2.3", "v1.2.3-rc.1"), not a range. */
bool helm_semver_is_exact(const char *s);

#endif
