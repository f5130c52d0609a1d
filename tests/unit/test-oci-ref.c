/*
 * Unit tests for the OCI client's parsers: references, WWW-Authenticate
 * challenges, Docker config credentials, digests and the artifact manifest.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/http.h"
#include "oci/oci.h"
#include "oci/oci-auth.h"
#include "oci/oci-ref.h"
#include "core/strbuf.h"

static void oci_ref_parses_registry_tag_reference(void **state)
{
	struct oci_ref ref;

	assert_int_equal(oci_ref_parse(&ref, "127.0.0.1:5000/apps/podinfo:1.4.0-main.3f2a9c1"), 0);
	assert_int_equal(ref.kind, OCI_REF_REGISTRY);
	assert_string_equal(ref.host, "127.0.0.1:5000");
	assert_string_equal(ref.repo, "apps/podinfo");
	assert_string_equal(ref.tag, "1.4.0-main.3f2a9c1");
	assert_null(ref.digest);
	oci_ref_release(&ref);

	assert_int_equal(oci_ref_parse(&ref, "oci://registry.example.com/a/b/c:latest"), 0);
	assert_string_equal(ref.host, "registry.example.com");
	assert_string_equal(ref.repo, "a/b/c");
	oci_ref_release(&ref);

	assert_int_equal(oci_ref_parse(&ref, "localhost/x:_t"), 0);
	assert_string_equal(ref.host, "localhost");
	oci_ref_release(&ref);

	assert_int_equal(oci_ref_parse(&ref, "[::1]:5000/x:v1"), 0);
	assert_string_equal(ref.host, "[::1]:5000");
	oci_ref_release(&ref);
}

static void oci_ref_parses_digest_reference(void **state)
{
	const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct strbuf s = STRBUF_INIT;
	struct oci_ref ref;

	strbuf_addf(&s, "reg.example.com:443/apps/podinfo@%s", d);
	assert_int_equal(oci_ref_parse(&ref, s.buf), 0);
	assert_string_equal(ref.host, "reg.example.com:443");
	assert_string_equal(ref.repo, "apps/podinfo");
	assert_null(ref.tag);
	assert_string_equal(ref.digest, d);
	oci_ref_release(&ref);
	strbuf_release(&s);
}

static void oci_ref_parses_layout_references(void **state)
{
	struct oci_ref ref;

	assert_int_equal(oci_ref_parse(&ref, "oci-layout:./store:1.0.0"), 0);
	assert_int_equal(ref.kind, OCI_REF_LAYOUT);
	assert_string_equal(ref.dir, "./store");
	assert_string_equal(ref.tag, "1.0.0");
	oci_ref_release(&ref);

	assert_int_equal(oci_ref_parse(&ref, "oci-layout:/var/lib/x@sha256:"
					     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0);
	assert_string_equal(ref.dir, "/var/lib/x");
	assert_non_null(ref.digest);
	oci_ref_release(&ref);
}

static void expect_bad(const char *s, const char *needle)
{
	struct oci_ref ref;
	int r = oci_ref_parse(&ref, s);

	if (r != ERR_INVALID || !strstr(err_msg(), needle))
		fail_msg("'%s': got %d '%s', wanted ERR_INVALID mentioning '%s'", s, r, err_msg(),
			 needle);
	assert_null(ref.host);
	assert_null(ref.tag);
}

static void oci_ref_rejects_bad_references_with_clear_errors(void **state)
{
	expect_bad("apps/podinfo:1.0", "not a registry host");
	expect_bad("podinfo:1.0", "expected HOST");
	expect_bad("reg.example.com/apps/podinfo", "missing :TAG");
	expect_bad("reg.example.com/Apps/podinfo:1", "repository 'Apps/podinfo'");
	expect_bad("reg.example.com/apps//podinfo:1", "repository");
	expect_bad("reg.example.com/apps/-x:1", "repository");
	expect_bad("reg.example.com/apps/x-:1", "repository");
	expect_bad("reg.example.com/apps/x..y:1", "repository");
	expect_bad("reg.example.com/a:-bad", "tag '-bad'");
	expect_bad("reg.example.com/a:.bad", "tag '.bad'");
	expect_bad("reg.example.com/a:", "tag ''");
	expect_bad("reg.example.com/a:b@c", "digest must be sha256");
	expect_bad("reg.example.com/a@sha256:abc", "64 lowercase hex");
	expect_bad("reg.example.com/a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		   "64 lowercase hex");
	expect_bad("reg.example.com/a@sha512:00", "unsupported digest algorithm");
	expect_bad("reg.example.com/a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		   "not both");
	expect_bad("reg_x.com/a:1", "not a registry host");
	expect_bad("reg.example.com:99999/a:1", "not a registry host");
	expect_bad("oci-layout:./store", "missing :TAG");
	expect_bad("oci-layout::1", "empty layout folder");
}

static void oci_tag_grammar_allows_128_chars_and_no_more(void **state)
{
	char tag[130];

	memset(tag, 'a', 128);
	tag[128] = '\0';
	assert_true(oci_tag_is_valid(tag));
	tag[128] = 'a';
	tag[129] = '\0';
	assert_false(oci_tag_is_valid(tag));
	assert_true(oci_tag_is_valid("_x.Y-1"));
	assert_false(oci_tag_is_valid("a/b"));
	assert_true(oci_repo_is_valid("a__b/c-----d/e.f"));
	assert_false(oci_repo_is_valid("a___b"));
}

static void loopback_hosts_allow_plain_http(void **state)
{
	assert_true(http_host_is_loopback("127.0.0.1:5000"));
	assert_true(http_host_is_loopback("127.3.4.5"));
	assert_true(http_host_is_loopback("localhost:80"));
	assert_true(http_host_is_loopback("[::1]:5000"));
	assert_false(http_host_is_loopback("128.0.0.1"));
	assert_false(http_host_is_loopback("localhost.example.com"));
	assert_false(http_host_is_loopback("[::2]"));
	assert_false(http_host_is_loopback("127.0.0.1.nip.io"));
}

static void www_authenticate_bearer_challenge_is_parsed(void **state)
{
	struct oci_challenge ch;

	assert_int_equal(oci_challenge_parse(&ch,
		"Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
		"scope=\"repository:apps/podinfo:pull,push\""), 0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://auth.example.com/token");
	assert_string_equal(ch.service, "registry.example.com");
	assert_string_equal(ch.scope, "repository:apps/podinfo:pull,push");
	oci_challenge_release(&ch);
}

static void www_authenticate_basic_and_odd_spacing_are_parsed(void **state)
{
	struct oci_challenge ch;

	assert_int_equal(oci_challenge_parse(&ch, "Basic realm=\"hoist-test\""), 0);
	assert_string_equal(ch.scheme, "basic");
	assert_string_equal(ch.realm, "hoist-test");
	assert_null(ch.scope);
	oci_challenge_release(&ch);

	assert_int_equal(oci_challenge_parse(&ch,
		"  BEARER  realm = \"https://a/t\" , service=reg , error=\"insufficient_scope\", "
		"scope=\"a\\\"b\""), 0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://a/t");
	assert_string_equal(ch.service, "reg");
	assert_string_equal(ch.scope, "a\"b");
	oci_challenge_release(&ch);
}

static void www_authenticate_garbage_is_refused(void **state)
{
	struct oci_challenge ch;

	assert_int_equal(oci_challenge_parse(&ch, ""), ERR_INVALID);
	assert_int_equal(oci_challenge_parse(&ch, "Bearer realm=\"unterminated"), ERR_INVALID);
	assert_int_equal(oci_challenge_parse(&ch, "Bearer realm"), ERR_INVALID);
	assert_null(ch.scheme);
}

static void docker_config_auth_field_is_decoded(void **state)
{
	/* "user:pa:ss" */
	const char *json = "{\"auths\":{\"https://reg.example.com:5000/v1/\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
			   "\"other.example.com\":{\"auth\":\"eDp5\"}}}";
	struct oci_cred c;

	assert_int_equal(oci_docker_config_lookup(&c, json, strlen(json), "config.json",
						  "reg.example.com:5000"), 0);
	assert_string_equal(c.user, "user");
	assert_string_equal(c.password, "pa:ss");
	oci_cred_release(&c);

	assert_int_equal(oci_docker_config_lookup(&c, json, strlen(json), "config.json",
						  "reg.example.com"), 0);
	assert_null(c.user);
}

static void docker_config_username_password_are_used(void **state)
{
	const char *json = "{\"auths\":{\"127.0.0.1:5000\":{\"username\":\"u\",\"password\":\"p\"}}}";
	struct oci_cred c;

	assert_int_equal(oci_docker_config_lookup(&c, json, strlen(json), "c.json", "127.0.0.1:5000"), 0);
	assert_string_equal(c.user, "u");
	assert_string_equal(c.password, "p");
	oci_cred_release(&c);
}

static void docker_config_bad_base64_names_file_and_line(void **state)
{
	const char *json = "{\"auths\": {\n  \"r.example.com\": {\"auth\": \"!!notbase64\"}}}";
	struct oci_cred c;

	assert_int_equal(oci_docker_config_lookup(&c, json, strlen(json), "cfg.json", "r.example.com"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "cfg.json:2:"));
	assert_non_null(strstr(err_msg(), "base64"));
	assert_null(c.user);
}

static void basic_header_encodes_user_and_password(void **state)
{
	struct oci_cred c = { (char *)"user", (char *)"pass", NULL };
	struct strbuf sb = STRBUF_INIT, dec = STRBUF_INIT;

	oci_auth_basic_header(&sb, &c);
	assert_string_equal(sb.buf, "Authorization: Basic dXNlcjpwYXNz");
	assert_int_equal(oci_base64_decode(&dec, "dXNlcjpwYXNz"), 0);
	assert_string_equal(dec.buf, "user:pass");
	strbuf_reset(&dec);
	assert_int_equal(oci_base64_decode(&dec, "eA"), 0); /* unpadded "x" */
	assert_string_equal(dec.buf, "x");
	strbuf_release(&sb);
	strbuf_release(&dec);
}

static void digest_of_empty_object_matches_known_value(void **state)
{
	char d[DIGEST_STR_SIZE];

	assert_int_equal(digest_sha256(d, "{}", 2), 0);
	assert_string_equal(d, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	assert_true(digest_is_valid(d));
	assert_int_equal(digest_verify("{} ", 3, d, "blob"), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "digest mismatch"));
}

static void artifact_manifest_is_deterministic_and_parses_back(void **state)
{
	struct oci_artifact_desc d = { 0 }, back;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	digest_sha256(d.config_digest, "{}", 2);
	d.config_size = 2;
	digest_sha256(d.layer_digest, "layer", 5);
	d.layer_size = 5;
	d.title = "demo-1.0.0.tar.gz";
	d.revision = "main@sha1:abc";
	d.source = "https://example.com/x.git";
	oci_manifest_build(&a, &d);
	oci_manifest_build(&b, &d);
	assert_string_equal(a.buf, b.buf);
	assert_non_null(strstr(a.buf, "\"org.opencontainers.image.created\":\"1970-01-01T00:00:00Z\","
				      "\"org.opencontainers.image.revision\""));
	assert_int_equal(oci_manifest_parse(&back, NULL, a.buf, a.len, "m"), 0);
	assert_string_equal(back.layer_digest, d.layer_digest);
	assert_int_equal(back.layer_size, 5);
	assert_int_equal(back.config_size, 2);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void artifact_manifest_with_foreign_layer_type_is_refused(void **state)
{
	const char *m = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			"\"config\":{\"mediaType\":\"application/vnd.cncf.flux.config.v1+json\","
			"\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},"
			"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
			"\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2}]}";
	struct oci_artifact_desc d;

	assert_int_equal(oci_manifest_parse(&d, NULL, m, strlen(m), "m"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "layer media type"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oci_ref_parses_registry_tag_reference),
		cmocka_unit_test(oci_ref_parses_digest_reference),
		cmocka_unit_test(oci_ref_parses_layout_references),
		cmocka_unit_test(oci_ref_rejects_bad_references_with_clear_errors),
		cmocka_unit_test(oci_tag_grammar_allows_128_chars_and_no_more),
		cmocka_unit_test(loopback_hosts_allow_plain_http),
		cmocka_unit_test(www_authenticate_bearer_challenge_is_parsed),
		cmocka_unit_test(www_authenticate_basic_and_odd_spacing_are_parsed),
		cmocka_unit_test(www_authenticate_garbage_is_refused),
		cmocka_unit_test(docker_config_auth_field_is_decoded),
		cmocka_unit_test(docker_config_username_password_are_used),
		cmocka_unit_test(docker_config_bad_base64_names_file_and_line),
		cmocka_unit_test(basic_header_encodes_user_and_password),
		cmocka_unit_test(digest_of_empty_object_matches_known_value),
		cmocka_unit_test(artifact_manifest_is_deterministic_and_parses_back),
		cmocka_unit_test(artifact_manifest_with_foreign_layer_type_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
