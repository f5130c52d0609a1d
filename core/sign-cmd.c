/*
 * sign-cmd.c - `hoist keygen`, `hoist sign` and `hoist verify`: cosign-
 * compatible signatures of artifacts in a registry or an image layout.
 */
#include "compat.h"
#include "cmd.h"
#include "err.h"
#include "oci.h"
#include "oci-ref.h"
#include "sign.h"
#include "strbuf.h"

#define KEYGEN_USAGE "keygen [--out PREFIX]"
#define SIGN_USAGE "sign REF --key KEY [--identity NAME] [--insecure]"
#define VERIFY_USAGE "verify REF --key PUB [--identity NAME] [--insecure]"

int cmd_keygen(int argc, char **argv)
{
	const char *prefix = "hoist";
	const struct opt opts[] = { { "out", &prefix }, { NULL } };
	char **pos;
	int r;

	if (opts_parse(argc, argv, opts, &pos) != 0 || !*prefix)
		return cmd_usage(KEYGEN_USAGE);
	r = sign_keygen(prefix);
	if (r)
		return cmd_fail();
	printf("%s.key %s.pub\n", prefix, prefix);
	fprintf(stderr, "hoist: wrote the private key %s.key (unencrypted, mode 0600; "
			"keep it out of the repository) and the public key %s.pub\n",
		prefix, prefix);
	return cmd_finish_stdout(0);
}

/*
 * What sign and verify share: the store REF names, the manifest digest
 * (a tag resolved, a digest checked against the manifest it names) and
 * the identity the signature names.
 */
struct target {
	struct oci_ref ref;
	struct oci_store *store;
	struct strbuf identity;
	char digest[DIGEST_STR_SIZE];
};

static int target_open(struct target *t, const char *s, const char *identity, bool insecure,
		       bool push)
{
	struct oci_open_opts oo = { .insecure = insecure, .push = push };
	struct strbuf m = STRBUF_INIT, mt = STRBUF_INIT;
	int r;

	r = oci_ref_parse(&t->ref, s);
	if (!r)
		r = oci_store_open(&t->store, &t->ref, &oo);
	if (r)
		goto out;
	if (identity)
		strbuf_addstr(&t->identity, identity);
	else
		sign_identity(&t->identity, &t->ref);
	/* By digest, the manifest is fetched and checked to hash to it. */
	r = oci_manifest_get(t->store, &m, &mt, t->ref.tag ? t->ref.tag : t->ref.digest,
			     t->digest);
out:
	strbuf_release(&m);
	strbuf_release(&mt);
	return r;
}

static void target_release(struct target *t)
{
	oci_store_free(t->store);
	oci_ref_release(&t->ref);
	strbuf_release(&t->identity);
}

/* `hoist sign` and `hoist verify` differ only in the key they load and the call. */
static int sign_or_verify(int argc, char **argv, bool sign)
{
	const char *key_path = NULL, *identity = NULL;
	bool insecure = false;
	const struct opt opts[] = {
		{ "key", &key_path }, { "identity", &identity },
		{ "insecure", NULL, &insecure }, { NULL },
	};
	struct target t = { .identity = STRBUF_INIT };
	struct sign_key *key = NULL;
	char **pos;
	int r;

	if (opts_parse(argc, argv, opts, &pos) != 1 || !key_path)
		return cmd_usage(sign ? SIGN_USAGE : VERIFY_USAGE);
	r = sign ? sign_key_load_private(&key, key_path) : sign_key_load_public(&key, key_path);
	if (!r)
		r = target_open(&t, pos[0], identity, insecure, sign);
	if (!r)
		r = sign ? sign_artifact(t.store, t.identity.buf, t.digest, key)
			 : sign_verify(t.store, t.identity.buf, t.digest, key);
	if (!r)
		printf("%s %s %s\n", pos[0], t.digest, sign ? "signed" : "verified");
	sign_key_free(key);
	target_release(&t);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

int cmd_sign(int argc, char **argv)
{
	return sign_or_verify(argc, argv, true);
}

int cmd_verify(int argc, char **argv)
{
	return sign_or_verify(argc, argv, false);
}
