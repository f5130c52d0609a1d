#!/usr/bin/env python3
"""Writes the generated part of tests/conformance/plain/ (files 100-1xx).

Each file places a pool of awkward strings in every context the emitter
treats differently: map values and keys at several depths, sequence items,
nested sequences, and as block/quoted/plain input.  The seed is fixed so
the files are stable; rerun only to change the pool.
"""
import json
import random
import sys
import os

POOL = [
    "plain", "two words", "yes", "No", "on", "OFF", "y", "n", "true", "False",
    "null", "~", "", " ", "0123", "8080", "1e3", "0x1F", "0o17", "0b101",
    "1_000", ".5", "+1", "-0", "08", "1:20", "12:30:45", "2001-12-14",
    "2001-12-14T21:59:43Z", ".inf", "-.Inf", ".nan", "a: b", "a #b", "a#b",
    "#c", "- d", "-d", "? q", ":x", "x:", "*ref", "&anchor", "!tag", "|pipe",
    ">gt", "%pct", "@at", "`tick", "'sq", '"dq', "[br", "]br", "{br", "}br",
    ",comma", "---", "--- x", "...", "... x", "tab\there", "\tlead", "trail\t",
    " lead", "trail ", "a\nb", "a\nb\n", "a\nb\n\n", "\nlead", "  ind\nx",
    "x \ny", "cr\rlf", "nul\x00byte", "bell\x07", "esc\x1b", "café", "日本語",
    "😀", "a\u2028b", "nb\u00a0sp", "bom\ufeff", "zw\u200bsp",
    "http://x.example.com:8080/a?b=c#d", "C:\\Windows\\path", "100%", "50% off",
    "<<", "=", "a=b", "key: value: more", "{a: 1}", "[1, 2]", "1.0", "1.", "-1.5e-3",
    "0.1", "00", "0", "+", "-", "1,000", "v1.2.3", "1.2.3", "TRUE", "Yes please",
    "long " * 30, "x" * 100, "a " * 45 + "end", "é " * 50,
    "word  " * 20, ": " + "z" * 90, "# " + "h " * 50, "'" + "q " * 50,
    "line one\nline two that is quite long " * 4, "  lead\n" + "w " * 60 + "\n",
]

KEYS = [k for k in POOL if "\x00" not in k and "\r" not in k and "\x1b" not in k and "\x07" not in k]
# Keys with digits can make go-yaml v2's key order non-transitive, and then
# kustomize's own output changes from run to run; 002 and 016 cover them.
KEYS = [k for k in KEYS if not any(c.isdigit() for c in k)]

def dumps(v, ascii=False, indent=None):
    """JSON text go-yaml v3 can read: raw U+2028/U+2029 would be line breaks
    to YAML, and v3 refuses surrogate-pair escapes, so write those two
    escaped and astral characters raw."""
    text = json.dumps(v, ensure_ascii=False, indent=indent)
    if ascii:
        text = "".join(c if ord(c) < 0x80 or ord(c) > 0xFFFF else "\\u%04x" % ord(c) for c in text)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")

def scalar(s):
    return dumps(s)

def build(rnd, depth):
    kind = rnd.choice(["map", "map", "seq", "val"]) if depth > 0 else "val"
    if kind == "val":
        return rnd.choice(POOL)
    if kind == "seq":
        return [build(rnd, depth - 1) for _ in range(rnd.randint(0, 4))]
    m = {}
    for _ in range(rnd.randint(0, 5)):
        m[rnd.choice(KEYS)] = build(rnd, depth - 1)
    return m

def main(outdir):
    for i in range(40):
        rnd = random.Random(1000 + i)
        spec = {}
        for j in range(12):
            spec["k%02d-%s" % (j, rnd.choice(["a", "b", "x"]))] = build(rnd, rnd.randint(0, 5))
        for j in range(6):
            spec[rnd.choice(KEYS)] = rnd.choice(POOL)
        obj = {"apiVersion": "example.com/v1", "kind": "Widget",
               "metadata": {"name": "gen-%03d" % i}, "spec": spec}
        ext = ".json" if i % 5 == 4 else ".yaml"
        path = os.path.join(outdir, "1%02d-gen%s" % (i, ext))
        with open(path, "w", encoding="utf-8") as f:
            # JSON is YAML: the .yaml files use flow style, one key per line.
            if ext == ".json":
                f.write(dumps(obj, ascii=(i % 2 == 0), indent=1))
            else:
                f.write("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gen-%03d\nspec:\n" % i)
                for k, v in spec.items():
                    f.write("  %s: %s\n" % (scalar(k), dumps(v)))

main(sys.argv[1] if len(sys.argv) > 1 else "tests/conformance/plain")
