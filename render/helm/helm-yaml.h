/*
 * helm-yaml.h - YAML and JSON to Go values and back, as Helm converts them.
 *
 * Helm reads values files and `fromYaml` input with sigs.k8s.io/yaml
 * (1.3.0 on go-yaml v2): YAML 1.1 scalars (yes/no/on/off are booleans,
 * timestamps stay strings), then a JSON round trip, so every number
 * becomes a float64 and every key a string.  It prints with json.Marshal
 * (`toJson`) and json.Marshal + go-yaml v2 (`toYaml`), whose YAML half is
 * core's canonical emitter (doc_emit_go_yaml).
 *
 * Errors carry Go's own text ("error converting YAML to JSON: yaml: line
 * 3: mapping values are not allowed in this context", "invalid character
 * 'x' looking for beginning of value"), set with err_set: Helm prints
 * those texts, `fromYaml` stores them under "Error", and callers that know
 * the file name prefix it.  Owner: the Sprig/functions side.
 */
#ifndef HOIST_HELM_YAML_H
#define HOIST_HELM_YAML_H

#include "core/compat.h"

struct arena;
struct helm_ctx;
struct hv;
struct doc_node;
struct strbuf;

/* What Go unmarshals into: decides the type errors, as json.Unmarshal reports them. */
enum helm_into {
	HELM_INTO_ANY = 0, /* interface{}: null gives nil */
	HELM_INTO_MAP,     /* map[string]interface{}: null or empty input gives an empty map */
	HELM_INTO_LIST,    /* []interface{}: null or empty input gives an empty list */
};

/*
 * sigs.k8s.io/yaml.Unmarshal(buf, &out): the first YAML document only.
 * Maps are "map[string]interface {}", lists "[]interface {}", numbers
 * float64.  ERR_INVALID with Go's message on bad input, ERR_TOOBIG past
 * core's document limits or the render's memory limit.
 */
int helm_yaml_parse(struct helm_ctx *c, struct hv **out, const char *buf, size_t len,
		    enum helm_into into);

/*
 * The same conversion from an already parsed node (go-yaml v2 resolution
 * of plain scalars, merge keys as v2 applies them), for the chart side,
 * which keeps the node for file:line:col in its own messages.
 */
int helm_yaml_from_doc(struct helm_ctx *c, struct hv **out, const struct doc_node *n);

/* encoding/json.Unmarshal(buf, &out), with Go's syntax and type error texts. */
int helm_json_parse(struct helm_ctx *c, struct hv **out, const char *buf, size_t len,
		    enum helm_into into);

/* JSON encoding options of the json.Marshal family. */
struct helm_json_opts {
	const char *indent; /* MarshalIndent's indent, or NULL for compact */
	bool no_html_escape; /* Encoder.SetEscapeHTML(false) (Sprig's toRawJson) */
};

/*
 * json.Marshal(v) appended to `out` (no trailing newline).  ERR_INVALID
 * with Go's message for NaN and infinities ("json: unsupported value:
 * NaN") and for values JSON cannot carry.
 */
int helm_json_emit(struct helm_ctx *c, struct strbuf *out, const struct hv *v,
		   const struct helm_json_opts *opts);

/*
 * sigs.k8s.io/yaml.Marshal(v) appended to `out`: what Helm's toYaml
 * prints before trimming the last newline.
 */
int helm_yaml_emit(struct helm_ctx *c, struct strbuf *out, const struct hv *v);

/*
 * A doc_node tree that stands for `v` as json.Marshal would write it,
 * built in `a`: what helm_yaml_emit prints, for callers that want nodes.
 */
int helm_hv_to_doc(struct helm_ctx *c, struct doc_node **out, struct arena *a,
		   const struct hv *v);

/*
 * Go's strconv.FormatFloat(f, fmt, -1, bits) for fmt 'e', 'f' or 'g' and
 * bits 32 or 64: the shortest digits that read back as the same value.
 */
void helm_format_float(char *buf, size_t size, double f, char fmt, int bits);

/* Go's encoding/json text of a float64 (json.Marshal of a float64). */
void helm_json_float(char *buf, size_t size, double f);

#endif
