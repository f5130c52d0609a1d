/*
 * kube.c - the API client's transport: one libcurl multi handle whose
 * connection cache is shared by every request of a client, HTTP/2 with
 * multiplexing where the server offers it, bounded replies, retries of
 * transient failures, and API Status errors turned into messages.
 */
#include "core/compat.h"
#include "agent/kube.h"
#include "agent/metrics.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#define KUBE_TRIES 3
#define KUBE_RETRY_MS 300

struct kube {
	const struct kube_conf *conf;
	CURLM *multi;
	CURL **idle; /* finished easy handles kept for reuse */
	size_t nidle;
	size_t concurrency;
	char *auth; /* "Authorization: Bearer ..." or NULL */
};

struct xfer {
	struct kube_req *req;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	bool toobig;
	int tries;
	long not_before_ms; /* retry backoff */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void kube_req_init(struct kube_req *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->reply, 0);
}

void kube_req_release(struct kube_req *r)
{
	strbuf_release(&r->reply);
	free(r->error);
	r->error = NULL;
}

/* The server's CA, the client certificate, TLS checks and basic auth, on one handle. */
void kube_conf_apply(const struct kube_conf *c, void *handle)
{
	CURL *h = handle;

	if (c->ca.len) {
		struct curl_blob b = { c->ca.buf, c->ca.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->cert.len) {
		struct curl_blob cb = { c->cert.buf, c->cert.len, CURL_BLOB_NOCOPY };
		struct curl_blob kb = { c->key.buf, c->key.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
}

/*
 * Sets k->auth from the kubeconfig's token, or from its token file read
 * now (projected service account tokens rotate): 1 when the header
 * changed, 0 when not, or the error reading the file (k->auth kept).
 */
static int load_token(struct kube *k)
{
	struct strbuf tok = STRBUF_INIT, h = STRBUF_INIT;
	int r = 0;

	if (k->conf->token_file) {
		r = strbuf_read_file(&tok, k->conf->token_file, 64 * 1024);
		strbuf_rtrim(&tok);
	} else if (k->conf->token) {
		strbuf_addstr(&tok, k->conf->token);
	}
	if (!r && tok.len)
		strbuf_addf(&h, "Authorization: Bearer %s", tok.buf);
	if (!r && (k->auth ? strcmp(k->auth, h.buf) : h.len > 0)) {
		if (k->auth) {
			explicit_bzero(k->auth, strlen(k->auth));
			free(k->auth);
		}
		k->auth = h.len ? strbuf_detach(&h, NULL) : NULL;
		r = 1;
	}
	explicit_bzero(tok.buf, tok.len);
	explicit_bzero(h.buf, h.len);
	strbuf_release(&tok);
	strbuf_release(&h);
	return r;
}

int kube_open(struct kube **out, const struct kube_conf *conf, size_t concurrency)
{
	struct kube *k;
	int r;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	k = xcalloc(1, sizeof(*k));
	k->conf = conf;
	k->concurrency = concurrency ? concurrency : 1;
	k->idle = xcalloc(k->concurrency, sizeof(*k->idle));
	r = load_token(k);
	if (r < 0) {
		free(k->idle);
		free(k);
		return r;
	}
	k->multi = curl_multi_init();
	curl_multi_setopt(k->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(k->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)k->concurrency);
	*out = k;
	return 0;
}

int kube_reload_token(struct kube *k)
{
	return k->conf->token_file ? load_token(k) : 0;
}

const char *kube_auth_header(const struct kube *k)
{
	return k->auth;
}

void kube_close(struct kube *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nidle; i++)
		curl_easy_cleanup(k->idle[i]);
	free(k->idle);
	curl_multi_cleanup(k->multi);
	free(k->auth);
	free(k);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t n = size * nmemb;

	if (strbuf_add(&x->req->reply, ptr, n)) {
		x->toobig = true;
		return 0;
	}
	return n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static CURL *take_handle(struct kube *k)
{
	if (k->nidle)
		return k->idle[--k->nidle];
	return curl_easy_init();
}

static void give_handle(struct kube *k, CURL *h)
{
	if (k->nidle < k->concurrency) {
		curl_easy_reset(h);
		k->idle[k->nidle++] = h;
	} else {
		curl_easy_cleanup(h);
	}
}

static void xfer_setup(struct kube *k, struct xfer *x)
{
	const struct kube_conf *c = k->conf;
	struct kube_req *r = x->req;
	struct strbuf sb = STRBUF_INIT;
	const char *proto = "http,https";
	CURL *h = x->h;

	strbuf_reset(&r->reply);
	r->reply.limit = r->limit ? r->limit : KUBE_REPLY_MAX;
	x->toobig = false;
	x->errbuf[0] = '\0';
	strbuf_addf(&sb, "%s%s", c->server, r->path);
	curl_easy_setopt(h, CURLOPT_URL, sb.buf);
	strbuf_release(&sb);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, proto);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hoist-agent/" HOIST_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	kube_conf_apply(c, h);
	curl_slist_free_all(x->hdrs);
	x->hdrs = curl_slist_append(NULL, "Expect:");
	strbuf_addf(&sb, "Accept: %s", r->accept ? r->accept : "application/json");
	x->hdrs = curl_slist_append(x->hdrs, sb.buf);
	strbuf_release(&sb);
	if (r->content_type) {
		strbuf_addf(&sb, "Content-Type: %s", r->content_type);
		x->hdrs = curl_slist_append(x->hdrs, sb.buf);
		strbuf_release(&sb);
	}
	if (k->auth)
		x->hdrs = curl_slist_append(x->hdrs, k->auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
	if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (r->body || strcmp(r->method, "DELETE")) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		}
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
}

int kube_http_code(long status)
{
	if (status == 404 || status == 410)
		return ERR_NOTFOUND;
	if (status == 409)
		return ERR_CONFLICT;
	if (status == 401 || status == 403)
		return ERR_AUTH;
	if (status == 429 || status >= 500)
		return ERR_RETRY;
	return ERR_INVALID;
}

static bool transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void set_error(struct kube_req *r, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void set_error(struct kube_req *r, int code, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(r->error);
	r->error = strbuf_detach(&sb, NULL);
	r->rc = code;
}

/*
 * Decides what a finished transfer means.  Returns true when it should be
 * tried again (transient and tries left).
 */
static bool xfer_done(struct xfer *x, CURLcode c)
{
	struct kube_req *r = x->req;
	const char *what = r->what ? r->what : r->path;

	r->status = 0;
	r->rc = 0;
	if (c != CURLE_OK) {
		if (x->toobig) {
			set_error(r, ERR_TOOBIG, "%s: the API server's reply is larger than %zu bytes",
				  what, r->reply.limit);
			return false;
		}
		metrics_kube_call(r->method, 0);
		set_error(r, transient_curl(c) ? ERR_RETRY : ERR_GENERIC, "%s: %s %s: %s", what,
			  r->method, r->path, x->errbuf[0] ? x->errbuf : curl_easy_strerror(c));
		return transient_curl(c) && x->tries < KUBE_TRIES;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->status);
	metrics_kube_call(r->method, r->status);
	if (r->status >= 200 && r->status < 300)
		return false;
	{
		struct kube_status st;
		int code = kube_http_code(r->status);

		if (!kube_status_parse(&st, r->reply.buf, r->reply.len) && st.message && *st.message)
			set_error(r, code, "%s: %s", what, st.message);
		else
			set_error(r, code, "%s: %s %s: the API server answered %ld", what, r->method,
				  r->path, r->status);
		kube_status_release(&st);
		err_clear();
		return code == ERR_RETRY && x->tries < KUBE_TRIES;
	}
}

int kube_do_many(struct kube *k, struct kube_req *reqs, size_t n)
{
	struct xfer *xs = xcalloc(n ? n : 1, sizeof(*xs));
	size_t next = 0, running = 0, i, failed = n;
	int first = 0;

	for (i = 0; i < n; i++)
		xs[i].req = &reqs[i];
	/* Ends below, once nothing runs, nothing is left to start and no retry waits. */
	for (;;) {
		int still, msgs;
		CURLMsg *m;
		long now = now_ms();

		/* Start what fits: new requests, and retries whose backoff is over. */
		for (i = 0; i < next && running < k->concurrency; i++) {
			if (!xs[i].h && xs[i].not_before_ms && xs[i].not_before_ms <= now) {
				xs[i].not_before_ms = 0;
				xs[i].h = take_handle(k);
				xs[i].tries++;
				xfer_setup(k, &xs[i]);
				curl_multi_add_handle(k->multi, xs[i].h);
				running++;
			}
		}
		while (next < n && running < k->concurrency) {
			struct xfer *x = &xs[next++];
			/* A slot the caller left empty (sync's unchanged objects). */
			if (!x->req->method)
				continue;
			x->h = take_handle(k);
			x->tries = 1;
			xfer_setup(k, x);
			curl_multi_add_handle(k->multi, x->h);
			running++;
		}
		curl_multi_perform(k->multi, &still);
		while ((m = curl_multi_info_read(k->multi, &msgs))) {
			struct xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(k->multi, x->h);
			running--;
			if (xfer_done(x, m->data.result)) {
				log_debug("%s (try %d of %d)", x->req->error, x->tries, KUBE_TRIES);
				x->not_before_ms = now_ms() + KUBE_RETRY_MS * (1L << (x->tries - 1));
			}
			give_handle(k, x->h);
			x->h = NULL;
		}
		/* Pending retries count as work left. */
		for (i = 0; i < next; i++)
			if (xs[i].not_before_ms)
				break;
		if (!running && next >= n && i == next)
			break;
		/*
		 * A slot freed above and a request waits for it: start it now.
		 * Polling first would leave the slot idle until another transfer
		 * moved (or 50 ms), which made every batch wait for its slowest.
		 */
		if (running < k->concurrency && next < n)
			continue;
		curl_multi_poll(k->multi, NULL, 0, running ? 1000 : 50, NULL);
	}
	for (i = 0; i < n; i++) {
		curl_slist_free_all(xs[i].hdrs);
		if (reqs[i].rc && failed == n)
			failed = i;
	}
	free(xs);
	if (failed < n) {
		first = reqs[failed].rc;
		err_set(first, "%s", reqs[failed].error);
	}
	return first;
}

int kube_do(struct kube *k, struct kube_req *r)
{
	return kube_do_many(k, r, 1);
}

void kube_path(struct strbuf *out, const struct kube_resource *r, const char *ns,
	       const char *name)
{
	if (!*r->group)
		strbuf_addf(out, "/api/%s", r->version);
	else
		strbuf_addf(out, "/apis/%s/%s", r->group, r->version);
	if (r->namespaced && ns && *ns)
		strbuf_addf(out, "/namespaces/%s", ns);
	strbuf_addf(out, "/%s", r->resource);
	if (name)
		strbuf_addf(out, "/%s", name);
}

/* A bound on pages, so a server that always answers "continue" cannot loop us forever. */
#define KUBE_LIST_MAX_PAGES 10000

int kube_list(struct kube *k, const char *path, const char *selector, struct doc_stream ***pages,
	      size_t *npages, const char *what)
{
	struct strbuf url = STRBUF_INIT, cont = STRBUF_INIT;
	struct doc_stream **v = NULL;
	size_t n = 0, alloc = 0, i;
	int r = 0;

	*pages = NULL;
	*npages = 0;
	do {
		struct kube_req req;
		struct doc_stream *s = NULL;
		struct doc_node *items;

		if (n >= KUBE_LIST_MAX_PAGES) {
			r = err_set(ERR_TOOBIG, "%s: more than %d pages", what, KUBE_LIST_MAX_PAGES);
			break;
		}
		strbuf_reset(&url);
		strbuf_addf(&url, "%s?limit=%d", path, KUBE_LIST_PAGE);
		if (selector) {
			strbuf_addstr(&url, "&labelSelector=");
			http_urlencode(&url, selector);
		}
		if (cont.len) {
			strbuf_addstr(&url, "&continue=");
			http_urlencode(&url, cont.buf);
		}
		kube_req_init(&req);
		req.method = "GET";
		req.path = url.buf;
		req.limit = KUBE_LIST_MAX;
		req.what = what;
		r = kube_do(k, &req);
		if (!r)
			r = kube_parse_list(&s, &items, &cont, req.reply.buf, req.reply.len, what);
		kube_req_release(&req);
		if (r)
			break;
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = s;
	} while (cont.len);
	strbuf_release(&url);
	strbuf_release(&cont);
	if (r) {
		for (i = 0; i < n; i++)
			doc_stream_free(v[i]);
		free(v);
		return r;
	}
	*pages = v;
	*npages = n;
	return 0;
}
