/*
 * values-user.c - the user's values, merged as pkg/cli/values does:
 * -f files in order (maps merged recursively, the later file winning),
 * then --set-json, --set, --set-string, --set-file and --set-literal.
 */
#include "core/compat.h"
#include "render/helm/values.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/strvals.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"

struct hv *helm_merge_maps(struct helm_ctx *c, struct hv *a, struct hv *b)
{
	struct hv *out = hv_map_new(c, HV_T_MAP);
	const char **keys;
	size_t *lens, n, i;

	if (!out)
		return NULL;
	if (hv_map_keys(c, a, &keys, &lens, &n))
		return NULL;
	for (i = 0; i < n; i++)
		if (hv_map_set(c, out, keys[i], lens[i], hv_map_get(a, keys[i], lens[i])))
			return NULL;
	if (hv_map_keys(c, b, &keys, &lens, &n))
		return NULL;
	for (i = 0; i < n; i++) {
		struct hv *v = hv_map_get(b, keys[i], lens[i]);
		struct hv *cur = hv_map_get(out, keys[i], lens[i]);

		if (v->kind == HV_MAP && cur && cur->kind == HV_MAP) {
			v = helm_merge_maps(c, cur, v);
			if (!v)
				return NULL;
		}
		if (hv_map_set(c, out, keys[i], lens[i], v))
			return NULL;
	}
	return out;
}

struct file_arg {
	const struct helm_values_opts *o;
};

static int read_set_file(void *arg, struct helm_ctx *c, const char *path, struct hv **out)
{
	const struct helm_values_opts *o = arg;
	struct strbuf sb = STRBUF_INIT;
	int r = o->read(o->read_arg, path, &sb);

	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		if (!*out)
			r = ERR_TOOBIG;
	}
	strbuf_release(&sb);
	return r;
}

static int apply(struct helm_ctx *c, struct hv *base, const char **lines, size_t n,
		 enum strvals_mode mode, const char *flag, const struct helm_values_opts *o)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = strvals_parse_into(c, base, lines[i], strlen(lines[i]), mode, read_set_file,
				       (void *)o);
		if (r)
			return r == ERR_TOOBIG ? r : err_prefix(r, "failed parsing %s data", flag);
	}
	return 0;
}

int helm_values_merge(struct helm_ctx *c, struct hv **out, const struct helm_values_opts *o)
{
	struct hv *base = hv_map_new(c, HV_T_MAP), *cur;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int r = 0;

	if (!base)
		return ERR_TOOBIG;
	for (i = 0; i < o->nfiles; i++) {
		strbuf_reset(&sb);
		r = o->read(o->read_arg, o->files[i], &sb);
		if (r)
			goto out;
		r = helm_yaml_parse(c, &cur, sb.buf, sb.len, HELM_INTO_MAP);
		if (r) {
			r = err_prefix(r, "failed to parse %s", o->files[i]);
			goto out;
		}
		if (!(base = helm_merge_maps(c, base, cur))) {
			r = ERR_TOOBIG;
			goto out;
		}
	}
	for (i = 0; i < o->nmaps; i++)
		if (!(base = helm_merge_maps(c, base, o->maps[i]))) {
			r = ERR_TOOBIG;
			goto out;
		}
	for (i = 0; i < o->nset_json; i++) {
		const char *v = o->set_json[i];
		size_t len = strlen(v);

		while (len && strchr(" \t\r\n\v\f", *v)) {
			v++;
			len--;
		}
		while (len && strchr(" \t\r\n\v\f", v[len - 1]))
			len--;
		if (len && v[0] == '{') {
			r = helm_json_parse(c, &cur, v, len, HELM_INTO_MAP);
			if (r) {
				r = r == ERR_TOOBIG ? r
						    : err_set(ERR_INVALID,
							      "failed parsing --set-json data JSON: %s",
							      o->set_json[i]);
				goto out;
			}
			if (!(base = helm_merge_maps(c, base, cur))) {
				r = ERR_TOOBIG;
				goto out;
			}
			continue;
		}
		r = strvals_parse_into(c, base, o->set_json[i], strlen(o->set_json[i]),
				       STRVALS_JSON, NULL, NULL);
		if (r) {
			r = r == ERR_TOOBIG ? r
					    : err_set(ERR_INVALID, "failed parsing --set-json data %s",
						      o->set_json[i]);
			goto out;
		}
	}
	if ((r = apply(c, base, o->sets, o->nsets, STRVALS_TYPED, "--set", o)) ||
	    (r = apply(c, base, o->set_strings, o->nset_strings, STRVALS_STRING, "--set-string",
		       o)) ||
	    (r = apply(c, base, o->set_files, o->nset_files, STRVALS_FILE, "--set-file", o)) ||
	    (r = apply(c, base, o->set_literals, o->nset_literals, STRVALS_LITERAL,
		       "--set-literal", o)))
		goto out;
	*out = base;
out:
	strbuf_release(&sb);
	return r;
}
