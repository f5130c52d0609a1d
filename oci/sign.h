/*
 * sign.h - artifact signatures in cosign's registry layout.
 *
 * A signature for the artifact manifest `sha256:<hex>` in a repository is
 * an OCI manifest tagged `sha256-<hex>.sig` in that same repository, whose
 * layer (media type application/vnd.dev.cosign.simplesigning.v1+json) is
 * the simple-signing payload naming the repository (docker-reference) and
 * the manifest digest, with the base64 ECDSA P-256 / SHA-256 signature of
 * the payload bytes in the layer annotation dev.cosignproject.cosign/signature
 * (sigstore/cosign specs/SIGNATURE_SPEC.md).  `cosign verify --key` and
 * Flux's OCIRepository verification (cosign provider, public key) accept it.
 */
#ifndef HOIST_SIGN_H
#define HOIST_SIGN_H

#include "core/compat.h"
#include "core/digest.h"

struct oci_store;
struct oci_ref;
struct strbuf;
struct sign_key;

#define SIGN_MEDIA_PAYLOAD "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGN_ANN_SIGNATURE "dev.cosignproject.cosign/signature"

/*
 * Writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub
 * (SubjectPublicKeyInfo PEM) for a new ECDSA P-256 key.  Refuses to
 * overwrite existing files.
 */
int sign_keygen(const char *prefix);

/* Loads a PEM private key (PKCS#8 or SEC1 EC) or public key (SPKI). */
int sign_key_load_private(struct sign_key **out, const char *path);
int sign_key_load_public(struct sign_key **out, const char *path);
/* Also accepts the PEM text itself, e.g. a public key read from a Git tree. */
int sign_key_from_pem(struct sign_key **out, const char *pem, size_t len, bool is_private,
		      const char *what);
void sign_key_free(struct sign_key *k);
/* The file (or `what`) a key was loaded from, for messages. */
const char *sign_key_name(const struct sign_key *k);

/* The tag cosign uses for the signature of `digest`: "sha256-<hex>.sig". */
void sign_tag(char *out, size_t size, const char *digest);

/*
 * The identity a signature names for the repository of `ref`: "host:port/repo"
 * for a registry (what cosign writes), "oci-layout:" + the folder's real path
 * for an image layout (the path as written when it does not exist yet).
 */
int sign_identity(struct strbuf *out, const struct oci_ref *ref);

/*
 * The simple-signing payload, byte for byte what cosign signs (Go's
 * encoding/json of sigstore's payload.SimpleContainerImage):
 * {"critical":{"identity":{"docker-reference":ID},"image":{"docker-manifest-digest":D},
 *  "type":"cosign container image signature"},"optional":null}
 */
void sign_payload(struct strbuf *out, const char *identity, const char *digest);

/* Base64 of the DER ECDSA-SHA256 signature of `buf`; needs a private key. */
int sign_bytes(struct strbuf *sig_b64, const struct sign_key *key, const void *buf, size_t len);
/* ERR_VERIFY "signature does not verify with KEY (signed by another key?)" when it does not. */
int sign_bytes_verify(const struct sign_key *key, const void *buf, size_t len,
		      const char *sig_b64);

/*
 * Checks the claims of a payload whose signature already verified: a JSON
 * object of cosign's type naming exactly `digest` and, unless `identity` is
 * NULL, the repository `identity`.  ERR_VERIFY with the reason otherwise.
 */
int sign_payload_check(const char *payload, size_t len, const char *identity,
		       const char *digest);

/*
 * Signs the artifact `digest` stored in `s`: uploads the payload and config
 * blobs, then the signature manifest under sign_tag().  `identity` is the
 * repository as a registry names it ("host:port/acme/web"), the payload's
 * docker-reference.  Idempotent: an existing valid signature by the same
 * key is left as it is (ECDSA signatures are randomised, so signing again
 * would change the manifest).  Other signers' layers are kept and ours is
 * appended, as cosign does.
 */
int sign_artifact(struct oci_store *s, const char *identity, const char *digest,
		  const struct sign_key *key);

/*
 * Verifies the artifact `digest` in `s`: fetches the signature manifest,
 * checks its layer's digest, that the signature verifies with `pub`, and
 * that the payload names `identity` and exactly `digest`.  Any one layer
 * that holds is enough (cosign keeps one layer per signer); otherwise the
 * error of the layer that got furthest is reported.  `identity` NULL skips
 * the repository check, as cosign does by default (for signatures copied
 * across repositories).
 * ERR_NOTFOUND: no signature ("unsigned"); ERR_VERIFY: a signature that
 * does not hold, with the precise reason.  A private key is accepted in
 * place of `pub` (its public half is used).
 */
int sign_verify(struct oci_store *s, const char *identity, const char *digest,
		const struct sign_key *pub);

/*
 * Copies the signature of `digest` from `src` to `dst` (same bytes, same
 * tag), for promotions across repositories; ERR_NOTFOUND when unsigned.
 */
int sign_copy(struct oci_store *dst, struct oci_store *src, const char *digest);

/*
 * The signing key a publish uses: $HOIST_SIGNING_KEY, else `config_path`
 * (hoist.yaml signingKey, a path on the publishing machine — private keys
 * never live in the repository).  *out is NULL when none is configured.
 */
int sign_key_configured(struct sign_key **out, const char *config_path);

#endif
