/*
 * Unit tests for the agent's parsers: agent.yaml, semver constraints,
 * kubeconfig, API Status errors, discovery documents, lists, and the
 * inventory's stored form.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "agent/agent.h"
#include "agent/inventory.h"
#include "agent/kube.h"
#include "agent/semver.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

static const char good_config[] =
	"apiVersion: hoist.dev/v1alpha1\n"
	"kind: Agent\n"
	"kubeconfig: /etc/kube/config\n"
	"namespace: hoist-system\n"
	"stateDir: /var/lib/hoist-agent\n"
	"listen: 127.0.0.1:8080\n"
	"tokenFile: /etc/hoist/token\n"
	"apps:\n"
	"  - name: web\n"
	"    source: registry.example.com/acme/web:prod\n"
	"    semver: \">=1.0.0 <2.0.0\"\n"
	"    namespace: web\n"
	"    prune: true\n"
	"    interval: 1m\n"
	"    timeout: 5m\n"
	"    verifyKey: /etc/hoist/cosign.pub\n"
	"    conflicts: fail\n"
	"    suspend: false\n"
	"  - name: pushed\n"
	"    source: push\n";

static void agent_config_reads_every_key_of_the_issue(void **state)
{
	struct agent_config c;

	assert_int_equal(agent_config_parse(&c, good_config, strlen(good_config), "agent.yaml"), 0);
	assert_string_equal(c.kubeconfig, "/etc/kube/config");
	assert_string_equal(c.namespace, "hoist-system");
	assert_string_equal(c.state_dir, "/var/lib/hoist-agent");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.token_file, "/etc/hoist/token");
	assert_int_equal(c.napps, 2);
	assert_string_equal(c.apps[0].semver, ">=1.0.0 <2.0.0");
	assert_int_equal(c.apps[0].interval_s, 60);
	assert_int_equal(c.apps[0].timeout_s, 300);
	assert_string_equal(c.apps[0].conflicts, "fail");
	assert_string_equal(c.apps[0].verify_key, "/etc/hoist/cosign.pub");
	assert_true(c.apps[0].prune);
	/* Defaults of the second app. */
	assert_string_equal(c.apps[1].conflicts, "force");
	assert_true(c.apps[1].prune);
	assert_false(c.apps[1].suspend);
	assert_int_equal(c.apps[1].interval_s, 60);
	assert_int_equal(c.apps[1].timeout_s, 300);
	assert_int_equal(c.apps[1].index, 1);
	assert_int_equal(c.concurrency_n, 16);
	assert_non_null(agent_config_app(&c, "pushed"));
	assert_null(agent_config_app(&c, "nope"));
	agent_config_release(&c);
}

static void expect_config_error(const char *text, const char *msg)
{
	struct agent_config c;

	assert_int_equal(agent_config_parse(&c, text, strlen(text), "agent.yaml"), ERR_INVALID);
	if (!strstr(err_msg(), msg)) {
		print_error("got '%s', want '%s'\n", err_msg(), msg);
		fail();
	}
}

static void agent_config_errors_name_file_line_and_column(void **state)
{
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\nlisen: x\n",
			    "agent.yaml:3:1: unknown key 'lisen'");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: push\n    timeout: soon\n",
			    "agent.yaml:6:14: 'timeout': 'soon' is not a duration");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: push\n    conflicts: ignore\n",
			    "agent.yaml:6:16: 'conflicts' has an unknown value 'ignore'");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n",
			    "agent.yaml:4:5: missing required key 'source' in apps[]");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: push\n  - name: a\n    source: push\n",
			    "agent.yaml:6:11: app 'a' is defined twice");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: Web\n"
			    "    source: push\n",
			    "agent.yaml:4:11: app name 'Web'");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: \"reg.example.com/a:1\"\n    semver: \">=banana\"\n",
			    "agent.yaml:6:13: semver constraint '>=banana': 'banana' is not a version");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: push\n    prune: maybe\n",
			    "agent.yaml:6:12: 'prune' must be true or false");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: push\n    namespace: Web_1\n",
			    "agent.yaml:6:16: namespace 'Web_1' is not a valid namespace name");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Deployment\n",
			    "agent.yaml:2:7: kind must be Agent");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\napps:\n  - name: a\n"
			    "    source: \"apps/web:1\"\n",
			    "agent.yaml:5:13:");
	expect_config_error("apiVersion: hoist.dev/v1alpha1\nkind: Agent\nkind: Agent\n",
			    "agent.yaml:3:1: mapping key \"kind\" already defined at line 2");
}

static bool matches(const char *c, const char *v)
{
	struct semver sv;

	assert_int_equal(semver_constraint_check(c), 0);
	assert_int_equal(semver_parse(&sv, v), 0);
	return semver_matches(c, &sv);
}

static void semver_constraints_follow_masterminds_rules(void **state)
{
	assert_true(matches(">=1.0.0 <2.0.0", "1.4.2"));
	assert_false(matches(">=1.0.0 <2.0.0", "2.0.0"));
	assert_true(matches(">=1.0.0, <2.0.0", "v1.0.0"));
	assert_true(matches("^1.2.3", "1.9.0"));
	assert_false(matches("^1.2.3", "1.2.2"));
	assert_true(matches("^0.2.3", "0.2.9"));
	assert_false(matches("^0.2.3", "0.3.0"));
	assert_false(matches("^0.0.3", "0.0.4"));
	assert_true(matches("~1.2.3", "1.2.9"));
	assert_false(matches("~1.2.3", "1.3.0"));
	assert_true(matches("~1", "1.9.9"));
	assert_true(matches("1.2.x", "1.2.7"));
	assert_false(matches("1.2.x", "1.3.0"));
	assert_true(matches("*", "5.0.0"));
	assert_true(matches("1.2 - 1.4.5", "1.4.5"));
	assert_false(matches("1.2 - 1.4.5", "1.4.6"));
	assert_true(matches("<1.0 || >=3", "3.1.0"));
	assert_false(matches("<1.0 || >=3", "2.0.0"));
	assert_true(matches("!=1.2.3", "1.2.4"));
	assert_true(matches("> 1.2", "1.3.0"));
	assert_false(matches("> 1.2", "1.2.5"));
	/* Prereleases only when the constraint names one. */
	assert_false(matches(">=1.0.0", "1.5.0-rc.1"));
	assert_true(matches(">=1.5.0-rc.0", "1.5.0-rc.1"));
	assert_true(matches(">=1.5.0-rc.2", "1.5.0"));
	assert_false(matches(">=1.5.0-rc.2", "1.5.0-rc.10") == false);
	assert_int_equal(semver_constraint_check(""), ERR_INVALID);
	assert_int_equal(semver_constraint_check(">=1.0 ||"), ERR_INVALID);
	assert_int_equal(semver_constraint_check("=>1"), ERR_INVALID);
}

static void semver_pick_takes_the_highest_matching_tag(void **state)
{
	const char *tags[] = { "latest", "1.0.0", "1.10.0", "1.9.3", "2.0.0", "v1.11.0-rc.1", "prod" };

	assert_string_equal(semver_pick(">=1.0.0 <2.0.0", (char *const *)tags, ARRAY_SIZE(tags)), "1.10.0");
	assert_string_equal(semver_pick("*", (char *const *)tags, ARRAY_SIZE(tags)), "2.0.0");
	assert_null(semver_pick(">=3", (char *const *)tags, ARRAY_SIZE(tags)));
}

static void kubeconfig_selects_the_current_context(void **state)
{
	static const char kc[] =
		"apiVersion: v1\nkind: Config\ncurrent-context: b\n"
		"clusters:\n"
		"- name: c1\n  cluster: {server: \"https://10.0.0.1:6443/\", certificate-authority-data: aGVsbG8=}\n"
		"- name: c2\n  cluster: {server: \"http://127.0.0.1:8001\", insecure-skip-tls-verify: true}\n"
		"users:\n"
		"- name: u1\n  user: {token: abc}\n"
		"- name: u2\n  user: {tokenFile: tok}\n"
		"contexts:\n"
		"- name: a\n  context: {cluster: c1, user: u1}\n"
		"- name: b\n  context: {cluster: c2, user: u2, namespace: team}\n";
	struct kube_conf *c;

	assert_int_equal(kube_conf_parse(&c, kc, strlen(kc), "kc", "/etc/kube", NULL), 0);
	assert_string_equal(c->server, "http://127.0.0.1:8001");
	assert_true(c->insecure);
	assert_string_equal(c->token_file, "/etc/kube/tok");
	assert_string_equal(c->namespace, "team");
	kube_conf_free(c);
	assert_int_equal(kube_conf_parse(&c, kc, strlen(kc), "kc", "/etc/kube", "a"), 0);
	assert_string_equal(c->server, "https://10.0.0.1:6443");
	assert_string_equal(c->ca.buf, "hello");
	assert_string_equal(c->token, "abc");
	assert_string_equal(c->namespace, "default");
	kube_conf_free(c);
	assert_int_equal(kube_conf_parse(&c, kc, strlen(kc), "kc", NULL, "zz"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "context 'zz' is not defined"));
}

static void status_errors_keep_the_servers_message_and_managers(void **state)
{
	/* A 409 from server-side apply, shaped as kube-apiserver writes it. */
	static const char conflict[] =
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		"\"message\":\"Apply failed with 1 conflict: conflict with \\\"kubectl-edit\\\" using apps/v1: .spec.replicas\","
		"\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":\"FieldManagerConflict\","
		"\"message\":\"conflict with \\\"kubectl-edit\\\" using apps/v1\",\"field\":\".spec.replicas\"}]},\"code\":409}";
	static const char invalid[] =
		"{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Invalid\",\"code\":422,"
		"\"details\":{\"causes\":[{\"field\":\"spec.replicas\",\"message\":\"must be non-negative\"}]}}";
	struct kube_status st;

	assert_int_equal(kube_status_parse(&st, conflict, strlen(conflict)), 0);
	assert_int_equal(st.code, 409);
	assert_string_equal(st.reason, "Conflict");
	assert_string_equal(st.managers.buf, "kubectl-edit");
	assert_non_null(strstr(st.message, ".spec.replicas"));
	kube_status_release(&st);
	assert_int_equal(kube_status_parse(&st, invalid, strlen(invalid)), 0);
	assert_string_equal(st.message, "spec.replicas: must be non-negative");
	kube_status_release(&st);
	assert_int_equal(kube_status_parse(&st, "{\"kind\":\"Pod\"}", 14), ERR_INVALID);
	assert_int_not_equal(kube_status_parse(&st, "<html>502</html>", 16), 0);
	assert_int_equal(kube_http_code(404), ERR_NOTFOUND);
	assert_int_equal(kube_http_code(409), ERR_CONFLICT);
	assert_int_equal(kube_http_code(403), ERR_AUTH);
	assert_int_equal(kube_http_code(422), ERR_INVALID);
	assert_int_equal(kube_http_code(503), ERR_RETRY);
}

static void discovery_reads_aggregated_and_legacy_documents(void **state)
{
	static const char agg[] =
		"{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\",\"metadata\":{},"
		"\"items\":[{\"metadata\":{\"name\":\"apps\"},\"versions\":[{\"version\":\"v1\",\"resources\":["
		"{\"resource\":\"deployments\",\"responseKind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
		"\"scope\":\"Namespaced\",\"verbs\":[\"get\"],\"subresources\":[{\"subresource\":\"status\"}]},"
		"{\"resource\":\"../../x\",\"responseKind\":{\"kind\":\"Evil\"},\"scope\":\"Cluster\"}]}]}]}";
	static const char legacy[] =
		"{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
		"{\"name\":\"namespaces\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[]},"
		"{\"name\":\"configmaps\",\"namespaced\":true,\"kind\":\"ConfigMap\",\"verbs\":[]},"
		"{\"name\":\"pods/status\",\"namespaced\":true,\"kind\":\"Pod\"}]}";
	static const char groups[] =
		"{\"kind\":\"APIGroupList\",\"groups\":[{\"name\":\"apps\",\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}]},"
		"{\"name\":\"x\",\"versions\":[{\"groupVersion\":\"x/../v1\"}]}]}";
	struct kube_discovery *d = xcalloc(1, sizeof(*d));
	const struct kube_resource *r;
	struct strbuf path = STRBUF_INIT;
	char **gvs;
	size_t n;

	assert_int_equal(kube_discovery_parse_aggregated(d, agg, strlen(agg)), 0);
	assert_int_equal(kube_discovery_parse_resources(d, "v1", legacy, strlen(legacy)), 0);
	r = kube_discovery_find(d, "apps/v1", "Deployment");
	assert_non_null(r);
	assert_string_equal(r->resource, "deployments");
	assert_true(r->namespaced);
	assert_true(r->has_status);
	assert_null(kube_discovery_find(d, "v1", "Evil"));
	r = kube_discovery_find(d, "v1", "Namespace");
	assert_non_null(r);
	assert_false(r->namespaced);
	kube_path(&path, r, "ignored", "web");
	assert_string_equal(path.buf, "/api/v1/namespaces/web");
	strbuf_reset(&path);
	kube_path(&path, kube_discovery_find(d, "v1", "ConfigMap"), "web", NULL);
	assert_string_equal(path.buf, "/api/v1/namespaces/web/configmaps");
	assert_null(kube_discovery_find(d, "v2", "ConfigMap"));
	assert_int_equal(kube_discovery_parse_groups(&gvs, &n, groups, strlen(groups)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(gvs[0], "apps/v1");
	free(gvs[0]);
	free(gvs);
	strbuf_release(&path);
	kube_discovery_free(d);
}

static void lists_give_items_and_the_continue_token(void **state)
{
	static const char list[] =
		"{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\",\"continue\":\"abc\"},"
		"\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}";
	struct doc_stream *s;
	struct doc_node *items;
	struct strbuf cont = STRBUF_INIT;

	assert_int_equal(kube_parse_list(&s, &items, &cont, list, strlen(list), "list"), 0);
	assert_int_equal(items->n, 2);
	assert_string_equal(cont.buf, "abc");
	doc_stream_free(s);
	assert_int_equal(kube_parse_list(&s, &items, &cont, "{\"items\":null,\"metadata\":{}}", 28, "l"), 0);
	assert_null(items);
	assert_string_equal(cont.buf, "");
	doc_stream_free(s);
	assert_int_equal(kube_parse_list(&s, &items, &cont, "{\"items\":[1]}", 13, "l"), ERR_INVALID);
	assert_int_equal(kube_parse_object(&s, "[]", 2, "x"), ERR_INVALID);
	strbuf_release(&cont);
}

static void reply_peek_finds_status_and_resource_version_or_declines(void **state)
{
	static const char cm[] =
		"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"data\":{\"k\":\"\\\"status\\\": x\"},"
		"\"metadata\":{\"name\":\"a\",\"annotations\":{\"resourceVersion\":\"no\"},"
		"\"resourceVersion\":\"42\",\"managedFields\":[{\"a\":[1,-2.5e3,true,null,{}]}]}}\n";
	static const char st[] = "{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{},"
				 "\"status\":{\"conditions\":[]}}";
	static const char *const declined[] = {
		"{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{},\"st\\u0061tus\":{}}",
		"{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{\"resourceVersion\":7}}",
		"{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{},\"metadata\":{}}",
		"{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{}} trailing",
		"{\"kind\":\"X\",\"apiVersion\":\"a/v1\",\"metadata\":{},\"a\":[1,]}",
		"{\"apiVersion\":\"a/v1\",\"metadata\":{}}",
		"[]",
		"",
	};
	char rv[64];
	bool has;
	size_t i;

	(void)state;
	assert_int_equal(kube_reply_peek(cm, strlen(cm), &has, rv, sizeof(rv)), 0);
	assert_false(has);
	assert_string_equal(rv, "42");
	assert_int_equal(kube_reply_peek(st, strlen(st), &has, rv, sizeof(rv)), 0);
	assert_true(has);
	assert_string_equal(rv, "");
	for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		has = false;
		assert_int_equal(kube_reply_peek(declined[i], strlen(declined[i]), &has, rv, sizeof(rv)),
				 ERR_INVALID);
		assert_true(has);
	}
}

static void inventory_round_trips_and_stays_small(void **state)
{
	struct inventory inv = { 0 }, back = { 0 };
	struct strbuf gz = STRBUF_INIT;
	char name[64];
	size_t i;

	for (i = 5000; i > 0; i--) {
		xsnprintf(name, sizeof(name), "config-%05zu", i);
		inventory_add(&inv, "v1", "ConfigMap", "web", name);
	}
	inventory_add(&inv, "apps/v1", "Deployment", "web", "api");
	inventory_add(&inv, "apps/v1beta1", "Deployment", "web", "api"); /* same object */
	inventory_add(&inv, "v1", "Namespace", "", "web");
	inventory_normalize(&inv);
	assert_int_equal(inv.n, 5002);
	assert_true(inventory_has(&inv, "apps/v2", "Deployment", "web", "api"));
	assert_false(inventory_has(&inv, "v1", "ConfigMap", "web", "config-05001"));
	assert_int_equal(inventory_encode(&inv, &gz), 0);
	/* 5,000 objects: far below etcd's 1.5 MiB object limit. */
	assert_true(gz.len < 64 * 1024);
	assert_int_equal(inventory_decode(&back, gz.buf, gz.len), 0);
	assert_int_equal(back.n, inv.n);
	for (i = 0; i < inv.n; i++) {
		assert_string_equal(back.v[i].name, inv.v[i].name);
		assert_string_equal(back.v[i].ns, inv.v[i].ns);
	}
	inventory_release(&back);
	/* Truncated and hostile stored forms are refused. */
	assert_int_not_equal(inventory_decode(&back, gz.buf, gz.len / 2), 0);
	inventory_release(&back);
	assert_int_not_equal(inventory_decode(&back, "not gzip", 8), 0);
	inventory_release(&back);
	inventory_release(&inv);
	strbuf_release(&gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agent_config_reads_every_key_of_the_issue),
		cmocka_unit_test(agent_config_errors_name_file_line_and_column),
		cmocka_unit_test(semver_constraints_follow_masterminds_rules),
		cmocka_unit_test(semver_pick_takes_the_highest_matching_tag),
		cmocka_unit_test(kubeconfig_selects_the_current_context),
		cmocka_unit_test(status_errors_keep_the_servers_message_and_managers),
		cmocka_unit_test(discovery_reads_aggregated_and_legacy_documents),
		cmocka_unit_test(lists_give_items_and_the_continue_token),
		cmocka_unit_test(reply_peek_finds_status_and_resource_version_or_declines),
		cmocka_unit_test(inventory_round_trips_and_stays_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
