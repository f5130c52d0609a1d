/*
 * digest.h - content digests ("sha256:<hex>") over OpenSSL's EVP interface.
 *
 * Every blob and manifest hoist stores or fetches is addressed by its
 * digest, and every byte fetched from a registry or a layout folder is
 * checked against one before it is used.  Only sha256 is supported: it is
 * what the OCI specs require registries to accept and what Flux writes.
 */
#ifndef HOIST_DIGEST_H
#define HOIST_DIGEST_H

#include "compat.h"

/* "sha256:" + 64 hex digits + NUL. */
#define DIGEST_STR_SIZE 72
#define DIGEST_PREFIX "sha256:"

struct digest_ctx {
	void *md; /* EVP_MD_CTX, opaque so callers need not include OpenSSL */
};

/* Streaming: init, update any number of times, final (which releases). */
int digest_init(struct digest_ctx *ctx);
int digest_update(struct digest_ctx *ctx, const void *buf, size_t len);
int digest_final(struct digest_ctx *ctx, char out[DIGEST_STR_SIZE]);
/* Releases a context that will not reach digest_final (error paths). */
void digest_release(struct digest_ctx *ctx);

/* The sha256 digest of a buffer, as "sha256:<hex>". */
int digest_sha256(char out[DIGEST_STR_SIZE], const void *buf, size_t len);

/* Whether `s` is exactly "sha256:" followed by 64 lowercase hex digits. */
bool digest_is_valid(const char *s);

/*
 * Checks that `buf` hashes to `want`; ERR_VERIFY naming `what` when it
 * does not, so callers can pass the message straight up.
 */
int digest_verify(const void *buf, size_t len, const char *want, const char *what);

#endif
