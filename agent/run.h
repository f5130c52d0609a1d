/*
 * run.h - `hoist-agent run`: the loop over the apps of agent.yaml.
 *
 * Every app gets a thread of its own that sleeps until its next sync is
 * due (its `interval`, jittered by +-10% so many agents and apps do not
 * sync in step) or until it is woken: by a push of a new artifact, or by a
 * "new digest" notification (POST /v1/apps/APP/sync, what `hoist publish`
 * sends to pull-mode agents).  Threads share nothing but the agent (whose
 * sync may run for different apps at once, agent.h) and this loop's lock,
 * so one app's failure, or a long health wait, never holds up another.
 *
 * A new digest while an app is syncing (a push, a notification naming
 * another digest, or the main thread's poll of the source during a long
 * sync) sets the sync's cancel flag: its health wait ends at once and the
 * app syncs again with the new artifact.
 *
 * SIGTERM or SIGINT stops the loop gracefully: no new sync starts, health
 * waits are cancelled, an apply in flight finishes, the server stops, and
 * the process exits 0.
 *
 * The per-app state kept here (syncing, next sync, the digest being
 * applied) is what the status API adds to the agent's recorded status.
 */
#ifndef HOIST_AGENT_RUN_H
#define HOIST_AGENT_RUN_H

#include "core/compat.h"

struct agent;
struct run;

struct run_opts {
	/* Overrides agent.yaml `listen` (tests: 127.0.0.1:0). */
	const char *listen;
	/* Write the bound "HOST:PORT" there once serving (tests with port 0). */
	const char *addr_file;
};

/* Starts the server and one thread per app; returns once they run. */
int run_start(struct run **out, struct agent *ag, const struct run_opts *o);
/* Asks every thread to stop, cancels health waits, joins, stops the server. */
void run_stop(struct run *r);

/* The loop's side of the server (also for tests): see server.h. */
int run_wake(struct run *r, const char *app, const char *digest);

int cmd_agent_run(int argc, char **argv);

#endif
