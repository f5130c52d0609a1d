/*
 * Unit tests for the line diff behind `hoist diff`: hunks, context,
 * ranges and end-of-file handling, against unified diffs written by hand
 * (each checked once against GNU `diff -u`).
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "render/diff.h"
#include "core/strbuf.h"

static void check_diff(const char *a, const char *b, const char *want)
{
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(diff_unified(&out, a, strlen(a), b, strlen(b), "a", "b", DIFF_CONTEXT), 0);
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static void seq(struct strbuf *sb, int from, int to)
{
	int i;

	for (i = from; i <= to; i++)
		strbuf_addf(sb, "%d\n", i);
}

static void diff_of_equal_texts_is_empty(void **state)
{
	check_diff("", "", "");
	check_diff("a\nb\n", "a\nb\n", "");
}

static void diff_shows_three_lines_of_context(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	seq(&a, 1, 10);
	seq(&b, 1, 4);
	strbuf_addstr(&b, "five\n");
	seq(&b, 6, 10);
	check_diff(a.buf, b.buf,
		   "--- a\n+++ b\n"
		   "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
	strbuf_release(&a);
	strbuf_release(&b);
}

static void diff_splits_distant_changes_into_two_hunks(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	seq(&a, 1, 20);
	strbuf_addstr(&b, "1\ntwo\n");
	seq(&b, 3, 17);
	strbuf_addstr(&b, "eighteen\n19\n20\n");
	check_diff(a.buf, b.buf,
		   "--- a\n+++ b\n"
		   "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
		   "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n");
	strbuf_release(&a);
	strbuf_release(&b);
}

static void diff_merges_changes_six_lines_apart(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	seq(&a, 1, 20);
	strbuf_addstr(&b, "1\ntwo\n");
	seq(&b, 3, 7);
	strbuf_addstr(&b, "eight\n");
	seq(&b, 9, 20);
	check_diff(a.buf, b.buf,
		   "--- a\n+++ b\n"
		   "@@ -1,11 +1,11 @@\n 1\n-2\n+two\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n 9\n 10\n 11\n");
	strbuf_release(&a);
	strbuf_release(&b);
}

static void diff_ranges_follow_diff_u_conventions(void **state)
{
	/* An empty side names the line before it; a count of one is left out. */
	check_diff("", "x\ny\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	check_diff("x\ny\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n");
	check_diff("x\n", "y\n", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n");
}

static void diff_finds_insertions_and_deletions_at_both_ends(void **state)
{
	check_diff("a\nb\nc\nd\n", "x\na\nc\nd\ny\n",
		   "--- a\n+++ b\n@@ -1,4 +1,5 @@\n+x\n a\n-b\n c\n d\n+y\n");
	check_diff("a\nb\nc\n", "b\nc\n", "--- a\n+++ b\n@@ -1,3 +1,2 @@\n-a\n b\n c\n");
}

static void diff_marks_a_missing_final_newline(void **state)
{
	check_diff("a\nb", "a\nc",
		   "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
		   "+c\n\\ No newline at end of file\n");
	/* Only the newline differs: still a change. */
	check_diff("a\n", "a", "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
}

static void diff_is_minimal_for_a_yaml_object(void **state)
{
	check_diff("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
		   "  replicas: 1\n  template:\n    spec:\n      containers:\n      - image: web:1\n"
		   "        name: web\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
		   "  replicas: 3\n  template:\n    spec:\n      containers:\n      - image: web:2\n"
		   "        name: web\n",
		   "--- a\n+++ b\n@@ -3,9 +3,9 @@\n metadata:\n   name: web\n spec:\n"
		   "-  replicas: 1\n+  replicas: 3\n   template:\n     spec:\n       containers:\n"
		   "-      - image: web:1\n+      - image: web:2\n         name: web\n");
}

static void diff_of_unrelated_large_texts_replaces_everything(void **state)
{
	/* Past Myers' step bound the diff deletes all old lines and adds all new. */
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, out = STRBUF_INIT;
	size_t minus = 0, plus = 0;
	const char *p;

	seq(&a, 1, 3000);
	seq(&b, 10001, 13000);
	assert_int_equal(diff_unified(&out, a.buf, a.len, b.buf, b.len, "a", "b", 3), 0);
	for (p = out.buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		minus += *p == '-' && p[1] != '-';
		plus += *p == '+' && p[1] != '+';
	}
	assert_int_equal(minus, 3000);
	assert_int_equal(plus, 3000);
	assert_non_null(strstr(out.buf, "@@ -1,3000 +1,3000 @@\n"));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_of_equal_texts_is_empty),
		cmocka_unit_test(diff_shows_three_lines_of_context),
		cmocka_unit_test(diff_splits_distant_changes_into_two_hunks),
		cmocka_unit_test(diff_merges_changes_six_lines_apart),
		cmocka_unit_test(diff_ranges_follow_diff_u_conventions),
		cmocka_unit_test(diff_finds_insertions_and_deletions_at_both_ends),
		cmocka_unit_test(diff_marks_a_missing_final_newline),
		cmocka_unit_test(diff_is_minimal_for_a_yaml_object),
		cmocka_unit_test(diff_of_unrelated_large_texts_replaces_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
