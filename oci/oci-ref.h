/*
 * oci-ref.h - artifact references: where a push goes, where a pull comes from.
 *
 *   HOST[:PORT]/REPO[/...]:TAG         a registry, by tag
 *   HOST[:PORT]/REPO[/...]@sha256:HEX  a registry, by digest
 *   oci-layout:DIR:TAG                 an OCI image-layout folder, by tag
 *   oci-layout:DIR@sha256:HEX          an OCI image-layout folder, by digest
 *
 * An "oci://" prefix is accepted (hoist.yaml writes registries that way).
 * The host is required and must look like one (a dot, a port, or
 * "localhost"), so "apps/podinfo:1.0" is an error rather than Docker Hub.
 * Names follow the distribution spec's grammar and are checked strictly;
 * errors are ERR_INVALID and say which part is wrong.
 */
#ifndef HOIST_OCI_REF_H
#define HOIST_OCI_REF_H

#include "core/compat.h"

#define OCI_REF_NAME_MAX 255 /* repository name, as the distribution spec bounds it */
#define OCI_TAG_MAX 128

enum oci_ref_kind { OCI_REF_REGISTRY = 1, OCI_REF_LAYOUT };

struct oci_ref {
	enum oci_ref_kind kind;
	char *host;   /* registry: "host[:port]" (IPv6 in brackets) */
	char *repo;   /* registry: repository name, e.g. "apps/podinfo" */
	char *dir;    /* layout: the folder */
	char *tag;    /* NULL when the reference is by digest */
	char *digest; /* NULL when the reference is by tag */
};

int oci_ref_parse(struct oci_ref *out, const char *s);
void oci_ref_release(struct oci_ref *ref);

/* The grammar checks, for callers that take a tag or name on their own. */
bool oci_tag_is_valid(const char *tag);
bool oci_repo_is_valid(const char *repo);
bool oci_host_is_valid(const char *host);

#endif
