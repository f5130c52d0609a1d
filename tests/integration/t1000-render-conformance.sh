#!/bin/bash
# hoist render prints what kubectl kustomize prints, byte for byte, for the
# plain conformance corpus, and refuses what kubectl kustomize refuses.
# The comparison itself lives in tests/conformance/run.sh (make conformance).
. "$(dirname "$0")/../lib.sh"

if ! command -v kubectl >/dev/null 2>&1; then
	echo "ok 1 # skip kubectl not found: conformance against kubectl kustomize not run"
	echo "1..1"
	exit 0
fi

test_expect_success 'render matches kubectl kustomize on every plain manifest' '
	sh "$TEST_TOP/tests/conformance/run.sh" /plain/ >out 2>&1 || { grep -A40 "^not ok" out; false; } &&
	test_grep " 0 failed" out
'

test_expect_success 'render rejects, with a message, what kubectl kustomize rejects' '
	sh "$TEST_TOP/tests/conformance/run.sh" /plain-errors/ >out 2>&1 || { grep -A40 "^not ok" out; false; } &&
	test_grep " 0 failed" out
'

test_expect_success 'render output does not depend on file order within the corpus' '
	mkdir -p a b &&
	cp "$TEST_TOP"/tests/conformance/plain/03*.yaml a/ &&
	for f in a/*.yaml; do cp "$f" "b/zz-$(basename "$f")"; done &&
	hoist render a >a.out &&
	hoist render b >b.out &&
	cmp a.out b.out
'

test_done
