#!/bin/bash
# hoist push / pull with an OCI image-layout folder (oci-layout:DIR:TAG).
. "$(dirname "$0")/../lib.sh"

mkdir -p app
cat >app/cm.yaml <<'EOT'
apiVersion: v1
kind: ConfigMap
metadata: {name: demo, namespace: default}
data: {greeting: hello}
EOT
hoist pack app -o v1.tgz --app demo --version 1.0.0 --revision main@sha1:0123456789abcdef0123456789abcdef01234567 >/dev/null
sed -i s/hello/bonjour/ app/cm.yaml
hoist pack app -o v2.tgz --app demo --version 2.0.0 >/dev/null

json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

test_expect_success 'push to a new layout creates a valid image layout' '
	hoist push v1.tgz oci-layout:store:1.0.0 >push1.out &&
	grep -E "^oci-layout:store:1.0.0 sha256:[0-9a-f]{64}\$" push1.out &&
	test "$(json "d[\"imageLayoutVersion\"]" <store/oci-layout)" = 1.0.0 &&
	test "$(json "d[\"schemaVersion\"]" <store/index.json)" = 2 &&
	test "$(json "d[\"mediaType\"]" <store/index.json)" = application/vnd.oci.image.index.v1+json &&
	test "$(json "d[\"manifests\"][0][\"annotations\"][\"org.opencontainers.image.ref.name\"]" <store/index.json)" = 1.0.0 &&
	test "$(json "d[\"manifests\"][0][\"digest\"]" <store/index.json)" = "$(cut -d" " -f2 push1.out)"
'

test_expect_success 'every blob is named by its sha256 and every index entry has its blob' '
	for f in store/blobs/sha256/*; do
		test "$(sha256sum "$f" | cut -d" " -f1)" = "$(basename "$f")" || exit 1
	done &&
	test "$(ls store/blobs/sha256 | wc -l)" = 3 &&
	python3 -c "
import json, os
idx = json.load(open(\"store/index.json\"))
for m in idx[\"manifests\"]:
    h = m[\"digest\"].split(\":\")[1]
    p = \"store/blobs/sha256/\" + h
    assert os.path.getsize(p) == m[\"size\"], m
    man = json.load(open(p))
    for d in [man[\"config\"]] + man[\"layers\"]:
        assert os.path.exists(\"store/blobs/sha256/\" + d[\"digest\"].split(\":\")[1]), d
" &&
	cmp v1.tgz "store/blobs/sha256/$(sha256sum v1.tgz | cut -d" " -f1)"
'

test_expect_success 'a second tag is added and re-pushing a tag keeps one entry' '
	hoist push v2.tgz oci-layout:store:2.0.0 >push2.out &&
	hoist push v1.tgz oci-layout:store:1.0.0 >push1b.out &&
	cmp push1.out push1b.out &&
	test "$(json "\" \".join(m[\"annotations\"][\"org.opencontainers.image.ref.name\"] for m in d[\"manifests\"])" <store/index.json)" = "1.0.0 2.0.0"
'

test_expect_success 'moving a tag points it at the new manifest' '
	hoist push v2.tgz oci-layout:store:latest >/dev/null &&
	hoist push v1.tgz oci-layout:store:latest >latest.out &&
	test "$(cut -d" " -f2 latest.out)" = "$(cut -d" " -f2 push1.out)" &&
	test "$(json "len(d[\"manifests\"])" <store/index.json)" = 3
'

test_expect_success 'pull by tag and by digest round-trips the artifact' '
	hoist pull oci-layout:store:2.0.0 -o out2 >pull2.out &&
	test "$(cut -d" " -f2 pull2.out)" = "$(cut -d" " -f2 push2.out)" &&
	mkdir ref2 && tar -xzf v2.tgz -C ref2 && diff -r ref2 out2 &&
	d=$(cut -d" " -f2 push1.out) &&
	hoist pull "oci-layout:store@$d" -o out1 >/dev/null &&
	mkdir ref1 && tar -xzf v1.tgz -C ref1 && diff -r ref1 out1
'

test_expect_success 'pull from a folder that is not a layout fails clearly' '
	mkdir empty &&
	test_must_fail hoist pull oci-layout:empty:1.0.0 -o x 2>err &&
	test_grep "not an OCI image layout" err && test ! -e x &&
	test_must_fail hoist pull oci-layout:store:9.9.9 -o x 2>err &&
	test_grep "tag 9.9.9 not found" err && test ! -e x
'

test_expect_success 'a corrupted layer blob is refused and nothing is unpacked' '
	cp -r store bad &&
	blob="bad/blobs/sha256/$(sha256sum v2.tgz | cut -d" " -f1)" &&
	chmod u+w "$blob" && printf "x" | dd of="$blob" bs=1 seek=20 conv=notrunc 2>/dev/null &&
	test_must_fail hoist pull oci-layout:bad:2.0.0 -o x 2>err &&
	test_grep "digest mismatch" err && test ! -e x
'

test_expect_success 'a corrupted manifest blob is refused' '
	cp -r store bad2 &&
	d=$(cut -d" " -f2 push2.out) &&
	blob="bad2/blobs/sha256/${d#sha256:}" &&
	sed -i "s/schemaVersion/schemaVersioN/" "$blob" &&
	test_must_fail hoist pull oci-layout:bad2:2.0.0 -o x 2>err &&
	test_grep "refusing it" err && test ! -e x
'

test_expect_success 'the layout folder holds no temporary files after pushes' '
	test -z "$(find store -name "*.tmp.*")"
'

test_done
