/*
 * Unit tests for oci/history: records written as annotations of a manifest
 * with the empty config, chains that mix them with records of the first
 * format (a config blob), in an image-layout store.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "oci/history.h"
#include "oci/oci.h"

struct fixture {
	char dir[64];
	struct oci_store *s;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct oci_open_opts oo = { .push = true };

	xsnprintf(f->dir, sizeof(f->dir), "%s", "/tmp/hoist-test-history.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (oci_layout_open(&f->s, f->dir, &oo))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct strbuf cmd = STRBUF_INIT;

	oci_store_free(f->s);
	strbuf_addf(&cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd.buf), 0);
	strbuf_release(&cmd);
	free(f);
	return 0;
}

/* An artifact as hoist pushes it (config "{}"), under `tag`. */
static void artifact(struct oci_store *s, const char *tag, const char *content,
		     char digest[DIGEST_STR_SIZE])
{
	struct oci_artifact_desc d = { .title = "a.tar.gz" };
	struct oci_push_result res;

	assert_int_equal(oci_artifact_push(&res, s, tag, content, strlen(content), &d, NULL, 0), 0);
	strbuf_release(&res.manifest);
	xsnprintf(digest, DIGEST_STR_SIZE, "%s", res.digest);
}

/* A record of the first format: the fields as a config blob. */
static void old_record(struct oci_store *s, const char *to, char self[DIGEST_STR_SIZE])
{
	struct strbuf rec = STRBUF_INIT, man = STRBUF_INIT;
	char cfg[DIGEST_STR_SIZE];

	strbuf_addf(&rec,
		    "{\"actor\":\"promote\",\"commit\":\"c1\",\"environment\":\"dev\",\"from\":\"\","
		    "\"previous\":\"\",\"time\":\"2026-01-02T03:04:05Z\",\"to\":\"%s\","
		    "\"version\":\"1.0.0\"}\n",
		    to);
	assert_int_equal(oci_blob_put(s, rec.buf, rec.len, cfg), 0);
	strbuf_addf(&man,
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\","
		    "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
		    OCI_MEDIA_MANIFEST, HISTORY_MEDIA, HISTORY_MEDIA, cfg, rec.len);
	assert_int_equal(oci_manifest_put(s, HISTORY_TAG_PREFIX "dev", OCI_MEDIA_MANIFEST, man.buf,
					  man.len, self),
			 0);
	strbuf_release(&rec);
	strbuf_release(&man);
}

static void record_is_annotations_over_the_empty_config(void **state)
{
	struct fixture *f = *state;
	struct history_move mv = { "dev", NULL, "publish", "c2", "2.0.0" };
	struct history_record *v = NULL;
	struct strbuf man = STRBUF_INIT, mt = STRBUF_INIT;
	char a1[DIGEST_STR_SIZE], from[DIGEST_STR_SIZE], head[DIGEST_STR_SIZE],
		got[DIGEST_STR_SIZE], empty[DIGEST_STR_SIZE];
	size_t n = 0;

	artifact(f->s, "v1", "layer one", a1);
	mv.to = a1;
	assert_int_equal(history_move_tag(f->s, &mv, from), 0);
	assert_string_equal(from, "");
	assert_int_equal(oci_resolve(f->s, HISTORY_TAG_PREFIX "dev", head), 0);
	assert_int_equal(oci_manifest_get(f->s, &man, &mt, head, got), 0);
	assert_int_equal(digest_sha256(empty, "{}", 2), 0);
	/* Its config is the artifact's own "{}", and nothing else is stored. */
	assert_non_null(strstr(man.buf, "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\""));
	assert_non_null(strstr(man.buf, empty));
	assert_non_null(strstr(man.buf, "\"layers\":[]"));
	assert_non_null(strstr(man.buf, "\"dev.hoist.history.to\":\""));
	assert_non_null(strstr(man.buf, a1));

	assert_int_equal(history_list(f->s, "dev", &v, &n, 0), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].environment, "dev");
	assert_string_equal(v[0].actor, "publish");
	assert_string_equal(v[0].commit, "c2");
	assert_string_equal(v[0].version, "2.0.0");
	assert_string_equal(v[0].to, a1);
	assert_string_equal(v[0].from, "");
	assert_string_equal(v[0].previous, "");
	assert_string_equal(v[0].self, head);
	history_records_free(v, n);
	strbuf_release(&man);
	strbuf_release(&mt);
}

static void chain_mixing_both_formats_reads_newest_first(void **state)
{
	struct fixture *f = *state;
	struct history_move mv = { "dev", NULL, "rollback", "c3", "3.0.0" };
	struct history_record *v = NULL;
	char a1[DIGEST_STR_SIZE], a2[DIGEST_STR_SIZE], first[DIGEST_STR_SIZE],
		from[DIGEST_STR_SIZE];
	struct strbuf man = STRBUF_INIT;
	struct oci_artifact_desc d = { .title = "a.tar.gz" };
	size_t n = 0;

	artifact(f->s, "v1", "layer one", a1);
	artifact(f->s, "v2", "layer two", a2);
	/* dev was moved to a1 by an older hoist. */
	{
		struct strbuf mt = STRBUF_INIT;
		char got[DIGEST_STR_SIZE];
		assert_int_equal(oci_manifest_get(f->s, &man, &mt, a1, got), 0);
		assert_int_equal(oci_manifest_put(f->s, "dev", OCI_MEDIA_MANIFEST, man.buf, man.len,
						  got),
				 0);
		strbuf_release(&mt);
	}
	old_record(f->s, a1, first);

	/* The caller's manifest bytes are used, and checked against the digest. */
	strbuf_reset(&man);
	assert_int_equal(digest_sha256(d.layer_digest, "layer two", 9), 0);
	d.layer_size = 9;
	assert_int_equal(digest_sha256(d.config_digest, "{}", 2), 0);
	d.config_size = 2;
	oci_manifest_build(&man, &d);
	mv.to = a2;
	mv.manifest = man.buf;
	mv.manifest_len = man.len;
	mv.media_type = OCI_MEDIA_MANIFEST;
	assert_int_equal(history_move_tag(f->s, &mv, from), 0);
	assert_string_equal(from, a1);

	assert_int_equal(history_list(f->s, "dev", &v, &n, 0), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].actor, "rollback");
	assert_string_equal(v[0].from, a1);
	assert_string_equal(v[0].to, a2);
	assert_string_equal(v[0].previous, first);
	assert_string_equal(v[1].actor, "promote");
	assert_string_equal(v[1].to, a1);
	assert_string_equal(v[1].time, "2026-01-02T03:04:05Z");
	assert_string_equal(v[1].self, first);
	history_records_free(v, n);

	/* Bytes that are not `to`'s manifest move nothing. */
	mv.to = a1;
	mv.manifest = "{\"schemaVersion\":2}";
	mv.manifest_len = strlen(mv.manifest);
	assert_int_equal(history_move_tag(f->s, &mv, from), ERR_VERIFY);
	assert_int_equal(oci_resolve(f->s, "dev", from), 0);
	assert_string_equal(from, a2);
	strbuf_release(&man);
}

/* Two moves in one second keep their order: times carry milliseconds. */
static void times_order_within_a_second(void **state)
{
	char now[32];

	(void)state;
	assert_true(history_time_cmp("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.001Z") < 0);
	assert_true(history_time_cmp("2026-01-02T03:04:05.120Z", "2026-01-02T03:04:05.12Z") == 0);
	assert_true(history_time_cmp("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05.499Z") > 0);
	assert_true(history_time_cmp("2026-01-02T03:04:05.999Z", "2026-01-02T03:04:06Z") < 0);
	assert_true(history_time_cmp("2026-01-02T03:04:06Z", "2026-01-02T03:04:05.999Z") > 0);
	/* What cannot be read sorts as oldest. */
	assert_true(history_time_cmp("yesterday", "2026-01-02T03:04:05Z") < 0);
	assert_int_equal(history_parse_time("2026-01-02T03:04:05.250Z"), 1767323045);
	assert_int_equal(history_parse_time("2026-01-02T03:04:05Z"), 1767323045);
	assert_int_equal(history_parse_time("2026-01-02T03:04:05.Z"), -1);
	assert_int_equal(history_parse_time("2026-01-02T03:04:05+01:00"), -1);
	history_time(now, sizeof(now), -1);
	assert_int_equal(strlen(now), strlen("2026-01-02T03:04:05.000Z"));
	assert_true(history_parse_time(now) > 0);
	history_time(now, sizeof(now), 1767323045);
	assert_string_equal(now, "2026-01-02T03:04:05Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_is_annotations_over_the_empty_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(chain_mixing_both_formats_reads_newest_first, setup,
						teardown),
		cmocka_unit_test(times_order_within_a_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
