/*
 * inventory.h - the set of objects an app applied, kept in the cluster.
 *
 * Prune needs to know what the previous artifact applied; that record
 * lives next to the objects, in a ConfigMap `hoist-inventory-APP` in the
 * agent's namespace, not on the agent's disk.  It must stay far below
 * etcd's 1.5 MiB object limit at thousands of objects (the wall Argo CD,
 * Fleet, kapp and Config Sync hit), so it holds one line per object,
 * "apiVersion<TAB>kind<TAB>namespace<TAB>name", sorted, gzip'd, in
 * binaryData.inventory.gz (base64 on the wire): 5,000 objects take a few
 * tens of KiB.  Annotations say which digest and revision it records.
 */
#ifndef HOIST_AGENT_INVENTORY_H
#define HOIST_AGENT_INVENTORY_H

#include "core/compat.h"

struct kube;
struct strbuf;

#define INVENTORY_PREFIX "hoist-inventory-"
#define INVENTORY_KEY "inventory.gz"
#define INVENTORY_MAX_LINES 1000000
#define INVENTORY_MAX_BYTES (64u << 20) /* uncompressed */

struct inv_entry {
	char *api_version, *kind, *ns, *name; /* ns "" for cluster-scoped objects */
};

struct inventory {
	struct inv_entry *v;
	size_t n, alloc;
};

void inventory_add(struct inventory *inv, const char *api_version, const char *kind,
		   const char *ns, const char *name);
void inventory_release(struct inventory *inv);
/* Sorts and drops duplicates (same group, kind, namespace, name). */
void inventory_normalize(struct inventory *inv);
/* Whether `inv` (normalized) holds the object; versions of a group are the same object. */
bool inventory_has(const struct inventory *inv, const char *api_version, const char *kind,
		   const char *ns, const char *name);

/* The stored form: gzip of the sorted lines (not base64). */
int inventory_encode(const struct inventory *inv, struct strbuf *gz);
/* Reads the stored form back; untrusted (bounded, every line checked). */
int inventory_decode(struct inventory *inv, const void *gz, size_t len);

/*
 * Reads the app's inventory from the cluster: *found says whether the
 * ConfigMap exists; `raw` (may be NULL) gets the base64 text as stored, so
 * the caller can skip writing an identical one, and `stored_digest` (may
 * be NULL) the digest it was written for.
 */
int inventory_load(struct kube *k, const char *ns, const char *app, struct inventory *inv,
		   bool *found, struct strbuf *raw, struct strbuf *stored_digest);
/*
 * Writes it (server-side apply, field manager hoist), creating the
 * namespace first when `create_ns`.  `*bytes` gets the size of the stored
 * ConfigMap's data.
 */
int inventory_store(struct kube *k, const char *ns, const char *app, const struct inventory *inv,
		    const char *digest, const char *revision, bool create_ns, size_t *bytes);

#endif
