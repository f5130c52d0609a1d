/*
 * Unit tests for kustomize replacements (render/kustomize/replace.c): the
 * field-path splitter (kyaml's SmarterPathSplitter) and a replacement run
 * over a small resource map.  The whole-build behaviour is checked against
 * kubectl kustomize in tests/conformance/kustomize/repl-*.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "render/kustomize/kust.h"
#include "model/doc.h"
#include "core/err.h"

/* Splits `path` and checks the parts against the NULL-terminated list. */
static void check_split(const char *path, ...)
{
	va_list ap;
	char **parts;
	size_t n, i;
	const char *want;

	kust_fieldpath_split(path, &parts, &n);
	va_start(ap, path);
	for (i = 0; (want = va_arg(ap, const char *)); i++) {
		assert_true(i < n);
		assert_string_equal(parts[i], want);
	}
	va_end(ap);
	assert_int_equal(i, n);
	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}

static void fieldpath_splits_on_dots(void **state UNUSED)
{
	check_split("metadata.name", "metadata", "name", NULL);
	check_split("spec", "spec", NULL);
	check_split("spec.template.spec.containers.0.image", "spec", "template", "spec",
		    "containers", "0", "image", NULL);
}

static void fieldpath_keeps_list_selectors_whole(void **state UNUSED)
{
	check_split("spec.containers.[name=com.foo.app].image", "spec", "containers",
		    "[name=com.foo.app]", "image", NULL);
	check_split("spec.args.[=-jar]", "spec", "args", "[=-jar]", NULL);
	check_split("spec.containers.[name=web].env.[name=A].value", "spec", "containers",
		    "[name=web]", "env", "[name=A]", "value", NULL);
}

static void fieldpath_brackets_quote_keys_with_dots(void **state UNUSED)
{
	check_split("metadata.annotations.[config.kubernetes.io/local-config]", "metadata",
		    "annotations", "config.kubernetes.io/local-config", NULL);
	/* A bracketed part without dots is not rejoined, so it keeps its brackets. */
	check_split("a.[b].c", "a", "[b]", "c", NULL);
}

static void fieldpath_backslash_escapes_a_dot(void **state UNUSED)
{
	check_split("metadata.labels.app\\.kubernetes\\.io/name", "metadata", "labels",
		    "app.kubernetes.io/name", NULL);
}

static void fieldpath_keeps_wildcards_and_empty_parts(void **state UNUSED)
{
	check_split("spec.containers.*.image", "spec", "containers", "*", "image", NULL);
	check_split("a..b", "a", "", "b", NULL);
	check_split("", "", NULL);
}

/* kubectl kustomize reads ".spec.x" as "spec.x" in sources and targets. */
static void fieldpath_drops_a_leading_dot(void **state UNUSED)
{
	check_split(".data.value", "data", "value", NULL);
	check_split(".spec.containers.[name=app].image", "spec", "containers", "[name=app]",
		    "image", NULL);
}

static const char resources[] =
	"apiVersion: v1\n"
	"kind: ConfigMap\n"
	"metadata: {name: src}\n"
	"data: {tag: v2, port: \"8080\"}\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata: {name: app}\n"
	"spec:\n"
	"  template:\n"
	"    spec:\n"
	"      containers:\n"
	"      - {name: web, image: \"web:v1\"}\n"
	"      - {name: webhook, image: \"hook:v1\"}\n"
	"      - {name: db, image: \"db:v1\"}\n";

static const char replacements[] =
	"- source: {kind: ConfigMap, fieldPath: data.tag}\n"
	"  targets:\n"
	"  - select: {kind: Deployment}\n"
	"    fieldPaths:\n"
	"    - spec.template.spec.containers.[name=web].image\n"
	"    options: {delimiter: ':', index: 1}\n"
	"- source: {kind: ConfigMap, fieldPath: data.port}\n"
	"  targets:\n"
	"  - select: {kind: Deployment}\n"
	"    fieldPaths: [metadata.annotations.port]\n"
	"    options: {create: true}\n";

static void run_replacements(const char *res, const char *reps, struct doc_stream **rs,
			     struct doc_stream **ps, struct kbuild *b, struct kresmap *m, int *rc)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	memset(m, 0, sizeof(*m));
	assert_int_equal(doc_parse(rs, res, strlen(res), "res.yaml", NULL), 0);
	assert_int_equal(doc_parse(ps, reps, strlen(reps), "kustomization.yaml", NULL), 0);
	b->arena = (*rs)->arena;
	for (i = 0; i < (*rs)->ndocs; i++)
		kresmap_add(m, (*rs)->docs[i], "res.yaml");
	*rc = kust_replacements(b, m, ".", (*ps)->docs[0]);
}

static void replacement_selectors_are_unanchored_regexps(void **state UNUSED)
{
	struct doc_stream *rs = NULL, *ps = NULL;
	struct kbuild b;
	struct kresmap m;
	const struct doc_node *c;
	struct doc_value v;
	int rc;

	run_replacements(resources, replacements, &rs, &ps, &b, &m, &rc);
	assert_int_equal(rc, 0);
	c = doc_map_get(doc_map_get(doc_map_get(doc_map_get(m.v[1].node, "spec"), "template"),
				    "spec"),
			"containers");
	/* [name=web] matches "web" and "webhook", as kyaml's PathMatcher does. */
	assert_string_equal(doc_get_str(c->kids[0], "image", NULL), "web:v2");
	assert_string_equal(doc_get_str(c->kids[1], "image", NULL), "hook:v2");
	assert_string_equal(doc_get_str(c->kids[2], "image", NULL), "db:v1");
	/* A created field reads its text as plain YAML: "8080" becomes a number. */
	assert_int_equal(doc_resolve(doc_map_get(doc_map_get(doc_map_get(m.v[1].node,
									      "metadata"),
								 "annotations"),
						 "port"),
				     &v),
			 0);
	assert_int_equal(v.type, DOC_T_INT);
	kresmap_release(&m);
	doc_stream_free(rs);
	doc_stream_free(ps);
}

static void replacement_without_source_fails(void **state UNUSED)
{
	struct doc_stream *rs = NULL, *ps = NULL;
	struct kbuild b;
	struct kresmap m;
	int rc;

	run_replacements(resources,
			 "- source: {kind: Secret}\n  targets: [{select: {kind: Deployment}}]\n",
			 &rs, &ps, &b, &m, &rc);
	assert_int_equal(rc, ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "nothing selected by kind=Secret"));
	kresmap_release(&m);
	doc_stream_free(rs);
	doc_stream_free(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fieldpath_splits_on_dots),
		cmocka_unit_test(fieldpath_keeps_list_selectors_whole),
		cmocka_unit_test(fieldpath_brackets_quote_keys_with_dots),
		cmocka_unit_test(fieldpath_backslash_escapes_a_dot),
		cmocka_unit_test(fieldpath_keeps_wildcards_and_empty_parts),
		cmocka_unit_test(fieldpath_drops_a_leading_dot),
		cmocka_unit_test(replacement_selectors_are_unanchored_regexps),
		cmocka_unit_test(replacement_without_source_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
