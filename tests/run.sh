#!/bin/sh
# Runs the test suite and ends with one line "N passed, N failed".
#
#   tests/run.sh [unit|integration|all] [PATTERN]
#
# Unit tests are cmocka programs run with TAP output; integration tests are
# tests/integration/tNNNN-*.sh scripts on tests/lib.sh, also speaking TAP.
# Every "ok" and "not ok" line counts; a program that dies without reporting
# a failure counts as one failure.
top=$(cd "$(dirname "$0")/.." && pwd)
B=${HOIST_BUILD:-$top/build}
what=${1:-all}
pattern=${2:-}
pass=0
fail=0
failed_names=""

run_tap() {
	name=$1
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ "$f" -ne 0 ]; then
		echo "--- $name: $f failed"
		sed 's/^/    /' "$log" | tail -n 60
		failed_names="$failed_names $name"
	else
		echo "ok   $name ($p)"
		# Figures a test reports for people (e.g. how long a push took).
		grep '^# elapsed: ' "$log" | sed 's/^/    /'
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	rm -f "$log"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$B"/tests/test-*; do
		[ -x "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		if [ -n "$HOIST_VALGRIND" ]; then
			CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$(basename "$t")" \
				valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite "$t"
		else
			CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$(basename "$t")" "$t"
		fi
	done
	for t in "$B"/tests/fuzz-*; do
		[ -x "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		corpus="$top/tests/fuzz/corpus/$(basename "$t" | sed 's/^fuzz-//')"
		run_tap "$(basename "$t")" "$t" "$corpus"
	done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in "$top"/tests/integration/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		HOIST_BUILD=$B run_tap "$(basename "$t" .sh)" bash "$t"
	done
fi

[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
