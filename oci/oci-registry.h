/*
 * oci-registry.h - the OCI distribution-spec backend of oci_store.
 *
 * Opened through oci_store_open() or oci_registry_open() (declared in
 * oci.h).  What it speaks, per the distribution spec:
 *
 *   HEAD   /v2/<name>/blobs/<digest>              blob exists?
 *   POST   /v2/<name>/blobs/uploads/              start an upload (Location)
 *   PUT    <location>?digest=<digest>             finish it, monolithic
 *   POST   /v2/<name>/blobs/uploads/?mount=&from= cross-repository mount
 *   GET    /v2/<name>/blobs/<digest>              fetch (redirects followed)
 *   PUT    /v2/<name>/manifests/<tag>             store + tag a manifest
 *   GET    /v2/<name>/manifests/<ref>             fetch (Accept: OCI + Docker v2)
 *   HEAD   /v2/<name>/manifests/<tag>             resolve (Docker-Content-Digest)
 *   GET    /v2/<name>/tags/list                   list (Link pagination)
 *   DELETE /v2/<name>/manifests/<tag>             where the registry allows it
 *
 * Scheme: https, except plain http for loopback hosts (127.0.0.0/8, ::1,
 * localhost) and with `insecure`.  A 401 is answered once per request with
 * basic credentials or a bearer token (see oci-auth.h); a second 401 is
 * ERR_AUTH "registry HOST: authentication failed (401) for user 'x'".
 * Docker-Content-Digest, when the registry sends it, must match.
 */
#ifndef HOIST_OCI_REGISTRY_H
#define HOIST_OCI_REGISTRY_H

#include "oci/oci.h"

#endif
