/*
 * tmpl.h - Go's text/template (as of Go 1.19) over struct hv.
 *
 * A template set is what Go calls a *template.Template with its associated
 * templates: files parsed into it share their {{define}}s, and any of them
 * can be executed by name.  The chart side builds one set per render:
 *
 *	struct tmpl_set *s = tmpl_set_new(ctx, "gotpl");
 *	tmpl_set_add_funcs(s, sprig_funcs);          // looked up before builtins
 *	tmpl_set_missingkey(s, TMPL_MISSINGKEY_ZERO); // Helm's default
 *	tmpl_parse(s, "chart/templates/a.yaml", text, len);   // t.New(name).Parse(text)
 *	tmpl_execute(s, "chart/templates/a.yaml", dot, &out);  // t.ExecuteTemplate
 *	tmpl_set_free(s);
 *
 * Parsing and execution report errors exactly as Go formats them
 * ("template: NAME:LINE: ..." and "template: NAME:LINE:COL: executing
 * \"NAME\" at <NODE>: ...") through err_set() with ERR_INVALID, or
 * ERR_TOOBIG when a limit of the helm_ctx (steps, depth, output, memory)
 * stops a hostile template.  err_msg() has the text up to its 2 KiB; an
 * execution error's whole text (nested include errors grow long, and Helm
 * looks for `required`'s message at their end) is in helm_ctx.errmsg.
 *
 * Everything a set allocates lives in the helm_ctx's arena, except the set
 * itself and the small function index (freed by tmpl_set_free).
 *
 * Known divergences from Go 1.19 are listed in docs/helm.md (imaginary
 * number constants are refused; the nesting of templates is limited by
 * helm_ctx.max_depth, 10000 by default, because C stacks do not grow).
 */
#ifndef HOIST_HELM_TMPL_H
#define HOIST_HELM_TMPL_H

#include "render/helm/value.h"

struct strbuf;
struct tmpl_set;

enum tmpl_missingkey {
	TMPL_MISSINGKEY_DEFAULT, /* "<no value>" for a missing map key; chains go on */
	TMPL_MISSINGKEY_ZERO,    /* the map's zero value (nil interface): Helm's */
	TMPL_MISSINGKEY_ERROR,   /* "map has no entry for key" (helm --strict) */
};

/*
 * A new empty set named `name` (Helm: "gotpl"); sets c->engine.  The
 * builtins (and, or, index, printf, ...) are always available; include
 * and tpl come from tmpl_helm_engine_funcs when the caller adds that table.
 */
struct tmpl_set *tmpl_set_new(struct helm_ctx *c, const char *name);
void tmpl_set_free(struct tmpl_set *s);
/*
 * Adds a NULL-name terminated function table; tables are searched in the
 * order they were added and all before the builtins, as Go searches a
 * template's FuncMap before its builtins.  Add tables before parsing:
 * parsing checks that every function a template names exists.
 */
int tmpl_set_add_funcs(struct tmpl_set *s, const struct hfunc *table);
/*
 * How arguments reach a function (struct hfunc.params): a missing value
 * (Go's invalid reflect.Value: a missing key, a nil literal) arrives as
 * hv_nil() for 'a' parameters, as NULL for 'x' ones (so `len` and `eq` can
 * tell it from a null element, as Go does), as an empty list for 'l'/'L'
 * and as a nil map (an HV_MAP whose map is NULL: readable, and
 * hv_map_set fails with Go's "assignment to entry in nil map") for 'm';
 * other parameter types refuse it with Go's "invalid value; expected T".
 */
void tmpl_set_missingkey(struct tmpl_set *s, enum tmpl_missingkey mk);

/*
 * t.New(name).Parse(text): parses `text` (which must outlive the set; it is
 * not copied) and adds the template `name` and every {{define}}/{{block}}
 * in it to the set.  A later definition of a name replaces an earlier one,
 * except that an empty body never replaces a non-empty one; two non-empty
 * definitions of one name in the same text are an error, as in Go.
 */
int tmpl_parse(struct tmpl_set *s, const char *name, const char *text, size_t len);
/* Whether `name` is in the set (defined or parsed, even if empty). */
bool tmpl_defined(const struct tmpl_set *s, const char *name);
/*
 * t.ExecuteTemplate(out, name, dot): appends the output to `out`.  On error
 * `out` holds what was produced before the failure, as Go's writer would.
 */
int tmpl_execute(struct tmpl_set *s, const char *name, struct hv *dot, struct strbuf *out);

/*
 * Helm's engine-level functions that need the engine: include and tpl
 * (Helm 3 semantics: include's 1000-deep nested reference limit per name;
 * tpl parses its text as a template named like the set ("gotpl") in a
 * copy of the set, so its defines do not leak, and replaces "<no value>").
 * They run against the set executing when they are called.
 */
extern const struct hfunc tmpl_helm_engine_funcs[];

#endif
