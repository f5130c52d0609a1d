/*
 * fuzz-sign.c - the signature checks that read untrusted bytes, offline.
 *
 * The first byte picks what the rest is:
 *   0  a PEM private key for sign_key_from_pem()
 *   1  a PEM public key for sign_key_from_pem() (verifyKey comes from the
 *      repository being pushed)
 *   2  a simple-signing payload for sign_payload_check()
 *   3  a base64 signature annotation for sign_bytes_verify()
 *   4  a signature manifest, then blobs after "\n--8<--\n" lines, served
 *      by an in-memory store to sign_verify()
 *   5  the same, to sign_artifact(), which keeps other signers' layers
 * The store is a struct of function pointers over memory: no network, no
 * files.  Its one artifact is the manifest "{}".
 */
#include "core/compat.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/log.h"
#include "oci/oci.h"
#include "oci/sign.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5vHmkgSXLvcmnB+I2u9Q7+pYfrhR\n"
	"38s7LINMNn6eQQzMKALwxTi8k8qlnWYuQoHR4QfRqdJ1HR6I2TBtk5pJ9g==\n"
	"-----END PUBLIC KEY-----\n";
/* The private half of the key above; a test key, never used elsewhere. */
static const char priv_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNGklF91LtoxymE1V\n"
	"0oK7Ou8p27n9h2GYKcwkOwJJcAihRANCAATm8eaSBJcu9yacH4ja71Dv6lh+uFHf\n"
	"yzssg0w2fp5BDMwoAvDFOLyTyqWdZi5CgdHhB9Gp0nUdHojZMG2Tmkn2\n"
	"-----END PRIVATE KEY-----\n";
/* The signature of "hello" by the key above. */
static const char hello_sig[] =
	"MEUCIQC2SFxG4gcV0jDMPRcqPyyI5iQtMv50xoPuB9nTkxvXQAIgdlT1uPnfSnJgTiwvswVph8K5Ng+4G4oG2ibw/cK6gyA=";
static const char digest[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";
/* sha256 of "{}", the one artifact manifest the fake store holds. */
static const char art_digest[] =
	"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

#define MAX_BLOBS 16

struct mem_store {
	struct oci_store base;
	struct strbuf sig;           /* the signature manifest, under sign_tag() */
	struct strbuf blobs[MAX_BLOBS];
	size_t nblobs;
};

static struct strbuf *mem_find(struct mem_store *m, const char *d)
{
	char got[DIGEST_STR_SIZE];
	size_t i;

	for (i = 0; i < m->nblobs; i++) {
		digest_sha256(got, m->blobs[i].buf, m->blobs[i].len);
		if (!strcmp(got, d))
			return &m->blobs[i];
	}
	return NULL;
}

static int mem_blob_exists(struct oci_store *s, const char *d, size_t *size)
{
	struct strbuf *b = mem_find((struct mem_store *)s, d);

	if (!b)
		return ERR_NOTFOUND;
	*size = b->len;
	return 0;
}

static int mem_blob_put(struct oci_store *s, const char *d, const void *buf, size_t len)
{
	struct mem_store *m = (struct mem_store *)s;

	if (m->nblobs == MAX_BLOBS)
		return err_set(ERR_GENERIC, "fake store full");
	strbuf_init(&m->blobs[m->nblobs], 0);
	strbuf_add(&m->blobs[m->nblobs++], buf, len);
	return 0;
}

static int mem_blob_get(struct oci_store *s, struct strbuf *out, const char *d, size_t max)
{
	struct strbuf *b = mem_find((struct mem_store *)s, d);

	if (!b)
		return err_set(ERR_NOTFOUND, "no blob %s", d);
	if (b->len > max)
		return err_set(ERR_TOOBIG, "blob too big");
	strbuf_add(out, b->buf, b->len);
	return 0;
}

static int mem_blob_mount(struct oci_store *s, const char *d, const char *from, const void *buf,
			  size_t len, bool *uploaded)
{
	return ERR_NOTFOUND;
}

static int mem_manifest_put(struct oci_store *s, const char *tag, const char *media_type,
			    const void *buf, size_t len, const char *d)
{
	struct mem_store *m = (struct mem_store *)s;

	strbuf_reset(&m->sig);
	strbuf_add(&m->sig, buf, len);
	return 0;
}

static int mem_manifest_get(struct oci_store *s, struct strbuf *out, struct strbuf *media_type,
			    const char *ref, char hint[DIGEST_STR_SIZE])
{
	struct mem_store *m = (struct mem_store *)s;

	strbuf_addstr(media_type, OCI_MEDIA_MANIFEST);
	if (!strcmp(ref, art_digest)) {
		strbuf_addstr(out, "{}");
		return 0;
	}
	if (!m->sig.len)
		return err_set(ERR_NOTFOUND, "no manifest %s", ref);
	strbuf_add(out, m->sig.buf, m->sig.len);
	return 0;
}

static int mem_resolve(struct oci_store *s, const char *tag, char d[DIGEST_STR_SIZE])
{
	return err_set(ERR_NOTFOUND, "no tag %s", tag);
}

static int mem_tags_list(struct oci_store *s, char ***tags, size_t *ntags)
{
	*tags = xcalloc(1, sizeof(**tags));
	*ntags = 0;
	return 0;
}

static int mem_tag_delete(struct oci_store *s, const char *tag)
{
	return ERR_NOTFOUND;
}

static void mem_free(struct oci_store *s)
{
}

static const struct oci_store_ops mem_ops = {
	"memory",	 mem_blob_exists, mem_blob_put,	    mem_blob_get,  mem_blob_mount,
	mem_manifest_put, mem_manifest_get, mem_resolve, mem_tags_list, mem_tag_delete,
	mem_free,
};

/* Serves the input: the signature manifest, then blobs split at `sep`. */
static void mem_store_run(const char *p, size_t len, bool sign, const struct sign_key *key)
{
	static const char sep[] = "\n--8<--\n";
	struct mem_store m = { { &mem_ops, (char *)"mem" }, STRBUF_INIT };
	const char *end = p + len, *cut;
	size_t i;

	cut = memmem(p, len, sep, sizeof(sep) - 1);
	strbuf_add(&m.sig, p, cut ? (size_t)(cut - p) : len);
	while (cut && m.nblobs < MAX_BLOBS - 4) {
		p = cut + sizeof(sep) - 1;
		cut = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
		strbuf_init(&m.blobs[m.nblobs], 0);
		strbuf_add(&m.blobs[m.nblobs++], p, cut ? (size_t)(cut - p) : (size_t)(end - p));
	}
	if (sign)
		sign_artifact(&m.base, "reg.example.com/acme/web", art_digest, key);
	else
		sign_verify(&m.base, "reg.example.com/acme/web", art_digest, key);
	for (i = 0; i < m.nblobs; i++)
		strbuf_release(&m.blobs[i]);
	strbuf_release(&m.sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_key *pub, *priv;
	struct sign_key *k = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *s;
	uint8_t sel;

	if (!pub && sign_key_from_pem(&pub, pub_pem, strlen(pub_pem), false, "fuzz.pub"))
		abort();
	if (!priv) {
		log_set_level(LOG_ERROR); /* sign_artifact reports what it did */
		if (sign_key_from_pem(&priv, priv_pem, strlen(priv_pem), true, "fuzz.key"))
			abort();
	}
	if (!size)
		return 0;
	sel = data[0] % 6;
	data++;
	size--;
	s = xstrndup((const char *)data, size);
	switch (sel) {
	case 0:
	case 1:
		if (!sign_key_from_pem(&k, (const char *)data, size, sel == 0, "fuzz.pem")) {
			/* A key that loads must be usable. */
			sign_bytes_verify(k, "hello", 5, hello_sig);
			if (sel == 0 && sign_bytes(&sb, k, "hello", 5))
				abort();
			if (sel == 0 && sign_bytes_verify(k, "hello", 5, sb.buf))
				abort();
			sign_key_free(k);
		}
		break;
	case 2:
		sign_payload_check((const char *)data, size, "reg.example.com/acme/web", digest);
		sign_payload_check((const char *)data, size, NULL, digest);
		break;
	case 3:
		sign_bytes_verify(pub, "hello", 5, s);
		break;
	case 4:
	case 5:
		mem_store_run((const char *)data, size, sel == 5, sel == 5 ? priv : pub);
		break;
	}
	free(s);
	strbuf_release(&sb);
	err_clear();
	return 0;
}
