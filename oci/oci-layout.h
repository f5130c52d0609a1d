/*
 * oci-layout.h - the OCI image-layout backend of oci_store.
 *
 * A folder as the image-layout spec describes it:
 *
 *   DIR/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   DIR/index.json              an image index; each tag is a manifest
 *                               descriptor annotated org.opencontainers.image.ref.name
 *   DIR/blobs/sha256/<hex>      content, blobs and manifests alike
 *
 * Opened through oci_store_open() or oci_layout_open() (declared in oci.h);
 * with `push` the folder is created.  Every file is written to a temporary
 * name and renamed into place, blobs before index.json, so a crash never
 * leaves index.json naming a missing or partial blob.  Updates of
 * index.json are serialised with flock() on the folder.  Deleting a tag
 * leaves its blobs (NEEDSWORK: a gc that drops unreferenced blobs).
 */
#ifndef HOIST_OCI_LAYOUT_H
#define HOIST_OCI_LAYOUT_H

#include "oci/oci.h"

#define OCI_LAYOUT_VERSION "1.0.0"
#define OCI_LAYOUT_INDEX_MAX (16u << 20)

#endif
