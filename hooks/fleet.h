/*
 * fleet.h - what the agents of hoist.yaml's clusters run, asked over their
 * status API (GET /v1/status): `hoist status` and the health gate of
 * `hoist promote`.
 *
 * No central controller: each cluster's agent is asked directly, at the
 * cluster's `endpoint`, with the bearer token in its `tokenEnv` variable
 * when set (as `hoist publish` delivers).  A cluster that cannot be asked
 * is reported as such, never guessed.
 */
#ifndef HOIST_FLEET_H
#define HOIST_FLEET_H

#include "core/compat.h"

struct config;
struct config_env;
struct strbuf;

/* One app as an agent reports it.  Owned strings, NULL when absent. */
struct fleet_app {
	char *name, *digest, *revision, *health, *result;
	long drifted; /* objects with drift now; -1 when the agent does not say */
};

/* One cluster's answer. */
struct fleet_cluster {
	char *error; /* NULL: it answered; else why it could not be asked */
	struct fleet_app *apps;
	size_t napps;
};

/*
 * Asks cluster `name` of hoist.yaml for its status.  On failure returns the
 * ERR_* code and sets out->error too (the caller prints a row with it).
 */
int fleet_ask(const struct config *cfg, const char *name, struct fleet_cluster *out);
void fleet_cluster_release(struct fleet_cluster *c);
/* Parses a /v1/status reply (untrusted, bounded). */
int fleet_parse_status(struct fleet_cluster *out, const char *buf, size_t len);

/*
 * The promotion gate: every cluster of `env` whose agent runs `app` must
 * run `digest` and report it Healthy.  0 when so (clusters without the app
 * are skipped, and said so in the log); ERR_INVALID with `why` naming each
 * cluster, app and health that is not, or the cluster that could not be
 * asked.
 */
int fleet_health_gate(const struct config *cfg, const struct config_env *env, const char *app,
		      const char *digest, struct strbuf *why);

int cmd_status(int argc, char **argv);

#endif
