/*
 * server.c - the agent's HTTP server on libmicrohttpd.  See server.h.
 */
#include "core/compat.h"
#include "agent/server.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/push.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/oci.h"
#include "core/strbuf.h"
#include <arpa/inet.h>
#include <microhttpd.h>
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
};

/* One request's state, from its headers to the last call of the handler. */
struct request {
	enum api_route route;
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

static enum MHD_Result dispatch(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	struct strbuf json = STRBUF_INIT;
	enum MHD_Result ok;
	int r;

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
	if (rq->route == API_NONE) {
		rq->replied = true;
		return reply_error(c, 404, "not-found", "no such path", NULL);
	}
	if (rq->route == API_BAD_METHOD) {
		rq->replied = true;
		return reply_error(c, 405, "method-not-allowed", "method not allowed here",
				   api_route_allow(url));
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
	if (o->token_file)
		s->token_file = xstrdup(o->token_file);
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
	if (s->key_pem) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s);
}
