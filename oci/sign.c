/*
 * sign.c - cosign-compatible artifact signatures.  See sign.h and
 * docs/signing.md.
 *
 * The payload, the config blob and the signature manifest are written by
 * hand, byte for byte as cosign writes them (Go's encoding/json of
 * sigstore's payload.SimpleContainerImage and go-containerregistry's
 * ConfigFile and Manifest), so a signature hoist makes and one cosign makes
 * differ only in the random part of the ECDSA signature.
 */
#include "core/compat.h"
#include "oci/sign.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "oci/oci.h"
#include "oci/oci-auth.h"
#include "oci/oci-ref.h"
#include "core/strbuf.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define SIGN_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define SIGN_TYPE "cosign container image signature"
/* A simple-signing payload is a few hundred bytes; anything large is not one. */
#define SIGN_PAYLOAD_MAX (64u << 10)
#define SIGN_KEY_FILE_MAX (64u << 10)

struct sign_key {
	EVP_PKEY *pkey;
	bool is_private;
	char *what; /* the file, or what the caller named the PEM text, for messages */
};

/* OpenSSL's error queue, translated once into our error state. */
static int ssl_fail(int code, const char *fmt, const char *arg)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (buf[0])
		return err_set(code, "%s: %s (%s)", arg, fmt, buf);
	return err_set(code, "%s: %s", arg, fmt);
}

/* Never prompt for a passphrase: encrypted keys are refused instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int write_new_file(const char *path, const char *data, size_t len, int mode)
{
	int fd, r = 0;
	size_t off = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return err_set(ERR_CONFLICT, "%s already exists; keygen never overwrites a key",
				       path);
		return err_set(ERR_GENERIC, "%s: %s", path, strerror(errno));
	}
	/* The umask may only take bits away; make the mode exactly what we promise. */
	if (fchmod(fd, (mode_t)mode) != 0)
		r = err_set(ERR_GENERIC, "%s: %s", path, strerror(errno));
	while (!r && off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = err_set(ERR_GENERIC, "%s: write failed: %s", path, strerror(errno));
		else
			off += (size_t)n;
	}
	if (!r && fsync(fd) != 0)
		r = err_set(ERR_GENERIC, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && !r)
		r = err_set(ERR_GENERIC, "%s: %s", path, strerror(errno));
	if (r)
		unlink(path);
	return r;
}

/* The PEM text a BIO holds, appended to `out`. */
static void bio_to_strbuf(struct strbuf *out, BIO *bio)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);

	if (n > 0)
		strbuf_add(out, p, (size_t)n);
}

int sign_keygen(const char *prefix)
{
	struct strbuf key_path = STRBUF_INIT, pub_path = STRBUF_INIT, key = STRBUF_INIT,
		      pub = STRBUF_INIT;
	EVP_PKEY *pkey = NULL;
	BIO *kb = NULL, *pb = NULL;
	struct stat st;
	int r = 0;

	strbuf_addf(&key_path, "%s.key", prefix);
	strbuf_addf(&pub_path, "%s.pub", prefix);
	/* Check both first, so a refusal leaves nothing half-written. */
	if (lstat(key_path.buf, &st) == 0 || lstat(pub_path.buf, &st) == 0) {
		r = err_set(ERR_CONFLICT, "%s already exists; keygen never overwrites a key",
			    lstat(key_path.buf, &st) == 0 ? key_path.buf : pub_path.buf);
		goto out;
	}
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pkey) {
		r = ssl_fail(ERR_GENERIC, "cannot generate an ECDSA P-256 key", prefix);
		goto out;
	}
	kb = BIO_new(BIO_s_mem());
	pb = BIO_new(BIO_s_mem());
	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted. */
	if (!kb || !pb || PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pb, pkey) != 1) {
		r = ssl_fail(ERR_GENERIC, "cannot encode the key", prefix);
		goto out;
	}
	bio_to_strbuf(&key, kb);
	bio_to_strbuf(&pub, pb);
	r = write_new_file(key_path.buf, key.buf, key.len, 0600);
	if (r)
		goto out;
	r = write_new_file(pub_path.buf, pub.buf, pub.len, 0644);
	if (r)
		unlink(key_path.buf);
out:
	if (key.len)
		OPENSSL_cleanse(key.buf, key.len);
	BIO_free(kb);
	BIO_free(pb);
	EVP_PKEY_free(pkey);
	strbuf_release(&key_path);
	strbuf_release(&pub_path);
	strbuf_release(&key);
	strbuf_release(&pub);
	return r;
}

static bool has_text(const char *pem, size_t len, const char *needle)
{
	return memmem(pem, len, needle, strlen(needle)) != NULL;
}

int sign_key_from_pem(struct sign_key **out, const char *pem, size_t len, bool is_private,
		      const char *what)
{
	struct sign_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char group[64] = "";
	size_t glen = 0;
	int r = 0;

	*out = NULL;
	if (len > INT_MAX) {
		r = err_set(ERR_TOOBIG, "%s: too large for a key", what);
		goto out;
	}
	if (has_text(pem, len, "ENCRYPTED SIGSTORE PRIVATE KEY") ||
	    has_text(pem, len, "ENCRYPTED COSIGN PRIVATE KEY")) {
		r = err_set(ERR_INVALID,
			    "%s: cosign's encrypted key format is not supported; "
			    "use a key from 'hoist keygen' (or an unencrypted PKCS#8 EC P-256 key)",
			    what);
		goto out;
	}
	if (has_text(pem, len, "BEGIN ENCRYPTED PRIVATE KEY") || has_text(pem, len, "Proc-Type: 4,ENCRYPTED")) {
		r = err_set(ERR_INVALID, "%s: encrypted private keys are not supported", what);
		goto out;
	}
	if (!is_private && has_text(pem, len, "PRIVATE KEY-----")) {
		r = err_set(ERR_INVALID, "%s is a private key; give the public key (the .pub file)",
			    what);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		r = ssl_fail(ERR_GENERIC, "out of memory", what);
		goto out;
	}
	pkey = is_private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
			  : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (!pkey) {
		r = ssl_fail(ERR_INVALID,
			     is_private ? "not a PEM private key" : "not a PEM public key", what);
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
	    (strcmp(group, "prime256v1") && strcmp(group, "P-256"))) {
		ERR_clear_error();
		r = err_set(ERR_INVALID, "%s: not an ECDSA P-256 key (%s%s%s)", what,
			    EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?",
			    group[0] ? " " : "", group);
		goto out;
	}
	/*
	 * A private key file carries its public point too, and OpenSSL does
	 * not check that the two belong together.  A damaged file whose
	 * scalar no longer matches would sign happily, and every signature
	 * would then fail against the .pub everyone verifies with.
	 */
	if (is_private) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;

		EVP_PKEY_CTX_free(ctx);
		if (!ok) {
			ERR_clear_error();
			r = err_set(ERR_INVALID,
				    "%s: the private key does not match the public key stored with it (damaged key file?)",
				    what);
			goto out;
		}
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->is_private = is_private;
	k->what = xstrdup(what);
	pkey = NULL;
	*out = k;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return r;
}

static int key_load(struct sign_key **out, const char *path, bool is_private)
{
	struct strbuf pem = STRBUF_INIT;
	int r;

	*out = NULL;
	r = strbuf_read_file(&pem, path, SIGN_KEY_FILE_MAX);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "%s: no such key file", path);
	if (!r)
		r = sign_key_from_pem(out, pem.buf, pem.len, is_private, path);
	if (pem.len)
		OPENSSL_cleanse(pem.buf, pem.len);
	strbuf_release(&pem);
	return r;
}

int sign_key_load_private(struct sign_key **out, const char *path)
{
	return key_load(out, path, true);
}

int sign_key_load_public(struct sign_key **out, const char *path)
{
	return key_load(out, path, false);
}

void sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->what);
	free(k);
}

const char *sign_key_name(const struct sign_key *k)
{
	return k->what;
}

int sign_key_configured(struct sign_key **out, const char *config_path)
{
	const char *env = getenv("HOIST_SIGNING_KEY");

	*out = NULL;
	if (env && *env) {
		/* CI systems hand secrets over as text: accept the PEM itself too. */
		if (!strncmp(env, "-----BEGIN", 10))
			return sign_key_from_pem(out, env, strlen(env), true, "$HOIST_SIGNING_KEY");
		return sign_key_load_private(out, env);
	}
	if (config_path && *config_path)
		return sign_key_load_private(out, config_path);
	return 0;
}

void sign_tag(char *out, size_t size, const char *digest)
{
	const char *colon = strchr(digest, ':');

	if (colon)
		xsnprintf(out, size, "%.*s-%s.sig", (int)(colon - digest), digest, colon + 1);
	else
		xsnprintf(out, size, "%s.sig", digest);
}

int sign_identity(struct strbuf *out, const struct oci_ref *ref)
{
	char real[PATH_MAX];

	if (ref->kind == OCI_REF_REGISTRY)
		return strbuf_addf(out, "%s/%s", ref->host, ref->repo);
	/* A folder has many spellings; name it by its real path when it exists. */
	return strbuf_addf(out, "oci-layout:%s", realpath(ref->dir, real) ? real : ref->dir);
}

/*
 * A JSON string as Go's encoding/json writes it: besides '"' and '\\' it
 * escapes control characters as \u00XX (except \n \r \t), '<' '>' '&' and
 * U+2028/U+2029, so the payload bytes match cosign's for any identity.
 */
static void add_go_json_str(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_addch(sb, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, (char)c);
		} else if (c == '\n') {
			strbuf_addstr(sb, "\\n");
		} else if (c == '\r') {
			strbuf_addstr(sb, "\\r");
		} else if (c == '\t') {
			strbuf_addstr(sb, "\\t");
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (c == 0xe2 && (unsigned char)s[1] == 0x80 &&
			   ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
			strbuf_addstr(sb, (unsigned char)s[2] == 0xa8 ? "\\u2028" : "\\u2029");
			s += 2;
		} else {
			strbuf_addch(sb, (char)c);
		}
	}
	strbuf_addch(sb, '"');
}

void sign_payload(struct strbuf *out, const char *identity, const char *digest)
{
	strbuf_addstr(out, "{\"critical\":{\"identity\":{\"docker-reference\":");
	add_go_json_str(out, identity);
	strbuf_addstr(out, "},\"image\":{\"docker-manifest-digest\":");
	add_go_json_str(out, digest);
	strbuf_addstr(out, "},\"type\":\"" SIGN_TYPE "\"},\"optional\":null}");
}

static void base64_encode(struct strbuf *out, const unsigned char *in, size_t len)
{
	unsigned char *buf = xmalloc((len + 2) / 3 * 4 + 1);
	int n = EVP_EncodeBlock(buf, in, (int)len);

	strbuf_add(out, buf, (size_t)n);
	free(buf);
}

int sign_bytes(struct strbuf *sig_b64, const struct sign_key *key, const void *buf, size_t len)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = 0;

	if (!key->is_private)
		return err_set(ERR_INVALID, "%s is a public key; signing needs the private key",
			       key->what);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, buf, len) != 1) {
		r = ssl_fail(ERR_GENERIC, "cannot sign", key->what);
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, buf, len) != 1) {
		r = ssl_fail(ERR_GENERIC, "cannot sign", key->what);
		goto out;
	}
	base64_encode(sig_b64, sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(md);
	return r;
}

int sign_bytes_verify(const struct sign_key *key, const void *buf, size_t len,
		      const char *sig_b64)
{
	struct strbuf sig = STRBUF_INIT;
	EVP_MD_CTX *md = NULL;
	int r, ok;

	r = oci_base64_decode(&sig, sig_b64);
	if (r) {
		r = err_set(ERR_VERIFY, "signature annotation is not valid base64");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1) {
		r = ssl_fail(ERR_GENERIC, "cannot verify", key->what);
		goto out;
	}
	ok = EVP_DigestVerify(md, (const unsigned char *)sig.buf, sig.len, buf, len);
	ERR_clear_error();
	if (ok != 1)
		r = err_set(ERR_VERIFY, "signature does not verify with %s (signed by another key?)",
			    key->what);
out:
	EVP_MD_CTX_free(md);
	strbuf_release(&sig);
	return r;
}

/*
 * The config blob cosign writes: go-containerregistry's ConfigFile for an
 * image of uncompressed layers (diff_id = digest), one history entry per
 * layer, and the zero time cosign uses so signatures stay reproducible.
 */
static void build_config(struct strbuf *out, const char *const *layer_digests, size_t n)
{
	size_t i;

	strbuf_addstr(out, "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[");
	for (i = 0; i < n; i++)
		strbuf_addf(out, "%s{\"created\":\"0001-01-01T00:00:00Z\"}", i ? "," : "");
	strbuf_addstr(out, "],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (i = 0; i < n; i++)
		strbuf_addf(out, "%s\"%s\"", i ? "," : "", layer_digests[i]);
	strbuf_addstr(out, "]},\"config\":{}}");
}

/* One simple-signing layer descriptor, in go-containerregistry's key order. */
static void build_layer(struct strbuf *out, const char *digest, size_t size, const char *sig_b64)
{
	strbuf_addf(out,
		    "{\"mediaType\":\"" SIGN_MEDIA_PAYLOAD "\",\"size\":%zu,\"digest\":\"%s\","
		    "\"annotations\":{\"" SIGN_ANN_SIGNATURE "\":",
		    size, digest);
	add_go_json_str(out, sig_b64);
	strbuf_addstr(out, "}}");
}

/* The state of one signature layer, ranked by how far its checks got. */
enum layer_stage { STAGE_NONE = 0, STAGE_LAYER, STAGE_SIGNATURE, STAGE_CLAIMS, STAGE_OK };

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

int sign_payload_check(const char *payload, size_t len, const char *identity,
		       const char *digest)
{
	struct doc_stream *ds = NULL;
	const char *named, *type;
	int r;

	r = doc_parse(&ds, payload, len, "signature payload", NULL);
	if (r || ds->ndocs != 1 || ds->docs[0]->kind != DOC_MAP) {
		r = err_set(ERR_VERIFY, "signature payload is not a JSON object");
		goto out;
	}
	type = doc_get_str(ds->docs[0], "critical", "type", NULL);
	if (!type || strcmp(type, SIGN_TYPE)) {
		r = err_set(ERR_VERIFY, "signature payload has type '%s', not '%s'",
			    type ? type : "", SIGN_TYPE);
		goto out;
	}
	named = doc_get_str(ds->docs[0], "critical", "image", "docker-manifest-digest", NULL);
	if (!named || strcmp(named, digest)) {
		r = err_set(ERR_VERIFY, "signature payload names %s, not %s",
			    named ? named : "no digest", digest);
		goto out;
	}
	named = doc_get_str(ds->docs[0], "critical", "identity", "docker-reference", NULL);
	if (identity && (!named || strcmp(named, identity))) {
		r = err_set(ERR_VERIFY, "signature payload names repository %s, not %s",
			    named ? named : "(none)", identity);
		goto out;
	}
out:
	doc_stream_free(ds);
	return r;
}

/*
 * Checks one layer: its blob matches its digest and size, the signature
 * verifies, and the payload names `identity` (unless NULL) and `digest`.
 * *stage says which check failed, for picking the most telling error.
 */
static int verify_layer(struct oci_store *s, const struct doc_node *layer, const char *identity,
			const char *digest, const struct sign_key *pub, enum layer_stage *stage)
{
	struct strbuf payload = STRBUF_INIT;
	const char *ldigest = doc_get_str(layer, "digest", NULL);
	const char *sig = doc_get_str(layer, "annotations", SIGN_ANN_SIGNATURE, NULL);
	size_t size;
	int r;

	*stage = STAGE_LAYER;
	if (!ldigest || !digest_is_valid(ldigest) ||
	    !parse_size(doc_get_str(layer, "size", NULL), &size)) {
		r = err_set(ERR_VERIFY, "signature layer has no valid digest and size");
		goto out;
	}
	if (!sig) {
		r = err_set(ERR_VERIFY, "signature layer %s has no %s annotation", ldigest,
			    SIGN_ANN_SIGNATURE);
		goto out;
	}
	if (size > SIGN_PAYLOAD_MAX) {
		r = err_set(ERR_VERIFY, "signature layer %s is %zu bytes; a payload is at most %u",
			    ldigest, size, SIGN_PAYLOAD_MAX);
		goto out;
	}
	r = oci_blob_get(s, &payload, ldigest, SIGN_PAYLOAD_MAX);
	if (r == ERR_NOTFOUND) {
		r = err_set(ERR_VERIFY, "signature layer %s is missing from %s", ldigest, s->name);
		goto out;
	}
	if (r == ERR_VERIFY || (!r && payload.len != size)) {
		r = err_set(ERR_VERIFY, "signature layer does not match its digest (%s, %zu bytes)",
			    ldigest, size);
		goto out;
	}
	if (r)
		goto out;

	*stage = STAGE_SIGNATURE;
	r = sign_bytes_verify(pub, payload.buf, payload.len, sig);
	if (r)
		goto out;

	/* Only a payload whose signature holds is worth reading. */
	*stage = STAGE_CLAIMS;
	r = sign_payload_check(payload.buf, payload.len, identity, digest);
	if (r)
		goto out;
	*stage = STAGE_OK;
out:
	strbuf_release(&payload);
	return r;
}

/* Fetches and parses the signature manifest of `digest`; ERR_NOTFOUND says "unsigned". */
static int sig_manifest_get(struct oci_store *s, const char *digest, struct strbuf *buf,
			    struct strbuf *mt, struct doc_stream **ds,
			    const struct doc_node **layers)
{
	char tag[DIGEST_STR_SIZE + 8], got[DIGEST_STR_SIZE];
	const char *media;
	int r;

	*ds = NULL;
	*layers = NULL;
	sign_tag(tag, sizeof(tag), digest);
	r = oci_manifest_get(s, buf, mt, tag, got);
	if (r == ERR_NOTFOUND) {
		r = err_set(ERR_NOTFOUND, "unsigned: no signature for %s (tag %s not found)", digest,
			    tag);
		goto out;
	}
	if (r)
		goto out;
	r = doc_parse(ds, buf->buf, buf->len, "signature manifest", NULL);
	if (r || !(*ds)->ndocs || (*ds)->docs[0]->kind != DOC_MAP) {
		r = err_set(ERR_VERIFY, "%s: signature manifest %s is not a JSON object", s->name, tag);
		goto out;
	}
	media = doc_get_str((*ds)->docs[0], "mediaType", NULL);
	if (media && strcmp(media, OCI_MEDIA_MANIFEST) && strcmp(media, OCI_MEDIA_DOCKER_MANIFEST)) {
		r = err_set(ERR_VERIFY, "%s: %s is a %s, not an image manifest", s->name, tag, media);
		goto out;
	}
	*layers = doc_map_get((*ds)->docs[0], "layers");
	if (!*layers || (*layers)->kind != DOC_SEQ) {
		r = err_set(ERR_VERIFY, "%s: signature manifest %s has no layers", s->name, tag);
		goto out;
	}
out:
	return r;
}

static bool is_sig_layer(const struct doc_node *layer)
{
	const char *mt = doc_get_str(layer, "mediaType", NULL);

	return layer->kind == DOC_MAP && mt && !strcmp(mt, SIGN_MEDIA_PAYLOAD);
}

/* Any one layer that holds is enough, as with cosign. */
static int verify_layers(struct oci_store *s, const struct doc_node *layers, const char *identity,
			 const char *digest, const struct sign_key *pub)
{
	struct strbuf best_msg = STRBUF_INIT;
	enum layer_stage best = STAGE_NONE, stage;
	int best_code = 0, r = 0;
	size_t i;

	for (i = 0; i < layers->n; i++) {
		if (!is_sig_layer(layers->kids[i]))
			continue;
		r = verify_layer(s, layers->kids[i], identity, digest, pub, &stage);
		if (!r)
			goto out;
		if (r != ERR_VERIFY && r != ERR_INVALID)
			goto out; /* network, auth: not a verdict on the signature */
		if (stage > best) {
			best = stage;
			best_code = r;
			strbuf_reset(&best_msg);
			strbuf_addstr(&best_msg, err_msg());
		}
	}
	if (best == STAGE_NONE)
		r = err_set(ERR_VERIFY, "%s: the signature of %s has no %s layer", s->name, digest,
			    SIGN_MEDIA_PAYLOAD);
	else
		r = err_set(best_code == ERR_INVALID ? ERR_VERIFY : best_code, "%s", best_msg.buf);
out:
	strbuf_release(&best_msg);
	return r;
}

int sign_verify(struct oci_store *s, const char *identity, const char *digest,
		const struct sign_key *pub)
{
	struct strbuf buf = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *layers;
	int r;

	if (!digest_is_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	r = sig_manifest_get(s, digest, &buf, &mt, &ds, &layers);
	if (!r)
		r = verify_layers(s, layers, identity, digest, pub);
	doc_stream_free(ds);
	strbuf_release(&buf);
	strbuf_release(&mt);
	return r;
}

int sign_artifact(struct oci_store *s, const char *identity, const char *digest,
		  const struct sign_key *key)
{
	struct strbuf existing = STRBUF_INIT, payload = STRBUF_INIT, sig = STRBUF_INIT,
		      layer = STRBUF_INIT, config = STRBUF_INIT, manifest = STRBUF_INIT,
		      scratch = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *layers = NULL;
	const char **diff_ids = NULL;
	char payload_digest[DIGEST_STR_SIZE], config_digest[DIGEST_STR_SIZE],
		got[DIGEST_STR_SIZE], tag[DIGEST_STR_SIZE + 8];
	size_t n = 0, i;
	bool skipped;
	int r;

	if (!digest_is_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	sign_tag(tag, sizeof(tag), digest);
	/* Sign only what is there: the manifest must exist and hash to `digest`. */
	r = oci_manifest_get(s, &scratch, &mt, digest, got);
	if (r)
		goto out;

	r = sig_manifest_get(s, digest, &existing, &mt, &ds, &layers);
	if (!r) {
		r = verify_layers(s, layers, identity, digest, key);
		if (!r) {
			log_debug("%s: %s is already signed by %s", s->name, digest, key->what);
			goto out;
		}
	}
	if (r == ERR_NOTFOUND || r == ERR_VERIFY) {
		/* Keep other signers' layers; a manifest we cannot read is replaced. */
		if (r == ERR_VERIFY && !layers)
			log_warn("%s: replacing the unreadable signature manifest %s", s->name, tag);
		r = 0;
	}
	if (r)
		goto out;

	sign_payload(&payload, identity, digest);
	r = sign_bytes(&sig, key, payload.buf, payload.len);
	if (!r)
		r = oci_blob_ensure(s, payload.buf, payload.len, payload_digest, &skipped);
	if (r)
		goto out;

	strbuf_addstr(&layer, "[");
	for (i = 0; layers && i < layers->n; i++) {
		const struct doc_node *l = layers->kids[i];
		const char *d = doc_get_str(l, "digest", NULL);
		if (!is_sig_layer(l) || !d || !digest_is_valid(d))
			continue;
		/* A registry refuses a manifest naming a missing blob: drop such a layer. */
		r = oci_blob_exists(s, d);
		if (r == ERR_NOTFOUND) {
			log_warn("%s: dropping a signature layer whose payload %s is missing", s->name, d);
			r = 0;
			continue;
		}
		if (r)
			goto out;
		if (n)
			strbuf_addch(&layer, ',');
		r = doc_emit_json(&layer, l);
		if (r)
			goto out;
		diff_ids = xrealloc(diff_ids, (n + 2) * sizeof(*diff_ids));
		diff_ids[n++] = d;
	}
	diff_ids = xrealloc(diff_ids, (n + 2) * sizeof(*diff_ids));
	diff_ids[n++] = payload_digest;
	if (n > 1)
		strbuf_addch(&layer, ',');
	build_layer(&layer, payload_digest, payload.len, sig.buf);
	strbuf_addch(&layer, ']');

	build_config(&config, diff_ids, n);
	r = oci_blob_ensure(s, config.buf, config.len, config_digest, &skipped);
	if (r)
		goto out;
	strbuf_addf(&manifest,
		    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_MANIFEST "\","
		    "\"config\":{\"mediaType\":\"" SIGN_MEDIA_CONFIG "\",\"size\":%zu,\"digest\":\"%s\"},"
		    "\"layers\":%s}",
		    config.len, config_digest, layer.buf);
	/* NEEDSWORK: two signers racing on one tag can drop each other's layer. */
	r = oci_manifest_put(s, tag, OCI_MEDIA_MANIFEST, manifest.buf, manifest.len, got);
	if (!r)
		log_info("%s: signed %s with %s", s->name, digest, key->what);
out:
	free(diff_ids);
	doc_stream_free(ds);
	strbuf_release(&existing);
	strbuf_release(&payload);
	strbuf_release(&sig);
	strbuf_release(&layer);
	strbuf_release(&config);
	strbuf_release(&manifest);
	strbuf_release(&scratch);
	strbuf_release(&mt);
	return r;
}

int sign_copy(struct oci_store *dst, struct oci_store *src, const char *digest)
{
	struct strbuf buf = STRBUF_INIT, blob = STRBUF_INIT, mt = STRBUF_INIT;
	struct doc_stream *ds = NULL;
	const struct doc_node *layers, *cfg;
	char tag[DIGEST_STR_SIZE + 8], got[DIGEST_STR_SIZE], put[DIGEST_STR_SIZE];
	size_t i;
	bool skipped;
	int r;

	if (!digest_is_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	sign_tag(tag, sizeof(tag), digest);
	r = sig_manifest_get(src, digest, &buf, &mt, &ds, &layers);
	if (r)
		goto out;
	/* Blobs first, the manifest last, as every writer does. */
	cfg = doc_map_get(ds->docs[0], "config");
	for (i = 0; i <= layers->n; i++) {
		const struct doc_node *d = i < layers->n ? layers->kids[i] : cfg;
		const char *bd = d ? doc_get_str(d, "digest", NULL) : NULL;
		if (!bd)
			continue;
		r = oci_blob_exists(dst, bd);
		if (r == ERR_NOTFOUND) {
			r = oci_blob_get(src, &blob, bd, 0);
			if (!r)
				r = oci_blob_ensure(dst, blob.buf, blob.len, got, &skipped);
		}
		if (r)
			goto out;
	}
	r = oci_manifest_put(dst, tag, mt.len ? mt.buf : OCI_MEDIA_MANIFEST, buf.buf, buf.len,
			     put);
out:
	doc_stream_free(ds);
	strbuf_release(&buf);
	strbuf_release(&blob);
	strbuf_release(&mt);
	return r;
}
