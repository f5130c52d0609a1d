/*
 * hook.c - `hoist hook post-receive|pre-receive|install|retry`.  See hook.h.
 */
#include "core/compat.h"
#include "hooks/hook.h"
#include "hooks/publish.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/repo.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZERO_SHA "0000000000000000000000000000000000000000"

static const char *git_dir(void)
{
	const char *d = getenv("GIT_DIR");
	return d && *d ? d : ".";
}

/* --- the spool ------------------------------------------------------------ */

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
	}
	return "";
}

static int run_job(const char *gd, const struct job *j)
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
	r = publish_run(&res, &po);
	for (i = 0; i < res.n; i++) {
		const struct publish_item *it = &res.items[i];
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

int hook_spool_run(const char *gd, size_t *remaining)
{
	struct strbuf dir = STRBUF_INIT, lock = STRBUF_INIT, path = STRBUF_INIT;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	int fd = -1, r = 0;

	*remaining = 0;
	spool_path(&dir, gd, NULL);
	r = mkdir_p(dir.buf);
	if (r)
		goto out;
	spool_path(&lock, gd, ".lock");
	fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		r = err_set(ERR_GENERIC, "%s: %s", lock.buf, strerror(errno));
		goto out;
	}
	d = opendir(dir.buf);
	if (!d) {
		r = err_set(ERR_GENERIC, "%s: %s", dir.buf, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".job")) {
			ALLOC_GROW(names, n + 1, alloc);
			names[n++] = xstrdup(de->d_name);
		}
	}
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct job j;

		strbuf_reset(&path);
		spool_path(&path, gd, names[i]);
		r = job_read(&j, path.buf);
		if (!r)
			r = run_job(gd, &j);
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
		log_error("%s", err_msg());
		*remaining = n - i;
		log_error("%zu update(s) queued in %s; they publish on the next push or `hoist hook retry`",
			  *remaining, HOOK_SPOOL);
		break;
	}
out:
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd); /* releases the lock */
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	strbuf_release(&dir);
	strbuf_release(&lock);
	strbuf_release(&path);
	return r;
}

/* --- the hooks ------------------------------------------------------------- */

struct update {
	char old[41], new_[41], ref[PATH_MAX];
};

static int read_updates(struct update **out, size_t *n)
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
static int watched(const char *gd, const char *sha, const char *ref, bool *out, bool *async)
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
	config_release(&cfg);
	return 0;
}

static void detach_worker(const char *gd)
{
	struct strbuf logp = STRBUF_INIT;
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("cannot fork a background worker (%s); run `hoist hook retry`",
			 strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	/* The child: a new session, no terminal, output to the spool's log. */
	setsid();
	if (fork() != 0)
		_exit(0);
	spool_path(&logp, gd, "worker.log");
	{
		int fd = open(logp.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	{
		size_t remaining;
		_exit(hook_spool_run(gd, &remaining) ? 1 : 0);
	}
}

static int hook_post_receive(void)
{
	const char *gd = git_dir();
	struct update *u = NULL;
	size_t n, i, queued = 0, remaining = 0;
	bool async = getenv("HOIST_HOOK_ASYNC") && !strcmp(getenv("HOIST_HOOK_ASYNC"), "1");
	int r;

	r = read_updates(&u, &n);
	for (i = 0; !r && i < n; i++) {
		bool w;
		if (!strcmp(u[i].new_, ZERO_SHA))
			continue; /* a deletion: nothing to publish */
		if (watched(gd, u[i].new_, u[i].ref, &w, &async)) {
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
		detach_worker(gd);
		return 0;
	}
	r = hook_spool_run(gd, &remaining);
	/* post-receive cannot undo the push: report, but exit 0 when work is queued. */
	if (r && remaining)
		return 0;
	return r ? cmd_fail() : 0;
}

static int hook_pre_receive(void)
{
	const char *gd = git_dir();
	struct update *u = NULL;
	size_t n, i;
	int r;

	r = read_updates(&u, &n);
	for (i = 0; !r && i < n; i++) {
		struct publish_opts po = { 0 };
		struct publish_result res;
		bool w;

		if (!strcmp(u[i].new_, ZERO_SHA))
			continue;
		r = watched(gd, u[i].new_, u[i].ref, &w, NULL);
		if (r || !w)
			continue;
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
		fprintf(stderr, "hoist: push rejected: %s %.7s does not render\n", u[i - 1].ref,
			u[i - 1].new_);
		free(u);
		return 1;
	}
	free(u);
	return 0;
}

static int hook_retry(void)
{
	size_t remaining;
	int r = hook_spool_run(git_dir(), &remaining);

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
	"hoist hook retry\trun the spooled work a failed post-receive left (from the bare repository)",
	NULL,
};

const struct cmd cmd_hook_entry = {
	"hook", cmd_hook, "hook post-receive|pre-receive|retry\nhook install BARE_REPO",
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
	static const char usage[] = "hook post-receive|pre-receive|retry|install BARE_REPO";
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
	if (!strcmp(pos[0], "retry") && n == 1)
		return hook_retry();
	if (!strcmp(pos[0], "install") && n == 2)
		return hook_install(pos[1]);
	return cmd_usage(usage);
}
