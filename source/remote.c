/*
 * remote.c - the remote-source layer: context, allow-list, kustomize's Git
 * URL forms, hoist.lock and credentials.  Fetching is in remote-git.c and
 * remote-http.c, the cache in remote-cache.c.
 */
#include "core/compat.h"
#include "source/remote.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "source/repo.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <ctype.h>

#define DEFAULT_MAX_DOWNLOAD (64u << 20)
#define DEFAULT_CACHE_MAX (2ull << 30)
#define DEFAULT_TIMEOUT_MS 60000L
/* kustomize's default for ?timeout= (repospec.go: defaultTimeout). */
#define KUSTOMIZE_TIMEOUT_MS 27000L
#define LOCK_MAX (4u << 20)

static void list_add(struct remote_list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

static void list_release(struct remote_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return def;
	x = strtoull(v, &end, 10);
	return *end || !x ? def : (uint64_t)x;
}

static void add_cred(struct remote_ctx *c, const char *host, const char *user, const char *pass)
{
	struct remote_cred *cr;

	c->creds = xrealloc(c->creds, (c->ncreds + 1) * sizeof(*c->creds));
	cr = &c->creds[c->ncreds++];
	cr->host = xstrdup(host);
	cr->user = xstrdup(user ? user : "");
	cr->password = xstrdup(pass ? pass : "");
}

int remote_ctx_init(struct remote_ctx *c, const struct config *cfg, const char *const *allow,
		    size_t nallow, bool offline, bool allow_floating)
{
	struct strbuf netrc = STRBUF_INIT;
	const char *dir = getenv("HOIST_CACHE_DIR"), *home = getenv("HOME");
	const char *netrc_file = getenv("HOIST_NETRC");
	size_t i;
	int r = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < nallow; i++)
		list_add(&c->allow_flags, allow[i]);
	c->offline = offline;
	c->allow_floating = allow_floating;
	if (dir && *dir)
		c->cache_dir = xstrdup(dir);
	else {
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/.cache/hoist", home && *home ? home : "/tmp");
		c->cache_dir = strbuf_detach(&p, NULL);
	}
	c->max_download = (size_t)env_u64("HOIST_REMOTE_MAX_BYTES", DEFAULT_MAX_DOWNLOAD);
	c->cache_max = env_u64("HOIST_CACHE_MAX_BYTES", DEFAULT_CACHE_MAX);
	c->timeout_ms = (long)env_u64("HOIST_REMOTE_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
	if (cfg) {
		const struct config_remote *rc = &cfg->remote;

		for (i = 0; i < rc->allow.n; i++)
			list_add(&c->allow_config, rc->allow.v[i]);
		for (i = 0; i < rc->credentials.n; i++) {
			const struct config_cred *cr = &((const struct config_cred *)rc->credentials.v)[i];
			const char *u = cr->username_env ? getenv(cr->username_env) : NULL;
			const char *p = getenv(cr->password_env);

			if (!p) {
				r = err_set(ERR_AUTH, "%s: remoteSources.credentials for %s: $%s is not set",
					    cfg->file ? cfg->file : CONFIG_FILE, cr->host,
					    cr->password_env);
				goto out;
			}
			add_cred(c, cr->host, u, p);
		}
		if (!netrc_file)
			netrc_file = rc->netrc_file;
	}
	if (netrc_file && *netrc_file) {
		r = strbuf_read_file(&netrc, netrc_file, 1u << 20);
		if (!r)
			r = remote_netrc_parse(c, netrc.buf, netrc.len, netrc_file);
	}
out:
	strbuf_release(&netrc);
	return r;
}

int remote_ctx_init_flags(struct remote_ctx *c, const struct config *cfg,
			  const struct remote_flags *f, const char *repo_path)
{
	size_t n = 0;
	int r;

	while (f && f->allow && f->allow[n])
		n++;
	r = remote_ctx_init(c, cfg, f ? f->allow : NULL, n, f && f->offline,
			    f && f->allow_floating);
	if (!r && repo_path)
		r = remote_ctx_server_config(c, repo_path);
	return r;
}

int remote_ctx_server_config(struct remote_ctx *c, const char *repo_path)
{
	struct repo *rp = NULL;
	struct strbuf v = STRBUF_INIT;
	const char *p, *e;
	int r;

	/*
	 * repo_config_get returns the last value of a multi-valued key; the
	 * list is read whole through libgit2's multivar iterator instead.
	 */
	r = repo_open(&rp, repo_path);
	if (r) {
		err_clear();
		return 0; /* not a repository: no server setting */
	}
	r = repo_config_get_all(rp, "hoist.allowRemote", &v);
	if (r == ERR_NOTFOUND) {
		err_clear();
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	c->have_server = true;
	for (p = v.buf; *p; p = *e ? e + 1 : e) {
		struct strbuf one = STRBUF_INIT;

		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		strbuf_add(&one, p, (size_t)(e - p));
		if (one.len)
			list_add(&c->allow_server, one.buf);
		strbuf_release(&one);
	}
out:
	strbuf_release(&v);
	repo_free(rp);
	return r;
}

void remote_pins_free(struct remote_pin *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].url);
		free(p[i].ref);
		free(p[i].resolved);
	}
	free(p);
}

void remote_ctx_reset(struct remote_ctx *c, struct src_tree *tree)
{
	remote_pins_free(c->lock, c->nlock);
	remote_pins_free(c->pins, c->npins);
	c->lock = c->pins = NULL;
	c->nlock = c->npins = c->pins_alloc = 0;
	c->lock_loaded = c->have_lock = false;
	c->used_floating = false;
	c->tree = tree;
}

void remote_ctx_release(struct remote_ctx *c)
{
	size_t i;

	remote_ctx_reset(c, NULL);
	list_release(&c->allow_flags);
	list_release(&c->allow_config);
	list_release(&c->allow_server);
	for (i = 0; i < c->ncreds; i++) {
		free(c->creds[i].host);
		free(c->creds[i].user);
		free(c->creds[i].password);
	}
	free(c->creds);
	free(c->cache_dir);
	memset(c, 0, sizeof(*c));
}

/* --- the allow-list ------------------------------------------------------- */

/* The host of "host", "host:port", "[v6]:port", lowercased, into `out`. */
static void host_only(char *out, size_t size, const char *hostport)
{
	const char *end;
	size_t n, i;

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		end = end ? end + 1 : hostport + strlen(hostport);
	} else {
		end = strrchr(hostport, ':');
		if (!end)
			end = hostport + strlen(hostport);
	}
	n = (size_t)(end - hostport);
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)hostport[i]);
	out[n] = '\0';
}

bool remote_pattern_matches(const char *pattern, const char *hostport)
{
	char ph[256], hh[256];
	bool pattern_port;

	if (!strcmp(pattern, "file") || !strcmp(hostport, "file"))
		return !strcmp(pattern, hostport);
	host_only(ph, sizeof(ph), pattern);
	host_only(hh, sizeof(hh), hostport);
	if (strcmp(ph, hh))
		return false;
	/* HOST allows any port of the host; HOST:PORT only that port. */
	pattern_port = strlen(pattern) > strlen(ph) && pattern[strlen(ph)] == ':';
	if (!pattern_port)
		return true;
	return !strcasecmp(pattern, hostport);
}

static bool list_matches(const struct remote_list *l, const char *hostport)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (remote_pattern_matches(l->v[i], hostport))
			return true;
	return false;
}

int remote_allowed(const struct remote_ctx *c, const char *hostport, const char *what)
{
	bool ok;

	/*
	 * The command line is the operator's own word.  A pushed hoist.yaml can
	 * only narrow what the server's git config allows, never widen it.
	 */
	if (list_matches(&c->allow_flags, hostport))
		return 0;
	if (c->have_server)
		ok = list_matches(&c->allow_server, hostport) &&
		     (!c->allow_config.n || list_matches(&c->allow_config, hostport));
	else
		ok = list_matches(&c->allow_config, hostport);
	if (ok)
		return 0;
	if (c->have_server && list_matches(&c->allow_config, hostport))
		return err_set(ERR_INVALID,
			       "%s: remote host '%s' is not allowed: hoist.yaml lists it, but the server's `git config hoist.allowRemote` does not",
			       what, hostport);
	return err_set(ERR_INVALID,
		       "%s: remote host '%s' is not allowed (allow it with --allow-remote %s, or hoist.yaml remoteSources.allow)",
		       what, hostport, hostport);
}

/* --- URLs ---------------------------------------------------------------------- */

static bool has_prefix_ci(const char *s, const char *p)
{
	return !strncasecmp(s, p, strlen(p));
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);
	return n >= m && !strncasecmp(s + n - m, suf, m);
}

bool remote_is_url(const char *s, enum remote_kind *kind)
{
	const char *q, *p;
	size_t n;

	*kind = REMOTE_GIT;
	if (has_prefix_ci(s, "git::") || has_prefix_ci(s, "ssh://") ||
	    has_prefix_ci(s, "file://") || has_prefix_ci(s, "git@") ||
	    has_prefix_ci(s, "github.com/") || has_prefix_ci(s, "github.com:"))
		return true;
	if (!has_prefix_ci(s, "https://") && !has_prefix_ci(s, "http://"))
		return false;
	/*
	 * kustomize first GETs an http(s) URL as a file and falls back to Git;
	 * we decide from its shape, so a Git URL never costs a probe: Git's
	 * markers (a query, "//" after the host, ".git", "_git/") make it a
	 * repository, a path ending in .yaml, .yml or .json a file.
	 */
	q = strchr(s, '?');
	n = q ? (size_t)(q - s) : strlen(s);
	p = strstr(s, "://") + 3;
	p += strcspn(p, "/?"); /* the path: a host may well contain ".git" (x.github.io) */
	if (q || strstr(p, "//") || strstr(p, ".git") || strstr(p, "_git/"))
		return true;
	if (ends_with(s, n, ".yaml") || ends_with(s, n, ".yml") || ends_with(s, n, ".json"))
		*kind = REMOTE_HTTP;
	return true;
}

void remote_git_url_release(struct remote_git_url *u)
{
	free(u->clone_url);
	free(u->host);
	free(u->path);
	free(u->ref);
	memset(u, 0, sizeof(*u));
}

/* The value of `key` in a query string, percent-decoded; NULL when absent. */
static char *query_get(const char *q, const char *key)
{
	size_t kl = strlen(key);
	const char *p = q;

	while (p && *p) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			struct strbuf v = STRBUF_INIT;
			size_t i;

			for (i = kl + 1; i < n; i++) {
				if (p[i] == '%' && i + 2 < n + 1 && isxdigit((unsigned char)p[i + 1]) &&
				    isxdigit((unsigned char)p[i + 2])) {
					char h[3] = { p[i + 1], p[i + 2], 0 };
					strbuf_addch(&v, (int)strtol(h, NULL, 16));
					i += 2;
				} else {
					strbuf_addch(&v, p[i] == '+' ? ' ' : p[i]);
				}
			}
			return strbuf_detach(&v, NULL);
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

/* A Go duration ("90s", "1m30s", "500ms") or whole seconds ("61"), as kustomize reads ?timeout=. */
static bool parse_timeout(const char *s, long *ms)
{
	double total = 0;
	const char *p = s;

	if (!*s)
		return false;
	if (strspn(s, "0123456789") == strlen(s)) {
		long v = strtol(s, NULL, 10);
		if (v <= 0 || v > 86400)
			return false;
		*ms = v * 1000;
		return true;
	}
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		double unit;

		if (end == p || v < 0)
			return false;
		p = end;
		if (!strncmp(p, "ms", 2))
			unit = 1, p += 2;
		else if (*p == 's')
			unit = 1000, p++;
		else if (*p == 'm')
			unit = 60000, p++;
		else if (*p == 'h')
			unit = 3600000, p++;
		else
			return false;
		total += v * unit;
	}
	if (total <= 0 || total > 86400000.0)
		return false;
	*ms = (long)total;
	return true;
}

/* Go's strconv.ParseBool. */
static int parse_go_bool(const char *s, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (!strcmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int remote_url_host(struct strbuf *out, const char *url)
{
	const char *p = strstr(url, "://"), *e, *at;

	strbuf_reset(out);
	if (!p)
		return err_set(ERR_INVALID, "'%s': not a URL", url);
	if (!strncasecmp(url, "file://", 7)) {
		strbuf_addstr(out, "file");
		return 0;
	}
	p += 3;
	e = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(e - p));
	if (at)
		p = at + 1;
	if (e == p)
		return err_set(ERR_INVALID, "'%s': the URL has no host", url);
	strbuf_add(out, p, (size_t)(e - p));
	return 0;
}

int remote_git_url_parse(struct remote_git_url *u, const char *in)
{
	struct strbuf scheme = STRBUF_INIT, user = STRBUF_INIT, host = STRBUF_INIT,
		      repo = STRBUF_INIT, root = STRBUF_INIT, s = STRBUF_INIT, norm = STRBUF_INIT;
	const char *q, *n, *m;
	char *v;
	bool github, scp;
	size_t i;
	int r = 0;

	memset(u, 0, sizeof(*u));
	u->timeout_ms = KUSTOMIZE_TIMEOUT_MS;
	u->submodules = true;
	if (in[0] == '/') {
		r = err_set(ERR_INVALID, "'%s': uri looks like an absolute path", in);
		goto out;
	}
	/* The query first: '?' appears nowhere else in these URLs. */
	q = strchr(in, '?');
	strbuf_add(&s, in, q ? (size_t)(q - in) : strlen(in));
	if (q) {
		q++;
		v = query_get(q, "ref");
		if (!v || !*v) {
			free(v);
			v = query_get(q, "version");
		}
		u->ref = v;
		v = query_get(q, "timeout");
		if (v && !parse_timeout(v, &u->timeout_ms))
			u->timeout_ms = KUSTOMIZE_TIMEOUT_MS; /* kustomize ignores a bad value */
		free(v);
		v = query_get(q, "submodules");
		if (v && parse_go_bool(v, &u->submodules))
			u->submodules = true;
		free(v);
	}
	if (!u->ref)
		u->ref = xstrdup("");

	n = s.buf;
	if (has_prefix_ci(n, "git::"))
		n += 5;
	{
		static const char *const schemes[] = { "ssh://", "https://", "http://", "file://" };
		for (i = 0; i < ARRAY_SIZE(schemes); i++)
			if (has_prefix_ci(n, schemes[i])) {
				strbuf_addstr(&scheme, schemes[i]);
				n += strlen(schemes[i]);
				break;
			}
	}
	/* A user name: [a-zA-Z][a-zA-Z0-9-]*@ */
	if (isalpha((unsigned char)n[0])) {
		for (m = n + 1; isalnum((unsigned char)*m) || *m == '-'; m++)
			;
		if (*m == '@') {
			strbuf_add(&user, n, (size_t)(m - n + 1));
			n = m + 1;
		}
	}
	github = has_prefix_ci(n, "github.com/") || has_prefix_ci(n, "github.com:");
	scp = !scheme.len && (user.len || github);
	if (!scheme.len && !scp) {
		r = err_set(ERR_INVALID, "'%s': failed to parse scheme", in);
		goto out;
	}
	if (!strcmp(scheme.buf, "file://")) {
		/* The user part, if any, belongs to the path. */
		strbuf_addstr(&host, "file://");
		strbuf_addbuf(&repo, &user);
		strbuf_addstr(&repo, n);
		strbuf_reset(&user);
	} else {
		const char *slash = strchr(n, '/');
		long sep = slash ? slash - n : -1;

		if (scp) {
			const char *colon = strchr(n, ':');
			if (sep < 0 || (colon && colon > n && colon - n < sep))
				sep = colon ? colon - n : sep;
		}
		if (sep >= 0) {
			strbuf_add(&host, n, (size_t)sep + 1);
			n += sep + 1;
		} else {
			strbuf_addstr(&host, n);
			n += strlen(n);
		}
		if (github) {
			strbuf_reset(&host);
			if (!strncmp(scheme.buf, "ssh://", 6) || user.len) {
				strbuf_reset(&scheme);
				strbuf_addstr(&host, "github.com:");
			} else {
				strbuf_reset(&scheme);
				strbuf_reset(&user);
				strbuf_addstr(&scheme, "https://");
				strbuf_addstr(&host, "github.com/");
			}
		}
		if (!host.len) {
			r = err_set(ERR_INVALID, "'%s': failed to parse host segment", in);
			goto out;
		}
		strbuf_addstr(&repo, n);
	}

	/* Split the repository from the kustomization root: _git/, //, .git, else org/repo. */
	{
		const char *all = repo.buf, *g;
		struct strbuf rp = STRBUF_INIT, kp = STRBUF_INIT;
		bool ok = true;

		if ((g = strstr(all, "_git/"))) {
			const char *seg = g + 5, *e = strchr(seg, '/');
			strbuf_add(&rp, all, (size_t)((e ? e : seg + strlen(seg)) - all));
			if (e)
				strbuf_addstr(&kp, e + 1);
		} else if ((g = strstr(all, "//"))) {
			strbuf_add(&rp, all, (size_t)(g - all));
			strbuf_addstr(&kp, g + 2);
		} else if ((g = strstr(all, ".git"))) {
			strbuf_add(&rp, all, (size_t)(g + 4 - all));
			strbuf_addstr(&kp, g + 4);
		} else if (!strcmp(host.buf, "file://")) {
			strbuf_addstr(&rp, all);
		} else {
			const char *a = strchr(all, '/');
			const char *b = a ? strchr(a + 1, '/') : NULL;
			if (!a)
				ok = false;
			else if (b) {
				strbuf_add(&rp, all, (size_t)(b - all));
				strbuf_addstr(&kp, b + 1);
			} else {
				strbuf_addstr(&rp, all);
			}
		}
		if (!ok || !rp.len) {
			strbuf_release(&rp);
			strbuf_release(&kp);
			r = err_set(ERR_INVALID, "'%s': failed to parse repo path segment", in);
			goto out;
		}
		while (kp.len && kp.buf[0] == '/') {
			memmove(kp.buf, kp.buf + 1, kp.len);
			kp.len--;
		}
		if (src_path_normalize(&norm, kp.buf)) {
			strbuf_release(&rp);
			strbuf_release(&kp);
			err_clear();
			r = err_set(ERR_INVALID, "'%s': url path exits repo", in);
			goto out;
		}
		strbuf_reset(&repo);
		strbuf_addbuf(&repo, &rp);
		strbuf_release(&rp);
		strbuf_release(&kp);
	}

	strbuf_reset(&s);
	strbuf_addf(&s, "%s%s%s%s", scheme.buf, user.buf, host.buf, repo.buf);
	if (!strcmp(host.buf, "file://")) {
		strbuf_reset(&s);
		strbuf_addf(&s, "file://%s", repo.buf);
		u->host = xstrdup("file");
	} else {
		/* The host part as the allow-list names it: no user, no trailing separator. */
		strbuf_setlen(&host, host.len - (host.len && (host.buf[host.len - 1] == '/' ||
							      host.buf[host.len - 1] == ':')));
		for (i = 0; i < host.len; i++)
			host.buf[i] = (char)tolower((unsigned char)host.buf[i]);
		if (!host.len) {
			r = err_set(ERR_INVALID, "'%s': failed to parse host segment", in);
			goto out;
		}
		u->host = xstrdup(host.buf);
	}
	u->clone_url = strbuf_detach(&s, NULL);
	u->path = strbuf_detach(&norm, NULL);
out:
	if (r) {
		free(u->ref);
		u->ref = NULL;
	}
	strbuf_release(&scheme);
	strbuf_release(&user);
	strbuf_release(&host);
	strbuf_release(&repo);
	strbuf_release(&root);
	strbuf_release(&s);
	strbuf_release(&norm);
	return r;
}

/* --- pins and hoist.lock -------------------------------------------------------- */

static const char *kind_name(enum remote_kind k)
{
	return k == REMOTE_GIT ? "git" : k == REMOTE_HTTP ? "http" : "chart";
}

void remote_ctx_add_pin(struct remote_ctx *c, enum remote_kind kind, const char *url,
			const char *ref, const char *resolved)
{
	struct remote_pin *p;
	size_t i;

	for (i = 0; i < c->npins; i++)
		if (c->pins[i].kind == kind && !strcmp(c->pins[i].url, url) &&
		    !strcmp(c->pins[i].ref, ref))
			return;
	ALLOC_GROW(c->pins, c->npins + 1, c->pins_alloc);
	p = &c->pins[c->npins++];
	p->kind = kind;
	p->url = xstrdup(url);
	p->ref = xstrdup(ref);
	p->resolved = xstrdup(resolved);
}

static int pin_cmp(const void *a, const void *b)
{
	const struct remote_pin *x = a, *y = b;
	int c = strcmp(x->url, y->url);

	if (!c)
		c = strcmp(x->ref, y->ref);
	if (!c)
		c = (int)x->kind - (int)y->kind;
	return c;
}

static void add_yaml_str(struct strbuf *out, const char *s)
{
	/* Double-quoted JSON strings are valid YAML and need no other escaping rules. */
	strbuf_add_json_str(out, s, strlen(s));
}

void remote_lock_format(struct strbuf *out, const struct remote_pin *pins, size_t n)
{
	struct remote_pin *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t i;

	memcpy(v, pins, n * sizeof(*v));
	qsort(v, n, sizeof(*v), pin_cmp);
	strbuf_addstr(out, "# hoist.lock: the remote inputs of this repository, pinned.\n"
			   "# Written by `hoist lock`; commit it.  See docs/remote.md.\n"
			   "apiVersion: hoist.dev/v1alpha1\n"
			   "kind: Lock\n"
			   "sources:");
	if (!n)
		strbuf_addstr(out, " []");
	strbuf_addch(out, '\n');
	for (i = 0; i < n; i++) {
		if (i && !pin_cmp(&v[i - 1], &v[i]))
			continue;
		strbuf_addf(out, "- kind: %s\n  url: ", kind_name(v[i].kind));
		add_yaml_str(out, v[i].url);
		if (v[i].kind == REMOTE_GIT) {
			strbuf_addstr(out, "\n  ref: ");
			add_yaml_str(out, v[i].ref);
			strbuf_addf(out, "\n  commit: %s\n", v[i].resolved);
		} else if (v[i].kind == REMOTE_CHART) {
			strbuf_addstr(out, "\n  ref: ");
			add_yaml_str(out, v[i].ref);
			strbuf_addf(out, "\n  digest: %s\n", v[i].resolved);
		} else {
			strbuf_addf(out, "\n  digest: %s\n", v[i].resolved);
		}
	}
	free(v);
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

int remote_lock_parse(struct remote_pin **out, size_t *n, const char *buf, size_t len,
		      const char *file)
{
	static const char *const keys[] = { "kind", "url", "ref", "commit", "digest" };
	struct doc_stream *st = NULL;
	const struct doc_node *top, *src;
	struct remote_pin *v = NULL;
	size_t nv = 0, i, k, j;
	char where[512];
	int r;

	*out = NULL;
	*n = 0;
	r = doc_parse(&st, buf, len, file, NULL);
	if (r)
		return r;
	if (st->ndocs != 1 || st->docs[0]->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: a lock file is one mapping", file);
		goto out;
	}
	top = st->docs[0];
	for (i = 0; i < top->n; i++) {
		const struct doc_node *key = top->kids[2 * i];
		if (key->kind != DOC_SCALAR || (strcmp(key->str, "apiVersion") &&
						strcmp(key->str, "kind") && strcmp(key->str, "sources"))) {
			r = err_set(ERR_INVALID, "%s: unknown key in %s",
				    doc_where(key, where, sizeof(where)), file);
			goto out;
		}
	}
	if (!doc_get_str(top, "apiVersion", NULL) ||
	    strcmp(doc_get_str(top, "apiVersion", NULL), "hoist.dev/v1alpha1") ||
	    !doc_get_str(top, "kind", NULL) || strcmp(doc_get_str(top, "kind", NULL), "Lock")) {
		r = err_set(ERR_INVALID, "%s: not a hoist lock (apiVersion hoist.dev/v1alpha1, kind Lock)",
			    doc_where(top, where, sizeof(where)));
		goto out;
	}
	src = doc_map_get(top, "sources");
	if (!src || src->kind != DOC_SEQ) {
		r = err_set(ERR_INVALID, "%s: sources must be a list",
			    doc_where(src ? src : top, where, sizeof(where)));
		goto out;
	}
	v = xcalloc(src->n ? src->n : 1, sizeof(*v));
	for (i = 0; i < src->n; i++) {
		const struct doc_node *e = src->kids[i];
		const char *kind, *url, *ref, *res;
		struct remote_pin *p = &v[nv];

		if (e->kind != DOC_MAP) {
			r = err_set(ERR_INVALID, "%s: a source must be a mapping",
				    doc_where(e, where, sizeof(where)));
			goto out;
		}
		for (k = 0; k < e->n; k++) {
			const struct doc_node *key = e->kids[2 * k];
			for (j = 0; j < ARRAY_SIZE(keys); j++)
				if (key->kind == DOC_SCALAR && !strcmp(key->str, keys[j]))
					break;
			if (j == ARRAY_SIZE(keys) || e->kids[2 * k + 1]->kind != DOC_SCALAR) {
				r = err_set(ERR_INVALID, "%s: unknown key or a value that is not a string",
					    doc_where(key, where, sizeof(where)));
				goto out;
			}
		}
		kind = doc_get_str(e, "kind", NULL);
		url = doc_get_str(e, "url", NULL);
		if (!kind || (strcmp(kind, "git") && strcmp(kind, "http") && strcmp(kind, "chart")) ||
		    !url || !*url) {
			r = err_set(ERR_INVALID, "%s: a source needs kind (git, http or chart) and url",
				    doc_where(e, where, sizeof(where)));
			goto out;
		}
		if (!strcmp(kind, "git")) {
			ref = doc_get_str(e, "ref", NULL);
			res = doc_get_str(e, "commit", NULL);
			if (!res || !is_hex(res, 40) || doc_map_get(e, "digest")) {
				r = err_set(ERR_INVALID, "%s: a git source needs commit: a 40-hex commit id",
					    doc_where(e, where, sizeof(where)));
				goto out;
			}
			p->kind = REMOTE_GIT;
		} else if (!strcmp(kind, "chart")) {
			ref = doc_get_str(e, "ref", NULL);
			res = doc_get_str(e, "digest", NULL);
			if (!ref || !strchr(ref, '@') || !res || strncmp(res, "sha256:", 7) ||
			    !is_hex(res + 7, 64) || doc_map_get(e, "commit")) {
				r = err_set(ERR_INVALID, "%s: a chart source needs ref: NAME@VERSION and digest: sha256:<64 hex>",
					    doc_where(e, where, sizeof(where)));
				goto out;
			}
			p->kind = REMOTE_CHART;
		} else {
			ref = "";
			res = doc_get_str(e, "digest", NULL);
			if (!res || strncmp(res, "sha256:", 7) || !is_hex(res + 7, 64) ||
			    doc_map_get(e, "commit") || doc_map_get(e, "ref")) {
				r = err_set(ERR_INVALID, "%s: an http source needs digest: sha256:<64 hex>",
					    doc_where(e, where, sizeof(where)));
				goto out;
			}
			p->kind = REMOTE_HTTP;
		}
		p->url = xstrdup(url);
		p->ref = xstrdup(ref ? ref : "");
		p->resolved = xstrdup(res);
		nv++;
		for (j = 0; j + 1 < nv; j++)
			if (!pin_cmp(&v[j], p)) {
				r = err_set(ERR_INVALID, "%s: %s is pinned twice",
					    doc_where(e, where, sizeof(where)), url);
				goto out;
			}
	}
	*out = v;
	*n = nv;
	v = NULL;
	nv = 0;
out:
	remote_pins_free(v, nv);
	doc_stream_free(st);
	return r;
}

int remote_lock_find(struct remote_ctx *c, enum remote_kind kind, const char *url,
		     const char *ref, const struct remote_pin **out, bool *stale)
{
	size_t i;
	int r;

	*out = NULL;
	*stale = false;
	if (!c->lock_loaded && c->tree) {
		struct strbuf buf = STRBUF_INIT;
		char where[512];

		c->lock_loaded = true;
		r = src_tree_read(c->tree, REMOTE_LOCK_FILE, &buf, LOCK_MAX);
		if (r == ERR_NOTFOUND) {
			err_clear();
		} else if (r) {
			strbuf_release(&buf);
			return r;
		} else {
			src_tree_where(c->tree, REMOTE_LOCK_FILE, where, sizeof(where));
			r = remote_lock_parse(&c->lock, &c->nlock, buf.buf, buf.len, where);
			strbuf_release(&buf);
			if (r)
				return r;
			c->have_lock = true;
		}
	}
	if (c->relock || !c->have_lock)
		return 0;
	for (i = 0; i < c->nlock; i++)
		if (c->lock[i].kind == kind && !strcmp(c->lock[i].url, url) &&
		    !strcmp(c->lock[i].ref, ref)) {
			*out = &c->lock[i];
			return 0;
		}
	*stale = true;
	return 0;
}

/* --- credentials ------------------------------------------------------------------ */

const struct remote_cred *remote_cred_find(const struct remote_ctx *c, const char *hostport)
{
	size_t i;

	/* An exact host:port entry first, then the host alone. */
	for (i = 0; i < c->ncreds; i++)
		if (!strcasecmp(c->creds[i].host, hostport))
			return &c->creds[i];
	for (i = 0; i < c->ncreds; i++)
		if (!strchr(c->creds[i].host, ':') && remote_pattern_matches(c->creds[i].host, hostport))
			return &c->creds[i];
	return NULL;
}

/* The next whitespace-separated token of a netrc text. */
static const char *netrc_token(const char **p, const char *end, size_t *n)
{
	const char *s = *p;

	while (s < end && (isspace((unsigned char)*s) || *s == '#')) {
		if (*s == '#') /* a comment runs to the end of the line */
			while (s < end && *s != '\n')
				s++;
		else
			s++;
	}
	if (s >= end) {
		*p = s;
		return NULL;
	}
	*p = s;
	while (*p < end && !isspace((unsigned char)**p))
		(*p)++;
	*n = (size_t)(*p - s);
	return s;
}

int remote_netrc_parse(struct remote_ctx *c, const char *buf, size_t len, const char *file)
{
	const char *p = buf, *end = buf + len, *t;
	char *machine = NULL, *login = NULL, *password = NULL;
	size_t n;
	int r = 0;

	for (;;) {
		t = netrc_token(&p, end, &n);
		if (!t || (n == 7 && !strncmp(t, "machine", 7)) || (n == 7 && !strncmp(t, "default", 7))) {
			if (machine && password)
				add_cred(c, machine, login, password);
			free(machine);
			free(login);
			free(password);
			machine = login = password = NULL;
			if (!t)
				break;
			if (n == 7 && !strncmp(t, "machine", 7)) {
				const char *m = netrc_token(&p, end, &n);
				if (!m) {
					r = err_set(ERR_INVALID, "%s: 'machine' without a host", file);
					break;
				}
				machine = xstrndup(m, n);
			}
			continue;
		}
		if ((n == 5 && !strncmp(t, "login", 5)) || (n == 8 && !strncmp(t, "password", 8)) ||
		    (n == 7 && !strncmp(t, "account", 7))) {
			bool is_login = n == 5, is_pass = n == 8;
			const char *v = netrc_token(&p, end, &n);
			if (!v) {
				r = err_set(ERR_INVALID, "%s: a value is missing at the end", file);
				break;
			}
			if (is_login) {
				free(login);
				login = xstrndup(v, n);
			} else if (is_pass) {
				free(password);
				password = xstrndup(v, n);
			}
			continue;
		}
		if (n == 6 && !strncmp(t, "macdef", 6)) {
			/* A macro runs to the next empty line: skipped. */
			const char *e = memmem(p, (size_t)(end - p), "\n\n", 2);
			p = e && e < end ? e : end;
			continue;
		}
		r = err_set(ERR_INVALID, "%s: unknown netrc token '%.*s'", file, (int)(n > 40 ? 40 : n), t);
		break;
	}
	free(machine);
	free(login);
	free(password);
	return r;
}
