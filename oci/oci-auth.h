/*
 * oci-auth.h - registry credentials and the token challenge flow.
 *
 * Credentials come from HOIST_REGISTRY_USER / HOIST_REGISTRY_PASSWORD, or
 * else from the Docker config (DOCKER_CONFIG/config.json or
 * ~/.docker/config.json): a credential helper named for the host in
 * "credHelpers", else the "credsStore" helper, else the "auths" entry for
 * the registry host (its base64 "auth" field, or "username"/"password").
 * A helper is the program docker-credential-NAME, run as Docker runs it:
 * `get` with the host on standard input, JSON {Username, Secret} out.
 *
 * A registry that answers 401 says how to authenticate in WWW-Authenticate:
 * "Basic realm=..." (send the credentials) or "Bearer realm=...,
 * service=..., scope=..." (GET the realm with the credentials for a token,
 * then send "Authorization: Bearer <token>").
 */
#ifndef HOIST_OCI_AUTH_H
#define HOIST_OCI_AUTH_H

#include "core/compat.h"

struct strbuf;

struct oci_cred {
	char *user;     /* NULL: anonymous */
	char *password;
	char *origin;   /* where they came from, for messages: "HOIST_REGISTRY_USER", a file */
};

void oci_cred_release(struct oci_cred *cred);

/*
 * Finds credentials for `host` ("name[:port]").  Leaves `cred` anonymous
 * (user NULL) and returns 0 when there are none; fails with ERR_INVALID
 * (file:line:col) when the Docker config cannot be read.
 */
int oci_cred_lookup(struct oci_cred *cred, const char *host);

/*
 * Looks `host` up in a Docker config.json held in memory; `file` names it
 * in messages.  Keys match with or without a scheme and a trailing path
 * ("https://reg.example.com/v1/" matches "reg.example.com").  Returns 0
 * with `cred` anonymous when there is no entry.
 */
int oci_docker_config_lookup(struct oci_cred *cred, const char *json, size_t len,
			     const char *file, const char *host);

/*
 * The credential helper a Docker config names for `host` (credHelpers,
 * then credsStore), or NULL.  The caller frees it.  ERR_INVALID for a
 * helper name that is not a plain word.
 */
int oci_docker_config_helper(char **helper, const char *json, size_t len, const char *file,
			     const char *host);

/*
 * Runs docker-credential-HELPER get for `host`.  "credentials not found"
 * leaves `cred` anonymous; any other failure is ERR_AUTH naming the helper.
 */
int oci_cred_from_helper(struct oci_cred *cred, const char *helper, const char *host);

/* Appends "Authorization: Basic <base64(user:password)>". */
void oci_auth_basic_header(struct strbuf *out, const struct oci_cred *cred);

struct oci_challenge {
	char *scheme; /* "basic", "bearer" (lowercased) */
	char *realm, *service, *scope; /* NULL when absent */
};

void oci_challenge_release(struct oci_challenge *ch);

/*
 * Parses a WWW-Authenticate value: a scheme followed by comma-separated
 * key=value or key="quoted value" parameters.  Unknown parameters are
 * ignored.  ERR_INVALID when it cannot be read.
 */
int oci_challenge_parse(struct oci_challenge *ch, const char *header);

/*
 * Fetches a bearer token from the challenge's realm for `scope` (which may
 * hold several space-separated scopes; each becomes a scope= parameter),
 * sending `cred` as basic auth when set.  The token is the reply's "token"
 * or, failing that, "access_token".  A rejected login is ERR_AUTH naming
 * `host` and the user.  `allow_plain` lets a realm use plain http.
 */
int oci_token_fetch(char **token, const struct oci_challenge *ch, const char *scope,
		    const struct oci_cred *cred, const char *host, bool allow_plain);

/*
 * Reads a token service's reply (JSON): its "token", or failing that its
 * "access_token".  ERR_AUTH naming `host` when there is none.
 */
int oci_token_reply_parse(char **token, const char *buf, size_t len, const char *host);

/* Base64 decoding of a Docker "auth" field; ERR_INVALID on bad input. */
int oci_base64_decode(struct strbuf *out, const char *in);
/* Appends standard base64 (with padding) of `len` bytes. */
void oci_base64_encode(struct strbuf *out, const void *in, size_t len);

#endif
