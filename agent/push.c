/*
 * push.c - checks and keeps artifacts pushed to the agent.  See push.h.
 */
#include "core/compat.h"
#include "agent/push.h"
#include "core/artifact.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/oci.h"
#include "core/oci-auth.h"
#include "core/sign.h"
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

void push_checked_release(struct push_checked *pc)
{
	free(pc->app);
	free(pc->version);
	free(pc->revision);
	memset(pc, 0, sizeof(*pc));
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
static int check_manifest(struct push_checked *out, const char *b64, size_t len)
{
	struct strbuf m = STRBUF_INIT;
	struct oci_artifact_desc d;
	int r = decode_header(&m, b64, PUSH_HDR_MANIFEST);

	if (!r)
		r = oci_manifest_parse(&d, OCI_MEDIA_MANIFEST, m.buf, m.len, PUSH_HDR_MANIFEST);
	if (r)
		goto out;
	if (strcmp(d.layer_digest, out->blob_digest) || d.layer_size != len) {
		r = err_set(ERR_VERIFY,
			    "%s names layer %s (%zu bytes), but the body is %s (%zu bytes)",
			    PUSH_HDR_MANIFEST, d.layer_digest, d.layer_size, out->blob_digest, len);
		goto out;
	}
	digest_sha256(out->digest, m.buf, m.len);
	out->has_manifest = true;
out:
	strbuf_release(&m);
	return r;
}

static int check_signature(struct push_checked *out, enum push_fail *fail,
			   const struct push_claims *c, const struct sign_key *key)
{
	struct strbuf payload = STRBUF_INIT;
	int r;

	if (!c->signature_b64 || !c->payload_b64) {
		*fail = PUSH_UNSIGNED;
		return err_set(ERR_VERIFY,
			       "unsigned: this app requires a signature by %s (headers %s and %s)",
			       sign_key_name(key), PUSH_HDR_SIGNATURE, PUSH_HDR_PAYLOAD);
	}
	*fail = PUSH_BAD_REQUEST;
	r = decode_header(&payload, c->payload_b64, PUSH_HDR_PAYLOAD);
	if (!r && strlen(c->signature_b64) > PUSH_HDR_MAX)
		r = err_set(ERR_INVALID, "%s: longer than %u bytes", PUSH_HDR_SIGNATURE,
			    PUSH_HDR_MAX);
	if (r)
		goto out;
	*fail = PUSH_SIGNATURE;
	r = sign_bytes_verify(key, payload.buf, payload.len, c->signature_b64);
	/*
	 * The repository identity is not checked: a pushed artifact has no
	 * repository of its own here (cosign's default, too).  The digest is.
	 */
	if (!r)
		r = sign_payload_check(payload.buf, payload.len, NULL, out->digest);
	if (!r) {
		out->signature_checked = true;
		*fail = PUSH_OK;
	}
out:
	strbuf_release(&payload);
	return r;
}

int push_check(struct push_checked *out, enum push_fail *fail, const struct push_claims *c,
	       const void *body, size_t len, const struct sign_key *key)
{
	struct artifact_info info = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
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
	memcpy(out->digest, out->blob_digest, DIGEST_STR_SIZE);
	if (c->manifest_b64) {
		r = check_manifest(out, c->manifest_b64, len);
		if (r) {
			*fail = r == ERR_VERIFY ? PUSH_DIGEST : PUSH_BAD_REQUEST;
			goto fail;
		}
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

int push_store_save(const char *dir, const char *app, const void *body, size_t len,
		    const struct push_checked *pc)
{
	struct strbuf path = STRBUF_INIT, meta = STRBUF_INIT;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(ERR_GENERIC, "%s: %s", dir, strerror(errno));
	strbuf_addstr(&meta, "{\"digest\":");
	strbuf_add_json_str(&meta, pc->digest, strlen(pc->digest));
	strbuf_addstr(&meta, ",\"blobDigest\":");
	strbuf_add_json_str(&meta, pc->blob_digest, strlen(pc->blob_digest));
	strbuf_addstr(&meta, ",\"revision\":");
	strbuf_add_json_str(&meta, pc->revision ? pc->revision : "",
			    pc->revision ? strlen(pc->revision) : 0);
	strbuf_addstr(&meta, ",\"version\":");
	strbuf_add_json_str(&meta, pc->version ? pc->version : "",
			    pc->version ? strlen(pc->version) : 0);
	strbuf_addstr(&meta, "}\n");
	/* The body first: metadata naming a body that is not there yet never exists. */
	store_path(&path, dir, app, ".tar.gz");
	r = write_file_atomic(path.buf, body, len, 0600);
	if (!r) {
		store_path(&path, dir, app, ".json");
		r = write_file_atomic(path.buf, meta.buf, meta.len, 0600);
	}
	strbuf_release(&path);
	strbuf_release(&meta);
	return r;
}

int push_store_load(const char *dir, const char *app, struct strbuf *body,
		    char digest[DIGEST_STR_SIZE], struct strbuf *revision)
{
	struct strbuf path = STRBUF_INIT, meta = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const char *d, *bd, *rev;
	int r;

	store_path(&path, dir, app, ".json");
	r = strbuf_read_file(&meta, path.buf, 64u << 10);
	if (r)
		goto out;
	r = doc_parse(&ds, meta.buf, meta.len, path.buf, NULL);
	if (r)
		goto out;
	d = ds->ndocs ? doc_get_str(ds->docs[0], "digest", NULL) : NULL;
	bd = ds->ndocs ? doc_get_str(ds->docs[0], "blobDigest", NULL) : NULL;
	rev = ds->ndocs ? doc_get_str(ds->docs[0], "revision", NULL) : NULL;
	if (!d || !bd || !digest_is_valid(d) || !digest_is_valid(bd)) {
		r = err_set(ERR_INVALID, "%s: no valid digest", path.buf);
		goto out;
	}
	store_path(&path, dir, app, ".tar.gz");
	strbuf_reset(body);
	r = strbuf_read_file(body, path.buf, OCI_BLOB_MAX);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_INVALID, "%s: missing, but its metadata is there", path.buf);
	if (!r)
		r = digest_verify(body->buf, body->len, bd, path.buf);
	if (r)
		goto out;
	memcpy(digest, d, DIGEST_STR_SIZE);
	if (revision) {
		strbuf_reset(revision);
		strbuf_addstr(revision, rev ? rev : "");
	}
out:
	doc_stream_free(ds);
	strbuf_release(&path);
	strbuf_release(&meta);
	return r;
}
