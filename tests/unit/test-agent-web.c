/*
 * test-agent-web.c - the web page's pieces (agent/web.c): escaping, the
 * form and cookie parsers, sessions and CSRF tokens, the pages rendered
 * from the API's documents; and the metrics' text (agent/metrics.c).
 * The server side is exercised end to end, in Chromium, by t5105-agent-web.sh.
 */
#include "core/compat.h"
#include "agent/metrics.h"
#include "agent/web.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

static void esc(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	html_esc(&sb, in);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void html_escapes_every_special_character(void **state)
{
	esc("", "");
	esc("plain text", "plain text");
	esc("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	esc("a\"b&c", "a&quot;b&amp;c");
	esc("&amp;", "&amp;amp;");
	esc("é ü", "é ü");
}

static void form(const char *body, const char *name, int rc, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(web_form_get(body, strlen(body), name, &sb), rc);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
	err_clear();
}

static void form_fields_are_decoded(void **state)
{
	form("token=abc&csrf=12", "token", 0, "abc");
	form("token=abc&csrf=12", "csrf", 0, "12");
	form("a=1&token=a+b%2Bc%3d&", "token", 0, "a b+c=");
	form("to%6ben=x", "token", 0, "x");
	form("token=", "token", 0, "");
	form("token", "token", 0, "");
	form("&&token=1&token=2", "token", 0, "1");
	form("tokens=1", "token", ERR_NOTFOUND, "");
	form("", "token", ERR_NOTFOUND, "");
	form("token=%4", "token", ERR_INVALID, "");
	form("token=%zz", "token", ERR_INVALID, "");
	form("token=a%00b", "token", ERR_INVALID, "");
	form("x=%", "token", ERR_NOTFOUND, ""); /* other fields' values are not decoded */
	form("%=1&token=2", "token", ERR_INVALID, "");
}

static void cookie(const char *hdr, int rc, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(web_cookie_get(hdr, "hoist_session", &sb), rc);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void cookies_are_found_by_exact_name(void **state)
{
	cookie("hoist_session=v1.1.a.b", 0, "v1.1.a.b");
	cookie("a=1; hoist_session=xyz; b=2", 0, "xyz");
	cookie("a=1;hoist_session=\"q\"", 0, "q");
	cookie("hoist_session_x=1; xhoist_session=2", ERR_NOTFOUND, "");
	cookie("", ERR_NOTFOUND, "");
	cookie("hoist_session", ERR_NOTFOUND, "");
}

static void sessions_are_signed_bound_to_the_token_and_expire(void **state)
{
	unsigned char key[WEB_KEY_SIZE], other[WEB_KEY_SIZE];
	struct strbuf s = STRBUF_INIT, s2 = STRBUF_INIT, bad = STRBUF_INIT;
	char csrf[WEB_CSRF_SIZE], csrf2[WEB_CSRF_SIZE];
	time_t now = 1700000000;

	assert_int_equal(web_key_new(key), 0);
	assert_int_equal(web_key_new(other), 0);
	web_session_new(&s, key, "tok", now);
	assert_true(web_session_ok(s.buf, key, "tok", now, csrf));
	assert_int_equal(strlen(csrf), 64);
	assert_true(web_session_ok(s.buf, key, "tok", now + WEB_SESSION_TTL - 1, NULL));
	/* Expired, another key (a restart), a rotated token. */
	assert_false(web_session_ok(s.buf, key, "tok", now + WEB_SESSION_TTL, NULL));
	assert_false(web_session_ok(s.buf, other, "tok", now, NULL));
	assert_false(web_session_ok(s.buf, key, "tok2", now, NULL));
	assert_false(web_session_ok(s.buf, key, "", now, NULL));
	/* A later expiry with the old MAC is not accepted. */
	strbuf_addstr(&bad, "v1.9");
	strbuf_addstr(&bad, s.buf + 3);
	assert_false(web_session_ok(bad.buf, key, "tok", now, NULL));
	/* One changed MAC digit. */
	strbuf_reset(&bad);
	strbuf_addbuf(&bad, &s);
	bad.buf[bad.len - 1] = bad.buf[bad.len - 1] == '0' ? '1' : '0';
	assert_false(web_session_ok(bad.buf, key, "tok", now, NULL));
	assert_false(web_session_ok("v1.", key, "tok", now, NULL));
	assert_false(web_session_ok("", key, "tok", now, NULL));
	assert_false(web_session_ok(NULL, key, "tok", now, NULL));
	/* Each session has its own CSRF token. */
	web_session_new(&s2, key, "tok", now);
	assert_true(web_session_ok(s2.buf, key, "tok", now, csrf2));
	assert_string_not_equal(csrf, csrf2);
	assert_true(web_secret_equal(csrf, csrf));
	assert_false(web_secret_equal(csrf2, csrf));
	assert_false(web_secret_equal("", ""));
	assert_false(web_secret_equal(NULL, csrf));
	strbuf_release(&s);
	strbuf_release(&s2);
	strbuf_release(&bad);
}

static void origin_must_be_this_agent(void **state)
{
	assert_true(web_origin_ok(NULL, NULL, "h:1", false));
	assert_true(web_origin_ok("http://h:1", "same-origin", "h:1", false));
	assert_true(web_origin_ok("https://h:1", NULL, "h:1", true));
	assert_false(web_origin_ok("http://h:1", NULL, "h:1", true));
	assert_false(web_origin_ok("http://evil:1", NULL, "h:1", false));
	assert_false(web_origin_ok("http://h:1.evil", NULL, "h:1", false));
	assert_false(web_origin_ok("null", NULL, "h:1", false));
	assert_false(web_origin_ok(NULL, "cross-site", "h:1", false));
	assert_false(web_origin_ok(NULL, "same-site", "h:1", false));
	assert_false(web_origin_ok("http://h:1", NULL, NULL, false));
}

static void routes_of_the_page(void **state)
{
	char app[API_APP_MAX + 1];

	assert_int_equal(web_route("GET", "/", app), WEB_INDEX);
	assert_int_equal(web_route("GET", "/app/web", app), WEB_APP);
	assert_string_equal(app, "web");
	assert_int_equal(web_route("POST", "/app/web/approve", app), WEB_APPROVE);
	assert_int_equal(web_route("POST", "/app/web/sync", app), WEB_SYNC);
	assert_int_equal(web_route("GET", "/app/web/sync", app), WEB_BAD_METHOD);
	assert_string_equal(app, "");
	assert_int_equal(web_route("GET", "/app/../etc", app), WEB_NONE);
	assert_int_equal(web_route("GET", "/app/W", app), WEB_NONE);
	assert_int_equal(web_route("POST", "/login", app), WEB_LOGIN);
	assert_int_equal(web_route("GET", "/login", app), WEB_LOGIN_FORM);
	assert_int_equal(web_route("GET", "/logout", app), WEB_BAD_METHOD);
	assert_int_equal(web_route("GET", "/metrics", app), WEB_METRICS);
	assert_int_equal(web_route("GET", "/static/hoist.js", app), WEB_JS);
	assert_int_equal(web_route("GET", "/static/other.js", app), WEB_NONE);
	assert_true(web_route_needs_session(WEB_APPROVE));
	assert_false(web_route_needs_session(WEB_LOGIN));
	assert_string_equal(web_route_allow("/app/web/approve"), "POST");
}

static void list_page_shows_each_app_escaped(void **state)
{
	static const char json[] =
		"{\"apps\":[{\"name\":\"web\",\"source\":\"reg/acme/web:<b>\",\"digest\":"
		"\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		"\"revision\":\"main@sha1:\\\"><script>x()</script>\",\"sync\":\"manual\","
		"\"drifted\":2,\"result\":\"ok\",\"health\":\"Healthy\",\"lastSync\":"
		"\"2026-01-02T03:04:05Z\",\"suspended\":false},"
		"{\"name\":\"db\",\"source\":\"push\",\"result\":null,\"health\":\"Unknown\","
		"\"suspended\":true}]}";
	struct web_view v = { 0 };
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(web_page_list(&out, json, strlen(json), &v), 0);
	assert_non_null(strstr(out.buf, "<tr class=\"app\" data-app=\"web\">"));
	assert_non_null(strstr(out.buf, "<a href=\"/app/web\">web</a>"));
	assert_non_null(strstr(out.buf, "<td class=\"source\">reg/acme/web:&lt;b&gt;</td>"));
	assert_non_null(strstr(out.buf, "main@sha1:&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"));
	assert_null(strstr(out.buf, "<script>x"));
	assert_non_null(strstr(out.buf, "<code title=\"sha256:0123456789abcdef0123456789abcdef"
					"0123456789abcdef0123456789abcdef\">sha256:0123456789ab</code>"));
	assert_non_null(strstr(out.buf, "<td class=\"sync\">manual</td>"));
	assert_non_null(strstr(out.buf, "<td class=\"drifted\">2</td>"));
	assert_non_null(strstr(out.buf, "<span class=\"badge b-healthy\">Healthy</span>"));
	assert_non_null(strstr(out.buf, "<time datetime=\"2026-01-02T03:04:05Z\">"));
	/* db: never synced, suspended, sync policy defaults to auto. */
	assert_non_null(strstr(out.buf, "data-app=\"db\""));
	assert_non_null(strstr(out.buf, "b-suspended"));
	assert_non_null(strstr(out.buf, "<td class=\"sync\">auto</td>"));
	/* Not logged in: a login link, no logout form. */
	assert_non_null(strstr(out.buf, "id=\"login\""));
	assert_null(strstr(out.buf, "id=\"logout\""));
	strbuf_reset(&out);
	assert_int_equal(web_page_list(&out, "[1]", 3, &v), ERR_INVALID);
	err_clear();
	strbuf_release(&out);
}

/* The app document of OPS-CONTRACT.md / docs/api.md, with a drift and a plan. */
static const char app_doc[] =
	"{\"name\":\"web\",\"source\":\"reg/acme/web:prod\",\"sync\":\"manual\",\"drift\":"
	"\"notify\",\"suspended\":false,\"digest\":\"sha256:aa\",\"revision\":\"main@sha1:1\","
	"\"version\":\"1.0.0\",\"lastSync\":\"2026-01-02T03:04:05Z\",\"result\":\"ok\","
	"\"message\":null,\"health\":\"Healthy\",\"objects\":["
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"namespace\":\"shop\",\"name\":"
	"\"api\",\"health\":\"Healthy\",\"healthMessage\":\"\",\"drift\":{\"since\":"
	"\"2026-01-02T03:05:00Z\",\"deleted\":false,\"diff\":[{\"path\":\"/spec/replicas\","
	"\"live\":5,\"want\":2},{\"path\":\"/metadata/labels/x\",\"live\":null,\"want\":"
	"\"<y>\"}]}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"namespace\":null,\"name\":\"shop\","
	"\"health\":\"Healthy\",\"healthMessage\":\"\",\"drift\":null}],"
	"\"plan\":{\"digest\":\"sha256:bb\",\"revision\":\"main@sha1:2\",\"hash\":"
	"\"sha256:cc\",\"created\":\"2026-01-02T03:06:00Z\",\"changes\":["
	"{\"action\":\"update\",\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	"\"namespace\":\"shop\",\"name\":\"api\",\"diff\":[{\"path\":\"/spec/template/spec/"
	"containers/0/image\",\"live\":\"api:1\",\"want\":\"api:2\"}]},"
	"{\"action\":\"create\",\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"namespace\":"
	"\"shop\",\"name\":\"new\",\"diff\":[]}]},"
	"\"history\":[{\"digest\":\"sha256:aa\",\"revision\":\"main@sha1:1\",\"result\":\"ok\","
	"\"message\":\"\",\"started\":\"2026-01-02T03:04:00Z\",\"finished\":"
	"\"2026-01-02T03:04:05Z\",\"applied\":3,\"unchanged\":0,\"pruned\":1,\"health\":"
	"\"Healthy\",\"approvedBy\":\"web\"}]}";

static void app_page_shows_drift_plan_and_history(void **state)
{
	struct web_view v = { true, "c0ffee", NULL, false };
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(web_page_app(&out, app_doc, strlen(app_doc), &v), 0);
	assert_non_null(strstr(out.buf, "<h1 id=\"app-name\">web</h1>"));
	assert_non_null(strstr(out.buf, "<dd class=\"sync\">manual</dd>"));
	assert_non_null(strstr(out.buf, "<dd class=\"drift\">notify</dd>"));
	/* The drifted object and its field-level diff, values as JSON. */
	assert_non_null(strstr(out.buf, "<tr class=\"object drifted\"><td class=\"object-name\">"
					"Deployment shop/api</td>"));
	assert_non_null(strstr(out.buf, "<td class=\"path\">/spec/replicas</td><td class=\"live\">"
					"<code>5</code></td><td class=\"want\"><code>2</code></td>"));
	assert_non_null(strstr(out.buf, "<td class=\"live\"><span class=\"none\">(absent)</span>"
					"</td><td class=\"want\"><code>&quot;&lt;y&gt;&quot;</code>"));
	assert_non_null(strstr(out.buf, "<tr class=\"object\"><td class=\"object-name\">"
					"Namespace shop</td>"));
	/* The plan, and an approve form naming its digest and hash with the CSRF token. */
	assert_non_null(strstr(out.buf, "<form method=\"post\" class=\"inline\" action=\"/app/web/"
					"approve\"><input type=\"hidden\" name=\"csrf\" value=\"c0ffee\">"
					"<input type=\"hidden\" name=\"digest\" value=\"sha256:bb\">"
					"<input type=\"hidden\" name=\"plan\" value=\"sha256:cc\">"
					"<button id=\"approve\""));
	assert_non_null(strstr(out.buf, "<span class=\"badge b-update\">update</span>"));
	assert_non_null(strstr(out.buf, "<code>&quot;api:2&quot;</code>"));
	assert_non_null(strstr(out.buf, "ConfigMap shop/new"));
	/* History. */
	assert_non_null(strstr(out.buf, "<td class=\"approved-by\">web</td>"));
	assert_non_null(strstr(out.buf, "<td class=\"pruned\">1</td>"));
	assert_non_null(strstr(out.buf, "id=\"logout\""));
	strbuf_release(&out);
}

static void app_page_without_plan_has_no_approve_button(void **state)
{
	static const char json[] = "{\"name\":\"web\",\"result\":\"ok\",\"health\":\"Healthy\"}";
	struct web_view v = { 0 };
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(web_page_app(&out, json, strlen(json), &v), 0);
	assert_null(strstr(out.buf, "id=\"approve\""));
	assert_non_null(strstr(out.buf, "id=\"sync\""));
	assert_non_null(strstr(out.buf, "No sync recorded."));
	strbuf_reset(&out);
	assert_int_equal(web_page_app(&out, "{}", 2, &v), ERR_INVALID);
	err_clear();
	strbuf_release(&out);
}

static void metrics_text_counts_what_was_recorded(void **state)
{
	static const char *const names[] = { "web", "db\"x" };
	static const char status[] =
		"{\"apps\":[{\"name\":\"web\",\"objects\":14,\"drifted\":3,\"health\":\"Healthy\"},"
		"{\"name\":\"db\\\"x\",\"health\":\"Unknown\"}]}";
	struct strbuf out = STRBUF_INIT;

	metrics_init(2, names);
	metrics_sync(0, "ok", 0.7);
	metrics_sync(0, "ok", 3);
	metrics_sync(0, "retry", 700);
	metrics_sync(1, "weird", 1);
	metrics_sync(9, "ok", 1); /* out of range: ignored */
	metrics_kube_call("GET", 200);
	metrics_kube_call("GET", 200);
	metrics_kube_call("PATCH", 409);
	metrics_kube_call("WATCH", 0);
	metrics_render(&out, status, strlen(status), 4);
	assert_non_null(strstr(out.buf, "# TYPE hoist_agent_sync_duration_seconds histogram\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_bucket{app=\"web\","
					"le=\"0.5\"} 0\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_bucket{app=\"web\","
					"le=\"1\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_bucket{app=\"web\","
					"le=\"5\"} 2\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_bucket{app=\"web\","
					"le=\"600\"} 2\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_bucket{app=\"web\","
					"le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_sync_duration_seconds_sum{app=\"web\"} "
					"703.700000\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_syncs_total{app=\"web\",result=\"ok\"} 2\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_syncs_total{app=\"web\",result=\"retry\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_syncs_total{app=\"db\\\"x\",result=\"error\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_objects{app=\"web\"} 14\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_drifted_objects{app=\"web\"} 3\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_drifted_objects{app=\"db\\\"x\"} 0\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_app_health{app=\"web\",health=\"Healthy\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_kube_requests_total{verb=\"GET\",code=\"200\"} 2\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_kube_requests_total{verb=\"PATCH\",code=\"409\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_kube_requests_total{verb=\"OTHER\",code=\"0\"} 1\n"));
	assert_non_null(strstr(out.buf, "hoist_agent_notify_queue_depth 4\n"));
	assert_non_null(strstr(out.buf, "\nprocess_resident_memory_bytes "));
	assert_non_null(strstr(out.buf, "\nprocess_start_time_seconds "));
	strbuf_reset(&out);
	/* No queue: no queue metric. */
	metrics_render(&out, NULL, 0, -1);
	assert_null(strstr(out.buf, "notify_queue_depth"));
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_escapes_every_special_character),
		cmocka_unit_test(form_fields_are_decoded),
		cmocka_unit_test(cookies_are_found_by_exact_name),
		cmocka_unit_test(sessions_are_signed_bound_to_the_token_and_expire),
		cmocka_unit_test(origin_must_be_this_agent),
		cmocka_unit_test(routes_of_the_page),
		cmocka_unit_test(list_page_shows_each_app_escaped),
		cmocka_unit_test(app_page_shows_drift_plan_and_history),
		cmocka_unit_test(app_page_without_plan_has_no_approve_button),
		cmocka_unit_test(metrics_text_counts_what_was_recorded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
