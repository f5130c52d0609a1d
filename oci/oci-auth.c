#include "core/compat.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oci/oci-auth.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
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

void oci_base64_encode(struct strbuf *out, const void *in, size_t len)
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
	oci_base64_encode(out, pair.buf, pair.len);
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

static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

int oci_docker_config_helper(char **helper, const char *json, size_t len, const char *file,
			     const char *host)
{
	struct doc_stream *st = NULL;
	const struct doc_node *helpers;
	const char *name = NULL;
	size_t i;
	int r;

	*helper = NULL;
	r = doc_parse(&st, json, len, file, NULL);
	if (r || !st->ndocs)
		goto out;
	helpers = doc_map_get(st->docs[0], "credHelpers");
	if (helpers && helpers->kind == DOC_MAP)
		for (i = 0; i < helpers->n && !name; i++) {
			const char *key = doc_str(helpers->kids[2 * i]);
			if (key && config_key_matches(key, host))
				name = doc_str(helpers->kids[2 * i + 1]);
		}
	if (!name)
		name = doc_get_str(st->docs[0], "credsStore", NULL);
	if (!name || !*name)
		goto out;
	if (!plain_word(name)) {
		r = err_set(ERR_INVALID, "%s: credential helper name '%s' is not a plain word",
			    file, name);
		goto out;
	}
	*helper = xstrdup(name);
out:
	doc_stream_free(st);
	return r;
}

#define HELPER_OUTPUT_MAX (64u << 10)

int oci_cred_from_helper(struct oci_cred *cred, const char *helper, const char *host)
{
	struct strbuf prog = STRBUF_INIT, out = STRBUF_INIT;
	struct doc_stream *st = NULL;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	int status = 0, r = 0;
	pid_t pid;

	memset(cred, 0, sizeof(*cred));
	strbuf_addf(&prog, "docker-credential-%s", helper);
	if (pipe(in) || pipe(outp)) {
		r = err_set(ERR_GENERIC, "%s: pipe: %s", prog.buf, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = err_set(ERR_GENERIC, "%s: fork: %s", prog.buf, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		execlp(prog.buf, prog.buf, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	/*
	 * The host fits in the pipe buffer; the helper reads it and answers.  A
	 * helper that is missing or exits early closes the pipe first: that
	 * must be an EPIPE we report, not a SIGPIPE that kills us.
	 */
	{
		struct sigaction ign, old;

		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &old);
		if ((write(in[1], host, strlen(host)) < 0 || write(in[1], "\n", 1) < 0) &&
		    errno != EPIPE)
			r = err_set(ERR_AUTH, "%s: cannot write the host: %s", prog.buf,
				    strerror(errno));
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;
	if (!r)
		r = strbuf_read_fd(&out, outp[0], HELPER_OUTPUT_MAX, prog.buf);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r)
		goto out;
	strbuf_rtrim(&out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(out.buf, "credentials not found"))
			goto out; /* anonymous, as Docker treats it */
		/* One line of what it said, never more (it may echo secrets). */
		{
			char *nl = strchr(out.buf, '\n');
			if (nl)
				*nl = '\0';
		}
		r = err_set(ERR_AUTH, "credential helper %s failed for %s%s: %.200s", prog.buf, host,
			    WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not installed?)" : "",
			    out.len ? out.buf : "no output");
		goto out;
	}
	r = doc_parse(&st, out.buf, out.len, prog.buf, NULL);
	if (r || !st->ndocs || !doc_get_str(st->docs[0], "Username", NULL) ||
	    !doc_get_str(st->docs[0], "Secret", NULL)) {
		r = err_set(ERR_AUTH, "credential helper %s gave no Username and Secret for %s",
			    prog.buf, host);
		goto out;
	}
	cred->user = xstrdup(doc_get_str(st->docs[0], "Username", NULL));
	cred->password = xstrdup(doc_get_str(st->docs[0], "Secret", NULL));
	cred->origin = strbuf_detach(&prog, NULL);
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (out.len)
		memset(out.buf, 0, out.len);
	strbuf_release(&out);
	strbuf_release(&prog);
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
	{
		char *helper = NULL;

		r = oci_docker_config_helper(&helper, buf.buf, buf.len, path.buf, host);
		if (!r && helper)
			r = oci_cred_from_helper(cred, helper, host);
		else if (!r)
			r = oci_docker_config_lookup(cred, buf.buf, buf.len, path.buf, host);
		free(helper);
	}
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

int oci_token_reply_parse(char **token, const char *buf, size_t len, const char *host)
{
	struct doc_stream *st = NULL;
	const char *tok;
	int r;

	*token = NULL;
	r = doc_parse(&st, buf, len, "token reply", NULL);
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
	return r;
}

int oci_token_fetch(char **token, const struct oci_challenge *ch, const char *scope,
		    const struct oci_cred *cred, const char *host, bool allow_plain)
{
	struct strbuf url = STRBUF_INIT, auth = STRBUF_INIT;
	struct http_response res;
	struct http_request req = { 0 };
	const char *hdrs[2] = { NULL, NULL };
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
	r = oci_token_reply_parse(token, res.body.buf, res.body.len, host);
out:
	if (auth.len)
		memset(auth.buf, 0, auth.len);
	strbuf_release(&auth);
	strbuf_release(&url);
	http_response_release(&res);
	return r;
}
