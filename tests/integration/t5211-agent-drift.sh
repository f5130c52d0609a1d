#!/bin/bash
# Drift through watches, with interval 1h so that only a watch can see it:
# a kubectl-style edit of a field the agent owns (another field manager's
# Update) is reported with its field-level diff and corrected (drift:
# correct) or only reported (drift: notify), once; fields another manager
# owns and defaulted fields are never drift; a deleted object is;
# ignoreDifferences and accept-drift silence a field (kept across a restart).
. "$(dirname "$0")/../lib.sh"

start_agent_env

artifact() { # NAME VERSION OBJECTS-FILE
	rm -rf "src-$1" && mkdir "src-$1" && cp "$3" "src-$1/objects.yaml" &&
	hoist pack "src-$1" -o "$1-$2.tgz" --app "$1" --version "$2" >/dev/null &&
	hoist push "$1-$2.tgz" "$R/acme/$1:latest" 2>&1 | sed -n "s/.* \(sha256:[0-9a-f]*\).*/\1/p" | tail -1
}
cm() { # NAMESPACE NAME VALUE
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  v: "%s"\n' "$2" "$1" "$3"
}
ns() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"; }
deploy() { # NAMESPACE NAME: no replicas (an autoscaler's), fields the server defaults
	printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      containers:\n      - name: c\n        image: example.invalid/app:1\n' "$2" "$1" "$2" "$2"
}

{ ns fix && cm fix c v1 && cm fix ign v1 && deploy fix web; } >fix.yaml
{ ns note && cm note c v1 && cm note d v1; } >note.yaml
artifact fix 1.0.0 fix.yaml >/dev/null
artifact note 1.0.0 note.yaml >/dev/null

echo drift-token >token
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
  - name: fix
    source: "$R/acme/fix:latest"
    interval: 1h
    timeout: 2s
    ignoreDifferences:
      - {kind: ConfigMap, name: ign, jsonPointers: [/data/v]}
  - {name: note, source: "$R/acme/note:latest", interval: 1h, timeout: 30s, drift: notify}
EOF

# Watches of 2 s: the server ends them all the time, and the agent reopens
# them from their resourceVersion (the real server's end comes after minutes).
start_agent() {
	HOIST_WATCH_TIMEOUT=2 "$HOIST_BUILD/hoist-agent" run -c agent.yaml 2>>agent.log &
	echo $! >agent.pid
	test_cleanup "kill \$(cat '$TRASH/agent.pid') 2>/dev/null"
	ADDR=127.0.0.1:$PORT
	wait_until 30 curl -sf -o /dev/null "http://$ADDR/healthz"
}
doc() { curl -sf "http://$ADDR/v1/apps/$1"; }
py() {
	doc "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print("" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}
is() { test "$(py "$1" "$2")" = "$3"; }
# events APP EVENT [TEXT [TEXT2]]: how many such log lines (holding both texts)
events() {
	grep "\"app\":\"$1\"" agent.log | grep "\"event\":\"$2\"" | grep -F -e "${3:-\"}" |
		grep -c -F -e "${4:-\"}"
}
has_events() { test "$(events "$@")" -ge 1; }
# recreated N: ConfigMap fix/c came back by drift correction, or by a sync
# (one more "created" line than N).
recreated() {
	has_events fix drift-corrected "ConfigMap fix/c" re-created ||
		test "$(events fix created "ConfigMap fix/c")" -gt "$1"
}
events_are() { # N APP EVENT [TEXT [TEXT2]]
	_n=$1
	shift
	test "$(events "$@")" = "$_n"
}
cm_is() { test "$(kc get configmap "$2" -n "$1" -o jsonpath={.data.v})" = "$3"; }

start_agent

test_expect_success 'both apps are applied and watched (interval 1h: no second sync)' '
	wait_until 60 is note "d[\"result\"]" ok &&
	wait_until 60 is fix "len(d[\"objects\"])" 4 &&
	cm_is fix c v1 && cm_is note c v1 &&
	is note "d[\"drifted\"]" 0 && is fix "d[\"drifted\"]" 0
'

test_expect_success 'drift: correct: an edit of an owned field is reported with its diff and undone' '
	t0=$(now_ms) &&
	kc patch configmap c -n fix --type merge -p "{\"data\":{\"v\":\"edited\"}}" &&
	wait_until 30 has_events fix drift-detected "ConfigMap fix/c" "/data/v: live" &&
	echo "drift reported after $(( $(now_ms) - t0 )) ms" &&
	wait_until 30 has_events fix drift-corrected "ConfigMap fix/c" re-applied &&
	cm_is fix c v1 &&
	events_are 1 fix drift-detected "ConfigMap fix/c" "edited" &&
	events_are 1 fix drift-detected "ConfigMap fix/c" "want" &&
	wait_until 10 is fix "d[\"drifted\"]" 0 &&
	test "$(events fix sync-started)" = 1
'

test_expect_success 'drift: notify: reported once with the field-level diff, not undone' '
	kc patch configmap c -n note --type merge -p "{\"data\":{\"v\":\"edited\"}}" &&
	wait_until 30 has_events note drift-detected "ConfigMap note/c" &&
	cm_is note c edited &&
	wait_until 10 is note "d[\"drifted\"]" 1 &&
	doc note >note.json &&
	python3 - <<-\PY &&
	import json
	d = json.load(open("note.json"))
	o = [o for o in d["objects"] if o["name"] == "c"][0]
	assert o["drift"]["deleted"] is False and o["drift"]["since"].endswith("Z"), o
	assert o["drift"]["diff"] == [{"path": "/data/v", "live": "edited", "want": "v1"}], o
	PY
	curl -sf "http://$ADDR/v1/status" | grep -q "\"drifted\":1" &&
	kc annotate configmap c -n note other=manager &&
	kc patch configmap d -n note --type merge -p "{\"data\":{\"v\":\"edited-d\"}}" &&
	wait_until 30 has_events note drift-detected "ConfigMap note/d" &&
	events_are 1 note drift-detected "ConfigMap note/c" &&
	events_are 0 note drift-corrected
'

test_expect_success 'fields of another manager, defaults and ignoreDifferences are not drift' '
	kc patch deployment web -n fix --type merge -p "{\"spec\":{\"replicas\":5}}" --field-manager=autoscaler &&
	kc patch configmap c -n fix --type merge -p "{\"data\":{\"other\":\"theirs\"}}" --field-manager=other &&
	kc patch configmap ign -n fix --type merge -p "{\"data\":{\"v\":\"ignored\"}}" &&
	kc get deployment web -n fix -o jsonpath={.spec.revisionHistoryLimit} | grep -q 10 &&
	# An owned edit after them: once it is reported, the events before it were checked.
	kc label configmap c -n fix marker=1 &&
	kc patch configmap c -n fix --type merge -p "{\"data\":{\"v\":\"again\"}}" &&
	wait_until 30 events_are 2 fix drift-detected "ConfigMap fix/c" &&
	events_are 0 fix drift-detected "Deployment" &&
	events_are 0 fix drift-detected "ConfigMap fix/ign" &&
	! grep "drift-detected" agent.log | grep -q "/data/other" &&
	test "$(kc get deployment web -n fix -o jsonpath={.spec.replicas})" = 5 &&
	test "$(kc get configmap c -n fix -o jsonpath={.data.other})" = theirs &&
	cm_is fix ign ignored
'

test_expect_success 'accept-drift turns the drift into a rule: no longer reported, kept across a restart' '
	"$HOIST_BUILD/hoist-agent" accept-drift note ConfigMap/note/c -c agent.yaml >out &&
	test_grep "drift accepted" out &&
	wait_until 10 is note "[o[\"drift\"] for o in d[\"objects\"] if o[\"name\"] == \"c\"][0]" "" &&
	is note "d[\"ignoreDifferences\"][0][\"jsonPointers\"][0]" /data/v &&
	test_must_fail "$HOIST_BUILD/hoist-agent" accept-drift note ConfigMap/note/nothing -c agent.yaml 2>err &&
	test_grep "no drift" err &&
	kill "$(cat agent.pid)" && wait_until 30 sh -c "! curl -s -o /dev/null http://$ADDR/healthz" &&
	start_agent &&
	is note "d[\"ignoreDifferences\"][0][\"name\"]" c &&
	wait_until 60 is note "len(d[\"objects\"])" 3 &&
	n=$(events note drift-detected "ConfigMap note/c") &&
	kc patch configmap c -n note --type merge -p "{\"data\":{\"v\":\"edited-again\"}}" &&
	kc patch configmap d -n note --type merge -p "{\"data\":{\"v\":\"edited-d2\"}}" &&
	wait_until 30 has_events note drift-detected "ConfigMap note/d" "edited-d2" &&
	events_are "$n" note drift-detected "ConfigMap note/c"
'

test_expect_success 'a deleted object is drift: re-created (correct) or reported (notify)' '
	kc delete configmap d -n note &&
	wait_until 30 has_events note drift-detected "ConfigMap note/d" deleted &&
	test_must_fail kc get configmap d -n note &&
	wait_until 10 is note "[o[\"drift\"][\"deleted\"] for o in d[\"objects\"] if o[\"name\"] == \"d\"][0]" true &&
	# fix retries its first sync (its Deployment never becomes available
	# here): the deletion is undone by the drift watcher, or by a retry that
	# happens to run first; either way the object comes back, once.
	created=$(events fix created "ConfigMap fix/c") &&
	kc delete configmap c -n fix &&
	wait_until 30 recreated "$created" &&
	cm_is fix c v1
'

test_expect_success 'a watch answered 410 Gone (and a failing LIST) is listed again; drift is still seen' '
	printf "GET /api/v1/configmaps status=410 times=1\nGET /api/v1/configmaps status=500 times=1\n" >faults &&
	curl -sf --cacert "$TRASH/apiserver-k/ca.crt" -H "Authorization: Bearer $APISERVER_TOKEN_k" \
		-X POST --data-binary @faults "$APISERVER_URL_k/hoist-test/faults" &&
	wait_until 30 grep -q "\"event\":\"watch\".*configmaps" agent.log &&
	kc patch configmap c -n fix --type merge -p "{\"data\":{\"v\":\"after-410\"}}" &&
	wait_until 30 has_events fix drift-detected "ConfigMap fix/c" "after-410" &&
	wait_until 30 cm_is fix c v1
'

test_expect_success 'SIGTERM stops the agent with its watches cleanly (no sanitizer report)' '
	kill -TERM "$(cat agent.pid)" &&
	wait_until 30 grep -q "\"event\":\"stopped\"" agent.log &&
	sleep 2 &&
	! grep -n "Sanitizer\|runtime error" agent.log
'

test_done
