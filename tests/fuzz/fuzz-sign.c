/*
 * fuzz-sign.c - the signature checks that read untrusted bytes, offline.
 *
 * The first byte picks what the rest is:
 *   0  a PEM private key for sign_key_from_pem()
 *   1  a PEM public key for sign_key_from_pem() (verifyKey comes from the
 *      repository being pushed)
 *   2  a simple-signing payload for sign_payload_check()
 *   3  a base64 signature annotation for sign_bytes_verify()
 * The registry round trips of sign_verify() are not fuzzed here: they need
 * a store; their parsing is the manifest reader in fuzz-oci.c.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/sign.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5vHmkgSXLvcmnB+I2u9Q7+pYfrhR\n"
	"38s7LINMNn6eQQzMKALwxTi8k8qlnWYuQoHR4QfRqdJ1HR6I2TBtk5pJ9g==\n"
	"-----END PUBLIC KEY-----\n";
/* The signature of "hello" by the key above. */
static const char hello_sig[] =
	"MEUCIQC2SFxG4gcV0jDMPRcqPyyI5iQtMv50xoPuB9nTkxvXQAIgdlT1uPnfSnJgTiwvswVph8K5Ng+4G4oG2ibw/cK6gyA=";
static const char digest[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_key *pub;
	struct sign_key *k = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *s;
	uint8_t sel;

	if (!pub && sign_key_from_pem(&pub, pub_pem, strlen(pub_pem), false, "fuzz.pub"))
		abort();
	if (!size)
		return 0;
	sel = data[0] % 4;
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
	}
	free(s);
	strbuf_release(&sb);
	err_clear();
	return 0;
}
