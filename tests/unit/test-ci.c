/*
 * Unit tests for `hoist ci`'s pure parts: what it reads from the GitHub
 * and GitLab job environments, and the step outputs and dotenv reports it
 * writes from publish results.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ci/ci.h"
#include "hooks/publish.h"
#include "core/strbuf.h"

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
	const char *const *e;
	size_t n = strlen(name);

	for (e = fake_env; *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void ci_detects_a_github_pull_request(void **state)
{
	static const char *const env[] = {
		"GITHUB_ACTIONS=true", "GITHUB_SHA=abc", "GITHUB_REF=refs/pull/42/merge",
		"GITHUB_EVENT_NAME=pull_request", "GITHUB_BASE_REF=main",
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=acme/deploy", NULL,
	};
	struct ci_context ctx;

	fake_env = env;
	assert_int_equal(ci_detect(&ctx, fake_get), 0);
	assert_int_equal(ctx.provider, CI_GITHUB);
	assert_true(ctx.is_pr);
	assert_string_equal(ctx.sha, "abc");
	assert_string_equal(ctx.ref, "refs/heads/main");
	assert_string_equal(ctx.base, "origin/main");
	assert_string_equal(ctx.pr_label, "pull request #42");
	assert_string_equal(ctx.source, "https://github.com/acme/deploy");
	ci_context_release(&ctx);
}

static void ci_detects_a_gitlab_tag_and_merge_request(void **state)
{
	static const char *const tag[] = {
		"GITLAB_CI=true", "CI_COMMIT_SHA=abc", "CI_COMMIT_REF_NAME=v1.2.0",
		"CI_COMMIT_TAG=v1.2.0", "CI_PIPELINE_SOURCE=push", NULL,
	};
	static const char *const mr[] = {
		"GITLAB_CI=true", "CI_COMMIT_SHA=abc", "CI_COMMIT_REF_NAME=feature",
		"CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=7",
		"CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main", "CI_MERGE_REQUEST_DIFF_BASE_SHA=def", NULL,
	};
	static const char *const none[] = { "CI=true", NULL };
	struct ci_context ctx;

	fake_env = tag;
	assert_int_equal(ci_detect(&ctx, fake_get), 0);
	assert_int_equal(ctx.provider, CI_GITLAB);
	assert_false(ctx.is_pr);
	assert_string_equal(ctx.ref, "refs/tags/v1.2.0");
	ci_context_release(&ctx);

	fake_env = mr;
	assert_int_equal(ci_detect(&ctx, fake_get), 0);
	assert_true(ctx.is_pr);
	assert_string_equal(ctx.ref, "refs/heads/main");
	assert_string_equal(ctx.base, "def");
	assert_string_equal(ctx.base_alt, "origin/main");
	assert_string_equal(ctx.pr_label, "merge request !7");
	ci_context_release(&ctx);

	fake_env = none;
	assert_int_equal(ci_detect(&ctx, fake_get), 0);
	assert_int_equal(ctx.provider, CI_NONE);
	ci_context_release(&ctx);
}

static void ci_outputs_name_every_app(void **state)
{
	struct publish_item items[2];
	struct publish_result res;
	struct strbuf out = STRBUF_INIT;

	memset(items, 0, sizeof(items));
	memset(&res, 0, sizeof(res));
	items[0].app = (char *)"web";
	items[0].version = (char *)"1.0.0";
	items[0].reference = (char *)"r/web:1.0.0";
	memcpy(items[0].digest, "sha256:aa", 10);
	items[1].app = (char *)"api-gw.v2";
	items[1].version = (char *)"1.0.0";
	items[1].reference = (char *)"r/api-gw.v2:1.0.0";
	memcpy(items[1].digest, "sha256:bb", 10);
	res.items = items;
	res.n = 2;

	ci_github_outputs(&out, &res);
	assert_string_equal(out.buf,
			    "version=1.0.0\ndigest=sha256:aa\nreference=r/web:1.0.0\n"
			    "web-version=1.0.0\nweb-digest=sha256:aa\nweb-reference=r/web:1.0.0\n"
			    "api-gw.v2-version=1.0.0\napi-gw.v2-digest=sha256:bb\n"
			    "api-gw.v2-reference=r/api-gw.v2:1.0.0\n"
			    "apps=[\"web\",\"api-gw.v2\"]\n");
	strbuf_reset(&out);
	ci_gitlab_dotenv(&out, &res);
	assert_string_equal(out.buf,
			    "HOIST_VERSION=1.0.0\nHOIST_DIGEST=sha256:aa\nHOIST_REFERENCE=r/web:1.0.0\n"
			    "HOIST_WEB_VERSION=1.0.0\nHOIST_WEB_DIGEST=sha256:aa\n"
			    "HOIST_WEB_REFERENCE=r/web:1.0.0\n"
			    "HOIST_API_GW_V2_VERSION=1.0.0\nHOIST_API_GW_V2_DIGEST=sha256:bb\n"
			    "HOIST_API_GW_V2_REFERENCE=r/api-gw.v2:1.0.0\n");
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ci_detects_a_github_pull_request),
		cmocka_unit_test(ci_detects_a_gitlab_tag_and_merge_request),
		cmocka_unit_test(ci_outputs_name_every_app),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
