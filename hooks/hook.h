/*
 * hook.h - the Git server side: receive hooks, the spool, the installer.
 *
 * post-receive cannot refuse a push, so it must not lose one: each ref
 * update that an environment watches is first written to a spool folder in
 * the bare repository (hoist-spool/), then published.  Work that fails for
 * a reason that may pass (registry down, credentials) stays queued, in
 * order, for the next push or `hoist hook retry`; work that can never
 * succeed (the commit does not render) moves to hoist-spool/failed/ with
 * its error.  One lock serialises workers, so jobs run in push order.
 */
#ifndef HOIST_HOOK_H
#define HOIST_HOOK_H

#include "core/compat.h"

#define HOOK_SPOOL "hoist-spool"

/* Queues one ref update; `old` of all zeros means a new ref. */
int hook_spool_add(const char *git_dir, const char *ref, const char *old, const char *new_);
/*
 * Publishes every queued job in order under the spool lock; *remaining
 * says how many stay queued (each reported with the reason on stderr).
 * `deadline` (http_now_ms() time, 0: none) bounds the whole run: the wait
 * for the lock, and every request; what it cuts short stays queued.
 */
int hook_spool_run(const char *git_dir, int64_t deadline, size_t *remaining);

#endif
