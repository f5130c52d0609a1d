#!/usr/bin/env python3
"""Prints the emitter cases of tests/unit/test-emit.c: each input run through
kubectl kustomize, whose output becomes the expected bytes.  Rerun and paste
when adding a case; never write an expectation by hand."""
import subprocess, os, tempfile, json
cases = [
 ("yaml11_booleans_are_double_quoted", 'v: ["y", "n", "yes", "No", "on", "OFF", "true"]'),
 ("numeric_strings_are_double_quoted", 'v: ["0123", "8080", "1e3", "0x1F", "1_000", ".5", "+1", "-0", "1:20", "2001-12-14"]'),
 ("octal_hex_binary_ints_become_decimal", 'v: [0123, 0o17, 0x1F, 0b101, 08]'),
 ("floats_print_as_go_formats_them", 'v: [1e3, 1.0, 1.5e+06, 0.000001, 0.0000001, 1e21, 123456789012345678901234567890, -0.0, 6.02e23]'),
 ("timestamps_become_rfc3339_strings", 'v: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2002-12-14 21:59:43, 2002-12-14T21:59:43.500Z]'),
 ("indicators_force_single_quotes", 'v: ["*a", "&a", "!a", "|a", ">a", "%a", "@a", "`a", "- a", "? a", ": a", "a: b", "a #b", "#a", "---", "..."]'),
 ("leading_and_trailing_spaces_single_quote", 'v: [" a", "a ", "  "]'),
 ("control_characters_double_quote_with_escapes", 'v: ["a\\tb", "a\\rb", "a\\0b", "\\e", "nb\\u00a0sp", "\\ufeff"]'),
 ("emoji_are_escaped_in_double_quotes_only", 'v: ["😀", "a\\t😀", "é"]'),
 ("multiline_strings_use_literal_blocks_with_chomping", 'v: ["a\\nb", "a\\nb\\n", "a\\nb\\n\\n", "\\n", " a\\nb\\n", "a \\nb"]'),
 ("long_plain_scalars_fold_at_80_columns", 'v: "' + " ".join(["word%02d" % i for i in range(20)]) + '"'),
 ("long_double_quoted_scalars_fold_with_escapes", 'v: "tab\\there ' + "  ".join(["w%02d" % i for i in range(25)]) + '"'),
 ("long_keys_use_the_complex_key_form", 'v: {"' + "k" * 130 + '": [1, 2]}'),
 ("multiline_keys_are_double_quoted_or_complex", 'v: {"a\\nb": 1}'),
 ("empty_collections_and_nulls_stay_inline", 'v: {a: {}, b: [], c: null, d: ~, e: "", f: [null, []]}'),
 ("sequences_sit_flush_under_their_key", 'v: {a: [[1, 2], {b: [3]}]}'),
 ("keys_sort_with_digit_runs_compared_as_numbers", 'v: {a10: 1, a2: 2, a1: 3, a01: 4, B: 5, b: 6, _c: 7, "1": 8, é: 9}'),
 ("merge_keys_apply_with_own_keys_winning", 'base: &b {x: 1, y: 2}\nv: {<<: *b, y: 3}'),
 ("folded_scalars_gain_breaks_before_indented_lines", 'v: >\n    a\n      b\n    c\n'),
 ("raw_nel_folds_to_a_space", 'v: "a\\Nb"'),
 ("custom_tags_make_strings", 'v: [!Foo 12, ! 12, !!str 12, !!float 3]'),
 ("quoted_merge_key_is_dropped", 'v: {"<<": {a: 1}, b: 2}'),
]
out = []
for name, frag in cases:
    d = tempfile.mkdtemp()
    body = "apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n" + "".join("  " + l + "\n" for l in frag.split("\n"))
    open(os.path.join(d, "in.yaml"), "w").write(body)
    open(os.path.join(d, "kustomization.yaml"), "w").write("resources: [in.yaml]\n")
    r = subprocess.run(["kubectl", "kustomize", d], capture_output=True, text=True)
    assert r.returncode == 0, (name, r.stderr)
    out.append((name, body, r.stdout))
def c(s):
    return "\n".join('\t  "' + l.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '\\n"' for l in s.split("\n")[:-1]) if s.endswith("\n") else None
import sys
if True:
    f = sys.stdout
    f.write("/* Generated from kubectl kustomize (v5.5.0) output; see tests/unit/test-emit.c. */\n")
    for name, body, exp in out:
        f.write("static const struct emit_case %s = {\n\t\"%s\",\n%s,\n%s,\n};\n" % (name, name, c(body), c(exp)))

