/*
 * server.c - the agent's HTTP server on libmicrohttpd.  See server.h.
 */
#include "core/compat.h"
#include "agent/server.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/metrics.h"
#include "agent/push.h"
#include "agent/web.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci.h"
#include "core/strbuf.h"
#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <netdb.h>
#include <stdarg.h>
#include <sys/socket.h>

#define SERVER_CONN_LIMIT 64
#define SERVER_CONN_TIMEOUT 60 /* seconds of silence before a connection is dropped */
#define SERVER_CONN_MEMORY (128u << 10) /* headers of one request (a manifest header fits) */

struct server {
	struct MHD_Daemon *d;
	struct server_ops ops;
	char *token_file;
	char *cert_pem, *key_pem;
	unsigned port;
	unsigned char web_key[WEB_KEY_SIZE]; /* signs the web page's sessions */
	bool auth_read;                      /* webAuth: read */
};

/* One request's state, from its headers to the last call of the handler. */
struct request {
	enum api_route route;
	enum web_route web; /* when route is API_NONE */
	char app[API_APP_MAX + 1];
	struct strbuf body;
	bool toobig;
	bool replied;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, struct strbuf *json,
			     const char *allow)
{
	struct MHD_Response *res;
	enum MHD_Result ok;

	res = MHD_create_response_from_buffer(json->len, json->buf, MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", "application/json");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	if (status == 401)
		MHD_add_response_header(res, "WWW-Authenticate", "Bearer realm=\"hoist-agent\"");
	if (allow)
		MHD_add_response_header(res, "Allow", allow);
	ok = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	return ok;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *code,
				   const char *msg, const char *allow)
{
	struct strbuf json = STRBUF_INIT;
	enum MHD_Result ok;

	api_error_json(&json, code, msg);
	ok = reply(c, status, &json, allow);
	strbuf_release(&json);
	return ok;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* 0 when the request carries the token; otherwise the reply is queued. */
static int check_token(struct server *s, struct MHD_Connection *c, enum MHD_Result *ok)
{
	struct strbuf token = STRBUF_INIT;
	int r;

	if (!s->token_file) {
		*ok = reply_error(c, 403, "no-token-configured",
				  "this agent has no tokenFile: pushes and mutating calls are off",
				  NULL);
		return -1;
	}
	/* Read at every call, so a rotated Secret takes effect without a restart. */
	r = api_token_read(&token, s->token_file);
	if (r) {
		agent_log("error", NULL, NULL, NULL, "token", "%s", err_msg());
		*ok = reply_error(c, 500, "token-unreadable", "the agent cannot read its token",
				  NULL);
	} else if (!api_bearer_ok(header(c, MHD_HTTP_HEADER_AUTHORIZATION), token.buf)) {
		*ok = reply_error(c, 401, "unauthorized",
				  "a valid bearer token is required (Authorization: Bearer TOKEN)",
				  NULL);
		r = -1;
	}
	strbuf_release(&token);
	return r;
}

/* A callback's result: an HTTP status, or a negative error to report. */
static enum MHD_Result reply_cb(struct MHD_Connection *c, int rc, struct strbuf *json)
{
	if (rc == ERR_NOTFOUND)
		return reply_error(c, 404, "not-found", err_msg(), NULL);
	if (rc < 0)
		return reply_error(c, 500, err_name(rc), err_msg(), NULL);
	return reply(c, (unsigned)rc, json, NULL);
}

static enum MHD_Result handle_push(struct server *s, struct MHD_Connection *c,
				   struct request *rq)
{
	struct server_app app = { 0 };
	struct push_claims claims;
	struct push_checked pc;
	struct strbuf json = STRBUF_INIT;
	enum push_fail fail = PUSH_OK;
	enum MHD_Result ok;
	int r;

	push_checked_init(&pc);
	r = s->ops.app_get(s->ops.ctx, rq->app, &app);
	if (r)
		return reply_cb(c, r, &json);
	if (!app.push) {
		strbuf_addf(&json, "app %s pulls its artifacts; its source is not `push`", rq->app);
		ok = reply_error(c, 409, "not-push-mode", json.buf, NULL);
		goto out;
	}
	claims.digest = header(c, PUSH_HDR_DIGEST);
	claims.manifest_b64 = header(c, PUSH_HDR_MANIFEST);
	claims.payload_b64 = header(c, PUSH_HDR_PAYLOAD);
	claims.signature_b64 = header(c, PUSH_HDR_SIGNATURE);
	r = push_check(&pc, &fail, &claims, rq->body.buf, rq->body.len, app.verify_key);
	if (r) {
		agent_log("warn", rq->app, NULL, NULL, "push-refused", "%s: %s", push_fail_name(fail),
			  err_msg());
		ok = reply_error(c, (unsigned)push_fail_status(fail), push_fail_name(fail),
				 err_msg(), NULL);
		goto out;
	}
	r = s->ops.push(s->ops.ctx, rq->app, rq->body.buf, rq->body.len, &pc, &json);
	ok = reply_cb(c, r, &json);
out:
	push_checked_release(&pc);
	strbuf_release(&json);
	return ok;
}

/*
 * The web page (web.h): HTML rendered from the same callbacks the JSON API
 * uses, a session cookie for writes, CSRF tokens in every form.
 */

static enum MHD_Result reply_web(struct MHD_Connection *c, unsigned status, const char *type,
				 const void *body, size_t len, const char *location,
				 const char *cookie)
{
	struct MHD_Response *res;
	enum MHD_Result ok;
	size_t i;

	res = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", type);
	MHD_add_response_header(res, "Cache-Control", "no-store");
	for (i = 0; web_security_headers[i]; i += 2)
		MHD_add_response_header(res, web_security_headers[i], web_security_headers[i + 1]);
	if (location)
		MHD_add_response_header(res, "Location", location);
	if (cookie)
		MHD_add_response_header(res, "Set-Cookie", cookie);
	ok = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	return ok;
}

#define HTML_TYPE "text/html; charset=utf-8"

static enum MHD_Result web_message(struct MHD_Connection *c, unsigned status, const char *title,
				   const char *msg, const struct web_view *v)
{
	struct strbuf html = STRBUF_INIT;
	enum MHD_Result ok;

	web_page_message(&html, title, msg, v);
	ok = reply_web(c, status, HTML_TYPE, html.buf, html.len, NULL, NULL);
	strbuf_release(&html);
	return ok;
}

static enum MHD_Result web_redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	return reply_web(c, 303, HTML_TYPE, "", 0, to, cookie);
}

/* A page rendered from an API callback's JSON (status: app NULL; one app otherwise). */
static enum MHD_Result web_page(struct server *s, struct MHD_Connection *c, const char *app,
				struct web_view *v)
{
	struct strbuf json = STRBUF_INIT, html = STRBUF_INIT;
	const char *done = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "done");
	enum MHD_Result ok;
	int r;

	if (app && done && !strcmp(done, "sync"))
		v->notice = "Sync requested: the agent syncs this app now.";
	else if (app && done && !strcmp(done, "approve"))
		v->notice = "Approved: the agent applies the plan now.";
	r = s->ops.status(s->ops.ctx, app, &json);
	if (r == ERR_NOTFOUND) {
		ok = web_message(c, 404, "Not found", err_msg(), v);
		goto out;
	}
	if (r >= 0)
		r = app ? web_page_app(&html, json.buf, json.len, v)
			: web_page_list(&html, json.buf, json.len, v);
	if (r < 0) {
		agent_log("error", app, NULL, NULL, "web", "%s", err_msg());
		ok = web_message(c, 500, "Error", err_msg(), v);
		goto out;
	}
	ok = reply_web(c, 200, HTML_TYPE, html.buf, html.len, NULL, NULL);
out:
	strbuf_release(&json);
	strbuf_release(&html);
	return ok;
}

/* A write the page asks for, through the same callback as POST /v1/apps/APP/sync. */
static enum MHD_Result web_write(struct server *s, struct MHD_Connection *c, struct request *rq,
				 struct web_view *v)
{
	struct strbuf digest = STRBUF_INIT, plan = STRBUF_INIT, body = STRBUF_INIT;
	struct strbuf json = STRBUF_INIT, to = STRBUF_INIT;
	char d[DIGEST_STR_SIZE], hash[DIGEST_STR_SIZE], by[128];
	enum MHD_Result ok;
	int r;

	if (rq->web == WEB_APPROVE) {
		/* The approval names what the page showed: the plan's digest and hash. */
		if (web_form_get(rq->body.buf, rq->body.len, "digest", &digest) ||
		    web_form_get(rq->body.buf, rq->body.len, "plan", &plan)) {
			ok = web_message(c, 400, "Bad request",
					 "an approval needs the plan's digest and hash", v);
			goto out;
		}
		strbuf_addstr(&body, "{\"digest\":");
		strbuf_add_json_str(&body, digest.buf, digest.len);
		strbuf_addstr(&body, ",\"plan\":");
		strbuf_add_json_str(&body, plan.buf, plan.len);
		strbuf_addstr(&body, ",\"by\":\"web\"}");
	}
	/* The body POST /v1/apps/APP/sync takes, through the same parser and callbacks. */
	if (api_approve_body_parse(body.buf, body.len, d, hash, by)) {
		ok = web_message(c, 400, "Bad request", err_msg(), v);
		goto out;
	}
	if (hash[0] && s->ops.approve)
		r = s->ops.approve(s->ops.ctx, rq->app, d, hash, by, &json);
	else if (hash[0])
		r = err_set(ERR_GENERIC, "this agent cannot approve plans");
	else
		r = s->ops.sync(s->ops.ctx, rq->app, d, &json);
	if (r < 0 || r >= 300) {
		struct doc_stream *ds = NULL;
		const char *msg = r < 0 ? err_msg() : NULL;

		if (!msg && !doc_parse(&ds, json.buf, json.len, "reply", NULL) && ds->ndocs == 1)
			msg = doc_get_str(ds->docs[0], "message", NULL);
		ok = web_message(c, r == ERR_NOTFOUND ? 404 : r < 0 ? 500 : (unsigned)r, "Refused",
				 msg ? msg : "the agent refused", v);
		doc_stream_free(ds);
		err_clear();
		goto out;
	}
	agent_log("info", rq->app, d[0] ? d : NULL, NULL, "web",
		  rq->web == WEB_APPROVE ? "approved from the web page" : "sync from the web page");
	strbuf_addf(&to, "/app/%s?done=%s", rq->app, rq->web == WEB_APPROVE ? "approve" : "sync");
	ok = web_redirect(c, to.buf, NULL);
out:
	strbuf_release(&digest);
	strbuf_release(&plan);
	strbuf_release(&body);
	strbuf_release(&json);
	strbuf_release(&to);
	return ok;
}

/*
 * Under webAuth: read, whether a read may go on: the bearer token, or a
 * web session.  Always true otherwise.
 */
static bool may_read(struct server *s, struct MHD_Connection *c)
{
	struct strbuf token = STRBUF_INIT, cookie = STRBUF_INIT;
	const char *ch = header(c, "Cookie");
	bool ok = !s->auth_read;

	if (!ok && s->token_file && !api_token_read(&token, s->token_file))
		ok = api_bearer_ok(header(c, MHD_HTTP_HEADER_AUTHORIZATION), token.buf) ||
		     (ch && !web_cookie_get(ch, WEB_SESSION_COOKIE, &cookie) &&
		      web_session_ok(cookie.buf, s->web_key, token.buf, time(NULL), NULL));
	err_clear();
	if (token.len)
		explicit_bzero(token.buf, token.len);
	strbuf_release(&token);
	strbuf_release(&cookie);
	return ok;
}

/* Origin and Sec-Fetch-Site name this agent's pages (web_origin_ok); a refusal is logged. */
static bool web_same_origin(struct server *s, struct MHD_Connection *c)
{
	const char *origin = header(c, "Origin"), *site = header(c, "Sec-Fetch-Site");
	const char *host = header(c, "Host");

	if (web_origin_ok(origin, site, host, s->cert_pem != NULL))
		return true;
	agent_log("warn", NULL, NULL, NULL, "web-refused",
		  "a form posted from another site (Origin %s, Sec-Fetch-Site %s, Host %s)",
		  origin ? origin : "-", site ? site : "-", host ? host : "-");
	return false;
}

static enum MHD_Result web_dispatch(struct server *s, struct MHD_Connection *c,
				    struct request *rq)
{
	struct strbuf token = STRBUF_INIT, cookie = STRBUF_INIT, field = STRBUF_INIT;
	struct strbuf out = STRBUF_INIT;
	struct web_view v = { 0 };
	char csrf[WEB_CSRF_SIZE] = "";
	const char *ch = header(c, "Cookie");
	bool have_token = s->token_file && !api_token_read(&token, s->token_file);
	enum MHD_Result ok;

	err_clear();
	if (have_token && ch && !web_cookie_get(ch, WEB_SESSION_COOKIE, &cookie) &&
	    web_session_ok(cookie.buf, s->web_key, token.buf, time(NULL), csrf)) {
		v.logged_in = true;
		v.csrf = csrf;
	}
	err_clear();
	if ((rq->web == WEB_INDEX || rq->web == WEB_APP || rq->web == WEB_METRICS) &&
	    !v.logged_in && !may_read(s, c)) {
		/* webAuth: read: people are sent to the login, scrapers told to authenticate. */
		if (rq->web == WEB_METRICS) {
			strbuf_addstr(&out, "a bearer token is required (webAuth: read)\n");
			ok = reply_web(c, 401, "text/plain; charset=utf-8", out.buf, out.len, NULL,
				       NULL);
		} else {
			ok = web_redirect(c, "/login", NULL);
		}
		goto out;
	}
	switch (rq->web) {
	case WEB_INDEX:
		ok = web_page(s, c, NULL, &v);
		break;
	case WEB_APP:
		ok = web_page(s, c, rq->app, &v);
		break;
	case WEB_JS:
		ok = reply_web(c, 200, "text/javascript; charset=utf-8", web_js, strlen(web_js),
			       NULL, NULL);
		break;
	case WEB_CSS:
		ok = reply_web(c, 200, "text/css; charset=utf-8", web_css, strlen(web_css), NULL,
			       NULL);
		break;
	case WEB_METRICS: {
		struct strbuf json = STRBUF_INIT;

		if (s->ops.status(s->ops.ctx, NULL, &json) < 0)
			strbuf_reset(&json);
		err_clear();
		metrics_render(&out, json.len ? json.buf : NULL, json.len,
			       s->ops.queue_depth ? s->ops.queue_depth(s->ops.ctx) : -1);
		strbuf_release(&json);
		ok = reply_web(c, 200, "text/plain; version=0.0.4; charset=utf-8", out.buf, out.len,
			       NULL, NULL);
		break;
	}
	case WEB_LOGIN_FORM:
		web_page_login(&out, &v);
		ok = reply_web(c, 200, HTML_TYPE, out.buf, out.len, NULL, NULL);
		break;
	case WEB_LOGIN:
		if (!web_same_origin(s, c)) {
			ok = web_message(c, 403, "Refused", "a form posted from another site", &v);
			break;
		}
		if (!have_token) {
			ok = web_message(c, 403, "Refused",
					 "this agent has no readable tokenFile: writes are off", &v);
			break;
		}
		if (web_form_get(rq->body.buf, rq->body.len, "token", &field) ||
		    !web_secret_equal(field.buf, token.buf)) {
			agent_log("warn", NULL, NULL, NULL, "web-login", "a login with a wrong token");
			v.notice = "That is not the agent's token.";
			v.error = true;
			web_page_login(&out, &v);
			ok = reply_web(c, 403, HTML_TYPE, out.buf, out.len, NULL, NULL);
			break;
		}
		strbuf_addf(&out, "%s=", WEB_SESSION_COOKIE);
		web_session_new(&out, s->web_key, token.buf, time(NULL));
		strbuf_addf(&out, "; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
			    WEB_SESSION_TTL, s->cert_pem ? "; Secure" : "");
		ok = web_redirect(c, "/", out.buf);
		break;
	default:
		/* The form POSTs: same origin, a session, and the session's CSRF token. */
		if (!web_same_origin(s, c)) {
			ok = web_message(c, 403, "Refused", "a form posted from another site", &v);
			break;
		}
		if (!v.logged_in) {
			ok = web_message(c, 403, "Log in first",
					 "approving or syncing needs a session: log in with the "
					 "agent's token",
					 &v);
			break;
		}
		if (web_form_get(rq->body.buf, rq->body.len, "csrf", &field) ||
		    !web_secret_equal(field.buf, csrf)) {
			ok = web_message(c, 403, "Refused", "the form's CSRF token is missing or wrong",
					 &v);
			break;
		}
		if (rq->web == WEB_LOGOUT) {
			strbuf_addf(&out, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
				    WEB_SESSION_COOKIE);
			ok = web_redirect(c, "/", out.buf);
			break;
		}
		ok = web_write(s, c, rq, &v);
		break;
	}
out:
	err_clear();
	if (token.len)
		explicit_bzero(token.buf, token.len);
	strbuf_release(&token);
	strbuf_release(&cookie);
	strbuf_release(&field);
	strbuf_release(&out);
	return ok;
}

static enum MHD_Result dispatch(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	struct strbuf json = STRBUF_INIT;
	enum MHD_Result ok;
	int r;

	if (rq->web)
		return web_dispatch(s, c, rq);
	switch (rq->route) {
	case API_HEALTHZ:
		strbuf_addstr(&json, "{\"ok\":true}\n");
		ok = reply(c, 200, &json, NULL);
		break;
	case API_STATUS:
		r = s->ops.status(s->ops.ctx, NULL, &json);
		ok = reply_cb(c, r, &json);
		break;
	case API_APP:
		r = s->ops.status(s->ops.ctx, rq->app, &json);
		ok = reply_cb(c, r, &json);
		break;
	case API_SYNC: {
		char digest[DIGEST_STR_SIZE], plan[DIGEST_STR_SIZE], by[128];

		if (api_approve_body_parse(rq->body.buf, rq->body.len, digest, plan, by)) {
			ok = reply_error(c, 400, "bad-request", err_msg(), NULL);
			break;
		}
		if (plan[0] && s->ops.approve)
			r = s->ops.approve(s->ops.ctx, rq->app, digest, plan, by, &json);
		else
			r = s->ops.sync(s->ops.ctx, rq->app, digest, &json);
		ok = reply_cb(c, r, &json);
		break;
	}
	case API_ACCEPT_DRIFT: {
		char object[512];

		if (!s->ops.accept_drift) {
			ok = reply_error(c, 404, "not-found", "no such path", NULL);
			break;
		}
		if (api_accept_body_parse(rq->body.buf, rq->body.len, object)) {
			ok = reply_error(c, 400, "bad-request", err_msg(), NULL);
			break;
		}
		r = s->ops.accept_drift(s->ops.ctx, rq->app, object, &json);
		ok = reply_cb(c, r, &json);
		break;
	}
	case API_ARTIFACT:
		ok = handle_push(s, c, rq);
		break;
	default:
		ok = reply_error(c, 404, "not-found", "no such path", NULL);
		break;
	}
	strbuf_release(&json);
	return ok;
}

/* The first call for a request: its headers are in, its body is not. */
static enum MHD_Result begin(struct server *s, struct MHD_Connection *c, const char *url,
			     const char *method, struct request *rq)
{
	const char *len_s;
	enum MHD_Result ok = MHD_YES;

	rq->route = api_route(method, url, rq->app);
	if (rq->route == API_NONE)
		rq->web = web_route(method, url, rq->app);
	if (rq->web == WEB_BAD_METHOD) {
		rq->replied = true;
		return reply_error(c, 405, "method-not-allowed", "method not allowed here",
				   web_route_allow(url));
	}
	if (rq->web) {
		rq->body.limit = 64u << 10; /* a form: the token, a CSRF token, a digest */
		return MHD_YES;
	}
	if (rq->route == API_NONE) {
		rq->replied = true;
		return reply_error(c, 404, "not-found", "no such path", NULL);
	}
	if (rq->route == API_BAD_METHOD) {
		rq->replied = true;
		return reply_error(c, 405, "method-not-allowed", "method not allowed here",
				   api_route_allow(url));
	}
	if ((rq->route == API_STATUS || rq->route == API_APP) && !may_read(s, c)) {
		rq->replied = true;
		return reply_error(c, 401, "unauthorized",
				   "this agent needs the token for reads too (webAuth: read)", NULL);
	}
	/* Refuse before reading a body we would throw away. */
	if (api_route_mutates(rq->route) && check_token(s, c, &ok)) {
		rq->replied = true;
		return ok;
	}
	len_s = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len_s) {
		char *end;
		unsigned long long n = strtoull(len_s, &end, 10);
		if (*end == '\0' && n > OCI_BLOB_MAX) {
			rq->replied = true;
			return reply_error(c, 413, push_fail_name(PUSH_TOO_LARGE),
					   "the body is over the artifact limit", NULL);
		}
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		strbuf_init(&rq->body, 0);
		rq->body.limit = OCI_BLOB_MAX;
		*con_cls = rq;
		return begin(s, c, url, method, rq);
	}
	if (rq->replied) {
		*upload_size = 0; /* discard: the reply is already queued */
		return MHD_YES;
	}
	if (*upload_size) {
		if (strbuf_add(&rq->body, upload_data, *upload_size))
			rq->toobig = true;
		*upload_size = 0;
		return MHD_YES;
	}
	rq->replied = true;
	if (rq->toobig)
		return reply_error(c, 413, push_fail_name(PUSH_TOO_LARGE),
				   "the body is over the artifact limit", NULL);
	return dispatch(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	if (!rq)
		return;
	strbuf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	agent_log("warn", NULL, NULL, NULL, "http", "%s", line);
}

/* "HOST:PORT", "[V6]:PORT", ":PORT" → an address to bind. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
			bool *v6)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[256];
	const char *colon, *port;
	size_t hl;
	int g;

	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb[1] != ':')
			return err_set(ERR_INVALID, "listen: '%s' is not [ADDRESS]:PORT", listen);
		hl = (size_t)(rb - listen - 1);
		if (hl >= sizeof(host))
			return err_set(ERR_INVALID, "listen: '%s': address too long", listen);
		memcpy(host, listen + 1, hl);
		port = rb + 2;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return err_set(ERR_INVALID, "listen: '%s' is not HOST:PORT", listen);
		hl = (size_t)(colon - listen);
		if (hl >= sizeof(host))
			return err_set(ERR_INVALID, "listen: '%s': host too long", listen);
		memcpy(host, listen, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    strtol(port, NULL, 10) > 65535)
		return err_set(ERR_INVALID, "listen: '%s': the port must be a number 0-65535",
			       listen);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	g = getaddrinfo(hl ? host : NULL, port, &hints, &ai);
	if (g || !ai)
		return err_set(ERR_INVALID, "listen: '%s': %s", listen, gai_strerror(g));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

int server_start(struct server **out, const struct server_opts *o,
		 const struct server_ops *ops)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	bool v6 = false;
	int r;

	*out = NULL;
	s->ops = *ops;
	s->auth_read = o->auth_read;
	if (o->token_file)
		s->token_file = xstrdup(o->token_file);
	r = web_key_new(s->web_key);
	if (r)
		goto fail;
	r = parse_listen(o->listen, &ss, &sslen, &v6);
	if (r)
		goto fail;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (!!o->cert != !!o->key) {
		r = err_set(ERR_INVALID, "TLS needs both cert and key");
		goto fail;
	}
	if (o->cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			r = err_set(ERR_GENERIC, "this libmicrohttpd has no TLS support");
			goto fail;
		}
		r = strbuf_read_file(&cert, o->cert, 1u << 20);
		if (!r)
			r = strbuf_read_file(&key, o->key, 1u << 20);
		if (r)
			goto fail;
		s->cert_pem = strbuf_detach(&cert, NULL);
		s->key_pem = strbuf_detach(&key, NULL);
		flags |= MHD_USE_TLS;
	}
	if (s->cert_pem)
		s->d = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
			on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
			(unsigned int)SERVER_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)SERVER_CONN_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)SERVER_CONN_MEMORY, MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_END);
	else
		s->d = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
			on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
			(unsigned int)SERVER_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)SERVER_CONN_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)SERVER_CONN_MEMORY, MHD_OPTION_END);
	if (!s->d) {
		r = err_set(ERR_GENERIC, "listen: cannot serve on %s (address in use, or a bad %s)",
			    o->listen, s->cert_pem ? "certificate or key" : "address");
		goto fail;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	*out = s;
	return 0;
fail:
	strbuf_release(&cert);
	strbuf_release(&key);
	server_stop(s);
	return r;
}

unsigned server_port(const struct server *s)
{
	return s->port;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	free(s->token_file);
	free(s->cert_pem);
	OPENSSL_cleanse(s->web_key, sizeof(s->web_key));
	if (s->key_pem) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s);
}
