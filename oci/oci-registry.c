#include "core/compat.h"
#include "oci/oci-registry.h"
#include "oci/oci-auth.h"
#include "oci/oci-ref.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/term.h"

#define REG_ERROR_BODY_MAX (64u << 10)
#define REG_TAGS_PAGE_MAX (4u << 20)
#define REG_TAGS_PAGES_MAX 100
#define MANIFEST_ACCEPT                                                              \
	"Accept: " OCI_MEDIA_MANIFEST ", " OCI_MEDIA_DOCKER_MANIFEST

enum reg_auth { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct oci_registry {
	struct oci_store base;
	char *host, *repo;
	char *base_url; /* "https://host" */
	bool insecure;
	struct oci_cred cred;
	enum reg_auth auth;
	char *token;
	struct strbuf scopes; /* space-separated scopes the token was asked for */
	int (*redirect_check)(void *arg, const char *url);
	void *redirect_arg;
};

#define REG_MAX_REDIRECTS 5

/* One request, as the registry code describes it. */
struct reg_req {
	const char *method;
	const char *url;
	const char *accept_or_type; /* one extra header line, may be NULL */
	const void *body;
	size_t body_len;
	size_t limit;
	bool retry;
	struct progress *progress; /* large blobs, on a terminal */
};

/* Blobs smaller than this transfer without a progress line. */
#define PROGRESS_MIN_BYTES (1u << 20)

static bool url_allows_plain(const struct oci_registry *reg, const char *url)
{
	const char *p;
	char host[256];
	size_t n;

	if (reg->insecure)
		return true;
	if (strncmp(url, "http://", 7))
		return false;
	p = url + 7;
	n = strcspn(p, "/?#");
	if (n >= sizeof(host))
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	return http_host_is_loopback(host);
}

/* Whether `url` is on the registry itself (credentials may go there). */
static bool url_is_registry(const struct oci_registry *reg, const char *url)
{
	size_t n = strlen(reg->base_url);

	return !strncmp(url, reg->base_url, n) && (url[n] == '/' || !url[n]);
}

static bool scopes_have(const struct strbuf *scopes, const char *scope)
{
	const char *p = scopes->buf;
	size_t n = strlen(scope);

	while ((p = strstr(p, scope))) {
		if ((p == scopes->buf || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static int auth_from_challenge(struct oci_registry *reg, const struct http_response *res)
{
	struct oci_challenge ch = { 0 };
	struct strbuf hdr = STRBUF_INIT;
	char *token = NULL;
	int r;

	if (http_header_get(res, "www-authenticate", &hdr)) {
		r = err_set(ERR_AUTH, "registry %s: 401 without a WWW-Authenticate challenge",
			    reg->host);
		goto out;
	}
	r = oci_challenge_parse(&ch, hdr.buf);
	if (r) {
		r = err_prefix(ERR_AUTH, "registry %s", reg->host);
		goto out;
	}
	if (!strcmp(ch.scheme, "basic")) {
		if (!reg->cred.user) {
			r = err_set(ERR_AUTH,
				    "registry %s: authentication required (401); set HOIST_REGISTRY_USER and HOIST_REGISTRY_PASSWORD or log in with docker",
				    reg->host);
			goto out;
		}
		reg->auth = AUTH_BASIC;
		goto out;
	}
	if (strcmp(ch.scheme, "bearer")) {
		r = err_set(ERR_AUTH, "registry %s: unsupported authentication scheme '%s'",
			    reg->host, ch.scheme);
		goto out;
	}
	if (ch.scope && !scopes_have(&reg->scopes, ch.scope)) {
		if (reg->scopes.len)
			strbuf_addch(&reg->scopes, ' ');
		strbuf_addstr(&reg->scopes, ch.scope);
	}
	r = oci_token_fetch(&token, &ch, reg->scopes.buf, &reg->cred, reg->host, reg->insecure);
	if (r)
		goto out;
	free(reg->token);
	reg->token = token;
	reg->auth = AUTH_BEARER;
out:
	oci_challenge_release(&ch);
	strbuf_release(&hdr);
	return r;
}

/*
 * Sends a request, answering at most one authentication challenge (two when
 * a bearer token needs a wider scope).  Any HTTP status comes back as 0 with
 * res->status set, except 401/403, which become ERR_AUTH here.
 */
/*
 * A redirect the client follows itself (reg->redirect_check set): the next
 * URL into `cur`, checked.  Credentials follow only to the registry's own
 * URLs (url_is_registry), as with libcurl following.
 */
static int reg_redirect(struct oci_registry *reg, const struct http_response *res,
			struct strbuf *cur, int *hops)
{
	struct strbuf loc = STRBUF_INIT, next = STRBUF_INIT;
	int r = 0;

	if (++*hops > REG_MAX_REDIRECTS) {
		r = err_set(ERR_INVALID, "registry %s: %s: more than %d redirects", reg->host,
			    cur->buf, REG_MAX_REDIRECTS);
		goto out;
	}
	if (http_header_get(res, "location", &loc)) {
		r = err_set(ERR_INVALID, "registry %s: %s: a redirect without a Location", reg->host,
			    cur->buf);
		goto out;
	}
	http_location_resolve(&next, cur->buf, loc.buf);
	if (strncasecmp(next.buf, "https://", 8) &&
	    (strncasecmp(next.buf, "http://", 7) || !strncasecmp(cur->buf, "https://", 8))) {
		r = err_set(ERR_INVALID, "registry %s: %s redirects to %s: only https, or http from http",
			    reg->host, cur->buf, next.buf);
		goto out;
	}
	r = reg->redirect_check(reg->redirect_arg, next.buf);
	if (r) {
		err_prefix(r, "registry %s: %s redirects to %s", reg->host, cur->buf, next.buf);
		goto out;
	}
	log_debug("redirect to %s", next.buf);
	strbuf_reset(cur);
	strbuf_addbuf(cur, &next);
out:
	strbuf_release(&loc);
	strbuf_release(&next);
	return r;
}

static int reg_send(struct oci_registry *reg, struct http_response *res, const struct reg_req *rq)
{
	struct strbuf auth = STRBUF_INIT, cur = STRBUF_INIT;
	struct http_request req = { 0 };
	const char *hdrs[3];
	int attempt, hops = 0, r = 0;

	strbuf_addstr(&cur, rq->url);
	for (attempt = 0; attempt < 3; attempt++) {
		size_t nh = 0;
		bool sent_auth = false;

		strbuf_reset(&auth);
		if (rq->accept_or_type)
			hdrs[nh++] = rq->accept_or_type;
		if (url_is_registry(reg, cur.buf)) {
			if (reg->auth == AUTH_BASIC) {
				oci_auth_basic_header(&auth, &reg->cred);
				hdrs[nh++] = auth.buf;
				sent_auth = true;
			} else if (reg->auth == AUTH_BEARER) {
				strbuf_addf(&auth, "Authorization: Bearer %s", reg->token);
				hdrs[nh++] = auth.buf;
				sent_auth = true;
			}
		}
		hdrs[nh] = NULL;
		req.method = rq->method;
		req.url = cur.buf;
		req.headers = hdrs;
		req.body = rq->body;
		req.body_len = rq->body_len;
		req.limit = rq->limit ? rq->limit : REG_ERROR_BODY_MAX;
		req.allow_plain = url_allows_plain(reg, cur.buf) ||
				  (reg->redirect_check && hops && !strncasecmp(cur.buf, "http://", 7));
		req.retry = rq->retry;
		req.progress = rq->progress;
		req.no_redirects = reg->redirect_check != NULL;
		log_debug("%s %s", rq->method, cur.buf);
		r = http_do(res, &req);
		if (r)
			goto out;
		if (reg->redirect_check && res->status >= 300 && res->status < 400 &&
		    res->status != 304) {
			r = reg_redirect(reg, res, &cur, &hops);
			if (r)
				goto out;
			attempt--; /* a hop is not an authentication attempt */
			continue;
		}
		if (res->status == 403) {
			r = err_set(ERR_AUTH, "registry %s: access to %s denied (403)%s%s%s",
				    reg->host, reg->repo, reg->cred.user ? " for user '" : "",
				    reg->cred.user ? reg->cred.user : "", reg->cred.user ? "'" : "");
			goto out;
		}
		if (res->status != 401)
			goto out;
		if (sent_auth && (reg->auth == AUTH_BASIC || attempt >= 1)) {
			if (reg->cred.user)
				r = err_set(ERR_AUTH,
					    "registry %s: authentication failed (401) for user '%s'",
					    reg->host, reg->cred.user);
			else
				r = err_set(ERR_AUTH,
					    "registry %s: anonymous access refused (401); set HOIST_REGISTRY_USER and HOIST_REGISTRY_PASSWORD or log in with docker",
					    reg->host);
			goto out;
		}
		r = auth_from_challenge(reg, res);
		if (r)
			goto out;
	}
	r = err_set(ERR_AUTH, "registry %s: authentication failed (401)", reg->host);
out:
	if (auth.len)
		memset(auth.buf, 0, auth.len);
	strbuf_release(&auth);
	strbuf_release(&cur);
	return r;
}

/* A one-line message for an unexpected status, with the registry's own error code. */
static int reg_status_error(const struct oci_registry *reg, const struct http_response *res,
			    const char *what)
{
	struct doc_stream *st = NULL;
	const struct doc_node *errs;
	const char *code = NULL, *msg = NULL;
	int r = res->status == 404 ? ERR_NOTFOUND : ERR_GENERIC;

	if (res->body.len && !doc_parse(&st, res->body.buf, res->body.len, "error", NULL) &&
	    st->ndocs) {
		errs = doc_map_get(st->docs[0], "errors");
		if (errs && errs->kind == DOC_SEQ && errs->n) {
			code = doc_get_str(errs->kids[0], "code", NULL);
			msg = doc_get_str(errs->kids[0], "message", NULL);
		}
	}
	err_set(r, "registry %s: %s: %ld%s%s%s%s", reg->host, what, res->status,
		code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "");
	doc_stream_free(st);
	return r;
}

/* "<base>/v2/<repo>/<path><arg>" */
static void reg_url(struct strbuf *out, const struct oci_registry *reg, const char *path,
		    const char *arg)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s/v2/%s/%s%s", reg->base_url, reg->repo, path, arg);
}

/* Checks Docker-Content-Digest when the registry sends one. */
static int check_content_digest(const struct oci_registry *reg, const struct http_response *res,
				const char *want, const char *what)
{
	struct strbuf got = STRBUF_INIT;
	int r = 0;

	if (!http_header_get(res, "docker-content-digest", &got) && strcmp(got.buf, want))
		r = err_set(ERR_VERIFY, "registry %s: %s: registry says digest %s, expected %s",
			    reg->host, what, got.buf, want);
	strbuf_release(&got);
	return r;
}

static int reg_blob_exists(struct oci_store *s, const char *digest, size_t *size)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, len = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "HEAD" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "blobs/", digest);
	rq.url = url.buf;
	rq.retry = true;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status == 404) {
		r = ERR_NOTFOUND;
		goto out;
	}
	if (res.status != 200) {
		r = reg_status_error(reg, &res, "HEAD blob");
		goto out;
	}
	if (!http_header_get(&res, "content-length", &len)) {
		char *end;
		unsigned long long v = strtoull(len.buf, &end, 10);
		if (!*end && len.len)
			*size = (size_t)v;
	}
out:
	strbuf_release(&url);
	strbuf_release(&len);
	http_response_release(&res);
	return r;
}

/* Resolves a Location header against the registry (absolute or relative). */
static void resolve_location(struct strbuf *out, const struct oci_registry *reg, const char *loc)
{
	strbuf_reset(out);
	if (!strncmp(loc, "https://", 8) || !strncmp(loc, "http://", 7))
		strbuf_addstr(out, loc);
	else if (loc[0] == '/')
		strbuf_addf(out, "%s%s", reg->base_url, loc);
	else
		strbuf_addf(out, "%s/v2/%s/blobs/uploads/%s", reg->base_url, reg->repo, loc);
}

/* The second half of an upload: the blob PUT to the session at `loc`. */
static int upload_finish(struct oci_registry *reg, const char *loc, const char *digest,
			 const void *buf, size_t len)
{
	struct strbuf url = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "PUT" };
	struct progress prog;
	int r;

	http_response_init(&res);
	resolve_location(&url, reg, loc);
	strbuf_addf(&url, "%cdigest=", strchr(url.buf, '?') ? '&' : '?');
	http_urlencode(&url, digest);

	rq.method = "PUT";
	rq.url = url.buf;
	rq.accept_or_type = "Content-Type: application/octet-stream";
	rq.body = buf;
	rq.body_len = len;
	progress_start_bytes(&prog, "uploading", PROGRESS_MIN_BYTES);
	rq.progress = &prog;
	r = reg_send(reg, &res, &rq);
	if (!r)
		progress_stop(&prog);
	else if (prog.last_percent >= 0)
		fputc('\n', stderr);
	if (r)
		goto out;
	if (res.status != 201 && res.status != 204) {
		r = reg_status_error(reg, &res, "uploading a blob");
		if (r == ERR_NOTFOUND)
			r = ERR_GENERIC;
		goto out;
	}
	r = check_content_digest(reg, &res, digest, "blob upload");
out:
	strbuf_release(&url);
	http_response_release(&res);
	return r;
}

static int upload_once(struct oci_registry *reg, const char *digest, const void *buf, size_t len)
{
	struct strbuf url = STRBUF_INIT, loc = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "POST" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "blobs/uploads/", "");
	rq.url = url.buf;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status != 202) {
		r = reg_status_error(reg, &res, "starting a blob upload");
		goto out;
	}
	if (http_header_get(&res, "location", &loc) || !loc.len) {
		r = err_set(ERR_GENERIC, "registry %s: upload started without a Location",
			    reg->host);
		goto out;
	}
	r = upload_finish(reg, loc.buf, digest, buf, len);
out:
	strbuf_release(&url);
	strbuf_release(&loc);
	http_response_release(&res);
	return r;
}

static int reg_blob_put(struct oci_store *s, const char *digest, const void *buf, size_t len)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	int tries = http_retry_max(), i, r = 0;

	/*
	 * An upload session is not idempotent, so a transient failure restarts
	 * the whole POST + PUT rather than repeating one step.
	 */
	for (i = 1; i <= tries; i++) {
		r = upload_once(reg, digest, buf, len);
		if (r != ERR_RETRY)
			break;
	}
	if (!r)
		log_debug("%s: uploaded blob %s (%zu bytes)", s->name, digest, len);
	return r;
}

static int reg_blob_get(struct oci_store *s, struct strbuf *out, const char *digest, size_t max)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, what = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "GET" };
	struct progress prog;
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "blobs/", digest);
	rq.url = url.buf;
	rq.limit = max;
	rq.retry = true;
	progress_start_bytes(&prog, "downloading", PROGRESS_MIN_BYTES);
	rq.progress = &prog;
	r = reg_send(reg, &res, &rq);
	if (!r)
		progress_stop(&prog);
	else if (prog.last_percent >= 0)
		fputc('\n', stderr);
	if (r)
		goto out;
	if (res.status != 200) {
		strbuf_addf(&what, "blob %s", digest);
		r = reg_status_error(reg, &res, what.buf);
		goto out;
	}
	strbuf_addbuf(out, &res.body);
out:
	strbuf_release(&url);
	strbuf_release(&what);
	http_response_release(&res);
	return r;
}

static int reg_blob_mount(struct oci_store *s, const char *digest, const char *from,
			  const void *buf, size_t len, bool *uploaded)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, scope = STRBUF_INIT, loc = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "POST" };
	int r;

	http_response_init(&res);
	strbuf_addf(&scope, "repository:%s:pull", from);
	if (!scopes_have(&reg->scopes, scope.buf)) {
		strbuf_addch(&reg->scopes, ' ');
		strbuf_addbuf(&reg->scopes, &scope);
		if (reg->auth == AUTH_BEARER)
			reg->auth = AUTH_NONE; /* ask again for a token that covers `from` */
	}
	reg_url(&url, reg, "blobs/uploads/?mount=", digest);
	strbuf_addstr(&url, "&from=");
	http_urlencode(&url, from);
	rq.url = url.buf;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status == 201) {
		r = check_content_digest(reg, &res, digest, "blob mount");
		goto out;
	}
	if (res.status == 202 && buf && !http_header_get(&res, "location", &loc) && loc.len) {
		/* Not mounted: the registry opened an upload instead.  Use it. */
		r = upload_finish(reg, loc.buf, digest, buf, len);
		if (!r)
			*uploaded = true;
		goto out;
	}
	if (res.status == 202) {
		/* Not mounted; the registry opened an upload instead.  Cancel it. */
		if (!http_header_get(&res, "location", &loc) && loc.len) {
			struct reg_req del = { "DELETE" };
			resolve_location(&url, reg, loc.buf);
			del.url = url.buf;
			reg_send(reg, &res, &del);
		}
		r = err_set(ERR_NOTFOUND, "registry %s: blob %s could not be mounted from %s",
			    reg->host, digest, from);
		goto out;
	}
	r = reg_status_error(reg, &res, "mounting a blob");
out:
	strbuf_release(&url);
	strbuf_release(&scope);
	strbuf_release(&loc);
	http_response_release(&res);
	return r;
}

static int reg_manifest_put(struct oci_store *s, const char *tag, const char *media_type,
			    const void *buf, size_t len, const char *digest)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, ct = STRBUF_INIT, what = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "PUT" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "manifests/", tag);
	strbuf_addf(&ct, "Content-Type: %s", media_type);
	strbuf_addf(&what, "manifest %s:%s", reg->repo, tag);
	rq.url = url.buf;
	rq.accept_or_type = ct.buf;
	rq.body = buf;
	rq.body_len = len;
	/* Putting the same manifest twice is harmless, so transient failures retry. */
	rq.retry = true;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status != 201 && res.status != 200 && res.status != 204) {
		r = reg_status_error(reg, &res, what.buf);
		if (r == ERR_NOTFOUND)
			r = ERR_GENERIC;
		goto out;
	}
	r = check_content_digest(reg, &res, digest, what.buf);
out:
	strbuf_release(&url);
	strbuf_release(&ct);
	strbuf_release(&what);
	http_response_release(&res);
	return r;
}

static int reg_manifest_get(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
			    const char *ref, char hint[DIGEST_STR_SIZE])
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, what = STRBUF_INIT, h = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "GET" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "manifests/", ref);
	strbuf_addf(&what, "manifest %s%c%s", reg->repo, strchr(ref, ':') ? '@' : ':', ref);
	rq.url = url.buf;
	rq.accept_or_type = MANIFEST_ACCEPT;
	rq.limit = OCI_MANIFEST_MAX;
	rq.retry = true;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status != 200) {
		r = reg_status_error(reg, &res, what.buf);
		goto out;
	}
	if (!http_header_get(&res, "content-type", &h)) {
		size_t n = strcspn(h.buf, ";");
		strbuf_add(media_type, h.buf, n);
	}
	if (!http_header_get(&res, "docker-content-digest", &h) && digest_is_valid(h.buf))
		memcpy(hint, h.buf, DIGEST_STR_SIZE);
	strbuf_addbuf(out, &res.body);
out:
	strbuf_release(&url);
	strbuf_release(&what);
	strbuf_release(&h);
	http_response_release(&res);
	return r;
}

static int reg_resolve(struct oci_store *s, const char *tag, char digest[DIGEST_STR_SIZE])
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, what = STRBUF_INIT, h = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "HEAD" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "manifests/", tag);
	strbuf_addf(&what, "manifest %s:%s", reg->repo, tag);
	rq.url = url.buf;
	rq.accept_or_type = MANIFEST_ACCEPT;
	rq.retry = true;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status != 200) {
		r = reg_status_error(reg, &res, what.buf);
		goto out;
	}
	if (!http_header_get(&res, "docker-content-digest", &h) && digest_is_valid(h.buf)) {
		memcpy(digest, h.buf, DIGEST_STR_SIZE);
	} else {
		/* The header is optional: fetch the manifest and hash it. */
		struct strbuf body = STRBUF_INIT, mt = STRBUF_INIT;
		r = oci_manifest_get(s, &body, &mt, tag, digest);
		strbuf_release(&body);
		strbuf_release(&mt);
	}
out:
	strbuf_release(&url);
	strbuf_release(&what);
	strbuf_release(&h);
	http_response_release(&res);
	return r;
}

/* The next page from a Link header: `</v2/...?n=..&last=..>; rel="next"`. */
static int next_link(struct strbuf *url, const struct oci_registry *reg,
		     const struct http_response *res)
{
	struct strbuf link = STRBUF_INIT;
	const char *lt, *gt;
	int found = 0;

	if (!http_header_get(res, "link", &link) && strstr(link.buf, "rel=\"next\"") &&
	    (lt = strchr(link.buf, '<')) && (gt = strchr(lt, '>'))) {
		char *target = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		resolve_location(url, reg, target);
		free(target);
		found = 1;
	}
	strbuf_release(&link);
	return found;
}

static int reg_tags_list(struct oci_store *s, char ***tags, size_t *ntags)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT;
	struct http_response res;
	struct doc_stream *st = NULL;
	struct reg_req rq = { "GET" };
	size_t alloc = 0, i;
	int page, r = 0;

	http_response_init(&res);
	reg_url(&url, reg, "tags/list", "");
	for (page = 0; page < REG_TAGS_PAGES_MAX; page++) {
		const struct doc_node *list;

		rq.url = url.buf;
		rq.limit = REG_TAGS_PAGE_MAX;
		rq.retry = true;
		r = reg_send(reg, &res, &rq);
		if (r)
			goto out;
		if (res.status != 200) {
			r = reg_status_error(reg, &res, "listing tags");
			goto out;
		}
		doc_stream_free(st);
		st = NULL;
		r = doc_parse(&st, res.body.buf, res.body.len, "tag list", NULL);
		if (r)
			goto out;
		list = st->ndocs ? doc_map_get(st->docs[0], "tags") : NULL;
		for (i = 0; list && list->kind == DOC_SEQ && i < list->n; i++) {
			const char *t = doc_str(list->kids[i]);
			if (!t || !oci_tag_is_valid(t))
				continue;
			ALLOC_GROW(*tags, *ntags + 2, alloc);
			(*tags)[(*ntags)++] = xstrdup(t);
			(*tags)[*ntags] = NULL;
		}
		if (!next_link(&url, reg, &res))
			break;
	}
out:
	doc_stream_free(st);
	strbuf_release(&url);
	http_response_release(&res);
	if (r) {
		oci_tags_free(*tags);
		*tags = NULL;
		*ntags = 0;
	}
	return r;
}

static int reg_tag_delete(struct oci_store *s, const char *tag)
{
	struct oci_registry *reg = (struct oci_registry *)s;
	struct strbuf url = STRBUF_INIT, what = STRBUF_INIT;
	struct http_response res;
	struct reg_req rq = { "DELETE" };
	int r;

	http_response_init(&res);
	reg_url(&url, reg, "manifests/", tag);
	strbuf_addf(&what, "deleting tag %s:%s", reg->repo, tag);
	rq.url = url.buf;
	r = reg_send(reg, &res, &rq);
	if (r)
		goto out;
	if (res.status == 202 || res.status == 200 || res.status == 204)
		goto out;
	r = reg_status_error(reg, &res, what.buf);
	if (res.status == 400 || res.status == 405)
		err_prefix(r, "registry %s does not allow deleting tags", reg->host);
out:
	strbuf_release(&url);
	strbuf_release(&what);
	http_response_release(&res);
	return r;
}

static void reg_free(struct oci_store *s)
{
	struct oci_registry *reg = (struct oci_registry *)s;

	free(reg->base.name);
	free(reg->host);
	free(reg->repo);
	free(reg->base_url);
	oci_cred_release(&reg->cred);
	free(reg->token);
	strbuf_release(&reg->scopes);
	free(reg);
}

static const struct oci_store_ops registry_ops = {
	.kind = "registry",
	.blob_exists = reg_blob_exists,
	.blob_put = reg_blob_put,
	.blob_get = reg_blob_get,
	.blob_mount = reg_blob_mount,
	.manifest_put = reg_manifest_put,
	.manifest_get = reg_manifest_get,
	.resolve = reg_resolve,
	.tags_list = reg_tags_list,
	.tag_delete = reg_tag_delete,
	.free = reg_free,
};

int oci_registry_open(struct oci_store **out, const char *host, const char *repo,
		      const struct oci_open_opts *opts)
{
	struct oci_registry *reg = xcalloc(1, sizeof(*reg));
	bool plain = opts->insecure || http_host_is_loopback(host);
	int r;

	*out = NULL;
	reg->base.ops = &registry_ops;
	reg->host = xstrdup(host);
	reg->repo = xstrdup(repo);
	reg->insecure = opts->insecure;
	reg->redirect_check = opts->redirect_check;
	reg->redirect_arg = opts->redirect_arg;
	strbuf_init(&reg->scopes, 0);
	strbuf_addf(&reg->scopes, "repository:%s:%s", repo, opts->push ? "pull,push" : "pull");
	{
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s://%s", plain ? "http" : "https", host);
		reg->base_url = strbuf_detach(&sb, NULL);
		strbuf_addf(&sb, "%s/%s", host, repo);
		reg->base.name = strbuf_detach(&sb, NULL);
	}
	r = oci_cred_lookup(&reg->cred, host);
	if (r) {
		reg_free(&reg->base);
		return r;
	}
	if (reg->cred.user)
		log_debug("registry %s: credentials for '%s' from %s", host, reg->cred.user,
			  reg->cred.origin);
	*out = &reg->base;
	return 0;
}
