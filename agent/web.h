/*
 * web.h - the agent's web page on `listen` (docs/api.md, "The web page"):
 * routes, sessions, CSRF tokens, the form and cookie parsers and the HTML
 * pages, apart from the server library so unit tests and the fuzz target
 * (tests/fuzz/fuzz-agent-web.c) drive exactly this code.
 *
 * The pages are rendered on the server from the JSON the API serves
 * (GET /v1/status and GET /v1/apps/APP), parsed with model/doc.h, so the
 * page shows exactly what the API says.  Every value that reaches the HTML
 * goes through html_esc().  The script and style sheet are constants
 * served at /static/ (the Content-Security-Policy allows no inline code).
 *
 * Writes (approve, sync) need a session: POST /login with the agent's
 * token sets an HttpOnly, SameSite=Strict cookie holding
 * "v1.EXPIRY.NONCE.MAC", MAC being HMAC-SHA256 under a key drawn at
 * startup over the expiry, the nonce and the sha256 of the token, so a
 * restart or a rotated token ends every session.  Each form carries a CSRF
 * token, HMAC-SHA256 of the session's nonce under the same key, compared in
 * constant time.
 */
#ifndef HOIST_AGENT_WEB_H
#define HOIST_AGENT_WEB_H

#include "core/compat.h"
#include "agent/api.h"
#include <time.h>

struct strbuf;

enum web_route {
	WEB_NONE = 0,   /* not a page: 404 */
	WEB_BAD_METHOD, /* 405 */
	WEB_INDEX,      /* GET  /            the app list */
	WEB_APP,        /* GET  /app/APP     one app */
	WEB_LOGIN_FORM, /* GET  /login */
	WEB_LOGIN,      /* POST /login       token=... */
	WEB_LOGOUT,     /* POST /logout      csrf=... */
	WEB_APPROVE,    /* POST /app/APP/approve  csrf, digest, plan */
	WEB_SYNC,       /* POST /app/APP/sync     csrf */
	WEB_JS,         /* GET  /static/hoist.js */
	WEB_CSS,        /* GET  /static/hoist.css */
	WEB_METRICS,    /* GET  /metrics */
};

/* Maps a method and path as api_route() does; `app` gets APP (API_APP_MAX + 1 bytes). */
enum web_route web_route(const char *method, const char *path, char *app);
/* The methods a page's path allows (405's Allow header). */
const char *web_route_allow(const char *path);
/* Whether the route is a form POST that needs a session and its CSRF token. */
bool web_route_needs_session(enum web_route r);

/* Escapes &, <, >, " and ' so `s` is safe as element text and as a quoted attribute value. */
void html_esc(struct strbuf *out, const char *s);

#define WEB_KEY_SIZE 32
#define WEB_SESSION_TTL (12 * 3600)
#define WEB_SESSION_COOKIE "hoist_session"
#define WEB_CSRF_SIZE 65 /* 64 hex digits and a NUL */

/* Fills `key` with random bytes (OpenSSL's RAND_bytes). */
int web_key_new(unsigned char key[WEB_KEY_SIZE]);

/* A new session cookie value for `token`, valid until now + WEB_SESSION_TTL. */
void web_session_new(struct strbuf *out, const unsigned char key[WEB_KEY_SIZE],
		     const char *token, time_t now);

/*
 * Whether `value` is a session made under `key` for `token` that has not
 * expired at `now`; when it is, `csrf` (may be NULL) gets its CSRF token.
 * Malformed values are simply not sessions.
 */
bool web_session_ok(const char *value, const unsigned char key[WEB_KEY_SIZE], const char *token,
		    time_t now, char csrf[WEB_CSRF_SIZE]);

/* Whether `given` equals `want` (a CSRF token or the agent's token), in constant time. */
bool web_secret_equal(const char *given, const char *want);

/*
 * The value of field `name` in an application/x-www-form-urlencoded body
 * ('+' is a space, %XX decoded), in `out` (reset first).  ERR_NOTFOUND when
 * absent, ERR_INVALID for a bad escape, a NUL byte, or a body or value over
 * 64 KiB.
 */
int web_form_get(const char *body, size_t len, const char *name, struct strbuf *out);

/* The value of cookie `name` in a Cookie header, in `out`; ERR_NOTFOUND when absent. */
int web_cookie_get(const char *header, const char *name, struct strbuf *out);

/*
 * Whether a form POST comes from our own pages: Sec-Fetch-Site, when sent,
 * is "same-origin"; Origin, when sent, is "http(s)://HOST" for the request's
 * Host header.  Clients that send neither (curl) pass: they still need the
 * session and the CSRF token.
 */
bool web_origin_ok(const char *origin, const char *fetch_site, const char *host, bool tls);

/* What a page shows about the visitor. */
struct web_view {
	bool logged_in;
	const char *csrf;   /* the session's CSRF token, when logged in */
	const char *notice; /* a line shown at the top (plain text), or NULL */
	bool error;         /* the notice is an error */
};

/*
 * The pages.  `json` is what GET /v1/status (list) or GET /v1/apps/APP
 * (app) serves; ERR_INVALID when it is not such a document.
 */
int web_page_list(struct strbuf *out, const char *json, size_t len, const struct web_view *v);
int web_page_app(struct strbuf *out, const char *json, size_t len, const struct web_view *v);
void web_page_login(struct strbuf *out, const struct web_view *v);
/* A page with one message (errors, refusals). */
void web_page_message(struct strbuf *out, const char *title, const char *msg,
		      const struct web_view *v);

extern const char web_js[], web_css[];

/* The response headers every page carries (CSP and friends), NULL-terminated pairs. */
extern const char *const web_security_headers[];

#endif
