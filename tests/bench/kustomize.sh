#!/bin/bash
# Part of make bench: a kustomize overlay on a generated base of N
# Deployments + Services (prefix, labels, annotations, images, a patch
# targeting every Deployment, a generated ConfigMap referenced by all),
# rendered by hoist's native engine and by kubectl kustomize.  The outputs
# are compared first; the times are the best of RUNS.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_KUSTOMIZE_OBJECTS:-1000}
RUNS=${BENCH_RUNS:-3}
command -v kubectl >/dev/null 2>&1 || { echo "kustomize bench: kubectl not found; skipped"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/base" "$work/overlay"
python3 - "$N" "$work/base" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
with open(d + "/objects.yaml", "w") as f:
    for i in range(n):
        f.write(f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
      - name: main
        image: registry.example.com/team/app:1.0.{i % 10}
        envFrom: [{{configMapRef: {{name: settings}}}}]
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
with open(d + "/kustomization.yaml", "w") as f:
    f.write("resources: [objects.yaml]\nconfigMapGenerator:\n- name: settings\n  literals: [MODE=prod, LEVEL=info]\n")
PY
cat >"$work/overlay/kustomization.yaml" <<'K'
resources: [../base]
namePrefix: prod-
namespace: production
commonLabels: {env: prod}
commonAnnotations: {owner: platform}
images:
- {name: registry.example.com/team/app, newTag: "2.0.0"}
patches:
- target: {kind: Deployment}
  patch: |
    - op: replace
      path: /spec/replicas
      value: 3
K

"$B/hoist" render "$work/overlay" >"$work/h.yaml"
kubectl kustomize "$work/overlay" >"$work/k.yaml" 2>/dev/null
if cmp -s "$work/h.yaml" "$work/k.yaml"; then same=yes; else same=NO; fi

best() {
	local b="" t0 t1 t i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
th=$(best "$B/hoist" render "$work/overlay")
tk=$(best kubectl kustomize "$work/overlay")
printf '\nkustomize overlay: %s Deployments + %s Services + a generated ConfigMap, best of %s\n' "$N" "$N" "$RUNS"
printf '%-28s %10.3f s\n' "hoist render" "$th" "kubectl kustomize" "$tk"
printf 'native engine vs kubectl kustomize: %.1fx faster (output identical: %s)\n' "$(echo "$tk / $th" | bc -l)" "$same"

# The real-world figure: every real overlay of ../shared/corpus (projects'
# own kustomizations, start-up bound), each rendered by both tools; the
# median of the per-kustomization best times.
corpus=${HOIST_CORPUS:-$top/../shared/corpus}/kustomize/real
if [ -f "$corpus/cases.txt" ]; then
	: >"$work/real"
	while read -r c; do
		[ -n "$c" ] || continue
		"$B/hoist" render "$corpus/$c" >/dev/null 2>&1 || continue
		kubectl kustomize "$corpus/$c" >/dev/null 2>&1 || continue
		echo "$(best "$B/hoist" render "$corpus/$c") $(best kubectl kustomize "$corpus/$c")" >>"$work/real"
	done <"$corpus/cases.txt"
	sort -n -k1 "$work/real" | awk '{h[NR] = $1} END {printf "%d %.1f\n", NR, NR ? 1000 * h[int((NR + 1) / 2)] : 0}' >"$work/mh"
	sort -n -k2 "$work/real" | awk '{k[NR] = $2} END {printf "%.1f\n", NR ? 1000 * k[int((NR + 1) / 2)] : 0}' >"$work/mk"
	read -r nreal mh <"$work/mh"
	read -r mk <"$work/mk"
	printf '\nreal overlays (%s from ../shared/corpus): median per kustomization, best of %s\n' "$nreal" "$RUNS"
	printf '%-28s %10s ms\n' "hoist render" "$mh" "kubectl kustomize" "$mk"
	[ "$nreal" -gt 0 ] && printf 'native engine vs kubectl kustomize: %.1fx faster\n' "$(echo "$mk / $mh" | bc -l)"
fi
