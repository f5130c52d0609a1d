/*
 * fuzz-oci.c - the parsers of what a registry (or a user) sends us.
 *
 * The first byte picks the parser, the rest is its input:
 *   0  oci_manifest_parse()          a manifest body
 *   1  oci_ref_parse()               a reference (NUL-terminated at the first NUL)
 *   2  oci_challenge_parse()         a WWW-Authenticate value
 *   3  oci_docker_config_lookup()    a Docker config.json
 *   4  oci_base64_decode()           a Docker "auth" field
 *   5  oci_token_reply_parse()       a token service's reply
 * No network and no files: every function here works on memory only.
 */
#include "core/compat.h"
#include "core/err.h"
#include "oci/oci-auth.h"
#include "oci/oci-ref.h"
#include "oci/oci.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_artifact_desc d;
	struct oci_ref ref;
	struct oci_challenge ch;
	struct oci_cred cred;
	struct strbuf sb = STRBUF_INIT;
	char *s, *token = NULL;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0] % 6;
	data++;
	size--;
	/* The string APIs see what a C caller would: text up to the first NUL. */
	s = xstrndup((const char *)data, size);
	switch (sel) {
	case 0:
		oci_manifest_parse(&d, OCI_MEDIA_MANIFEST, (const char *)data, size, "fuzz");
		break;
	case 1:
		if (!oci_ref_parse(&ref, s)) {
			if (ref.tag && !oci_tag_is_valid(ref.tag))
				abort();
			if (ref.kind == OCI_REF_REGISTRY &&
			    (!oci_repo_is_valid(ref.repo) || !oci_host_is_valid(ref.host)))
				abort();
			oci_ref_release(&ref);
		}
		break;
	case 2:
		if (!oci_challenge_parse(&ch, s))
			oci_challenge_release(&ch);
		break;
	case 3:
		if (!oci_docker_config_lookup(&cred, (const char *)data, size, "config.json",
					      "reg.example.com"))
			oci_cred_release(&cred);
		break;
	case 4:
		oci_base64_decode(&sb, s);
		break;
	case 5:
		if (!oci_token_reply_parse(&token, (const char *)data, size, "reg.example.com"))
			free(token);
		break;
	}
	free(s);
	strbuf_release(&sb);
	err_clear();
	return 0;
}
