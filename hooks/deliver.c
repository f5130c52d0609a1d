/*
 * deliver.c - published artifacts to the clusters' agents.  See deliver.h.
 */
#include "core/compat.h"
#include "hooks/deliver.h"
#include "core/config.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/log.h"
#include "oci/oci-auth.h"
#include "oci/sign.h"
#include "core/strbuf.h"

#define DELIVER_TIMEOUT_MS 10000
#define DELIVER_REPLY_MAX (64u << 10)

const char *deliver_status_name(enum deliver_status s)
{
	switch (s) {
	case DELIVER_PUSHED: return "pushed";
	case DELIVER_UNCHANGED: return "unchanged";
	case DELIVER_NOTIFIED: return "notified";
	case DELIVER_SKIPPED: return "skipped";
	case DELIVER_FAILED: return "failed";
	}
	return "?";
}

long deliver_timeout_ms(void)
{
	const char *e = getenv("HOIST_DELIVER_TIMEOUT_MS");
	char *end;
	long v;

	if (!e || !*e)
		return DELIVER_TIMEOUT_MS;
	v = strtol(e, &end, 10);
	return *end || v < 100 ? DELIVER_TIMEOUT_MS : v;
}

/* The signature headers, when a signing key is configured. */
struct sig {
	struct strbuf payload_b64, sig_b64;
};

static int sign_for_delivery(struct sig *s, const struct config *cfg,
			     const struct deliver_artifact *a)
{
	struct sign_key *key = NULL;
	struct strbuf identity = STRBUF_INIT, payload = STRBUF_INIT;
	int r = sign_key_configured(&key, cfg->signing_key);

	if (r || !key)
		goto out;
	/* The same claims as the registry's signature: this repository, this digest. */
	r = sign_identity(&identity, a->ref);
	if (r)
		goto out;
	sign_payload(&payload, identity.buf, a->digest);
	r = sign_bytes(&s->sig_b64, key, payload.buf, payload.len);
	if (!r)
		oci_base64_encode(&s->payload_b64, payload.buf, payload.len);
out:
	sign_key_free(key);
	strbuf_release(&identity);
	strbuf_release(&payload);
	return r;
}

static const struct config_cluster *cluster_find(const struct config *cfg, const char *name)
{
	const struct config_cluster *c = cfg->clusters.v;
	size_t i;

	for (i = 0; i < cfg->clusters.n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	return NULL;
}

/* Whether plain HTTP may go to this endpoint: loopback, or hoist.yaml `insecure`. */
static bool plain_ok(const char *endpoint, bool insecure)
{
	const char *host;

	if (strncmp(endpoint, "http://", 7))
		return false;
	host = endpoint + 7;
	return insecure || http_host_is_loopback(host);
}

/* The agent's JSON "message" (or "error"), for our line; "" when none. */
static void reply_message(struct strbuf *out, const struct http_response *res)
{
	static const struct doc_limits lim = { DELIVER_REPLY_MAX, 16, 10000, false };
	struct doc_stream *ds = NULL;
	const char *m;

	if (doc_parse(&ds, res->body.buf, res->body.len, "agent reply", &lim) || !ds->ndocs) {
		strbuf_addf(out, "HTTP %ld", res->status);
		goto out;
	}
	m = doc_get_str(ds->docs[0], "message", NULL);
	if (!m)
		m = doc_get_str(ds->docs[0], "error", NULL);
	strbuf_addf(out, "HTTP %ld%s%.300s", res->status, m ? ": " : "", m ? m : "");
out:
	doc_stream_free(ds);
	err_clear();
}

struct target {
	const char *name;
	struct strbuf base; /* endpoint without a trailing slash */
	struct strbuf auth; /* "Authorization: Bearer ..." or empty */
	bool plain;
};

static int request(struct http_response *res, const struct target *t, const char *method,
		   const char *path, const char *const *extra, const void *body, size_t len)
{
	struct strbuf url = STRBUF_INIT;
	const char *headers[8];
	struct http_request req = { 0 };
	size_t n = 0;
	int r;

	strbuf_addf(&url, "%s%s", t->base.buf, path);
	if (t->auth.len)
		headers[n++] = t->auth.buf;
	for (; extra && *extra && n < ARRAY_SIZE(headers) - 1; extra++)
		headers[n++] = *extra;
	headers[n] = NULL;
	req.method = method;
	req.url = url.buf;
	req.headers = headers;
	req.body = body;
	req.body_len = len;
	req.limit = DELIVER_REPLY_MAX;
	req.allow_plain = t->plain;
	req.timeout_ms = deliver_timeout_ms();
	r = http_do(res, &req);
	strbuf_release(&url);
	return r;
}

/* The app's source at this agent: "push", a reference, or NULL when not configured. */
static int agent_app_source(struct strbuf *source, const struct target *t, const char *app,
			    struct strbuf *why)
{
	static const struct doc_limits lim = { DELIVER_REPLY_MAX, 16, 10000, false };
	struct http_response res;
	struct strbuf path = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const char *s;
	int r;

	http_response_init(&res);
	strbuf_addf(&path, "/v1/apps/%s", app);
	r = request(&res, t, "GET", path.buf, NULL, NULL, 0);
	if (r) {
		strbuf_addstr(why, err_msg());
		goto out;
	}
	if (res.status == 404) {
		r = ERR_NOTFOUND;
		goto out;
	}
	if (res.status != 200) {
		reply_message(why, &res);
		r = ERR_GENERIC;
		goto out;
	}
	r = doc_parse(&ds, res.body.buf, res.body.len, "agent status", &lim);
	s = !r && ds->ndocs ? doc_get_str(ds->docs[0], "source", NULL) : NULL;
	if (!s) {
		strbuf_addstr(why, "the agent's status names no source");
		r = ERR_INVALID;
		goto out;
	}
	strbuf_addstr(source, s);
out:
	doc_stream_free(ds);
	http_response_release(&res);
	strbuf_release(&path);
	return r;
}

static enum deliver_status push_to(const struct target *t, const struct deliver_artifact *a,
				   const struct sig *sg, struct strbuf *why)
{
	struct http_response res;
	struct strbuf path = STRBUF_INIT, h_digest = STRBUF_INIT, h_manifest = STRBUF_INIT,
		      h_payload = STRBUF_INIT, h_sig = STRBUF_INIT;
	const char *extra[6];
	enum deliver_status st = DELIVER_FAILED;
	char blob[DIGEST_STR_SIZE];
	size_t n = 0;

	http_response_init(&res);
	strbuf_addf(&path, "/v1/apps/%s/artifact", a->app);
	digest_sha256(blob, a->layer, a->layer_len);
	strbuf_addf(&h_digest, "Hoist-Digest: %s", blob);
	strbuf_addstr(&h_manifest, "Hoist-Manifest: ");
	oci_base64_encode(&h_manifest, a->manifest, a->manifest_len);
	extra[n++] = "Content-Type: application/vnd.cncf.flux.content.v1.tar+gzip";
	extra[n++] = h_digest.buf;
	extra[n++] = h_manifest.buf;
	if (sg->sig_b64.len) {
		strbuf_addf(&h_payload, "Hoist-Signature-Payload: %s", sg->payload_b64.buf);
		strbuf_addf(&h_sig, "Hoist-Signature: %s", sg->sig_b64.buf);
		extra[n++] = h_payload.buf;
		extra[n++] = h_sig.buf;
	}
	extra[n] = NULL;
	if (request(&res, t, "PUT", path.buf, extra, a->layer, a->layer_len)) {
		strbuf_addstr(why, err_msg());
		goto out;
	}
	if (res.status == 202)
		st = DELIVER_PUSHED;
	else if (res.status == 200)
		st = DELIVER_UNCHANGED;
	if (st == DELIVER_FAILED || res.status == 202)
		reply_message(why, &res);
out:
	http_response_release(&res);
	strbuf_release(&path);
	strbuf_release(&h_digest);
	strbuf_release(&h_manifest);
	strbuf_release(&h_payload);
	strbuf_release(&h_sig);
	return st;
}

static enum deliver_status notify(const struct target *t, const struct deliver_artifact *a,
				  struct strbuf *why)
{
	static const char *const extra[] = { "Content-Type: application/json", NULL };
	struct http_response res;
	struct strbuf path = STRBUF_INIT, body = STRBUF_INIT;
	enum deliver_status st = DELIVER_FAILED;

	http_response_init(&res);
	strbuf_addf(&path, "/v1/apps/%s/sync", a->app);
	strbuf_addf(&body, "{\"digest\":\"%s\"}", a->digest);
	if (request(&res, t, "POST", path.buf, extra, body.buf, body.len)) {
		strbuf_addstr(why, err_msg());
		goto out;
	}
	if (res.status == 202)
		st = DELIVER_NOTIFIED;
	else
		reply_message(why, &res);
out:
	http_response_release(&res);
	strbuf_release(&path);
	strbuf_release(&body);
	return st;
}

static enum deliver_status deliver_one(const struct config *cfg, const char *cluster,
				       const struct deliver_artifact *a, const struct sig *sg,
				       struct strbuf *why)
{
	const struct config_cluster *c = cluster_find(cfg, cluster);
	struct target t = { cluster, STRBUF_INIT, STRBUF_INIT, false };
	struct strbuf source = STRBUF_INIT;
	enum deliver_status st = DELIVER_FAILED;
	const char *token;
	int r;

	if (!c) {
		/* config_parse refuses this; kept for callers that build configs by hand. */
		strbuf_addstr(why, "no such cluster in hoist.yaml");
		goto out;
	}
	if (strncmp(c->endpoint, "https://", 8) && strncmp(c->endpoint, "http://", 7)) {
		strbuf_addf(why, "endpoint '%s' is not an http(s) URL", c->endpoint);
		goto out;
	}
	strbuf_addstr(&t.base, c->endpoint);
	while (t.base.len && t.base.buf[t.base.len - 1] == '/')
		strbuf_setlen(&t.base, t.base.len - 1);
	t.plain = plain_ok(c->endpoint, cfg->insecure);
	token = c->token_env ? getenv(c->token_env) : NULL;
	if (token && *token)
		strbuf_addf(&t.auth, "Authorization: Bearer %s", token);
	r = agent_app_source(&source, &t, a->app, why);
	if (r == ERR_NOTFOUND) {
		strbuf_addstr(why, "the agent has no such app");
		st = DELIVER_SKIPPED;
		goto out;
	}
	if (r)
		goto out;
	if (!t.auth.len) {
		strbuf_addf(why, "no token: $%s is not set", c->token_env ? c->token_env : "(tokenEnv)");
		goto out;
	}
	st = !strcmp(source.buf, "push") ? push_to(&t, a, sg, why) : notify(&t, a, why);
out:
	if (t.auth.len)
		explicit_bzero(t.auth.buf, t.auth.len);
	strbuf_release(&t.base);
	strbuf_release(&t.auth);
	strbuf_release(&source);
	return st;
}

size_t deliver_artifact(const struct config *cfg, const struct config_env *env,
			const struct deliver_artifact *a)
{
	struct sig sg = { STRBUF_INIT, STRBUF_INIT };
	struct strbuf why = STRBUF_INIT;
	size_t i, failed = 0;

	if (!env->clusters.n)
		return 0;
	if (sign_for_delivery(&sg, cfg, a)) {
		/* Agents that need a signature refuse the push and say so. */
		log_warn("cannot sign the delivery of %s: %s", a->app, err_msg());
	}
	for (i = 0; i < env->clusters.n; i++) {
		const char *name = env->clusters.v[i];
		enum deliver_status st;

		strbuf_reset(&why);
		st = deliver_one(cfg, name, a, &sg, &why);
		if (st == DELIVER_FAILED) {
			failed++;
			log_warn("cluster %s: %s %.19s delivery failed: %s", name, a->app, a->digest,
				 why.buf);
		} else {
			log_info("cluster %s: %s %.19s %s%s%s", name, a->app, a->digest,
				 deliver_status_name(st), why.len ? " - " : "", why.buf);
		}
	}
	strbuf_release(&sg.payload_b64);
	strbuf_release(&sg.sig_b64);
	strbuf_release(&why);
	return failed;
}
