#!/bin/bash
# The Git server hooks: real `git push` into a bare repository with hoist's
# hooks installed, publishing to a real registry.
. "$(dirname "$0")/../lib.sh"

start_registry R
export HOIST_RETRY_MAX=1

tags() {
	curl -s "http://$REGISTRY_R/v2/acme/$1/tags/list" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted(t for t in (d.get('tags') or []) if not t.startswith('hoist-history-') and not t.endswith('.sig'))))"
}
digest_of() {
	curl -s -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/$1/manifests/$2" | tr -d '\r' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: \"%s\"\n" "$1" "$2"; }

test_expect_success 'setup: a bare repository with hoist hooks, a work repo with two apps' '
	git init -q --bare server.git &&
	printf "#!/bin/sh\necho chained-ran >>\"$TRASH/chained.log\"\n" >server.git/hooks/post-receive &&
	chmod +x server.git/hooks/post-receive &&
	hoist hook install server.git 2>install.err &&
	test -x server.git/hooks/pre-receive &&
	grep -q "hoist-shim" server.git/hooks/post-receive &&
	test -x server.git/hooks/post-receive.hoist-chained &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/apps/web work/apps/db &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	source: https://git.example.com/acme/deploy
	apps:
	  - name: web
	    path: apps/web
	  - name: db
	    path: apps/db
	environments:
	  - name: dev
	    branch: main
	  - name: prod
	    promoteFrom: dev
	EOF
	cm web 1 >work/apps/web/cm.yaml &&
	cm db 1 >work/apps/db/cm.yaml &&
	git -C work add . && git -C work commit -qm one
'

test_expect_success 'a push publishes both apps, and the pusher sees remote: hoist: lines' '
	git -C work push -q origin main 2>push.err &&
	test_grep "^remote: hoist: web rendered (1 objects) -> $REGISTRY_R/acme/web:0.0.0-main\." push.err &&
	test_grep "^remote: hoist: db rendered (1 objects)" push.err &&
	sha=$(git -C work rev-parse --short=7 HEAD) &&
	test "$(tags web)" = "0.0.0-main.20260102030405.$sha dev" &&
	test "$(tags db)" = "0.0.0-main.20260102030405.$sha dev" &&
	test "$(digest_of web dev)" = "$(digest_of web 0.0.0-main.20260102030405.$sha)" &&
	test_grep chained-ran chained.log
'

test_expect_success 'the hook, hoist publish and hoist ci agree on the digest of a commit' '
	sha=$(git -C work rev-parse HEAD) &&
	hook_digest=$(digest_of web dev) &&
	hoist publish --repo server.git --rev $sha --ref refs/heads/main --app web --dry-run >pub &&
	test "$(awk "{print \$6}" pub)" = "$hook_digest" &&
	(cd work && GITHUB_ACTIONS=true GITHUB_SHA=$sha GITHUB_REF=refs/heads/main \
		GITHUB_REPOSITORY=acme/deploy GITHUB_SERVER_URL=https://github.example.com \
		GITHUB_EVENT_NAME=push GITHUB_OUTPUT=$TRASH/gh.out hoist ci >../ci.out) &&
	test_grep "^web-digest=$hook_digest$" gh.out
'

test_expect_success 'a push that changes one app publishes only that app' '
	cm web 2 >work/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:05:00Z git -C work commit -qam two &&
	git -C work push -q origin main 2>push2.err &&
	test_grep "remote: hoist: web rendered" push2.err &&
	! grep -q "remote: hoist: db" push2.err &&
	test "$(tags web | wc -w)" = 3 &&
	test "$(tags db | wc -w)" = 2 &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pulled &&
	test_grep "v: \"2\"" pulled/manifests.yaml
'

test_expect_success 'the pre-receive gate rejects a commit that does not render, naming file and line' '
	before=$(git -C server.git rev-parse main) &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: [\n" >work/apps/web/bad.yaml &&
	git -C work add . && git -C work commit -qm broken &&
	test_must_fail git -C work push -q origin main 2>rej.err &&
	test_grep "remote: hoist: error: app web: apps/web/bad.yaml:[0-9]*:[0-9]*:" rej.err &&
	test_grep "pre-receive hook declined" rej.err &&
	test "$(git -C server.git rev-parse main)" = "$before" &&
	git -C work reset -q --hard HEAD~1
'

test_expect_success 'with the registry down a push still succeeds and the work is spooled' '
	stop_registry R &&
	cm web 3 >work/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:06:00Z git -C work commit -qam three &&
	git -C work push -q origin main 2>push3.err &&
	test_grep "remote: hoist: .*queued in hoist-spool" push3.err &&
	cm web 4 >work/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:07:00Z git -C work commit -qam four &&
	git -C work push -q origin main 2>push4.err &&
	test "$(git -C server.git rev-parse main)" = "$(git -C work rev-parse HEAD)" &&
	test "$(ls server.git/hoist-spool/*.job | wc -l)" = 2
'

test_expect_success 'hoist hook retry publishes the queue in order once the registry is back' '
	restart_registry R &&
	GIT_DIR=server.git hoist hook retry 2>retry.err &&
	test -z "$(ls server.git/hoist-spool/*.job 2>/dev/null)" &&
	test "$(tags web | wc -w)" = 5 &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pulled4 &&
	test_grep "v: \"4\"" pulled4/manifests.yaml
'

test_expect_success 'retrying again publishes nothing twice' '
	GIT_DIR=server.git hoist hook retry 2>again.err &&
	! grep -q "rendered" again.err &&
	test "$(tags web | wc -w)" = 5
'

test_expect_success 'an older commit never moves the environment tag back' '
	dev_before=$(digest_of web dev) &&
	old=$(git -C work rev-parse HEAD~1) &&
	older=$(git -C work rev-parse HEAD~2) &&
	# A worker detached by the pushes above may still be finishing its last
	# pass: let it end first, or it takes the job below (and reports to its
	# own log).
	i=0 && until flock -n server.git/hoist-spool/.worker true; do
		i=$((i + 1)); test $i -lt 600 || exit 1; sleep 0.1
	done &&
	(cd server.git && printf "ref refs/heads/main\nold %s\nnew %s\n" $older $old >hoist-spool/00000000000000000001000000000-000001.job) &&
	GIT_DIR=server.git hoist hook retry 2>old.err &&
	test_grep "holds a newer commit" old.err &&
	test "$(digest_of web dev)" = "$dev_before"
'

test_expect_success 'async: the push returns after queueing and a detached worker publishes' '
	cm web 5 >work/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T03:08:00Z git -C work commit -qam five &&
	HOIST_HOOK_ASYNC=1 git -C work push -q origin main 2>async.err &&
	test_grep "remote: hoist: queued 1 update(s); publishing in the background" async.err &&
	sha=$(git -C work rev-parse --short=7 HEAD) &&
	i=0 && until tags web | grep -q "$sha"; do
		i=$((i + 1)); test $i -lt 100 || { cat server.git/hoist-spool/worker.log; exit 1; }; sleep 0.1
	done &&
	i=0 && while ls server.git/hoist-spool/*.job >/dev/null 2>&1; do
		i=$((i + 1)); test $i -lt 100 || exit 1; sleep 0.1
	done &&
	test_grep "web rendered" server.git/hoist-spool/worker.log
'

test_expect_success 'deleting a branch is ignored' '
	git -C work push -q origin main:refs/heads/tmp 2>/dev/null &&
	git -C work push -q origin :refs/heads/tmp 2>del.err &&
	! grep -q "error" del.err
'

test_expect_success 'install keeps our shim idempotent and refuses to clobber a chained hook' '
	hoist hook install server.git 2>/dev/null &&
	test -x server.git/hooks/post-receive.hoist-chained &&
	printf "#!/bin/sh\nexit 0\n" >server.git/hooks/post-receive &&
	test_must_fail hoist hook install server.git 2>clobber.err &&
	test_grep "refusing to overwrite" clobber.err
'

test_done
