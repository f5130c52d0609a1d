/*
 * artifact-cmd.c - `hoist pack` and `hoist inspect`.
 */
#include "compat.h"
#include "artifact.h"
#include "cmd.h"
#include "digest.h"
#include "err.h"
#include "objset.h"
#include "strbuf.h"
#include "render/render.h"
#include "render/source.h"
#include <time.h>

#define PACK_USAGE                                                                    \
	"pack PATH -o FILE [--ref REV] [--repo DIR] [--app N] [--version V] [--env E]\n" \
	"           [--source URL] [--revision R] [--created RFC3339]"

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

int cmd_pack(int argc, char **argv)
{
	const char *out = NULL, *ref = NULL, *repo = NULL, *app = NULL, *version = NULL,
		   *env = NULL, *source = NULL, *revision = NULL, *created = NULL;
	const struct opt opts[] = {
		{ "output", &out }, { "ref", &ref }, { "repo", &repo }, { "app", &app },
		{ "version", &version }, { "env", &env }, { "source", &source },
		{ "revision", &revision }, { "created", &created }, { NULL },
	};
	struct render_opts ro = { 0 };
	struct render_result res;
	struct objset set = OBJSET_INIT;
	struct strbuf tgz = STRBUF_INIT, appname = STRBUF_INIT, rev = STRBUF_INIT;
	struct source src = SOURCE_INIT;
	struct artifact_meta meta = { 0 };
	char ctime_buf[32], digest[DIGEST_STR_SIZE];
	char **pos;
	int n, r;

	/* -o is the one short option, as everyone types it. */
	for (n = 0; n < argc; n++)
		if (!strcmp(argv[n], "-o"))
			argv[n] = (char *)"--output";
	n = opts_parse(argc, argv, opts, &pos);
	if (n != 1 || !out)
		return cmd_usage(PACK_USAGE);
	if (created && !valid_rfc3339(created))
		return cmd_error("--created '%s' is not an RFC 3339 time (2006-01-02T15:04:05Z)",
				 created);
	ro.env = env;
	r = source_open(&src, pos[0], ref, repo);
	if (!r)
		r = render_app(&set, &res, src.tree, src.path, &ro);
	if (r)
		goto out;
	strbuf_addstr(&appname, base_name(pos[0]));
	if (appname.len && appname.buf[appname.len - 1] == '/')
		strbuf_setlen(&appname, appname.len - 1);
	meta.app = app ? app : appname.buf;
	meta.version = version ? version : "0.0.0";
	meta.environment = env;
	meta.source = source;
	meta.engine = render_engine_name(res.engine);
	meta.revision = revision;
	if (!revision && src.from_git) {
		strbuf_addf(&rev, "%s@sha1:%s", ref, src.commit.sha);
		meta.revision = rev.buf;
	}
	meta.created = created;
	if (!created && src.from_git) {
		format_time(src.commit.time, ctime_buf, sizeof(ctime_buf));
		meta.created = ctime_buf;
	}
	r = artifact_pack(&tgz, &set, &meta);
	if (!r)
		r = write_file_atomic(out, tgz.buf, tgz.len, 0644);
	if (!r)
		r = digest_sha256(digest, tgz.buf, tgz.len);
	if (!r)
		printf("%s %s (%zu objects)\n", digest, out, set.n);
out:
	objset_release(&set);
	source_release(&src);
	strbuf_release(&tgz);
	strbuf_release(&appname);
	strbuf_release(&rev);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

int cmd_inspect(int argc, char **argv)
{
	struct artifact_info info;
	struct strbuf data = STRBUF_INIT;
	bool manifests = false;
	const struct opt opts[] = { { "manifests", NULL, &manifests }, { NULL } };
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, opts, &pos);
	if (n != 1)
		return cmd_usage("inspect FILE [--manifests]");
	r = strbuf_read_file(&data, pos[0], 1u << 30);
	if (!r)
		r = artifact_read(&info, data.buf, data.len, NULL, manifests);
	if (r) {
		if (r != ERR_NOTFOUND && r != ERR_TOOBIG)
			err_prefix(r, "%s", pos[0]);
		strbuf_release(&data);
		return cmd_fail();
	}
	if (manifests) {
		cmd_write_stdout(info.manifests, info.manifests_len);
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
	return cmd_finish_stdout(0);
}
