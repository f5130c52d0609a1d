/*
 * Unit tests for the YAML/JSON reader (model/yaml-read.c) and the document
 * model's builders and lookups (model/doc.c).
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

static struct doc_stream *parse_ok(const char *text)
{
	struct doc_stream *s = NULL;

	if (doc_parse(&s, text, strlen(text), "in.yaml", NULL))
		fail_msg("parse failed: %s", err_msg());
	return s;
}

static int parse_err(const char *text, const struct doc_limits *lim)
{
	struct doc_stream *s = NULL;
	int r = doc_parse(&s, text, strlen(text), "in.yaml", lim);

	assert_null(s);
	return r;
}

static void parse_splits_a_stream_and_drops_empty_documents(void **state)
{
	struct doc_stream *s = parse_ok("---\n---\na: 1\n---\n# only a comment\n---\n"
					"~\n---\nnull\n...\n---\nb: 2\n---\n");

	assert_int_equal(s->ndocs, 2);
	assert_string_equal(doc_get_str(s->docs[0], "a", NULL), "1");
	assert_string_equal(doc_get_str(s->docs[1], "b", NULL), "2");
	doc_stream_free(s);
}

static void parse_keeps_quoted_null_documents(void **state)
{
	struct doc_stream *s = parse_ok("--- \"null\"\n--- ''\n");

	assert_int_equal(s->ndocs, 2);
	doc_stream_free(s);
}

static void parse_records_file_line_and_column(void **state)
{
	struct doc_stream *s = parse_ok("a:\n  b:\n    - x\n    - {c: d}\n");
	struct doc_node *b = doc_map_get(s->docs[0], "a");
	char where[64];

	b = doc_map_get(b, "b");
	assert_int_equal(b->kind, DOC_SEQ);
	assert_int_equal(b->kids[0]->line, 3);
	assert_int_equal(b->kids[0]->col, 7);
	assert_string_equal(doc_where(b->kids[1], where, sizeof(where)), "in.yaml:4:7");
	assert_int_equal(b->kids[1]->style, DOC_STYLE_FLOW);
	doc_stream_free(s);
}

static void parse_shares_aliased_nodes_and_counts_their_weight(void **state)
{
	struct doc_stream *s = parse_ok("base: &b {x: 1, y: [1, 2]}\ncopy: *b\ns: &s hi\nt: *s\n");
	struct doc_node *base = doc_map_get(s->docs[0], "base");

	assert_ptr_equal(doc_map_get(s->docs[0], "copy"), base);
	assert_string_equal(doc_get_str(s->docs[0], "t", NULL), "hi");
	/* base: map + 2 keys + 1 + seq + 2 items = 7 nodes; counted twice. */
	assert_int_equal(base->weight, 7);
	assert_true(s->docs[0]->weight >= 2 * base->weight);
	doc_stream_free(s);
}

static void parse_rejects_an_alias_bomb_with_toobig(void **state)
{
	struct strbuf in = STRBUF_INIT;
	char c;

	/* Nine levels of ten aliases each: 10^9 nodes once expanded. */
	strbuf_addstr(&in, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (c = 'b'; c <= 'j'; c++)
		strbuf_addf(&in, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c,
			    c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	assert_int_equal(parse_err(in.buf, NULL), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "in.yaml:"));
	assert_non_null(strstr(err_msg(), "alias bomb"));
	strbuf_release(&in);
}

static void parse_enforces_the_depth_limit(void **state)
{
	struct doc_limits lim = doc_limits_default;
	struct strbuf in = STRBUF_INIT;
	struct doc_stream *s = NULL;
	int i;

	lim.max_depth = 10;
	for (i = 0; i < 10; i++)
		strbuf_addch(&in, '[');
	for (i = 0; i < 10; i++)
		strbuf_addch(&in, ']');
	assert_int_equal(doc_parse(&s, in.buf, in.len, "in.yaml", &lim), 0);
	doc_stream_free(s);

	strbuf_reset(&in);
	for (i = 0; i < 11; i++)
		strbuf_addch(&in, '[');
	for (i = 0; i < 11; i++)
		strbuf_addch(&in, ']');
	assert_int_equal(parse_err(in.buf, &lim), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "in.yaml:1:11"));
	strbuf_release(&in);
}

static void parse_survives_deep_nesting_with_the_default_limit(void **state)
{
	struct strbuf in = STRBUF_INIT;
	int i;

	/* 100,000 levels: refused cleanly, not a stack overflow. */
	for (i = 0; i < 100000; i++)
		strbuf_addch(&in, '[');
	assert_int_equal(parse_err(in.buf, NULL), ERR_TOOBIG);
	strbuf_release(&in);
}

static void parse_enforces_the_size_limit(void **state)
{
	struct doc_limits lim = doc_limits_default;

	lim.max_bytes = 8;
	assert_int_equal(parse_err("a: 12345678\n", &lim), ERR_TOOBIG);
	assert_non_null(strstr(err_msg(), "in.yaml"));
	lim.max_bytes = 12;
	{
		struct doc_stream *s = NULL;
		assert_int_equal(doc_parse(&s, "a: 12345678\n", 12, "in.yaml", &lim), 0);
		doc_stream_free(s);
	}
}

static void parse_enforces_the_node_limit(void **state)
{
	struct doc_limits lim = doc_limits_default;

	lim.max_nodes = 5;
	assert_int_equal(parse_err("[1, 2, 3, 4, 5, 6]\n", &lim), ERR_TOOBIG);
}

static void parse_reports_duplicate_keys_with_both_lines(void **state)
{
	assert_int_equal(parse_err("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n", NULL), ERR_INVALID);
	assert_string_equal(err_msg(),
			    "in.yaml:5:3: mapping key \"x\" already defined at line 3");
	assert_int_equal(parse_err("{a: 1, \"a\": 2}", NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "in.yaml:1:8"));
}

static void parse_reports_malformed_yaml_with_file_line_col(void **state)
{
	assert_int_equal(parse_err("a: 1\n b: 2\n", NULL), ERR_INVALID);
	assert_string_equal(err_msg(),
			    "in.yaml:2:3: mapping values are not allowed in this context");
	assert_int_equal(parse_err("a: \"unterminated\n", NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "in.yaml:2:1: found unexpected end of stream"));
	assert_int_equal(parse_err("a: *nope\n", NULL), ERR_INVALID);
	assert_string_equal(err_msg(), "in.yaml:1:4: unknown anchor referenced");
	assert_int_equal(parse_err("a: \"\xff\"\n", NULL), ERR_INVALID);
}

static void parse_rejects_slash_escape_as_go_yaml_does(void **state)
{
	struct doc_stream *s = NULL;

	assert_int_equal(parse_err("é: 1\na: \"x\\/y\"\n", NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "in.yaml:2:4: found unknown escape"));
	/* An escaped backslash before '/' is fine, and so is a plain "\/". */
	s = parse_ok("a: \"x\\\\/y\"\nb: x\\/y\nc: 'x\\/y'\n");
	assert_string_equal(doc_get_str(s->docs[0], "a", NULL), "x\\/y");
	assert_string_equal(doc_get_str(s->docs[0], "b", NULL), "x\\/y");
	doc_stream_free(s);
}

static void parse_keeps_styles_tags_and_embedded_nuls(void **state)
{
	struct doc_stream *s = parse_ok("a: 'x'\nb: \"n\\0ul\"\nc: |\n  lit\nd: >\n  fold\n"
					"e: !!str 1\nf: !Foo bar\n");
	const struct doc_node *m = s->docs[0];

	assert_int_equal(doc_map_get(m, "a")->style, DOC_STYLE_SINGLE);
	assert_int_equal(doc_map_get(m, "b")->len, 4);
	assert_memory_equal(doc_map_get(m, "b")->str, "n\0ul", 4);
	assert_int_equal(doc_map_get(m, "c")->style, DOC_STYLE_LITERAL);
	assert_int_equal(doc_map_get(m, "d")->style, DOC_STYLE_FOLDED);
	assert_string_equal(doc_map_get(m, "e")->tag, "tag:yaml.org,2002:str");
	assert_string_equal(doc_map_get(m, "f")->tag, "!Foo");
	doc_stream_free(s);
}

static void parse_reads_json_with_unicode_escapes(void **state)
{
	struct doc_stream *s = parse_ok("{\"a\": \"caf\\u00e9\", \"b\": [1, 2.5, true, null]}");
	const struct doc_node *b = doc_map_get(s->docs[0], "b");

	assert_string_equal(doc_get_str(s->docs[0], "a", NULL), "caf\xc3\xa9");
	assert_int_equal(b->n, 4);
	doc_stream_free(s);
}

static void map_pairs_apply_merge_keys_first_definition_wins(void **state)
{
	struct doc_stream *s = parse_ok("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n"
					"m: {<<: [*a, *b], x: 0}\n");
	struct doc_node **pairs;
	size_t n, i;
	bool owned;
	const char *want[][2] = { { "x", "0" }, { "y", "1" }, { "z", "2" } };

	assert_int_equal(doc_map_pairs(doc_map_get(s->docs[0], "m"), &pairs, &n, &owned), 0);
	assert_true(owned);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_string_equal(pairs[2 * i]->str, want[i][0]);
		assert_string_equal(pairs[2 * i + 1]->str, want[i][1]);
	}
	free(pairs);
	assert_int_equal(doc_map_pairs(doc_map_get(s->docs[0], "a"), &pairs, &n, &owned), 0);
	assert_false(owned);
	assert_int_equal(n, 2);
	doc_stream_free(s);
}

static void builders_make_nodes_that_emit(void **state)
{
	struct arena *a = arena_new();
	struct doc_node *m = doc_new_map(a), *seq = doc_new_seq(a);
	struct strbuf out = STRBUF_INIT;

	doc_seq_append(a, seq, doc_new_str(a, "yes"));
	doc_seq_append(a, seq, doc_new_scalar(a, "12", 2, DOC_STYLE_PLAIN));
	doc_map_append(a, m, doc_new_str(a, "list"), seq);
	doc_map_append(a, m, doc_new_str(a, "name"), doc_new_str(a, "x"));
	assert_int_equal(m->weight, 7); /* map, 2 keys, seq + 2 items, "x" */
	assert_int_equal(doc_emit_canonical(&out, m), 0);
	assert_string_equal(out.buf, "list:\n- \"yes\"\n- 12\nname: x\n");
	strbuf_release(&out);
	arena_free(a);
}

static void clone_outlives_the_stream_with_its_file_name_and_tags(void **state)
{
	struct doc_stream *s = parse_ok("a: !custom x\nb: [1]\n");
	struct arena *a = arena_new();
	struct doc_node *c = doc_clone(a, s->docs[0]);
	const struct doc_node *v;
	char where[64];

	(void)state;
	doc_stream_free(s);
	v = doc_map_get(c, "a");
	assert_string_equal(v->tag, "!custom");
	assert_string_equal(doc_where(doc_map_get(c, "b"), where, sizeof(where)), "in.yaml:2:4");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_splits_a_stream_and_drops_empty_documents),
		cmocka_unit_test(parse_keeps_quoted_null_documents),
		cmocka_unit_test(parse_records_file_line_and_column),
		cmocka_unit_test(parse_shares_aliased_nodes_and_counts_their_weight),
		cmocka_unit_test(parse_rejects_an_alias_bomb_with_toobig),
		cmocka_unit_test(parse_enforces_the_depth_limit),
		cmocka_unit_test(parse_survives_deep_nesting_with_the_default_limit),
		cmocka_unit_test(parse_enforces_the_size_limit),
		cmocka_unit_test(parse_enforces_the_node_limit),
		cmocka_unit_test(parse_reports_duplicate_keys_with_both_lines),
		cmocka_unit_test(parse_reports_malformed_yaml_with_file_line_col),
		cmocka_unit_test(parse_rejects_slash_escape_as_go_yaml_does),
		cmocka_unit_test(parse_keeps_styles_tags_and_embedded_nuls),
		cmocka_unit_test(parse_reads_json_with_unicode_escapes),
		cmocka_unit_test(map_pairs_apply_merge_keys_first_definition_wins),
		cmocka_unit_test(builders_make_nodes_that_emit),
		cmocka_unit_test(clone_outlives_the_stream_with_its_file_name_and_tags),
	};

	return cmocka_run_group_tests_name("yaml", tests, NULL, NULL);
}
