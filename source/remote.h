/*
 * remote.h - sources outside the commit: Git repositories and HTTP(S)
 * files that a kustomization names, fetched, pinned, cached and
 * allow-listed (docs/remote.md).
 *
 * A render that meets a remote input asks this layer for it:
 *   - remote_allowed() first: the host must be on the allow-list (the
 *     command's --allow-remote, hoist.yaml `remoteSources.allow`, capped by
 *     the Git server's `git config hoist.allowRemote` when that is set);
 *     every redirect is checked again;
 *   - hoist.lock (at the root of the tree being rendered) pins each input to
 *     a commit or a sha256; a pinned input found in the cache is used
 *     without the network, a fetched one must resolve to its pin (else
 *     ERR_VERIFY, "lock mismatch");
 *   - without a pin, a floating ref (a branch, the default branch, an HTTP
 *     file) is refused unless the command allows it;
 *   - the cache ($HOIST_CACHE_DIR, default ~/.cache/hoist) is content
 *     addressed: Git objects in one bare repository per remote (its objects
 *     are named by their hashes), HTTP files by sha256; writers take a lock
 *     file and publish with an atomic rename, so concurrent hooks share it;
 *   - every input used is recorded as a pin (remote_ctx.pins), for the
 *     artifact's provenance and for `hoist lock`.
 *
 * Nothing here runs the git binary: Git goes through libgit2, HTTP through
 * core/http.c (libcurl).
 */
#ifndef HOIST_REMOTE_H
#define HOIST_REMOTE_H

#include "core/compat.h"

struct strbuf;
struct src_tree;
struct config;
struct repo;

enum remote_kind {
	REMOTE_GIT,   /* a Git repository at a ref: pinned by commit */
	REMOTE_HTTP,  /* an HTTP(S) file: pinned by sha256 */
	REMOTE_CHART, /* a chart of a Helm repository, ref "NAME@VERSION": pinned by the archive's sha256 */
};

/* One remote input, as recorded in hoist.lock and the artifact's hoist.json. */
struct remote_pin {
	enum remote_kind kind;
	char *url;      /* git: the repository URL fetched; http: the file URL; chart: the repository */
	char *ref;      /* git: the ref asked for ("" for the default branch); http: ""; chart: NAME@VERSION */
	char *resolved; /* git: the 40-hex commit; http, chart: "sha256:<hex>" */
};

struct remote_list {
	char **v;
	size_t n;
};

struct remote_cred {
	char *host;     /* "host" or "host:port" */
	char *user, *password;
};

struct remote_ctx {
	struct remote_list allow_flags;  /* --allow-remote */
	struct remote_list allow_config; /* hoist.yaml remoteSources.allow */
	struct remote_list allow_server; /* git config hoist.allowRemote */
	bool have_server;  /* the server's list is set: it caps hoist.yaml's */
	bool offline;      /* --offline: the cache only */
	bool allow_floating; /* --allow-floating: floating refs without a lock */
	bool relock;       /* `hoist lock`: resolve afresh, the lock is being written */
	char *cache_dir;
	size_t max_download; /* bytes per download (HOIST_REMOTE_MAX_BYTES, default 64 MiB) */
	uint64_t cache_max;  /* bytes the cache may hold (HOIST_CACHE_MAX_BYTES, default 2 GiB) */
	long timeout_ms;     /* per fetch (HOIST_REMOTE_TIMEOUT, default 60 s) */

	/* hoist.lock, read from `tree` when the first remote input is met. */
	struct src_tree *tree;
	bool lock_loaded, have_lock;
	struct remote_pin *lock;
	size_t nlock;

	/* What this render used, in order, without repeats. */
	struct remote_pin *pins;
	size_t npins, pins_alloc;
	bool used_floating; /* an input was used without a pin: a later commit may render otherwise */

	struct remote_cred *creds;
	size_t ncreds;
	size_t fetches; /* network fetches made (for tests and `hoist lock`'s report) */
};

/* What a command's REMOTE_OPTIONS gave, for library calls that render. */
struct remote_flags {
	const char *const *allow; /* NULL-terminated, may be NULL */
	bool offline, allow_floating;
};

/*
 * The options every command that renders takes (render, template, publish,
 * ci, diff), for its `struct opt` table; T's fields are `allow_remote`
 * (struct opt_list), `offline` and `allow_floating` (bool).
 */
#define REMOTE_OPTIONS(T)                                                                  \
	{ "allow-remote", OPT_FIELD(T, allow_remote), .arg = "PATTERN",                      \
	  .help = "fetch remote sources from this host (HOST, HOST:PORT, or file); repeatable" }, \
	{ "offline", OPT_FIELD(T, offline),                                                  \
	  .help = "fetch nothing: remote sources come from the cache only" },                \
	{ "allow-floating", OPT_FIELD(T, allow_floating),                                    \
	  .help = "accept remote sources that hoist.lock does not pin (branches, HTTP files)" }

/*
 * Sets defaults from the environment ($HOIST_CACHE_DIR, limits) and, when
 * `cfg` is given, hoist.yaml's remoteSources (allow-list, credentials).
 * `allow` and flags come from the command line.
 */
int remote_ctx_init(struct remote_ctx *c, const struct config *cfg, const char *const *allow,
		    size_t nallow, bool offline, bool allow_floating);
/*
 * remote_ctx_init with the flags of a command and the allow-list of the
 * repository's git config at `repo_path` (NULL: none).
 */
int remote_ctx_init_flags(struct remote_ctx *c, const struct config *cfg,
			  const struct remote_flags *f, const char *repo_path);
/* Reads `git config hoist.allowRemote` (multi-valued) of the server's repository. */
int remote_ctx_server_config(struct remote_ctx *c, const char *repo_path);
/* Forgets the lock and the pins of the previous render (another app, another commit). */
void remote_ctx_reset(struct remote_ctx *c, struct src_tree *tree);
void remote_ctx_release(struct remote_ctx *c);

/*
 * Whether `hostport` ("host", "host:port"; "file" for file:// URLs) may be
 * fetched.  ERR_INVALID naming the input `what` and the way to allow it when
 * not.
 */
int remote_allowed(const struct remote_ctx *c, const char *hostport, const char *what);
/* Whether `hostport` matches one PATTERN (HOST, HOST:PORT, or "file"). */
bool remote_pattern_matches(const char *pattern, const char *hostport);

/* --- URLs --------------------------------------------------------------- */

/*
 * A Git URL as kustomize's repospec reads it: the repository to clone, the
 * path of the kustomization inside it, and the query (?ref= or ?version=,
 * ?timeout=, ?submodules=).
 */
struct remote_git_url {
	char *clone_url; /* what libgit2 fetches: https://host/org/repo.git, git@host:org/repo.git, file:///... */
	char *host;      /* "host" or "host:port", "file" for file:// */
	char *path;      /* inside the repository, normalised; "" for the root */
	char *ref;       /* "" for the default branch */
	long timeout_ms; /* ?timeout=, default 27 s as kustomize */
	bool submodules; /* ?submodules=, default true */
};

/*
 * Whether a `resources:`/`components:` entry names a remote input, and
 * which kind: a Git repository (the URL forms of kustomize's repospec:
 * https://host/org/repo//path?ref=, git@host:org/repo.git//path,
 * github.com/org/repo/path, file:///repo) or an HTTP(S) file (a URL ending
 * in .yaml, .yml or .json and none of the Git markers).
 */
bool remote_is_url(const char *s, enum remote_kind *kind);
/* Parses a Git URL; ERR_INVALID with the reason. */
int remote_git_url_parse(struct remote_git_url *u, const char *s);
void remote_git_url_release(struct remote_git_url *u);
/* The "host[:port]" of an http(s):// URL into `out`; ERR_INVALID when there is none. */
int remote_url_host(struct strbuf *out, const char *url);

/* --- hoist.lock ------------------------------------------------------------ */

#define REMOTE_LOCK_FILE "hoist.lock"

/* Parses hoist.lock; `file` names it in messages (file:line:col). */
int remote_lock_parse(struct remote_pin **out, size_t *n, const char *buf, size_t len,
		      const char *file);
/* The canonical text of a lock holding `pins` (sorted, without repeats). */
void remote_lock_format(struct strbuf *out, const struct remote_pin *pins, size_t n);
void remote_pins_free(struct remote_pin *p, size_t n);
/* Adds a pin to the render's list (a copy; repeats are dropped). */
void remote_ctx_add_pin(struct remote_ctx *c, enum remote_kind kind, const char *url,
			const char *ref, const char *resolved);
/*
 * The lock's pin for an input, loading hoist.lock from c->tree on first use;
 * NULL when there is no lock or no such entry.  With a lock present and no
 * entry, the input is stale: *stale is set (the caller refuses).
 */
int remote_lock_find(struct remote_ctx *c, enum remote_kind kind, const char *url,
		     const char *ref, const struct remote_pin **out, bool *stale);

/* --- fetching ---------------------------------------------------------------- */

/*
 * The tree of a Git input at its pinned or resolved commit, from the cache
 * or fetched with libgit2.  `what` names the input in messages.  The pin is
 * recorded.  *out is freed with src_tree_free.
 */
int remote_git_open(struct src_tree **out, struct remote_ctx *c, const struct remote_git_url *u,
		    const char *what);

/*
 * The bytes of an HTTP(S) file (bounded by c->max_download), from the
 * cache by its pinned sha256 or fetched; each redirect is checked against
 * the allow-list.  The pin is recorded.
 */
int remote_http_get(struct strbuf *out, struct remote_ctx *c, const char *url, const char *what);
/*
 * The same for a file a caller pins itself (a Helm chart archive with the
 * digest its index gives): `want` is "sha256:<hex>" or NULL.  Records no pin.
 */
int remote_http_fetch(struct strbuf *out, struct remote_ctx *c, const char *url,
		      const char *want, const char *what);

/*
 * GETs `url` (following and checking redirects as remote_http_get does)
 * and gives the URL that finally answered 200; the body is dropped.  For
 * Git over HTTP, whose redirects libgit2 is not allowed to follow.
 */
int remote_http_final_url(struct strbuf *final, struct remote_ctx *c, const char *url,
			  const char *what);

/* --- the cache (remote-cache.c) ----------------------------------------------- */

/* "$cache_dir/<sub>" created (0700) when missing. */
int remote_cache_path(struct strbuf *out, const struct remote_ctx *c, const char *sub);
/* Reads the blob stored under "sha256:<hex>"; ERR_NOTFOUND when absent. */
int remote_cache_get(struct strbuf *out, const struct remote_ctx *c, const char *digest,
		     size_t max);
/* Stores a blob under its sha256 (atomic rename); `digest` gets "sha256:<hex>". */
int remote_cache_put(const struct remote_ctx *c, const void *data, size_t len, char *digest);
/*
 * An exclusive lock on "$cache_dir/<name>.lock" (flock), for writers of one
 * entry; *fd is closed by remote_cache_unlock.
 */
int remote_cache_lock(const struct remote_ctx *c, const char *name, int *fd);
void remote_cache_unlock(int fd);
/* Drops the least recently used entries until the cache holds at most c->cache_max bytes. */
void remote_cache_trim(const struct remote_ctx *c);

/* The credentials for a host, or NULL. */
const struct remote_cred *remote_cred_find(const struct remote_ctx *c, const char *hostport);
/* Parses a netrc-style file's text (machine/login/password) into c->creds. */
int remote_netrc_parse(struct remote_ctx *c, const char *buf, size_t len, const char *file);

#endif
