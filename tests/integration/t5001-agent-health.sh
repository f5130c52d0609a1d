#!/bin/bash
# hoist-agent waits for health (kstatus rules) and fails a sync whose
# objects do not become healthy within the app's timeout, naming them
# (acceptance 2 of the agent's issue).  The test API server runs no
# controllers: the test plays the Deployment controller by writing the
# status subresource.
. "$(dirname "$0")/../lib.sh"

start_registry R || exit 1
start_apiserver K || exit 1
export KUBECONFIG="$APISERVER_K"
REF="$REGISTRY_R/apps/web:prod"

cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $APISERVER_K
stateDir: $TRASH/state
apps:
  - name: web
    source: $REF
    namespace: web
    timeout: 3s
EOF

mkdir -p app
cat >app/all.yaml <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: nginx:1.25}]
EOF
hoist pack app -o web.tgz --app web --version 1.0.0 >/dev/null &&
hoist push web.tgz "$REF" >/dev/null 2>&1 || exit 1

# set_status JSON: writes the Deployment's status through its subresource.
set_status() {
	kubectl patch deployment api -n web --subresource=status --type merge -p "$1" >/dev/null
}

test_expect_success 'a Deployment that never becomes available fails the sync after the timeout, named' '
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>err &&
	test_grep "error: web: health check timed out after 3s: Deployment web/api: " err &&
	test_grep "\"event\":\"sync-failed\"" err &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml --json >status.json &&
	python3 -c "import json; a=json.load(open(\"status.json\"))[\"apps\"][0]; assert a[\"health\"] == \"Progressing\" and a[\"result\"] == \"error\", a"
'

test_expect_success 'replicas that exist but are not available yet still fail, with the counts' '
	gen=$(kubectl get deployment api -n web -o jsonpath={.metadata.generation}) &&
	set_status "{\"status\":{\"observedGeneration\":$gen,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":1,\"availableReplicas\":1}}" &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>err &&
	test_grep "Deployment web/api: 1 of 2 replicas available" err
'

test_expect_success 'once the status says available, the same sync is Healthy and exits 0' '
	gen=$(kubectl get deployment api -n web -o jsonpath={.metadata.generation}) &&
	set_status "{\"status\":{\"observedGeneration\":$gen,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"}]}}" &&
	"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>err &&
	test_grep "2 objects: 0 applied, 2 unchanged, 0 pruned; Healthy" out &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml --json >status.json &&
	python3 -c "import json; a=json.load(open(\"status.json\"))[\"apps\"][0]; assert a[\"health\"] == \"Healthy\" and a[\"result\"] == \"ok\", a"
'

test_expect_success 'a Deployment past its progress deadline fails at once, not at the timeout' '
	gen=$(kubectl get deployment api -n web -o jsonpath={.metadata.generation}) &&
	set_status "{\"status\":{\"observedGeneration\":$gen,\"replicas\":2,\"updatedReplicas\":1,\"readyReplicas\":1,\"availableReplicas\":1,\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet api-1 has timed out progressing.\"}]}}" &&
	sed -i "s/timeout: 3s/timeout: 10m/" agent.yaml &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>err &&
	test_grep "error: web: Deployment web/api: progress deadline exceeded" err &&
	! grep "timed out after" err
'

test_done
