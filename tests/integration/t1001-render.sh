#!/bin/bash
# hoist render: folders, Git revisions, and clear errors for bad input.
. "$(dirname "$0")/../lib.sh"

DEMO=$TEST_TOP/templates/demo/podinfo

test_expect_success 'render prints a canonical stream in legacy order' '
	hoist render "$DEMO" >out &&
	test "$(grep -c "^---$" out)" = 3 &&
	head -n 4 out >head &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n" >expect &&
	cmp expect head &&
	grep -q "^kind: Deployment" out
'

test_expect_success 'render from a Git revision reads the commit, not the work tree' '
	git init -q repo &&
	mkdir -p repo/apps/web &&
	cp "$DEMO"/*.yaml repo/apps/web/ &&
	git -C repo add . && git -C repo commit -qm one &&
	hoist render apps/web --ref HEAD --repo repo >from-git &&
	hoist render repo/apps/web >from-dir &&
	cmp from-git from-dir &&
	sed -i "s/replicas: 2/replicas: 5/" repo/apps/web/deployment.yaml &&
	hoist render apps/web --ref HEAD --repo repo >again &&
	cmp from-git again &&
	git -C repo commit -qam two &&
	hoist render apps/web --ref HEAD --repo repo >two &&
	grep -q "replicas: 5" two &&
	hoist render apps/web --ref HEAD~1 --repo repo >one &&
	cmp from-git one
'

test_expect_success 'render of an unknown revision fails clearly' '
	test_must_fail hoist render apps/web --ref nope --repo repo 2>err &&
	test_grep "revision .nope. not found" err
'

test_expect_success 'malformed YAML names file, line and column' '
	mkdir bad1 &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [1, 2\n" >bad1/cm.yaml &&
	test_must_fail hoist render bad1 >out 2>err &&
	test_grep "^hoist: error: bad1/cm.yaml:5:" err &&
	test ! -s out
'

test_expect_success 'a document without kind is refused with its line' '
	mkdir bad2 &&
	printf "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n" >bad2/x.yaml &&
	test_must_fail hoist render bad2 2>err &&
	test_grep "x.yaml:5:1: object has no kind" err
'

test_expect_success 'a duplicate object names both files and lines' '
	mkdir bad3 &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" >bad3/a.yaml &&
	printf "# again\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n" >bad3/b.yaml &&
	test_must_fail hoist render bad3 2>err &&
	test_grep "duplicate object ConfigMap .*bad3/a.yaml:1:1 and bad3/b.yaml:2:1" err
'

test_expect_success 'an alias bomb is refused without blowing up' '
	mkdir bad4 &&
	{
		echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: bomb}"
		echo "a: &a [x,x,x,x,x,x,x,x,x,x]"
		prev=a
		for l in b c d e f g h i; do
			printf "%s: &%s [" $l $l
			for k in 1 2 3 4 5 6 7 8 9; do printf "*%s," $prev; done
			printf "*%s]\n" $prev
			prev=$l
		done
	} >bad4/bomb.yaml &&
	test_must_fail hoist render bad4 2>err &&
	test_grep "bomb.yaml:.*alias bomb" err
'

test_expect_success 'a 100 MB file is refused by size, not read' '
	mkdir bad5 &&
	truncate -s 100M bad5/huge.yaml &&
	test_must_fail hoist render bad5 2>err &&
	test_grep "huge.yaml.*larger than the limit" err
'

test_expect_success 'deep nesting is refused' '
	mkdir bad6 &&
	python3 -c "print(\"apiVersion: v1\nkind: X\nmetadata: {name: x}\nspec: \" + \"[\" * 5000 + \"]\" * 5000)" >bad6/deep.yaml &&
	test_must_fail hoist render bad6 2>err &&
	test_grep "deep.yaml:.*nesting deeper than the limit" err
'

test_expect_success 'values JSON cannot carry are refused with their place' '
	mkdir bad7 &&
	printf "apiVersion: v1\nkind: X\nmetadata: {name: x}\nspec:\n  v: .inf\n" >bad7/inf.yaml &&
	test_must_fail hoist render bad7 2>err &&
	test_grep "inf.yaml:5:6: .inf cannot be represented in JSON" err
'

test_expect_success 'an empty folder is an error, not an empty artifact' '
	mkdir empty &&
	test_must_fail hoist render empty 2>err &&
	test_grep "no Kubernetes manifests found" err
'

test_expect_success 'file names in messages are relative to the repository (or the current folder)' '
	git init -q named && mkdir -p named/apps/web &&
	printf "kind: [\n" >named/apps/web/x.yaml &&
	(cd named/apps && test_must_fail hoist render web 2>../../err1) &&
	test_grep "^hoist: error: apps/web/x.yaml:2:" err1
'

test_expect_success 'symlinks out of the repository are refused' '
	git init -q linked && mkdir -p linked/app outside &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" >outside/secret.yaml &&
	ln -s "$TRASH/outside/secret.yaml" linked/app/x.yaml &&
	test_must_fail hoist render linked/app 2>err &&
	test_grep "symlink points outside" err &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" >linked/shared.yaml &&
	rm linked/app/x.yaml && ln -s ../shared.yaml linked/app/y.yaml &&
	hoist render linked/app >ok.out && test_grep "name: b" ok.out
'

test_expect_success 'usage errors exit 2' '
	hoist render; test $? = 2 &&
	hoist render a b 2>err; test $? = 2 &&
	hoist frobnicate 2>err; test $? = 2
'

test_done
