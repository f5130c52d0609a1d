#!/bin/bash
# --json where scripts consume state: publish, promote, history, inspect,
# verify print one JSON object per line with the fields docs/cli.md lists,
# and the values agree with the plain output.
. "$(dirname "$0")/../lib.sh"

# json_fields FILE: every line must parse as a JSON object; prints the
# sorted key set of each line, and fails on anything else.
json_check() {
	python3 - "$@" <<-\EOP
	import json, sys
	lines = open(sys.argv[1]).read().splitlines()
	want = sys.argv[2].split(",")
	if not lines:
	    sys.exit("no output")
	for l in lines:
	    o = json.loads(l)
	    if not isinstance(o, dict) or sorted(o) != sorted(want):
	        sys.exit("fields %s, want %s" % (sorted(o), sorted(want)))
	EOP
}

# json_get FILE LINE KEY
json_get() {
	python3 -c 'import json,sys; v=json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])[sys.argv[3]]; print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$@"
}

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: \"%s\"\n" "$1"; }

test_expect_success 'setup: a signed repository with dev -> staging' '
	hoist keygen --out hoist >/dev/null 2>&1 &&
	git init -q repo && mkdir -p repo/apps/web &&
	cat >repo/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: oci-layout:$TRASH/store
	apps:
	  - {name: web, path: apps/web}
	  - {name: api, path: apps/web}
	environments:
	  - {name: dev, branch: main}
	  - {name: staging, promoteFrom: dev}
	EOF
	cm 1 >repo/apps/web/cm.yaml &&
	git -C repo add . && git -C repo commit -qm one
'

test_expect_success 'publish --json: one object per app and environment' '
	HOIST_SIGNING_KEY=hoist.key hoist publish --repo repo --json >pub.json &&
	json_check pub.json app,environment,version,objects,reference,environmentReference,digest,status,commit &&
	test "$(wc -l <pub.json)" = 2 &&
	test "$(json_get pub.json 0 app)" = web &&
	test "$(json_get pub.json 0 environment)" = dev &&
	test "$(json_get pub.json 0 status)" = published &&
	test "$(json_get pub.json 0 objects)" = 1 &&
	test "$(json_get pub.json 0 commit)" = "$(git -C repo rev-parse HEAD)" &&
	test "$(json_get pub.json 0 environmentReference)" = "oci-layout:$TRASH/store/web:dev" &&
	hoist publish --repo repo >pub.txt &&
	test "$(awk "/^web dev/ {print \$6}" pub.txt)" = "$(json_get pub.json 0 digest)" &&
	grep -q " unchanged$" pub.txt
'

test_expect_success 'inspect --json agrees with the plain summary' '
	hoist pack repo/apps/web -o web.tgz --app web --version 1.2.3 --source https://example.com/r >/dev/null &&
	hoist inspect web.tgz --json >i.json &&
	json_check i.json app,version,environment,revision,source,created,engine,objects &&
	test "$(json_get i.json 0 version)" = 1.2.3 &&
	test "$(json_get i.json 0 environment)" = null &&
	test "$(json_get i.json 0 source)" = https://example.com/r &&
	test "$(json_get i.json 0 objects)" = 1 &&
	hoist inspect web.tgz >i.txt && grep -q "^engine: $(json_get i.json 0 engine)$" i.txt &&
	test_expect_code 2 hoist inspect web.tgz --json --manifests 2>err
'

test_expect_success 'verify --json names the digest the signature covers' '
	hoist verify "oci-layout:$TRASH/store/web:dev" --key hoist.pub --json >v.json &&
	json_check v.json reference,digest,identity,verified &&
	test "$(json_get v.json 0 verified)" = true &&
	test "$(json_get v.json 0 digest)" = "$(json_get pub.json 0 digest)" &&
	hoist keygen --out other >/dev/null 2>&1 &&
	test_expect_code 1 hoist verify "oci-layout:$TRASH/store/web:dev" --key other.pub --json >bad 2>err &&
	! test -s bad
'

test_expect_success 'promote --json: the digest moved, and again when already there' '
	hoist promote web --to staging --repo repo --key hoist.pub --json >p.json &&
	json_check p.json app,from,to,digest,moved,verified,forced &&
	test "$(json_get p.json 0 digest)" = "$(json_get pub.json 0 digest)" &&
	test "$(json_get p.json 0 moved)" = true &&
	test "$(json_get p.json 0 verified)" = true &&
	test "$(json_get p.json 0 to)" = "oci-layout:$TRASH/store/web:staging" &&
	hoist promote web --to staging --repo repo --key hoist.pub --json >p2.json &&
	test "$(json_get p2.json 0 moved)" = false
'

test_expect_success 'history --json: every move, newest first, as the plain list' '
	hoist history web --repo repo --json >h.json &&
	json_check h.json time,environment,actor,from,to,version,commit,record &&
	test "$(wc -l <h.json)" = 2 &&
	test "$(json_get h.json 0 actor)" = promote &&
	test "$(json_get h.json 0 environment)" = staging &&
	test "$(json_get h.json 1 actor)" = publish &&
	test "$(json_get h.json 1 from)" = null &&
	hoist history web --repo repo >h.txt &&
	test "$(wc -l <h.txt)" = 2 &&
	test "$(awk "NR == 1 {print \$6}" h.txt)" = "$(json_get h.json 0 to)"
'

test_done
