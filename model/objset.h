/*
 * objset.h - a set of Kubernetes objects, as renderers produce them.
 *
 * The set owns the parsed streams its objects live in.  Every object is a
 * mapping with apiVersion, kind and metadata.name (checked on add); `List`
 * kinds are flattened into their items, as kubectl and kustomize do.
 */
#ifndef HOIST_OBJSET_H
#define HOIST_OBJSET_H

#include "core/compat.h"

struct doc_node;
struct doc_stream;
struct strbuf;

struct object {
	struct doc_node *node; /* the object's root mapping */
	const char *api_version, *kind, *name, *namespace; /* borrowed; namespace may be "" */
	char *group, *version; /* split apiVersion, owned */
};

struct objset {
	struct object *objs;
	size_t n, alloc;
	struct doc_stream **streams;
	size_t nstreams, streams_alloc;
	struct arena **arenas; /* adopted from renderers that build nodes themselves */
	size_t narenas, arenas_alloc;
};

#define OBJSET_INIT { NULL, 0, 0, NULL, 0, 0, NULL, 0, 0 }

void objset_init(struct objset *set);
void objset_release(struct objset *set);

/*
 * Takes ownership of `s` (also on failure) and adds its documents.  Fails
 * with ERR_INVALID and file:line for a document that is not an object.
 */
int objset_add_stream(struct objset *set, struct doc_stream *s);

/*
 * Takes ownership of an arena whose nodes objects live in (a renderer that
 * builds its own nodes), then adds one object from it.
 */
void objset_adopt_arena(struct objset *set, struct arena *a);
int objset_add_node(struct objset *set, struct doc_node *node);

/* Parses `buf` as a YAML/JSON stream named `file` and adds it. */
int objset_add_yaml(struct objset *set, const char *buf, size_t len, const char *file);

/* ERR_INVALID naming both places when two objects share group/kind/namespace/name. */
int objset_check_duplicates(const struct objset *set);

/* kustomize's legacy order: Namespaces, ..., CRDs, ..., then by group/version/kind, namespace, name. */
void objset_sort_legacy(struct objset *set);

/* The canonical stream, documents separated by "---\n". */
int objset_emit(const struct objset *set, struct strbuf *out);

#endif
