/*
 * agent-cmd.c - `hoist-agent sync APP --once`, `status`, `help`.
 *
 * Exit codes as hoist's: 0 ok, 1 failed (reason on stderr), 2 usage.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/push.h"
#include "core/cmd.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strbuf.h"

#define SYNC_USAGE "sync APP --once -c FILE"
#define STATUS_USAGE "status -c FILE [--json]"

static int agent_usage(const char *usage)
{
	fprintf(stderr, "usage: hoist-agent %s\n", usage);
	return EXIT_USAGE;
}

static int agent_fail(void)
{
	fprintf(stderr, "hoist-agent: error: %s\n", err_msg());
	return 1;
}

/* -c is the one short option, as `hoist-agent run -c FILE` takes it too. */
static void short_opts(int argc, char **argv)
{
	static char config_opt[] = "--config";
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-c"))
			argv[i] = config_opt;
}

int cmd_agent_sync(int argc, char **argv)
{
	const char *config = NULL;
	bool once = false;
	const struct opt opts[] = { { "config", &config }, { "once", NULL, &once }, { NULL } };
	const struct agent_app *app;
	struct agent *ag = NULL;
	struct sync_result res;
	char **pos;
	int n, r;

	short_opts(argc - 1, argv + 1);
	n = opts_parse(argc - 1, argv + 1, opts, &pos);
	if (n != 1 || !config)
		return agent_usage(SYNC_USAGE);
	/* Only one pass is offered here; the loop is `hoist-agent run`. */
	if (!once)
		return agent_usage(SYNC_USAGE " (the loop is `hoist-agent run`)");
	r = agent_open(&ag, config);
	if (r)
		return agent_fail();
	app = agent_app(ag, pos[0]);
	if (!app) {
		err_set(ERR_NOTFOUND, "%s: no app '%s'", config, pos[0]);
		agent_free(ag);
		return agent_fail();
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
			r = agent_sync(ag, app, &ab, NULL, &res);
		} else {
			res.message = xstrdup(err_msg());
		}
		push_checked_release(&pc);
		strbuf_release(&dir);
		strbuf_release(&layer);
	} else {
		r = agent_sync(ag, app, NULL, NULL, &res);
	}
	if (r)
		fprintf(stderr, "hoist-agent: error: %s: %s\n", app->name, res.message);
	else
		printf("%s %s %zu objects: %zu applied, %zu unchanged, %zu pruned; %s\n", app->name,
		       res.digest, res.objects, res.applied, res.unchanged, res.pruned,
		       agent_health_name(res.health));
	sync_result_release(&res);
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
	const char *config = NULL;
	bool json = false;
	const struct opt opts[] = { { "config", &config }, { "json", NULL, &json }, { NULL } };
	struct strbuf out = STRBUF_INIT;
	struct doc_stream *s = NULL;
	struct agent *ag = NULL;
	char **pos;
	int n, r;

	short_opts(argc - 1, argv + 1);
	n = opts_parse(argc - 1, argv + 1, opts, &pos);
	if (n != 0 || !config)
		return agent_usage(STATUS_USAGE);
	r = agent_open(&ag, config);
	if (r)
		return agent_fail();
	agent_status_json(ag, &out);
	if (json) {
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
			const struct doc_node *a = apps->kids[i];
			const char *d = str_or(a, "digest", "-");
			printf("%-20s %-10s %-12s %-19.19s %-21s %s\n", str_or(a, "name", "?"),
			       str_or(a, "result", "never"), str_or(a, "health", "Unknown"), d,
			       str_or(a, "lastSync", "-"), str_or(a, "message", ""));
		}
	}
out:
	if (r)
		agent_fail();
	doc_stream_free(s);
	strbuf_release(&out);
	agent_free(ag);
	return cmd_finish_stdout(r ? 1 : 0);
}

int cmd_agent_help(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;

	if (argc >= 2 && !strcmp(argv[1], "config")) {
		agent_config_describe(&sb, argc >= 3 && !strcmp(argv[2], "--markdown"));
		cmd_write_stdout(sb.buf, sb.len);
		strbuf_release(&sb);
		return cmd_finish_stdout(0);
	}
	printf("usage: hoist-agent COMMAND [ARGS]\n\n"
	       "  run -c FILE               sync every app on its interval; serve pushes and status\n"
	       "  " SYNC_USAGE "   one pass over APP; exit 0 when applied and healthy\n"
	       "  " STATUS_USAGE "   the last recorded sync of every app\n"
	       "  version                   print the version\n"
	       "  help [config]             this text, or every agent.yaml key\n\n"
	       "See docs/agent.md.\n");
	return cmd_finish_stdout(0);
}
