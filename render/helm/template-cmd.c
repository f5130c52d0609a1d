/*
 * template-cmd.c - `hoist template [NAME] CHART [flags]`, a drop-in for
 * `helm template`: the same flags, the same output on stdout, and Helm's
 * "Error: ..." on stderr with exit status 1.
 */
#include "core/compat.h"
#include "render/helm/helm.h"
#include "render/helm/tmpl.h"
#include "render/helm/value.h"
#include "core/arena.h"
#include "core/cmd.h"
#include "source/remote.h"
#include "core/err.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMPLATE_USAGE                                                                         \
	"template [NAME] CHART [-f FILE]... [--set K=V]... [--set-string K=V]... "             \
	"[--set-file K=PATH]... [--set-json K=JSON]... [--set-literal K=V]... [-n NS] "        \
	"[--include-crds] [--skip-tests] [--no-hooks] [-s PATH]... [--kube-version V] "        \
	"[-a GROUP/VERSION]... [--name-template TPL] [--is-upgrade] [--skip-schema-validation]"

#define MAX_VALUES_FILE (64u << 20)

/* -f and -a are pflag StringSlices: each value may hold several, comma-separated. */
static void split_commas(const char **in, size_t n, const char ***out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++) {
		const char *p = in[i];

		for (;;) {
			const char *comma = strchr(p, ',');
			size_t l = comma ? (size_t)(comma - p) : strlen(p);

			*out = xrealloc((void *)*out, (*nout + 2) * sizeof(char *));
			(*out)[(*nout)++] = xstrndup(p, l);
			(*out)[*nout] = NULL;
			if (!comma)
				break;
			p = comma + 1;
		}
	}
}

static void free_split(const char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)v[i]);
	free((void *)v);
}

/* Reads -f and --set-file files as Helm does: "-" is stdin, else a local file. */
static int read_local(void *arg, const char *path, struct strbuf *out)
{
	const char *p = path;
	int r;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strcmp(p, "-") || (p[0] == '-' && strspn(p + 1, " \t") == strlen(p + 1)))
		return strbuf_read_fd(out, 0, MAX_VALUES_FILE, "stdin");
	r = strbuf_read_file(out, path, MAX_VALUES_FILE);
	if (r == ERR_NOTFOUND)
		return err_set(r, "open %s: no such file or directory", path);
	return r;
}

/* --name-template: a template over no data, with Sprig's functions. */
static int name_template(const char *text, char **out)
{
	struct helm_ctx c;
	struct tmpl_set *s;
	struct strbuf sb = STRBUF_INIT;
	int r;

	memset(&c, 0, sizeof(c));
	c.arena = arena_new();
	s = tmpl_set_new(&c, "name-template");
	r = s ? tmpl_set_add_funcs(s, sprig_funcs) : ERR_TOOBIG;
	if (!r)
		r = tmpl_parse(s, "name-template", text, strlen(text));
	if (!r)
		r = tmpl_execute(s, "name-template", hv_nil(), &sb);
	if (!r)
		*out = strbuf_detach(&sb, NULL);
	if (s)
		tmpl_set_free(s);
	strbuf_release(&sb);
	arena_free(c.arena);
	return r;
}

/* The tree and path a chart argument names: a folder, or a .tgz in its folder. */
static int open_chart(const char *arg, struct src_tree **t, char **path)
{
	char abs[PATH_MAX];
	struct stat st;

	if (!realpath(arg, abs) || stat(abs, &st)) {
		if (strstr(arg, "://") || (arg[0] != '.' && arg[0] != '/' && strchr(arg, '/')))
			return err_set(ERR_NOTFOUND,
				       "%s: hoist template renders local charts (a folder or a .tgz); fetching charts from repositories is not supported",
				       arg);
		return err_set(ERR_NOTFOUND, "path \"%s\" not found", arg);
	}
	if (S_ISDIR(st.st_mode)) {
		*path = xstrdup("");
		return src_tree_open_dir(t, abs);
	}
	{
		char *slash = strrchr(abs, '/');

		*path = xstrdup(slash + 1);
		if (slash == abs)
			slash[1] = '\0';
		else
			*slash = '\0';
		return src_tree_open_dir(t, abs);
	}
}

struct template_args {
	struct opt_list values, sets, set_strings, set_files, set_json, set_literals, apis, show;
	const char *ns, *kube, *name_tpl, *ignored;
	bool include_crds, skip_tests, no_hooks, is_upgrade, skip_schema, release_name_flag;
	bool generate, noop;
	struct opt_list allow_remote;
	bool offline, allow_floating;
};

#define A struct template_args
static const struct opt template_options[] = {
	{ "values", OPT_FIELD(A, values), 'f', .arg = "FILE", .complete = COMPLETE_FILE,
	  .help = "a values file, merged over the chart's values.yaml in order (commas split)" },
	{ "set", OPT_FIELD(A, sets), .arg = "K=V",
	  .help = "set a value (a.b=1, a[0]=x, lists {a,b}), typed as Helm types it" },
	{ "set-string", OPT_FIELD(A, set_strings), .arg = "K=V",
	  .help = "set a value, always as a string" },
	{ "set-file", OPT_FIELD(A, set_files), .arg = "K=PATH",
	  .help = "set a value to a file's content" },
	{ "set-json", OPT_FIELD(A, set_json), .arg = "K=JSON",
	  .help = "set a value from JSON" },
	{ "set-literal", OPT_FIELD(A, set_literals), .arg = "K=V",
	  .help = "set a value to the literal string after the first '='" },
	{ "namespace", OPT_FIELD(A, ns), 'n', .arg = "NS", .def = "default",
	  .help = "the release namespace (.Release.Namespace)" },
	{ "kube-version", OPT_FIELD(A, kube), .arg = "VERSION", .def = "v1.36.0",
	  .help = "the Kubernetes version .Capabilities reports" },
	{ "api-versions", OPT_FIELD(A, apis), 'a', .arg = "GROUP/VERSION",
	  .help = "an extra API version .Capabilities.APIVersions has (commas split)" },
	{ "show-only", OPT_FIELD(A, show), 's', .arg = "TEMPLATE",
	  .help = "print only the manifests of this template file" },
	{ "name-template", OPT_FIELD(A, name_tpl), .arg = "TEMPLATE",
	  .help = "make the release name from this template" },
	{ "include-crds", OPT_FIELD(A, include_crds),
	  .help = "print the chart's crds/ files too" },
	{ "skip-tests", OPT_FIELD(A, skip_tests),
	  .help = "leave out test hooks (helm.sh/hook: test)" },
	{ "no-hooks", OPT_FIELD(A, no_hooks), .help = "leave out every hook" },
	{ "is-upgrade", OPT_FIELD(A, is_upgrade),
	  .help = ".Release.IsUpgrade true, IsInstall false" },
	{ "skip-schema-validation", OPT_FIELD(A, skip_schema),
	  .help = "do not check values against values.schema.json" },
	{ "release-name", OPT_FIELD(A, release_name_flag),
	  .help = "accepted as helm accepts it (it only names --output-dir folders)" },
	{ "generate-name", OPT_FIELD(A, generate), 'g',
	  .help = "name the release from the chart's name and the time, as helm does" },
	{ "debug", OPT_FIELD(A, noop), .help = "accepted; no effect on what is printed" },
	{ "create-namespace", OPT_FIELD(A, noop), .help = "accepted; no effect on what is printed" },
	{ "skip-crds", OPT_FIELD(A, noop), .help = "accepted; no effect on what is printed" },
	{ "devel", OPT_FIELD(A, noop), .help = "accepted; no effect on what is printed" },
	{ "version", OPT_FIELD(A, ignored), .arg = "V",
	  .help = "accepted; local charts only, so no effect" },
	{ "description", OPT_FIELD(A, ignored), .arg = "TEXT",
	  .help = "accepted; no effect on what is printed" },
	{ "timeout", OPT_FIELD(A, ignored), .arg = "DURATION",
	  .help = "accepted; no effect on what is printed" },
	REMOTE_OPTIONS(A),
	{ NULL },
};
#undef A

static const char *const template_examples[] = {
	"hoist template web ./charts/web -f values-prod.yaml -n web	"
	"what `helm template web ./charts/web -f values-prod.yaml -n web` prints",
	"hoist template ./charts/web --set image.tag=1.2.3 -s templates/deployment.yaml	"
	"one template's manifests with one value changed",
	"hoist template ./charts/umbrella --allow-remote charts.example.com	"
	"fetch the dependencies charts/ lacks, as helm dependency build would",
	NULL,
};

const struct cmd cmd_template_entry = {
	"template", cmd_template, "template [NAME] CHART [helm template's flags]",
	"render a Helm chart exactly as `helm template` prints it",
	template_options,
	.description =
		"A drop-in for `helm template`: renders a local chart (a folder or a .tgz)\n"
		"with Helm 3's semantics (values coalescing, subcharts, hooks, install order)\n"
		"and prints exactly what helm prints, so a pipeline can swap it in.  Random\n"
		"and clock functions behave as in Helm here; in artifacts (render, publish)\n"
		"they are pinned (docs/helm.md).\n\n"
		"With --allow-remote (or --offline), Chart.yaml dependencies that charts/\n"
		"lacks are fetched from their http(s) or oci:// repositories through the\n"
		"cache (docs/remote.md); without it they must be in charts/, as for helm.",
	.examples = template_examples,
	.see_also = "docs/helm.md",
	.args = { COMPLETE_DIR },
};

int cmd_template(int argc, char **argv)
{
	struct template_args a = { 0 };
	struct remote_ctx rc = { 0 };
	struct helm_opts o;
	struct strbuf out = STRBUF_INIT;
	struct src_tree *t = NULL;
	char **pos, *path = NULL, *gen_name = NULL;
	const char *chart, *name = HELM_DEFAULT_RELEASE;
	bool hint = false;
	int n, r;

	n = opts_parse(argc, argv, template_options, &a, &pos);
	if (n < 0)
		return cmd_usage(TEMPLATE_USAGE);
	if (n > 0 && !strcmp(pos[0], "template")) {
		pos++;
		n--;
	}
	if (n == 1) {
		chart = pos[0];
	} else if (n == 2 && !a.generate) {
		name = pos[0];
		chart = pos[1];
	} else {
		opts_release(template_options, &a);
		return cmd_usage(TEMPLATE_USAGE);
	}
	memset(&o, 0, sizeof(o));
	if (a.name_tpl) {
		r = name_template(a.name_tpl, &gen_name);
		if (r)
			goto fail;
		name = gen_name;
	} else if (a.generate) {
		/* Helm: the chart path's base name up to its first dot, then the Unix time. */
		const char *base = strrchr(chart, '/');
		size_t bl;

		base = base && base[1] ? base + 1 : chart;
		bl = strcspn(base, ".");
		gen_name = xmalloc(bl + 32);
		xsnprintf(gen_name, bl + 32, "%.*s-%lld", (int)(bl ? bl : 5),
			  bl ? base : "chart", (long long)time(NULL));
		name = gen_name;
	}
	o.release_name = name;
	o.namespace = a.ns;
	o.kube_version = a.kube;
	split_commas(a.apis.v, a.apis.n, &o.api_versions, &o.napi_versions);
	o.show_only = a.show.v;
	o.nshow_only = a.show.n;
	o.include_crds = a.include_crds;
	o.skip_tests = a.skip_tests;
	o.no_hooks = a.no_hooks;
	o.is_upgrade = a.is_upgrade;
	o.skip_schema = a.skip_schema;
	split_commas(a.values.v, a.values.n, &o.values.files, &o.values.nfiles);
	o.values.sets = a.sets.v;
	o.values.nsets = a.sets.n;
	o.values.set_strings = a.set_strings.v;
	o.values.nset_strings = a.set_strings.n;
	o.values.set_files = a.set_files.v;
	o.values.nset_files = a.set_files.n;
	o.values.set_json = a.set_json.v;
	o.values.nset_json = a.set_json.n;
	o.values.set_literals = a.set_literals.v;
	o.values.nset_literals = a.set_literals.n;
	o.values.read = read_local;
	/* A drop-in for helm: remote dependencies only when asked for. */
	r = remote_ctx_init(&rc, NULL, a.allow_remote.v, a.allow_remote.n, a.offline,
			    a.allow_floating);
	if (r)
		goto fail;
	if (a.allow_remote.n || a.offline)
		o.remote = &rc;
	r = open_chart(chart, &t, &path);
	if (!r)
		r = helm_render(&out, t, path, &o, &hint);
	if (!r)
		cmd_write_stdout(out.buf, out.len);
fail:
	if (r)
		fprintf(stderr, "Error: %s%s\n", err_msg(),
			hint ? "\n\nUse --debug flag to render out invalid YAML" : "");
	src_tree_free(t);
	remote_ctx_release(&rc);
	free(path);
	free(gen_name);
	strbuf_release(&out);
	free_split(o.values.files, o.values.nfiles);
	free_split(o.api_versions, o.napi_versions);
	opts_release(template_options, &a);
	return cmd_finish_stdout(r ? 1 : 0);
}
