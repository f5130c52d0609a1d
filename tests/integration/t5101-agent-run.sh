#!/bin/bash
# `hoist-agent run`, the loop: a new tag in a real registry is picked up at
# the app's interval; a notification (POST /v1/apps/APP/sync) wakes an app
# whose interval is an hour; a suspended app is never synced; a failing app
# does not hold up the others; a new digest cancels a health wait that
# would otherwise last minutes; the status API carries the fields of the
# issue; SIGTERM stops the agent cleanly.
. "$(dirname "$0")/../lib.sh"

start_agent_env

# wait_for CMD...: polls until CMD succeeds (bounded, so a bug fails the
# test instead of hanging it; the expected event takes about a second).
wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 300 ] || return 1
		sleep 0.1
	done
}

# artifact NAME VERSION OBJECTS-FILE: packs and pushes to the registry as acme/NAME:latest.
artifact() {
	rm -rf "src-$1" && mkdir "src-$1" && cp "$3" "src-$1/objects.yaml" &&
	hoist pack "src-$1" -o "$1-$2.tgz" --app "$1" --version "$2" >/dev/null &&
	hoist push "$1-$2.tgz" "$R/acme/$1:latest" 2>&1 | sed -n "s/.* \(sha256:[0-9a-f]*\).*/\1/p" | tail -1
}

cm() { # NAMESPACE NAME VALUE
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  v: "%s"\n' "$2" "$1" "$3"
}
ns() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"; }

{ ns tick && cm tick tick v1; } >tick1.yaml
{ ns tick && cm tick tick v2; } >tick2.yaml
{ ns woken && cm woken woken v1; } >woken.yaml
{ ns held && cm held held v1; } >held.yaml
# A Deployment nothing ever makes available: the test API server runs no
# controllers, so its health wait lasts the whole 10 minute timeout.
{
	ns slow
	printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: never\n  namespace: slow\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: never}\n  template:\n    metadata:\n      labels: {app: never}\n    spec:\n      containers:\n      - name: c\n        image: example.invalid/never:1\n'
} >slow1.yaml
{ ns slow && cm slow fixed v1; } >slow2.yaml

artifact tick 1.0.0 tick1.yaml >/dev/null
artifact woken 1.0.0 woken.yaml >/dev/null
artifact held 1.0.0 held.yaml >/dev/null
artifact slow 1.0.0 slow1.yaml >slow1.digest

echo run-token >token
mkdir -p state
cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $KC
namespace: hoist-system
stateDir: $TRASH/state
listen: 127.0.0.1:0
tokenFile: $TRASH/token
apps:
  - {name: tick, source: "$R/acme/tick:latest", interval: 2s, timeout: 30s}
  - {name: woken, source: "$R/acme/woken:latest", interval: 1h, timeout: 30s}
  - {name: held, source: "$R/acme/held:latest", interval: 2s, suspend: true}
  - {name: broken, source: "$R/acme/does-not-exist:latest", interval: 2s}
  - {name: slow, source: "$R/acme/slow:latest", interval: 1h, timeout: 10m}
EOF
# The agent runs in a subshell that records its exit status.
("$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>agent.log; echo $? >agent.rc) &
echo $! >wrapper.pid
wait_for test -s addr
pgrep -P "$(cat wrapper.pid)" >agent.pid
test_cleanup "kill $(cat agent.pid) 2>/dev/null"
ADDR=$(cat addr)

field() { # APP FIELD
	curl -sf "http://$ADDR/v1/apps/$1" |
		python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}
# Commands for wait_for, which runs them again until they hold.
field_is() { test "$(field "$1" "$2")" = "$3"; }
field_isnt() { test "$(field "$1" "$2")" != "$3"; }
cm_is() { test "$(kc get configmap "$2" -n "$1" -o jsonpath={.data.v})" = "$3"; }
sync_req() { # APP [BODY]: HTTP status
	curl -s -o reply.json -w "%{http_code}" -X POST -H "Authorization: Bearer run-token" \
		--data "${2:-}" "http://$ADDR/v1/apps/$1/sync"
}

test_expect_success 'every app syncs once at start; a failing one does not stop the others' '
	wait_for kc get configmap tick -n tick &&
	wait_for kc get configmap woken -n woken &&
	wait_for field_isnt broken result "" &&
	test "$(field broken health)" != Healthy &&
	test -n "$(field broken message)" &&
	test "$(field tick health)" = Healthy
'

test_expect_success 'a new tag in the registry is picked up at the interval' '
	d2=$(artifact tick 2.0.0 tick2.yaml) && test -n "$d2" &&
	wait_for cm_is tick tick v2 &&
	wait_for field_is tick digest "$d2"
'

test_expect_success 'a notification wakes an app whose interval is an hour' '
	{ ns woken && cm woken woken v2; } >woken2.yaml &&
	d=$(artifact woken 2.0.0 woken2.yaml) &&
	sleep 3 &&
	test "$(kc get configmap woken -n woken -o jsonpath={.data.v})" = v1 &&
	test "$(sync_req woken "{\"digest\":\"$d\"}")" = 202 &&
	test_grep "\"status\":\"queued\"" reply.json &&
	wait_for cm_is woken woken v2 &&
	test "$(field woken digest)" = "$d"
'

test_expect_success 'a notification needs the token and a well-formed body' '
	test "$(curl -s -o reply.json -w "%{http_code}" -X POST "http://$ADDR/v1/apps/woken/sync")" = 401 &&
	test "$(sync_req woken "[1]")" = 400 &&
	test_grep "bad-request" reply.json &&
	test "$(sync_req nope)" = 404
'

test_expect_success 'a suspended app is never synced, and a notification says so' '
	test "$(field held suspended)" = true &&
	test_must_fail kc get namespace held &&
	test "$(sync_req held)" = 409 &&
	test_grep "\"status\":\"suspended\"" reply.json &&
	sleep 3 && test_must_fail kc get namespace held
'

test_expect_success 'a new digest cancels a health wait of ten minutes' '
	wait_for field_is slow syncing true &&
	wait_for kc get deployment never -n slow &&
	d=$(artifact slow 2.0.0 slow2.yaml) &&
	test "$(sync_req slow "{\"digest\":\"$d\"}")" = 202 &&
	wait_for kc get configmap fixed -n slow &&
	wait_for field_is slow digest "$d" &&
	grep "\"event\":\"cancel\"" agent.log | grep -q "\"app\":\"slow\""
'

test_expect_success 'status carries source, digest, revision, last sync, counts and health' '
	curl -sf "http://$ADDR/v1/status" >status.json &&
	python3 - "$R" <<-\PY
	import json, sys
	st = {a["name"]: a for a in json.load(open("status.json"))["apps"]}
	assert sorted(st) == ["broken", "held", "slow", "tick", "woken"], sorted(st)
	for a in st.values():
	    for k in ("source", "health", "suspended", "syncing", "nextSync"):
	        assert k in a, (a["name"], k)
	    if a["name"] == "held":
	        continue  # suspended from the start: never synced, nothing more to say
	    for k in ("digest", "revision", "lastSync", "result", "message", "applied", "pruned",
	              "unchanged"):
	        assert k in a, (a["name"], k)
	assert st["held"]["suspended"] is True and not st["held"].get("lastSync"), st["held"]
	t = st["tick"]
	assert t["source"].startswith(sys.argv[1] + "/acme/tick"), t["source"]
	assert t["digest"].startswith("sha256:"), t
	assert t["health"] == "Healthy", t
	assert t["lastSync"].endswith("Z"), t
	assert isinstance(t["applied"], int) and isinstance(t["unchanged"], int), t
	assert st["broken"]["health"] != "Healthy", st["broken"]
	assert st["broken"]["result"] == "notfound" and "404" in st["broken"]["message"], st["broken"]
	PY
'

test_expect_success 'the agent logs one JSON line per event' '
	python3 -c "
import json, sys
for line in open(\"agent.log\"):
    e = json.loads(line)
    assert {\"time\", \"level\", \"app\", \"digest\", \"revision\", \"event\", \"message\"} <= set(e), e
"
'

test_expect_success 'SIGTERM stops the loop cleanly' '
	pid=$(cat agent.pid) &&
	kill -TERM "$pid" &&
	wait_for test -s agent.rc &&
	test "$(cat agent.rc)" = 0 &&
	grep -q "\"event\":\"stopped\"" agent.log &&
	test_must_fail curl -sf "http://$ADDR/healthz"
'

test_done
