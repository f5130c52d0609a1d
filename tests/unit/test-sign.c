/*
 * Unit tests for core/sign: keys, the cosign payload, signing and
 * verifying bytes, and signatures in an image-layout store.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "core/digest.h"
#include "core/err.h"
#include "oci/oci.h"
#include "oci/sign.h"
#include "core/strbuf.h"

static const char *D1 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct fixture {
	char dir[64];
	struct strbuf prefix, other;
};

static void rm_rf(const char *dir)
{
	struct strbuf cmd = STRBUF_INIT;

	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd.buf), 0);
	strbuf_release(&cmd);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	xsnprintf(f->dir, sizeof(f->dir), "%s", "/tmp/hoist-test-sign.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	strbuf_init(&f->prefix, 0);
	strbuf_init(&f->other, 0);
	strbuf_addf(&f->prefix, "%s/k", f->dir);
	strbuf_addf(&f->other, "%s/other", f->dir);
	if (sign_keygen(f->prefix.buf) || sign_keygen(f->other.buf))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->dir);
	strbuf_release(&f->prefix);
	strbuf_release(&f->other);
	free(f);
	return 0;
}

static void load_pair(struct fixture *f, const char *prefix, struct sign_key **priv,
		      struct sign_key **pub)
{
	struct strbuf p = STRBUF_INIT;

	strbuf_addf(&p, "%s.key", prefix);
	assert_int_equal(sign_key_load_private(priv, p.buf), 0);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s.pub", prefix);
	assert_int_equal(sign_key_load_public(pub, p.buf), 0);
	strbuf_release(&p);
}

static void keygen_writes_pkcs8_key_0600_and_spki_public_key(void **state)
{
	struct fixture *f = *state;
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct stat st;

	strbuf_addf(&p, "%s.key", f->prefix.buf);
	assert_int_equal(stat(p.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strbuf_read_file(&text, p.buf, 0), 0);
	assert_true(strbuf_starts_with(&text, "-----BEGIN PRIVATE KEY-----\n"));
	strbuf_reset(&p);
	strbuf_reset(&text);
	strbuf_addf(&p, "%s.pub", f->prefix.buf);
	assert_int_equal(strbuf_read_file(&text, p.buf, 0), 0);
	assert_true(strbuf_starts_with(&text, "-----BEGIN PUBLIC KEY-----\n"));
	strbuf_release(&p);
	strbuf_release(&text);
}

static void keygen_never_overwrites_a_key(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sign_keygen(f->prefix.buf), ERR_CONFLICT);
	assert_non_null(strstr(err_msg(), "already exists"));
}

static void signature_of_payload_verifies_with_the_public_key(void **state)
{
	struct fixture *f = *state;
	struct sign_key *priv = NULL, *pub = NULL;
	struct strbuf payload = STRBUF_INIT, sig = STRBUF_INIT;

	load_pair(f, f->prefix.buf, &priv, &pub);
	sign_payload(&payload, "127.0.0.1:5000/apps/web", D1);
	assert_int_equal(sign_bytes(&sig, priv, payload.buf, payload.len), 0);
	assert_true(sig.len > 80 && sig.len < 100); /* base64 of a ~70-byte DER signature */
	assert_int_equal(sign_bytes_verify(pub, payload.buf, payload.len, sig.buf), 0);
	/* The private key stands in for its public half. */
	assert_int_equal(sign_bytes_verify(priv, payload.buf, payload.len, sig.buf), 0);
	/* A public key cannot sign. */
	assert_int_equal(sign_bytes(&sig, pub, payload.buf, payload.len), ERR_INVALID);
	sign_key_free(priv);
	sign_key_free(pub);
	strbuf_release(&payload);
	strbuf_release(&sig);
}

static void verify_rejects_a_modified_payload_and_another_key(void **state)
{
	struct fixture *f = *state;
	struct sign_key *priv = NULL, *pub = NULL, *opriv = NULL, *opub = NULL;
	struct strbuf payload = STRBUF_INIT, sig = STRBUF_INIT;

	load_pair(f, f->prefix.buf, &priv, &pub);
	load_pair(f, f->other.buf, &opriv, &opub);
	sign_payload(&payload, "127.0.0.1:5000/apps/web", D1);
	assert_int_equal(sign_bytes(&sig, priv, payload.buf, payload.len), 0);
	payload.buf[payload.len - 2] = 'X';
	assert_int_equal(sign_bytes_verify(pub, payload.buf, payload.len, sig.buf), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "signature does not verify with"));
	payload.buf[payload.len - 2] = 'l';
	assert_int_equal(sign_bytes_verify(pub, payload.buf, payload.len, sig.buf), 0);
	assert_int_equal(sign_bytes_verify(opub, payload.buf, payload.len, sig.buf), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "other.pub (signed by another key?)"));
	assert_int_equal(sign_bytes_verify(pub, payload.buf, payload.len, "!!not base64"),
			 ERR_VERIFY);
	sign_key_free(priv);
	sign_key_free(pub);
	sign_key_free(opriv);
	sign_key_free(opub);
	strbuf_release(&payload);
	strbuf_release(&sig);
}

static void sign_tag_is_the_digest_with_a_dash_and_dot_sig(void **state)
{
	char tag[DIGEST_STR_SIZE + 8];

	sign_tag(tag, sizeof(tag), D1);
	assert_string_equal(tag,
			    "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig");
}

static void payload_is_byte_for_byte_what_cosign_signs(void **state)
{
	struct strbuf p = STRBUF_INIT;

	sign_payload(&p, "127.0.0.1:5000/apps/web", D1);
	assert_string_equal(p.buf,
			    "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/apps/web\"},"
			    "\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef\"},"
			    "\"type\":\"cosign container image signature\"},\"optional\":null}");
	/* Go's encoding/json escapes HTML characters; so do we. */
	strbuf_reset(&p);
	sign_payload(&p, "oci-layout:/a<b>&\"c", D1);
	assert_non_null(strstr(p.buf, "\"oci-layout:/a\\u003cb\\u003e\\u0026\\\"c\""));
	strbuf_release(&p);
}

static void key_loaders_refuse_the_wrong_kind_of_key(void **state)
{
	struct fixture *f = *state;
	struct sign_key *k = NULL;
	struct strbuf p = STRBUF_INIT;
	static const char cosign_key[] =
		"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n"
		"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
	static const char enc_key[] =
		"-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----\n";
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	strbuf_addf(&p, "%s.key", f->prefix.buf);
	assert_int_equal(sign_key_load_public(&k, p.buf), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "is a private key; give the public key"));
	assert_null(k);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s.pub", f->prefix.buf);
	assert_int_equal(sign_key_load_private(&k, p.buf), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "not a PEM private key"));
	assert_int_equal(sign_key_load_private(&k, "/nonexistent/key"), ERR_NOTFOUND);
	assert_int_equal(sign_key_from_pem(&k, cosign_key, strlen(cosign_key), true, "c.key"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "cosign's encrypted key format is not supported"));
	assert_int_equal(sign_key_from_pem(&k, enc_key, strlen(enc_key), true, "e.key"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "encrypted private keys are not supported"));

	assert_non_null(p384);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, p384), 1);
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(sign_key_from_pem(&k, pem, (size_t)n, false, "p384.pub"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "not an ECDSA P-256 key"));
	BIO_free(bio);
	EVP_PKEY_free(p384);
	strbuf_release(&p);
}

/* Found by fuzz-sign (corpus: private-scalar-mismatch.pem): one changed byte. */
static void private_key_whose_public_half_does_not_match_is_refused(void **state)
{
	static const char damaged[] =
		"-----BEGIN PRIVATE KEY-----\n"
		"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrEbhAAEHb3aXACKl\n"
		"5jqx5/7bYJKMt3ymxJAJvuC76jShRANCAATkmkUK9bC68FLnVQ/UP/BFqC0EZRwA\n"
		"PiEFPYaxQdbk1K7W1h/bS9K2DaZ8OyzUz7M5jta657OYvfyNhtsczYSy\n"
		"-----END PRIVATE KEY-----\n";
	struct sign_key *k = NULL;

	assert_int_equal(sign_key_from_pem(&k, damaged, strlen(damaged), true, "d.key"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "does not match the public key"));
	assert_null(k);
}

static void configured_key_prefers_the_environment(void **state)
{
	struct fixture *f = *state;
	struct sign_key *k = NULL;
	struct strbuf key = STRBUF_INIT, pem = STRBUF_INIT;

	strbuf_addf(&key, "%s.key", f->prefix.buf);
	unsetenv("HOIST_SIGNING_KEY");
	assert_int_equal(sign_key_configured(&k, NULL), 0);
	assert_null(k);
	assert_int_equal(sign_key_configured(&k, key.buf), 0);
	assert_string_equal(sign_key_name(k), key.buf);
	sign_key_free(k);

	/* The environment wins over the file hoist.yaml names. */
	setenv("HOIST_SIGNING_KEY", key.buf, 1);
	assert_int_equal(sign_key_configured(&k, "/nonexistent/key"), 0);
	assert_string_equal(sign_key_name(k), key.buf);
	sign_key_free(k);

	/* As CI secrets come: the PEM text itself. */
	assert_int_equal(strbuf_read_file(&pem, key.buf, 0), 0);
	setenv("HOIST_SIGNING_KEY", pem.buf, 1);
	assert_int_equal(sign_key_configured(&k, NULL), 0);
	assert_string_equal(sign_key_name(k), "$HOIST_SIGNING_KEY");
	sign_key_free(k);

	setenv("HOIST_SIGNING_KEY", "/nonexistent/key", 1);
	assert_int_equal(sign_key_configured(&k, key.buf), ERR_NOTFOUND);
	unsetenv("HOIST_SIGNING_KEY");
	strbuf_release(&key);
	strbuf_release(&pem);
}

/* An image-layout store holding one small manifest under tag v1. */
static struct oci_store *store_with_manifest(struct fixture *f, const char *name,
					     char digest[DIGEST_STR_SIZE], const char *content)
{
	struct oci_open_opts oo = { .push = true };
	struct oci_store *s = NULL;
	struct strbuf dir = STRBUF_INIT, m = STRBUF_INIT;
	char cfg[DIGEST_STR_SIZE], layer[DIGEST_STR_SIZE];

	strbuf_addf(&dir, "%s/%s", f->dir, name);
	assert_int_equal(oci_layout_open(&s, dir.buf, &oo), 0);
	assert_int_equal(oci_blob_put(s, "{}", 2, cfg), 0);
	assert_int_equal(oci_blob_put(s, content, strlen(content), layer), 0);
	strbuf_addf(&m,
		    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_MANIFEST "\","
		    "\"config\":{\"mediaType\":\"application/vnd.cncf.flux.config.v1+json\","
		    "\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"x\",\"digest\":\"%s\","
		    "\"size\":%zu}]}",
		    cfg, layer, strlen(content));
	assert_int_equal(oci_manifest_put(s, "v1", OCI_MEDIA_MANIFEST, m.buf, m.len, digest), 0);
	strbuf_release(&dir);
	strbuf_release(&m);
	return s;
}

static void signed_artifact_verifies_and_signing_again_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct sign_key *priv = NULL, *pub = NULL, *opriv = NULL, *opub = NULL;
	char digest[DIGEST_STR_SIZE], other[DIGEST_STR_SIZE], tag[DIGEST_STR_SIZE + 8],
		before[DIGEST_STR_SIZE], after[DIGEST_STR_SIZE];
	struct oci_store *s = store_with_manifest(f, "one", digest, "one");
	const char *id = "oci-layout:/srv/store";

	load_pair(f, f->prefix.buf, &priv, &pub);
	load_pair(f, f->other.buf, &opriv, &opub);
	assert_int_equal(sign_verify(s, id, digest, pub), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "unsigned: no signature for sha256:"));

	assert_int_equal(sign_artifact(s, id, digest, priv), 0);
	assert_int_equal(sign_verify(s, id, digest, pub), 0);
	assert_int_equal(sign_verify(s, NULL, digest, pub), 0);
	assert_int_equal(sign_verify(s, "oci-layout:/elsewhere", digest, pub), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "names repository oci-layout:/srv/store, not oci-layout:/elsewhere"));
	assert_int_equal(sign_verify(s, id, digest, opub), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "(signed by another key?)"));

	/* ECDSA is randomised: signing again must leave the signature as it is. */
	sign_tag(tag, sizeof(tag), digest);
	assert_int_equal(oci_resolve(s, tag, before), 0);
	assert_int_equal(sign_artifact(s, id, digest, priv), 0);
	assert_int_equal(oci_resolve(s, tag, after), 0);
	assert_string_equal(before, after);

	/* A second signer is added next to the first, as cosign does. */
	assert_int_equal(sign_artifact(s, id, digest, opriv), 0);
	assert_int_equal(sign_verify(s, id, digest, pub), 0);
	assert_int_equal(sign_verify(s, id, digest, opub), 0);

	/* Nothing to sign: the manifest must exist. */
	xsnprintf(other, sizeof(other), "%s", D1);
	assert_int_equal(sign_artifact(s, id, other, priv), ERR_NOTFOUND);
	oci_store_free(s);
	sign_key_free(priv);
	sign_key_free(pub);
	sign_key_free(opriv);
	sign_key_free(opub);
}

static void a_signature_copied_to_another_digest_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sign_key *priv = NULL, *pub = NULL;
	char d1[DIGEST_STR_SIZE], d2[DIGEST_STR_SIZE], d3[DIGEST_STR_SIZE], t1[DIGEST_STR_SIZE + 8],
		t2[DIGEST_STR_SIZE + 8], put[DIGEST_STR_SIZE], got[DIGEST_STR_SIZE];
	struct oci_store *s = store_with_manifest(f, "first", d1, "first");
	struct oci_store *s2 = store_with_manifest(f, "second", d2, "second");
	struct oci_store *s3;
	struct strbuf m = STRBUF_INIT, mt = STRBUF_INIT;

	load_pair(f, f->prefix.buf, &priv, &pub);
	assert_int_equal(sign_artifact(s, "id", d1, priv), 0);
	/* sign_copy carries the same bytes (blobs, then the manifest) under the same tag. */
	assert_int_equal(sign_copy(s2, s, d1), 0);
	assert_int_equal(sign_verify(s2, "id", d1, pub), 0);
	assert_int_equal(sign_copy(s2, s, D1), ERR_NOTFOUND);

	/* The signature of d1 put where d2's belongs holds, but names d1. */
	sign_tag(t1, sizeof(t1), d1);
	sign_tag(t2, sizeof(t2), d2);
	assert_int_equal(oci_manifest_get(s, &m, &mt, t1, got), 0);
	assert_int_equal(oci_manifest_put(s2, t2, OCI_MEDIA_MANIFEST, m.buf, m.len, put), 0);
	assert_int_equal(sign_verify(s2, "id", d2, pub), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "signature payload names sha256:"));
	assert_non_null(strstr(err_msg(), d2));

	/* A manifest naming a payload the store lacks is a bad signature, not "unsigned". */
	s3 = store_with_manifest(f, "third", d3, "third");
	assert_int_equal(oci_manifest_put(s3, t1, OCI_MEDIA_MANIFEST, m.buf, m.len, put), 0);
	assert_int_equal(sign_verify(s3, "id", d1, pub), ERR_VERIFY);
	assert_non_null(strstr(err_msg(), "is missing from"));
	/* Signing over such a manifest drops the layer it cannot keep. */
	sign_tag(t1, sizeof(t1), d3);
	assert_int_equal(oci_manifest_put(s3, t1, OCI_MEDIA_MANIFEST, m.buf, m.len, put), 0);
	assert_int_equal(sign_artifact(s3, "id", d3, priv), 0);
	assert_int_equal(sign_verify(s3, "id", d3, pub), 0);
	assert_int_equal(oci_manifest_get(s3, &m, &mt, t1, got), 0);
	assert_null(strstr(strstr(m.buf, "\"layers\""), "},{"));
	oci_store_free(s3);
	oci_store_free(s);
	oci_store_free(s2);
	sign_key_free(priv);
	sign_key_free(pub);
	strbuf_release(&m);
	strbuf_release(&mt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keygen_writes_pkcs8_key_0600_and_spki_public_key),
		cmocka_unit_test(keygen_never_overwrites_a_key),
		cmocka_unit_test(signature_of_payload_verifies_with_the_public_key),
		cmocka_unit_test(verify_rejects_a_modified_payload_and_another_key),
		cmocka_unit_test(sign_tag_is_the_digest_with_a_dash_and_dot_sig),
		cmocka_unit_test(payload_is_byte_for_byte_what_cosign_signs),
		cmocka_unit_test(key_loaders_refuse_the_wrong_kind_of_key),
		cmocka_unit_test(private_key_whose_public_half_does_not_match_is_refused),
		cmocka_unit_test(configured_key_prefers_the_environment),
		cmocka_unit_test(signed_artifact_verifies_and_signing_again_changes_nothing),
		cmocka_unit_test(a_signature_copied_to_another_digest_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
