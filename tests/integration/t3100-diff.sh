#!/bin/bash
# hoist diff: rendered objects of every app compared between two commits.
. "$(dirname "$0")/../lib.sh"

git init -q repo
cd repo
mkdir -p apps/web apps/api
cat >hoist.yaml <<'EOT'
apiVersion: hoist.dev/v1alpha1
kind: Project
registry: 127.0.0.1:5000/acme
apps:
- {name: web, path: apps/web}
- {name: api, path: apps/api}
- {name: extra, path: "apps/extra-${env}", environments: [prod]}
environments:
- {name: staging, branch: main}
- {name: prod, tag: "v*"}
EOT
cat >apps/web/cm.yaml <<'EOT'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {color: blue, size: large, a: "1", b: "2", c: "3", d: "4"}
EOT
cat >apps/web/svc.yaml <<'EOT'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
EOT
cat >apps/api/ns.yaml <<'EOT'
apiVersion: v1
kind: Namespace
metadata: {name: api}
EOT
git add . && git commit -qm one
sed -i 's/color: blue/color: green/' apps/web/cm.yaml
git rm -q apps/web/svc.yaml
cat >apps/web/deploy.yaml <<'EOT'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 2}
EOT
mkdir -p apps/extra-prod
cat >apps/extra-prod/cm.yaml <<'EOT'
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: prod}
data: {k: v}
EOT
git add . && git commit -qm two
cd ..

cat >expect <<'EOT'
~ changed: ConfigMap shop/web-config
--- a/web/ConfigMap/shop/web-config
+++ b/web/ConfigMap/shop/web-config
@@ -3,7 +3,7 @@
   a: "1"
   b: "2"
   c: "3"
-  color: blue
+  color: green
   d: "4"
   size: large
 kind: ConfigMap
- removed: Service shop/web
+ added: Deployment shop/web
EOT

test_expect_success 'changed, removed and added objects are listed with a unified diff' '
	hoist diff HEAD~1 HEAD --repo repo >out 2>err &&
	diff -u expect out &&
	test ! -s err
'

test_expect_success 'the diff runs from inside the work tree and takes any revision syntax' '
	(cd repo && hoist diff main~1 main) >out2 &&
	diff -u expect out2
'

test_expect_success 'the diff matches diff -u of the rendered objects' '
	(cd repo && git show HEAD~1:apps/web/cm.yaml) >cm-a.yaml &&
	mkdir ra rb && cp cm-a.yaml ra/cm.yaml && cp repo/apps/web/cm.yaml rb/cm.yaml &&
	hoist render ra >a.out && hoist render rb >b.out &&
	{ diff -u a.out b.out || true; } | tail -n +3 >gnu &&
	sed -n "/^@@/,/^ kind/p" out >ours &&
	diff -u gnu ours
'

test_expect_success 'no differences: nothing on stdout, "no changes" on stderr, exit 0' '
	hoist diff HEAD HEAD --repo repo >out 2>err &&
	test ! -s out &&
	test_grep "^no changes$" err
'

test_expect_success '--exit-code exits 1 on differences and 0 without' '
	test_expect_code() { want=$1; shift; "$@"; test $? = $want; } &&
	test_expect_code 1 hoist diff HEAD~1 HEAD --repo repo --exit-code >/dev/null &&
	test_expect_code 0 hoist diff HEAD HEAD --repo repo --exit-code 2>/dev/null
'

test_expect_success '--app limits the diff to the apps named' '
	hoist diff HEAD~1 HEAD --repo repo --app api --exit-code >out 2>err &&
	test ! -s out && test_grep "no changes" err &&
	hoist diff HEAD~1 HEAD --repo repo --app web --app api >out &&
	diff -u expect out
'

test_expect_success '--env expands ${env} and skips apps outside the environment' '
	hoist diff HEAD~1 HEAD --repo repo --env prod --app extra >out &&
	test "$(cat out)" = "+ added: ConfigMap prod/extra"
'

test_expect_success 'an unknown app or environment is an error' '
	test_must_fail hoist diff HEAD~1 HEAD --repo repo --app nope 2>err &&
	test_grep "no app .nope." err &&
	test_must_fail hoist diff HEAD~1 HEAD --repo repo --env nope 2>err &&
	test_grep "no environment .nope." err
'

test_expect_success 'an app that does not render names the revision' '
	(cd repo && echo "kind: [" >apps/api/bad.yaml && git add . && git commit -qm bad) &&
	test_must_fail hoist diff HEAD~1 HEAD --repo repo 2>err &&
	test_grep "app .api. at HEAD:" err
'

test_expect_success 'an unknown revision is an error, and usage errors exit 2' '
	test_must_fail hoist diff HEAD nope --repo repo 2>err &&
	test_grep "nope" err &&
	{ hoist diff HEAD --repo repo 2>err; test $? = 2; } &&
	test_grep "usage: hoist diff" err
'

test_expect_success 'hoist.yaml is read from the first revision when the second has none' '
	(cd repo && git rm -q hoist.yaml && git commit -qm nocfg) &&
	hoist diff HEAD~1 HEAD --repo repo --app web >out &&
	test ! -s out
'

test_done
