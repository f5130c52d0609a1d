#!/bin/sh
# make demo: the main job on the embedded example, end to end.
#
# Renders templates/demo/podinfo, packs it into a reproducible artifact,
# pushes it to a local OCI image layout (demo-out/store), signs it, pulls it back and
# verifies it, and prints what happened at each step.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${HOIST_BUILD:-$top/build}
hoist="$B/hoist"
app="$top/templates/demo/podinfo"
out=${HOIST_DEMO_DIR:-$top/demo-out}
store="$out/store"

rm -rf "$out"
mkdir -p "$out"

echo "== render: $app"
"$hoist" render "$app" >"$out/manifests.yaml"
printf '   %s objects, %s bytes of canonical YAML -> %s\n' \
	"$(grep -c '^kind:' "$out/manifests.yaml")" "$(wc -c <"$out/manifests.yaml")" \
	"$out/manifests.yaml"

echo "== pack"
"$hoist" pack "$app" -o "$out/podinfo-1.0.0.tar.gz" --app podinfo --version 1.0.0 \
	--source https://example.com/acme/deploy --revision main@sha1:0000000000000000000000000000000000000000 \
	--created 2026-01-01T00:00:00Z | sed 's/^/   /'

echo "== push: oci-layout:$store:1.0.0"
"$hoist" push "$out/podinfo-1.0.0.tar.gz" "oci-layout:$store:1.0.0" | sed 's/^/   /'

echo "== sign (cosign's layout) and verify"
"$hoist" keygen --out "$out/demo" | sed "s/^/   keys: /"
"$hoist" sign "oci-layout:$store:1.0.0" --key "$out/demo.key" | sed 's/^/   /'
"$hoist" verify "oci-layout:$store:1.0.0" --key "$out/demo.pub" | sed 's/^/   /'

echo "== pull + verify"
"$hoist" pull "oci-layout:$store:1.0.0" -o "$out/pulled" --verify-key "$out/demo.pub" | sed 's/^/   /'
cmp "$out/manifests.yaml" "$out/pulled/manifests.yaml"
echo "   pulled manifests are byte-identical to the render"
"$hoist" inspect "$out/podinfo-1.0.0.tar.gz" | sed 's/^/   /'
echo "== done: artifact in $store (an OCI image layout; try: ls $store/blobs/sha256)"
