/*
 * agent-cmd.c - `hoist-agent sync APP --once`, `status`, `help`.
 *
 * Exit codes as hoist's: 0 ok, 1 failed (reason on stderr), 2 usage.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/notify.h"
#include "agent/push.h"
#include "core/cmd.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strbuf.h"

struct agent_args {
	const char *config;
	bool once, json;
};

#define A struct agent_args
static const struct opt sync_options[] = {
	{ "config", OPT_FIELD(A, config), 'c', .arg = "FILE", .complete = COMPLETE_FILE,
	  .help = "the agent's configuration (agent.yaml)" },
	{ "once", OPT_FIELD(A, once), .help = "one pass (required: the loop is `hoist-agent run`)" },
	{ NULL },
};

static const struct opt status_options[] = {
	{ "config", OPT_FIELD(A, config), 'c', .arg = "FILE", .complete = COMPLETE_FILE,
	  .help = "the agent's configuration (agent.yaml)" },
	{ "json", OPT_FIELD(A, json), .help = "the status as JSON, as GET /v1/status serves it" },
	{ NULL },
};
#undef A

static const char *const sync_examples[] = {
	"hoist-agent sync web --once -c /etc/hoist/agent.yaml	"
	"resolve, verify, apply, prune and wait for health once; exit 0 when healthy",
	"hoist-agent sync web --once -c agent.yaml && echo healthy\t"
	"a deploy step that fails unless the app is applied and healthy",
	NULL,
};

const struct cmd cmd_agent_sync_entry = {
	"sync", cmd_agent_sync, "sync APP --once -c FILE", "one pass over an app",
	sync_options,
	.description =
		"Resolves APP's source (a tag, a digest or the highest tag matching its semver\n"
		"range), fetches and verifies the artifact (and its signature when verifyKey\n"
		"is set), applies it in stages with server-side apply, prunes what the\n"
		"previous inventory had and this one lacks, and waits for health up to the\n"
		"app's timeout.  Exit 0 when applied and healthy, 1 otherwise with the\n"
		"reason on stderr.",
	.examples = sync_examples,
	.see_also = "docs/agent.md",
	.args = { COMPLETE_NONE },
};

static const char *const status_examples[] = {
	"hoist-agent status -c /etc/hoist/agent.yaml	one line per app: result, health, digest",
	"hoist-agent status -c agent.yaml --json | jq .apps	the same as JSON",
	NULL,
};

const struct cmd cmd_agent_status_entry = {
	"status", cmd_agent_status, "status -c FILE [--json]",
	"the last recorded sync of every app", status_options,
	.description = "Prints what the agent recorded in its stateDir for every app: the last\n"
		       "sync's result and time, digest, revision, counts and health.",
	.examples = status_examples,
	.see_also = "docs/agent.md, docs/api.md",
};

int cmd_agent_sync(int argc, char **argv)
{
	struct agent_args a = { 0 };
	const char *config;
	const struct agent_app *app;
	struct agent *ag = NULL;
	struct sync_result res;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, sync_options, &a, &pos);
	config = a.config;
	if (n != 1 || !config)
		return cmd_usage(cmd_agent_sync_entry.usage);
	/* Only one pass is offered here; the loop is `hoist-agent run`. */
	if (!a.once)
		return cmd_usage("sync APP --once -c FILE (the loop is `hoist-agent run`)");
	r = agent_open(&ag, config);
	if (r)
		return cmd_fail();
	app = agent_app(ag, pos[0]);
	if (!app) {
		err_set(ERR_NOTFOUND, "%s: no app '%s'", config, pos[0]);
		agent_free(ag);
		return cmd_fail();
	}
	memset(&res, 0, sizeof(res));
	if (!strcmp(app->source, "push")) {
		/* A push app re-applies what was last pushed (kept by `run` in stateDir/push). */
		struct strbuf dir = STRBUF_INIT, layer = STRBUF_INIT;
		struct push_checked pc;
		struct artifact_bytes ab = { 0 };

		push_checked_init(&pc);
		strbuf_addf(&dir, "%s/push", ag->cfg.state_dir);
		r = push_store_load(dir.buf, app->name, &layer, &pc);
		if (r == ERR_NOTFOUND)
			err_set(r, "nothing was pushed to app %s yet", app->name);
		if (!r) {
			ab.digest = pc.digest;
			ab.manifest = pc.manifest.buf;
			ab.manifest_len = pc.manifest.len;
			ab.layer = layer.buf;
			ab.layer_len = layer.len;
			if (pc.payload.len && pc.sig_b64) {
				ab.sig_payload = pc.payload.buf;
				ab.sig_payload_len = pc.payload.len;
				ab.sig_b64 = pc.sig_b64;
			}
			struct sync_opts o = { 0 };
			r = agent_sync_ex(ag, app, &ab, NULL, &res, &o);
		} else {
			res.message = xstrdup(err_msg());
		}
		push_checked_release(&pc);
		strbuf_release(&dir);
		strbuf_release(&layer);
	} else {
		/* Explicit: also for a suspended app; a manual one is only planned. */
		struct sync_opts o = { 0 };
		r = agent_sync_ex(ag, app, NULL, NULL, &res, &o);
	}
	if (r)
		fprintf(stderr, "hoist-agent: error: %s: %s\n", app->name, res.message);
	else if (!strcmp(app->sync, "manual") && res.message &&
		 !strcmp(res.message, "the plan awaits approval"))
		printf("%s %s: sync: manual; the plan awaits approval (hoist-agent approve)\n",
		       app->name, res.digest);
	else
		printf("%s %s %zu objects: %zu applied, %zu unchanged, %zu pruned; %s\n", app->name,
		       res.digest, res.objects, res.applied, res.unchanged, res.pruned,
		       agent_health_name(res.health));
	sync_result_release(&res);
	/*
	 * Send this pass's events before exiting, for a while; what a receiver
	 * does not take in time stays queued for the next `run` or `sync`.
	 */
	if (!notify_start(ag))
		notify_close(ag, NOTIFY_DRAIN_MS);
	err_clear();
	agent_free(ag);
	return cmd_finish_stdout(r ? 1 : 0);
}

static const char *str_or(const struct doc_node *app, const char *key, const char *def)
{
	const char *s = doc_get_str(app, key, NULL);
	struct doc_value v;

	if (!s || (!doc_resolve(doc_map_get(app, key), &v) && v.type == DOC_T_NULL))
		return def;
	return s;
}

int cmd_agent_status(int argc, char **argv)
{
	struct agent_args a = { 0 };
	const char *config;
	struct strbuf out = STRBUF_INIT;
	struct doc_stream *s = NULL;
	struct agent *ag = NULL;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, status_options, &a, &pos);
	config = a.config;
	if (n != 0 || !config)
		return cmd_usage(cmd_agent_status_entry.usage);
	r = agent_open(&ag, config);
	if (r)
		return cmd_fail();
	agent_status_json(ag, &out);
	if (a.json) {
		cmd_write_stdout(out.buf, out.len);
		goto out;
	}
	r = doc_parse(&s, out.buf, out.len, "status", NULL);
	if (r)
		goto out;
	{
		const struct doc_node *apps = doc_map_get(s->docs[0], "apps");
		printf("%-20s %-10s %-12s %-19s %-21s %s\n", "APP", "RESULT", "HEALTH", "DIGEST",
		       "LAST SYNC", "MESSAGE");
		for (size_t i = 0; apps && i < apps->n; i++) {
			const struct doc_node *ap = apps->kids[i];
			const char *d = str_or(ap, "digest", "-");
			printf("%-20s %-10s %-12s %-19.19s %-21s %s\n", str_or(ap, "name", "?"),
			       str_or(ap, "result", "never"), str_or(ap, "health", "Unknown"), d,
			       str_or(ap, "lastSync", "-"), str_or(ap, "message", ""));
		}
	}
out:
	if (r)
		cmd_fail();
	doc_stream_free(s);
	strbuf_release(&out);
	agent_free(ag);
	return cmd_finish_stdout(r ? 1 : 0);
}
