#!/bin/bash
# Remote kustomize sources (docs/remote.md): a Git base and component served
# at a tag by the real `git http-backend` and an HTTP file, on 127.0.0.1.
# Rendered through `hoist render`, the receive hook and `hoist ci`, byte for
# byte what kubectl kustomize (which fetches them with the git binary)
# prints; pinned by hoist.lock and recorded in the artifact; served from the
# cache once the server is gone; refused, with nothing published, when a
# host is not allowed, a redirect leaves the allowed hosts, the lock does not
# match, a ref floats without a pin, content was tampered with, or a
# download is too big.
. "$(dirname "$0")/../lib.sh"
# fd 3: the test output, for "# elapsed:" lines from inside a test body.
exec 3>&1

start_registry R
export HOIST_RETRY_MAX=1
export HOIST_CACHE_DIR="$TRASH/cache"
REMOTE_PORT=$(free_port)
# Redirect 0 stays on the allowed host; redirect 1 goes to "localhost", which is not allowed.
start_remoteserver S --redirect "http://127.0.0.1:$REMOTE_PORT/git/" \
	--redirect "http://localhost:$REMOTE_PORT/git/"
unset REMOTE_PORT
S=$REMOTE_S
SRV="$TRASH/remote-S"
BASE="http://$S/git/org/base.git"

tags() {
	curl -s "http://$REGISTRY_R/v2/acme/$1/tags/list" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted(t for t in (d.get('tags') or []) if not t.startswith('hoist-history-') and not t.endswith('.sig'))))"
}
all_tags() { for a in web extra; do echo "$a: $(tags $a)"; done; }

test_expect_success 'setup: an upstream repository with a base and a component at tag v1.0.0' '
	git init -q upstream &&
	mkdir -p upstream/base upstream/comp &&
	cat >upstream/base/deploy.yaml <<-\EOF &&
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, labels: {app: web}}
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers: [{name: web, image: "nginx:1.25"}]
	EOF
	printf "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n" >upstream/base/svc.yaml &&
	printf "resources: [deploy.yaml, svc.yaml]\ncommonLabels: {tier: front}\n" >upstream/base/kustomization.yaml &&
	cat >upstream/comp/kustomization.yaml <<-\EOF &&
	apiVersion: kustomize.config.k8s.io/v1alpha1
	kind: Component
	patches:
	- target: {kind: Deployment}
	  patch: |-
	    - op: replace
	      path: /spec/replicas
	      value: 3
	EOF
	git -C upstream add . && git -C upstream commit -qm v1 && git -C upstream tag -a -m v1 v1.0.0 &&
	git clone -q --bare upstream "$SRV/git/org/base.git" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n" >"$SRV/files/extra.yaml"
'

test_expect_success 'setup: a deploy repository whose overlay names the remote base, component and file' '
	git init -q --bare server.git && hoist hook install server.git 2>/dev/null &&
	git -C server.git config --add hoist.allowRemote "$S" &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/web work/extra &&
	cat >work/web/kustomization.yaml <<-EOF &&
	resources:
	- $BASE//base?ref=v1.0.0
	components:
	- $BASE//comp?ref=v1.0.0&timeout=30s
	namePrefix: prod-
	EOF
	printf "resources:\n- http://$S/extra.yaml\nnamespace: extra\n" >work/extra/kustomization.yaml &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	remoteSources: {allow: ["$S"]}
	apps:
	  - {name: web, path: web}
	  - {name: extra, path: extra}
	environments: [{name: dev, branch: main}]
	EOF
	git -C work add . && git -C work commit -qm one
'

test_expect_success 'render refuses a host that is not allowed, naming it and the way to allow it' '
	test_expect_code 1 hoist render work/web 2>err &&
	test_grep "web/kustomization.yaml:2:3: remote host .$S. is not allowed (allow it with --allow-remote $S" err &&
	test ! -d "$HOIST_CACHE_DIR/git"
'

test_expect_success 'an HTTP file without a pin is floating and refused; --allow-floating takes it' '
	test_expect_code 1 hoist render work/extra --allow-remote "$S" 2>err &&
	test_grep "is a floating input" err &&
	hoist render work/extra --allow-remote "$S" --allow-floating >out &&
	test_grep "namespace: extra" out &&
	wc -l <"$SRV/log" >n.before &&
	hoist render work/extra --allow-remote "$S" --allow-floating --offline >out2 &&
	test_cmp out out2 &&
	wc -l <"$SRV/log" >n.after && test_cmp n.before n.after
'

test_expect_success 'hoist lock pins the tag to its commit and the file to its sha256' '
	(cd work && hoist lock 2>../lock.err) &&
	commit=$(git -C upstream rev-parse "v1.0.0^{commit}") &&
	digest=sha256:$(sha256sum "$SRV/files/extra.yaml" | cut -d" " -f1) &&
	test_grep "commit: $commit" work/hoist.lock &&
	test_grep "digest: $digest" work/hoist.lock &&
	test_grep "url: \"$BASE\"" work/hoist.lock &&
	test_grep "ref: \"v1.0.0\"" work/hoist.lock &&
	test "$(grep -c "^- kind:" work/hoist.lock)" = 2 &&
	(cd work && hoist lock --check) &&
	git -C work add hoist.lock && git -C work commit -qm lock
'

test_expect_success 'hoist render is byte for byte what kubectl kustomize prints, fetching for itself' '
	kubectl kustomize work/web >want-web.yaml &&
	hoist render work/web --allow-remote "$S" >got-web.yaml &&
	test_cmp want-web.yaml got-web.yaml &&
	test_grep "name: prod-web" got-web.yaml && test_grep "replicas: 3" got-web.yaml &&
	kubectl kustomize work/extra >want-extra.yaml &&
	hoist render work/extra --allow-remote "$S" >got-extra.yaml &&
	test_cmp want-extra.yaml got-extra.yaml
'

test_expect_success 'and what kubectl kustomize prints for the same inputs vendored' '
	mkdir -p vendor/web vendor/extra &&
	git -C upstream archive v1.0.0 | tar -x -C vendor &&
	printf "resources: [../base]\ncomponents: [../comp]\nnamePrefix: prod-\n" >vendor/web/kustomization.yaml &&
	cp "$SRV/files/extra.yaml" vendor/extra/cm.yaml &&
	printf "resources: [cm.yaml]\nnamespace: extra\n" >vendor/extra/kustomization.yaml &&
	kubectl kustomize vendor/web >vendored-web.yaml &&
	kubectl kustomize vendor/extra >vendored-extra.yaml &&
	test_cmp vendored-web.yaml got-web.yaml &&
	test_cmp vendored-extra.yaml got-extra.yaml
'

test_expect_success 'a push publishes through the hook; the artifact records the pins' '
	git -C work push -q origin main 2>push.err &&
	test_grep "remote: hoist: web rendered (2 objects)" push.err &&
	test_grep "remote: hoist: extra rendered (1 objects)" push.err &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pulled-web &&
	test_cmp got-web.yaml pulled-web/manifests.yaml &&
	commit=$(git -C upstream rev-parse "v1.0.0^{commit}") &&
	python3 - "$commit" "$BASE" pulled-web/hoist.json <<-\EOF &&
	import json, sys
	m = json.load(open(sys.argv[3]))
	want = [{"commit": sys.argv[1], "kind": "git", "ref": "v1.0.0", "url": sys.argv[2]}]
	assert m["remoteSources"] == want, m.get("remoteSources")
	EOF
	hoist pull "$REGISTRY_R/acme/extra:dev" -o pulled-extra &&
	test_cmp got-extra.yaml pulled-extra/manifests.yaml &&
	test_grep "\"digest\":\"sha256:$(sha256sum "$SRV/files/extra.yaml" | cut -d" " -f1)\"" pulled-extra/hoist.json
'

test_expect_success 'hoist ci renders the same commit to the same digests' '
	hoist ci --repo work --rev "$(git -C work rev-parse HEAD)" --ref refs/heads/main >ci.out 2>ci.err &&
	test_grep "acme/web:0.0.0-main.* sha256:.* unchanged" ci.out &&
	test_grep "acme/extra:0.0.0-main.* sha256:.* unchanged" ci.out
'

test_expect_success 'with the server stopped, renders come from the cache' '
	stop_remoteserver S &&
	hoist render work/web --allow-remote "$S" >cached-web.yaml &&
	test_cmp got-web.yaml cached-web.yaml &&
	hoist render work/extra --allow-remote "$S" --offline >cached-extra.yaml &&
	test_cmp got-extra.yaml cached-extra.yaml &&
	hoist publish --repo work --dry-run >dry.out &&
	test_grep "^web dev 2 objects" dry.out &&
	hoist ci --repo work --rev "$(git -C work rev-parse HEAD)" --ref refs/heads/main --dry-run >ci2.out 2>/dev/null &&
	test_grep "acme/web:.* rendered" ci2.out
'

test_expect_success '--offline refuses what the cache lacks' '
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/empty-cache" \
		hoist render work/web --allow-remote "$S" --offline 2>err &&
	test_grep "is not in the cache, and --offline forbids fetching it" err
'

test_expect_success 'setup: the server again' '
	REMOTE_PORT=${S#127.0.0.1:} start_remoteserver S --redirect "http://127.0.0.1:${S#127.0.0.1:}/git/" \
		--redirect "http://localhost:${S#127.0.0.1:}/git/"
'
# start_remoteserver ran in a subshell: register its pid file for the cleanup here too.
test_cleanup "kill \$(cat '$SRV/pid') 2>/dev/null"

test_expect_success 'concurrent renders fill one empty cache safely (lock file, atomic rename)' '
	for i in 1 2 3 4; do
		(HOIST_CACHE_DIR="$TRASH/cache-par" hoist render work/web --allow-remote "$S" \
			>par$i.out 2>par$i.err; echo $? >par$i.rc) &
	done
	wait &&
	for i in 1 2 3 4; do
		test "$(cat par$i.rc)" = 0 && test_cmp got-web.yaml par$i.out || exit 1
	done &&
	test "$(ls "$TRASH/cache-par/git" | wc -l)" = 1
'

test_expect_success 'incremental publishing: a change to hoist.lock alone republishes what it pins' '
	echo "# touch" >>work/extra/kustomization.yaml &&
	git -C work commit -qam touch-extra && git -C work push -q origin main 2>push2.err &&
	test_grep "remote: hoist: extra rendered" push2.err &&
	! grep "remote: hoist: web rendered" push2.err &&
	sed -i "s/port: 80}/port: 8080}/" upstream/base/svc.yaml &&
	git -C upstream commit -qam port && git -C upstream tag -f -a -m v1 v1.0.0 &&
	git -C upstream push -q -f "$SRV/git/org/base.git" v1.0.0 &&
	(cd work && hoist lock 2>/dev/null) &&
	git -C work diff --stat >lock.diff && test_grep "hoist.lock | 2 +-" lock.diff &&
	git -C work commit -qam relock && git -C work push -q origin main 2>push3.err &&
	test_grep "remote: hoist: web rendered (2 objects) .* \[published\]" push3.err &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pulled-web2 &&
	test_grep "port: 8080" pulled-web2/manifests.yaml &&
	test_grep "\"commit\":\"$(git -C upstream rev-parse "v1.0.0^{commit}")\"" pulled-web2/hoist.json
'

# refuse NAME: commits the work tree's change, publishes, and checks exit 1,
# the message, and that no tag moved in the registry.
refuse() {
	all_tags >tags.before &&
	git -C work add -A && git -C work commit -qm "$1" &&
	test_expect_code 1 hoist publish --repo work 2>err &&
	all_tags >tags.after &&
	test_cmp tags.before tags.after &&
	git -C work reset -q --hard HEAD~1
}

test_expect_success 'refused: the server does not allow a host the pushed hoist.yaml allows' '
	git -C server.git config --unset-all hoist.allowRemote &&
	git -C server.git config --add hoist.allowRemote registry.example.com &&
	all_tags >tags.before &&
	echo "# touch" >>work/web/kustomization.yaml &&
	git -C work commit -qam touch &&
	test_must_fail git -C work push -q origin main 2>push.err &&
	test_grep "hoist.yaml lists it, but the server.s .git config hoist.allowRemote. does not" push.err &&
	all_tags >tags.after && test_cmp tags.before tags.after &&
	git -C work reset -q --hard HEAD~1 &&
	git -C server.git config --unset-all hoist.allowRemote &&
	git -C server.git config --add hoist.allowRemote "$S"
'

test_expect_success 'a redirect within the allowed hosts is followed' '
	mkdir -p redir &&
	printf "resources:\n- http://$S/redirect/0/org/base.git//base?ref=v1.0.0\n" >redir/kustomization.yaml &&
	hoist render redir --allow-remote "$S" --allow-floating >redir.out &&
	test_grep "name: web" redir.out
'

test_expect_success 'refused: a redirect to a host that is not allowed' '
	mkdir -p redir1 &&
	printf "resources:\n- http://$S/redirect/1/org/base.git//base?ref=v1.0.0\n" >redir1/kustomization.yaml &&
	test_expect_code 1 hoist render redir1 --allow-remote "$S" 2>err &&
	test_grep "redirects to http://localhost:.*remote host .localhost:.*. is not allowed" err &&
	printf "resources:\n- http://$S/redirect/1/extra.yaml\n" >redir1/kustomization.yaml &&
	test_expect_code 1 hoist render redir1 --allow-remote "$S" --allow-floating 2>err &&
	test_grep "redirects to http://localhost:.*remote host .localhost:.*. is not allowed" err
'

test_expect_success 'refused: a ref hoist.lock does not pin (the lock no longer matches)' '
	git -C upstream tag v1.1.0 && git -C upstream push -q "$SRV/git/org/base.git" v1.1.0 &&
	sed -i "s|base?ref=v1.0.0|base?ref=v1.1.0|" work/web/kustomization.yaml &&
	refuse stale-lock &&
	test_grep "at .v1.1.0. is not pinned in hoist.lock (lock mismatch: run .hoist lock.)" err
'

test_expect_success 'refused: a tag moved since hoist.lock pinned it' '
	old=$(git -C upstream rev-parse "v1.0.0^{commit}") &&
	echo "# moved" >>upstream/base/svc.yaml && git -C upstream commit -qam moved &&
	git -C upstream tag -f -a -m moved v1.0.0 && git -C upstream push -q -f "$SRV/git/org/base.git" v1.0.0 &&
	new=$(git -C upstream rev-parse "v1.0.0^{commit}") &&
	all_tags >tags.before &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache2" hoist publish --repo work 2>err &&
	all_tags >tags.after && test_cmp tags.before tags.after &&
	test_grep "is commit $new, but hoist.lock pins $old (lock mismatch" err &&
	git -C upstream tag -f -a -m v1 v1.0.0 "$old" && git -C upstream push -q -f "$SRV/git/org/base.git" v1.0.0
'

test_expect_success 'refused: a branch (or the default branch) without a lock floats; --allow-floating takes it' '
	sed -i "s|base?ref=v1.0.0|base?ref=main|" work/web/kustomization.yaml &&
	git -C work rm -q hoist.lock &&
	refuse floating &&
	test_grep ".main. of $BASE is a floating ref (a branch) and hoist.lock does not pin it" err &&
	sed -i "s|base?ref=v1.0.0|base|" work/web/kustomization.yaml &&
	git -C work rm -q hoist.lock &&
	refuse default-branch &&
	test_grep ".HEAD. of $BASE is a floating ref (the default branch)" err &&
	sed -i "s|base?ref=v1.0.0|base?ref=main|" work/web/kustomization.yaml &&
	rm work/hoist.lock &&
	hoist render work/web --allow-remote "$S" --allow-floating >/dev/null &&
	git -C work checkout -q -- web hoist.lock
'

test_expect_success 'refused: an HTTP file whose content no longer matches its pin (tampered)' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: evil}\n" >"$SRV/files/extra.yaml" &&
	all_tags >tags.before &&
	echo "# touch" >>work/extra/kustomization.yaml &&
	git -C work commit -qam touch &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache3" hoist publish --repo work 2>err &&
	all_tags >tags.after && test_cmp tags.before tags.after &&
	test_grep "but sha256:.* is pinned (lock mismatch: the content changed" err &&
	git -C work reset -q --hard HEAD~1
'

test_expect_success 'refused: downloads larger than HOIST_REMOTE_MAX_BYTES' '
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache4" HOIST_REMOTE_MAX_BYTES=64 \
		hoist render work/extra --allow-remote "$S" --allow-floating 2>err &&
	test_grep "is larger than 64 bytes (HOIST_REMOTE_MAX_BYTES)" err &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache4" HOIST_REMOTE_MAX_BYTES=64 \
		hoist render work/web --allow-remote "$S" 2>err &&
	test_grep "larger than 64 bytes (HOIST_REMOTE_MAX_BYTES)" err &&
	all_tags >tags.before &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache4" HOIST_REMOTE_MAX_BYTES=64 \
		hoist publish --repo work 2>err &&
	all_tags >tags.after && test_cmp tags.before tags.after
'

test_expect_success 'refused: a Git fetch whose pack outgrows the bound (libgit2 stops it)' '
	git -C upstream checkout -q -b bigbranch &&
	head -c 300000 /dev/urandom >upstream/blob.bin &&
	git -C upstream add blob.bin && git -C upstream commit -qm big && git -C upstream tag big &&
	git -C upstream push -q "$SRV/git/org/base.git" refs/tags/big &&
	git -C upstream checkout -q main &&
	mkdir -p big && printf "resources:\n- $BASE//base?ref=big\n" >big/kustomization.yaml &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache5" HOIST_REMOTE_MAX_BYTES=100000 \
		hoist render big --allow-remote "$S" 2>err &&
	test_grep "the download is larger than 100000 bytes" err &&
	env HOIST_CACHE_DIR="$TRASH/cache5" hoist render big --allow-remote "$S" >big.out &&
	test_grep "name: web" big.out
'

test_expect_success 'file:// repositories are off unless "file" is allowed' '
	mkdir -p local &&
	printf "resources:\n- file://$SRV/git/org/base.git//base?ref=v1.0.0\n" >local/kustomization.yaml &&
	test_expect_code 1 hoist render local --allow-remote "$S" 2>err &&
	test_grep "remote host .file. is not allowed" err &&
	hoist render local --allow-remote file >local.out &&
	test_grep "name: web" local.out
'

test_expect_success 'a Git server that stops answering mid-fetch: the render fails at its timeout' '
	mkdir -p stall && printf "resources:\n- $BASE//base?ref=big&timeout=2s\n" >stall/kustomization.yaml &&
	touch "$SRV/stall" &&
	test_cleanup "rm -f \"$SRV/stall\"" &&
	t0=$(now_ms) &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache6" \
		timeout 60 "$HOIST_BUILD/hoist" render stall --allow-remote "$S" 2>err &&
	ms=$(( $(now_ms) - t0 )) &&
	echo "# elapsed: a fetch from a stalled Git server failed after $ms ms (timeout 2 s)" >&3 &&
	test_grep "the fetch took longer than 2000 ms" err &&
	test $ms -lt 30000 &&
	grep -q "^POST /git/org/base.git/git-upload-pack" "$SRV/log" &&
	rm "$SRV/stall" &&
	env HOIST_CACHE_DIR="$TRASH/cache6" hoist render stall --allow-remote "$S" >stall.out &&
	test_grep "name: web" stall.out
'

test_done
