/*
 * agent.h - the in-cluster agent: its configuration (agent.yaml), the sync
 * API the run loop calls, and the status it records.
 *
 * The pieces, by file:
 *   agent/config.c       agent.yaml through one declarative table (docs/agent.md)
 *   agent/kube*.c        the Kubernetes client (kube.h)
 *   agent/health.c       kstatus-style health rules (health.h)
 *   agent/source.c       resolving an app's source: tag, digest, semver range, push
 *   agent/sync.c         plan, dry-run, apply in stages, health wait
 *   agent/inventory.c    the applied set kept in the cluster, prune
 *   agent/status.c       per-app status in memory and in stateDir, JSON log lines
 *   agent/agent-cmd.c    `hoist-agent sync`, `status`, `help`
 *   agent/plan.c         field-level diffs, plan hashes, ignore rules (plan.h)
 *   agent/appstate.c     objects, pending plan, history, accepted drift; the app document
 *   agent/approve.c      approvals of manual apps' plans, accept-drift
 *   agent/drift.c        drift through watches (drift.h; the stream: watch.c)
 *   agent/remote-cmd.c   `hoist-agent approve`, `accept-drift` (talk to the running agent)
 * The run loop, the push/status HTTP server and `hoist-agent run` build on
 * this header only.
 *
 * Threads: one `struct agent` is shared by every thread of the run loop.
 * agent_sync() may run concurrently for *different* apps (each call opens
 * its own API connections; the discovery cache and the status table are
 * locked inside); the caller must not run two syncs of the same app at once.
 */
#ifndef HOIST_AGENT_H
#define HOIST_AGENT_H

#include "core/compat.h"
#include "core/digest.h"
#include <pthread.h>
#include <time.h>

struct strbuf;
struct kube_conf;
struct kube_discovery;
struct drift_rule;
struct app_state;
struct notify;
struct kevents;

#define AGENT_CONFIG_FILE "/etc/hoist-agent/agent.yaml"
#define AGENT_LABEL_APP "hoist.dev/app"
#define AGENT_ANN_WAVE "hoist.dev/wave"
#define AGENT_ANN_PRUNE "hoist.dev/prune"
#define AGENT_FIELD_MANAGER "hoist"

/* One entry of `apps:` in agent.yaml.  Strings are owned by the config. */
struct agent_app {
	char *name;
	char *source;      /* an OCI reference (hoist pull syntax) or "push" */
	char *semver;      /* a version constraint; NULL: follow `source` as written */
	char *namespace;   /* default namespace for namespaced objects naming none */
	bool prune;
	char *interval;    /* as written ("1m"); interval_s parsed */
	char *timeout;     /* as written ("5m"); timeout_s parsed */
	char *verify_key;  /* public key file; NULL: signatures are not required */
	char *conflicts;   /* "force" or "fail" */
	bool suspend;
	bool insecure;     /* plain HTTP to a registry that is not on loopback */
	char *sync;        /* "auto" or "manual" (plan, apply only when approved) */
	char *drift;       /* "correct", "notify" or "ignore" */
	struct drift_rule *ignore; /* ignoreDifferences (plan.h) */
	size_t nignore;
	int64_t interval_s, timeout_s;
	size_t index;      /* position in agent_config.apps */
};

/*
 * One entry of `notify:` in agent.yaml: a receiver of events (agent/notify.h,
 * docs/notifications.md).  Strings are owned by the config.
 */
struct agent_notify {
	char *name;
	char *type;        /* "webhook", "slack", "github" or "gitlab" */
	char *url;         /* webhook/Slack URL; GitHub/GitLab API base (defaulted) */
	char *secret_file; /* webhook: the HMAC key */
	char *token_file;  /* github/gitlab: the API token */
	char *repository;  /* github: OWNER/REPO */
	char *project;     /* gitlab: numeric ID or GROUP/PROJECT path */
	char *context;     /* commit status context/name prefix; "hoist" */
	char *target_url;  /* commit status link, may be NULL */
	char *queue_max;   /* as written; queue_max_n parsed */
	size_t queue_max_n;
	char *max_backoff; /* as written; max_backoff_s parsed */
	int64_t max_backoff_s;
	unsigned events;   /* bit (1u << enum agent_event_type) per event it takes */
	size_t index;      /* position in agent_config.notify */
};

struct agent_config {
	char *api_version, *kind;
	char *kubeconfig; /* NULL: the in-cluster service account */
	char *context;    /* kubeconfig context; NULL: current-context */
	char *namespace;  /* where inventories live */
	char *state_dir;
	char *listen;     /* "HOST:PORT" of the push endpoint and status API */
	char *cert, *key; /* TLS for `listen`; both or neither */
	char *token_file;
	char *web_auth;   /* "write" or "read": whether reads need the token too */
	char *concurrency; /* as written; concurrency_n parsed */
	size_t concurrency_n;
	char *api_timeout; /* as written; api_timeout_s parsed */
	int64_t api_timeout_s;
	struct agent_app *apps;
	size_t napps;
	struct agent_notify *notify;
	size_t nnotify;
	char *file; /* where it was read from, for messages */
};

/*
 * Parses and validates agent.yaml text: unknown keys, wrong types, bad
 * durations, duplicate or invalid app names, a source that is neither
 * "push" nor a valid reference are ERR_INVALID with file:line:col.
 */
int agent_config_parse(struct agent_config *cfg, const char *buf, size_t len, const char *file);
int agent_config_load(struct agent_config *cfg, const char *path);
void agent_config_release(struct agent_config *cfg);
const struct agent_app *agent_config_app(const struct agent_config *cfg, const char *name);
/* Every key with its meaning, as Markdown (docs/agent.md's table) or text. */
void agent_config_describe(struct strbuf *out, bool markdown);
/* The same as roff paragraphs, for agent.yaml(5). */
void agent_config_describe_roff(struct strbuf *roff);

enum agent_health {
	HEALTH_UNKNOWN = 0, /* not checked yet */
	HEALTH_HEALTHY,
	HEALTH_PROGRESSING,
	HEALTH_DEGRADED,
	HEALTH_FAILED,
};
const char *agent_health_name(enum agent_health h);

/* What one sync did.  Release with sync_result_release. */
struct sync_result {
	int rc;                           /* 0 applied and healthy; else an ERR_* code */
	char digest[DIGEST_STR_SIZE];     /* the artifact's manifest digest ("" when not resolved) */
	char *revision;                   /* from the manifest/hoist.json, may be NULL */
	char *version;                    /* the artifact's version, may be NULL */
	char *source;                     /* the reference actually pulled (tag resolved by semver) */
	size_t objects, applied, unchanged, pruned, prune_failed;
	enum agent_health health;
	char *message;                    /* the reason: first error, or the unhealthy object */
	time_t started, finished;
	size_t inventory_bytes;           /* the size of the stored inventory */
};
void sync_result_release(struct sync_result *res);

/*
 * An artifact received by push: the manifest and its layer (the .tar.gz),
 * and optionally the cosign signature of the manifest digest (the
 * simple-signing payload and its base64 signature).  agent_sync checks
 * that the manifest hashes to `digest`, that it names the layer's digest
 * and size, and, when the app has verifyKey, the signature, before
 * anything is applied.
 */
struct artifact_bytes {
	const char *digest;     /* the manifest digest the pusher claims */
	const void *manifest;
	size_t manifest_len;
	const void *layer;
	size_t layer_len;
	const void *sig_payload; /* NULL: unsigned */
	size_t sig_payload_len;
	const char *sig_b64;
};

/*
 * The runtime state shared by the loop, the server and the commands.
 * Fields are read-only after agent_open except where noted.
 */
struct agent {
	struct agent_config cfg;
	struct kube_conf *kube;          /* API server, credentials */
	pthread_mutex_t lock;            /* guards disco and status */
	struct kube_discovery *disco;    /* cached; refreshed by sync */
	struct agent_status *status;     /* cfg.napps entries */
	const char **metric_names;       /* the apps' names, as metrics.c labels them */
	struct app_state *appstate;      /* cfg.napps entries, under `lock` (appstate.c) */
	/* Set by the run loop: wakes an app's thread (an approval to apply). */
	void (*wake)(void *ctx, const char *app);
	void *wake_ctx;
	struct notify *notify;           /* receivers' queues (agent/notify.h); NULL: none */
	struct kevents *kevents;         /* Kubernetes Events' thread (agent/kevent.h) */
	struct drift *drift;             /* the watches (agent/drift.h), under `lock`; NULL: none */
};

/*
 * Reads the config and the kubeconfig (or the in-cluster service
 * account), loads stateDir's recorded status; opens no connection yet.
 */
int agent_open(struct agent **out, const char *config_path);
void agent_free(struct agent *ag);
const struct agent_app *agent_app(const struct agent *ag, const char *name);

/*
 * Checks a pushed artifact for `app` without applying it: digest of the
 * manifest, layer digest and size, signature when the app requires one.
 * ERR_VERIFY (or ERR_INVALID) with the reason; the push server answers
 * with it before queuing a sync.  agent_sync checks again.
 */
int agent_verify_pushed(struct agent *ag, const struct agent_app *app,
			const struct artifact_bytes *pushed);

/*
 * Resolves the app's source to a manifest digest without fetching the
 * artifact (HEAD of the tag, or the tag list for `semver`): the loop's
 * cheap "is there something new" check.  `ref_out` (may be NULL) gets the
 * reference with the tag chosen.  ERR_INVALID for a `push` app.
 */
int agent_resolve(struct agent *ag, const struct agent_app *app, char digest[DIGEST_STR_SIZE],
		  struct strbuf *ref_out);

/*
 * One pass over `app`: resolve the source (or take `pushed`), fetch and
 * verify every digest and the signature, unpack in memory, dry-run the
 * whole set, apply what differs in stages, prune by inventory, store the
 * inventory, wait for health until the app's timeout or until *cancel
 * becomes non-zero (the loop sets it when a new digest arrives; the sync
 * then ends with ERR_RETRY "cancelled: ...", recorded with result "retry").
 * `cancel` may be NULL.  Fills `res` (always, also on failure), records
 * it as the app's status (memory and stateDir) and logs one JSON line per
 * event.  Returns res->rc.
 */
int agent_sync(struct agent *ag, const struct agent_app *app, const struct artifact_bytes *pushed,
	       const volatile int *cancel, struct sync_result *res);

/*
 * What a call of agent_sync_ex does beyond agent_sync: for `sync: manual`
 * apps, compute the plan and stop (plan_only), or apply only when the
 * recomputed plan is the approved one (digest and hash).
 */
struct sync_opts {
	bool plan_only;
	const char *approved_digest, *approved_hash;
	const char *approved_by;
	/* Filled: the plan's hash ("" when none was computed). */
	char plan_hash[DIGEST_STR_SIZE];
};
int agent_sync_ex(struct agent *ag, const struct agent_app *app,
		  const struct artifact_bytes *pushed, const volatile int *cancel,
		  struct sync_result *res, struct sync_opts *o);

/*
 * The app document GET /v1/apps/APP serves (docs/api.md): the recorded
 * status, the policies, the objects with health and drift, the pending
 * plan (null when none), the sync history (newest first, at most 20) and
 * the ignore rules.
 */
int agent_app_json(struct agent *ag, const struct agent_app *app, struct strbuf *out);

/*
 * Approves the pending plan of a `sync: manual` app: recomputes the plan
 * now (source, artifact, dry runs); when it is still for `digest` and its
 * hash is `plan_hash`, the approval is kept and the app's thread woken
 * (it applies only if its own recomputed plan still has that hash), else
 * ERR_CONFLICT "stale: ..." with the new plan stored and nothing applied.
 * Without a run loop (ag->wake NULL) it applies at once.  `who` goes into
 * history as approvedBy.
 */
int agent_approve(struct agent *ag, const struct agent_app *app, const char *digest,
		  const char *plan_hash, const char *who);
/*
 * Turns the drift reported for `object` (KIND/NAME or KIND/NAMESPACE/NAME)
 * into an ignore rule for its differing fields, kept in stateDir.
 * ERR_NOTFOUND when the object has no drift.
 */
int agent_accept_drift(struct agent *ag, const struct agent_app *app, const char *object);

/*
 * Status.  The recorded status of every app as one JSON document (what
 * `hoist-agent status --json` prints and GET /v1/status serves):
 *   {"apps":[{"name","source","digest","revision","version","lastSync",
 *             "result","message","health","objects","applied","unchanged",
 *             "pruned","inventoryBytes","suspended","sync","drift","drifted"}]}
 */
int agent_status_json(struct agent *ag, struct strbuf *out);
/* Records `res` for app `app` in memory and in stateDir/APP.json (atomically). */
int agent_status_record(struct agent *ag, const struct agent_app *app,
			const struct sync_result *res);
/*
 * A sync that created objects without dry-running them and then failed
 * deleted them again (agent/sync.c); it marks the digest, and syncs of
 * that digest dry-run everything first from then on (memory only).
 */
void agent_status_set_undone(struct agent *ag, const struct agent_app *app, const char *digest);
bool agent_status_was_undone(struct agent *ag, const struct agent_app *app, const char *digest);
/* The digest last applied successfully ("" when none): the loop's skip check. */
void agent_status_last_digest(struct agent *ag, const struct agent_app *app,
			      char digest[DIGEST_STR_SIZE]);

/*
 * One JSON log line on stderr: {"time","level","app","digest","revision",
 * "event","message"}.  `app`, `digest`, `revision` may be NULL.
 */
void agent_log(const char *level, const char *app, const char *digest, const char *revision,
	       const char *event, const char *fmt, ...) PRINTF_LIKE(6, 7);

/*
 * Commands (agent/agent-cmd.c); `run` lives with the loop.  argv[0] is the
 * command's name ("sync"), as hoist-agent.c passes it.
 */
int cmd_agent_sync(int argc, char **argv);
int cmd_agent_status(int argc, char **argv);
int cmd_agent_run(int argc, char **argv);
/* agent/remote-cmd.c: talk to the running agent. */
int cmd_agent_approve(int argc, char **argv);
int cmd_agent_accept_drift(int argc, char **argv);

struct cmd;
extern const struct cmd cmd_agent_run_entry, cmd_agent_sync_entry, cmd_agent_status_entry;
extern const struct cmd cmd_agent_approve_entry, cmd_agent_accept_drift_entry;

#endif
