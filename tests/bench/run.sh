#!/bin/sh
# make bench: hoist against the reference tools on the same input, in one
# run, printed as ratios.  Wall time is the best of $RUNS runs; memory is
# the peak RSS (GNU time's %M).  No assertions: numbers are for people.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_OBJECTS:-5000}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$top/tests/bench/gen-objects.py" "$N" "$work/app"

# best_of NAME CMD...: best wall seconds and max RSS (KiB) over RUNS runs.
best_of() {
	name=$1
	shift
	best=""
	rss=0
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" ||
			{ echo "bench: $name failed:" >&2; cat "$work/err" >&2; return 1; }
		set -- "$@"
		t=$(cut -d' ' -f1 "$work/t")
		m=$(cut -d' ' -f2 "$work/t")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
		[ "$m" -gt "$rss" ] && rss=$m
		i=$((i + 1))
	done
	echo "$name $best $rss" >>"$work/results"
}

: >"$work/results"
echo "bench: $N objects in $(ls "$work/app" | grep -c yaml$) files, best of $RUNS"

best_of "hoist-render" "$B/hoist" render "$work/app"
best_of "hoist-render+pack" "$B/hoist" pack "$work/app" -o "$work/a.tgz" --app bench --version 1.0.0

if command -v kubectl >/dev/null 2>&1; then
	cp -r "$work/app" "$work/kapp"
	mv "$work/kapp/kustomization.yaml.ref" "$work/kapp/kustomization.yaml"
	best_of "kubectl-kustomize" kubectl kustomize "$work/kapp"
	# Same bytes, as the conformance suite checks on its corpus.
	"$B/hoist" render "$work/app" >"$work/h.yaml"
	kubectl kustomize "$work/kapp" >"$work/k.yaml"
	if cmp -s "$work/h.yaml" "$work/k.yaml"; then same=yes; else same=NO; fi
fi

best_of "tar-czf" tar --sort=name --mtime=@0 --owner=0 --group=0 -czf "$work/t.tgz" -C "$work" app

awk -v same="${same:-n/a}" '
	{ t[$1] = $2; m[$1] = $3; order[NR] = $1 }
	END {
		printf "%-20s %10s %10s\n", "tool", "seconds", "peak MiB"
		for (i = 1; i <= NR; i++)
			printf "%-20s %10.3f %10.1f\n", order[i], t[order[i]], m[order[i]] / 1024
		if ("kubectl-kustomize" in t) {
			printf "\nrender vs kubectl kustomize: %.1fx faster, %.1fx less memory (output identical: %s)\n",
				t["kubectl-kustomize"] / (t["hoist-render"] > 0 ? t["hoist-render"] : 0.001),
				m["kubectl-kustomize"] / m["hoist-render"], same
			printf "render+pack vs kubectl kustomize: %.1fx faster\n",
				t["kubectl-kustomize"] / (t["hoist-render+pack"] > 0 ? t["hoist-render+pack"] : 0.001)
		}
		printf "render+pack vs tar --sort=name -czf of the sources: %.2fx the time, %.1fx the memory\n",
			t["hoist-render+pack"] / (t["tar-czf"] > 0 ? t["tar-czf"] : 0.001),
			m["hoist-render+pack"] / m["tar-czf"]
	}' "$work/results"
HOIST_BUILD=$B bash "$top/tests/bench/hook.sh"
HOIST_BUILD=$B bash "$top/tests/bench/promote.sh"
HOIST_BUILD=$B bash "$top/tests/bench/kustomize.sh"
HOIST_BUILD=$B bash "$top/tests/bench/agent.sh"
HOIST_BUILD=$B bash "$top/tests/bench/drift.sh"
HOIST_BUILD=$B bash "$top/tests/bench/helm.sh"
HOIST_BUILD=$B bash "$top/tests/bench/remote.sh"
