#!/bin/bash
# hoist push / pull against a real Distribution registry.
. "$(dirname "$0")/../lib.sh"

mkdir -p app
cat >app/cm.yaml <<'EOT'
apiVersion: v1
kind: ConfigMap
metadata: {name: demo, namespace: default}
data: {greeting: hello}
EOT
hoist pack app -o demo.tar.gz --app demo --version 1.0.0 \
	--source https://git.example.com/demo.git \
	--revision main@sha1:0123456789abcdef0123456789abcdef01234567 \
	--created 2026-01-02T03:04:05Z >/dev/null
start_registry R
start_registry DOWN
export HOIST_RETRY_MAX=2

json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

test_expect_success 'push prints the reference and the manifest digest' '
	hoist push demo.tar.gz "$REGISTRY_R/apps/demo:1.0.0" >push.out 2>push.err &&
	grep -E "^$REGISTRY_R/apps/demo:1.0.0 sha256:[0-9a-f]{64}\$" push.out &&
	test_grep "2 blobs uploaded, 0 already present" push.err
'

test_expect_success 'the manifest has the Flux media types and the annotations' '
	curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/apps/demo/manifests/1.0.0" >manifest.json &&
	test "$(json "d[\"mediaType\"]" <manifest.json)" = application/vnd.oci.image.manifest.v1+json &&
	test "$(json "d[\"schemaVersion\"]" <manifest.json)" = 2 &&
	test "$(json "d[\"config\"][\"mediaType\"]" <manifest.json)" = application/vnd.cncf.flux.config.v1+json &&
	test "$(json "d[\"layers\"][0][\"mediaType\"]" <manifest.json)" = application/vnd.cncf.flux.content.v1.tar+gzip &&
	test "$(json "len(d[\"layers\"])" <manifest.json)" = 1 &&
	test "$(json "d[\"layers\"][0][\"digest\"]" <manifest.json)" = "sha256:$(sha256sum demo.tar.gz | cut -d" " -f1)" &&
	test "$(json "d[\"annotations\"][\"org.opencontainers.image.source\"]" <manifest.json)" = https://git.example.com/demo.git &&
	test "$(json "d[\"annotations\"][\"org.opencontainers.image.revision\"]" <manifest.json)" = main@sha1:0123456789abcdef0123456789abcdef01234567 &&
	test "$(json "d[\"annotations\"][\"org.opencontainers.image.created\"]" <manifest.json)" = 2026-01-02T03:04:05Z &&
	test "sha256:$(sha256sum manifest.json | cut -d" " -f1)" = "$(cut -d" " -f2 push.out)"
'

test_expect_success 'the config blob is {} and the layer blob is the artifact, byte for byte' '
	cfg=$(json "d[\"config\"][\"digest\"]" <manifest.json) &&
	test "$(curl -sf "http://$REGISTRY_R/v2/apps/demo/blobs/$cfg")" = "{}" &&
	layer=$(json "d[\"layers\"][0][\"digest\"]" <manifest.json) &&
	curl -sf -o layer.tgz "http://$REGISTRY_R/v2/apps/demo/blobs/$layer" &&
	cmp layer.tgz demo.tar.gz
'

test_expect_success 'the tag list shows the tag' '
	curl -sf "http://$REGISTRY_R/v2/apps/demo/tags/list" | json "\" \".join(d[\"tags\"])" >tags &&
	test "$(cat tags)" = 1.0.0
'

test_expect_success 'pushing again is idempotent: same digest, blobs skipped' '
	hoist push demo.tar.gz "$REGISTRY_R/apps/demo:1.0.0" >push2.out 2>push2.err &&
	cmp push.out push2.out &&
	test_grep "0 blobs uploaded, 2 already present" push2.err
'

test_expect_success 'pull by tag unpacks files identical to the artifact contents' '
	hoist pull "$REGISTRY_R/apps/demo:1.0.0" -o out >pull.out &&
	test "$(cut -d" " -f2 pull.out)" = "$(cut -d" " -f2 push.out)" &&
	mkdir ref && tar -xzf demo.tar.gz -C ref &&
	diff -r ref out
'

test_expect_success 'pull by digest gives the same artifact' '
	d=$(cut -d" " -f2 push.out) &&
	hoist pull "$REGISTRY_R/apps/demo@$d" -o out-digest >pull2.out &&
	test "$(cat pull2.out)" = "$REGISTRY_R/apps/demo@$d $d" &&
	diff -r ref out-digest
'

test_expect_success 'pull refuses an existing folder and leaves it alone' '
	mkdir busy && echo keep >busy/file &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:1.0.0" -o busy 2>err &&
	test_grep "already exists" err &&
	test "$(cat busy/file)" = keep
'

test_expect_success 'pull of a missing tag fails clearly and leaves nothing' '
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:nope" -o nope 2>err &&
	test_grep "404 MANIFEST_UNKNOWN" err &&
	test ! -e nope
'

test_expect_success 'pull by a digest the registry does not have fails' '
	test_must_fail hoist pull "$REGISTRY_R/apps/demo@sha256:0000000000000000000000000000000000000000000000000000000000000000" -o nd 2>err &&
	test_grep "404" err && test ! -e nd
'

test_expect_success 'bad references are refused before any network traffic' '
	test_must_fail hoist push demo.tar.gz "$REGISTRY_R/Apps/demo:1" 2>err &&
	test_grep "repository .Apps/demo." err &&
	test_must_fail hoist push demo.tar.gz "$REGISTRY_R/apps/demo:-x" 2>err &&
	test_grep "tag .-x." err &&
	test_must_fail hoist push demo.tar.gz "$REGISTRY_R/apps/demo@sha256:0000000000000000000000000000000000000000000000000000000000000000" 2>err &&
	test_grep "push needs a tag" err
'

test_expect_success 'usage errors exit 2' '
	hoist push demo.tar.gz; test $? = 2 &&
	hoist pull "$REGISTRY_R/apps/demo:1.0.0"; test $? = 2
'

test_expect_success 'push refuses a file that is not a valid artifact' '
	echo "not a tarball" >bad.tgz &&
	test_must_fail hoist push bad.tgz "$REGISTRY_R/apps/demo:bad" 2>err &&
	test_grep "bad.tgz" err &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://$REGISTRY_R/v2/apps/demo/manifests/bad")" = 404
'

test_expect_success 'a non-loopback registry is spoken to over https only' '
	HOIST_RETRY_MAX=1 test_must_fail hoist push demo.tar.gz registry.invalid/apps/demo:1 2>err &&
	test_grep "https://registry.invalid/v2/" err
'

stop_registry DOWN
test_expect_success 'a stopped registry fails the push after retries with a clear error' '
	test_must_fail hoist push demo.tar.gz "$REGISTRY_DOWN/apps/demo:down" 2>err &&
	test_grep "giving up after 2 tries" err &&
	test_grep "$REGISTRY_DOWN" err
'
restart_registry DOWN

test_expect_success 'and leaves no tag behind' '
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://$REGISTRY_DOWN/v2/apps/demo/manifests/down")" = 404
'

test_expect_success 'a tampered blob in the registry is refused and leaves no output folder' '
	layer=$(json "d[\"layers\"][0][\"digest\"]" <manifest.json) &&
	hex=${layer#sha256:} &&
	blob="$TRASH/registry-R/data/docker/registry/v2/blobs/sha256/$(echo $hex | cut -c1-2)/$hex/data" &&
	test -f "$blob" &&
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[len(b)//2]^=0xff; open(p,\"wb\").write(b)" "$blob" &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:1.0.0" -o tampered 2>err &&
	test_grep "digest mismatch" err &&
	test ! -e tampered
'

test_done
