/*
 * metrics.c - counters and histograms with atomic updates, and their
 * Prometheus text exposition.  See metrics.h.
 */
#include "core/compat.h"
#include "agent/metrics.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <unistd.h>

/* Sync durations, seconds: a small app applies in about a second, a health wait takes minutes. */
static const double sync_buckets[] = { 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 };
#define NBUCKETS (sizeof(sync_buckets) / sizeof(sync_buckets[0]))

/* err_name()'s words, so the set of result labels is fixed. */
static const char *const results[] = { "ok",      "notfound", "auth",   "conflict", "retry",
				       "invalid", "toobig",   "verify", "error" };
#define NRESULTS (sizeof(results) / sizeof(results[0]))

static const char *const verbs[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OTHER" };
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))
#define NCODES 24 /* distinct HTTP codes kept per verb; more are counted as code="other" */

struct app_metrics {
	uint64_t buckets[NBUCKETS]; /* non-cumulative; summed when rendered */
	uint64_t count;
	uint64_t sum_us;
	uint64_t results[NRESULTS];
};

struct code_slot {
	long code_plus1; /* 0: free */
	uint64_t n;
};

static struct {
	size_t napps;
	const char *const *names;
	struct app_metrics *apps;
	struct code_slot kube[NVERBS][NCODES];
	uint64_t kube_overflow[NVERBS];
	double start_time;
} M;

void metrics_init(size_t napps, const char *const *names)
{
	struct timespec ts;

	/* Once per process: agent_open runs once; a second init keeps the first tables. */
	if (M.apps)
		return;
	M.apps = xcalloc(napps ? napps : 1, sizeof(*M.apps));
	M.names = names;
	M.napps = napps;
	clock_gettime(CLOCK_REALTIME, &ts);
	M.start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void metrics_sync(size_t index, const char *result, double seconds)
{
	struct app_metrics *a;
	size_t i;

	if (!M.apps || index >= M.napps)
		return;
	a = &M.apps[index];
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < NBUCKETS && seconds > sync_buckets[i]; i++)
		;
	if (i < NBUCKETS)
		add(&a->buckets[i], 1);
	add(&a->count, 1);
	add(&a->sum_us, (uint64_t)(seconds * 1e6));
	for (i = 0; i < NRESULTS - 1 && strcmp(results[i], result ? result : ""); i++)
		;
	add(&a->results[i], 1);
}

void metrics_kube_call(const char *verb, long code)
{
	size_t v, i;

	for (v = 0; v < NVERBS - 1 && strcmp(verbs[v], verb ? verb : ""); v++)
		;
	if (code < 0 || code > 999)
		code = 0;
	for (i = 0; i < NCODES; i++) {
		struct code_slot *s = &M.kube[v][i];
		long cur = __atomic_load_n(&s->code_plus1, __ATOMIC_ACQUIRE);

		if (!cur) {
			long zero = 0;
			/* Claim the free slot; if another thread won it, look at what it holds. */
			if (!__atomic_compare_exchange_n(&s->code_plus1, &zero, code + 1, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				cur = zero;
			else
				cur = code + 1;
		}
		if (cur == code + 1) {
			add(&s->n, 1);
			return;
		}
	}
	add(&M.kube_overflow[v], 1);
}

/* A label value: backslash, double quote and newline escaped (format 0.0.4). */
static void label(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addch(out, '\\');
		if (*s == '\n') {
			strbuf_addstr(out, "\\n");
			continue;
		}
		strbuf_addch(out, *s);
	}
}

static void help(struct strbuf *out, const char *name, const char *type, const char *text)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* The process's resident set, from /proc/self/statm; 0 when unreadable. */
static unsigned long long rss_bytes(void)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long long size = 0, res = 0;

	if (!strbuf_read_file(&sb, "/proc/self/statm", 4096) &&
	    sscanf(sb.buf, "%llu %llu", &size, &res) == 2)
		res *= (unsigned long long)sysconf(_SC_PAGESIZE);
	else
		res = 0;
	err_clear();
	strbuf_release(&sb);
	return res;
}

static void render_apps(struct strbuf *out)
{
	size_t i, j;

	help(out, "hoist_agent_sync_duration_seconds", "histogram",
	     "Time a sync took, from resolving the source to the end of its health wait.");
	for (i = 0; i < M.napps; i++) {
		const struct app_metrics *a = &M.apps[i];
		uint64_t cum = 0;

		for (j = 0; j < NBUCKETS; j++) {
			cum += get(&a->buckets[j]);
			strbuf_addstr(out, "hoist_agent_sync_duration_seconds_bucket{app=\"");
			label(out, M.names[i]);
			strbuf_addf(out, "\",le=\"%g\"} %llu\n", sync_buckets[j],
				    (unsigned long long)cum);
		}
		strbuf_addstr(out, "hoist_agent_sync_duration_seconds_bucket{app=\"");
		label(out, M.names[i]);
		strbuf_addf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)get(&a->count));
		strbuf_addstr(out, "hoist_agent_sync_duration_seconds_sum{app=\"");
		label(out, M.names[i]);
		strbuf_addf(out, "\"} %.6f\n", (double)get(&a->sum_us) / 1e6);
		strbuf_addstr(out, "hoist_agent_sync_duration_seconds_count{app=\"");
		label(out, M.names[i]);
		strbuf_addf(out, "\"} %llu\n", (unsigned long long)get(&a->count));
	}
	help(out, "hoist_agent_syncs_total", "counter", "Finished syncs by app and result.");
	for (i = 0; i < M.napps; i++)
		for (j = 0; j < NRESULTS; j++) {
			uint64_t n = get(&M.apps[i].results[j]);
			if (!n)
				continue;
			strbuf_addstr(out, "hoist_agent_syncs_total{app=\"");
			label(out, M.names[i]);
			strbuf_addf(out, "\",result=\"%s\"} %llu\n", results[j], (unsigned long long)n);
		}
}

static void render_status(struct strbuf *out, const char *json, size_t len)
{
	static const char *const gauges[][3] = {
		{ "hoist_agent_objects", "objects", "Objects in the app's last synced artifact." },
		{ "hoist_agent_drifted_objects", "drifted",
		  "Objects of the app whose live state differs from the artifact now." },
	};
	struct doc_stream *ds = NULL;
	const struct doc_node *apps = NULL;
	size_t g, i;

	if (json && !doc_parse(&ds, json, len, "status", NULL) && ds->ndocs == 1)
		apps = doc_map_get(ds->docs[0], "apps");
	err_clear();
	for (g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		help(out, gauges[g][0], "gauge", gauges[g][2]);
		for (i = 0; apps && apps->kind == DOC_SEQ && i < apps->n; i++) {
			const char *name = doc_get_str(apps->kids[i], "name", NULL);
			const char *v = doc_get_str(apps->kids[i], gauges[g][1], NULL);
			int64_t n;

			if (!name)
				continue;
			/* Before the first sync the status has no count: 0 objects, nothing drifted. */
			if (!v || !go_parse_int(v, &n))
				n = 0;
			strbuf_addf(out, "%s{app=\"", gauges[g][0]);
			label(out, name);
			strbuf_addf(out, "\"} %lld\n", (long long)n);
		}
	}
	help(out, "hoist_agent_app_health", "gauge",
	     "1 for the app's current health (Healthy, Progressing, Degraded, Failed, Unknown).");
	for (i = 0; apps && apps->kind == DOC_SEQ && i < apps->n; i++) {
		const char *name = doc_get_str(apps->kids[i], "name", NULL);
		const char *h = doc_get_str(apps->kids[i], "health", NULL);

		if (!name)
			continue;
		strbuf_addstr(out, "hoist_agent_app_health{app=\"");
		label(out, name);
		strbuf_addstr(out, "\",health=\"");
		label(out, h ? h : "Unknown");
		strbuf_addstr(out, "\"} 1\n");
	}
	doc_stream_free(ds);
}

void metrics_render(struct strbuf *out, const char *status_json, size_t len, long queue_depth)
{
	size_t v, i;

	if (M.apps)
		render_apps(out);
	render_status(out, status_json, len);
	help(out, "hoist_agent_kube_requests_total", "counter",
	     "Calls to the Kubernetes API by method and HTTP status (0: no answer).");
	for (v = 0; v < NVERBS; v++) {
		for (i = 0; i < NCODES; i++) {
			long c = __atomic_load_n(&M.kube[v][i].code_plus1, __ATOMIC_ACQUIRE);
			if (!c)
				break;
			strbuf_addf(out, "hoist_agent_kube_requests_total{verb=\"%s\",code=\"%ld\"} %llu\n",
				    verbs[v], c - 1, (unsigned long long)get(&M.kube[v][i].n));
		}
		if (get(&M.kube_overflow[v]))
			strbuf_addf(out, "hoist_agent_kube_requests_total{verb=\"%s\",code=\"other\"} %llu\n",
				    verbs[v], (unsigned long long)get(&M.kube_overflow[v]));
	}
	if (queue_depth >= 0) {
		help(out, "hoist_agent_notify_queue_depth", "gauge",
		     "Notifications waiting in the on-disk queue.");
		strbuf_addf(out, "hoist_agent_notify_queue_depth %ld\n", queue_depth);
	}
	help(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	strbuf_addf(out, "process_resident_memory_bytes %llu\n", rss_bytes());
	help(out, "process_start_time_seconds", "gauge",
	     "Start time of the process since the Unix epoch in seconds.");
	strbuf_addf(out, "process_start_time_seconds %.3f\n", M.start_time);
}
