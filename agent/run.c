/*
 * run.c - `hoist-agent run`: the loop over the apps.  See run.h.
 */
#include "core/compat.h"
#include "agent/run.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/drift.h"
#include "agent/notify.h"
#include "agent/push.h"
#include "agent/server.h"
#include "core/cmd.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "oci/sign.h"
#include "core/strbuf.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The first sync of each app starts within this many seconds of startup. */
#define RUN_FIRST_SPREAD 5

struct run_app {
	struct run *run;
	const struct agent_app *app;
	struct sign_key *key; /* verifyKey, loaded once */
	pthread_t thread;
	bool started;
	pthread_cond_t cv;
	/* Guarded by run->mu. */
	bool wake;                      /* sync now */
	bool syncing;
	char target[DIGEST_STR_SIZE];   /* what the running sync applies; "" unknown */
	time_t next;                    /* monotonic seconds of the next sync */
	time_t next_poll;               /* when the main thread next checks the source */
	time_t next_wall;               /* the same as wall-clock time, for status */
	unsigned seed;
	/* Read by agent_sync without the lock. */
	volatile int cancel;
};

struct run {
	struct agent *ag;
	struct run_app *apps;
	size_t n;
	pthread_mutex_t mu;
	bool stop; /* guarded by mu */
	struct server *srv;
	struct drift *drift; /* every app's watches (NULL: all drift: ignore) */
	char *push_dir;
};

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* interval +-10%, at least one second. */
static time_t jittered(struct run_app *ra, int64_t interval)
{
	int64_t spread = interval / 10, d = interval;

	if (spread > 0)
		d += (int64_t)(rand_r(&ra->seed) % (unsigned)(2 * spread + 1)) - spread;
	return (time_t)(d < 1 ? 1 : d);
}

static struct run_app *find_app(struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->apps[i].app->name, name))
			return &r->apps[i];
	return NULL;
}

static bool is_push(const struct agent_app *a)
{
	return !strcmp(a->source, "push");
}

/* Sets the cancel flag of a running sync that applies something other than `digest`. */
static void cancel_if_other(struct run_app *ra, const char *digest, const char *why)
{
	if (!ra->syncing || !digest[0] || !strcmp(ra->target, digest))
		return;
	__atomic_store_n(&ra->cancel, 1, __ATOMIC_SEQ_CST);
	agent_log("info", ra->app->name, digest, NULL, "cancel",
		  "%s: a new digest cancels the sync of %s", why,
		  ra->target[0] ? ra->target : "an unresolved digest");
}

/* One pass for one app, without the lock. */
static void sync_once(struct run_app *ra)
{
	struct run *r = ra->run;
	struct sync_result res;
	struct strbuf layer = STRBUF_INIT;
	struct push_checked pc;
	struct artifact_bytes ab = { 0 };
	char digest[DIGEST_STR_SIZE] = "";
	int rc;

	memset(&res, 0, sizeof(res));
	push_checked_init(&pc);
	if (is_push(ra->app)) {
		rc = push_store_load(r->push_dir, ra->app->name, &layer, &pc);
		if (rc == ERR_NOTFOUND) {
			/* Nothing pushed yet: nothing to apply, nothing failed. */
			goto out;
		}
		if (rc) {
			agent_log("error", ra->app->name, NULL, NULL, "push-store", "%s", err_msg());
			goto out;
		}
		memcpy(digest, pc.digest, sizeof(digest));
		ab.digest = pc.digest;
		ab.manifest = pc.manifest.buf;
		ab.manifest_len = pc.manifest.len;
		ab.layer = layer.buf;
		ab.layer_len = layer.len;
		if (pc.payload.len && pc.sig_b64) {
			ab.sig_payload = pc.payload.buf;
			ab.sig_payload_len = pc.payload.len;
			ab.sig_b64 = pc.sig_b64;
		}
	} else if (agent_resolve(r->ag, ra->app, digest, NULL)) {
		/* agent_sync resolves again and records the failure with its reason. */
		digest[0] = '\0';
	}
	pthread_mutex_lock(&r->mu);
	memcpy(ra->target, digest, sizeof(ra->target));
	pthread_mutex_unlock(&r->mu);
	agent_sync(r->ag, ra->app, is_push(ra->app) ? &ab : NULL, &ra->cancel, &res);
	sync_result_release(&res);
out:
	push_checked_release(&pc);
	strbuf_release(&layer);
}

/*
 * A sync runs on a thread of its own that ends with it: what the sync
 * touched of its stack and the freed blocks glibc keeps in each thread's
 * cache (tcache, which malloc_trim does not reach) go back when the
 * thread ends.  Twenty app threads that synced themselves kept 1.1 MB of
 * an idle agent's anonymous memory that way.
 */
static void *sync_thread(void *arg)
{
	sync_once(arg);
	return NULL;
}

/*
 * Once no sync runs, the agent lets go of the code pages it mapped: the
 * text of its libraries (libcurl alone brings some thirty: LDAP,
 * Kerberos, GnuTLS, libssh2, ...) that loading and syncing touched and an
 * idle agent does not run.  MADV_DONTNEED on a private, never-written
 * mapping only drops this process's page table entries: the next use
 * faults the same bytes back from the page cache, and the pages become
 * reclaimable rather than resident in the agent.  Executable, read-only
 * file mappings go whole.  The read-only data mappings (constants, symbol
 * tables, unwind tables: libcrypto alone keeps 1.5 MB of them resident)
 * hold, besides such pages, the read-only data after relocation (RELRO),
 * which the loader wrote: those pages are private copies now, and
 * dropping one would bring back the file's unrelocated bytes.  So only
 * the pages /proc/self/pagemap shows as still the file's (bit 61) go.
 * HOIST_AGENT_KEEP_CODE=1 turns this off.
 */
static atomic_int syncs_running;
/* Monotonic seconds when the last sync ended, and of the last drop. */
static atomic_llong quiet_since, last_drop;

#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)

/* Drops the pages of [lo, hi) that pagemap shows present and the file's. */
static void drop_file_pages(int pagemap, unsigned long lo, unsigned long hi, unsigned long page)
{
	uint64_t e[256];
	unsigned long at = lo, run = 0; /* run: start of the current run of file pages, 0: none */

	while (at < hi) {
		size_t n = (hi - at) / page, i;
		ssize_t got;

		if (n > ARRAY_SIZE(e))
			n = ARRAY_SIZE(e);
		got = pread(pagemap, e, n * sizeof(*e), (off_t)(at / page * sizeof(*e)));
		if (got <= 0)
			break;
		n = (size_t)got / sizeof(*e);
		for (i = 0; i < n; i++, at += page) {
			bool drop = (e[i] & (PM_PRESENT | PM_FILE)) == (PM_PRESENT | PM_FILE);

			if (drop && !run)
				run = at;
			else if (!drop && run) {
				madvise((void *)run, at - run, MADV_DONTNEED);
				run = 0;
			}
		}
	}
	if (run)
		madvise((void *)run, at - run, MADV_DONTNEED);
}

static void run_drop_code_pages(void)
{
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	char line[512];
	FILE *f;
	int pagemap;

	if (getenv("HOIST_AGENT_KEEP_CODE"))
		return;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		char perm[8], path[8];

		/* "lo-hi perms offset dev inode path" */
		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %7s", &lo, &hi, perm, &ino, path) != 5)
			continue;
		if (!ino || path[0] != '/')
			continue;
		if (!strcmp(perm, "r-xp"))
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
		else if (!strcmp(perm, "r--p") && pagemap >= 0)
			drop_file_pages(pagemap, lo, hi, page);
	}
	if (pagemap >= 0)
		close(pagemap);
	fclose(f);
}

static void sync_in_thread(struct run_app *ra)
{
	pthread_t t;

	atomic_fetch_add(&syncs_running, 1);
	if (pthread_create(&t, NULL, sync_thread, ra))
		sync_once(ra); /* no thread to be had: sync here */
	else
		pthread_join(t, NULL);
	/* Hand the artifact's pages back, and what the thread's cache held. */
	malloc_trim(0);
	if (atomic_fetch_sub(&syncs_running, 1) == 1)
		atomic_store(&quiet_since, (long long)mono_now());
}

/*
 * Called every second by the main loop.  While no sync runs, from two
 * seconds after the last one ended, the code pages go every five seconds:
 * what an idle agent runs between (the watches, a Kubernetes Event sent
 * after a sync, a page served) faults back only what it uses, and that
 * goes again at the next drop.  A drop costs a read of /proc/self/maps and
 * some fifty madvise calls.
 */
static void maybe_drop_code_pages(void)
{
	long long now = (long long)mono_now();

	if (atomic_load(&syncs_running) || now - atomic_load(&quiet_since) < 2 ||
	    now - atomic_load(&last_drop) < 5)
		return;
	atomic_store(&last_drop, now);
	run_drop_code_pages();
}

static void *app_thread(void *arg)
{
	struct run_app *ra = arg;
	struct run *r = ra->run;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		time_t now = mono_now();
		bool due;

		if (r->stop)
			break;
		due = ra->wake || now >= ra->next;
		if (!due) {
			struct timespec until = { ra->next, 0 };
			pthread_cond_timedwait(&ra->cv, &r->mu, &until);
			continue;
		}
		ra->wake = false;
		/*
		 * A suspended app still passes (agent_sync only plans it: its
		 * status and plan update, nothing is written).
		 */
		ra->syncing = true;
		ra->target[0] = '\0';
		__atomic_store_n(&ra->cancel, 0, __ATOMIC_SEQ_CST);
		ra->next_poll = now + ra->app->interval_s;
		pthread_mutex_unlock(&r->mu);

		sync_in_thread(ra);

		pthread_mutex_lock(&r->mu);
		ra->syncing = false;
		ra->target[0] = '\0';
		now = mono_now();
		if (__atomic_load_n(&ra->cancel, __ATOMIC_SEQ_CST))
			ra->wake = true; /* cancelled for a new digest: sync that now */
		ra->next = now + jittered(ra, ra->app->interval_s);
		ra->next_wall = time(NULL) + (ra->next - now);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/*
 * While a pull-mode app is syncing for longer than its interval (a long
 * health wait), check its source once per interval: a new digest cancels
 * the wait.  Runs on the main thread, between signals.
 */
static void poll_sources(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct run_app *ra = &r->apps[i];
		char digest[DIGEST_STR_SIZE];
		bool poll;

		if (is_push(ra->app))
			continue;
		pthread_mutex_lock(&r->mu);
		poll = ra->syncing && mono_now() >= ra->next_poll;
		if (poll)
			ra->next_poll = mono_now() + ra->app->interval_s;
		pthread_mutex_unlock(&r->mu);
		if (!poll || agent_resolve(r->ag, ra->app, digest, NULL))
			continue;
		pthread_mutex_lock(&r->mu);
		cancel_if_other(ra, digest, "poll");
		pthread_mutex_unlock(&r->mu);
	}
}

/* Server callbacks (server.h). */

static int cb_app_get(void *ctx, const char *name, struct server_app *out)
{
	struct run_app *ra = find_app(ctx, name);

	if (!ra)
		return err_set(ERR_NOTFOUND, "no app named '%s'", name);
	out->push = is_push(ra->app);
	out->verify_key = ra->key;
	return 0;
}

static void reply_app(struct strbuf *reply, const char *app, const char *digest,
		      const char *status, const char *message)
{
	strbuf_addstr(reply, "{\"app\":");
	strbuf_add_json_str(reply, app, strlen(app));
	strbuf_addstr(reply, ",\"digest\":");
	strbuf_add_json_str(reply, digest, strlen(digest));
	strbuf_addstr(reply, ",\"status\":");
	strbuf_add_json_str(reply, status, strlen(status));
	strbuf_addstr(reply, ",\"message\":");
	strbuf_add_json_str(reply, message, strlen(message));
	strbuf_addstr(reply, "}\n");
}

static int cb_push(void *ctx, const char *name, const void *body, size_t len,
		   const struct push_checked *pc, struct strbuf *reply)
{
	struct run *r = ctx;
	struct run_app *ra = find_app(r, name);
	char last[DIGEST_STR_SIZE];
	int rc;

	if (!ra)
		return err_set(ERR_NOTFOUND, "no app named '%s'", name);
	agent_status_last_digest(r->ag, ra->app, last);
	pthread_mutex_lock(&r->mu);
	if (!strcmp(last, pc->digest) && !ra->syncing && !ra->wake) {
		pthread_mutex_unlock(&r->mu);
		reply_app(reply, name, pc->digest, "unchanged", "this artifact is already applied");
		return 200;
	}
	/* Under the lock: two pushes to one app never write its files at once. */
	rc = push_store_save(r->push_dir, name, body, len, pc);
	if (!rc) {
		cancel_if_other(ra, pc->digest, "push");
		ra->wake = true;
		pthread_cond_signal(&ra->cv);
	}
	pthread_mutex_unlock(&r->mu);
	if (rc)
		return rc;
	agent_log("info", name, pc->digest, pc->revision, "push-accepted",
		  "%zu bytes, %zu objects%s", len, pc->nobjects,
		  pc->signature_checked ? ", signature verified" : "");
	reply_app(reply, name, pc->digest, ra->app->suspend ? "stored" : "accepted",
		  ra->app->suspend ? "kept; the app is suspended, so it is not applied"
				   : "verified; the agent applies it now");
	return 202;
}

int run_wake(struct run *r, const char *name, const char *digest)
{
	struct run_app *ra = find_app(r, name);

	if (!ra)
		return err_set(ERR_NOTFOUND, "no app named '%s'", name);
	pthread_mutex_lock(&r->mu);
	cancel_if_other(ra, digest ? digest : "", "notification");
	ra->wake = true;
	pthread_cond_signal(&ra->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static int cb_sync(void *ctx, const char *name, const char *digest, struct strbuf *reply)
{
	struct run *r = ctx;
	struct run_app *ra = find_app(r, name);
	int rc;

	if (ra && ra->app->suspend) {
		reply_app(reply, name, digest, "suspended", "the app is suspended: no sync");
		return 409;
	}
	rc = run_wake(r, name, digest);
	if (rc)
		return rc;
	agent_log("info", name, digest[0] ? digest : NULL, NULL, "wake", "sync requested");
	reply_app(reply, name, digest, "queued", "the app syncs now");
	return 202;
}

static void wake_app(void *ctx, const char *name)
{
	if (run_wake(ctx, name, NULL))
		err_clear();
}

/* The app's pending plan as JSON ("null" when none), for a refusal to show. */
static void current_plan(struct run *r, const struct agent_app *app, struct strbuf *out)
{
	struct strbuf json = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *plan;
	size_t mark = out->len;

	if (agent_app_json(r->ag, app, &json) || doc_parse(&ds, json.buf, json.len, "app", NULL) ||
	    !(plan = doc_map_get(ds->docs[0], "plan")) || doc_emit_json(out, plan)) {
		err_clear();
		strbuf_setlen(out, mark);
		strbuf_addstr(out, "null");
	}
	strbuf_rtrim(out);
	doc_stream_free(ds);
	strbuf_release(&json);
}

static int cb_approve(void *ctx, const char *name, const char *digest, const char *plan,
		      const char *by, struct strbuf *reply)
{
	struct run *r = ctx;
	struct run_app *ra = find_app(r, name);
	struct strbuf who = STRBUF_INIT;
	int rc;

	if (!ra)
		return err_set(ERR_NOTFOUND, "no app named '%s'", name);
	strbuf_addstr(&who, *by ? by : "api");
	rc = agent_approve(r->ag, ra->app, digest, plan, who.buf);
	strbuf_release(&who);
	if (!rc) {
		reply_app(reply, name, digest, "approved", "the plan is applied now");
		return 202;
	}
	if (rc == ERR_CONFLICT || rc == ERR_INVALID) {
		const char *code = rc == ERR_INVALID ? "bad-request"
			: strncmp(err_msg(), "stale", 5) ? "conflict" : "stale";
		struct strbuf msg = STRBUF_INIT;

		strbuf_addstr(&msg, err_msg());
		agent_log("warn", name, digest, NULL, "approval-refused", "%s", msg.buf);
		strbuf_addstr(reply, "{\"error\":");
		strbuf_add_json_str(reply, code, strlen(code));
		strbuf_addstr(reply, ",\"message\":");
		strbuf_add_json_str(reply, msg.buf, msg.len);
		strbuf_addstr(reply, ",\"plan\":");
		current_plan(r, ra->app, reply);
		strbuf_addstr(reply, "}\n");
		strbuf_release(&msg);
		return rc == ERR_INVALID ? 400 : 409;
	}
	return rc;
}

static long cb_queue_depth(void *ctx)
{
	struct run *r = ctx;

	return (long)notify_queue_depth(r->ag);
}

static int cb_accept_drift(void *ctx, const char *name, const char *object,
			   struct strbuf *reply)
{
	struct run *r = ctx;
	struct run_app *ra = find_app(r, name);
	int rc;

	if (!ra)
		return err_set(ERR_NOTFOUND, "no app named '%s'", name);
	rc = agent_accept_drift(r->ag, ra->app, object);
	if (rc == ERR_INVALID) {
		api_error_json(reply, "bad-request", err_msg());
		return 400;
	}
	if (rc)
		return rc;
	reply_app(reply, name, "", "accepted", "the object's drifted fields are ignored from now on");
	return 200;
}

/*
 * The agent's recorded status, with what only the loop knows added to
 * each app: whether it is syncing now and when it syncs next.  `only`
 * selects one app (its object alone).
 */
static int cb_status(void *ctx, const char *only, struct strbuf *reply)
{
	struct run *r = ctx;
	struct strbuf json = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	struct doc_node *apps;
	size_t i;
	int rc;

	if (only) {
		/* One app: its whole document (agent_app_json), as the only entry. */
		struct run_app *ra = find_app(r, only);
		if (!ra) {
			rc = err_set(ERR_NOTFOUND, "no app named '%s'", only);
			goto out;
		}
		strbuf_addstr(&json, "{\"apps\":[");
		rc = agent_app_json(r->ag, ra->app, &json);
		strbuf_addstr(&json, "]}");
	} else {
		rc = agent_status_json(r->ag, &json);
	}
	if (!rc)
		rc = doc_parse(&ds, json.buf, json.len, "status", NULL);
	if (rc)
		goto out;
	apps = ds->ndocs ? doc_map_get(ds->docs[0], "apps") : NULL;
	rc = ERR_NOTFOUND;
	for (i = 0; apps && apps->kind == DOC_SEQ && i < apps->n; i++) {
		struct doc_node *a = apps->kids[i];
		const char *name = doc_get_str(a, "name", NULL);
		struct run_app *ra = name ? find_app(r, name) : NULL;
		char when[32] = "";

		if (!ra)
			continue;
		pthread_mutex_lock(&r->mu);
		if (ra->next_wall) {
			struct tm tm;
			gmtime_r(&ra->next_wall, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		doc_map_append(ds->arena, a, doc_new_str(ds->arena, "syncing"),
			       doc_new_scalar(ds->arena, ra->syncing ? "true" : "false",
					      ra->syncing ? 4 : 5, DOC_STYLE_PLAIN));
		pthread_mutex_unlock(&r->mu);
		doc_map_append(ds->arena, a, doc_new_str(ds->arena, "nextSync"),
			       doc_new_scalar(ds->arena, when, strlen(when), DOC_STYLE_DOUBLE));
		if (only && !strcmp(name, only)) {
			rc = doc_emit_json(reply, a);
			if (!rc)
				strbuf_addch(reply, '\n');
			goto out;
		}
	}
	if (only) {
		rc = err_set(ERR_NOTFOUND, "no app named '%s'", only);
		goto out;
	}
	rc = doc_emit_json(reply, ds->docs[0]);
	if (!rc)
		strbuf_addch(reply, '\n');
out:
	doc_stream_free(ds);
	strbuf_release(&json);
	return rc ? rc : 200;
}

static void write_addr_file(const char *path, const char *listen, unsigned port)
{
	struct strbuf s = STRBUF_INIT;
	const char *colon = strrchr(listen, ':');

	strbuf_add(&s, listen, colon ? (size_t)(colon - listen) : 0);
	strbuf_addf(&s, ":%u\n", port);
	if (write_file_atomic(path, s.buf, s.len, 0644))
		log_error("%s", err_msg());
	strbuf_release(&s);
}

int run_start(struct run **out, struct agent *ag, const struct run_opts *o)
{
	struct run *r = xcalloc(1, sizeof(*r));
	struct server_opts so = { 0 };
	struct server_ops ops = { r, cb_app_get, cb_push, cb_sync, cb_status, cb_approve,
				  cb_accept_drift, cb_queue_depth };
	pthread_condattr_t ca;
	struct strbuf dir = STRBUF_INIT;
	time_t now = mono_now();
	size_t i;
	int rc = 0;

	*out = NULL;
	r->ag = ag;
	r->n = ag->cfg.napps;
	r->apps = xcalloc(r->n ? r->n : 1, sizeof(*r->apps));
	pthread_mutex_init(&r->mu, NULL);
	strbuf_addf(&dir, "%s/push", ag->cfg.state_dir);
	r->push_dir = strbuf_detach(&dir, NULL);
	ag->wake = wake_app;
	ag->wake_ctx = r;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < r->n; i++) {
		struct run_app *ra = &r->apps[i];

		ra->run = r;
		ra->app = &ag->cfg.apps[i];
		ra->seed = (unsigned)time(NULL) ^ (unsigned)(i * 2654435761u) ^ (unsigned)getpid();
		pthread_cond_init(&ra->cv, &ca);
		/* Spread the first syncs so 20 apps do not pull at the same instant. */
		ra->next = now + (time_t)(rand_r(&ra->seed) % (RUN_FIRST_SPREAD + 1));
		if (ra->app->verify_key && !rc)
			rc = sign_key_load_public(&ra->key, ra->app->verify_key);
	}
	pthread_condattr_destroy(&ca);
	if (rc)
		goto fail;
	so.listen = o && o->listen ? o->listen : ag->cfg.listen;
	so.cert = ag->cfg.cert;
	so.key = ag->cfg.key;
	so.token_file = ag->cfg.token_file;
	so.auth_read = ag->cfg.web_auth && !strcmp(ag->cfg.web_auth, "read");
	rc = server_start(&r->srv, &so, &ops);
	if (rc)
		goto fail;
	agent_log("info", NULL, NULL, NULL, "listen", "serving on %s (port %u)%s", so.listen,
		  server_port(r->srv), so.cert ? " with TLS" : "");
	if (o && o->addr_file)
		write_addr_file(o->addr_file, so.listen, server_port(r->srv));
	rc = notify_start(ag);
	if (rc)
		goto fail;
	for (i = 0; i < r->n; i++) {
		struct run_app *ra = &r->apps[i];
		if (pthread_create(&ra->thread, NULL, app_thread, ra)) {
			rc = err_set(ERR_GENERIC, "cannot start a thread for app %s",
				     ra->app->name);
			goto fail;
		}
		ra->started = true;
	}
	rc = drift_start(&r->drift, ag);
	if (rc)
		goto fail;
	*out = r;
	return 0;
fail:
	run_stop(r);
	return rc;
}

void run_stop(struct run *r)
{
	size_t i;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	for (i = 0; i < r->n; i++) {
		__atomic_store_n(&r->apps[i].cancel, 1, __ATOMIC_SEQ_CST);
		pthread_cond_signal(&r->apps[i].cv);
	}
	pthread_mutex_unlock(&r->mu);
	drift_stop(r->drift);
	/* The server goes after the apps' threads: it calls into their state. */
	for (i = 0; i < r->n; i++)
		if (r->apps[i].started)
			pthread_join(r->apps[i].thread, NULL);
	server_stop(r->srv);
	r->ag->wake = NULL;
	for (i = 0; i < r->n; i++) {
		pthread_cond_destroy(&r->apps[i].cv);
		sign_key_free(r->apps[i].key);
	}
	pthread_mutex_destroy(&r->mu);
	free(r->push_dir);
	free(r->apps);
	free(r);
}

struct run_args {
	const char *config, *listen, *addr_file;
};

#define A struct run_args
static const struct opt run_options[] = {
	{ "config", OPT_FIELD(A, config), 'c', .arg = "FILE", .def = AGENT_CONFIG_FILE,
	  .complete = COMPLETE_FILE, .help = "the agent's configuration (agent.yaml)" },
	{ "listen", OPT_FIELD(A, listen), .arg = "HOST:PORT",
	  .help = "serve pushes and the status API here instead of agent.yaml's listen" },
	{ "addr-file", OPT_FIELD(A, addr_file), .arg = "FILE",
	  .help = "write the address the server bound (for port 0) to FILE" },
	{ NULL },
};
#undef A

static const char *const run_examples[] = {
	"hoist-agent run -c /etc/hoist/agent.yaml	the in-cluster loop, as the Deployment runs it",
	"hoist-agent run -c agent.yaml --listen 127.0.0.1:0 --addr-file addr	"
	"a local agent on a free port, its address written to ./addr",
	NULL,
};

const struct cmd cmd_agent_run_entry = {
	"run", cmd_agent_run, "run [-c FILE] [--listen HOST:PORT] [--addr-file FILE]",
	"sync every app on its interval; serve pushes and status", run_options,
	.description =
		"Syncs every app of agent.yaml on its interval (jittered), at once when a\n"
		"push arrives or a publisher names a new digest, and serves the push\n"
		"endpoint and the status API on `listen`.  One app's failure never stops\n"
		"the others; SIGTERM stops it cleanly.",
	.env = "HOIST_LOG\tlog level: debug, info (default), warn or error\n",
	.examples = run_examples,
	.see_also = "docs/agent.md, docs/api.md",
};

int cmd_agent_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	const char *config, *listen, *addr_file;
	struct run_opts ro = { 0 };
	struct agent *ag = NULL;
	struct run *r = NULL;
	sigset_t set;
	char **pos;
	int rc;

	if (opts_parse(argc, argv, run_options, &a, &pos) != 0)
		return cmd_usage(cmd_agent_run_entry.usage);
	config = a.config;
	listen = a.listen;
	addr_file = a.addr_file;
	if (!config)
		config = AGENT_CONFIG_FILE;
	/*
	 * Few malloc arenas: each thread would otherwise keep its own, and an
	 * idle agent's RSS is mostly freed memory the arenas hold on to.  A
	 * fixed mmap threshold: blocks of 64 KiB and more (artifacts, LIST
	 * pages, reply buffers) are mapped on their own and unmapped when
	 * freed, where glibc's sliding threshold would soon put them in the
	 * heap and leave holes there (0.6 MB of an idle agent with 20 apps).
	 */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	/* Signals are taken synchronously by this thread only (sigtimedwait below). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = agent_open(&ag, config);
	if (rc)
		return cmd_fail();
	ro.listen = listen;
	ro.addr_file = addr_file;
	rc = run_start(&r, ag, &ro);
	if (rc) {
		agent_free(ag);
		return cmd_fail();
	}
	agent_log("info", NULL, NULL, NULL, "start", "%zu app(s)", ag->cfg.napps);
	atomic_store(&quiet_since, (long long)mono_now());
	for (;;) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			agent_log("info", NULL, NULL, NULL, "stop", "signal %d: stopping", sig);
			break;
		}
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			break;
		poll_sources(r);
		maybe_drop_code_pages();
	}
	run_stop(r);
	agent_free(ag);
	agent_log("info", NULL, NULL, NULL, "stopped", "bye");
	return 0;
}
