/*
 * fuzz-agent-api.c - what the agent's HTTP server reads from a request.
 *
 * The first byte picks the parser, the rest is its input:
 *   0  api_route()            "METHOD PATH" (split at the first space)
 *   1  api_bearer_ok()        an Authorization header, against the token "s3cret"
 *   2  api_sync_body_parse()  the body of POST /v1/apps/APP/sync
 *   3  push_check()           a push: header lines "Name: value", an empty
 *                             line, then the body; checked with the public
 *                             key below when a Hoist-Signature line is present
 * Memory only: push_check() keeps nothing and writes no file.
 */
#include "core/compat.h"
#include "agent/api.h"
#include "agent/push.h"
#include "core/err.h"
#include "oci/sign.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The public half of tests/fuzz/agent-api-seed.key (a test-only key the seeds are signed with). */
static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7E5kSwDBGuSSI0C5WFm+h3r9jV7M\n"
	"x+TA3dT/ia3rhODk4iehqUNJCOYoMnpcFxqr/uywoDfLufWndFzc2mYp6w==\n"
	"-----END PUBLIC KEY-----\n";

static void fuzz_route(const char *s)
{
	char app[API_APP_MAX + 1];
	const char *sp = strchr(s, ' ');
	char *method = xstrndup(s, sp ? (size_t)(sp - s) : strlen(s));
	enum api_route r = api_route(method, sp ? sp + 1 : "", app);

	/* An app name that reaches the loop is one that can name a file. */
	if (r == API_APP || r == API_ARTIFACT || r == API_SYNC) {
		if (!app[0] || strchr(app, '/') || !strcmp(app, "..") || app[0] == '.')
			abort();
	} else if (app[0]) {
		abort();
	}
	free(method);
}

static void fuzz_bearer(const char *s)
{
	bool ok = api_bearer_ok(s, "s3cret");
	const char *t = s;

	/* The oracle: "bearer" in any case, spaces, then exactly the token. */
	bool want = !strncasecmp(t, "Bearer ", 7);
	if (want) {
		t += 7;
		while (*t == ' ')
			t++;
		want = !strcmp(t, "s3cret");
	}
	if (ok != want)
		abort();
}

static void fuzz_push(const uint8_t *data, size_t size)
{
	struct push_claims c = { 0 };
	struct push_checked pc;
	struct sign_key *key = NULL;
	enum push_fail fail;
	char *hdrs[4] = { 0 };
	const char *names[4] = { PUSH_HDR_DIGEST, PUSH_HDR_MANIFEST, PUSH_HDR_PAYLOAD,
				 PUSH_HDR_SIGNATURE };
	const char *p = (const char *)data, *end = p + size;
	size_t i;

	/* Header lines up to the first empty line. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));

		if (eol == p) {
			p = nl ? nl + 1 : end;
			break;
		}
		for (i = 0; colon && i < ARRAY_SIZE(names); i++) {
			size_t nl_len = strlen(names[i]);
			if ((size_t)(colon - p) == nl_len && !strncasecmp(p, names[i], nl_len)) {
				const char *v = colon + 1;
				while (v < eol && *v == ' ')
					v++;
				free(hdrs[i]);
				hdrs[i] = xstrndup(v, (size_t)(eol - v));
			}
		}
		p = nl ? nl + 1 : end;
	}
	c.digest = hdrs[0];
	c.manifest_b64 = hdrs[1];
	c.payload_b64 = hdrs[2];
	c.signature_b64 = hdrs[3];
	if (hdrs[3] && sign_key_from_pem(&key, pub_pem, strlen(pub_pem), false, "fuzz key"))
		abort();
	if (!push_check(&pc, &fail, &c, p, (size_t)(end - p), key)) {
		/* Accepted: the claims must hold. */
		if (fail != PUSH_OK || !pc.manifest.len || (key && !pc.signature_checked))
			abort();
		push_checked_release(&pc);
	} else if (fail == PUSH_OK) {
		abort();
	}
	sign_key_free(key);
	for (i = 0; i < ARRAY_SIZE(hdrs); i++)
		free(hdrs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digest[DIGEST_STR_SIZE];
	char *s;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0] % 4;
	data++;
	size--;
	s = xstrndup((const char *)data, size);
	switch (sel) {
	case 0:
		fuzz_route(s);
		break;
	case 1:
		fuzz_bearer(s);
		break;
	case 2:
		if (!api_sync_body_parse((const char *)data, size, digest) && digest[0] &&
		    !digest_is_valid(digest))
			abort();
		break;
	case 3:
		fuzz_push(data, size);
		break;
	}
	free(s);
	err_clear();
	return 0;
}
