#!/bin/bash
# Kustomize apps through the receive hook: the native engine renders the
# overlays, and incremental publishing follows what each render read, so a
# change to a shared base republishes every overlay built on it.
. "$(dirname "$0")/../lib.sh"

start_registry R

published() { grep -o "remote: hoist: [a-z-]* rendered" "$1" | awk '{print $3}' | sort | tr '\n' ' '; }

test_expect_success 'setup: two overlays on one base, and a plain app' '
	git init -q --bare server.git && hoist hook install server.git 2>/dev/null &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/base work/overlays/eu work/overlays/us work/plain &&
	cat >work/base/deploy.yaml <<-\EOF &&
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web}
	spec:
	  replicas: 1
	  template:
	    spec:
	      containers: [{name: web, image: "nginx:1.25"}]
	EOF
	printf "resources: [deploy.yaml]\n" >work/base/kustomization.yaml &&
	for r in eu us; do
		printf "resources: [../../base]\nnamePrefix: %s-\ncommonLabels: {region: %s}\nimages: [{name: nginx, newTag: \"1.27\"}]\n" $r $r \
			>work/overlays/$r/kustomization.yaml || exit 1
	done &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n" >work/plain/cm.yaml &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	apps:
	  - {name: eu, path: overlays/eu}
	  - {name: us, path: overlays/us}
	  - {name: plain, path: plain}
	environments: [{name: dev, branch: main}]
	EOF
	git -C work add . && git -C work commit -qm one &&
	git -C work push -q origin main 2>push1.err &&
	test "$(published push1.err)" = "eu plain us "
'

test_expect_success 'the overlay artifact is what kubectl kustomize prints' '
	hoist pull "$REGISTRY_R/acme/eu:dev" -o eu &&
	kubectl kustomize work/overlays/eu >expect &&
	cmp expect eu/manifests.yaml &&
	test_grep "\"name\":\"kustomize\"" eu/hoist.json &&
	test_grep "name: eu-web" eu/manifests.yaml
'

test_expect_success 'a change to the shared base republishes both overlays, not the plain app' '
	sed -i "s/replicas: 1/replicas: 3/" work/base/deploy.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:05:00Z git -C work commit -qam base &&
	git -C work push -q origin main 2>push2.err &&
	test "$(published push2.err)" = "eu us "
'

test_expect_success 'a change to one overlay republishes only it' '
	printf "resources: [../../base]\nnamePrefix: us-\ncommonLabels: {region: us, tier: web}\n" >work/overlays/us/kustomization.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:06:00Z git -C work commit -qam us &&
	git -C work push -q origin main 2>push3.err &&
	test "$(published push3.err)" = "us "
'

test_expect_success 'a new file in a plain app folder republishes it' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain2}\n" >work/plain/cm2.yaml &&
	git -C work add . && GIT_COMMITTER_DATE=2026-01-02T03:07:00Z git -C work commit -qm plain2 &&
	git -C work push -q origin main 2>push4.err &&
	test "$(published push4.err)" = "plain "
'

test_expect_success 'an overlay that does not build is rejected by the gate, naming the field' '
	printf "resources: [../../base]\nopenapi: {path: schema.json}\n" >work/overlays/eu/kustomization.yaml &&
	git -C work commit -qam openapi &&
	test_must_fail git -C work push -q origin main 2>rej.err &&
	test_grep "remote: hoist: error: app eu: overlays/eu/kustomization.yaml:2:1: kustomization field .openapi. is not supported" rej.err
'

test_done
