/*
 * http.h - a small HTTP client over libcurl, for the registry and the agent.
 *
 * One request, one response: the body (bounded by `limit`), the status and
 * the response headers of the final hop.  libcurl errors are translated
 * here, once: a connection that cannot be made, a 5xx or a 429 are
 * ERR_RETRY (after the retries the request allowed), a body over the
 * ceiling is ERR_TOOBIG, everything else ERR_GENERIC.  Any HTTP status is a
 * successful *exchange*; callers decide what a 404 or 401 means.
 *
 * Connections are reused: each thread keeps a libcurl handle, and all of
 * them share one connection cache, DNS cache and TLS session cache, so
 * parallel requests to one registry do not pay a handshake each.  HTTP/2
 * is used over TLS when the server offers it (libcurl's default).
 * HOIST_CA_FILE names a PEM bundle of the CAs to trust instead of the
 * system's (a private registry's CA).
 *
 * Plain HTTP is refused unless the request allows it (see http_allow_plain),
 * and redirects never downgrade from https to http.
 */
#ifndef HOIST_HTTP_H
#define HOIST_HTTP_H

#include "compat.h"
#include "strbuf.h"

struct progress;

struct http_request {
	const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
	const char *url;
	const char *const *headers; /* "Name: value" strings, NULL-terminated */
	const void *body;           /* request body for POST/PUT, may be NULL */
	size_t body_len;
	size_t limit;   /* response body ceiling in bytes; 0 means 1 MiB */
	bool allow_plain; /* http:// allowed (loopback or --insecure) */
	/*
	 * A 3xx is returned as it is (its Location header in `headers`) instead
	 * of followed: for callers that check every hop (source/remote-http.c
	 * re-checks each against its allow-list).
	 */
	bool no_redirects;
	/*
	 * Transient failures (no connection, 5xx, 429) are retried with
	 * exponential backoff when set.  Leave it off for requests that must
	 * not be repeated blindly (an upload session's final PUT).
	 */
	bool retry;
	/*
	 * The whole exchange, connecting included, in milliseconds (the
	 * connect alone gets at most 3 s of it); 0: no overall limit.  For
	 * calls that must not hold their caller long (a push notifying agents).
	 */
	long timeout_ms;
	/*
	 * When set, the bytes of the body sent (or else received) update it:
	 * term.h's progress line, for large blobs on a terminal.  The caller
	 * starts and stops it.
	 */
	struct progress *progress;
};

struct http_response {
	long status;
	struct strbuf body;
	struct strbuf headers; /* "name: value\n" lines of the final response, names lowercased */
	char *effective_url;   /* after redirects */
};

void http_response_init(struct http_response *res);
void http_response_release(struct http_response *res);

/* Performs the request; on success `res->status` holds the HTTP status. */
int http_do(struct http_response *res, const struct http_request *req);

/*
 * The value of response header `name` (case-insensitive), copied into
 * `out`; ERR_NOTFOUND when absent.  With repeated headers, the first wins.
 */
int http_header_get(const struct http_response *res, const char *name, struct strbuf *out);

/*
 * The URL a redirect's Location names, relative to the URL it answered
 * (absolute, scheme-relative "//host/…", absolute path, or relative path),
 * into `out`: for callers that follow redirects themselves (no_redirects).
 */
void http_location_resolve(struct strbuf *out, const char *base, const char *loc);

/*
 * A deadline for every request this thread makes, in http_now_ms() time
 * (0: none).  Each try is cut off when the deadline passes, connect and
 * stall timeouts shrink to fit, and no retry (or Retry-After wait) starts
 * that would end after it: the request fails with ERR_RETRY instead, so
 * callers queue the work.  Returns the previous deadline, to restore.
 * Threads do not inherit it: a worker thread sets its own.
 */
int64_t http_set_deadline(int64_t deadline);
int64_t http_deadline(void);
/* A monotonic clock in milliseconds, for deadlines. */
int64_t http_now_ms(void);

/* Retry policy: at most HOIST_RETRY_MAX tries (default 4), 200 ms base delay. */
int http_retry_max(void);

/*
 * Whether `host` (as in a URL: "name", "name:port", "[v6]:port") names a
 * loopback address: localhost, 127.0.0.0/8 or ::1.  Plain HTTP is allowed
 * for these without --insecure.
 */
bool http_host_is_loopback(const char *host);

/* Percent-encodes `s` for use in a query string. */
void http_urlencode(struct strbuf *out, const char *s);

#endif
