/*
 * server.h - the agent's HTTP server on `listen` (libmicrohttpd).
 *
 * One internal thread polls every connection; handlers must be quick: a
 * push is checked (digest, signature, tarball) on that thread, then handed
 * to the run loop through `ops->push`, which keeps it and wakes the app.
 * No sync ever runs on the server's thread, so a slow cluster never stalls
 * the status API.  The routes and their replies are in docs/api.md; what
 * is read from a request is in api.h, push.h and web.h (the web page at
 * `/`, its login and forms, `/metrics`, rendered from the same `status`
 * callback and writing through the same `sync`/`approve` callbacks).
 *
 * Bodies are read into memory up to the artifact limit (OCI_BLOB_MAX); a
 * request that announces more is refused before its body is read, and so
 * is a mutating request without the right bearer token.
 */
#ifndef HOIST_AGENT_SERVER_H
#define HOIST_AGENT_SERVER_H

#include "core/compat.h"

struct sign_key;
struct strbuf;
struct push_checked;
struct server;

/* What the server needs to know about an app to accept a push for it. */
struct server_app {
	bool push;                         /* its source is `push` */
	const struct sign_key *verify_key; /* NULL: no signature required */
};

/*
 * The run loop's side.  Every callback runs on the server's thread and
 * must only take short locks.  Replies are JSON written to `reply`;
 * callbacks return an HTTP status (200, 202, ...) or a negative error
 * (ERR_NOTFOUND: 404, others: 500 with err_msg()).
 */
struct server_ops {
	void *ctx;
	int (*app_get)(void *ctx, const char *app, struct server_app *out);
	/* A push that passed every check: keep it, wake the app. */
	int (*push)(void *ctx, const char *app, const void *body, size_t len,
		    const struct push_checked *pc, struct strbuf *reply);
	/*
	 * POST /v1/apps/APP/sync: check the source now.  `digest` is what the
	 * caller says it published ("" when it did not say).
	 */
	int (*sync)(void *ctx, const char *app, const char *digest, struct strbuf *reply);
	/* GET /v1/status (app NULL) and GET /v1/apps/APP. */
	int (*status)(void *ctx, const char *app, struct strbuf *reply);
	/* POST /v1/apps/APP/sync with {"digest","plan"}: an approval (agent_approve). */
	int (*approve)(void *ctx, const char *app, const char *digest, const char *plan,
		       const char *by, struct strbuf *reply);
	/* POST /v1/apps/APP/accept-drift (agent_accept_drift). */
	int (*accept_drift)(void *ctx, const char *app, const char *object, struct strbuf *reply);
	/* Events waiting in the notification queues, for /metrics; NULL: not shown. */
	long (*queue_depth)(void *ctx);
};

struct server_opts {
	const char *listen;     /* "HOST:PORT", "[V6]:PORT" or ":PORT" (every address) */
	const char *cert, *key; /* PEM files: HTTPS when set (both or neither) */
	const char *token_file; /* bearer token for pushes and mutating calls */
	bool auth_read;         /* reads need it too (a bearer token or a web session) */
};

/*
 * Binds and starts serving.  Port 0 picks a free port (see server_port).
 * Errors: the address cannot be parsed or bound, TLS files unreadable.
 */
int server_start(struct server **out, const struct server_opts *o,
		 const struct server_ops *ops);
unsigned server_port(const struct server *s);
/* Stops accepting, finishes nothing in flight, frees everything. */
void server_stop(struct server *s);

#endif
