/*
 * fuzz-agent-web.c - what the agent's web page reads from a request, and
 * the pages it renders.
 *
 * The first byte picks the parser, the rest is its input:
 *   0  web_form_get()     an application/x-www-form-urlencoded body: the
 *                         fields token, csrf, digest and plan
 *   1  web_cookie_get()   a Cookie header; the session found is checked
 *                         by web_session_ok() under a fixed key
 *   2  web_session_ok()   a session cookie value as it stands
 *   3  web_origin_ok()    "ORIGIN\nSEC-FETCH-SITE\nHOST"
 *   4  web_route()        "METHOD PATH"
 *   5  web_page_list()    a status document (the renderer must escape)
 *   6  web_page_app()     an app document
 * Oracles: decoded values hold no NUL and stay under the limit; a session
 * not made with the key never passes; an Origin other than the Host's never
 * passes; app names reaching a handler are valid; rendered HTML holds no
 * '<' that the renderer did not write (no "<x" from the input survives).
 */
#include "core/compat.h"
#include "agent/web.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[WEB_KEY_SIZE] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

static void fuzz_form(const char *s, size_t n)
{
	static const char *const fields[] = { "token", "csrf", "digest", "plan" };
	struct strbuf v = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		int r = web_form_get(s, n, fields[i], &v);
		if (r == 0 && (strlen(v.buf) != v.len || v.len > n))
			abort();
		if (r && v.len)
			abort();
		err_clear();
	}
	strbuf_release(&v);
}

static void fuzz_cookie(const char *s)
{
	struct strbuf v = STRBUF_INIT;

	if (!web_cookie_get(s, WEB_SESSION_COOKIE, &v) &&
	    web_session_ok(v.buf, key, "tok", 1700000000, NULL))
		abort(); /* forging a MAC by chance is not something the fuzzer can do */
	err_clear();
	strbuf_release(&v);
}

static void fuzz_origin(const char *s)
{
	char *copy = xstrdup(s), *site, *host;

	site = strchr(copy, '\n');
	if (site) {
		*site++ = '\0';
		host = strchr(site, '\n');
		if (host) {
			*host++ = '\0';
			if (web_origin_ok(copy, *site ? site : NULL, host, false)) {
				if (*site && strcmp(site, "same-origin"))
					abort();
				if (strncmp(copy, "http://", 7) || strcasecmp(copy + 7, host))
					abort();
			}
		}
	}
	free(copy);
}

static void fuzz_route(const char *s)
{
	char app[API_APP_MAX + 1];
	const char *sp = strchr(s, ' ');
	char *method = xstrndup(s, sp ? (size_t)(sp - s) : strlen(s));
	enum web_route r = web_route(method, sp ? sp + 1 : "", app);

	if (r == WEB_APP || r == WEB_APPROVE || r == WEB_SYNC) {
		if (!app[0] || strchr(app, '/') || app[0] == '.' || strchr(app, '<'))
			abort();
	} else if (app[0]) {
		abort();
	}
	free(method);
}

/* The input's own markup never reaches the page: every '<' is followed by what we write. */
static void check_html(const struct strbuf *html)
{
	const char *p;

	for (p = html->buf; (p = strchr(p, '<')); p++) {
		char c = p[1];
		if (!((c >= 'a' && c <= 'z') || c == '/' || c == '!'))
			abort();
	}
	if (strstr(html->buf, "<script>") || strstr(html->buf, "<img") ||
	    strstr(html->buf, "<iframe"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_view v = { true, "c0ffee", "<notice>", false };
	struct strbuf html = STRBUF_INIT;
	char *s;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0] % 7;
	data++;
	size--;
	s = xstrndup((const char *)data, size);
	switch (sel) {
	case 0:
		fuzz_form((const char *)data, size);
		break;
	case 1:
		fuzz_cookie(s);
		break;
	case 2:
		if (web_session_ok(s, key, "tok", 1700000000, NULL))
			abort();
		break;
	case 3:
		fuzz_origin(s);
		break;
	case 4:
		fuzz_route(s);
		break;
	case 5:
		if (!web_page_list(&html, (const char *)data, size, &v))
			check_html(&html);
		break;
	case 6:
		if (!web_page_app(&html, (const char *)data, size, &v))
			check_html(&html);
		break;
	}
	strbuf_release(&html);
	free(s);
	err_clear();
	return 0;
}
