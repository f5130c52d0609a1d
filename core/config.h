/*
 * config.h - hoist.yaml, the repository's one configuration file.
 *
 * One declarative table per object (key, type, default, help) drives
 * parsing, validation, `hoist help config` and docs/config.md.  Unknown
 * keys and bad values are errors with file:line:col.  See docs/config.md.
 */
#ifndef HOIST_CONFIG_H
#define HOIST_CONFIG_H

#include "compat.h"

struct strbuf;

struct cfg_strlist {
	char **v;
	size_t n;
};

struct config_app {
	char *name;
	char *path;   /* may contain ${env} */
	char *engine; /* auto, plain, kustomize, helm */
	struct cfg_strlist values;
	char *release_name; /* helm: NULL means the app's name */
	char *namespace;    /* helm: NULL means "default" */
	struct cfg_strlist set; /* helm: --set lines, "key=value" */
	struct cfg_strlist environments; /* empty: every environment */
	char *repo;    /* helm: a chart repository URL (index.yaml), with chart and version */
	char *chart;   /* helm: the chart's name in `repo` */
	char *version; /* helm: an exact version or a semver range */
};

struct config_env {
	char *name;
	struct cfg_strlist branches; /* glob patterns of branches that publish here */
	struct cfg_strlist tags;     /* glob patterns of tags that publish here */
	char *promote_from;
	char *soak;      /* a duration such as 30m, 2h, 1d; NULL: none */
	char *approval;  /* none, required */
	char *registry;  /* overrides the project's registry for this environment */
	struct cfg_strlist clusters;
};

struct config_cluster {
	char *name;
	char *endpoint;
	char *token_env;
};

struct cfg_list {
	void *v;
	size_t n;
};

/* remoteSources.credentials[]: a host's credentials, read from the environment. */
struct config_cred {
	char *host;
	char *username_env;
	char *password_env;
};

/* remoteSources: sources outside the commit (docs/remote.md). */
struct config_remote {
	struct cfg_strlist allow; /* HOST, HOST:PORT or file */
	char *netrc_file;         /* on the publishing machine, never in the repository */
	struct cfg_list credentials; /* struct config_cred */
};

struct config {
	char *api_version;
	char *kind;
	char *registry; /* "HOST[:PORT]/PREFIX" or "oci-layout:DIR" */
	char *source;   /* repository URL for the artifacts' source annotation */
	char *signing_key;
	char *verify_key; /* public key file in the repository */
	bool insecure;
	struct cfg_list apps;     /* struct config_app */
	struct cfg_list envs;     /* struct config_env */
	struct cfg_list clusters; /* struct config_cluster */
	char *render_secret_file; /* on the publishing machine, for Helm's random functions */
	bool hook_async;
	char *hook_timeout; /* a duration; the default "10s" is filled in by the parser */
	struct config_remote remote; /* remoteSources */
	char *file; /* where it was read from, for messages */
};

#define CONFIG_FILE "hoist.yaml"

/* Parses and validates; `file` names the text in messages. */
int config_parse(struct config *cfg, const char *buf, size_t len, const char *file);
void config_release(struct config *cfg);

static inline struct config_app *config_app(const struct config *c, size_t i)
{
	return &((struct config_app *)c->apps.v)[i];
}
static inline struct config_env *config_env(const struct config *c, size_t i)
{
	return &((struct config_env *)c->envs.v)[i];
}

const struct config_env *config_env_find(const struct config *c, const char *name);
const struct config_app *config_app_find(const struct config *c, const char *name);
/* The environments whose branch (or tag) patterns match `ref` ("refs/heads/x", "refs/tags/v1"). */
size_t config_envs_for_ref(const struct config *c, const char *ref,
			   const struct config_env **out, size_t max);
bool config_app_in_env(const struct config_app *a, const struct config_env *e);

/* Replaces ${env} in `in`. */
void config_expand(struct strbuf *out, const char *in, const char *env);

/*
 * The OCI reference of an app's repository in an environment (NULL: the
 * project's registry): "<registry>/<app>" or "oci-layout:DIR/<app>".
 */
void config_app_repo(struct strbuf *out, const struct config *c, const struct config_env *e,
		     const char *app);

/* Parses "90s", "30m", "2h", "1d", "1h30m" into seconds. */
int config_parse_duration(const char *s, int64_t *out);
/* A hook time budget: a duration from 1s to 10m, in seconds. */
int config_parse_hook_timeout(const char *s, int64_t *out);

/* Writes the reference for every key, as Markdown (docs/config.md) or text. */
void config_describe(struct strbuf *out, bool markdown);
/* The same as roff .TP paragraphs, for the hoist.yaml(5) man page. */
/* Appends `s` with roff's special characters escaped (\\, -, `), for man pages. */
void config_roff_escaped(struct strbuf *out, const char *s);
void config_describe_roff(struct strbuf *out);

#endif
