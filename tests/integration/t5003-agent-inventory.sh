#!/bin/bash
# The inventory of an app with 5,000 objects, kept in the cluster, stays
# far below etcd's 1.5 MiB object limit; its size is measured and printed
# (acceptance 5 of the agent's issue).
. "$(dirname "$0")/../lib.sh"

start_registry R || exit 1
start_apiserver K || exit 1
export KUBECONFIG="$APISERVER_K"
REF="$REGISTRY_R/apps/big:prod"

cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $APISERVER_K
stateDir: $TRASH/state
concurrency: 8
apps:
  - name: big
    source: $REF
    namespace: big
    timeout: 1m
EOF

mkdir -p app
python3 - <<'EOF'
with open("app/all.yaml", "w") as f:
    f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: big}\n")
    for i in range(4999):
        f.write("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-%05d}\ndata: {index: \"%d\"}\n" % (i, i))
EOF
hoist pack app -o big.tgz --app big --version 1.0.0 >/dev/null &&
hoist push big.tgz "$REF" >/dev/null 2>&1 || exit 1

test_expect_success 'an app of 5,000 objects is applied and its inventory stored' '
	"$HOIST_BUILD/hoist-agent" sync big --once -c agent.yaml >out 2>log &&
	test_grep "5000 objects: 5000 applied, 0 unchanged, 0 pruned; Healthy" out &&
	test "$(kubectl get configmaps -n big -l hoist.dev/app=big -o name | wc -l)" = 4999
'

test_expect_success 'the inventory of 5,000 objects stays far below 1.5 MiB (size printed)' '
	kubectl get configmap hoist-inventory-big -n hoist-system -o json >inv.json &&
	python3 - <<-\EOF
	import base64, gzip, json
	cm = json.load(open("inv.json"))
	stored = cm["binaryData"]["inventory.gz"]
	lines = gzip.decompress(base64.b64decode(stored)).decode().splitlines()
	total = len(json.dumps(cm).encode())
	open("inv-size.txt", "w").write(
	    "# inventory of %d objects: %d bytes of data (%d bytes as a ConfigMap, %d bytes uncompressed)\n"
	    % (len(lines), len(stored), total, sum(len(l) + 1 for l in lines)))
	assert len(lines) == 5000, len(lines)
	assert "v1\tConfigMap\tbig\tconfig-04998" in lines
	assert "v1\tNamespace\t\tbig" in lines
	assert total < 1572864 / 10, total
	EOF
'

test_expect_success 'an unchanged re-sync of 5,000 objects writes nothing' '
	kubectl get configmaps -n big -o jsonpath="{range .items[*]}{.metadata.name} {.metadata.resourceVersion}{\"\n\"}{end}" >before &&
	start=$(date +%s.%N) &&
	"$HOIST_BUILD/hoist-agent" sync big --once -c agent.yaml >out 2>log &&
	end=$(date +%s.%N) &&
	echo "# unchanged re-sync of 5000 objects: $(echo "$end - $start" | bc) s" >resync-time.txt &&
	test_grep "5000 objects: 0 applied, 5000 unchanged, 0 pruned; Healthy" out &&
	kubectl get configmaps -n big -o jsonpath="{range .items[*]}{.metadata.name} {.metadata.resourceVersion}{\"\n\"}{end}" >after &&
	diff -u before after
'

# The measurements, as TAP comments (run.sh counts only ok / not ok lines).
cat inv-size.txt resync-time.txt 2>/dev/null

test_done
