/*
 * fleet.c - `hoist status` and promote's health gate, over the agents'
 * status API.  See fleet.h.
 */
#include "core/compat.h"
#include "hooks/fleet.h"
#include "hooks/deliver.h"
#include "hooks/publish.h"
#include "core/cmd.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/history.h"
#include "core/http.h"
#include "core/json-out.h"
#include "core/log.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "core/strbuf.h"

#define FLEET_REPLY_MAX (4u << 20) /* an agent's status: a few hundred bytes per app */
#define FLEET_STR_MAX 1024

void fleet_cluster_release(struct fleet_cluster *c)
{
	size_t i;

	for (i = 0; i < c->napps; i++) {
		free(c->apps[i].name);
		free(c->apps[i].digest);
		free(c->apps[i].revision);
		free(c->apps[i].health);
		free(c->apps[i].result);
	}
	free(c->apps);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static char *str_of(const struct doc_node *app, const char *key)
{
	const struct doc_node *v = doc_map_get(app, key);
	struct doc_value dv;

	if (!v || v->kind != DOC_SCALAR || strlen(v->str) > FLEET_STR_MAX)
		return NULL;
	if (!doc_resolve(v, &dv) && dv.type == DOC_T_NULL)
		return NULL;
	err_clear();
	return xstrdup(v->str);
}

int fleet_parse_status(struct fleet_cluster *out, const char *buf, size_t len)
{
	static const struct doc_limits lim = { FLEET_REPLY_MAX, 16, 1000000, false };
	struct doc_stream *s = NULL;
	const struct doc_node *apps;
	size_t i;
	int r;

	r = doc_parse(&s, buf, len, "agent status", &lim);
	if (r)
		goto out;
	apps = s->ndocs == 1 && s->docs[0]->kind == DOC_MAP ? doc_map_get(s->docs[0], "apps") : NULL;
	if (!apps || apps->kind != DOC_SEQ) {
		r = err_set(ERR_INVALID, "the agent's status has no \"apps\" list");
		goto out;
	}
	out->apps = xcalloc(apps->n ? apps->n : 1, sizeof(*out->apps));
	for (i = 0; i < apps->n; i++) {
		const struct doc_node *a = apps->kids[i];
		struct fleet_app *fa = &out->apps[out->napps];
		const struct doc_node *d;
		struct doc_value dv;

		if (a->kind != DOC_MAP || !(fa->name = str_of(a, "name")))
			continue;
		fa->digest = str_of(a, "digest");
		fa->revision = str_of(a, "revision");
		fa->health = str_of(a, "health");
		fa->result = str_of(a, "result");
		fa->drifted = -1;
		d = doc_map_get(a, "drifted");
		if (d && d->kind == DOC_SCALAR && !doc_resolve(d, &dv) && dv.type == DOC_T_INT &&
		    dv.i >= 0)
			fa->drifted = (long)dv.i;
		err_clear();
		out->napps++;
	}
out:
	doc_stream_free(s);
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

int fleet_ask(const struct config *cfg, const char *name, struct fleet_cluster *out)
{
	const struct config_cluster *c = cluster_find(cfg, name);
	struct strbuf url = STRBUF_INIT, auth = STRBUF_INIT;
	struct http_request req = { 0 };
	struct http_response res;
	const char *headers[2] = { NULL, NULL };
	const char *token;
	int r;

	memset(out, 0, sizeof(*out));
	http_response_init(&res);
	if (!c) {
		r = err_set(ERR_INVALID, "no cluster '%s' in hoist.yaml", name);
		goto out;
	}
	if (strncmp(c->endpoint, "https://", 8) && strncmp(c->endpoint, "http://", 7)) {
		r = err_set(ERR_INVALID, "endpoint '%s' is not an http(s) URL", c->endpoint);
		goto out;
	}
	strbuf_addstr(&url, c->endpoint);
	while (url.len && url.buf[url.len - 1] == '/')
		strbuf_setlen(&url, url.len - 1);
	strbuf_addstr(&url, "/v1/status");
	token = c->token_env ? getenv(c->token_env) : NULL;
	if (token && *token) {
		strbuf_addf(&auth, "Authorization: Bearer %s", token);
		headers[0] = auth.buf;
	}
	req.method = "GET";
	req.url = url.buf;
	req.headers = headers;
	req.limit = FLEET_REPLY_MAX;
	req.allow_plain = cfg->insecure || http_host_is_loopback(c->endpoint + 7);
	req.retry = true;
	req.timeout_ms = deliver_timeout_ms();
	r = http_do(&res, &req);
	if (!r && res.status != 200)
		r = err_set(ERR_GENERIC, "GET %s: HTTP %ld", url.buf, res.status);
	if (!r)
		r = fleet_parse_status(out, res.body.buf, res.body.len);
out:
	if (r)
		out->error = xstrdup(err_msg());
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&auth);
	return r;
}

int fleet_health_gate(const struct config *cfg, const struct config_env *env, const char *app,
		      const char *digest, struct strbuf *why)
{
	size_t i, k, bad = 0;

	for (i = 0; i < env->clusters.n; i++) {
		const char *name = env->clusters.v[i];
		struct fleet_cluster fc;
		const struct fleet_app *fa = NULL;

		if (fleet_ask(cfg, name, &fc)) {
			strbuf_addf(why, "%scluster %s: cannot be asked: %s", bad++ ? "; " : "", name,
				    fc.error);
			err_clear();
			fleet_cluster_release(&fc);
			continue;
		}
		for (k = 0; k < fc.napps && !fa; k++)
			if (!strcmp(fc.apps[k].name, app))
				fa = &fc.apps[k];
		if (!fa)
			log_info("cluster %s does not run %s: not part of the health gate", name, app);
		else if (!fa->digest || strcmp(fa->digest, digest))
			strbuf_addf(why, "%scluster %s: %s runs %s, not %s", bad++ ? "; " : "", name,
				    app, fa->digest ? fa->digest : "nothing yet", digest);
		else if (!fa->health || strcmp(fa->health, "Healthy"))
			strbuf_addf(why, "%scluster %s: %s is %s", bad++ ? "; " : "", name, app,
				    fa->health ? fa->health : "of unknown health");
		fleet_cluster_release(&fc);
	}
	if (bad)
		return err_set(ERR_INVALID, "%s", why->buf);
	return 0;
}

/* --- hoist status ---------------------------------------------------------- */

/* Where an environment's tag of an app is, and how far a digest is behind it. */
struct tag_state {
	const char *env; /* borrowed from the config */
	char *app;       /* owned: the agents' replies it came from are freed */
	char digest[DIGEST_STR_SIZE]; /* "" when unknown */
	struct history_record *hist;  /* newest first */
	size_t nhist;
	char *error;
};

static void tag_state_load(struct tag_state *t, const struct config *cfg,
			   const struct config_env *env, const char *app, bool insecure)
{
	struct strbuf repo = STRBUF_INIT;
	struct oci_ref ref;
	struct oci_store *s = NULL;
	struct oci_open_opts oo = { .insecure = insecure || cfg->insecure };
	int r;

	memset(t, 0, sizeof(*t));
	t->env = env->name;
	t->app = xstrdup(app);
	config_app_repo(&repo, cfg, env, app);
	strbuf_addf(&repo, ":%s", env->name);
	r = oci_ref_parse(&ref, repo.buf);
	if (r)
		goto out;
	r = oci_store_open(&s, &ref, &oo);
	if (!r)
		r = oci_resolve(s, env->name, t->digest);
	if (!r && history_list(s, env->name, &t->hist, &t->nhist, 0)) {
		/* No history (a tag moved by hand): the lag is known only when current. */
		err_clear();
		t->hist = NULL;
		t->nhist = 0;
	}
	oci_store_free(s);
	oci_ref_release(&ref);
out:
	if (r) {
		t->digest[0] = '\0';
		t->error = xstrdup(err_msg());
		err_clear();
	}
	strbuf_release(&repo);
}

static void tag_state_release(struct tag_state *t)
{
	history_records_free(t->hist, t->nhist);
	free(t->error);
	free(t->app);
}

/* Moves of the tag since it named `digest`: 0 current, -1 unknown. */
static long lag_of(const struct tag_state *t, const char *digest)
{
	size_t i;

	if (!t || !t->digest[0] || !digest)
		return -1;
	if (!strcmp(t->digest, digest))
		return 0;
	for (i = 0; i < t->nhist; i++)
		if (!strcmp(t->hist[i].to, digest))
			return (long)i;
	return -1;
}

struct status_args {
	const char *repo, *rev, *env;
	bool json, insecure;
};

#define A struct status_args
static const struct opt status_options[] = {
	{ "env", OPT_FIELD(A, env), .arg = "E", .complete = COMPLETE_ENV,
	  .help = "only this environment's clusters" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository hoist.yaml is read from" },
	{ "rev", OPT_FIELD(A, rev), .arg = "REV", .def = "HEAD",
	  .help = "the revision hoist.yaml is read at" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "json", OPT_FIELD(A, json),
	  .help = "print {\"rows\":[...]} with the fields of docs/cli.md instead of the table" },
	{ NULL },
};
#undef A

static const char *const status_examples[] = {
	"hoist status\tevery environment x cluster x app: digest, health, drift, lag",
	"hoist status --env prod --json | jq '.rows[] | select(.health != \"Healthy\")'\t"
	"what is not healthy in prod, for a script",
	NULL,
};

const struct cmd cmd_status_entry = {
	"status", cmd_status, "status [--env E] [--repo DIR] [--rev REV] [--insecure] [--json]",
	"what every cluster's agent runs: digest, health, drift, lag behind the tag",
	status_options,
	.description =
		"Reads hoist.yaml's environments and clusters and asks every cluster's agent\n"
		"(GET /v1/status at its endpoint, with the token in its tokenEnv when set)\n"
		"what it runs.  Prints one row per environment x cluster x app: the digest,\n"
		"the health, the number of drifted objects (\"-\" when the agent does not\n"
		"report drift) and the lag behind the environment's tag in the registry\n"
		"(\"current\", \"N behind\" counted in moves of the tag, \"?\" when the\n"
		"digest is not in the tag's history).  A cluster that cannot be asked is a\n"
		"row saying so.\n\n"
		"Exit status 1 when a cluster could not be asked (the table is still printed).",
	.env = "HOIST_REGISTRY_USER\tregistry user name (with HOIST_REGISTRY_PASSWORD)\n",
	.examples = status_examples,
	.see_also = "docs/agent.md, docs/api.md, docs/promotion.md",
};

static void short_digest(char *buf, size_t size, const char *d)
{
	if (!d)
		xsnprintf(buf, size, "-");
	else if (!strncmp(d, "sha256:", 7) && strlen(d) > 19)
		xsnprintf(buf, size, "sha256:%.12s", d + 7);
	else
		xsnprintf(buf, size, "%s", d);
}

int cmd_status(int argc, char **argv)
{
	struct status_args a = { 0 };
	struct config cfg;
	struct strbuf table = STRBUF_INIT, js = STRBUF_INIT;
	struct tag_state *tags = NULL;
	size_t ntags = 0, e, i, k, t, rows = 0;
	int unreachable = 0;
	char **pos;
	int n = opts_parse(argc, argv, status_options, &a, &pos);

	if (n != 0)
		return cmd_usage(cmd_status_entry.usage);
	if (publish_load_config(&cfg, a.repo ? a.repo : ".", a.rev ? a.rev : "HEAD"))
		return cmd_fail();
	if (a.env && !config_env_find(&cfg, a.env)) {
		err_set(ERR_INVALID, "%s: no environment named '%s'", cfg.file, a.env);
		config_release(&cfg);
		return cmd_fail();
	}
	strbuf_addf(&table, "%-12s %-12s %-16s %-19s %-12s %-5s %s\n", "ENVIRONMENT", "CLUSTER",
		    "APP", "DIGEST", "HEALTH", "DRIFT", "LAG");
	strbuf_addstr(&js, "{\"rows\":[");
	for (e = 0; e < cfg.envs.n; e++) {
		const struct config_env *env = &((const struct config_env *)cfg.envs.v)[e];
		if (a.env && strcmp(a.env, env->name))
			continue;
		for (i = 0; i < env->clusters.n; i++) {
			const char *cname = env->clusters.v[i];
			struct fleet_cluster fc;

			if (fleet_ask(&cfg, cname, &fc)) {
				err_clear();
				unreachable++;
				strbuf_addf(&table, "%-12s %-12s unreachable: %s\n", env->name, cname,
					    fc.error);
				strbuf_addf(&js, "%s{", rows++ ? "," : "");
				json_kv_str(&js, "environment", env->name);
				json_kv_str(&js, "cluster", cname);
				json_kv_bool(&js, "reachable", false);
				json_kv_str(&js, "error", fc.error);
				strbuf_addch(&js, '}');
				fleet_cluster_release(&fc);
				continue;
			}
			for (k = 0; k < fc.napps; k++) {
				const struct fleet_app *fa = &fc.apps[k];
				struct tag_state *ts = NULL;
				char dshort[80], drift[32], lagtxt[48];
				long lag;

				/* The tag of apps hoist.yaml publishes, read once per environment. */
				if (config_app_find(&cfg, fa->name)) {
					for (t = 0; t < ntags && !ts; t++)
						if (tags[t].env == env->name && !strcmp(tags[t].app, fa->name))
							ts = &tags[t];
					if (!ts) {
						tags = xrealloc(tags, (ntags + 1) * sizeof(*tags));
						ts = &tags[ntags++];
						tag_state_load(ts, &cfg, env, fa->name, a.insecure);
					}
				}
				lag = lag_of(ts, fa->digest);
				short_digest(dshort, sizeof(dshort), fa->digest);
				if (fa->drifted >= 0)
					xsnprintf(drift, sizeof(drift), "%ld", fa->drifted);
				else
					xsnprintf(drift, sizeof(drift), "-");
				if (!ts)
					xsnprintf(lagtxt, sizeof(lagtxt), "- (not in hoist.yaml)");
				else if (!ts->digest[0])
					xsnprintf(lagtxt, sizeof(lagtxt), "? (no tag)");
				else if (lag == 0)
					xsnprintf(lagtxt, sizeof(lagtxt), "current");
				else if (lag > 0)
					xsnprintf(lagtxt, sizeof(lagtxt), "%ld behind", lag);
				else
					xsnprintf(lagtxt, sizeof(lagtxt), "?");
				strbuf_addf(&table, "%-12s %-12s %-16s %-19s %-12s %-5s %s\n", env->name,
					    cname, fa->name, dshort, fa->health ? fa->health : "Unknown",
					    drift, lagtxt);
				strbuf_addf(&js, "%s{", rows++ ? "," : "");
				json_kv_str(&js, "environment", env->name);
				json_kv_str(&js, "cluster", cname);
				json_kv_bool(&js, "reachable", true);
				json_kv_str(&js, "app", fa->name);
				json_kv_str(&js, "digest", fa->digest);
				json_kv_str(&js, "revision", fa->revision);
				json_kv_str(&js, "health", fa->health);
				json_kv_str(&js, "result", fa->result);
				json_key(&js, "drifted");
				if (fa->drifted >= 0)
					strbuf_addf(&js, "%ld", fa->drifted);
				else
					strbuf_addstr(&js, "null");
				json_kv_str(&js, "tagDigest", ts && ts->digest[0] ? ts->digest : NULL);
				json_key(&js, "lag");
				if (lag >= 0)
					strbuf_addf(&js, "%ld", lag);
				else
					strbuf_addstr(&js, "null");
				strbuf_addch(&js, '}');
			}
			fleet_cluster_release(&fc);
		}
	}
	strbuf_addstr(&js, "]}\n");
	if (a.json)
		cmd_write_stdout(js.buf, js.len);
	else
		cmd_write_stdout(table.buf, table.len);
	for (t = 0; t < ntags; t++)
		tag_state_release(&tags[t]);
	free(tags);
	strbuf_release(&table);
	strbuf_release(&js);
	config_release(&cfg);
	if (unreachable)
		log_error("%d cluster(s) could not be asked", unreachable);
	return cmd_finish_stdout(unreachable ? 1 : 0);
}
