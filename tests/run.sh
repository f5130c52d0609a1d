#!/bin/sh
# Runs the test suite and ends with one line "N passed, N failed".
#
#   tests/run.sh [unit|integration|all] [PATTERN]
#
# Unit tests are cmocka programs run with TAP output; integration tests are
# tests/integration/tNNNN-*.sh scripts on tests/lib.sh, also speaking TAP.
# Every "ok" and "not ok" line counts; a program that dies without reporting
# a failure counts as one failure.
#
# Tests run HOIST_TEST_JOBS at a time (default: the number of CPUs); each
# has its own trash directory, HOME and ports, so they do not meet.  Results
# are printed in the suite's order, each with its wall time, as they finish.
top=$(cd "$(dirname "$0")/.." && pwd)
B=${HOIST_BUILD:-$top/build}
what=${1:-all}
pattern=${2:-}
jobs=${HOIST_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}

# `run.sh --one DIR NAME CMD...`: one test, its output in DIR/NAME.log, its
# exit status and wall time in DIR/NAME.rc (written last: the reader waits
# for it).
if [ "$1" = --one ]; then
	dir=$2
	name=$3
	shift 3
	start=$(date +%s.%N)
	"$@" >"$dir/$name.log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	echo "$rc $(echo "$end - $start" | awk '{printf "%.1f", $1 - $3}')" >"$dir/$name.tmp"
	mv "$dir/$name.tmp" "$dir/$name.rc"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hoist-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$work/list"

add() { # NAME CMD...: one line of the job list, NUL-separated words
	printf '%s\0' "$work" "$@" >"$work/job.$(wc -l <"$work/list" | tr -d ' ')"
	echo "$1" >>"$work/list"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$B"/tests/test-*; do
		[ -x "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		if [ -n "${HOIST_VALGRIND:-}" ]; then
			add "$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
				valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite "$t"
		else
			add "$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		fi
	done
	for t in "$B"/tests/fuzz-*; do
		[ -x "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		add "$(basename "$t")" "$t" "$top/tests/fuzz/corpus/$(basename "$t" | sed 's/^fuzz-//')"
	done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in "$top"/tests/integration/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		add "$(basename "$t" .sh)" env HOIST_BUILD="$B" bash "$t"
	done
fi

# The longest tests first would finish sooner, but the order of the suite
# is what people read; with a few jobs the difference is small.
n=$(wc -l <"$work/list" | tr -d ' ')
i=0
while [ "$i" -lt "$n" ]; do
	echo "$work/job.$i"
	i=$((i + 1))
done | xargs -P "$jobs" -I{} sh -c 'xargs -0 sh "$0" --one <"$1"' "$0" {} &
pool=$!

pass=0
fail=0
failed_names=""
while read -r name; do
	while [ ! -f "$work/$name.rc" ]; do
		if ! kill -0 "$pool" 2>/dev/null && [ ! -f "$work/$name.rc" ]; then
			echo "0 0" >"$work/$name.rc"
			echo "not ok - $name did not run" >>"$work/$name.log"
		fi
		sleep 0.2
	done
	read -r rc secs <"$work/$name.rc"
	log="$work/$name.log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ "$f" -ne 0 ]; then
		echo "--- $name: $f failed (${secs}s)"
		sed 's/^/    /' "$log" | tail -n 60
		failed_names="$failed_names $name"
	else
		echo "ok   $name ($p) ${secs}s"
		# Figures a test reports for people (e.g. how long a push took).
		grep '^# elapsed: ' "$log" | sed 's/^/    /'
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done <"$work/list"
wait "$pool"

[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
