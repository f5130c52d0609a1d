#!/bin/bash
# A first sync of many objects of one collection lists the collection once
# instead of fetching each object (docs/testing.md, agent benchmark): what
# the LIST says is absent is created, but an object that exists is still
# fetched and checked, so one that another app manages is refused (nothing
# applied) and one nobody manages is adopted.
. "$(dirname "$0")/../lib.sh"

start_apiserver k
kc() { kubectl --kubeconfig "$APISERVER_k" "$@"; }

cms() { # NAMESPACE COUNT
	printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"
	for i in $(seq -w 1 "$2"); do
		printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s\n  namespace: %s\ndata:\n  i: "%s"\n' "$i" "$1" "$i"
	done
}

agent_yaml() { # APP
	cat <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $APISERVER_k
	stateDir: $TRASH/state
	apps:
	  - {name: $1, source: "oci-layout:$TRASH/store/$1:1", timeout: 30s}
	EOF
}

test_expect_success 'setup: 40 ConfigMaps; one already managed by app "other", one by nobody' '
	mkdir -p state app &&
	cms big 40 >app/objects.yaml &&
	hoist pack app -o big.tgz --app big --version 1.0.0 >/dev/null &&
	hoist push big.tgz "oci-layout:$TRASH/store/big:1" >/dev/null 2>&1 &&
	agent_yaml big >agent.yaml &&
	kc create namespace big >/dev/null &&
	kc create configmap cm-17 -n big --from-literal=i=theirs >/dev/null &&
	kc label configmap cm-17 -n big hoist.dev/app=other >/dev/null &&
	kc create configmap cm-23 -n big --from-literal=i=nobody >/dev/null
'

test_expect_success 'the object another app manages is refused and nothing is applied' '
	test_must_fail "$HOIST_BUILD/hoist-agent" sync big --once -c agent.yaml >out 2>err &&
	test_grep "ConfigMap big/cm-17 is managed by app .other." err &&
	test "$(kc get configmaps -n big -o name | grep -c cm-)" = 2 &&
	test "$(kc get configmap cm-17 -n big -o jsonpath={.data.i})" = theirs
'

test_expect_success 'once it is gone, the rest is created and the unmanaged one adopted' '
	kc delete configmap cm-17 -n big >/dev/null &&
	"$HOIST_BUILD/hoist-agent" sync big --once -c agent.yaml >out 2>err &&
	test_grep "41 objects: 41 applied" out &&
	test "$(kc get configmaps -n big -l hoist.dev/app=big -o name | wc -l)" = 40 &&
	test "$(kc get configmap cm-23 -n big -o jsonpath={.data.i})" = 23
'

test_expect_success 'a second sync changes nothing' '
	"$HOIST_BUILD/hoist-agent" sync big --once -c agent.yaml >out 2>err &&
	test_grep "41 objects: 0 applied, 41 unchanged" out
'

test_done
