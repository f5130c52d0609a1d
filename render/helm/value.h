/*
 * value.h - Go values as Helm's templates see them.
 *
 * The Helm engine (text/template + Sprig + Helm's functions) works on Go's
 * interface{} values.  A `struct hv` is one such value: its kind says how
 * the engine treats it (truthiness, comparison, range, field access) and
 * its `type` string is the Go type the reference prints for %T, typeOf and
 * error messages ("float64", "[]interface {}", "chartutil.Values", ...).
 *
 * Every value of one render lives in that render's arena (struct helm_ctx)
 * and dies with it; nothing is freed one by one.  Scalars are immutable and
 * freely shared.  Lists and maps are references, as Go's slices and maps
 * are: Sprig's `set` and `merge` mutate a map every holder sees.
 *
 * Owners: this file is the contract between the template engine
 * (tmpl-*.c, fmt.c), the function library (sprig-*.c, funcs-*.c) and the
 * chart side (chart-*.c, values-*.c).  Change it in one commit with every
 * user.
 */
#ifndef HOIST_HELM_VALUE_H
#define HOIST_HELM_VALUE_H

#include "core/compat.h"

struct arena;
struct strbuf;
struct helm_ctx;

enum hv_kind {
	HV_NIL = 0, /* Go's nil interface{} (also a missing value) */
	HV_BOOL,
	HV_INT,     /* int, int64, int32, ... (signed): `i` */
	HV_UINT,    /* uint, uint64, uint8, ...: `u` */
	HV_FLOAT,   /* float64, float32: `f` */
	HV_STRING,  /* string (and template.HTML and friends): `s`, `len` */
	HV_BYTES,   /* []byte: `s`, `len` */
	HV_LIST,    /* []interface{}, []string, ...: `list` */
	HV_MAP,     /* map[string]interface{}, chartutil.Values, ...: `map` */
	HV_TIME,    /* time.Time: `time` */
	HV_OBJ,     /* a Go struct or pointer with fields and methods: `obj` */
};

struct hv_list {
	struct hv **items;
	size_t n, cap;
};

struct hv_map; /* opaque; see hv_map_* */

struct hv_time {
	int64_t sec;      /* Unix seconds */
	int32_t nsec;
	int32_t offset;   /* seconds east of UTC of the location */
	const char *zone; /* abbreviation as Go prints it ("UTC", "CET") */
};

struct hv;

/*
 * A Go struct (or pointer to one) exposed to templates: .Release, .Chart,
 * .Capabilities, .Files, .Template, semver.Version, ...  `field` answers
 * `.Name` (NULL: no such field); `method` lists callable methods.
 */
struct hv_method {
	const char *name;
	const char *params; /* as struct hfunc.params */
	int (*fn)(struct helm_ctx *c, struct hv **out, void *self,
		  struct hv *const *args, size_t nargs);
};

struct hv_class {
	const char *type; /* %T: "*chart.Metadata", "chartutil.Capabilities", ... */
	struct hv *(*field)(struct helm_ctx *c, void *self, const char *name);
	const struct hv_method *methods; /* NULL-name terminated, or NULL */
	/* %v of the value; NULL: "{...}" from the fields is not needed by any chart */
	int (*format)(struct helm_ctx *c, struct strbuf *out, void *self);
	/*
	 * A Go map type with methods (Helm's .Files is map[string][]byte with
	 * Get, Glob, AsConfig ...): range, index, len and `.key` see this map;
	 * methods are looked up first, as reflect does.  NULL for structs.
	 */
	struct hv *(*as_map)(struct helm_ctx *c, void *self);
};

struct hv {
	enum hv_kind kind;
	const char *type; /* Go type as %T prints it; never NULL ("<nil>" for HV_NIL) */
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double f;
		struct {
			const char *s; /* NUL-terminated; may contain NULs (len counts) */
			size_t len;
		};
		struct hv_list *list;
		struct hv_map *map;
		struct hv_time time;
		struct {
			const struct hv_class *cls;
			void *self;
		} obj;
	};
};

/* Go type names used across files, so spellings cannot drift. */
#define HV_T_NIL "<nil>"
#define HV_T_BOOL "bool"
#define HV_T_INT "int"
#define HV_T_INT64 "int64"
#define HV_T_FLOAT64 "float64"
#define HV_T_STRING "string"
#define HV_T_BYTES "[]uint8"
#define HV_T_LIST "[]interface {}"
#define HV_T_STRLIST "[]string"
#define HV_T_MAP "map[string]interface {}"
#define HV_T_VALUES "chartutil.Values"
#define HV_T_TIME "time.Time"

/*
 * One render's state, shared by the engine and every function: the arena
 * that holds all values, the limits against hostile charts, and the
 * reproducibility mode.
 */
struct helm_ctx {
	struct arena *arena;
	size_t max_alloc;   /* arena bytes before ERR_TOOBIG; 0: 1 GiB */
	size_t max_steps;   /* template actions executed; 0: 50M */
	size_t max_depth;   /* nested template/include/tpl calls; 0: 100000 as Go */
	size_t max_output;  /* bytes one template may produce; 0: 256 MiB */
	size_t steps;

	/*
	 * Rendering for an artifact (render, pack, publish, hook, ci) rather than
	 * `hoist template`: functions whose result is random or depends on the
	 * clock must not silently change the artifact.  `now` returns `now_sec`
	 * (the commit time); random functions draw from a DRBG keyed by `secret`
	 * (a key only the publisher holds) when it is set, and fail naming the
	 * call otherwise.  See docs/helm.md.
	 */
	bool reproducible;
	int64_t now_sec;
	const unsigned char *secret;
	size_t secret_len;
	uint64_t drbg_calls; /* random draws so far: the DRBG's per-call personalisation */

	/*
	 * Remote sources (source/remote.h): Chart.yaml dependencies from chart
	 * repositories are fetched through it (render/helm/chart-repo.c); NULL:
	 * they must be in charts/.
	 */
	struct remote_ctx *remote;

	void *engine; /* the template set, for include/tpl/template */
	void *chart;  /* the chart side's state, for .Files, lookup, ... */

	/* Set by hctx_fail(); the engine wraps it as Go wraps a call's error. */
	char *errmsg;
};

/* Allocation from the render's arena; fails (NULL + error set) past max_alloc. */
void *hctx_alloc(struct helm_ctx *c, size_t n);
char *hctx_strndup(struct helm_ctx *c, const char *s, size_t n);
/*
 * Records why a function or method failed (Go's `error` result) and returns
 * ERR_INVALID, for `return hctx_fail(c, "...")`.  The engine turns it into
 * `template: NAME:L:C: executing "NAME" at <CALL>: error calling FN: MSG`.
 */
int hctx_fail(struct helm_ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Constructors: values come from the arena and never fail but past max_alloc (NULL). */
struct hv *hv_nil(void); /* the one shared nil */
struct hv *hv_bool(bool b);
struct hv *hv_int(struct helm_ctx *c, int64_t i);          /* type "int" */
struct hv *hv_int_t(struct helm_ctx *c, int64_t i, const char *type);
struct hv *hv_uint_t(struct helm_ctx *c, uint64_t u, const char *type);
struct hv *hv_float(struct helm_ctx *c, double f);         /* type "float64" */
struct hv *hv_str(struct helm_ctx *c, const char *s, size_t len); /* copies */
struct hv *hv_cstr(struct helm_ctx *c, const char *s);            /* copies */
struct hv *hv_str_t(struct helm_ctx *c, const char *s, size_t len, const char *type);
struct hv *hv_bytes(struct helm_ctx *c, const void *p, size_t len);
struct hv *hv_list_new(struct helm_ctx *c, const char *type, size_t hint);
int hv_list_push(struct helm_ctx *c, struct hv *list, struct hv *item);
struct hv *hv_map_new(struct helm_ctx *c, const char *type);
struct hv *hv_time(struct helm_ctx *c, const struct hv_time *t);
struct hv *hv_obj(struct helm_ctx *c, const struct hv_class *cls, void *self);

/*
 * Maps: string keys (Go compares them bytewise).  get returns NULL when the
 * key is absent (a present nil is hv_nil()).  Iteration is in sorted key
 * order, as text/template's range, fmt and encoding/json give it.
 */
struct hv *hv_map_get(const struct hv *map, const char *key, size_t klen);
int hv_map_set(struct helm_ctx *c, struct hv *map, const char *key, size_t klen,
	       struct hv *val);
bool hv_map_del(struct hv *map, const char *key, size_t klen);
size_t hv_map_len(const struct hv *map);
/* Keys in sorted order; the array is from the arena, the strings borrowed. */
int hv_map_keys(struct helm_ctx *c, const struct hv *map, const char ***keys,
		size_t **lens, size_t *n);

/* Go's truthiness for if/with/and/or/not (text/template's isTrue). */
bool hv_truth(const struct hv *v);
/* Deep copy of lists and maps (Sprig's deepCopy; values coalescing). */
struct hv *hv_deep_copy(struct helm_ctx *c, const struct hv *v);

/*
 * Go's fmt, which printf, print, Sprig's toString/cat and error messages
 * use: hv_sprintf is fmt.Sprintf (every verb, flag and width of fmt,
 * %!verb(type=value) forms included), hv_sprint fmt.Sprint (a space between
 * operands when neither is a string), hv_sprintln fmt.Sprintln.
 */
int hv_sprintf(struct helm_ctx *c, struct strbuf *out, const char *fmt, size_t fmtlen,
	       struct hv *const *args, size_t nargs);
int hv_sprint(struct helm_ctx *c, struct strbuf *out, struct hv *const *args, size_t nargs);
int hv_sprintln(struct helm_ctx *c, struct strbuf *out, struct hv *const *args, size_t nargs);
/* fmt.Sprint of one value (%v). */
int hv_format_v(struct helm_ctx *c, struct strbuf *out, const struct hv *v);

/*
 * Template functions.  `params` gives the Go parameter types, one code
 * each, so the engine converts and checks arguments as reflect.Call does
 * (and reports Go's "wrong type for value; expected string; got int"):
 *
 *   a interface{}   s string   i int   I int64   f float64   b bool
 *   l []interface{} L []string m map[string]interface{}   B []byte
 *   t time.Time     x any value passed through unconverted (reflect.Value)
 *
 * A trailing '*' makes the last code variadic ("s*" is ...string).  The
 * function receives exactly the converted arguments; `nres` is 1 for
 * func(...) T and 2 for func(...) (T, error), which only decides whether a
 * failure is allowed (hctx_fail) — a 1-result function must not fail
 * except through a limit (Go would panic; the engine reports it as Go
 * reports a recovered panic: "error calling X: ...").
 */
struct hfunc {
	const char *name;
	int (*fn)(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs);
	const char *params;
	int nres;
};

/* The function tables, each NULL-name terminated, looked up by the engine in order. */
extern const struct hfunc tmpl_builtins[]; /* text/template's: and or not len index ... (engine) */
extern const struct hfunc sprig_funcs[];   /* Sprig v3's GenericFuncMap (sprig-*.c) */
extern const struct hfunc helm_funcs[];    /* Helm's: toYaml fromYaml toJson toToml required ... */

#endif
