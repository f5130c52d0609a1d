/*
 * Unit tests for the core building blocks: strbuf, errors, arena, paths,
 * the object set and artifacts.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "oci/artifact.h"
#include "core/config.h"
#include "model/doc.h"
#include "core/err.h"
#include "model/objset.h"
#include "source/src-tree.h"
#include "core/strbuf.h"
#include <zlib.h>

static void strbuf_addf_appends_and_stays_terminated(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_string_equal(sb.buf, "");
	strbuf_addf(&sb, "%s-%d", "a", 42);
	strbuf_addstr(&sb, "!");
	assert_string_equal(sb.buf, "a-42!");
	assert_int_equal(sb.len, 5);
	strbuf_release(&sb);
}

static void strbuf_limit_refuses_growth_and_keeps_content(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	sb.limit = 8;
	assert_int_equal(strbuf_addstr(&sb, "12345"), 0);
	assert_int_equal(strbuf_addstr(&sb, "6789"), ERR_TOOBIG);
	assert_string_equal(sb.buf, "12345");
	strbuf_release(&sb);
}

static void strbuf_detach_hands_over_ownership(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *p;

	strbuf_addstr(&sb, "xyz");
	p = strbuf_detach(&sb, &len);
	assert_string_equal(p, "xyz");
	assert_int_equal(len, 3);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	free(p);
}

static void err_prefix_keeps_one_line(void **state)
{
	err_set(ERR_NOTFOUND, "x.yaml: missing");
	assert_int_equal(err_prefix(ERR_NOTFOUND, "app %s", "web"), ERR_NOTFOUND);
	assert_string_equal(err_msg(), "app web: x.yaml: missing");
	assert_int_equal(err_code(), ERR_NOTFOUND);
}

static void arena_blocks_are_zeroed_and_aligned(void **state)
{
	struct arena *a = arena_new();
	size_t i;

	for (i = 1; i < 200; i += 7) {
		unsigned char *p = arena_alloc(a, i);
		size_t k;
		assert_int_equal((uintptr_t)p % 16, 0);
		for (k = 0; k < i; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xAB, i);
	}
	assert_non_null(arena_alloc(a, 1 << 20));
	arena_free(a);
}

static void path_normalize_collapses_dots(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(src_path_normalize(&sb, "./a//b/../c/"), 0);
	assert_string_equal(sb.buf, "a/c");
	strbuf_reset(&sb);
	assert_int_equal(src_path_join(&sb, "apps/web", "../db/x.yaml"), 0);
	assert_string_equal(sb.buf, "apps/db/x.yaml");
	strbuf_release(&sb);
}

static void path_normalize_refuses_escapes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(src_path_normalize(&sb, "a/../../etc/passwd"), ERR_INVALID);
	strbuf_reset(&sb);
	assert_int_equal(src_path_normalize(&sb, "/etc/passwd"), ERR_INVALID);
	strbuf_release(&sb);
}

static int add(struct objset *set, const char *yaml)
{
	return objset_add_yaml(set, yaml, strlen(yaml), "t.yaml");
}

static const char *kinds(const struct objset *set, char *buf, size_t size)
{
	size_t i, k = 0;

	buf[0] = '\0';
	for (i = 0; i < set->n; i++)
		k += (size_t)snprintf(buf + k, size - k, "%s%s/%s", i ? " " : "",
				      set->objs[i].kind, set->objs[i].name);
	return buf;
}

static void objset_sorts_in_kustomize_legacy_order(void **state)
{
	struct objset set = OBJSET_INIT;
	char buf[512];

	/* Expected order taken from kubectl kustomize (v5.5) on the same input. */
	assert_int_equal(add(&set,
			     "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n"
			     "apiVersion: zeta.io/v1\nkind: Aaa\nmetadata: {name: a}\n---\n"
			     "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\n---\n"
			     "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: w}\n---\n"
			     "apiVersion: alpha.io/v1\nkind: Zzz\nmetadata: {name: a}\n---\n"
			     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a.x}\n---\n"
			     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n---\n"
			     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: a}\n---\n"
			     "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"),
			 0);
	objset_sort_legacy(&set);
	assert_string_equal(kinds(&set, buf, sizeof(buf)),
			    "Namespace/a ConfigMap/b ConfigMap/a ConfigMap/a.x Zzz/a DaemonSet/a "
			    "Aaa/a Pod/a ValidatingWebhookConfiguration/w");
	objset_release(&set);
}

static void objset_flattens_list_kinds(void **state)
{
	struct objset set = OBJSET_INIT;

	assert_int_equal(add(&set, "apiVersion: v1\nkind: List\nitems:\n"
				   "- {apiVersion: v1, kind: Secret, metadata: {name: s1}}\n"
				   "- {apiVersion: v1, kind: Secret, metadata: {name: s2}}\n"),
			 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.objs[1].name, "s2");
	objset_release(&set);
}

static void objset_rejects_object_without_kind_with_line(void **state)
{
	struct objset set = OBJSET_INIT;

	assert_int_equal(add(&set, "apiVersion: v1\nkind: A\nmetadata: {name: x}\n---\n"
				   "apiVersion: v1\nmetadata:\n  name: y\n"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "t.yaml:5:1"));
	assert_non_null(strstr(err_msg(), "kind"));
	objset_release(&set);
}

static void objset_duplicates_name_both_places(void **state)
{
	struct objset set = OBJSET_INIT;

	assert_int_equal(add(&set, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
				   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n---\n"
				   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n"),
			 0);
	assert_int_equal(objset_check_duplicates(&set), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "t.yaml:1:1"));
	assert_non_null(strstr(err_msg(), "t.yaml:9:1"));
	objset_release(&set);
}

static void pack(struct strbuf *out, const char *yaml, const char *version)
{
	struct objset set = OBJSET_INIT;
	struct artifact_meta m = { .app = "web", .version = version, .engine = "plain" };

	assert_int_equal(add(&set, yaml), 0);
	assert_int_equal(artifact_pack(out, &set, &m), 0);
	objset_release(&set);
}

static const char *one_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n";

static void artifact_pack_is_deterministic_and_reads_back(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct artifact_info info;

	pack(&a, one_cm, "1.0.0");
	pack(&b, one_cm, "1.0.0");
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.buf, b.buf, a.len);
	/* gzip header: no name flag, zero mtime, OS 255 */
	assert_int_equal((unsigned char)a.buf[3], 0);
	assert_int_equal(a.buf[4] | a.buf[5] | a.buf[6] | a.buf[7], 0);
	assert_int_equal((unsigned char)a.buf[9], 255);
	assert_int_equal(artifact_read(&info, a.buf, a.len, NULL, true), 0);
	assert_string_equal(info.app, "web");
	assert_string_equal(info.version, "1.0.0");
	assert_int_equal(info.nobjects, 1);
	assert_string_equal(info.manifests,
			    "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n  name: x\n");
	artifact_info_release(&info);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void artifact_version_changes_digest(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	pack(&a, one_cm, "1.0.0");
	pack(&b, one_cm, "1.0.1");
	assert_true(a.len != b.len || memcmp(a.buf, b.buf, a.len));
	strbuf_release(&a);
	strbuf_release(&b);
}

static void artifact_read_refuses_truncation_at_every_length(void **state)
{
	struct strbuf a = STRBUF_INIT;
	struct artifact_info info;
	size_t cut;

	pack(&a, one_cm, "1.0.0");
	for (cut = 0; cut < a.len; cut += 7) {
		int r = artifact_read(&info, a.buf, cut, NULL, false);
		assert_true(r == ERR_INVALID || r == ERR_VERIFY);
	}
	strbuf_release(&a);
}

static void artifact_read_never_accepts_changed_content(void **state)
{
	struct strbuf a = STRBUF_INIT;
	struct artifact_info orig, info;
	size_t i, rejected = 0;
	int bit;

	pack(&a, one_cm, "1.0.0");
	assert_int_equal(artifact_read(&orig, a.buf, a.len, NULL, true), 0);
	/*
	 * Flip every bit past the gzip header.  gzip's CRC, tar's structure or
	 * our sha256 must catch every flip that changes what the artifact
	 * says; the only flips allowed through are those that change nothing
	 * (the unused padding bits of deflate's last byte).
	 */
	for (i = 10; i < a.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			a.buf[i] ^= (char)(1 << bit);
			if (artifact_read(&info, a.buf, a.len, NULL, true) == 0) {
				assert_int_equal(info.manifests_len, orig.manifests_len);
				assert_memory_equal(info.manifests, orig.manifests, orig.manifests_len);
				assert_string_equal(info.app, orig.app);
				assert_string_equal(info.version, orig.version);
				assert_int_equal(info.nobjects, orig.nobjects);
				artifact_info_release(&info);
			} else {
				rejected++;
			}
			a.buf[i] ^= (char)(1 << bit);
		}
	}
	/* All but a handful of padding bits must be refused outright. */
	assert_true(rejected + 8 >= (a.len - 10) * 8);
	artifact_info_release(&orig);
	strbuf_release(&a);
}

/* The artifact's tar, inflated, so a test can edit its headers. */
static void gunzip_all(struct strbuf *tar, const struct strbuf *gz)
{
	z_stream z = { 0 };
	unsigned char chunk[4096];
	int zr;

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)gz->buf;
	z.avail_in = (uInt)gz->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		strbuf_add(tar, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	assert_int_equal(zr, Z_STREAM_END);
	inflateEnd(&z);
}

static void gzip_all(struct strbuf *gz, const struct strbuf *tar)
{
	z_stream z = { 0 };
	unsigned char chunk[4096];
	int zr;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)tar->buf;
	z.avail_in = (uInt)tar->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		strbuf_add(gz, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	assert_int_equal(zr, Z_STREAM_END);
	deflateEnd(&z);
}

/* Rewrites the checksum of the header at `h` as a tar writer would. */
static void tar_fix_checksum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	xsnprintf((char *)h + 148, 8, "%06o", sum);
}

/*
 * Edits the first tar header (hoist.json's) with `edit`, repacks, and
 * expects artifact_read to refuse with `code` and a message holding `msg`.
 */
static void expect_header_refused(void (*edit)(unsigned char *h), bool fix_sum, int code,
				  const char *msg)
{
	struct strbuf gz = STRBUF_INIT, tar = STRBUF_INIT, out = STRBUF_INIT;
	struct artifact_info info;

	pack(&gz, one_cm, "1.0.0");
	gunzip_all(&tar, &gz);
	edit((unsigned char *)tar.buf);
	if (fix_sum)
		tar_fix_checksum((unsigned char *)tar.buf);
	gzip_all(&out, &tar);
	assert_int_equal(artifact_read(&info, out.buf, out.len, NULL, true), code);
	if (!strstr(err_msg(), msg))
		fail_msg("error \"%s\" does not say \"%s\"", err_msg(), msg);
	strbuf_release(&gz);
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void edit_symlink(unsigned char *h) { h[156] = '2'; }
static void edit_pax(unsigned char *h) { h[156] = 'x'; }
static void edit_gnu_longname(unsigned char *h) { h[156] = 'L'; }
static void edit_prefix(unsigned char *h) { memcpy(h + 345, "etc", 3); }
static void edit_size_base256(unsigned char *h) { h[124] = (unsigned char)0x80; }
static void edit_size_huge(unsigned char *h) { memcpy(h + 124, "77777777777", 11); }
static void edit_name_byte(unsigned char *h) { h[0] ^= 1; }
static void edit_magic(unsigned char *h) { memcpy(h + 257, "UsTaR", 5); }

/* Each kind of entry an artifact never holds is refused by the tar walk. */
static void artifact_read_refuses_foreign_tar_entries(void **state)
{
	expect_header_refused(edit_symlink, true, ERR_INVALID, "'hoist.json' is not a plain file");
	expect_header_refused(edit_pax, true, ERR_INVALID, "is not a plain file");
	expect_header_refused(edit_gnu_longname, true, ERR_INVALID, "is not a plain file");
	expect_header_refused(edit_prefix, true, ERR_INVALID, "'etc/hoist.json' is not a plain file");
	expect_header_refused(edit_size_base256, true, ERR_TOOBIG, "size field");
	expect_header_refused(edit_size_huge, true, ERR_INVALID, "claims 8589934591 bytes");
	expect_header_refused(edit_name_byte, false, ERR_INVALID, "checksum mismatch");
	expect_header_refused(edit_magic, true, ERR_INVALID, "no ustar header");
}

/* Bytes after the end-of-archive marker are refused, zeros are not. */
static void artifact_read_checks_what_follows_the_tar(void **state)
{
	struct strbuf gz = STRBUF_INIT, tar = STRBUF_INIT, out = STRBUF_INIT;
	struct artifact_info info;

	pack(&gz, one_cm, "1.0.0");
	gunzip_all(&tar, &gz);
	strbuf_addchars(&tar, 0, 10240);
	gzip_all(&out, &tar);
	assert_int_equal(artifact_read(&info, out.buf, out.len, NULL, true), 0);
	artifact_info_release(&info);
	strbuf_addstr(&tar, "hidden");
	strbuf_reset(&out);
	gzip_all(&out, &tar);
	assert_int_equal(artifact_read(&info, out.buf, out.len, NULL, true), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "data after the tar's end"));
	strbuf_release(&gz);
	strbuf_release(&tar);
	strbuf_release(&out);
}

/* Found by fuzz-config (corpus: key-not-string.yaml, named-key-not-string.yaml). */
static void config_refuses_keys_that_are_not_strings(void **state)
{
	static const char *const bad[] = {
		"? -\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: oci-layout:x\n"
		"clusters:\n  ? [a]\n  : {endpoint: x}\n",
		"apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: oci-layout:x\n"
		"apps:\n- {? {a: b}: c}\n",
	};
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(config_parse(&cfg, bad[i], strlen(bad[i]), "hoist.yaml"),
				 ERR_INVALID);
		assert_non_null(strstr(err_msg(), "must"));
	}
}

static void config_reports_duplicate_and_unknown_names(void **state)
{
	static const char *const cases[][2] = {
		{ "apps: [{name: b, path: x}, {name: a, path: x}, {name: b, path: y}]\n"
		  "environments: [{name: y}]\n",
		  "app 'b' is defined twice" },
		{ "apps: [{name: a, path: x}]\nenvironments: [{name: x}, {name: y}, {name: x}]\n",
		  "environment 'x' is defined twice" },
		{ "apps: [{name: a, path: x, environments: [y, z]}]\nenvironments: [{name: y}]\n",
		  "app 'a' names unknown environment 'z'" },
		{ "apps: [{name: a, path: x}]\nenvironments: [{name: y, promoteFrom: y}]\n",
		  "environment 'y' promotes from unknown environment 'y'" },
		{ "apps: [{name: a, path: x}]\nclusters: {c: {endpoint: e}}\n"
		  "environments: [{name: y, clusters: [c, d]}]\n",
		  "environment 'y' names unknown cluster 'd'" },
	};
	struct strbuf y = STRBUF_INIT;
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		strbuf_reset(&y);
		strbuf_addf(&y, "apiVersion: hoist.dev/v1alpha1\nkind: Project\n"
				"registry: oci-layout:x\n%s", cases[i][0]);
		assert_int_equal(config_parse(&cfg, y.buf, y.len, "hoist.yaml"), ERR_INVALID);
		assert_non_null(strstr(err_msg(), cases[i][1]));
	}
	strbuf_reset(&y);
	strbuf_addstr(&y, "apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: oci-layout:x\n"
			  "clusters: {c: {endpoint: e}}\n"
			  "apps: [{name: a, path: x, environments: [z, y]}]\n"
			  "environments: [{name: z, clusters: [c]}, {name: y, promoteFrom: z}]\n");
	assert_int_equal(config_parse(&cfg, y.buf, y.len, "hoist.yaml"), 0);
	config_release(&cfg);
	strbuf_release(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strbuf_addf_appends_and_stays_terminated),
		cmocka_unit_test(strbuf_limit_refuses_growth_and_keeps_content),
		cmocka_unit_test(strbuf_detach_hands_over_ownership),
		cmocka_unit_test(err_prefix_keeps_one_line),
		cmocka_unit_test(arena_blocks_are_zeroed_and_aligned),
		cmocka_unit_test(path_normalize_collapses_dots),
		cmocka_unit_test(path_normalize_refuses_escapes),
		cmocka_unit_test(objset_sorts_in_kustomize_legacy_order),
		cmocka_unit_test(objset_flattens_list_kinds),
		cmocka_unit_test(objset_rejects_object_without_kind_with_line),
		cmocka_unit_test(objset_duplicates_name_both_places),
		cmocka_unit_test(artifact_pack_is_deterministic_and_reads_back),
		cmocka_unit_test(artifact_version_changes_digest),
		cmocka_unit_test(artifact_read_refuses_truncation_at_every_length),
		cmocka_unit_test(artifact_read_never_accepts_changed_content),
		cmocka_unit_test(artifact_read_refuses_foreign_tar_entries),
		cmocka_unit_test(artifact_read_checks_what_follows_the_tar),
		cmocka_unit_test(config_refuses_keys_that_are_not_strings),
		cmocka_unit_test(config_reports_duplicate_and_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
