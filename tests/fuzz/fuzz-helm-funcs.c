/*
 * fuzz-helm-funcs.c - the Sprig and Helm functions that parse their input
 * (render/helm/sprig-*.c, helm-funcs.c, helm-toml.c): the first byte picks
 * the function, the rest is split at NUL bytes into its string arguments
 * (numbers where the function takes them are read from a byte).  Errors
 * are fine; crashes, leaks, sanitizer reports and a failure without a
 * message are not.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/err.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"semverCompare", "semver", "urlParse", "mustToDate", "dateInZone", "mustRegexReplaceAll",
	"mustRegexSplit", "mustRegexFindAll", "toToml", "fromYaml", "fromJson", "b64dec",
	"b32dec", "camelcase", "snakecase", "kebabcase", "decryptAES", "buildCustomCert",
	"mustFromJson", "toYaml", "wrapWith", "abbrevboth", "substr", "trunc", "durationRound",
	"mustDateModify", "title", "swapcase", "initials", "replace", "splitn", "quote",
};

static const struct hfunc *find(const char *name)
{
	const struct hfunc *t;

	for (t = helm_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	for (t = sprig_funcs; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helm_ctx c = { 0 };
	const struct hfunc *fn;
	struct hv *args[8], *out = NULL, *parsed;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	size_t n = 0, i;
	int r;

	if (size < 1)
		return 0;
	fn = find(names[data[0] % ARRAY_SIZE(names)]);
	if (!fn)
		abort();
	c.arena = arena_new();
	c.max_alloc = 64u << 20;
	c.reproducible = true; /* no clock, no system randomness */
	c.now_sec = 1700000000;
	for (i = 0; fn->params[i] && fn->params[i] != '*' && n < ARRAY_SIZE(args); i++) {
		const char *q = memchr(p, '\0', (size_t)(end - p));
		size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
		switch (fn->params[i]) {
		case 'i':
			args[n++] = hv_int(&c, len ? (int8_t)p[0] : 0);
			break;
		case 't': {
			struct hv_time t = { (int64_t)len * 86400, 0, 0, "UTC" };
			args[n++] = hv_time(&c, &t);
			break;
		}
		case 'a':
			/* A value built from the bytes, through the JSON reader. */
			if (helm_json_parse(&c, &parsed, p, len, HELM_INTO_ANY))
				parsed = hv_str(&c, p, len);
			args[n++] = parsed;
			break;
		case 'm':
			if (helm_json_parse(&c, &parsed, p, len, HELM_INTO_MAP))
				parsed = hv_map_new(&c, NULL);
			args[n++] = parsed;
			break;
		default:
			args[n++] = hv_str(&c, p, len);
			break;
		}
		p = q ? q + 1 : end;
	}
	err_clear();
	r = fn->fn(&c, &out, args, n);
	if (r && r != ERR_TOOBIG && !c.errmsg && err_code() == 0)
		abort();
	if (!r && !out)
		abort();
	arena_free(c.arena);
	return 0;
}
