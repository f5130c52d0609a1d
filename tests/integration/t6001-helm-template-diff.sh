#!/bin/sh
# The template engine against Go: a seeded differential test.  Random
# templates and values (tests/helm-diff/helm-diff.c generates them) run
# through Go 1.19's text/template with Debian's Sprig, set up as Helm sets
# them up (tests/helm-diff/go), and through hoist's engine; every case must
# end the same way: the same output, or an error on both sides.
#
# HOIST_DIFF_SEED picks other seeds (the default ones keep CI repeatable);
# HOIST_DIFF_CASES the number of cases per seed.  A difference prints the
# seed and the smallest failing template with both outcomes.
. "$(dirname "$0")/../lib.sh"

seeds=${HOIST_DIFF_SEED:-"1 2"}
cases=${HOIST_DIFF_CASES:-6000}
gobin=$HOIST_BUILD/tests/helm-diff-go

test_expect_success 'the Go side builds offline (GOPATH mode, Debian packages)' '
	cd "$TEST_TOP/tests/helm-diff/go" &&
	GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
		GOCACHE="$HOIST_BUILD/tests/gocache" go build -o "$gobin" . &&
	test -x "$gobin"
'

for seed in $seeds; do
	test_expect_success "seed $seed: $cases random templates end as they end in Go" '
		"$HOIST_BUILD/tests/helm-diff-c" gen '"$seed"' '"$cases"' cases-'"$seed"' &&
		"$gobin" <cases-'"$seed"' >go-'"$seed"' &&
		"$HOIST_BUILD/tests/helm-diff-c" run cases-'"$seed"' go-'"$seed"' '"$seed"' >report-'"$seed"' ||
		{ cat report-'"$seed"'; false; }
		cat report-'"$seed"'
	'
done

test_expect_success 'a difference is reported with the seed and the smallest failing template' '
	printf "T 8\n{{ .a }}\nV 8\n{\"a\": 1}\nT 5\nx{{.}\nV 2\n{}\n" >bad-cases &&
	printf "O 1\n2\nO 1\nx\n" >bad-go &&
	test_must_fail "$HOIST_BUILD/tests/helm-diff-c" run bad-cases bad-go 99 >bad-report &&
	test_grep "seed 99: 2 cases" bad-report &&
	test_grep "2 differences" bad-report &&
	test_grep "smallest failing template (5 bytes)" bad-report
'

test_done
