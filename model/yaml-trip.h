/*
 * yaml-trip.h - what kustomize's conversions do to a string on its way out.
 *
 * Internal to the canonical emitter (model/yaml-emit.c).  kustomize prints
 * an object by (1) re-encoding its kyaml node with go-yaml v3 and decoding
 * that text into Go values, (2) encoding/json, (3) go-yaml v2 reading the
 * JSON and writing YAML.  Steps 1 and 2 are not lossless for a few strings;
 * these functions reproduce exactly those losses, by hand, because the
 * output must match byte for byte.
 *
 * Both return 0 and set *out and *outlen: to `s` itself when nothing changes
 * (the common case, with no copy), or into `tmp`.
 */
#ifndef HOIST_YAML_TRIP_H
#define HOIST_YAML_TRIP_H

#include "core/compat.h"

struct doc_node;
struct strbuf;

/*
 * Step 1 for a folded (">") scalar: go-yaml v3 writes it back in folded
 * style with a misplaced check for where an extra line break is needed,
 * so line breaks before more-indented lines, and trailing kept breaks,
 * gain a newline when the text is read again.  `indent` is the column the
 * block's lines start at, for v3's folding of long lines at 80 columns.
 */
int yaml_trip_folded(const char *s, size_t len, int indent, struct strbuf *tmp,
		     const char **out, size_t *outlen);

/*
 * Step 2 and the read in step 3: invalid UTF-8 becomes U+FFFD, a raw NEL
 * (U+0085) folds like a line break in a double-quoted scalar, and the
 * characters go-yaml's reader refuses (DEL, C1 controls, U+FFFE, U+FFFF)
 * fail with ERR_INVALID naming `n`'s position.
 */
int yaml_trip_json(const struct doc_node *n, const char *s, size_t len,
		   struct strbuf *tmp, const char **out, size_t *outlen);

#endif
