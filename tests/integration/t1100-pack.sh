#!/bin/bash
# hoist pack: reproducible artifacts; hoist inspect: verification.
. "$(dirname "$0")/../lib.sh"

DEMO=$TEST_TOP/templates/demo/podinfo

test_expect_success 'packing the same input in two folders with other mtimes gives one digest' '
	mkdir -p one/podinfo two/deep/podinfo &&
	cp "$DEMO"/* one/podinfo/ &&
	cp "$DEMO"/* two/deep/podinfo/ &&
	touch -d "2001-02-03 04:05:06" one/podinfo/* &&
	touch -d "2024-12-31 23:59:59" two/deep/podinfo/* &&
	(cd one && umask 077 && hoist pack podinfo -o ../a.tgz --app podinfo --version 1.2.3 >../a.out) &&
	(cd two/deep && umask 022 && hoist pack podinfo -o ../../b.tgz --app podinfo --version 1.2.3 >../../b.out) &&
	cmp a.tgz b.tgz &&
	test "$(cut -d" " -f1 a.out)" = "sha256:$(sha256sum a.tgz | cut -d" " -f1)" &&
	test "$(cut -d" " -f1 a.out)" = "$(cut -d" " -f1 b.out)"
'

test_expect_success 'the tarball has sorted entries with fixed owners, modes and times' '
	tar -tvzf a.tgz >list &&
	cat >expect <<-\EOT &&
	-rw-r--r-- 0/0 hoist.json 1970-01-01 00:00
	-rw-r--r-- 0/0 manifests.yaml 1970-01-01 00:00
	EOT
	awk "{print \$1, \$2, \$6, \$4, \$5}" list >got &&
	cmp expect got
'

test_expect_success 'manifests.yaml in the artifact is what render prints' '
	mkdir x && tar -xzf a.tgz -C x &&
	hoist render "$DEMO" >rendered &&
	cmp rendered x/manifests.yaml &&
	python3 -c "import json,sys; d=json.load(open(\"x/hoist.json\")); assert d[\"app\"]==\"podinfo\" and d[\"version\"]==\"1.2.3\" and len(d[\"objects\"])==4, d" &&
	test "$(python3 -c "import json; print(json.load(open(\"x/hoist.json\"))[\"files\"][\"manifests.yaml\"])")" = "sha256:$(sha256sum x/manifests.yaml | cut -d" " -f1)"
'

test_expect_success 'packing from a Git revision records revision and commit time' '
	git init -q repo && mkdir -p repo/app && cp "$DEMO"/* repo/app/ &&
	git -C repo add . && git -C repo commit -qm c1 &&
	sha=$(git -C repo rev-parse HEAD) &&
	hoist pack app --ref main --repo repo -o g.tgz --version 0.1.0 &&
	hoist inspect g.tgz >info &&
	test_grep "revision: main@sha1:$sha" info &&
	test_grep "created: 2026-01-02T03:04:05Z" info &&
	test_grep "app: app" info
'

test_expect_success 'hoist inspect verifies and summarises' '
	hoist inspect a.tgz >info &&
	test_grep "^objects: 4$" info &&
	hoist inspect --manifests a.tgz >m &&
	cmp m rendered
'

test_expect_success 'a truncated artifact is refused' '
	head -c 300 a.tgz >trunc.tgz &&
	test_must_fail hoist inspect trunc.tgz 2>err &&
	test_grep "trunc.tgz: artifact is truncated or corrupt" err
'

test_expect_success 'a tampered artifact is refused: content no longer matches hoist.json' '
	mkdir t && tar -xzf a.tgz -C t &&
	sed -i "s/replicas: 2/replicas: 9/" t/manifests.yaml &&
	(cd t && tar --sort=name --owner=0 --group=0 --mtime=@0 -czf ../tampered.tgz hoist.json manifests.yaml) &&
	test_must_fail hoist inspect tampered.tgz 2>err &&
	test_grep "manifests.yaml: sha256 mismatch" err
'

test_expect_success 'bad input to pack leaves no output file' '
	mkdir bad && printf "kind: [\n" >bad/x.yaml &&
	test_must_fail hoist pack bad -o bad.tgz --app x 2>err &&
	test_grep "x.yaml:" err &&
	test ! -e bad.tgz &&
	test -z "$(ls | grep "bad.tgz")"
'

test_expect_success 'pack refuses a malformed --created' '
	test_must_fail hoist pack "$DEMO" -o c.tgz --created yesterday 2>err &&
	test_grep "RFC 3339" err && test ! -e c.tgz
'

test_done
