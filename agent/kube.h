/*
 * kube.h - a small Kubernetes API client on libcurl.
 *
 * What the agent needs and nothing more: credentials from a kubeconfig or
 * the in-cluster service account, discovery (kind -> resource and scope),
 * server-side apply (with dry-run), GET, LIST by label selector with
 * paging, DELETE.  Requests go through one libcurl multi handle, so the
 * connections are reused from request to request, HTTP/2 is used where
 * the server offers it (ALPN) and several requests share one connection;
 * kube_do_many() keeps a bounded number of requests in flight.
 *
 * Every reply is untrusted: bodies are bounded (strbuf limits), parsed
 * with core's doc model under limits, and API Status errors become one
 * err_set() message per object, with the server's own words ("Deployment
 * web/app: Apply failed with 1 conflict: conflict with \"kubectl-edit\"
 * ...").  Codes: 404 ERR_NOTFOUND, 409 ERR_CONFLICT, 400/422 ERR_INVALID,
 * 401/403 ERR_AUTH, 429/5xx and transport failures ERR_RETRY (after a few
 * tries), a reply over its limit ERR_TOOBIG.
 */
#ifndef HOIST_AGENT_KUBE_H
#define HOIST_AGENT_KUBE_H

#include "core/compat.h"
#include "core/strbuf.h"

struct doc_node;
struct doc_stream;

#define KUBE_REPLY_MAX (8u << 20)   /* one object or Status */
#define KUBE_LIST_MAX (32u << 20)   /* one page of a LIST */
#define KUBE_LIST_PAGE 500

/* Where the API server is and how we authenticate.  Owned strings. */
struct kube_conf {
	char *server;          /* "https://host:port", no trailing slash */
	struct strbuf ca;      /* PEM, empty: the system's CAs */
	struct strbuf cert;    /* client certificate PEM, may be empty */
	struct strbuf key;     /* client key PEM, may be empty */
	char *token;           /* bearer token, may be NULL */
	char *token_file;      /* re-read on every kube_open (tokens rotate) */
	char *username, *password; /* basic auth, rare */
	bool insecure;         /* insecure-skip-tls-verify */
	char *namespace;       /* the context's namespace, or the pod's (in-cluster) */
	long timeout_ms;       /* per request; 0: 30 s */
	char *origin;          /* "kubeconfig FILE context NAME" or "in-cluster", for messages */
};

/*
 * Reads `path` (a kubeconfig) and selects `context` (NULL: current-context):
 * its cluster's server, certificate-authority(-data),
 * insecure-skip-tls-verify, and its user's client-certificate(-data),
 * client-key(-data), token, tokenFile, username/password.  Relative file
 * names are relative to the kubeconfig's folder, as kubectl reads them.
 * With `path` NULL: the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT, /var/run/secrets/kubernetes.io/serviceaccount).
 */
int kube_conf_load(struct kube_conf **out, const char *path, const char *context);
/* The kubeconfig text itself; `dir` resolves relative file names. */
int kube_conf_parse(struct kube_conf **out, const char *buf, size_t len, const char *file,
		    const char *dir, const char *context);
void kube_conf_free(struct kube_conf *c);

struct kube;

/* A client of at most `concurrency` requests in flight.  No I/O yet. */
int kube_open(struct kube **out, const struct kube_conf *conf, size_t concurrency);
/*
 * Sets what `conf` says about reaching the server (CA, client certificate,
 * insecure-skip-tls-verify, basic auth) on a libcurl easy handle (CURL *):
 * for requests made outside kube_do, such as the drift watches.
 */
void kube_conf_apply(const struct kube_conf *conf, void *handle);
void kube_close(struct kube *k);
/*
 * Reads the kubeconfig's token file again, for a long-lived client (its
 * token rotates): 1 when the token changed, 0 when not (or there is no
 * file), the error when it cannot be read (the old token stays).  Not
 * while a request of this client runs.
 */
int kube_reload_token(struct kube *k);
/* The "Authorization: Bearer ..." header its requests carry; NULL: none. */
const char *kube_auth_header(const struct kube *k);

/* One request; `path` starts with "/" and includes the query. */
struct kube_req {
	const char *method;
	const char *path;
	const char *content_type; /* for bodies: "application/apply-patch+yaml" ... */
	const char *accept;       /* NULL: application/json */
	const void *body;
	size_t body_len;
	size_t limit;             /* reply ceiling; 0: KUBE_REPLY_MAX */
	const char *what;         /* names the object in messages: "Deployment web/app" */
	/* Filled by kube_do: */
	long status;
	struct strbuf reply;
	int rc;          /* 0 for 2xx, else the ERR_* code */
	char *error;     /* the message for rc (owned), also set with err_set by kube_do */
};

void kube_req_init(struct kube_req *r);
void kube_req_release(struct kube_req *r);

/*
 * Performs `r`.  Returns r->rc: 0 for a 2xx answer, else the code above
 * with the message set (and copied into r->error).  Transient failures
 * (no connection, 429, 5xx) are retried a few times first.
 */
int kube_do(struct kube *k, struct kube_req *r);
/*
 * Performs all of `reqs`, at most the client's concurrency at once;
 * entries whose method is NULL are skipped.  Each gets its own rc/error;
 * returns the first failure's code, or 0.
 */
int kube_do_many(struct kube *k, struct kube_req *reqs, size_t n);

/*
 * LISTs a collection (`path` without a query) page by page
 * (limit=KUBE_LIST_PAGE, following metadata.continue), with an optional
 * label selector ("hoist.dev/app=web").  *pages gets one parsed reply per
 * page (free each with doc_stream_free, then the array); their "items"
 * are the objects.
 */
int kube_list(struct kube *k, const char *path, const char *selector, struct doc_stream ***pages,
	      size_t *npages, const char *what);

/*
 * API Status bodies.  kube_status_message writes what the server said: its
 * message, else its reason and causes ("field .spec.replicas: conflict
 * with \"kubectl\""), else the HTTP status.  Conflicts (409 from apply)
 * list the other field managers in `managers` ("kubectl-edit, helm").
 */
struct kube_status {
	char *status, *message, *reason;
	long code;
	struct strbuf managers; /* comma-separated, from the conflict causes */
};
int kube_status_parse(struct kube_status *st, const char *buf, size_t len);
void kube_status_release(struct kube_status *st);
/* The ERR_* code for an HTTP status. */
int kube_http_code(long status);

/* Parses an object reply (JSON) under the reply limits. */
int kube_parse_object(struct doc_stream **out, const char *buf, size_t len, const char *what);

/*
 * A look at an object reply without parsing it: whether it has a
 * top-level "status", and its metadata.resourceVersion (copied into `rv`,
 * "" when it has none).  Only a well-formed JSON object whose keys hold no
 * escapes passes (0); anything else is ERR_INVALID, and the caller parses
 * the reply (kube_parse_object).  No message is set.
 */
int kube_reply_peek(const char *buf, size_t len, bool *has_status, char *rv, size_t rvsize);

/*
 * A LIST reply: the items (borrowed from *stream) and metadata.continue
 * (copied into `cont`, empty at the end).  ERR_INVALID when it is not a
 * list.
 */
int kube_parse_list(struct doc_stream **stream, struct doc_node **items, struct strbuf *cont,
		    const char *buf, size_t len, const char *what);

/* Discovery: kind -> resource, scope. */
struct kube_resource {
	char *group;   /* "" for the core group */
	char *version;
	char *kind;
	char *resource; /* plural, as in the path */
	bool namespaced;
	bool has_status; /* the resource has a status subresource */
};

struct kube_discovery {
	struct kube_resource *res;
	size_t n, alloc;
	bool aggregated; /* learnt from apidiscovery.k8s.io */
};

void kube_discovery_free(struct kube_discovery *d);
/*
 * Asks the server: aggregated discovery (apidiscovery.k8s.io v2, then
 * v2beta1) on /api and /apis where it is served, else the legacy
 * documents (/api, /api/v1, /apis, /apis/G/V for every served version).
 */
int kube_discover(struct kube *k, struct kube_discovery **out);
/* The parsers, for the fuzz target and the tests. */
int kube_discovery_parse_aggregated(struct kube_discovery *d, const char *buf, size_t len);
int kube_discovery_parse_resources(struct kube_discovery *d, const char *group_version,
				   const char *buf, size_t len);
/* /api (APIVersions) or /apis (APIGroupList): the "group/version"s it serves. */
int kube_discovery_parse_groups(char ***gvs, size_t *n, const char *buf, size_t len);
const struct kube_resource *kube_discovery_find(const struct kube_discovery *d,
						const char *api_version, const char *kind);

/*
 * The path of an object ("/apis/apps/v1/namespaces/web/deployments/app")
 * or, with `name` NULL, of its collection; `ns` is ignored for
 * cluster-scoped resources.
 */
void kube_path(struct strbuf *out, const struct kube_resource *r, const char *ns,
	       const char *name);

#endif
