/*
 * test-helm-sprig.c - Sprig's and Helm's template functions against the
 * oracle: tests/unit/helm-sprig/expected.txt is what Debian's Sprig 3.2.3
 * and sigs.k8s.io/yaml return for each case of cases.txt (made by
 * oracle.go there), and every line must come out the same here.  Plus
 * YAML/JSON conversion and the reproducible mode.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#define CASES "tests/unit/helm-sprig/expected.txt"

static const struct hfunc *find_fn(const char *name)
{
	const struct hfunc *t;

	for (t = helm_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	for (t = sprig_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* One argument as oracle.go builds it. */
static struct hv *make_arg(struct helm_ctx *c, const char *spec)
{
	const char *text = spec + 2;
	struct strbuf sb = STRBUF_INIT;
	struct hv *v = NULL;
	const char *p;

	switch (spec[0]) {
	case 's':
	case 'y':
		for (p = text; *p; p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				strbuf_addch(&sb, '\n');
				p++;
			} else if (p[0] == '\\' && p[1] == 'p') {
				strbuf_addch(&sb, '|');
				p++;
			} else {
				strbuf_addch(&sb, *p);
			}
		}
		if (spec[0] == 's')
			v = hv_str(c, sb.buf, sb.len);
		else
			assert_int_equal(helm_yaml_parse(c, &v, sb.buf, sb.len, HELM_INTO_ANY), 0);
		break;
	case 'i':
		v = hv_int(c, strtoll(text, NULL, 10));
		break;
	case 'I':
		v = hv_int_t(c, strtoll(text, NULL, 10), HV_T_INT64);
		break;
	case 'f':
		v = hv_float(c, strtod(text, NULL));
		break;
	case 'b':
		v = hv_bool(!strcmp(text, "true"));
		break;
	case 'n':
		v = hv_nil();
		break;
	case 't': {
		struct hv_time t = { 0 };
		char *end;
		t.sec = strtoll(text, &end, 10);
		if (*end == '.')
			t.nsec = (int32_t)strtol(end + 1, NULL, 10);
		t.zone = "UTC";
		v = hv_time(c, &t);
		break;
	}
	case 'j':
		assert_int_equal(helm_json_parse(c, &v, text, strlen(text), HELM_INTO_ANY), 0);
		break;
	default:
		fail_msg("bad argument %s", spec);
	}
	strbuf_release(&sb);
	return v;
}

/* reflect.Zero of the parameter type for a nil argument, as oracle.go passes it. */
static struct hv *zero_for(struct helm_ctx *c, char code, struct hv *v)
{
	if (v->kind != HV_NIL)
		return v;
	switch (code) {
	case 's':
		return hv_str(c, "", 0);
	case 'i':
		return hv_int(c, 0);
	case 'b':
		return hv_bool(false);
	default:
		return v;
	}
}

static int failures;

static void run_case(struct helm_ctx *c, const char *line, const char *want, int lineno)
{
	char *copy = xstrdup(line), *save = NULL, *tok;
	struct hv *args[16], *res = NULL;
	const struct hfunc *fn;
	struct strbuf got = STRBUF_INIT, esc = STRBUF_INIT;
	size_t n = 0, i, np;
	int r;

	tok = strtok_r(copy, "|", &save);
	fn = find_fn(tok);
	if (!fn)
		fail_msg("line %d: no function %s", lineno, tok);
	np = strlen(fn->params);
	while ((tok = strtok_r(NULL, "|", &save)) && n < ARRAY_SIZE(args)) {
		char code = fn->params[n < np ? n : np - 1];
		if (code == '*')
			code = fn->params[np - 2];
		args[n] = zero_for(c, code, make_arg(c, tok));
		n++;
	}
	c->errmsg = NULL;
	r = fn->fn(c, &res, args, n);
	if (r) {
		assert_non_null(c->errmsg);
		/* text/template reports a panic and an error result alike. */
		strbuf_addf(&got, "%s: %s", !strncmp(want, "PANIC", 5) ? "PANIC" : "ERROR",
			    c->errmsg);
	} else {
		struct hv *pair[2] = { res, res };
		assert_int_equal(hv_sprintf(c, &got, "%v (%T)", 7, pair, 2), 0);
	}
	for (i = 0; i < got.len; i++) {
		if (got.buf[i] == '\\')
			strbuf_addstr(&esc, "\\\\");
		else if (got.buf[i] == '\n')
			strbuf_addstr(&esc, "\\n");
		else
			strbuf_addch(&esc, got.buf[i]);
	}
	if (strcmp(esc.buf, want) && getenv("HELM_SPRIG_ALL")) {
		fprintf(stderr, "DIFF %d: %s\n  want: %s\n  got:  %s\n", lineno, line, want, esc.buf);
		failures++;
	} else if (strcmp(esc.buf, want))
		fail_msg("%s:%d: %s\n  want: %s\n  got:  %s", CASES, lineno, line, want, esc.buf);
	strbuf_release(&got);
	strbuf_release(&esc);
	free(copy);
}

static void sprig_functions_match_the_oracle(void **state)
{
	struct strbuf file = STRBUF_INIT;
	char *line, *next;
	int lineno = 0, cases = 0;

	(void)state;
	/* HELM_SPRIG_EXPECTED runs another oracle file (made by oracle.go) instead. */
	assert_int_equal(strbuf_read_file(&file, getenv("HELM_SPRIG_EXPECTED") ? getenv("HELM_SPRIG_EXPECTED") : CASES, 0), 0);
	for (line = file.buf; line && *line; line = next) {
		char *tab, *nl = strchr(line, '\n');
		struct helm_ctx c = { 0 };

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		c.arena = arena_new();
		run_case(&c, line, tab + 1, lineno);
		arena_free(c.arena);
		cases++;
	}
	assert_true(cases > 200 || getenv("HELM_SPRIG_EXPECTED"));
	assert_int_equal(failures, 0);
	strbuf_release(&file);
}

/* Values read the way Helm reads values.yaml: YAML 1.1 scalars, numbers as float64. */
static void yaml_values_read_as_helm_reads_them(void **state)
{
	struct helm_ctx c = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct hv *v;
	const char *in = "a: 1\nb: yes\nc: 2001-12-14\nd: 1e6\n1.5: k\n"
			 "base: &b {x: 1, y: 2}\nm:\n  y: 0\n  <<: *b\n";

	(void)state;
	c.arena = arena_new();
	assert_int_equal(helm_yaml_parse(&c, &v, in, strlen(in), HELM_INTO_MAP), 0);
	assert_int_equal(helm_json_emit(&c, &out, v, NULL), 0);
	/*
	 * What sigs.k8s.io/yaml.Unmarshal then json.Marshal print for it (the
	 * key y is YAML 1.1's true; go-yaml v2 merges at the "<<", over m's y).
	 */
	assert_string_equal(out.buf, "{\"1.5\":\"k\",\"a\":1,\"b\":true,\"base\":{\"true\":2,\"x\":1},"
				     "\"c\":\"2001-12-14\",\"d\":1000000,\"m\":{\"true\":2,\"x\":1}}");
	strbuf_reset(&out);
	assert_int_equal(helm_yaml_parse(&c, &v, "- a\n", 4, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "error unmarshaling JSON: while decoding JSON: json: "
				       "cannot unmarshal array into Go value of type "
				       "map[string]interface {}");
	assert_int_equal(helm_yaml_parse(&c, &v, "a: [1, 2\n", 9, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "error converting YAML to JSON: yaml: line 1: did not "
				       "find expected ',' or ']'");
	assert_int_equal(helm_json_parse(&c, &v, "{\"a\" 1}", 7, HELM_INTO_MAP), ERR_INVALID);
	assert_string_equal(err_msg(), "invalid character '1' after object key");
	strbuf_release(&out);
	arena_free(c.arena);
}

static struct hv *call1(struct helm_ctx *c, const char *name, struct hv *arg, int *r)
{
	const struct hfunc *fn = find_fn(name);
	struct hv *out = NULL;

	*r = fn->fn(c, &out, &arg, arg ? 1 : 0);
	return out;
}

/* The reproducible mode: a secret gives the same values every render, none fails. */
static void random_functions_follow_the_reproducible_mode(void **state)
{
	static const unsigned char secret[] = "publisher-secret";
	struct helm_ctx c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	struct hv *a, *b, *x, *u;
	int r;

	(void)state;
	c1.arena = arena_new();
	c2.arena = arena_new();
	c3.arena = arena_new();
	c1.reproducible = c2.reproducible = c3.reproducible = true;
	c1.secret = c2.secret = secret;
	c1.secret_len = c2.secret_len = sizeof(secret) - 1;

	a = call1(&c1, "randAlphaNum", hv_int(&c1, 24), &r);
	assert_int_equal(r, 0);
	b = call1(&c2, "randAlphaNum", hv_int(&c2, 24), &r);
	assert_int_equal(r, 0);
	assert_int_equal(a->len, 24);
	assert_memory_equal(a->s, b->s, 24);
	/* A second call in the same render gives a different password. */
	x = call1(&c1, "randAlphaNum", hv_int(&c1, 24), &r);
	assert_int_equal(r, 0);
	assert_true(memcmp(a->s, x->s, 24) != 0);
	u = call1(&c1, "uuidv4", NULL, &r);
	assert_int_equal(r, 0);
	assert_int_equal(u->len, 36);
	assert_int_equal(u->s[14], '4');

	/* Without a secret the call fails and says the way out (the engine names the call). */
	assert_null(call1(&c3, "randAlphaNum", hv_int(&c3, 8), &r));
	assert_int_equal(r, ERR_INVALID);
	assert_non_null(strstr(c3.errmsg, "random value"));
	assert_non_null(strstr(c3.errmsg, "render secret"));
	arena_free(c1.arena);
	arena_free(c2.arena);
	arena_free(c3.arena);
}

static const char *obj_field(struct helm_ctx *c, struct hv *o, const char *name)
{
	struct hv *v = o->obj.cls->field(c, o->obj.self, name);

	assert_non_null(v);
	return v->s;
}

static X509 *read_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

/* A CA and a certificate it signs, as genCA and genSignedCert make them. */
static void gen_ca_and_signed_cert(struct helm_ctx *c, struct hv **ca, struct hv **crt)
{
	const struct hfunc *gca = find_fn("genCA"), *gsc = find_fn("genSignedCert");
	struct hv *a[5];

	a[0] = hv_cstr(c, "my-ca");
	a[1] = hv_int(c, 365);
	assert_int_equal(gca->fn(c, ca, a, 2), 0);
	a[0] = hv_cstr(c, "svc");
	a[1] = hv_list_new(c, NULL, 1);
	hv_list_push(c, a[1], hv_cstr(c, "10.0.0.1"));
	a[2] = hv_list_new(c, NULL, 2);
	hv_list_push(c, a[2], hv_cstr(c, "svc.ns.svc"));
	hv_list_push(c, a[2], hv_cstr(c, "svc"));
	a[3] = hv_int(c, 30);
	a[4] = *ca;
	assert_int_equal(gsc->fn(c, crt, a, 5), 0);
}

/*
 * The certificates carry the profile Sprig gives crypto/x509 (checked
 * against Go's output: `openssl x509 -text` of genCA/genSignedCert), the
 * leaf verifies against the CA, and with a render secret the same chart
 * gives the same bytes while another secret gives others.
 */
static void certificates_match_sprig_and_are_reproducible(void **state)
{
	static const unsigned char s1[] = "secret-one", s2[] = "secret-two";
	struct helm_ctx c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	struct hv *ca1, *crt1, *ca2, *crt2, *ca3, *crt3;
	X509 *xca, *xcrt;
	EVP_PKEY *capub;
	ASN1_OCTET_STRING *ip;
	GENERAL_NAMES *san;
	BASIC_CONSTRAINTS *bc;

	(void)state;
	c1.arena = arena_new();
	c2.arena = arena_new();
	c3.arena = arena_new();
	c1.reproducible = c2.reproducible = c3.reproducible = true;
	c1.now_sec = c2.now_sec = c3.now_sec = 1700000000;
	c1.secret = c2.secret = s1;
	c1.secret_len = c2.secret_len = sizeof(s1) - 1;
	c3.secret = s2;
	c3.secret_len = sizeof(s2) - 1;
	gen_ca_and_signed_cert(&c1, &ca1, &crt1);
	gen_ca_and_signed_cert(&c2, &ca2, &crt2);
	gen_ca_and_signed_cert(&c3, &ca3, &crt3);
	assert_string_equal(obj_field(&c1, ca1, "Cert"), obj_field(&c2, ca2, "Cert"));
	assert_string_equal(obj_field(&c1, crt1, "Key"), obj_field(&c2, crt2, "Key"));
	assert_string_not_equal(obj_field(&c1, ca1, "Key"), obj_field(&c3, ca3, "Key"));
	assert_non_null(strstr(obj_field(&c1, crt1, "Key"), "-----BEGIN RSA PRIVATE KEY-----"));

	xca = read_cert(obj_field(&c1, ca1, "Cert"));
	xcrt = read_cert(obj_field(&c1, crt1, "Cert"));
	capub = X509_get_pubkey(xca);
	assert_int_equal(X509_verify(xcrt, capub), 1);
	assert_int_equal(X509_verify(xca, capub), 1);
	assert_int_equal(EVP_PKEY_get_bits(capub), 2048);
	assert_int_equal(X509_get_version(xcrt), 2);
	assert_int_equal(X509_get_signature_nid(xcrt), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_get_key_usage(xca),
			 KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_key_usage(xcrt), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_extended_key_usage(xcrt), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	bc = X509_get_ext_d2i(xca, NID_basic_constraints, NULL, NULL);
	assert_true(bc && bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	bc = X509_get_ext_d2i(xcrt, NID_basic_constraints, NULL, NULL);
	assert_true(bc && !bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	san = X509_get_ext_d2i(xcrt, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 3);
	assert_string_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 0)->d.dNSName),
			    "svc.ns.svc");
	ip = sk_GENERAL_NAME_value(san, 2)->d.iPAddress;
	assert_int_equal(ASN1_STRING_length(ip), 4);
	assert_memory_equal(ASN1_STRING_get0_data(ip), "\x0a\x00\x00\x01", 4);
	GENERAL_NAMES_free(san);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(xcrt), 1700000000), 0);
	EVP_PKEY_free(capub);
	X509_free(xca);
	X509_free(xcrt);
	arena_free(c1.arena);
	arena_free(c2.arena);
	arena_free(c3.arena);
}

/*
 * bcrypt and htpasswd: Go's format ($2a$, cost 10, 53 characters), the
 * hash verifies, and a hash made by Go's bcrypt verifies with the same
 * routine (so the two formats are one).
 */
static void bcrypt_hashes_are_go_compatible(void **state)
{
	static const char go_hash[] = "$2a$10$uEogYpqQbRZUbyLW.y8vr.sX9PsV0gaWKTQV7hzzduMrBRfdw4TXu";
	struct helm_ctx c = { 0 };
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	struct hv *a[2], *h = NULL;

	(void)state;
	c.arena = arena_new();
	a[0] = hv_cstr(&c, "pw");
	assert_int_equal(find_fn("bcrypt")->fn(&c, &h, a, 1), 0);
	assert_int_equal(h->len, 60);
	assert_memory_equal(h->s, "$2a$10$", 7);
	assert_string_equal(crypt_r("pw", h->s, cd), h->s);
	assert_string_equal(crypt_r("pw", go_hash, cd), go_hash);
	a[0] = hv_cstr(&c, "admin");
	a[1] = hv_cstr(&c, "pw");
	assert_int_equal(find_fn("htpasswd")->fn(&c, &h, a, 2), 0);
	assert_memory_equal(h->s, "admin:$2a$10$", 13);
	assert_string_equal(crypt_r("pw", h->s + 6, cd), h->s + 6);
	free(cd);
	arena_free(c.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sprig_functions_match_the_oracle),
		cmocka_unit_test(yaml_values_read_as_helm_reads_them),
		cmocka_unit_test(random_functions_follow_the_reproducible_mode),
		cmocka_unit_test(certificates_match_sprig_and_are_reproducible),
		cmocka_unit_test(bcrypt_hashes_are_go_compatible),
	};
	/* The oracle ran with TZ=UTC: "Local" must be the same zone here. */
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
