#include "compat.h"
#include "http.h"
#include "err.h"
#include "log.h"
#include "term.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#define HTTP_DEFAULT_LIMIT (1u << 20)
#define HTTP_RETRY_BASE_MS 200
#define HTTP_RETRY_DEFAULT 4

/* Without a deadline: give up on a connection after this, or on a transfer stalled this long. */
#define HTTP_CONNECT_TIMEOUT_MS 10000L
#define HTTP_STALL_SECS 60L

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/*
 * Connection reuse: each thread keeps one easy handle (reset between
 * requests, which keeps its connections), and every handle joins one share
 * handle, so threads also reuse each other's idle connections, DNS answers
 * and TLS sessions.  The share's locks are one mutex per kind of data.
 */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_key_t easy_key;
static _Thread_local int64_t thread_deadline;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
	(void)h;
	(void)access;
	(void)u;
	pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *u)
{
	(void)h;
	(void)u;
	pthread_mutex_unlock(&share_locks[data]);
}

static void easy_free(void *h)
{
	curl_easy_cleanup(h);
}

/* exit() runs in the main thread, whose key destructor never runs: free its handle here. */
static void main_easy_free(void)
{
	CURL *h = pthread_getspecific(easy_key);

	if (h) {
		pthread_setspecific(easy_key, NULL);
		curl_easy_cleanup(h);
	}
	curl_share_cleanup(share);
	share = NULL;
}

static void global_init(void)
{
	int i;

	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (global_rc != CURLE_OK)
		return;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	pthread_key_create(&easy_key, easy_free);
	share = curl_share_init();
	if (share) {
		curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
	atexit(main_easy_free);
}

/* This thread's handle, reset to defaults (its connections stay open). */
static CURL *easy_get(void)
{
	CURL *h = pthread_getspecific(easy_key);

	if (h) {
		curl_easy_reset(h);
	} else {
		h = curl_easy_init();
		if (!h)
			return NULL;
		pthread_setspecific(easy_key, h);
	}
	if (share)
		curl_easy_setopt(h, CURLOPT_SHARE, share);
	return h;
}

int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t http_set_deadline(int64_t deadline)
{
	int64_t old = thread_deadline;

	thread_deadline = deadline;
	return old;
}

int64_t http_deadline(void)
{
	return thread_deadline;
}

/* Milliseconds left before this thread's deadline; INT64_MAX without one. */
static int64_t time_left(void)
{
	return thread_deadline ? thread_deadline - http_now_ms() : INT64_MAX;
}

void http_response_init(struct http_response *res)
{
	res->status = 0;
	strbuf_init(&res->body, 0);
	strbuf_init(&res->headers, 0);
	res->effective_url = NULL;
}

void http_response_release(struct http_response *res)
{
	strbuf_release(&res->body);
	strbuf_release(&res->headers);
	free(res->effective_url);
	res->effective_url = NULL;
	res->status = 0;
}

struct sink {
	struct strbuf *body;
	struct strbuf *headers;
	bool toobig;
};

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct sink *s = data;
	size_t n = size * nmemb;

	if (strbuf_add(s->body, ptr, n)) {
		s->toobig = true;
		return 0;
	}
	return n;
}

static size_t write_header(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct sink *s = data;
	size_t n = size * nmemb, i, name_len;
	const char *colon, *v, *end;

	/* A new status line starts a new response (redirect, 100 Continue). */
	if (n >= 5 && !memcmp(ptr, "HTTP/", 5)) {
		strbuf_reset(s->headers);
		return n;
	}
	colon = memchr(ptr, ':', n);
	if (!colon)
		return n;
	name_len = (size_t)(colon - ptr);
	v = colon + 1;
	end = ptr + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	/* Header blocks are small; a huge one is refused by the limit. */
	for (i = 0; i < name_len; i++)
		if (strbuf_addch(s->headers, tolower((unsigned char)ptr[i])))
			return 0;
	if (strbuf_addstr(s->headers, ": ") ||
	    strbuf_add(s->headers, v, (size_t)(end - v)) ||
	    strbuf_addch(s->headers, '\n'))
		return 0;
	return n;
}

int http_retry_max(void)
{
	const char *e = getenv("HOIST_RETRY_MAX");
	char *end;
	long v;

	if (!e || !*e)
		return HTTP_RETRY_DEFAULT;
	v = strtol(e, &end, 10);
	if (*end || v < 1)
		return 1;
	return v > HTTP_RETRY_DEFAULT ? HTTP_RETRY_DEFAULT : (int)v;
}

static int xfer_info(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		     curl_off_t ulnow)
{
	struct progress *p = data;

	if (ultotal > 0) {
		p->total = (uint64_t)ultotal;
		progress_update(p, (uint64_t)ulnow, NULL);
	} else if (dltotal > 0) {
		p->total = (uint64_t)dltotal;
		progress_update(p, (uint64_t)dlnow, NULL);
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static bool curl_transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
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

static bool status_transient(long status)
{
	return status == 429 || (status >= 500 && status <= 599);
}

/* One attempt.  Returns 0 with res filled, or a negative code with err set. */
static int http_once(struct http_response *res, const struct http_request *req,
		     struct curl_slist *hdrs, bool *transient)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { &res->body, &res->headers, false };
	const char *proto = req->allow_plain ? "http,https" : "https";
	char *eff = NULL;
	const char *ca = getenv("HOIST_CA_FILE");
	int64_t left = time_left();
	CURLcode c;
	CURL *h;
	int r = 0;

	*transient = false;
	strbuf_reset(&res->body);
	strbuf_reset(&res->headers);
	res->body.limit = req->limit ? req->limit : HTTP_DEFAULT_LIMIT;
	res->headers.limit = 64 * 1024;
	res->status = 0;

	if (left <= 0) {
		*transient = true;
		return err_set(ERR_RETRY, "%s %s: out of time (the time budget ran out)",
			       req->method, req->url);
	}
	h = easy_get();
	if (!h)
		return err_set(ERR_GENERIC, "%s: cannot initialise libcurl", req->url);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, proto);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, proto);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->no_redirects ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (left < INT64_MAX) {
		/*
		 * Under a deadline the whole exchange must end by then, whatever
		 * the server does (never answers, trickles a byte a second); a
		 * connection gets at most half of what is left, so a host that
		 * never accepts still leaves time to say so.
		 */
		long total = left > LONG_MAX ? LONG_MAX : (long)left;
		long conn = total / 2 < HTTP_CONNECT_TIMEOUT_MS ? total / 2 : HTTP_CONNECT_TIMEOUT_MS;
		long stall = total / 1000 < HTTP_STALL_SECS ? total / 1000 : HTTP_STALL_SECS;

		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, conn > 0 ? conn : 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall > 0 ? stall : 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_SECS);
	}
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	/* A caller's own bound (deliveries to clusters) tightens the budget's. */
	if (req->timeout_ms > 0 && req->timeout_ms < left) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 req->timeout_ms < 3000 ? req->timeout_ms : 3000L);
	}
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hoist/" HOIST_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->progress && req->progress->active) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_info);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, req->progress);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(req->method, "DELETE") || req->body) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)req->body_len);
		}
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	c = curl_easy_perform(h);
	if (c != CURLE_OK) {
		if (sink.toobig) {
			r = err_set(ERR_TOOBIG, "%s: response larger than the limit of %zu bytes",
				    req->url, res->body.limit);
		} else {
			*transient = curl_transient(c);
			r = err_set(*transient ? ERR_RETRY : ERR_GENERIC, "%s %s: %s",
				    req->method, req->url,
				    errbuf[0] ? errbuf : curl_easy_strerror(c));
		}
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) {
		free(res->effective_url);
		res->effective_url = xstrdup(eff);
	}
	if (status_transient(res->status)) {
		*transient = true;
		r = err_set(ERR_RETRY, "%s %s: server answered %ld", req->method, req->url,
			    res->status);
	}
out:
	/* The handle stays with the thread; its header list is the caller's. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	return r;
}

/*
 * How long to wait before the next try: the server's Retry-After (in
 * seconds; the HTTP-date form is not used by registries) when it sent one
 * with a 429 or 503, bounded to 30 s, else our backoff.
 */
static long retry_after_ms(const struct http_response *res, long backoff)
{
	struct strbuf v = STRBUF_INIT;
	long ms = backoff;

	if ((res->status == 429 || res->status == 503) &&
	    !http_header_get(res, "retry-after", &v)) {
		char *end;
		long secs;

		strbuf_rtrim(&v);
		secs = strtol(v.buf, &end, 10);
		if (end != v.buf && !*end && secs >= 0)
			ms = secs > 30 ? 30000 : secs * 1000;
	}
	strbuf_release(&v);
	return ms;
}

int http_do(struct http_response *res, const struct http_request *req)
{
	struct curl_slist *hdrs = NULL;
	const char *const *hp;
	int tries = req->retry ? http_retry_max() : 1;
	long delay = HTTP_RETRY_BASE_MS;
	bool transient = false;
	int i, r = 0;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return err_set(ERR_GENERIC, "libcurl: %s", curl_easy_strerror(global_rc));
	if (!strncmp(req->url, "http://", 7) && !req->allow_plain)
		return err_set(ERR_GENERIC,
			       "%s: refusing plain HTTP to a non-loopback host (use https, or --insecure)",
			       req->url);
	/* No "Expect: 100-continue" round trip: bodies are small and in memory. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (hp = req->headers; hp && *hp; hp++)
		hdrs = curl_slist_append(hdrs, *hp);

	for (i = 1; i <= tries; i++) {
		r = http_once(res, req, hdrs, &transient);
		if (!r || !transient)
			break;
		if (i < tries) {
			long wait = retry_after_ms(res, delay);

			if (wait >= time_left()) {
				/* Waiting would end past the deadline: give up now, and say why. */
				err_prefix(r, "no time left for another try (next in %ld ms)", wait);
				tries = 1;
				break;
			}
			log_debug("%s (try %d of %d, again in %ld ms)", err_msg(), i, tries, wait);
			sleep_ms(wait);
			delay *= 2;
		}
	}
	if (r && transient && tries > 1)
		err_prefix(r, "giving up after %d tries", tries);
	curl_slist_free_all(hdrs);
	return r;
}

int http_header_get(const struct http_response *res, const char *name, struct strbuf *out)
{
	size_t nl = strlen(name);
	const char *p = res->headers.buf;

	while (*p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > nl + 1 && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 2;
			strbuf_reset(out);
			strbuf_add(out, v, (size_t)(eol - v));
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	return ERR_NOTFOUND;
}

bool http_host_is_loopback(const char *host)
{
	char name[256];
	const char *end;
	size_t len;
	unsigned char addr[16];

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return false;
		host++;
	} else {
		end = strchr(host, ':');
		if (!end)
			end = host + strlen(host);
	}
	len = (size_t)(end - host);
	if (len == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	if (!strcasecmp(name, "localhost"))
		return true;
	if (inet_pton(AF_INET, name, addr) == 1)
		return addr[0] == 127;
	if (inet_pton(AF_INET6, name, addr) == 1) {
		static const unsigned char one[16] = { [15] = 1 };
		return !memcmp(addr, one, 16);
	}
	return false;
}

void http_urlencode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			strbuf_addch(out, (char)c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

void http_location_resolve(struct strbuf *out, const char *base, const char *loc)
{
	const char *p;

	strbuf_reset(out);
	if (strstr(loc, "://")) {
		strbuf_addstr(out, loc);
	} else if (loc[0] == '/' && loc[1] == '/') {
		p = strstr(base, "://");
		strbuf_add(out, base, (size_t)(p - base) + 1);
		strbuf_addstr(out, loc);
	} else if (loc[0] == '/') {
		p = strstr(base, "://");
		p = p ? p + 3 + strcspn(p + 3, "/?#") : base + strlen(base);
		strbuf_add(out, base, (size_t)(p - base));
		strbuf_addstr(out, loc);
	} else {
		const char *q = base + strcspn(base, "?#");
		p = q;
		while (p > base && p[-1] != '/')
			p--;
		strbuf_add(out, base, (size_t)(p - base));
		strbuf_addstr(out, loc);
	}
}
