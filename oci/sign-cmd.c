/*
 * sign-cmd.c - `hoist keygen`, `hoist sign` and `hoist verify`: cosign-
 * compatible signatures of artifacts in a registry or an image layout.
 */
#include "core/compat.h"
#include "core/cmd.h"
#include "core/err.h"
#include "core/json-out.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "oci/sign.h"
#include "core/strbuf.h"

#define REGISTRY_ENV_SIGN \
	"HOIST_REGISTRY_USER\tregistry user name (with HOIST_REGISTRY_PASSWORD); else Docker's config\n" \
	"DOCKER_CONFIG\tthe folder of config.json with registry credentials (default ~/.docker)\n"

struct keygen_args {
	const char *out;
};

static const struct opt keygen_options[] = {
	{ "out", OPT_FIELD(struct keygen_args, out), .arg = "PREFIX", .def = "hoist",
	  .complete = COMPLETE_FILE, .help = "write PREFIX.key and PREFIX.pub" },
	{ NULL },
};

static const char *const keygen_examples[] = {
	"hoist keygen\twrite hoist.key (0600) and hoist.pub in the current folder",
	"hoist keygen --out /etc/hoist/signing\tthe pair for a Git server's hooks",
	NULL,
};

const struct cmd cmd_keygen_entry = {
	"keygen", cmd_keygen, "keygen [--out PREFIX]",
	"write a new ECDSA P-256 signing key pair: PREFIX.key (0600) and PREFIX.pub",
	keygen_options,
	.description =
		"Writes a new ECDSA P-256 key pair: the private key PREFIX.key (PKCS#8\n"
		"PEM, unencrypted, mode 0600) and the public key PREFIX.pub, the key\n"
		"formats cosign reads.  Neither file may exist yet.  Prints both names.",
	.examples = keygen_examples,
	.see_also = "docs/signing.md",
};

int cmd_keygen(int argc, char **argv)
{
	struct keygen_args a = { .out = "hoist" };
	const char *prefix;
	char **pos;
	int r;

	if (opts_parse(argc, argv, keygen_options, &a, &pos) != 0 || !*a.out)
		return cmd_usage(cmd_keygen_entry.usage);
	prefix = a.out;
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

struct sign_args {
	const char *key, *identity;
	bool insecure, json;
};

#define A struct sign_args
static const struct opt sign_options[] = {
	{ "key", OPT_FIELD(A, key), .arg = "KEY", .complete = COMPLETE_FILE,
	  .help = "the private key file (required)" },
	{ "identity", OPT_FIELD(A, identity), .arg = "NAME", .def = "REGISTRY/REPO",
	  .help = "the docker-reference the signature names, as cosign writes it" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ NULL },
};

static const struct opt verify_options[] = {
	{ "key", OPT_FIELD(A, key), .arg = "PUB", .complete = COMPLETE_FILE,
	  .help = "the public key file (required)" },
	{ "identity", OPT_FIELD(A, identity), .arg = "NAME", .def = "REGISTRY/REPO",
	  .help = "the docker-reference the signature must name" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "json", OPT_FIELD(A, json),
	  .help = "print the result as one JSON object (fields in docs/cli.md)" },
	{ NULL },
};
#undef A

static const char *const sign_examples[] = {
	"hoist sign registry.example.com/apps/podinfo:1.4.0 --key hoist.key\t"
	"sign the manifest the tag names, in cosign's sha256-HEX.sig layout",
	"hoist sign oci-layout:./store:1.4.0 --key hoist.key\tthe same in an image layout",
	NULL,
};

static const char *const verify_examples[] = {
	"hoist verify registry.example.com/apps/podinfo:1.4.0 --key hoist.pub\t"
	"exit 0 only when a signature by the key covers the tag's digest",
	"hoist verify oci-layout:./store:1.4.0 --key hoist.pub --json\t"
	"the result as JSON, for a script",
	NULL,
};

const struct cmd cmd_sign_entry = {
	"sign", cmd_sign, "sign REF --key KEY [--identity NAME] [--insecure]",
	"sign an artifact in a registry or image layout, as cosign does",
	sign_options,
	.description =
		"Signs the manifest REF names (a tag is resolved to its digest first) with\n"
		"a simple-signing payload in cosign's registry layout, so cosign verify\n"
		"--key and Flux's verification accept it.  Prints \"REF DIGEST signed\".",
	.env = REGISTRY_ENV_SIGN,
	.examples = sign_examples,
	.see_also = "docs/signing.md",
};

const struct cmd cmd_verify_entry = {
	"verify", cmd_verify, "verify REF --key PUB [--identity NAME] [--insecure] [--json]",
	"check an artifact's cosign signature against a public key",
	verify_options,
	.description =
		"Checks that a signature stored in cosign's layout next to the manifest REF\n"
		"names was made by the key and names the identity and the digest.  Prints\n"
		"\"REF DIGEST verified\" and exits 0, or fails with exit status 1.",
	.env = REGISTRY_ENV_SIGN,
	.examples = verify_examples,
	.see_also = "docs/signing.md",
};

/* `hoist sign` and `hoist verify` differ only in the key they load and the call. */
static int sign_or_verify(int argc, char **argv, bool sign)
{
	struct sign_args a = { 0 };
	struct target t = { .identity = STRBUF_INIT };
	struct sign_key *key = NULL;
	struct strbuf js = STRBUF_INIT;
	char **pos;
	int r;

	if (opts_parse(argc, argv, sign ? sign_options : verify_options, &a, &pos) != 1 ||
	    !a.key)
		return cmd_usage(sign ? cmd_sign_entry.usage : cmd_verify_entry.usage);
	r = sign ? sign_key_load_private(&key, a.key) : sign_key_load_public(&key, a.key);
	if (!r)
		r = target_open(&t, pos[0], a.identity, a.insecure, sign);
	if (!r)
		r = sign ? sign_artifact(t.store, t.identity.buf, t.digest, key)
			 : sign_verify(t.store, t.identity.buf, t.digest, key);
	if (!r && a.json) {
		strbuf_addch(&js, '{');
		json_kv_str(&js, "reference", pos[0]);
		json_kv_str(&js, "digest", t.digest);
		json_kv_str(&js, "identity", t.identity.buf);
		json_kv_bool(&js, "verified", true);
		strbuf_addstr(&js, "}\n");
		cmd_write_stdout(js.buf, js.len);
	} else if (!r) {
		printf("%s %s %s\n", pos[0], t.digest, sign ? "signed" : "verified");
	}
	sign_key_free(key);
	target_release(&t);
	strbuf_release(&js);
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
