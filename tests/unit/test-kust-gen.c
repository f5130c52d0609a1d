/*
 * Unit tests for the kustomize generators, content hashes and name back
 * references (render/kustomize/generator.c, nameref.c).
 *
 * Every expected hash and output below was printed by kubectl kustomize
 * (kustomize v5.5.0) for the same input; none comes from our own code.
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

struct fixture {
	struct doc_stream *s;
	struct kbuild b;
	struct kresmap m;
};

/* Parses `yaml` and adds its documents to the fixture's resource map. */
static void fixture_init(struct fixture *f, const char *yaml)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	assert_int_equal(doc_parse(&f->s, yaml, strlen(yaml), "test.yaml", &doc_limits_default),
			 0);
	f->b.arena = f->s->arena;
	for (i = 0; i < f->s->ndocs; i++)
		kresmap_add(&f->m, f->s->docs[i], "test.yaml");
}

static void fixture_release(struct fixture *f)
{
	kresmap_release(&f->m);
	doc_stream_free(f->s);
}

static struct doc_node *parse_one(struct fixture *f, const char *yaml)
{
	struct doc_stream *s;
	struct doc_node *n;

	assert_int_equal(doc_parse(&s, yaml, strlen(yaml), "k.yaml", &doc_limits_default), 0);
	n = doc_clone(f->b.arena, s->docs[0]);
	doc_stream_free(s);
	return n;
}

static char *emit_all(const struct kresmap *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (i)
			strbuf_addstr(&sb, "---\n");
		assert_int_equal(doc_emit_canonical(&sb, m->v[i].node), 0);
	}
	return strbuf_detach(&sb, NULL);
}

static void assert_hash(const char *yaml, const char *want)
{
	struct fixture f;
	char h[11];

	fixture_init(&f, yaml);
	assert_int_equal(kust_content_hash(f.m.v[0].node, h), 0);
	assert_string_equal(h, want);
	fixture_release(&f);
}

static void hash_of_empty_configmap_ignores_the_name(void **state)
{
	(void)state;
	/* kubectl kustomize named this "empty-6ct58987ht". */
	assert_hash("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: empty\n", "6ct58987ht");
	assert_hash("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n", "6ct58987ht");
}

static void hash_of_secret_covers_data_and_type(void **state)
{
	(void)state;
	assert_hash("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec\n"
		    "data:\n  a: Yg==\ntype: kubernetes.io/tls\n", "92982c4m8f");
	assert_hash("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec2\n"
		    "  labels: {l: v}\nimmutable: true\ndata:\n  a: Yg==\ntype: Opaque\n",
		    "k695gkmbtk");
	assert_hash("apiVersion: v1\nkind: Secret\nmetadata:\n  name: empty\n"
		    "data: {}\ntype: Opaque\n", "46f8b28mk5");
}

static void hash_of_configmap_with_binary_data(void **state)
{
	(void)state;
	assert_hash("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
		    "binaryData:\n  bin.dat: AP8B\n"
		    "data:\n  A: \"1\"\n  'B ': ' 2 '\n  C: \"\"\n  D: '\"q\"'\n  e: \"\"\n"
		    "  f.txt: \"hello\\n\"\n  k2: \"hello\\n\"\n  w: ' sp'\n  x: \"1\"\n"
		    "  \"y\": quoted\n  z: single\n",
		    "9t74h57b26");
}

static void hash_escapes_html_as_go_json_does(void **state)
{
	(void)state;
	assert_hash("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: html\n"
		    "data:\n  f: \"a<b>&c\\L\\t\\\"\\\\\xc3\xa9\\n\"\n", "hkf9bkt5ht");
}

static void generator_literals_envs_and_options_match_kustomize(void **state)
{
	struct fixture f;
	struct doc_node *k;
	char *out;

	(void)state;
	fixture_init(&f, "");
	k = parse_one(&f, "generatorOptions:\n"
			  "  labels: {g: global, both: global}\n"
			  "  annotations: {ga: \"1\"}\n"
			  "  immutable: true\n"
			  "configMapGenerator:\n"
			  "- name: cm2\n"
			  "  literals: [K1=v1, K2=v2, \"K3=a=b\", K9=dup]\n"
			  "secretGenerator:\n"
			  "- name: sec\n"
			  "  literals: [a=\"b\"]\n"
			  "  type: kubernetes.io/tls\n"
			  "  options: {disableNameSuffixHash: true, labels: {both: local}}\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", doc_map_get(k, "configMapGenerator"),
					 doc_map_get(k, "secretGenerator"),
					 doc_map_get(k, "generatorOptions")),
			 0);
	assert_int_equal(f.m.n, 2);
	assert_true(f.m.v[0].generated && f.m.v[0].needs_hash);
	assert_false(f.m.v[1].needs_hash);
	assert_int_equal(kust_hash_names(&f.b, &f.m), 0);
	out = emit_all(&f.m);
	assert_string_equal(out,
			    "apiVersion: v1\n"
			    "data:\n"
			    "  K1: v1\n"
			    "  K2: v2\n"
			    "  K3: a=b\n"
			    "  K9: dup\n"
			    "immutable: true\n"
			    "kind: ConfigMap\n"
			    "metadata:\n"
			    "  annotations:\n"
			    "    ga: \"1\"\n"
			    "  labels:\n"
			    "    both: global\n"
			    "    g: global\n"
			    "  name: cm2-tbk2bk7849\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "data:\n"
			    "  a: Yg==\n"
			    "immutable: true\n"
			    "kind: Secret\n"
			    "metadata:\n"
			    "  annotations:\n"
			    "    ga: \"1\"\n"
			    "  labels:\n"
			    "    both: local\n"
			    "    g: global\n"
			    "  name: sec\n"
			    "type: kubernetes.io/tls\n");
	free(out);
	fixture_release(&f);
}

static void generator_refuses_repeated_keys_and_bad_literals(void **state)
{
	struct fixture f;
	struct doc_node *k;

	(void)state;
	fixture_init(&f, "");
	k = parse_one(&f, "- name: cm\n  literals: [a=1, a=2]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), ERR_INVALID);
	assert_string_equal(err_msg(), "configmap cm illegally repeats the key `a`");
	k = parse_one(&f, "- name: cm\n  literals: [noeq]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), ERR_INVALID);
	k = parse_one(&f, "- literals: [a=1]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), ERR_INVALID);
	/* kustomize does not validate keys: "a b" and "a/b" are accepted. */
	k = parse_one(&f, "- name: cm\n  literals: [a b=c, a/b=c]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), 0);
	assert_int_equal(f.m.n, 1);
	fixture_release(&f);
}

static void merge_keeps_old_name_and_needs_both_hashes(void **state)
{
	struct fixture f;
	struct doc_node *k;
	char *out;

	(void)state;
	/* A plain ConfigMap from a base, merged by an overlay's generator. */
	fixture_init(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"
			 "  namespace: default\n  labels: {a: b}\nimmutable: true\n"
			 "data:\n  k: v\n  n: 1\n");
	k = parse_one(&f, "- name: plain\n  behavior: merge\n  literals: [x=y]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), 0);
	assert_int_equal(f.m.n, 1);
	assert_false(f.m.v[0].needs_hash);
	assert_int_equal(kust_hash_names(&f.b, &f.m), 0);
	out = emit_all(&f.m);
	assert_string_equal(out, "apiVersion: v1\n"
				 "data:\n"
				 "  k: v\n"
				 "  \"n\": \"1\"\n"
				 "  x: \"y\"\n"
				 "kind: ConfigMap\n"
				 "metadata:\n"
				 "  labels:\n"
				 "    a: b\n"
				 "  name: plain\n"
				 "  namespace: default\n");
	free(out);
	k = parse_one(&f, "- name: plain\n  literals: [x=y]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), ERR_INVALID);
	k = parse_one(&f, "- name: nothere\n  behavior: replace\n  literals: [x=y]\n");
	assert_int_equal(kust_generators(&f.b, &f.m, ".", k, NULL, NULL), ERR_INVALID);
	fixture_release(&f);
}

static void name_refs_follow_prefix_and_hash(void **state)
{
	struct fixture f;
	const struct doc_node *vols;
	const char *v;
	size_t i;

	(void)state;
	fixture_init(&f,
		     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
		     "spec:\n  template:\n    spec:\n      serviceAccountName: sa\n"
		     "      volumes: [{name: v, configMap: {name: cfg}}]\n"
		     "      containers:\n      - name: c\n"
		     "        envFrom: [{secretRef: {name: other}}]\n"
		     "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
		     "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"
		     "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
		     "metadata: {name: rb}\n"
		     "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n"
		     "subjects:\n- {kind: ServiceAccount, name: sa, namespace: default}\n");
	for (i = 0; i < f.m.n; i++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "p-%s", kres_name(&f.m.v[i]));
		kres_set_name(&f.b, &f.m.v[i], sb.buf);
		strbuf_release(&sb);
	}
	f.m.v[1].needs_hash = true;
	assert_int_equal(kust_hash_names(&f.b, &f.m), 0);
	assert_string_equal(kres_name(&f.m.v[1]), "p-cfg-6ct58987ht");
	assert_int_equal(kust_fix_name_refs(&f.b, &f.m), 0);
	v = doc_get_str(f.m.v[0].node, "spec", "template", "spec", "serviceAccountName", NULL);
	assert_string_equal(v, "p-sa");
	vols = doc_map_get(doc_map_get(doc_map_get(doc_map_get(f.m.v[0].node, "spec"),
						   "template"), "spec"), "volumes");
	assert_non_null(vols);
	v = doc_get_str(vols->kids[0], "configMap", "name", NULL);
	assert_non_null(v);
	assert_string_equal(v, "p-cfg-6ct58987ht");
	/* The subject's namespace stays: the ServiceAccount has none. */
	assert_string_equal(doc_get_str(doc_map_get(f.m.v[3].node, "subjects")->kids[0], "name",
					NULL),
			    "p-sa");
	assert_string_equal(doc_get_str(doc_map_get(f.m.v[3].node, "subjects")->kids[0],
					"namespace", NULL),
			    "default");
	/* Nothing was named "r", and "other" is no object of the build. */
	assert_string_equal(doc_get_str(f.m.v[3].node, "roleRef", "name", NULL), "r");
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_of_empty_configmap_ignores_the_name),
		cmocka_unit_test(hash_of_secret_covers_data_and_type),
		cmocka_unit_test(hash_of_configmap_with_binary_data),
		cmocka_unit_test(hash_escapes_html_as_go_json_does),
		cmocka_unit_test(generator_literals_envs_and_options_match_kustomize),
		cmocka_unit_test(generator_refuses_repeated_keys_and_bad_literals),
		cmocka_unit_test(merge_keeps_old_name_and_needs_both_hashes),
		cmocka_unit_test(name_refs_follow_prefix_and_hash),
	};

	return cmocka_run_group_tests_name("kust-gen", tests, NULL, NULL);
}
