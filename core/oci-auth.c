#include "compat.h"
#include "oci-auth.h"
#include "doc.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "strbuf.h"
#include <ctype.h>
#include <openssl/evp.h>

#define DOCKER_CONFIG_MAX (1u << 20)
#define TOKEN_REPLY_MAX (1u << 20)

void oci_cred_release(struct oci_cred *cred)
{
	free(cred->user);
	if (cred->password) {
		/* Do not leave the secret in freed memory. */
		volatile char *p = cred->password;
		while (*p)
			*p++ = 0;
		free(cred->password);
	}
	free(cred->origin);
	memset(cred, 0, sizeof(*cred));
}

int oci_base64_decode(struct strbuf *out, const char *in)
{
	struct strbuf padded = STRBUF_INIT;
	size_t n = strlen(in), pad = 0, i;
	unsigned char *buf = NULL;
	int got, r = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!(isalnum(c) || c == '+' || c == '/' || (c == '=' && i >= n - 2))) {
			r = err_set(ERR_INVALID, "not valid base64");
			goto out;
		}
	}
	strbuf_addstr(&padded, in);
	while (padded.len % 4)
		strbuf_addch(&padded, '=');
	if (padded.len >= 1 && padded.buf[padded.len - 1] == '=')
		pad++;
	if (padded.len >= 2 && padded.buf[padded.len - 2] == '=')
		pad++;
	buf = xmalloc(padded.len / 4 * 3 + 1);
	got = EVP_DecodeBlock(buf, (const unsigned char *)padded.buf, (int)padded.len);
	if (got < 0 || (size_t)got < pad) {
		r = err_set(ERR_INVALID, "not valid base64");
		goto out;
	}
	strbuf_add(out, buf, (size_t)got - pad);
out:
	free(buf);
	strbuf_release(&padded);
	return r;
}

static void base64_encode(struct strbuf *out, const char *in, size_t len)
{
	unsigned char *buf = xmalloc((len + 2) / 3 * 4 + 1);
	int n = EVP_EncodeBlock(buf, (const unsigned char *)in, (int)len);

	strbuf_add(out, buf, (size_t)n);
	free(buf);
}

void oci_auth_basic_header(struct strbuf *out, const struct oci_cred *cred)
{
	struct strbuf pair = STRBUF_INIT;

	strbuf_addf(&pair, "%s:%s", cred->user, cred->password ? cred->password : "");
	strbuf_addstr(out, "Authorization: Basic ");
	base64_encode(out, pair.buf, pair.len);
	memset(pair.buf, 0, pair.len);
	strbuf_release(&pair);
}

/* "https://reg.example.com:5000/v1/" -> "reg.example.com:5000" */
static bool config_key_matches(const char *key, const char *host)
{
	const char *p = key, *end;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	end = strchr(p, '/');
	if (!end)
		end = p + strlen(p);
	return (size_t)(end - p) == strlen(host) && !strncasecmp(p, host, strlen(host));
}

int oci_docker_config_lookup(struct oci_cred *cred, const char *json, size_t len,
			     const char *file, const char *host)
{
	struct doc_stream *st = NULL;
	struct strbuf dec = STRBUF_INIT;
	const struct doc_node *auths, *entry = NULL;
	const char *auth, *user, *pass;
	char where[256];
	size_t i;
	int r;

	memset(cred, 0, sizeof(*cred));
	r = doc_parse(&st, json, len, file, NULL);
	if (r)
		goto out;
	if (!st->ndocs)
		goto out;
	auths = doc_map_get(st->docs[0], "auths");
	if (!auths)
		goto out;
	if (auths->kind != DOC_MAP) {
		r = err_set(ERR_INVALID, "%s: \"auths\" must be an object",
			    doc_where(auths, where, sizeof(where)));
		goto out;
	}
	for (i = 0; i < auths->n; i++) {
		const char *key = doc_str(auths->kids[2 * i]);
		if (key && config_key_matches(key, host)) {
			entry = auths->kids[2 * i + 1];
			break;
		}
	}
	if (!entry)
		goto out;
	auth = doc_get_str(entry, "auth", NULL);
	user = doc_get_str(entry, "username", NULL);
	pass = doc_get_str(entry, "password", NULL);
	if (auth && *auth) {
		const char *colon;
		r = oci_base64_decode(&dec, auth);
		if (r) {
			r = err_set(ERR_INVALID, "%s: the \"auth\" of %s is not valid base64",
				    doc_where(doc_map_get(entry, "auth"), where, sizeof(where)),
				    host);
			goto out;
		}
		colon = memchr(dec.buf, ':', dec.len);
		if (!colon || colon == dec.buf) {
			r = err_set(ERR_INVALID, "%s: the \"auth\" of %s does not decode to user:password",
				    doc_where(doc_map_get(entry, "auth"), where, sizeof(where)),
				    host);
			goto out;
		}
		cred->user = xstrndup(dec.buf, (size_t)(colon - dec.buf));
		cred->password = xstrndup(colon + 1, dec.len - (size_t)(colon + 1 - dec.buf));
	} else if (user && *user) {
		cred->user = xstrdup(user);
		cred->password = xstrdup(pass ? pass : "");
	} else {
		goto out;
	}
	cred->origin = xstrdup(file);
out:
	if (dec.len)
		memset(dec.buf, 0, dec.len);
	strbuf_release(&dec);
	doc_stream_free(st);
	return r;
}

int oci_cred_lookup(struct oci_cred *cred, const char *host)
{
	const char *user = getenv("HOIST_REGISTRY_USER");
	const char *pass = getenv("HOIST_REGISTRY_PASSWORD");
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	struct strbuf path = STRBUF_INIT, buf = STRBUF_INIT;
	int r = 0;

	memset(cred, 0, sizeof(*cred));
	if (user && *user) {
		cred->user = xstrdup(user);
		cred->password = xstrdup(pass ? pass : "");
		cred->origin = xstrdup("HOIST_REGISTRY_USER");
		goto out;
	}
	if (dir && *dir)
		strbuf_addf(&path, "%s/config.json", dir);
	else if (home && *home)
		strbuf_addf(&path, "%s/.docker/config.json", home);
	else
		goto out;
	r = strbuf_read_file(&buf, path.buf, DOCKER_CONFIG_MAX);
	if (r == ERR_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	r = oci_docker_config_lookup(cred, buf.buf, buf.len, path.buf, host);
out:
	if (buf.len)
		memset(buf.buf, 0, buf.len);
	strbuf_release(&buf);
	strbuf_release(&path);
	return r;
}

void oci_challenge_release(struct oci_challenge *ch)
{
	free(ch->scheme);
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	memset(ch, 0, sizeof(*ch));
}

static bool is_token_char(char c)
{
	return c && !isspace((unsigned char)c) && c != ',' && c != '=' && c != '"';
}

int oci_challenge_parse(struct oci_challenge *ch, const char *header)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	const char *p = header;
	size_t i;
	int r = 0;

	memset(ch, 0, sizeof(*ch));
	while (isspace((unsigned char)*p))
		p++;
	for (i = 0; is_token_char(p[i]); i++)
		;
	if (!i) {
		r = err_set(ERR_INVALID, "WWW-Authenticate '%s': no scheme", header);
		goto out;
	}
	ch->scheme = xstrndup(p, i);
	for (i = 0; ch->scheme[i]; i++)
		ch->scheme[i] = (char)tolower((unsigned char)ch->scheme[i]);
	p += strlen(ch->scheme);

	for (;;) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		strbuf_reset(&key);
		strbuf_reset(&val);
		while (is_token_char(*p))
			strbuf_addch(&key, (char)tolower((unsigned char)*p++));
		while (isspace((unsigned char)*p))
			p++;
		if (!key.len || *p != '=') {
			r = err_set(ERR_INVALID, "WWW-Authenticate '%s': expected key=value", header);
			goto out;
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addch(&val, *p++);
			}
			if (*p != '"') {
				r = err_set(ERR_INVALID, "WWW-Authenticate '%s': unterminated quote", header);
				goto out;
			}
			p++;
		} else {
			while (is_token_char(*p))
				strbuf_addch(&val, *p++);
		}
		if (!strcmp(key.buf, "realm") && !ch->realm)
			ch->realm = xstrdup(val.buf);
		else if (!strcmp(key.buf, "service") && !ch->service)
			ch->service = xstrdup(val.buf);
		else if (!strcmp(key.buf, "scope") && !ch->scope)
			ch->scope = xstrdup(val.buf);
	}
out:
	strbuf_release(&key);
	strbuf_release(&val);
	if (r)
		oci_challenge_release(ch);
	return r;
}

/* The host part of an http(s) URL, for the plain-HTTP rule. */
static bool url_host_is_loopback(const char *url)
{
	const char *p = strstr(url, "://");
	char host[256];
	size_t n;

	if (!p)
		return false;
	p += 3;
	n = strcspn(p, "/?#");
	if (n >= sizeof(host) || memchr(p, '@', n))
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	return http_host_is_loopback(host);
}

int oci_token_fetch(char **token, const struct oci_challenge *ch, const char *scope,
		    const struct oci_cred *cred, const char *host, bool allow_plain)
{
	struct strbuf url = STRBUF_INIT, auth = STRBUF_INIT;
	struct http_response res;
	struct http_request req = { 0 };
	struct doc_stream *st = NULL;
	const char *hdrs[2] = { NULL, NULL };
	const char *tok;
	char sep;
	int r;

	*token = NULL;
	http_response_init(&res);
	if (!ch->realm || (strncmp(ch->realm, "https://", 8) && strncmp(ch->realm, "http://", 7))) {
		r = err_set(ERR_AUTH, "registry %s: bearer challenge without an http(s) realm",
			    host);
		goto out;
	}
	strbuf_addstr(&url, ch->realm);
	sep = strchr(url.buf, '?') ? '&' : '?';
	if (ch->service) {
		strbuf_addf(&url, "%cservice=", sep);
		http_urlencode(&url, ch->service);
		sep = '&';
	}
	if (scope) {
		const char *p = scope;
		while (*p) {
			size_t n = strcspn(p, " ");
			if (n) {
				char *one = xstrndup(p, n);
				strbuf_addf(&url, "%cscope=", sep);
				http_urlencode(&url, one);
				free(one);
				sep = '&';
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	if (cred->user) {
		oci_auth_basic_header(&auth, cred);
		hdrs[0] = auth.buf;
	}
	req.method = "GET";
	req.url = url.buf;
	req.headers = hdrs;
	req.limit = TOKEN_REPLY_MAX;
	req.allow_plain = allow_plain || url_host_is_loopback(url.buf);
	req.retry = true;
	r = http_do(&res, &req);
	if (r)
		goto out;
	if (res.status == 401 || res.status == 403) {
		if (cred->user)
			r = err_set(ERR_AUTH, "registry %s: authentication failed (%ld) for user '%s'",
				    host, res.status, cred->user);
		else
			r = err_set(ERR_AUTH,
				    "registry %s: token request refused (%ld); set HOIST_REGISTRY_USER and HOIST_REGISTRY_PASSWORD or log in with docker",
				    host, res.status);
		goto out;
	}
	if (res.status != 200) {
		r = err_set(ERR_AUTH, "registry %s: token service %s answered %ld", host,
			    ch->realm, res.status);
		goto out;
	}
	r = doc_parse(&st, res.body.buf, res.body.len, "token reply", NULL);
	if (r) {
		r = err_prefix(ERR_AUTH, "registry %s", host);
		goto out;
	}
	tok = st->ndocs ? doc_get_str(st->docs[0], "token", NULL) : NULL;
	if (!tok || !*tok)
		tok = st->ndocs ? doc_get_str(st->docs[0], "access_token", NULL) : NULL;
	if (!tok || !*tok) {
		r = err_set(ERR_AUTH, "registry %s: token reply has no token", host);
		goto out;
	}
	*token = xstrdup(tok);
out:
	doc_stream_free(st);
	if (auth.len)
		memset(auth.buf, 0, auth.len);
	strbuf_release(&auth);
	strbuf_release(&url);
	http_response_release(&res);
	return r;
}
