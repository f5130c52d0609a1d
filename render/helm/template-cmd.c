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
#include "core/err.h"
#include "core/src-tree.h"
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

int cmd_template(int argc, char **argv)
{
	const char **files = NULL, **sets = NULL, **set_strings = NULL, **set_files = NULL;
	const char **set_json = NULL, **set_literals = NULL, **apis = NULL, **show = NULL;
	size_t nfiles = 0, nsets = 0, nset_strings = 0, nset_files = 0, nset_json = 0;
	size_t nset_literals = 0, napis = 0, nshow = 0;
	const char *ns = NULL, *kube = NULL, *name_tpl = NULL, *ignored = NULL;
	bool include_crds = false, skip_tests = false, no_hooks = false, is_upgrade = false;
	bool skip_schema = false, release_name_flag = false, generate = false, noop = false;
	const struct opt opts[] = {
		{ "values", NULL, NULL, &files, &nfiles, 'f' },
		{ "set", NULL, NULL, &sets, &nsets, 0 },
		{ "set-string", NULL, NULL, &set_strings, &nset_strings, 0 },
		{ "set-file", NULL, NULL, &set_files, &nset_files, 0 },
		{ "set-json", NULL, NULL, &set_json, &nset_json, 0 },
		{ "set-literal", NULL, NULL, &set_literals, &nset_literals, 0 },
		{ "namespace", &ns, NULL, NULL, NULL, 'n' },
		{ "kube-version", &kube, NULL, NULL, NULL, 0 },
		{ "api-versions", NULL, NULL, &apis, &napis, 'a' },
		{ "show-only", NULL, NULL, &show, &nshow, 's' },
		{ "name-template", &name_tpl, NULL, NULL, NULL, 0 },
		{ "include-crds", NULL, &include_crds, NULL, NULL, 0 },
		{ "skip-tests", NULL, &skip_tests, NULL, NULL, 0 },
		{ "no-hooks", NULL, &no_hooks, NULL, NULL, 0 },
		{ "is-upgrade", NULL, &is_upgrade, NULL, NULL, 0 },
		{ "skip-schema-validation", NULL, &skip_schema, NULL, NULL, 0 },
		/* helm template's --release-name only names --output-dir folders. */
		{ "release-name", NULL, &release_name_flag, NULL, NULL, 0 },
		{ "generate-name", NULL, &generate, NULL, NULL, 'g' },
		/* Accepted and without effect on what helm template prints. */
		{ "debug", NULL, &noop, NULL, NULL, 0 },
		{ "create-namespace", NULL, &noop, NULL, NULL, 0 },
		{ "skip-crds", NULL, &noop, NULL, NULL, 0 },
		{ "devel", NULL, &noop, NULL, NULL, 0 },
		{ "version", &ignored, NULL, NULL, NULL, 0 },
		{ "description", &ignored, NULL, NULL, NULL, 0 },
		{ "timeout", &ignored, NULL, NULL, NULL, 0 },
		{ NULL },
	};
	struct helm_opts o;
	struct strbuf out = STRBUF_INIT;
	struct src_tree *t = NULL;
	char **pos, *path = NULL, *gen_name = NULL;
	const char *chart, *name = HELM_DEFAULT_RELEASE;
	bool hint = false;
	int n, r;

	n = opts_parse(argc, argv, opts, &pos);
	if (n < 0)
		return cmd_usage(TEMPLATE_USAGE);
	if (n > 0 && !strcmp(pos[0], "template")) {
		pos++;
		n--;
	}
	if (n == 1) {
		chart = pos[0];
	} else if (n == 2 && !generate) {
		name = pos[0];
		chart = pos[1];
	} else {
		return cmd_usage(TEMPLATE_USAGE);
	}
	memset(&o, 0, sizeof(o));
	if (name_tpl) {
		r = name_template(name_tpl, &gen_name);
		if (r)
			goto fail;
		name = gen_name;
	} else if (generate) {
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
	o.namespace = ns;
	o.kube_version = kube;
	split_commas(apis, napis, &o.api_versions, &o.napi_versions);
	o.show_only = show;
	o.nshow_only = nshow;
	o.include_crds = include_crds;
	o.skip_tests = skip_tests;
	o.no_hooks = no_hooks;
	o.is_upgrade = is_upgrade;
	o.skip_schema = skip_schema;
	split_commas(files, nfiles, &o.values.files, &o.values.nfiles);
	o.values.sets = sets;
	o.values.nsets = nsets;
	o.values.set_strings = set_strings;
	o.values.nset_strings = nset_strings;
	o.values.set_files = set_files;
	o.values.nset_files = nset_files;
	o.values.set_json = set_json;
	o.values.nset_json = nset_json;
	o.values.set_literals = set_literals;
	o.values.nset_literals = nset_literals;
	o.values.read = read_local;
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
	free(path);
	free(gen_name);
	strbuf_release(&out);
	free_split(o.values.files, o.values.nfiles);
	free_split(o.api_versions, o.napi_versions);
	free(files);
	free(sets);
	free(set_strings);
	free(set_files);
	free(set_json);
	free(set_literals);
	free(apis);
	free(show);
	return cmd_finish_stdout(r ? 1 : 0);
}
