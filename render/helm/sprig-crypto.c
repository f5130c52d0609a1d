/*
 * sprig-crypto.c - Sprig's key and certificate generators (genPrivateKey,
 * genCA, genSelfSignedCert, genSignedCert and their *WithKey forms,
 * buildCustomCert) on libcrypto, with the certificate templates Sprig
 * gives crypto/x509 (serial below 2^128, CN only, server+client auth,
 * digitalSignature+keyEncipherment, CA adds certSign).
 *
 * In the reproducible mode keys are not drawn from OpenSSL's generator
 * but derived from the render's DRBG (sprig_random): RSA primes are found
 * by incremental search from DRBG bytes, EC and Ed25519 private keys are
 * DRBG bytes, and RSA signatures (PKCS#1 v1.5) are deterministic, so a
 * chart's generated CA is the same on every render with the same secret.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* --- the certificate value ({Cert, Key}) ---------------------------------- */

struct hcert {
	const char *cert, *key;
};

static struct hv *cert_field(struct helm_ctx *c, void *self, const char *name)
{
	struct hcert *h = self;

	if (!strcmp(name, "Cert"))
		return hv_cstr(c, h->cert);
	if (!strcmp(name, "Key"))
		return hv_cstr(c, h->key);
	return NULL;
}

static int cert_format(struct helm_ctx *c, struct strbuf *out, void *self)
{
	struct hcert *h = self;

	return strbuf_addf(out, "{%s %s}", h->cert, h->key);
}

static const struct hv_class cert_class = {
	.type = "sprig.certificate",
	.field = cert_field,
	.format = cert_format,
};

static int ret_cert(struct helm_ctx *c, struct hv **out, const char *cert, const char *key)
{
	struct hcert *h = hctx_alloc(c, sizeof(*h));

	if (!h)
		return ERR_TOOBIG;
	h->cert = hctx_strndup(c, cert, strlen(cert));
	h->key = hctx_strndup(c, key, strlen(key));
	if (!h->cert || !h->key)
		return ERR_TOOBIG;
	return sprig_ret(out, hv_obj(c, &cert_class, h));
}

/* --- keys ----------------------------------------------------------------- */

static int bn_from_drbg(struct helm_ctx *c, const char *fn, BIGNUM *bn, int bits)
{
	unsigned char buf[512];
	size_t n = (size_t)(bits + 7) / 8;
	int r;

	if (n > sizeof(buf))
		return err_set(ERR_INVALID, "%s: key too large", fn);
	r = sprig_random(c, fn, &bits, sizeof(bits), buf, n);
	if (r)
		return r;
	if (!BN_bin2bn(buf, (int)n, bn))
		return err_set(ERR_GENERIC, "%s: BIGNUM failure", fn);
	return 0;
}

/* A prime of `bits` bits with gcd(p-1, e) = 1, by search from DRBG bytes. */
static int drbg_prime(struct helm_ctx *c, const char *fn, BIGNUM *p, int bits, const BIGNUM *e,
		      BN_CTX *ctx)
{
	BIGNUM *pm1 = BN_new(), *g = BN_new();
	int r = bn_from_drbg(c, fn, p, bits), tries = 0;

	if (!pm1 || !g)
		r = err_set(ERR_GENERIC, "%s: out of memory", fn);
	if (!r) {
		BN_set_bit(p, bits - 1);
		BN_set_bit(p, bits - 2);
		BN_set_bit(p, 0);
		for (;;) {
			if (++tries > 100000) {
				r = err_set(ERR_GENERIC, "%s: no prime found", fn);
				break;
			}
			if (BN_check_prime(p, ctx, NULL) == 1 && BN_sub(pm1, p, BN_value_one()) &&
			    BN_gcd(g, pm1, e, ctx) && BN_is_one(g))
				break;
			BN_add_word(p, 2);
		}
	}
	BN_free(pm1);
	BN_free(g);
	return r;
}

static int rsa_from_drbg(struct helm_ctx *c, const char *fn, int bits, EVP_PKEY **out)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = BN_new(), *q = BN_new(), *n = BN_new(), *e = BN_new(), *d = BN_new();
	BIGNUM *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new(), *dp = BN_new(), *dq = BN_new();
	BIGNUM *qinv = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r = 0;

	*out = NULL;
	if (!ctx || !p || !q || !n || !e || !d || !p1 || !q1 || !phi || !dp || !dq || !qinv ||
	    !bld) {
		r = err_set(ERR_GENERIC, "%s: out of memory", fn);
		goto out;
	}
	BN_set_word(e, 65537);
	do {
		r = drbg_prime(c, fn, p, bits / 2, e, ctx);
		if (!r)
			r = drbg_prime(c, fn, q, bits - bits / 2, e, ctx);
		if (r)
			goto out;
	} while (!BN_cmp(p, q));
	if (BN_cmp(p, q) < 0)
		BN_swap(p, q);
	if (!BN_mul(n, p, q, ctx) || !BN_sub(p1, p, BN_value_one()) ||
	    !BN_sub(q1, q, BN_value_one()) || !BN_mul(phi, p1, q1, ctx) ||
	    !BN_mod_inverse(d, e, phi, ctx) || !BN_mod(dp, d, p1, ctx) ||
	    !BN_mod(dq, d, q1, ctx) || !BN_mod_inverse(qinv, q, p, ctx) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) <= 0)
		r = err_set(ERR_GENERIC, "%s: building the RSA key failed", fn);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pctx);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(phi);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qinv);
	BN_CTX_free(ctx);
	return r;
}

static int ec_from_drbg(struct helm_ctx *c, const char *fn, EVP_PKEY **out)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *priv = BN_new(), *order = BN_new();
	EC_POINT *pub = grp ? EC_POINT_new(grp) : NULL;
	BN_CTX *ctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char pubbuf[133];
	size_t publen;
	int r;

	*out = NULL;
	r = priv && order && pub && ctx && bld ? bn_from_drbg(c, fn, priv, 384)
					       : err_set(ERR_GENERIC, "%s: out of memory", fn);
	if (r)
		goto out;
	/* 128 extra bits make the reduction's bias negligible; never zero. */
	if (!EC_GROUP_get_order(grp, order, ctx) || !BN_sub_word(order, 1) ||
	    !BN_mod(priv, priv, order, ctx) || !BN_add_word(priv, 1) ||
	    !EC_POINT_mul(grp, pub, priv, NULL, NULL, ctx) ||
	    !(publen = EC_POINT_point2oct(grp, pub, POINT_CONVERSION_UNCOMPRESSED, pubbuf,
					  sizeof(pubbuf), ctx)) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pubbuf, publen) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) <= 0)
		r = err_set(ERR_GENERIC, "%s: building the EC key failed", fn);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pctx);
	EC_POINT_free(pub);
	EC_GROUP_free(grp);
	BN_clear_free(priv);
	BN_free(order);
	BN_CTX_free(ctx);
	return r;
}

/* A new key of `type` ("rsa", "ecdsa", "ed25519", "dsa"). */
static int new_key(struct helm_ctx *c, const char *fn, const char *type, int rsa_bits,
		   EVP_PKEY **out)
{
	*out = NULL;
	if (c->reproducible) {
		if (!strcmp(type, "rsa"))
			return rsa_from_drbg(c, fn, rsa_bits, out);
		if (!strcmp(type, "ecdsa"))
			return ec_from_drbg(c, fn, out);
		if (!strcmp(type, "ed25519")) {
			unsigned char k[32];
			int r = sprig_random(c, fn, type, strlen(type), k, sizeof(k));
			if (r)
				return r;
			*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k, sizeof(k));
			OPENSSL_cleanse(k, sizeof(k));
			return *out ? 0 : err_set(ERR_GENERIC, "%s: key generation failed", fn);
		}
		return hctx_fail(c, "%s: %s keys cannot be generated reproducibly; pass a key "
				    "in the values instead", fn, type);
	}
	if (!strcmp(type, "rsa"))
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
	else if (!strcmp(type, "ecdsa"))
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (!strcmp(type, "ed25519"))
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (!strcmp(type, "dsa")) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
		EVP_PKEY *params = NULL;
		if (pc && EVP_PKEY_paramgen_init(pc) > 0 &&
		    EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) > 0 &&
		    EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pc, 256) > 0 &&
		    EVP_PKEY_paramgen(pc, &params) > 0) {
			EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
			if (kc && EVP_PKEY_keygen_init(kc) > 0)
				EVP_PKEY_keygen(kc, out);
			EVP_PKEY_CTX_free(kc);
		}
		EVP_PKEY_free(params);
		EVP_PKEY_CTX_free(pc);
	}
	return *out ? 0 : err_set(ERR_GENERIC, "%s: key generation failed", fn);
}

/* pemBlockForKey: PKCS#1 for RSA, SEC 1 for EC, DSA's own; PKCS#8 otherwise. */
static int key_pem(struct strbuf *sb, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ok, id = EVP_PKEY_get_base_id(k);

	if (!b)
		return err_set(ERR_GENERIC, "out of memory");
	if (id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_DSA)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	if (ok && n > 0)
		strbuf_add(sb, p, (size_t)n);
	BIO_free(b);
	return ok ? 0 : err_set(ERR_GENERIC, "error pem-encoding key");
}

/* parsePrivateKeyPEM's accepted forms, with its error texts. */
static int parse_key_pem(struct helm_ctx *c, const char *pem, size_t len, EVP_PKEY **out)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int r = 0;

	*out = NULL;
	if (!b || !PEM_read_bio(b, &name, &header, &data, &dlen)) {
		r = hctx_fail(c, "no PEM data in input");
		goto out;
	}
	{
		size_t nl = strlen(name);
		const unsigned char *p = data;
		if (!strcmp(name, "PRIVATE KEY")) {
			*out = d2i_AutoPrivateKey(NULL, &p, dlen);
			if (!*out)
				r = hctx_fail(c, "decoding PEM as PKCS#8: asn1: structure error");
		} else if (nl < 12 || strcmp(name + nl - 12, " PRIVATE KEY")) {
			r = hctx_fail(c, "no private key data in PEM block of type %s", name);
		} else if (!strcmp(name, "RSA PRIVATE KEY") || !strcmp(name, "EC PRIVATE KEY") ||
			   !strcmp(name, "DSA PRIVATE KEY")) {
			int type = name[0] == 'R' ? EVP_PKEY_RSA
				   : name[0] == 'E' ? EVP_PKEY_EC : EVP_PKEY_DSA;
			*out = d2i_PrivateKey(type, NULL, &p, dlen);
			if (!*out)
				r = hctx_fail(c, "parsing %.*s private key from PEM: asn1: structure error",
					      (int)(nl - 12), name);
		} else {
			r = hctx_fail(c, "invalid private key type %s", name);
		}
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return r;
}

SPRIG_FN(sf_genprivatekey)
{
	struct strbuf sb = STRBUF_INIT;
	const char *type = a[0]->s;
	EVP_PKEY *k = NULL;
	int r;

	if (!*type)
		type = "rsa";
	if (strcmp(type, "rsa") && strcmp(type, "dsa") && strcmp(type, "ecdsa") &&
	    strcmp(type, "ed25519")) {
		strbuf_addf(&sb, "Unknown type %s", a[0]->s);
		return sprig_ret_buf(c, out, &sb);
	}
	r = new_key(c, "genPrivateKey", type, 4096, &k);
	if (!r)
		r = key_pem(&sb, k);
	EVP_PKEY_free(k);
	if (r) {
		strbuf_release(&sb);
		if (c->errmsg || r == ERR_TOOBIG)
			return r;
		strbuf_addf(&sb, "failed to generate private key: %s", err_msg());
	}
	return sprig_ret_buf(c, out, &sb);
}

/* --- certificates --------------------------------------------------------- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* net.ParseIP, enough to tell the forms apart; the text OpenSSL takes as is. */
static bool ip_ok(const char *s)
{
	unsigned char buf[16];
	ASN1_OCTET_STRING *o = a2i_IPADDRESS(s);

	(void)buf;
	if (!o)
		return false;
	ASN1_OCTET_STRING_free(o);
	return true;
}

struct cert_req {
	const char *fn;
	const char *cn;
	const struct hv *ips, *dns;
	int64_t days;
	bool ca;
	EVP_PKEY *key;        /* the subject's key */
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* NULL: self-signed */
};

static int make_cert(struct helm_ctx *c, struct cert_req *q, struct hv **out)
{
	struct strbuf san = STRBUF_INIT, keypem = STRBUF_INIT, certpem = STRBUF_INIT;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *serial = BN_new();
	struct hv_time now;
	BIO *b = NULL;
	char *p;
	long n;
	size_t i;
	int r = 0;

	if (!x || !name || !serial) {
		r = err_set(ERR_GENERIC, "%s: out of memory", q->fn);
		goto out;
	}
	/* getNetIPs / getAlternateDNSStrs */
	for (i = 0; q->ips && q->ips->kind == HV_LIST && i < q->ips->list->n; i++) {
		const struct hv *v = q->ips->list->items[i];
		if (v->kind != HV_STRING) {
			struct strbuf t = STRBUF_INIT;
			hv_format_v(c, &t, v);
			r = hctx_fail(c, "error parsing ip: %s is not a string", t.buf);
			strbuf_release(&t);
			goto out;
		}
		if (!ip_ok(v->s)) {
			r = hctx_fail(c, "error parsing ip: %s", v->s);
			goto out;
		}
	}
	for (i = 0; q->dns && q->dns->kind == HV_LIST && i < q->dns->list->n; i++) {
		const struct hv *v = q->dns->list->items[i];
		if (v->kind != HV_STRING) {
			struct strbuf t = STRBUF_INIT;
			hv_format_v(c, &t, v);
			r = hctx_fail(c, "error processing alternate dns name: %s is not a string",
				      t.buf);
			strbuf_release(&t);
			goto out;
		}
		strbuf_addf(&san, "%sDNS:%s", san.len ? "," : "", v->s);
	}
	for (i = 0; q->ips && q->ips->kind == HV_LIST && i < q->ips->list->n; i++)
		strbuf_addf(&san, "%sIP:%s", san.len ? "," : "", q->ips->list->items[i]->s);
	r = bn_from_drbg(c, q->fn, serial, 128);
	if (r)
		goto out;
	sprig_now(c, &now);
	if (!X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)q->cn,
					-1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, q->issuer ? X509_get_subject_name(q->issuer) : name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now.sec) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now.sec + q->days * 86400)) ||
	    !X509_set_pubkey(x, q->key)) {
		r = err_set(ERR_GENERIC, "%s: error creating certificate", q->fn);
		goto out;
	}
	if (add_ext(x, q->issuer ? q->issuer : x, NID_key_usage,
		    q->ca ? "critical,digitalSignature,keyEncipherment,keyCertSign"
			  : "critical,digitalSignature,keyEncipherment") ||
	    add_ext(x, q->issuer ? q->issuer : x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    add_ext(x, q->issuer ? q->issuer : x, NID_basic_constraints,
		    q->ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
	    (q->ca && add_ext(x, x, NID_subject_key_identifier, "hash")) ||
	    (q->issuer && X509_get_ext_by_NID(q->issuer, NID_subject_key_identifier, -1) >= 0 &&
	     add_ext(x, q->issuer, NID_authority_key_identifier, "keyid")) ||
	    (san.len && add_ext(x, x, NID_subject_alt_name, san.buf))) {
		r = err_set(ERR_GENERIC, "%s: error creating certificate extensions", q->fn);
		goto out;
	}
	{
		EVP_PKEY *sk = q->issuer_key ? q->issuer_key : q->key;
		int id = EVP_PKEY_get_base_id(sk);
		const EVP_MD *md = id == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
		if (!X509_sign(x, sk, md)) {
			r = hctx_fail(c, "error creating certificate: signing failed");
			goto out;
		}
	}
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509(b, x)) {
		r = err_set(ERR_GENERIC, "error pem-encoding certificate");
		goto out;
	}
	n = BIO_get_mem_data(b, &p);
	strbuf_add(&certpem, p, (size_t)n);
	r = key_pem(&keypem, q->key);
	if (!r)
		r = ret_cert(c, out, certpem.buf, keypem.buf);
out:
	BIO_free(b);
	BN_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	strbuf_release(&san);
	strbuf_release(&keypem);
	strbuf_release(&certpem);
	return r;
}

static int gen_ca(struct helm_ctx *c, struct hv **out, const char *fn, const struct hv *cn,
		  int64_t days, const struct hv *keypem)
{
	struct cert_req q = { fn, cn->s, NULL, NULL, days, true, NULL, NULL, NULL };
	int r = keypem ? parse_key_pem(c, keypem->s, keypem->len, &q.key)
		       : new_key(c, fn, "rsa", 2048, &q.key);

	if (!r)
		r = make_cert(c, &q, out);
	EVP_PKEY_free(q.key);
	return r;
}

SPRIG_FN(sf_genca)
{
	return gen_ca(c, out, "genCA", a[0], a[1]->i, NULL);
}

SPRIG_FN(sf_gencawithkey)
{
	return gen_ca(c, out, "genCAWithKey", a[0], a[1]->i, a[2]);
}

static int gen_self(struct helm_ctx *c, struct hv **out, const char *fn, struct hv *const *a,
		    const struct hv *keypem)
{
	struct cert_req q = { fn, a[0]->s, a[1], a[2], a[3]->i, false, NULL, NULL, NULL };
	int r = keypem ? parse_key_pem(c, keypem->s, keypem->len, &q.key)
		       : new_key(c, fn, "rsa", 2048, &q.key);

	if (!r)
		r = make_cert(c, &q, out);
	EVP_PKEY_free(q.key);
	return r;
}

SPRIG_FN(sf_genselfsignedcert)
{
	return gen_self(c, out, "genSelfSignedCert", a, NULL);
}

SPRIG_FN(sf_genselfsignedcertwithkey)
{
	return gen_self(c, out, "genSelfSignedCertWithKey", a, a[4]);
}

static int gen_signed(struct helm_ctx *c, struct hv **out, const char *fn, struct hv *const *a,
		      const struct hv *keypem)
{
	struct cert_req q = { fn, a[0]->s, a[1], a[2], a[3]->i, false, NULL, NULL, NULL };
	const struct hcert *ca;
	BIO *b = NULL;
	int r;

	if (a[4]->kind != HV_OBJ || a[4]->obj.cls != &cert_class)
		return hctx_fail(c, "wrong type for value; expected sprig.certificate; got %s",
				 a[4]->type);
	ca = a[4]->obj.self;
	b = BIO_new_mem_buf(ca->cert, -1);
	q.issuer = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!q.issuer)
		return hctx_fail(c, "unable to decode certificate");
	r = parse_key_pem(c, ca->key, strlen(ca->key), &q.issuer_key);
	if (r) {
		/* Sprig prefixes the key error. */
		char *m = xstrdup(c->errmsg);
		r = hctx_fail(c, "error parsing private key: %s", m);
		free(m);
		goto out;
	}
	r = keypem ? parse_key_pem(c, keypem->s, keypem->len, &q.key)
		   : new_key(c, fn, "rsa", 2048, &q.key);
	if (!r)
		r = make_cert(c, &q, out);
out:
	EVP_PKEY_free(q.key);
	EVP_PKEY_free(q.issuer_key);
	X509_free(q.issuer);
	return r;
}

SPRIG_FN(sf_gensignedcert)
{
	return gen_signed(c, out, "genSignedCert", a, NULL);
}

SPRIG_FN(sf_gensignedcertwithkey)
{
	return gen_signed(c, out, "genSignedCertWithKey", a, a[5]);
}

SPRIG_FN(sf_buildcustomcert)
{
	struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
	size_t bad;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	BIO *b;
	int r;

	if (sprig_b64_decode(&cert, a[0]->s, a[0]->len, &bad)) {
		r = hctx_fail(c, "unable to decode base64 certificate");
		goto out;
	}
	if (sprig_b64_decode(&key, a[1]->s, a[1]->len, &bad)) {
		r = hctx_fail(c, "unable to decode base64 private key");
		goto out;
	}
	b = BIO_new_mem_buf(cert.buf, (int)cert.len);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x) {
		r = hctx_fail(c, "unable to decode certificate");
		goto out;
	}
	r = parse_key_pem(c, key.buf, key.len, &k);
	if (r) {
		char *m = xstrdup(c->errmsg);
		r = hctx_fail(c, "error parsing private key: %s", m);
		free(m);
		goto out;
	}
	r = ret_cert(c, out, cert.buf, key.buf);
out:
	EVP_PKEY_free(k);
	X509_free(x);
	strbuf_release(&cert);
	strbuf_release(&key);
	return r;
}
