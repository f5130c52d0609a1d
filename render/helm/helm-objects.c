/*
 * helm-objects.c - the Go objects templates see besides values:
 * .Capabilities (chartutil.Capabilities: KubeVersion, APIVersions with
 * Has, HelmVersion) and .Files (engine.files: a map[string][]byte with
 * Get, GetBytes, Glob, Lines, AsConfig and AsSecrets).
 */
#include "core/compat.h"
#include "render/helm/helm.h"
#include "render/helm/chart.h"
#include "render/helm/helm-yaml.h"
#include "render/helm/value.h"
#include "core/err.h"
#include "core/strbuf.h"

/* Helm's DefaultVersionSet, as the oracle approximates client-go v0.36's scheme. */
static const char *const default_api_versions[] = {
	"v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1", "apps/v1",
	"apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
	"authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1",
	"authorization.k8s.io/v1", "authorization.k8s.io/v1beta1", "autoscaling/v1",
	"autoscaling/v2", "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1",
	"batch/v1beta1", "certificates.k8s.io/v1", "certificates.k8s.io/v1alpha1",
	"certificates.k8s.io/v1beta1", "coordination.k8s.io/v1", "coordination.k8s.io/v1alpha2",
	"coordination.k8s.io/v1beta1", "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1",
	"events.k8s.io/v1", "events.k8s.io/v1beta1", "extensions/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
	"networking.k8s.io/v1", "networking.k8s.io/v1alpha1", "networking.k8s.io/v1beta1",
	"node.k8s.io/v1", "node.k8s.io/v1alpha1", "node.k8s.io/v1beta1", "policy/v1",
	"policy/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1alpha1",
	"rbac.authorization.k8s.io/v1beta1", "resource.k8s.io/v1", "resource.k8s.io/v1alpha3",
	"resource.k8s.io/v1beta1", "resource.k8s.io/v1beta2", "scheduling.k8s.io/v1",
	"scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1beta1", "storage.k8s.io/v1",
	"storage.k8s.io/v1alpha1", "storage.k8s.io/v1beta1", "storagemigration.k8s.io/v1alpha1",
	"apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1",
};

/* ---- KubeVersion ---- */

struct kube_version {
	const char *version, *major, *minor;
};

static struct hv *kv_field(struct helm_ctx *c, void *self, const char *name)
{
	struct kube_version *kv = self;

	if (!strcmp(name, "Version"))
		return hv_cstr(c, kv->version);
	if (!strcmp(name, "Major"))
		return hv_cstr(c, kv->major);
	if (!strcmp(name, "Minor"))
		return hv_cstr(c, kv->minor);
	return NULL;
}

static int kv_string(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		     size_t nargs)
{
	struct kube_version *kv = self;

	*out = hv_cstr(c, kv->version);
	return *out ? 0 : ERR_TOOBIG;
}

static int kv_format(struct helm_ctx *c, struct strbuf *out, void *self)
{
	struct kube_version *kv = self;

	/* text/template prints an addressable KubeVersion through its String method. */
	return strbuf_addstr(out, kv->version);
}

static const struct hv_method kv_methods[] = {
	{ "String", "", kv_string },
	{ "GitVersion", "", kv_string },
	{ NULL, NULL, NULL },
};

static const struct hv_class kv_class = { "chartutil.KubeVersion", kv_field, kv_methods, kv_format,
					  NULL };

/* ---- VersionSet ---- */

struct version_set {
	const char **v;
	size_t n;
};

static int vs_has(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		  size_t nargs)
{
	struct version_set *vs = self;
	size_t i;

	*out = hv_bool(false);
	for (i = 0; i < vs->n; i++)
		if (args[0]->kind == HV_STRING && !strcmp(vs->v[i], args[0]->s))
			*out = hv_bool(true);
	return 0;
}

static int vs_format(struct helm_ctx *c, struct strbuf *out, void *self)
{
	struct version_set *vs = self;
	size_t i;

	strbuf_addch(out, '[');
	for (i = 0; i < vs->n; i++) {
		if (i)
			strbuf_addch(out, ' ');
		strbuf_addstr(out, vs->v[i]);
	}
	return strbuf_addch(out, ']');
}

static struct hv *vs_field(struct helm_ctx *c, void *self, const char *name)
{
	return NULL;
}

static const struct hv_method vs_methods[] = {
	{ "Has", "s", vs_has },
	{ NULL, NULL, NULL },
};

static const struct hv_class vs_class = { "chartutil.VersionSet", vs_field, vs_methods, vs_format,
					  NULL };

/* ---- BuildInfo ---- */

static struct hv *bi_field(struct helm_ctx *c, void *self, const char *name)
{
	if (!strcmp(name, "Version"))
		return hv_cstr(c, HELM_VERSION);
	if (!strcmp(name, "GitCommit"))
		return hv_cstr(c, "");
	if (!strcmp(name, "GitTreeState"))
		return hv_cstr(c, "clean");
	if (!strcmp(name, "GoVersion"))
		return hv_cstr(c, "go1.19.8");
	return NULL;
}

static int bi_format(struct helm_ctx *c, struct strbuf *out, void *self)
{
	return strbuf_addf(out, "{%s  clean go1.19.8}", HELM_VERSION);
}

static const struct hv_class bi_class = { "version.BuildInfo", bi_field, NULL, bi_format, NULL };

/* ---- Capabilities ---- */

struct caps {
	struct hv *kube, *apis, *helm;
};

static struct hv *caps_field(struct helm_ctx *c, void *self, const char *name)
{
	struct caps *cp = self;

	if (!strcmp(name, "KubeVersion"))
		return cp->kube;
	if (!strcmp(name, "APIVersions"))
		return cp->apis;
	if (!strcmp(name, "HelmVersion"))
		return cp->helm;
	return NULL;
}

static const struct hv_class caps_class = { "*chartutil.Capabilities", caps_field, NULL, NULL,
					    NULL };

/* Masterminds semver.NewVersion, loosely: [v]MAJOR[.MINOR[.PATCH]][-pre][+meta]. */
static bool parse_kube_version(const char *s, uint64_t v[3])
{
	int i;

	if (*s == 'v')
		s++;
	for (i = 0; i < 3; i++) {
		char *end;

		v[i] = 0;
		if (i && *s != '.')
			break;
		if (i)
			s++;
		if (*s < '0' || *s > '9')
			return false;
		/* Masterminds refuses leading zeros in strict parts but NewVersion is lenient. */
		v[i] = strtoull(s, &end, 10);
		s = end;
	}
	return !*s || *s == '-' || *s == '+';
}

int helm_capabilities(struct helm_ctx *c, struct hv **out, const char *kube_version,
		      const char **extra, size_t nextra)
{
	struct caps *cp = hctx_alloc(c, sizeof(*cp));
	struct kube_version *kv = hctx_alloc(c, sizeof(*kv));
	struct version_set *vs = hctx_alloc(c, sizeof(*vs));
	uint64_t v[3];
	char buf[96];
	size_t i;

	if (!cp || !kv || !vs)
		return ERR_TOOBIG;
	if (!kube_version)
		kube_version = HELM_DEFAULT_KUBE_VERSION;
	if (!parse_kube_version(kube_version, v))
		return err_set(ERR_INVALID, "invalid kube version '%s': Invalid Semantic Version",
			       kube_version);
	xsnprintf(buf, sizeof(buf), "v%llu.%llu.%llu", (unsigned long long)v[0],
		  (unsigned long long)v[1], (unsigned long long)v[2]);
	kv->version = hctx_strndup(c, buf, strlen(buf));
	xsnprintf(buf, sizeof(buf), "%llu", (unsigned long long)v[0]);
	kv->major = hctx_strndup(c, buf, strlen(buf));
	xsnprintf(buf, sizeof(buf), "%llu", (unsigned long long)v[1]);
	kv->minor = hctx_strndup(c, buf, strlen(buf));
	vs->n = ARRAY_SIZE(default_api_versions) + nextra;
	vs->v = hctx_alloc(c, (vs->n + 1) * sizeof(char *));
	if (!kv->version || !kv->major || !kv->minor || !vs->v)
		return ERR_TOOBIG;
	for (i = 0; i < ARRAY_SIZE(default_api_versions); i++)
		vs->v[i] = default_api_versions[i];
	for (i = 0; i < nextra; i++)
		vs->v[ARRAY_SIZE(default_api_versions) + i] = extra[i];
	cp->kube = hv_obj(c, &kv_class, kv);
	cp->apis = hv_obj(c, &vs_class, vs);
	cp->helm = hv_obj(c, &bi_class, cp);
	*out = hv_obj(c, &caps_class, cp);
	return cp->kube && cp->apis && cp->helm && *out ? 0 : ERR_TOOBIG;
}

/* ---- .Files ---- */

#define FILES_TYPE "engine.files"

static const struct hv_class files_class;

static struct hv *files_map(struct helm_ctx *c, void *self)
{
	return self;
}

static struct hv *files_new(struct helm_ctx *c, struct hv *map)
{
	return hv_obj(c, &files_class, map);
}

static int files_getbytes(struct helm_ctx *c, struct hv **out, void *self,
			  struct hv *const *args, size_t nargs)
{
	struct hv *v = hv_map_get(self, args[0]->s, args[0]->len);

	*out = v ? v : hv_bytes(c, "", 0);
	return *out ? 0 : ERR_TOOBIG;
}

static int files_get(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		     size_t nargs)
{
	struct hv *v = hv_map_get(self, args[0]->s, args[0]->len);

	*out = v ? hv_str(c, v->s, v->len) : hv_str(c, "", 0);
	return *out ? 0 : ERR_TOOBIG;
}

static int files_glob(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		      size_t nargs)
{
	struct hv *m = hv_map_new(c, FILES_TYPE);
	const char **keys;
	size_t *lens, n, i;
	const char *pat = args[0]->s;

	if (!m || hv_map_keys(c, self, &keys, &lens, &n))
		return ERR_TOOBIG;
	/* A pattern gobwas cannot compile becomes "**": everything. */
	if (gobwas_glob_match(pat, "") < 0)
		pat = "**";
	for (i = 0; i < n; i++)
		if (gobwas_glob_match(pat, keys[i]) == 1 &&
		    hv_map_set(c, m, keys[i], lens[i], hv_map_get(self, keys[i], lens[i])))
			return ERR_TOOBIG;
	*out = files_new(c, m);
	return *out ? 0 : ERR_TOOBIG;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_std(struct strbuf *sb, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		strbuf_addch(sb, b64[p[i] >> 2]);
		strbuf_addch(sb, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		strbuf_addch(sb, b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		strbuf_addch(sb, b64[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		strbuf_addch(sb, b64[p[i] >> 2]);
		strbuf_addch(sb, b64[(p[i] & 3) << 4]);
		strbuf_addstr(sb, "==");
	} else if (n - i == 2) {
		strbuf_addch(sb, b64[p[i] >> 2]);
		strbuf_addch(sb, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		strbuf_addch(sb, b64[(p[i + 1] & 15) << 2]);
		strbuf_addch(sb, '=');
	}
}

/* AsConfig / AsSecrets: base name -> content (or base64), as toYaml prints it. */
static int files_as(struct helm_ctx *c, struct hv **out, void *self, bool secret)
{
	struct hv *m = hv_map_new(c, "map[string]string");
	struct strbuf sb = STRBUF_INIT;
	const char **keys;
	size_t *lens, n, i;
	int r = 0;

	if (!m || hv_map_keys(c, self, &keys, &lens, &n))
		return ERR_TOOBIG;
	for (i = 0; i < n && !r; i++) {
		struct hv *v = hv_map_get(self, keys[i], lens[i]);
		const char *base = strrchr(keys[i], '/');
		struct hv *s;

		base = base ? base + 1 : keys[i];
		if (secret) {
			strbuf_reset(&sb);
			base64_std(&sb, (const unsigned char *)v->s, v->len);
			s = hv_str(c, sb.buf, sb.len);
		} else {
			s = hv_str(c, v->s, v->len);
		}
		if (!s || hv_map_set(c, m, base, strlen(base), s))
			r = ERR_TOOBIG;
	}
	strbuf_reset(&sb);
	if (!r)
		r = helm_yaml_emit(c, &sb, m);
	if (r) {
		/* toYAML swallows marshalling errors and returns "". */
		r = r == ERR_TOOBIG ? r : 0;
		strbuf_reset(&sb);
	}
	if (sb.len && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	if (!r) {
		*out = hv_str(c, sb.buf, sb.len);
		if (!*out)
			r = ERR_TOOBIG;
	}
	strbuf_release(&sb);
	return r;
}

static int files_asconfig(struct helm_ctx *c, struct hv **out, void *self,
			  struct hv *const *args, size_t nargs)
{
	return files_as(c, out, self, false);
}

static int files_assecrets(struct helm_ctx *c, struct hv **out, void *self,
			   struct hv *const *args, size_t nargs)
{
	return files_as(c, out, self, true);
}

static int files_lines(struct helm_ctx *c, struct hv **out, void *self, struct hv *const *args,
		       size_t nargs)
{
	struct hv *v = hv_map_get(self, args[0]->s, args[0]->len);
	struct hv *l = hv_list_new(c, HV_T_STRLIST, 8);
	size_t len, i, start = 0;

	if (!l)
		return ERR_TOOBIG;
	*out = l;
	if (!v || !v->len)
		return 0;
	len = v->len;
	if (v->s[len - 1] == '\n')
		len--;
	for (i = 0; i <= len; i++) {
		if (i == len || v->s[i] == '\n') {
			if (hv_list_push(c, l, hv_str(c, v->s + start, i - start)))
				return ERR_TOOBIG;
			start = i + 1;
		}
	}
	return 0;
}

static struct hv *files_field(struct helm_ctx *c, void *self, const char *name)
{
	/* A map type: .key reads the map (a missing key is the zero []byte, nil). */
	return hv_map_get(self, name, strlen(name));
}

static int files_format(struct helm_ctx *c, struct strbuf *out, void *self)
{
	struct hv *m = self;
	struct hv tmp = *m;

	tmp.type = FILES_TYPE;
	return hv_format_v(c, out, &tmp);
}

static const struct hv_method files_methods[] = {
	{ "GetBytes", "s", files_getbytes },
	{ "Get", "s", files_get },
	{ "Glob", "s", files_glob },
	{ "AsConfig", "", files_asconfig },
	{ "AsSecrets", "", files_assecrets },
	{ "Lines", "s", files_lines },
	{ NULL, NULL, NULL },
};

static const struct hv_class files_class = { FILES_TYPE, files_field, files_methods, files_format,
					     files_map };

struct hv *helm_files_value(struct helm_ctx *c, const struct chart *ch)
{
	struct hv *m = hv_map_new(c, FILES_TYPE);
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < ch->nfiles; i++) {
		struct hv *b = hv_bytes(c, ch->files[i].data, ch->files[i].len);

		if (!b || hv_map_set(c, m, ch->files[i].name, strlen(ch->files[i].name), b))
			return NULL;
	}
	return files_new(c, m);
}
