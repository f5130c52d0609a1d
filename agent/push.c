/*
 * push.c - checks and keeps artifacts pushed to the agent.  See push.h.
 */
#include "core/compat.h"
#include "agent/push.h"
#include "oci/artifact.h"
#include "model/doc.h"
#include "core/err.h"
#include "oci/oci.h"
#include "oci/oci-auth.h"
#include "oci/sign.h"
#include "core/strbuf.h"
#include <errno.h>
#include <sys/stat.h>

const char *push_fail_name(enum push_fail f)
{
	switch (f) {
	case PUSH_OK: return "ok";
	case PUSH_BAD_REQUEST: return "bad-request";
	case PUSH_DIGEST: return "digest-mismatch";
	case PUSH_UNSIGNED: return "signature-missing";
	case PUSH_SIGNATURE: return "signature-invalid";
	case PUSH_ARTIFACT: return "artifact-invalid";
	case PUSH_TOO_LARGE: return "too-large";
	}
	return "error";
}

int push_fail_status(enum push_fail f)
{
	switch (f) {
	case PUSH_OK: return 200;
	case PUSH_BAD_REQUEST: return 400;
	case PUSH_DIGEST: return 422;
	case PUSH_UNSIGNED: return 403;
	case PUSH_SIGNATURE: return 403;
	case PUSH_ARTIFACT: return 422;
	case PUSH_TOO_LARGE: return 413;
	}
	return 400;
}

void push_checked_init(struct push_checked *pc)
{
	memset(pc, 0, sizeof(*pc));
	strbuf_init(&pc->manifest, 0);
	strbuf_init(&pc->payload, 0);
}

void push_checked_release(struct push_checked *pc)
{
	strbuf_release(&pc->manifest);
	strbuf_release(&pc->payload);
	free(pc->sig_b64);
	free(pc->app);
	free(pc->version);
	free(pc->revision);
	push_checked_init(pc);
}

/* Base64 of a header, bounded, or ERR_INVALID naming the header. */
static int decode_header(struct strbuf *out, const char *v, const char *name)
{
	if (strlen(v) > PUSH_HDR_MAX)
		return err_set(ERR_INVALID, "%s: longer than %u bytes", name, PUSH_HDR_MAX);
	if (oci_base64_decode(out, v))
		return err_set(ERR_INVALID, "%s: not valid base64", name);
	return 0;
}

/* The manifest must name exactly this body as its one Flux content layer. */
static int check_manifest(struct push_checked *out, const char *what, size_t len)
{
	struct oci_artifact_desc d;
	int r;

	r = oci_manifest_parse(&d, OCI_MEDIA_MANIFEST, out->manifest.buf, out->manifest.len,
			       what);
	if (r)
		return r;
	if (strcmp(d.layer_digest, out->blob_digest) || d.layer_size != len)
		return err_set(ERR_VERIFY,
			       "%s names layer %s (%zu bytes), but the body is %s (%zu bytes)",
			       what, d.layer_digest, d.layer_size, out->blob_digest, len);
	digest_sha256(out->digest, out->manifest.buf, out->manifest.len);
	return 0;
}

/* The manifest a layer gets when the pusher sends none: no annotations. */
static void bare_manifest(struct strbuf *out, const char *blob_digest, size_t len)
{
	struct oci_artifact_desc d = { 0 };

	memcpy(d.layer_digest, blob_digest, DIGEST_STR_SIZE);
	d.layer_size = len;
	digest_sha256(d.config_digest, OCI_ARTIFACT_CONFIG, strlen(OCI_ARTIFACT_CONFIG));
	d.config_size = strlen(OCI_ARTIFACT_CONFIG);
	oci_manifest_build(out, &d);
}

static int check_signature(struct push_checked *out, enum push_fail *fail,
			   const struct push_claims *c, const struct sign_key *key)
{
	int r;

	if (!c->signature_b64 || !c->payload_b64) {
		*fail = PUSH_UNSIGNED;
		return err_set(ERR_VERIFY,
			       "unsigned: this app requires a signature by %s (headers %s and %s)",
			       sign_key_name(key), PUSH_HDR_SIGNATURE, PUSH_HDR_PAYLOAD);
	}
	*fail = PUSH_BAD_REQUEST;
	r = decode_header(&out->payload, c->payload_b64, PUSH_HDR_PAYLOAD);
	if (!r && strlen(c->signature_b64) > PUSH_HDR_MAX)
		r = err_set(ERR_INVALID, "%s: longer than %u bytes", PUSH_HDR_SIGNATURE,
			    PUSH_HDR_MAX);
	if (r)
		goto out;
	*fail = PUSH_SIGNATURE;
	r = sign_bytes_verify(key, out->payload.buf, out->payload.len, c->signature_b64);
	/*
	 * The repository identity is not checked: a pushed artifact has no
	 * repository of its own here (cosign's default, too).  The digest is.
	 */
	if (!r)
		r = sign_payload_check(out->payload.buf, out->payload.len, NULL, out->digest);
	if (!r) {
		out->signature_checked = true;
		out->sig_b64 = xstrdup(c->signature_b64);
		*fail = PUSH_OK;
	}
out:
	return r;
}

int push_check(struct push_checked *out, enum push_fail *fail, const struct push_claims *c,
	       const void *body, size_t len, const struct sign_key *key)
{
	struct artifact_info info = { 0 };
	int r = 0;

	push_checked_init(out);
	*fail = PUSH_BAD_REQUEST;
	if (!c->digest)
		return err_set(ERR_INVALID, "the %s header (sha256:HEX of the body) is missing",
			       PUSH_HDR_DIGEST);
	if (!digest_is_valid(c->digest))
		return err_set(ERR_INVALID, "%s: '%.80s' is not sha256:<64 lowercase hex>",
			       PUSH_HDR_DIGEST, c->digest);
	if (len > OCI_BLOB_MAX) {
		*fail = PUSH_TOO_LARGE;
		return err_set(ERR_TOOBIG, "the artifact is %zu bytes, over the limit of %u", len,
			       OCI_BLOB_MAX);
	}
	digest_sha256(out->blob_digest, body, len);
	if (strcmp(out->blob_digest, c->digest)) {
		*fail = PUSH_DIGEST;
		return err_set(ERR_VERIFY, "the body's digest is %s, not %s as %s states",
			       out->blob_digest, c->digest, PUSH_HDR_DIGEST);
	}
	if (c->manifest_b64)
		r = decode_header(&out->manifest, c->manifest_b64, PUSH_HDR_MANIFEST);
	else
		bare_manifest(&out->manifest, out->blob_digest, len);
	if (!r)
		r = check_manifest(out, PUSH_HDR_MANIFEST, len);
	if (r) {
		*fail = r == ERR_VERIFY ? PUSH_DIGEST : PUSH_BAD_REQUEST;
		goto fail;
	}
	if (key) {
		r = check_signature(out, fail, c, key);
		if (r)
			goto fail;
	}
	r = artifact_read(&info, body, len, NULL, false);
	if (r) {
		*fail = r == ERR_TOOBIG ? PUSH_TOO_LARGE : PUSH_ARTIFACT;
		goto fail;
	}
	out->app = info.app ? xstrdup(info.app) : NULL;
	out->version = info.version ? xstrdup(info.version) : NULL;
	out->revision = info.revision ? xstrdup(info.revision) : NULL;
	out->nobjects = info.nobjects;
	artifact_info_release(&info);
	*fail = PUSH_OK;
	return 0;
fail:
	artifact_info_release(&info);
	push_checked_release(out);
	return r;
}

static void store_path(struct strbuf *out, const char *dir, const char *app, const char *ext)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s/%s%s", dir, app, ext);
}

static void json_field(struct strbuf *out, const char *key, const char *v, size_t len, bool last)
{
	strbuf_addf(out, "\"%s\":", key);
	strbuf_add_json_str(out, v ? v : "", v ? len : 0);
	strbuf_addstr(out, last ? "}\n" : ",");
}

int push_store_save(const char *dir, const char *app, const void *body, size_t len,
		    const struct push_checked *pc)
{
	struct strbuf path = STRBUF_INIT, meta = STRBUF_INIT, b64 = STRBUF_INIT;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(ERR_GENERIC, "%s: %s", dir, strerror(errno));
	if (pc->payload.len)
		oci_base64_encode(&b64, pc->payload.buf, pc->payload.len);
	strbuf_addch(&meta, '{');
	json_field(&meta, "digest", pc->digest, strlen(pc->digest), false);
	json_field(&meta, "blobDigest", pc->blob_digest, strlen(pc->blob_digest), false);
	json_field(&meta, "manifest", pc->manifest.buf, pc->manifest.len, false);
	json_field(&meta, "payload", b64.buf, b64.len, false);
	json_field(&meta, "signature", pc->sig_b64, pc->sig_b64 ? strlen(pc->sig_b64) : 0, false);
	json_field(&meta, "revision", pc->revision, pc->revision ? strlen(pc->revision) : 0,
		   false);
	json_field(&meta, "version", pc->version, pc->version ? strlen(pc->version) : 0, true);
	/* The body first: metadata naming a body that is not there yet never exists. */
	store_path(&path, dir, app, ".tar.gz");
	r = write_file_atomic(path.buf, body, len, 0600);
	if (!r) {
		store_path(&path, dir, app, ".json");
		r = write_file_atomic(path.buf, meta.buf, meta.len, 0600);
	}
	strbuf_release(&path);
	strbuf_release(&meta);
	strbuf_release(&b64);
	return r;
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

int push_store_load(const char *dir, const char *app, struct strbuf *body,
		    struct push_checked *pc)
{
	struct strbuf path = STRBUF_INIT, meta = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *root;
	const char *d, *bd, *m, *pl, *sig;
	int r;

	push_checked_init(pc);
	store_path(&path, dir, app, ".json");
	r = strbuf_read_file(&meta, path.buf, 256u << 10);
	if (r)
		goto out;
	r = doc_parse(&ds, meta.buf, meta.len, path.buf, NULL);
	if (r)
		goto out;
	root = ds->ndocs ? ds->docs[0] : NULL;
	d = doc_get_str(root, "digest", NULL);
	bd = doc_get_str(root, "blobDigest", NULL);
	m = doc_get_str(root, "manifest", NULL);
	pl = doc_get_str(root, "payload", NULL);
	sig = doc_get_str(root, "signature", NULL);
	if (!d || !bd || !m || !digest_is_valid(d) || !digest_is_valid(bd)) {
		r = err_set(ERR_INVALID, "%s: no valid digest or manifest", path.buf);
		goto out;
	}
	memcpy(pc->digest, d, DIGEST_STR_SIZE);
	memcpy(pc->blob_digest, bd, DIGEST_STR_SIZE);
	strbuf_addstr(&pc->manifest, m);
	r = digest_verify(pc->manifest.buf, pc->manifest.len, d, path.buf);
	if (!r && pl && *pl)
		r = oci_base64_decode(&pc->payload, pl);
	if (r)
		goto out;
	pc->sig_b64 = dup_nonempty(sig);
	pc->revision = dup_nonempty(doc_get_str(root, "revision", NULL));
	pc->version = dup_nonempty(doc_get_str(root, "version", NULL));
	store_path(&path, dir, app, ".tar.gz");
	strbuf_reset(body);
	r = strbuf_read_file(body, path.buf, OCI_BLOB_MAX);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_INVALID, "%s: missing, but its metadata is there", path.buf);
	if (!r)
		r = digest_verify(body->buf, body->len, bd, path.buf);
out:
	if (r)
		push_checked_release(pc);
	doc_stream_free(ds);
	strbuf_release(&path);
	strbuf_release(&meta);
	return r;
}
