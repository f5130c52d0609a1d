/*
 * helm-funcs.c - helm_funcs[]: the functions Helm's engine adds to Sprig
 * (pkg/engine/funcs.go and engine.go), except include and tpl, which need
 * the template engine.  They take precedence over Sprig's of the same
 * name (toJson, fromJson, fail).
 *
 * `required` and `fail` wrap their message in HELM_ERR_START/HELM_ERR_END,
 * as Helm does, so the engine can cut the message out of the execution
 * error ("execution error at (FILE:L:C): MSG").
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/sprig.h"

/* toYaml: sigs.k8s.io/yaml.Marshal, errors swallowed, one trailing newline cut. */
static int to_yaml(struct helm_ctx *c, struct hv **out, const struct hv *v, bool must)
{
	struct strbuf sb = STRBUF_INIT;

	if (helm_yaml_emit(c, &sb, v)) {
		strbuf_release(&sb);
		if (err_code() == ERR_TOOBIG)
			return ERR_TOOBIG;
		if (must)
			return hctx_fail(c, "error marshaling into JSON: %s", err_msg());
		return sprig_ret(out, hv_cstr(c, ""));
	}
	if (sb.len && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	return sprig_ret_buf(c, out, &sb);
}

static SPRIG_FN(h_toyaml)
{
	return to_yaml(c, out, a[0], false);
}

static SPRIG_FN(h_musttoyaml)
{
	return to_yaml(c, out, a[0], true);
}

/* fromYaml / fromJson: a map, with the error under "Error" instead of failing. */
static int from_doc(struct helm_ctx *c, struct hv **out, const struct hv *s, bool json,
		    enum helm_into into)
{
	int r = json ? helm_json_parse(c, out, s->s, s->len, into)
		     : helm_yaml_parse(c, out, s->s, s->len, into);
	struct hv *m, *e;

	if (!r)
		return 0;
	if (r == ERR_TOOBIG)
		return r;
	e = hv_cstr(c, err_msg());
	if (into == HELM_INTO_LIST) {
		m = hv_list_new(c, HV_T_LIST, 1);
		if (!m || !e || hv_list_push(c, m, e))
			return ERR_TOOBIG;
	} else {
		m = hv_map_new(c, HV_T_MAP);
		if (!m || !e || hv_map_set(c, m, "Error", 5, e))
			return ERR_TOOBIG;
	}
	err_clear();
	*out = m;
	return 0;
}

static SPRIG_FN(h_fromyaml)
{
	return from_doc(c, out, a[0], false, HELM_INTO_MAP);
}

static SPRIG_FN(h_fromyamlarray)
{
	return from_doc(c, out, a[0], false, HELM_INTO_LIST);
}

static SPRIG_FN(h_fromjson)
{
	return from_doc(c, out, a[0], true, HELM_INTO_MAP);
}

static SPRIG_FN(h_fromjsonarray)
{
	return from_doc(c, out, a[0], true, HELM_INTO_LIST);
}

static int to_json(struct helm_ctx *c, struct hv **out, const struct hv *v, bool must)
{
	struct strbuf sb = STRBUF_INIT;

	if (helm_json_emit(c, &sb, v, NULL)) {
		strbuf_release(&sb);
		if (err_code() == ERR_TOOBIG)
			return ERR_TOOBIG;
		if (must)
			return hctx_fail(c, "%s", err_msg());
		return sprig_ret(out, hv_cstr(c, ""));
	}
	return sprig_ret_buf(c, out, &sb);
}

static SPRIG_FN(h_tojson)
{
	return to_json(c, out, a[0], false);
}

static SPRIG_FN(h_musttojson)
{
	return to_json(c, out, a[0], true);
}

#define WARN_START "HELM_ERR_START"
#define WARN_END "HELM_ERR_END"

static SPRIG_FN(h_required)
{
	if (a[1]->kind == HV_NIL || (a[1]->kind == HV_STRING && !a[1]->len))
		return hctx_fail(c, WARN_START "%.*s" WARN_END, (int)a[0]->len, a[0]->s);
	return sprig_ret(out, a[1]);
}

static SPRIG_FN(h_fail)
{
	return hctx_fail(c, WARN_START "%.*s" WARN_END, (int)a[0]->len, a[0]->s);
}

static SPRIG_FN(h_lookup)
{
	/* `helm template` has no cluster: lookup always gives an empty map. */
	return sprig_ret(out, hv_map_new(c, HV_T_MAP));
}

const struct hfunc helm_funcs[] = {
	{ "toYaml", h_toyaml, "a", 1 },
	{ "mustToYaml", h_musttoyaml, "a", 2 },
	{ "fromYaml", h_fromyaml, "s", 1 },
	{ "fromYamlArray", h_fromyamlarray, "s", 1 },
	{ "toJson", h_tojson, "a", 1 },
	{ "mustToJson", h_musttojson, "a", 2 },
	{ "fromJson", h_fromjson, "s", 1 },
	{ "fromJsonArray", h_fromjsonarray, "s", 1 },
	{ "required", h_required, "sa", 2 },
	{ "fail", h_fail, "s", 2 },
	{ "lookup", h_lookup, "ssss", 2 },
	{ "toToml", helm_totoml, "a", 1 },
	{ NULL, NULL, NULL, 0 },
};
