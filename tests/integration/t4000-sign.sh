#!/bin/bash
# Signatures in cosign's layout: hoist keygen, signing on publish and with
# hoist sign, hoist verify, hoist pull --verify-key; checked independently
# with openssl (and with cosign when it is installed).
. "$(dirname "$0")/../lib.sh"

start_registry R
export HOIST_RETRY_MAX=1

json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
# pack_push VERSION: an artifact of apps/demo, pushed; prints its digest.
pack_push() {
	hoist pack app -o "demo-$1.tar.gz" --app demo --version "$1" >/dev/null &&
	hoist push "demo-$1.tar.gz" "$REGISTRY_R/apps/demo:$1" 2>/dev/null | cut -d" " -f2
}
sig_tag() { echo "sha256-${1#sha256:}.sig"; }
manifest() { # REPO REF
	curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$REGISTRY_R/v2/$1/manifests/$2"
}
blob_file() { # DIGEST: where the registry keeps it
	hex=${1#sha256:}
	echo "$TRASH/registry-R/data/docker/registry/v2/blobs/sha256/$(echo "$hex" | cut -c1-2)/$hex/data"
}
flip_byte() {
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[len(b)//2]^=0xff; open(p,\"wb\").write(b)" "$1"
}

mkdir -p app
printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo, namespace: default}\n" >app/cm.yaml

test_expect_success 'keygen writes a PKCS#8 private key 0600 and an SPKI public key' '
	hoist keygen >out 2>err &&
	test "$(cat out)" = "hoist.key hoist.pub" &&
	test "$(stat -c %a hoist.key)" = 600 &&
	test "$(head -n1 hoist.key)" = "-----BEGIN PRIVATE KEY-----" &&
	test "$(head -n1 hoist.pub)" = "-----BEGIN PUBLIC KEY-----" &&
	openssl pkey -in hoist.key -noout -text >key.txt &&
	test_grep "prime256v1" key.txt &&
	openssl pkey -pubin -in hoist.pub -noout -text >pub.txt &&
	test_grep "prime256v1" pub.txt &&
	openssl pkey -in hoist.key -pubout | cmp - hoist.pub &&
	test_grep "unencrypted" err &&
	hoist keygen --out other 2>/dev/null
'

test_expect_success 'keygen never overwrites a key' '
	cp hoist.key before.key &&
	test_must_fail hoist keygen 2>err &&
	test_grep "hoist.key already exists" err &&
	cmp hoist.key before.key &&
	echo x >only.pub &&
	test_must_fail hoist keygen --out only 2>err &&
	test ! -e only.key
'

test_expect_success 'setup: artifacts in the registry' '
	pack_push 1.0.0 >d1 && pack_push 2.0.0 >d2 && pack_push 3.0.0 >d3 &&
	pack_push 4.0.0 >d4 && pack_push 5.0.0 >d5 && pack_push 6.0.0 >d6 &&
	grep -q "^sha256:" d6
'

test_expect_success 'verify refuses an unsigned artifact' '
	d=$(cat d1) &&
	test_must_fail hoist verify "$REGISTRY_R/apps/demo:1.0.0" --key hoist.pub >out 2>err &&
	test_grep "unsigned: no signature for $d (tag $(sig_tag $d) not found)" err &&
	test ! -s out
'

test_expect_success 'hoist sign, then verify by tag and by digest' '
	d=$(cat d1) &&
	hoist sign "$REGISTRY_R/apps/demo:1.0.0" --key hoist.key >out &&
	test "$(cat out)" = "$REGISTRY_R/apps/demo:1.0.0 $d signed" &&
	hoist verify "$REGISTRY_R/apps/demo:1.0.0" --key hoist.pub >out &&
	test "$(cat out)" = "$REGISTRY_R/apps/demo:1.0.0 $d verified" &&
	hoist verify "$REGISTRY_R/apps/demo@$d" --key hoist.pub >out &&
	test "$(cat out)" = "$REGISTRY_R/apps/demo@$d $d verified"
'

test_expect_success 'the signature manifest is what cosign writes' '
	d=$(cat d1) &&
	manifest apps/demo "$(sig_tag $d)" >sig.json &&
	test "$(json "d[\"mediaType\"]" <sig.json)" = application/vnd.oci.image.manifest.v1+json &&
	test "$(json "d[\"schemaVersion\"]" <sig.json)" = 2 &&
	test "$(json "d[\"config\"][\"mediaType\"]" <sig.json)" = application/vnd.oci.image.config.v1+json &&
	test "$(json "len(d[\"layers\"])" <sig.json)" = 1 &&
	test "$(json "d[\"layers\"][0][\"mediaType\"]" <sig.json)" = application/vnd.dev.cosign.simplesigning.v1+json &&
	cfg=$(json "d[\"config\"][\"digest\"]" <sig.json) &&
	curl -sf "http://$REGISTRY_R/v2/apps/demo/blobs/$cfg" >config.json &&
	pd=$(json "d[\"layers\"][0][\"digest\"]" <sig.json) &&
	printf "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},\"config\":{}}" "$pd" >config.want &&
	cmp config.json config.want
'

test_expect_success 'independent check: openssl verifies the signature over the payload' '
	d=$(cat d1) &&
	pd=$(json "d[\"layers\"][0][\"digest\"]" <sig.json) &&
	curl -sf -o payload "http://$REGISTRY_R/v2/apps/demo/blobs/$pd" &&
	test "sha256:$(sha256sum payload | cut -d" " -f1)" = "$pd" &&
	test "$(wc -c <payload)" = "$(json "d[\"layers\"][0][\"size\"]" <sig.json)" &&
	json "d[\"layers\"][0][\"annotations\"][\"dev.cosignproject.cosign/signature\"]" <sig.json |
		base64 -d >sig.der &&
	openssl dgst -sha256 -verify hoist.pub -signature sig.der payload >v.out &&
	test "$(cat v.out)" = "Verified OK" &&
	printf "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":{\"docker-manifest-digest\":\"%s\"},\"type\":\"cosign container image signature\"},\"optional\":null}" \
		"$REGISTRY_R/apps/demo" "$d" >payload.want &&
	cmp payload payload.want &&
	test_must_fail openssl dgst -sha256 -verify other.pub -signature sig.der payload >/dev/null
'

test_expect_success 'signing again leaves the signature as it is' '
	d=$(cat d1) &&
	hoist sign "$REGISTRY_R/apps/demo:1.0.0" --key hoist.key >/dev/null 2>&1 &&
	manifest apps/demo "$(sig_tag $d)" | cmp - sig.json
'

test_expect_success 'verify refuses a signature by another key' '
	hoist sign "$REGISTRY_R/apps/demo:2.0.0" --key other.key >/dev/null 2>&1 &&
	test_must_fail hoist verify "$REGISTRY_R/apps/demo:2.0.0" --key hoist.pub >out 2>err &&
	test_grep "signature does not verify with hoist.pub (signed by another key?)" err &&
	test ! -s out &&
	hoist verify "$REGISTRY_R/apps/demo:2.0.0" --key other.pub >/dev/null
'

test_expect_success 'verify refuses a valid signature of another digest' '
	d1=$(cat d1) && d3=$(cat d3) &&
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary @sig.json "http://$REGISTRY_R/v2/apps/demo/manifests/$(sig_tag $d3)" &&
	test_must_fail hoist verify "$REGISTRY_R/apps/demo:3.0.0" --key hoist.pub 2>err &&
	test_grep "signature payload names $d1, not $d3" err
'

test_expect_success 'verify refuses a signature naming another repository' '
	hoist sign "$REGISTRY_R/apps/demo:4.0.0" --key hoist.key --identity reg.example.com/apps/demo >/dev/null 2>&1 &&
	test_must_fail hoist verify "$REGISTRY_R/apps/demo:4.0.0" --key hoist.pub 2>err &&
	test_grep "signature payload names repository reg.example.com/apps/demo, not $REGISTRY_R/apps/demo" err &&
	hoist verify "$REGISTRY_R/apps/demo:4.0.0" --key hoist.pub --identity reg.example.com/apps/demo >/dev/null
'

test_expect_success 'pull --verify-key unpacks a verified artifact, by tag and by digest' '
	d=$(cat d1) &&
	hoist pull "$REGISTRY_R/apps/demo:1.0.0" -o ok --verify-key hoist.pub >out &&
	test "$(cat out)" = "$REGISTRY_R/apps/demo:1.0.0 $d" &&
	mkdir want && tar -xzf demo-1.0.0.tar.gz -C want && diff -r want ok &&
	hoist pull "$REGISTRY_R/apps/demo@$d" -o ok2 --verify-key hoist.pub >/dev/null &&
	diff -r want ok2
'

test_expect_success 'pull --verify-key refuses unsigned and badly signed artifacts, leaving no folder' '
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:6.0.0" -o u --verify-key hoist.pub 2>err &&
	test_grep "unsigned: no signature for $(cat d6)" err && test ! -e u &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:2.0.0" -o o --verify-key hoist.pub 2>err &&
	test_grep "signed by another key" err && test ! -e o &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:3.0.0" -o x --verify-key hoist.pub 2>err &&
	test_grep "signature payload names" err && test ! -e x &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:1.0.0" -o k --verify-key hoist.key 2>err &&
	test_grep "hoist.key is a private key" err && test ! -e k
'

test_expect_success 'a tampered artifact blob fails pull --verify-key even with a valid signature' '
	hoist sign "$REGISTRY_R/apps/demo:5.0.0" --key hoist.key >/dev/null 2>&1 &&
	hoist verify "$REGISTRY_R/apps/demo:5.0.0" --key hoist.pub >/dev/null &&
	layer=$(manifest apps/demo 5.0.0 | json "d[\"layers\"][0][\"digest\"]") &&
	flip_byte "$(blob_file $layer)" &&
	test_must_fail hoist pull "$REGISTRY_R/apps/demo:5.0.0" -o t --verify-key hoist.pub 2>err &&
	test_grep "digest mismatch" err && test ! -e t
'

test_expect_success 'a tampered signature layer is refused' '
	d=$(cat d5) &&
	pd=$(manifest apps/demo "$(sig_tag $d)" | json "d[\"layers\"][0][\"digest\"]") &&
	flip_byte "$(blob_file $pd)" &&
	test_must_fail hoist verify "$REGISTRY_R/apps/demo:5.0.0" --key hoist.pub 2>err &&
	test_grep "signature layer does not match its digest" err
'

write_config() { # SIGNING_KEY
	cat >repo/hoist.yaml <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	signingKey: $1
	apps:
	  - name: web
	    path: apps/web
	environments:
	  - name: dev
	    branch: main
	EOF
}

test_expect_success 'publish signs with $HOIST_SIGNING_KEY before moving the environment tag' '
	git init -q repo && mkdir -p repo/apps/web && cp app/cm.yaml repo/apps/web/ &&
	write_config "$TRASH/other.key" &&
	git -C repo add . && git -C repo commit -qm one &&
	HOIST_SIGNING_KEY=$TRASH/hoist.key hoist publish --repo repo >pub 2>err &&
	d=$(awk "/^web dev/ {print \$6}" pub) &&
	hoist verify "$REGISTRY_R/acme/web:dev" --key hoist.pub >out &&
	test "$(cat out)" = "$REGISTRY_R/acme/web:dev $d verified" &&
	test_must_fail hoist verify "$REGISTRY_R/acme/web:dev" --key other.pub 2>err &&
	test_grep "signed by another key" err
'

test_expect_success 'without the environment, publish signs with hoist.yaml signingKey' '
	printf "data:\n  v: \"2\"\n" >>repo/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T04:00:00Z git -C repo commit -qam two &&
	hoist publish --repo repo >pub2 2>/dev/null &&
	d=$(awk "/^web dev/ {print \$6}" pub2) && test "$d" != "$(awk "/^web dev/ {print \$6}" pub)" &&
	hoist verify "$REGISTRY_R/acme/web:dev" --key other.pub >out &&
	test "$(cat out)" = "$REGISTRY_R/acme/web:dev $d verified"
'

test_expect_success 'publishing again re-signs nothing' '
	d=$(awk "/^web dev/ {print \$6}" pub2) &&
	manifest acme/web "$(sig_tag $d)" >s1 &&
	hoist publish --repo repo >pub3 2>/dev/null &&
	test_grep " unchanged$" pub3 &&
	manifest acme/web "$(sig_tag $d)" | cmp - s1
'

test_expect_success 'a signing key that cannot be read fails the publish and moves no tag' '
	printf "  w: \"3\"\n" >>repo/apps/web/cm.yaml &&
	GIT_COMMITTER_DATE=2026-01-02T05:00:00Z git -C repo commit -qam three &&
	before=$(manifest acme/web dev | sha256sum) &&
	test_must_fail env HOIST_SIGNING_KEY=$TRASH/missing.key hoist publish --repo repo >/dev/null 2>err &&
	test_grep "missing.key: no such key file" err &&
	test "$(manifest acme/web dev | sha256sum)" = "$before"
'

test_expect_success 'image layouts: sign and verify, whatever the folder is called' '
	hoist push demo-1.0.0.tar.gz "oci-layout:store:1.0.0" >/dev/null 2>&1 &&
	hoist sign oci-layout:store:1.0.0 --key hoist.key >/dev/null 2>&1 &&
	hoist verify "oci-layout:$TRASH/store:1.0.0" --key hoist.pub >/dev/null &&
	(cd app && hoist verify oci-layout:../store:1.0.0 --key ../hoist.pub >/dev/null) &&
	hoist pull oci-layout:store:1.0.0 -o lay --verify-key hoist.pub >/dev/null &&
	diff -r want lay
'

test_expect_success 'usage errors exit 2' '
	hoist verify "$REGISTRY_R/apps/demo:1.0.0"; test $? = 2 &&
	hoist sign "$REGISTRY_R/apps/demo:1.0.0"; test $? = 2 &&
	hoist keygen extra; test $? = 2
'

# cosign is not packaged in Debian bookworm; when someone has it, it must
# accept our signatures (a plain SPKI public key, no transparency log).
if command -v cosign >/dev/null 2>&1; then
	test_expect_success 'cosign verify accepts the signature' '
		cosign verify --key hoist.pub --insecure-ignore-tlog=true --allow-http-registry=true \
			"$REGISTRY_R/apps/demo@$(cat d1)" >cosign.out 2>cosign.err ||
		{ cat cosign.err; exit 1; }
	'
else
	echo "# skip: cosign not installed, cosign verify not run"
fi

test_done
