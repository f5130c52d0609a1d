/*
 * api.c - routes, bearer tokens and error bodies of the agent's API.  See api.h.
 */
#include "core/compat.h"
#include "agent/api.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

static bool app_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Copies the segment at p (up to '/' or the end) into app when it is a valid name. */
static const char *take_app(const char *p, char *app)
{
	size_t n = 0;

	while (p[n] && p[n] != '/') {
		if (n >= API_APP_MAX || !app_char(p[n]))
			return NULL;
		n++;
	}
	/* Not empty, and not a dot segment a resolver might collapse. */
	if (!n || p[0] == '.' || p[n - 1] == '.')
		return NULL;
	memcpy(app, p, n);
	app[n] = '\0';
	return p + n;
}

static enum api_route want(const char *method, const char *m1, const char *m2,
			   enum api_route r)
{
	if (!strcmp(method, m1) || (m2 && !strcmp(method, m2)))
		return r;
	/* HEAD is GET without a body; libmicrohttpd drops the body for us. */
	if (!strcmp(method, "HEAD") && !strcmp(m1, "GET"))
		return r;
	return API_BAD_METHOD;
}

enum api_route api_route(const char *method, const char *path, char *app)
{
	enum api_route r;
	const char *p;

	app[0] = '\0';
	if (!strcmp(path, "/healthz"))
		return want(method, "GET", NULL, API_HEALTHZ);
	if (!strcmp(path, "/v1/status"))
		return want(method, "GET", NULL, API_STATUS);
	if (strncmp(path, "/v1/apps/", 9))
		return API_NONE;
	p = take_app(path + 9, app);
	if (!p) {
		app[0] = '\0';
		return API_NONE;
	}
	if (!*p)
		r = want(method, "GET", NULL, API_APP);
	else if (!strcmp(p, "/artifact"))
		r = want(method, "PUT", "POST", API_ARTIFACT);
	else if (!strcmp(p, "/sync"))
		r = want(method, "POST", NULL, API_SYNC);
	else if (!strcmp(p, "/accept-drift"))
		r = want(method, "POST", NULL, API_ACCEPT_DRIFT);
	else
		r = API_NONE;
	/* Only a route that will act on the app names it. */
	if (r == API_NONE || r == API_BAD_METHOD)
		app[0] = '\0';
	return r;
}

bool api_route_mutates(enum api_route r)
{
	return r == API_ARTIFACT || r == API_SYNC || r == API_ACCEPT_DRIFT;
}

const char *api_route_allow(const char *path)
{
	size_t n = strlen(path);

	if (n > 9 && !strcmp(path + n - 9, "/artifact"))
		return "PUT, POST";
	if (n > 5 && !strcmp(path + n - 5, "/sync"))
		return "POST";
	if (n > 13 && !strcmp(path + n - 13, "/accept-drift"))
		return "POST";
	return "GET, HEAD";
}

bool api_bearer_ok(const char *authz, const char *token)
{
	unsigned char a[32], b[32];
	unsigned int la = 0, lb = 0;
	const char *given;
	bool ok;

	if (!authz || !token || !*token)
		return false;
	if (strncasecmp(authz, "Bearer ", 7))
		return false;
	given = authz + 7;
	while (*given == ' ')
		given++;
	if (!EVP_Digest(given, strlen(given), a, &la, EVP_sha256(), NULL) ||
	    !EVP_Digest(token, strlen(token), b, &lb, EVP_sha256(), NULL) || la != lb)
		return false;
	ok = CRYPTO_memcmp(a, b, la) == 0;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return ok;
}

int api_sync_body_parse(const char *body, size_t len, char digest[DIGEST_STR_SIZE])
{
	static const struct doc_limits lim = { 64u << 10, 16, 4096, false };
	struct doc_stream *ds = NULL;
	const struct doc_node *root, *d;
	size_t i;
	int r;

	digest[0] = '\0';
	for (i = 0; i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' ||
				body[i] == '\t'); i++)
		;
	if (i == len)
		return 0;
	if (body[i] != '{')
		return err_set(ERR_INVALID, "the sync request body must be a JSON object");
	r = doc_parse(&ds, body, len, "request body", &lim);
	if (r)
		goto out;
	root = ds->ndocs == 1 ? ds->docs[0] : NULL;
	if (!root || root->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "the sync request body must be one JSON object");
		goto out;
	}
	d = doc_map_get(root, "digest");
	if (d) {
		const char *v = doc_str(d);
		if (!v || !digest_is_valid(v)) {
			r = err_set(ERR_INVALID, "\"digest\" must be sha256:<64 lowercase hex>");
			goto out;
		}
		memcpy(digest, v, DIGEST_STR_SIZE);
	}
out:
	doc_stream_free(ds);
	return r;
}

/* Parses a small JSON object body; *root NULL for an empty body. */
static int body_object(struct doc_stream **ds, const struct doc_node **root, const char *body,
		       size_t len, const char *what)
{
	static const struct doc_limits lim = { 64u << 10, 16, 4096, false };
	size_t i;
	int r;

	*ds = NULL;
	*root = NULL;
	for (i = 0; i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' ||
				body[i] == '\t'); i++)
		;
	if (i == len)
		return 0;
	if (body[i] != '{')
		return err_set(ERR_INVALID, "the %s request body must be a JSON object", what);
	r = doc_parse(ds, body, len, "request body", &lim);
	if (r)
		return r;
	*root = (*ds)->ndocs == 1 ? (*ds)->docs[0] : NULL;
	if (!*root || (*root)->kind != DOC_MAP)
		return err_set(ERR_INVALID, "the %s request body must be one JSON object", what);
	return 0;
}

static bool printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < ' ' || *s == 0x7f || n >= max)
			return false;
	return true;
}

int api_approve_body_parse(const char *body, size_t len, char digest[DIGEST_STR_SIZE],
			   char plan[DIGEST_STR_SIZE], char by[128])
{
	struct doc_stream *ds = NULL;
	const struct doc_node *root, *d;
	int r;

	plan[0] = by[0] = '\0';
	r = api_sync_body_parse(body, len, digest);
	if (!r)
		r = body_object(&ds, &root, body, len, "sync");
	if (r || !root)
		goto out;
	d = doc_map_get(root, "plan");
	if (d) {
		const char *v = doc_str(d);
		if (!v || !digest_is_valid(v)) {
			r = err_set(ERR_INVALID, "\"plan\" must be the plan's hash, sha256:<64 lowercase hex>");
			goto out;
		}
		if (!digest[0]) {
			r = err_set(ERR_INVALID, "an approval names the \"digest\" with the \"plan\"");
			goto out;
		}
		memcpy(plan, v, DIGEST_STR_SIZE);
	}
	d = doc_map_get(root, "by");
	if (d) {
		const char *v = doc_str(d);
		if (!v || !printable(v, 100)) {
			r = err_set(ERR_INVALID, "\"by\" must be a short printable string");
			goto out;
		}
		xsnprintf(by, 128, "%s", v);
	}
out:
	doc_stream_free(ds);
	return r;
}

int api_accept_body_parse(const char *body, size_t len, char object[512])
{
	struct doc_stream *ds = NULL;
	const struct doc_node *root;
	const char *v;
	int r;

	object[0] = '\0';
	r = body_object(&ds, &root, body, len, "accept-drift");
	if (r)
		goto out;
	v = root ? doc_get_str(root, "object", NULL) : NULL;
	if (!v || !*v || !printable(v, 500)) {
		r = err_set(ERR_INVALID, "the body names the drifted \"object\": "
					 "{\"object\":\"KIND/NAMESPACE/NAME\"}");
		goto out;
	}
	xsnprintf(object, 512, "%s", v);
out:
	doc_stream_free(ds);
	return r;
}

void api_error_json(struct strbuf *out, const char *code, const char *msg)
{
	strbuf_addstr(out, "{\"error\":");
	strbuf_add_json_str(out, code, strlen(code));
	strbuf_addstr(out, ",\"message\":");
	strbuf_add_json_str(out, msg, strlen(msg));
	strbuf_addstr(out, "}\n");
}

int api_token_read(struct strbuf *out, const char *path)
{
	char *nl;
	int r;

	strbuf_reset(out);
	r = strbuf_read_file(out, path, 4096);
	if (r)
		return r;
	nl = memchr(out->buf, '\n', out->len);
	if (nl)
		strbuf_setlen(out, (size_t)(nl - out->buf));
	strbuf_rtrim(out);
	if (!out->len)
		return err_set(ERR_INVALID, "%s: the token file is empty", path);
	return 0;
}
