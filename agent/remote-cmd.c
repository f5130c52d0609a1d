/*
 * remote-cmd.c - `hoist-agent approve` and `hoist-agent accept-drift`:
 * commands that talk to the running agent on its `listen` address with its
 * token (agent.yaml's tokenFile), so the agent's own threads do the work
 * and record it (docs/cli.md, docs/api.md).
 *
 * Exit codes as hoist's: 0 ok, 1 refused or failed (reason on stderr), 2 usage.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "core/cmd.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/strbuf.h"
#include <unistd.h>

struct remote_args {
	const char *config, *digest, *plan, *addr;
};

#define A struct remote_args
static const struct opt approve_options[] = {
	{ "config", OPT_FIELD(A, config), 'c', .arg = "FILE", .def = AGENT_CONFIG_FILE,
	  .complete = COMPLETE_FILE, .help = "the agent's configuration (agent.yaml)" },
	{ "digest", OPT_FIELD(A, digest), .arg = "DIGEST",
	  .help = "the artifact digest the approval is for (required)" },
	{ "plan", OPT_FIELD(A, plan), .arg = "HASH",
	  .help = "the plan hash approved; default: the pending plan's, as the agent shows it now" },
	{ "addr", OPT_FIELD(A, addr), .arg = "HOST:PORT",
	  .help = "the running agent's address instead of agent.yaml's listen" },
	{ NULL },
};

static const struct opt accept_options[] = {
	{ "config", OPT_FIELD(A, config), 'c', .arg = "FILE", .def = AGENT_CONFIG_FILE,
	  .complete = COMPLETE_FILE, .help = "the agent's configuration (agent.yaml)" },
	{ "addr", OPT_FIELD(A, addr), .arg = "HOST:PORT",
	  .help = "the running agent's address instead of agent.yaml's listen" },
	{ NULL },
};
#undef A

static const char *const approve_examples[] = {
	"hoist-agent approve web --digest sha256:4f1c... -c /etc/hoist/agent.yaml	"
	"apply the pending plan of web, if it is still the plan shown for that digest",
	"hoist-agent approve web --digest sha256:4f1c... --plan sha256:9ab0... -c agent.yaml	"
	"approve exactly the plan reviewed; refused if anything changed since",
	NULL,
};

static const char *const accept_examples[] = {
	"hoist-agent accept-drift web Deployment/web/api -c /etc/hoist/agent.yaml	"
	"stop reporting (and correcting) the drifted fields of Deployment web/api",
	"hoist-agent accept-drift cluster ClusterRole/reader -c agent.yaml	"
	"the same for a cluster-scoped object",
	NULL,
};

const struct cmd cmd_agent_approve_entry = {
	"approve", cmd_agent_approve, "approve APP --digest DIGEST [--plan HASH] -c FILE",
	"approve a manual app's pending plan", approve_options,
	.description =
		"Asks the running agent (agent.yaml's listen, with its tokenFile) to apply\n"
		"the pending plan of APP, an app with `sync: manual`.  The approval names\n"
		"the digest and the plan's hash (by default the one the agent shows now);\n"
		"the agent computes the plan again and refuses, applying nothing, when the\n"
		"source has a newer digest or the live state changed so that the plan\n"
		"differs.  The refusal prints the new plan's hash.",
	.examples = approve_examples,
	.see_also = "docs/agent.md, docs/api.md",
	.args = { COMPLETE_NONE },
};

const struct cmd cmd_agent_accept_drift_entry = {
	"accept-drift", cmd_agent_accept_drift, "accept-drift APP OBJECT -c FILE",
	"turn an object's reported drift into an ignore rule", accept_options,
	.description =
		"Asks the running agent to ignore, from now on, the fields of OBJECT\n"
		"(KIND/NAME or KIND/NAMESPACE/NAME; KIND may be Kind.group) whose drift\n"
		"it reported: they become an ignoreDifferences rule kept in stateDir,\n"
		"shown in the app document, and are neither reported nor corrected.",
	.examples = accept_examples,
	.see_also = "docs/agent.md, docs/api.md",
	.args = { COMPLETE_NONE },
};

/* The agent's base URL: --addr, else listen (a wildcard host means this machine). */
static void base_url(struct strbuf *out, const struct agent_config *cfg, const char *addr)
{
	const char *l = addr ? addr : cfg->listen;

	strbuf_addstr(out, cfg->cert ? "https://" : "http://");
	if (!strncmp(l, "0.0.0.0:", 8) || l[0] == ':')
		strbuf_addf(out, "127.0.0.1%s", strchr(l, ':'));
	else if (!strncmp(l, "[::]:", 5))
		strbuf_addf(out, "[::1]%s", l + 4);
	else
		strbuf_addstr(out, l);
}

/* One call to the agent; the reply's body in res (any status). */
static int call(struct http_response *res, const char *method, const char *url,
		const char *token, const char *body)
{
	struct strbuf authz = STRBUF_INIT;
	const char *headers[3] = { NULL, "Content-Type: application/json", NULL };
	struct http_request req = { 0 };
	int r;

	if (token) {
		strbuf_addf(&authz, "Authorization: Bearer %s", token);
		headers[0] = authz.buf;
	} else {
		headers[0] = "Accept: application/json";
	}
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.allow_plain = true;
	req.timeout_ms = 10L * 60 * 1000;
	r = http_do(res, &req);
	explicit_bzero(authz.buf, authz.len);
	strbuf_release(&authz);
	return r;
}

/* The "message" of a reply, else its body. */
static void say(FILE *f, const char *prefix, const struct http_response *res)
{
	struct doc_stream *s = NULL;
	const char *m = NULL;

	if (!doc_parse(&s, res->body.buf, res->body.len, "reply", NULL) && s->ndocs == 1)
		m = doc_get_str(s->docs[0], "message", NULL);
	err_clear();
	fprintf(f, "%s%s\n", prefix, m ? m : res->body.buf);
	doc_stream_free(s);
}

struct remote {
	struct agent_config cfg;
	struct strbuf base, token;
};

static int remote_open(struct remote *rm, const char *config, const char *addr)
{
	int r;

	strbuf_init(&rm->base, 0);
	strbuf_init(&rm->token, 0);
	r = agent_config_load(&rm->cfg, config);
	if (r)
		return r;
	if (!rm->cfg.token_file)
		return err_set(ERR_INVALID, "%s has no tokenFile: the agent takes no approvals", config);
	r = api_token_read(&rm->token, rm->cfg.token_file);
	if (r)
		return r;
	base_url(&rm->base, &rm->cfg, addr);
	return 0;
}

static void remote_close(struct remote *rm)
{
	explicit_bzero(rm->token.buf, rm->token.len);
	strbuf_release(&rm->token);
	strbuf_release(&rm->base);
	agent_config_release(&rm->cfg);
}

int cmd_agent_approve(int argc, char **argv)
{
	struct remote_args a = { 0 };
	struct remote rm = { 0 };
	struct http_response res;
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, plan = STRBUF_INIT, by = STRBUF_INIT;
	struct doc_stream *s = NULL;
	char host[64] = "";
	char **pos;
	int n, r;

	http_response_init(&res);
	n = opts_parse(argc, argv, approve_options, &a, &pos);
	if (n != 1 || !a.digest || strpbrk(pos[0], "/?#% "))
		return cmd_usage(cmd_agent_approve_entry.usage);
	if (!digest_is_valid(a.digest) || (a.plan && !digest_is_valid(a.plan))) {
		err_set(ERR_INVALID, "--digest and --plan take sha256:<64 lowercase hex>");
		return cmd_fail();
	}
	r = remote_open(&rm, a.config ? a.config : AGENT_CONFIG_FILE, a.addr);
	if (r)
		goto out;
	if (a.plan) {
		strbuf_addstr(&plan, a.plan);
	} else {
		const char *h, *d;

		strbuf_addf(&url, "%s/v1/apps/%s", rm.base.buf, pos[0]);
		/* With the token: under `webAuth: read` the document is not open. */
		r = call(&res, "GET", url.buf, rm.token.len ? rm.token.buf : NULL, NULL);
		if (r)
			goto out;
		if (res.status != 200) {
			say(stderr, "hoist-agent: error: ", &res);
			r = ERR_GENERIC;
			goto out;
		}
		r = doc_parse(&s, res.body.buf, res.body.len, url.buf, NULL);
		if (r)
			goto out;
		h = doc_get_str(s->docs[0], "plan", "hash", NULL);
		d = doc_get_str(s->docs[0], "plan", "digest", NULL);
		if (!h) {
			r = err_set(ERR_NOTFOUND, "app %s has no pending plan to approve", pos[0]);
			goto out;
		}
		if (d && strcmp(d, a.digest))
			fprintf(stderr, "hoist-agent: the pending plan is for %s, not %s: the agent will refuse\n",
				d, a.digest);
		strbuf_addstr(&plan, h);
		http_response_release(&res);
		http_response_init(&res);
	}
	gethostname(host, sizeof(host) - 1);
	strbuf_addf(&by, "hoist-agent approve (%s@%s)", getenv("USER") ? getenv("USER") : "?",
		    host);
	strbuf_addstr(&body, "{\"digest\":");
	strbuf_add_json_str(&body, a.digest, strlen(a.digest));
	strbuf_addstr(&body, ",\"plan\":");
	strbuf_add_json_str(&body, plan.buf, plan.len);
	strbuf_addstr(&body, ",\"by\":");
	strbuf_add_json_str(&body, by.buf, by.len > 100 ? 100 : by.len);
	strbuf_addstr(&body, "}");
	strbuf_reset(&url);
	strbuf_addf(&url, "%s/v1/apps/%s/sync", rm.base.buf, pos[0]);
	r = call(&res, "POST", url.buf, rm.token.buf, body.buf);
	if (r)
		goto out;
	if (res.status == 202) {
		printf("%s: approved %s (plan %s); the agent applies it now\n", pos[0], a.digest,
		       plan.buf);
	} else {
		say(stderr, "hoist-agent: refused: ", &res);
		r = ERR_CONFLICT;
	}
out:
	if (r && r != ERR_CONFLICT && r != ERR_GENERIC)
		cmd_fail();
	doc_stream_free(s);
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&plan);
	strbuf_release(&by);
	remote_close(&rm);
	return cmd_finish_stdout(r ? 1 : 0);
}

int cmd_agent_accept_drift(int argc, char **argv)
{
	struct remote_args a = { 0 };
	struct remote rm = { 0 };
	struct http_response res;
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
	char **pos;
	int n, r;

	http_response_init(&res);
	n = opts_parse(argc, argv, accept_options, &a, &pos);
	if (n != 2 || strpbrk(pos[0], "/?#% "))
		return cmd_usage(cmd_agent_accept_drift_entry.usage);
	r = remote_open(&rm, a.config ? a.config : AGENT_CONFIG_FILE, a.addr);
	if (r)
		goto out;
	strbuf_addstr(&body, "{\"object\":");
	strbuf_add_json_str(&body, pos[1], strlen(pos[1]));
	strbuf_addstr(&body, "}");
	strbuf_addf(&url, "%s/v1/apps/%s/accept-drift", rm.base.buf, pos[0]);
	r = call(&res, "POST", url.buf, rm.token.buf, body.buf);
	if (r)
		goto out;
	if (res.status == 200) {
		printf("%s: %s: drift accepted; its fields are ignored from now on\n", pos[0], pos[1]);
	} else {
		say(stderr, "hoist-agent: refused: ", &res);
		r = ERR_CONFLICT;
	}
out:
	if (r && r != ERR_CONFLICT)
		cmd_fail();
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&body);
	remote_close(&rm);
	return cmd_finish_stdout(r ? 1 : 0);
}
