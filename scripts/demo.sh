#!/bin/sh
# make demo: the main job on the embedded example, end to end.
#
# Renders templates/demo/podinfo, packs it into a reproducible artifact,
# pushes it to a local OCI image layout (demo-out/store), signs it, pulls it back and
# verifies it; then hoist-agent verifies the signature again and applies the
# artifact to the project's test Kubernetes API server (tests/apiserver/),
# waiting for health.  Prints what happened at each step.
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
echo "   artifact in $store (an OCI image layout; try: ls $store/blobs/sha256)"

# The agent applies the same artifact to a Kubernetes API server: the
# project's test server (tests/apiserver/, real server-side apply semantics,
# no controllers), so the demo plays the Deployment controller itself.
echo "== agent: hoist-agent sync podinfo --once (verify, apply in stages, wait for health)"
apiserver="$B/tests/hoist-test-apiserver"
if [ ! -x "$apiserver" ]; then
	echo "   building the test API server (Go, offline, tests/apiserver/build.sh)"
	sh "$top/tests/apiserver/build.sh" "$apiserver" >/dev/null
fi
token=demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
"$apiserver" --listen 127.0.0.1:0 --port-file "$out/apiserver.port" --token "$token" \
	--kubeconfig "$out/kubeconfig" >"$out/apiserver.log" 2>&1 &
apiserver_pid=$!
trap 'kill $apiserver_pid 2>/dev/null || true' EXIT
i=0
while [ ! -s "$out/apiserver.port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$out/apiserver.log" >&2; exit 1; }
	sleep 0.1
done
api="https://127.0.0.1:$(cat "$out/apiserver.port")"
sed -n 's/^ *certificate-authority-data: //p' "$out/kubeconfig" | base64 -d >"$out/apiserver-ca.crt"
echo "   test API server on $api (kubeconfig: $out/kubeconfig)"
mkdir -p "$out/agent-state"
cat >"$out/agent.yaml" <<AGENT
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $out/kubeconfig
namespace: hoist-system
stateDir: $out/agent-state
apps:
  - name: podinfo
    source: oci-layout:$store:1.0.0
    verifyKey: $out/demo.pub
    timeout: 60s
AGENT
"$B/hoist-agent" sync podinfo --once -c "$out/agent.yaml" >"$out/agent.out" 2>"$out/agent.log" &
agent_pid=$!
# The Deployment controller's part: once the Deployment is there, report
# its rollout complete through the status subresource.
deploy="$api/apis/apps/v1/namespaces/podinfo/deployments/podinfo"
api_curl() { curl -sf --cacert "$out/apiserver-ca.crt" -H "Authorization: Bearer $token" "$@"; }
i=0
until api_curl -o "$out/deployment.json" "$deploy"; do
	i=$((i + 1))
	[ $i -lt 300 ] || break
	sleep 0.1
done
python3 - "$out/deployment.json" >"$out/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = d["spec"].get("replicas", 1)
print(json.dumps({"status": {"observedGeneration": d["metadata"]["generation"], "replicas": n,
    "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}}))
PY
api_curl -o /dev/null -X PATCH -H "Content-Type: application/merge-patch+json" \
	--data-binary @"$out/status.json" "$deploy/status"
echo "   (the demo marked Deployment podinfo/podinfo available, as its controller would)"
rc=0
wait $agent_pid || rc=$?
python3 - "$out/agent.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        print("   " + line.rstrip())
        continue
    if e.get("event") in ("artifact", "created", "configured", "updated", "pruned", "health", "sync-succeeded", "sync-failed"):
        print("   %-10s %s" % (e["event"], e.get("message") or ""))
PY
sed 's/^/   /' "$out/agent.out"
[ $rc -eq 0 ] || { echo "   the agent's sync failed (exit $rc); see $out/agent.log" >&2; exit 1; }
echo "== done: the artifact is applied, verified and healthy (the test API server stops with the demo)"
