/*
 * test-agent-plan.c - field-level diffs, the plan hash, OBJECT arguments
 * and ignore rules (agent/plan.c), and the watch event stream
 * (agent/watch.c).  The plans and drift of a running agent are exercised
 * end to end in t5210-agent-manual.sh and t5211-agent-drift.sh.
 */
#include "core/compat.h"
#include "agent/api.h"
#include "agent/plan.h"
#include "agent/watch.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

/* The differences of two JSON texts, as the "[...]" array plan_diff's output makes. */
static char *diff_of(const char *live, const char *want, const char *const *ign, size_t nign,
		     size_t *n)
{
	struct doc_stream *a = NULL, *b = NULL;
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(doc_parse(&a, live, strlen(live), "live", NULL), 0);
	assert_int_equal(doc_parse(&b, want, strlen(want), "want", NULL), 0);
	strbuf_addch(&out, '[');
	*n = plan_diff(&out, a->docs[0], b->docs[0], ign, nign);
	strbuf_addch(&out, ']');
	doc_stream_free(a);
	doc_stream_free(b);
	return strbuf_detach(&out, NULL);
}

static void diff_names_each_changed_field_by_pointer(void **state)
{
	size_t n;
	char *d = diff_of("{\"data\":{\"v\":\"edited\",\"keep\":\"1\"},\"kind\":\"ConfigMap\"}",
			  "{\"kind\":\"ConfigMap\",\"data\":{\"keep\":\"1\",\"v\":\"v1\"}}", NULL, 0, &n);

	assert_int_equal(n, 1);
	assert_string_equal(d, "[{\"path\":\"/data/v\",\"live\":\"edited\",\"want\":\"v1\"}]");
	free(d);
}

static void diff_reports_added_and_removed_fields_with_null(void **state)
{
	size_t n;
	char *d = diff_of("{\"spec\":{\"old\":1}}", "{\"spec\":{\"new\":[1,2]}}", NULL, 0, &n);

	assert_int_equal(n, 2);
	assert_string_equal(d, "[{\"path\":\"/spec/new\",\"live\":null,\"want\":[1,2]},"
			       "{\"path\":\"/spec/old\",\"live\":1,\"want\":null}]");
	free(d);
}

static void diff_walks_lists_by_index_or_takes_them_whole(void **state)
{
	size_t n;
	char *d = diff_of("{\"c\":[{\"image\":\"a:1\"},{\"image\":\"b\"}]}",
			  "{\"c\":[{\"image\":\"a:2\"},{\"image\":\"b\"}]}", NULL, 0, &n);

	assert_int_equal(n, 1);
	assert_string_equal(d, "[{\"path\":\"/c/0/image\",\"live\":\"a:1\",\"want\":\"a:2\"}]");
	free(d);
	d = diff_of("{\"c\":[1]}", "{\"c\":[1,2]}", NULL, 0, &n);
	assert_int_equal(n, 1);
	assert_string_equal(d, "[{\"path\":\"/c\",\"live\":[1],\"want\":[1,2]}]");
	free(d);
}

static void diff_skips_status_and_metadata_that_moves(void **state)
{
	size_t n;
	char *d = diff_of("{\"metadata\":{\"resourceVersion\":\"1\",\"generation\":1,"
			  "\"managedFields\":[],\"uid\":\"a\",\"name\":\"x\"},\"status\":{\"r\":1}}",
			  "{\"metadata\":{\"resourceVersion\":\"2\",\"generation\":2,"
			  "\"managedFields\":[{}],\"uid\":\"a\",\"name\":\"x\"},\"status\":{\"r\":2}}",
			  NULL, 0, &n);

	assert_int_equal(n, 0);
	assert_string_equal(d, "[]");
	free(d);
}

static void diff_leaves_out_ignored_pointers_and_what_is_below(void **state)
{
	static const char *const ign[] = { "/spec/replicas", "/metadata/annotations" };
	size_t n;
	char *d = diff_of("{\"spec\":{\"replicas\":5,\"replicasMax\":1},\"metadata\":{\"annotations\":{\"a\":\"1\"}}}",
			  "{\"spec\":{\"replicas\":2,\"replicasMax\":2},\"metadata\":{\"annotations\":{\"a\":\"2\"}}}",
			  ign, 2, &n);

	/* "/spec/replicas" is not a prefix of "/spec/replicasMax": segments, not bytes. */
	assert_int_equal(n, 1);
	assert_string_equal(d, "[{\"path\":\"/spec/replicasMax\",\"live\":1,\"want\":2}]");
	free(d);
}

static void pointer_segments_are_escaped(void **state)
{
	size_t n;
	char *d = diff_of("{\"metadata\":{\"labels\":{\"hoist.dev/app\":\"a\",\"x~y\":\"1\"}}}",
			  "{\"metadata\":{\"labels\":{\"hoist.dev/app\":\"b\",\"x~y\":\"2\"}}}", NULL, 0, &n);

	assert_int_equal(n, 2);
	assert_string_equal(d, "[{\"path\":\"/metadata/labels/hoist.dev~1app\",\"live\":\"a\",\"want\":\"b\"},"
			       "{\"path\":\"/metadata/labels/x~0y\",\"live\":\"1\",\"want\":\"2\"}]");
	free(d);
}

static void diff_counts_past_its_limit_but_writes_no_more(void **state)
{
	struct strbuf live = STRBUF_INIT, want = STRBUF_INIT;
	size_t n, i;
	char *d;

	strbuf_addch(&live, '{');
	strbuf_addch(&want, '{');
	for (i = 0; i < PLAN_DIFF_MAX + 10; i++) {
		strbuf_addf(&live, "%s\"k%zu\":1", i ? "," : "", i);
		strbuf_addf(&want, "%s\"k%zu\":2", i ? "," : "", i);
	}
	strbuf_addch(&live, '}');
	strbuf_addch(&want, '}');
	d = diff_of(live.buf, want.buf, NULL, 0, &n);
	assert_int_equal(n, PLAN_DIFF_MAX + 10);
	assert_null(strstr(d, "\"k70\""));
	assert_non_null(strstr(d, "\"/k63\""));
	free(d);
	strbuf_release(&live);
	strbuf_release(&want);
}

static void plan_hash_covers_the_digest_and_every_change(void **state)
{
	static const char d1[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char d2[] = "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char c1[] = "[{\"action\":\"update\",\"diff\":[{\"path\":\"/data/v\",\"live\":\"a\",\"want\":\"b\"}]}]";
	static const char c2[] = "[{\"action\":\"update\",\"diff\":[{\"path\":\"/data/v\",\"live\":\"c\",\"want\":\"b\"}]}]";
	char h1[DIGEST_STR_SIZE], h2[DIGEST_STR_SIZE], h3[DIGEST_STR_SIZE], h4[DIGEST_STR_SIZE];

	plan_hash(h1, d1, c1, strlen(c1));
	plan_hash(h2, d1, c1, strlen(c1));
	plan_hash(h3, d2, c1, strlen(c1));
	plan_hash(h4, d1, c2, strlen(c2));
	assert_true(digest_is_valid(h1));
	assert_string_equal(h1, h2);
	assert_string_not_equal(h1, h3);
	assert_string_not_equal(h1, h4);
	/* The digest and the changes are separated: moving bytes between them changes the hash. */
	plan_hash(h2, "ab", "c", 1);
	plan_hash(h3, "a", "bc", 2);
	assert_string_not_equal(h2, h3);
}

static void object_arguments_name_kind_namespace_and_name(void **state)
{
	char *g, *k, *ns, *name;

	assert_int_equal(plan_object_parse("Deployment/web/api", &g, &k, &ns, &name), 0);
	assert_null(g);
	assert_string_equal(k, "Deployment");
	assert_string_equal(ns, "web");
	assert_string_equal(name, "api");
	free(k), free(ns), free(name);
	assert_int_equal(plan_object_parse("ClusterRole.rbac.authorization.k8s.io/reader", &g, &k,
					   &ns, &name), 0);
	assert_string_equal(g, "rbac.authorization.k8s.io");
	assert_string_equal(k, "ClusterRole");
	assert_null(ns);
	assert_string_equal(name, "reader");
	free(g), free(k), free(name);
	assert_int_equal(plan_object_parse("Deployment", &g, &k, &ns, &name), ERR_INVALID);
	assert_int_equal(plan_object_parse("a/b/c/d", &g, &k, &ns, &name), ERR_INVALID);
	assert_int_equal(plan_object_parse("ConfigMap//x", &g, &k, &ns, &name), ERR_INVALID);
	assert_int_equal(plan_object_parse("ConfigMap/a b", &g, &k, &ns, &name), ERR_INVALID);
	err_clear();
}

static void rules_match_group_kind_namespace_and_name(void **state)
{
	char deployment[] = "Deployment", apps[] = "apps", api[] = "api", web[] = "web",
	     empty[] = "", configmap[] = "ConfigMap";
	struct drift_rule r = { 0 };

	r.kind = deployment;
	r.group = apps;
	assert_true(drift_rule_match(&r, "apps/v1", "Deployment", "web", "api"));
	assert_false(drift_rule_match(&r, "v1", "Deployment", "web", "api"));
	assert_false(drift_rule_match(&r, "apps/v1", "StatefulSet", "web", "api"));
	r.name = api;
	r.ns = web;
	assert_true(drift_rule_match(&r, "apps/v1", "Deployment", "web", "api"));
	assert_false(drift_rule_match(&r, "apps/v1", "Deployment", "other", "api"));
	assert_false(drift_rule_match(&r, "apps/v1", "Deployment", "web", "db"));
	r.group = empty;
	r.kind = configmap;
	r.ns = NULL;
	r.name = NULL;
	assert_true(drift_rule_match(&r, "v1", "ConfigMap", "x", "y"));
}

static void watch_lines_split_anywhere_and_parse(void **state)
{
	static const char stream[] =
		"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\","
		"\"resourceVersion\":\"7\"}}}\n\n"
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n"
		"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"message\":\"too old\"}}\n";
	struct watch_buf b;
	const char *line;
	size_t len, i, nlines = 0;
	struct watch_event ev;

	watch_buf_init(&b);
	/* Three bytes at a time. */
	for (i = 0; i < sizeof(stream) - 1; i += 3) {
		size_t n = sizeof(stream) - 1 - i < 3 ? sizeof(stream) - 1 - i : 3;
		assert_int_equal(watch_buf_add(&b, stream + i, n), 0);
		while (watch_buf_next(&b, &line, &len)) {
			assert_int_equal(watch_event_parse(&ev, line, len), 0);
			switch (nlines++) {
			case 0:
				assert_int_equal(ev.type, WATCH_MODIFIED);
				assert_string_equal(ev.name, "c");
				assert_string_equal(ev.ns, "n");
				assert_string_equal(ev.rv, "7");
				break;
			case 1:
				assert_int_equal(ev.type, WATCH_BOOKMARK);
				assert_string_equal(ev.rv, "9");
				break;
			case 2:
				assert_int_equal(ev.type, WATCH_ERROR);
				assert_int_equal(ev.code, 410);
				assert_string_equal(ev.message, "too old");
				break;
			}
			watch_event_release(&ev);
		}
	}
	assert_int_equal(nlines, 3);
	watch_buf_release(&b);
}

static void watch_refuses_what_is_not_an_event(void **state)
{
	static const char *const bad[] = {
		"not json", "[1]", "{\"type\":\"ADDED\"}", "{\"type\":\"NEW\",\"object\":{}}",
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"ADDED\",\"object\":\"x\"}",
	};
	struct watch_event ev;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(watch_event_parse(&ev, bad[i], strlen(bad[i])), ERR_INVALID);
	err_clear();
}

static void approval_and_accept_bodies(void **state)
{
	static const char d[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char digest[DIGEST_STR_SIZE], plan[DIGEST_STR_SIZE], by[128], object[512], app[API_APP_MAX + 1];
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "{\"digest\":\"%s\",\"plan\":\"%s\",\"by\":\"ana\"}", d, d);
	assert_int_equal(api_approve_body_parse(b.buf, b.len, digest, plan, by), 0);
	assert_string_equal(digest, d);
	assert_string_equal(plan, d);
	assert_string_equal(by, "ana");
	/* A plain sync request is still one. */
	assert_int_equal(api_approve_body_parse("", 0, digest, plan, by), 0);
	assert_string_equal(plan, "");
	strbuf_reset(&b);
	strbuf_addf(&b, "{\"plan\":\"%s\"}", d);
	assert_int_equal(api_approve_body_parse(b.buf, b.len, digest, plan, by), ERR_INVALID);
	strbuf_reset(&b);
	strbuf_addf(&b, "{\"digest\":\"%s\",\"plan\":\"sha256:12\"}", d);
	assert_int_equal(api_approve_body_parse(b.buf, b.len, digest, plan, by), ERR_INVALID);
	assert_int_equal(api_accept_body_parse("{\"object\":\"ConfigMap/a/b\"}", 26, object), 0);
	assert_string_equal(object, "ConfigMap/a/b");
	assert_int_equal(api_accept_body_parse("{}", 2, object), ERR_INVALID);
	assert_int_equal(api_route("POST", "/v1/apps/web/accept-drift", app), API_ACCEPT_DRIFT);
	assert_true(api_route_mutates(API_ACCEPT_DRIFT));
	assert_int_equal(api_route("GET", "/v1/apps/web/accept-drift", app), API_BAD_METHOD);
	assert_string_equal(api_route_allow("/v1/apps/web/accept-drift"), "POST");
	err_clear();
	strbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_names_each_changed_field_by_pointer),
		cmocka_unit_test(diff_reports_added_and_removed_fields_with_null),
		cmocka_unit_test(diff_walks_lists_by_index_or_takes_them_whole),
		cmocka_unit_test(diff_skips_status_and_metadata_that_moves),
		cmocka_unit_test(diff_leaves_out_ignored_pointers_and_what_is_below),
		cmocka_unit_test(pointer_segments_are_escaped),
		cmocka_unit_test(diff_counts_past_its_limit_but_writes_no_more),
		cmocka_unit_test(plan_hash_covers_the_digest_and_every_change),
		cmocka_unit_test(object_arguments_name_kind_namespace_and_name),
		cmocka_unit_test(rules_match_group_kind_namespace_and_name),
		cmocka_unit_test(watch_lines_split_anywhere_and_parse),
		cmocka_unit_test(watch_refuses_what_is_not_an_event),
		cmocka_unit_test(approval_and_accept_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
