/*
 * web.c - the agent's web page: routes, sessions, CSRF, form and cookie
 * parsing, and the HTML rendered from the API's JSON.  See web.h.
 */
#include "core/compat.h"
#include "agent/web.h"
#include "agent/api.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <strings.h>

#define WEB_FORM_MAX (64u << 10)

/* Routes */

static bool app_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The app name at p up to '/' or the end, as api.c accepts it; NULL when invalid. */
static const char *take_app(const char *p, char *app)
{
	size_t n = 0;

	while (p[n] && p[n] != '/') {
		if (n >= API_APP_MAX || !app_char(p[n]))
			return NULL;
		n++;
	}
	if (!n || p[0] == '.' || p[n - 1] == '.')
		return NULL;
	memcpy(app, p, n);
	app[n] = '\0';
	return p + n;
}

static enum web_route get_only(const char *method, enum web_route r)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD") ? r : WEB_BAD_METHOD;
}

static enum web_route post_only(const char *method, enum web_route r)
{
	return !strcmp(method, "POST") ? r : WEB_BAD_METHOD;
}

enum web_route web_route(const char *method, const char *path, char *app)
{
	enum web_route r = WEB_NONE;
	const char *p;

	app[0] = '\0';
	if (!strcmp(path, "/"))
		return get_only(method, WEB_INDEX);
	if (!strcmp(path, "/login"))
		return !strcmp(method, "POST") ? WEB_LOGIN : get_only(method, WEB_LOGIN_FORM);
	if (!strcmp(path, "/logout"))
		return post_only(method, WEB_LOGOUT);
	if (!strcmp(path, "/static/hoist.js"))
		return get_only(method, WEB_JS);
	if (!strcmp(path, "/static/hoist.css"))
		return get_only(method, WEB_CSS);
	if (!strcmp(path, "/metrics"))
		return get_only(method, WEB_METRICS);
	if (strncmp(path, "/app/", 5))
		return WEB_NONE;
	p = take_app(path + 5, app);
	if (!p)
		r = WEB_NONE;
	else if (!*p)
		r = get_only(method, WEB_APP);
	else if (!strcmp(p, "/approve"))
		r = post_only(method, WEB_APPROVE);
	else if (!strcmp(p, "/sync"))
		r = post_only(method, WEB_SYNC);
	if (r == WEB_NONE || r == WEB_BAD_METHOD)
		app[0] = '\0';
	return r;
}

const char *web_route_allow(const char *path)
{
	size_t n = strlen(path);

	if (!strcmp(path, "/login"))
		return "GET, HEAD, POST";
	if (!strcmp(path, "/logout") || (n > 8 && !strcmp(path + n - 8, "/approve")) ||
	    (n > 5 && !strcmp(path + n - 5, "/sync")))
		return "POST";
	return "GET, HEAD";
}

bool web_route_needs_session(enum web_route r)
{
	return r == WEB_LOGOUT || r == WEB_APPROVE || r == WEB_SYNC;
}

/* HTML */

void html_esc(struct strbuf *out, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		strbuf_add(out, run, (size_t)(s - run));
		strbuf_addstr(out, rep);
		run = s + 1;
	}
	strbuf_add(out, run, (size_t)(s - run));
}

/* Sessions and CSRF */

static void hex(char *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void hmac_hex(const unsigned char key[WEB_KEY_SIZE], const char *msg, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), key, WEB_KEY_SIZE, (const unsigned char *)msg, strlen(msg), mac, &n);
	hex(out, mac, 32);
	OPENSSL_cleanse(mac, sizeof(mac));
}

int web_key_new(unsigned char key[WEB_KEY_SIZE])
{
	if (RAND_bytes(key, WEB_KEY_SIZE) != 1)
		return err_set(ERR_GENERIC, "no random bytes for the session key");
	return 0;
}

/* The bytes a session's MAC covers: "v1.EXPIRY.NONCE." and the sha256 of the token. */
static void session_signed(struct strbuf *sb, long long expiry, const char *nonce,
			   const char *token)
{
	unsigned char d[32];
	unsigned int n = 0;
	char th[65];

	EVP_Digest(token, strlen(token), d, &n, EVP_sha256(), NULL);
	hex(th, d, 32);
	strbuf_addf(sb, "v1.%lld.%s.%s", expiry, nonce, th);
}

static void csrf_of(const unsigned char key[WEB_KEY_SIZE], const char *nonce,
		    char csrf[WEB_CSRF_SIZE])
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "csrf.%s", nonce);
	hmac_hex(key, sb.buf, csrf);
	strbuf_release(&sb);
}

void web_session_new(struct strbuf *out, const unsigned char key[WEB_KEY_SIZE],
		     const char *token, time_t now)
{
	unsigned char rnd[16];
	char nonce[33], mac[65];
	struct strbuf sb = STRBUF_INIT;
	long long expiry = (long long)now + WEB_SESSION_TTL;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd)); /* still unforgeable: the MAC key is secret */
	hex(nonce, rnd, sizeof(rnd));
	session_signed(&sb, expiry, nonce, token);
	hmac_hex(key, sb.buf, mac);
	strbuf_addf(out, "v1.%lld.%s.%s", expiry, nonce, mac);
	strbuf_release(&sb);
}

bool web_session_ok(const char *value, const unsigned char key[WEB_KEY_SIZE], const char *token,
		    time_t now, char csrf[WEB_CSRF_SIZE])
{
	const char *p, *dot;
	char nonce[33], mac[65];
	long long expiry = 0;
	struct strbuf sb = STRBUF_INIT;
	bool ok;
	size_t i;

	if (!value || !token || !*token || strncmp(value, "v1.", 3))
		return false;
	p = value + 3;
	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++) {
		if (i >= 18)
			return false;
		expiry = expiry * 10 + (p[i] - '0');
	}
	if (!i || p[i] != '.')
		return false;
	p += i + 1;
	dot = strchr(p, '.');
	if (!dot || dot - p != 32 || strspn(p, "0123456789abcdef") != 32)
		return false;
	memcpy(nonce, p, 32);
	nonce[32] = '\0';
	if (strlen(dot + 1) != 64)
		return false;
	session_signed(&sb, expiry, nonce, token);
	hmac_hex(key, sb.buf, mac);
	strbuf_release(&sb);
	ok = CRYPTO_memcmp(mac, dot + 1, 64) == 0 && (long long)now < expiry;
	if (ok && csrf)
		csrf_of(key, nonce, csrf);
	return ok;
}

bool web_secret_equal(const char *given, const char *want)
{
	unsigned char a[32], b[32];
	unsigned int la = 0, lb = 0;
	bool ok;

	if (!given || !want || !*want)
		return false;
	/* Hashing first: the comparison's time tells nothing of either length. */
	if (!EVP_Digest(given, strlen(given), a, &la, EVP_sha256(), NULL) ||
	    !EVP_Digest(want, strlen(want), b, &lb, EVP_sha256(), NULL) || la != lb)
		return false;
	ok = CRYPTO_memcmp(a, b, la) == 0;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return ok;
}

/* Parsers */

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one urlencoded component [s, s+n) into out. */
static int form_decode(struct strbuf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (n - i < 3)
				return err_set(ERR_INVALID, "form: a '%%' escape is cut short");
			h = unhex(s[i + 1]);
			l = unhex(s[i + 2]);
			if (h < 0 || l < 0)
				return err_set(ERR_INVALID, "form: '%%%c%c' is not an escape",
					       s[i + 1], s[i + 2]);
			c = h * 16 + l;
			i += 2;
		}
		if (!c)
			return err_set(ERR_INVALID, "form: a value holds a NUL byte");
		if (strbuf_addch(out, c))
			return err_set(ERR_TOOBIG, "form: a value is over %u bytes", WEB_FORM_MAX);
	}
	return 0;
}

int web_form_get(const char *body, size_t len, const char *name, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	size_t i = 0;
	int r = ERR_NOTFOUND;

	strbuf_reset(out);
	out->limit = WEB_FORM_MAX;
	key.limit = WEB_FORM_MAX;
	if (len > WEB_FORM_MAX)
		return err_set(ERR_TOOBIG, "form: the body is over %u bytes", WEB_FORM_MAX);
	while (i < len) {
		const char *pair = body + i, *amp = memchr(pair, '&', len - i), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - i;

		i += plen + 1;
		if (!plen)
			continue;
		eq = memchr(pair, '=', plen);
		strbuf_reset(&key);
		r = form_decode(&key, pair, eq ? (size_t)(eq - pair) : plen);
		if (r)
			goto out;
		if (strcmp(key.buf, name)) {
			r = ERR_NOTFOUND;
			continue;
		}
		r = eq ? form_decode(out, eq + 1, plen - (size_t)(eq - pair) - 1) : 0;
		goto out;
	}
	r = ERR_NOTFOUND;
out:
	if (r)
		strbuf_reset(out);
	strbuf_release(&key);
	return r;
}

int web_cookie_get(const char *header, const char *name, struct strbuf *out)
{
	size_t nl = strlen(name);
	const char *p = header;

	strbuf_reset(out);
	while (p && *p) {
		const char *end = strchr(p, ';'), *v;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			v = p + nl + 1;
			n -= nl + 1;
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (n > 4096)
				return err_set(ERR_TOOBIG, "cookie %s is over 4096 bytes", name);
			strbuf_add(out, v, n);
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return ERR_NOTFOUND;
}

bool web_origin_ok(const char *origin, const char *fetch_site, const char *host, bool tls)
{
	const char *scheme = tls ? "https://" : "http://";
	size_t sl = strlen(scheme);

	if (fetch_site && strcmp(fetch_site, "same-origin"))
		return false;
	if (!origin)
		return true;
	if (!host || !*host)
		return false;
	return !strncmp(origin, scheme, sl) && !strcasecmp(origin + sl, host);
}

/* Rendering */

/* The string at key k of map m; NULL when absent, null or not a scalar. */
static const char *sv(const struct doc_node *m, const char *k)
{
	const struct doc_node *n = m && m->kind == DOC_MAP ? doc_map_get(m, k) : NULL;

	if (!n || n->kind != DOC_SCALAR)
		return NULL;
	if (n->style == DOC_STYLE_PLAIN && !strcmp(n->str, "null"))
		return NULL;
	return n->str;
}

static const struct doc_node *node(const struct doc_node *m, const char *k, enum doc_kind kind)
{
	const struct doc_node *n = m && m->kind == DOC_MAP ? doc_map_get(m, k) : NULL;

	return n && n->kind == kind ? n : NULL;
}

static bool bv(const struct doc_node *m, const char *k)
{
	const char *s = sv(m, k);

	return s && !strcmp(s, "true");
}

/* Escaped text, or a dash when there is none. */
static void text(struct strbuf *out, const char *s)
{
	if (s && *s)
		html_esc(out, s);
	else
		strbuf_addstr(out, "<span class=\"none\">-</span>");
}

static void td(struct strbuf *out, const char *cls, const char *s)
{
	strbuf_addf(out, "<td class=\"%s\">", cls);
	text(out, s);
	strbuf_addstr(out, "</td>");
}

/* A digest shortened to 12 hex digits, the whole one as its title. */
static void digest_cell(struct strbuf *out, const char *cls, const char *d)
{
	char shortd[20];

	strbuf_addf(out, "<td class=\"%s\">", cls);
	if (d && !strncmp(d, "sha256:", 7) && strlen(d) > 19) {
		strbuf_addstr(out, "<code title=\"");
		html_esc(out, d);
		strbuf_addstr(out, "\">");
		memcpy(shortd, d, 19);
		shortd[19] = '\0';
		html_esc(out, shortd);
		strbuf_addstr(out, "</code>");
	} else {
		text(out, d);
	}
	strbuf_addstr(out, "</td>");
}

static void time_cell(struct strbuf *out, const char *cls, const char *t)
{
	strbuf_addf(out, "<td class=\"%s\">", cls);
	if (t && *t) {
		strbuf_addstr(out, "<time datetime=\"");
		html_esc(out, t);
		strbuf_addstr(out, "\">");
		html_esc(out, t);
		strbuf_addstr(out, "</time>");
	} else {
		text(out, NULL);
	}
	strbuf_addstr(out, "</td>");
}

/* A status word as a badge whose class is its lowercased name ([a-z] only). */
static void badge(struct strbuf *out, const char *cls, const char *word)
{
	char k[24];
	size_t i, j = 0;

	strbuf_addf(out, "<td class=\"%s\">", cls);
	if (!word || !*word) {
		text(out, NULL);
		strbuf_addstr(out, "</td>");
		return;
	}
	for (i = 0; word[i] && j + 1 < sizeof(k); i++)
		if ((word[i] | 32) >= 'a' && (word[i] | 32) <= 'z')
			k[j++] = (char)(word[i] | 32);
	k[j] = '\0';
	strbuf_addf(out, "<span class=\"badge b-%s\">", k);
	html_esc(out, word);
	strbuf_addstr(out, "</span></td>");
}

static void head(struct strbuf *out, const char *title, const struct web_view *v)
{
	strbuf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			   "<title>");
	html_esc(out, title);
	strbuf_addstr(out, " - hoist-agent</title>"
			   "<link rel=\"stylesheet\" href=\"/static/hoist.css\">"
			   "<script src=\"/static/hoist.js\" defer></script></head>\n<body>"
			   "<header><a class=\"home\" href=\"/\">hoist-agent</a><span class=\"who\">");
	if (v->logged_in) {
		strbuf_addstr(out, "<form method=\"post\" action=\"/logout\" class=\"inline\">"
				   "<input type=\"hidden\" name=\"csrf\" value=\"");
		html_esc(out, v->csrf);
		strbuf_addstr(out, "\"><button id=\"logout\" type=\"submit\">Log out</button></form>");
	} else {
		strbuf_addstr(out, "<a id=\"login\" href=\"/login\">Log in</a>");
	}
	strbuf_addstr(out, "</span></header>\n<main>");
	if (v->notice) {
		strbuf_addf(out, "<p id=\"notice\" class=\"%s\">", v->error ? "error" : "ok");
		html_esc(out, v->notice);
		strbuf_addstr(out, "</p>");
	}
}

static void foot(struct strbuf *out)
{
	strbuf_addstr(out, "</main></body></html>\n");
}

static int parse_json(struct doc_stream **ds, const char *json, size_t len, const char *what)
{
	static const struct doc_limits lim = { 64u << 20, 64, 1u << 22, false };
	int r = doc_parse(ds, json, len, what, &lim);

	if (!r && ((*ds)->ndocs != 1 || (*ds)->docs[0]->kind != DOC_MAP))
		r = err_set(ERR_INVALID, "%s: not a JSON object", what);
	return r;
}

int web_page_list(struct strbuf *out, const char *json, size_t len, const struct web_view *v)
{
	struct doc_stream *ds = NULL;
	const struct doc_node *apps;
	size_t i;
	int r;

	r = parse_json(&ds, json, len, "status");
	if (r)
		goto out;
	apps = node(ds->docs[0], "apps", DOC_SEQ);
	head(out, "Apps", v);
	strbuf_addstr(out, "<h1>Apps</h1><input id=\"filter\" type=\"search\" "
			   "placeholder=\"filter by name\" aria-label=\"filter by name\">"
			   "<table id=\"apps\"><thead><tr><th>app</th><th>source</th><th>digest</th>"
			   "<th>revision</th><th>sync</th><th>result</th><th>health</th>"
			   "<th>drifted</th><th>last sync</th></tr></thead><tbody>\n");
	for (i = 0; apps && i < apps->n; i++) {
		const struct doc_node *a = apps->kids[i];
		const char *name = sv(a, "name"), *sync = sv(a, "sync"), *drifted = sv(a, "drifted");

		if (!name)
			continue;
		strbuf_addstr(out, "<tr class=\"app\" data-app=\"");
		html_esc(out, name);
		strbuf_addstr(out, "\"><td class=\"name\"><a href=\"/app/");
		html_esc(out, name); /* api names are [a-z0-9.-]: no URL escaping needed */
		strbuf_addstr(out, "\">");
		html_esc(out, name);
		strbuf_addstr(out, "</a>");
		if (bv(a, "suspended"))
			strbuf_addstr(out, " <span class=\"badge b-suspended\">suspended</span>");
		if (bv(a, "syncing"))
			strbuf_addstr(out, " <span class=\"badge b-syncing\">syncing</span>");
		strbuf_addstr(out, "</td>");
		td(out, "source", sv(a, "source"));
		digest_cell(out, "digest", sv(a, "digest"));
		td(out, "revision", sv(a, "revision"));
		td(out, "sync", sync ? sync : "auto");
		badge(out, "result", sv(a, "result"));
		badge(out, "health", sv(a, "health"));
		td(out, "drifted", drifted ? drifted : "0");
		time_cell(out, "last-sync", sv(a, "lastSync"));
		strbuf_addstr(out, "</tr>\n");
	}
	strbuf_addstr(out, "</tbody></table>");
	foot(out);
out:
	doc_stream_free(ds);
	return r;
}

/* A JSON value of a diff ("live", "want") as compact JSON text; "(absent)" for null. */
static void json_cell(struct strbuf *out, const char *cls, const struct doc_node *m,
		      const char *k)
{
	const struct doc_node *n = m && m->kind == DOC_MAP ? doc_map_get(m, k) : NULL;
	struct strbuf j = STRBUF_INIT;

	strbuf_addf(out, "<td class=\"%s\">", cls);
	if (!n || (n->kind == DOC_SCALAR && n->style == DOC_STYLE_PLAIN &&
		   !strcmp(n->str, "null"))) {
		strbuf_addstr(out, "<span class=\"none\">(absent)</span>");
	} else if (!doc_emit_json(&j, n)) {
		strbuf_rtrim(&j);
		strbuf_addstr(out, "<code>");
		html_esc(out, j.buf);
		strbuf_addstr(out, "</code>");
	}
	err_clear();
	strbuf_release(&j);
	strbuf_addstr(out, "</td>");
}

static void diff_table(struct strbuf *out, const struct doc_node *diff)
{
	size_t i;

	if (!diff || !diff->n)
		return;
	strbuf_addstr(out, "<table class=\"diff\"><thead><tr><th>field</th><th>live</th>"
			   "<th>wanted</th></tr></thead><tbody>");
	for (i = 0; i < diff->n; i++) {
		const struct doc_node *d = diff->kids[i];

		strbuf_addstr(out, "<tr>");
		td(out, "path", sv(d, "path"));
		json_cell(out, "live", d, "live");
		json_cell(out, "want", d, "want");
		strbuf_addstr(out, "</tr>");
	}
	strbuf_addstr(out, "</tbody></table>");
}

/* "KIND NAMESPACE/NAME" or "KIND NAME", escaped. */
static void object_name(struct strbuf *out, const struct doc_node *o)
{
	const char *ns = sv(o, "namespace");

	text(out, sv(o, "kind"));
	strbuf_addch(out, ' ');
	if (ns) {
		html_esc(out, ns);
		strbuf_addch(out, '/');
	}
	text(out, sv(o, "name"));
}

static void hidden(struct strbuf *out, const char *name, const char *value)
{
	strbuf_addf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	html_esc(out, value ? value : "");
	strbuf_addstr(out, "\">");
}

static void form_start(struct strbuf *out, const char *app, const char *action,
		       const struct web_view *v)
{
	strbuf_addstr(out, "<form method=\"post\" class=\"inline\" action=\"/app/");
	html_esc(out, app);
	strbuf_addf(out, "/%s\">", action);
	hidden(out, "csrf", v->logged_in ? v->csrf : "");
}

static void section_objects(struct strbuf *out, const struct doc_node *objs)
{
	size_t i;

	strbuf_addstr(out, "<h2>Objects</h2>");
	if (!objs || !objs->n) {
		strbuf_addstr(out, "<p class=\"none\">The agent reports no objects for this app.</p>");
		return;
	}
	strbuf_addstr(out, "<table id=\"objects\"><thead><tr><th>object</th><th>apiVersion</th>"
			   "<th>health</th><th>drift</th></tr></thead><tbody>\n");
	for (i = 0; i < objs->n; i++) {
		const struct doc_node *o = objs->kids[i];
		const struct doc_node *drift = node(o, "drift", DOC_MAP);

		strbuf_addf(out, "<tr class=\"object%s\"><td class=\"object-name\">",
			    drift ? " drifted" : "");
		object_name(out, o);
		strbuf_addstr(out, "</td>");
		td(out, "api-version", sv(o, "apiVersion"));
		strbuf_addstr(out, "<td class=\"health\">");
		text(out, sv(o, "health"));
		if (sv(o, "healthMessage") && *sv(o, "healthMessage")) {
			strbuf_addstr(out, "<div class=\"msg\">");
			html_esc(out, sv(o, "healthMessage"));
			strbuf_addstr(out, "</div>");
		}
		strbuf_addstr(out, "</td><td class=\"drift\">");
		if (!drift) {
			strbuf_addstr(out, "<span class=\"none\">none</span>");
		} else {
			strbuf_addstr(out, "<details open><summary>");
			strbuf_addstr(out, bv(drift, "deleted") ? "deleted" : "drifted");
			if (sv(drift, "since")) {
				strbuf_addstr(out, " since <time datetime=\"");
				html_esc(out, sv(drift, "since"));
				strbuf_addstr(out, "\">");
				html_esc(out, sv(drift, "since"));
				strbuf_addstr(out, "</time>");
			}
			strbuf_addstr(out, "</summary>");
			diff_table(out, node(drift, "diff", DOC_SEQ));
			strbuf_addstr(out, "</details>");
		}
		strbuf_addstr(out, "</td></tr>\n");
	}
	strbuf_addstr(out, "</tbody></table>");
}

static void section_plan(struct strbuf *out, const char *app, const struct doc_node *plan,
			 const struct web_view *v)
{
	const struct doc_node *changes = node(plan, "changes", DOC_SEQ);
	size_t i;

	strbuf_addstr(out, "<section id=\"plan\"><h2>Pending plan</h2><dl>");
	strbuf_addstr(out, "<dt>digest</dt><dd class=\"plan-digest\">");
	text(out, sv(plan, "digest"));
	strbuf_addstr(out, "</dd><dt>revision</dt><dd>");
	text(out, sv(plan, "revision"));
	strbuf_addstr(out, "</dd><dt>plan hash</dt><dd class=\"plan-hash\">");
	text(out, sv(plan, "hash"));
	strbuf_addstr(out, "</dd><dt>computed</dt><dd>");
	text(out, sv(plan, "created"));
	strbuf_addstr(out, "</dd></dl>");
	form_start(out, app, "approve", v);
	hidden(out, "digest", sv(plan, "digest"));
	hidden(out, "plan", sv(plan, "hash"));
	strbuf_addstr(out, "<button id=\"approve\" type=\"submit\">Approve and apply</button></form>");
	if (!v->logged_in)
		strbuf_addstr(out, " <span class=\"hint\">(log in with the agent's token to approve)</span>");
	strbuf_addstr(out, "<table id=\"changes\"><thead><tr><th>action</th><th>object</th>"
			   "<th>changes</th></tr></thead><tbody>\n");
	for (i = 0; changes && i < changes->n; i++) {
		const struct doc_node *c = changes->kids[i];

		strbuf_addstr(out, "<tr class=\"change\">");
		badge(out, "action", sv(c, "action"));
		strbuf_addstr(out, "<td class=\"object-name\">");
		object_name(out, c);
		strbuf_addstr(out, "</td><td>");
		diff_table(out, node(c, "diff", DOC_SEQ));
		strbuf_addstr(out, "</td></tr>\n");
	}
	strbuf_addstr(out, "</tbody></table></section>");
}

static void section_history(struct strbuf *out, const struct doc_node *hist)
{
	size_t i;

	strbuf_addstr(out, "<h2>Sync history</h2>");
	if (!hist || !hist->n) {
		strbuf_addstr(out, "<p class=\"none\">No sync recorded.</p>");
		return;
	}
	strbuf_addstr(out, "<table id=\"history\"><thead><tr><th>started</th><th>finished</th>"
			   "<th>digest</th><th>revision</th><th>result</th><th>applied</th>"
			   "<th>unchanged</th><th>pruned</th><th>health</th><th>approved by</th>"
			   "<th>message</th></tr></thead><tbody>\n");
	for (i = 0; i < hist->n; i++) {
		const struct doc_node *h = hist->kids[i];

		strbuf_addstr(out, "<tr>");
		time_cell(out, "started", sv(h, "started"));
		time_cell(out, "finished", sv(h, "finished"));
		digest_cell(out, "digest", sv(h, "digest"));
		td(out, "revision", sv(h, "revision"));
		badge(out, "result", sv(h, "result"));
		td(out, "applied", sv(h, "applied"));
		td(out, "unchanged", sv(h, "unchanged"));
		td(out, "pruned", sv(h, "pruned"));
		badge(out, "health", sv(h, "health"));
		td(out, "approved-by", sv(h, "approvedBy"));
		td(out, "message", sv(h, "message"));
		strbuf_addstr(out, "</tr>\n");
	}
	strbuf_addstr(out, "</tbody></table>");
}

int web_page_app(struct strbuf *out, const char *json, size_t len, const struct web_view *v)
{
	static const char *const fields[][2] = {
		{ "source", "source" },     { "digest", "digest" },   { "revision", "revision" },
		{ "version", "version" },   { "sync", "sync policy" }, { "drift", "drift policy" },
		{ "result", "last result" }, { "message", "message" }, { "health", "health" },
		{ "lastSync", "last sync" }, { "nextSync", "next sync" },
	};
	struct doc_stream *ds = NULL;
	const struct doc_node *a;
	const char *name;
	size_t i;
	int r;

	r = parse_json(&ds, json, len, "app");
	if (r)
		goto out;
	a = ds->docs[0];
	name = sv(a, "name");
	if (!name) {
		r = err_set(ERR_INVALID, "app: no name");
		goto out;
	}
	head(out, name, v);
	strbuf_addstr(out, "<h1 id=\"app-name\">");
	html_esc(out, name);
	if (bv(a, "suspended"))
		strbuf_addstr(out, " <span class=\"badge b-suspended\">suspended</span>");
	strbuf_addstr(out, "</h1><dl id=\"summary\">");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *val = sv(a, fields[i][0]);
		if (!val)
			continue;
		strbuf_addf(out, "<dt>%s</dt><dd class=\"%s\">", fields[i][1], fields[i][0]);
		html_esc(out, val);
		strbuf_addstr(out, "</dd>");
	}
	strbuf_addstr(out, "</dl><div class=\"actions\">");
	form_start(out, name, "sync", v);
	strbuf_addstr(out, "<button id=\"sync\" type=\"submit\">Sync now</button></form></div>");
	if (node(a, "plan", DOC_MAP))
		section_plan(out, name, node(a, "plan", DOC_MAP), v);
	section_objects(out, node(a, "objects", DOC_SEQ));
	section_history(out, node(a, "history", DOC_SEQ));
	foot(out);
out:
	doc_stream_free(ds);
	return r;
}

void web_page_login(struct strbuf *out, const struct web_view *v)
{
	head(out, "Log in", v);
	strbuf_addstr(out, "<h1>Log in</h1><form id=\"login-form\" method=\"post\" action=\"/login\">"
			   "<label>The agent's token (the first line of its tokenFile) "
			   "<input id=\"token\" type=\"password\" name=\"token\" "
			   "autocomplete=\"current-password\" required></label> "
			   "<button id=\"login-button\" type=\"submit\">Log in</button></form>");
	foot(out);
}

void web_page_message(struct strbuf *out, const char *title, const char *msg,
		      const struct web_view *v)
{
	head(out, title, v);
	strbuf_addstr(out, "<h1>");
	html_esc(out, title);
	strbuf_addstr(out, "</h1><p id=\"message\">");
	html_esc(out, msg);
	strbuf_addstr(out, "</p><p><a href=\"/\">Back to the apps</a></p>");
	foot(out);
}

const char *const web_security_headers[] = {
	"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Frame-Options", "DENY",
	"X-Content-Type-Options", "nosniff",
	"Referrer-Policy", "same-origin", /* "no-referrer" makes Chromium send Origin: null */
	"Cross-Origin-Opener-Policy", "same-origin",
	NULL, NULL,
};

/* The script: times shown relative to now, the list's name filter, no double submit. */
const char web_js[] =
	"'use strict';\n"
	"(function () {\n"
	"  function ago(t) {\n"
	"    var s = Math.round((Date.now() - t) / 1000);\n"
	"    if (isNaN(s)) return null;\n"
	"    var future = s < 0; s = Math.abs(s);\n"
	"    var u = s < 90 ? s + ' s' : s < 5400 ? Math.round(s / 60) + ' min' :\n"
	"      s < 172800 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';\n"
	"    return future ? 'in ' + u : u + ' ago';\n"
	"  }\n"
	"  function times() {\n"
	"    document.querySelectorAll('time[datetime]').forEach(function (el) {\n"
	"      var r = ago(Date.parse(el.getAttribute('datetime')));\n"
	"      if (r) { el.textContent = r; el.title = el.getAttribute('datetime'); }\n"
	"    });\n"
	"  }\n"
	"  document.addEventListener('DOMContentLoaded', function () {\n"
	"    times();\n"
	"    setInterval(times, 15000);\n"
	"    var f = document.getElementById('filter');\n"
	"    if (f) f.addEventListener('input', function () {\n"
	"      var q = f.value.toLowerCase();\n"
	"      document.querySelectorAll('tr.app').forEach(function (tr) {\n"
	"        tr.hidden = tr.dataset.app.indexOf(q) < 0;\n"
	"      });\n"
	"    });\n"
	"    document.querySelectorAll('form[method=post]').forEach(function (form) {\n"
	"      form.addEventListener('submit', function () {\n"
	"        form.querySelectorAll('button').forEach(function (b) { b.disabled = true; });\n"
	"      });\n"
	"    });\n"
	"  });\n"
	"})();\n";

const char web_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\n"
	"header{display:flex;justify-content:space-between;align-items:center;"
	"padding:8px 16px;background:#1d2330;color:#fff}\n"
	"header a{color:#fff;text-decoration:none;font-weight:600}\n"
	"main{padding:8px 16px}\n"
	"table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}\n"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6eb;vertical-align:top}\n"
	"th{font-weight:600;background:#eef0f3}\n"
	"td table{margin:4px 0}\n"
	"code{font:12px ui-monospace,monospace}\n"
	".none{color:#8a93a3}\n"
	".badge{display:inline-block;padding:0 6px;border-radius:8px;background:#e3e6eb;"
	"font-size:12px}\n"
	".b-healthy,.b-ok,.b-unchanged{background:#d5f2dc}\n"
	".b-progressing,.b-syncing,.b-create,.b-update{background:#fff1c2}\n"
	".b-degraded,.b-failed,.b-prune{background:#fbd3d0}\n"
	".b-suspended{background:#dcdcf5}\n"
	"tr.drifted td.object-name{border-left:3px solid #d9822b}\n"
	"table.diff td.live{background:#fdecea}table.diff td.want{background:#e8f6ec}\n"
	"form.inline{display:inline}\n"
	"button{padding:4px 12px;border:1px solid #1d2330;border-radius:4px;background:#fff;"
	"cursor:pointer}\n"
	"header button{border-color:#fff;background:transparent;color:#fff}\n"
	"#notice.error{color:#a1251b}#notice.ok{color:#1f7a3a}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}\n"
	"dt{color:#5b6475}dd{margin:0}\n"
	"#filter{margin:4px 0;padding:4px;width:240px}\n"
	".msg{color:#5b6475;font-size:12px}\n";
