#!/bin/bash
# Across clusters (issue 14, acceptance 5): two clusters (two test API
# servers), each with its own `hoist-agent run`; `hoist status` asks both
# agents and prints environment x cluster x app with digest, health, drift
# and lag; an unreachable cluster is a row saying so (exit 1); `hoist
# promote` refuses while the source's clusters do not run the digest
# Healthy, naming cluster, app and health, and promotes once they do;
# --force overrides and is recorded in the history.
. "$(dirname "$0")/../lib.sh"

start_registry reg
start_apiserver east
start_apiserver west
R=$REGISTRY_reg

wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 600 ] || return 1
		sleep 0.1
	done
}

# agent NAME: starts `hoist-agent run` against API server NAME.
agent() {
	echo "token-$1" >"token-$1"
	cat >"agent-$1.yaml" <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $(eval echo "\$APISERVER_$1")
	stateDir: $TRASH/state-$1
	listen: 127.0.0.1:0
	tokenFile: $TRASH/token-$1
	apps:
	  - {name: web, source: "$R/acme/web:dev", interval: 1h, timeout: 3s}
	EOF
	"$HOIST_BUILD/hoist-agent" run -c "agent-$1.yaml" --addr-file "addr-$1" 2>"agent-$1.log" &
	echo $! >"agent-$1.pid"
	test_cleanup "kill \$(cat '$TRASH/agent-$1.pid') 2>/dev/null"
	wait_for test -s "addr-$1"
}
kc() { kubectl --kubeconfig "$(eval echo "\$APISERVER_$1")" "$2" "${@:3}"; }
# available NAME: the test API server runs no controllers; say the Deployment is available.
available() {
	gen=$(kc "$1" get deployment web -n web -o jsonpath={.metadata.generation}) &&
	kc "$1" patch deployment web -n web --subresource=status --type merge -p \
		"{\"status\":{\"observedGeneration\":$gen,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,\"availableReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"}]}}" >/dev/null
}
wake() {
	curl -sf -o /dev/null -X POST -H "Authorization: Bearer token-$1" \
		"http://$(cat "addr-$1")/v1/apps/web/sync"
}
# app_is NAME FIELD VALUE: the agent's status of web says so.
app_is() {
	curl -sf "http://$(cat "addr-$1")/v1/status" |
		python3 -c 'import json,sys; a=json.load(sys.stdin)["apps"][0]; sys.exit(str(a.get(sys.argv[1])) != sys.argv[2])' "$2" "$3"
}

test_expect_success 'setup: two clusters with an agent each; a repository naming both' '
	agent east && agent west &&
	git init -q repo && mkdir -p repo/apps/web &&
	cat >repo/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $R/acme
	apps:
	  - {name: web, path: apps/web}
	environments:
	  - {name: dev, branch: main, clusters: [east, west]}
	  - {name: prod, promoteFrom: dev}
	  - {name: eu, promoteFrom: dev}
	  - {name: lab, promoteFrom: dev, clusters: [gone]}
	clusters:
	  east: {endpoint: "http://$(cat addr-east)", tokenEnv: EAST_TOKEN}
	  west: {endpoint: "http://$(cat addr-west)", tokenEnv: WEST_TOKEN}
	  gone: {endpoint: "http://127.0.0.1:$(free_port)"}
	EOF
	cat >repo/apps/web/objects.yaml <<-\EOF &&
	apiVersion: v1
	kind: Namespace
	metadata: {name: web}
	---
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: web}
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers: [{name: c, image: "example.invalid/web:1"}]
	EOF
	git -C repo add . && git -C repo commit -qm one &&
	EAST_TOKEN=token-east WEST_TOKEN=token-west hoist publish --repo repo >pub 2>pub.err &&
	awk "/^web dev/ {print \$6}" pub >digest && grep -q "^sha256:" digest &&
	wait_for app_is east digest "$(cat digest)" &&
	wait_for app_is west digest "$(cat digest)" &&
	app_is east health Progressing && app_is west health Progressing
'

test_expect_success 'hoist status prints environment x cluster x app; an unreachable cluster is a row' '
	d=$(cat digest) && short=sha256:$(echo "${d#sha256:}" | cut -c1-12) &&
	test_expect_code 1 hoist status --repo repo >table 2>err &&
	cat table &&
	test_grep "^ENVIRONMENT *CLUSTER *APP *DIGEST *HEALTH *DRIFT *LAG$" table &&
	test_grep "^dev *east *web *$short *Progressing *0 *current$" table &&
	test_grep "^dev *west *web *$short *Progressing *0 *current$" table &&
	test_grep "^lab *gone *unreachable: " table &&
	test_grep "1 cluster(s) could not be asked" err &&
	test "$(wc -l <table)" = 4 &&
	hoist status --repo repo --env dev --json >status.json &&
	python3 - "$d" <<-\PY
	import json, sys
	rows = json.load(open("status.json"))["rows"]
	assert [(r["environment"], r["cluster"], r["app"]) for r in rows] == \
	    [("dev", "east", "web"), ("dev", "west", "web")], rows
	for r in rows:
	    assert r["reachable"] is True and r["digest"] == sys.argv[1], r
	    assert r["health"] == "Progressing" and r["tagDigest"] == sys.argv[1], r
	    assert r["lag"] == 0 and r["drifted"] == 0, r
	PY
'

test_expect_success 'promote refuses while the source clusters are not Healthy, naming them' '
	test_expect_code 1 hoist promote web --to prod --repo repo 2>err &&
	cat err &&
	test_grep "refused: web@$(cat digest) is not Healthy everywhere in dev" err &&
	test_grep "cluster east: web is Progressing" err &&
	test_grep "cluster west: web is Progressing" err &&
	test_grep "(--force overrides)" err &&
	available east && wake east &&
	wait_for app_is east health Healthy &&
	test_expect_code 1 hoist promote web --to prod --repo repo 2>err &&
	! grep -q "cluster east" err &&
	test_grep "cluster west: web is Progressing" err &&
	{ hoist history web --env prod --repo repo >hist 2>&1 || true; } &&
	! grep -q " promote" hist
'

test_expect_success '--force overrides the gate and is recorded in the history' '
	hoist promote web --to eu --repo repo --force --json >forced 2>err &&
	test_grep "forced past the health gate of dev" err &&
	test_grep "\"forced\":true" forced &&
	hoist history web --env eu --repo repo >hist &&
	test_grep "promote --force" hist
'

test_expect_success 'once every source cluster runs it Healthy, promote succeeds' '
	available west && wake west &&
	wait_for app_is west health Healthy &&
	hoist status --repo repo --env dev >table &&
	test "$(grep -c " Healthy " table)" = 2 &&
	hoist promote web --to prod --repo repo >out &&
	test_grep "^web $R/acme/web:dev -> $R/acme/web:prod $(cat digest)$" out &&
	hoist history web --env prod --repo repo >hist &&
	test_grep " promote " hist && ! grep -q "promote --force" hist
'

test_expect_success 'a cluster the tag has moved past shows its lag' '
	sed -i "s/replicas: 1/replicas: 2/" repo/apps/web/objects.yaml &&
	git -C repo commit -qam two &&
	# No tokens: the tag moves, the agents are not told (their interval is an hour).
	{ hoist publish --repo repo >pub2 2>pub2.err || true; } &&
	d2=$(awk "/^web dev/ {print \$6}" pub2) && test -n "$d2" && test "$d2" != "$(cat digest)" &&
	hoist status --repo repo --env dev >table &&
	cat table &&
	test "$(grep -c "^dev .* web .* Healthy *0 *1 behind$" table)" = 2 &&
	hoist status --repo repo --env dev --json >status.json &&
	python3 - "$d2" <<-\PY
	import json, sys
	for r in json.load(open("status.json"))["rows"]:
	    assert r["lag"] == 1 and r["tagDigest"] == sys.argv[1], r
	PY
'

test_done
