/*
 * Unit tests for the remote-source layer's parsers: kustomize's Git URL
 * forms (the cases of kustomize's repospec tests, re-expressed), the
 * allow-list patterns, hoist.lock and netrc files.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/err.h"
#include "source/remote.h"
#include "core/strbuf.h"
#include "render/helm/chart-repo.h"
#include "model/doc.h"

struct url_case {
	const char *in, *clone, *host, *path, *ref;
};

static void git_urls_split_repository_path_and_ref_as_kustomize(void **state)
{
	static const struct url_case cases[] = {
		{ "https://host.example/org/repo//path/to/base?ref=v1.2.3",
		  "https://host.example/org/repo", "host.example", "path/to/base", "v1.2.3" },
		{ "https://host.example/org/repo.git/path?ref=main", "https://host.example/org/repo.git",
		  "host.example", "path", "main" },
		{ "git@host.example:org/repo.git//path?ref=abc", "git@host.example:org/repo.git",
		  "host.example", "path", "abc" },
		{ "github.com/org/repo/path/x?ref=v1", "https://github.com/org/repo", "github.com",
		  "path/x", "v1" },
		{ "github.com/org/repo", "https://github.com/org/repo", "github.com", "", "" },
		{ "git@github.com:org/repo/sub?version=v2", "git@github.com:org/repo", "github.com", "sub",
		  "v2" },
		{ "ssh://git@host.example:2222/org/repo.git//base", "ssh://git@host.example:2222/org/repo.git",
		  "host.example:2222", "base", "" },
		{ "http://127.0.0.1:8080/git/org/repo.git//base?ref=v1.0.0&timeout=90s",
		  "http://127.0.0.1:8080/git/org/repo.git", "127.0.0.1:8080", "base", "v1.0.0" },
		{ "https://dev.azure.com/org/project/_git/repo/path/base",
		  "https://dev.azure.com/org/project/_git/repo", "dev.azure.com", "path/base", "" },
		{ "file:///srv/repos/base.git//overlay?ref=v1", "file:///srv/repos/base.git", "file",
		  "overlay", "v1" },
		{ "git::https://host.example/org/repo//p?ref=t", "https://host.example/org/repo",
		  "host.example", "p", "t" },
		{ "https://Host.Example/org/repo?ref=v1&ref=v2", "https://Host.Example/org/repo",
		  "host.example", "", "v1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct remote_git_url u;

		if (remote_git_url_parse(&u, cases[i].in))
			fail_msg("%s: %s", cases[i].in, err_msg());
		assert_string_equal(u.clone_url, cases[i].clone);
		assert_string_equal(u.host, cases[i].host);
		assert_string_equal(u.path, cases[i].path);
		assert_string_equal(u.ref, cases[i].ref);
		remote_git_url_release(&u);
	}
}

static void git_url_query_sets_timeout_and_submodules(void **state)
{
	struct remote_git_url u;

	(void)state;
	assert_int_equal(remote_git_url_parse(&u, "https://h/o/r?timeout=61&submodules=false"), 0);
	assert_int_equal(u.timeout_ms, 61000);
	assert_false(u.submodules);
	remote_git_url_release(&u);
	assert_int_equal(remote_git_url_parse(&u, "https://h/o/r?timeout=1m30s&submodules=nope"), 0);
	assert_int_equal(u.timeout_ms, 90000);
	assert_true(u.submodules); /* a bad bool keeps the default, as kustomize */
	remote_git_url_release(&u);
	assert_int_equal(remote_git_url_parse(&u, "https://h/o/r?timeout=-3"), 0);
	assert_int_equal(u.timeout_ms, 27000);
	remote_git_url_release(&u);
}

static void git_url_refuses_what_kustomize_refuses(void **state)
{
	static const char *const bad[] = {
		"/abs/path", "https://h/org", "https://h/o/r//../../x", "git://h/o/r", "h/o/r",
		"https:///o/r",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct remote_git_url u;
		if (remote_git_url_parse(&u, bad[i]) != ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		remote_git_url_release(&u);
	}
}

static void remote_entries_are_told_from_local_paths(void **state)
{
	enum remote_kind k;

	(void)state;
	assert_false(remote_is_url("../base", &k));
	assert_false(remote_is_url("deploy.yaml", &k));
	assert_true(remote_is_url("https://h/o/r//base?ref=v1", &k));
	assert_int_equal(k, REMOTE_GIT);
	assert_true(remote_is_url("https://h/raw/o/r/v1/deploy.yaml", &k));
	assert_int_equal(k, REMOTE_HTTP);
	assert_true(remote_is_url("github.com/o/r/base", &k));
	assert_int_equal(k, REMOTE_GIT);
	assert_true(remote_is_url("git@h:o/r.git", &k));
	assert_int_equal(k, REMOTE_GIT);
}

static void allow_patterns_match_host_and_port(void **state)
{
	(void)state;
	assert_true(remote_pattern_matches("example.com", "example.com"));
	assert_true(remote_pattern_matches("example.com", "EXAMPLE.com:8443"));
	assert_true(remote_pattern_matches("example.com:8443", "example.com:8443"));
	assert_false(remote_pattern_matches("example.com:8443", "example.com:443"));
	assert_false(remote_pattern_matches("example.com:8443", "example.com"));
	assert_false(remote_pattern_matches("example.com", "evil-example.com"));
	assert_false(remote_pattern_matches("example.com", "example.com.evil"));
	assert_true(remote_pattern_matches("file", "file"));
	assert_false(remote_pattern_matches("file", "file:80"));
	assert_false(remote_pattern_matches("127.0.0.1", "file"));
}

static void server_allow_list_caps_hoist_yaml(void **state)
{
	struct remote_ctx c;
	const char *flags[] = { "cli.example" };

	(void)state;
	assert_int_equal(remote_ctx_init(&c, NULL, flags, 1, false, false), 0);
	c.allow_config.v = xcalloc(3, sizeof(char *));
	c.allow_config.v[0] = xstrdup("a.example");
	c.allow_config.v[1] = xstrdup("b.example");
	c.allow_config.n = 2;
	assert_int_equal(remote_allowed(&c, "a.example", "x"), 0);
	assert_int_equal(remote_allowed(&c, "c.example", "x"), ERR_INVALID);
	c.have_server = true;
	c.allow_server.v = xcalloc(2, sizeof(char *));
	c.allow_server.v[0] = xstrdup("a.example");
	c.allow_server.n = 1;
	assert_int_equal(remote_allowed(&c, "a.example", "x"), 0);
	/* hoist.yaml lists b, the server does not: refused. */
	assert_int_equal(remote_allowed(&c, "b.example", "x"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "hoist.allowRemote"));
	/* The command line is the operator's. */
	assert_int_equal(remote_allowed(&c, "cli.example", "x"), 0);
	remote_ctx_release(&c);
}

static void lock_round_trips_sorted(void **state)
{
	char u0[] = "https://z.example/a.yaml", r0[] = "",
	     d0[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char u1[] = "https://a.example/o/r", r1[] = "v1.0.0",
	     d1[] = "0123456789abcdef0123456789abcdef01234567";
	struct remote_pin pins[2] = { { REMOTE_HTTP, u0, r0, d0 }, { REMOTE_GIT, u1, r1, d1 } };
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	struct remote_pin *back;
	size_t n;

	(void)state;
	remote_lock_format(&out, pins, 2);
	assert_int_equal(remote_lock_parse(&back, &n, out.buf, out.len, "hoist.lock"), 0);
	assert_int_equal(n, 2);
	assert_int_equal(back[0].kind, REMOTE_GIT);
	assert_string_equal(back[0].ref, "v1.0.0");
	assert_string_equal(back[1].resolved, pins[0].resolved);
	remote_lock_format(&again, back, n);
	assert_string_equal(out.buf, again.buf);
	remote_pins_free(back, n);
	strbuf_release(&out);
	strbuf_release(&again);
}

static void lock_refuses_bad_pins_with_position(void **state)
{
	static const char *const bad[] = {
		"apiVersion: hoist.dev/v1alpha1\nkind: Lock\nsources:\n- {kind: git, url: u, ref: v, commit: abc}\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Lock\nsources:\n- {kind: http, url: u, digest: md5:00}\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Lock\nsources:\n- {kind: svn, url: u}\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Lock\nextra: 1\nsources: []\n",
		"apiVersion: v1\nkind: Lock\nsources: []\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Lock\nsources:\n"
		"- {kind: git, url: u, ref: v, commit: 0123456789abcdef0123456789abcdef01234567}\n"
		"- {kind: git, url: u, ref: v, commit: 0123456789abcdef0123456789abcdef01234567}\n",
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct remote_pin *p;
		if (remote_lock_parse(&p, &n, bad[i], strlen(bad[i]), "hoist.lock") != ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err_msg(), "hoist.lock:"));
	}
}

static void netrc_gives_credentials_per_host(void **state)
{
	static const char text[] = "# ours\nmachine git.example login bot password s3cret\n"
				   "machine other.example:8443\n  login u\n  password p\ndefault login x password y\n";
	struct remote_ctx c;
	const struct remote_cred *cr;

	(void)state;
	assert_int_equal(remote_ctx_init(&c, NULL, NULL, 0, false, false), 0);
	assert_int_equal(remote_netrc_parse(&c, text, strlen(text), "netrc"), 0);
	cr = remote_cred_find(&c, "git.example:443");
	assert_non_null(cr);
	assert_string_equal(cr->user, "bot");
	assert_string_equal(cr->password, "s3cret");
	assert_non_null(remote_cred_find(&c, "other.example:8443"));
	assert_null(remote_cred_find(&c, "other.example"));
	assert_null(remote_cred_find(&c, "evil.example"));
	assert_int_equal(remote_netrc_parse(&c, "machine", 7, "netrc"), ERR_INVALID);
	remote_ctx_release(&c);
}

static void helm_index_picks_the_highest_allowed_version(void **state)
{
	static const char idx[] =
		"apiVersion: v1\nentries:\n  c:\n"
		"  - {version: 1.2.3, digest: aa, urls: [c-1.2.3.tgz]}\n"
		"  - {version: 1.3.0, digest: bb, urls: [\"https://cdn.example/c-1.3.0.tgz\"]}\n"
		"  - {version: 1.2.10, digest: cc, urls: [c-1.2.10.tgz]}\n"
		"  - {version: 1.4.0-rc.1, digest: dd, urls: [c-1.4.0-rc.1.tgz]}\n";
	struct helm_index_entry e;

	(void)state;
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "c", "~1.2", NULL, &e), 0);
	assert_string_equal(e.version, "1.2.10"); /* 1.2.10 > 1.2.3: semver, not text */
	assert_string_equal(e.digest, "cc");
	helm_index_entry_release(&e);
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "c", ">=1.0", NULL, &e), 0);
	assert_string_equal(e.version, "1.3.0"); /* a prerelease only when asked for */
	assert_string_equal(e.url, "https://cdn.example/c-1.3.0.tgz");
	helm_index_entry_release(&e);
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "c", "1.2.3", NULL, &e), 0);
	assert_string_equal(e.url, "c-1.2.3.tgz");
	helm_index_entry_release(&e);
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "c", "~1.2", "sha256:bb", &e), 0);
	assert_string_equal(e.version, "1.3.0"); /* the lock's digest wins over the range */
	helm_index_entry_release(&e);
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "c", "2.x", NULL, &e),
			 ERR_NOTFOUND);
	assert_int_equal(helm_index_select(idx, strlen(idx), "index.yaml", "nope", "1.2.3", NULL, &e),
			 ERR_NOTFOUND);
	assert_true(helm_semver_is_exact("1.2.3"));
	assert_true(helm_semver_is_exact("v1.2.3-rc.1"));
	assert_false(helm_semver_is_exact("~1.2"));
	assert_false(helm_semver_is_exact("1.2"));
	assert_false(helm_semver_is_exact(">=1.2.3"));
}

/*
 * Chart.lock's digest: the expected values are digests Helm itself wrote
 * (bitnami's redis, nginx and postgresql charts, Chart.lock of August 2025,
 * for these dependency lists).
 */
/* A chart using every field of a dependency (see chart_lock_digest_is_helms). */
static const char full_cy[] = "apiVersion: v2\n"
		"name: app\n"
		"version: 0.1.0\n"
		"dependencies:\n"
		"- name: common\n"
		"  repository: oci://registry.example/charts\n"
		"  version: 2.x.x\n"
		"  condition: common.enabled\n"
		"  tags: [a, \"b<c\"]\n"
		"  enabled: true\n"
		"  import-values:\n"
		"  - child: x\n"
		"    parent: y\n"
		"  - data\n"
		"  alias: c\n"
		"- name: local\n"
		"  repository: file://../local\n";
static const char full_cl[] = "dependencies:\n"
		"- name: common\n"
		"  repository: oci://registry.example/charts\n"
		"  version: 2.31.4\n"
		"- name: local\n"
		"  repository: file://../local\n"
		"  version: 0.1.0\n"
		"digest: sha256:7733eeb3925648c85e9ac5046fa1a4e40d880bb60f2fabdebc99424d2e3f5aef\n"
		"generated: \"2026-01-01T00:00:00Z\"\n";

static void chart_lock_digest_is_helms(void **state)
{
	static const char cy[] = "apiVersion: v2\nname: redis\nversion: 23.1.1\n"
				 "dependencies:\n- name: common\n"
				 "  repository: oci://registry-1.docker.io/bitnamicharts\n"
				 "  tags:\n  - bitnami-common\n  version: 2.x.x\n";
	static const char cl[] = "dependencies:\n- name: common\n"
				 "  repository: oci://registry-1.docker.io/bitnamicharts\n"
				 "  version: 2.31.4\n"
				 "digest: sha256:fc442e77200e1914dd46fe26490dcf62f44caa51db673c2f8e67d5319cd4c163\n"
				 "generated: \"2025-08-13T18:17:23.415861424Z\"\n";
	struct doc_stream *y = NULL, *l = NULL;
	struct strbuf other = STRBUF_INIT;
	char got[72];

	(void)state;
	assert_int_equal(doc_parse(&y, cy, strlen(cy), "Chart.yaml", NULL), 0);
	assert_int_equal(doc_parse(&l, cl, strlen(cl), "Chart.lock", NULL), 0);
	assert_int_equal(helm_lock_digest(got, doc_map_get(y->docs[0], "dependencies"),
					  doc_map_get(l->docs[0], "dependencies")), 0);
	assert_string_equal(got, "sha256:fc442e77200e1914dd46fe26490dcf62f44caa51db673c2f8e67d5319cd4c163");
	assert_int_equal(helm_lock_check(cy, strlen(cy), l->docs[0], "redis"), 0);
	/* Chart.yaml moved on (another range): the lock is out of sync. */
	strbuf_addstr(&other, cy);
	other.buf[other.len - 2] = 'y';
	assert_int_equal(helm_lock_check(other.buf, other.len, l->docs[0], "redis"), ERR_CONFLICT);
	assert_non_null(strstr(err_msg(), "out of sync with the dependencies file (Chart.yaml)"));
	strbuf_release(&other);
	doc_stream_free(y);
	doc_stream_free(l);
	y = l = NULL;
	/*
	 * Every field of a dependency, in Helm's order, with Go's escaping of
	 * '<': the digest computed by Python's json module (escaping as Go's).
	 */
	assert_int_equal(doc_parse(&y, full_cy, strlen(full_cy), "Chart.yaml", NULL), 0);
	assert_int_equal(doc_parse(&l, full_cl, strlen(full_cl), "Chart.lock", NULL), 0);
	assert_int_equal(helm_lock_check(full_cy, strlen(full_cy), l->docs[0], "app"), 0);
	doc_stream_free(y);
	doc_stream_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(git_urls_split_repository_path_and_ref_as_kustomize),
		cmocka_unit_test(git_url_query_sets_timeout_and_submodules),
		cmocka_unit_test(git_url_refuses_what_kustomize_refuses),
		cmocka_unit_test(remote_entries_are_told_from_local_paths),
		cmocka_unit_test(allow_patterns_match_host_and_port),
		cmocka_unit_test(server_allow_list_caps_hoist_yaml),
		cmocka_unit_test(lock_round_trips_sorted),
		cmocka_unit_test(lock_refuses_bad_pins_with_position),
		cmocka_unit_test(netrc_gives_credentials_per_host),
		cmocka_unit_test(helm_index_picks_the_highest_allowed_version),
		cmocka_unit_test(chart_lock_digest_is_helms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
