#!/bin/sh
# Conformance: `hoist render` against `kubectl kustomize`, byte for byte.
#
#   tests/conformance/run.sh [PATTERN]
#
# For tests/conformance/plain/ it renders every file on its own and all of
# them together.  kubectl gets a scratch folder with a kustomization.yaml
# listing the files as resources; hoist gets the same files without one
# (so its plain engine runs).  For tests/conformance/plain-errors/ both
# tools must fail, hoist with an "error:" message and without crashing.
#
# Prints one "ok"/"not ok" line per case and ends with "N passed, N failed";
# exits non-zero when a case failed.  Without kubectl it skips everything
# (nothing counts as passed).
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/conformance
B=${HOIST_BUILD:-$top/build}
HOIST=$B/hoist
pattern=${1:-}
pass=0
fail=0
n=0

if ! command -v kubectl >/dev/null 2>&1; then
	echo "# skip: kubectl not found; the conformance suite needs kubectl kustomize"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -x "$HOIST" ]; then
	echo "not ok 1 - $HOIST is not built (make all)"
	echo "0 passed, 1 failed"
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/hoist-conformance.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

ok() {
	n=$((n + 1))
	pass=$((pass + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n - $1"
	[ -f "$2" ] && sed 's/^/#   /' "$2" | head -n 40
}

# kubectl_dir DIR FILE...: a kustomization listing FILEs, copied into DIR.
make_dirs() {
	ref=$1
	ours=$2
	shift 2
	rm -rf "$ref" "$ours"
	mkdir -p "$ref" "$ours"
	echo "resources:" >"$ref/kustomization.yaml"
	for f in "$@"; do
		cp "$f" "$ref/" && cp "$f" "$ours/"
		echo "- $(basename "$f")" >>"$ref/kustomization.yaml"
	done
}

# compare NAME FILE...: both tools must print the same bytes.
compare() {
	name=$1
	shift
	d=$scratch/case
	make_dirs "$d/ref" "$d/ours" "$@"
	if ! kubectl kustomize "$d/ref" >"$d/expect" 2>"$d/expect.err"; then
		not_ok "$name: kubectl kustomize failed (move the file to plain-errors/)" "$d/expect.err"
		return
	fi
	"$HOIST" render "$d/ours" >"$d/actual" 2>"$d/actual.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: hoist render exited $rc" "$d/actual.err"
	elif cmp -s "$d/expect" "$d/actual"; then
		ok "$name"
	else
		diff -u "$d/expect" "$d/actual" >"$d/diff"
		not_ok "$name: output differs (- kubectl, + hoist)" "$d/diff"
	fi
}

# must_fail NAME FILE: both tools must reject it.
must_fail() {
	name=$1
	d=$scratch/case
	make_dirs "$d/ref" "$d/ours" "$2"
	if kubectl kustomize "$d/ref" >/dev/null 2>&1; then
		not_ok "$name: kubectl kustomize accepts it (move it to plain/)"
		return
	fi
	"$HOIST" render "$d/ours" >"$d/actual" 2>"$d/actual.err"
	rc=$?
	if [ $rc -eq 0 ]; then
		not_ok "$name: hoist render accepted it" "$d/actual"
	elif [ $rc -gt 128 ]; then
		not_ok "$name: hoist render crashed ($rc)" "$d/actual.err"
	elif ! grep -q "error:" "$d/actual.err"; then
		not_ok "$name: hoist render failed without a message" "$d/actual.err"
	else
		ok "$name"
	fi
}

files=""
for f in "$here"/plain/*.yaml "$here"/plain/*.yml "$here"/plain/*.json; do
	[ -f "$f" ] || continue
	case "$f" in *"$pattern"*) ;; *) continue ;; esac
	files="$files $f"
done
# shellcheck disable=SC2086
[ -n "$files" ] && compare "plain: all files together" $files
for f in $files; do
	compare "plain/$(basename "$f")" "$f"
done

for f in "$here"/plain-errors/*; do
	[ -f "$f" ] || continue
	case "$f" in *"$pattern"*) ;; *) continue ;; esac
	must_fail "plain-errors/$(basename "$f")" "$f"
done

# --- kustomize overlays: our own cases ------------------------------------------
# Each folder of tests/conformance/kustomize/ is a kustomization: both tools
# build it and must print the same bytes (or both must fail).
compare_dir() {
	name=$1
	dir=$2
	d=$scratch/kdir
	rm -rf "$d" && mkdir -p "$d"
	kubectl kustomize "$dir" >"$d/expect" 2>"$d/expect.err"
	krc=$?
	"$HOIST" render "$dir" >"$d/actual" 2>"$d/actual.err"
	hrc=$?
	if [ $hrc -gt 128 ]; then
		not_ok "$name: hoist render crashed ($hrc)" "$d/actual.err"
	elif [ $krc -ne 0 ] && [ $hrc -ne 0 ]; then
		ok "$name (both refuse it)"
	elif [ $krc -ne 0 ]; then
		not_ok "$name: kubectl kustomize refuses it, hoist accepts it" "$d/expect.err"
	elif [ $hrc -ne 0 ]; then
		not_ok "$name: hoist render failed" "$d/actual.err"
	elif cmp -s "$d/expect" "$d/actual"; then
		ok "$name"
	else
		diff -u "$d/expect" "$d/actual" >"$d/diff"
		not_ok "$name: output differs (- kubectl kustomize, + hoist)" "$d/diff"
	fi
}

for dir in "$here"/kustomize/*/; do
	[ -d "$dir" ] || continue
	case "$dir" in *"$pattern"*) ;; *) continue ;; esac
	compare_dir "kustomize/$(basename "$dir")" "$dir"
done

# --- the shared corpora -------------------------------------------------------------
# ../shared/corpus (beside the project) holds real overlays with kubectl's
# output, and cases from kustomize's own suite with its expectations.  A case
# must pass unless tests/conformance/kustomize-gaps.txt lists it with the
# reason (a known gap of the engine, reported as skipped); a listed case that
# passes fails the run, so the list never hides progress.
gaps=$here/kustomize-gaps.txt
skipped=0
gap_reason() {
	[ -f "$gaps" ] && grep -v '^#' "$gaps" | awk -F'\t' -v c="$1" '$1 == c { print $2; exit }'
}

# judge NAME EXPECTED_FILE ACTUAL_FILE ERR_FILE RC
judge() {
	reason=$(gap_reason "$1")
	if [ "$5" -eq 0 ] && [ "$(cat "$3")" = "$(cat "$2")" ]; then
		if [ -n "$reason" ]; then
			not_ok "$1: passes but is listed in kustomize-gaps.txt: remove it from the list"
		else
			ok "$1"
		fi
	elif [ "$5" -gt 128 ]; then
		not_ok "$1: hoist render crashed ($5)" "$4"
	elif [ -n "$reason" ]; then
		n=$((n + 1))
		skipped=$((skipped + 1))
		echo "ok $n - $1 # SKIP known gap: $reason"
	else
		if [ "$5" -ne 0 ]; then
			not_ok "$1: hoist render failed" "$4"
		else
			diff -u "$2" "$3" >"$scratch/corpus.diff"
			not_ok "$1: output differs (- expected, + hoist)" "$scratch/corpus.diff"
		fi
	fi
}

corpus=$(cd "$top/.." && pwd)/shared/corpus/kustomize
if [ -d "$corpus/real" ]; then
	while read -r c; do
		[ -n "$c" ] || continue
		case "real/$c" in *"$pattern"*) ;; *) continue ;; esac
		"$HOIST" render "$corpus/real/$c" >"$scratch/out" 2>"$scratch/err"
		rc=$?
		judge "real/$c" "$corpus/real/expected/$(echo "$c" | tr / _).yaml" \
			"$scratch/out" "$scratch/err" $rc
	done <"$corpus/real/cases.txt"
fi
if [ -d "$corpus/krusty" ]; then
	tab=$(printf '\t')
	while IFS="$tab" read -r file name idx run; do
		c="$corpus/krusty/${file%.go}/$name"
		[ "$idx" = 1 ] || c="$c.$idx"
		case "krusty/${file%.go}/$name" in *"$pattern"*) ;; *) continue ;; esac
		# kustomize's own harness keeps input order: sortOptions fifo, as
		# the corpus runner does.
		rm -rf "$scratch/fs" && cp -r "$c/fs" "$scratch/fs"
		k="$scratch/fs/$run/kustomization.yaml"
		if [ -f "$k" ] && ! grep -q '^sortOptions:' "$k"; then
			printf '\nsortOptions:\n  order: fifo\n' >>"$k"
		fi
		"$HOIST" render "$scratch/fs/$run" >"$scratch/out" 2>"$scratch/err"
		rc=$?
		judge "krusty/${file%.go}/$name" "$c/expected.yaml" "$scratch/out" "$scratch/err" $rc
	done <"$corpus/krusty/cases.tsv"
fi
# The helm corpus runs in tests/conformance/helm.sh (make conformance calls both).

# --- the seeded differential test -------------------------------------------------
# Random kustomizations built by both tools (tests/conformance/kustomize-diff.py);
# every case counts.  HOIST_KDIFF_CASES and HOIST_DIFF_SEED change the run.
if [ -z "$pattern" ]; then
	python3 "$here/kustomize-diff.py" "$HOIST" --cases "${HOIST_KDIFF_CASES:-2000}" \
		>"$scratch/kdiff" 2>&1
	grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$scratch/kdiff"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$scratch/kdiff" | tail -n 1)
	if [ -n "$line" ]; then
		kp=$(echo "$line" | cut -d' ' -f1)
		kf=$(echo "$line" | cut -d' ' -f3)
		echo "# kustomize differential test: $kp passed, $kf failed"
		pass=$((pass + kp))
		fail=$((fail + kf))
		n=$((n + kp + kf))
	else
		not_ok "kustomize differential test did not finish" "$scratch/kdiff"
	fi
fi

echo "1..$n"
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
