/*
 * Unit tests for how kustomize types the scalars of its own files
 * (render/kustomize/yaml11.c and schema.c).
 *
 * Expected values were printed by kubectl kustomize (kustomize v5.5.0):
 * a float going into a configurations path became the label key shown
 * here ("1e+06" for 1e6), replicas counts came out as shown, and
 * namePrefix values were accepted or refused as shown
 * (tests/conformance/kustomize/scalar-*).
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"

static enum y11_type type_of(const char *s)
{
	struct y11_value v;

	assert_int_equal(kust_y11_resolve_text(s, &v), 0);
	return v.type;
}

static void yaml11_plain_scalars_resolve_as_go_yaml_v2(void **state)
{
	struct y11_value v;

	(void)state;
	assert_int_equal(type_of("y"), Y11_BOOL);
	assert_int_equal(type_of("Yes"), Y11_BOOL);
	assert_int_equal(type_of("off"), Y11_BOOL);
	assert_int_equal(type_of("yEs"), Y11_STR);
	assert_int_equal(type_of("~"), Y11_NULL);
	assert_int_equal(type_of(""), Y11_NULL);
	assert_int_equal(type_of("2001-12-14"), Y11_STR);
	assert_int_equal(type_of("1e400"), Y11_STR); /* ParseFloat overflows: a string */
	assert_int_equal(type_of("08"), Y11_FLOAT);
	kust_y11_resolve_text("0x10", &v);
	assert_int_equal(v.type, Y11_INT);
	assert_int_equal(v.i, 16);
	kust_y11_resolve_text("1_0", &v);
	assert_int_equal(v.i, 10);
	kust_y11_resolve_text("017", &v);
	assert_int_equal(v.i, 15);
	kust_y11_resolve_text("9223372036854775808", &v);
	assert_int_equal(v.type, Y11_UINT);
	kust_y11_resolve_text("-.inf", &v);
	assert_int_equal(v.type, Y11_FLOAT);
	assert_true(isinf(v.f) && v.f < 0);
}

static void floats_become_text_as_go_formats_float32(void **state)
{
	static const struct {
		double f;
		const char *want;
	} cases[] = {
		{ 1e6, "1e+06" }, { 123456, "123456" }, { 0.00001, "1e-05" },
		{ 0.0001, "0.0001" }, { 16777217.0, "1.6777216e+07" },
		{ 3.14159265, "3.1415927" }, { -2.5e-7, "-2.5e-07" }, { 1.10, "1.1" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		kust_go_float32_g(cases[i].f, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

/* Parses `text` as a kustomization and runs the schema over it. */
static int schema(const char *text, struct doc_stream **st)
{
	int r = doc_parse(st, text, strlen(text), "kustomization.yaml", NULL);

	return r ? r : kust_schema_check((*st)->arena, (*st)->docs[0]);
}

static void kustomization_fields_take_what_their_go_type_takes(void **state)
{
	struct doc_stream *st = NULL;

	(void)state;
	assert_int_equal(schema("namePrefix: yes\n", &st), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "kustomization.yaml:1:13: namePrefix: cannot unmarshal bool"));
	doc_stream_free(st);
	st = NULL;
	assert_int_equal(schema("namePrefix: \"123\"\n", &st), 0);
	doc_stream_free(st);
	st = NULL;
	/* Bools and integers are rewritten to what kustomize decoded. */
	assert_int_equal(schema("replicas: [{name: a, count: 0x10}, {name: b, count: 3.0}]\n"
				"labels: [{pairs: {a: b}, includeSelectors: on}]\n", &st), 0);
	assert_string_equal(doc_get_str(doc_map_get(st->docs[0], "replicas")->kids[0], "count", NULL), "16");
	assert_string_equal(doc_get_str(doc_map_get(st->docs[0], "replicas")->kids[1], "count", NULL), "3");
	assert_string_equal(doc_get_str(doc_map_get(st->docs[0], "labels")->kids[0], "includeSelectors", NULL), "true");
	doc_stream_free(st);
	st = NULL;
	assert_int_equal(schema("replicas: [{name: a, count: 2.5}]\n", &st), ERR_INVALID);
	doc_stream_free(st);
	st = NULL;
	assert_int_equal(schema("commonAnnotations: {\"1\": x}\n", &st), ERR_INVALID);
	doc_stream_free(st);
	st = NULL;
	assert_int_equal(schema("commonAnnotations: {\"yes\": x}\n", &st), 0);
	doc_stream_free(st);
	st = NULL;
	/*
	 * kubectl kustomize decodes `namePrefix: !!binary aGVsbG8t` to
	 * "hello-"; hoist does not decode base64, so it refuses.
	 */
	assert_int_equal(schema("namePrefix: !!binary aGVsbG8t\n", &st), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "kustomization.yaml:1:13: a !!binary scalar is not supported"));
	doc_stream_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(yaml11_plain_scalars_resolve_as_go_yaml_v2),
		cmocka_unit_test(floats_become_text_as_go_formats_float32),
		cmocka_unit_test(kustomization_fields_take_what_their_go_type_takes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
