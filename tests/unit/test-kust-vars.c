/*
 * Unit tests for kustomize's $(NAME) expansion and `vars:` resolution
 * (render/kustomize/vars.c).
 *
 * Expected strings were printed by kubectl kustomize (kustomize v5.5.0)
 * for the same values (tests/conformance/kustomize/vars-*).
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "render/kustomize/kust.h"
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

static struct kvar test_vars[] = {
	{ .name = (char[]){ "SVC" }, .type = DOC_T_STR, .value = (char[]){ "p-svc" } },
	{ .name = (char[]){ "PORT" }, .type = DOC_T_INT, .value = (char[]){ "8080" } },
	{ .name = (char[]){ "ON" }, .type = DOC_T_BOOL, .value = (char[]){ "true" } },
	{ .name = (char[]){ "MAP" }, .type = DOC_T_NULL, .value = NULL }, /* a map: never substituted */
};

static void expect(const char *in, const char *want, enum doc_type want_type)
{
	struct strbuf sb = STRBUF_INIT;
	enum doc_type type;

	kvar_expand(&sb, &type, in, test_vars, ARRAY_SIZE(test_vars));
	assert_string_equal(sb.buf, want);
	assert_int_equal(type, want_type);
	strbuf_release(&sb);
}

static void expand_whole_reference_keeps_the_value_type(void **state UNUSED)
{
	expect("$(PORT)", "8080", DOC_T_INT);
	expect("$(ON)", "true", DOC_T_BOOL);
	expect("$(SVC)", "p-svc", DOC_T_STR);
}

static void expand_inside_a_string_prints_the_value(void **state UNUSED)
{
	expect("--p=$(PORT)", "--p=8080", DOC_T_STR);
	expect("$(SVC).default.svc:$(PORT)", "p-svc.default.svc:8080", DOC_T_STR);
	expect(" $(PORT)", " 8080", DOC_T_STR);
}

static void expand_leaves_unknown_and_incomplete_references(void **state UNUSED)
{
	expect("$(NOPE)", "$(NOPE)", DOC_T_STR);
	expect("$(MAP)", "$(MAP)", DOC_T_STR);
	expect("x$(", "x$(", DOC_T_STR);
	expect("$(SVC", "$(SVC", DOC_T_STR);
	expect("$x $", "$x $", DOC_T_STR);
	expect("", "", DOC_T_STR);
}

static void expand_reads_double_dollar_as_an_escape(void **state UNUSED)
{
	expect("x8080y$$(SVC)$(NOPE)$(", "x8080y$(SVC)$(NOPE)$(", DOC_T_STR);
	expect("$$$(SVC)", "$p-svc", DOC_T_STR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expand_whole_reference_keeps_the_value_type),
		cmocka_unit_test(expand_inside_a_string_prints_the_value),
		cmocka_unit_test(expand_leaves_unknown_and_incomplete_references),
		cmocka_unit_test(expand_reads_double_dollar_as_an_escape),
	};

	return cmocka_run_group_tests_name("kust-vars", tests, NULL, NULL);
}
