/*
 * kube-conf.c - where the API server is and who we are: kubeconfig files
 * and the in-cluster service account.  See kube.h.
 */
#include "core/compat.h"
#include "agent/kube.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci-auth.h"
#include "core/strbuf.h"
#include <sys/stat.h>

#define KUBECONFIG_MAX (4u << 20)
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_conf_free(struct kube_conf *c)
{
	if (!c)
		return;
	free(c->server);
	strbuf_release(&c->ca);
	strbuf_release(&c->cert);
	strbuf_release(&c->key);
	free(c->token);
	free(c->token_file);
	free(c->username);
	free(c->password);
	free(c->namespace);
	free(c->origin);
	free(c);
}

static struct kube_conf *conf_new(void)
{
	struct kube_conf *c = xcalloc(1, sizeof(*c));

	strbuf_init(&c->ca, 0);
	strbuf_init(&c->cert, 0);
	strbuf_init(&c->key, 0);
	return c;
}

/* A named entry of a kubeconfig list ("clusters", "users", "contexts"): its inner map. */
static const struct doc_node *named(const struct doc_node *root, const char *list,
				    const char *inner, const char *name)
{
	const struct doc_node *l = doc_map_get(root, list);
	size_t i;

	if (!l || l->kind != DOC_SEQ)
		return NULL;
	for (i = 0; i < l->n; i++) {
		const char *n = doc_get_str(l->kids[i], "name", NULL);
		const struct doc_node *m = doc_map_get(l->kids[i], inner);
		if (n && !strcmp(n, name) && m && m->kind == DOC_MAP)
			return m;
	}
	return NULL;
}

static void resolve_path(struct strbuf *out, const char *dir, const char *p)
{
	strbuf_reset(out);
	if (p[0] == '/' || !dir || !*dir)
		strbuf_addstr(out, p);
	else
		strbuf_addf(out, "%s/%s", dir, p);
}

/* `KEY-data` (base64) wins over `KEY` (a file), as client-go reads them. */
static int load_pem(struct strbuf *out, const struct doc_node *m, const char *data_key,
		    const char *file_key, const char *dir, const char *what)
{
	const char *data = doc_get_str(m, data_key, NULL);
	const char *file = doc_get_str(m, file_key, NULL);
	struct strbuf path = STRBUF_INIT;
	int r = 0;

	if (data && *data) {
		r = oci_base64_decode(out, data);
		if (r)
			r = err_set(ERR_INVALID, "%s: %s is not valid base64", what, data_key);
	} else if (file && *file) {
		resolve_path(&path, dir, file);
		r = strbuf_read_file(out, path.buf, 1u << 20);
	}
	strbuf_release(&path);
	return r;
}

int kube_conf_parse(struct kube_conf **out, const char *buf, size_t len, const char *file,
		    const char *dir, const char *context)
{
	struct doc_limits lim = doc_limits_default;
	struct doc_stream *s = NULL;
	struct kube_conf *c = conf_new();
	const struct doc_node *root, *ctx, *cluster, *user;
	const char *ctxname, *cname, *uname, *v;
	struct strbuf path = STRBUF_INIT;
	struct doc_value dv;
	int r;

	*out = NULL;
	lim.max_bytes = KUBECONFIG_MAX;
	r = doc_parse(&s, buf, len, file, &lim);
	if (r)
		goto out;
	if (s->ndocs != 1 || s->docs[0]->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: not a kubeconfig (one mapping expected)", file);
		goto out;
	}
	root = s->docs[0];
	ctxname = context ? context : doc_get_str(root, "current-context", NULL);
	if (!ctxname || !*ctxname) {
		r = err_set(ERR_INVALID, "%s: no current-context, and no context was named", file);
		goto out;
	}
	ctx = named(root, "contexts", "context", ctxname);
	if (!ctx) {
		r = err_set(ERR_INVALID, "%s: context '%s' is not defined", file, ctxname);
		goto out;
	}
	cname = doc_get_str(ctx, "cluster", NULL);
	uname = doc_get_str(ctx, "user", NULL);
	cluster = cname ? named(root, "clusters", "cluster", cname) : NULL;
	if (!cluster) {
		r = err_set(ERR_INVALID, "%s: context '%s' names no defined cluster", file, ctxname);
		goto out;
	}
	v = doc_get_str(cluster, "server", NULL);
	if (!v || (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))) {
		r = err_set(ERR_INVALID, "%s: cluster '%s' has no http(s) server", file, cname);
		goto out;
	}
	c->server = xstrdup(v);
	while (*c->server && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	v = doc_get_str(ctx, "namespace", NULL);
	c->namespace = xstrdup(v && *v ? v : "default");
	if (doc_map_get(cluster, "insecure-skip-tls-verify") &&
	    !doc_resolve(doc_map_get(cluster, "insecure-skip-tls-verify"), &dv) &&
	    dv.type == DOC_T_BOOL)
		c->insecure = dv.b;
	r = load_pem(&c->ca, cluster, "certificate-authority-data", "certificate-authority", dir,
		     file);
	if (r)
		goto out;
	user = uname ? named(root, "users", "user", uname) : NULL;
	if (user) {
		r = load_pem(&c->cert, user, "client-certificate-data", "client-certificate", dir,
			     file);
		if (!r)
			r = load_pem(&c->key, user, "client-key-data", "client-key", dir, file);
		if (r)
			goto out;
		if (!!c->cert.len != !!c->key.len) {
			r = err_set(ERR_INVALID, "%s: user '%s' needs both a client certificate and key",
				    file, uname);
			goto out;
		}
		if ((v = doc_get_str(user, "token", NULL)) && *v)
			c->token = xstrdup(v);
		if ((v = doc_get_str(user, "tokenFile", NULL)) && *v) {
			resolve_path(&path, dir, v);
			c->token_file = xstrdup(path.buf);
		}
		if ((v = doc_get_str(user, "username", NULL)) && *v)
			c->username = xstrdup(v);
		if ((v = doc_get_str(user, "password", NULL)))
			c->password = xstrdup(v);
		if (doc_map_get(user, "exec") || doc_map_get(user, "auth-provider")) {
			r = err_set(ERR_INVALID,
				    "%s: user '%s' uses an exec or auth-provider plugin; the agent takes "
				    "certificates and tokens only", file, uname);
			goto out;
		}
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "kubeconfig %s context %s", file, ctxname);
	c->origin = strbuf_detach(&path, NULL);
	*out = c;
	c = NULL;
out:
	strbuf_release(&path);
	doc_stream_free(s);
	kube_conf_free(c);
	return r;
}

static int in_cluster(struct kube_conf **out)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("HOIST_SERVICEACCOUNT_DIR");
	struct kube_conf *c;
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (!dir || !*dir)
		dir = SA_DIR;
	if (!host || !*host || !port || !*port)
		return err_set(ERR_INVALID,
			       "no kubeconfig configured and not in a cluster "
			       "(KUBERNETES_SERVICE_HOST/PORT are not set)");
	c = conf_new();
	/* An IPv6 service address needs brackets in a URL. */
	strbuf_addf(&sb, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	c->server = strbuf_detach(&sb, NULL);
	strbuf_addf(&sb, "%s/ca.crt", dir);
	r = strbuf_read_file(&c->ca, sb.buf, 1u << 20);
	if (r)
		goto out;
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s/token", dir);
	c->token_file = strbuf_detach(&sb, NULL);
	/* The pod's own namespace; optional (a missing file means "default"). */
	strbuf_addf(&sb, "%s/namespace", dir);
	{
		struct strbuf ns = STRBUF_INIT;
		if (!strbuf_read_file(&ns, sb.buf, 4096)) {
			strbuf_rtrim(&ns);
			c->namespace = strbuf_detach(&ns, NULL);
		}
		strbuf_release(&ns);
	}
	err_clear();
	if (!c->namespace)
		c->namespace = xstrdup("default");
	c->origin = xstrdup("in-cluster service account");
	*out = c;
	c = NULL;
out:
	strbuf_release(&sb);
	kube_conf_free(c);
	return r;
}

int kube_conf_load(struct kube_conf **out, const char *path, const char *context)
{
	struct strbuf sb = STRBUF_INIT, dir = STRBUF_INIT;
	const char *slash;
	int r;

	*out = NULL;
	if (!path)
		return in_cluster(out);
	r = strbuf_read_file(&sb, path, KUBECONFIG_MAX);
	if (r)
		goto out;
	slash = strrchr(path, '/');
	if (slash)
		strbuf_add(&dir, path, (size_t)(slash - path));
	r = kube_conf_parse(out, sb.buf, sb.len, path, dir.buf, context);
out:
	strbuf_release(&sb);
	strbuf_release(&dir);
	return r;
}
