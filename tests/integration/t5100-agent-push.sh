#!/bin/bash
# Push mode end to end (issue 11, acceptance 3): `hoist publish` with
# hoist.yaml `clusters:` delivers to a running `hoist-agent run`, which
# applies the artifact to the test API server; a pull-mode app of the same
# agent is told of its new digest and syncs at once.  A wrong token, a
# tampered artifact and a missing signature are each refused, and nothing
# is applied: the API server's objects and the agent's status stay as
# they were.
. "$(dirname "$0")/../lib.sh"

start_registry reg
start_apiserver k
KC=$APISERVER_k
kc() { kubectl --kubeconfig "$KC" "$@"; }

# wait_for CMD...: polls until CMD succeeds (10 s at most: the agent acts
# within a second; this only bounds a failure).
wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 100 ] || return 1
		sleep 0.1
	done
}

echo s3cret-token >token
hoist keygen --out signer >/dev/null 2>&1
hoist keygen --out other >/dev/null 2>&1
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
  - name: web
    source: push
    verifyKey: $TRASH/signer.pub
    interval: 1h
    timeout: 30s
  - name: api
    source: $REGISTRY_reg/acme/api:dev
    interval: 1h
    timeout: 30s
EOF
"$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>agent.log &
echo $! >agent.pid
test_cleanup "kill $(cat agent.pid) 2>/dev/null"
wait_for test -s addr
ADDR=$(cat addr)

ns_cm() { # NAMESPACE CONFIGMAP...
	printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"
	_ns=$1
	shift
	for c in "$@"; do
		printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  owner: %s\n' "$c" "$_ns" "$c"
	done
}

status_of() { # APP FIELD
	curl -sf "http://$ADDR/v1/apps/$1" |
		python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"
}
# status_is APP FIELD VALUE (a command, so wait_for asks again each time)
status_is() { test "$(status_of "$1" "$2")" = "$3"; }

test_expect_success 'setup: a repository whose dev environment runs on cluster c1' '
	git init -q repo && mkdir -p repo/apps/web repo/apps/api &&
	ns_cm web web-config >repo/apps/web/objects.yaml &&
	ns_cm api api-config >repo/apps/api/objects.yaml &&
	cat >repo/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_reg/acme
	apps:
	  - {name: web, path: apps/web}
	  - {name: api, path: apps/api}
	environments:
	  - {name: dev, branch: main, clusters: [c1]}
	clusters:
	  c1: {endpoint: "http://$ADDR", tokenEnv: C1_TOKEN}
	EOF
	git -C repo add . && git -C repo commit -qm one &&
	curl -sf "http://$ADDR/healthz" | grep -q true
'

test_expect_success 'publish pushes to the push-mode app and notifies the pull-mode one' '
	C1_TOKEN=s3cret-token HOIST_SIGNING_KEY=signer.key hoist publish --repo repo >out 2>err &&
	cat err &&
	test_grep "^hoist: cluster c1: web sha256:[0-9a-f]* pushed" err &&
	test_grep "^hoist: cluster c1: api sha256:[0-9a-f]* notified" err &&
	wait_for kc get configmap web-config -n web &&
	wait_for kc get configmap api-config -n api &&
	web=$(awk "/^web dev/ {print \$6}" out) && api=$(awk "/^api dev/ {print \$6}" out) &&
	wait_for status_is web digest "$web" &&
	wait_for status_is api digest "$api" &&
	test "$(kc get configmap web-config -n web -o jsonpath="{.metadata.labels.hoist\.dev/app}")" = web &&
	grep "\"event\":\"push-accepted\"" agent.log | grep -q "$web"
'

test_expect_success 'the push-mode app lasts a restart: what was pushed is kept in stateDir' '
	test -s state/push/web.tar.gz && test -s state/push/web.json &&
	grep -q "$(status_of web digest)" state/push/web.json
'

test_expect_success 'publishing the same commit again delivers again: unchanged' '
	C1_TOKEN=s3cret-token HOIST_SIGNING_KEY=signer.key hoist publish --repo repo >out2 2>err2 &&
	test_grep "cluster c1: web sha256:[0-9a-f]* unchanged" err2
'

# A second artifact for web (a new ConfigMap web-two), packed, pushed to a
# layout and signed there, so the test has its exact body, manifest,
# signing payload and signature to send by hand.
test_expect_success 'setup: a second artifact and its push headers' '
	ns_cm web web-config web-two >repo/apps/web/objects.yaml &&
	hoist pack repo/apps/web -o two.tgz --app web --version 2.0.0 >/dev/null &&
	hoist push two.tgz "oci-layout:$TRASH/l:2" >/dev/null 2>&1 &&
	hoist sign "oci-layout:$TRASH/l:2" --key signer.key >/dev/null 2>&1 &&
	python3 - "$TRASH" <<-\PY
	import base64, hashlib, json, os, sys
	t = sys.argv[1]
	store = os.path.join(t, "l")
	blob = lambda d: open(os.path.join(store, "blobs", "sha256", d.split(":")[1]), "rb").read()
	idx = json.load(open(os.path.join(store, "index.json")))
	tag = lambda n: next(m["digest"] for m in idx["manifests"]
	                     if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == n)
	md = tag("2")
	sig = json.loads(blob(tag(md.replace(":", "-") + ".sig")))["layers"][0]
	layer = open(os.path.join(t, "two.tgz"), "rb").read()
	h = {"Hoist-Digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
	     "Hoist-Manifest": base64.b64encode(blob(md)).decode(),
	     "Hoist-Signature-Payload": base64.b64encode(blob(sig["digest"])).decode(),
	     "Hoist-Signature": sig["annotations"]["dev.cosignproject.cosign/signature"]}
	open(os.path.join(t, "digest2"), "w").write(md)
	for name, keys in (("signed", list(h)), ("unsigned", list(h)[:2])):
	    with open(os.path.join(t, "h-" + name), "w") as f:
	        for k in keys:
	            f.write("%s: %s\n" % (k, h[k]))
	tampered = bytearray(layer)
	tampered[len(tampered) // 2] ^= 0x20
	open(os.path.join(t, "two-tampered.tgz"), "wb").write(bytes(tampered))
	PY
	kc get configmap web-config -n web -o jsonpath="{.metadata.resourceVersion}" >rv-before &&
	status_of web digest >digest-before && test -s digest-before
'

# push BODY HEADERS TOKEN: the HTTP status on stdout, the reply in reply.json.
push() {
	curl -s -o reply.json -w "%{http_code}" -X PUT --data-binary "@$1" -H @"$2" \
		-H "Authorization: Bearer $3" "http://$ADDR/v1/apps/web/artifact"
}

nothing_applied() {
	test_must_fail kc get configmap web-two -n web &&
	test "$(status_of web digest)" = "$(cat digest-before)" &&
	test "$(kc get configmap web-config -n web -o jsonpath="{.metadata.resourceVersion}")" = "$(cat rv-before)" &&
	! grep -q "$(cat digest2)" state/push/web.json
}

test_expect_success 'a wrong token is refused with 401 and nothing is applied' '
	test "$(push two.tgz h-signed wrong-token)" = 401 &&
	test_grep "\"error\":\"unauthorized\"" reply.json &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @two.tgz -H @h-signed \
		"http://$ADDR/v1/apps/web/artifact")" = 401 &&
	sleep 1 && nothing_applied
'

test_expect_success 'a tampered artifact is refused with 422 and nothing is applied' '
	test "$(push two-tampered.tgz h-signed s3cret-token)" = 422 &&
	test_grep "\"error\":\"digest-mismatch\"" reply.json &&
	test_grep "Hoist-Digest" reply.json &&
	sleep 1 && nothing_applied
'

test_expect_success 'a missing signature is refused with 403 and nothing is applied' '
	test "$(push two.tgz h-unsigned s3cret-token)" = 403 &&
	test_grep "\"error\":\"signature-missing\"" reply.json &&
	sleep 1 && nothing_applied
'

test_expect_success 'a signature by another key is refused with 403 and nothing is applied' '
	rm -rf l2 && hoist push two.tgz "oci-layout:$TRASH/l2:2" >/dev/null 2>&1 &&
	hoist sign "oci-layout:$TRASH/l2:2" --key other.key >/dev/null 2>&1 &&
	sigtag=$(cat digest2 | sed "s/:/-/").sig &&
	python3 - "$TRASH" "$sigtag" <<-\PY &&
	import json, os, sys
	t, sigtag = sys.argv[1], sys.argv[2]
	store = os.path.join(t, "l2")
	blob = lambda d: open(os.path.join(store, "blobs", "sha256", d.split(":")[1]), "rb").read()
	idx = json.load(open(os.path.join(store, "index.json")))
	d = next(m["digest"] for m in idx["manifests"]
	         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sigtag)
	s = json.loads(blob(d))["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
	lines = [l for l in open(os.path.join(t, "h-signed")) if not l.startswith("Hoist-Signature:")]
	open(os.path.join(t, "h-other"), "w").write("".join(lines) + "Hoist-Signature: %s\n" % s)
	PY
	test "$(push two.tgz h-other s3cret-token)" = 403 &&
	test_grep "\"error\":\"signature-invalid\"" reply.json &&
	sleep 1 && nothing_applied
'

test_expect_success 'the same artifact, signed and with the token, is applied' '
	test "$(push two.tgz h-signed s3cret-token)" = 202 &&
	test_grep "\"status\":\"accepted\"" reply.json &&
	wait_for kc get configmap web-two -n web &&
	wait_for status_is web digest "$(cat digest2)"
'

test_expect_success 'a push to a pull-mode app or an unknown app is refused' '
	test "$(curl -s -o reply.json -w "%{http_code}" -X PUT --data-binary @two.tgz -H @h-signed \
		-H "Authorization: Bearer s3cret-token" "http://$ADDR/v1/apps/api/artifact")" = 409 &&
	test_grep "not-push-mode" reply.json &&
	test "$(curl -s -o reply.json -w "%{http_code}" -X PUT --data-binary @two.tgz -H @h-signed \
		-H "Authorization: Bearer s3cret-token" "http://$ADDR/v1/apps/nope/artifact")" = 404
'

test_expect_success 'a body over the artifact limit is refused before it is read; garbage is refused' '
	head -c 1000 /dev/zero >zeros.bin &&
	cp state/push/web.json kept.json && before=$(status_of web digest) &&
	test "$(curl -s -o reply.json -w "%{http_code}" --max-time 20 -X PUT -H "Content-Length: 300000000" \
		-H "Authorization: Bearer s3cret-token" --data-binary @zeros.bin \
		"http://$ADDR/v1/apps/web/artifact")" = 413 &&
	test_grep "\"error\":\"too-large\"" reply.json &&
	d=sha256:$(sha256sum zeros.bin | cut -c1-64) &&
	test "$(curl -s -o reply.json -w "%{http_code}" -X PUT -H "Hoist-Digest: $d" \
		-H "Authorization: Bearer s3cret-token" --data-binary @zeros.bin \
		"http://$ADDR/v1/apps/web/artifact")" = 403 &&
	test_grep "signature-missing" reply.json &&
	cmp kept.json state/push/web.json && test "$(status_of web digest)" = "$before"
'

test_expect_success 'a git push through the receive hook shows the result per cluster' '
	git init -q --bare hub.git &&
	hoist hook install hub.git >/dev/null 2>&1 &&
	ns_cm web web-config web-two web-hook >repo/apps/web/objects.yaml &&
	git -C repo commit -qam hook &&
	C1_TOKEN=s3cret-token HOIST_SIGNING_KEY="$TRASH/signer.key" \
		git -C repo push -q ../hub.git HEAD:main 2>push.err &&
	cat push.err &&
	test_grep "^remote: hoist: cluster c1: web sha256:[0-9a-f]* pushed" push.err &&
	test_grep "^remote: hoist: cluster c1: api sha256:[0-9a-f]* notified" push.err &&
	wait_for kc get configmap web-hook -n web
'

test_expect_success 'a publish with the wrong token reports it per cluster and still publishes' '
	ns_cm web web-config web-two web-three >repo/apps/web/objects.yaml &&
	git -C repo commit -qam three &&
	C1_TOKEN=wrong HOIST_SIGNING_KEY=signer.key hoist publish --repo repo >out3 2>err3 &&
	test_grep "^web dev .* published$" out3 &&
	test_grep "warning: cluster c1: web sha256:[0-9a-f]* delivery failed: HTTP 401" err3 &&
	sleep 1 && test_must_fail kc get configmap web-three -n web
'

test_expect_success 'an unreachable cluster fails fast and does not fail the publish' '
	port=$(free_port) &&
	sed "s|http://$ADDR|http://127.0.0.1:$port|" repo/hoist.yaml >h && mv h repo/hoist.yaml &&
	git -C repo commit -qam unreachable &&
	C1_TOKEN=s3cret-token hoist publish --repo repo >out4 2>err4 &&
	test_grep "warning: cluster c1: web .* delivery failed: .*127.0.0.1:$port" err4 &&
	test_grep "^web dev .* published$" out4
'

test_done
