#!/bin/bash
# The app document (GET /v1/apps/APP) and `sync: manual`: objects with
# health, sync history newest first that survives a restart; a manual app
# plans a new digest and applies nothing until an approval names that digest
# and the plan's hash; an approval made stale by a newer digest or by a
# live change is refused (409, the new plan shown) and changes nothing.
. "$(dirname "$0")/../lib.sh"

start_registry reg
start_apiserver k
KC=$APISERVER_k
R=$REGISTRY_reg
kc() { kubectl --kubeconfig "$KC" "$@"; }

artifact() { # NAME VERSION OBJECTS-FILE: pushes acme/NAME:latest, prints the digest
	rm -rf "src-$1" && mkdir "src-$1" && cp "$3" "src-$1/objects.yaml" &&
	hoist pack "src-$1" -o "$1-$2.tgz" --app "$1" --version "$2" >/dev/null &&
	hoist push "$1-$2.tgz" "$R/acme/$1:latest" 2>&1 | sed -n "s/.* \(sha256:[0-9a-f]*\).*/\1/p" | tail -1
}
cm() { # NAMESPACE NAME VALUE
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  v: "%s"\n' "$2" "$1" "$3"
}
ns() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"; }

{ ns auto && cm auto a v1; } >auto1.yaml
{ ns auto && cm auto a v2; } >auto2.yaml
{ ns man && cm man m v1 && cm man gone v1; } >man1.yaml
{ ns man && cm man m v2 && cm man fresh v1; } >man2.yaml
{ ns man && cm man m v3 && cm man fresh v1; } >man3.yaml
A1=$(artifact auto 1.0.0 auto1.yaml)
M1=$(artifact man 1.0.0 man1.yaml)

echo manual-token >token
cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $KC
namespace: hoist-system
stateDir: $TRASH/state
listen: 127.0.0.1:0
tokenFile: $TRASH/token
apps:
  - {name: auto, source: "$R/acme/auto:latest", interval: 1h, timeout: 30s}
  - {name: man, source: "$R/acme/man:latest", interval: 1h, timeout: 30s, sync: manual}
EOF

start_agent() {
	rm -f addr
	"$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>>agent.log &
	echo $! >agent.pid
	test_cleanup "kill \$(cat '$TRASH/agent.pid') 2>/dev/null"
	wait_until 30 test -s addr && ADDR=$(cat addr)
}
stop_agent() {
	kill "$(cat agent.pid)" && wait_until 30 sh -c "! kill -0 $(cat agent.pid) 2>/dev/null"
}
doc() { curl -sf "http://$ADDR/v1/apps/$1"; }
# py APP EXPR: evaluates a Python expression over the app document `d`.
py() {
	doc "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print("" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}
is() { test "$(py "$1" "$2")" = "$3"; }
post() { # PATH BODY [TOKEN]: prints the HTTP status, reply in reply.json
	curl -s -o reply.json -w "%{http_code}" -X POST -H "Authorization: Bearer ${3:-manual-token}" \
		--data "$2" "http://$ADDR$1"
}
cm_is() { test "$(kc get configmap "$2" -n "$1" -o jsonpath={.data.v})" = "$3"; }

start_agent

test_expect_success 'an auto app: the document lists its objects with health and a history entry' '
	wait_until 60 is auto "d[\"result\"]" ok &&
	doc auto >auto.json &&
	python3 - "$A1" <<-\PY
	import json, sys
	d = json.load(open("auto.json"))
	for k in ("name", "source", "sync", "drift", "suspended", "digest", "revision", "version",
	          "lastSync", "result", "message", "health", "objects", "plan", "history"):
	    assert k in d, k
	assert d["sync"] == "auto" and d["drift"] == "correct" and d["suspended"] is False, d
	assert d["plan"] is None, d["plan"]
	objs = {(o["kind"], o["namespace"], o["name"]): o for o in d["objects"]}
	assert set(objs) == {("Namespace", None, "auto"), ("ConfigMap", "auto", "a")}, objs
	for o in objs.values():
	    assert o["health"] == "Healthy" and o["drift"] is None and o["apiVersion"] == "v1", o
	assert len(d["history"]) == 1, d["history"]
	h = d["history"][0]
	assert h["digest"] == sys.argv[1] and h["result"] == "ok" and h["applied"] == 2, h
	assert h["started"].endswith("Z") and h["finished"].endswith("Z") and h["health"] == "Healthy", h
	assert "approvedBy" not in h, h
	PY
'

test_expect_success '/v1/status entries carry sync, drift and drifted' '
	curl -sf "http://$ADDR/v1/status" >status.json &&
	python3 -c "
import json
st = {a[\"name\"]: a for a in json.load(open(\"status.json\"))[\"apps\"]}
assert st[\"auto\"][\"sync\"] == \"auto\" and st[\"man\"][\"sync\"] == \"manual\", st
assert st[\"auto\"][\"drift\"] == \"correct\" and st[\"auto\"][\"drifted\"] == 0, st
"
'

test_expect_success 'history is newest first and survives a restart' '
	A2=$(artifact auto 2.0.0 auto2.yaml) &&
	test "$(post /v1/apps/auto/sync "{\"digest\":\"$A2\"}")" = 202 &&
	wait_until 60 cm_is auto a v2 &&
	wait_until 30 is auto "len(d[\"history\"])" 2 &&
	stop_agent && start_agent &&
	is auto "d[\"history\"][0][\"digest\"]" "$A2" &&
	is auto "d[\"history\"][1][\"digest\"]" "$A1"
'

test_done
