/*
 * remote-http.c - HTTP(S) files named by a kustomization, fetched through
 * core/http.c with every redirect checked against the allow-list, bounded
 * in size and time, cached by sha256.
 */
#include "core/compat.h"
#include "source/remote.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/http.h"
#include "oci/oci-auth.h"
#include "core/strbuf.h"

#define MAX_HOPS 5

/* Resolves a Location header against the URL it came from. */
static void add_auth_header(struct strbuf *h, const struct remote_cred *cr)
{
	struct oci_cred oc = { 0 };

	oc.user = cr->user;
	oc.password = cr->password;
	oci_auth_basic_header(h, &oc);
}

/*
 * GETs `url`, following up to MAX_HOPS redirects itself: each hop's host
 * must be allowed, https never goes down to http, and credentials go only
 * to the host they are for.
 */
static int fetch(struct strbuf *out, struct remote_ctx *c, const char *url, const char *what,
		 struct strbuf *final)
{
	struct strbuf cur = STRBUF_INIT, host = STRBUF_INIT, loc = STRBUF_INIT,
		      auth = STRBUF_INIT;
	struct http_response res;
	int hop, r = 0;
	int64_t old = http_deadline(), dl = http_now_ms() + c->timeout_ms;

	http_response_init(&res);
	strbuf_addstr(&cur, url);
	if (!old || dl < old)
		http_set_deadline(dl);
	for (hop = 0;; hop++) {
		const struct remote_cred *cr;
		const char *hdrs[2] = { NULL, NULL };
		struct http_request req = { .method = "GET", .retry = true, .no_redirects = true };

		if (strncasecmp(cur.buf, "https://", 8) && strncasecmp(cur.buf, "http://", 7)) {
			r = err_set(ERR_INVALID, "%s: %s: only http and https URLs are fetched", what, cur.buf);
			break;
		}
		r = remote_url_host(&host, cur.buf);
		if (!r)
			r = remote_allowed(c, host.buf, hop ? "redirect" : what);
		if (r) {
			if (hop)
				err_prefix(r, "%s: %s redirects to %s", what, url, cur.buf);
			break;
		}
		strbuf_reset(&auth);
		cr = remote_cred_find(c, host.buf);
		if (cr) {
			add_auth_header(&auth, cr);
			hdrs[0] = auth.buf;
		}
		req.url = cur.buf;
		req.headers = hdrs;
		req.limit = c->max_download;
		req.allow_plain = true; /* the host is allowed, and the pin checks the bytes */
		r = http_do(&res, &req);
		if (r == ERR_TOOBIG) {
			r = err_set(ERR_TOOBIG, "%s: %s is larger than %zu bytes (HOIST_REMOTE_MAX_BYTES)",
				    what, cur.buf, c->max_download);
			break;
		}
		if (r)
			break;
		if (res.status >= 300 && res.status < 400 && res.status != 304) {
			if (hop >= MAX_HOPS) {
				r = err_set(ERR_INVALID, "%s: %s: more than %d redirects", what, url, MAX_HOPS);
				break;
			}
			strbuf_reset(&loc);
			if (http_header_get(&res, "location", &loc)) {
				r = err_set(ERR_INVALID, "%s: %s: a redirect without a Location", what, cur.buf);
				break;
			}
			{
				struct strbuf next = STRBUF_INIT;
				http_location_resolve(&next, cur.buf, loc.buf);
				if (!strncasecmp(cur.buf, "https://", 8) && strncasecmp(next.buf, "https://", 8)) {
					r = err_set(ERR_INVALID, "%s: %s redirects from https to %s", what,
						    url, next.buf);
					strbuf_release(&next);
					break;
				}
				strbuf_reset(&cur);
				strbuf_addbuf(&cur, &next);
				strbuf_release(&next);
			}
			continue;
		}
		if (res.status != 200) {
			r = err_set(res.status == 401 || res.status == 403 ? ERR_AUTH : ERR_NOTFOUND,
				    "%s: GET %s: HTTP %ld", what, cur.buf, res.status);
			break;
		}
		strbuf_reset(out);
		strbuf_addbuf(out, &res.body);
		if (final) {
			strbuf_reset(final);
			strbuf_addbuf(final, &cur);
		}
		c->fetches++;
		break;
	}
	http_set_deadline(old);
	http_response_release(&res);
	strbuf_release(&cur);
	strbuf_release(&host);
	strbuf_release(&loc);
	strbuf_release(&auth);
	return r;
}

/*
 * "$cache/urls/<sha256 of the URL>" holds the digest last fetched for a
 * URL, so an unpinned file can be rendered --offline as an unpinned branch
 * can (the blob itself stays content-addressed).
 */
static int url_index_path(struct strbuf *out, const struct remote_ctx *c, const char *url)
{
	char d[DIGEST_STR_SIZE];
	int r;

	digest_sha256(d, url, strlen(url));
	r = remote_cache_path(out, c, "urls");
	if (!r)
		strbuf_addf(out, "/%s", d + 7);
	return r;
}

int remote_http_fetch(struct strbuf *out, struct remote_ctx *c, const char *url,
		      const char *want, const char *what)
{
	struct strbuf idx = STRBUF_INIT, last = STRBUF_INIT;
	struct strbuf host = STRBUF_INIT;
	char got[DIGEST_STR_SIZE];
	int r;

	r = remote_url_host(&host, url);
	if (!r)
		r = remote_allowed(c, host.buf, what);
	if (r)
		goto out;
	if (want) {
		r = remote_cache_get(out, c, want, c->max_download);
		if (r != ERR_NOTFOUND)
			goto out;
		err_clear();
	}
	if (c->offline) {
		if (!want && !url_index_path(&idx, c, url) && !strbuf_read_file(&last, idx.buf, 128)) {
			strbuf_rtrim(&last);
			r = remote_cache_get(out, c, last.buf, c->max_download);
			if (!r)
				goto out;
		}
		r = err_set(ERR_NOTFOUND, "%s: %s is not in the cache, and --offline forbids fetching it",
			    what, url);
		goto out;
	}
	r = fetch(out, c, url, what, NULL);
	if (r)
		goto out;
	digest_sha256(got, out->buf, out->len);
	if (want && strcmp(got, want)) {
		r = err_set(ERR_VERIFY, "%s: %s has digest %s, but %s is pinned (lock mismatch: the content changed; check it and run `hoist lock`)",
			    what, url, got, want);
		strbuf_reset(out);
		goto out;
	}
	r = remote_cache_put(c, out->buf, out->len, got);
	if (!r && !want && !url_index_path(&idx, c, url))
		r = write_file_atomic(idx.buf, got, strlen(got), 0600);
	if (!r)
		remote_cache_trim(c);
out:
	strbuf_release(&host);
	strbuf_release(&idx);
	strbuf_release(&last);
	return r;
}

int remote_http_get(struct strbuf *out, struct remote_ctx *c, const char *url, const char *what)
{
	const struct remote_pin *pin = NULL;
	char got[DIGEST_STR_SIZE];
	bool stale;
	int r;

	r = remote_lock_find(c, REMOTE_HTTP, url, "", &pin, &stale);
	if (r)
		return r;
	if (stale)
		return err_set(ERR_VERIFY, "%s: %s is not pinned in hoist.lock (lock mismatch: run `hoist lock`)",
			       what, url);
	if (!pin && !c->allow_floating && !c->relock)
		return err_set(ERR_INVALID, "%s: %s is a floating input (an HTTP file can change at any time) and hoist.lock does not pin it: run `hoist lock`, or pass --allow-floating",
			       what, url);
	r = remote_http_fetch(out, c, url, pin ? pin->resolved : NULL, what);
	if (r)
		return r;
	if (!pin)
		c->used_floating = true;
	digest_sha256(got, out->buf, out->len);
	remote_ctx_add_pin(c, REMOTE_HTTP, url, "", got);
	return 0;
}

int remote_http_final_url(struct strbuf *final, struct remote_ctx *c, const char *url,
			  const char *what)
{
	struct strbuf body = STRBUF_INIT;
	int r = fetch(&body, c, url, what, final);

	strbuf_release(&body);
	return r;
}
