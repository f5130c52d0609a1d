/*
 * hook.c - `hoist hook post-receive|pre-receive|install|retry`.  See hook.h.
 */
#include "core/compat.h"
#include "hooks/hook.h"
#include "hooks/publish.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/http.h"
#include "core/log.h"
#include "source/repo.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZERO_SHA "0000000000000000000000000000000000000000"

static const char *git_dir(void)
{
	const char *d = getenv("GIT_DIR");
	return d && *d ? d : ".";
}

/* --- the spool ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void spool_path(struct strbuf *sb, const char *gd, const char *name)
{
	strbuf_addf(sb, "%s/%s%s%s", gd, HOOK_SPOOL, name ? "/" : "", name ? name : "");
}

static int mkdir_p(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return err_set(ERR_GENERIC, "%s: %s", dir, strerror(errno));
}

int hook_spool_add(const char *gd, const char *ref, const char *old, const char *new_)
{
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, body = STRBUF_INIT;
	struct timespec ts;
	int r;

	spool_path(&dir, gd, NULL);
	r = mkdir_p(dir.buf);
	if (r)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Names sort in queueing order: nanoseconds, then the pid for ties. */
	strbuf_addf(&path, "%s/%020lld%09ld-%06ld.job", dir.buf, (long long)ts.tv_sec,
		    ts.tv_nsec, (long)getpid());
	strbuf_addf(&body, "ref %s\nold %s\nnew %s\n", ref, old, new_);
	r = write_file_atomic(path.buf, body.buf, body.len, 0644);
out:
	strbuf_release(&dir);
	strbuf_release(&path);
	strbuf_release(&body);
	return r;
}

struct job {
	char ref[PATH_MAX], old[41], new_[41];
};

static int job_read(struct job *j, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int r = strbuf_read_file(&sb, path, 4096);

	if (!r && sscanf(sb.buf, "ref %4095s\nold %40s\nnew %40s", j->ref, j->old, j->new_) != 3)
		r = err_set(ERR_INVALID, "%s: not a hoist spool job", path);
	strbuf_release(&sb);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *status_word(enum publish_status s)
{
	switch (s) {
	case PUBLISH_PUSHED: return "published";
	case PUBLISH_UNCHANGED: return "unchanged";
	case PUBLISH_RENDERED: return "rendered";
	case PUBLISH_BEHIND: return "published (environment holds a newer commit; its tag left)";
	case PUBLISH_FAILED: return "not published";
	}
	return "";
}

static int run_job(const char *gd, const struct job *j, int64_t deadline)
{
	struct publish_opts po = { 0 };
	struct publish_result res;
	struct repo *rp = NULL;
	char **changed = NULL;
	size_t i;
	int r;

	if (strcmp(j->old, ZERO_SHA)) {
		r = repo_open(&rp, gd);
		if (!r)
			r = repo_diff_paths(rp, j->old, j->new_, &changed);
		repo_free(rp);
		if (r)
			return r;
	}
	po.repo = gd;
	po.rev = j->new_;
	po.ref = j->ref;
	po.changed = (const char *const *)changed;
	po.actor = "hook";
	po.deadline = deadline;
	r = publish_run(&res, &po);
	for (i = 0; i < res.n; i++) {
		const struct publish_item *it = &res.items[i];
		if (it->status == PUBLISH_FAILED)
			log_info("%s rendered (%zu objects) -> %s %s [not published: %s]", it->app,
				 it->nobjects, it->reference, it->digest, it->error);
		else
			log_info("%s rendered (%zu objects) -> %s %s [%s]", it->app, it->nobjects,
				 it->reference, it->digest, status_word(it->status));
	}
	if (!r && !res.n)
		log_info("%s %.7s: no app changed", j->ref, j->new_);
	publish_result_release(&res);
	repo_paths_free(changed);
	return r;
}

/* Failures that cannot pass by waiting: the commit itself is bad. */
static bool permanent(int code)
{
	return code == ERR_INVALID || code == ERR_TOOBIG || code == ERR_CONFLICT;
}

static int move_to_failed(const char *gd, const char *name, const char *msg)
{
	struct strbuf dir = STRBUF_INIT, from = STRBUF_INIT, to = STRBUF_INIT;
	int r;

	spool_path(&dir, gd, "failed");
	r = mkdir_p(dir.buf);
	if (!r) {
		spool_path(&from, gd, name);
		strbuf_addf(&to, "%s/%s", dir.buf, name);
		if (rename(from.buf, to.buf) != 0)
			r = err_set(ERR_GENERIC, "%s: %s", from.buf, strerror(errno));
		strbuf_addstr(&to, ".err");
		if (!r)
			r = write_file_atomic(to.buf, msg, strlen(msg), 0644);
	}
	strbuf_release(&dir);
	strbuf_release(&from);
	strbuf_release(&to);
	return r;
}

/* Takes the spool lock, waiting until `deadline` at most (0: for as long as it takes). */
static int spool_lock(const char *gd, int64_t deadline, int *fd_out)
{
	struct strbuf lock = STRBUF_INIT;
	int fd, r = 0;

	*fd_out = -1;
	spool_path(&lock, gd, ".lock");
	fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = err_set(ERR_GENERIC, "%s: %s", lock.buf, strerror(errno));
		goto out;
	}
	for (;;) {
		if (flock(fd, deadline ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = err_set(ERR_GENERIC, "%s: %s", lock.buf, strerror(errno));
			goto out;
		}
		if (http_now_ms() >= deadline) {
			r = err_set(ERR_RETRY, "another publisher is working through the queue");
			goto out;
		}
		sleep_ms(20);
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&lock);
	return r;
}

/* The queued jobs' names, in queueing order. */
static int spool_list(const char *gd, char ***out, size_t *n)
{
	struct strbuf dir = STRBUF_INIT;
	char **names = NULL;
	size_t alloc = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*n = 0;
	spool_path(&dir, gd, NULL);
	d = opendir(dir.buf);
	if (!d) {
		if (errno != ENOENT)
			r = err_set(ERR_GENERIC, "%s: %s", dir.buf, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".job")) {
			ALLOC_GROW(names, *n + 1, alloc);
			names[(*n)++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), name_cmp);
out:
	strbuf_release(&dir);
	*out = names;
	return r;
}

static void names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Tells the pusher what stays queued and why: one line per update, in order. */
static void report_queued(const char *gd, char **names, size_t n, const char *why)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		struct job j;

		strbuf_reset(&path);
		spool_path(&path, gd, names[i]);
		if (job_read(&j, path.buf))
			continue;
		log_warn("queued %s %.7s: %s", j.ref, j.new_,
			 i ? "waits for the update before it (updates publish in push order)" : why);
	}
	strbuf_release(&path);
}

int hook_spool_run(const char *gd, int64_t deadline, size_t *remaining)
{
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, why = STRBUF_INIT;
	char **names = NULL;
	size_t n = 0, i = 0;
	int fd = -1, r = 0;

	*remaining = 0;
	spool_path(&dir, gd, NULL);
	r = mkdir_p(dir.buf);
	if (!r)
		r = spool_lock(gd, deadline, &fd);
	if (r == ERR_RETRY) {
		/* Someone else publishes; what is queued now waits for them or the worker. */
		strbuf_addstr(&why, err_msg());
		spool_list(gd, &names, &n);
		*remaining = n;
		report_queued(gd, names, n, why.buf);
		goto out;
	}
	if (!r)
		r = spool_list(gd, &names, &n);
	if (r)
		goto out;
	for (i = 0; i < n; i++) {
		struct job j;

		strbuf_reset(&path);
		spool_path(&path, gd, names[i]);
		r = job_read(&j, path.buf);
		if (!r && deadline && http_now_ms() >= deadline)
			r = err_set(ERR_RETRY, "out of time before it started");
		if (!r)
			r = run_job(gd, &j, deadline);
		if (!r) {
			unlink(path.buf);
			continue;
		}
		if (permanent(r)) {
			char msg[2048];
			snprintf(msg, sizeof(msg), "%s\n", err_msg());
			log_error("%s %.7s: %s", j.ref, j.new_, err_msg());
			log_error("the commit cannot be published; job kept in %s/failed/%s",
				  HOOK_SPOOL, names[i]);
			r = move_to_failed(gd, names[i], msg);
			if (r)
				break;
			continue;
		}
		/* Transient: keep this job and every later one, in order. */
		*remaining = n - i;
		if (deadline && http_now_ms() >= deadline - 100)
			strbuf_addf(&why, "the hook's time budget ran out (%s)", err_msg());
		else
			strbuf_addstr(&why, err_msg());
		report_queued(gd, names + i, n - i, why.buf);
		break;
	}
out:
	if (*remaining)
		log_warn("%zu update(s) queued in %s; a background worker retries them "
			 "(log: %s/worker.log; or run `hoist hook retry`)",
			 *remaining, HOOK_SPOOL, HOOK_SPOOL);
	if (fd >= 0)
		close(fd); /* releases the lock */
	names_free(names, n);
	strbuf_release(&dir);
	strbuf_release(&path);
	strbuf_release(&why);
	return r;
}

/* --- the background worker ------------------------------------------------ */

/*
 * The worker's pacing.  Between passes over a queue that did not empty it
 * waits base * 2^(pass-1), capped, with "equal jitter" (half fixed, half
 * random) so workers of many repositories do not hit a recovering
 * registry in step.  Each pass has its own deadline, so a registry that
 * never answers cannot hold the spool lock (and every push) for long.
 */
static long env_ms(const char *name, long def, long max)
{
	const char *e = getenv(name);
	char *end;
	long v;

	if (!e || !*e)
		return def;
	v = strtol(e, &end, 10);
	if (*end || v < 1)
		return def;
	return v > max ? max : v;
}

static long backoff_ms(unsigned pass, uint64_t *rng)
{
	long base = env_ms("HOIST_SPOOL_BACKOFF_MS", 1000, 3600000);
	long cap = env_ms("HOIST_SPOOL_BACKOFF_MAX_MS", 300000, 86400000);
	long d = base;
	unsigned i;

	for (i = 1; i < pass && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* xorshift64: jitter needs no cryptographic quality. */
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return d / 2 + (long)(*rng % (uint64_t)(d / 2 + 1));
}

/* Takes the worker lock without waiting; ERR_CONFLICT when another worker holds it. */
static int worker_lock(const char *gd, int *fd_out)
{
	struct strbuf lock = STRBUF_INIT;
	int fd, r = 0;

	spool_path(&lock, gd, ".worker");
	fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		r = err_set(ERR_GENERIC, "%s: %s", lock.buf, strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		r = err_set(ERR_CONFLICT, "a worker is already running");
	if (!r) {
		/* Its pid, for people (and tests) who want to find or stop it. */
		char pid[32];
		int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)len) != len)
			log_warn("%s: cannot record the worker's pid", lock.buf);
	}
	if (r && fd >= 0)
		close(fd);
	*fd_out = r ? -1 : fd;
	strbuf_release(&lock);
	return r;
}

static int hook_worker(const char *gd)
{
	int64_t pass_ms = (int64_t)env_ms("HOIST_SPOOL_PASS_MS", 120000, 86400000);
	uint64_t rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
	unsigned pass = 0;
	int fd = -1, r;

	if (worker_lock(gd, &fd))
		return 0; /* one worker per repository: the running one will see our jobs */
	for (;;) {
		size_t remaining = 0, n = 0;
		char **names = NULL;
		long wait;

		pass++;
		r = hook_spool_run(gd, http_now_ms() + pass_ms, &remaining);
		/* A failure that kept nothing queued (the spool itself) is retried too. */
		if (!remaining && !r) {
			/*
			 * Let go first, then look again: a hook that queued a job while
			 * we held the lock found a worker running and left it to us.
			 */
			close(fd);
			fd = -1;
			spool_list(gd, &names, &n);
			names_free(names, n);
			if (!n || worker_lock(gd, &fd))
				break;
			pass = 0;
			continue;
		}
		wait = backoff_ms(pass, &rng);
		if (r && !remaining)
			log_error("%s", err_msg());
		log_info("pass %u: %zu update(s) still queued; next try in %ld ms", pass, remaining,
			 wait);
		sleep_ms(wait);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * Starts the background worker, detached from the push: a new session,
 * stdin from /dev/null and output to hoist-spool/worker.log, so Git's
 * sideband (which the pusher waits on) is not held open.  It runs a fresh
 * hoist, with none of this process's connections or locks.
 */
static void start_worker(const char *gd)
{
	char self[PATH_MAX];
	struct strbuf logp = STRBUF_INIT;
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;

	if (l <= 0) {
		log_warn("cannot find the hoist binary (%s); run `hoist hook retry`",
			 strerror(errno));
		return;
	}
	self[l] = '\0';
	spool_path(&logp, gd, "worker.log");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_warn("cannot start a background worker (%s); run `hoist hook retry`",
			 strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int fd, nul;

		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open(logp.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nul >= 0)
			dup2(nul, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Nothing else of the push's (a pipe the pusher waits on) may stay open. */
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execl(self, "hoist", "hook", "worker", gd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0); /* the intermediate child, which exits at once */
out:
	strbuf_release(&logp);
}

/* --- the hooks ------------------------------------------------------------- */

struct update {
	char old[41], new_[41], ref[PATH_MAX];
};

/* Reads the hook's input; `key` gets a digest of it, the same in both hooks of one push. */
static int read_updates(struct update **out, size_t *n, char key[DIGEST_STR_SIZE])
{
	struct strbuf in = STRBUF_INIT;
	struct update *v = NULL;
	size_t alloc = 0;
	char *line, *save = NULL;
	int r;

	*n = 0;
	r = strbuf_read_fd(&in, 0, 16u << 20, "standard input");
	if (r)
		goto out;
	digest_sha256(key, in.buf, in.len);
	for (line = strtok_r(in.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct update u;
		if (!*line)
			continue;
		if (sscanf(line, "%40s %40s %4095s", u.old, u.new_, u.ref) != 3 ||
		    strlen(u.old) != 40 || strlen(u.new_) != 40) {
			r = err_set(ERR_INVALID, "unexpected hook input line: %s", line);
			goto out;
		}
		ALLOC_GROW(v, *n + 1, alloc);
		v[(*n)++] = u;
	}
out:
	strbuf_release(&in);
	if (r) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return r;
}

/* Whether hoist.yaml at `sha` has an environment watching `ref`; reads the config. */
static int watched(const char *gd, const char *sha, const char *ref, bool *out, bool *async,
		   int64_t *timeout)
{
	struct config cfg;
	const struct config_env *envs[8];
	int r = publish_load_config(&cfg, gd, sha);

	*out = false;
	if (r == ERR_NOTFOUND)
		return 0; /* no hoist.yaml at that commit: nothing to do */
	if (r)
		return r;
	*out = config_envs_for_ref(&cfg, ref, envs, ARRAY_SIZE(envs)) > 0;
	if (async && cfg.hook_async)
		*async = true;
	if (timeout && *out && cfg.hook_timeout) {
		int64_t secs;
		if (!config_parse_hook_timeout(cfg.hook_timeout, &secs) && (!*timeout || secs < *timeout))
			*timeout = secs;
	}
	config_release(&cfg);
	return 0;
}

/*
 * The budget covers both hooks of a push: pre-receive records when it
 * started in hoist-spool/.push-<digest of the hook input> (post-receive
 * gets the same input), and post-receive counts from then.  Files of
 * pushes the gate rejected are removed when an hour old.
 */
static void push_path(struct strbuf *p, const char *gd, const char *key)
{
	const char *hex = strchr(key, ':');

	strbuf_reset(p);
	spool_path(p, gd, NULL);
	strbuf_addf(p, "/.push-%.16s", hex ? hex + 1 : key);
}

static void push_mark(const char *gd, const char *key, int64_t start)
{
	struct strbuf p = STRBUF_INIT, v = STRBUF_INIT;

	spool_path(&p, gd, NULL);
	if (!mkdir_p(p.buf)) {
		push_path(&p, gd, key);
		strbuf_addf(&v, "%lld\n", (long long)start);
		write_file_atomic(p.buf, v.buf, v.len, 0644);
	}
	err_clear();
	strbuf_release(&p);
	strbuf_release(&v);
}

static int64_t push_start(const char *gd, const char *key, int64_t now)
{
	struct strbuf p = STRBUF_INIT, v = STRBUF_INIT, dir = STRBUF_INIT;
	int64_t start = now;
	struct dirent *de;
	DIR *d;

	push_path(&p, gd, key);
	if (!strbuf_read_file(&v, p.buf, 64)) {
		long long t = strtoll(v.buf, NULL, 10);
		/* The same monotonic clock; anything odd is ignored. */
		if (t > 0 && t <= now && now - t < 3600 * 1000)
			start = (int64_t)t;
		unlink(p.buf);
	}
	err_clear();
	spool_path(&dir, gd, NULL);
	d = opendir(dir.buf);
	while (d && (de = readdir(d))) {
		struct stat st;
		if (strncmp(de->d_name, ".push-", 6))
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir.buf, de->d_name);
		if (!stat(p.buf, &st) && st.st_mtime < time(NULL) - 3600)
			unlink(p.buf);
	}
	if (d)
		closedir(d);
	strbuf_release(&p);
	strbuf_release(&v);
	strbuf_release(&dir);
	return start;
}

/*
 * The hook's time budget in seconds: the server's `git config
 * hoist.hookTimeout` when set (a push cannot change it), else the
 * smallest hookTimeout of the pushed commits' hoist.yaml (`yaml_secs`, 0
 * when none said), else 10.
 */
static int64_t hook_budget(const char *gd, int64_t yaml_secs)
{
	struct strbuf v = STRBUF_INIT;
	struct repo *rp = NULL;
	int64_t secs = yaml_secs ? yaml_secs : 10;

	if (!repo_open(&rp, gd) && !repo_config_get(rp, "hoist.hookTimeout", &v)) {
		int64_t s;
		if (config_parse_hook_timeout(v.buf, &s))
			log_warn("git config hoist.hookTimeout: %s; using %llds", err_msg(),
				 (long long)secs);
		else
			secs = s;
	}
	err_clear();
	repo_free(rp);
	strbuf_release(&v);
	return secs;
}

static int hook_post_receive(void)
{
	int64_t start = http_now_ms(), budget, margin, yaml_secs = 0;
	char key[DIGEST_STR_SIZE];
	const char *gd = git_dir();
	struct update *u = NULL;
	size_t n, i, queued = 0, remaining = 0;
	bool async = getenv("HOIST_HOOK_ASYNC") && !strcmp(getenv("HOIST_HOOK_ASYNC"), "1");
	int r;

	r = read_updates(&u, &n, key);
	for (i = 0; !r && i < n; i++) {
		bool w;
		if (!strcmp(u[i].new_, ZERO_SHA))
			continue; /* a deletion: nothing to publish */
		if (watched(gd, u[i].new_, u[i].ref, &w, &async, &yaml_secs)) {
			/* A broken hoist.yaml cannot stop the push; say so loudly. */
			log_error("%s %.7s: %s", u[i].ref, u[i].new_, err_msg());
			continue;
		}
		if (!w)
			continue;
		r = hook_spool_add(gd, u[i].ref, u[i].old, u[i].new_);
		queued += !r;
	}
	free(u);
	if (r)
		return cmd_fail();
	if (!queued) {
		/* Still drain earlier work the registry refused. */
		struct stat st;
		struct strbuf d = STRBUF_INIT;
		spool_path(&d, gd, NULL);
		bool any = stat(d.buf, &st) == 0;
		strbuf_release(&d);
		if (!any)
			return 0;
	}
	if (async) {
		log_info("queued %zu update(s); publishing in the background (log: %s/worker.log)",
			 queued, HOOK_SPOOL);
		start_worker(gd);
		return 0;
	}
	budget = hook_budget(gd, yaml_secs);
	start = push_start(gd, key, start);
	/*
	 * Publishing stops 1 s (a third of a budget under 3 s) before the
	 * budget ends: the hook reports, starts the worker and exits within
	 * it, and git's own work around the hooks, which the pusher also
	 * waits for, gets some of the slack even on a loaded machine.
	 */
	margin = budget * 1000 / 3 < 1000 ? budget * 1000 / 3 : 1000;
	r = hook_spool_run(gd, start + budget * 1000 - margin, &remaining);
	if (remaining) {
		start_worker(gd);
		log_info("returning after %.1f s of a %lld s budget",
			 (double)(http_now_ms() - start) / 1000.0, (long long)budget);
	}
	/* post-receive cannot undo the push: report, but exit 0 when work is queued. */
	if (r && remaining)
		return 0;
	return r ? cmd_fail() : 0;
}

static int hook_pre_receive(void)
{
	int64_t start = http_now_ms();
	char key[DIGEST_STR_SIZE];
	const char *gd = git_dir();
	struct update *u = NULL;
	size_t n, i;
	bool marked = false;
	int r;

	r = read_updates(&u, &n, key);
	for (i = 0; !r && i < n; i++) {
		struct publish_opts po = { 0 };
		struct publish_result res;
		bool w;

		if (!strcmp(u[i].new_, ZERO_SHA))
			continue;
		r = watched(gd, u[i].new_, u[i].ref, &w, NULL, NULL);
		if (r || !w)
			continue;
		if (!marked)
			push_mark(gd, key, start);
		marked = true;
		po.repo = gd;
		po.rev = u[i].new_;
		po.ref = u[i].ref;
		po.dry_run = true;
		po.actor = "hook";
		r = publish_run(&res, &po);
		if (!r)
			log_info("%s %.7s: %zu app(s) render", u[i].ref, u[i].new_, res.n);
		publish_result_release(&res);
	}
	if (r) {
		fprintf(stderr, "hoist: error: %s\n", err_msg());
		/* i is one past the update that failed; 0 when the updates were unreadable. */
		if (i > 0)
			fprintf(stderr, "hoist: push rejected: %s %.7s does not render\n",
				u[i - 1].ref, u[i - 1].new_);
		else
			fprintf(stderr, "hoist: push rejected: the updates could not be read\n");
		free(u);
		return 1;
	}
	free(u);
	return 0;
}

/* `hoist hook retry [BARE_REPO]`: publishes the queue now, from anywhere. */
static int hook_retry(const char *bare)
{
	const char *gd = bare ? bare : git_dir();
	struct repo *rp = NULL;
	size_t remaining;
	int r;

	/* Refuse a folder that is no repository rather than spool into it. */
	r = repo_open(&rp, gd);
	repo_free(rp);
	if (r)
		return cmd_error("%s: not a Git repository (usage: hoist hook retry [BARE_REPO])",
				 gd);
	r = hook_spool_run(gd, 0, &remaining);
	if (r)
		return cmd_fail();
	log_info("spool empty");
	return 0;
}

/*
 * The shim a Git server runs.  It chains to the hook it replaced (kept as
 * NAME.hoist-chained): a failing chained pre-receive still rejects the
 * push; a chained post-receive's status cannot matter and does not stop
 * hoist from publishing.
 */
static const char shim[] =
	"#!/bin/sh\n"
	"# hoist-shim: installed by `hoist hook install`; a hook that was here before\n"
	"# is kept as $0.hoist-chained and runs first.\n"
	"HOIST=${HOIST_BIN:-'%s'}\n"
	"hook=$(basename \"$0\")\n"
	"input=$(cat)\n"
	"if [ -x \"$0.hoist-chained\" ]; then\n"
	"\tif [ \"$hook\" = pre-receive ]; then\n"
	"\t\tprintf '%%s\\n' \"$input\" | \"$0.hoist-chained\" \"$@\" || exit $?\n"
	"\telse\n"
	"\t\tprintf '%%s\\n' \"$input\" | \"$0.hoist-chained\" \"$@\"\n"
	"\tfi\n"
	"fi\n"
	"printf '%%s\\n' \"$input\" | exec \"$HOIST\" hook \"$hook\"\n";

static int install_one(const char *bare, const char *name, const char *self)
{
	struct strbuf path = STRBUF_INIT, chained = STRBUF_INIT, cur = STRBUF_INIT,
		      body = STRBUF_INIT;
	int r = 0;

	strbuf_addf(&path, "%s/hooks/%s", bare, name);
	strbuf_addf(&chained, "%s.hoist-chained", path.buf);
	if (!strbuf_read_file(&cur, path.buf, 1u << 20)) {
		if (strstr(cur.buf, "# hoist-shim")) {
			/* Ours already: rewrite it (the binary may have moved). */
		} else if (access(chained.buf, F_OK) == 0) {
			r = err_set(ERR_CONFLICT, "%s exists and so does %s; refusing to overwrite either",
				    path.buf, chained.buf);
			goto out;
		} else if (rename(path.buf, chained.buf) != 0) {
			r = err_set(ERR_GENERIC, "%s: %s", path.buf, strerror(errno));
			goto out;
		} else {
			log_info("kept the existing %s hook as %s", name, chained.buf);
		}
	}
	err_clear();
	strbuf_addf(&body, shim, self);
	r = write_file_atomic(path.buf, body.buf, body.len, 0755);
	if (!r)
		log_info("installed %s", path.buf);
out:
	strbuf_release(&path);
	strbuf_release(&chained);
	strbuf_release(&cur);
	strbuf_release(&body);
	return r;
}

static int hook_install(const char *bare)
{
	char self[PATH_MAX];
	struct strbuf hooks = STRBUF_INIT;
	struct stat st;
	ssize_t l;
	int r;

	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l <= 0)
		return cmd_error("cannot find the hoist binary: %s", strerror(errno));
	self[l] = '\0';
	if (strchr(self, '\'')) /* the shim quotes it in single quotes */
		return cmd_error("the hoist binary's path contains a quote: %s", self);
	strbuf_addf(&hooks, "%s/hooks", bare);
	if (stat(bare, &st) != 0 || !S_ISDIR(st.st_mode)) {
		strbuf_release(&hooks);
		return cmd_error("%s: not a repository folder", bare);
	}
	mkdir(hooks.buf, 0755);
	strbuf_release(&hooks);
	r = install_one(bare, "pre-receive", self);
	if (!r)
		r = install_one(bare, "post-receive", self);
	return r ? cmd_fail() : 0;
}

static const struct opt hook_options[] = { { NULL } };

static const char *const hook_examples[] = {
	"hoist hook install /srv/git/deploy.git\t"
	"publish on every push; reject pushes whose apps do not render",
	"hoist hook retry /srv/git/deploy.git\tpublish what the spool of that repository still holds",
	NULL,
};

const struct cmd cmd_hook_entry = {
	"hook", cmd_hook, "hook post-receive|pre-receive\nhook retry [BARE_REPO]\nhook install BARE_REPO",
	"the Git server hooks: publish on push, gate pushes that do not render",
	hook_options,
	.description =
		"post-receive reads git's ref updates on stdin and publishes the apps the\n"
		"pushed commits changed (spooled first, so a failure can be retried);\n"
		"pre-receive rejects a push whose apps do not render or whose hoist.yaml is\n"
		"invalid; retry publishes what the spool still holds; install writes both\n"
		"hook shims into a bare repository, calling this hoist binary.",
	.env = "GIT_DIR\tthe bare repository, as git sets it for hooks\n"
	       "HOIST_HOOK_ASYNC\t1: post-receive queues the work and returns at once\n"
	       "HOIST_SIGNING_KEY\tprivate key file: sign every artifact published\n",
	.examples = hook_examples,
	.see_also = "docs/hooks.md",
	.args = { COMPLETE_DIR, "post-receive pre-receive retry install" },
};

int cmd_hook(int argc, char **argv)
{
	static const char usage[] =
		"hook post-receive | pre-receive | retry [BARE_REPO] | install BARE_REPO";
	char **pos;
	int n;

	log_set_prefix("hoist");
	/* No options; the parser still refuses unknown ones with a suggestion. */
	n = opts_parse(argc, argv, hook_options, NULL, &pos);
	if (n < 1)
		return cmd_usage(usage);
	if (!strcmp(pos[0], "post-receive") && n == 1)
		return hook_post_receive();
	if (!strcmp(pos[0], "pre-receive") && n == 1)
		return hook_pre_receive();
	if (!strcmp(pos[0], "retry") && n <= 2)
		return hook_retry(n == 2 ? pos[1] : NULL);
	/* Internal: the detached worker start_worker runs. */
	if (!strcmp(pos[0], "worker") && n == 2)
		return hook_worker(pos[1]);
	if (!strcmp(pos[0], "install") && n == 2)
		return hook_install(pos[1]);
	return cmd_usage(usage);
}
