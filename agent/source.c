/*
 * source.c - where an app's artifact comes from: a registry or OCI layout
 * (by tag, by digest, or the highest tag a semver constraint allows), or a
 * push.  Whatever the way, what leaves here is verified: the manifest
 * against its digest, the layer against the manifest, and the cosign
 * signature when the app has a verifyKey.
 */
#include "core/compat.h"
#include "agent/agent.h"
#include "agent/semver.h"
#include "agent/source.h"
#include "core/digest.h"
#include "core/err.h"
#include "oci/oci-ref.h"
#include "oci/oci.h"
#include "oci/sign.h"
#include "core/strbuf.h"

/* The reference to pull: the source as written, or its repository at the semver pick. */
static int pick(struct oci_store *store, const struct agent_app *app, const struct oci_ref *ref,
		struct strbuf *tag)
{
	char **tags = NULL;
	size_t n = 0;
	const char *best;
	int r;

	if (!app->semver) {
		strbuf_addstr(tag, ref->tag ? ref->tag : ref->digest);
		return 0;
	}
	r = oci_tags_list(store, &tags, &n);
	if (r)
		return r;
	best = semver_pick(app->semver, tags, n);
	if (!best)
		r = err_set(ERR_NOTFOUND, "%s: no tag matches semver '%s' (%zu tags)", store->name,
			    app->semver, n);
	else
		strbuf_addstr(tag, best);
	oci_tags_free(tags);
	return r;
}

static void ref_string(struct strbuf *out, const struct oci_ref *ref, const char *tag_or_digest)
{
	if (ref->kind == OCI_REF_LAYOUT)
		strbuf_addf(out, "oci-layout:%s", ref->dir);
	else
		strbuf_addf(out, "%s/%s", ref->host, ref->repo);
	strbuf_addf(out, "%s%s", !strncmp(tag_or_digest, "sha256:", 7) ? "@" : ":", tag_or_digest);
}

static int open_source(struct oci_store **store, struct oci_ref *ref, const struct agent_app *app)
{
	struct oci_open_opts oo = { 0 };
	int r;

	if (!strcmp(app->source, "push"))
		return err_set(ERR_INVALID, "app %s receives its artifacts by push; there is no source to pull",
			       app->name);
	r = oci_ref_parse(ref, app->source);
	if (r)
		return r;
	oo.insecure = app->insecure;
	return oci_store_open(store, ref, &oo);
}

int agent_resolve(struct agent *ag, const struct agent_app *app, char digest[DIGEST_STR_SIZE],
		  struct strbuf *ref_out)
{
	struct oci_ref ref = { 0 };
	struct oci_store *store = NULL;
	struct strbuf tag = STRBUF_INIT;
	int r;

	(void)ag;
	r = open_source(&store, &ref, app);
	if (!r)
		r = pick(store, app, &ref, &tag);
	if (r)
		goto out;
	if (!strncmp(tag.buf, "sha256:", 7))
		xsnprintf(digest, DIGEST_STR_SIZE, "%s", tag.buf);
	else
		r = oci_resolve(store, tag.buf, digest);
	if (!r && ref_out)
		ref_string(ref_out, &ref, tag.buf);
out:
	oci_store_free(store);
	oci_ref_release(&ref);
	strbuf_release(&tag);
	return r;
}

int source_fetch(const struct agent_app *app, struct strbuf *layer, char digest[DIGEST_STR_SIZE],
		 struct strbuf *ref_used)
{
	struct oci_ref ref = { 0 };
	struct oci_store *store = NULL;
	struct sign_key *key = NULL;
	struct strbuf tag = STRBUF_INIT, identity = STRBUF_INIT;
	char want[DIGEST_STR_SIZE];
	int r;

	r = open_source(&store, &ref, app);
	if (!r)
		r = pick(store, app, &ref, &tag);
	if (r)
		goto out;
	ref_string(ref_used, &ref, tag.buf);
	/*
	 * Resolve first, then fetch by that digest (verified by the store) and
	 * check the signature of exactly that digest: a tag moved in between
	 * cannot slip another artifact in.
	 */
	if (!strncmp(tag.buf, "sha256:", 7))
		xsnprintf(want, sizeof(want), "%s", tag.buf);
	else if ((r = oci_resolve(store, tag.buf, want)))
		goto out;
	if (app->verify_key) {
		r = sign_key_load_public(&key, app->verify_key);
		if (!r)
			r = sign_identity(&identity, &ref);
		if (!r)
			r = sign_verify(store, identity.buf, want, key);
		if (r == ERR_NOTFOUND)
			r = err_set(ERR_VERIFY, "%s: the artifact is not signed, and app %s requires a signature by %s",
				    ref_used->buf, app->name, app->verify_key);
		if (r)
			goto out;
	}
	r = oci_artifact_pull(layer, digest, store, want);
out:
	sign_key_free(key);
	oci_store_free(store);
	oci_ref_release(&ref);
	strbuf_release(&tag);
	strbuf_release(&identity);
	return r;
}

int agent_verify_pushed(struct agent *ag, const struct agent_app *app,
			const struct artifact_bytes *p)
{
	struct oci_artifact_desc d;
	struct sign_key *key = NULL;
	char got[DIGEST_STR_SIZE];
	int r;

	(void)ag;
	if (!p->digest || !digest_is_valid(p->digest))
		return err_set(ERR_VERIFY, "push for %s: no valid manifest digest", app->name);
	r = digest_verify(p->manifest, p->manifest_len, p->digest, "pushed manifest");
	if (r)
		return r;
	r = oci_manifest_parse(&d, OCI_MEDIA_MANIFEST, p->manifest, p->manifest_len,
			       "pushed manifest");
	if (r)
		return r;
	if (d.layer_size != p->layer_len)
		return err_set(ERR_VERIFY, "push for %s: the layer has %zu bytes, the manifest says %zu",
			       app->name, p->layer_len, d.layer_size);
	r = digest_sha256(got, p->layer, p->layer_len);
	if (r)
		return r;
	if (strcmp(got, d.layer_digest))
		return err_set(ERR_VERIFY, "push for %s: the layer is %s, the manifest names %s",
			       app->name, got, d.layer_digest);
	if (!app->verify_key)
		return 0;
	if (!p->sig_payload || !p->sig_b64)
		return err_set(ERR_VERIFY, "push for %s: the artifact is not signed, and the app requires a signature by %s",
			       app->name, app->verify_key);
	r = sign_key_load_public(&key, app->verify_key);
	if (!r)
		r = sign_bytes_verify(key, p->sig_payload, p->sig_payload_len, p->sig_b64);
	/* A push names no repository: the payload must name this exact digest. */
	if (!r)
		r = sign_payload_check(p->sig_payload, p->sig_payload_len, NULL, p->digest);
	sign_key_free(key);
	return r;
}
