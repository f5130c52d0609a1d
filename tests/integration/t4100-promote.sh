#!/bin/bash
# Promotion by digest: signed artifacts from dev to staging to prod, the
# refusals, history and rollback, all against a real registry.
. "$(dirname "$0")/../lib.sh"

start_registry R
start_registry OTHER
export HOIST_RETRY_MAX=1

digest_of() { # REPO TAG
	curl -s -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$1/manifests/$2" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
web() { echo "$REGISTRY_R/v2/acme/web"; }
cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: \"%s\"\n" "$1"; }

commit() { # MESSAGE: commit at a fixed, increasing time
	n=$(( $(git -C repo rev-list --count HEAD 2>/dev/null || echo 0) + 10 ))
	GIT_COMMITTER_DATE="2026-01-02T03:$n:00Z" git -C repo commit -qam "$1"
}

test_expect_success 'setup: keys, a repository with dev -> staging -> prod' '
	hoist keygen --out hoist 2>/dev/null && hoist keygen --out other 2>/dev/null &&
	git init -q repo && mkdir -p repo/apps/web repo/keys &&
	cp hoist.pub repo/keys/hoist.pub &&
	cat >repo/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	verifyKey: keys/hoist.pub
	apps:
	  - name: web
	    path: apps/web
	  - name: api
	    path: apps/web
	environments:
	  - name: dev
	    branch: main
	  - name: staging
	    promoteFrom: dev
	  - name: prod
	    promoteFrom: staging
	  - name: eu
	    promoteFrom: dev
	    registry: $REGISTRY_OTHER/mirror
	EOF
	cm 1 >repo/apps/web/cm.yaml &&
	git -C repo add . && GIT_COMMITTER_DATE=2026-01-02T03:00:00Z git -C repo commit -qm one
'

test_expect_success 'publish to dev signs; promote to staging then prod: one digest, verified everywhere' '
	HOIST_SIGNING_KEY=$TRASH/hoist.key hoist publish --repo repo >pub &&
	d=$(awk "/^web dev/ {print \$6}" pub) &&
	hoist promote web --to staging --repo repo >p1 &&
	test_grep "^web $REGISTRY_R/acme/web:dev -> $REGISTRY_R/acme/web:staging $d$" p1 &&
	hoist promote web --from staging --to prod --repo repo >p2 &&
	for env in dev staging prod; do
		test "$(digest_of $(web) $env)" = "$d" || exit 1
		hoist verify "$REGISTRY_R/acme/web:$env" --key hoist.pub >v || exit 1
		test_grep "$d" v || exit 1
	done &&
	echo "$d" >good.digest
'

test_expect_success 'the signature verifies independently with openssl' '
	d=$(cat good.digest) && hex=${d#sha256:} &&
	curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$(web)/manifests/sha256-$hex.sig" >sig.json &&
	python3 - "$REGISTRY_R" <<-\PY &&
	import json, sys, base64, urllib.request
	m = json.load(open("sig.json"))
	layer = m["layers"][0]
	open("sig.der", "wb").write(base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"]))
	url = "http://%s/v2/acme/web/blobs/%s" % (sys.argv[1], layer["digest"])
	open("payload", "wb").write(urllib.request.urlopen(url).read())
	PY
	openssl dgst -sha256 -verify hoist.pub -signature sig.der payload >ossl &&
	test_grep "Verified OK" ossl &&
	test_grep "\"docker-manifest-digest\":\"$d\"" payload
'

test_expect_success 'promotion into another registry copies blobs and signature; the digest stays' '
	d=$(cat good.digest) &&
	hoist promote web --to eu --repo repo >eu &&
	test "$(digest_of $REGISTRY_OTHER/v2/mirror/web eu)" = "$d" &&
	hoist pull "$REGISTRY_OTHER/mirror/web:eu" -o eu-pulled &&
	test_grep "v: \"1\"" eu-pulled/manifests.yaml &&
	curl -sf -o /dev/null -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_OTHER/v2/mirror/web/manifests/sha256-${d#sha256:}.sig"
'

# Each refusal: an error naming the reason, exit 1, and no tag moved.
refused() { # GREP CMD...
	before_s=$(digest_of $(web) staging) && before_p=$(digest_of $(web) prod) &&
	test_must_fail "${@:2}" 2>err && test_grep -- "$1" err &&
	test "$(digest_of $(web) staging)" = "$before_s" && test "$(digest_of $(web) prod)" = "$before_p"
}

test_expect_success 'refused: an unsigned artifact' '
	cm 2 >repo/apps/web/cm.yaml && commit two &&
	hoist publish --repo repo >/dev/null &&
	refused "is unsigned and a verification key is configured" hoist promote web --to staging --repo repo
'

test_expect_success 'refused: a signature by another key' '
	cm 3 >repo/apps/web/cm.yaml && commit three &&
	HOIST_SIGNING_KEY=$TRASH/other.key hoist publish --repo repo >/dev/null &&
	refused "does not verify" hoist promote web --to staging --repo repo
'

test_expect_success 'refused: a payload naming another digest' '
	cm 4 >repo/apps/web/cm.yaml && commit four &&
	hoist publish --repo repo >pub4 &&
	d4=$(digest_of $(web) dev) && good=$(cat good.digest) &&
	curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$(web)/manifests/sha256-${good#sha256:}.sig" >other.sig &&
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary @other.sig \
		"http://$(web)/manifests/sha256-${d4#sha256:}.sig" &&
	refused "names sha256:" hoist promote web --to staging --repo repo
'

test_expect_success 'refused: a tampered layer' '
	cm 5 >repo/apps/web/cm.yaml && commit five &&
	HOIST_SIGNING_KEY=$TRASH/hoist.key hoist publish --repo repo >/dev/null &&
	layer=$(curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$(web)/manifests/dev" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"layers\"][0][\"digest\"])") &&
	hex=${layer#sha256:} &&
	f=$TRASH/registry-R/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data &&
	cp "$f" layer.bak && printf "garbage" >>"$f" &&
	refused "refused: .*web@sha256:" hoist promote web --to staging --repo repo &&
	cp layer.bak "$f"
'

test_expect_success 'refused: skipping an environment' '
	refused "prod promotes from staging, not from dev" hoist promote web --from dev --to prod --repo repo
'

test_expect_success 'refused: soak not over, and approval not given' '
	sed -i "s/    promoteFrom: staging/    promoteFrom: staging\n    soak: 1h\n    approval: required/" repo/hoist.yaml &&
	commit gates &&
	hoist promote web --to staging --repo repo >/dev/null &&
	refused "has been in staging for [0-9]*s; prod needs 1h" hoist promote web --to prod --repo repo --approve &&
	sed -i "s/soak: 1h/soak: 1s/" repo/hoist.yaml && commit soak1s && sleep 2 &&
	refused "requires approval" hoist promote web --to prod --repo repo &&
	hoist promote web --to prod --repo repo --approve >ok &&
	test "$(digest_of $(web) prod)" = "$(digest_of $(web) staging)"
'

test_expect_success 'history shows every move in order, newest first' '
	hoist history web --env prod --repo repo >h &&
	test "$(wc -l <h)" = 2 &&
	head -n 1 h | grep -q " prod promote $(cat good.digest) -> $(digest_of $(web) prod) " &&
	tail -n 1 h | grep -q " prod promote - -> $(cat good.digest) " &&
	hoist history web --repo repo >all &&
	test_grep " dev publish " all && test_grep " staging promote " all && test_grep " eu promote " all &&
	sort -r -k1,1 -s all | cmp - all
'

test_expect_success 'rollback --steps 1 restores the previous digest, verified, and records it' '
	hoist rollback web --env prod --steps 1 --repo repo >rb &&
	test "$(digest_of $(web) prod)" = "$(cat good.digest)" &&
	hoist history web --env prod --repo repo >h2 &&
	test "$(wc -l <h2)" = 3 &&
	head -n 1 h2 | grep -q " prod rollback .* -> $(cat good.digest) "
'

test_expect_success 'rollback refuses a digest the environment never held' '
	test_must_fail hoist rollback web --env prod --to sha256:0000000000000000000000000000000000000000000000000000000000000000 --repo repo 2>err &&
	test_grep "never held" err
'

test_expect_success 'hoist ci promote: a manual CI job promotes and reports the digest' '
	cm 6 >repo/apps/web/cm.yaml && commit six &&
	HOIST_SIGNING_KEY=$TRASH/hoist.key hoist publish --repo repo >/dev/null &&
	: >gh.out && : >gh.sum &&
	GITHUB_ACTIONS=true GITHUB_OUTPUT=$TRASH/gh.out GITHUB_STEP_SUMMARY=$TRASH/gh.sum \
		hoist ci promote web --to staging --repo repo >cip &&
	d=$(digest_of $(web) dev) &&
	test_grep "^digest=$d$" gh.out &&
	test_grep "promoted web" gh.sum && test_grep "| verified |" gh.sum &&
	hoist history web --env staging --repo repo | head -n 1 | grep -q " staging ci " &&
	sleep 2 &&
	GITLAB_CI=true hoist ci promote web --to prod --approve --repo repo --dotenv $TRASH/gl.env >/dev/null &&
	test_grep "^HOIST_PROMOTED_DIGEST=$d$" gl.env &&
	test "$(digest_of $(web) prod)" = "$d"
'

test_done
