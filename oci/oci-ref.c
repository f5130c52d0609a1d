#include "core/compat.h"
#include "oci/oci-ref.h"
#include "core/digest.h"
#include "core/err.h"
#include <ctype.h>

#define LAYOUT_PREFIX "oci-layout:"

void oci_ref_release(struct oci_ref *ref)
{
	free(ref->host);
	free(ref->repo);
	free(ref->dir);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

bool oci_tag_is_valid(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > OCI_TAG_MAX)
		return false;
	if (!(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)tag[i];
		if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
 * (the distribution spec's grammar).
 */
static bool component_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0;
		while (i < n && is_lower_alnum(s[i])) {
			i++;
			run++;
		}
		if (!run)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n)
			return false; /* a separator must be followed by alnum */
	}
	return false;
}

bool oci_repo_is_valid(const char *repo)
{
	size_t n = strlen(repo);
	const char *p = repo;

	if (n == 0 || n > OCI_REF_NAME_MAX)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_is_valid(p, len))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool port_is_valid(const char *p)
{
	long v = 0;
	size_t i;

	if (!*p || strlen(p) > 5)
		return false;
	for (i = 0; p[i]; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

bool oci_host_is_valid(const char *host)
{
	const char *colon;
	size_t i, n;

	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close || close == host + 1)
			return false;
		for (i = 1; host + i < close; i++)
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
				return false;
		if (!close[1])
			return true;
		return close[1] == ':' && port_is_valid(close + 2);
	}
	colon = strchr(host, ':');
	n = colon ? (size_t)(colon - host) : strlen(host);
	if (n == 0 || n > 253)
		return false;
	/* Labels of letters, digits and inner hyphens, separated by dots. */
	for (i = 0; i < n; i++) {
		char c = host[i];
		if (isalnum((unsigned char)c))
			continue;
		if (c == '.' && i > 0 && host[i - 1] != '.' && i + 1 < n)
			continue;
		if (c == '-' && i > 0 && host[i - 1] != '.' && i + 1 < n && host[i + 1] != '.')
			continue;
		return false;
	}
	if (host[0] == '-')
		return false;
	return !colon || port_is_valid(colon + 1);
}

/* Splits "NAME:TAG" or "NAME@DIGEST" at the end of `s`; `what` names the reference. */
static int split_tag_digest(const char *s, char **name, char **tag, char **digest,
			    const char *full)
{
	const char *at = strchr(s, '@');
	const char *colon;

	if (at) {
		if (strncmp(at + 1, "sha256:", 7) && strchr(at + 1, ':'))
			return err_set(ERR_INVALID,
				       "invalid reference '%s': unsupported digest algorithm (only sha256)",
				       full);
		if (!digest_is_valid(at + 1))
			return err_set(ERR_INVALID,
				       "invalid reference '%s': digest must be sha256: followed by 64 lowercase hex digits",
				       full);
		colon = memrchr(s, ':', (size_t)(at - s));
		if (colon && !strchr(colon, '/'))
			return err_set(ERR_INVALID,
				       "invalid reference '%s': give a tag or a digest, not both",
				       full);
		*name = xstrndup(s, (size_t)(at - s));
		*digest = xstrdup(at + 1);
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || strchr(colon, '/'))
		return err_set(ERR_INVALID,
			       "invalid reference '%s': missing :TAG or @sha256:DIGEST", full);
	if (!oci_tag_is_valid(colon + 1))
		return err_set(ERR_INVALID,
			       "invalid reference '%s': tag '%s' must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}",
			       full, colon + 1);
	*name = xstrndup(s, (size_t)(colon - s));
	*tag = xstrdup(colon + 1);
	return 0;
}

int oci_ref_parse(struct oci_ref *out, const char *s)
{
	struct oci_ref ref = { 0 };
	char *name = NULL;
	const char *slash;
	int r;

	if (!strncmp(s, "oci://", 6))
		s += 6;
	if (!strncmp(s, LAYOUT_PREFIX, strlen(LAYOUT_PREFIX))) {
		ref.kind = OCI_REF_LAYOUT;
		r = split_tag_digest(s + strlen(LAYOUT_PREFIX), &ref.dir, &ref.tag,
				     &ref.digest, s);
		if (r)
			goto out;
		if (!ref.dir[0]) {
			r = err_set(ERR_INVALID, "invalid reference '%s': empty layout folder", s);
			goto out;
		}
		goto out;
	}

	ref.kind = OCI_REF_REGISTRY;
	slash = strchr(s, '/');
	if (!slash) {
		r = err_set(ERR_INVALID,
			    "invalid reference '%s': expected HOST[:PORT]/REPO:TAG, HOST/REPO@sha256:DIGEST or oci-layout:DIR:TAG",
			    s);
		goto out;
	}
	ref.host = xstrndup(s, (size_t)(slash - s));
	if (!oci_host_is_valid(ref.host) ||
	    (!strchr(ref.host, '.') && !strchr(ref.host, ':') && strcmp(ref.host, "localhost"))) {
		r = err_set(ERR_INVALID,
			    "invalid reference '%s': '%s' is not a registry host (HOST[:PORT] with a dot, a port, or localhost)",
			    s, ref.host);
		goto out;
	}
	r = split_tag_digest(slash + 1, &name, &ref.tag, &ref.digest, s);
	if (r)
		goto out;
	if (!oci_repo_is_valid(name)) {
		r = err_set(ERR_INVALID,
			    "invalid reference '%s': repository '%s' must be lowercase path components [a-z0-9]+ joined by '.', '_', '__' or '-', separated by '/' (at most %d characters)",
			    s, name, OCI_REF_NAME_MAX);
		goto out;
	}
	ref.repo = name;
	name = NULL;
out:
	free(name);
	if (r)
		oci_ref_release(&ref);
	*out = ref;
	return r;
}
