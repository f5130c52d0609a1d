/*
 * remote-git.c - Git repositories named by a kustomization, fetched with
 * libgit2 (never the git binary) into the cache and read as a src_tree at
 * the pinned or resolved commit, without a checkout.
 *
 * One bare repository per remote URL under $HOIST_CACHE_DIR/git; a fetch
 * stores the ref it asked for under the same name (refs/tags/v1,
 * refs/heads/main), so a later render resolves it offline.  Fetches of one
 * URL are serialised by a lock file; the repository itself is created in a
 * temporary folder and renamed into place.
 */
#include "core/compat.h"
#include "source/remote.h"
#include "source/git-stream.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/http.h"
#include "source/repo.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <errno.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

enum ref_kind { REF_TAG, REF_BRANCH, REF_HEAD, REF_COMMIT };

struct fetch_state {
	struct remote_ctx *c;
	const char *host;
	int64_t deadline;
	bool too_big, too_slow;
	int cred_tries;
};

static int on_progress(const git_indexer_progress *st, void *payload)
{
	struct fetch_state *fs = payload;

	if (st->received_bytes > fs->c->max_download) {
		fs->too_big = true;
		return -1;
	}
	if (http_now_ms() > fs->deadline) {
		fs->too_slow = true;
		return -1;
	}
	return 0;
}

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct fetch_state *fs = payload;
	const struct remote_cred *cr = remote_cred_find(fs->c, fs->host);

	(void)url;
	(void)user_from_url;
	/* One try: a rejected password must not be offered again and again. */
	if (!cr || fs->cred_tries++ || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
		return GIT_PASSTHROUGH;
	return git_credential_userpass_plaintext_new(out, cr->user, cr->password);
}

static bool is_full_sha(const char *s)
{
	size_t i;

	if (strlen(s) != 40)
		return false;
	for (i = 0; i < 40; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* The commit `rev` names in `repo`, into `sha`; ERR_NOTFOUND when absent. */
static int resolve_local(git_repository *repo, const char *rev, char sha[41])
{
	git_object *o = NULL;
	struct strbuf spec = STRBUF_INIT;
	int e;

	strbuf_addf(&spec, "%s^{commit}", rev);
	e = git_revparse_single(&o, repo, spec.buf);
	strbuf_release(&spec);
	if (e) {
		git_error_clear();
		return ERR_NOTFOUND;
	}
	git_oid_tostr(sha, 41, git_object_id(o));
	git_object_free(o);
	return 0;
}

/* The local ref a ref asked for was stored under, and its kind, from the cache alone. */
static int resolve_cached(git_repository *repo, const char *ref, char sha[41],
			  enum ref_kind *kind)
{
	struct strbuf name = STRBUF_INIT;
	int r = ERR_NOTFOUND;

	if (!*ref) {
		*kind = REF_HEAD;
		r = resolve_local(repo, "refs/hoist/HEAD", sha);
	} else if (is_full_sha(ref)) {
		*kind = REF_COMMIT;
		r = resolve_local(repo, ref, sha);
	} else {
		static const char *const pre[] = { "", "refs/tags/", "refs/heads/" };
		size_t i;

		for (i = 0; r && i < ARRAY_SIZE(pre); i++) {
			if (!*pre[i] && strncmp(ref, "refs/", 5))
				continue;
			strbuf_reset(&name);
			strbuf_addf(&name, "%s%s", pre[i], ref);
			r = resolve_local(repo, name.buf, sha);
			if (!r)
				*kind = strstr(name.buf, "refs/tags/") == name.buf ? REF_TAG : REF_BRANCH;
		}
	}
	strbuf_release(&name);
	return r;
}

static int git_fail(int code, const char *what, const char *url)
{
	const git_error *e = git_error_last();
	int r = err_set(code, "%s: fetching %s: %s", what, url, e && e->message ? e->message : "failed");

	git_error_clear();
	return r;
}

/* Opens the cached bare repository, creating it (in a temporary folder renamed into place). */
static int open_cache_repo(git_repository **out, const char *dir)
{
	struct strbuf tmp = STRBUF_INIT;
	git_repository *t = NULL;
	int r = 0;

	if (!git_repository_open_bare(out, dir))
		return 0;
	git_error_clear();
	strbuf_addf(&tmp, "%s.tmp.%ld", dir, (long)getpid());
	if (git_repository_init(&t, tmp.buf, 1)) {
		r = git_fail(ERR_GENERIC, "cache", tmp.buf);
		goto out;
	}
	git_repository_free(t);
	if (rename(tmp.buf, dir) && errno != EEXIST && errno != ENOTEMPTY) {
		r = err_set(ERR_GENERIC, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (git_repository_open_bare(out, dir))
		r = git_fail(ERR_GENERIC, "cache", dir);
out:
	strbuf_release(&tmp);
	return r;
}

/* The error of a failed connect, listing or fetch: too big, too slow, or libgit2's. */
static int fetch_fail(const struct fetch_state *fs, const char *what, const char *url,
		      const struct remote_git_url *u)
{
	int r;

	if (fs->too_big)
		r = err_set(ERR_TOOBIG, "%s: %s: the download is larger than %zu bytes (HOIST_REMOTE_MAX_BYTES)",
			    what, url, fs->c->max_download);
	else if (fs->too_slow || gitstream_timed_out())
		r = err_set(ERR_RETRY, "%s: %s: the fetch took longer than %ld ms", what, url,
			    u->timeout_ms < fs->c->timeout_ms ? u->timeout_ms : fs->c->timeout_ms);
	else
		r = git_fail(ERR_RETRY, what, url);
	git_error_clear();
	return r;
}

/*
 * Fetches the ref a URL asks for into `repo`, the ref stored under its own
 * name, and resolves it.
 */
static int fetch_ref(struct remote_ctx *c, git_repository *repo, const char *url,
		     const struct remote_git_url *u, const char *what, char sha[41],
		     enum ref_kind *kind)
{
	git_remote *rem = NULL;
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_remote_connect_options co = GIT_REMOTE_CONNECT_OPTIONS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	const git_remote_head **heads;
	size_t nheads, i;
	struct fetch_state fs = { c, u->host, 0, false, false, 0 };
	struct strbuf name = STRBUF_INIT, spec = STRBUF_INIT;
	char all_tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[2];
	git_strarray sa = { specs, 1 };
	int r = 0;

	fs.deadline = http_now_ms() + (u->timeout_ms < c->timeout_ms ? u->timeout_ms : c->timeout_ms);
	/* A hook's time budget (http_set_deadline) bounds the fetch too. */
	if (http_deadline() && http_deadline() < fs.deadline)
		fs.deadline = http_deadline();
	/* And every connect, read and write of it, a silent server's too. */
	gitstream_deadline_set(fs.deadline);
	/*
	 * No insteadOf rewriting: a user's or the system's git config must not
	 * send the fetch to a URL the allow-list never saw.
	 */
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&rem, url, &ro)) {
		r = git_fail(ERR_INVALID, what, url);
		goto out;
	}
	co.callbacks.credentials = on_credentials;
	co.callbacks.transfer_progress = on_progress;
	co.callbacks.payload = &fs;
	/* Redirects were followed (and checked) before; libgit2 must not follow others. */
	co.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	if (git_remote_connect_ext(rem, GIT_DIRECTION_FETCH, &co)) {
		r = fetch_fail(&fs, what, url, u);
		goto out;
	}
	if (git_remote_ls(&heads, &nheads, rem)) {
		r = fetch_fail(&fs, what, url, u);
		goto out;
	}
	if (!*u->ref) {
		*kind = REF_HEAD;
		strbuf_addstr(&spec, "+HEAD:refs/hoist/HEAD");
		strbuf_addstr(&name, "refs/hoist/HEAD");
	} else if (is_full_sha(u->ref)) {
		/* A commit id: every branch and tag, then the commit must be among them. */
		*kind = REF_COMMIT;
		strbuf_addstr(&spec, "+refs/heads/*:refs/heads/*");
		strbuf_addstr(&name, u->ref);
		specs[1] = all_tags;
		sa.count = 2;
	} else {
		/* Git's order for a short name: refs/NAME, refs/tags/NAME, refs/heads/NAME. */
		static const char *const pre[] = { "", "refs/tags/", "refs/heads/" };
		size_t p;

		for (p = 0; p < ARRAY_SIZE(pre) && !name.len; p++) {
			struct strbuf want = STRBUF_INIT;

			if (!*pre[p] && strncmp(u->ref, "refs/", 5))
				continue;
			strbuf_addf(&want, "%s%s", pre[p], u->ref);
			for (i = 0; i < nheads; i++)
				if (!strcmp(heads[i]->name, want.buf)) {
					strbuf_addbuf(&name, &want);
					break;
				}
			strbuf_release(&want);
		}
		if (!name.len) {
			r = err_set(ERR_NOTFOUND, "%s: %s has no ref '%s'", what, url, u->ref);
			goto out;
		}
		*kind = !strncmp(name.buf, "refs/tags/", 10) ? REF_TAG : REF_BRANCH;
		strbuf_addf(&spec, "+%s:%s", name.buf, name.buf);
	}
	git_remote_disconnect(rem);
	specs[0] = spec.buf;
	fo.callbacks = co.callbacks;
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	if (git_remote_fetch(rem, &sa, &fo, NULL)) {
		r = fetch_fail(&fs, what, url, u);
		goto out;
	}
	c->fetches++;
	r = resolve_local(repo, name.buf, sha);
	if (r)
		r = err_set(ERR_NOTFOUND, "%s: %s has no commit '%s'", what, url, u->ref);
out:
	gitstream_deadline_set(0);
	git_remote_free(rem);
	strbuf_release(&name);
	strbuf_release(&spec);
	return r;
}

int remote_git_open(struct src_tree **out, struct remote_ctx *c, const struct remote_git_url *u,
		    const char *what)
{
	const struct remote_pin *pin = NULL;
	git_repository *repo = NULL;
	struct strbuf dir = STRBUF_INIT, url = STRBUF_INIT, key = STRBUF_INIT;
	char digest[DIGEST_STR_SIZE], sha[41] = "";
	enum ref_kind kind = REF_COMMIT;
	bool stale, have = false, floating;
	int r, fd = -1;

	*out = NULL;
	repo_lib_init();
	r = remote_allowed(c, u->host, what);
	if (r)
		return r;
	r = remote_lock_find(c, REMOTE_GIT, u->clone_url, u->ref, &pin, &stale);
	if (r)
		return r;
	if (stale)
		return err_set(ERR_VERIFY, "%s: %s at '%s' is not pinned in hoist.lock (lock mismatch: run `hoist lock`)",
			       what, u->clone_url, u->ref);
	digest_sha256(digest, u->clone_url, strlen(u->clone_url));
	strbuf_addf(&key, "git-%.40s", digest + 7);
	r = remote_cache_path(&dir, c, "git");
	if (r)
		goto out;
	strbuf_addf(&dir, "/%.40s.git", digest + 7);

	/* From the cache: a pinned commit, a commit id, or (offline) a ref fetched before. */
	if (!git_repository_open_bare(&repo, dir.buf)) {
		if (pin) {
			have = !resolve_local(repo, pin->resolved, sha);
			kind = REF_COMMIT;
		} else {
			/*
			 * Without a pin a tag or a commit id comes from the cache
			 * (tags are not expected to move; the lock is what
			 * guarantees it), a branch only when offline.
			 */
			have = !resolve_cached(repo, u->ref, sha, &kind) &&
			       (c->offline || kind == REF_COMMIT || (kind == REF_TAG && !c->relock));
		}
	}
	git_error_clear();
	if (!have) {
		if (c->offline) {
			r = err_set(ERR_NOTFOUND, "%s: %s at '%s' is not in the cache, and --offline forbids fetching it",
				    what, u->clone_url, *u->ref ? u->ref : "HEAD");
			goto out;
		}
		strbuf_addstr(&url, u->clone_url);
		if (!strncasecmp(url.buf, "http://", 7) || !strncasecmp(url.buf, "https://", 8)) {
			/* Follow and check redirects ourselves, then give libgit2 the final URL. */
			struct strbuf probe = STRBUF_INIT, final = STRBUF_INIT;
			const char *suffix = "/info/refs?service=git-upload-pack";

			strbuf_addf(&probe, "%s%s", url.buf, suffix);
			r = remote_http_final_url(&final, c, probe.buf, what);
			if (!r && final.len > strlen(suffix) &&
			    !strcmp(final.buf + final.len - strlen(suffix), suffix)) {
				strbuf_reset(&url);
				strbuf_add(&url, final.buf, final.len - strlen(suffix));
			}
			strbuf_release(&probe);
			strbuf_release(&final);
			if (r)
				goto out;
		}
		git_repository_free(repo);
		repo = NULL;
		r = remote_cache_lock(c, key.buf, &fd);
		if (!r)
			r = open_cache_repo(&repo, dir.buf);
		if (!r)
			r = fetch_ref(c, repo, url.buf, u, what, sha, &kind);
		remote_cache_unlock(fd);
		fd = -1;
		if (r)
			goto out;
		if (pin && strcmp(pin->resolved, sha)) {
			r = err_set(ERR_VERIFY, "%s: %s at '%s' is commit %s, but hoist.lock pins %s (lock mismatch: check the change and run `hoist lock`)",
				    what, u->clone_url, u->ref, sha, pin->resolved);
			goto out;
		}
		remote_cache_trim(c);
	}
	floating = !pin && (kind == REF_BRANCH || kind == REF_HEAD);
	if (floating && !c->allow_floating && !c->relock) {
		r = err_set(ERR_INVALID, "%s: '%s' of %s is a floating ref (%s) and hoist.lock does not pin it: run `hoist lock`, or pass --allow-floating",
			    what, *u->ref ? u->ref : "HEAD", u->clone_url,
			    kind == REF_HEAD ? "the default branch" : "a branch");
		goto out;
	}
	if (floating)
		c->used_floating = true;
	remote_ctx_add_pin(c, REMOTE_GIT, u->clone_url, u->ref, sha);
	git_repository_free(repo);
	repo = NULL;
	r = src_tree_open_git(out, dir.buf, sha);
out:
	remote_cache_unlock(fd);
	git_repository_free(repo);
	strbuf_release(&dir);
	strbuf_release(&url);
	strbuf_release(&key);
	return r;
}
