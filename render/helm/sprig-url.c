/*
 * sprig-url.c - urlParse and urlJoin with Go's net/url (Go 1.19): scheme
 * and authority splitting, %-unescaping with its checks, and URL.String's
 * escaping rules per component.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/fmt.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

enum enc { E_PATH, E_HOST, E_ZONE, E_USERPASS, E_FRAGMENT };

struct url {
	struct strbuf scheme, opaque, user, pass, host, path, rawpath, query, fragment;
	bool has_user, has_pass, force_query, omit_host;
};

static void url_init(struct url *u)
{
	memset(u, 0, sizeof(*u));
	strbuf_init(&u->scheme, 0);
	strbuf_init(&u->opaque, 0);
	strbuf_init(&u->user, 0);
	strbuf_init(&u->pass, 0);
	strbuf_init(&u->host, 0);
	strbuf_init(&u->path, 0);
	strbuf_init(&u->rawpath, 0);
	strbuf_init(&u->query, 0);
	strbuf_init(&u->fragment, 0);
}

static void url_release(struct url *u)
{
	strbuf_release(&u->scheme);
	strbuf_release(&u->opaque);
	strbuf_release(&u->user);
	strbuf_release(&u->pass);
	strbuf_release(&u->host);
	strbuf_release(&u->path);
	strbuf_release(&u->rawpath);
	strbuf_release(&u->query);
	strbuf_release(&u->fragment);
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool should_escape(unsigned char c, enum enc mode)
{
	if (is_alnum(c))
		return false;
	if ((mode == E_HOST || mode == E_ZONE) && c && strchr("!$&'()*+,;=:[]<>\"", c))
		return false;
	switch (c) {
	case '-': case '_': case '.': case '~':
		return false;
	case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?':
	case '@':
		switch (mode) {
		case E_PATH:
			return c == '?';
		case E_USERPASS:
			return c == '@' || c == '/' || c == '?' || c == ':';
		case E_FRAGMENT:
			return false;
		default:
			break;
		}
	}
	if (mode == E_FRAGMENT && (c == '!' || c == '(' || c == ')' || c == '*'))
		return false;
	return true;
}

static void escape(struct strbuf *sb, const char *s, size_t n, enum enc mode)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (should_escape(c, mode))
			strbuf_addf(sb, "%%%02X", c);
		else
			strbuf_addch(sb, c);
	}
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* net/url's unescape; on error *err gets the error's text. */
static int unescape(struct strbuf *out, const char *s, size_t n, enum enc mode,
		    struct strbuf *err)
{
	size_t i;

	for (i = 0; i < n;) {
		if (s[i] == '%') {
			if (i + 2 >= n || hexv((unsigned char)s[i + 1]) < 0 ||
			    hexv((unsigned char)s[i + 2]) < 0) {
				strbuf_addstr(err, "invalid URL escape ");
				go_quote(err, s + i, n - i > 3 ? 3 : n - i, false);
				return -1;
			}
			if (mode == E_HOST && hexv((unsigned char)s[i + 1]) < 8 &&
			    memcmp(s + i, "%25", 3)) {
				strbuf_addstr(err, "invalid URL escape ");
				go_quote(err, s + i, 3, false);
				return -1;
			}
			if (mode == E_ZONE) {
				unsigned char v = (unsigned char)(hexv((unsigned char)s[i + 1]) << 4 |
								  hexv((unsigned char)s[i + 2]));
				if (memcmp(s + i, "%25", 3) && v != ' ' && should_escape(v, E_HOST)) {
					strbuf_addstr(err, "invalid URL escape ");
					go_quote(err, s + i, 3, false);
					return -1;
				}
			}
			i += 3;
		} else {
			if ((mode == E_HOST || mode == E_ZONE) && (unsigned char)s[i] < 0x80 &&
			    should_escape((unsigned char)s[i], mode)) {
				strbuf_addstr(err, "invalid character ");
				go_quote(err, s + i, 1, false);
				strbuf_addstr(err, " in host name");
				return -1;
			}
			i++;
		}
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			strbuf_addch(out, hexv((unsigned char)s[i + 1]) << 4 | hexv((unsigned char)s[i + 2]));
			i += 2;
		} else {
			strbuf_addch(out, s[i]);
		}
	}
	return 0;
}

static bool valid_port(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return true;
	if (s[0] != ':')
		return false;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int parse_host(struct strbuf *out, const char *h, size_t n, struct strbuf *err)
{
	const char *p;

	if (n && h[0] == '[') {
		size_t i;
		const char *zone;
		for (p = NULL, i = 0; i < n; i++)
			if (h[i] == ']')
				p = h + i;
		if (!p) {
			strbuf_addstr(err, "missing ']' in host");
			return -1;
		}
		if (!valid_port(p + 1, (size_t)(h + n - (p + 1)))) {
			strbuf_addstr(err, "invalid port ");
			go_quote(err, p + 1, (size_t)(h + n - (p + 1)), false);
			strbuf_addstr(err, " after host");
			return -1;
		}
		zone = memmem(h, (size_t)(p - h), "%25", 3);
		if (zone) {
			if (unescape(out, h, (size_t)(zone - h), E_HOST, err) ||
			    unescape(out, zone, (size_t)(p - zone), E_ZONE, err) ||
			    unescape(out, p, (size_t)(h + n - p), E_HOST, err))
				return -1;
			return 0;
		}
	} else {
		for (p = h + n; p > h && p[-1] != ':'; p--)
			;
		if (p > h && !valid_port(p - 1, (size_t)(h + n - (p - 1)))) {
			strbuf_addstr(err, "invalid port ");
			go_quote(err, p - 1, (size_t)(h + n - (p - 1)), false);
			strbuf_addstr(err, " after host");
			return -1;
		}
	}
	return unescape(out, h, n, E_HOST, err);
}

static int parse_authority(struct url *u, const char *a, size_t n, struct strbuf *err)
{
	const char *at = NULL, *colon;
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == '@')
			at = a + i;
	if (parse_host(&u->host, at ? at + 1 : a, at ? (size_t)(a + n - at - 1) : n, err))
		return -1;
	if (!at)
		return 0;
	for (i = 0; a + i < at; i++) {
		unsigned char c = (unsigned char)a[i];
		if (!is_alnum(c) && !strchr("-._:~!$&'()*+,;=%@", c)) {
			strbuf_addstr(err, "net/url: invalid userinfo");
			return -1;
		}
	}
	u->has_user = true;
	colon = memchr(a, ':', (size_t)(at - a));
	if (!colon)
		return unescape(&u->user, a, (size_t)(at - a), E_USERPASS, err);
	u->has_pass = true;
	if (unescape(&u->user, a, (size_t)(colon - a), E_USERPASS, err) ||
	    unescape(&u->pass, colon + 1, (size_t)(at - colon - 1), E_USERPASS, err))
		return -1;
	return 0;
}

/* url.Parse; on error *err is the text of the *url.Error. */
static int url_parse(struct url *u, const char *raw, size_t rawlen, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	const char *hash = memchr(raw, '#', rawlen), *rest, *q;
	size_t ulen = hash ? (size_t)(hash - raw) : rawlen, rlen, i;
	int r = -1;

	for (i = 0; i < ulen; i++)
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f) {
			strbuf_addstr(&e, "net/url: invalid control character in URL");
			goto fail;
		}
	if (ulen == 1 && raw[0] == '*') {
		strbuf_addch(&u->path, '*');
		goto frag;
	}
	/* getScheme */
	rest = raw;
	rlen = ulen;
	for (i = 0; i < ulen; i++) {
		char ch = raw[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			continue;
		if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (ch == ':') {
			if (i == 0) {
				strbuf_addstr(&e, "missing protocol scheme");
				goto fail;
			}
			for (size_t k = 0; k < i; k++)
				strbuf_addch(&u->scheme, raw[k] >= 'A' && raw[k] <= 'Z' ? raw[k] + 32 : raw[k]);
			rest = raw + i + 1;
			rlen = ulen - i - 1;
		}
		break;
	}
	q = memchr(rest, '?', rlen);
	if (rlen && rest[rlen - 1] == '?' && q == rest + rlen - 1) {
		u->force_query = true;
		rlen--;
	} else if (q) {
		strbuf_add(&u->query, q + 1, (size_t)(rest + rlen - q - 1));
		rlen = (size_t)(q - rest);
	}
	if (!rlen || rest[0] != '/') {
		const char *slash = memchr(rest, '/', rlen);
		if (u->scheme.len) {
			strbuf_add(&u->opaque, rest, rlen);
			goto frag;
		}
		if (memchr(rest, ':', slash ? (size_t)(slash - rest) : rlen)) {
			strbuf_addstr(&e, "first path segment in URL cannot contain colon");
			goto fail;
		}
	}
	if ((u->scheme.len || !(rlen >= 3 && !memcmp(rest, "///", 3))) && rlen >= 2 &&
	    !memcmp(rest, "//", 2)) {
		const char *auth = rest + 2, *slash = memchr(auth, '/', rlen - 2);
		size_t alen = slash ? (size_t)(slash - auth) : rlen - 2;
		if (parse_authority(u, auth, alen, &e))
			goto fail;
		rest = auth + alen;
		rlen = rlen - 2 - alen;
	} else if (u->scheme.len && rlen && rest[0] == '/') {
		u->omit_host = true;
	}
	if (unescape(&u->path, rest, rlen, E_PATH, &e))
		goto fail;
	{
		struct strbuf esc = STRBUF_INIT;
		escape(&esc, u->path.buf, u->path.len, E_PATH);
		if (esc.len != rlen || memcmp(esc.buf, rest, rlen))
			strbuf_add(&u->rawpath, rest, rlen);
		strbuf_release(&esc);
	}
frag:
	if (hash) {
		if (unescape(&u->fragment, hash + 1, rawlen - ulen - 1, E_FRAGMENT, &e)) {
			ulen = rawlen; /* the error quotes the whole URL then */
			goto fail;
		}
	}
	r = 0;
	goto out;
fail:
	strbuf_addstr(err, "parse ");
	go_quote(err, raw, ulen, false);
	strbuf_addstr(err, ": ");
	strbuf_addbuf(err, &e);
out:
	strbuf_release(&e);
	return r;
}

static int set_str(struct helm_ctx *c, struct hv *m, const char *k, const struct strbuf *v)
{
	return hv_map_set(c, m, k, strlen(k), hv_str(c, v->buf, v->len)) ? ERR_TOOBIG : 0;
}

SPRIG_FN(sf_urlparse)
{
	struct strbuf err = STRBUF_INIT, tmp = STRBUF_INIT;
	struct url u;
	struct hv *m;
	int r = 0;

	url_init(&u);
	if (url_parse(&u, a[0]->s, a[0]->len, &err)) {
		r = hctx_fail(c, "unable to parse url: %s", err.buf);
		goto out;
	}
	m = hv_map_new(c, HV_T_MAP);
	if (!m) {
		r = ERR_TOOBIG;
		goto out;
	}
	r = set_str(c, m, "scheme", &u.scheme) || set_str(c, m, "host", &u.host) ||
	    set_str(c, m, "path", &u.path) || set_str(c, m, "query", &u.query) ||
	    set_str(c, m, "opaque", &u.opaque) || set_str(c, m, "fragment", &u.fragment);
	/* Hostname(): the host without its port and IPv6 brackets. */
	{
		const char *h = u.host.buf, *colon = NULL;
		size_t hl = u.host.len, i;
		for (i = 0; i < hl; i++)
			if (h[i] == ':')
				colon = h + i;
		if (colon && valid_port(colon, (size_t)(h + hl - colon)))
			hl = (size_t)(colon - h);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		strbuf_add(&tmp, h, hl);
		r = r || set_str(c, m, "hostname", &tmp);
	}
	strbuf_reset(&tmp);
	if (u.has_user) {
		escape(&tmp, u.user.buf, u.user.len, E_USERPASS);
		if (u.has_pass) {
			strbuf_addch(&tmp, ':');
			escape(&tmp, u.pass.buf, u.pass.len, E_USERPASS);
		}
	}
	r = r || set_str(c, m, "userinfo", &tmp);
	if (r)
		r = ERR_TOOBIG;
	else
		*out = m;
out:
	url_release(&u);
	strbuf_release(&err);
	strbuf_release(&tmp);
	return r;
}

/* dictGetOrEmpty: a string, "" when absent, a panic for another type. */
static int dict_str(struct helm_ctx *c, const struct hv *d, const char *k, struct strbuf *out)
{
	const struct hv *v = d->kind == HV_MAP ? hv_map_get(d, k, strlen(k)) : NULL;

	if (!v)
		return 0;
	if (v->kind == HV_NIL)
		return hctx_fail(c, "runtime error: invalid memory address or nil pointer dereference");
	if (v->kind != HV_STRING)
		return hctx_fail(c, "unable to parse %s key, must be of type string, but %s found", k,
				 sprig_kind(v));
	return strbuf_add(out, v->s, v->len);
}

SPRIG_FN(sf_urljoin)
{
	struct strbuf sb = STRBUF_INIT, userinfo = STRBUF_INIT, err = STRBUF_INIT;
	struct url u, tu;
	int r;

	url_init(&u);
	url_init(&tu);
	r = dict_str(c, a[0], "scheme", &u.scheme);
	if (!r)
		r = dict_str(c, a[0], "host", &u.host);
	if (!r)
		r = dict_str(c, a[0], "path", &u.path);
	if (!r)
		r = dict_str(c, a[0], "query", &u.query);
	if (!r)
		r = dict_str(c, a[0], "opaque", &u.opaque);
	if (!r)
		r = dict_str(c, a[0], "fragment", &u.fragment);
	if (!r)
		r = dict_str(c, a[0], "userinfo", &userinfo);
	if (r)
		goto out;
	if (userinfo.len) {
		struct strbuf raw = STRBUF_INIT;
		strbuf_addf(&raw, "proto://%s@host", userinfo.buf);
		if (url_parse(&tu, raw.buf, raw.len, &err)) {
			r = hctx_fail(c, "unable to parse userinfo in dict: %s", err.buf);
			strbuf_release(&raw);
			goto out;
		}
		strbuf_release(&raw);
	}
	/* URL.String() */
	if (u.scheme.len) {
		strbuf_addbuf(&sb, &u.scheme);
		strbuf_addch(&sb, ':');
	}
	if (u.opaque.len) {
		strbuf_addbuf(&sb, &u.opaque);
	} else {
		struct strbuf path = STRBUF_INIT;
		const char *slash;
		if (u.scheme.len || u.host.len || tu.has_user) {
			if (u.host.len || u.path.len || tu.has_user)
				strbuf_addstr(&sb, "//");
			if (tu.has_user) {
				escape(&sb, tu.user.buf, tu.user.len, E_USERPASS);
				if (tu.has_pass) {
					strbuf_addch(&sb, ':');
					escape(&sb, tu.pass.buf, tu.pass.len, E_USERPASS);
				}
				strbuf_addch(&sb, '@');
			}
			escape(&sb, u.host.buf, u.host.len, E_HOST);
		}
		if (u.path.len == 1 && u.path.buf[0] == '*')
			strbuf_addch(&path, '*');
		else
			escape(&path, u.path.buf, u.path.len, E_PATH);
		if (path.len && path.buf[0] != '/' && u.host.len)
			strbuf_addch(&sb, '/');
		slash = memchr(path.buf, '/', path.len);
		if (!sb.len && memchr(path.buf, ':', slash ? (size_t)(slash - path.buf) : path.len))
			strbuf_addstr(&sb, "./");
		strbuf_addbuf(&sb, &path);
		strbuf_release(&path);
	}
	if (u.query.len) {
		strbuf_addch(&sb, '?');
		strbuf_addbuf(&sb, &u.query);
	}
	if (u.fragment.len) {
		strbuf_addch(&sb, '#');
		escape(&sb, u.fragment.buf, u.fragment.len, E_FRAGMENT);
	}
	r = sprig_ret(out, hv_str(c, sb.buf, sb.len));
out:
	url_release(&u);
	url_release(&tu);
	strbuf_release(&sb);
	strbuf_release(&userinfo);
	strbuf_release(&err);
	return r;
}
