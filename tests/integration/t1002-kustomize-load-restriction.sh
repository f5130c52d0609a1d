#!/bin/bash
# kustomize's default load restriction, as kubectl kustomize applies it:
# files a kustomization names must be in or below its folder; other
# kustomization folders may be anywhere in the repository.
. "$(dirname "$0")/../lib.sh"

setup() {
	rm -rf lr && mkdir -p lr/base lr/ov &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" >lr/base/cm.yaml &&
	printf "resources: [cm.yaml]\n" >lr/base/kustomization.yaml
}

test_expect_success 'a resource file outside the folder is refused, as kubectl refuses it' '
	setup && printf "resources: [../base/cm.yaml]\n" >lr/ov/kustomization.yaml &&
	if command -v kubectl >/dev/null; then test_must_fail kubectl kustomize lr/ov 2>/dev/null; fi &&
	test_must_fail hoist render lr/ov 2>err &&
	test_grep "security; file .lr/base/cm.yaml. is not in or below .lr/ov." err
'

test_expect_success 'a generator file outside the folder is refused' '
	setup && printf "configMapGenerator:\n- name: x\n  files: [../base/cm.yaml]\n" >lr/ov/kustomization.yaml &&
	if command -v kubectl >/dev/null; then test_must_fail kubectl kustomize lr/ov 2>/dev/null; fi &&
	test_must_fail hoist render lr/ov 2>err &&
	test_grep "security; file .lr/base/cm.yaml. is not in or below .lr/ov." err
'

test_expect_success 'a kustomization folder outside is fine, and so is a file below' '
	setup && mkdir -p lr/ov/extra &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n" >lr/ov/extra/d.yaml &&
	printf "resources: [../base, extra/d.yaml]\n" >lr/ov/kustomization.yaml &&
	hoist render lr/ov >out &&
	if command -v kubectl >/dev/null; then kubectl kustomize lr/ov >expect && cmp expect out; fi &&
	test_grep "name: d" out
'

test_done
