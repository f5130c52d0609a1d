/*
 * artifact-cmd.c - `hoist pack` and `hoist inspect`.
 */
#include "core/compat.h"
#include "oci/artifact.h"
#include "core/cmd.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/json-out.h"
#include "model/objset.h"
#include "core/strbuf.h"
#include "render/render.h"
#include "render/source.h"
#include <time.h>


static bool valid_rfc3339(const char *s)
{
	/* YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm) */
	const char *p = s;
	int i;

	for (i = 0; i < 19; i++) {
		char want = "dddd-dd-ddTdd:dd:dd"[i];
		if (want == 'd' ? !(p[i] >= '0' && p[i] <= '9') : p[i] != want)
			return false;
	}
	p += 19;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z')
		return p[1] == '\0';
	return (*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	       p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' &&
	       p[5] <= '9' && p[6] == '\0';
}

static void format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	while (s && s[1] == '\0' && s > path) {
		/* trailing slash: look before it */
		const char *q = s - 1;
		while (q > path && *q != '/')
			q--;
		return *q == '/' ? q + 1 : q;
	}
	return s ? s + 1 : path;
}

struct pack_args {
	const char *out, *ref, *repo, *app, *version, *env, *source, *revision, *created;
};

#define A struct pack_args
static const struct opt pack_options[] = {
	{ "output", OPT_FIELD(A, out), .short_name = 'o', .arg = "FILE", .complete = COMPLETE_FILE,
	  .help = "where the artifact goes (required; written atomically)" },
	{ "ref", OPT_FIELD(A, ref), .arg = "REV",
	  .help = "render PATH from this Git revision of --repo, without a checkout" },
	{ "repo", OPT_FIELD(A, repo), .arg = "DIR", .def = ".", .complete = COMPLETE_DIR,
	  .help = "the repository --ref reads from" },
	{ "app", OPT_FIELD(A, app), .arg = "NAME", .def = "the folder's name",
	  .help = "the app's name in hoist.json" },
	{ "version", OPT_FIELD(A, version), .arg = "V", .def = "0.0.0",
	  .help = "the artifact's version" },
	{ "env", OPT_FIELD(A, env), .arg = "NAME", .complete = COMPLETE_ENV,
	  .help = "the environment recorded in hoist.json; also ${env} for the renderers" },
	{ "source", OPT_FIELD(A, source), .arg = "URL",
	  .help = "the source repository URL (org.opencontainers.image.source)" },
	{ "revision", OPT_FIELD(A, revision), .arg = "R", .def = "REF@sha1:COMMIT with --ref",
	  .help = "the source revision recorded in hoist.json" },
	{ "created", OPT_FIELD(A, created), .arg = "RFC3339",
	  .def = "the commit time with --ref, else 1970-01-01T00:00:00Z",
	  .help = "the creation time recorded in hoist.json" },
	{ NULL },
};
#undef A

static const char *const pack_examples[] = {
	"hoist pack apps/podinfo -o podinfo.tgz --app podinfo --version 1.4.0\t"
	"a reproducible artifact of the folder; prints its sha256",
	"hoist pack apps/podinfo --ref v1.4.0 -o podinfo.tgz\t"
	"the same from a tag, stamped with the commit's time and revision",
	NULL,
};

const struct cmd cmd_pack_entry = {
	"pack", cmd_pack,
	"pack PATH -o FILE [--ref REV] [--repo DIR] [--app NAME] [--version V] [--env NAME]\n"
	"pack PATH -o FILE [--source URL] [--revision R] [--created RFC3339]",
	"render and write a reproducible artifact (tar.gz); prints its sha256",
	pack_options,
	.description =
		"Renders PATH as render does and writes a reproducible artifact atomically\n"
		"to FILE: a gzip'd tar of the canonical stream and hoist.json, with sorted\n"
		"entries and fixed modes, owners and times, so the same inputs give the\n"
		"same bytes on any machine.  Prints \"sha256:HEX FILE (N objects)\".",
	.examples = pack_examples,
	.see_also = "docs/artifact.md",
	.args = { COMPLETE_DIR },
};

int cmd_pack(int argc, char **argv)
{
	struct pack_args a = { 0 };
	struct render_opts ro = { 0 };
	struct render_result res;
	struct objset set = OBJSET_INIT;
	struct strbuf tgz = STRBUF_INIT, appname = STRBUF_INIT, rev = STRBUF_INIT;
	struct source src = SOURCE_INIT;
	struct artifact_meta meta = { 0 };
	char ctime_buf[32], digest[DIGEST_STR_SIZE];
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, pack_options, &a, &pos);
	if (n != 1 || !a.out)
		return cmd_usage(cmd_pack_entry.usage);
	if (a.created && !valid_rfc3339(a.created))
		return cmd_error("--created '%s' is not an RFC 3339 time (2006-01-02T15:04:05Z)",
				 a.created);
	ro.env = a.env;
	r = source_open(&src, pos[0], a.ref, a.repo);
	if (!r)
		r = render_app(&set, &res, src.tree, src.path, &ro);
	if (r)
		goto out;
	strbuf_addstr(&appname, base_name(pos[0]));
	if (appname.len && appname.buf[appname.len - 1] == '/')
		strbuf_setlen(&appname, appname.len - 1);
	meta.app = a.app ? a.app : appname.buf;
	meta.version = a.version ? a.version : "0.0.0";
	meta.environment = a.env;
	meta.source = a.source;
	meta.engine = render_engine_name(res.engine);
	meta.revision = a.revision;
	if (!a.revision && src.from_git) {
		strbuf_addf(&rev, "%s@sha1:%s", a.ref, src.commit.sha);
		meta.revision = rev.buf;
	}
	meta.created = a.created;
	if (!a.created && src.from_git) {
		format_time(src.commit.time, ctime_buf, sizeof(ctime_buf));
		meta.created = ctime_buf;
	}
	r = artifact_pack(&tgz, &set, &meta);
	if (!r)
		r = write_file_atomic(a.out, tgz.buf, tgz.len, 0644);
	if (!r)
		r = digest_sha256(digest, tgz.buf, tgz.len);
	if (!r)
		printf("%s %s (%zu objects)\n", digest, a.out, set.n);
out:
	objset_release(&set);
	source_release(&src);
	strbuf_release(&tgz);
	strbuf_release(&appname);
	strbuf_release(&rev);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

struct inspect_args {
	bool manifests, json;
};

static const struct opt inspect_options[] = {
	{ "manifests", OPT_FIELD(struct inspect_args, manifests),
	  .help = "print the canonical YAML stream instead of the metadata" },
	{ "json", OPT_FIELD(struct inspect_args, json),
	  .help = "print the metadata as one JSON object (fields in docs/cli.md)" },
	{ NULL },
};

static const char *const inspect_examples[] = {
	"hoist inspect podinfo.tgz\tcheck every digest and print app, version, revision, ...",
	"hoist inspect podinfo.tgz --manifests | kubectl diff -f -\t"
	"compare the artifact's objects with a cluster",
	"hoist inspect podinfo.tgz --json | jq -r .version\tone field, for a script",
	NULL,
};

const struct cmd cmd_inspect_entry = {
	"inspect", cmd_inspect, "inspect FILE [--manifests | --json]",
	"verify an artifact file and print its hoist.json summary",
	inspect_options,
	.description =
		"Verifies an artifact (every listed file's sha256, the gzip CRC, the tar\n"
		"structure) and prints its metadata as \"key: value\" lines, or with\n"
		"--manifests the canonical stream, or with --json one JSON object.",
	.examples = inspect_examples,
	.see_also = "docs/artifact.md",
	.args = { COMPLETE_FILE },
};

int cmd_inspect(int argc, char **argv)
{
	struct inspect_args a = { 0 };
	struct artifact_info info;
	struct strbuf data = STRBUF_INIT, js = STRBUF_INIT;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, inspect_options, &a, &pos);
	if (n != 1 || (a.manifests && a.json))
		return cmd_usage(cmd_inspect_entry.usage);
	r = strbuf_read_file(&data, pos[0], 1u << 30);
	if (!r)
		r = artifact_read(&info, data.buf, data.len, NULL, a.manifests);
	if (r) {
		if (r != ERR_NOTFOUND && r != ERR_TOOBIG)
			err_prefix(r, "%s", pos[0]);
		strbuf_release(&data);
		return cmd_fail();
	}
	if (a.manifests) {
		cmd_write_stdout(info.manifests, info.manifests_len);
	} else if (a.json) {
		strbuf_addch(&js, '{');
		json_kv_str(&js, "app", info.app);
		json_kv_str(&js, "version", info.version);
		json_kv_str(&js, "environment", info.environment);
		json_kv_str(&js, "revision", info.revision);
		json_kv_str(&js, "source", info.source);
		json_kv_str(&js, "created", info.created);
		json_kv_str(&js, "engine", info.engine);
		json_kv_int(&js, "objects", (int64_t)info.nobjects);
		strbuf_addstr(&js, "}\n");
		cmd_write_stdout(js.buf, js.len);
	} else {
		printf("app: %s\nversion: %s\nenvironment: %s\nrevision: %s\nsource: %s\n"
		       "created: %s\nengine: %s\nobjects: %zu\n",
		       info.app, info.version, info.environment ? info.environment : "-",
		       info.revision ? info.revision : "-", info.source ? info.source : "-",
		       info.created ? info.created : "-", info.engine ? info.engine : "-",
		       info.nobjects);
	}
	artifact_info_release(&info);
	strbuf_release(&data);
	strbuf_release(&js);
	return cmd_finish_stdout(0);
}
