#!/bin/bash
# Notifications (issue 14, acceptance 3): a local receiver gets each event
# of `hoist-agent run` once, signed with HMAC-SHA256 (checked here with
# Python's hmac, not the agent's code); health transitions are events; with
# the receiver down, events queue on disk and arrive in order when it is
# back, across a restart of the agent, and nothing delivered is sent again;
# the Slack, GitHub and GitLab payloads are checked field by field against
# the services' documented formats.
. "$(dirname "$0")/../lib.sh"

start_registry reg
start_apiserver k
KC=$APISERVER_k
R=$REGISTRY_reg

wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 600 ] || return 1
		sleep 0.1
	done
}

REV1=1111111111111111111111111111111111111111
REV2=2222222222222222222222222222222222222222
REV3=3333333333333333333333333333333333333333
REV4=4444444444444444444444444444444444444444

# artifact VERSION REVISION OBJECTS-FILE: packs and pushes acme/web:latest.
artifact() {
	rm -rf src && mkdir src && cp "$3" src/objects.yaml &&
	hoist pack src -o "web-$1.tgz" --app web --version "$1" --revision "main@sha1:$2" >/dev/null &&
	hoist push "web-$1.tgz" "$R/acme/web:latest" >/dev/null 2>&1
}
cm() { printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: web\ndata:\n  v: "1"\n' "$1"; }
ns() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n'; }
{ ns && cm a && cm b; } >v1.yaml
# A Deployment the test API server never makes available: health degrades.
{
	ns && cm a
	printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: never\n  namespace: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: never}\n  template:\n    metadata:\n      labels: {app: never}\n    spec:\n      containers:\n      - name: c\n        image: example.invalid/never:1\n'
} >v2.yaml
{ ns && cm a; } >v3.yaml
{ ns && cm a && cm c; } >v4.yaml

PORT=$(free_port)
start_receiver() {
	rm -f ready
	python3 "$TEST_TOP/tests/receiver.py" --port "$PORT" --log received.jsonl \
		--control control --ready ready 2>receiver.err &
	echo $! >receiver.pid
	wait_for test -e ready
}
stop_receiver() {
	kill "$(cat receiver.pid)" && wait_for test_must_fail curl -s "http://127.0.0.1:$PORT/"
}
test_cleanup "kill \$(cat '$TRASH/receiver.pid') 2>/dev/null"

printf 'hook-secret\n' >secret
echo gh-token >ghtoken
echo gl-token >gltoken
echo agent-token >token
cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $KC
stateDir: $TRASH/state
listen: 127.0.0.1:0
tokenFile: $TRASH/token
notify:
  - {name: hook, type: webhook, url: "http://127.0.0.1:$PORT/hook", secretFile: $TRASH/secret, maxBackoff: 1s}
  - name: chat
    type: slack
    url: "http://127.0.0.1:$PORT/services/T000/B000/XXXX"
    events: [sync-failed, health-degraded, health-recovered]
    maxBackoff: 1s
  - {name: gh, type: github, url: "http://127.0.0.1:$PORT/gh/api/v3", tokenFile: $TRASH/ghtoken,
     repository: acme/web, targetUrl: "https://hoist.example/apps/web", maxBackoff: 1s}
  - {name: gl, type: gitlab, url: "http://127.0.0.1:$PORT/gl/api/v4", tokenFile: $TRASH/gltoken,
     project: acme/web, context: deploy, maxBackoff: 1s}
apps:
  - {name: web, source: "$R/acme/web:latest", interval: 1h, timeout: 4s}
EOF

start_agent() {
	rm -f addr agent.rc
	("$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>>agent.log; echo $? >agent.rc) &
	echo $! >wrapper.pid
	wait_for test -s addr
	pgrep -P "$(cat wrapper.pid)" >agent.pid
	ADDR=$(cat addr)
}
stop_agent() {
	kill -TERM "$(cat agent.pid)" && wait_for test -s agent.rc && test "$(cat agent.rc)" = 0
}
test_cleanup "kill \$(cat '$TRASH/agent.pid') 2>/dev/null"
wake() {
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer agent-token" \
		"http://$(cat addr)/v1/apps/web/sync")" = 202
}
# got PATH-PREFIX EVENT: the receiver has a webhook delivery of EVENT (or any body containing it).
got() { grep "\"path\": \"$1" received.jsonl | grep -q "$2"; }
# Counts the agent's log lines of event EVENT.
logged() { grep -c "\"event\":\"$1\"" agent.log; }
# at_least N CMD...: CMD prints a number >= N (for wait_for, which re-runs it).
at_least() { _n=$1; shift; test "$("$@")" -ge "$_n"; }
# Events queued on disk for receiver NAME.
queued() { ls "state/notify/$1" | grep -c "\.ev$"; }

test_expect_success 'setup: the receiver and the agent run' '
	artifact 1.0.0 $REV1 v1.yaml &&
	start_receiver &&
	start_agent &&
	wait_for got /hook sync-succeeded
'

# verify: every webhook delivery carries a valid signature over the timestamp,
# a dot and the body, a timestamp within 5 minutes, and the fields of the issue;
# no delivery id comes twice; ids of the hook receiver are 1, 2, 3, ... in order.
cat >verify.py <<\PY
import hashlib, hmac, json, sys, time
key = open("secret").read().strip().encode()
seen, ids = set(), []
for line in open("received.jsonl"):
    r = json.loads(line)
    if r["path"] != "/hook":
        continue
    h, body = r["headers"], r["body"]
    ts = h["x-hoist-timestamp"]
    assert ts.isdigit() and abs(int(ts) - time.time()) < 300, ts
    want = "sha256=" + hmac.new(key, ts.encode() + b"." + body.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(h["x-hoist-signature"], want), (h["x-hoist-signature"], want)
    assert h["content-type"] == "application/json", h
    b = json.loads(body)
    for k in ("event", "app", "digest", "revision", "message", "time"):
        assert k in b, (k, b)
    assert b["event"] == h["x-hoist-event"], (b, h)
    assert b["app"] == "web" and b["time"].endswith("Z"), b
    assert b["id"] == h["x-hoist-delivery"], (b, h)
    assert b["id"] not in seen, ("sent twice", b["id"])
    seen.add(b["id"])
    ids.append(int(b["id"].split("-")[1]))
    print(b["event"], b["digest"] or "-", b["revision"] or "-", b["object"] or "-")
assert ids == list(range(1, len(ids) + 1)), ids
PY

test_expect_success 'the webhook gets each event once, signed' '
	python3 verify.py >events &&
	cat events &&
	test "$(grep -c "^sync-started" events)" = 1 &&
	test "$(grep -c "^sync-succeeded .* main@sha1:$REV1" events)" = 1 &&
	! grep -q "^health-" events
'

test_expect_success 'a degraded app is an event, its prune too; recovery is one' '
	artifact 2.0.0 $REV2 v2.yaml && wake &&
	wait_for got /hook health-degraded &&
	python3 verify.py >events &&
	grep "^pruned .* ConfigMap web/b" events &&
	grep "^sync-failed .* main@sha1:$REV2" events &&
	test "$(grep -c "^health-degraded" events)" = 1 &&
	artifact 3.0.0 $REV3 v3.yaml && wake &&
	wait_for got /hook health-recovered &&
	python3 verify.py >events &&
	test "$(grep -c "^health-recovered .* main@sha1:$REV3" events)" = 1 &&
	test "$(grep -c "^health-degraded" events)" = 1
'

kevents_ok() {
	kubectl --kubeconfig "$KC" get events -A -o json >events.json &&
	python3 kevents.py
}
test_expect_success 'Kubernetes Events are recorded on the objects concerned' '
	cat >kevents.py <<-\PY &&
	import json
	evs = json.load(open("events.json"))["items"]
	def find(reason, kind, ns, name):
	    return [e for e in evs if e["reason"] == reason and e["involvedObject"]["kind"] == kind
	            and e["involvedObject"]["name"] == name and e["metadata"]["namespace"] == ns
	            and e["involvedObject"].get("namespace") == ns]
	pruned = find("Pruned", "ConfigMap", "web", "b")
	assert len(pruned) == 1 and pruned[0]["type"] == "Normal", pruned
	inv = ("hoist-system", "hoist-inventory-web")
	assert len(find("SyncSucceeded", "ConfigMap", *inv)) == 2, evs  # v1 and v3
	failed = find("SyncFailed", "ConfigMap", *inv)
	assert len(failed) == 1 and failed[0]["type"] == "Warning", failed
	deg = find("HealthDegraded", "ConfigMap", *inv)
	assert len(deg) == 1 and deg[0]["type"] == "Warning" and "Progressing" in deg[0]["message"], deg
	assert len(find("HealthRecovered", "ConfigMap", *inv)) == 1, evs
	for e in evs:
	    assert e["source"]["component"] == "hoist-agent" and e["reportingComponent"] == "hoist-agent", e
	    assert e["metadata"]["name"].startswith(e["involvedObject"]["name"] + "."), e
	    assert e["count"] == 1 and e["firstTimestamp"].endswith("Z"), e
	PY
	wait_for kevents_ok || kevents_ok
'

test_expect_success 'the slack receiver gets only its events, in the incoming-webhook format' '
	wait_for got /services health-recovered &&
	python3 - <<-\PY
	import json
	got = [json.loads(l) for l in open("received.jsonl")]
	slack = [r for r in got if r["path"] == "/services/T000/B000/XXXX"]
	assert len(slack) == 3, slack  # sync-failed, health-degraded, health-recovered
	for r in slack:
	    assert r["headers"]["content-type"] == "application/json"
	    b = json.loads(r["body"])
	    assert set(b) == {"text", "blocks"}, b
	    assert isinstance(b["text"], str) and b["text"].startswith("web: "), b
	    assert isinstance(b["blocks"], list) and len(b["blocks"]) == 1, b
	    blk = b["blocks"][0]
	    assert set(blk) == {"type", "text"} and blk["type"] == "section", blk
	    assert set(blk["text"]) == {"type", "text"} and blk["text"]["type"] == "mrkdwn", blk
	    assert 0 < len(blk["text"]["text"]) <= 3000, blk
	kinds = [json.loads(r["body"])["text"].split()[1].rstrip(":") for r in slack]
	assert kinds == ["sync-failed", "health-degraded", "health-recovered"], kinds
	PY
'

test_expect_success 'with the receiver down, events queue on disk, also across a restart' '
	stop_receiver &&
	artifact 4.0.0 $REV4 v4.yaml && wake &&
	wait_for at_least 1 logged notify-retry &&
	wait_for at_least 2 queued hook &&
	stop_agent &&
	before=$(queued hook) &&
	start_agent &&
	wait_for at_least $((before + 2)) queued hook &&
	curl -sf "http://$ADDR/v1/status" >/dev/null &&
	# /metrics counts what waits on disk, across every receiver.
	depth=$(curl -sf "http://$ADDR/metrics" | sed -n "s/^hoist_agent_notify_queue_depth //p") &&
	test -n "$depth" && test "$depth" -ge $((before + 2))
'

test_expect_success 'back up, the receiver gets them in order and nothing twice' '
	start_receiver &&
	wait_for test_expect_code 1 at_least 1 queued hook &&
	wait_for test_expect_code 1 at_least 1 queued gh &&
	wait_for test_expect_code 1 at_least 1 queued gl &&
	python3 verify.py >events &&
	cat events &&
	test "$(grep -c "^sync-succeeded .* main@sha1:$REV4" events)" = 2 &&
	test "$(grep -c "^sync-started" events)" = 5 &&
	test "$(cat state/notify/hook/delivered)" = "$(wc -l <events)"
'

test_expect_success 'the commit statuses match the GitHub and GitLab REST APIs' '
	python3 - $REV1 $REV2 $REV3 $REV4 <<-\PY
	import json, sys
	revs = sys.argv[1:]
	got = [json.loads(l) for l in open("received.jsonl")]
	gh = [r for r in got if r["path"].startswith("/gh/")]
	gl = [r for r in got if r["path"].startswith("/gl/")]
	assert gh and gl, (len(gh), len(gl))
	for r in gh:
	    h, b = r["headers"], json.loads(r["body"])
	    p = r["path"].split("/")
	    # POST /repos/{owner}/{repo}/statuses/{sha} under the configured base
	    assert p[:7] == ["", "gh", "api", "v3", "repos", "acme", "web"] and p[7] == "statuses", p
	    assert p[8] in revs and len(p) == 9, p
	    assert h["authorization"] == "Bearer gh-token", h
	    assert h["accept"] == "application/vnd.github+json", h
	    assert h["x-github-api-version"] == "2022-11-28", h
	    assert h["user-agent"].startswith("hoist-agent/"), h
	    assert set(b) <= {"state", "target_url", "description", "context"}, b
	    assert b["state"] in ("error", "failure", "pending", "success"), b
	    assert b["context"] == "hoist/web", b
	    assert b["target_url"] == "https://hoist.example/apps/web", b
	    assert isinstance(b["description"], str) and len(b["description"]) <= 140, b
	for r in gl:
	    h, b = r["headers"], json.loads(r["body"])
	    p = r["path"].split("/")
	    # POST /projects/:id/statuses/:sha, the path URL-encoded as the API wants it
	    assert p[:6] == ["", "gl", "api", "v4", "projects", "acme%2Fweb"] and p[6] == "statuses", p
	    assert p[7] in revs and len(p) == 8, p
	    assert h["private-token"] == "gl-token", h
	    assert set(b) <= {"state", "name", "description", "target_url"}, b
	    assert b["state"] in ("pending", "running", "success", "failed", "canceled"), b
	    assert b["name"] == "deploy/web", b
	    assert len(b["description"]) <= 255, b
	def states(rs, sha):
	    return [json.loads(r["body"])["state"] for r in rs if r["path"].endswith(sha)]
	assert states(gh, revs[0]) == ["success"], states(gh, revs[0])
	assert states(gh, revs[1]) == ["failure", "failure"], states(gh, revs[1])  # failed, degraded
	assert states(gl, revs[1]) == ["failed", "failed"], states(gl, revs[1])
	assert states(gh, revs[2]) == ["success", "success"], states(gh, revs[2])  # synced, recovered
	PY
'

test_expect_success 'a receiver answering 429 with Retry-After gets the event later' '
	echo 429:1 >control &&
	wake &&
	wait_for grep -q "hook: answered 429" agent.log &&
	rm control &&
	wait_for test_expect_code 1 at_least 1 queued hook &&
	python3 verify.py >events &&
	test "$(grep -c "^sync-succeeded .* main@sha1:$REV4" events)" = 3
'

test_expect_success 'SIGTERM still stops the agent cleanly' '
	stop_agent
'

test_done
