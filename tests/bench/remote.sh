#!/bin/bash
# Part of make bench: an overlay whose base is a remote Git repository
# (served at a tag by the real `git http-backend` behind tests/remoteserver.py
# on 127.0.0.1) plus an HTTP file, rendered with a cold cache (fetch with
# libgit2, then build) and a warm one (no network), and by kubectl kustomize
# (which clones with the git binary every time).  Outputs are compared first;
# times are the best of RUNS.  Printed, never asserted.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_REMOTE_OBJECTS:-500}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$work/srv/git/org" "$work/srv/files" "$work/up/base" "$work/app"

python3 - "$N" "$work/up/base" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
with open(d + "/objects.yaml", "w") as f:
    for i in range(n):
        f.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v{i}\n")
with open(d + "/kustomization.yaml", "w") as f:
    f.write("resources: [objects.yaml]\ncommonLabels: {tier: base}\n")
PY
git -C "$work/up" init -q && git -C "$work/up" add . &&
	git -C "$work/up" -c user.name=b -c user.email=b@example.com commit -qm base &&
	git -C "$work/up" tag v1.0.0
git clone -q --bare "$work/up" "$work/srv/git/org/base.git"
printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n" >"$work/srv/files/extra.yaml"

python3 "$top/tests/remoteserver.py" --root "$work/srv" --ready "$work/ready" --log "$work/log" \
	>"$work/server.err" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 300); do [ -s "$work/ready" ] && break; sleep 0.1; done
port=$(cat "$work/ready")
S=127.0.0.1:$port
printf "resources:\n- http://$S/git/org/base.git//base?ref=v1.0.0\n- http://$S/extra.yaml\nnamePrefix: o-\n" \
	>"$work/app/kustomization.yaml"
H() { "$B/hoist" render "$work/app" --allow-remote "$S" --allow-floating "$@"; }

ms() { python3 -c 'import time; print(int(time.monotonic()*1000))'; }
best=""
cold() {
	local b="" i t0 t1
	for i in $(seq "$RUNS"); do
		rm -rf "$work/cache"
		t0=$(ms); HOIST_CACHE_DIR="$work/cache" H >/dev/null; t1=$(ms)
		if [ -z "$b" ] || [ $((t1 - t0)) -lt "$b" ]; then b=$((t1 - t0)); fi
	done
	best=$b
}
warm() {
	local b="" i t0 t1
	HOIST_CACHE_DIR="$work/cache" H >/dev/null
	for i in $(seq "$RUNS"); do
		t0=$(ms); HOIST_CACHE_DIR="$work/cache" H --offline >/dev/null; t1=$(ms)
		if [ -z "$b" ] || [ $((t1 - t0)) -lt "$b" ]; then b=$((t1 - t0)); fi
	done
	best=$b
}
cold; c=$best
warm; w=$best
echo "remote bench: a Git base of $N objects at a tag + an HTTP file, best of $RUNS"
echo "hoist render, cold cache (fetch + build): ${c} ms"
echo "hoist render, warm cache (--offline):     ${w} ms"
if command -v kubectl >/dev/null 2>&1; then
	HOIST_CACHE_DIR="$work/cache" H >"$work/h.yaml"
	kubectl kustomize "$work/app" >"$work/k.yaml" 2>/dev/null
	if cmp -s "$work/h.yaml" "$work/k.yaml"; then same=yes; else same=NO; fi
	k=""
	for i in $(seq "$RUNS"); do
		t0=$(ms); kubectl kustomize "$work/app" >/dev/null 2>&1; t1=$(ms)
		if [ -z "$k" ] || [ $((t1 - t0)) -lt "$k" ]; then k=$((t1 - t0)); fi
	done
	echo "kubectl kustomize (clones every time):   ${k} ms (output identical: $same)"
	awk -v c="$c" -v w="$w" -v k="$k" 'BEGIN {
		printf "cold/warm: %.1fx; kubectl kustomize vs hoist cold: %.1fx, vs warm: %.1fx\n",
			c / (w > 0 ? w : 1), k / (c > 0 ? c : 1), k / (w > 0 ? w : 1) }'
else
	awk -v c="$c" -v w="$w" 'BEGIN { printf "cold/warm: %.1fx\n", c / (w > 0 ? w : 1) }'
fi
