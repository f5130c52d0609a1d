/*
 * oci.c - the backend-neutral store API: argument checks, verification of
 * everything a backend returns, and the Flux-compatible artifact manifest.
 */
#include "core/compat.h"
#include "oci/oci.h"
#include "oci/oci-ref.h"
#include "oci/artifact.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strbuf.h"

int oci_store_open(struct oci_store **out, const struct oci_ref *ref,
		   const struct oci_open_opts *opts)
{
	*out = NULL;
	if (ref->kind == OCI_REF_LAYOUT)
		return oci_layout_open(out, ref->dir, opts);
	return oci_registry_open(out, ref->host, ref->repo, opts);
}

void oci_store_free(struct oci_store *s)
{
	if (s)
		s->ops->free(s);
}

static int check_digest(const struct oci_store *s, const char *digest)
{
	if (!digest_is_valid(digest))
		return err_set(ERR_INVALID, "%s: invalid digest '%s' (want sha256:<64 hex>)",
			       s->name, digest);
	return 0;
}

static int check_tag(const struct oci_store *s, const char *tag)
{
	if (!oci_tag_is_valid(tag))
		return err_set(ERR_INVALID,
			       "%s: invalid tag '%s' (want [A-Za-z0-9_][A-Za-z0-9._-]{0,127})",
			       s->name, tag);
	return 0;
}

int oci_blob_exists(struct oci_store *s, const char *digest)
{
	size_t size = 0;
	int r = check_digest(s, digest);

	return r ? r : s->ops->blob_exists(s, digest, &size);
}

int oci_blob_put(struct oci_store *s, const void *buf, size_t len, char digest[DIGEST_STR_SIZE])
{
	int r = digest_sha256(digest, buf, len);

	return r ? r : s->ops->blob_put(s, digest, buf, len);
}

int oci_blob_ensure(struct oci_store *s, const void *buf, size_t len,
		    char digest[DIGEST_STR_SIZE], bool *skipped)
{
	size_t size = (size_t)-1;
	int r;

	*skipped = false;
	r = digest_sha256(digest, buf, len);
	if (r)
		return r;
	r = s->ops->blob_exists(s, digest, &size);
	if (!r && (size == (size_t)-1 || size == len)) {
		*skipped = true;
		log_debug("%s: blob %s already present", s->name, digest);
		return 0;
	}
	if (r && r != ERR_NOTFOUND)
		return r;
	return s->ops->blob_put(s, digest, buf, len);
}

int oci_blob_get(struct oci_store *s, struct strbuf *out, const char *digest, size_t max)
{
	struct strbuf what = STRBUF_INIT;
	int r;

	r = check_digest(s, digest);
	if (r)
		goto out;
	strbuf_reset(out);
	r = s->ops->blob_get(s, out, digest, max ? max : OCI_BLOB_MAX);
	if (r)
		goto out;
	strbuf_addf(&what, "%s: blob %s", s->name, digest);
	r = digest_verify(out->buf, out->len, digest, what.buf);
	if (r)
		strbuf_reset(out);
out:
	strbuf_release(&what);
	return r;
}

int oci_blob_mount(struct oci_store *s, const char *digest, const char *from_repo)
{
	int r = check_digest(s, digest);

	if (r)
		return r;
	if (!oci_repo_is_valid(from_repo))
		return err_set(ERR_INVALID, "%s: invalid repository name '%s'", s->name, from_repo);
	return s->ops->blob_mount(s, digest, from_repo, NULL, 0, NULL);
}

int oci_manifest_put(struct oci_store *s, const char *tag, const char *media_type,
		     const void *buf, size_t len, char digest[DIGEST_STR_SIZE])
{
	int r = check_tag(s, tag);

	if (r)
		return r;
	if (len > OCI_MANIFEST_MAX)
		return err_set(ERR_TOOBIG, "%s: manifest of %zu bytes is over the limit of %u",
			       s->name, len, OCI_MANIFEST_MAX);
	r = digest_sha256(digest, buf, len);
	return r ? r : s->ops->manifest_put(s, tag, media_type, buf, len, digest);
}

int oci_manifest_get(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
		     const char *tag_or_digest, char digest[DIGEST_STR_SIZE])
{
	char hint[DIGEST_STR_SIZE] = "";
	bool by_digest = !strncmp(tag_or_digest, DIGEST_PREFIX, strlen(DIGEST_PREFIX));
	int r;

	r = by_digest ? check_digest(s, tag_or_digest) : check_tag(s, tag_or_digest);
	if (r)
		goto out;
	strbuf_reset(out);
	strbuf_reset(media_type);
	r = s->ops->manifest_get(s, out, media_type, tag_or_digest, hint);
	if (r)
		goto out;
	r = digest_sha256(digest, out->buf, out->len);
	if (r)
		goto out;
	if (by_digest && strcmp(digest, tag_or_digest)) {
		r = err_set(ERR_VERIFY,
			    "%s: manifest %s does not match its digest (got %s); refusing it",
			    s->name, tag_or_digest, digest);
		goto out;
	}
	if (hint[0] && strcmp(digest, hint)) {
		r = err_set(ERR_VERIFY,
			    "%s: manifest %s hashes to %s but the store says %s; refusing it",
			    s->name, tag_or_digest, digest, hint);
		goto out;
	}
out:
	if (r)
		strbuf_reset(out);
	return r;
}

int oci_resolve(struct oci_store *s, const char *tag, char digest[DIGEST_STR_SIZE])
{
	int r = check_tag(s, tag);

	if (r)
		return r;
	r = s->ops->resolve(s, tag, digest);
	if (!r && !digest_is_valid(digest))
		return err_set(ERR_INVALID, "%s: tag %s resolves to an invalid digest", s->name, tag);
	return r;
}

int oci_tags_list(struct oci_store *s, char ***tags, size_t *ntags)
{
	*tags = NULL;
	*ntags = 0;
	return s->ops->tags_list(s, tags, ntags);
}

void oci_tags_free(char **tags)
{
	size_t i;

	for (i = 0; tags && tags[i]; i++)
		free(tags[i]);
	free(tags);
}

int oci_tag_delete(struct oci_store *s, const char *tag)
{
	int r = check_tag(s, tag);

	return r ? r : s->ops->tag_delete(s, tag);
}

/* --- artifact manifests -------------------------------------------------- */

static void add_str_field(struct strbuf *out, const char *key, const char *val)
{
	strbuf_add_json_str(out, key, strlen(key));
	strbuf_addch(out, ':');
	strbuf_add_json_str(out, val, strlen(val));
}

int oci_manifest_build(struct strbuf *out, const struct oci_artifact_desc *d)
{
	const char *created = d->created ? d->created : "1970-01-01T00:00:00Z";

	/* Keys in a fixed order; annotation keys sorted, as Go's encoder writes maps. */
	strbuf_addstr(out, "{\"schemaVersion\":2,");
	add_str_field(out, "mediaType", OCI_MEDIA_MANIFEST);
	strbuf_addstr(out, ",\"config\":{");
	add_str_field(out, "mediaType", ARTIFACT_MEDIA_CONFIG);
	strbuf_addch(out, ',');
	add_str_field(out, "digest", d->config_digest);
	strbuf_addf(out, ",\"size\":%zu},\"layers\":[{", d->config_size);
	add_str_field(out, "mediaType", ARTIFACT_MEDIA_LAYER);
	strbuf_addch(out, ',');
	add_str_field(out, "digest", d->layer_digest);
	strbuf_addf(out, ",\"size\":%zu", d->layer_size);
	if (d->title) {
		strbuf_addstr(out, ",\"annotations\":{");
		add_str_field(out, OCI_ANN_TITLE, d->title);
		strbuf_addch(out, '}');
	}
	strbuf_addstr(out, "}],\"annotations\":{");
	add_str_field(out, OCI_ANN_CREATED, created);
	if (d->revision) {
		strbuf_addch(out, ',');
		add_str_field(out, OCI_ANN_REVISION, d->revision);
	}
	if (d->source) {
		strbuf_addch(out, ',');
		add_str_field(out, OCI_ANN_SOURCE, d->source);
	}
	return strbuf_addstr(out, "}}");
}

/* A descriptor's digest and size, checked. */
static int read_descriptor(const struct doc_node *desc, const char *want_type, char *digest,
			   size_t *size, const char *what, const char *part)
{
	struct doc_value v;
	const char *mt, *dg;
	const struct doc_node *sz;

	if (!desc || desc->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s: manifest has no %s descriptor", what, part);
	mt = doc_get_str(desc, "mediaType", NULL);
	if (!mt || strcmp(mt, want_type))
		return err_set(ERR_INVALID,
			       "%s: %s media type is '%s', expected '%s' (not a hoist/Flux artifact)",
			       what, part, mt ? mt : "(none)", want_type);
	dg = doc_get_str(desc, "digest", NULL);
	if (!dg || !digest_is_valid(dg))
		return err_set(ERR_INVALID, "%s: %s digest '%s' is not sha256:<64 hex>", what,
			       part, dg ? dg : "(none)");
	sz = doc_map_get(desc, "size");
	if (!sz || doc_resolve(sz, &v) || v.type != DOC_T_INT || v.i < 0)
		return err_set(ERR_INVALID, "%s: %s size is missing or not a number", what, part);
	memcpy(digest, dg, DIGEST_STR_SIZE);
	*size = (size_t)v.i;
	return 0;
}

int oci_manifest_parse(struct oci_artifact_desc *d, const char *media_type,
		       const char *buf, size_t len, const char *what)
{
	static const struct doc_limits lim = { OCI_MANIFEST_MAX, 32, 10000 };
	struct doc_stream *st = NULL;
	const struct doc_node *root, *layers;
	const char *mt, *sv;
	int r;

	memset(d, 0, sizeof(*d));
	r = doc_parse(&st, buf, len, what, &lim);
	if (r)
		goto out;
	root = st->ndocs ? st->docs[0] : NULL;
	if (!root || root->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: manifest is not a JSON object", what);
		goto out;
	}
	sv = doc_get_str(root, "schemaVersion", NULL);
	if (!sv || strcmp(sv, "2")) {
		r = err_set(ERR_INVALID, "%s: manifest schemaVersion is '%s', expected 2", what,
			    sv ? sv : "(none)");
		goto out;
	}
	mt = doc_get_str(root, "mediaType", NULL);
	if (!mt || !*mt)
		mt = media_type;
	if (!mt || (strcmp(mt, OCI_MEDIA_MANIFEST) && strcmp(mt, OCI_MEDIA_DOCKER_MANIFEST))) {
		r = err_set(ERR_INVALID,
			    "%s: media type '%s' is not an image manifest (%s or %s)", what,
			    mt ? mt : "(none)", OCI_MEDIA_MANIFEST, OCI_MEDIA_DOCKER_MANIFEST);
		goto out;
	}
	r = read_descriptor(doc_map_get(root, "config"), ARTIFACT_MEDIA_CONFIG, d->config_digest,
			    &d->config_size, what, "config");
	if (r)
		goto out;
	layers = doc_map_get(root, "layers");
	if (!layers || layers->kind != DOC_SEQ || layers->n != 1) {
		r = err_set(ERR_INVALID, "%s: an artifact manifest has exactly one layer", what);
		goto out;
	}
	r = read_descriptor(layers->kids[0], ARTIFACT_MEDIA_LAYER, d->layer_digest,
			    &d->layer_size, what, "layer");
out:
	doc_stream_free(st);
	return r;
}

int oci_artifact_push(struct oci_push_result *res, struct oci_store *s, const char *tag,
		      const void *layer, size_t layer_len, const struct oci_artifact_desc *meta,
		      const char *config_from, unsigned flags)
{
	struct oci_artifact_desc d = *meta;
	const char *config = OCI_ARTIFACT_CONFIG;
	size_t have = (size_t)-1;
	bool skipped = false, uploaded = false;
	int r;

	memset(res, 0, sizeof(*res));
	strbuf_init(&res->manifest, 0);
	if ((flags & OCI_PUSH_NEW) && layer_len <= OCI_PUSH_ASK_ABOVE)
		r = oci_blob_put(s, layer, layer_len, d.layer_digest);
	else
		r = oci_blob_ensure(s, layer, layer_len, d.layer_digest, &skipped);
	if (r)
		goto out;
	skipped ? res->blobs_skipped++ : res->blobs_uploaded++;
	d.layer_size = layer_len;
	d.config_size = strlen(config);
	r = digest_sha256(d.config_digest, config, d.config_size);
	if (r)
		goto out;
	if (config_from && s->ops->blob_mount &&
	    !s->ops->blob_mount(s, d.config_digest, config_from, config, d.config_size,
				&uploaded)) {
		uploaded ? res->blobs_uploaded++ : res->blobs_mounted++;
		goto manifest;
	}
	err_clear();
	r = s->ops->blob_exists(s, d.config_digest, &have);
	if (!r && have != (size_t)-1 && have != d.config_size)
		r = ERR_NOTFOUND; /* the wrong size: upload it again */
	if (!r) {
		res->blobs_skipped++;
	} else if (r == ERR_NOTFOUND) {
		/* Not mountable after all (a racing delete): upload it. */
		r = s->ops->blob_put(s, d.config_digest, config, d.config_size);
		if (r)
			goto out;
		res->blobs_uploaded++;
	}
	if (r)
		goto out;
manifest:
	/* Last: the only step that makes the tag point anywhere. */
	oci_manifest_build(&res->manifest, &d);
	r = oci_manifest_put(s, tag, OCI_MEDIA_MANIFEST, res->manifest.buf, res->manifest.len,
			     res->digest);
	if (r)
		goto out;
	if (res->blobs_mounted)
		log_info("pushed %s:%s (%d blobs uploaded, %d mounted, %d already present)",
			 s->name, tag, res->blobs_uploaded, res->blobs_mounted, res->blobs_skipped);
	else
		log_info("pushed %s:%s (%d blobs uploaded, %d already present)", s->name, tag,
			 res->blobs_uploaded, res->blobs_skipped);
out:
	if (r)
		strbuf_release(&res->manifest);
	return r;
}

int oci_artifact_pull(struct strbuf *layer, char digest[DIGEST_STR_SIZE], struct oci_store *s,
		      const char *tag_or_digest)
{
	struct strbuf manifest = STRBUF_INIT, mt = STRBUF_INIT, what = STRBUF_INIT;
	struct oci_artifact_desc d;
	int r;

	r = oci_manifest_get(s, &manifest, &mt, tag_or_digest, digest);
	if (r)
		goto out;
	strbuf_addf(&what, "%s%c%s", s->name, strchr(tag_or_digest, ':') ? '@' : ':',
		    tag_or_digest);
	r = oci_manifest_parse(&d, mt.buf, manifest.buf, manifest.len, what.buf);
	if (r)
		goto out;
	if (d.layer_size > OCI_BLOB_MAX) {
		r = err_set(ERR_TOOBIG, "%s: layer of %zu bytes is over the limit of %u", what.buf,
			    d.layer_size, OCI_BLOB_MAX);
		goto out;
	}
	r = oci_blob_get(s, layer, d.layer_digest, d.layer_size);
	if (r)
		goto out;
	if (layer->len != d.layer_size) {
		r = err_set(ERR_VERIFY, "%s: layer is %zu bytes, the manifest says %zu", what.buf,
			    layer->len, d.layer_size);
		strbuf_reset(layer);
		goto out;
	}
out:
	strbuf_release(&manifest);
	strbuf_release(&mt);
	strbuf_release(&what);
	return r;
}
