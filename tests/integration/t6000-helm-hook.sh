#!/bin/bash
# A Helm chart published through the real post-receive hook into a real
# registry: hoist.yaml's Helm options (values per environment, releaseName,
# namespace, set), a subchart, and a chart that calls the clock and the
# random functions, whose artifact must still be the same for the same
# commit (same digest), keyed by the publisher's render secret.
. "$(dirname "$0")/../lib.sh"

start_registry R
export HOIST_RETRY_MAX=1

digest_of() {
	curl -s -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/$1/manifests/$2" | tr -d '\r' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

test_expect_success 'setup: a repository with a chart app and hoist hooks' '
	printf "publisher-only-key-0123456789\n" >secret.key &&
	git init -q --bare server.git &&
	hoist hook install server.git 2>install.err &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/charts/web/templates work/charts/web/charts/redis/templates &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	renderSecretFile: $TRASH/secret.key
	apps:
	  - name: web
	    path: charts/web
	    values: [values.yaml, "values-\${env}.yaml"]
	    releaseName: shop
	    namespace: store
	    set:
	      replicas: 3
	      image.tag: "1.2,3"
	environments:
	  - name: dev
	    branch: main
	EOF
	cat >work/charts/web/Chart.yaml <<-EOF &&
	apiVersion: v2
	name: web
	version: 1.0.0
	appVersion: "2.0"
	dependencies:
	  - name: redis
	    version: 0.1.0
	    repository: https://charts.example.com
	    condition: redis.enabled
	EOF
	cat >work/charts/web/values.yaml <<-EOF &&
	replicas: 1
	image: {repository: nginx, tag: latest}
	redis: {enabled: false}
	EOF
	cat >work/charts/web/values-dev.yaml <<-EOF &&
	redis: {enabled: true}
	EOF
	cat >work/charts/web/templates/deploy.yaml <<-EOF &&
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: {{ .Release.Name }}-web
	  namespace: {{ .Release.Namespace }}
	  annotations:
	    rendered-at: {{ now | date "2006-01-02T15:04:05Z07:00" | quote }}
	spec:
	  replicas: {{ .Values.replicas }}
	  template:
	    spec:
	      containers:
	        - name: web
	          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
	---
	apiVersion: v1
	kind: Secret
	metadata:
	  name: {{ .Release.Name }}-creds
	  namespace: {{ .Release.Namespace }}
	stringData:
	  password: {{ randAlphaNum 24 | quote }}
	  id: {{ uuidv4 | quote }}
	EOF
	cat >work/charts/web/charts/redis/Chart.yaml <<-EOF &&
	apiVersion: v2
	name: redis
	version: 0.1.0
	EOF
	cat >work/charts/web/charts/redis/templates/svc.yaml <<-EOF &&
	apiVersion: v1
	kind: Service
	metadata:
	  name: {{ .Release.Name }}-redis
	  namespace: {{ .Release.Namespace }}
	spec:
	  ports: [{port: 6379}]
	EOF
	git -C work add . && git -C work commit -qm one
'

test_expect_success 'a push publishes the chart, rendered with the app options' '
	git -C work push -q origin main 2>push.err &&
	test_grep "^remote: hoist: web rendered (3 objects) -> $REGISTRY_R/acme/web:0.0.0-main\." push.err &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pulled &&
	test_grep "name: shop-web" pulled/manifests.yaml &&
	test_grep "namespace: store" pulled/manifests.yaml &&
	test_grep "replicas: 3" pulled/manifests.yaml &&
	test_grep "image: nginx:1.2,3" pulled/manifests.yaml &&
	test_grep "name: shop-redis" pulled/manifests.yaml &&
	test_grep "rendered-at: \"2026-01-02T03:04:05Z\"" pulled/manifests.yaml &&
	grep "password:" pulled/manifests.yaml >pw &&
	test "$(wc -c <pw)" -gt 30 &&
	test_grep "\"name\":\"helm\"" pulled/hoist.json
'

test_expect_success 'the same commit gives the same digest, whatever the chart calls' '
	sha=$(git -C work rev-parse HEAD) &&
	published=$(digest_of web dev) &&
	hoist publish --repo server.git --rev $sha --ref refs/heads/main --app web --dry-run >pub1 &&
	hoist publish --repo server.git --rev $sha --ref refs/heads/main --app web --dry-run >pub2 &&
	test "$(awk "{print \$6}" pub1)" = "$published" &&
	test "$(awk "{print \$6}" pub2)" = "$published"
'

test_expect_success 'another secret gives other random values, the same clock' '
	sha=$(git -C work rev-parse HEAD) &&
	HOIST_RENDER_SECRET=another hoist render --repo server.git --ref $sha charts/web >other.yaml &&
	hoist render --repo server.git --ref $sha charts/web >none.err 2>&1 ;
	test_grep "rendered-at: \"2026-01-02T03:04:05Z\"" other.yaml &&
	! grep -F "$(sed -n "s/.*password: //p" pulled/manifests.yaml)" other.yaml
'

test_expect_success 'without a render secret a random function fails, naming the call' '
	sha=$(git -C work rev-parse HEAD) &&
	test_must_fail hoist render --repo server.git --ref $sha charts/web 2>nosecret.err &&
	test_grep "randAlphaNum" nosecret.err &&
	test_grep "deploy.yaml" nosecret.err
'

test_expect_success 'a chart that does not render is rejected by the pre-receive gate' '
	before=$(git -C server.git rev-parse main) &&
	printf "{{ .Values.replicas | nosuchfunc }}\n" >work/charts/web/templates/bad.yaml &&
	git -C work add . && git -C work commit -qm broken &&
	test_must_fail git -C work push -q origin main 2>rej.err &&
	test_grep "remote: hoist: error: app web: .*bad.yaml" rej.err &&
	test "$(git -C server.git rev-parse main)" = "$before" &&
	git -C work reset -q --hard HEAD~1
'

test_expect_success 'a change to a values file republishes the app' '
	printf "redis: {enabled: false}\n" >work/charts/web/values-dev.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:05:00Z git -C work commit -qam nored &&
	git -C work push -q origin main 2>push2.err &&
	test_grep "remote: hoist: web rendered (2 objects)" push2.err
'

test_done
