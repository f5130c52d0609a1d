#include "compat.h"
#include "digest.h"
#include "err.h"
#include <openssl/evp.h>

int digest_init(struct digest_ctx *ctx)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ctx->md = NULL;
	if (!md)
		return err_set(ERR_GENERIC, "sha256: out of memory");
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return err_set(ERR_GENERIC, "sha256: cannot initialise the digest");
	}
	ctx->md = md;
	return 0;
}

int digest_update(struct digest_ctx *ctx, const void *buf, size_t len)
{
	if (!len)
		return 0;
	if (EVP_DigestUpdate(ctx->md, buf, len) != 1)
		return err_set(ERR_GENERIC, "sha256: digest update failed");
	return 0;
}

int digest_final(struct digest_ctx *ctx, char out[DIGEST_STR_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	int r = 0;

	if (EVP_DigestFinal_ex(ctx->md, md, &n) != 1 || n != 32) {
		r = err_set(ERR_GENERIC, "sha256: digest final failed");
		goto out;
	}
	memcpy(out, DIGEST_PREFIX, 7);
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[7 + 64] = '\0';
out:
	digest_release(ctx);
	return r;
}

void digest_release(struct digest_ctx *ctx)
{
	EVP_MD_CTX_free(ctx->md);
	ctx->md = NULL;
}

int digest_sha256(char out[DIGEST_STR_SIZE], const void *buf, size_t len)
{
	struct digest_ctx ctx;
	int r;

	r = digest_init(&ctx);
	if (r)
		return r;
	r = digest_update(&ctx, buf, len);
	if (r) {
		digest_release(&ctx);
		return r;
	}
	return digest_final(&ctx, out);
}

bool digest_is_valid(const char *s)
{
	size_t i;

	if (!s || strncmp(s, DIGEST_PREFIX, 7))
		return false;
	for (i = 7; i < 7 + 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[7 + 64] == '\0';
}

int digest_verify(const void *buf, size_t len, const char *want, const char *what)
{
	char got[DIGEST_STR_SIZE];
	int r;

	r = digest_sha256(got, buf, len);
	if (r)
		return r;
	if (strcmp(got, want))
		return err_set(ERR_VERIFY, "%s: digest mismatch: expected %s, got %s",
			       what, want, got);
	return 0;
}
