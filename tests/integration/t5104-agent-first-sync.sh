#!/bin/bash
# A first sync of many objects of one collection lists the collection once
# instead of fetching each object (docs/testing.md, agent benchmark): what
# the LIST says is absent is created, but an object that exists is still
# fetched and checked, so one that another app manages is refused (nothing
# applied) and one nobody manages is adopted.  A first sync creates new
# ConfigMaps without dry-running them first; when the server refuses one,
# everything that sync created is deleted again, and the same digest is
# dry-run in full from then on.
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

test_expect_success 'setup: a first sync of 30 ConfigMaps, one of which the server refuses' '
	mkdir -p bad &&
	{
		cms bad 30 &&
		printf -- "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-zz\n  namespace: bad\ndata:\n  \"not a key!\": x\n"
	} >bad/objects.yaml &&
	hoist pack bad -o bad.tgz --app bad --version 1.0.0 >/dev/null &&
	hoist push bad.tgz "oci-layout:$TRASH/store/bad:1" >/dev/null 2>&1 &&
	agent_yaml bad >agent-bad.yaml
'

test_expect_success 'the refusal deletes what the sync created: nothing is left' '
	test_must_fail "$HOIST_BUILD/hoist-agent" sync bad --once -c agent-bad.yaml >out 2>err &&
	test_grep "error: bad: ConfigMap bad/cm-zz: .*a valid config key must consist of alphanumeric characters" err &&
	test_grep "the 30 objects this sync created were deleted again" err &&
	test_grep "\"event\":\"created\",\"message\":\"ConfigMap bad/cm-01\"" err &&
	test_grep "\"event\":\"undone\",\"message\":\"ConfigMap bad/cm-01\"" err &&
	test "$(kc get configmaps -n bad -o name | wc -l)" = 0 &&
	kc get configmap hoist-inventory-bad -n hoist-system -o jsonpath="{.binaryData.inventory\.gz}" |
		base64 -d | gunzip >inventory &&
	! grep ConfigMap inventory &&
	# The namespace it created stays, empty and in the inventory: deleted,
	# it would be Terminating when the fixed artifact comes.
	! grep "\"event\":\"undone\",\"message\":\"Namespace bad\"" err &&
	kc get namespace bad -o jsonpath={.status.phase} | grep -x Active &&
	grep -P "^v1\tNamespace\t\tbad$" inventory
'

test_expect_success 'the fixed artifact then syncs at once, in the namespace left behind' '
	sed -i "s/\"not a key!\"/fixed/" bad/objects.yaml &&
	hoist pack bad -o bad2.tgz --app bad --version 1.0.1 >/dev/null &&
	hoist push bad2.tgz "oci-layout:$TRASH/store/bad:1" >/dev/null 2>&1 &&
	"$HOIST_BUILD/hoist-agent" sync bad --once -c agent-bad.yaml >out 2>err &&
	test_grep "32 objects: 31 applied, 1 unchanged" out &&
	test "$(kc get configmaps -n bad -l hoist.dev/app=bad -o name | wc -l)" = 31
'

test_expect_success 'the run loop then dry-runs that digest in full: nothing is created again' '
	kc create namespace keep >/dev/null &&
	mkdir -p bad2 &&
	{
		cms keep 30 | sed 1,4d &&
		printf -- "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-zz\n  namespace: keep\ndata:\n  \"not a key!\": x\n"
	} >bad2/objects.yaml &&
	! grep Namespace bad2/objects.yaml &&
	hoist pack bad2 -o bad2.tgz --app bad2 --version 1.0.0 >/dev/null &&
	hoist push bad2.tgz "oci-layout:$TRASH/store/bad2:1" >/dev/null 2>&1 &&
	cat >agent-loop.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $APISERVER_k
	stateDir: $TRASH/state-loop
	listen: 127.0.0.1:0
	apps:
	  - {name: bad2, source: "oci-layout:$TRASH/store/bad2:1", timeout: 30s, interval: 1s}
	EOF
	true
	# Its own list (no && before the &): $! is then the agent itself.
	"$HOIST_BUILD/hoist-agent" run -c agent-loop.yaml 2>loop.log &
	pid=$! &&
	test_cleanup "kill $pid 2>/dev/null" &&
	wait_until 60 sh -c "test \$(grep -c \"\\\"event\\\":\\\"sync-failed\\\"\" loop.log) -ge 2" &&
	kill $pid &&
	test "$(grep -c "\"event\":\"undone\"" loop.log)" = 30 &&
	test "$(grep -c "\"event\":\"created\"" loop.log)" = 30 &&
	grep "\"event\":\"sync-failed\"" loop.log | sed -n 1p >first &&
	test_grep "deleted again" first &&
	grep "\"event\":\"sync-failed\"" loop.log | sed -n 2p >second &&
	test_grep "cm-zz.*nothing was applied" second &&
	test "$(kc get configmaps -n keep -o name | wc -l)" = 0
'

test_done
