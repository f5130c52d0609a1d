#!/bin/bash
# Part of make bench: `hoist template` against the helm oracle (Helm's own
# text/template + Sprig, built from ../shared/tools/helm-oracle), one
# process per chart case as pipelines run it:
#   - every case of ../shared/corpus/helm/charts (summed wall time, the
#     largest peak RSS, and whether the outputs are identical);
#   - the largest case alone, best of RUNS;
#   - start-up: a bare C program, `hoist version`, `hoist render` of a
#     one-file folder and `hoist template` of a one-template chart, in ms.
# Numbers are printed, never asserted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
HOIST=$B/hoist
RUNS=${BENCH_RUNS:-3}
shared=$(cd "$top/.." && pwd)/shared
corpus=$shared/corpus/helm/charts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ORACLE=${HELM_ORACLE:-$B/helm-oracle/helm-oracle}
if [ ! -x "$ORACLE" ] && [ -f "$shared/tools/helm-oracle/main.go" ] && command -v go >/dev/null; then
	mkdir -p "$B/helm-oracle"
	(cd "$shared/tools/helm-oracle" && GO111MODULE=off GOPATH=/usr/share/gocode \
		GOCACHE="$B/helm-oracle/gocache" go build -o "$ORACLE" .) >/dev/null 2>&1
fi
if [ ! -x "$ORACLE" ] || [ ! -f "$corpus/cases.tsv" ]; then
	echo "helm bench: needs ../shared (the chart corpus and the oracle's source) and Go; skipped"
	exit 0
fi

# run TOOL ID CHART REL NS ARGS: one render; appends "seconds rss" to $work/TOOL.
run() {
	tool=$1 id=$2 chart=$3 rel=$4 ns=$5
	shift 5
	bin=$HOIST
	[ "$tool" = oracle ] && bin=$ORACLE
	# shellcheck disable=SC2068
	(cd "$corpus" && /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$bin" template "$rel" "$chart" \
		-n "$ns" $@ >"$work/$tool-$id.yaml" 2>/dev/null)
	cat "$work/t" >>"$work/$tool"
}

: >"$work/hoist"
: >"$work/oracle"
same=0
n=0
largest="" lsize=0
while IFS=$'\t' read -r id chart rel ns args; do
	run hoist "$id" "$chart" "$rel" "$ns" $args
	run oracle "$id" "$chart" "$rel" "$ns" $args
	cmp -s "$work/hoist-$id.yaml" "$work/oracle-$id.yaml" && same=$((same + 1))
	n=$((n + 1))
	size=$(wc -c <"$work/oracle-$id.yaml")
	if [ "$size" -gt "$lsize" ]; then
		lsize=$size
		largest="$id	$chart	$rel	$ns	$args"
	fi
done <"$corpus/cases.tsv"

# Wall seconds, peak RSS, and CPU seconds (user + system: steadier on a busy machine).
sum() { awk '{ t += $1; if ($2 > m) m = $2; c += $3 + $4 } END { printf "%.3f %d %.3f\n", t, m, c }' "$1"; }
read -r ht hm hc <<<"$(sum "$work/hoist")"
read -r ot om oc <<<"$(sum "$work/oracle")"
echo "helm: $n chart cases, one process each (outputs identical: $same of $n)"
printf "%-22s %10s %10s %10s\n" "tool" "seconds" "CPU s" "peak MiB"
printf "%-22s %10.3f %10.3f %10.1f\n" "hoist template" "$ht" "$hc" "$(echo "$hm / 1024" | bc -l)"
printf "%-22s %10.3f %10.3f %10.1f\n" "helm oracle" "$ot" "$oc" "$(echo "$om / 1024" | bc -l)"
printf "all cases: hoist %.1fx faster (%.1fx less CPU), %.1fx less peak memory\n" \
	"$(echo "$ot / ($ht + 0.0001)" | bc -l)" "$(echo "$oc / ($hc + 0.0001)" | bc -l)" \
	"$(echo "$om / $hm" | bc -l)"

IFS=$'\t' read -r id chart rel ns args <<<"$largest"
best() {
	: >"$work/$1"
	for _ in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		run "$1" big "$chart" "$rel" "$ns" $args
	done
	sort -n "$work/$1" | head -n 1 | cut -d" " -f1,2
}
read -r hb hbm <<<"$(best hoist)"
read -r ob obm <<<"$(best oracle)"
echo "largest case alone ($id, $(echo "$lsize / 1024" | bc) KiB of output), best of $RUNS:"
printf "  hoist %.3f s %.1f MiB, oracle %.3f s %.1f MiB: %.1fx faster, %.1fx less memory\n" \
	"$hb" "$(echo "$hbm / 1024" | bc -l)" "$ob" "$(echo "$obm / 1024" | bc -l)" \
	"$(echo "$ob / ($hb + 0.0001)" | bc -l)" "$(echo "$obm / $hbm" | bc -l)"

# Start-up: what one process costs before any work, 50 runs each.
printf 'int main(void) { return 0; }\n' >"$work/bare.c"
cc -O2 -o "$work/bare" "$work/bare.c"
mkdir -p "$work/small" "$work/chart/templates"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n' >"$work/small/cm.yaml"
printf 'apiVersion: v2\nname: small\nversion: 0.1.0\n' >"$work/chart/Chart.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n' >"$work/chart/templates/cm.yaml"
ms() {
	start=$(date +%s%N)
	for _ in $(seq 50); do "$@" >/dev/null 2>&1; done
	echo "$(( ($(date +%s%N) - start) / 50000 ))"
}
printf "start-up, ms per process (50 runs): bare C %s.%s, hoist version %s.%s, hoist render (1 file) %s.%s, hoist template (1 template) %s.%s, oracle template %s.%s\n" \
	$(for c in "$work/bare" "$HOIST version" "$HOIST render $work/small" \
		"$HOIST template r $work/chart" "$ORACLE template r $work/chart"; do
		# shellcheck disable=SC2086
		v=$(ms $c); echo "$((v / 1000)) $(printf %03d $((v % 1000)))"
	done)
