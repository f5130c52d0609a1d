/*
 * sprig.h - helpers shared by the Sprig and Helm function files
 * (internal to render/helm: sprig-*.c, helm-funcs.c).
 *
 * Every function has the struct hfunc signature; the engine has already
 * converted the arguments to the Go parameter types of the table entry.
 * Functions whose Go version panics report the panic's text with
 * hctx_fail, as text/template reports a recovered panic.
 */
#ifndef HOIST_HELM_SPRIG_H
#define HOIST_HELM_SPRIG_H

#include "core/compat.h"
#include "render/helm/value.h"

struct strbuf;

#define SPRIG_FN(name)                                                         \
	int name(struct helm_ctx *c, struct hv **out, struct hv *const *a, size_t n)

/* Sets *out, mapping a NULL (arena limit) to ERR_TOOBIG. */
static inline int sprig_ret(struct hv **out, struct hv *v)
{
	*out = v;
	return v ? 0 : -7 /* ERR_TOOBIG */;
}

/* A string result from a strbuf (copied into the arena; the strbuf is released). */
int sprig_ret_buf(struct helm_ctx *c, struct hv **out, struct strbuf *sb);

/* Sprig's strval: strings and []byte as they are, anything else as fmt's %v. */
int sprig_strval(struct helm_ctx *c, const struct hv *v, struct strbuf *sb);

/* Sprig's empty(): Go's zero value of the dynamic type. */
bool sprig_empty(const struct hv *v);

/* spf13/cast as Sprig uses it: ToInt64, ToFloat64 (errors give 0). */
int64_t sprig_to_int64(const struct hv *v);
double sprig_to_float64(const struct hv *v);
/* Go's int64(f) on amd64: out of range and NaN give INT64_MIN. */
int64_t sprig_f2i(double f);

/* Go's unicode.IsSpace. */
bool sprig_is_space(uint32_t r);
/* Decodes one UTF-8 rune (U+FFFD width 1 when invalid); returns its width. */
size_t sprig_rune(const char *s, size_t len, uint32_t *r);
void sprig_put_rune(struct strbuf *sb, uint32_t r);

/*
 * Fresh bytes for a random function: the system's CSPRNG, or in the
 * reproducible mode a DRBG keyed by the render secret and personalised
 * with `fn` and `what` (the call's arguments); without a secret the call
 * fails naming `fn`.  See docs/helm.md.
 */
int sprig_random(struct helm_ctx *c, const char *fn, const void *what, size_t wlen,
		 unsigned char *buf, size_t len);
/* The current time for `now`/`ago` (the commit time in the reproducible mode). */
void sprig_now(struct helm_ctx *c, struct hv_time *t);

/* Go's time.Duration.String(). */
void sprig_duration_string(struct strbuf *sb, int64_t d);

/* Base64/32 of Go's StdEncoding. */
int sprig_b64_encode(struct strbuf *out, const void *p, size_t len);
int sprig_b64_decode(struct strbuf *out, const char *s, size_t len, size_t *bad_at);

/* reflect.Kind's name of a value's dynamic type ("map", "slice", "string", "int"...). */
const char *sprig_kind(const struct hv *v);
/* reflect.DeepEqual. */
bool sprig_deep_equal(struct helm_ctx *c, const struct hv *x, const struct hv *y);
/* Sprig's strslice: []string of any list (nils dropped), or of one scalar. */
int sprig_strslice(struct helm_ctx *c, struct hv **out, const struct hv *v);

/* Helm's toToml (helm-toml.c). */
int helm_totoml(struct helm_ctx *c, struct hv **out, struct hv *const *a, size_t n);

#endif
