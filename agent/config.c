/*
 * config.c - agent.yaml through declarative tables.
 *
 * As core/config.c does for hoist.yaml: one table per object drives
 * parsing, defaults, validation of types and choices, `hoist-agent help
 * config` and the key table of docs/agent.md, so no key is parsed without
 * being documented.  Errors carry file:line:col.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci-ref.h"
#include "core/strbuf.h"
#include "agent/semver.h"
#include "agent/plan.h"
#include "agent/event.h"

enum acfg_type { ACFG_STR, ACFG_BOOL, ACFG_DURATION, ACFG_COUNT, ACFG_APPS, ACFG_RULES, ACFG_NOTIFY,
		 ACFG_EVENTS, ACFG_QSIZE };

struct acfg_field {
	const char *key;
	enum acfg_type type;
	size_t off;
	const char *def;
	bool required;
	const char *const *choices;
	const char *help;
	size_t aux; /* ACFG_DURATION, ACFG_COUNT: where the parsed number goes */
};

static const char *const conflict_choices[] = { "force", "fail", NULL };
static const char *const sync_choices[] = { "auto", "manual", NULL };
static const char *const web_auth_choices[] = { "write", "read", NULL };
static const char *const drift_choices[] = { "correct", "notify", "ignore", NULL };

#define F(key, type, st, member, def, req, choices, help) \
	{ key, type, offsetof(st, member), def, req, choices, help, 0 }
#define N(key, type, st, member, num, def, help) \
	{ key, type, offsetof(st, member), def, false, NULL, help, offsetof(st, num) }

static const struct acfg_field app_fields[] = {
	F("name", ACFG_STR, struct agent_app, name, NULL, true, NULL,
	  "the app's name: lowercase letters, digits and . _ - (also its inventory's name)"),
	F("source", ACFG_STR, struct agent_app, source, NULL, true, NULL,
	  "where artifacts come from: an OCI reference as `hoist pull` takes it (HOST/REPO:TAG, "
	  "HOST/REPO@sha256:..., oci-layout:DIR:TAG), or `push` to receive them on `listen`"),
	F("semver", ACFG_STR, struct agent_app, semver, NULL, false, NULL,
	  "follow the highest tag of the source's repository matching this constraint "
	  "(Masterminds syntax as Flux uses: \">=1.0.0 <2.0.0\", \"^1.2\", \"~1.4\", \"1.x\")"),
	F("namespace", ACFG_STR, struct agent_app, namespace, NULL, false, NULL,
	  "namespace given to namespaced objects that name none"),
	F("prune", ACFG_BOOL, struct agent_app, prune, "true", false, NULL,
	  "delete objects the previous artifact had and the new one lacks"),
	N("interval", ACFG_DURATION, struct agent_app, interval, interval_s, "1m",
	  "how often the source's digest and the live state are checked again (jittered)"),
	N("timeout", ACFG_DURATION, struct agent_app, timeout, timeout_s, "5m",
	  "how long a sync waits for the applied objects to become healthy"),
	F("verifyKey", ACFG_STR, struct agent_app, verify_key, NULL, false, NULL,
	  "cosign public key (PEM file): artifacts without a valid signature by it are refused"),
	F("conflicts", ACFG_STR, struct agent_app, conflicts, "force", false, conflict_choices,
	  "force: take over fields another field manager owns (as Flux does); fail: refuse, "
	  "name the other manager and change nothing"),
	F("suspend", ACFG_BOOL, struct agent_app, suspend, "false", false, NULL,
	  "stop every write for this app: no sync, no drift correction, no approval "
	  "(status and drift reports still update; an explicit `sync --once` still runs)"),
	F("sync", ACFG_STR, struct agent_app, sync, "auto", false, sync_choices,
	  "auto: apply each new artifact; manual: fetch, verify and plan it (per object "
	  "create, update with a field-level diff, prune, unchanged), apply only once "
	  "`hoist-agent approve` or POST /v1/apps/APP/sync approves that digest and plan hash"),
	F("drift", ACFG_STR, struct agent_app, drift, "correct", false, drift_choices,
	  "what a live change to a field the agent owns does (seen within seconds through "
	  "watches): correct (re-apply the object), notify (report only) or ignore"),
	{ "ignoreDifferences", ACFG_RULES, offsetof(struct agent_app, ignore), NULL, false, NULL,
	  "fields never compared for drift or plans: a list of {group, kind, name, namespace, "
	  "jsonPointers: [/spec/replicas, ...]} (group, name, namespace optional; as Argo CD's "
	  "ignoreDifferences)", offsetof(struct agent_app, nignore) },
	F("insecure", ACFG_BOOL, struct agent_app, insecure, "false", false, NULL,
	  "allow plain HTTP to a registry that is not on loopback"),
};

static const char *const notify_types[] = { "webhook", "slack", "github", "gitlab", NULL };

static const struct acfg_field notify_fields[] = {
	F("name", ACFG_STR, struct agent_notify, name, NULL, true, NULL,
	  "the receiver's name: lowercase letters, digits and . _ - (also its queue's folder "
	  "in stateDir/notify/)"),
	F("type", ACFG_STR, struct agent_notify, type, NULL, true, notify_types,
	  "webhook: signed JSON POST; slack: incoming-webhook message; github, gitlab: commit "
	  "statuses on the revision the artifact was rendered from"),
	F("url", ACFG_STR, struct agent_notify, url, NULL, false, NULL,
	  "webhook and slack: where to POST (required); github: API base (default "
	  "https://api.github.com, GitHub Enterprise: https://HOST/api/v3); gitlab: API base "
	  "(default https://gitlab.com/api/v4)"),
	F("secretFile", ACFG_STR, struct agent_notify, secret_file, NULL, false, NULL,
	  "webhook: file holding the HMAC-SHA256 key of X-Hoist-Signature (required)"),
	F("tokenFile", ACFG_STR, struct agent_notify, token_file, NULL, false, NULL,
	  "github, gitlab: file holding the API token (re-read for every delivery)"),
	F("repository", ACFG_STR, struct agent_notify, repository, NULL, false, NULL,
	  "github: OWNER/REPO whose commits get the statuses (required)"),
	F("project", ACFG_STR, struct agent_notify, project, NULL, false, NULL,
	  "gitlab: the project's numeric ID or GROUP/PROJECT path (required)"),
	F("context", ACFG_STR, struct agent_notify, context, "hoist", false, NULL,
	  "github, gitlab: the status context (GitLab: name) is CONTEXT/APP"),
	F("targetUrl", ACFG_STR, struct agent_notify, target_url, NULL, false, NULL,
	  "github, gitlab: the link a commit status carries (e.g. the agent's web page)"),
	{ "events", ACFG_EVENTS, offsetof(struct agent_notify, events), NULL, false, NULL,
	  "the events sent (sync-started, sync-succeeded, sync-failed, health-degraded, "
	  "health-recovered, drift-detected, drift-corrected, approval-needed, pruned); "
	  "omitted: all", 0 },
	N("queueMax", ACFG_QSIZE, struct agent_notify, queue_max, queue_max_n, "1000",
	  "events kept on disk for this receiver while it is unreachable; when full the oldest "
	  "is dropped, logged and counted"),
	N("maxBackoff", ACFG_DURATION, struct agent_notify, max_backoff, max_backoff_s, "5m",
	  "the longest wait between two delivery attempts (exponential backoff with jitter; "
	  "a Retry-After of the receiver is honoured up to 1h)"),
};

static const struct acfg_field top_fields[] = {
	F("apiVersion", ACFG_STR, struct agent_config, api_version, NULL, true, NULL,
	  "hoist.dev/v1alpha1"),
	F("kind", ACFG_STR, struct agent_config, kind, NULL, true, NULL, "Agent"),
	F("kubeconfig", ACFG_STR, struct agent_config, kubeconfig, NULL, false, NULL,
	  "kubeconfig file to reach the API server; omitted: the in-cluster service account"),
	F("context", ACFG_STR, struct agent_config, context, NULL, false, NULL,
	  "kubeconfig context to use; omitted: the kubeconfig's current-context"),
	F("namespace", ACFG_STR, struct agent_config, namespace, "hoist-system", false, NULL,
	  "where the agent keeps its inventories (created if missing)"),
	F("stateDir", ACFG_STR, struct agent_config, state_dir, "/var/lib/hoist-agent", false, NULL,
	  "local state (last status per app); the cluster stays the source of truth"),
	F("listen", ACFG_STR, struct agent_config, listen, "127.0.0.1:8080", false, NULL,
	  "HOST:PORT of the push endpoint and the status API"),
	F("cert", ACFG_STR, struct agent_config, cert, NULL, false, NULL,
	  "TLS certificate (PEM) for `listen`; with `key`"),
	F("key", ACFG_STR, struct agent_config, key, NULL, false, NULL,
	  "TLS private key (PEM) for `listen`; with `cert`"),
	F("tokenFile", ACFG_STR, struct agent_config, token_file, NULL, false, NULL,
	  "file holding the bearer token required for pushes and mutating API calls"),
	F("webAuth", ACFG_STR, struct agent_config, web_auth, "write", false, web_auth_choices,
	  "what needs the token: write (pushes, syncs, approvals; reads are open) or read "
	  "(also the web page, /v1/status, /v1/apps and /metrics; /healthz stays open)"),
	N("concurrency", ACFG_COUNT, struct agent_config, concurrency, concurrency_n, "16",
	  "API requests in flight at once while applying (1-64)"),
	N("apiTimeout", ACFG_DURATION, struct agent_config, api_timeout, api_timeout_s, "30s",
	  "how long one request to the API server may take"),
	F("apps", ACFG_APPS, struct agent_config, apps, NULL, false, NULL,
	  "the apps this agent applies"),
	F("notify", ACFG_NOTIFY, struct agent_config, notify, NULL, false, NULL,
	  "receivers of events: webhooks, Slack, GitHub and GitLab commit statuses "
	  "(docs/notifications.md)"),
};

#define FIELD(base, f, type) ((type *)((char *)(base) + (f)->off))

static int bad(const struct doc_node *n, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int bad(const struct doc_node *n, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	char where[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r = err_set(ERR_INVALID, "%s: %s", doc_where(n, where, sizeof(where)), sb.buf);
	strbuf_release(&sb);
	return r;
}

static int parse_obj(void *base, const struct acfg_field *fields, size_t nfields,
		     const struct doc_node *map, const char *what);

static int parse_apps(struct agent_config *cfg, const struct doc_node *v)
{
	size_t i;
	int r;

	if (v->kind != DOC_SEQ)
		return bad(v, "'apps' must be a list");
	cfg->apps = xcalloc(v->n ? v->n : 1, sizeof(*cfg->apps));
	for (i = 0; i < v->n; i++) {
		cfg->napps = i + 1;
		cfg->apps[i].index = i;
		r = parse_obj(&cfg->apps[i], app_fields, ARRAY_SIZE(app_fields), v->kids[i],
			      "apps[]");
		if (r)
			return r;
	}
	return 0;
}

/* A JSON pointer as RFC 6901 writes it: empty, or "/" segments with ~0 ~1 escapes only. */
static bool pointer_ok(const char *p)
{
	if (*p && *p != '/')
		return false;
	for (; *p; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return false;
	return true;
}

static int parse_rules(void *base, const struct acfg_field *f, const struct doc_node *v)
{
	static const char *const keys[] = { "group", "kind", "name", "namespace", "jsonPointers",
					    NULL };
	struct drift_rule **rules = FIELD(base, f, struct drift_rule *);
	size_t *n = (size_t *)((char *)base + f->aux), i, j;

	if (v->kind != DOC_SEQ)
		return bad(v, "'%s' must be a list", f->key);
	*rules = xcalloc(v->n ? v->n : 1, sizeof(**rules));
	for (i = 0; i < v->n; i++) {
		const struct doc_node *e = v->kids[i], *ptrs;
		struct drift_rule *r = &(*rules)[i];
		const char *const *k;

		*n = i + 1;
		if (e->kind != DOC_MAP)
			return bad(e, "'%s' entries must be mappings", f->key);
		for (j = 0; j < e->n; j++) {
			const char *key = doc_str(e->kids[2 * j]);
			for (k = keys; *k && (!key || strcmp(*k, key)); k++)
				;
			if (!*k)
				return bad(e->kids[2 * j], "unknown key '%s' in %s[]", key ? key : "?",
					   f->key);
			if (strcmp(key, "jsonPointers") && e->kids[2 * j + 1]->kind != DOC_SCALAR)
				return bad(e->kids[2 * j + 1], "'%s' must be a string", key);
		}
		if (!doc_get_str(e, "kind", NULL))
			return bad(e, "missing required key 'kind' in %s[]", f->key);
		r->kind = xstrdup(doc_get_str(e, "kind", NULL));
		if (doc_get_str(e, "group", NULL))
			r->group = xstrdup(doc_get_str(e, "group", NULL));
		if (doc_get_str(e, "name", NULL))
			r->name = xstrdup(doc_get_str(e, "name", NULL));
		if (doc_get_str(e, "namespace", NULL))
			r->ns = xstrdup(doc_get_str(e, "namespace", NULL));
		ptrs = doc_map_get(e, "jsonPointers");
		if (!ptrs || ptrs->kind != DOC_SEQ || !ptrs->n)
			return bad(ptrs ? ptrs : e, "'jsonPointers' must be a non-empty list of JSON pointers");
		r->pointers = xcalloc(ptrs->n, sizeof(*r->pointers));
		for (j = 0; j < ptrs->n; j++) {
			const char *p = doc_str(ptrs->kids[j]);
			if (!p || !pointer_ok(p))
				return bad(ptrs->kids[j], "'%s' is not a JSON pointer such as /spec/replicas",
					   p ? p : "?");
			r->pointers[r->npointers++] = xstrdup(p);
		}
	}
	return 0;
}

static int parse_notify(struct agent_config *cfg, const struct doc_node *v)
{
	size_t i;
	int r;

	if (v->kind != DOC_SEQ)
		return bad(v, "'notify' must be a list");
	cfg->notify = xcalloc(v->n ? v->n : 1, sizeof(*cfg->notify));
	for (i = 0; i < v->n; i++) {
		cfg->nnotify = i + 1;
		cfg->notify[i].index = i;
		r = parse_obj(&cfg->notify[i], notify_fields, ARRAY_SIZE(notify_fields), v->kids[i],
			      "notify[]");
		if (r)
			return r;
	}
	return 0;
}

static int parse_events(unsigned *mask, const struct doc_node *v)
{
	size_t i;

	if (v->kind != DOC_SEQ)
		return bad(v, "'events' must be a list of event names");
	if (!v->n)
		return bad(v, "'events' is empty: omit it to send every event");
	*mask = 0;
	for (i = 0; i < v->n; i++) {
		const struct doc_node *e = v->kids[i];
		int t = e->kind == DOC_SCALAR ? agent_event_parse(e->str) : -1;
		if (t < 0)
			return bad(e, "unknown event '%s' (sync-started, sync-succeeded, sync-failed, "
				   "health-degraded, health-recovered, drift-detected, drift-corrected, "
				   "approval-needed, pruned)", e->kind == DOC_SCALAR ? e->str : "?");
		*mask |= 1u << t;
	}
	return 0;
}

static int set_value(void *base, const struct acfg_field *f, const struct doc_node *v,
		     const char *text)
{
	const char *const *c;
	int64_t secs;

	switch (f->type) {
	case ACFG_STR:
	case ACFG_DURATION:
	case ACFG_COUNT:
	case ACFG_QSIZE:
		if (v && v->kind != DOC_SCALAR)
			return bad(v, "'%s' must be a string", f->key);
		if (f->choices) {
			for (c = f->choices; *c; c++)
				if (!strcmp(*c, text))
					break;
			if (!*c)
				return bad(v, "'%s' has an unknown value '%s'", f->key, text);
		}
		if (f->type == ACFG_DURATION) {
			if (config_parse_duration(text, &secs) || secs <= 0)
				return v ? bad(v, "'%s': '%s' is not a duration such as 30s, 5m, 1h",
					       f->key, text)
					 : ERR_INVALID;
			*(int64_t *)((char *)base + f->aux) = secs;
		}
		if (f->type == ACFG_COUNT) {
			char *end;
			long n = strtol(text, &end, 10);
			if (!*text || *end || n < 1 || n > 64)
				return v ? bad(v, "'%s' must be a number from 1 to 64", f->key)
					 : ERR_INVALID;
			*(size_t *)((char *)base + f->aux) = (size_t)n;
		}
		if (f->type == ACFG_QSIZE) {
			char *end;
			long n = strtol(text, &end, 10);
			if (!*text || *end || n < 1 || n > 1000000)
				return v ? bad(v, "'%s' must be a number from 1 to 1000000", f->key)
					 : ERR_INVALID;
			*(size_t *)((char *)base + f->aux) = (size_t)n;
		}
		free(*FIELD(base, f, char *));
		*FIELD(base, f, char *) = xstrdup(text);
		return 0;
	case ACFG_BOOL: {
		struct doc_value dv;
		if (!v) {
			*FIELD(base, f, bool) = !strcmp(text, "true");
			return 0;
		}
		if (v->kind != DOC_SCALAR || doc_resolve(v, &dv) || dv.type != DOC_T_BOOL)
			return bad(v, "'%s' must be true or false", f->key);
		*FIELD(base, f, bool) = dv.b;
		return 0;
	}
	case ACFG_APPS:
		return parse_apps(base, v);
	case ACFG_RULES:
		return parse_rules(base, f, v);
	case ACFG_NOTIFY:
		return parse_notify(base, v);
	case ACFG_EVENTS:
		return parse_events(FIELD(base, f, unsigned), v);
	}
	return 0;
}

static int parse_obj(void *base, const struct acfg_field *fields, size_t nfields,
		     const struct doc_node *map, const char *what)
{
	size_t i, k;
	int r;

	if (map->kind != DOC_MAP)
		return bad(map, "%s must be a mapping", what);
	for (i = 0; i < map->n; i++) {
		const struct doc_node *key = map->kids[2 * i];
		if (key->kind != DOC_SCALAR)
			return bad(key, "%s must have string keys", what);
		for (k = 0; k < nfields; k++)
			if (!strcmp(fields[k].key, key->str))
				break;
		if (k == nfields)
			return bad(key, "unknown key '%s'%s%s", key->str, *what ? " in " : "",
				   what);
		r = set_value(base, &fields[k], map->kids[2 * i + 1], map->kids[2 * i + 1]->str);
		if (r)
			return r;
	}
	for (k = 0; k < nfields; k++) {
		const struct acfg_field *f = &fields[k];
		if (doc_map_get(map, f->key))
			continue;
		if (f->required)
			return bad(map, "missing required key '%s'%s%s", f->key,
				   *what ? " in " : "", what);
		if (f->def && (r = set_value(base, f, NULL, f->def)))
			return r;
	}
	return 0;
}

static void release_obj(void *base, const struct acfg_field *fields, size_t nfields)
{
	size_t k;

	for (k = 0; k < nfields; k++) {
		if (fields[k].type == ACFG_RULES) {
			struct drift_rule *rules = *FIELD(base, &fields[k], struct drift_rule *);
			size_t i, n = *(size_t *)((char *)base + fields[k].aux);
			for (i = 0; i < n; i++)
				drift_rule_release(&rules[i]);
			free(rules);
		} else if (fields[k].type != ACFG_BOOL && fields[k].type != ACFG_APPS &&
			   fields[k].type != ACFG_NOTIFY && fields[k].type != ACFG_EVENTS) {
			free(*FIELD(base, &fields[k], char *));
		}
	}
}

void agent_config_release(struct agent_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->napps; i++)
		release_obj(&cfg->apps[i], app_fields, ARRAY_SIZE(app_fields));
	free(cfg->apps);
	for (i = 0; i < cfg->nnotify; i++)
		release_obj(&cfg->notify[i], notify_fields, ARRAY_SIZE(notify_fields));
	free(cfg->notify);
	release_obj(cfg, top_fields, ARRAY_SIZE(top_fields));
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

/* [a-z0-9]+([._-][a-z0-9]+)*, at most 52 characters (inventory names derive from it). */
static bool valid_app_name(const char *s)
{
	bool sep = true;
	size_t n = 0;

	for (; *s; s++, n++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			sep = false;
		else if ((*s == '.' || *s == '_' || *s == '-') && !sep)
			sep = true;
		else
			return false;
	}
	return n > 0 && n <= 52 && !sep;
}

/* An RFC 1123 label, as Kubernetes requires of namespace names. */
static bool valid_namespace(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int validate(struct agent_config *c, const struct doc_node *root)
{
	size_t i, k;

	if (strcmp(c->api_version, "hoist.dev/v1alpha1"))
		return bad(doc_map_get(root, "apiVersion"), "apiVersion must be hoist.dev/v1alpha1, not '%s'",
			   c->api_version);
	if (strcmp(c->kind, "Agent"))
		return bad(doc_map_get(root, "kind"), "kind must be Agent, not '%s'", c->kind);
	if (!valid_namespace(c->namespace))
		return bad(doc_map_get(root, "namespace") ? doc_map_get(root, "namespace") : root,
			   "namespace '%s' is not a valid namespace name", c->namespace);
	if (!!c->cert != !!c->key)
		return bad(root, "'cert' and 'key' go together");
	if (c->web_auth && !strcmp(c->web_auth, "read") && !c->token_file)
		return bad(root, "'webAuth: read' needs 'tokenFile'");
	for (i = 0; i < c->napps; i++) {
		struct agent_app *a = &c->apps[i];
		const struct doc_node *an = doc_map_get(root, "apps")->kids[i];
		if (!valid_app_name(a->name))
			return bad(doc_map_get(an, "name"),
				   "app name '%s' must be lowercase letters, digits and . _ - (at most 52)",
				   a->name);
		for (k = 0; k < i; k++)
			if (!strcmp(c->apps[k].name, a->name))
				return bad(doc_map_get(an, "name"), "app '%s' is defined twice", a->name);
		if (strcmp(a->source, "push")) {
			struct oci_ref ref;
			if (oci_ref_parse(&ref, a->source))
				return err_prefix(ERR_INVALID, "%s",
						  doc_where(doc_map_get(an, "source"), (char[512]){ 0 }, 512));
			if (a->semver && ref.digest) {
				oci_ref_release(&ref);
				return bad(doc_map_get(an, "semver"),
					   "'semver' follows tags; the source names a digest");
			}
			oci_ref_release(&ref);
		} else if (a->semver) {
			return bad(doc_map_get(an, "semver"), "'semver' needs a registry source, not push");
		}
		if (a->semver && semver_constraint_check(a->semver))
			return err_prefix(ERR_INVALID, "%s",
					  doc_where(doc_map_get(an, "semver"), (char[512]){ 0 }, 512));
		if (a->namespace && !valid_namespace(a->namespace))
			return bad(doc_map_get(an, "namespace"), "namespace '%s' is not a valid namespace name",
				   a->namespace);
	}
	for (i = 0; i < c->nnotify; i++) {
		struct agent_notify *n = &c->notify[i];
		const struct doc_node *nn = doc_map_get(root, "notify")->kids[i];
		const char *t = n->type;
		if (!valid_app_name(n->name))
			return bad(doc_map_get(nn, "name"),
				   "receiver name '%s' must be lowercase letters, digits and . _ - (at most 52)",
				   n->name);
		for (k = 0; k < i; k++)
			if (!strcmp(c->notify[k].name, n->name))
				return bad(doc_map_get(nn, "name"), "receiver '%s' is defined twice",
					   n->name);
		if (!doc_map_get(nn, "events"))
			n->events = (1u << EVENT__COUNT) - 1;
		if ((!strcmp(t, "webhook") || !strcmp(t, "slack")) && !n->url)
			return bad(nn, "a %s receiver needs 'url'", t);
		if (!strcmp(t, "webhook") && !n->secret_file)
			return bad(nn, "a webhook receiver needs 'secretFile' (the HMAC key)");
		if ((!strcmp(t, "github") || !strcmp(t, "gitlab")) && !n->token_file)
			return bad(nn, "a %s receiver needs 'tokenFile'", t);
		if (!strcmp(t, "github") &&
		    (!n->repository || !strchr(n->repository, '/') || strchr(n->repository, '/') !=
		     strrchr(n->repository, '/') || n->repository[0] == '/' ||
		     !strchr(n->repository, '/')[1]))
			return bad(n->repository ? doc_map_get(nn, "repository") : nn,
				   "a github receiver needs 'repository: OWNER/REPO'");
		if (!strcmp(t, "gitlab") && (!n->project || !*n->project))
			return bad(nn, "a gitlab receiver needs 'project' (ID or GROUP/PROJECT)");
		if (!n->url)
			n->url = xstrdup(!strcmp(t, "github") ? "https://api.github.com"
							     : "https://gitlab.com/api/v4");
		if (strncmp(n->url, "https://", 8) && strncmp(n->url, "http://", 7))
			return bad(doc_map_get(nn, "url"), "'url' must be an http:// or https:// URL");
	}
	return 0;
}

int agent_config_parse(struct agent_config *cfg, const char *buf, size_t len, const char *file)
{
	struct doc_stream *s = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = doc_parse(&s, buf, len, file, NULL);
	if (r)
		goto out;
	if (s->ndocs != 1) {
		r = err_set(ERR_INVALID, "%s: expected one YAML document, found %zu", file, s->ndocs);
		goto out;
	}
	r = parse_obj(cfg, top_fields, ARRAY_SIZE(top_fields), s->docs[0], "");
	if (!r)
		r = validate(cfg, s->docs[0]);
out:
	doc_stream_free(s);
	if (r)
		agent_config_release(cfg);
	else
		cfg->file = xstrdup(file);
	return r;
}

int agent_config_load(struct agent_config *cfg, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = strbuf_read_file(&sb, path, 4u << 20);
	if (!r)
		r = agent_config_parse(cfg, sb.buf, sb.len, path);
	strbuf_release(&sb);
	return r;
}

const struct agent_app *agent_config_app(const struct agent_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->napps; i++)
		if (!strcmp(cfg->apps[i].name, name))
			return &cfg->apps[i];
	return NULL;
}

static const char *type_name(const struct acfg_field *f)
{
	switch (f->type) {
	case ACFG_STR: return f->choices ? "enum" : "string";
	case ACFG_BOOL: return "bool";
	case ACFG_DURATION: return "duration";
	case ACFG_COUNT: return "number";
	case ACFG_APPS: return "list";
	case ACFG_RULES: return "list";
	case ACFG_NOTIFY: return "list";
	case ACFG_EVENTS: return "list";
	case ACFG_QSIZE: return "number";
	}
	return "?";
}

static void describe(struct strbuf *out, const struct acfg_field *fields, size_t n,
		     const char *prefix, bool md)
{
	size_t k;

	for (k = 0; k < n; k++) {
		const struct acfg_field *f = &fields[k];
		if (md)
			strbuf_addf(out, "| `%s%s` | %s | %s | %s | %s |\n", prefix, f->key,
				    type_name(f), f->required ? "yes" : "no", f->def ? f->def : "",
				    f->help);
		else
			strbuf_addf(out, "  %s%-18s %s%s%s%s\n", prefix, f->key, f->help,
				    f->def ? " (default " : "", f->def ? f->def : "",
				    f->def ? ")" : "");
		if (f->type == ACFG_APPS)
			describe(out, app_fields, ARRAY_SIZE(app_fields), "apps[].", md);
		if (f->type == ACFG_NOTIFY)
			describe(out, notify_fields, ARRAY_SIZE(notify_fields), "notify[].", md);
	}
}

static void describe_roff(struct strbuf *out, const struct acfg_field *fields, size_t n,
			  const char *prefix)
{
	size_t k;

	for (k = 0; k < n; k++) {
		const struct acfg_field *f = &fields[k];
		struct strbuf key = STRBUF_INIT;

		strbuf_addf(&key, "%s%s", prefix, f->key);
		strbuf_addstr(out, ".TP\n.B ");
		config_roff_escaped(out, key.buf);
		strbuf_addf(out, "\n(%s%s%s%s) ", type_name(f), f->required ? ", required" : "",
			    f->def ? ", default " : "", f->def ? f->def : "");
		config_roff_escaped(out, f->help);
		strbuf_addch(out, '\n');
		strbuf_release(&key);
		if (f->type == ACFG_APPS)
			describe_roff(out, app_fields, ARRAY_SIZE(app_fields), "apps[].");
		if (f->type == ACFG_NOTIFY)
			describe_roff(out, notify_fields, ARRAY_SIZE(notify_fields), "notify[].");
	}
}

void agent_config_describe_roff(struct strbuf *roff)
{
	describe_roff(roff, top_fields, ARRAY_SIZE(top_fields), "");
}

void agent_config_describe(struct strbuf *out, bool md)
{
	if (md)
		strbuf_addstr(out, "| key | type | required | default | meaning |\n"
				   "| --- | --- | --- | --- | --- |\n");
	describe(out, top_fields, ARRAY_SIZE(top_fields), "", md);
}
