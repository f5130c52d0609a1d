#!/bin/bash
# hoist-agent sync --once against the project's test API server and a real
# registry: staged apply, an unchanged re-sync that writes nothing, drift
# corrected, conflicts: fail, prune, hoist.dev/prune: disabled, and no
# prune after a partial apply (acceptance 1 of the agent's issue).
. "$(dirname "$0")/../lib.sh"

start_registry R || exit 1
start_apiserver K || exit 1
export KUBECONFIG="$APISERVER_K"
REF="$REGISTRY_R/apps/demo:prod"

agent() { "$HOIST_BUILD/hoist-agent" "$@"; }

# write_config [conflicts]: agent.yaml for the app "demo".
write_config() {
	cat >"$TRASH/agent.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $APISERVER_K
namespace: hoist-system
stateDir: $TRASH/state
apps:
  - name: demo
    source: $REF
    namespace: demo
    timeout: 20s
    conflicts: ${1:-force}
EOF
}

# publish VERSION DIR: packs DIR and pushes it as the app's prod tag.
publish() {
	hoist pack "$2" -o "$TRASH/demo-$1.tgz" --app demo --version "$1" >/dev/null &&
	hoist push "$TRASH/demo-$1.tgz" "$REF" >/dev/null 2>&1
}

# rvs: "kind/name rv" of every object of the app, sorted.
rvs() {
	kubectl get configmaps,services,deployments,widgets -n demo \
		-o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}' |
		sort
	kubectl get namespace demo -o jsonpath='Namespace/demo {.metadata.resourceVersion}{"\n"}'
	kubectl get crd widgets.example.com -o jsonpath='CRD/widgets {.metadata.resourceVersion}{"\n"}'
}

mkdir -p v1
cat >v1/crd.yaml <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
EOF
cat >v1/app.yaml <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c2}
data: {b: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep
  annotations: {hoist.dev/prune: disabled}
data: {k: "v"}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.25}]
EOF
write_config

test_expect_success 'sync --once applies the artifact in stages and exits 0' '
	publish 1.0.0 v1 &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test_grep "^demo sha256:[0-9a-f]\{64\} 8 objects: 8 applied, 0 unchanged, 0 pruned; Healthy" out &&
	kubectl get widget w1 -n demo -o jsonpath="{.spec.size}" >size && test "$(cat size)" = 3 &&
	kubectl get configmap c1 -n demo -o jsonpath="{.metadata.labels.hoist\.dev/app}" >label &&
	test "$(cat label)" = demo &&
	grep "\"event\":\"created\"" log | sed "s/.*\"message\":\"\([A-Za-z]*\) .*/\1/" >order &&
	cat order &&
	# Namespace and CRD first, the custom resource after its CRD.
	test "$(head -n 2 order | sort | tr "\n" " ")" = "CustomResourceDefinition Namespace " &&
	test "$(grep -n Widget order | cut -d: -f1)" -gt 2 &&
	test "$(grep -c . order)" = 8
'

test_expect_success 'a second sync writes nothing: no resourceVersion moves' '
	rvs >before &&
	kubectl get configmap hoist-inventory-demo -n hoist-system -o jsonpath="{.metadata.resourceVersion}" >inv-before &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test_grep "8 objects: 0 applied, 8 unchanged, 0 pruned; Healthy" out &&
	rvs >after &&
	kubectl get configmap hoist-inventory-demo -n hoist-system -o jsonpath="{.metadata.resourceVersion}" >inv-after &&
	diff -u before after &&
	diff -u inv-before inv-after &&
	! grep "\"event\":\"configured\"" log
'

test_expect_success 'a kubectl edit of a field hoist owns is corrected' '
	kubectl patch configmap c1 -n demo --type merge -p "{\"data\":{\"a\":\"edited\"}}" &&
	kubectl patch configmap c2 -n demo --type json -p "[{\"op\":\"remove\",\"path\":\"/data/b\"}]" &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test_grep "8 objects: 2 applied, 6 unchanged" out &&
	test_grep "\"event\":\"configured\",\"message\":\"ConfigMap demo/c1\"" log &&
	test "$(kubectl get configmap c1 -n demo -o jsonpath={.data.a})" = 1 &&
	test "$(kubectl get configmap c2 -n demo -o jsonpath={.data.b})" = 2
'

test_expect_success 'conflicts: fail refuses a conflicting edit, names the manager and changes nothing' '
	rm -rf v2 && cp -r v1 v2 &&
	sed -i "s/data: {b: \"2\"}/data: {b: \"two\"}/" v2/app.yaml &&
	publish 2.0.0 v2 &&
	kubectl patch configmap c1 -n demo --type merge -p "{\"data\":{\"a\":\"edited\"}}" &&
	rvs >before &&
	write_config fail &&
	test_must_fail agent sync demo --once -c agent.yaml >out 2>err &&
	test_grep "error: demo: ConfigMap demo/c1: Apply failed with 1 conflict: conflict with \"kubectl-patch\"" err &&
	test_grep "nothing was applied" err &&
	rvs >after &&
	diff -u before after &&
	test "$(kubectl get configmap c2 -n demo -o jsonpath={.data.b})" = 2 &&
	test "$(kubectl get configmap c1 -n demo -o jsonpath={.data.a})" = edited &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml --json >status.json &&
	python3 -c "import json; a=json.load(open(\"status.json\"))[\"apps\"][0]; assert a[\"result\"] == \"conflict\", a; assert \"kubectl-patch\" in a[\"message\"]"
'

test_expect_success 'with conflicts: force (the default) the same artifact takes the field back' '
	write_config &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test "$(kubectl get configmap c1 -n demo -o jsonpath={.data.a})" = 1 &&
	test "$(kubectl get configmap c2 -n demo -o jsonpath={.data.b})" = two
'

test_expect_success 'a new artifact that drops objects prunes them; hoist.dev/prune: disabled survives' '
	rm -rf v3 && cp -r v2 v3 &&
	python3 - v3/app.yaml <<-\EOF &&
	import sys
	p = sys.argv[1]
	docs = open(p).read().split("---\n")
	docs = [d for d in docs if "name: c2" not in d and "name: keep" not in d]
	open(p, "w").write("---\n".join(docs))
	EOF
	publish 3.0.0 v3 &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test_grep "6 objects: 0 applied, 6 unchanged, 1 pruned; Healthy" out &&
	test_grep "\"event\":\"pruned\",\"message\":\"ConfigMap demo/c2\"" log &&
	test_grep "prune-skipped.*ConfigMap demo/keep: annotated hoist.dev/prune: disabled" log &&
	test_must_fail kubectl get configmap c2 -n demo &&
	kubectl get configmap keep -n demo
'

test_expect_success 'nothing is pruned after a partial apply; the next complete sync prunes' '
	rm -rf v4 && cp -r v3 v4 &&
	python3 - v4/app.yaml <<-\EOF &&
	import sys
	p = sys.argv[1]
	docs = open(p).read().split("---\n")
	docs = [d for d in docs if "name: c1" not in d]
	open(p, "w").write("---\n".join(docs))
	EOF
	# A kind whose CRD comes with the artifact cannot be dry-run before
	# that CRD exists; this object is refused only when it is applied.
	cat >v4/gadget.yaml <<-\EOF &&
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata: {name: gadgets.example.com}
	spec:
	  group: example.com
	  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
	  scope: Namespaced
	  versions:
	  - name: v1
	    served: true
	    storage: true
	    schema:
	      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
	---
	apiVersion: example.com/v1
	kind: Gadget
	metadata:
	  name: g1
	  labels: {broken: "not a valid label value!"}
	EOF
	publish 4.0.0 v4 &&
	test_must_fail agent sync demo --once -c agent.yaml >out 2>err &&
	test_grep "Gadget demo/g1" err &&
	test_grep "apply-incomplete.*nothing is pruned" err &&
	kubectl get configmap c1 -n demo &&
	sed -i "s/not a valid label value!/fixed/" v4/gadget.yaml &&
	publish 4.0.1 v4 &&
	agent sync demo --once -c agent.yaml >out 2>log &&
	test_grep "1 pruned; Healthy" out &&
	test_must_fail kubectl get configmap c1 -n demo &&
	kubectl get gadget g1 -n demo
'

test_expect_success 'an object another app manages is a conflict between the apps, never taken over' '
	cat >theirs-live.yaml <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: theirs
	  namespace: demo
	  labels: {hoist.dev/app: other}
	data: {x: "1"}
	EOF
	kubectl apply --server-side --field-manager=hoist -f theirs-live.yaml &&
	cat >v4/theirs.yaml <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: theirs}
	data: {x: "2"}
	EOF
	publish 4.1.0 v4 &&
	test_must_fail agent sync demo --once -c agent.yaml >out 2>err &&
	test_grep "ConfigMap demo/theirs is managed by app .other." err &&
	test "$(kubectl get configmap theirs -n demo -o jsonpath={.data.x})" = 1
'

test_expect_success 'hoist.dev/wave orders objects within a stage; *Class kinds come before the rest' '
	mkdir -p waves &&
	cat >waves/all.yaml <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: late, namespace: default, annotations: {hoist.dev/wave: "5"}}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: early, namespace: default, annotations: {hoist.dev/wave: "-1"}}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: middle, namespace: default}
	---
	apiVersion: storage.k8s.io/v1
	kind: StorageClass
	metadata: {name: fast, annotations: {hoist.dev/wave: "9"}}
	provisioner: example.com/fast
	EOF
	hoist pack waves -o waves.tgz --app waves --version 1.0.0 >/dev/null &&
	hoist push waves.tgz "$REGISTRY_R/apps/waves:prod" >/dev/null 2>&1 &&
	sed "s|name: demo|name: waves|; s|apps/demo:prod|apps/waves:prod|; s|namespace: demo|namespace: default|" \
		agent.yaml >waves.yaml &&
	"$HOIST_BUILD/hoist-agent" sync waves --once -c waves.yaml >out 2>log &&
	grep "\"event\":\"created\"" log | sed "s/.*\"message\":\"//; s/\"}\$//" >order &&
	printf "%s\n" "StorageClass fast" "ConfigMap default/early" "ConfigMap default/middle" \
		"ConfigMap default/late" >want &&
	diff -u want order
'

test_expect_success 'one object at two apiVersions is refused, nothing applied' '
	mkdir -p twice &&
	cat >twice/a.yaml <<-EOF &&
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata: {name: doubles.example.com}
	spec:
	  group: example.com
	  names: {kind: Double, plural: doubles, singular: double, listKind: DoubleList}
	  scope: Namespaced
	  versions:
	  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
	  - {name: v2, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
	---
	apiVersion: example.com/v1
	kind: Double
	metadata: {name: twin, namespace: default}
	spec: {size: 1}
	---
	apiVersion: example.com/v2
	kind: Double
	metadata: {name: twin, namespace: default}
	spec: {size: 2}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: bystander, namespace: default}
	EOF
	hoist pack twice -o twice.tgz --app twice --version 1.0.0 >/dev/null &&
	hoist push twice.tgz "$REGISTRY_R/apps/twice:prod" >/dev/null 2>&1 &&
	sed "s|name: demo|name: twice|; s|apps/demo:prod|apps/twice:prod|; s|namespace: demo|namespace: default|" \
		agent.yaml >twice.yaml &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync twice --once -c twice.yaml >out 2>err &&
	test_grep "holds example.com Double default/twin twice" err &&
	test_must_fail kubectl get crd doubles.example.com &&
	test_must_fail kubectl get configmap bystander -n default
'

test_expect_success 'status reads the recorded result from the stateDir' '
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml >status.txt &&
	test_grep "^demo " status.txt &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml --json >status.json &&
	python3 -c "import json; a=json.load(open(\"status.json\"))[\"apps\"][0]; assert a[\"name\"] == \"demo\" and a[\"result\"] == \"conflict\" and a[\"digest\"].startswith(\"sha256:\"), a"
'

test_done
