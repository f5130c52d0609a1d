/*
 * plan.h - what a sync would change, field by field, and the hash that
 * binds an approval to it; the per-app state the API serves beside the
 * recorded status (objects with health and drift, the pending plan, the
 * sync history, accepted drift).
 *
 * Field-level diffs compare the server's dry-run apply result (our apply
 * body merged into the live object by the API server, with our field
 * manager and force) with the live object.  The dry run keeps every field
 * another manager owns and every default as it is, so the only
 * differences are the fields our apply would write: fields other managers
 * own (HPA replicas, injected sidecars, defaults) never appear, and a
 * field we own that someone changed does.  Status and the metadata that
 * moves on every write (managedFields, resourceVersion, generation, ...)
 * are left out.
 *
 * The plan hash is sha256 over the digest and the changes document, so it
 * changes when the artifact changes and when the live value of a field we
 * would write changes (the diff carries both values).
 */
#ifndef HOIST_AGENT_PLAN_H
#define HOIST_AGENT_PLAN_H

#include "core/compat.h"
#include "core/digest.h"
#include <time.h>

struct agent;
struct agent_app;
struct doc_node;
struct strbuf;
struct sync_result;

/* At most this many differences are listed per object (the rest counted). */
#define PLAN_DIFF_MAX 64
/* History entries kept per app (newest first), in stateDir/APP.history.json. */
#define PLAN_HISTORY_MAX 20

/*
 * One ignore rule: JSON pointers not compared for objects matching
 * group (may be ""), kind, name (NULL: any) and namespace (NULL: any).
 */
struct drift_rule {
	char *group, *kind, *name, *ns;
	char **pointers;
	size_t npointers;
};

/*
 * Appends to `out` the differences between `live` and `want` as JSON
 * objects {"path":PTR,"live":V,"want":V} separated by commas (no
 * brackets): `path` is an RFC 6901 pointer, a missing value is null.
 * Maps are compared key by key, lists element by element when both have
 * the same length (else the whole list is one difference).  A path equal
 * to, or below, one of `ignore` is skipped.  Returns the number found
 * (entries past PLAN_DIFF_MAX are counted, not written).
 */
size_t plan_diff(struct strbuf *out, const struct doc_node *live, const struct doc_node *want,
		 const char *const *ignore, size_t nignore);

/* Appends `key` escaped as a JSON pointer segment ("~" → "~0", "/" → "~1"). */
void plan_pointer_escape(struct strbuf *out, const char *key);

/*
 * The plan hash: "sha256:" + hex of sha256("hoist-plan-v1\n" DIGEST "\n"
 * CHANGES), CHANGES being the JSON array of changes exactly as served.
 */
void plan_hash(char out[DIGEST_STR_SIZE], const char *digest, const char *changes_json,
	       size_t len);

/*
 * Parses `KIND/NAME` or `KIND/NAMESPACE/NAME` (the accept-drift OBJECT
 * argument); `kind` may be "Kind.group" to name the group.  ERR_INVALID
 * otherwise.  Out strings are allocated.
 */
int plan_object_parse(const char *s, char **group, char **kind, char **ns, char **name);

/* Whether `r` applies to the object. */
bool drift_rule_match(const struct drift_rule *r, const char *api_version, const char *kind,
		      const char *ns, const char *name);
void drift_rule_release(struct drift_rule *r);

/*
 * Per-app state (agent/appstate.c), guarded by the agent's lock.  Kept in
 * memory; history and accepted drift rules also in stateDir, so they
 * survive a restart.
 */

/* One object the app applied, as the app document lists it. */
struct app_object_in {
	const char *api_version, *kind, *ns, *name;
	int health; /* enum agent_health */
	const char *health_message;
	const char *body; /* the apply body (JSON) drift checks dry-run; may be NULL */
	bool applied;     /* this sync wrote it (which undid any drift it had) */
	const char *rv;   /* metadata.resourceVersion the sync saw last; NULL or "": unknown */
};

/* Replaces the app's object list (after a sync applied the set). */
void appstate_set_objects(struct agent *ag, const struct agent_app *app,
			  const struct app_object_in *objs, size_t n);
/*
 * Records a drift of one object: `diff_json` the comma-separated
 * differences (plan_diff's output), or NULL with deleted.  Returns true
 * when it is new or different from the one recorded (the caller reports
 * it then), false when the same drift is already recorded.  `diff_json`
 * "" and !deleted clears it.
 */
bool appstate_set_drift(struct agent *ag, const struct agent_app *app, const char *api_version,
			const char *kind, const char *ns, const char *name, const char *diff_json,
			bool deleted);
/* Copies the apply body of an object (NULL: not known). */
char *appstate_object_body(struct agent *ag, const struct agent_app *app,
			   const char *api_version, const char *kind, const char *ns,
			   const char *name);
/*
 * Whether a sync of the app is applying now: drift checks wait until it
 * has recorded the new bodies (else they would compare the live objects
 * with the previous artifact's and undo the sync).
 */
void appstate_set_applying(struct agent *ag, const struct agent_app *app, bool on);
bool appstate_applying(struct agent *ag, const struct agent_app *app);
/* A copy of the app's object list, and its generation. */
struct app_object_ref {
	char *api_version, *kind, *ns, *name;
	char *rv; /* the resourceVersion the last sync saw ("" unknown): changed since, check it */
};
void appstate_objects(struct agent *ag, const struct agent_app *app,
		      struct app_object_ref **out, size_t *n, unsigned *gen);
/* Changes each time a sync records the app's objects; 0: never recorded. */
unsigned appstate_generation(struct agent *ag, const struct agent_app *app);
void app_object_refs_free(struct app_object_ref *v, size_t n);
/* Objects with drift now. */
size_t appstate_drifted_locked(struct agent *ag, size_t app_index);

/*
 * The pending plan: `plan_json` the whole plan object, `hash` its hash.
 * Returns true when it differs from the plan set before (approval-needed
 * is then reported).  NULL clears it.
 */
bool appstate_set_plan(struct agent *ag, const struct agent_app *app, const char *digest,
		       const char *hash, const char *plan_json);

/*
 * An approval the API accepted, for the app's thread to apply: set keeps
 * one (the newest), take hands it over once (false when none).
 */
void appstate_set_approval(struct agent *ag, const struct agent_app *app, const char *digest,
			   const char *hash, const char *who);
bool appstate_take_approval(struct agent *ag, const struct agent_app *app,
			    char digest[DIGEST_STR_SIZE], char hash[DIGEST_STR_SIZE], char who[128]);
/* The object's recorded drift (differences JSON, without brackets), or NULL. */
char *appstate_object_drift(struct agent *ag, const struct agent_app *app, const char *group,
			    const char *kind, const char *ns, const char *name, char **api_version,
			    char **ns_out, bool *deleted);

/* A sync's history entry; `approved_by` may be NULL. */
void appstate_history_add(struct agent *ag, const struct agent_app *app,
			  const struct sync_result *res, const char *approved_by);

/* Accepted drift (ignore rules) of the app: from agent.yaml, then accepted ones. */
int appstate_accept(struct agent *ag, const struct agent_app *app, const char *api_version,
		    const char *kind, const char *ns, const char *name, const char *pointers_json);
/* The ignore pointers for one object (from agent.yaml's rules and accepted ones). */
void appstate_ignores(struct agent *ag, const struct agent_app *app, const char *api_version,
		      const char *kind, const char *ns, const char *name, char ***ptrs,
		      size_t *n);
void appstate_ignores_free(char **ptrs, size_t n);

void appstate_free(struct agent *ag);

#endif
