/*
 * Unit tests for the kustomize engine's patches (render/kustomize/patch*.c).
 * Every expected output was produced by `kubectl kustomize` (v5.5) on the
 * same input, never by hoist.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/kustomize/kust.h"
#include "render/kustomize/kpatch.h"

struct fixture {
	struct arena *a;
	struct kbuild b;
	struct kresmap m;
	struct doc_stream *st[4];
	size_t nst;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->a = arena_new();
	f->b.arena = f->a;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	kresmap_release(&f->m);
	for (i = 0; i < f->nst; i++)
		doc_stream_free(f->st[i]);
	arena_free(f->a);
	free(f);
	return 0;
}

static struct doc_stream *parse(struct fixture *f, const char *text)
{
	struct doc_stream *s = NULL;

	if (doc_parse(&s, text, strlen(text), "test.yaml", NULL))
		fail_msg("parse: %s", err_msg());
	f->st[f->nst++] = s;
	return s;
}

/* Adds every document of `text` to the resmap, cloned into the build's arena. */
static void add_resources(struct fixture *f, const char *text)
{
	struct doc_stream *s = parse(f, text);
	size_t i;

	for (i = 0; i < s->ndocs; i++)
		kresmap_add(&f->m, doc_clone(f->a, s->docs[i]), "test.yaml");
}

static void assert_resmap(struct fixture *f, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	size_t i;

	for (i = 0; i < f->m.n; i++) {
		if (i)
			strbuf_addstr(&out, "---\n");
		if (doc_emit_canonical(&out, f->m.v[i].node))
			fail_msg("emit: %s", err_msg());
	}
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static const char deployment[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: web\n"
	"spec:\n"
	"  template:\n"
	"    spec:\n"
	"      containers:\n"
	"      - name: app\n"
	"        image: app:1\n"
	"        env:\n"
	"        - {name: A, value: \"1\"}\n"
	"        - {name: B, value: \"2\"}\n"
	"      - name: side\n"
	"        image: side:1\n"
	"      volumes:\n"
	"      - {name: data, emptyDir: {}}\n"
	"      - {name: cfg, configMap: {name: cfg}}\n"
	"      tolerations:\n"
	"      - {key: a, operator: Exists}\n";

static void smp_merges_containers_by_name_patch_items_first(void **state)
{
	struct fixture *f = *state;
	struct doc_stream *p = parse(f, "apiVersion: apps/v1\nkind: Deployment\n"
				     "metadata: {name: web}\n"
				     "spec:\n  template:\n    spec:\n      containers:\n"
				     "      - {name: new, image: new:1}\n"
				     "      - name: app\n        image: app:2\n"
				     "        env: [{name: C, value: \"3\"}, {name: A, value: \"9\"}]\n"
				     "      volumes:\n      - {name: cfg, $patch: delete}\n"
				     "      - {name: extra, secret: {secretName: s}}\n"
				     "      tolerations: [{key: b, operator: Exists}]\n");
	bool deleted;

	add_resources(f, deployment);
	assert_int_equal(ksmp_merge(f->a, f->m.v[0].node, p->docs[0], &deleted), 0);
	assert_false(deleted);
	assert_resmap(f, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		      "spec:\n  template:\n    spec:\n      containers:\n"
		      "      - image: new:1\n        name: new\n"
		      "      - env:\n        - name: C\n          value: \"3\"\n"
		      "        - name: A\n          value: \"9\"\n"
		      "        - name: B\n          value: \"2\"\n"
		      "        image: app:2\n        name: app\n"
		      "      - image: side:1\n        name: side\n"
		      "      tolerations:\n      - key: b\n        operator: Exists\n"
		      "      volumes:\n      - name: extra\n        secret:\n"
		      "          secretName: s\n      - emptyDir: {}\n        name: data\n");
}

static void smp_null_removes_and_replace_directive_replaces(void **state)
{
	struct fixture *f = *state;
	struct doc_stream *p = parse(f, "apiVersion: apps/v1\nkind: Deployment\n"
				     "metadata: {name: web}\n"
				     "spec:\n  template:\n    spec:\n      containers:\n"
				     "      - {name: side, $patch: delete}\n"
				     "      - name: app\n        env:\n        - $patch: replace\n"
				     "        - {name: Z, value: \"0\"}\n"
				     "      volumes: null\n      tolerations: null\n");
	bool deleted;

	add_resources(f, deployment);
	assert_int_equal(ksmp_merge(f->a, f->m.v[0].node, p->docs[0], &deleted), 0);
	assert_resmap(f, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		      "spec:\n  template:\n    spec:\n      containers:\n"
		      "      - env:\n        - name: Z\n          value: \"0\"\n"
		      "        image: app:1\n        name: app\n");
}

static void smp_lists_of_unknown_kinds_are_replaced(void **state)
{
	struct fixture *f = *state;
	struct doc_stream *p = parse(f, "apiVersion: example.com/v1\nkind: Foo\n"
				     "metadata: {name: foo}\nspec:\n  items: [{name: c, v: 3}]\n");
	bool deleted;

	add_resources(f, "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: foo}\n"
			 "spec:\n  items: [{name: a, v: 1}, {name: b, v: 2}]\n");
	assert_int_equal(ksmp_merge(f->a, f->m.v[0].node, p->docs[0], &deleted), 0);
	assert_resmap(f, "apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: foo\n"
		      "spec:\n  items:\n  - name: c\n    v: 3\n");
}

static void smp_top_level_delete_removes_the_object(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, deployment);
	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	patches = parse(f, "- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n"
			   "    metadata: {name: web}\n    $patch: delete\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), 0);
	assert_resmap(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
}

static void smp_without_match_names_the_id(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, deployment);
	patches = parse(f, "- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n"
			   "    metadata: {name: other}\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "no matches for Id Deployment.v1.apps/other.[noNs]"));
}

static void json6902_ops_apply_in_order(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
			 "  annotations: {a/b: x, t~n: y}\ndata:\n  list: [a, b, c]\n");
	patches = parse(f, "- target: {kind: ConfigMap, name: \"(cm|other)\"}\n"
			   "  patch: |\n"
			   "    - {op: remove, path: /metadata/annotations/a~1b}\n"
			   "    - {op: replace, path: /metadata/annotations/t~0n, value: z}\n"
			   "    - {op: add, path: /data/list/-, value: d}\n"
			   "    - {op: add, path: /data/list/0, value: first}\n"
			   "    - {op: move, from: /data/list, path: /data/moved}\n"
			   "    - {op: copy, from: /data/moved/1, path: /data/copied}\n"
			   "    - {op: test, path: /data/copied, value: a}\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), 0);
	assert_resmap(f, "apiVersion: v1\ndata:\n  copied: a\n  moved:\n  - first\n  - a\n"
		      "  - b\n  - c\n  - d\nkind: ConfigMap\nmetadata:\n  annotations:\n"
		      "    t~n: z\n  name: cm\n");
}

static void json6902_failing_op_names_index_and_path(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	patches = parse(f, "- target: {kind: ConfigMap}\n  patch: |\n"
			   "    - {op: test, path: /metadata/name, value: cm}\n"
			   "    - {op: replace, path: /data/x, value: 1}\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "operation 1 (replace /data/x)"));
	assert_non_null(strstr(err_msg(), "ConfigMap.v1.[noGrp]/cm.[noNs]"));
}

static void json6902_needs_a_target(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	patches = parse(f, "- patch: '[{\"op\": \"remove\", \"path\": \"/data\"}]'\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "must specify a target for JSON patch"));
}

static void targeted_smp_keeps_name_and_kind_unless_allowed(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, "apiVersion: v1\nkind: Deployment\nmetadata: {name: old-name}\n");
	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	patches = parse(f, "- target: {kind: Deployment}\n  patch: |\n"
			   "    kind: StatefulSet\n    metadata: {name: new-name}\n"
			   "- target: {kind: ConfigMap}\n  options: {allowNameChange: true}\n"
			   "  patch: |\n    kind: ConfigMap\n    metadata: {name: cm2}\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), 0);
	assert_resmap(f, "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: old-name\n---\n"
		      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm2\n");
	assert_int_equal(f->m.v[1].nnames, 2);
	assert_string_equal(f->m.v[1].names[0], "cm");
}

static void label_selector_picks_targets(void **state)
{
	struct fixture *f = *state;
	struct doc_node *patches;

	add_resources(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
			 "  labels: {tier: web, env: prod}\n---\n"
			 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
			 "  labels: {tier: web, env: dev}\n---\n"
			 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
	patches = parse(f, "- target: {labelSelector: \"tier in (web, cache),env!=dev\"}\n"
			   "  patch: |\n    - {op: add, path: /data, value: {hit: \"y\"}}\n")->docs[0];
	assert_int_equal(kust_patches(&f->b, &f->m, "", patches), 0);
	assert_non_null(doc_map_get(f->m.v[0].node, "data"));
	assert_null(doc_map_get(f->m.v[1].node, "data"));
	assert_null(doc_map_get(f->m.v[2].node, "data"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(smp_merges_containers_by_name_patch_items_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(smp_null_removes_and_replace_directive_replaces,
						setup, teardown),
		cmocka_unit_test_setup_teardown(smp_lists_of_unknown_kinds_are_replaced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(smp_top_level_delete_removes_the_object, setup,
						teardown),
		cmocka_unit_test_setup_teardown(smp_without_match_names_the_id, setup, teardown),
		cmocka_unit_test_setup_teardown(json6902_ops_apply_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(json6902_failing_op_names_index_and_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(json6902_needs_a_target, setup, teardown),
		cmocka_unit_test_setup_teardown(targeted_smp_keeps_name_and_kind_unless_allowed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(label_selector_picks_targets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
