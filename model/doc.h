/*
 * doc.h - one document model for YAML and JSON.
 *
 * A parsed stream is a tree of nodes in an arena (freed as a whole by
 * doc_stream_free).  Nodes keep what the reference tools' output depends on:
 * mapping key order as written, scalar style and explicit tag, and the
 * origin file:line:col of every node, for error messages.
 *
 * Mappings store their pairs flat: kids[2*i] is a key, kids[2*i+1] its value.
 * Aliases are resolved at parse time; an aliased subtree is shared, not
 * copied, and its expanded size is counted against doc_limits.max_nodes
 * (the defence against "billion laughs" alias bombs).
 */
#ifndef HOIST_DOC_H
#define HOIST_DOC_H

#include "core/compat.h"

struct arena;
struct strbuf;

enum doc_kind { DOC_SCALAR = 1, DOC_MAP, DOC_SEQ };

enum doc_style {
	DOC_STYLE_ANY = 0,
	DOC_STYLE_PLAIN,
	DOC_STYLE_SINGLE,
	DOC_STYLE_DOUBLE,
	DOC_STYLE_LITERAL,
	DOC_STYLE_FOLDED,
	DOC_STYLE_FLOW, /* collections written as [..] / {..} */
};

struct doc_node {
	enum doc_kind kind;
	enum doc_style style;
	const char *tag;  /* explicit tag, expanded ("tag:yaml.org,2002:str"), or NULL */
	const char *file; /* origin, borrowed from the stream */
	unsigned line, col; /* 1-based */
	size_t weight;    /* nodes in this subtree, aliases expanded */
	const char *str;  /* DOC_SCALAR: value, NUL-terminated (may contain NULs) */
	size_t len;
	struct doc_node **kids; /* DOC_MAP: 2*n entries; DOC_SEQ: n entries */
	size_t n, cap;
};

struct doc_stream {
	struct arena *arena;
	const char *file;
	struct doc_node **docs; /* NULL entries for empty documents are dropped */
	size_t ndocs;
};

struct doc_limits {
	size_t max_bytes;  /* input size */
	unsigned max_depth;  /* nesting of collections */
	size_t max_nodes;  /* per document, aliases expanded */
	/*
	 * A repeated mapping key replaces the earlier one instead of being an
	 * error: how kustomize reads kustomization files (through JSON).
	 */
	bool last_key_wins;
};
extern const struct doc_limits doc_limits_default;

/*
 * Parses a YAML (or JSON) stream.  Errors are ERR_INVALID with
 * "file:line:col: problem", or ERR_TOOBIG for a limit.  `file` is copied.
 */
int doc_parse(struct doc_stream **out, const char *buf, size_t len,
	      const char *file, const struct doc_limits *lim);
void doc_stream_free(struct doc_stream *s);

/* Builders, for renderers and tests.  Strings are copied into the arena. */
struct doc_node *doc_new_scalar(struct arena *a, const char *s, size_t len,
				enum doc_style style);
struct doc_node *doc_new_str(struct arena *a, const char *s);
struct doc_node *doc_new_map(struct arena *a);
struct doc_node *doc_new_seq(struct arena *a);
void doc_map_append(struct arena *a, struct doc_node *map, struct doc_node *key,
		    struct doc_node *value);
void doc_seq_append(struct arena *a, struct doc_node *seq, struct doc_node *item);

/*
 * The pairs a mapping stands for once YAML merge keys ("<<: *base", or a
 * list of maps) are applied as go-yaml v3 applies them: the mapping's own
 * keys win, then each merged map in order, first definition winning.
 * *pairs is flat (key, value, key, value, ...) with *n pairs; it borrows
 * map->kids when there is nothing to merge, else it is allocated and
 * *owned is set (free it).  Fails with ERR_INVALID when a merge value is
 * not a map or a list of maps.
 */
int doc_map_pairs(const struct doc_node *map, struct doc_node ***pairs, size_t *n,
		  bool *owned);
bool doc_is_merge_key(const struct doc_node *key);

/* Lookups borrow. */
struct doc_node *doc_map_get(const struct doc_node *map, const char *key);
/* The scalar's string, or NULL when `n` is missing or not a scalar. */
const char *doc_str(const struct doc_node *n);
/* doc_map_get + doc_str along a path of keys, NULL-terminated. */
const char *doc_get_str(const struct doc_node *n, ...);

/*
 * Scalar resolution, as Go YAML decoders do it (yaml.v3, which kustomize's
 * kyaml uses to read input).  Plain scalars can be null, bool, int, float or
 * timestamp; quoted and block scalars are strings unless tagged.
 */
enum doc_type {
	DOC_T_STR = 0,
	DOC_T_NULL,
	DOC_T_BOOL,
	DOC_T_INT,
	DOC_T_UINT,
	DOC_T_FLOAT,
	DOC_T_TIME,
};

struct doc_value {
	enum doc_type type;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
	char time[64]; /* RFC 3339, as Go's time.Time marshals to JSON */
};

int doc_resolve(const struct doc_node *n, struct doc_value *out);

/* "file:line:col" of a node, for messages. */
const char *doc_where(const struct doc_node *n, char *buf, size_t size);

/*
 * Emits a node as kustomize prints it: the value is read as kyaml reads
 * it, passed through JSON and written by go-yaml v2 (sorted keys, 2-space
 * indent, sequences flush under their key, go-yaml's quoting and folding at
 * 80 columns).  Fails with ERR_INVALID for values JSON cannot carry (.inf,
 * .nan) and for non-string mapping keys it cannot represent.
 */
int doc_emit_canonical(struct strbuf *out, const struct doc_node *root);
/*
 * The same for a tree that stands for Go values already (Helm's toYaml:
 * json.Marshal then go-yaml v2): no key is dropped ("<<" and an empty
 * metadata.annotations are kustomize's reader's doing, not go-yaml's).
 * Build string scalars double-quoted so they are not re-typed.
 */
int doc_emit_go_yaml(struct strbuf *out, const struct doc_node *root);

/* Emits compact JSON with keys in document order and typed scalars. */
int doc_emit_json(struct strbuf *out, const struct doc_node *root);

/*
 * Helpers shared by the emitter and resolver: Go's strconv semantics, which
 * both reference tools inherit.
 */
bool go_parse_int(const char *s, int64_t *out);   /* ParseInt(s, 0, 64) */
bool go_parse_uint(const char *s, uint64_t *out); /* ParseUint(s, 0, 64) */
/* FormatFloat(f, 'g', -1, 64) into buf. */
void go_format_float_g(double f, char *buf, size_t size);
/* Whether go-yaml v2 would read `s`, written plain, as something other than a string. */
bool yaml_v2_plain_is_nonstr(const char *s, size_t len);

/*
 * Editing, for renderers that transform objects (kustomize).  New nodes
 * come from `a`, which must live as long as the tree.  See doc-edit.c.
 */
/* Sets `key` to `value`, replacing an existing value in place, else appending. */
void doc_map_set(struct arena *a, struct doc_node *map, const char *key,
		 struct doc_node *value);
/* Removes `key`; returns whether it was there. */
bool doc_map_del(struct doc_node *map, const char *key);
/* Removes item `i` of a sequence. */
void doc_seq_del(struct doc_node *seq, size_t i);
/*
 * A deep copy into `a`, tags and origin file names included, so it outlives `n`'s
 * stream; aliases become separate copies.
 */
struct doc_node *doc_clone(struct arena *a, const struct doc_node *n);
/* The mapping at `key`, created (empty) when missing; NULL when `key` holds a non-map. */
struct doc_node *doc_map_ensure_map(struct arena *a, struct doc_node *map, const char *key);
/* Structural equality (scalars compare by text and resolved type). */
bool doc_equal(const struct doc_node *x, const struct doc_node *y);

/*
 * Re-types plain scalars of a tree read by a YAML 1.1 decoder (go-yaml
 * v2, as sigs.k8s.io/yaml reads JSON patches): y/yes/on/off/n/no become
 * booleans, and timestamps stay strings.  Edits `n` in place.
 */
void doc_yaml11_retype(struct arena *a, struct doc_node *n);

#endif
