#!/bin/sh
# The project's test Kubernetes API server (tests/apiserver/) keeps the
# semantics of a real kube-apiserver that hoist-agent relies on; this
# checks them with curl and the real kubectl.
. "$(dirname "$0")/../lib.sh"

# Only the Go server and curl/kubectl run here, none of hoist's C: under
# `make asan` this would check nothing more (and builds the server's tests).
if [ -n "${HOIST_SANITIZER:-}" ]; then
	echo "ok 1 # skip under the sanitizer build: no C of hoist runs here"
	echo "1..1"
	exit 0
fi

start_apiserver A --crd-establish-delay=500ms --watch-history=50 || exit 1
# B never gets to establish a CRD during the test: no timing involved.
start_apiserver B --crd-establish-delay=1h --cert-kubeconfig "$TRASH/cert-kubeconfig" || exit 1
export KUBECONFIG="$APISERVER_A"
CA="$TRASH/apiserver-A/ca.crt"

# api METHOD PATH [curl args...]: the body on stdout, the status code in
# $TRASH/code.
api() {
	_m=$1 _p=$2
	shift 2
	curl -s --cacert "$CA" -H "Authorization: Bearer $APISERVER_TOKEN_A" -X "$_m" \
		-o "$TRASH/body" -w '%{http_code}' "$@" "$APISERVER_URL_A$_p" >"$TRASH/code"
	cat "$TRASH/body"
}
code() { cat "$TRASH/code"; }
apply() { # apply PATH FILE [query]
	api PATCH "$1?fieldManager=${3:-hoist}${4:-}" -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$2"
}
rv() { jq -r .metadata.resourceVersion; }

cat >deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
YAML
DEP=/apis/apps/v1/namespaces/default/deployments/web

test_expect_success 'the server'"'"'s own Go tests pass' '
	sh "$TEST_TOP/tests/apiserver/build.sh" --test "$HOIST_BUILD/tests"
'

test_expect_success 'discovery: legacy and aggregated documents' '
	api GET /api | jq -e ".kind == \"APIVersions\" and .versions == [\"v1\"]" &&
	api GET /apis | jq -e "[.groups[].name] | index(\"apps\") != null" &&
	api GET /apis/apps/v1 | jq -e ".resources[] | select(.name == \"deployments\") | .namespaced and .kind == \"Deployment\"" &&
	api GET /apis/apps/v1 | jq -e ".resources[] | select(.name == \"deployments/status\")" &&
	api GET /api/v1 | jq -e ".resources[] | select(.name == \"namespaces\") | .namespaced == false" &&
	curl -s -D headers -o agg --cacert "$CA" -H "Authorization: Bearer $APISERVER_TOKEN_A" \
		-H "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" \
		"$APISERVER_URL_A/apis" &&
	test_grep -i "^content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" headers &&
	jq -e ".kind == \"APIGroupDiscoveryList\" and .apiVersion == \"apidiscovery.k8s.io/v2\"" agg &&
	jq -e ".items[] | select(.metadata.name == \"apps\") | .versions[0].resources[] | select(.resource == \"deployments\") | .scope == \"Namespaced\" and (.subresources | map(.subresource)) == [\"scale\",\"status\"]" agg &&
	curl -s -D headers2 -o agg2 --cacert "$CA" -H "Authorization: Bearer $APISERVER_TOKEN_A" \
		-H "Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList" "$APISERVER_URL_A/api" &&
	jq -e ".apiVersion == \"apidiscovery.k8s.io/v2beta1\" and (.items[0].versions[0].resources | map(.resource) | index(\"configmaps\") != null)" agg2 &&
	etag=$(sed -n "s/^[Ee]tag: //p" headers | tr -d "\r") && test -n "$etag" &&
	curl -s -o /dev/null -w "%{http_code}" --cacert "$CA" -H "Authorization: Bearer $APISERVER_TOKEN_A" \
		-H "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" \
		-H "If-None-Match: $etag" "$APISERVER_URL_A/apis" >code304 &&
	test "$(cat code304)" = 304
'

test_expect_success 'authentication: no token is anonymous (403), a wrong one 401; client certificates' '
	curl -s --cacert "$CA" -o out -w "%{http_code}" "$APISERVER_URL_A/api/v1/namespaces" >code &&
	test "$(cat code)" = 403 &&
	curl -s --cacert "$CA" -H "Authorization: Bearer nope" -o out -w "%{http_code}" "$APISERVER_URL_A/api/v1/namespaces" >code &&
	test "$(cat code)" = 401 && jq -e ".reason == \"Unauthorized\" and .code == 401" out &&
	KUBECONFIG="$TRASH/cert-kubeconfig" kubectl get namespace default -o name >out &&
	test_grep "^namespace/default$" out
'

test_expect_success 'apply creates; managedFields name the applier (Apply)' '
	apply $DEP deploy.yaml >out && test "$(code)" = 201 &&
	jq -e ".metadata.generation == 1 and .spec.replicas == 2" out &&
	jq -e ".metadata.managedFields | length == 1 and .[0].manager == \"hoist\" and .[0].operation == \"Apply\" and .[0].apiVersion == \"apps/v1\" and .[0].fieldsType == \"FieldsV1\"" out &&
	jq -e ".metadata.managedFields[0].fieldsV1[\"f:spec\"][\"f:template\"][\"f:spec\"][\"f:containers\"][\"k:{\\\"name\\\":\\\"web\\\"}\"][\"f:ports\"][\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\"]" out &&
	jq -e ".spec.template.spec.containers[0].ports[0].protocol == \"TCP\"" out &&
	# As on a real server: an applied struct field with content (labels)
	# is not itself a member of the set; list items are.
	jq -e ".metadata.managedFields[0].fieldsV1[\"f:metadata\"] == {\"f:labels\":{\"f:app\":{}}}" out
'

test_expect_success 'a no-op apply writes nothing: same resourceVersion and timestamps' '
	api GET $DEP >before &&
	sleep 1 &&
	apply $DEP deploy.yaml >after && test "$(code)" = 200 &&
	test "$(rv <before)" = "$(rv <after)" &&
	jq -S .metadata.managedFields before >mf1 && jq -S .metadata.managedFields after >mf2 &&
	cmp mf1 mf2
'

test_expect_success 'kubectl patch: an Update manager takes the field; generation moves' '
	kubectl patch deploy web -p "{\"spec\":{\"replicas\":3}}" &&
	api GET $DEP >out &&
	jq -e ".spec.replicas == 3 and .metadata.generation == 2" out &&
	jq -e ".metadata.managedFields[] | select(.manager == \"kubectl-patch\") | .operation == \"Update\" and .fieldsV1 == {\"f:spec\":{\"f:replicas\":{}}}" out &&
	jq -e "[.metadata.managedFields[] | select(.manager == \"hoist\") | .fieldsV1[\"f:spec\"] | has(\"f:replicas\")] == [false]" out
'

test_expect_success 'apply conflict: 409 with the real Status body; nothing changes' '
	api GET $DEP | rv >rv1 &&
	apply $DEP deploy.yaml >out && test "$(code)" = 409 &&
	jq -e ".kind == \"Status\" and .status == \"Failure\" and .reason == \"Conflict\" and .code == 409" out &&
	jq -e ".message == \"Apply failed with 1 conflict: conflict with \\\"kubectl-patch\\\" using apps/v1: .spec.replicas\"" out &&
	jq -e ".details.causes == [{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\\"kubectl-patch\\\" using apps/v1\",\"field\":\".spec.replicas\"}]" out &&
	api GET $DEP >now && test "$(rv <now)" = "$(cat rv1)" && jq -e ".spec.replicas == 3" now
'

test_expect_success 'dryRun=All: the answer shows the result, the store keeps the object' '
	apply $DEP deploy.yaml hoist "&force=true&dryRun=All" >out && test "$(code)" = 200 &&
	jq -e ".spec.replicas == 2" out &&
	api GET $DEP >now && test "$(rv <now)" = "$(cat rv1)" && jq -e ".spec.replicas == 3" now
'

test_expect_success 'force takes the field over; the other manager loses it' '
	apply $DEP deploy.yaml hoist "&force=true" >out && test "$(code)" = 200 &&
	jq -e ".spec.replicas == 2 and .metadata.generation == 3" out &&
	jq -e "[.metadata.managedFields[].manager] == [\"hoist\"]" out
'

test_expect_success 'a field the applier stops applying is removed' '
	sed "/ports:/,/containerPort/d" deploy.yaml >noports.yaml &&
	apply $DEP noports.yaml >out && test "$(code)" = 200 &&
	jq -e ".spec.template.spec.containers[0] | has(\"ports\") | not" out
'

test_expect_success 'status subresource: status and spec are written apart' '
	api GET $DEP >cur &&
	jq ".status = {observedGeneration: .metadata.generation, replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2} | .spec.replicas = 9" cur >st.json &&
	api PUT $DEP/status -H "Content-Type: application/json" --data-binary @st.json >out && test "$(code)" = 200 &&
	jq -e ".status.availableReplicas == 2 and .spec.replicas == 2" out &&
	jq -e ".metadata.generation == $(jq .metadata.generation cur)" out &&
	jq -e ".metadata.managedFields[] | select(.subresource == \"status\") | .fieldsV1[\"f:status\"]" out &&
	apply $DEP noports.yaml >out2 && jq -e ".status.availableReplicas == 2" out2 &&
	jq ".status.replicas = 5" cur >st2.json && api PUT $DEP -H "Content-Type: application/json" --data-binary @st2.json >out3 &&
	test "$(code)" = 409
'

test_expect_success 'update with a stale resourceVersion is a 409 Conflict' '
	jq -e ".reason == \"Conflict\" and (.message | startswith(\"Operation cannot be fulfilled on deployments.apps \\\"web\\\"\"))" "$TRASH/body"
'

test_expect_success 'invalid objects are 422 Invalid naming the field' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n" >bad.yaml &&
	apply /api/v1/namespaces/default/configmaps/Bad_Name bad.yaml >out && test "$(code)" = 422 &&
	jq -e ".reason == \"Invalid\" and .details.causes[0].field == \"metadata.name\" and (.message | startswith(\"ConfigMap \\\"Bad_Name\\\" is invalid: metadata.name: Invalid value: \\\"Bad_Name\\\": a lowercase RFC 1123 subdomain\"))" out &&
	echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}" >noname.json &&
	api POST /api/v1/namespaces/default/configmaps -H "Content-Type: application/json" --data-binary @noname.json >out &&
	test "$(code)" = 422 && jq -e ".details.causes[0] == {\"reason\":\"FieldValueRequired\",\"message\":\"Required value: name or generateName is required\",\"field\":\"metadata.name\"}" out &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: num\ndata:\n  a: 1\n" >num.yaml &&
	apply /api/v1/namespaces/default/configmaps/num num.yaml >out && test "$(code)" = 500 &&
	jq -e ".message == \"failed to create typed patch object (/v1, Kind=ConfigMap): .data.a: expected string, got &value.valueUnstructured{Value:1}\" and (has(\"reason\") | not)" out
'

test_expect_success '404 NotFound Status; 415 for an unknown patch type; fieldManager required' '
	api GET /api/v1/namespaces/default/configmaps/none >out && test "$(code)" = 404 &&
	jq -e ".reason == \"NotFound\" and .message == \"configmaps \\\"none\\\" not found\" and .details == {\"name\":\"none\",\"kind\":\"configmaps\"}" out &&
	api PATCH $DEP -H "Content-Type: text/plain" -d x >out && test "$(code)" = 415 &&
	api PATCH $DEP -H "Content-Type: application/apply-patch+yaml" --data-binary @deploy.yaml >out &&
	test "$(code)" = 422 && jq -e ".message | contains(\"fieldManager: Required value\")" out
'

cat >crd.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
YAML
WID=/apis/example.com/v1/namespaces/default/widgets

test_expect_success 'a CRD kind is 404 until the CRD is Established' '
	api GET $WID >out && test "$(code)" = 404 &&
	curl -s --cacert "$TRASH/apiserver-B/ca.crt" -H "Authorization: Bearer $APISERVER_TOKEN_B" -o crdB -w "%{http_code}" \
		-X PATCH -H "Content-Type: application/apply-patch+yaml" --data-binary @crd.yaml \
		"$APISERVER_URL_B/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com?fieldManager=hoist" >codeB &&
	test "$(cat codeB)" = 201 && jq -e ".status.conditions == []" crdB &&
	curl -s --cacert "$TRASH/apiserver-B/ca.crt" -H "Authorization: Bearer $APISERVER_TOKEN_B" -o /dev/null -w "%{http_code}" \
		"$APISERVER_URL_B$WID" >codeB &&
	test "$(cat codeB)" = 404 &&
	apply /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com crd.yaml >out &&
	test "$(code)" = 201 &&
	kubectl wait --for=condition=Established crd/widgets.example.com --timeout=60s &&
	api GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com >crd &&
	jq -e "[.status.conditions[] | select(.status == \"True\") | .type] == [\"NamesAccepted\", \"Established\"]" crd &&
	api GET $WID >out && test "$(code)" = 200 && jq -e ".kind == \"WidgetList\"" out
'

test_expect_success 'custom resources: schema pruning, set lists, kubectl' '
	printf "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n  tags: [a]\n  unknown: x\n" >w1.yaml &&
	apply $WID/w1 w1.yaml >out && test "$(code)" = 201 &&
	jq -e ".spec == {\"size\":3,\"tags\":[\"a\"]} and .metadata.generation == 1" out &&
	printf "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  tags: [b]\n" >w1b.yaml &&
	apply $WID/w1 w1b.yaml other >out && test "$(code)" = 200 &&
	jq -e ".spec.tags == [\"a\",\"b\"]" out &&
	kubectl get widgets -o name >names && test_grep "^widget.example.com/w1$" names &&
	apply $WID/w1 w1.yaml hoist "&fieldValidation=Strict" >out && test "$(code)" = 400 &&
	jq -e ".reason == \"BadRequest\" and .message == \".spec.unknown: field not declared in schema\"" out &&
	curl -s -D hdr -o /dev/null --cacert "$CA" -H "Authorization: Bearer $APISERVER_TOKEN_A" -X PATCH \
		-H "Content-Type: application/apply-patch+yaml" --data-binary @w1.yaml "$APISERVER_URL_A$WID/w1?fieldManager=hoist" &&
	test_grep -i "^warning: 299 - \"unknown field \\\\\"spec.unknown\\\\\"\"" hdr
'

test_expect_success 'deleting the CRD removes its objects and its kinds' '
	kubectl delete crd widgets.example.com --wait=true --timeout=60s &&
	api GET $WID >out && test "$(code)" = 404
'

test_expect_success 'list: label selectors, field selectors' '
	for i in 1 2 3 4 5; do
		kubectl create -f - <<-YAML || return 1
		apiVersion: v1
		kind: ConfigMap
		metadata: {name: c$i, labels: {num: "$i", tier: "$( [ $i -le 2 ] && echo front || echo back)"}}
		YAML
	done &&
	kubectl label cm c5 tier- &&
	sel() { api GET "/api/v1/namespaces/default/configmaps?labelSelector=$1" | jq -r "[.items[].metadata.name] | join(\",\")"; } &&
	test "$(sel tier%3Dfront)" = c1,c2 &&
	test "$(sel tier%21%3Dfront)" = c3,c4,c5 &&
	test "$(sel "num%20in%20(1,3)")" = c1,c3 &&
	test "$(sel "num,num%20notin%20(1,3)")" = c2,c4,c5 &&
	test "$(sel tier)" = c1,c2,c3,c4 &&
	test "$(sel "num,%21tier")" = c5 &&
	api GET "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc2" | jq -e "[.items[].metadata.name] == [\"c2\"]"
'

test_expect_success 'list: limit and continue page through everything once' '
	api GET "/api/v1/configmaps?labelSelector=num&limit=2" >p1 &&
	jq -e "(.items | length) == 2 and .metadata.continue != null" p1 &&
	api GET "/api/v1/configmaps?labelSelector=num&limit=2&continue=$(jq -r .metadata.continue p1)" >p2 &&
	api GET "/api/v1/configmaps?labelSelector=num&limit=2&continue=$(jq -r .metadata.continue p2)" >p3 &&
	jq -e ".metadata | has(\"continue\") | not" p3 &&
	jq -s -r "[.[].items[].metadata.name] | join(\",\")" p1 p2 p3 >all &&
	test "$(cat all)" = c1,c2,c3,c4,c5 &&
	api GET "/api/v1/namespaces/default/configmaps?limit=2" | jq -e ".metadata.remainingItemCount > 0"
'

test_expect_success 'watch: events from a resourceVersion; bookmarks; 410 for a too old one' '
	api GET /api/v1/namespaces/default/configmaps | rv >lrv &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w-a\n" | kubectl create -f - &&
	kubectl delete configmap w-a &&
	api GET "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$(cat lrv)&timeoutSeconds=3&allowWatchBookmarks=true" >ev &&
	jq -r ".type + \" \" + (.object.metadata.name // \"\")" ev >types &&
	head -n 2 types >first && printf "ADDED w-a\nDELETED w-a\n" >expect && cmp expect first &&
	test_grep -q "^BOOKMARK" types &&
	# Push resourceVersion 1 out of the 50 events kept.
	for i in $(seq 1 60); do
		api PATCH /api/v1/namespaces/default/configmaps/c1 -H "Content-Type: application/merge-patch+json" \
			-d "{\"data\":{\"i\":\"$i\"}}" >/dev/null || return 1
	done &&
	api GET "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=2" >ev2 &&
	jq -e "select(.type == \"ERROR\") | .object.code == 410 and .object.reason == \"Expired\"" ev2
'

test_expect_success 'deleting a namespace deletes its content' '
	kubectl create namespace gone 2>/dev/null || kubectl apply --server-side -f - <<-YAML
	apiVersion: v1
	kind: Namespace
	metadata: {name: gone}
	YAML
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" >x.yaml &&
	apply /api/v1/namespaces/gone/configmaps/x x.yaml >/dev/null && test "$(code)" = 201 &&
	kubectl delete namespace gone --wait=true --timeout=60s &&
	api GET /api/v1/namespaces/gone/configmaps/x >out && test "$(code)" = 404 &&
	apply /api/v1/namespaces/gone/configmaps/x x.yaml >out && test "$(code)" = 404 &&
	jq -e ".message == \"namespaces \\\"gone\\\" not found\"" out
'

test_expect_success 'kubectl apply --server-side, get and edit work against it' '
	kubectl apply --server-side --validate=false -f deploy.yaml >out && test_grep "serverside-applied" out &&
	EDITOR="sed -i s/replicas:\ 2/replicas:\ 4/" kubectl edit deploy web &&
	kubectl get deploy web -o jsonpath="{.spec.replicas}" >r && test "$(cat r)" = 4 &&
	kubectl get deploy web -o json --show-managed-fields | jq -e ".metadata.managedFields[] | select(.manager == \"kubectl-edit\") | .fieldsV1 == {\"f:spec\":{\"f:replicas\":{}}}"
'

test_expect_success 'kubectl typed commands (protobuf bodies) and kubectl scale' '
	kubectl create configmap typed --from-literal=a=b &&
	kubectl create secret generic typed --from-literal=p=q &&
	kubectl create serviceaccount typed &&
	api GET /api/v1/namespaces/default/configmaps/typed >out &&
	jq -e ".data == {\"a\":\"b\"} and .metadata.managedFields[0].manager == \"kubectl-create\"" out &&
	api GET /api/v1/namespaces/default/secrets/typed | jq -e ".data == {\"p\":\"cQ==\"} and .type == \"Opaque\"" &&
	kubectl scale deploy web --replicas=5 &&
	api GET $DEP >out &&
	jq -e ".spec.replicas == 5" out &&
	jq -e ".metadata.managedFields[] | select(.subresource == \"scale\") | .manager == \"kubectl\" and .fieldsV1 == {\"f:spec\":{\"f:replicas\":{}}}" out &&
	api GET $DEP/scale | jq -e ".kind == \"Scale\" and .spec.replicas == 5 and .status.selector == \"app=web\""
'

cat >crd2.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
  - name: v2
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML

test_expect_success 'CRD with two versions: both served, cluster scope, preferred version first' '
	kubectl apply --server-side -f crd2.yaml &&
	kubectl wait --for=condition=Established crd/gadgets.example.com --timeout=60s &&
	api GET /apis/example.com | jq -e ".preferredVersion.version == \"v2\" and (.versions | map(.version)) == [\"v2\",\"v1\"]" &&
	printf "apiVersion: example.com/v2\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  x: 1\n" >g.yaml &&
	apply /apis/example.com/v2/gadgets/g g.yaml >out && test "$(code)" = 201 &&
	api GET /apis/example.com/v1/gadgets/g >v1 && jq -e ".apiVersion == \"example.com/v1\" and .spec.x == 1" v1 &&
	jq -e ".metadata.managedFields[0].apiVersion == \"example.com/v2\"" v1 &&
	api GET /apis/example.com/v1/namespaces/default/gadgets/g >/dev/null && test "$(code)" = 404 &&
	api GET /apis/example.com/v1/gadgets | jq -e ".items[0].kind == \"Gadget\" and .items[0].apiVersion == \"example.com/v1\"" &&
	api GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com | jq -e ".status.storedVersions == [\"v1\"]"
'

test_expect_success 'size limits: ConfigMap data over 1 MiB is 422; an object over etcd limit is a 500' '
	python3 -c "import json; print(json.dumps({\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"x\"*(1024*1024+1)}}))" >big.json &&
	api POST /api/v1/namespaces/default/configmaps -H "Content-Type: application/json" --data-binary @big.json >out &&
	test "$(code)" = 422 && jq -e ".message == \"ConfigMap \\\"big\\\" is invalid: []: Too long: must have at most 1048576 bytes\"" out &&
	python3 -c "import json; print(json.dumps({\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"huge\"},\"spec\":{\"a\":\"x\"*(1600*1024)}}))" >huge.json &&
	api POST "/apis/example.com/v1/gadgets?dryRun=All" -H "Content-Type: application/json" --data-binary @huge.json >out &&
	test "$(code)" = 201 &&
	api POST /apis/example.com/v1/gadgets -H "Content-Type: application/json" --data-binary @huge.json >out &&
	test "$(code)" = 500 && jq -e ".message == \"etcdserver: request is too large\"" out &&
	api GET /apis/example.com/v1/gadgets/huge >/dev/null && test "$(code)" = 404
'

test_expect_success 'updates real validation refuses: an immutable Job template' '
	printf "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: c, image: busybox}\n" >job.yaml &&
	apply /apis/batch/v1/namespaces/default/jobs/j job.yaml >out && test "$(code)" = 201 &&
	jq -e ".spec.selector.matchLabels[\"batch.kubernetes.io/controller-uid\"] == .metadata.uid" out &&
	apply /apis/batch/v1/namespaces/default/jobs/j job.yaml >out && test "$(code)" = 200 &&
	sed s/busybox/alpine/ job.yaml >job2.yaml &&
	apply /apis/batch/v1/namespaces/default/jobs/j job2.yaml >out && test "$(code)" = 422 &&
	jq -e ".reason == \"Invalid\" and .details.causes[0].field == \"spec.template\" and (.message | endswith(\"field is immutable\"))" out
'

test_expect_success 'faults: injected failures for tests of hostile servers' '
	printf "GET /api/v1/namespaces/default/configmaps/c2 status=503 times=1\nGET /api/v1/namespaces/default/configmaps/c3 garbage\n" >faults &&
	api POST /hoist-test/faults --data-binary @faults >/dev/null && test "$(code)" = 204 &&
	api GET /api/v1/namespaces/default/configmaps/c2 >out && test "$(code)" = 503 &&
	jq -e ".reason == \"ServiceUnavailable\"" out &&
	api GET /api/v1/namespaces/default/configmaps/c2 >out && test "$(code)" = 200 &&
	api GET /api/v1/namespaces/default/configmaps/c3 >out && test "$(code)" = 200 && ! jq . out 2>/dev/null &&
	api DELETE /hoist-test/faults >/dev/null && test "$(code)" = 204 &&
	api GET /api/v1/namespaces/default/configmaps/c3 | jq -e ".metadata.name == \"c3\"" &&
	curl -s --cacert "$CA" -o /dev/null -w "%{http_code}" -X POST --data-binary @faults "$APISERVER_URL_A/hoist-test/faults" >code &&
	test "$(cat code)" = 401
'

test_done
