/*
 * oci-cmd.c - `hoist push` and `hoist pull`: an artifact file to and from a
 * registry or an OCI image layout.
 */
#include "core/compat.h"
#include "oci/artifact.h"
#include "core/cmd.h"
#include "core/err.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "oci/sign.h"
#include "core/strbuf.h"
#include <sys/stat.h>

#define REGISTRY_ENV \
	"HOIST_REGISTRY_USER\tregistry user name (with HOIST_REGISTRY_PASSWORD); else Docker's config\n" \
	"HOIST_REGISTRY_PASSWORD\tthe password or token for HOIST_REGISTRY_USER\n" \
	"DOCKER_CONFIG\tthe folder of config.json with registry credentials (default ~/.docker)\n" \
	"HOIST_RETRY_MAX\thow many times a failed registry request is retried\n"

struct push_args {
	bool insecure;
};

static const struct opt push_options[] = {
	{ "insecure", OPT_FIELD(struct push_args, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ NULL },
};

static const char *const push_examples[] = {
	"hoist push podinfo.tgz registry.example.com/apps/podinfo:1.4.0\t"
	"upload the artifact; prints the reference and its manifest digest",
	"hoist push podinfo.tgz oci-layout:./store:1.4.0\tinto a local OCI image layout",
	NULL,
};

const struct cmd cmd_push_entry = {
	"push", cmd_push, "push FILE REF [--insecure]",
	"push an artifact to a registry (HOST/REPO:TAG) or oci-layout:DIR:TAG; prints its digest",
	push_options,
	.description =
		"Verifies the artifact FILE and pushes it as an OCI image manifest whose\n"
		"config and layer media types follow Flux's OCI artifacts, with the source,\n"
		"revision and creation time of its hoist.json as annotations.  REF is\n"
		"HOST[:PORT]/REPO:TAG or oci-layout:DIR:TAG.  Prints \"REF DIGEST\".",
	.env = REGISTRY_ENV,
	.examples = push_examples,
	.see_also = "docs/oci.md",
	.args = { COMPLETE_FILE },
};

int cmd_push(int argc, char **argv)
{
	struct push_args a = { 0 };
	struct oci_open_opts oo = { 0 };
	struct oci_ref ref = { 0 };
	struct artifact_info info = { 0 };
	struct oci_artifact_desc desc = { 0 };
	struct oci_push_result res;
	struct oci_store *store = NULL;
	struct strbuf file = STRBUF_INIT, title = STRBUF_INIT;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, push_options, &a, &pos);
	if (n != 2)
		return cmd_usage(cmd_push_entry.usage);
	r = oci_ref_parse(&ref, pos[1]);
	if (r)
		goto out;
	if (!ref.tag) {
		r = err_set(ERR_INVALID, "push needs a tag (REF:TAG), not a digest: %s", pos[1]);
		goto out;
	}
	r = strbuf_read_file(&file, pos[0], OCI_BLOB_MAX);
	if (r)
		goto out;
	/* Only a verified artifact goes out; its hoist.json gives the annotations. */
	r = artifact_read(&info, file.buf, file.len, NULL, false);
	if (r) {
		err_prefix(r, "%s", pos[0]);
		goto out;
	}
	strbuf_addf(&title, "%s-%s.tar.gz", info.app ? info.app : "artifact",
		    info.version ? info.version : "0.0.0");
	desc.title = title.buf;
	desc.source = info.source;
	desc.revision = info.revision;
	desc.created = info.created;

	oo.insecure = a.insecure;
	oo.push = true;
	r = oci_store_open(&store, &ref, &oo);
	if (r)
		goto out;
	r = oci_artifact_push(&res, store, ref.tag, file.buf, file.len, &desc, NULL, 0);
	if (r)
		goto out;
	strbuf_release(&res.manifest);
	printf("%s %s\n", pos[1], res.digest);
out:
	oci_store_free(store);
	artifact_info_release(&info);
	oci_ref_release(&ref);
	strbuf_release(&file);
	strbuf_release(&title);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

struct pull_args {
	const char *dir, *verify_key;
	bool insecure;
};

#define A struct pull_args
static const struct opt pull_options[] = {
	{ "output", OPT_FIELD(A, dir), .short_name = 'o', .arg = "DIR", .complete = COMPLETE_DIR,
	  .help = "the new folder to unpack into (required; must not exist)" },
	{ "insecure", OPT_FIELD(A, insecure),
	  .help = "allow plain HTTP to a registry that is not on loopback" },
	{ "verify-key", OPT_FIELD(A, verify_key), .arg = "PUB", .complete = COMPLETE_FILE,
	  .help = "verify the artifact's cosign signature with this public key first" },
	{ NULL },
};
#undef A

static const char *const pull_examples[] = {
	"hoist pull registry.example.com/apps/podinfo:1.4.0 -o ./out\t"
	"fetch, verify every digest and unpack into ./out",
	"hoist pull oci-layout:./store:1.4.0 -o out --verify-key hoist.pub\t"
	"only unpack what the key signed",
	NULL,
};

const struct cmd cmd_pull_entry = {
	"pull", cmd_pull, "pull REF -o DIR [--insecure] [--verify-key PUB]",
	"fetch, verify and unpack an artifact into a new folder; prints its digest",
	pull_options,
	.description =
		"Fetches the artifact REF names, checks the manifest and layer digests and\n"
		"every file's sha256 listed in hoist.json, and unpacks it into a new folder\n"
		"(safely: no links, no paths outside it).  With --verify-key the signature\n"
		"is checked first and the artifact is fetched by the verified digest.",
	.env = REGISTRY_ENV,
	.examples = pull_examples,
	.see_also = "docs/oci.md, docs/signing.md",
};

int cmd_pull(int argc, char **argv)
{
	struct pull_args a = { 0 };
	struct sign_key *key = NULL;
	struct strbuf identity = STRBUF_INIT;
	struct oci_open_opts oo = { 0 };
	struct oci_ref ref = { 0 };
	struct artifact_info info = { 0 };
	struct oci_store *store = NULL;
	struct strbuf layer = STRBUF_INIT;
	char digest[DIGEST_STR_SIZE];
	struct stat st;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, pull_options, &a, &pos);
	if (n != 1 || !a.dir || !*a.dir)
		return cmd_usage(cmd_pull_entry.usage);
	r = oci_ref_parse(&ref, pos[0]);
	if (r)
		goto out;
	if (lstat(a.dir, &st) == 0) {
		r = err_set(ERR_CONFLICT, "%s already exists; pull unpacks into a new folder", a.dir);
		goto out;
	}
	if (a.verify_key && (r = sign_key_load_public(&key, a.verify_key)))
		goto out;
	oo.insecure = a.insecure;
	r = oci_store_open(&store, &ref, &oo);
	if (r)
		goto out;
	if (key) {
		/*
		 * Verify first, then pull by the verified digest: a tag moved in
		 * between cannot slip an unverified artifact in.
		 */
		char verified[DIGEST_STR_SIZE];

		if (ref.tag)
			r = oci_resolve(store, ref.tag, verified);
		else
			xsnprintf(verified, sizeof(verified), "%s", ref.digest);
		if (!r)
			r = sign_identity(&identity, &ref);
		if (!r)
			r = sign_verify(store, identity.buf, verified, key);
		/* A separate buffer: the pull checks what it fetched against `verified`. */
		if (!r)
			r = oci_artifact_pull(&layer, digest, store, verified);
	} else {
		r = oci_artifact_pull(&layer, digest, store, ref.tag ? ref.tag : ref.digest);
	}
	if (r)
		goto out;
	/* Verifies every file against hoist.json and removes `dir` again on error. */
	r = artifact_read(&info, layer.buf, layer.len, a.dir, false);
	if (r) {
		err_prefix(r, "%s", pos[0]);
		goto out;
	}
	printf("%s %s\n", pos[0], digest);
out:
	sign_key_free(key);
	strbuf_release(&identity);
	oci_store_free(store);
	artifact_info_release(&info);
	oci_ref_release(&ref);
	strbuf_release(&layer);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}
