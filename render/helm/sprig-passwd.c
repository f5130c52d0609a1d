/*
 * sprig-passwd.c - Sprig's password functions: bcrypt and htpasswd (via
 * libxcrypt's $2a$ bcrypt, cost 10 as Go's DefaultCost), derivePassword
 * (Master Password: scrypt + HMAC-SHA256 + templates), encryptAES and
 * decryptAES (AES-256-CBC, PKCS#7 padding, IV first, base64).
 *
 * bcrypt salts and AES IVs come from sprig_random, so they follow the
 * reproducible mode like every random function.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

/* bcrypt's own base64 alphabet for the 16-byte salt. */
static const char bcrypt64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static int bcrypt_hash(struct helm_ctx *c, const char *fn, const struct hv *pw,
		       struct strbuf *out)
{
	unsigned char salt[16];
	char setting[64];
	struct crypt_data *cd;
	const char *h;
	size_t i, k = 7;
	uint32_t acc = 0;
	int bits = 0, r;

	r = sprig_random(c, fn, pw->s, pw->len, salt, sizeof(salt));
	if (r)
		return r;
	memcpy(setting, "$2a$10$", 7);
	for (i = 0; i < sizeof(salt); i++) {
		acc = (acc << 8) | salt[i];
		bits += 8;
		while (bits >= 6) {
			setting[k++] = bcrypt64[(acc >> (bits - 6)) & 63];
			bits -= 6;
		}
	}
	if (bits)
		setting[k++] = bcrypt64[(acc << (6 - bits)) & 63];
	setting[k] = '\0';
	if (strlen(pw->s) != pw->len)
		return hctx_fail(c, "%s: the password contains a NUL byte", fn);
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw->s, setting, cd);
	if (!h || h[0] == '*') {
		free(cd);
		return err_set(ERR_GENERIC, "%s: bcrypt failed", fn);
	}
	strbuf_addstr(out, h);
	free(cd);
	return 0;
}

SPRIG_FN(sf_bcrypt)
{
	struct strbuf sb = STRBUF_INIT;
	int r = bcrypt_hash(c, "bcrypt", a[0], &sb);

	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_htpasswd)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (memchr(a[0]->s, ':', a[0]->len)) {
		strbuf_addstr(&sb, "invalid username: ");
		strbuf_add(&sb, a[0]->s, a[0]->len);
		return sprig_ret_buf(c, out, &sb);
	}
	strbuf_add(&sb, a[0]->s, a[0]->len);
	strbuf_addch(&sb, ':');
	r = bcrypt_hash(c, "htpasswd", a[1], &sb);
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

/* --- derivePassword (Master Password algorithm) --------------------------- */

static const char *const t_maximum[] = { "anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno", NULL };
static const char *const t_long[] = {
	"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
	"CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
	"CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
	"CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
	"CvccCvcvCvccno", NULL
};
static const char *const t_medium[] = { "CvcnoCvc", "CvcCvcno", NULL };
static const char *const t_short[] = { "Cvcn", NULL };
static const char *const t_basic[] = { "aaanaaan", "aannaaan", "aaannaaa", NULL };
static const char *const t_pin[] = { "nnnn", NULL };

static const char *template_chars(char t)
{
	switch (t) {
	case 'V': return "AEIOU";
	case 'C': return "BCDFGHJKLMNPQRSTVWXYZ";
	case 'v': return "aeiou";
	case 'c': return "bcdfghjklmnpqrstvwxyz";
	case 'A': return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
	case 'a': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
	case 'n': return "0123456789";
	case 'o': return "@&%?,=[]_:-+*$#!'^~;()/.";
	case 'x': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
	}
	return "";
}

static void be32(struct strbuf *sb, uint32_t v)
{
	strbuf_addch(sb, (int)(v >> 24) & 0xFF);
	strbuf_addch(sb, (int)(v >> 16) & 0xFF);
	strbuf_addch(sb, (int)(v >> 8) & 0xFF);
	strbuf_addch(sb, (int)v & 0xFF);
}

SPRIG_FN(sf_derivepassword)
{
	static const char seed_name[] = "com.lyndir.masterpassword";
	const char *type = a[1]->s;
	const char *const *tpl = !strcmp(type, "maximum") ? t_maximum
				 : !strcmp(type, "long")    ? t_long
				 : !strcmp(type, "medium")  ? t_medium
				 : !strcmp(type, "short")   ? t_short
				 : !strcmp(type, "basic")   ? t_basic
				 : !strcmp(type, "pin")     ? t_pin
							    : NULL;
	struct strbuf salt = STRBUF_INIT, msg = STRBUF_INIT, res = STRBUF_INIT;
	unsigned char key[64], seed[32];
	unsigned int seedlen = 0;
	size_t ntpl = 0, i;
	const char *t;

	if (!tpl) {
		strbuf_addf(&res, "cannot find password template %s", type);
		return sprig_ret_buf(c, out, &res);
	}
	while (tpl[ntpl])
		ntpl++;
	strbuf_addstr(&salt, seed_name);
	be32(&salt, (uint32_t)a[3]->len);
	strbuf_add(&salt, a[3]->s, a[3]->len);
	if (!EVP_PBE_scrypt(a[2]->s, a[2]->len, (const unsigned char *)salt.buf, salt.len, 32768,
			    8, 2, 64ULL << 20, key, sizeof(key))) {
		strbuf_release(&salt);
		return err_set(ERR_GENERIC, "derivePassword: scrypt failed");
	}
	strbuf_addstr(&msg, seed_name);
	be32(&msg, (uint32_t)a[4]->len);
	strbuf_add(&msg, a[4]->s, a[4]->len);
	be32(&msg, (uint32_t)sprig_to_int64(a[0]));
	HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)msg.buf, msg.len, seed,
	     &seedlen);
	t = tpl[seed[0] % ntpl];
	for (i = 0; t[i]; i++) {
		const char *chars = template_chars(t[i]);
		strbuf_addch(&res, chars[seed[i + 1] % strlen(chars)]);
	}
	OPENSSL_cleanse(key, sizeof(key));
	strbuf_release(&salt);
	strbuf_release(&msg);
	return sprig_ret_buf(c, out, &res);
}

/* --- AES ------------------------------------------------------------------ */

static void aes_key(unsigned char key[32], const struct hv *pw)
{
	memset(key, 0, 32);
	memcpy(key, pw->s, pw->len < 32 ? pw->len : 32);
}

SPRIG_FN(sf_encryptaes)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char key[32], *buf;
	size_t len = a[1]->len, pad = 16 - len % 16, total = 16 + len + pad;
	EVP_CIPHER_CTX *ctx;
	int outl = 0, r = 0;

	if (!len)
		return sprig_ret(out, hv_cstr(c, ""));
	if (len > INT32_MAX / 2)
		return err_set(ERR_TOOBIG, "encryptAES: input too large");
	aes_key(key, a[0]);
	buf = xmalloc(total);
	memcpy(buf + 16, a[1]->s, len);
	memset(buf + 16 + len, (int)pad, pad);
	r = sprig_random(c, "encryptAES", a[1]->s, a[1]->len, buf, 16);
	if (r)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || !EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, buf) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_EncryptUpdate(ctx, buf + 16, &outl, buf + 16, (int)(len + pad)))
		r = err_set(ERR_GENERIC, "encryptAES: AES failed");
	EVP_CIPHER_CTX_free(ctx);
	if (!r)
		r = sprig_b64_encode(&sb, buf, total);
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(buf);
	if (r) {
		strbuf_release(&sb);
		return r;
	}
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_decryptaes)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char key[32], *dec = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t bad, blen;
	int outl = 0, r = 0;

	if (!a[1]->len)
		return sprig_ret(out, hv_cstr(c, ""));
	if (sprig_b64_decode(&raw, a[1]->s, a[1]->len, &bad)) {
		strbuf_release(&raw);
		return hctx_fail(c, "illegal base64 data at input byte %zu", bad);
	}
	if (raw.len < 16) {
		r = hctx_fail(c, "runtime error: slice bounds out of range [:16] with capacity %zu",
			      raw.len);
		goto out;
	}
	blen = raw.len - 16;
	if (blen % 16) {
		r = hctx_fail(c, "crypto/cipher: input not full blocks");
		goto out;
	}
	if (!blen) {
		r = hctx_fail(c, "runtime error: index out of range [-1]");
		goto out;
	}
	aes_key(key, a[0]);
	dec = xmalloc(blen);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || !EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, (unsigned char *)raw.buf) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_DecryptUpdate(ctx, dec, &outl, (unsigned char *)raw.buf + 16, (int)blen)) {
		r = err_set(ERR_GENERIC, "decryptAES: AES failed");
		goto out;
	}
	if (dec[blen - 1] > blen) {
		r = hctx_fail(c, "runtime error: slice bounds out of range [:%lld]",
			      (long long)blen - dec[blen - 1]);
		goto out;
	}
	r = sprig_ret(out, hv_str(c, (const char *)dec, blen - dec[blen - 1]));
out:
	EVP_CIPHER_CTX_free(ctx);
	free(dec);
	strbuf_release(&raw);
	return r;
}
