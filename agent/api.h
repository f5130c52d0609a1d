/*
 * api.h - what the agent's HTTP API reads from a request, apart from the
 * server library: the route a method and path name, the bearer token,
 * and the JSON error replies.  Kept free of libmicrohttpd so the fuzz
 * target (tests/fuzz/fuzz-agent-api.c) drives exactly this code.
 *
 * Routes (docs/api.md):
 *   GET  /healthz                     liveness, no token
 *   GET  /v1/status                   every app, no token (read-only)
 *   GET  /v1/apps/APP                 one app, no token
 *   PUT  /v1/apps/APP/artifact        push an artifact (token); POST too
 *   POST /v1/apps/APP/sync            sync now, or approve a plan (token)
 *   POST /v1/apps/APP/accept-drift    turn an object's drift into an ignore rule (token)
 */
#ifndef HOIST_AGENT_API_H
#define HOIST_AGENT_API_H

#include "core/compat.h"
#include "core/digest.h"

struct strbuf;

enum api_route {
	API_NONE = 0,   /* no such path: 404 */
	API_BAD_METHOD, /* the path exists, the method does not: 405 */
	API_HEALTHZ,
	API_STATUS,
	API_APP,
	API_ARTIFACT,
	API_SYNC,
	API_ACCEPT_DRIFT,
};

/* App names as agent.yaml allows them: [a-z0-9] and '-', '.', at most 63. */
#define API_APP_MAX 63

/*
 * Maps a method and a request path (no query string: the server strips it)
 * to a route; `app` (API_APP_MAX + 1 bytes) gets the app name for the
 * /v1/apps/APP routes.  A name outside the allowed set is API_NONE, so no
 * path segment such as ".." or "%2F" ever reaches a file name.
 */
enum api_route api_route(const char *method, const char *path, char *app);

/* Whether the route changes something and so needs the token. */
bool api_route_mutates(enum api_route r);

/* The methods a route's path allows, for the Allow header of a 405. */
const char *api_route_allow(const char *path);

/*
 * Whether an Authorization header value carries `token` as
 * "Bearer TOKEN" (scheme case-insensitive).  The comparison takes the
 * same time whatever the header holds: both sides are hashed first and
 * the digests compared with CRYPTO_memcmp, so neither the token's bytes
 * nor its length leak through timing.  An empty token never matches.
 */
bool api_bearer_ok(const char *authz, const char *token);

/*
 * The body of POST /v1/apps/APP/sync: empty, or a JSON object whose
 * optional "digest" names the artifact the caller just published
 * (`hoist publish` sends it), so an agent busy waiting for the health of
 * another digest cancels that wait.  `digest` gets it, or "" when absent.
 * ERR_INVALID for anything else: not an object, a digest that is not
 * sha256:<64 hex>, over 64 KiB.  Other keys are ignored (forward
 * compatible).
 */
int api_sync_body_parse(const char *body, size_t len, char digest[DIGEST_STR_SIZE]);

/*
 * The same body as an approval: {"digest":D,"plan":H} names the digest
 * and the plan hash a `sync: manual` app's pending plan was shown with,
 * and an optional "by" (who approves, at most 100 printable bytes) goes
 * into history.  `plan` gets H ("" when absent: a plain sync request),
 * `by` (128 bytes) gets "by" or "".  ERR_INVALID as api_sync_body_parse,
 * and for a plan that is not sha256:<64 hex> or a plan without a digest.
 */
int api_approve_body_parse(const char *body, size_t len, char digest[DIGEST_STR_SIZE],
			   char plan[DIGEST_STR_SIZE], char by[128]);

/*
 * The body of POST /v1/apps/APP/accept-drift: {"object":"KIND/NAME"} or
 * {"object":"KIND/NAMESPACE/NAME"}.  `object` (512 bytes) gets it.
 */
int api_accept_body_parse(const char *body, size_t len, char object[512]);

/* {"error":"CODE","message":"MSG"} */
void api_error_json(struct strbuf *out, const char *code, const char *msg);

/*
 * Reads a token file: its first line, trailing whitespace removed;
 * ERR_INVALID when empty, bounded to 4 KiB.
 */
int api_token_read(struct strbuf *out, const char *path);

#endif
