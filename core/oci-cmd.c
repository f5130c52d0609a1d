/*
 * oci-cmd.c - `hoist push` and `hoist pull`: an artifact file to and from a
 * registry or an OCI image layout.
 */
#include "compat.h"
#include "artifact.h"
#include "cmd.h"
#include "err.h"
#include "oci.h"
#include "oci-ref.h"
#include "sign.h"
#include "strbuf.h"
#include <sys/stat.h>

#define PUSH_USAGE "push FILE REF [--insecure]"
#define PULL_USAGE "pull REF -o DIR [--insecure] [--verify-key PUB]"

int cmd_push(int argc, char **argv)
{
	bool insecure = false;
	const struct opt opts[] = { { "insecure", NULL, &insecure }, { NULL } };
	struct oci_open_opts oo = { 0 };
	struct oci_ref ref = { 0 };
	struct artifact_info info = { 0 };
	struct oci_artifact_desc desc = { 0 };
	struct oci_push_result res;
	struct oci_store *store = NULL;
	struct strbuf file = STRBUF_INIT, title = STRBUF_INIT;
	char **pos;
	int n, r;

	n = opts_parse(argc, argv, opts, &pos);
	if (n != 2)
		return cmd_usage(PUSH_USAGE);
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

	oo.insecure = insecure;
	oo.push = true;
	r = oci_store_open(&store, &ref, &oo);
	if (r)
		goto out;
	r = oci_artifact_push(&res, store, ref.tag, file.buf, file.len, &desc);
	if (r)
		goto out;
	printf("%s %s\n", pos[1], res.digest);
out:
	oci_store_free(store);
	artifact_info_release(&info);
	oci_ref_release(&ref);
	strbuf_release(&file);
	strbuf_release(&title);
	return cmd_finish_stdout(r ? cmd_fail() : 0);
}

int cmd_pull(int argc, char **argv)
{
	static char output_opt[] = "--output";
	bool insecure = false;
	const char *dir = NULL, *verify_key = NULL;
	const struct opt opts[] = {
		{ "output", &dir }, { "insecure", NULL, &insecure },
		{ "verify-key", &verify_key }, { NULL },
	};
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

	/* -o is the one short option, as everyone types it (and as pack takes it). */
	for (n = 0; n < argc; n++)
		if (!strcmp(argv[n], "-o"))
			argv[n] = output_opt;
	n = opts_parse(argc, argv, opts, &pos);
	if (n != 1 || !dir || !*dir)
		return cmd_usage(PULL_USAGE);
	r = oci_ref_parse(&ref, pos[0]);
	if (r)
		goto out;
	if (lstat(dir, &st) == 0) {
		r = err_set(ERR_CONFLICT, "%s already exists; pull unpacks into a new folder", dir);
		goto out;
	}
	if (verify_key && (r = sign_key_load_public(&key, verify_key)))
		goto out;
	oo.insecure = insecure;
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
	r = artifact_read(&info, layer.buf, layer.len, dir, false);
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
