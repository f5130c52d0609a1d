/*
 * Unit tests for the chart side's values: Helm's --set parser (strvals),
 * the user-values merge, coalescing with chart defaults, .helmignore and
 * the two glob dialects.  Expected values were produced by the helm oracle
 * (`helm-oracle template r CHART --set LINE` of a chart printing
 * `{{ toJson .Values }}`) for lines where it and Helm's pkg/strvals agree,
 * and from Helm's pkg/strvals tests for its error texts.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "render/helm/chart.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/strvals.h"
#include "render/helm/value.h"
#include "render/helm/values.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"

static struct helm_ctx ctx;

static int setup(void **state)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.arena = arena_new();
	return 0;
}

static int teardown(void **state)
{
	arena_free(ctx.arena);
	return 0;
}

static char *json(const struct hv *v)
{
	static char buf[4096];
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(helm_json_emit(&ctx, &sb, v, NULL), 0);
	assert_true(sb.len < sizeof(buf));
	memcpy(buf, sb.buf, sb.len + 1);
	strbuf_release(&sb);
	return buf;
}

static void check_set(enum strvals_mode mode, const char *line, const char *want)
{
	struct hv *m = hv_map_new(&ctx, HV_T_MAP);

	assert_int_equal(strvals_parse_into(&ctx, m, line, strlen(line), mode, NULL, NULL), 0);
	assert_string_equal(json(m), want);
}

static void check_set_fails(const char *line, const char *msg)
{
	struct hv *m = hv_map_new(&ctx, HV_T_MAP);

	assert_int_equal(strvals_parse_into(&ctx, m, line, strlen(line), STRVALS_TYPED, NULL, NULL),
			 ERR_INVALID);
	assert_string_equal(err_msg(), msg);
}

static void set_types_values_as_helm(void **state)
{
	check_set(STRVALS_TYPED, "a=1", "{\"a\":1}");
	check_set(STRVALS_TYPED, "a.b=c,d=true", "{\"a\":{\"b\":\"c\"},\"d\":true}");
	check_set(STRVALS_TYPED, "a=0,b=012,c=-5,d=TRUE,e=1.5",
		  "{\"a\":0,\"b\":\"012\",\"c\":-5,\"d\":true,\"e\":\"1.5\"}");
	check_set(STRVALS_TYPED, "a=null", "{\"a\":null}");
	check_set(STRVALS_TYPED, "a=", "{\"a\":\"\"}");
	check_set(STRVALS_TYPED, "x=9223372036854775807,y=9223372036854775808",
		  "{\"x\":9223372036854775807,\"y\":\"9223372036854775808\"}");
	check_set(STRVALS_STRING, "a=1,b=true", "{\"a\":\"1\",\"b\":\"true\"}");
	check_set(STRVALS_LITERAL, "a=x,y=z", "{\"a\":\"x,y=z\"}");
}

static void set_parses_lists_indexes_and_escapes(void **state)
{
	check_set(STRVALS_TYPED, "a[0]=x,a[2]=y", "{\"a\":[\"x\",null,\"y\"]}");
	check_set(STRVALS_TYPED, "name=value1\\,value2", "{\"name\":\"value1,value2\"}");
	check_set(STRVALS_TYPED, "list={a,b,c}", "{\"list\":[\"a\",\"b\",\"c\"]}");
	check_set(STRVALS_TYPED, "a.b.c[1].d=x", "{\"a\":{\"b\":{\"c\":[null,{\"d\":\"x\"}]}}}");
	check_set(STRVALS_JSON, "a={\"b\":[1,2]}", "{\"a\":{\"b\":[1,2]}}");
}

static void set_reports_helms_errors(void **state)
{
	check_set_fails("name", "key \"name\" has no value");
	check_set(STRVALS_TYPED, "name=a,", "{\"name\":\"a\"}");
	check_set_fails("a,b=c", "key \"a\" has no value (cannot end with ,)");
	check_set_fails("a[-1]=x", "negative -1 index not allowed");
	check_set_fails("a[65537]=x", "index of 65537 is greater than maximum supported index of 65536");
	check_set_fails("a.b=1,a.b.c=2",
			"unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}");
	check_set_fails("a[x]=1", "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax");
	check_set_fails("list={a,b", "list must terminate with '}'");
}

static void set_limits_nesting(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < 31; i++)
		strbuf_addstr(&sb, "a.");
	strbuf_addstr(&sb, "b=1");
	check_set_fails(sb.buf,
			"value name nested level is greater than maximum supported nested level of 30");
	strbuf_release(&sb);
}

static struct hv *yaml(const char *s)
{
	struct hv *v;

	assert_int_equal(helm_yaml_parse(&ctx, &v, s, strlen(s), HELM_INTO_MAP), 0);
	return v;
}

static void coalesce_tables_keeps_dst_and_deletes_on_null(void **state)
{
	struct hv *dst = yaml("a: 1\nb: null\nm: {x: 1}\n");
	struct hv *src = yaml("a: 2\nb: 3\nc: 4\nm: {x: 2, z: 3}\n");

	assert_non_null(helm_coalesce_tables(&ctx, dst, src, false));
	assert_string_equal(json(dst), "{\"a\":1,\"c\":4,\"m\":{\"x\":1,\"z\":3}}");
	dst = yaml("b: null\n");
	src = yaml("b: 3\n");
	assert_non_null(helm_coalesce_tables(&ctx, dst, src, true));
	assert_string_equal(json(dst), "{\"b\":null}");
}

static void merge_maps_merges_recursively(void **state)
{
	struct hv *m = helm_merge_maps(&ctx, yaml("a: {b: 1, c: 2}\nd: [1]\n"),
				       yaml("a: {c: 3}\nd: [2]\n"));

	assert_string_equal(json(m), "{\"a\":{\"b\":1,\"c\":3},\"d\":[2]}");
}

static void helmignore_follows_helms_rules(void **state)
{
	static const char rules[] = "# comment\n*.swp\n/secret.txt\ndocs/\nci/*.yaml\n";
	struct helm_ignore *ig;

	assert_int_equal(helm_ignore_parse(&ctx, &ig, rules, sizeof(rules) - 1), 0);
	assert_true(helm_ignore_match(ig, "templates/a.swp", false));
	assert_true(helm_ignore_match(ig, "secret.txt", false));
	assert_false(helm_ignore_match(ig, "sub/secret.txt", false));
	assert_true(helm_ignore_match(ig, "docs", true));
	assert_false(helm_ignore_match(ig, "docs", false));
	assert_true(helm_ignore_match(ig, "ci/x.yaml", false));
	assert_true(helm_ignore_match(ig, "templates/.hidden", false));
	assert_false(helm_ignore_match(ig, "templates/a.yaml", false));
	assert_int_equal(helm_ignore_parse(&ctx, &ig, "a/**/b\n", 7), ERR_INVALID);
}

static void globs_follow_go_and_gobwas(void **state)
{
	assert_int_equal(go_path_match("templates/*.yaml", "templates/a.yaml"), 1);
	assert_int_equal(go_path_match("templates/*", "templates/sub/a.yaml"), 0);
	assert_int_equal(go_path_match("[^a]*", "bcd"), 1);
	assert_int_equal(go_path_match("a\\*b", "a*b"), 1);
	assert_int_equal(go_path_match("[", "a"), ERR_INVALID);
	assert_int_equal(gobwas_glob_match("files/*", "files/a.txt"), 1);
	assert_int_equal(gobwas_glob_match("files/*", "files/x/a.txt"), 0);
	assert_int_equal(gobwas_glob_match("files/**", "files/x/a.txt"), 1);
	assert_int_equal(gobwas_glob_match("*.{json,yaml}", "a.yaml"), 1);
	assert_int_equal(gobwas_glob_match("[!a]?", "bc"), 1);
	assert_int_equal(gobwas_glob_match("{a", "a"), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(set_types_values_as_helm, setup, teardown),
		cmocka_unit_test_setup_teardown(set_parses_lists_indexes_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(set_reports_helms_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(set_limits_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesce_tables_keeps_dst_and_deletes_on_null, setup,
						teardown),
		cmocka_unit_test_setup_teardown(merge_maps_merges_recursively, setup, teardown),
		cmocka_unit_test_setup_teardown(helmignore_follows_helms_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(globs_follow_go_and_gobwas, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
