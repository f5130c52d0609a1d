#!/bin/bash
# Helm conformance: `hoist template` against the helm oracle, byte for byte.
#
#   tests/conformance/helm.sh [PATTERN]
#
# Three sources, each reported on its own:
#   own      every folder of tests/conformance/helm/ is a case: a chart
#            (chart/, the folder itself, or another case's chart named in
#            `chart-of`) and an optional `args` file (one
#            `helm template` argument a line, $CASE replaced by the case's
#            folder); hoist and the oracle must print the same stdout and
#            agree on success or failure (on failure, on the "Error: " line,
#            unless an `error-differs` file says why hoist's text differs);
#   charts   ../shared/corpus/helm/charts/run_cases.sh with hoist as renderer
#            (real public charts with their values);
#   goldens  ../shared/corpus/helm/helm-goldens/run_goldens.sh with hoist
#            (Helm's own 21 `helm template` golden cases);
#   helmCharts  every kustomization of tests/conformance/helm-kustomize/:
#            `hoist render` against `kubectl kustomize --enable-helm` with
#            the oracle as its helm.
# The oracle is built from ../shared/tools/helm-oracle into the build folder
# (Go in GOPATH mode from Debian's packages, see its README).  Without
# ../shared the corpus sources are skipped; without Go the own cases are.
# Ends with "N passed, N failed"; exits non-zero when a case failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/conformance/helm
B=${HOIST_BUILD:-$top/build}
HOIST=$B/hoist
shared=$(cd "$top/.." && pwd)/shared
pattern=${1:-}
total_pass=0
total_fail=0

if [ ! -x "$HOIST" ]; then
	echo "not ok 1 - $HOIST is not built (make all)"
	echo "0 passed, 1 failed"
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hoist-helm-conf.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

# --- the oracle -------------------------------------------------------------------
ORACLE=${HELM_ORACLE:-}
if [ -z "$ORACLE" ] && [ -f "$shared/tools/helm-oracle/main.go" ] && command -v go >/dev/null; then
	ORACLE=$B/helm-oracle/helm-oracle
	if [ ! -x "$ORACLE" ] || [ "$shared/tools/helm-oracle/main.go" -nt "$ORACLE" ]; then
		mkdir -p "$B/helm-oracle"
		if ! (cd "$shared/tools/helm-oracle" && GO111MODULE=off GOPATH=/usr/share/gocode \
			GOCACHE="$B/helm-oracle/gocache" go build -o "$ORACLE" .) >"$scratch/go.err" 2>&1; then
			echo "# the helm oracle does not build:"
			sed 's/^/#   /' "$scratch/go.err"
			ORACLE=
		fi
	fi
fi

# --- own cases ----------------------------------------------------------------------
pass=0
fail=0
if [ -z "$ORACLE" ]; then
	echo "# skip: own helm cases (no oracle: needs Go and ../shared/tools/helm-oracle)"
else
	for dir in "$here"/*/; do
		[ -d "$dir" ] || continue
		name=$(basename "$dir")
		case "$name" in *"$pattern"*) ;; *) continue ;; esac
		chart=$dir
		[ -d "$dir/chart" ] && chart=$dir/chart
		# chart-of: another case's chart, rendered with this case's args
		[ -f "$dir/chart-of" ] && chart=$here/$(cat "$dir/chart-of")/chart
		args=()
		if [ -f "$dir/args" ]; then
			while IFS= read -r a || [ -n "$a" ]; do
				[ -n "$a" ] && args+=("${a//\$CASE/${dir%/}}")
			done <"$dir/args"
		fi
		"$ORACLE" template rel "$chart" "${args[@]}" >"$scratch/expect" 2>"$scratch/expect.err"
		orc=$?
		"$HOIST" template rel "$chart" "${args[@]}" >"$scratch/actual" 2>"$scratch/actual.err"
		hrc=$?
		if [ $hrc -gt 128 ]; then
			fail=$((fail + 1))
			echo "not ok - own/$name: hoist crashed ($hrc)"
			sed 's/^/#   /' "$scratch/actual.err" | head -20
		elif [ $orc -ne 0 ] && [ $hrc -ne 0 ]; then
			if [ -f "$dir/error-differs" ]; then
				pass=$((pass + 1))
				echo "ok - own/$name (both fail; the texts differ on purpose: $(cat "$dir/error-differs"))"
			elif [ "$(head -n 1 "$scratch/expect.err")" = "$(head -n 1 "$scratch/actual.err")" ]; then
				pass=$((pass + 1))
				echo "ok - own/$name (both fail alike)"
			else
				fail=$((fail + 1))
				echo "not ok - own/$name: errors differ"
				echo "#   oracle: $(head -n 1 "$scratch/expect.err")"
				echo "#   hoist:  $(head -n 1 "$scratch/actual.err")"
			fi
		elif [ $orc -ne $hrc ]; then
			fail=$((fail + 1))
			echo "not ok - own/$name: oracle exited $orc, hoist $hrc"
			sed 's/^/#   /' "$scratch/expect.err" "$scratch/actual.err" | head -20
		elif cmp -s "$scratch/expect" "$scratch/actual"; then
			pass=$((pass + 1))
			echo "ok - own/$name"
		else
			fail=$((fail + 1))
			echo "not ok - own/$name: output differs (- oracle, + hoist)"
			diff -u "$scratch/expect" "$scratch/actual" | head -40 | sed 's/^/#   /'
		fi
	done
fi
echo "# own: $pass passed, $fail failed"
total_pass=$((total_pass + pass))
total_fail=$((total_fail + fail))

# --- kustomize helmCharts -----------------------------------------------------------
# Every folder of tests/conformance/helm-kustomize/ is a kustomization with
# helmCharts: `hoist render` against `kubectl kustomize --enable-helm` with
# the oracle as its helm; both must refuse the error-* ones.
pass=0
fail=0
if [ -z "$ORACLE" ] || ! command -v kubectl >/dev/null 2>&1; then
	echo "# skip: helmCharts cases (needs the oracle and kubectl)"
else
	for dir in "$top"/tests/conformance/helm-kustomize/*/; do
		[ -d "$dir" ] || continue
		name=$(basename "$dir")
		case "$name" in *"$pattern"*) ;; *) continue ;; esac
		kubectl kustomize --enable-helm --helm-command "$ORACLE" "$dir" \
			>"$scratch/expect" 2>"$scratch/expect.err"
		krc=$?
		"$HOIST" render "$dir" >"$scratch/actual" 2>"$scratch/actual.err"
		hrc=$?
		if [ $krc -ne 0 ] && [ $hrc -ne 0 ] && [ $hrc -le 128 ] &&
			case "$name" in error-*) true ;; *) false ;; esac; then
			# error-* cases: both must refuse it.
			pass=$((pass + 1))
			echo "ok - helmCharts/$name (both refuse it)"
		elif [ $krc -ne 0 ] || [ $hrc -ne 0 ]; then
			fail=$((fail + 1))
			echo "not ok - helmCharts/$name: kubectl exited $krc, hoist $hrc"
			sed 's/^/#   /' "$scratch/expect.err" "$scratch/actual.err" | head -10
		elif cmp -s "$scratch/expect" "$scratch/actual"; then
			pass=$((pass + 1))
			echo "ok - helmCharts/$name"
		else
			fail=$((fail + 1))
			echo "not ok - helmCharts/$name: output differs (- kubectl kustomize, + hoist)"
			diff -u "$scratch/expect" "$scratch/actual" | head -40 | sed 's/^/#   /'
		fi
	done
fi
echo "# helmCharts: $pass passed, $fail failed"
total_pass=$((total_pass + pass))
total_fail=$((total_fail + fail))

# --- the shared corpus --------------------------------------------------------------
# run_source NAME SCRIPT ARGS...: runs a corpus script and takes its counts.
run_source() {
	src=$1
	shift
	"$@" >"$scratch/$src.out" 2>&1
	grep -E '^(FAIL|PASS)' "$scratch/$src.out" | grep -v '^PASS' | sed "s/^/# $src: /"
	counts=$(tail -n 1 "$scratch/$src.out")
	p=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
	f=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
	if [ -z "$p" ]; then
		echo "not ok - $src: the corpus script did not finish"
		tail -n 5 "$scratch/$src.out" | sed 's/^/#   /'
		total_fail=$((total_fail + 1))
		return
	fi
	echo "# $src: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

corpus=$shared/corpus/helm
if [ -z "$pattern" ] && [ -x "$corpus/charts/run_cases.sh" ]; then
	run_source charts bash "$corpus/charts/run_cases.sh" "$HOIST"
elif [ -z "$pattern" ]; then
	echo "# skip: charts (no ../shared/corpus/helm)"
fi
if [ -z "$pattern" ] && [ -f "$corpus/helm-goldens/run_goldens.sh" ]; then
	run_source goldens bash "$corpus/helm-goldens/run_goldens.sh" "$corpus/helm-goldens" "$HOIST"
elif [ -z "$pattern" ]; then
	echo "# skip: goldens (no ../shared/corpus/helm)"
fi

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
