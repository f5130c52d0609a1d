#!/bin/bash
# The app document (GET /v1/apps/APP) and `sync: manual`: objects with
# health, sync history newest first that survives a restart; a manual app
# plans a new digest and applies nothing until an approval names that digest
# and the plan's hash; an approval made stale by a newer digest or by a
# live change is refused (409, the new plan shown) and changes nothing.
. "$(dirname "$0")/../lib.sh"

start_agent_env

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
{ ns man && cm man m v4 && cm man fresh v1; } >man4.yaml
{ ns frozen && cm frozen f v1; } >frozen1.yaml
artifact frozen 1.0.0 frozen1.yaml >frozen.digest
A1=$(artifact auto 1.0.0 auto1.yaml)
M1=$(artifact man 1.0.0 man1.yaml)

echo manual-token >token
PORT=$(free_port)
cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $KC
namespace: hoist-system
stateDir: $TRASH/state
listen: 127.0.0.1:$PORT
tokenFile: $TRASH/token
apps:
  - {name: auto, source: "$R/acme/auto:latest", interval: 1h, timeout: 30s}
  - {name: man, source: "$R/acme/man:latest", interval: 1h, timeout: 30s, sync: manual}
  - {name: frozen, source: "$R/acme/frozen:latest", interval: 1h, suspend: true}
EOF

start_agent() {
	rm -f addr
	"$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>>agent.log &
	echo $! >agent.pid
	test_cleanup "kill \$(cat '$TRASH/agent.pid') 2>/dev/null"
	wait_until 30 test -s addr && ADDR=$(cat addr)
}
# (The agent may stay a zombie of the top-level shell: wait for its port to close.)
stop_agent() {
	kill "$(cat agent.pid)" && wait_until 30 sh -c "! curl -s -o /dev/null http://$ADDR/healthz"
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
events_none() { ! grep "\"app\":\"$1\"" agent.log | grep -q "\"event\":\"$2\""; }
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
	# (The restarted agent may add its own first sync of A2 on top.)
	is auto "\" \".join([h[\"digest\"] for h in d[\"history\"]][-2:])" "$A2 $A1"
'

approve() { "$HOIST_BUILD/hoist-agent" approve "$@" -c agent.yaml; }
plan_hash() { py man "(d[\"plan\"] or {}).get(\"hash\")"; }

test_expect_success 'manual: a new digest is planned, nothing is applied, approval-needed once' '
	wait_until 60 is man "(d[\"plan\"] or {}).get(\"digest\")" "$M1" &&
	test_must_fail kc get namespace man &&
	doc man >man.json &&
	python3 - "$M1" <<-\PY &&
	import json, sys
	d = json.load(open("man.json"))
	p = d["plan"]
	assert d["sync"] == "manual" and p["digest"] == sys.argv[1], d
	assert p["hash"].startswith("sha256:") and len(p["hash"]) == 71, p
	acts = {(c["kind"], c["name"]): c["action"] for c in p["changes"]}
	assert acts == {("Namespace", "man"): "create", ("ConfigMap", "m"): "create",
	                ("ConfigMap", "gone"): "create"}, acts
	assert d["history"] == [] and d["result"] is None, d
	PY
	test "$(grep "\"app\":\"man\"" agent.log | grep -c "\"event\":\"approval-needed\"")" = 1 &&
	test "$(post /v1/apps/man/sync "")" = 202 &&
	sleep 2 &&
	test "$(grep "\"app\":\"man\"" agent.log | grep -c "\"event\":\"approval-needed\"")" = 1 &&
	test_must_fail kc get namespace man
'

test_expect_success 'manual: approving that digest and plan applies it, approvedBy in history' '
	approve man --digest "$M1" >out &&
	test_grep "approved $M1" out &&
	wait_until 60 cm_is man m v1 &&
	wait_until 30 is man "d[\"history\"][0][\"digest\"] if d[\"history\"] else None" "$M1" &&
	doc man >man.json &&
	python3 -c "
import json
d = json.load(open(\"man.json\"))
assert d[\"plan\"] is None, d[\"plan\"]
h = d[\"history\"][0]
assert h[\"result\"] == \"ok\" and h[\"approvedBy\"].startswith(\"hoist-agent approve\"), h
"
'

test_expect_success 'manual: the plan of a new digest has field-level diffs and prunes' '
	M2=$(artifact man 2.0.0 man2.yaml) && echo "$M2" >m2.digest &&
	test "$(post /v1/apps/man/sync "{\"digest\":\"$M2\"}")" = 202 &&
	wait_until 60 is man "(d[\"plan\"] or {}).get(\"digest\")" "$M2" &&
	doc man >man2.json &&
	python3 - <<-\PY &&
	import json
	p = json.load(open("man2.json"))["plan"]
	ch = {(c["kind"], c["name"]): c for c in p["changes"]}
	assert ch[("ConfigMap", "m")]["action"] == "update", ch
	assert ch[("ConfigMap", "m")]["diff"] == [{"path": "/data/v", "live": "v1", "want": "v2"}], ch[("ConfigMap", "m")]
	assert ch[("ConfigMap", "fresh")]["action"] == "create", ch
	assert ch[("ConfigMap", "gone")]["action"] == "prune", ch
	assert ch[("Namespace", "man")]["action"] == "unchanged" and ch[("Namespace", "man")]["diff"] == [], ch
	PY
	cm_is man m v1
'

test_expect_success 'manual: an approval made stale by a newer digest is refused, nothing changes' '
	H2=$(plan_hash) && M2=$(cat m2.digest) &&
	M3=$(artifact man 3.0.0 man3.yaml) && echo "$M3" >m3.digest &&
	test_must_fail approve man --digest "$M2" --plan "$H2" 2>err &&
	test_grep "stale" err && test_grep "$M3" err &&
	cm_is man m v1 && test_must_fail kc get configmap fresh -n man &&
	kc get configmap gone -n man &&
	is man "d[\"plan\"][\"digest\"]" "$M3" &&
	is man "d[\"history\"][0][\"digest\"]" "$M1"
'

test_expect_success 'manual: an approval made stale by a live change is refused (409, new plan shown)' '
	H3=$(plan_hash) && test -n "$H3" && M3=$(cat m3.digest) &&
	kc patch configmap m -n man --type merge -p "{\"data\":{\"v\":\"edited\"}}" &&
	test "$(post /v1/apps/man/sync "{\"digest\":\"$M3\",\"plan\":\"$H3\"}")" = 409 &&
	python3 - "$H3" "$M3" <<-\PY &&
	import json, sys
	r = json.load(open("reply.json"))
	assert r["error"] == "stale" and "live state changed" in r["message"], r
	assert r["plan"]["digest"] == sys.argv[2] and r["plan"]["hash"] != sys.argv[1], r
	m = [c for c in r["plan"]["changes"] if c["name"] == "m"][0]
	assert m["diff"] == [{"path": "/data/v", "live": "edited", "want": "v3"}], m
	PY
	cm_is man m edited && test_must_fail kc get configmap fresh -n man &&
	test "$(post /v1/apps/man/sync "{\"digest\":\"$M3\",\"plan\":\"$H3\"}" wrong-token)" = 401 &&
	test "$(post /v1/apps/man/sync "{\"plan\":\"$H3\"}")" = 400
'

test_expect_success 'manual: approving the new plan applies it and prunes' '
	M3=$(cat m3.digest) &&
	approve man --digest "$M3" --plan "$(plan_hash)" &&
	wait_until 60 cm_is man m v3 &&
	kc get configmap fresh -n man &&
	wait_until 30 sh -c "! kubectl --kubeconfig $KC get configmap gone -n man" &&
	wait_until 30 is man "d[\"history\"][0][\"digest\"]" "$M3"
'

test_expect_success 'suspend: the plan is shown, nothing is written, no approval is taken' '
	F=$(cat frozen.digest) &&
	wait_until 60 is frozen "(d[\"plan\"] or {}).get(\"digest\")" "$F" &&
	is frozen "d[\"suspended\"]" true &&
	is frozen "\",\".join(c[\"action\"] for c in d[\"plan\"][\"changes\"])" "create,create" &&
	test_must_fail kc get namespace frozen &&
	events_none frozen approval-needed &&
	H=$(py frozen "d[\"plan\"][\"hash\"]") &&
	test "$(post /v1/apps/frozen/sync "{\"digest\":\"$F\",\"plan\":\"$H\"}")" = 400 &&
	test "$(post /v1/apps/frozen/sync "")" = 409 &&
	test_must_fail kc get namespace frozen
'

test_expect_success 'webAuth: read: approve reads the pending plan with the token' '
	stop_agent &&
	sed -i "s/^tokenFile:/webAuth: read\ntokenFile:/" agent.yaml &&
	start_agent &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://$ADDR/v1/apps/man")" = 401 &&
	M4=$(artifact man 4.0.0 man4.yaml) &&
	test "$(post /v1/apps/man/sync "{\"digest\":\"$M4\"}")" = 202 &&
	wait_until 60 sh -c "curl -sf -H \"Authorization: Bearer manual-token\" http://$ADDR/v1/apps/man | grep -q $M4" &&
	approve man --digest "$M4" >out &&
	test_grep "approved $M4" out &&
	wait_until 60 cm_is man m v4
'

test_expect_success 'SIGTERM stops the agent cleanly (no sanitizer report)' '
	kill -TERM "$(cat agent.pid)" &&
	wait_until 30 grep -q "\"event\":\"stopped\"" agent.log &&
	sleep 2 &&
	! grep -n "Sanitizer\|runtime error" agent.log
'

test_done
