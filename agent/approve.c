/*
 * approve.c - approvals of manual apps' plans and accepted drift.  See
 * agent_approve() and agent_accept_drift() in agent.h.
 *
 * An approval is bound to what will change, not to a moment: it names the
 * digest and the plan's hash, and the plan is computed again, from the
 * source and the live objects, both when the approval arrives (so a stale
 * one is refused at once, with the new plan) and by the app's thread just
 * before it applies (so a change in between is refused too).
 *
 * NEEDSWORK: the first recomputation runs on the HTTP server's thread
 * (one pull and a dry run per object: seconds for large apps), so other
 * requests wait meanwhile; a worker would keep the API responsive.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/plan.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

int agent_approve(struct agent *ag, const struct agent_app *app, const char *digest,
		  const char *plan_hash, const char *who)
{
	struct sync_opts o = { 0 };
	struct sync_result res;
	int r;

	if (strcmp(app->sync, "manual"))
		return err_set(ERR_INVALID, "app %s has sync: %s: there is no plan to approve",
			       app->name, app->sync);
	if (app->suspend)
		return err_set(ERR_CONFLICT, "app %s is suspended: nothing is applied", app->name);
	if (!digest_is_valid(digest) || !digest_is_valid(plan_hash))
		return err_set(ERR_INVALID, "an approval names a digest and a plan hash "
					    "(sha256:<64 hex> each)");
	if (!strcmp(app->source, "push")) {
		/*
		 * NEEDSWORK: a pushed artifact is read by the loop's thread only;
		 * the approval is checked against the plan it computed, and again
		 * when that thread applies.
		 */
		r = 0;
	} else {
		o.plan_only = true;
		r = agent_sync_ex(ag, app, NULL, NULL, &res, &o);
		if (!r && strcmp(res.digest, digest))
			r = err_set(ERR_CONFLICT,
				    "stale: the approval names %s but the source now has %s; nothing "
				    "was applied, the new plan is %s", digest, res.digest, o.plan_hash);
		else if (!r && strcmp(o.plan_hash, plan_hash))
			r = err_set(ERR_CONFLICT,
				    "stale: the plan of %s is now %s, not the approved %s (the live "
				    "state changed since); nothing was applied", digest, o.plan_hash,
				    plan_hash);
		sync_result_release(&res);
		if (r)
			return r;
	}
	agent_log("info", app->name, digest, NULL, "approved", "plan %s approved by %s", plan_hash,
		  who ? who : "api");
	if (ag->wake) {
		appstate_set_approval(ag, app, digest, plan_hash, who);
		ag->wake(ag->wake_ctx, app->name);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.approved_digest = digest;
	o.approved_hash = plan_hash;
	o.approved_by = who ? who : "api";
	r = agent_sync_ex(ag, app, NULL, NULL, &res, &o);
	sync_result_release(&res);
	return r;
}

int agent_accept_drift(struct agent *ag, const struct agent_app *app, const char *object)
{
	char *group = NULL, *kind = NULL, *ns = NULL, *name = NULL, *api_version = NULL;
	char *drift = NULL, *obj_ns = NULL;
	struct strbuf ptrs = STRBUF_INIT, arr = STRBUF_INIT;
	struct doc_stream *s = NULL;
	bool deleted = false;
	size_t i;
	int r;

	r = plan_object_parse(object, &group, &kind, &ns, &name);
	if (r)
		goto out;
	drift = appstate_object_drift(ag, app, group, kind, ns, name, &api_version, &obj_ns,
				      &deleted);
	if (!drift) {
		r = err_set(ERR_NOTFOUND, "app %s reports no drift of %s", app->name, object);
		goto out;
	}
	strbuf_addch(&ptrs, '[');
	if (deleted) {
		/* The whole object: "" is the root pointer. */
		strbuf_addstr(&ptrs, "\"\"");
	} else {
		strbuf_addf(&arr, "[%s]", drift);
		r = doc_parse(&s, arr.buf, arr.len, "drift", NULL);
		if (r)
			goto out;
		for (i = 0; s->ndocs && s->docs[0]->kind == DOC_SEQ && i < s->docs[0]->n; i++) {
			const char *p = doc_get_str(s->docs[0]->kids[i], "path", NULL);
			if (!p)
				continue;
			if (ptrs.len > 1)
				strbuf_addch(&ptrs, ',');
			strbuf_add_json_str(&ptrs, p, strlen(p));
		}
	}
	strbuf_addch(&ptrs, ']');
	r = appstate_accept(ag, app, api_version, kind, obj_ns, name, ptrs.buf);
	if (!r) {
		/* Accepted: no longer reported (until another field drifts). */
		appstate_set_drift(ag, app, api_version, kind, obj_ns, name, "", false);
		agent_log("info", app->name, NULL, NULL, "drift-accepted", "%s: %s now ignored", object,
			  ptrs.buf);
	}
out:
	doc_stream_free(s);
	strbuf_release(&ptrs);
	strbuf_release(&arr);
	free(group);
	free(kind);
	free(ns);
	free(name);
	free(api_version);
	free(drift);
	free(obj_ns);
	return r;
}
