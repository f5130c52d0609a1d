/*
 * test-agent-api.c - what the agent's HTTP API reads from a request
 * (agent/api.c) and how it checks a pushed artifact (agent/push.c).
 * The server itself is exercised end to end in t5100-agent-push.sh.
 */
#include "core/compat.h"
#include "agent/api.h"
#include "agent/push.h"
#include "oci/artifact.h"
#include "core/digest.h"
#include "core/err.h"
#include "model/objset.h"
#include "oci/oci-auth.h"
#include "oci/oci.h"
#include "oci/sign.h"
#include "core/strbuf.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

static void route_maps_paths_and_methods(void **state)
{
	char app[API_APP_MAX + 1];

	assert_int_equal(api_route("GET", "/healthz", app), API_HEALTHZ);
	assert_int_equal(api_route("HEAD", "/v1/status", app), API_STATUS);
	assert_int_equal(api_route("GET", "/v1/apps/web", app), API_APP);
	assert_string_equal(app, "web");
	assert_int_equal(api_route("PUT", "/v1/apps/web-1.prod/artifact", app), API_ARTIFACT);
	assert_string_equal(app, "web-1.prod");
	assert_int_equal(api_route("POST", "/v1/apps/web/artifact", app), API_ARTIFACT);
	assert_int_equal(api_route("POST", "/v1/apps/web/sync", app), API_SYNC);
	assert_int_equal(api_route("GET", "/v1/apps/web/sync", app), API_BAD_METHOD);
	assert_string_equal(app, "");
	assert_int_equal(api_route("DELETE", "/v1/status", app), API_BAD_METHOD);
	assert_string_equal(api_route_allow("/v1/apps/web/sync"), "POST");
}

static void route_refuses_names_that_could_reach_a_file(void **state)
{
	char app[API_APP_MAX + 1];

	assert_int_equal(api_route("GET", "/v1/apps/..", app), API_NONE);
	assert_string_equal(app, "");
	assert_int_equal(api_route("PUT", "/v1/apps/../artifact", app), API_NONE);
	assert_int_equal(api_route("PUT", "/v1/apps/a%2Fb/artifact", app), API_NONE);
	assert_int_equal(api_route("PUT", "/v1/apps/Web/artifact", app), API_NONE);
	assert_int_equal(api_route("PUT", "/v1/apps//artifact", app), API_NONE);
	assert_int_equal(api_route("PUT", "/v1/apps/.hidden/artifact", app), API_NONE);
	assert_int_equal(api_route("GET", "/v1/apps/web/", app), API_NONE);
	assert_int_equal(api_route("GET", "/v1/apps/web/artifact/x", app), API_NONE);
	assert_int_equal(
		api_route("GET", "/v1/apps/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			  app),
		API_NONE);
	assert_int_equal(api_route("GET", "/v1/statusx", app), API_NONE);
}

static void bearer_matches_only_the_token(void **state)
{
	assert_true(api_bearer_ok("Bearer s3cret", "s3cret"));
	assert_true(api_bearer_ok("bearer  s3cret", "s3cret"));
	assert_false(api_bearer_ok("Bearer s3cre", "s3cret"));
	assert_false(api_bearer_ok("Bearer s3cret ", "s3cret"));
	assert_false(api_bearer_ok("Bearer s3cretX", "s3cret"));
	assert_false(api_bearer_ok("Basic s3cret", "s3cret"));
	assert_false(api_bearer_ok("s3cret", "s3cret"));
	assert_false(api_bearer_ok(NULL, "s3cret"));
	/* An agent whose token file is empty never matches an empty bearer. */
	assert_false(api_bearer_ok("Bearer ", ""));
}

static void sync_body_takes_an_optional_digest(void **state)
{
	char d[DIGEST_STR_SIZE];
	const char *good = "{\"digest\":\"sha256:"
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
			   "\"other\":1}";

	assert_int_equal(api_sync_body_parse("", 0, d), 0);
	assert_string_equal(d, "");
	assert_int_equal(api_sync_body_parse(" \n", 2, d), 0);
	assert_int_equal(api_sync_body_parse("{}", 2, d), 0);
	assert_string_equal(d, "");
	assert_int_equal(api_sync_body_parse(good, strlen(good), d), 0);
	assert_string_equal(d, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(api_sync_body_parse("[1]", 3, d), ERR_INVALID);
	assert_int_equal(api_sync_body_parse("{\"digest\":\"md5:x\"}", 18, d), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "sha256"));
	assert_int_equal(api_sync_body_parse("{\"digest\":[1]}", 14, d), ERR_INVALID);
}

/* A packed artifact, its manifest, and a signing key. */
struct fixture {
	struct strbuf tgz, manifest, dir;
	char blob[DIGEST_STR_SIZE], digest[DIGEST_STR_SIZE];
	struct sign_key *priv, *pub, *other;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct objset set = OBJSET_INIT;
	struct artifact_meta m = { .app = "web", .version = "1.0.0", .engine = "plain",
				   .revision = "main@sha1:0123456789abcdef0123456789abcdef01234567" };
	static const char yaml[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
	struct oci_artifact_desc d = { 0 };
	char tmpl[] = "/tmp/test-agent-api-XXXXXX";
	struct strbuf p = STRBUF_INIT;

	strbuf_init(&f->tgz, 0);
	strbuf_init(&f->manifest, 0);
	strbuf_init(&f->dir, 0);
	if (objset_add_yaml(&set, yaml, strlen(yaml), "t.yaml") ||
	    artifact_pack(&f->tgz, &set, &m))
		return -1;
	objset_release(&set);
	digest_sha256(f->blob, f->tgz.buf, f->tgz.len);
	memcpy(d.layer_digest, f->blob, sizeof(f->blob));
	d.layer_size = f->tgz.len;
	digest_sha256(d.config_digest, OCI_ARTIFACT_CONFIG, 2);
	d.config_size = 2;
	d.revision = m.revision;
	oci_manifest_build(&f->manifest, &d);
	digest_sha256(f->digest, f->manifest.buf, f->manifest.len);
	if (!mkdtemp(tmpl))
		return -1;
	strbuf_addstr(&f->dir, tmpl);
	strbuf_addf(&p, "%s/k", tmpl);
	if (sign_keygen(p.buf))
		return -1;
	strbuf_addstr(&p, ".key");
	if (sign_key_load_private(&f->priv, p.buf))
		return -1;
	strbuf_setlen(&p, p.len - 4);
	strbuf_addstr(&p, ".pub");
	if (sign_key_load_public(&f->pub, p.buf))
		return -1;
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/o", tmpl);
	if (sign_keygen(p.buf))
		return -1;
	strbuf_addstr(&p, ".pub");
	if (sign_key_load_public(&f->other, p.buf))
		return -1;
	strbuf_release(&p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct strbuf cmd = STRBUF_INIT;

	strbuf_addf(&cmd, "rm -rf '%s'", f->dir.buf);
	if (system(cmd.buf))
		return -1;
	strbuf_release(&cmd);
	strbuf_release(&f->tgz);
	strbuf_release(&f->manifest);
	strbuf_release(&f->dir);
	sign_key_free(f->priv);
	sign_key_free(f->pub);
	sign_key_free(f->other);
	free(f);
	return 0;
}

/* The claims a correct pusher sends, with the signature when `key`. */
struct claims {
	struct strbuf manifest, payload, sig;
	struct push_claims c;
};

static void make_claims(struct claims *cl, struct fixture *f, const struct sign_key *key,
			const char *signed_digest)
{
	struct strbuf payload = STRBUF_INIT;

	strbuf_init(&cl->manifest, 0);
	strbuf_init(&cl->payload, 0);
	strbuf_init(&cl->sig, 0);
	oci_base64_encode(&cl->manifest, f->manifest.buf, f->manifest.len);
	memset(&cl->c, 0, sizeof(cl->c));
	cl->c.digest = f->blob;
	cl->c.manifest_b64 = cl->manifest.buf;
	if (key) {
		sign_payload(&payload, "127.0.0.1:5000/acme/web", signed_digest);
		assert_int_equal(sign_bytes(&cl->sig, key, payload.buf, payload.len), 0);
		oci_base64_encode(&cl->payload, payload.buf, payload.len);
		cl->c.payload_b64 = cl->payload.buf;
		cl->c.signature_b64 = cl->sig.buf;
	}
	strbuf_release(&payload);
}

static void release_claims(struct claims *cl)
{
	strbuf_release(&cl->manifest);
	strbuf_release(&cl->payload);
	strbuf_release(&cl->sig);
}

static void push_signed_by_the_key_passes_with_the_manifest_digest(void **state)
{
	struct fixture *f = *state;
	struct claims cl;
	struct push_checked pc;
	enum push_fail fail;

	make_claims(&cl, f, f->priv, f->digest);
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, f->pub), 0);
	assert_int_equal(fail, PUSH_OK);
	assert_string_equal(pc.digest, f->digest);
	assert_string_equal(pc.blob_digest, f->blob);
	assert_true(pc.signature_checked);
	assert_string_equal(pc.app, "web");
	assert_string_equal(pc.revision, "main@sha1:0123456789abcdef0123456789abcdef01234567");
	push_checked_release(&pc);
	release_claims(&cl);
}

static void push_refusals_name_their_reason(void **state)
{
	struct fixture *f = *state;
	struct claims cl;
	struct push_checked pc;
	enum push_fail fail;
	struct strbuf tampered = STRBUF_INIT;

	/* No signature, but the app has a key. */
	make_claims(&cl, f, NULL, NULL);
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, f->pub),
			 ERR_VERIFY);
	assert_int_equal(fail, PUSH_UNSIGNED);
	assert_int_equal(push_fail_status(fail), 403);
	/* Without a key, the same push passes. */
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, NULL), 0);
	push_checked_release(&pc);
	/* A body that is not what the digest says. */
	strbuf_add(&tampered, f->tgz.buf, f->tgz.len);
	tampered.buf[tampered.len / 2] ^= 1;
	assert_int_equal(push_check(&pc, &fail, &cl.c, tampered.buf, tampered.len, NULL),
			 ERR_VERIFY);
	assert_int_equal(fail, PUSH_DIGEST);
	assert_int_equal(push_fail_status(fail), 422);
	assert_non_null(strstr(err_msg(), "Hoist-Digest"));
	release_claims(&cl);

	/* Signed by another key; signed for another digest. */
	make_claims(&cl, f, f->priv, f->digest);
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, f->other),
			 ERR_VERIFY);
	assert_int_equal(fail, PUSH_SIGNATURE);
	release_claims(&cl);
	make_claims(&cl, f, f->priv, f->blob);
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, f->pub),
			 ERR_VERIFY);
	assert_int_equal(fail, PUSH_SIGNATURE);
	release_claims(&cl);

	/* No digest header at all. */
	make_claims(&cl, f, NULL, NULL);
	cl.c.digest = NULL;
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, NULL),
			 ERR_INVALID);
	assert_int_equal(fail, PUSH_BAD_REQUEST);
	release_claims(&cl);
	strbuf_release(&tampered);
}

static void push_without_manifest_gets_the_bare_one(void **state)
{
	struct fixture *f = *state;
	struct push_claims c = { .digest = f->blob };
	struct push_checked pc;
	enum push_fail fail;
	struct oci_artifact_desc d;

	assert_int_equal(push_check(&pc, &fail, &c, f->tgz.buf, f->tgz.len, NULL), 0);
	assert_int_equal(oci_manifest_parse(&d, OCI_MEDIA_MANIFEST, pc.manifest.buf,
					    pc.manifest.len, "bare"),
			 0);
	assert_string_equal(d.layer_digest, f->blob);
	/* No revision annotation: another manifest than the registry's, another digest. */
	assert_string_not_equal(pc.digest, f->digest);
	assert_int_equal(digest_verify(pc.manifest.buf, pc.manifest.len, pc.digest, "m"), 0);
	push_checked_release(&pc);
}

static void push_store_keeps_and_reloads_what_was_checked(void **state)
{
	struct fixture *f = *state;
	struct claims cl;
	struct push_checked pc, back;
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT;
	enum push_fail fail;
	FILE *fp;

	make_claims(&cl, f, f->priv, f->digest);
	assert_int_equal(push_check(&pc, &fail, &cl.c, f->tgz.buf, f->tgz.len, f->pub), 0);
	strbuf_addf(&path, "%s/push", f->dir.buf);
	assert_int_equal(push_store_load(path.buf, "web", &body, &back), ERR_NOTFOUND);
	assert_int_equal(push_store_save(path.buf, "web", f->tgz.buf, f->tgz.len, &pc), 0);
	assert_int_equal(push_store_load(path.buf, "web", &body, &back), 0);
	assert_string_equal(back.digest, f->digest);
	assert_int_equal(body.len, f->tgz.len);
	assert_memory_equal(back.manifest.buf, f->manifest.buf, f->manifest.len);
	assert_string_equal(back.sig_b64, cl.sig.buf);
	assert_int_equal(sign_bytes_verify(f->pub, back.payload.buf, back.payload.len,
					   back.sig_b64),
			 0);
	push_checked_release(&back);
	/* A body changed on disk is caught when it is loaded again. */
	strbuf_addstr(&path, "/web.tar.gz");
	fp = fopen(path.buf, "r+b");
	assert_non_null(fp);
	fseek(fp, 10, SEEK_SET);
	fputc(0x55 ^ f->tgz.buf[10], fp);
	fclose(fp);
	strbuf_setlen(&path, path.len - strlen("/web.tar.gz"));
	assert_int_equal(push_store_load(path.buf, "web", &body, &back), ERR_VERIFY);
	push_checked_release(&pc);
	release_claims(&cl);
	strbuf_release(&body);
	strbuf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(route_maps_paths_and_methods),
		cmocka_unit_test(route_refuses_names_that_could_reach_a_file),
		cmocka_unit_test(bearer_matches_only_the_token),
		cmocka_unit_test(sync_body_takes_an_optional_digest),
		cmocka_unit_test_setup_teardown(push_signed_by_the_key_passes_with_the_manifest_digest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(push_refusals_name_their_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(push_without_manifest_gets_the_bare_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(push_store_keeps_and_reloads_what_was_checked,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
