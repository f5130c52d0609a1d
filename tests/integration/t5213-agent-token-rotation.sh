#!/bin/bash
# A rotated service-account token: the kubelet replaces the projected token
# file long before the old token expires, and the agent's long-lived drift
# watcher reads the file again (every minute, and at once after a 401), so
# its watches and checks go on with the new token.  The test API server
# accepts only what its --token-file holds at each request.
. "$(dirname "$0")/../lib.sh"

echo token-one >server-token
start_registry reg
start_apiserver k --token-file "$TRASH/server-token"
R=$REGISTRY_reg
echo token-one >client-token
# The kubeconfig of the server, with the token read from a file.
sed "s|^\( *\)token: .*|\1tokenFile: $TRASH/client-token|" "$APISERVER_k" >kc
grep -q "tokenFile: $TRASH/client-token" kc || exit 1
kc() { kubectl --kubeconfig "$TRASH/kc" "$@"; }

mkdir -p src
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: rot\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: rot\ndata:\n  v: "v1"\n' >src/objects.yaml
hoist pack src -o rot.tgz --app rot --version 1.0.0 >/dev/null &&
hoist push rot.tgz "$R/acme/rot:latest" >/dev/null 2>&1 || exit 1

cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $TRASH/kc
namespace: hoist-system
stateDir: $TRASH/state
listen: 127.0.0.1:0
apps:
  - {name: rot, source: "$R/acme/rot:latest", interval: 1h, timeout: 30s}
EOF
# Watches of 2 s: each reopens with whatever token the watcher holds.
HOIST_WATCH_TIMEOUT=2 "$HOIST_BUILD/hoist-agent" run -c agent.yaml 2>agent.log &
echo $! >agent.pid
test_cleanup "kill \$(cat '$TRASH/agent.pid') 2>/dev/null"

events() { grep "\"event\":\"$1\"" agent.log | grep -c -F -e "$2"; }
has_event() { test "$(events "$@")" -ge 1; }
cm_is() { test "$(kc get configmap c -n rot -o jsonpath={.data.v})" = "$1"; }

test_expect_success 'the app syncs and its watches open' '
	wait_until 60 has_event sync-succeeded "" &&
	kc patch configmap c -n rot --type merge -p "{\"data\":{\"v\":\"before\"}}" &&
	wait_until 30 has_event drift-corrected "ConfigMap rot/c" &&
	wait_until 30 cm_is v1
'

test_expect_success 'after the token rotates, an edit is still seen and corrected' '
	echo token-two >client-token.new && mv client-token.new client-token &&
	echo token-two >server-token.new && mv server-token.new server-token &&
	n=$(events drift-corrected "ConfigMap rot/c") &&
	# Let every watch end and reopen at least once after the rotation.
	sleep 3 &&
	kc patch configmap c -n rot --type merge -p "{\"data\":{\"v\":\"after\"}}" &&
	wait_until 30 sh -c "test \$(grep \"\\\"event\\\":\\\"drift-corrected\\\"\" agent.log | grep -c \"ConfigMap rot/c\") -gt $n" &&
	wait_until 30 cm_is v1
'

test_expect_success 'the old token is refused by the server (the rotation was real)' '
	code=$(curl -s -o /dev/null -w "%{http_code}" --cacert apiserver-k/ca.crt \
		-H "Authorization: Bearer token-one" "$APISERVER_URL_k/api/v1/namespaces") &&
	test "$code" = 401
'

test_done
